// End-to-end tests of the `hearth` binary: real files in, text out, compared with the
// `go tool pprof` reference outputs stored beside the fixtures, and with `go tool pprof`
// itself where the test needs a fresh reference (merge).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "base/file.h"

namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

const std::string kSource = HEARTH_SOURCE_DIR;
const std::string kHearth = std::string(HEARTH_BINARY_DIR) + "/hearth";
const std::string kFixtures = kSource + "/testdata/fixtures/";

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a shell command, capturing stdout and stderr.
Result RunCommand(const std::string& cmd) {
  std::string err_file = fs::temp_directory_path() / ("hearth_cli_err_" + std::to_string(getpid()));
  Result r;
  FILE* pipe = popen((cmd + " 2>" + err_file).c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto err = hearth::ReadFile(err_file);
  if (err.ok()) r.err = *err;
  fs::remove(err_file);
  return r;
}

std::string Reference(const std::string& rel) {
  auto data = hearth::ReadFile(kFixtures + rel);
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? *data : "";
}

TEST(CliTest, TopMatchesGoToolPprof) {
  Result r = RunCommand(kHearth + " top " + kFixtures + "go/http/cpuburn.profile.10s.pb.gz");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, Reference("go/pprof_text/http.cpuburn.profile.10s.top.txt"));
}

// The binary, not just the library, must reproduce every single-source reference: this
// exercises the CLI's loading pipeline (fake mappings for Node, compaction, name
// simplification, drop_frames) on all of them.
TEST(CliTest, EveryFixtureReferenceThroughTheBinary) {
  int checked = 0;
  for (const char* dir : {"go/pprof_text", "node/pprof_text"}) {
    for (const auto& e : fs::directory_iterator(kFixtures + dir)) {
      std::string name = e.path().filename().string();
      std::string kind;
      for (const char* k : {"top", "traces", "raw", "tags"}) {
        if (name.ends_with(std::string(".") + k + ".txt")) kind = k;
      }
      std::string stem = name.substr(0, name.size() - kind.size() - 5);
      std::vector<std::string> candidates;
      if (std::string(dir) == "go/pprof_text") {
        size_t dot = stem.find('.');
        if (dot == std::string::npos) continue;  // diffs and tags: tested above
        candidates.push_back("go/" + stem.substr(0, dot) + "/" + stem.substr(dot + 1) + ".pb.gz");
      } else {
        candidates = {"node/out/" + stem + ".pb.gz", "node/captured/" + stem + ".pb.gz"};
      }
      std::string source;
      for (const std::string& c : candidates) {
        if (fs::exists(kFixtures + c)) source = kFixtures + c;
      }
      if (kind.empty() || source.empty()) continue;
      SCOPED_TRACE(name);
      Result r = RunCommand(kHearth + " " + kind + " " + source);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(r.out, Reference(std::string(dir) + "/" + name));
      ++checked;
    }
  }
  EXPECT_GE(checked, 60);
}

TEST(CliTest, PprofStyleSingleDashFlagsWork) {
  Result r = RunCommand(kHearth + " top -sample_index=inuse_space " + kFixtures +
                        "go/http/leaky.heap.pb.gz");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, Reference("go/pprof_text/http.leaky.heap.top.txt"));
}

TEST(CliTest, DiffBaseAndBase) {
  const std::string a = kFixtures + "go/http/cpuburn.profile.10s.pb.gz";
  const std::string b = kFixtures + "go/http/cpuburn.profile.3s.pb.gz";
  Result r = RunCommand(kHearth + " top -diff_base " + b + " " + a);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, Reference("go/pprof_text/cpuburn.diff_base_10s_vs_3s.top.txt"));
  Result d = RunCommand(kHearth + " diff " + b + " " + a);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.out, r.out);
  Result base = RunCommand(kHearth + " top --base " + b + " " + a);
  ASSERT_EQ(base.exit_code, 0) << base.err;
  EXPECT_EQ(base.out, Reference("go/pprof_text/cpuburn.base_diff_10s_minus_3s.top.txt"));
}

TEST(CliTest, TracesAndTagsMatch) {
  const std::string p = kFixtures + "go/http/cpuburn.profile.10s.pb.gz";
  Result t = RunCommand(kHearth + " traces " + p);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_EQ(t.out, Reference("go/pprof_text/http.cpuburn.profile.10s.traces.txt"));
  Result g = RunCommand(kHearth + " tags " + p);
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_EQ(g.out, Reference("go/pprof_text/cpuburn.profile.10s.tags.txt"));
}

bool HaveGo() { return RunCommand("go version").exit_code == 0; }

TEST(CliTest, SeveralInputsAreMergedLikePprof) {
  ASSERT_TRUE(HaveGo()) << "go tool pprof is the reference; scripts/deps.sh installs golang-go";
  const std::string inputs = kFixtures + "go/http/cpuburn.profile.10s.pb.gz " + kFixtures +
                             "go/http/cpuburn.profile.3s.pb.gz";
  Result ours = RunCommand(kHearth + " top " + inputs);
  Result theirs = RunCommand("go tool pprof -top " + inputs);
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
  EXPECT_EQ(ours.out, theirs.out);
  // README: the merged profile has 453 samples worth 463 ticks.
  EXPECT_THAT(ours.out, HasSubstr("Total samples = 4.63s"));
}

TEST(CliTest, MergedFileReadsBackInGoToolPprofIdentically) {
  ASSERT_TRUE(HaveGo()) << "go tool pprof is the reference; scripts/deps.sh installs golang-go";
  const std::string a = kFixtures + "go/http/cpuburn.profile.10s.pb.gz";
  const std::string b = kFixtures + "go/runtime_pprof/cpuburn.cpu.3s.pb.gz";
  const std::string out = fs::temp_directory_path() / "hearth_cli_merged.pb.gz";
  Result m = RunCommand(kHearth + " merge " + a + " " + b + " -o " + out);
  ASSERT_EQ(m.exit_code, 0) << m.err;
  Result ours = RunCommand("go tool pprof -top " + out);
  Result theirs = RunCommand("go tool pprof -top " + a + " " + b);
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
  EXPECT_EQ(ours.out, theirs.out);
  EXPECT_THAT(ours.out, HasSubstr("main.fib"));
  fs::remove(out);
}

TEST(CliTest, ConvertToFoldedMatchesTheFoldedFixture) {
  const std::string out = fs::temp_directory_path() / "hearth_cli.folded";
  Result r = RunCommand(kHearth + " convert --sample_index=samples " + kFixtures +
                        "go/http/cpuburn.profile.10s.pb.gz -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto got = hearth::ReadFile(out);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, Reference("folded/go.cpuburn.profile.10s.samples.folded"));
  // And back: folded -> pprof keeps the total.
  const std::string back = fs::temp_directory_path() / "hearth_cli_back.pb.gz";
  Result r2 = RunCommand(kHearth + " convert " + out + " -o " + back);
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  Result top = RunCommand(kHearth + " top " + back);
  EXPECT_THAT(top.out, HasSubstr("Showing nodes accounting for 361, 100% of 361 total"));
  fs::remove(out);
  fs::remove(back);
}

// OTLP both ways through the binary: pprof -> OTLP, read back by content detection, prints
// the reference; the OTLP fixtures (binary and JSON, from that same pprof) -> pprof give
// `go tool pprof` the reference too.
TEST(CliTest, ConvertToAndFromOtlp) {
  const std::string otlp = fs::temp_directory_path() / "hearth_cli.otlp.pb";
  const std::string back = fs::temp_directory_path() / "hearth_cli_otlp_back.pb.gz";
  const std::string reference = Reference("go/pprof_text/http.cpuburn.profile.10s.top.txt");
  Result to = RunCommand(kHearth + " convert " + kFixtures + "go/http/cpuburn.profile.10s.pb.gz" +
                         " --otlp-resource service.name=cpuburn -o " + otlp);
  ASSERT_EQ(to.exit_code, 0) << to.err;
  Result top = RunCommand(kHearth + " top " + otlp);
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_EQ(top.out, reference);

  for (const char* file : {"otlp/cpuburn.cpu.10s.pb", "otlp/cpuburn.cpu.10s.json"}) {
    Result from = RunCommand(kHearth + " convert --from otlp " + kFixtures + file + " -o " + back);
    ASSERT_EQ(from.exit_code, 0) << file << ": " << from.err;
    Result go = RunCommand("go tool pprof -top " + back);
    ASSERT_EQ(go.exit_code, 0) << go.err;
    EXPECT_EQ(go.out, reference) << file;
  }

  Result bad = RunCommand(kHearth + " convert " + kFixtures + "go/http/cpuburn.profile.10s.pb.gz" +
                          " --to otlp --otlp-resource nokey -o " + otlp);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("--otlp-resource \"nokey\": want key=value"));
  fs::remove(otlp);
  fs::remove(back);
}

TEST(CliTest, ErrorsNameTheFileAndExitNonZero) {
  Result missing = RunCommand(kHearth + " top /nonexistent/x.pb.gz");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("/nonexistent/x.pb.gz"));
  EXPECT_TRUE(missing.out.empty());

  const std::string junk = fs::temp_directory_path() / "hearth_cli_junk.pb";
  ASSERT_TRUE(hearth::WriteFileAtomic(junk, std::string("\x0a\xff\xff\xff\xff\xff\xff", 7)).ok());
  Result bad = RunCommand(kHearth + " top " + junk);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr(junk + ": pprof: malformed"));
  fs::remove(junk);

  Result index =
      RunCommand(kHearth + " top --sample_index=nope " + kFixtures + "go/http/leaky.heap.pb.gz");
  EXPECT_NE(index.exit_code, 0);
  EXPECT_THAT(index.err, HasSubstr("sample_index \"nope\" must be one of"));
}

// db import with every label flag, then db query: the stored profile reads back with the
// reference's rows, including Go threadcreate samples that have no frames (7 of 8).
TEST(CliTest, DbImportWithLabelFlagsThenQuery) {
  const std::string data = fs::temp_directory_path() / ("hearth_cli_db_" + std::to_string(getpid()));
  fs::remove_all(data);
  Result imp = RunCommand(kHearth + " db import --no-progress --data " + data +
                          " --service tc --name threads --label zone=b --label az=1 " + kFixtures +
                          "go/http/contention.threadcreate.pb.gz");
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_THAT(imp.out, HasSubstr("imported 1 profiles"));
  Result q = RunCommand(kHearth + " db query --data " + data +
                        " --from 2020-01-01T00:00:00Z --to 2100-01-01T00:00:00Z "
                        "'threads:threadcreate:count:threadcreate:count{service_name=\"tc\",zone=\"b\",az=\"1\"}'");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  const std::string ref = Reference("go/pprof_text/http.contention.threadcreate.top.txt");
  EXPECT_EQ(q.out.substr(q.out.find("Showing")), ref.substr(ref.find("Showing")));
  Result dup = RunCommand(kHearth + " db import --no-progress --data " + data +
                          " --service tc --label service_name=x " + kFixtures +
                          "go/http/contention.threadcreate.pb.gz");
  EXPECT_NE(dup.exit_code, 0);
  EXPECT_THAT(dup.err, HasSubstr("service_name"));
  fs::remove_all(data);
}

// db query with pprof's frame filters: the top report is go tool pprof's with the same
// filters; the folded stacks are filtered too.
TEST(CliTest, DbQueryFrameFilters) {
  const std::string data = fs::temp_directory_path() / ("hearth_cli_dbf_" + std::to_string(getpid()));
  fs::remove_all(data);
  const std::string fixture = kFixtures + "go/http/cpuburn.profile.10s.pb.gz";
  Result imp = RunCommand(kHearth + " db import --no-progress --data " + data +
                          " --service cpuburn " + fixture);
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  const std::string query = kHearth + " db query --data " + data +
                            " --from 2020-01-01T00:00:00Z --to 2100-01-01T00:00:00Z "
                            "'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn\"}' "
                            "--focus 'main\\.integrate|sort\\.' --hide '^runtime\\.'";
  Result q = RunCommand(query);
  ASSERT_EQ(q.exit_code, 0) << q.err;
  Result ref = RunCommand("go tool pprof -top -focus='main\\.integrate|sort\\.' -hide='^runtime\\.' " +
                         fixture);
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  ASSERT_NE(ref.out.find("Active filters:"), std::string::npos) << ref.out;
  ASSERT_NE(q.out.find("Active filters:"), std::string::npos) << q.out;
  EXPECT_EQ(q.out.substr(q.out.find("Active filters:")), ref.out.substr(ref.out.find("Active filters:")));

  Result folded = RunCommand(query + " --format folded");
  ASSERT_EQ(folded.exit_code, 0) << folded.err;
  EXPECT_THAT(folded.out, HasSubstr("main.integrate"));
  EXPECT_THAT(folded.out, Not(HasSubstr("runtime.")));
  EXPECT_THAT(folded.out, Not(HasSubstr("main.fib")));
  Result bad = RunCommand(query + " --format folded --show_from '('");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("parsing show_from regexp: missing )"));
  fs::remove_all(data);
}

TEST(CliTest, EverySubcommandHasHelp) {
  for (const char* cmd : {"top", "traces", "tags", "raw", "merge", "diff", "convert"}) {
    Result r = RunCommand(kHearth + " " + cmd + " --help");
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_THAT(r.out, HasSubstr("--sample_index")) << cmd;
  }
}

// The agent reads its config file before anything needs root, so its errors are checked
// here; each names the file and the key.
TEST(CliTest, AgentConfigFileErrorsNameTheKey) {
  const std::string file = fs::temp_directory_path() / ("hearth_agent_" + std::to_string(getpid()) + ".yaml");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"server: http://x\nfrequncy: 19\n",
       "unknown key \"frequncy\" (known: server, protocol, tenant, frequency, interval, node, "
       "metrics_addr, off_cpu, external_labels, relabel_configs, queue_dir, max_queue_bytes)"},
      {"max_queue_bytes: lots\n", "max_queue_bytes: "},
      {"frequency: 5000\n", "frequency: \"5000\" is not a number in 1..1000"},
      {"interval: 10 seconds\n", "interval: bad duration \"10 seconds\""},
      {"off_cpu: {enabled: yes please}\n", "off_cpu.enabled: expected true or false, got \"yes please\""},
      {"off_cpu: {min: 1ms}\n", "off_cpu: unknown key \"min\""},
      {"external_labels: [a, b]\n", "external_labels: expected a mapping"},
      {"external_labels: {region: [a]}\n", "external_labels.region: expected a single value"},
      {"relabel_configs:\n  - action: drop\n    regex: '('\n", "relabel_configs[0]"},
      {"protocol: zipkin\n", "protocol \"zipkin\": want otlp-http, otlp-grpc or pyroscope"},
      {"server: [unclosed\n", "config: "},
  };
  for (const auto& [yaml, want] : cases) {
    ASSERT_TRUE(hearth::WriteFileAtomic(file, yaml).ok());
    // (--duration: should a case wrongly pass, an agent run as root still ends.)
    Result r = RunCommand(kHearth + " agent --duration 1s --metrics-addr off --config " + file);
    EXPECT_EQ(r.exit_code, 1) << yaml;
    EXPECT_THAT(r.err, HasSubstr(want)) << yaml;
  }
  Result missing = RunCommand(kHearth + " agent --config /nonexistent/agent.yaml");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("/nonexistent/agent.yaml"));
  fs::remove(file);
}

}  // namespace
