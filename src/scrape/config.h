#pragma once

// `scrape_configs`: which /debug/pprof endpoints to pull, in Prometheus' and Parca's shape.
//
//   scrape_configs:
//     - job_name: checkout
//       scrape_interval: 10s           # default 10s
//       scrape_timeout: 10s            # default min(10s, interval); a `seconds` request gets
//                                      # its seconds on top (CPU profiles block that long)
//       scheme: http                   # or https, with:
//       tls_config: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem, insecure_skip_verify: false}
//       tenant: team-a                 # Hearth: store under this tenant (default tenant if absent)
//       basic_auth: {username: u, password: p}         # or password_file
//       authorization: {type: Bearer, credentials: t}  # or credentials_file; bearer_token(_file)
//       headers: {X-Extra: v}
//       params: {debug: ["0"]}         # query parameters on every request
//       static_configs:
//         - targets: ["10.0.0.1:6060"]
//           labels: {env: prod}
//       file_sd_configs:               # Prometheus' file_sd format (JSON or YAML), re-read
//                                      # on change
//         - files: [/etc/hearth/targets/*.json]
//           refresh_interval: 5m
//       relabel_configs:               # replace keep drop labelmap labeldrop labelkeep
//                                      # lowercase uppercase hashmod keepequal dropequal
//         - {source_labels: [__address__], regex: "(.*):.*", target_label: host}
//       profiling_config:
//         path_prefix: ""
//         pprof_config:                # defaults below; give a name to change or add a type
//           process_cpu: {enabled: true, path: /debug/pprof/profile, delta: true}
//           memory:      {enabled: true, path: /debug/pprof/allocs}
//           goroutine:   {enabled: true, path: /debug/pprof/goroutine}
//           block:       {enabled: true, path: /debug/pprof/block}
//           mutex:       {enabled: true, path: /debug/pprof/mutex}
//           fgprof:      {enabled: true, path: /debug/pprof/fgprof, delta: true}
//
// `delta: true` asks the target for a window (`?seconds=N`, N = `seconds` or the interval):
// the response already covers the interval. Otherwise cumulative types (heap alloc_*, block,
// mutex) come back as running totals and are turned into deltas by whoever stores them.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "base/relabel.h"
#include "scrape/fetch.h"

namespace hearth::scrape {

using Labels = std::vector<std::pair<std::string, std::string>>;

struct ProfileTypeConfig {
  std::string name;  // becomes __name__: process_cpu, memory, goroutine, block, mutex, ...
  bool enabled = true;
  std::string path;
  bool delta = false;   // request ?seconds=N from the target
  int64_t seconds = 0;  // N; 0: derived from the interval
};

struct StaticConfig {
  std::vector<std::string> targets;
  Labels labels;
};

struct FileSdConfig {
  std::vector<std::string> files;  // globs in the last path element
  int64_t refresh_interval_ns = 300'000'000'000;
};

struct ScrapeConfig {
  std::string job_name;
  std::string tenant;  // "" = the receiver's default
  int64_t interval_ns = 10'000'000'000;
  int64_t timeout_ns = 10'000'000'000;
  std::string scheme = "http";
  std::vector<std::pair<std::string, std::string>> headers;  // auth included
  std::vector<std::pair<std::string, std::string>> params;
  TlsOptions tls;
  std::vector<StaticConfig> static_configs;
  std::vector<FileSdConfig> file_sd_configs;
  std::vector<RelabelRule> relabel_configs;
  std::string path_prefix;
  std::vector<ProfileTypeConfig> profiles;  // in name order, enabled or not
  uint64_t max_body_bytes = uint64_t{64} << 20;
};

// Parses the YAML list under `scrape_configs:` (the text of that node). Errors name the key:
// "scrape_configs[1] (job \"api\").relabel_configs[0].action: unknown action \"foo\"".
absl::StatusOr<std::vector<ScrapeConfig>> ParseScrapeConfigs(std::string_view yaml);

// `hearth scrape --config FILE`: the jobs, and where to push what they scrape.
//
//   scrape_configs: [...]
//   push:
//     endpoint: http://hearth:4040      # a Hearth or Pyroscope server (push.v1 Push)
//     headers: {Authorization: Bearer t}
//     queue_dir: /var/lib/hearth-scrape # keep unsent profiles on disk (default: in memory)
//     max_queue_bytes: 64MiB
struct ScraperFile {
  std::vector<ScrapeConfig> scrape_configs;
  std::string push_endpoint;
  std::vector<std::pair<std::string, std::string>> push_headers;
  std::string push_queue_dir;                     // "": the push queue is in memory
  uint64_t push_max_queue_bytes = uint64_t{64} << 20;
};
absl::StatusOr<ScraperFile> ParseScraperFile(std::string_view yaml);

// Parca's defaults: process_cpu (delta), memory (/allocs), goroutine, block, mutex.
std::vector<ProfileTypeConfig> DefaultProfileTypes();

}  // namespace hearth::scrape
