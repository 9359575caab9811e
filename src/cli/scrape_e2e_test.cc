// End to end: the Go fixture programs (testdata/fixtures/go/src, standard library only) are
// built with `go build`, run on loopback and scraped by a real `hearth server` from its
// scrape_configs, next to targets served by this test that hang, answer garbage, answer 500
// or go away. Then the server's HTTP APIs must give back each program's CPU hot functions,
// its heap growth as deltas, goroutine counts and mutex/block delays, in the right units,
// and the targets API must show the bad targets down with their reasons.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/fmt.h"
#include "base/free_port.h"
#include "profile/pprof_codec.h"
#include "profile/profile.h"
#include "scrape/test_target.h"

namespace {

using namespace std::chrono_literals;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}


// A child process with its output in a file; killed (SIGKILL) when destroyed.
class Process {
 public:
  Process(std::vector<std::string> argv, const std::string& log,
          std::vector<std::string> env = {}) {
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      for (const std::string& e : env) putenv(const_cast<char*>(strdup(e.c_str())));
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
  }
  ~Process() { Kill(SIGKILL); }
  void Kill(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    int status;
    waitpid(pid_, &status, 0);
    exit_status_ = status;
    pid_ = -1;
  }
  int exit_status() const { return exit_status_; }

 private:
  pid_t pid_ = -1;
  int exit_status_ = -1;
};

int Shell(const std::string& cmd) { return std::system(cmd.c_str()); }

using hearth::scrape::testing::TestTarget;

bool WaitHttp(const std::string& address, const std::string& path, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    httplib::Client c("http://" + address);
    c.set_connection_timeout(1s);
    if (auto r = c.Get(path.c_str()); r && r->status == 200) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

class ScrapeE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hearth_scrape_e2e_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!HasFailure()) Shell("rm -rf " + dir_);
  }

  // GET from the server, parsed; fails the test on a non-200.
  simdjson::dom::element Get(const std::string& path_and_query) {
    httplib::Client c(fmt::format("http://127.0.0.1:{}", port_));
    c.set_read_timeout(30s);
    auto r = c.Get(path_and_query.c_str());
    EXPECT_TRUE(r) << path_and_query;
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << path_and_query << ": " << r->body;
    bodies_.push_back(r->body);
    auto doc = parser_.parse(bodies_.back());
    EXPECT_FALSE(doc.error()) << r->body;
    return doc.value_unsafe();
  }

  std::string dir_;
  int port_ = 0;
  simdjson::dom::parser parser_;
  std::vector<std::string> bodies_;
};

std::string Q(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// Sum of `name`'s flat values in a top answer's first group, and whether it is there.
bool TopHas(simdjson::dom::element top, std::string_view name_prefix) {
  for (auto row : top["groups"].at(0)["rows"].get_array()) {
    std::string_view n = row["name"].get_string().value_unsafe();
    if (n.starts_with(name_prefix)) return true;
  }
  return false;
}

TEST_F(ScrapeE2e, GoProgramsScrapedAndQueriedBack) {
  const std::string src = std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/go/src";
  const std::string bin = dir_ + "/bin";
  Shell("mkdir -p " + bin);
  // Standard library only: no network, no module downloads.
  const std::string build = fmt::format(
      "cd {} && GOCACHE={}/gocache GOPATH={}/gopath GOFLAGS=-mod=mod GOPROXY=off go build -o {}/ "
      "./cpuburn ./leaky "
      "./contention > {}/go_build.log 2>&1",
      src, dir_, dir_, bin, dir_);
  ASSERT_EQ(Shell(build), 0) << Slurp(dir_ + "/go_build.log");

  const int cpu_port = hearth::FreeLoopbackPort(), leaky_port = hearth::FreeLoopbackPort(),
            cont_port = hearth::FreeLoopbackPort();
  Process cpuburn({bin + "/cpuburn", "-addr", fmt::format("127.0.0.1:{}", cpu_port)},
                  dir_ + "/cpuburn.log");
  Process leaky({bin + "/leaky", "-addr", fmt::format("127.0.0.1:{}", leaky_port)},
                dir_ + "/leaky.log");
  Process contention({bin + "/contention", "-addr", fmt::format("127.0.0.1:{}", cont_port)},
                     dir_ + "/contention.log");
  for (int p : {cpu_port, leaky_port, cont_port}) {
    ASSERT_TRUE(WaitHttp(fmt::format("127.0.0.1:{}", p), "/debug/pprof/", 30s)) << p;
  }

  // Bad targets, served here.
  std::mutex hang_mu;
  std::condition_variable hang_cv;
  bool release = false;
  TestTarget hang([&](httplib::Server& s) {
    s.Get(R"(/debug/pprof/.*)", [&](const httplib::Request&, httplib::Response& res) {
      std::unique_lock<std::mutex> l(hang_mu);
      hang_cv.wait_for(l, 60s, [&] { return release; });
      res.set_content("late", "text/plain");
    });
  });
  TestTarget garbage([](httplib::Server& s) {
    s.Get(R"(/debug/pprof/.*)", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string("\x1f\x8b garbage, not gzip"), "application/octet-stream");
    });
  });
  TestTarget error500([](httplib::Server& s) {
    s.Get(R"(/debug/pprof/.*)", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content("profile broke", "text/plain");
    });
  });
  const std::string heap =
      Slurp(std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/go/http/leaky.heap.pb.gz");
  TestTarget vanishing([&](httplib::Server& s) {
    s.Get(R"(/debug/pprof/.*)", [&](const httplib::Request&, httplib::Response& res) {
      res.set_content(heap, "application/octet-stream");
    });
  });

  const std::string config =
      fmt::format(R"yaml(
server: {{http_addr: "127.0.0.1:0", grpc_addr: "127.0.0.1:0", otlp_http_enabled: false}}
storage: {{data_dir: {dir}/data}}
scrape_configs:
  - job_name: go
    scrape_interval: 3s
    static_configs:
      - targets: ["127.0.0.1:{cpu}"]
        labels: {{program: cpuburn}}
      - targets: ["127.0.0.1:{leaky}"]
        labels: {{program: leaky}}
      - targets: ["127.0.0.1:{cont}"]
        labels: {{program: contention}}
    relabel_configs:
      - {{source_labels: [program], target_label: service_name}}
      - {{source_labels: [__address__], regex: "127\\.0\\.0\\.1:(\\d+)", target_label: port}}
  - job_name: bad
    scrape_interval: 3s
    scrape_timeout: 1s
    static_configs:
      - targets: ["{hang}", "{garbage}", "{e500}", "{vanishing}"]
    profiling_config:
      pprof_config: {{process_cpu: {{enabled: false}}, block: {{enabled: false}}, mutex: {{enabled: false}},
                     goroutine: {{enabled: false}}}}
)yaml",
                  fmt::arg("dir", dir_), fmt::arg("cpu", cpu_port), fmt::arg("leaky", leaky_port),
                  fmt::arg("cont", cont_port), fmt::arg("hang", hang.address()),
                  fmt::arg("garbage", garbage.address()), fmt::arg("e500", error500.address()),
                  fmt::arg("vanishing", vanishing.address()));
  std::ofstream(dir_ + "/hearth.yaml") << config;
  Process server(
      {std::string(HEARTH_BINARY_DIR) + "/hearth", "server", "--config", dir_ + "/hearth.yaml"},
      dir_ + "/server.log");
  for (int i = 0; i < 300 && port_ == 0; ++i) {
    std::string log = Slurp(dir_ + "/server.log");
    size_t at = log.find("http :");
    if (at != std::string::npos) port_ = std::atoi(log.c_str() + at + 6);
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_NE(port_, 0) << Slurp(dir_ + "/server.log");

  // Let the vanishing target be scraped once, then take it away.
  bool seen_up = false;
  for (int i = 0; i < 100 && !seen_up; ++i) {
    auto t = Get("/api/v1/targets");
    for (auto a : t["data"]["activeTargets"].get_array()) {
      if (a["labels"]["instance"].get_string().value_unsafe() == vanishing.address() &&
          a["health"].get_string().value_unsafe() == "up") {
        seen_up = true;
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(seen_up) << Slurp(dir_ + "/server.log");
  vanishing.Stop();

  // Four more intervals: several CPU windows and cumulative deltas per program.
  std::this_thread::sleep_for(13s);

  const std::string range = "&from=now-10m&until=now%2B1m";
  // CPU: the hot functions of cpuburn, in nanoseconds.
  auto cpu =
      Get("/api/v1/merge?format=top&query=" +
          Q("process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn\",job=\"go\"}") +
          range);
  EXPECT_EQ(cpu["unit"].get_string().value_unsafe(), "nanoseconds");
  EXPECT_GT(cpu["groups"].at(0)["total"].get_int64().value_unsafe(),
            100'000'000);  // > 0.1 s of CPU
  EXPECT_TRUE(TopHas(cpu, "main.fib") || TopHas(cpu, "main.integrate") ||
              TopHas(cpu, "crypto/sha256"));
  EXPECT_TRUE(TopHas(cpu, "main.worker")) << bodies_.back().substr(0, 2000);

  // Heap growth as deltas: the stored alloc_space adds up to less than the running total
  // the program reports now (the first scrape was a baseline, later ones only what was
  // allocated since), and is not zero.
  auto alloc = Get("/api/v1/merge?format=top&query=" +
                   Q("memory:alloc_space:bytes:space:bytes{service_name=\"leaky\"}") + range);
  EXPECT_EQ(alloc["unit"].get_string().value_unsafe(), "bytes");
  const int64_t stored_alloc = alloc["groups"].at(0)["total"].get_int64().value_unsafe();
  EXPECT_GT(stored_alloc, 0);
  EXPECT_TRUE(TopHas(alloc, "main.newSession") || TopHas(alloc, "main.encodeResponse") ||
              TopHas(alloc, "main.appendHistory"));
  {
    httplib::Client c(fmt::format("http://127.0.0.1:{}", leaky_port));
    auto r = c.Get("/debug/pprof/allocs");
    ASSERT_TRUE(r);
    auto p = hearth::profile::DecodePprof(r->body);
    ASSERT_TRUE(p.ok()) << p.status();
    int64_t cumulative_now = -1;
    for (size_t i = 0; i < p->sample_types.size(); ++i) {
      if (p->Str(p->sample_types[i].type) == "alloc_space") cumulative_now = p->Total(i);
    }
    EXPECT_LT(stored_alloc, cumulative_now) << "alloc_space looks stored as running totals";
  }
  // Every stored point is one interval's allocations: a series with one point per scrape.
  auto series = Get("/api/v1/series?step=3s&query=" +
                    Q("memory:alloc_objects:count:space:bytes{service_name=\"leaky\"}") + range);
  EXPECT_GE(series["series"].at(0)["points"].get_array().size(), 2u);
  // In-use space stays an instant value.
  auto inuse = Get("/api/v1/merge?format=top&query=" +
                   Q("memory:inuse_space:bytes:space:bytes{service_name=\"leaky\"}") + range);
  EXPECT_GT(inuse["groups"].at(0)["total"].get_int64().value_unsafe(), 0);

  // Goroutines: the leaked ones, counted.
  auto gor = Get("/api/v1/series?step=1h&query=" +
                 Q("goroutine:goroutine:count:goroutine:count{service_name=\"leaky\"}") + range);
  EXPECT_EQ(gor["unit"].get_string().value_unsafe(), "count");
  auto gtop = Get("/api/v1/merge?format=top&query=" +
                  Q("goroutine:goroutine:count:goroutine:count{service_name=\"leaky\"}") + range);
  EXPECT_GT(gtop["groups"].at(0)["total"].get_int64().value_unsafe(), 100);
  EXPECT_TRUE(TopHas(gtop, "runtime.gopark"));
  EXPECT_TRUE(TopHas(gtop, "main.leak"));

  // Mutex and block delays of the contention program, in nanoseconds.
  auto mutex =
      Get("/api/v1/merge?format=top&query=" +
          Q("mutex:delay:nanoseconds:contentions:count{service_name=\"contention\"}") + range);
  EXPECT_EQ(mutex["unit"].get_string().value_unsafe(), "nanoseconds");
  EXPECT_GT(mutex["groups"].at(0)["total"].get_int64().value_unsafe(), 0);
  EXPECT_TRUE(TopHas(mutex, "sync.(*Mutex).Unlock") || TopHas(mutex, "sync.(*RWMutex).Unlock"));
  auto block =
      Get("/api/v1/merge?format=top&query=" +
          Q("block:delay:nanoseconds:contentions:count{service_name=\"contention\"}") + range);
  EXPECT_EQ(block["unit"].get_string().value_unsafe(), "nanoseconds");
  EXPECT_GT(block["groups"].at(0)["total"].get_int64().value_unsafe(), 0);
  EXPECT_TRUE(TopHas(block, "runtime.chansend1") || TopHas(block, "runtime.selectgo") ||
              TopHas(block, "sync.(*WaitGroup).Wait") || TopHas(block, "sync.(*Cond).Wait"));
  auto contentions =
      Get("/api/v1/merge?format=top&query=" +
          Q("block:contentions:count:contentions:count{service_name=\"contention\"}") + range);
  EXPECT_EQ(contentions["unit"].get_string().value_unsafe(), "count");

  // Labels: job, instance, service_name and the relabeled port.
  auto vals = Get("/api/v1/label_values?name=port" + range);
  bool has_port = false;
  for (auto v : vals["values"].get_array())
    has_port |= v.get_string().value_unsafe() == std::to_string(cpu_port);
  EXPECT_TRUE(has_port) << bodies_.back();

  // Targets: the good ones up and scraped every interval, the bad ones down with why.
  auto targets = Get("/api/v1/targets");
  int good = 0;
  for (auto a : targets["data"]["activeTargets"].get_array()) {
    const std::string_view job = a["scrapePool"].get_string().value_unsafe();
    const std::string instance(a["labels"]["instance"].get_string().value_unsafe());
    const std::string_view health = a["health"].get_string().value_unsafe();
    const std::string err(a["lastError"].get_string().value_unsafe());
    if (job == "go") {
      ++good;
      EXPECT_EQ(health, "up") << instance << ": " << err;
      for (auto p : a["profiles"].get_array()) {
        // 13+ s at a 3 s interval: 4+ ticks; a CPU window takes its whole interval.
        const bool cpu = p["name"].get_string().value_unsafe() == "process_cpu";
        EXPECT_GE(p["scrapes"].get_uint64().value_unsafe(), cpu ? 2u : 3u) << instance;
        EXPECT_EQ(p["failures"].get_uint64().value_unsafe(), 0u)
            << instance << " " << p["lastError"];
      }
      continue;
    }
    EXPECT_EQ(health, "down") << instance;
    if (instance == hang.address()) {
      EXPECT_NE(err.find("timed out after 1.0s"), std::string::npos) << err;
    } else if (instance == garbage.address()) {
      EXPECT_NE(err.find("not a pprof profile"), std::string::npos) << err;
    } else if (instance == error500.address()) {
      EXPECT_EQ(err, "memory: HTTP 500: profile broke");
    } else {
      EXPECT_EQ(instance, vanishing.address());
      EXPECT_EQ(err, "memory: connection refused or unreachable");
    }
  }
  EXPECT_EQ(good, 3);

  httplib::Client c(fmt::format("http://127.0.0.1:{}", port_));
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(
      metrics->body.find(fmt::format(
          "hearth_scrape_up{{job=\"go\",instance=\"127.0.0.1:{}\",profile=\"process_cpu\"}} 1",
          cpu_port)),
      std::string::npos);
  EXPECT_NE(
      metrics->body.find(fmt::format(
          "hearth_scrape_up{{job=\"bad\",instance=\"{}\",profile=\"memory\"}} 0", hang.address())),
      std::string::npos);
  EXPECT_NE(metrics->body.find("hearth_ingest_profiles_total{tenant=\"anonymous\",api=\"scrape\"}"),
            std::string::npos);
  auto page = c.Get("/targets");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("profile broke"), std::string::npos);

  {
    std::lock_guard<std::mutex> l(hang_mu);
    release = true;
  }
  hang_cv.notify_all();
  server.Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(server.exit_status()) && WEXITSTATUS(server.exit_status()) == 0)
      << Slurp(dir_ + "/server.log");
  EXPECT_NE(Slurp(dir_ + "/server.log").find("hearth server: stopped"), std::string::npos);
}

// `hearth scrape`: the standalone scraper pushes to a remote `hearth server`; block and
// mutex profiles (same sample types) must arrive as two types, as deltas, and nothing may be
// lost while the server is down: it is killed (-9) mid-run and started again.
TEST_F(ScrapeE2e, StandaloneScraperPushesToAServer) {
  const std::string dir = std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/go/";
  auto block = hearth::profile::DecodePprof(Slurp(dir + "http/contention.block.pb.gz"));
  auto mutex = hearth::profile::DecodePprof(Slurp(dir + "runtime_pprof/contention.mutex.pb.gz"));
  ASSERT_TRUE(block.ok() && mutex.ok());
  // Running totals that grow by the fixture's values on every answered scrape; once
  // `failing` is set the target answers 500 (so the last answered total is known).
  std::atomic<bool> failing{false};
  std::atomic<int> block_calls{0}, mutex_calls{0}, block_ok{0}, mutex_ok{0};
  auto serve = [&failing](const hearth::profile::Profile& p, std::atomic<int>& calls,
                          std::atomic<int>& ok, httplib::Response& res) {
    ++calls;
    if (failing) {
      res.status = 500;
      return;
    }
    hearth::profile::Profile out = p;
    const int times = ++ok;
    for (int64_t& v : out.values) v *= times;
    out.time_nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    res.set_content(hearth::profile::EncodePprofGzip(out), "application/octet-stream");
  };
  TestTarget target([&](httplib::Server& s) {
    s.Get("/debug/pprof/block", [&](const httplib::Request&, httplib::Response& res) {
      serve(*block, block_calls, block_ok, res);
    });
    s.Get("/debug/pprof/mutex", [&](const httplib::Request&, httplib::Response& res) {
      serve(*mutex, mutex_calls, mutex_ok, res);
    });
  });
  auto start_server = [&](const std::string& addr) {
    return std::make_unique<Process>(
        std::vector<std::string>{std::string(HEARTH_BINARY_DIR) + "/hearth", "server", "--data",
                                 dir_ + "/data", "--http-addr", addr, "--grpc-addr",
                                 "127.0.0.1:0", "--no-otlp-http"},
        dir_ + "/server.log");
  };
  auto server = start_server("127.0.0.1:0");
  for (int i = 0; i < 300 && port_ == 0; ++i) {
    std::string log = Slurp(dir_ + "/server.log");
    size_t at = log.find("http :");
    if (at != std::string::npos) port_ = std::atoi(log.c_str() + at + 6);
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_NE(port_, 0) << Slurp(dir_ + "/server.log");
  std::ofstream(dir_ + "/scrape.yaml") << fmt::format(R"yaml(
push: {{endpoint: "http://127.0.0.1:{}"}}
scrape_configs:
  - job_name: standalone
    scrape_interval: 1s
    static_configs: [{{targets: ["{}"], labels: {{service_name: contention}}}}]
    profiling_config:
      pprof_config: {{process_cpu: {{enabled: false}}, memory: {{enabled: false}}, goroutine: {{enabled: false}}}}
)yaml",
                                                      port_, target.address());
  Process scraper({std::string(HEARTH_BINARY_DIR) + "/hearth", "scrape", "--config",
                   dir_ + "/scrape.yaml", "--http-addr", "127.0.0.1:0", "--queue-dir",
                   dir_ + "/queue"},
                  dir_ + "/scrape.log");
  auto wait_calls = [&](int n) {
    for (int i = 0; i < 300 && (block_calls < n || mutex_calls < n); ++i)
      std::this_thread::sleep_for(50ms);
    ASSERT_GE(block_calls.load(), n) << Slurp(dir_ + "/scrape.log");
    ASSERT_GE(mutex_calls.load(), n) << Slurp(dir_ + "/scrape.log");
  };
  ASSERT_NO_FATAL_FAILURE(wait_calls(3));
  std::string log = Slurp(dir_ + "/scrape.log");
  size_t at = log.find("targets on http :");
  ASSERT_NE(at, std::string::npos) << log;
  httplib::Client status(fmt::format("http://127.0.0.1:{}", std::atoi(log.c_str() + at + 17)));
  auto metric = [&status](const std::string& name) -> int64_t {
    auto r = status.Get("/metrics");
    if (!r) return -1;
    size_t at = r->body.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::atoll(r->body.c_str() + at + name.size() + 2);
  };

  // The receiver dies; scrapes go on into the queue.
  server->Kill(SIGKILL);
  const int before = block_calls.load();
  ASSERT_NO_FATAL_FAILURE(wait_calls(before + 3));
  EXPECT_GE(metric("hearth_push_queue_profiles"), 2) << status.Get("/metrics")->body;
  // It comes back on the same address; the queue drains into it.
  server = start_server(fmt::format("127.0.0.1:{}", port_));
  // Then the target stops answering, so the last running total is known, and the test
  // waits for two failed scrapes of each type (the answered ones are queued by then) and
  // an empty queue.
  ASSERT_NO_FATAL_FAILURE(wait_calls(block_calls.load() + 2));
  failing = true;
  const int failing_from = std::max(block_calls.load(), mutex_calls.load());
  ASSERT_NO_FATAL_FAILURE(wait_calls(failing_from + 2));
  for (int i = 0; i < 300 && metric("hearth_push_queue_profiles") != 0; ++i)
    std::this_thread::sleep_for(100ms);
  ASSERT_EQ(metric("hearth_push_queue_profiles"), 0) << Slurp(dir_ + "/scrape.log");

  const std::string range = "&from=now-10m&until=now%2B1m";
  auto b = Get("/api/v1/merge?format=top&query=" +
               Q("block:delay:nanoseconds:contentions:count{service_name=\"contention\",job="
                 "\"standalone\"}") +
               range);
  const int64_t block_stored = b["groups"].at(0)["total"].get_int64().value_unsafe();
  EXPECT_TRUE(TopHas(b, "runtime.chansend1"));
  EXPECT_FALSE(TopHas(b, "sync.(*RWMutex).Unlock"));
  auto m = Get("/api/v1/merge?format=top&query=" +
               Q("mutex:delay:nanoseconds:contentions:count{service_name=\"contention\"}") + range);
  const int64_t mutex_stored = m["groups"].at(0)["total"].get_int64().value_unsafe();
  EXPECT_TRUE(TopHas(m, "sync.(*Mutex).Unlock"));
  EXPECT_FALSE(TopHas(m, "runtime.chansend1"));
  // Deltas, none lost: the first answer is the baseline, each later one adds one fixture's
  // worth, including those scraped while the server was down.
  EXPECT_EQ(block_stored, (block_ok.load() - 1) * block->Total(1)) << block_ok.load();
  EXPECT_EQ(mutex_stored, (mutex_ok.load() - 1) * mutex->Total(1)) << mutex_ok.load();
  EXPECT_GT(metric("hearth_push_exported_total"), 0);

  // Its own targets API: the failing target shows its reason.
  auto t = status.Get("/api/v1/targets");
  ASSERT_TRUE(t);
  EXPECT_NE(t->body.find("\"health\":\"down\""), std::string::npos) << t->body;
  EXPECT_NE(t->body.find("HTTP 500"), std::string::npos) << t->body;
  scraper.Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(scraper.exit_status()) && WEXITSTATUS(scraper.exit_status()) == 0)
      << Slurp(dir_ + "/scrape.log");
}

}  // namespace
