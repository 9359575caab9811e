#pragma once

// OTLP/gRPC: the unary call
//   /opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export
// through grpc++'s generic stub (the request is our own encoding, no generated stubs), one
// call per batch, optionally gzip-compressed. Headers become metadata (lower-cased names).
// UNAVAILABLE, RESOURCE_EXHAUSTED and DEADLINE_EXCEEDED are retryable; other codes
// permanent. partial_success is read as over HTTP.

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "export/exporter.h"

namespace grpc {
class Channel;
}

namespace hearth::exporter {

inline constexpr std::string_view kOtlpGrpcMethod =
    "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export";

struct GrpcExporterOptions {
  // host:port (plaintext), http://host:port (plaintext) or https://host:port (TLS with the
  // system's roots).
  std::string endpoint;
  // As metadata. With neither x-scope-orgid nor authorization here, the batch's tenant is
  // sent as x-scope-orgid.
  std::vector<std::pair<std::string, std::string>> headers;
  bool gzip = false;
  int64_t timeout_ns = 10'000'000'000;
  std::function<void(std::string_view)> log;  // default: stderr
};

class OtlpGrpcExporter final : public Exporter {
 public:
  static absl::StatusOr<std::unique_ptr<OtlpGrpcExporter>> Create(GrpcExporterOptions options);
  ~OtlpGrpcExporter() override;
  absl::Status Export(const Batch& batch) override;
  int64_t rejected_profiles() const override { return rejected_.load(); }

 private:
  OtlpGrpcExporter() = default;
  GrpcExporterOptions options_;
  std::string target_;
  bool sends_tenant_ = true;
  std::shared_ptr<grpc::Channel> channel_;
  std::atomic<int64_t> rejected_{0};
};

}  // namespace hearth::exporter
