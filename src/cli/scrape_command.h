#pragma once

// Scraping, wired two ways:
//
//   hearth server   scrape_configs in the server's YAML; scraped profiles go through the
//                   server's ingest pipeline (validation, limits, deltas, storage) as api
//                   "scrape"; /api/v1/targets, /targets and hearth_scrape_* on /metrics.
//   hearth scrape   --config FILE: a standalone scraper that pushes to a remote server
//                   (push.v1 Push, Connect JSON; the receiver makes the deltas); it serves
//                   the same targets API and metrics on --http-addr.

#include <CLI/CLI.hpp>
#include <memory>
#include <mutex>

#include "absl/status/statusor.h"
#include "scrape/manager.h"
#include "server/server.h"

namespace hearth::cli {

// The scraper the server's handlers show; set once it runs (handlers are registered
// before the server serves, the scraper starts after).
class ScrapeHolder {
 public:
  void Set(scrape::Manager* m) {
    std::lock_guard<std::mutex> lock(mu_);
    manager_ = m;
  }
  // Runs fn with the scraper, or returns `none` when there is none.
  template <typename F>
  std::string With(F fn, std::string none) {
    std::lock_guard<std::mutex> lock(mu_);
    return manager_ == nullptr ? none : fn(*manager_);
  }

 private:
  std::mutex mu_;
  scrape::Manager* manager_ = nullptr;
};

// Registers GET /api/v1/targets, GET /targets and the hearth_scrape_* metrics.
server::ServerHooks ScrapeServerHooks(std::shared_ptr<ScrapeHolder> holder);

// Starts the scrape_configs of the server's config (null when there are none), storing
// through the server's ingest pipeline.
absl::StatusOr<std::unique_ptr<scrape::Manager>> StartServerScraper(
    const server::ServerParts& parts);

void AddScrapeCommand(CLI::App& app, int* exit_code);

}  // namespace hearth::cli
