#pragma once

// Pyroscope's legacy ingest API, one request per profile:
//
//   POST <endpoint>/ingest?name=<service_name>{k=v,...}&from=<s>&until=<s>&format=pprof
//        &spyName=<pyroscope_spy>          body: gzipped pprof
//
// The name is Pyroscope's `app{k=v,...}` without quotes: `service_name` is the app, the
// other labels go in the braces, except reserved `__*` labels (the receiver names the
// profile family from its sample types, as it did for the original upload) and
// `pyroscope_spy` (sent as spyName). Characters the syntax cannot carry (`{ } , =` in
// values, anything but [A-Za-z0-9_.-/] in the app name) become '_'. from/until are the
// profile's time and time + duration in seconds.
//
// A refused profile (400, 413 ...) is logged, counted (rejected_profiles) and skipped; a
// retryable failure stops the batch and reports how many profiles went through before it
// (WithItemsSent), so a retry does not send them twice.

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "export/exporter.h"
#include "export/http_client.h"

namespace hearth::exporter {

class PyroscopeExporter final : public Exporter {
 public:
  static absl::StatusOr<std::unique_ptr<PyroscopeExporter>> Create(HttpExporterOptions options);
  absl::Status Export(const Batch& batch) override;
  int64_t rejected_profiles() const override { return rejected_.load(); }

 private:
  PyroscopeExporter() = default;
  HttpExporterOptions options_;
  std::unique_ptr<HttpPoster> poster_;
  std::atomic<int64_t> rejected_{0};
};

// `service{k=v,...}` for a series (exposed for tests).
std::string PyroscopeAppName(const Labels& labels);
// The /ingest path and query string for one profile.
std::string PyroscopeIngestTarget(const Labels& labels, const profile::Profile& p);

}  // namespace hearth::exporter
