#include "agent/service_name.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hearth::agent {
namespace {

TEST(DefaultServiceName, Rules) {
  ProcessInfo p;
  p.comm = "kworker/0:1";
  p.kernel_thread = true;
  EXPECT_EQ(DefaultServiceName(p), "kernel");
  p.kernel_thread = false;
  EXPECT_EQ(DefaultServiceName(p), "kworker/0:1");  // no exe: comm
  p.exe = "/usr/sbin/nginx";
  EXPECT_EQ(DefaultServiceName(p), "nginx");
  p.cgroup.systemd_unit = "web-frontend.service";
  EXPECT_EQ(DefaultServiceName(p), "web-frontend");
  p.cgroup.systemd_unit = "user@1000.service";
  EXPECT_EQ(DefaultServiceName(p), "nginx");
}

TEST(ProcessLabels, CarriesTheDocumentedLabels) {
  ProcessInfo p;
  p.pid = 7;
  p.ppid = 1;
  p.comm = "postgres";
  p.exe = "/usr/lib/postgresql/15/bin/postgres";
  p.cmdline = "postgres -D /data";
  p.cgroup.container_id = std::string(64, 'c');
  p.cgroup.path = "/docker/x";
  p.maps.push_back({0x1000, 0x2000, 0, 5, p.exe, "abcd"});
  LabelSet l = ProcessLabels(p, "node-1", "6.1.0");
  auto has = [&](const std::string& k, const std::string& v) {
    return std::find(l.begin(), l.end(), std::pair<std::string, std::string>(k, v)) != l.end();
  };
  EXPECT_TRUE(has("service_name", "postgres"));
  EXPECT_TRUE(has("pid", "7"));
  EXPECT_TRUE(has("comm", "postgres"));
  EXPECT_TRUE(has("exe", p.exe));
  EXPECT_TRUE(has("container_id", std::string(64, 'c')));
  EXPECT_TRUE(has("host", "node-1"));
  EXPECT_TRUE(has("__meta_process_executable_build_id", "abcd"));
  EXPECT_TRUE(has("__meta_process_cmdline", "postgres -D /data"));
  EXPECT_TRUE(has("__meta_system_kernel_release", "6.1.0"));
  for (const auto& [k, v] : l) EXPECT_NE(k, "systemd_unit");  // empty values are left out
}

TEST(FinalLabelsTest, RelabelsFromMetaInputsThenDropsThem) {
  auto rules = ParseRelabelConfigs(R"(
- source_labels: [__meta_process_cmdline]
  regex: 'python3 -m ([a-z_.]+?)(\.server)? .*'
  target_label: service_name
  replacement: 'py-$1${2}'
- source_labels: [pid]
  regex: '4'
  action: drop
)",
                                   "relabel_configs");
  ASSERT_TRUE(rules.ok()) << rules.status();
  const LabelSet labels = {{"service_name", "python3"},
                           {"pid", "42"},
                           {"__name__", "process_cpu"},
                           {"__meta_process_cmdline", "python3 -m myapp.server --port 80"},
                           {"empty", ""},
                           {"region", "eu"},
                           {"region", "us"}};  // an external label given after wins
  auto out = FinalLabels(labels, *rules);
  ASSERT_TRUE(out.has_value());
  // The anchored '4' does not match pid 42, so the process is kept.
  EXPECT_EQ(*out, (LabelSet{{"__name__", "process_cpu"},
                            {"pid", "42"},
                            {"region", "us"},
                            {"service_name", "py-myapp.server"}}));
  LabelSet four = labels;
  four[1].second = "4";
  EXPECT_FALSE(FinalLabels(four, *rules).has_value());
  // Config errors name the rule.
  EXPECT_EQ(std::string(
                ParseRelabelConfigs("- {action: hashmode}", "relabel_configs").status().message()),
            "config: relabel_configs[0].action: unknown action \"hashmode\" (replace, keep, drop, "
            "labelmap, labeldrop, labelkeep, lowercase, uppercase, hashmod, keepequal, dropequal)");
}

}  // namespace
}  // namespace hearth::agent
