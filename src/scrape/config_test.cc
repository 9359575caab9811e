#include "scrape/config.h"

#include <gtest/gtest.h>

namespace hearth::scrape {
namespace {

const ProfileTypeConfig* Find(const ScrapeConfig& c, std::string_view name) {
  for (const auto& p : c.profiles) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

TEST(ScrapeConfig, FullExample) {
  auto c = ParseScrapeConfigs(R"(
- job_name: api
  scrape_interval: 15s
  scrape_timeout: 5s
  scheme: https
  tenant: team-a
  basic_auth: {username: user, password: pass}
  headers: {X-Extra: v}
  params: {debug: ["0"]}
  tls_config: {insecure_skip_verify: true}
  static_configs:
    - targets: ["10.0.0.1:6060", "10.0.0.2:6060"]
      labels: {env: prod}
  file_sd_configs:
    - files: [/tmp/x/*.json]
      refresh_interval: 1m
  relabel_configs:
    - {source_labels: [__address__], regex: "(.*):.*", target_label: host}
    - {action: labeldrop, regex: tmp_.*}
  profiling_config:
    path_prefix: /app
    pprof_config:
      memory: {path: /debug/pprof/heap}
      block: {enabled: false}
      process_cpu: {seconds: 10}
      fgprof: {path: /debug/pprof/fgprof, delta: true}
- job_name: other
)");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->size(), 2u);
  const ScrapeConfig& a = (*c)[0];
  EXPECT_EQ(a.job_name, "api");
  EXPECT_EQ(a.interval_ns, 15'000'000'000);
  EXPECT_EQ(a.timeout_ns, 5'000'000'000);
  EXPECT_EQ(a.scheme, "https");
  EXPECT_EQ(a.tenant, "team-a");
  EXPECT_TRUE(a.tls.insecure_skip_verify);
  ASSERT_EQ(a.headers.size(), 2u);
  EXPECT_EQ(a.headers[0],
            (std::pair<std::string, std::string>{"Authorization", "Basic dXNlcjpwYXNz"}));
  EXPECT_EQ(a.headers[1].first, "X-Extra");
  EXPECT_EQ(a.params, (std::vector<std::pair<std::string, std::string>>{{"debug", "0"}}));
  ASSERT_EQ(a.static_configs.size(), 1u);
  EXPECT_EQ(a.static_configs[0].targets.size(), 2u);
  EXPECT_EQ(a.static_configs[0].labels, (Labels{{"env", "prod"}}));
  ASSERT_EQ(a.file_sd_configs.size(), 1u);
  EXPECT_EQ(a.file_sd_configs[0].refresh_interval_ns, 60'000'000'000);
  EXPECT_EQ(a.relabel_configs.size(), 2u);
  EXPECT_EQ(a.path_prefix, "/app");
  ASSERT_EQ(a.profiles.size(), 6u);
  EXPECT_EQ(Find(a, "memory")->path, "/debug/pprof/heap");
  EXPECT_FALSE(Find(a, "memory")->delta);
  EXPECT_FALSE(Find(a, "block")->enabled);
  EXPECT_TRUE(Find(a, "process_cpu")->delta);
  EXPECT_EQ(Find(a, "process_cpu")->seconds, 10);
  EXPECT_EQ(Find(a, "fgprof")->path, "/debug/pprof/fgprof");
  EXPECT_TRUE(Find(a, "fgprof")->delta);

  const ScrapeConfig& o = (*c)[1];
  EXPECT_EQ(o.interval_ns, 10'000'000'000);
  EXPECT_EQ(o.timeout_ns, 10'000'000'000);
  EXPECT_EQ(o.scheme, "http");
  EXPECT_EQ(o.profiles.size(), 5u);
  EXPECT_EQ(Find(o, "process_cpu")->path, "/debug/pprof/profile");
  EXPECT_EQ(Find(o, "memory")->path, "/debug/pprof/allocs");
  EXPECT_EQ(Find(o, "goroutine")->path, "/debug/pprof/goroutine");
  EXPECT_EQ(Find(o, "mutex")->path, "/debug/pprof/mutex");
  EXPECT_EQ(Find(o, "block")->path, "/debug/pprof/block");
}

TEST(ScrapeConfig, TimeoutDefaultsToIntervalWhenShorter) {
  auto c = ParseScrapeConfigs("[{job_name: a, scrape_interval: 3s}]");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)[0].timeout_ns, 3'000'000'000);
}

TEST(ScrapeConfig, ErrorsNameTheKey) {
  struct Case {
    const char* yaml;
    const char* want;
  };
  const Case cases[] = {
      {"{job_name: a}", "scrape_configs: expected a list of jobs"},
      {"[{scrape_interval: 1s}]", "scrape_configs[0].job_name: required"},
      {"[{job_name: a}, {job_name: a}]", "scrape_configs[1].job_name: \"a\" is used by two jobs"},
      {"[{job_name: a, scrape_intervl: 1s}]",
       "scrape_configs[0] (job \"a\"): unknown key \"scrape_intervl\" (known: job_name, tenant, "
       "scrape_interval, scrape_timeout, scheme, basic_auth, authorization, bearer_token, "
       "bearer_token_file, headers, params, tls_config, static_configs, file_sd_configs, "
       "relabel_configs, profiling_config, normalized_addresses, max_body_bytes)"},
      {"[{job_name: a, scrape_interval: 10}]",
       "scrape_configs[0] (job \"a\").scrape_interval: bad duration \"10\": unknown unit \"\" (use "
       "ns, us, ms, s, m, h, d, w)"},
      {"[{job_name: a, scrape_interval: 500ms}]",
       "scrape_configs[0] (job \"a\").scrape_interval: must be at least 1s"},
      {"[{job_name: a, tls_config: {ca_file: /nonexistent/ca.pem}}]",
       "scrape_configs[0] (job \"a\").tls_config.ca_file: cannot read /nonexistent/ca.pem"},
      {"[{job_name: a, tls_config: {cert_file: /dev/null}}]",
       "scrape_configs[0] (job \"a\").tls_config: cert_file and key_file go together"},
      {"[{job_name: a, tls_config: {server_name: x}}]",
       "scrape_configs[0] (job \"a\").tls_config: unknown key \"server_name\" (known: ca_file, "
       "cert_file, key_file, insecure_skip_verify)"},
      {"[{job_name: a, scheme: ftp}]",
       "scrape_configs[0] (job \"a\").scheme: \"ftp\": expected http or https"},
      {"[{job_name: a, static_configs: [{targets: ['http://x:1']}]}]",
       "scrape_configs[0] (job \"a\").static_configs[0].targets: \"http://x:1\" must be host:port "
       "(no scheme or path)"},
      {"[{job_name: a, relabel_configs: [{action: bogus}]}]",
       "scrape_configs[0] (job \"a\").relabel_configs[0].action: unknown action \"bogus\""},
      {"[{job_name: a, relabel_configs: [{regex: '('}]}]",
       "scrape_configs[0] (job \"a\").relabel_configs[0]: regex: bad regular expression"},
      {"[{job_name: a, relabel_configs: [{source_labels: [x]}]}]",
       "scrape_configs[0] (job \"a\").relabel_configs[0]: target_label: required for this action"},
      {"[{job_name: a, profiling_config: {pprof_config: {custom: {enabled: true}}}}]",
       "scrape_configs[0] (job \"a\").profiling_config.pprof_config.custom.path: required"},
      {"[{job_name: a, profiling_config: {pprof_config: {memory: {delta: maybe}}}}]",
       "scrape_configs[0] (job \"a\").profiling_config.pprof_config.memory.delta: expected true or "
       "false"},
      {"[{job_name: a, profiling_config: {pprof_config: {process_cpu: {seconds: 0}}}}]",
       "scrape_configs[0] (job \"a\").profiling_config.pprof_config.process_cpu.seconds: must be a "
       "whole number"},
      {"[{job_name: a, basic_auth: {username: u}, bearer_token: t}]",
       "scrape_configs[0] (job \"a\"): at most one of basic_auth, authorization and bearer_token"},
      {"[{job_name: a, file_sd_configs: [{refresh_interval: 1m}]}]",
       "scrape_configs[0] (job \"a\").file_sd_configs[0].files: required"},
      {"[{job_name: a, static_configs: [{targets: ['x:1'], labels: {'bad-name': v}}]}]",
       "scrape_configs[0] (job \"a\").static_configs[0].labels: \"bad-name\" is not a valid label "
       "name"},
  };
  for (const Case& c : cases) {
    auto r = ParseScrapeConfigs(c.yaml);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos)
        << c.yaml << "\n got: " << r.status().message() << "\nwant: " << c.want;
  }
}

TEST(ScraperFile, PushSection) {
  auto f = ParseScraperFile(R"(
push:
  endpoint: http://hearth:4040
  headers: {Authorization: Bearer t}
  queue_dir: /var/lib/hearth-scrape
  max_queue_bytes: 8MiB
scrape_configs:
  - job_name: a
)");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->push_endpoint, "http://hearth:4040");
  EXPECT_EQ(f->push_headers,
            (std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer t"}}));
  EXPECT_EQ(f->push_queue_dir, "/var/lib/hearth-scrape");
  EXPECT_EQ(f->push_max_queue_bytes, uint64_t{8} << 20);
  ASSERT_EQ(f->scrape_configs.size(), 1u);
  // Defaults: an in-memory queue of 64 MiB.
  auto d = ParseScraperFile("push: {endpoint: http://h:4040}");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->push_queue_dir, "");
  EXPECT_EQ(d->push_max_queue_bytes, uint64_t{64} << 20);
  EXPECT_EQ(ParseScraperFile("push: {queue: x}").status().message(),
            "push: unknown key \"queue\" (known: endpoint, headers, queue_dir, max_queue_bytes)");
}

}  // namespace
}  // namespace hearth::scrape
