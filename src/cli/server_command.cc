#include "cli/server_command.h"

#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>

#include "base/env.h"
#include "base/fmt.h"
#include "cli/scrape_command.h"
#include "scrape/config.h"
#include "server/config.h"
#include "server/server.h"

namespace hearth::cli {
namespace {

struct ServerFlags {
  std::string config;
  std::string data;
  std::string http_addr, grpc_addr, otlp_http_addr;
  bool no_otlp_http = false;
};

int Fail(const absl::Status& s) {
  fmt::print(stderr, "hearth server: {}\n", s.message());
  return 1;
}

absl::Status SetAddress(const std::string& text, server::ListenAddress* out) {
  if (text.empty()) return absl::OkStatus();
  auto a = server::ParseListenAddress(text);
  if (!a.ok()) return a.status();
  *out = *a;
  return absl::OkStatus();
}

int RunServer(const ServerFlags& f) {
  server::ServerConfig config;
  if (!f.config.empty()) {
    auto c = server::LoadServerConfig(f.config);
    if (!c.ok()) return Fail(c.status());
    config = std::move(*c);
  }
  if (!f.data.empty()) config.data_dir = f.data;
  for (auto [text, addr] : {std::pair{&f.http_addr, &config.http},
                            std::pair{&f.grpc_addr, &config.grpc},
                            std::pair{&f.otlp_http_addr, &config.otlp_http}}) {
    if (absl::Status s = SetAddress(*text, addr); !s.ok()) return Fail(s);
  }
  if (f.no_otlp_http) config.otlp_http_enabled = false;
  // A bad scrape_configs section fails before the store is opened.
  if (auto sc = scrape::ParseScrapeConfigs(config.scrape_configs_yaml); !sc.ok()) {
    return Fail(absl::InvalidArgumentError(fmt::format("{}: {}", f.config, sc.status().message())));
  }

  // Block the stop signals before any thread starts, so every thread inherits the mask and
  // only sigwait below sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<Env> env = NewPosixEnv();
  auto scrape_holder = std::make_shared<ScrapeHolder>();
  auto srv = server::Server::Start(config, env.get(), ScrapeServerHooks(scrape_holder));
  if (!srv.ok()) return Fail(srv.status());
  // scrape_configs: scraped profiles enter the same ingest pipeline as pushed ones.
  auto scraper = StartServerScraper((*srv)->parts());
  if (!scraper.ok()) return Fail(scraper.status());
  scrape_holder->Set(scraper->get());
  fmt::print(stderr, "hearth server: data {}; http :{}, grpc :{}", config.data_dir,
             (*srv)->http_port(), (*srv)->grpc_port());
  if ((*srv)->otlp_http_port() != 0) fmt::print(stderr, ", otlp-http :{}", (*srv)->otlp_http_port());
  if (*scraper != nullptr) fmt::print(stderr, "; scraping {} targets", (*scraper)->Targets().size());
  fmt::print(stderr, "\n");

  int sig = 0;
  sigwait(&stop, &sig);
  fmt::print(stderr, "hearth server: {}, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  // Scraping stops first: nothing may reach the pipeline once the store closes.
  scrape_holder->Set(nullptr);
  if (*scraper != nullptr) (*scraper)->Stop();
  if (absl::Status s = (*srv)->Shutdown(); !s.ok()) return Fail(s);
  fmt::print(stderr, "hearth server: stopped\n");
  return 0;
}

}  // namespace

void AddServerCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<ServerFlags>();
  CLI::App* cmd = app.add_subcommand(
      "server", "Run the ingest and query APIs over the embedded store (until SIGTERM)");
  cmd->add_option("--config", f->config, "YAML configuration file (see README)");
  cmd->add_option("--data", f->data, "Data directory (default ./hearth-data)");
  cmd->add_option("--http-addr", f->http_addr, "HTTP listen address (default 0.0.0.0:4040)");
  cmd->add_option("--grpc-addr", f->grpc_addr, "gRPC listen address (default 0.0.0.0:4317)");
  cmd->add_option("--otlp-http-addr", f->otlp_http_addr,
                  "OTLP/HTTP listen address (default 0.0.0.0:4318)");
  cmd->add_flag("--no-otlp-http", f->no_otlp_http, "Do not open the OTLP/HTTP port");
  cmd->callback([f, exit_code] { *exit_code = RunServer(*f); });
}

}  // namespace hearth::cli
