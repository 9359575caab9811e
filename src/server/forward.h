#pragma once

// Forwarding, Collector style: every profile the server stores is also queued for each
// configured exporter (src/export), which sends it on to another Hearth, an OTLP receiver or
// Pyroscope. Configured by the `forward:` section:
//
//   forward:
//     queue_dir: ./hearth-data/forward     # default: <data_dir>/forward
//     max_queue_bytes: 1GiB                # per exporter, on disk
//     batch: {max_profiles: 100, max_delay: 1s}
//     retry: {initial_interval: 1s, max_interval: 30s, max_elapsed_time: 5m}
//     shutdown_timeout: 5s                 # how long Shutdown keeps sending
//     processors:
//       resource:                          # on series labels, in order
//         - {action: upsert, key: cluster, value: eu-1}
//         - {action: delete, key: pod}
//     exporters:
//       - {type: otlp_http, endpoint: http://other:4318, headers: {X-Scope-OrgID: team-a},
//          compression: gzip}
//       - {type: otlp_grpc, endpoint: other:4317}
//       - {type: pyroscope, endpoint: http://pyroscope:4040, name: pyro, timeout: 10s}
//
//   IngestPipeline ──stored──▶ Forwarder ──processor──▶ record ─┬▶ QueuedExporter ▶ receiver
//   (after the storage append)                 (encoded once)  ├▶ QueuedExporter ▶ receiver
//                                                              └▶ ...
//
// Each exporter has its own queue directory (<queue_dir>/<name>, the name sanitized) and
// its own drain thread, so a receiver that is down holds back only its own queue. A full
// queue drops the new profiles for that exporter (counted, logged once per episode); ingest
// never fails because of forwarding.
//
// The tenant travels as X-Scope-OrgID (metadata x-scope-orgid over gRPC) unless the
// exporter's headers set X-Scope-OrgID or Authorization themselves.
//
// Metrics: hearth_forward_exported_total{exporter}, hearth_forward_failed_total{exporter,
// reason} (reasons as QueuedExporterStats; `rejected` counts what the receiver refused one
// by one, for OTLP in its units: one OTLP profile per sample type),
// hearth_forward_queue_bytes{exporter}, hearth_forward_queue_profiles{exporter}.

#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "base/env.h"
#include "export/backoff.h"
#include "export/processor.h"
#include "export/queued_exporter.h"
#include "server/metrics.h"
#include "storage/backend.h"

namespace hearth::server {

struct ForwardExporterConfig {
  enum class Type { kOtlpHttp, kOtlpGrpc, kPyroscope };
  Type type = Type::kOtlpHttp;
  // In metrics and logs, and (sanitized) the queue's directory. Default:
  // "<type>/<endpoint without scheme>", e.g. "otlp_grpc/other:4317".
  std::string name;
  std::string endpoint;
  std::vector<std::pair<std::string, std::string>> headers;
  bool gzip = false;  // compression: gzip | none
  int64_t timeout_ns = 10'000'000'000;
};

struct ForwardConfig {
  std::string queue_dir;
  uint64_t max_queue_bytes = uint64_t{1} << 30;
  size_t max_batch_profiles = 100;
  int64_t max_delay_ns = 1'000'000'000;
  exporter::BackoffOptions retry;
  int64_t shutdown_timeout_ns = 5'000'000'000;
  std::vector<exporter::ResourceAction> resource_actions;
  std::vector<ForwardExporterConfig> exporters;
};

// Parses the `forward:` section (YAML text, as ServerConfig::forward_yaml keeps it). Errors
// name the key ("forward.exporters[1].endpoint: ...").
absl::StatusOr<ForwardConfig> ParseForwardConfig(std::string_view yaml,
                                                 const std::string& data_dir);

class Forwarder {
 public:
  // Opens every exporter's queue (replaying what an earlier run left) and starts sending.
  static absl::StatusOr<std::unique_ptr<Forwarder>> Start(const ForwardConfig& config, Env* env,
                                                          MetricsRegistry* metrics);
  ~Forwarder();

  // The IngestPipeline's stored hook: queues what was just stored for `tenant`.
  void Forward(const std::string& tenant, std::span<const storage::AppendRequest> stored);

  // Sends what it can within shutdown_timeout, keeps the rest on disk. Idempotent.
  void Shutdown();

 private:
  struct Queue {
    std::unique_ptr<exporter::QueuedExporter> exporter;
    std::atomic<bool> full{false};  // logged once per episode
  };
  Forwarder() = default;

  Env* env_ = nullptr;
  int64_t shutdown_timeout_ns_ = 0;
  exporter::ResourceProcessor processor_;
  // Shared with the metrics collector, which may outlive the Forwarder.
  std::shared_ptr<std::vector<std::unique_ptr<Queue>>> queues_;
  std::atomic<bool> shut_down_{false};
};

}  // namespace hearth::server
