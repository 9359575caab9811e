#include "cli/scrape_command.h"

#include <signal.h>

#include <cstdio>
#include <string>

#include "base/file.h"
#include "base/fmt.h"
#include "base/json_writer.h"
#include "base/strings.h"
#include "export/http_client.h"
#include "scrape/config.h"
#include "server/http.h"
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

absl::Status PushScraped(exporter::HttpPoster& push, std::mutex& mu,
                         const scrape::ScrapedProfile& sp) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("series").BeginArray().BeginObject().Key("labels").BeginArray();
  for (const auto& [k, v] : sp.labels)
    w.BeginObject().Key("name").String(k).Key("value").String(v).EndObject();
  // A ?seconds= window is already "during this interval".
  if (!sp.cumulative)
    w.BeginObject().Key("name").String("__delta__").Key("value").String("false").EndObject();
  w.EndArray()
      .Key("samples")
      .BeginArray()
      .BeginObject()
      .Key("rawProfile")
      .String(Base64Encode(sp.pprof))
      .EndObject();
  w.EndArray().EndObject().EndArray().EndObject();
  std::lock_guard<std::mutex> lock(mu);
  auto r = push.Post("/push.v1.PusherService/Push", sp.tenant, std::move(body), "application/json");
  return r.status();
}

struct ScrapeFlags {
  std::string config;
  std::string push;
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

  exporter::HttpExporterOptions eo;
  eo.endpoint = endpoint;
  eo.headers = file->push_headers;
  auto poster = exporter::HttpPoster::Create(eo);
  if (!poster.ok()) return Fail(poster.status());

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Pyroscope's push.v1 Push (Connect JSON), which Hearth and Pyroscope both serve: it
  // carries __name__ (Go's block and mutex profiles have the same sample types, so only
  // the name tells them apart), and the receiver turns running totals into deltas itself,
  // with the same baseline and reset rules as in `hearth server`.
  std::shared_ptr<exporter::HttpPoster> push(std::move(*poster));
  auto push_mu = std::make_shared<std::mutex>();
  auto sink = [push, push_mu](scrape::ScrapedProfile sp) -> absl::Status {
    return PushScraped(*push, *push_mu, sp);
  };
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
    http->Handle("GET", "/metrics", [m](const server::HttpRequest&) {
      server::HttpResponse r;
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = m->MetricsText();
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
  cmd->add_option("--http-addr", f->http_addr,
                  "Serve /targets, /api/v1/targets and /metrics here (e.g. :7071)");
  cmd->add_option("--concurrency", f->concurrency, "Short scrapes at once (default 16)");
  cmd->add_option("--windowed-concurrency", f->windowed,
                  "?seconds= scrapes (CPU) at once (default 256)");
  cmd->callback([f, exit_code] { *exit_code = RunScrape(*f); });
}

}  // namespace hearth::cli
