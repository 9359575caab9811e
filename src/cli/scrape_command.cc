#include "cli/scrape_command.h"

#include <signal.h>

#include <cstdio>
#include <string>

#include "base/env.h"
#include "base/file.h"
#include "base/fmt.h"
#include "export/push_exporter.h"
#include "export/queued_exporter.h"
#include "scrape/config.h"
#include "server/http.h"
#include "server/delta.h"
#include "server/pipeline.h"

namespace hearth::cli {
namespace {

void RegisterStatusRoutes(server::HttpServer& http, std::shared_ptr<ScrapeHolder> holder) {
  http.Handle("GET", "/api/v1/targets", [holder](const server::HttpRequest&) {
    return server::HttpResponse::Json(
        holder->With([](scrape::Manager& m) { return m.TargetsJson(); },
                     R"({"status":"success","data":{"activeTargets":[],"droppedTargets":[]}})"));
  });
  http.Handle("GET", "/targets", [holder](const server::HttpRequest&) {
    server::HttpResponse r;
    r.content_type = "text/html; charset=utf-8";
    r.body = holder->With([](scrape::Manager& m) { return m.TargetsHtml(); },
                          "<!doctype html><p>No scrape_configs.</p>\n");
    return r;
  });
}

}  // namespace

server::ServerHooks ScrapeServerHooks(std::shared_ptr<ScrapeHolder> holder) {
  server::ServerHooks hooks;
  hooks.before_serving = [holder](server::ServerParts& parts) {
    RegisterStatusRoutes(*parts.http, holder);
    parts.metrics->AddTextSource(
        [holder] { return holder->With([](scrape::Manager& m) { return m.MetricsText(); }, ""); });
    return absl::OkStatus();
  };
  return hooks;
}

absl::StatusOr<std::unique_ptr<scrape::Manager>> StartServerScraper(
    const server::ServerParts& parts) {
  if (parts.config->scrape_configs_yaml.empty()) return nullptr;
  auto configs = scrape::ParseScrapeConfigs(parts.config->scrape_configs_yaml);
  if (!configs.ok())
    return absl::InvalidArgumentError(fmt::format("config: {}", configs.status().message()));
  if (configs->empty()) return nullptr;
  server::IngestPipeline* ingest = parts.ingest;
  const std::string default_tenant = parts.config->tenancy.default_tenant;
  // Scraped profiles take the path pushed ones take: labels checked, limits, cumulative
  // values to deltas (baseline first, re-based on a counter reset), durable append.
  auto sink = [ingest, default_tenant](scrape::ScrapedProfile sp) -> absl::Status {
    server::IngestItem item;
    item.labels = std::move(sp.labels);
    item.profile = std::move(sp.profile);
    item.pprof = std::move(sp.pprof);
    item.cumulative = sp.cumulative;
    item.ts_ns = sp.start_ns;
    const uint64_t bytes = item.pprof.size();
    std::vector<server::IngestItem> items;
    items.push_back(std::move(item));
    auto r = ingest->Ingest(sp.tenant.empty() ? default_tenant : sp.tenant, "scrape",
                            std::move(items), bytes);
    return r.status();
  };
  return scrape::Manager::Start(std::move(*configs), sink);
}

namespace {

// The standalone scraper's outbox: running totals become deltas here, with the server's
// rules (baseline first, re-based on a counter reset), so every queued profile means "during
// its interval" and can wait in the queue, be retried or replayed after a restart without
// depending on the receiver's delta state.
class ScrapeOutbox {
 public:
  explicit ScrapeOutbox(exporter::QueuedExporter* queue) : queue_(queue) {}

  absl::Status Push(scrape::ScrapedProfile sp) {
    profile::Profile p = std::move(sp.profile);
    if (sp.start_ns > 0 && sp.end_ns > sp.start_ns) {
      p.time_nanos = sp.start_ns;
      p.duration_nanos = sp.end_ns - sp.start_ns;
    }
    if (sp.cumulative) {
      bool baseline = false;
      p = delta_.ToDelta(server::DeltaSeriesKey(sp.tenant, sp.labels), std::move(p), &baseline);
    }
    exporter::Batch batch;
    batch.tenant = std::move(sp.tenant);
    batch.items.push_back({std::move(sp.labels), std::move(p)});
    return queue_->Enqueue(batch);
  }

 private:
  exporter::QueuedExporter* queue_;
  server::DeltaTracker delta_;
};

// The push queue on the standalone scraper's /metrics.
std::string PushMetrics(const exporter::QueuedExporterStats& s) {
  std::string m = fmt::format(
      "# HELP hearth_push_exported_total Profiles the receiver accepted.\n"
      "# TYPE hearth_push_exported_total counter\n"
      "hearth_push_exported_total {}\n"
      "# HELP hearth_push_failed_total Profiles not delivered (retryable: per attempt).\n"
      "# TYPE hearth_push_failed_total counter\n",
      s.exported_profiles);
  for (const auto& [reason, n] : s.failed_profiles)
    m += fmt::format("hearth_push_failed_total{{reason=\"{}\"}} {}\n", reason, n);
  m += fmt::format(
      "# HELP hearth_push_queue_bytes Bytes waiting to be pushed.\n"
      "# TYPE hearth_push_queue_bytes gauge\n"
      "hearth_push_queue_bytes {}\n"
      "# HELP hearth_push_queue_profiles Profiles waiting to be pushed.\n"
      "# TYPE hearth_push_queue_profiles gauge\n"
      "hearth_push_queue_profiles {}\n",
      s.queue_bytes, s.queue_profiles);
  return m;
}

struct ScrapeFlags {
  std::string config;
  std::string push;
  std::string queue_dir;
  std::string http_addr;
  int concurrency = 16;
  int windowed = 256;
};

int Fail(const absl::Status& s) {
  fmt::print(stderr, "hearth scrape: {}\n", s.message());
  return 1;
}

int RunScrape(const ScrapeFlags& f) {
  auto text = ReadFile(f.config, 16 << 20);
  if (!text.ok()) return Fail(text.status());
  auto file = scrape::ParseScraperFile(*text);
  if (!file.ok())
    return Fail(
        absl::InvalidArgumentError(fmt::format("{}: {}", f.config, file.status().message())));
  const std::string endpoint = f.push.empty() ? file->push_endpoint : f.push;
  if (endpoint.empty())
    return Fail(
        absl::InvalidArgumentError("no server to push to: give --push URL or push.endpoint"));
  if (file->scrape_configs.empty())
    return Fail(absl::InvalidArgumentError(fmt::format("{}: no scrape_configs", f.config)));

  // Blocked before any thread starts, so every thread inherits the mask and only sigwait
  // below takes them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  exporter::HttpExporterOptions eo;
  eo.endpoint = endpoint;
  eo.headers = file->push_headers;
  auto exp = exporter::PushExporter::Create(eo);
  if (!exp.ok()) return Fail(exp.status());
  // Pyroscope's push.v1 Push, which Hearth and Pyroscope both serve: it carries __name__
  // (Go's block and mutex profiles have the same sample types; only the name tells them
  // apart). Profiles wait in a bounded queue (on disk with a queue_dir) while the receiver
  // is down, and are retried with backoff.
  const std::unique_ptr<Env> env = NewPosixEnv();
  exporter::QueuedExporterOptions qo;
  qo.name = "push";
  qo.env = env.get();
  const std::string queue_dir = f.queue_dir.empty() ? file->push_queue_dir : f.queue_dir;
  qo.queue_dir = queue_dir;
  qo.max_queue_bytes = file->push_max_queue_bytes;
  qo.log = [](std::string_view m) { fmt::print(stderr, "hearth scrape: push: {}\n", m); };
  auto queue = exporter::QueuedExporter::Open(std::move(*exp), std::move(qo));
  if (!queue.ok()) return Fail(queue.status());
  (*queue)->Start();

  auto outbox = std::make_shared<ScrapeOutbox>(queue->get());
  auto sink = [outbox](scrape::ScrapedProfile sp) { return outbox->Push(std::move(sp)); };
  scrape::ManagerOptions mo;
  mo.max_concurrent_scrapes = f.concurrency;
  mo.max_concurrent_windowed = f.windowed;
  auto manager = scrape::Manager::Start(std::move(file->scrape_configs), sink, mo);
  if (!manager.ok()) return Fail(manager.status());

  std::unique_ptr<server::HttpServer> http;
  if (!f.http_addr.empty()) {
    auto addr = server::ParseListenAddress(f.http_addr);
    if (!addr.ok()) return Fail(addr.status());
    server::HttpServerOptions ho;
    ho.host = addr->host;
    ho.port = addr->port;
    ho.threads = 8;
    auto h = server::HttpServer::Bind(ho);
    if (!h.ok()) return Fail(h.status());
    http = std::move(*h);
    auto holder = std::make_shared<ScrapeHolder>();
    holder->Set(manager->get());
    RegisterStatusRoutes(*http, holder);
    scrape::Manager* m = manager->get();
    exporter::QueuedExporter* q = queue->get();
    http->Handle("GET", "/metrics", [m, q](const server::HttpRequest&) {
      server::HttpResponse r;
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = m->MetricsText() + PushMetrics(q->stats());
      return r;
    });
    http->Handle("GET", "/ready", [](const server::HttpRequest&) {
      return server::HttpResponse::Text(200, "ready\n");
    });
    http->Start();
    fmt::print(stderr, "hearth scrape: pushing to {}; targets on http :{}/targets\n", endpoint,
               http->port());
  } else {
    fmt::print(stderr, "hearth scrape: pushing to {}\n", endpoint);
  }
  int sig = 0;
  sigwait(&stop, &sig);
  fmt::print(stderr, "hearth scrape: {}, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  if (http != nullptr) http->Stop();
  (*manager)->Stop();
  // What is queued gets a few seconds to go out; the rest stays on disk (with a queue_dir).
  (*queue)->Shutdown(5'000'000'000);
  const exporter::QueuedExporterStats st = (*queue)->stats();
  if (st.queue_profiles > 0) {
    fmt::print(stderr, "hearth scrape: {} profiles not pushed{}\n", st.queue_profiles,
               queue_dir.empty() ? " (lost: the queue is in memory)" : ", kept in the queue");
  }
  return 0;
}

}  // namespace

void AddScrapeCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<ScrapeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "scrape", "Scrape /debug/pprof endpoints (scrape_configs) and push the profiles to a server");
  cmd->add_option("--config", f->config, "YAML file with scrape_configs (and push.endpoint)")
      ->required();
  cmd->add_option("--push", f->push,
                  "Server to push to, e.g. http://hearth:4040 (overrides push.endpoint)");
  cmd->add_option("--queue-dir", f->queue_dir,
                  "Keep unsent profiles on disk here (overrides push.queue_dir; default: in "
                  "memory)");
  cmd->add_option("--http-addr", f->http_addr,
                  "Serve /targets, /api/v1/targets and /metrics here (e.g. :7071)");
  cmd->add_option("--concurrency", f->concurrency, "Short scrapes at once (default 16)");
  cmd->add_option("--windowed-concurrency", f->windowed,
                  "?seconds= scrapes (CPU) at once (default 256)");
  cmd->callback([f, exit_code] { *exit_code = RunScrape(*f); });
}

}  // namespace hearth::cli
