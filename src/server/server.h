#pragma once

// `hearth server`: the embedded store behind the ingest and query APIs.
//
//   HTTP :4040  ── /ingest, /pyroscope/ingest, Connect (push.v1, querier.v1), /pyroscope/render,
//                  /api/v1/... (Hearth's JSON API), /metrics, /ready, the UI
//   gRPC :4317  ── push.v1, Parca ProfileStoreService/QueryService, OTLP
//   HTTP :4318  ── OTLP/HTTP (POST /v1development/profiles, also served on :4040)
//        │
//   IngestPipeline ─▶ storage::Engine (WAL, head, blocks) ◀── queries
//
// The API modules register themselves on the parts (RegisterIngestApis, RegisterQueryApis)
// before the listeners start.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "base/env.h"
#include "server/config.h"
#include "server/delta.h"
#include "server/forward.h"
#include "server/grpc_server.h"
#include "server/http.h"
#include "server/limits.h"
#include "server/metrics.h"
#include "server/pipeline.h"
#include "server/rpc.h"
#include "server/tenancy.h"
#include "storage/backend.h"

namespace hearth::server {

// What an API module needs to serve requests. Owned by Server; valid while it runs.
struct ServerParts {
  const ServerConfig* config = nullptr;
  Env* env = nullptr;
  HttpServer* http = nullptr;       // the main HTTP port
  HttpServer* otlp_http = nullptr;  // the OTLP/HTTP port (may be null)
  RpcRegistry* rpc = nullptr;
  Tenancy* tenancy = nullptr;
  Limits* limits = nullptr;
  MetricsRegistry* metrics = nullptr;
  IngestPipeline* ingest = nullptr;
  storage::Backend* backend = nullptr;
};

// Resolves the tenant of an HTTP request (X-Scope-OrgID, Authorization).
absl::StatusOr<std::string> TenantOf(const ServerParts& parts, const HttpRequest& req);

// Lets the program that embeds the server add what the server itself does not depend on
// (the scraper's targets page, API and metrics): called with every part ready, after the
// built-in APIs are registered and before any port serves. An error stops Start.
struct ServerHooks {
  std::function<absl::Status(ServerParts& parts)> before_serving;
};

class Server {
 public:
  // Opens the store (replaying its WAL), binds every port, registers the APIs and starts
  // serving. Ports given as 0 are chosen by the kernel (see the accessors).
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerConfig config, Env* env,
                                                       ServerHooks hooks = {});
  ~Server();

  int http_port() const;
  int grpc_port() const;
  int otlp_http_port() const;  // 0 when disabled

  // Graceful: stop accepting, finish in-flight requests, flush the store.
  absl::Status Shutdown();

  const ServerParts& parts() const { return parts_; }

 private:
  Server() = default;
  ServerConfig config_;
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<Tenancy> tenancy_;
  std::unique_ptr<Limits> limits_;
  std::unique_ptr<DeltaTracker> deltas_;
  std::unique_ptr<IngestPipeline> ingest_;
  std::unique_ptr<Forwarder> forwarder_;  // null without a `forward:` section
  std::unique_ptr<RpcRegistry> rpc_;
  std::unique_ptr<HttpServer> http_, otlp_http_;
  std::unique_ptr<GrpcServer> grpc_;
  ServerParts parts_;
  bool shut_down_ = false;
};

// Implemented by the API modules.
void RegisterIngestApis(ServerParts& parts);
// The OTLP Profiles receiver (ingest_otlp.h); RegisterIngestApis calls it.
void RegisterOtlpIngest(ServerParts& parts);
void RegisterQueryApis(ServerParts& parts);

}  // namespace hearth::server
