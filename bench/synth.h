#pragma once

// Synthetic but real-shaped profiles for benchmarks.

#include <cstdint>
#include <random>

#include "profile/profile.h"

namespace hearth::bench {

// A CPU profile shaped like google/pprof's large.cpu test profile: ~20k samples, ~23k
// locations and functions with realistic C++/Go name lengths, average depth ~24, two
// values (samples/count, cpu/nanoseconds) and a few labels. Deterministic for a seed.
profile::Profile LargeCpuProfile(uint32_t seed, size_t num_samples = 20000);

// A variation of a real profile, as successive scrapes of the same service look: values
// rescaled and jittered, ~10% of samples dropped, ~10% new samples whose stacks are real
// stacks with one frame swapped (from a bounded pool of variants per source, as a real
// service has a bounded set of stacks), span-id style labels re-drawn, time shifted.
profile::Profile Perturb(const profile::Profile& src, std::mt19937_64& rng, int64_t time_shift_ns);

}  // namespace hearth::bench
