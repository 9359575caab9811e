#pragma once

// `hearth server` configuration: a YAML file, then flags on top. Every key is optional.
//
//   server:
//     http_addr: 0.0.0.0:4040        # Pyroscope/Connect/Hearth APIs, UI, /metrics, /ready
//     grpc_addr: 0.0.0.0:4317        # gRPC (Push, WriteRaw, QueryService, OTLP)
//     otlp_http_addr: 0.0.0.0:4318   # OTLP/HTTP
//   storage:
//     data_dir: ./hearth-data
//     head_max_bytes: 256MiB
//     retention: {raw: 15d, minute: 90d, hour: 0, max_total_bytes: 0}
//   tenancy:
//     default_tenant: anonymous
//     require_auth: false
//     tenants:
//       team-a: {tokens: [secret-a]}
//   limits:                          # defaults for every tenant
//     max_body_bytes: 16MiB
//     ingestion_rate_bytes: 4MiB
//   overrides:                       # per tenant
//     team-a: {ingestion_rate_bytes: 32MiB}
//   scrape_configs:                  # pull /debug/pprof targets (parsed by src/scrape/config.h,
//     - job_name: api                # which documents every key; wired in by src/cli)
//       scrape_interval: 10s
//       static_configs: [{targets: ["10.0.0.1:6060"], labels: {env: prod}}]
//       relabel_configs: [{source_labels: [__address__], regex: "(.*):.*", target_label: host}]
//       profiling_config: {pprof_config: {block: {enabled: false}}}

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "server/limits.h"
#include "server/tenancy.h"
#include "storage/engine.h"

namespace hearth::server {

struct ListenAddress {
  std::string host = "0.0.0.0";
  int port = 0;
  std::string ToString() const;
};
// "host:port", ":port" or "port"; port 0 means any free port.
absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text);

struct ServerConfig {
  ListenAddress http{"0.0.0.0", 4040};
  ListenAddress grpc{"0.0.0.0", 4317};
  ListenAddress otlp_http{"0.0.0.0", 4318};
  bool otlp_http_enabled = true;
  int http_threads = 64;  // one per open connection

  std::string data_dir = "./hearth-data";
  size_t head_max_bytes = size_t{256} << 20;
  storage::RetentionOptions retention;

  TenancyOptions tenancy;
  LimitsConfig limits;

  // Sections owned by other parts (scraping, forwarding), kept as YAML text for them.
  std::string scrape_configs_yaml;
  std::string forward_yaml;
};

// Parses a YAML document; errors name the key and what was expected.
absl::StatusOr<ServerConfig> ParseServerConfig(std::string_view yaml);
absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path);

}  // namespace hearth::server
