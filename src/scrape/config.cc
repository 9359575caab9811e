#include "scrape/config.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/fmt.h"
#include "base/quantity.h"
#include "base/yaml_config.h"
#include "base/strings.h"

namespace hearth::scrape {
namespace {

using yaml::Bool;
using yaml::CheckKeys;
using yaml::ConfigError;
using yaml::Duration;
using yaml::Scalar;
using yaml::StringList;

[[noreturn]] void Fail(const std::string& where, std::string_view what) {
  throw ConfigError{fmt::format("{}: {}", where, what)};
}

std::string ReadSecretFile(const std::string& path, const std::string& where) {
  std::ifstream in(path);
  if (!in) Fail(where, fmt::format("cannot read \"{}\"", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(TrimSpace(ss.str()));
}

Labels LabelMap(const YAML::Node& n, const std::string& where) {
  if (!n.IsMap()) Fail(where, "expected a mapping of label names to values");
  Labels out;
  for (const auto& kv : n) {
    std::string k = kv.first.as<std::string>();
    if (!IsValidLabelName(k)) Fail(where, fmt::format("\"{}\" is not a valid label name", k));
    out.emplace_back(k, Scalar(kv.second, where + "." + k));
  }
  return out;
}

void ReadProfiling(const YAML::Node& n, const std::string& where, ScrapeConfig* c) {
  CheckKeys(n, where, {"path_prefix", "pprof_config"});
  if (n["path_prefix"]) c->path_prefix = Scalar(n["path_prefix"], where + ".path_prefix");
  const YAML::Node pc = n["pprof_config"];
  if (!pc) return;
  const std::string pw = where + ".pprof_config";
  if (!pc.IsMap()) Fail(pw, "expected a mapping of profile names");
  for (const auto& kv : pc) {
    const std::string name = kv.first.as<std::string>();
    const std::string tw = pw + "." + name;
    if (!IsValidLabelName(name))
      Fail(tw, "the profile name must be a valid label value like process_cpu");
    auto it = std::find_if(c->profiles.begin(), c->profiles.end(),
                           [&](const auto& p) { return p.name == name; });
    const bool known = it != c->profiles.end();
    if (!known) {
      c->profiles.push_back({name, true, "", false, 0});
      it = std::prev(c->profiles.end());
    }
    ProfileTypeConfig& p = *it;
    const YAML::Node t = kv.second;
    if (t.IsNull()) continue;
    CheckKeys(t, tw, {"enabled", "path", "delta", "seconds"});
    if (t["enabled"]) p.enabled = Bool(t["enabled"], tw + ".enabled");
    if (t["path"]) p.path = Scalar(t["path"], tw + ".path");
    if (t["delta"]) p.delta = Bool(t["delta"], tw + ".delta");
    if (t["seconds"]) {
      const std::string sw = tw + ".seconds";
      std::string s = Scalar(t["seconds"], sw);
      int64_t v = 0;
      if (ParseInt(s, &v)) {
        v *= 1'000'000'000;
      } else {
        auto d = ParseDuration(s);
        if (!d.ok()) Fail(sw, "expected a whole number of seconds or a duration like 10s");
        v = *d;
      }
      if (v < 1'000'000'000 || v % 1'000'000'000 != 0)
        Fail(sw, "must be a whole number of seconds, at least 1");
      p.seconds = v / 1'000'000'000;
    }
    if (p.path.empty()) Fail(tw + ".path", "required for a profile type without a default path");
    if (p.path[0] != '/') Fail(tw + ".path", fmt::format("\"{}\" must start with '/'", p.path));
  }
  std::sort(c->profiles.begin(), c->profiles.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
}

ScrapeConfig ReadJob(const YAML::Node& n, const std::string& index_where) {
  if (!n.IsMap()) Fail(index_where, "expected a mapping");
  ScrapeConfig c;
  if (!n["job_name"]) Fail(index_where + ".job_name", "required");
  c.job_name = Scalar(n["job_name"], index_where + ".job_name");
  if (c.job_name.empty()) Fail(index_where + ".job_name", "must not be empty");
  const std::string where = fmt::format("{} (job \"{}\")", index_where, c.job_name);
  CheckKeys(n, where,
            {"job_name", "tenant", "scrape_interval", "scrape_timeout", "scheme", "basic_auth",
             "authorization", "bearer_token", "bearer_token_file", "headers", "params",
             "tls_config", "static_configs", "file_sd_configs", "relabel_configs",
             "profiling_config", "normalized_addresses", "max_body_bytes"});
  if (n["tenant"]) c.tenant = Scalar(n["tenant"], where + ".tenant");
  if (n["scrape_interval"])
    c.interval_ns = Duration(n["scrape_interval"], where + ".scrape_interval");
  if (c.interval_ns < 1'000'000'000) Fail(where + ".scrape_interval", "must be at least 1s");
  c.timeout_ns = std::min<int64_t>(c.interval_ns, 10'000'000'000);
  if (n["scrape_timeout"]) c.timeout_ns = Duration(n["scrape_timeout"], where + ".scrape_timeout");
  if (c.timeout_ns <= 0) Fail(where + ".scrape_timeout", "must be positive");
  if (n["scheme"]) c.scheme = Scalar(n["scheme"], where + ".scheme");
  if (c.scheme != "http" && c.scheme != "https")
    Fail(where + ".scheme", fmt::format("\"{}\": expected http or https", c.scheme));
  if (n["normalized_addresses"])
    (void)Bool(n["normalized_addresses"], where + ".normalized_addresses");
  if (n["max_body_bytes"]) {
    c.max_body_bytes = yaml::Bytes(n["max_body_bytes"], where + ".max_body_bytes");
    if (c.max_body_bytes == 0) Fail(where + ".max_body_bytes", "must be above 0");
  }

  // Authentication: at most one way.
  int auth_ways = 0;
  if (const YAML::Node b = n["basic_auth"]) {
    const std::string w = where + ".basic_auth";
    CheckKeys(b, w, {"username", "password", "password_file"});
    std::string user = b["username"] ? Scalar(b["username"], w + ".username") : "";
    std::string pass = b["password"] ? Scalar(b["password"], w + ".password") : "";
    if (b["password_file"])
      pass = ReadSecretFile(Scalar(b["password_file"], w + ".password_file"), w + ".password_file");
    c.headers.emplace_back("Authorization", "Basic " + Base64Encode(user + ":" + pass));
    ++auth_ways;
  }
  if (const YAML::Node a = n["authorization"]) {
    const std::string w = where + ".authorization";
    CheckKeys(a, w, {"type", "credentials", "credentials_file"});
    std::string type = a["type"] ? Scalar(a["type"], w + ".type") : "Bearer";
    std::string cred = a["credentials"] ? Scalar(a["credentials"], w + ".credentials") : "";
    if (a["credentials_file"])
      cred = ReadSecretFile(Scalar(a["credentials_file"], w + ".credentials_file"),
                            w + ".credentials_file");
    if (cred.empty()) Fail(w + ".credentials", "required (or credentials_file)");
    c.headers.emplace_back("Authorization", type + " " + cred);
    ++auth_ways;
  }
  if (n["bearer_token"] || n["bearer_token_file"]) {
    std::string tok =
        n["bearer_token"]
            ? Scalar(n["bearer_token"], where + ".bearer_token")
            : ReadSecretFile(Scalar(n["bearer_token_file"], where + ".bearer_token_file"),
                             where + ".bearer_token_file");
    c.headers.emplace_back("Authorization", "Bearer " + tok);
    ++auth_ways;
  }
  if (auth_ways > 1)
    Fail(where, "at most one of basic_auth, authorization and bearer_token may be set");
  if (const YAML::Node h = n["headers"]) {
    if (!h.IsMap()) Fail(where + ".headers", "expected a mapping of header names to values");
    for (const auto& kv : h) {
      std::string k = kv.first.as<std::string>();
      c.headers.emplace_back(k, Scalar(kv.second, where + ".headers." + k));
    }
  }
  if (const YAML::Node p = n["params"]) {
    if (!p.IsMap())
      Fail(where + ".params", "expected a mapping of parameter names to lists of values");
    for (const auto& kv : p) {
      std::string k = kv.first.as<std::string>();
      if (kv.second.IsScalar()) {
        c.params.emplace_back(k, Scalar(kv.second, where + ".params." + k));
      } else {
        for (auto& v : StringList(kv.second, where + ".params." + k)) c.params.emplace_back(k, v);
      }
    }
  }
  if (const YAML::Node t = n["tls_config"]) {
    const std::string w = where + ".tls_config";
    CheckKeys(t, w, {"ca_file", "cert_file", "key_file", "insecure_skip_verify"});
    if (t["insecure_skip_verify"])
      c.tls.insecure_skip_verify = Bool(t["insecure_skip_verify"], w + ".insecure_skip_verify");
    for (auto [key, field] : {std::pair{"ca_file", &c.tls.ca_file},
                              std::pair{"cert_file", &c.tls.cert_file},
                              std::pair{"key_file", &c.tls.key_file}}) {
      if (!t[key]) continue;
      *field = Scalar(t[key], fmt::format("{}.{}", w, key));
      if (!std::ifstream(*field).good())
        Fail(fmt::format("{}.{}", w, key), fmt::format("cannot read {}", *field));
    }
    if (c.tls.cert_file.empty() != c.tls.key_file.empty())
      Fail(w, "cert_file and key_file go together");
  }

  if (const YAML::Node s = n["static_configs"]) {
    const std::string w = where + ".static_configs";
    if (!s.IsSequence()) Fail(w, "expected a list");
    for (size_t i = 0; i < s.size(); ++i) {
      const std::string iw = fmt::format("{}[{}]", w, i);
      CheckKeys(s[i], iw, {"targets", "labels"});
      StaticConfig sc;
      if (s[i]["targets"]) sc.targets = StringList(s[i]["targets"], iw + ".targets");
      for (const std::string& t : sc.targets) {
        if (t.empty() || t.find('/') != std::string::npos) {
          Fail(iw + ".targets", fmt::format("\"{}\" must be host:port (no scheme or path)", t));
        }
      }
      if (s[i]["labels"]) sc.labels = LabelMap(s[i]["labels"], iw + ".labels");
      c.static_configs.push_back(std::move(sc));
    }
  }
  if (const YAML::Node f = n["file_sd_configs"]) {
    const std::string w = where + ".file_sd_configs";
    if (!f.IsSequence()) Fail(w, "expected a list");
    for (size_t i = 0; i < f.size(); ++i) {
      const std::string iw = fmt::format("{}[{}]", w, i);
      CheckKeys(f[i], iw, {"files", "refresh_interval"});
      FileSdConfig fc;
      if (!f[i]["files"]) Fail(iw + ".files", "required");
      fc.files = StringList(f[i]["files"], iw + ".files");
      if (f[i]["refresh_interval"])
        fc.refresh_interval_ns = Duration(f[i]["refresh_interval"], iw + ".refresh_interval");
      c.file_sd_configs.push_back(std::move(fc));
    }
  }
  c.relabel_configs = ReadRelabelConfigs(n["relabel_configs"], where + ".relabel_configs");
  c.profiles = DefaultProfileTypes();
  if (const YAML::Node p = n["profiling_config"]) ReadProfiling(p, where + ".profiling_config", &c);
  for (const ProfileTypeConfig& p : c.profiles) {
    if (p.enabled && p.delta && p.seconds == 0 && c.interval_ns < 2'000'000'000) {
      Fail(where + ".scrape_interval",
           fmt::format("profile {} asks for ?seconds=: the interval must be at least 2s", p.name));
    }
  }
  return c;
}

}  // namespace

std::vector<ProfileTypeConfig> DefaultProfileTypes() {
  return {
      {"block", true, "/debug/pprof/block", false, 0},
      {"goroutine", true, "/debug/pprof/goroutine", false, 0},
      {"memory", true, "/debug/pprof/allocs", false, 0},
      {"mutex", true, "/debug/pprof/mutex", false, 0},
      {"process_cpu", true, "/debug/pprof/profile", true, 0},
  };
}


absl::StatusOr<std::vector<ScrapeConfig>> ParseScrapeConfigs(std::string_view yaml) {
  std::vector<ScrapeConfig> out;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (!root || root.IsNull()) return out;
    if (!root.IsSequence()) Fail("scrape_configs", "expected a list of jobs");
    std::set<std::string> names;
    for (size_t i = 0; i < root.size(); ++i) {
      ScrapeConfig c = ReadJob(root[i], fmt::format("scrape_configs[{}]", i));
      if (!names.insert(c.job_name).second) {
        Fail(fmt::format("scrape_configs[{}].job_name", i),
             fmt::format("\"{}\" is used by two jobs", c.job_name));
      }
      out.push_back(std::move(c));
    }
  } catch (const ConfigError& e) {
    return absl::InvalidArgumentError(e.message);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(fmt::format("scrape_configs: {}", e.what()));
  }
  return out;
}

}  // namespace hearth::scrape

namespace hearth::scrape {

absl::StatusOr<ScraperFile> ParseScraperFile(std::string_view yaml) {
  ScraperFile f;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (!root || root.IsNull()) return f;
    CheckKeys(root, "config", {"scrape_configs", "push"});
    if (root["scrape_configs"]) {
      auto c = ParseScrapeConfigs(YAML::Dump(root["scrape_configs"]));
      if (!c.ok()) return c.status();
      f.scrape_configs = std::move(*c);
    }
    if (const YAML::Node p = root["push"]) {
      CheckKeys(p, "push", {"endpoint", "headers", "queue_dir", "max_queue_bytes"});
      if (p["endpoint"]) f.push_endpoint = Scalar(p["endpoint"], "push.endpoint");
      if (p["queue_dir"]) f.push_queue_dir = Scalar(p["queue_dir"], "push.queue_dir");
      if (p["max_queue_bytes"])
        f.push_max_queue_bytes = yaml::Bytes(p["max_queue_bytes"], "push.max_queue_bytes");
      if (const YAML::Node h = p["headers"]) {
        if (!h.IsMap()) Fail("push.headers", "expected a mapping of header names to values");
        for (const auto& kv : h) {
          std::string k = kv.first.as<std::string>();
          f.push_headers.emplace_back(k, Scalar(kv.second, "push.headers." + k));
        }
      }
    }
  } catch (const ConfigError& e) {
    return absl::InvalidArgumentError(e.message);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(fmt::format("config: {}", e.what()));
  }
  return f;
}

}  // namespace hearth::scrape
