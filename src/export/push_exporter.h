#pragma once

// Pyroscope's push.v1 PusherService/Push (Connect, JSON), one request per batch:
//
//   POST <endpoint>/push.v1.PusherService/Push     application/json
//   {"series": [{"labels": [{"name": "__name__", "value": "mutex"}, ..., {"name": "__delta__",
//                "value": "false"}],
//                "samples": [{"rawProfile": "<base64 of gzipped pprof>"}]}, ...]}
//
// Hearth and Pyroscope both serve it. Unlike /ingest it carries every label, `__name__`
// included (Go's block and mutex profiles have the same sample types: only the name tells
// them apart). Exported profiles are already "during this interval", so every series says
// `__delta__: false` and the receiver stores values as sent. 429/502/503/504 and connection
// errors are retryable (with Retry-After); other statuses drop the batch.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "export/exporter.h"
#include "export/http_client.h"

namespace hearth::exporter {

inline constexpr std::string_view kPushPath = "/push.v1.PusherService/Push";

class PushExporter final : public Exporter {
 public:
  static absl::StatusOr<std::unique_ptr<PushExporter>> Create(HttpExporterOptions options);
  absl::Status Export(const Batch& batch) override;

 private:
  PushExporter() = default;
  std::unique_ptr<HttpPoster> poster_;
};

// The request body for a batch (exposed for tests).
std::string EncodePushBatch(const Batch& batch);

}  // namespace hearth::exporter
