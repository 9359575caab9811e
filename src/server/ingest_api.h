#pragma once

// The ingest APIs, each decoding its protocol into IngestItems for the one IngestPipeline:
//
//   POST /ingest, /pyroscope/ingest          Pyroscope's legacy API (SDKs): pprof (raw or
//                                            multipart), folded, lines, JFR, speedscope
//   push.v1.PusherService/Push               Pyroscope's push API (Alloy, SDKs): pprof
//   parca.profilestore.v1alpha1.             Parca agents and scrapers: pprof
//     ProfileStoreService/WriteRaw
//
// The two RPCs are registered once on the RpcRegistry, which serves them as Connect
// (protobuf and JSON) and gRPC. RegisterIngestApis (server.h) installs all of them; the
// handlers are declared here so tests can call them without sockets.

#include "absl/status/statusor.h"
#include "parca/profilestore/v1alpha1/profilestore.pb.h"
#include "profile/pprof_codec.h"
#include "pyroscope/push/v1/push.pb.h"
#include "server/http.h"
#include "server/limits.h"
#include "server/rpc.h"
#include "server/server.h"

namespace hearth::server {

inline constexpr std::string_view kPushPath = "/push.v1.PusherService/Push";
inline constexpr std::string_view kWriteRawPath =
    "/parca.profilestore.v1alpha1.ProfileStoreService/WriteRaw";

// POST /ingest. 200 with an empty body when stored; otherwise the status of the error
// (400 bad parameters or body, 401/403 tenancy, 413 over a size limit, 429 rate limited
// with Retry-After) and a message saying what was wrong.
HttpResponse HandlePyroscopeIngest(const ServerParts& parts, const HttpRequest& req);

absl::StatusOr<::push::v1::PushResponse> HandlePush(const ServerParts& parts,
                                                    const CallContext& ctx,
                                                    const ::push::v1::PushRequest& req);

absl::StatusOr<::parca::profilestore::v1alpha1::WriteRawResponse> HandleWriteRaw(
    const ServerParts& parts, const CallContext& ctx,
    const ::parca::profilestore::v1alpha1::WriteRawRequest& req);

// The decoder limits of a tenant: the decompressed size of one profile is capped at
// max_decompressed_profile_bytes (raw or after gunzip).
profile::PprofLimits PprofLimitsFor(const TenantLimits& limits);

// Whether a pprof pushed by a client holds running totals: it has cumulative types (Go
// alloc_*, block/mutex contentions and delay) and no duration. Go's /debug/pprof/<x>?seconds=N
// answers with a delta and sets the duration, as does every delta producer we know (Parca's
// `:delta` is exactly "duration != 0"). `__delta__="false"` overrides it in the pipeline.
bool HoldsRunningTotals(const profile::Profile& p);

}  // namespace hearth::server
