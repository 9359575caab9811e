// Writes N real-shaped pprof files derived from real profiles, for side-by-side benchmarks:
//
//   gen_profiles --out DIR --count 1000 [--seed 1] [--large] IN.pb.gz...
//
// Each output is a perturbation of one input (see synth.h): a stream of successive
// 10-second profiles of the same services. --large adds synthetic large.cpu-shaped inputs.

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "base/file.h"
#include "bench/synth.h"
#include "profile/pprof_codec.h"

int main(int argc, char** argv) {
  std::string out;
  int count = 1000;
  uint64_t seed = 1;
  bool large = false;
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (a == "--count" && i + 1 < argc) {
      count = std::stoi(argv[++i]);
    } else if (a == "--seed" && i + 1 < argc) {
      seed = std::stoull(argv[++i]);
    } else if (a == "--large") {
      large = true;
    } else {
      inputs.push_back(a);
    }
  }
  if (out.empty() || (inputs.empty() && !large)) {
    std::fprintf(stderr, "usage: gen_profiles --out DIR --count N [--seed S] [--large] IN...\n");
    return 2;
  }
  std::vector<hearth::profile::Profile> sources;
  for (const std::string& path : inputs) {
    auto data = hearth::ReadFile(path);
    if (!data.ok()) {
      std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
      return 1;
    }
    auto p = hearth::profile::DecodePprof(*data);
    if (!p.ok()) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), p.status().ToString().c_str());
      return 1;
    }
    sources.push_back(std::move(*p));
  }
  if (large) sources.push_back(hearth::bench::LargeCpuProfile(static_cast<uint32_t>(seed)));
  std::filesystem::create_directories(out);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < count; ++i) {
    const auto& src = sources[i % sources.size()];
    auto p = hearth::bench::Perturb(src, rng, int64_t{i} * 10'000'000'000);
    std::string path = fmt::format("{}/profile-{:04d}.pb.gz", out, i);
    if (auto s = hearth::WriteFileAtomic(path, hearth::profile::EncodePprofGzip(p)); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
  }
  return 0;
}
