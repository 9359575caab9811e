#pragma once

// Sending stored profiles somewhere else, the OpenTelemetry Collector way:
//
//   Forwarder (server) ─▶ ResourceProcessor ─▶ QueuedExporter ─┬▶ OtlpHttpExporter
//   agent ──────────────────────────────────▶ (disk queue,    ├▶ OtlpGrpcExporter
//   standalone scraper ─────────────────────▶  batches,       ├▶ PyroscopeExporter (/ingest)
//                                               retries)       └▶ PushExporter (push.v1)
//
// An Exporter sends one Batch synchronously and says how it went. Its status decides what
// the queue does with the batch (IsRetryable): Unavailable, ResourceExhausted and
// DeadlineExceeded mean "the receiver is down or busy, try again later" (optionally after
// the delay the receiver asked for: a RetryInfo delay, base/rpc_status.h); anything else means "the receiver
// refused this data and will refuse it again", and the batch is dropped.
//
// The namespace is `exporter`, not `export` (a C++ keyword), for the src/export component.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "profile/profile.h"

namespace hearth::exporter {

// A series' labels: `__name__` (the profile family), `service_name` and the rest. The same
// shape as storage::Labels; order does not matter here.
using Labels = std::vector<std::pair<std::string, std::string>>;

struct BatchItem {
  Labels labels;
  profile::Profile profile;
};

// Profiles of one tenant, in the order they were stored.
struct Batch {
  std::string tenant;
  std::vector<BatchItem> items;
};

class Exporter {
 public:
  virtual ~Exporter() = default;
  // Sends the batch; OK once the receiver accepted it. Thread-compatible: the queue calls it
  // from one thread.
  virtual absl::Status Export(const Batch& batch) = 0;
  // Profiles a receiver accepted the request for but refused one by one (OTLP
  // partial_success), since the exporter was made.
  virtual int64_t rejected_profiles() const { return 0; }
};

// Whether the queue should try a batch again after this error.
bool IsRetryable(const absl::Status& status);


// An error from an exporter that sends a batch item by item: the first `items` were
// delivered before it, and a retry must start after them.
absl::Status WithItemsSent(absl::Status status, size_t items);
size_t ItemsSent(const absl::Status& status);

// An OTLP ExportProfilesServiceResponse's partial_success.
struct PartialSuccess {
  int64_t rejected_profiles = 0;
  std::string error_message;
};
// Unparseable bytes count as no partial success (the receiver took the request).
PartialSuccess ParseExportResponse(std::string_view bytes);
// The message of a google.rpc.Status (OTLP/HTTP error bodies), or "" if it is not one.
std::string RpcStatusMessage(std::string_view bytes);

// Where exporters' messages go when their options name no log function.
void LogToStderr(std::string_view who, std::string_view message);

// HTTP status -> canonical code, as OTLP/HTTP prescribes: 429 ResourceExhausted, 502 and 503
// Unavailable, 504 DeadlineExceeded (all retryable); other codes permanent.
absl::StatusCode CodeForHttpStatus(int http_status);

// A `Retry-After` header value: delta-seconds or an IMF-fixdate, as nanoseconds from now_ns.
std::optional<int64_t> ParseRetryAfter(std::string_view value, int64_t now_ns);

// Series labels -> OTLP resource attributes: `service_name` becomes `service.name`, the
// others keep their names. `__name__` goes along: Hearth's receiver takes the family from it
// (others name it from the sample types).
std::vector<std::pair<std::string, std::string>> OtlpResource(const Labels& labels);

// The first value of a label, or "".
std::string_view LabelValue(const Labels& labels, std::string_view name);

}  // namespace hearth::exporter
