#pragma once

// The one validated ingest path. Every protocol (Pyroscope /ingest and Push, Parca WriteRaw,
// OTLP, scraping) decodes its request into IngestItems and hands them here:
//
//   labels: strip reserved __*__ (keeping __name__), default service_name, check names,
//           counts and lengths   ─▶  profile: sample count, zero samples dropped
//   ─▶ cumulative values become deltas (DeltaTracker)  ─▶ series limit ─▶ rate limit
//   ─▶ storage Append (durable)  ─▶  metrics  ─▶  stored hook (forwarding, if configured)
//
// A call is all-or-nothing: one bad item rejects the request with an error naming it.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "profile/profile.h"
#include "server/delta.h"
#include "server/limits.h"
#include "server/metrics.h"
#include "storage/backend.h"

namespace hearth::server {

struct IngestItem {
  storage::Labels labels;  // as the protocol gave them (unsorted is fine)
  profile::Profile profile;
  // The pprof bytes the profile came from, if it came as pprof: stored in the WAL as they
  // are when the pipeline doesn't change the profile.
  std::string pprof;
  // Values of cumulative types (Go alloc_*, block, mutex) are running totals to be turned
  // into deltas. Protocols set it; a `__delta__="false"` label clears it.
  bool cumulative = false;
  int64_t ts_ns = 0;  // when the profile has no time of its own (0: now)
};

struct IngestResult {
  uint64_t profiles = 0;  // stored (a cumulative baseline stores nothing)
  uint64_t samples = 0;
};

class IngestPipeline {
 public:
  IngestPipeline(storage::Backend* backend, Limits* limits, MetricsRegistry* metrics,
                 DeltaTracker* deltas);

  // `api` names the protocol in metrics ("ingest", "push", "writeraw", "otlp", "scrape").
  // `request_bytes` is what the rate limit charges. A ResourceExhausted from the rate limit
  // carries a RetryInfo delay (base/rpc_status.h) for Retry-After headers and gRPC details.
  absl::StatusOr<IngestResult> Ingest(const std::string& tenant, std::string_view api,
                                      std::vector<IngestItem> items, uint64_t request_bytes);

  // Counts a request refused before it reached Ingest (bad parameters or body, too large,
  // unauthenticated) under hearth_ingest_rejected_total{reason}, and returns `s`.
  absl::Status Reject(const std::string& tenant, std::string_view api, std::string_view reason,
                      absl::Status s);

  // Called on the ingest thread after every successful storage append, with exactly what
  // was stored: normalized labels, profiles after delta computation. It cannot fail or
  // change the request (forwarding queues a copy; see server/forward.h). Set before serving.
  using StoredHook = std::function<void(const std::string& tenant,
                                        std::span<const storage::AppendRequest> stored)>;
  void SetStoredHook(StoredHook hook) { stored_hook_ = std::move(hook); }

 private:
  storage::Backend* backend_;
  Limits* limits_;
  MetricsRegistry* metrics_;
  DeltaTracker* deltas_;
  MetricFamily& profiles_total_;
  MetricFamily& samples_total_;
  MetricFamily& bytes_total_;
  MetricFamily& rejected_total_;
  MetricFamily& duration_;
  StoredHook stored_hook_;
};

// Label names: [a-zA-Z_][a-zA-Z0-9_.]* (dots allowed, as Pyroscope 2 does).
absl::Status ValidateLabelName(std::string_view name);

}  // namespace hearth::server
