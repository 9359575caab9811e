#include "server/config.h"

#include <algorithm>

#include "base/file.h"
#include "base/fmt.h"
#include "base/quantity.h"
#include "base/yaml_config.h"
#include "base/strings.h"
#include "server/tenancy.h"

namespace hearth::server {
namespace {

using yaml::Bool;
using yaml::Bytes;
using yaml::CheckKeys;
using yaml::ConfigError;
using yaml::Duration;
using yaml::Scalar;

ListenAddress Address(const YAML::Node& n, const std::string& key) {
  auto a = ParseListenAddress(Scalar(n, key));
  if (!a.ok()) throw ConfigError{fmt::format("{}: {}", key, a.status().message())};
  return *a;
}

void ReadLimits(const YAML::Node& n, const std::string& where, TenantLimits* l) {
  CheckKeys(n, where,
            {"max_body_bytes", "max_decompressed_profile_bytes", "max_samples_per_profile",
             "max_labels_per_series", "max_label_name_length", "max_label_value_length",
             "ingestion_rate_bytes", "ingestion_burst_bytes", "max_series_per_tenant"});
  auto u = [&](const char* k, uint64_t* out) {
    if (n[k]) *out = Bytes(n[k], where + "." + k);
  };
  u("max_body_bytes", &l->max_body_bytes);
  u("max_decompressed_profile_bytes", &l->max_decompressed_profile_bytes);
  u("max_samples_per_profile", &l->max_samples_per_profile);
  u("max_labels_per_series", &l->max_labels_per_series);
  u("max_label_name_length", &l->max_label_name_length);
  u("max_label_value_length", &l->max_label_value_length);
  u("max_series_per_tenant", &l->max_series_per_tenant);
  if (n["ingestion_rate_bytes"]) l->ingestion_rate_bytes = static_cast<double>(Bytes(n["ingestion_rate_bytes"], where + ".ingestion_rate_bytes"));
  if (n["ingestion_burst_bytes"]) l->ingestion_burst_bytes = static_cast<double>(Bytes(n["ingestion_burst_bytes"], where + ".ingestion_burst_bytes"));
}

}  // namespace

std::string ListenAddress::ToString() const { return fmt::format("{}:{}", host, port); }

absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text) {
  ListenAddress a;
  std::string_view port = text;
  size_t colon = text.rfind(':');
  if (colon != std::string_view::npos) {
    std::string_view host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (!host.empty()) a.host = std::string(host);
    port = text.substr(colon + 1);
  }
  if (!ParseInt(port, &a.port) || a.port < 0 || a.port > 65535) {
    return absl::InvalidArgumentError(
        fmt::format("listen address \"{}\" must be host:port, :port or port", text));
  }
  return a;
}

absl::StatusOr<ServerConfig> ParseServerConfig(std::string_view yaml) {
  ServerConfig c;
  const absl::Status status = yaml::ParseYamlConfig(yaml, "", [&](const YAML::Node& root) {
    if (!root || root.IsNull()) return;
    CheckKeys(root, "", {"server", "storage", "tenancy", "limits", "overrides", "scrape_configs", "forward"});
    if (const YAML::Node s = root["server"]) {
      CheckKeys(s, "server", {"http_addr", "grpc_addr", "otlp_http_addr", "otlp_http_enabled", "http_threads"});
      if (s["http_addr"]) c.http = Address(s["http_addr"], "server.http_addr");
      if (s["grpc_addr"]) c.grpc = Address(s["grpc_addr"], "server.grpc_addr");
      if (s["otlp_http_addr"]) c.otlp_http = Address(s["otlp_http_addr"], "server.otlp_http_addr");
      if (s["otlp_http_enabled"]) c.otlp_http_enabled = Bool(s["otlp_http_enabled"], "server.otlp_http_enabled");
      if (s["http_threads"]) c.http_threads = static_cast<int>(Bytes(s["http_threads"], "server.http_threads"));
    }
    if (const YAML::Node s = root["storage"]) {
      CheckKeys(s, "storage", {"data_dir", "head_max_bytes", "retention"});
      if (s["data_dir"]) c.data_dir = Scalar(s["data_dir"], "storage.data_dir");
      if (s["head_max_bytes"]) c.head_max_bytes = Bytes(s["head_max_bytes"], "storage.head_max_bytes");
      if (const YAML::Node r = s["retention"]) {
        CheckKeys(r, "storage.retention", {"raw", "minute", "hour", "max_total_bytes"});
        if (r["raw"]) c.retention.raw_ns = Duration(r["raw"], "storage.retention.raw");
        if (r["minute"]) c.retention.minute_ns = Duration(r["minute"], "storage.retention.minute");
        if (r["hour"]) c.retention.hour_ns = Duration(r["hour"], "storage.retention.hour");
        if (r["max_total_bytes"]) c.retention.max_total_bytes = Bytes(r["max_total_bytes"], "storage.retention.max_total_bytes");
      }
    }
    // `limits` first: tenants' own limits start from the defaults.
    if (const YAML::Node l = root["limits"]) ReadLimits(l, "limits", &c.limits.defaults);
    if (const YAML::Node t = root["tenancy"]) {
      CheckKeys(t, "tenancy", {"default_tenant", "require_auth", "tenants"});
      if (t["default_tenant"]) c.tenancy.default_tenant = Scalar(t["default_tenant"], "tenancy.default_tenant");
      if (t["require_auth"]) c.tenancy.require_auth = Bool(t["require_auth"], "tenancy.require_auth");
      if (const YAML::Node ts = t["tenants"]) {
        if (!ts.IsMap()) throw ConfigError{"tenancy.tenants: expected a mapping of tenant ids"};
        for (const auto& kv : ts) {
          const std::string id = kv.first.as<std::string>();
          const std::string where = "tenancy.tenants." + id;
          if (auto v = ValidateTenantId(id); !v.ok()) throw ConfigError{fmt::format("{}: {}", where, v.message())};
          CheckKeys(kv.second, where, {"tokens", "limits"});
          if (const YAML::Node tokens = kv.second["tokens"]) {
            if (!tokens.IsSequence()) throw ConfigError{where + ".tokens: expected a list"};
            for (const auto& tok : tokens) {
              const std::string token = Scalar(tok, where + ".tokens");
              if (token.empty()) throw ConfigError{where + ".tokens: empty token"};
              if (!c.tenancy.token_to_tenant.emplace(token, id).second) {
                throw ConfigError{where + ".tokens: a token is used by two tenants"};
              }
            }
          }
          if (const YAML::Node l = kv.second["limits"]) {
            TenantLimits tl = c.limits.defaults;
            ReadLimits(l, where + ".limits", &tl);
            c.limits.overrides[id] = tl;
          }
        }
      }
    }
    if (const YAML::Node o = root["overrides"]) {
      if (!o.IsMap()) throw ConfigError{"overrides: expected a mapping of tenant ids"};
      for (const auto& kv : o) {
        const std::string id = kv.first.as<std::string>();
        TenantLimits tl = c.limits.defaults;
        auto it = c.limits.overrides.find(id);
        if (it != c.limits.overrides.end()) tl = it->second;
        ReadLimits(kv.second, "overrides." + id, &tl);
        c.limits.overrides[id] = tl;
      }
    }
    if (const YAML::Node sc = root["scrape_configs"]) c.scrape_configs_yaml = YAML::Dump(sc);
    if (const YAML::Node f = root["forward"]) c.forward_yaml = YAML::Dump(f);
  });
  if (!status.ok()) return status;
  return c;
}

absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path) {
  auto text = ReadFile(path, 16 << 20);
  if (!text.ok()) return text.status();
  auto c = ParseServerConfig(*text);
  if (!c.ok()) return absl::InvalidArgumentError(fmt::format("{}: {}", path, c.status().message()));
  return c;
}

}  // namespace hearth::server
