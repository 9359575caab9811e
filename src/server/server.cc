#include "server/server.h"

#include <unistd.h>

#include <fstream>

#include "base/fmt.h"
#include "server/ui.h"
#include "storage/engine.h"

namespace hearth::server {
namespace {

double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

void RegisterStorageMetrics(MetricsRegistry& m, storage::Engine* engine) {
  MetricFamily& head = m.Gauge("hearth_storage_head_bytes", "Memory held by unflushed profiles.");
  MetricFamily& series = m.Gauge("hearth_storage_head_series", "Series in the in-memory head.");
  MetricFamily& blocks = m.Gauge("hearth_storage_blocks", "Block files, by resolution.", {"resolution"});
  MetricFamily& bytes = m.Gauge("hearth_storage_block_bytes", "Bytes of block files, by resolution.", {"resolution"});
  MetricFamily& wal = m.Gauge("hearth_storage_wal_bytes_written", "Bytes written to the WAL since start.");
  MetricFamily& syncs = m.Gauge("hearth_storage_wal_syncs", "WAL fsyncs since start.");
  MetricFamily& flushes = m.Gauge("hearth_storage_flushes", "Head flushes since start.");
  MetricFamily& compactions = m.Gauge("hearth_storage_compactions", "Compactions since start.");
  MetricFamily& corrupt = m.Gauge("hearth_storage_corrupt_blocks", "Blocks that failed their checksums at open.");
  MetricFamily& rss = m.Gauge("hearth_process_resident_memory_bytes", "Resident set size of the server.");
  m.OnCollect([=, &head, &series, &blocks, &bytes, &wal, &syncs, &flushes, &compactions, &corrupt, &rss] {
    const storage::EngineStats s = engine->stats();
    head.Set({}, static_cast<double>(s.head_bytes));
    series.Set({}, static_cast<double>(s.head_series));
    for (int r = 0; r < 3; ++r) {
      const std::string res(storage::ResolutionName(static_cast<storage::Resolution>(r)));
      blocks.Set({res}, static_cast<double>(s.blocks[r]));
      bytes.Set({res}, static_cast<double>(s.block_bytes[r]));
    }
    wal.Set({}, static_cast<double>(s.wal_bytes));
    syncs.Set({}, static_cast<double>(s.wal_syncs));
    flushes.Set({}, static_cast<double>(s.flushes));
    compactions.Set({}, static_cast<double>(s.compactions));
    corrupt.Set({}, static_cast<double>(s.corrupt_blocks));
    rss.Set({}, ResidentBytes());
  });
}

}  // namespace

absl::StatusOr<std::string> TenantOf(const ServerParts& parts, const HttpRequest& req) {
  return parts.tenancy->Resolve(req.Header("x-scope-orgid"), req.Header("authorization"));
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerConfig config, Env* env,
                                                     ServerHooks hooks) {
  std::unique_ptr<Server> s(new Server());
  s->config_ = std::move(config);
  const ServerConfig& c = s->config_;

  storage::EngineOptions eo;
  eo.dir = c.data_dir;
  eo.env = env;
  eo.head_max_bytes = c.head_max_bytes;
  eo.retention = c.retention;
  auto engine = storage::Engine::Open(std::move(eo));
  if (!engine.ok()) return engine.status();
  s->engine_ = std::move(*engine);

  s->metrics_ = std::make_unique<MetricsRegistry>();
  RegisterStorageMetrics(*s->metrics_, s->engine_.get());
  s->tenancy_ = std::make_unique<Tenancy>(c.tenancy);
  s->limits_ = std::make_unique<Limits>(c.limits);
  s->deltas_ = std::make_unique<DeltaTracker>();
  s->ingest_ = std::make_unique<IngestPipeline>(s->engine_.get(), s->limits_.get(),
                                                s->metrics_.get(), s->deltas_.get());
  if (!c.forward_yaml.empty()) {
    // Forwarding: what the pipeline stores is queued for every exporter (server/forward.h).
    auto fc = ParseForwardConfig(c.forward_yaml, c.data_dir);
    if (!fc.ok()) return fc.status();
    auto forwarder = Forwarder::Start(*fc, env, s->metrics_.get());
    if (!forwarder.ok()) return forwarder.status();
    s->forwarder_ = std::move(*forwarder);
    Forwarder* f = s->forwarder_.get();
    s->ingest_->SetStoredHook(
        [f](const std::string& tenant, std::span<const storage::AppendRequest> stored) {
          f->Forward(tenant, stored);
        });
  }
  s->rpc_ = std::make_unique<RpcRegistry>();

  HttpServerOptions ho;
  ho.host = c.http.host;
  ho.port = c.http.port;
  ho.threads = c.http_threads;
  ho.max_body_bytes = c.limits.defaults.max_body_bytes;
  ho.max_decoded_body_bytes = std::max<uint64_t>(c.limits.defaults.max_decompressed_profile_bytes,
                                                 c.limits.defaults.max_body_bytes);
  for (const auto& [_, l] : c.limits.overrides) {
    ho.max_body_bytes = std::max(ho.max_body_bytes, l.max_body_bytes);
    ho.max_decoded_body_bytes = std::max(ho.max_decoded_body_bytes, l.max_decompressed_profile_bytes);
  }
  auto http = HttpServer::Bind(ho);
  if (!http.ok()) return http.status();
  s->http_ = std::move(*http);
  if (c.otlp_http_enabled) {
    HttpServerOptions oo = ho;
    oo.host = c.otlp_http.host;
    oo.port = c.otlp_http.port;
    auto otlp = HttpServer::Bind(oo);
    if (!otlp.ok()) return otlp.status();
    s->otlp_http_ = std::move(*otlp);
  }

  ServerParts& p = s->parts_;
  p.config = &s->config_;
  p.env = env;
  p.http = s->http_.get();
  p.otlp_http = s->otlp_http_.get();
  p.rpc = s->rpc_.get();
  p.tenancy = s->tenancy_.get();
  p.limits = s->limits_.get();
  p.metrics = s->metrics_.get();
  p.ingest = s->ingest_.get();
  p.backend = s->engine_.get();

  MetricsRegistry* metrics = s->metrics_.get();
  s->http_->Handle("GET", "/metrics", [metrics](const HttpRequest&) {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics->Render();
    return r;
  });
  s->http_->Handle("GET", "/ready", [](const HttpRequest&) { return HttpResponse::Text(200, "ready\n"); });
  RegisterIngestApis(p);
  RegisterQueryApis(p);
  RegisterUi(*s->http_, BuiltUiAssets());  // GET /*: the web UI (exact API paths win)
  ServeConnect(*s->http_, *s->rpc_, *s->tenancy_);
  if (hooks.before_serving) {
    if (absl::Status hs = hooks.before_serving(p); !hs.ok()) return hs;
  }

  GrpcServerOptions go;
  go.host = c.grpc.host;
  go.port = c.grpc.port;
  go.max_message_bytes = static_cast<int>(std::min<uint64_t>(ho.max_decoded_body_bytes, INT32_MAX));
  auto grpc = GrpcServer::Start(go, *s->rpc_, *s->tenancy_);
  if (!grpc.ok()) return grpc.status();
  s->grpc_ = std::move(*grpc);

  s->http_->Start();
  if (s->otlp_http_ != nullptr) s->otlp_http_->Start();
  return s;
}

Server::~Server() { (void)Shutdown(); }

int Server::http_port() const { return http_->port(); }
int Server::grpc_port() const { return grpc_->port(); }
int Server::otlp_http_port() const { return otlp_http_ == nullptr ? 0 : otlp_http_->port(); }

absl::Status Server::Shutdown() {
  if (shut_down_) return absl::OkStatus();
  shut_down_ = true;
  if (http_ != nullptr) http_->Stop();
  if (otlp_http_ != nullptr) otlp_http_->Stop();
  if (grpc_ != nullptr) grpc_->Shutdown();
  // No request can add to the forwarding queues now: send what they hold (for at most the
  // configured shutdown_timeout; the rest stays on disk), before the store closes.
  if (forwarder_ != nullptr) forwarder_->Shutdown();
  return engine_ == nullptr ? absl::OkStatus() : engine_->Close();
}

}  // namespace hearth::server
