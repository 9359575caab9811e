#pragma once

// OTLP/HTTP: POST <endpoint>/v1development/profiles with an ExportProfilesServiceRequest
// (application/x-protobuf, optionally gzipped), one request per batch. Each series' labels
// become its profile's resource attributes (OtlpResource); each profile's sample types
// become OTLP Profiles sharing one dictionary (formats::EncodeOtlpRequest).
//
// 200 with partial_success: the request is done; refused profiles are counted
// (rejected_profiles) and the receiver's message logged. 429/502/503/504 and connection
// errors are retryable (with Retry-After); other statuses permanent.

#include <atomic>
#include <memory>

#include "absl/status/statusor.h"
#include "export/exporter.h"
#include "export/http_client.h"

namespace hearth::exporter {

inline constexpr std::string_view kOtlpHttpPath = "/v1development/profiles";

class OtlpHttpExporter final : public Exporter {
 public:
  static absl::StatusOr<std::unique_ptr<OtlpHttpExporter>> Create(HttpExporterOptions options);
  absl::Status Export(const Batch& batch) override;
  int64_t rejected_profiles() const override { return rejected_.load(); }

 private:
  OtlpHttpExporter() = default;
  HttpExporterOptions options_;
  std::unique_ptr<HttpPoster> poster_;
  std::atomic<int64_t> rejected_{0};
};

// The request body for a batch (shared with the gRPC exporter).
std::string EncodeOtlpBatch(const Batch& batch);

}  // namespace hearth::exporter
