#pragma once

// Per-tenant limits, Pyroscope-like by default, each overridable per tenant in the config.
// Every rejection is a specific error the client can act on; rate limiting is a token
// bucket over ingested bytes and answers ResourceExhausted with the seconds to wait.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"

namespace hearth::server {

struct TenantLimits {
  uint64_t max_body_bytes = uint64_t{16} << 20;              // one request, as sent
  uint64_t max_decompressed_profile_bytes = uint64_t{64} << 20;
  uint64_t max_samples_per_profile = 16000;
  uint64_t max_labels_per_series = 30;
  uint64_t max_label_name_length = 1024;
  uint64_t max_label_value_length = 2048;
  double ingestion_rate_bytes = 4.0 * (1 << 20);  // per second
  double ingestion_burst_bytes = 8.0 * (1 << 20);
  uint64_t max_series_per_tenant = 50000;  // distinct series seen since start
};

struct LimitsConfig {
  TenantLimits defaults;
  std::map<std::string, TenantLimits> overrides;
};

class Limits {
 public:
  explicit Limits(LimitsConfig config);
  const TenantLimits& For(const std::string& tenant) const;

  // Takes `bytes` from the tenant's bucket, or returns ResourceExhausted saying when to retry
  // (a RetryInfo delay, base/rpc_status.h, unless the request can never fit).
  absl::Status ChargeIngest(const std::string& tenant, uint64_t bytes);
  // Counts a series; ResourceExhausted once the tenant has max_series_per_tenant others.
  absl::Status AdmitSeries(const std::string& tenant, uint64_t series_hash);

 private:
  struct Bucket {
    double tokens = -1;  // -1: not initialised (starts full)
    std::chrono::steady_clock::time_point last;
  };
  LimitsConfig config_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
  std::map<std::string, absl::flat_hash_set<uint64_t>> series_;
};

}  // namespace hearth::server
