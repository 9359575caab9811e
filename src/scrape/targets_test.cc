#include "scrape/targets.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>

namespace hearth::scrape {
namespace {

ScrapeConfig Job(std::string_view yaml) {
  auto c = ParseScrapeConfigs(yaml);
  EXPECT_TRUE(c.ok()) << c.status();
  return (*c)[0];
}

TEST(Targets, DefaultsAndRelabeling) {
  ScrapeConfig c = Job(R"([{job_name: api, scrape_interval: 5s,
    relabel_configs: [
      {source_labels: [__address__], regex: "([^:]+):.*", target_label: host},
      {source_labels: [env], regex: dev, action: drop},
      {source_labels: [__address__], regex: "b:.*", target_label: instance, replacement: "node-b"},
      {source_labels: [team], target_label: service_name}]}])");
  std::vector<TargetGroup> groups = {{{"a:1", "b:2"}, {{"team", "pay"}}},
                                     {{"c:3"}, {{"env", "dev"}}}};
  TargetSet s = BuildTargets(c, groups);
  ASSERT_EQ(s.active.size(), 2u);
  EXPECT_EQ(s.active[0].address, "a:1");
  EXPECT_EQ(s.active[0].scheme, "http");
  EXPECT_EQ(s.active[0].labels, (Labels{{"host", "a"},
                                        {"instance", "a:1"},
                                        {"job", "api"},
                                        {"service_name", "pay"},
                                        {"team", "pay"}}));
  EXPECT_EQ(s.active[1].labels, (Labels{{"host", "b"},
                                        {"instance", "node-b"},
                                        {"job", "api"},
                                        {"service_name", "pay"},
                                        {"team", "pay"}}));
  // Discovered labels keep the meta labels.
  bool has_interval = false;
  for (const auto& [k, v] : s.active[0].discovered)
    has_interval |= k == "__scrape_interval__" && v == "5s";
  EXPECT_TRUE(has_interval);
  ASSERT_EQ(s.dropped.size(), 1u);
  EXPECT_NE(s.active[0].hash, s.active[1].hash);
}

TEST(Targets, ServiceNameDefaultsToJobAndDuplicatesCollapse) {
  ScrapeConfig c = Job("[{job_name: api}]");
  TargetSet s = BuildTargets(c, {{{"a:1", "a:1"}, {}}});
  ASSERT_EQ(s.active.size(), 1u);
  EXPECT_EQ(s.active[0].labels,
            (Labels{{"instance", "a:1"}, {"job", "api"}, {"service_name", "api"}}));
}

TEST(Targets, SchemeAndPathPrefixFromLabels) {
  ScrapeConfig c = Job(R"([{job_name: api, relabel_configs: [
      {source_labels: [__address__], regex: ".*:443", target_label: __scheme__, replacement: https},
      {source_labels: [prefix], target_label: __profile_path_prefix__}]}])");
  TargetSet s = BuildTargets(c, {{{"x:443"}, {{"prefix", "/svc/"}}}});
  ASSERT_EQ(s.active.size(), 1u);
  EXPECT_EQ(s.active[0].scheme, "https");
  EXPECT_EQ(s.active[0].path_prefix, "/svc");
}

TEST(Targets, OffsetsSpreadOverTheInterval) {
  const int64_t interval = 10'000'000'000;
  ScrapeConfig c = Job("[{job_name: api}]");
  std::vector<std::string> addrs;
  for (int i = 0; i < 200; ++i) addrs.push_back("10.0.0.1:" + std::to_string(1000 + i));
  TargetSet s = BuildTargets(c, {{addrs, {}}});
  ASSERT_EQ(s.active.size(), 200u);
  int buckets[10] = {};
  for (const Target& t : s.active) {
    int64_t off = ScrapeOffsetNs(t.hash, interval);
    ASSERT_GE(off, 0);
    ASSERT_LT(off, interval);
    ++buckets[off / 1'000'000'000];
  }
  // 200 targets over 10 one-second buckets: every bucket gets some, none gets most.
  for (int b : buckets) {
    EXPECT_GT(b, 5);
    EXPECT_LT(b, 50);
  }
}

TEST(Targets, NextTick) {
  const int64_t s = 1'000'000'000;
  EXPECT_EQ(NextTickNs(100 * s, 3 * s, 10 * s), 103 * s);
  EXPECT_EQ(NextTickNs(103 * s, 3 * s, 10 * s), 113 * s);  // strictly after now
  EXPECT_EQ(NextTickNs(104 * s, 3 * s, 10 * s), 113 * s);
  // Consecutive ticks are exactly one interval apart whatever the phase.
  for (int64_t now = 0; now < 25 * s; now += s / 3) {
    int64_t t = NextTickNs(now, 7 * s, 10 * s);
    EXPECT_GT(t, now);
    EXPECT_LE(t - now, 10 * s);
    EXPECT_EQ((t - 7 * s) % (10 * s), 0);
  }
}

TEST(FileSd, ReadsAndRereadsOnChange) {
  char tmpl[] = "/tmp/hearth_filesd_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string path = dir + "/a.json";
  { std::ofstream(path) << R"([{"targets": ["h1:1", "h2:2"], "labels": {"env": "prod"}}])"; }
  FileSdWatcher w({FileSdConfig{{dir + "/*.json"}, 300'000'000'000}});
  EXPECT_TRUE(w.Poll(0));
  auto g = w.Groups();
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].targets, (std::vector<std::string>{"h1:1", "h2:2"}));
  EXPECT_EQ(g[0].labels, (Labels{{"env", "prod"}, {"__meta_filepath", path}}));
  EXPECT_FALSE(w.Poll(1));  // unchanged
  {
    std::ofstream(path) << "- targets: [h3:3]\n";  // YAML, different size
  }
  EXPECT_TRUE(w.Poll(2));
  ASSERT_EQ(w.Groups().size(), 1u);
  EXPECT_EQ(w.Groups()[0].targets, (std::vector<std::string>{"h3:3"}));
  {
    std::ofstream(path) << "{broken";  // a bad file keeps its last good targets
  }
  w.Poll(3);
  ASSERT_EQ(w.Groups().size(), 1u);
  EXPECT_EQ(w.Groups()[0].targets, (std::vector<std::string>{"h3:3"}));
  ASSERT_EQ(w.errors().size(), 1u);
  EXPECT_NE(w.errors()[0].find(path), std::string::npos);
  std::remove(path.c_str());
  EXPECT_TRUE(w.Poll(4));
  EXPECT_TRUE(w.Groups().empty());
  rmdir(dir.c_str());
}

TEST(FileSd, ParseErrors) {
  EXPECT_FALSE(ParseFileSd("{targets: [a]}").ok());
  EXPECT_EQ(ParseFileSd("[{targets: [a], labls: {}}]").status().message(),
            "group 0: unknown key \"labls\"");
  EXPECT_FALSE(ParseFileSd("[{targets: a}]").ok());
}

}  // namespace
}  // namespace hearth::scrape
