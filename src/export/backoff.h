#pragma once

// Exponential backoff with jitter for one batch, bounded by the time since its first failure
// (the Collector's retry_on_failure). Pure arithmetic on the times it is given, so tests
// drive it with a fake clock.
//
//   attempt:  1      2          3                   4 ...
//   delay:      ~i      ~i*m        ~i*m^2  ... capped at max_interval, each ±jitter
//             |<------------------- max_elapsed ------------------->| no further attempt
//
// A receiver's Retry-After raises the next delay to at least what it asked for.

#include <cstdint>
#include <optional>
#include <random>

namespace hearth::exporter {

struct BackoffOptions {
  int64_t initial_interval_ns = 1'000'000'000;  // 1 s
  int64_t max_interval_ns = 30'000'000'000;     // 30 s
  int64_t max_elapsed_ns = 300'000'000'000;     // 5 min; 0 = no bound
  double multiplier = 2.0;
  double jitter = 0.2;  // each delay is uniform in [d*(1-jitter), d*(1+jitter)]
};

class Backoff {
 public:
  Backoff(const BackoffOptions& options, uint64_t seed);

  // Starts the schedule of a batch whose first attempt failed at now_ns.
  void Reset(int64_t now_ns);
  // After a failed attempt at now_ns: how long to wait before the next one, or nullopt when
  // that attempt would start past max_elapsed since Reset (give up on this round).
  std::optional<int64_t> NextDelay(int64_t now_ns, int64_t retry_after_ns = 0);
  int attempts() const { return attempts_; }

 private:
  BackoffOptions options_;
  std::mt19937_64 rng_;
  int64_t start_ns_ = 0;
  double interval_ns_ = 0;
  int attempts_ = 0;
};

}  // namespace hearth::exporter
