#pragma once

// The OTLP Profiles receiver (opentelemetry-proto v1.11.0, package v1development):
//
//   gRPC  /opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export  :4317
//         (also served as Connect on :4040, as every RpcRegistry method is)
//   POST  /v1development/profiles    on the OTLP/HTTP port :4318 and on the main port :4040
//         Content-Type application/x-protobuf | application/protobuf | application/json,
//         Content-Encoding gzip or none
//
// One request becomes one IngestPipeline call (api "otlp"), one IngestItem per OTLP Profile:
//
//   OTLP Profile ──formats::DecodeOtlp(Json)Request──▶ OtlpProfile{labels, profile, where}
//        series labels = its resource/scope/profile attributes (service.name -> service_name)
//                        + __name__ = OtlpProfileName(profile), or a `__name__` attribute
//        values stored as sent (OTLP profiles are deltas, as Pyroscope marks them)
//
// Profiles the decoder refuses one by one are left out and reported in the response's
// partial_success {rejected_profiles, error_message}; a request with nothing left is a 400.
// Errors answer a google.rpc.Status in the request's encoding (OTLP/HTTP spec):
//
//   400 undecodable request, every profile refused, bad labels     401/403 tenancy
//   413 over max_body_bytes as sent, or max_decompressed_profile_bytes decoded
//   415 another Content-Type       429 rate or series limit (rate: Retry-After + RetryInfo)
//   503 storage unavailable

#include <string>
#include <string_view>

#include "profile/profile.h"
#include "server/http.h"
#include "server/rpc.h"
#include "server/server.h"

namespace hearth::server {

inline constexpr std::string_view kOtlpExportPath =
    "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export";
inline constexpr std::string_view kOtlpHttpPath = "/v1development/profiles";

// POST /v1development/profiles.
HttpResponse HandleOtlpHttp(const ServerParts& parts, const HttpRequest& req);

// ProfilesService/Export with a binary (json = false) or OTLP/JSON request; returns the
// ExportProfilesServiceResponse in the same encoding.
absl::StatusOr<std::string> HandleOtlpExport(const ServerParts& parts, const CallContext& ctx,
                                             std::string_view request, bool json);

// The profile family (`__name__`) of one OTLP profile. OTLP sends each sample type as a
// profile of its own, so a plain count ("samples", "sample") arrives without the sibling
// that names its family in pprof; its period type does: cpu -> process_cpu, wall -> wall,
// space -> memory. Otherwise as storage::GuessProfileName (cpu, alloc_*/inuse_* ...), and
// off_cpu (the eBPF profiler's off-CPU time) -> off_cpu.
std::string OtlpProfileName(const profile::Profile& p);

}  // namespace hearth::server
