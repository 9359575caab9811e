#include "export/backoff.h"

#include <algorithm>

namespace hearth::exporter {

Backoff::Backoff(const BackoffOptions& options, uint64_t seed) : options_(options), rng_(seed) {
  Reset(0);
}

void Backoff::Reset(int64_t now_ns) {
  start_ns_ = now_ns;
  interval_ns_ = static_cast<double>(std::max<int64_t>(options_.initial_interval_ns, 1));
  attempts_ = 0;
}

std::optional<int64_t> Backoff::NextDelay(int64_t now_ns, int64_t retry_after_ns) {
  ++attempts_;
  const double max_interval = static_cast<double>(std::max<int64_t>(options_.max_interval_ns, 1));
  const double base = std::min(interval_ns_, max_interval);
  const double j = std::clamp(options_.jitter, 0.0, 1.0);
  std::uniform_real_distribution<double> spread(base * (1 - j), base * (1 + j));
  int64_t delay = static_cast<int64_t>(spread(rng_));
  delay = std::max(delay, retry_after_ns);
  interval_ns_ = std::min(interval_ns_ * std::max(options_.multiplier, 1.0), max_interval);
  if (options_.max_elapsed_ns > 0 && now_ns + delay - start_ns_ > options_.max_elapsed_ns) {
    return std::nullopt;
  }
  return delay;
}

}  // namespace hearth::exporter
