// The scraper under load: N simulated Go services (one local HTTP server in a child process,
// each service under its own path prefix) serve real fixture profiles as net/http/pprof does
// (the CPU endpoint holds the request for ?seconds=, the others answer at once); the scraper
// pulls every default profile type of every target each interval for a fixed time. Prints
// scrapes/s, scheduler lag (actual start minus scheduled start) p50/p99/max, failures, and
// the CPU the scraper used (this process only: the targets run in the child).
//
//   build/bench/scrape_bench --targets 200 --interval 10s --seconds 60
//
// With --prometheus PATH, Prometheus (Debian's `prometheus` package) then scrapes the same
// number of simulated targets' /metrics at the same interval for the same time, side by
// side: its CPU seconds (process_cpu_seconds_total) and its own measure of schedule
// accuracy (prometheus_target_interval_length_seconds, the actual time between scrapes).

#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "base/fmt.h"
#include "base/free_port.h"
#include "base/strings.h"
#include "scrape/manager.h"
#include "server/http.h"

namespace {

using namespace std::chrono_literals;
using hearth::scrape::Manager;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().empty()) {
    fmt::print(stderr, "cannot read {}\n", path);
    std::exit(1);
  }
  return ss.str();
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// A /metrics page of a typical Go service's size (~100 series), for the Prometheus side.
std::string MetricsPage() {
  std::string out;
  for (int i = 0; i < 100; ++i) {
    out += fmt::format(
        "# HELP go_metric_{0} A metric.\n# TYPE go_metric_{0} "
        "counter\ngo_metric_{0}{{code=\"200\"}} {1}\n",
        i, i * 17);
  }
  return out;
}

// The simulated services; runs until killed.
[[noreturn]] void ServeTargets(int port, int targets) {
  const std::string dir = std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/go/";
  const std::string cpu = Slurp(dir + "http/cpuburn.profile.10s.pb.gz");
  const std::string allocs = Slurp(dir + "http/leaky.allocs.pb.gz");
  const std::string goroutine = Slurp(dir + "http/leaky.goroutine.debug0.pb.gz");
  const std::string block = Slurp(dir + "http/contention.block.pb.gz");
  const std::string mutex = Slurp(dir + "runtime_pprof/contention.mutex.pb.gz");
  const std::string metrics = MetricsPage();
  hearth::server::HttpServerOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.threads = targets + 64;  // every CPU request holds a connection for its window
  auto http = hearth::server::HttpServer::Bind(o);
  if (!http.ok()) {
    fmt::print(stderr, "targets: {}\n", http.status().message());
    std::_Exit(1);
  }
  auto bin = [](std::string body) {
    return [body](const hearth::server::HttpRequest&) {
      hearth::server::HttpResponse r;
      r.content_type = "application/octet-stream";
      r.body = body;
      return r;
    };
  };
  for (int t = 0; t < targets; ++t) {
    const std::string p = fmt::format("/t{}", t);
    (*http)->Handle("GET", p + "/debug/pprof/profile",
                    [cpu](const hearth::server::HttpRequest& req) {
                      int secs = 1;
                      (void)hearth::ParseInt(req.Param("seconds"), &secs);
                      std::this_thread::sleep_for(std::chrono::seconds(std::clamp(secs, 1, 60)));
                      hearth::server::HttpResponse r;
                      r.content_type = "application/octet-stream";
                      r.body = cpu;
                      return r;
                    });
    (*http)->Handle("GET", p + "/debug/pprof/allocs", bin(allocs));
    (*http)->Handle("GET", p + "/debug/pprof/goroutine", bin(goroutine));
    (*http)->Handle("GET", p + "/debug/pprof/block", bin(block));
    (*http)->Handle("GET", p + "/debug/pprof/mutex", bin(mutex));
    (*http)->Handle("GET", p + "/metrics", [metrics](const hearth::server::HttpRequest&) {
      return hearth::server::HttpResponse::Text(200, metrics);
    });
  }
  (*http)->Start();
  for (;;) pause();
}


struct Args {
  int targets = 200;
  int64_t interval_s = 10;
  int seconds = 60;
  std::string prometheus;
};

void RunPrometheus(const Args& a, int port, pid_t targets_pid) {
  char tmpl[] = "/tmp/hearth_scrape_bench_prom_XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return;
  const std::string dir = tmpl;
  std::string cfg = fmt::format(
      "global: {{scrape_interval: {}s, scrape_timeout: 5s}}\nscrape_configs:\n", a.interval_s);
  for (int t = 0; t < a.targets; ++t) {
    cfg += fmt::format(
        "  - job_name: t{0}\n    metrics_path: /t{0}/metrics\n    static_configs: [{{targets: "
        "['127.0.0.1:{1}']}}]\n",
        t, port);
  }
  std::ofstream(dir + "/prometheus.yml") << cfg;
  const int web = hearth::FreeLoopbackPort();
  pid_t pid = fork();
  if (pid == 0) {
    freopen((dir + "/prometheus.log").c_str(), "w", stderr);
    execl(a.prometheus.c_str(), a.prometheus.c_str(),
          ("--config.file=" + dir + "/prometheus.yml").c_str(),
          ("--storage.tsdb.path=" + dir + "/data").c_str(),
          fmt::format("--web.listen-address=127.0.0.1:{}", web).c_str(), nullptr);
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::seconds(a.seconds));
  httplib::Client c(fmt::format("http://127.0.0.1:{}", web));
  auto r = c.Get("/metrics");
  double cpu = 0;
  std::string q50, q99;
  if (r) {
    std::istringstream in(r->body);
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("process_cpu_seconds_total ")) cpu = std::atof(line.c_str() + 26);
      if (line.starts_with("prometheus_target_interval_length_seconds{interval=") &&
          line.find("quantile=\"0.5\"") != std::string::npos) {
        q50 = line.substr(line.rfind(' ') + 1);
      }
      if (line.starts_with("prometheus_target_interval_length_seconds{interval=") &&
          line.find("quantile=\"0.99\"") != std::string::npos) {
        q99 = line.substr(line.rfind(' ') + 1);
      }
    }
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  fmt::print(
      "prometheus  {} targets x /metrics every {}s for {}s: {} scrapes/s expected; CPU {:.2f}s "
      "({:.1f}% of a core); "
      "interval between scrapes p50 {}s p99 {}s (target {}s)\n",
      a.targets, a.interval_s, a.seconds, static_cast<double>(a.targets) / a.interval_s, cpu,
      100 * cpu / a.seconds, q50, q99, a.interval_s);
  std::system(("rm -rf " + dir).c_str());
  (void)targets_pid;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--targets")
      a.targets = std::atoi(v.c_str());
    else if (k == "--interval")
      a.interval_s = std::atoll(v.c_str());
    else if (k == "--seconds")
      a.seconds = std::atoi(v.c_str());
    else if (k == "--prometheus")
      a.prometheus = v;
    else {
      fmt::print(stderr,
                 "usage: scrape_bench [--targets N] [--interval SECONDS] [--seconds S] "
                 "[--prometheus PATH]\n");
      return 2;
    }
  }
  const int port = hearth::FreeLoopbackPort();
  pid_t child = fork();
  if (child == 0) ServeTargets(port, a.targets);
  std::this_thread::sleep_for(1s);

  std::string yaml =
      fmt::format("- job_name: sim\n  scrape_interval: {}s\n  static_configs:\n", a.interval_s);
  for (int t = 0; t < a.targets; ++t) {
    yaml += fmt::format(
        "    - {{targets: ['127.0.0.1:{}'], labels: {{__profile_path_prefix__: /t{}, service_name: "
        "svc{}}}}}\n",
        port, t, t);
  }
  auto configs = hearth::scrape::ParseScrapeConfigs(yaml);
  if (!configs.ok()) {
    fmt::print(stderr, "{}\n", configs.status().message());
    return 1;
  }
  std::atomic<uint64_t> profiles{0}, samples{0}, bytes{0};
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  auto m = Manager::Start(std::move(*configs), [&](hearth::scrape::ScrapedProfile p) {
    profiles.fetch_add(1);
    samples.fetch_add(p.profile.samples.size());
    bytes.fetch_add(p.pprof.size());
    return absl::OkStatus();
  });
  if (!m.ok()) {
    fmt::print(stderr, "{}\n", m.status().message());
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::seconds(a.seconds));
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  const hearth::scrape::LagStats lag = (*m)->Lag();
  uint64_t failures = 0, scrapes = 0, missed = 0;
  for (const auto& t : (*m)->Targets()) {
    for (const auto& p : t.profiles) {
      failures += p.failures;
      scrapes += p.scrapes;
      missed += p.missed;
    }
  }
  (*m)->Stop();
  const double expected = static_cast<double>(a.targets) * 5 / static_cast<double>(a.interval_s);
  fmt::print(
      "hearth      {} targets x 5 profile types every {}s for {:.0f}s: {:.1f} scrapes/s (schedule: "
      "{:.1f}/s), "
      "{} profiles, {:.1f} MB, {} failures, {} missed ticks\n",
      a.targets, a.interval_s, elapsed, static_cast<double>(scrapes) / elapsed, expected,
      profiles.load(), static_cast<double>(bytes.load()) / 1e6, failures, missed);
  fmt::print(
      "hearth      scheduler lag p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms over {} scrapes; "
      "scraper CPU {:.2f}s "
      "({:.1f}% of a core, {:.0f} µs per scrape incl. fetch + pprof decode)\n",
      static_cast<double>(lag.p50_ns) / 1e6, static_cast<double>(lag.p99_ns) / 1e6,
      static_cast<double>(lag.max_ns) / 1e6, lag.count, cpu, 100 * cpu / elapsed,
      scrapes == 0 ? 0.0 : cpu * 1e6 / static_cast<double>(scrapes));
  if (!a.prometheus.empty()) RunPrometheus(a, port, child);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return 0;
}
