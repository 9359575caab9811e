#include "server/forward.h"

#include <algorithm>
#include <cctype>
#include <thread>

#include "base/fmt.h"
#include "base/yaml_config.h"
#include "export/otlp_grpc_exporter.h"
#include "export/otlp_http_exporter.h"
#include "export/pyroscope_exporter.h"
#include "export/record.h"
#include "server/config.h"

namespace hearth::server {
namespace {

using yaml::Bytes;
using yaml::CheckKeys;
using yaml::ConfigError;
using yaml::Duration;
using yaml::Scalar;

std::string_view TypeName(ForwardExporterConfig::Type t) {
  switch (t) {
    case ForwardExporterConfig::Type::kOtlpHttp: return "otlp_http";
    case ForwardExporterConfig::Type::kOtlpGrpc: return "otlp_grpc";
    case ForwardExporterConfig::Type::kPyroscope: return "pyroscope";
  }
  return "";
}

ForwardExporterConfig ReadExporter(const YAML::Node& n, const std::string& where) {
  CheckKeys(n, where, {"type", "name", "endpoint", "headers", "compression", "timeout"});
  ForwardExporterConfig e;
  if (!n["type"]) throw ConfigError{where + ".type: required (otlp_http, otlp_grpc or pyroscope)"};
  const std::string type = Scalar(n["type"], where + ".type");
  if (type == "otlp_http") {
    e.type = ForwardExporterConfig::Type::kOtlpHttp;
  } else if (type == "otlp_grpc") {
    e.type = ForwardExporterConfig::Type::kOtlpGrpc;
  } else if (type == "pyroscope") {
    e.type = ForwardExporterConfig::Type::kPyroscope;
  } else {
    throw ConfigError{
        fmt::format("{}.type: unknown exporter type \"{}\" (use otlp_http, "
                    "otlp_grpc or pyroscope)",
                    where, type)};
  }
  if (!n["endpoint"]) throw ConfigError{where + ".endpoint: required"};
  e.endpoint = Scalar(n["endpoint"], where + ".endpoint");
  if (n["headers"]) {
    const YAML::Node h = n["headers"];
    if (!h.IsMap())
      throw ConfigError{where + ".headers: expected a mapping of header names to values"};
    for (const auto& kv : h) {
      const std::string k = kv.first.as<std::string>();
      e.headers.emplace_back(k, Scalar(kv.second, where + ".headers." + k));
    }
  }
  if (n["compression"]) {
    const std::string c = Scalar(n["compression"], where + ".compression");
    if (c != "gzip" && c != "none") {
      throw ConfigError{fmt::format("{}.compression: \"{}\" is not gzip or none", where, c)};
    }
    e.gzip = c == "gzip";
  }
  if (n["timeout"]) {
    e.timeout_ns = Duration(n["timeout"], where + ".timeout");
    if (e.timeout_ns == 0) throw ConfigError{where + ".timeout: must be above 0"};
  }
  std::string_view endpoint = e.endpoint;
  if (size_t s = endpoint.find("://"); s != std::string_view::npos) endpoint.remove_prefix(s + 3);
  while (endpoint.ends_with('/')) endpoint.remove_suffix(1);
  e.name = n["name"] ? Scalar(n["name"], where + ".name")
                     : fmt::format("{}/{}", TypeName(e.type), endpoint);
  if (e.name.empty()) throw ConfigError{where + ".name: must not be empty"};
  return e;
}

// An exporter name as a directory name: [A-Za-z0-9_.-], others '_'.
std::string DirName(std::string_view name) {
  std::string out;
  for (char c : name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    out.push_back(ok ? c : '_');
  }
  if (out == "." || out == "..") return "_";  // not a directory of its own
  return out;
}

}  // namespace

absl::StatusOr<ForwardConfig> ParseForwardConfig(std::string_view yaml,
                                                 const std::string& data_dir) {
  ForwardConfig c;
  c.queue_dir = data_dir + "/forward";
  const absl::Status status = yaml::ParseYamlConfig(yaml, "forward", [&](const YAML::Node& f) {
    CheckKeys(f, "forward",
              {"queue_dir", "max_queue_bytes", "batch", "retry", "shutdown_timeout", "processors",
               "exporters"});
    if (f["queue_dir"]) c.queue_dir = Scalar(f["queue_dir"], "forward.queue_dir");
    if (c.queue_dir.empty()) throw ConfigError{"forward.queue_dir: must not be empty"};
    if (f["max_queue_bytes"]) {
      c.max_queue_bytes = Bytes(f["max_queue_bytes"], "forward.max_queue_bytes");
      if (c.max_queue_bytes == 0) throw ConfigError{"forward.max_queue_bytes: must be above 0"};
    }
    if (const YAML::Node b = f["batch"]) {
      CheckKeys(b, "forward.batch", {"max_profiles", "max_delay"});
      if (b["max_profiles"]) {
        c.max_batch_profiles = Bytes(b["max_profiles"], "forward.batch.max_profiles");
        if (c.max_batch_profiles == 0)
          throw ConfigError{"forward.batch.max_profiles: must be above 0"};
      }
      if (b["max_delay"]) c.max_delay_ns = Duration(b["max_delay"], "forward.batch.max_delay");
    }
    if (const YAML::Node r = f["retry"]) {
      CheckKeys(r, "forward.retry", {"initial_interval", "max_interval", "max_elapsed_time"});
      if (r["initial_interval"])
        c.retry.initial_interval_ns =
            Duration(r["initial_interval"], "forward.retry.initial_interval");
      if (r["max_interval"])
        c.retry.max_interval_ns = Duration(r["max_interval"], "forward.retry.max_interval");
      if (r["max_elapsed_time"])
        c.retry.max_elapsed_ns = Duration(r["max_elapsed_time"], "forward.retry.max_elapsed_time");
      if (c.retry.initial_interval_ns == 0 ||
          c.retry.max_interval_ns < c.retry.initial_interval_ns) {
        throw ConfigError{"forward.retry: need 0 < initial_interval <= max_interval"};
      }
    }
    if (f["shutdown_timeout"])
      c.shutdown_timeout_ns = Duration(f["shutdown_timeout"], "forward.shutdown_timeout");
    if (const YAML::Node p = f["processors"]) {
      CheckKeys(p, "forward.processors", {"resource"});
      if (const YAML::Node res = p["resource"]) {
        if (!res.IsSequence())
          throw ConfigError{"forward.processors.resource: expected a list of actions"};
        for (size_t i = 0; i < res.size(); ++i) {
          const std::string where = fmt::format("forward.processors.resource[{}]", i);
          CheckKeys(res[i], where, {"action", "key", "value"});
          if (!res[i]["action"]) throw ConfigError{where + ".action: required"};
          if (!res[i]["key"]) throw ConfigError{where + ".key: required"};
          auto kind =
              exporter::ParseResourceActionKind(Scalar(res[i]["action"], where + ".action"));
          if (!kind.ok())
            throw ConfigError{fmt::format("{}.action: {}", where, kind.status().message())};
          exporter::ResourceAction a;
          a.kind = *kind;
          a.key = Scalar(res[i]["key"], where + ".key");
          if (res[i]["value"]) a.value = Scalar(res[i]["value"], where + ".value");
          c.resource_actions.push_back(std::move(a));
        }
      }
    }
    if (auto s = exporter::ResourceProcessor::Create(c.resource_actions); !s.ok()) {
      throw ConfigError{fmt::format("forward.processors.resource: {}", s.status().message())};
    }
    const YAML::Node ex = f["exporters"];
    if (!ex || !ex.IsSequence() || ex.size() == 0) {
      throw ConfigError{"forward.exporters: expected a list of at least one exporter"};
    }
    for (size_t i = 0; i < ex.size(); ++i) {
      ForwardExporterConfig e = ReadExporter(ex[i], fmt::format("forward.exporters[{}]", i));
      for (const ForwardExporterConfig& other : c.exporters) {
        if (DirName(other.name) == DirName(e.name)) {
          throw ConfigError{fmt::format(
              "forward.exporters[{}]: another exporter is named \"{}\" (or the same once made a "
              "directory name); give one a different `name`",
              i, e.name)};
        }
      }
      c.exporters.push_back(std::move(e));
    }
  });
  if (!status.ok()) return status;
  return c;
}

absl::StatusOr<std::unique_ptr<Forwarder>> Forwarder::Start(const ForwardConfig& config, Env* env,
                                                            MetricsRegistry* metrics) {
  std::unique_ptr<Forwarder> f(new Forwarder());
  f->env_ = env;
  f->shutdown_timeout_ns_ = config.shutdown_timeout_ns;
  auto processor = exporter::ResourceProcessor::Create(config.resource_actions);
  if (!processor.ok()) return processor.status();
  f->processor_ = std::move(*processor);
  f->queues_ = std::make_shared<std::vector<std::unique_ptr<Queue>>>();
  for (const ForwardExporterConfig& e : config.exporters) {
    auto fail = [&](const absl::Status& s) {
      return absl::Status(s.code(), fmt::format("forward: exporter {}: {}", e.name, s.message()));
    };
    const std::string who = e.name;
    auto log = [who](std::string_view m) { exporter::LogToStderr(who, m); };
    absl::StatusOr<std::unique_ptr<exporter::Exporter>> made;
    if (e.type == ForwardExporterConfig::Type::kOtlpGrpc) {
      auto g = exporter::OtlpGrpcExporter::Create({.endpoint = e.endpoint,
                                                   .headers = e.headers,
                                                   .gzip = e.gzip,
                                                   .timeout_ns = e.timeout_ns,
                                                   .log = log});
      if (!g.ok()) return fail(g.status());
      made = std::unique_ptr<exporter::Exporter>(std::move(*g));
    } else {
      exporter::HttpExporterOptions ho{.endpoint = e.endpoint,
                                       .headers = e.headers,
                                       .gzip = e.gzip,
                                       .timeout_ns = e.timeout_ns,
                                       .log = log};
      if (e.type == ForwardExporterConfig::Type::kOtlpHttp) {
        auto h = exporter::OtlpHttpExporter::Create(std::move(ho));
        if (!h.ok()) return fail(h.status());
        made = std::unique_ptr<exporter::Exporter>(std::move(*h));
      } else {
        auto p = exporter::PyroscopeExporter::Create(std::move(ho));
        if (!p.ok()) return fail(p.status());
        made = std::unique_ptr<exporter::Exporter>(std::move(*p));
      }
    }
    exporter::QueuedExporterOptions qo;
    qo.name = e.name;
    qo.env = env;
    qo.queue_dir = fmt::format("{}/{}", config.queue_dir, DirName(e.name));
    qo.max_queue_bytes = config.max_queue_bytes;
    qo.max_batch_profiles = config.max_batch_profiles;
    qo.max_delay_ns = config.max_delay_ns;
    qo.retry = config.retry;
    qo.log = log;
    auto q = exporter::QueuedExporter::Open(std::move(*made), std::move(qo));
    if (!q.ok()) return fail(q.status());
    auto queue = std::make_unique<Queue>();
    queue->exporter = std::move(*q);
    f->queues_->push_back(std::move(queue));
  }

  MetricFamily& exported =
      metrics->Counter("hearth_forward_exported_total",
                       "Profiles forwarded and accepted, by exporter.", {"exporter"});
  MetricFamily& failed = metrics->Counter(
      "hearth_forward_failed_total",
      "Profiles not forwarded (queue_full, queue_error, permanent, rejected, damaged: dropped) "
      "or whose sending failed and is retried (retryable, per attempt), by exporter and reason.",
      {"exporter", "reason"});
  MetricFamily& queue_bytes =
      metrics->Gauge("hearth_forward_queue_bytes",
                     "Bytes queued on disk for forwarding, by exporter.", {"exporter"});
  MetricFamily& queue_profiles =
      metrics->Gauge("hearth_forward_queue_profiles",
                     "Profiles queued on disk for forwarding, by exporter.", {"exporter"});
  std::shared_ptr<std::vector<std::unique_ptr<Queue>>> queues = f->queues_;
  metrics->OnCollect([queues, &exported, &failed, &queue_bytes, &queue_profiles] {
    for (const auto& q : *queues) {
      const exporter::QueuedExporterStats s = q->exporter->stats();
      const std::string& name = q->exporter->name();
      exported.Set({name}, static_cast<double>(s.exported_profiles));
      for (const auto& [reason, n] : s.failed_profiles)
        failed.Set({name, reason}, static_cast<double>(n));
      queue_bytes.Set({name}, static_cast<double>(s.queue_bytes));
      queue_profiles.Set({name}, static_cast<double>(s.queue_profiles));
    }
  });
  for (const auto& q : *f->queues_) {
    // Present from the start, so dashboards see zeros rather than nothing.
    exported.Add({q->exporter->name()}, 0);
    q->exporter->Start();
  }
  return f;
}

Forwarder::~Forwarder() { Shutdown(); }

void Forwarder::Shutdown() {
  if (shut_down_.exchange(true)) return;
  // In parallel: each queue gets the whole timeout, and a slow receiver doesn't eat the
  // others' share.
  std::vector<std::thread> threads;
  for (const auto& q : *queues_) {
    exporter::QueuedExporter* e = q->exporter.get();
    const int64_t timeout = shutdown_timeout_ns_;
    threads.emplace_back([e, timeout] { e->Shutdown(timeout); });
  }
  for (std::thread& t : threads) t.join();
}

void Forwarder::Forward(const std::string& tenant, std::span<const storage::AppendRequest> stored) {
  if (stored.empty() || shut_down_.load()) return;
  std::vector<exporter::Labels> labels;
  labels.reserve(stored.size());
  std::vector<exporter::ItemRef> refs;
  refs.reserve(stored.size());
  const int64_t now = env_->NowNanos();
  for (const storage::AppendRequest& r : stored) {
    labels.push_back(r.labels);
    processor_.Apply(labels.back());
  }
  for (size_t i = 0; i < stored.size(); ++i) {
    const storage::AppendRequest& r = stored[i];
    // The store reads ts_ns 0 as "now"; so does the record.
    refs.push_back({&labels[i], r.profile, r.pprof, r.ts_ns != 0 ? r.ts_ns : now});
  }
  // Encoded once for every queue.
  const std::string record = exporter::EncodeRecord(tenant, refs);
  for (const auto& q : *queues_) {
    absl::Status s = q->exporter->EnqueueRecord(record, static_cast<uint32_t>(refs.size()));
    if (s.ok()) {
      if (q->full.exchange(false))
        exporter::LogToStderr(q->exporter->name(), "the queue has room again");
      continue;
    }
    // Logged once per episode; every refused profile is counted in the metrics.
    if (!q->full.exchange(true)) {
      exporter::LogToStderr(
          q->exporter->name(),
          fmt::format("dropping new profiles for this exporter: {}", s.message()));
    }
  }
}

}  // namespace hearth::server
