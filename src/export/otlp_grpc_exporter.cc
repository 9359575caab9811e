#include "export/otlp_grpc_exporter.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <future>

#include "base/fmt.h"
#include "base/strings.h"
#include "base/rpc_status.h"
#include "export/otlp_http_exporter.h"

namespace hearth::exporter {
namespace {

// The call's failure as a status the queue understands (exporter.h).
absl::Status FromGrpc(const grpc::Status& s, std::string_view target) {
  // absl's codes are gRPC's codes.
  absl::Status out(static_cast<absl::StatusCode>(s.error_code()),
                   fmt::format("{} {}: {}", target, kOtlpGrpcMethod, s.error_message()));
  std::optional<int64_t> delay;
  if (!s.error_details().empty()) {
    if (auto details = DecodeRpcStatus(s.error_details())) delay = RetryDelay(*details);
  }
  // OTLP: RESOURCE_EXHAUSTED is worth retrying only when the receiver says when (RetryInfo);
  // without it the receiver refuses this data for good (e.g. larger than it ever accepts).
  if (out.code() == absl::StatusCode::kResourceExhausted && !delay) {
    return absl::FailedPreconditionError(
        fmt::format("{} (RESOURCE_EXHAUSTED without RetryInfo: not retried)", std::string(out.message())));
  }
  return delay ? WithRetryDelay(std::move(out), *delay) : out;
}

}  // namespace

OtlpGrpcExporter::~OtlpGrpcExporter() = default;

absl::StatusOr<std::unique_ptr<OtlpGrpcExporter>> OtlpGrpcExporter::Create(
    GrpcExporterOptions options) {
  std::unique_ptr<OtlpGrpcExporter> e(new OtlpGrpcExporter());
  std::string_view target = options.endpoint;
  bool tls = false;
  if (target.starts_with("https://")) {
    tls = true;
    target.remove_prefix(8);
  } else if (target.starts_with("http://")) {
    target.remove_prefix(7);
  } else if (target.find("://") != std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("endpoint \"{}\": expected host:port, http://host:port or https://host:port",
                    options.endpoint));
  }
  while (target.ends_with('/')) target.remove_suffix(1);
  if (target.empty() || target.find('/') != std::string_view::npos) {
    return absl::InvalidArgumentError(fmt::format(
        "endpoint \"{}\": expected host:port (gRPC has no path prefix)", options.endpoint));
  }
  e->target_ = std::string(target);
  for (auto& [k, v] : options.headers) {
    k = AsciiLower(k);
    if (k == "x-scope-orgid" || k == "authorization") e->sends_tenant_ = false;
  }
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(-1);
  // Our queue retries on its own schedule; a channel that waits minutes before reconnecting
  // to a receiver that came back would make those retries fail for nothing.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  e->channel_ = grpc::CreateCustomChannel(e->target_,
                                          tls ? grpc::SslCredentials(grpc::SslCredentialsOptions())
                                              : grpc::InsecureChannelCredentials(),
                                          args);
  e->options_ = std::move(options);
  return e;
}

absl::Status OtlpGrpcExporter::Export(const Batch& batch) {
  if (batch.items.empty()) return absl::OkStatus();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::nanoseconds(options_.timeout_ns));
  for (const auto& [k, v] : options_.headers) ctx.AddMetadata(k, v);
  if (sends_tenant_ && !batch.tenant.empty()) ctx.AddMetadata("x-scope-orgid", batch.tenant);
  if (options_.gzip) ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);

  const std::string body = EncodeOtlpBatch(batch);
  grpc::Slice slice(body);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::GenericStub stub(channel_);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, std::string(kOtlpGrpcMethod), grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  const grpc::Status s = done.get_future().get();
  if (!s.ok()) return FromGrpc(s, target_);
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (const grpc::Slice& sl : slices)
    bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  const PartialSuccess ps = ParseExportResponse(bytes);
  if (ps.rejected_profiles > 0 || !ps.error_message.empty()) {
    rejected_ += ps.rejected_profiles;
    const std::string m = fmt::format("{}: the receiver refused {} of the batch's profiles: {}",
                                      target_, ps.rejected_profiles, ps.error_message);
    if (options_.log) {
      options_.log(m);
    } else {
      LogToStderr("otlp_grpc", m);
    }
  }
  return absl::OkStatus();
}

}  // namespace hearth::exporter
