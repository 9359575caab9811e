// Load on a real `hearth server`: several connections push real fixture profiles over
// HTTP (/ingest, format=pprof) for a fixed duration while other connections query; prints
// profiles/s accepted, ingest latency p50/p99, query p99, errors and the server's RSS over
// time.
//
//   build/bench/server_load --hearth build/hearth --seconds 60 --connections 8
//
// The server runs as a child process with a fresh data directory, so its RSS is its own,
// and a config that lifts the per-tenant rate limit (4 MiB/s by default, as Pyroscope's).
//
// Peer baseline, measured in the same run: the C++ protobuf runtime's gunzip +
// ParseFromString of the same bodies on one thread, which the reference notes take as the
// per-core ingest budget of a protobuf-based server (2-3k profiles/s/core). The server does
// that work plus HTTP, validation, the WAL's fsync and indexing.

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/compress.h"
#include "base/free_port.h"
#include "fmt/core.h"
#include "proto/pprof_bench.pb.h"  // generated from bench/proto/pprof_bench.proto

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Flags {
  std::string hearth = "build/hearth";
  std::string fixtures = HEARTH_SOURCE_DIR "/testdata/fixtures/go";
  int seconds = 30;
  int connections = 8;
  int query_connections = 1;
  int services = 20;
  std::string query_type = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
};

[[noreturn]] void Die(const std::string& msg) {
  fmt::print(stderr, "server_load: {}\n", msg);
  std::exit(1);
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int FreePort() {
  const int port = hearth::FreeLoopbackPort();
  if (port < 0) Die("no free port");
  return port;
}

long RssKiB(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

struct Latencies {
  std::mutex mu;
  std::vector<double> ms;
  void Add(double v) {
    std::lock_guard<std::mutex> l(mu);
    ms.push_back(v);
  }
  double Quantile(double q) {
    std::lock_guard<std::mutex> l(mu);
    if (ms.empty()) return 0;
    std::sort(ms.begin(), ms.end());
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))];
  }
};

double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Profiles/s of gunzip + protobuf-runtime ParseFromString over `bodies`, one thread.
double ProtobufParseRate(const std::vector<std::string>& bodies, double seconds) {
  const auto start = Clock::now();
  long n = 0;
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    for (const std::string& b : bodies) {
      auto raw = hearth::GzipDecompress(b);
      if (!raw.ok()) Die("fixture does not gunzip: " + std::string(raw.status().message()));
      hearth_bench::pprof::Profile p;
      if (!p.ParseFromString(*raw)) Die("fixture does not parse as pprof");
      ++n;
    }
  }
  return n / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--hearth") f.hearth = v;
    else if (k == "--fixtures") f.fixtures = v;
    else if (k == "--seconds") f.seconds = std::atoi(v.c_str());
    else if (k == "--connections") f.connections = std::atoi(v.c_str());
    else if (k == "--query-connections") f.query_connections = std::atoi(v.c_str());
    else if (k == "--services") f.services = std::atoi(v.c_str());
    else Die("unknown flag " + k);
  }

  // Every gzipped pprof under the fixture directory.
  std::vector<std::string> bodies;
  size_t body_bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(f.fixtures)) {
    if (e.is_regular_file() && e.path().string().ends_with(".pb.gz")) {
      bodies.push_back(ReadAll(e.path()));
      body_bytes += bodies.back().size();
    }
  }
  if (bodies.empty()) Die("no .pb.gz fixtures under " + f.fixtures);
  // As an SDK would send them: captured now (the server keeps a profile's own time).
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  body_bytes = 0;
  for (std::string& b : bodies) {
    auto raw = hearth::GzipDecompress(b);
    hearth_bench::pprof::Profile p;
    if (!raw.ok() || !p.ParseFromString(*raw)) Die("a fixture is not a gzipped pprof");
    p.set_time_nanos(now_ns);
    b = hearth::GzipCompress(p.SerializeAsString());
    body_bytes += b.size();
  }

  const double parse_rate = ProtobufParseRate(bodies, 2.0);

  std::string data = fs::temp_directory_path() / fmt::format("hearth-load-{}", getpid());
  fs::remove_all(data);
  fs::create_directories(data);
  const std::string config = data + "/config.yaml";
  std::ofstream(config) << "limits:\n  ingestion_rate_bytes: 1GiB\n  ingestion_burst_bytes: 1GiB\n";
  int port = FreePort(), grpc_port = FreePort();
  pid_t server = fork();
  if (server == 0) {
    std::string http = fmt::format("127.0.0.1:{}", port);
    std::string grpc = fmt::format("127.0.0.1:{}", grpc_port);
    const std::string store = data + "/store";
    execl(f.hearth.c_str(), f.hearth.c_str(), "server", "--config", config.c_str(), "--data", store.c_str(), "--http-addr",
          http.c_str(), "--grpc-addr", grpc.c_str(), "--no-otlp-http", nullptr);
    _exit(127);
  }
  httplib::Client probe("127.0.0.1", port);
  for (int i = 0;; ++i) {
    auto r = probe.Get("/ready");
    if (r && r->status == 200) break;
    if (i > 200) Die("server did not become ready");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  fmt::print("server_load: {} fixture profiles ({} KiB), {} push connections, {} query "
             "connections, {} s\n",
             bodies.size(), body_bytes / 1024, f.connections, f.query_connections, f.seconds);

  std::atomic<bool> stop{false};
  std::atomic<long> accepted{0}, errors{0}, queries{0}, query_errors{0}, nonempty_queries{0};
  std::atomic<long> sent_bytes{0};
  Latencies ingest_ms, query_ms;
  std::mutex err_mu;
  std::string first_error;
  auto note_error = [&](std::string e) {
    std::lock_guard<std::mutex> l(err_mu);
    if (first_error.empty()) first_error = std::move(e);
  };

  std::vector<std::thread> threads;
  for (int c = 0; c < f.connections; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", port);
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);
      for (long n = c; !stop.load(std::memory_order_relaxed); n += f.connections) {
        const std::string& body = bodies[n % bodies.size()];
        long now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
        httplib::Params q{
            {"name", fmt::format("load-{}{{instance=i-{},region=r{}}}", n % f.services, n % 7, c % 3)},
            {"from", std::to_string(now - 10)},
            {"until", std::to_string(now)},
            {"format", "pprof"}};
        std::string path = "/ingest?" + httplib::detail::params_to_query_str(q);
        auto t = Clock::now();
        auto r = cli.Post(path, body, "application/octet-stream");
        ingest_ms.Add(MsSince(t));
        if (r && r->status == 200) {
          accepted.fetch_add(1, std::memory_order_relaxed);
          sent_bytes.fetch_add(body.size(), std::memory_order_relaxed);
        } else {
          errors.fetch_add(1);
          note_error(r ? fmt::format("ingest HTTP {}: {}", r->status, r->body)
                       : fmt::format("ingest: {}", httplib::to_string(r.error())));
        }
      }
    });
  }
  for (int c = 0; c < f.query_connections; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", port);
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);
      for (long n = c; !stop.load(std::memory_order_relaxed); n += f.query_connections) {
        std::string query = fmt::format("{}{{service_name=\"load-{}\"}}", f.query_type,
                                        n % f.services);
        httplib::Params params{{"query", query}, {"from", "now-5m"}, {"until", "now"}};
        auto t = Clock::now();
        auto r = cli.Get("/pyroscope/render", params, httplib::Headers{});
        query_ms.Add(MsSince(t));
        queries.fetch_add(1);
        if (r && r->status == 200 && r->body.find("\"numTicks\":0,") == std::string::npos &&
            r->body.find("\"numTicks\":") != std::string::npos) {
          nonempty_queries.fetch_add(1);
        }
        if (!r || r->status != 200) {
          query_errors.fetch_add(1);
          note_error(r ? fmt::format("query HTTP {}: {}", r->status, r->body)
                       : fmt::format("query: {}", httplib::to_string(r.error())));
        }
      }
    });
  }

  std::vector<long> rss, rate;
  auto start = Clock::now();
  long rss_start = RssKiB(server);
  long last = 0;
  for (int s = 1; s <= f.seconds; ++s) {
    std::this_thread::sleep_until(start + std::chrono::seconds(s));
    rss.push_back(RssKiB(server));
    const long now_accepted = accepted.load();
    rate.push_back(now_accepted - last);
    last = now_accepted;
  }
  stop = true;
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  kill(server, SIGTERM);
  int status = 0;
  auto t = Clock::now();
  waitpid(server, &status, 0);
  double shutdown_ms = MsSince(t);
  fs::remove_all(data);

  fmt::print("accepted        {} profiles in {:.1f} s = {:.0f} profiles/s ({:.1f} MiB/s)\n",
             accepted.load(), elapsed, accepted / elapsed,
             sent_bytes / elapsed / (1 << 20));
  fmt::print("peer baseline   protobuf runtime gunzip+parse of the same bodies: {:.0f} profiles/s "
             "on one thread; server/({} cores x that) = {:.2f}\n",
             parse_rate, std::thread::hardware_concurrency(),
             accepted / elapsed / (parse_rate * std::thread::hardware_concurrency()));
  fmt::print("ingest latency  p50 {:.2f} ms, p99 {:.2f} ms\n", ingest_ms.Quantile(0.5),
             ingest_ms.Quantile(0.99));
  fmt::print("queries         {} ({:.1f}/s, {} with data), p50 {:.1f} ms, p99 {:.1f} ms\n",
             queries.load(), queries / elapsed, nonempty_queries.load(), query_ms.Quantile(0.5),
             query_ms.Quantile(0.99));
  fmt::print("errors          ingest {}, query {}{}\n", errors.load(), query_errors.load(),
             first_error.empty() ? "" : " (first: " + first_error + ")");
  fmt::print("server RSS MiB  start {:.0f}", rss_start / 1024.0);
  size_t step = std::max<size_t>(1, rss.size() / 10);
  for (size_t i = step - 1; i < rss.size(); i += step) {
    fmt::print(", {}s {:.0f}", i + 1, rss[i] / 1024.0);
  }
  fmt::print("\nprofiles/s      ");
  for (size_t i = step - 1; i < rate.size(); i += step) {
    fmt::print("{}{}s {}", i + 1 == step ? "" : ", ", i + 1, rate[i]);
  }
  fmt::print("\nshutdown        {:.0f} ms, exit status {}\n", shutdown_ms,
             WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return errors == 0 && query_errors == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0
                                                                                            : 1;
}
