#include "server/limits.h"

#include <algorithm>
#include <cmath>

#include "base/fmt.h"
#include "base/rpc_status.h"

namespace hearth::server {

Limits::Limits(LimitsConfig config) : config_(std::move(config)) {}

const TenantLimits& Limits::For(const std::string& tenant) const {
  auto it = config_.overrides.find(tenant);
  return it == config_.overrides.end() ? config_.defaults : it->second;
}

absl::Status Limits::ChargeIngest(const std::string& tenant, uint64_t bytes) {
  const TenantLimits& l = For(tenant);
  if (l.ingestion_rate_bytes <= 0) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& b = buckets_[tenant];
  const auto now = std::chrono::steady_clock::now();
  if (b.tokens < 0) {
    b.tokens = l.ingestion_burst_bytes;
  } else {
    const double secs = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(l.ingestion_burst_bytes, b.tokens + secs * l.ingestion_rate_bytes);
  }
  b.last = now;
  const double need = static_cast<double>(bytes);
  if (need <= b.tokens) {
    b.tokens -= need;
    return absl::OkStatus();
  }
  // A single request larger than the burst can never pass: say so rather than "retry".
  if (need > l.ingestion_burst_bytes) {
    return absl::ResourceExhaustedError(fmt::format(
        "request of {} bytes is larger than tenant {}'s ingestion burst of {:.0f} bytes",
        bytes, tenant, l.ingestion_burst_bytes));
  }
  const double wait_s = (need - b.tokens) / l.ingestion_rate_bytes;
  return WithRetryDelay(
      absl::ResourceExhaustedError(fmt::format(
          "tenant {} is over its ingestion rate of {:.0f} bytes/s (burst {:.0f}); retry in {:.1f}s",
          tenant, l.ingestion_rate_bytes, l.ingestion_burst_bytes, wait_s)),
      static_cast<int64_t>(std::ceil(wait_s * 1e9)));
}

absl::Status Limits::AdmitSeries(const std::string& tenant, uint64_t series_hash) {
  const TenantLimits& l = For(tenant);
  std::lock_guard<std::mutex> lock(mu_);
  auto& seen = series_[tenant];
  if (seen.contains(series_hash)) return absl::OkStatus();
  if (seen.size() >= l.max_series_per_tenant) {
    return absl::ResourceExhaustedError(fmt::format(
        "tenant {} has reached its limit of {} series; drop a high-cardinality label",
        tenant, l.max_series_per_tenant));
  }
  seen.insert(series_hash);
  return absl::OkStatus();
}

}  // namespace hearth::server
