// The scheduler against real HTTP targets in the test: one serving the Go fixtures as
// net/http/pprof does, and ones that hang, answer garbage, answer 500 or go away.

#include "scrape/manager.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "base/fmt.h"
#include "scrape/test_target.h"

namespace hearth::scrape {
namespace {

using namespace std::chrono_literals;

std::string Fixture(const std::string& rel) {
  std::ifstream in(std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/go/" + rel,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << rel;
  return ss.str();
}

using hearth::scrape::testing::TestTarget;

struct CpuLog {
  std::mutex mu;
  int running = 0, max_running = 0;
  std::vector<int> seconds;
};

void ServeFixtures(httplib::Server& s, CpuLog* cpu) {
  const std::string profile = Fixture("http/cpuburn.profile.3s.pb.gz");
  const std::string allocs = Fixture("http/leaky.allocs.pb.gz");
  const std::string goroutine = Fixture("http/leaky.goroutine.debug0.pb.gz");
  const std::string block = Fixture("http/contention.block.pb.gz");
  const std::string mutex = Fixture("runtime_pprof/contention.mutex.pb.gz");
  s.Get("/debug/pprof/profile", [=](const httplib::Request& req, httplib::Response& res) {
    int secs = std::stoi(req.get_param_value("seconds"));
    {
      std::lock_guard<std::mutex> l(cpu->mu);
      cpu->max_running = std::max(cpu->max_running, ++cpu->running);
      cpu->seconds.push_back(secs);
    }
    std::this_thread::sleep_for(std::chrono::seconds(secs));
    {
      std::lock_guard<std::mutex> l(cpu->mu);
      --cpu->running;
    }
    res.set_content(profile, "application/octet-stream");
  });
  for (auto [path, body] :
       {std::pair{"/debug/pprof/allocs", allocs}, std::pair{"/debug/pprof/goroutine", goroutine},
        std::pair{"/debug/pprof/block", block}, std::pair{"/debug/pprof/mutex", mutex}}) {
    s.Get(path, [body = body](const httplib::Request&, httplib::Response& res) {
      res.set_content(body, "application/octet-stream");
    });
  }
}

struct Collected {
  std::mutex mu;
  std::vector<ScrapedProfile> profiles;
  std::vector<ScrapedProfile> For(std::string_view instance, std::string_view name) {
    std::lock_guard<std::mutex> l(mu);
    std::vector<ScrapedProfile> out;
    for (const auto& p : profiles) {
      bool i = false, n = false;
      for (const auto& [k, v] : p.labels) {
        i |= k == "instance" && v == instance;
        n |= k == "__name__" && v == name;
      }
      if (i && n) out.push_back(p);
    }
    return out;
  }
};

const ProfileHealth* Find(const std::vector<TargetHealth>& ts, const std::string& instance,
                          std::string_view name) {
  for (const TargetHealth& t : ts) {
    for (const auto& [k, v] : t.labels) {
      if (k != "instance" || v != instance) continue;
      for (const ProfileHealth& p : t.profiles) {
        if (p.name == name) return &p;
      }
    }
  }
  return nullptr;
}

TEST(Manager, ScrapesGoodTargetsWhileBadOnesFail) {
  CpuLog cpu;
  TestTarget good([&](httplib::Server& s) { ServeFixtures(s, &cpu); });
  CpuLog cpu2;
  TestTarget vanishing([&](httplib::Server& s) { ServeFixtures(s, &cpu2); });
  std::mutex hang_mu;
  std::condition_variable hang_cv;
  bool release = false;
  TestTarget hang([&](httplib::Server& s) {
    s.Get(R"(/debug/pprof/.*)", [&](const httplib::Request&, httplib::Response& res) {
      std::unique_lock<std::mutex> l(hang_mu);
      hang_cv.wait_for(l, 30s, [&] { return release; });
      res.set_content("late", "text/plain");
    });
  });
  TestTarget garbage([](httplib::Server& s) {
    s.Get(R"(/debug/pprof/.*)", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("<html>this is not a profile</html>", "text/html");
    });
  });
  TestTarget error500([](httplib::Server& s) {
    s.Get(R"(/debug/pprof/.*)", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content("Could not enable CPU profiling: cpu profiling already in use\n",
                      "text/plain");
    });
  });

  auto configs = ParseScrapeConfigs(fmt::format(R"(
- job_name: fixtures
  scrape_interval: 2s
  scrape_timeout: 1500ms
  static_configs:
    - targets: ["{}", "{}", "{}", "{}", "{}"]
      labels: {{env: test}}
)",
                                                good.address(), vanishing.address(), hang.address(),
                                                garbage.address(), error500.address()));
  ASSERT_TRUE(configs.ok()) << configs.status();
  Collected got;
  // Fewer workers than failing endpoints: the ones that hang until their timeout must not
  // hold up the good target once they are known to fail.
  ManagerOptions options;
  options.max_concurrent_scrapes = 2;
  options.max_concurrent_failing = 2;
  auto m = Manager::Start(
      std::move(*configs),
      [&](ScrapedProfile p) {
        std::lock_guard<std::mutex> l(got.mu);
        got.profiles.push_back(std::move(p));
        return absl::OkStatus();
      },
      options);
  ASSERT_TRUE(m.ok()) << m.status();

  // Until a target has failed once, its hung scrapes may hold both short-pool workers past
  // a tick of the good target (the first round); from then on they go to the failing pool,
  // and the good target must miss no tick. Wait for that, and count the good target's
  // misses from there.
  const std::vector<std::string_view> short_types = {"memory", "goroutine", "block", "mutex"};
  auto known_bad = [&] {
    auto ts = (*m)->Targets();
    for (const TestTarget* t : {&hang, &garbage, &error500}) {
      for (std::string_view name : short_types) {
        const ProfileHealth* h = Find(ts, t->address(), name);
        if (h == nullptr || !h->scraped || h->up) return false;
      }
    }
    return true;
  };
  for (int i = 0; i < 200 && !known_bad(); ++i) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(known_bad());
  std::map<std::string_view, uint64_t> missed_before;
  {
    auto ts = (*m)->Targets();
    for (std::string_view name : short_types) missed_before[name] = Find(ts, good.address(), name)->missed;
  }

  // The vanishing target answers at first, then goes away.
  for (int i = 0; i < 100 && got.For(vanishing.address(), "memory").empty(); ++i)
    std::this_thread::sleep_for(50ms);
  ASSERT_FALSE(got.For(vanishing.address(), "memory").empty());
  {
    auto ts = (*m)->Targets();
    const ProfileHealth* v = Find(ts, vanishing.address(), "memory");
    ASSERT_NE(v, nullptr);
    EXPECT_TRUE(v->up);
  }
  vanishing.Stop();
  // Three more intervals: every target has been tried since.
  std::this_thread::sleep_for(6500ms);
  auto ts = (*m)->Targets();
  ASSERT_EQ(ts.size(), 5u);

  for (std::string_view name : {"memory", "goroutine", "block", "mutex", "process_cpu"}) {
    const ProfileHealth* h = Find(ts, hang.address(), name);
    ASSERT_NE(h, nullptr);
    EXPECT_FALSE(h->up) << name;
    EXPECT_NE(h->last_error.find("timed out"), std::string::npos) << name << ": " << h->last_error;
    h = Find(ts, garbage.address(), name);
    EXPECT_FALSE(h->up);
    EXPECT_NE(h->last_error.find("not a pprof profile"), std::string::npos) << h->last_error;
    h = Find(ts, error500.address(), name);
    EXPECT_FALSE(h->up);
    EXPECT_EQ(h->last_error,
              "HTTP 500: Could not enable CPU profiling: cpu profiling already in use");
    h = Find(ts, vanishing.address(), name);
    EXPECT_FALSE(h->up);
    EXPECT_EQ(h->last_error, "connection refused or unreachable") << name;
    h = Find(ts, good.address(), name);
    EXPECT_TRUE(h->up) << name << ": " << h->last_error;
    EXPECT_EQ(h->last_error, "");
    // Never still waiting for a worker when its next tick came, since the failing targets
    // were known (the CPU window is not a short type: it waits rather than misses).
    if (missed_before.count(name)) {
      EXPECT_EQ(h->missed, missed_before[name]) << name;
    }
  }
  // The good target kept its schedule: in ~7-9 s at a 2 s interval, at least 3 scrapes of
  // each short type, despite hung targets holding workers.
  for (std::string_view name : {"memory", "goroutine", "block", "mutex"}) {
    auto ps = got.For(good.address(), name);
    EXPECT_GE(ps.size(), 3u) << name;
    for (const auto& p : ps) EXPECT_TRUE(p.cumulative) << name;
  }
  auto cpu_profiles = got.For(good.address(), "process_cpu");
  ASSERT_GE(cpu_profiles.size(), 2u);
  const ScrapedProfile& p = cpu_profiles[0];
  EXPECT_FALSE(p.cumulative);
  EXPECT_EQ(p.profile.samples.size(), 101u);  // the fixture, decoded
  EXPECT_FALSE(p.pprof.empty());
  Labels want = {{"__name__", "process_cpu"},
                 {"env", "test"},
                 {"instance", good.address()},
                 {"job", "fixtures"},
                 {"service_name", "fixtures"}};
  Labels labels = p.labels;
  std::sort(labels.begin(), labels.end());
  EXPECT_EQ(labels, want);
  EXPECT_GT(p.end_ns, p.start_ns);
  // CPU windows never overlap and ask for about one interval.
  {
    std::lock_guard<std::mutex> l(cpu.mu);
    EXPECT_EQ(cpu.max_running, 1);
    for (int s : cpu.seconds) EXPECT_TRUE(s == 1 || s == 2) << s;
  }
  const ProfileHealth* gh = Find(ts, good.address(), "process_cpu");
  EXPECT_NE(gh->url.find("/debug/pprof/profile?seconds="), std::string::npos) << gh->url;

  // The targets API and metrics show the same.
  const std::string json = (*m)->TargetsJson();
  EXPECT_NE(json.find(R"("health":"down")"), std::string::npos);
  EXPECT_NE(json.find(R"("lastError":"HTTP 500: Could not enable CPU profiling)"),
            std::string::npos);
  EXPECT_NE(json.find(R"("scrapePool":"fixtures")"), std::string::npos);
  const std::string metrics = (*m)->MetricsText();
  EXPECT_NE(metrics.find(fmt::format(
                "hearth_scrape_up{{job=\"fixtures\",instance=\"{}\",profile=\"memory\"}} 1",
                good.address())),
            std::string::npos);
  EXPECT_NE(metrics.find(fmt::format(
                "hearth_scrape_up{{job=\"fixtures\",instance=\"{}\",profile=\"memory\"}} 0",
                hang.address())),
            std::string::npos);
  EXPECT_NE(metrics.find("hearth_scrape_targets{job=\"fixtures\"} 5"), std::string::npos);
  EXPECT_NE((*m)->TargetsHtml().find("connection refused"), std::string::npos);

  {
    std::lock_guard<std::mutex> l(hang_mu);
    release = true;
  }
  hang_cv.notify_all();
  // Stop returns promptly even with CPU windows in flight (their sockets are shut down).
  const auto stop_start = std::chrono::steady_clock::now();
  (*m)->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_start, 5s);
}

TEST(Manager, SinkErrorsMarkTheTargetDown) {
  CpuLog cpu;
  TestTarget good([&](httplib::Server& s) { ServeFixtures(s, &cpu); });
  auto configs = ParseScrapeConfigs(fmt::format(R"(
- job_name: j
  scrape_interval: 1s
  static_configs: [{{targets: ["{}"]}}]
  profiling_config: {{pprof_config: {{process_cpu: {{enabled: false}}, block: {{enabled: false}},
                     mutex: {{enabled: false}}, goroutine: {{enabled: false}}}}}}
)",
                                                good.address()));
  ASSERT_TRUE(configs.ok()) << configs.status();
  std::atomic<int> calls{0};
  auto m = Manager::Start(std::move(*configs), [&](ScrapedProfile) {
    ++calls;
    return absl::InvalidArgumentError("profile has 71 samples, above the limit of 10");
  });
  ASSERT_TRUE(m.ok());
  for (int i = 0; i < 100 && calls == 0; ++i) std::this_thread::sleep_for(50ms);
  std::this_thread::sleep_for(100ms);
  auto ts = (*m)->Targets();
  ASSERT_EQ(ts.size(), 1u);
  ASSERT_EQ(ts[0].profiles.size(), 1u);
  EXPECT_FALSE(ts[0].profiles[0].up);
  EXPECT_EQ(ts[0].profiles[0].last_error, "storing: profile has 71 samples, above the limit of 10");
  EXPECT_EQ(ts[0].last_error(), "memory: storing: profile has 71 samples, above the limit of 10");
}

TEST(Manager, FileSdChangesAddAndRemoveTargets) {
  CpuLog cpu;
  TestTarget good([&](httplib::Server& s) { ServeFixtures(s, &cpu); });
  char tmpl[] = "/tmp/hearth_scrape_sd_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl, file = dir + "/targets.json";
  std::ofstream(file) << "[]";
  auto configs = ParseScrapeConfigs(fmt::format(R"(
- job_name: sd
  scrape_interval: 1s
  file_sd_configs: [{{files: ["{}/*.json"]}}]
  relabel_configs: [{{source_labels: [__meta_filepath], regex: ".*/(.*)\\.json", target_label: from}}]
  profiling_config: {{pprof_config: {{process_cpu: {{enabled: false}}, block: {{enabled: false}},
                     mutex: {{enabled: false}}, goroutine: {{enabled: false}}}}}}
)",
                                                dir));
  ASSERT_TRUE(configs.ok()) << configs.status();
  Collected got;
  ManagerOptions options;
  options.file_sd_check_ns = 50'000'000;
  auto m = Manager::Start(
      std::move(*configs),
      [&](ScrapedProfile p) {
        std::lock_guard<std::mutex> l(got.mu);
        got.profiles.push_back(std::move(p));
        return absl::OkStatus();
      },
      options);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE((*m)->Targets().empty());
  std::ofstream(file) << fmt::format(R"([{{"targets": ["{}"], "labels": {{"team": "a"}}}}])",
                                     good.address());
  for (int i = 0; i < 100 && got.For(good.address(), "memory").empty(); ++i)
    std::this_thread::sleep_for(50ms);
  auto ps = got.For(good.address(), "memory");
  ASSERT_FALSE(ps.empty());
  Labels labels = ps[0].labels;
  std::sort(labels.begin(), labels.end());
  EXPECT_EQ(labels, (Labels{{"__name__", "memory"},
                            {"from", "targets"},
                            {"instance", good.address()},
                            {"job", "sd"},
                            {"service_name", "sd"},
                            {"team", "a"}}));
  ASSERT_EQ((*m)->Targets().size(), 1u);
  std::ofstream(file) << "[ ]";  // other bytes, no targets
  for (int i = 0; i < 100 && !(*m)->Targets().empty(); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_TRUE((*m)->Targets().empty());
  (*m)->Stop();
  std::remove(file.c_str());
  rmdir(dir.c_str());
}

TEST(Manager, SendsAuthHeadersAndParamsAndScrapesCustomTypes) {
  const std::string heap = Fixture("http/leaky.heap.pb.gz");
  std::atomic<int> unauthorized{0};
  TestTarget target([&](httplib::Server& s) {
    s.Get(R"(/app/debug/pprof/(heap|fgprof))",
          [&](const httplib::Request& req, httplib::Response& res) {
            if (req.get_header_value("Authorization") != "Bearer s3cret" ||
                req.get_header_value("X-Team") != "a" || req.get_param_value("gc") != "1") {
              ++unauthorized;
              res.status = 401;
              res.set_content("unauthorized", "text/plain");
              return;
            }
            res.set_content(heap, "application/octet-stream");
          });
  });
  auto configs = ParseScrapeConfigs(fmt::format(R"(
- job_name: auth
  scrape_interval: 2s
  authorization: {{credentials: s3cret}}
  headers: {{X-Team: a}}
  params: {{gc: ["1"]}}
  static_configs: [{{targets: ["{}"]}}]
  profiling_config:
    path_prefix: /app
    pprof_config:
      process_cpu: {{enabled: false}}
      block: {{enabled: false}}
      mutex: {{enabled: false}}
      goroutine: {{enabled: false}}
      memory: {{path: /debug/pprof/heap}}
      fgprof: {{path: /debug/pprof/fgprof, delta: true, seconds: 1}}
)",
                                                target.address()));
  ASSERT_TRUE(configs.ok()) << configs.status();
  Collected got;
  auto m = Manager::Start(std::move(*configs), [&](ScrapedProfile p) {
    std::lock_guard<std::mutex> l(got.mu);
    got.profiles.push_back(std::move(p));
    return absl::OkStatus();
  });
  ASSERT_TRUE(m.ok());
  for (int i = 0; i < 200 && (got.For(target.address(), "memory").empty() ||
                              got.For(target.address(), "fgprof").empty());
       ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(unauthorized.load(), 0);
  auto mem = got.For(target.address(), "memory");
  auto fg = got.For(target.address(), "fgprof");
  ASSERT_FALSE(mem.empty());
  ASSERT_FALSE(fg.empty());
  EXPECT_TRUE(mem[0].cumulative);
  EXPECT_FALSE(fg[0].cumulative);  // a ?seconds= window
  EXPECT_EQ(fg[0].end_ns - fg[0].start_ns, 1'000'000'000);
  auto ts = (*m)->Targets();
  ASSERT_EQ(ts.size(), 1u);
  const ProfileHealth* f = Find(ts, target.address(), "fgprof");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->url,
            fmt::format("http://{}/app/debug/pprof/fgprof?gc=1&seconds=1", target.address()));
}

}  // namespace
}  // namespace hearth::scrape
