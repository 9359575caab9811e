#include "cli/agent_command.h"

#include <httplib.h>
#include <signal.h>
#include <sys/resource.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "agent/agent.h"
#include "base/env.h"
#include "base/file.h"
#include "base/fmt.h"
#include "base/quantity.h"
#include "base/relabel.h"
#include "base/strings.h"
#include "base/yaml_config.h"
#include "export/otlp_grpc_exporter.h"
#include "export/otlp_http_exporter.h"
#include "export/pyroscope_exporter.h"
#include "export/queued_exporter.h"

namespace hearth::cli {
namespace {

struct AgentFlags {
  std::string config;
  std::string server;
  std::string protocol;  // otlp-http (default), otlp-grpc, pyroscope
  std::string frequency;
  std::string interval;
  std::string node;
  std::string metrics_addr;
  std::string tenant;
  std::string duration;  // run this long, then exit (tests, benchmarks)
  std::string queue_dir;
  std::vector<std::string> labels;
  bool off_cpu = false;
  std::string off_cpu_percent;
  std::string off_cpu_min;
};

// Everything the flags and the config file decide. Flags win over the file.
struct AgentConfig {
  std::string server = "http://127.0.0.1:4040";
  std::string protocol = "otlp-http";
  std::string tenant;
  int frequency_hz = 19;
  int64_t interval_ns = 10'000'000'000;
  int64_t duration_ns = 0;
  std::string node;
  std::string metrics_addr = "127.0.0.1:7071";
  bool off_cpu = false;
  uint32_t off_cpu_percent = 10;
  int64_t off_cpu_min_ns = 1'000'000;
  agent::LabelSet external_labels;
  std::vector<RelabelRule> relabel_configs;
  std::string queue_dir;  // "": the export queue is in memory
  uint64_t max_queue_bytes = uint64_t{16} << 20;
};

int Fail(const absl::Status& s) {
  fmt::print(stderr, "hearth agent: {}\n", s.message());
  return 1;
}

absl::Status SetDuration(const std::string& text, const char* what, int64_t* out) {
  if (text.empty()) return absl::OkStatus();
  auto d = ParseDuration(text);
  if (!d.ok() || *d <= 0) {
    return absl::InvalidArgumentError(fmt::format("{}: bad duration \"{}\"", what, text));
  }
  *out = *d;
  return absl::OkStatus();
}

absl::Status SetInt(const std::string& text, const char* what, int64_t lo, int64_t hi, int64_t* out) {
  if (text.empty()) return absl::OkStatus();
  int64_t v = 0;
  if (!ParseInt(TrimSpace(text), &v) || v < lo || v > hi) {
    return absl::InvalidArgumentError(fmt::format("{}: \"{}\" is not a number in {}..{}", what, text, lo, hi));
  }
  *out = v;
  return absl::OkStatus();
}

absl::StatusOr<AgentConfig> LoadConfig(const AgentFlags& f) {
  AgentConfig c;
  std::string freq, interval, off_pct, off_min;
  if (!f.config.empty()) {
    auto text = ReadFile(f.config, 1 << 20);
    if (!text.ok()) return text.status();
    absl::Status s = yaml::ParseYamlConfig(*text, "", [&](const YAML::Node& root) {
      if (root.IsNull()) return;
      yaml::CheckKeys(root, "", {"server", "protocol", "tenant", "frequency", "interval", "node",
                                 "metrics_addr", "off_cpu", "external_labels", "relabel_configs",
                                 "queue_dir", "max_queue_bytes"});
      if (root["server"]) c.server = yaml::Scalar(root["server"], "server");
      if (root["protocol"]) c.protocol = yaml::Scalar(root["protocol"], "protocol");
      if (root["tenant"]) c.tenant = yaml::Scalar(root["tenant"], "tenant");
      if (root["frequency"]) freq = yaml::Scalar(root["frequency"], "frequency");
      if (root["interval"]) interval = yaml::Scalar(root["interval"], "interval");
      if (root["node"]) c.node = yaml::Scalar(root["node"], "node");
      if (root["metrics_addr"]) c.metrics_addr = yaml::Scalar(root["metrics_addr"], "metrics_addr");
      if (root["queue_dir"]) c.queue_dir = yaml::Scalar(root["queue_dir"], "queue_dir");
      if (root["max_queue_bytes"]) c.max_queue_bytes = yaml::Bytes(root["max_queue_bytes"], "max_queue_bytes");
      if (const YAML::Node o = root["off_cpu"]) {
        yaml::CheckKeys(o, "off_cpu", {"enabled", "sample_percent", "min_duration"});
        if (o["enabled"]) c.off_cpu = yaml::Bool(o["enabled"], "off_cpu.enabled");
        if (o["sample_percent"]) off_pct = yaml::Scalar(o["sample_percent"], "off_cpu.sample_percent");
        if (o["min_duration"]) off_min = yaml::Scalar(o["min_duration"], "off_cpu.min_duration");
      }
      if (const YAML::Node l = root["external_labels"]) {
        if (!l.IsMap()) throw yaml::ConfigError{"external_labels: expected a mapping"};
        for (const auto& kv : l) {
          const std::string name = kv.first.as<std::string>();
          c.external_labels.emplace_back(name, yaml::Scalar(kv.second, "external_labels." + name));
        }
      }
      c.relabel_configs = ReadRelabelConfigs(root["relabel_configs"], "relabel_configs");
    });
    if (!s.ok()) return absl::InvalidArgumentError(fmt::format("{}: {}", f.config, s.message()));
  }
  if (!f.server.empty()) c.server = f.server;
  if (!f.protocol.empty()) c.protocol = f.protocol;
  if (!f.tenant.empty()) c.tenant = f.tenant;
  if (!f.node.empty()) c.node = f.node;
  if (!f.metrics_addr.empty()) c.metrics_addr = f.metrics_addr;
  if (!f.queue_dir.empty()) c.queue_dir = f.queue_dir;
  if (f.off_cpu) c.off_cpu = true;
  if (!f.frequency.empty()) freq = f.frequency;
  if (!f.interval.empty()) interval = f.interval;
  if (!f.off_cpu_percent.empty()) off_pct = f.off_cpu_percent;
  if (!f.off_cpu_min.empty()) off_min = f.off_cpu_min;
  int64_t hz = c.frequency_hz, pct = c.off_cpu_percent;
  if (auto s = SetInt(freq, "frequency", 1, 1000, &hz); !s.ok()) return s;
  if (auto s = SetInt(off_pct, "off-cpu sample percent", 1, 100, &pct); !s.ok()) return s;
  c.frequency_hz = static_cast<int>(hz);
  c.off_cpu_percent = static_cast<uint32_t>(pct);
  if (auto s = SetDuration(interval, "interval", &c.interval_ns); !s.ok()) return s;
  if (auto s = SetDuration(off_min, "off-cpu min duration", &c.off_cpu_min_ns); !s.ok()) return s;
  if (auto s = SetDuration(f.duration, "duration", &c.duration_ns); !s.ok()) return s;
  for (const std::string& l : f.labels) {
    size_t eq = l.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(fmt::format("--label wants name=value, got \"{}\"", l));
    }
    c.external_labels.emplace_back(l.substr(0, eq), l.substr(eq + 1));
  }
  if (c.protocol != "otlp-http" && c.protocol != "otlp-grpc" && c.protocol != "pyroscope") {
    return absl::InvalidArgumentError(
        fmt::format("protocol \"{}\": want otlp-http, otlp-grpc or pyroscope", c.protocol));
  }
  return c;
}

absl::StatusOr<std::unique_ptr<exporter::Exporter>> MakeExporter(const AgentConfig& c) {
  if (c.protocol == "otlp-grpc") {
    exporter::GrpcExporterOptions o;
    o.endpoint = c.server;
    auto e = exporter::OtlpGrpcExporter::Create(std::move(o));
    if (!e.ok()) return e.status();
    return std::unique_ptr<exporter::Exporter>(std::move(*e));
  }
  exporter::HttpExporterOptions o;
  o.endpoint = c.server;
  o.gzip = true;
  if (c.protocol == "pyroscope") {
    auto e = exporter::PyroscopeExporter::Create(std::move(o));
    if (!e.ok()) return e.status();
    return std::unique_ptr<exporter::Exporter>(std::move(*e));
  }
  auto e = exporter::OtlpHttpExporter::Create(std::move(o));
  if (!e.ok()) return e.status();
  return std::unique_ptr<exporter::Exporter>(std::move(*e));
}

// Anonymous resident memory (the agent's own heap; the rest of RSS is file pages of the
// binaries it reads, which the kernel can drop).
int64_t RssAnonBytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("RssAnon:", 0) == 0) {
      int64_t kb = 0;
      std::istringstream(line.substr(8)) >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

// CPU seconds and peak RSS of this process.
void SelfUsage(double* cpu_seconds, int64_t* max_rss_bytes, int64_t* rss_bytes) {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *cpu_seconds = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  *max_rss_bytes = static_cast<int64_t>(ru.ru_maxrss) * 1024;
  *rss_bytes = 0;
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  if (statm >> size >> resident) *rss_bytes = resident * sysconf(_SC_PAGESIZE);
}

std::string Metrics(const agent::Agent& a, const exporter::QueuedExporter& out) {
  agent::AgentStats s = a.stats();
  const exporter::QueuedExporterStats e = out.stats();
  double cpu = 0;
  int64_t max_rss = 0, rss = 0;
  SelfUsage(&cpu, &max_rss, &rss);
  std::string m;
  auto counter = [&](std::string_view name, std::string_view help, uint64_t v) {
    m += fmt::format("# HELP {} {}\n# TYPE {} counter\n{} {}\n", name, help, name, name, v);
  };
  auto gauge = [&](std::string_view name, std::string_view help, double v) {
    m += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, help, name, name, v);
  };
  counter("hearth_agent_samples_total", "CPU samples taken by the BPF program.", s.kernel.samples);
  m += "# HELP hearth_agent_lost_samples_total Samples or stacks lost in the kernel, by reason.\n"
       "# TYPE hearth_agent_lost_samples_total counter\n";
  m += fmt::format("hearth_agent_lost_samples_total{{reason=\"map_full\"}} {}\n", s.kernel.lost_counts);
  m += fmt::format("hearth_agent_lost_samples_total{{reason=\"kernel_stack\"}} {}\n", s.kernel.lost_kernel_stacks);
  m += fmt::format("hearth_agent_lost_samples_total{{reason=\"user_stack\"}} {}\n", s.kernel.lost_user_stacks);
  counter("hearth_agent_lost_events_total", "Process events dropped (ring buffer full).", s.kernel.lost_events);
  counter("hearth_agent_offcpu_intervals_total", "Blocked intervals recorded.", s.kernel.offcpu_intervals);
  counter("hearth_agent_unwind_truncated_total",
          "User stacks cut where the frame-pointer walk left the process's code.", s.unwind_truncated);
  counter("hearth_agent_leaf_callers_recovered_total",
          "Callers of frameless leaf functions recovered from the stack pointer.", s.leaf_callers_recovered);
  gauge("hearth_agent_dwarf_processes", "Processes unwound with DWARF CFI (no frame pointers).",
        static_cast<double>(s.dwarf_processes));
  counter("hearth_agent_dwarf_stacks_total", "Stack copies unwound with DWARF CFI.", s.dwarf_stacks);
  m += "# HELP hearth_agent_dwarf_dropped_total Stack copies dropped, by reason.\n"
       "# TYPE hearth_agent_dwarf_dropped_total counter\n";
  m += fmt::format("hearth_agent_dwarf_dropped_total{{reason=\"pending_full\"}} {}\n", s.dwarf_dropped);
  m += fmt::format("hearth_agent_dwarf_dropped_total{{reason=\"ring_full\"}} {}\n",
                   s.kernel.lost_stack_samples);
  counter("hearth_agent_cache_resets_total",
          "Symbol caches dropped to keep the agent within its memory budget.", s.cache_resets);
  counter("hearth_agent_process_read_errors_total", "Processes whose /proc could not be read.",
          s.process_read_errors);
  counter("hearth_agent_symbolize_errors_total", "Profiles that could not be symbolized.", s.symbolize_errors);
  counter("hearth_agent_profiles_total", "Profiles assembled.", s.profiles);
  counter("hearth_agent_exported_profiles_total", "Profiles the receiver accepted.", e.exported_profiles);
  m += "# HELP hearth_agent_export_failed_profiles_total Profiles not exported (queue_full, "
       "permanent, rejected: dropped) or whose sending failed and is retried (retryable, per "
       "attempt), by reason.\n# TYPE hearth_agent_export_failed_profiles_total counter\n";
  for (const char* reason : {"queue_full", "queue_error", "retryable", "permanent", "rejected", "damaged"}) {
    auto it = e.failed_profiles.find(reason);
    m += fmt::format("hearth_agent_export_failed_profiles_total{{reason=\"{}\"}} {}\n", reason,
                     it == e.failed_profiles.end() ? 0 : it->second);
  }
  gauge("hearth_agent_export_queue_profiles", "Profiles waiting to be exported.",
        static_cast<double>(e.queue_profiles));
  gauge("hearth_agent_export_queue_bytes", "Bytes waiting to be exported.", static_cast<double>(e.queue_bytes));
  gauge("hearth_agent_processes", "Processes the agent holds metadata for.", static_cast<double>(s.processes));
  m += fmt::format(
      "# HELP hearth_agent_cpu_seconds_total CPU time of the agent itself (user + system).\n"
      "# TYPE hearth_agent_cpu_seconds_total counter\nhearth_agent_cpu_seconds_total {:.6f}\n",
      cpu);
  gauge("hearth_agent_resident_memory_bytes", "Resident memory of the agent.", static_cast<double>(rss));
  gauge("hearth_agent_max_resident_memory_bytes", "Peak resident memory of the agent.",
        static_cast<double>(max_rss));
  gauge("hearth_agent_anon_memory_bytes",
        "Anonymous resident memory of the agent (RSS without file pages of the binaries it reads).",
        static_cast<double>(RssAnonBytes()));
  return m;
}

int RunAgent(const AgentFlags& f) {
  // Block the stop signals before any thread starts (the exporter's, gRPC's, httplib's), so
  // all inherit the mask and only the signal thread below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto config = LoadConfig(f);
  if (!config.ok()) return Fail(config.status());
  const AgentConfig& c = *config;
  if (auto s = agent::CheckPrerequisites(); !s.ok()) return Fail(s);

  agent::AgentOptions o;
  o.sampler.frequency_hz = c.frequency_hz;
  o.sampler.offcpu_sample_pct = c.off_cpu ? c.off_cpu_percent : 0;
  o.sampler.offcpu_min_ns = static_cast<uint64_t>(c.off_cpu_min_ns);
  o.interval_ns = c.interval_ns;
  o.host = c.node;
  o.external_labels = c.external_labels;
  o.relabel_configs = c.relabel_configs;

  auto exp = MakeExporter(c);
  if (!exp.ok()) return Fail(exp.status());
  // One interval's profiles are one batch, sent at once; retried with backoff while the
  // receiver is down, until the queue is full (then new profiles are dropped, counted).
  const std::unique_ptr<Env> env = NewPosixEnv();
  exporter::QueuedExporterOptions qo;
  qo.name = "agent";
  qo.env = env.get();
  qo.queue_dir = c.queue_dir;
  qo.max_queue_bytes = c.max_queue_bytes;
  qo.max_delay_ns = 0;
  qo.max_batch_profiles = 1000;
  qo.log = [](std::string_view m) { fmt::print(stderr, "hearth agent: export: {}\n", m); };
  auto queued = exporter::QueuedExporter::Open(std::move(*exp), std::move(qo));
  if (!queued.ok()) return Fail(queued.status());
  exporter::QueuedExporter& outbox = **queued;
  outbox.Start();

  const std::string tenant = c.tenant;
  auto sink = [&outbox, tenant](std::vector<agent::AgentProfile> profiles) {
    exporter::Batch batch;
    batch.tenant = tenant;
    for (agent::AgentProfile& p : profiles) {
      batch.items.push_back({std::move(p.labels), std::move(p.profile)});
    }
    // A refusal (queue full) is counted in the exporter's stats and on /metrics.
    (void)outbox.Enqueue(batch);
  };
  auto a = agent::Agent::Open(std::move(o), sink);
  if (!a.ok()) return Fail(a.status());
  agent::Agent& agent = **a;

  std::atomic<bool> stop{false};
  httplib::Server metrics;
  std::thread metrics_thread;
  if (!c.metrics_addr.empty() && c.metrics_addr != "off") {
    size_t colon = c.metrics_addr.rfind(':');
    std::string host = colon == std::string::npos ? "127.0.0.1" : c.metrics_addr.substr(0, colon);
    int64_t port = 0;
    if (colon == std::string::npos || !ParseInt(c.metrics_addr.substr(colon + 1), &port)) {
      return Fail(absl::InvalidArgumentError(fmt::format("metrics address \"{}\": want host:port", c.metrics_addr)));
    }
    if (host.empty()) host = "0.0.0.0";
    metrics.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
      res.set_content(Metrics(agent, outbox), "text/plain; version=0.0.4");
    });
    metrics.Get("/processes", [&](const httplib::Request&, httplib::Response& res) {
      res.set_content(agent.ProcessesJson(), "application/json");
    });
    int bound = port == 0 ? metrics.bind_to_any_port(host) : (metrics.bind_to_port(host, static_cast<int>(port)) ? static_cast<int>(port) : -1);
    if (bound < 0) {
      return Fail(absl::UnavailableError(fmt::format("cannot listen on {} for /metrics", c.metrics_addr)));
    }
    fmt::print(stderr, "hearth agent: metrics on {}:{}\n", host, bound);
    metrics_thread = std::thread([&] { metrics.listen_after_bind(); });
  }
  fmt::print(stderr, "hearth agent: sampling {} CPUs at {} Hz{}, exporting every {} ms to {} ({})\n",
             std::thread::hardware_concurrency(), c.frequency_hz, c.off_cpu ? " with off-CPU" : "",
             c.interval_ns / 1'000'000, c.server, c.protocol);

  // A thread waits for SIGTERM/SIGINT (or the --duration) and asks the loop to stop.
  std::thread signals([&] {
    timespec ts{};
    int64_t left = c.duration_ns;
    while (!stop.load()) {
      if (c.duration_ns > 0 && left <= 0) break;
      ts.tv_sec = 0;
      ts.tv_nsec = 200'000'000;
      int sig = sigtimedwait(&stop_signals, nullptr, &ts);
      if (sig == SIGTERM || sig == SIGINT) {
        fmt::print(stderr, "hearth agent: {}, detaching\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
        break;
      }
      left -= 200'000'000;
    }
    stop = true;
  });
  absl::Status run = agent.Run(&stop);
  stop = true;
  signals.join();
  outbox.Shutdown(5'000'000'000);
  if (metrics_thread.joinable()) {
    metrics.stop();
    metrics_thread.join();
  }
  double cpu = 0;
  int64_t max_rss = 0, rss = 0;
  SelfUsage(&cpu, &max_rss, &rss);
  agent::AgentStats st = agent.stats();
  const exporter::QueuedExporterStats es = outbox.stats();
  fmt::print(stderr,
             "hearth agent: stopped; samples {}, profiles {}, exported {}, still queued {}, "
             "cpu {:.3f} s, peak rss {} MiB\n",
             st.kernel.samples, st.profiles, es.exported_profiles, es.queue_profiles, cpu,
             max_rss >> 20);
  if (!run.ok()) return Fail(run);
  return 0;
}

}  // namespace

void AddAgentCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<AgentFlags>();
  CLI::App* cmd = app.add_subcommand(
      "agent", "Profile every process on this host with eBPF and export the profiles (root)");
  cmd->add_option("--server", f->server, "Where to send profiles (default http://127.0.0.1:4040)");
  cmd->add_option("--protocol", f->protocol, "otlp-http (default), otlp-grpc or pyroscope");
  cmd->add_option("--frequency", f->frequency, "Samples per second per CPU (default 19)");
  cmd->add_option("--interval", f->interval, "How often profiles are drained and sent (default 10s)");
  cmd->add_option("--config", f->config, "YAML file: relabel_configs, external_labels, ... (see README)");
  cmd->add_option("--node", f->node, "The host label (default: the hostname)");
  cmd->add_option("--tenant", f->tenant, "Tenant (X-Scope-OrgID) to send as");
  cmd->add_option("--label", f->labels, "Extra label name=value on every profile (repeatable)");
  cmd->add_option("--metrics-addr", f->metrics_addr,
                  "Listen address of /metrics and /processes (default 127.0.0.1:7071; off)");
  cmd->add_flag("--off-cpu", f->off_cpu, "Also record time blocked per stack (off_cpu)");
  cmd->add_option("--off-cpu-percent", f->off_cpu_percent,
                  "Percentage of blocking switches timed (default 10)");
  cmd->add_option("--off-cpu-min", f->off_cpu_min, "Ignore blocked intervals shorter than this (default 1ms)");
  cmd->add_option("--duration", f->duration, "Stop after this long (default: until SIGTERM)");
  cmd->add_option("--queue-dir", f->queue_dir,
                  "Keep the export queue on disk here, so a restart loses nothing (default: in memory)");
  cmd->callback([f, exit_code] { *exit_code = RunAgent(*f); });
}

}  // namespace hearth::cli
