// The real agent against a real server, on real workloads (needs root; ctest label "root").
//
//   hearth server (port 0, temp dir) ◀── OTLP/HTTP ── hearth agent --frequency 99 --interval 2s
//        ▲                                                  │ samples every process, incl.:
//        │ GET /api/v1/merge?format=folded                  ├ agent_workload_fp   cpu|recurse|syscall|fork
//        └── checks: hot functions, caller chains,          ├ agent_workload_nofp cpu
//            shares, kernel frames, forked children         └ goworkload (go build)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "base/fmt.h"
#include "base/free_port.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

namespace fs = std::filesystem;
const std::string kBin = HEARTH_BINARY_DIR;
const std::string kSrc = HEARTH_SOURCE_DIR;

// A child process whose stderr goes to a file.
struct Child {
  pid_t pid = -1;
  std::string log;
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  Child(Child&& o) noexcept : pid(o.pid), log(std::move(o.log)) { o.pid = -1; }
  Child& operator=(Child&& o) noexcept {
    std::swap(pid, o.pid);
    std::swap(log, o.log);
    return *this;
  }
  static Child Start(const std::vector<std::string>& argv, const std::string& log,
                     const std::vector<std::string>& env = {}) {
    Child c;
    c.log = log;
    c.pid = fork();
    if (c.pid == 0) {
      FILE* f = std::fopen(log.c_str(), "w");
      if (f) {
        dup2(fileno(f), 2);
        dup2(fileno(f), 1);
      }
      for (const std::string& e : env) putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    return c;
  }
  std::string Log() const {
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  int Wait() {
    int status = 0;
    if (pid > 0) waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  void Kill(int sig) {
    if (pid > 0) kill(pid, sig);
  }
  ~Child() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

// Waits until `re`'s first group appears in the log; "" on timeout.
std::string WaitLog(const Child& c, const std::string& re, int seconds) {
  std::regex r(re);
  for (int i = 0; i < seconds * 10; ++i) {
    std::smatch m;
    std::string log = c.Log();
    if (std::regex_search(log, m, r)) return m[1];
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "";
}

// Folded stacks "a;b;c" -> value.
using Folded = std::map<std::string, int64_t>;

// The whole chains of the cpu workload.
const std::vector<std::string> kCpuChains = {"main;run_cpu;alpha_mid;alpha_leaf;Spin",
                                             "main;run_cpu;beta_mid;beta_leaf;Spin"};

int64_t Sum(const Folded& f, const std::string& must_contain) {
  int64_t n = 0;
  for (const auto& [stack, v] : f) {
    if (stack.find(must_contain) != std::string::npos) n += v;
  }
  return n;
}

// The heaviest stacks that contain none of `wanted`, for failure messages.
std::string Misses(const Folded& f, const std::vector<std::string>& wanted) {
  std::vector<std::pair<int64_t, std::string>> misses;
  for (const auto& [stack, v] : f) {
    if (std::none_of(wanted.begin(), wanted.end(),
                     [&](const std::string& w) { return stack.find(w) != std::string::npos; })) {
      misses.emplace_back(v, stack);
    }
  }
  std::sort(misses.rbegin(), misses.rend());
  std::string out = "\nheaviest stacks without the expected chain:\n";
  for (size_t i = 0; i < misses.size() && i < 8; ++i) {
    out += fmt::format("  {} {}\n", misses[i].first, misses[i].second);
  }
  return out;
}

// A process's entry on the agent's /processes page (how its stacks were unwound).
std::string Report(const std::string& processes, pid_t pid) {
  std::smatch m;
  const std::regex entry(fmt::format("\\{{\"pid\":{},[^}}]*\\}}", pid));
  return std::regex_search(processes, m, entry) ? "\n/processes: " + m.str() : "\nnot on /processes";
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The value of an unlabelled metric on a /metrics page; -1 if absent.
double Metric(const std::string& page, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(page, m, std::regex("\\n" + name + " ([0-9.e+]+)"))) return -1;
  return std::stod(m[1]);
}

class AgentE2ETest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    dir_ = new std::string(fs::temp_directory_path() / fmt::format("hearth-agent-e2e-{}", getpid()));
    fs::create_directories(*dir_);
  }
  static void TearDownTestSuite() {
    if (dir_) fs::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the eBPF agent test needs root (run ctest as root; CI does)";
    if (!fs::exists("/sys/kernel/btf/vmlinux")) GTEST_SKIP() << "this kernel has no BTF";
  }

  // Merged folded stacks of `type` + `selector` for profiles from `from` (a query time).
  Folded Query(int port, const std::string& selector, const std::string& type = "process_cpu",
               const std::string& from = "now-15m") {
    httplib::Client cli("127.0.0.1", port);
    cli.set_read_timeout(30);
    httplib::Params params = {{"query", type + selector}, {"format", "folded"},
                              {"from", from}, {"until", "now+1m"}};
    auto res = cli.Get("/api/v1/merge", params, httplib::Headers{});
    Folded out;
    if (!res || res->status != 200) {
      ADD_FAILURE() << "query " << selector << ": " << (res ? res->body : "no response");
      return out;
    }
    std::istringstream in(res->body);
    for (std::string line; std::getline(in, line);) {
      size_t sp = line.rfind(' ');
      if (sp == std::string::npos) continue;
      out[line.substr(0, sp)] += std::stoll(line.substr(sp + 1));
    }
    return out;
  }

  static std::string* dir_;
};

std::string* AgentE2ETest::dir_ = nullptr;

TEST_F(AgentE2ETest, ProfilesWorkloadsEndToEnd) {
  const std::string dir = *dir_;
  // The Go workload, built now (frame pointers are on by default on amd64).
  const std::string go_bin = dir + "/goworkload";
  {
    std::string cmd = fmt::format(
        "cd {}/src/agent/testdata/goworkload && GOCACHE={}/gocache GOPATH={}/gopath GOFLAGS=-mod=mod "
        "GO111MODULE=on go build -o {} . > {}/gobuild.log 2>&1",
        kSrc, dir, dir, go_bin, dir);
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "go build failed; see " << dir << "/gobuild.log";
  }

  Child server = Child::Start({kBin + "/hearth", "server", "--data", dir + "/data", "--http-addr",
                               "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0", "--no-otlp-http"},
                              dir + "/server.log");
  const std::string port_text = WaitLog(server, "http :([0-9]+)", 30);
  ASSERT_FALSE(port_text.empty()) << server.Log();
  const int port = std::stoi(port_text);

  Child agent = Child::Start({kBin + "/hearth", "agent", "--server",
                              fmt::format("http://127.0.0.1:{}", port), "--frequency", "99",
                              "--interval", "2s", "--metrics-addr", "127.0.0.1:0", "--node", "e2e-node",
                              "--off-cpu", "--off-cpu-percent", "100", "--off-cpu-min", "1ms"},
                             dir + "/agent.log");
  const std::string metrics_port = WaitLog(agent, "metrics on 127.0.0.1:([0-9]+)", 30);
  ASSERT_FALSE(metrics_port.empty()) << agent.Log();
  ASSERT_FALSE(WaitLog(agent, "(sampling)", 30).empty()) << agent.Log();

  const std::string secs = "8";
  const std::string fp = kBin + "/src/agent/agent_workload_fp";
  const std::string nofp = kBin + "/src/agent/agent_workload_nofp";
  // The two CPU workloads run until the test has seen enough samples of each (2 s of CPU
  // for the shares; for the one without frame pointers, 1 s after its switch to DWARF
  // unwinding): how soon that is depends on the machine's load, so the test waits for it.
  Child cpu_fp = Child::Start({fp, "cpu", "120"}, dir + "/cpu_fp.log");
  Child cpu_nofp = Child::Start({nofp, "cpu", "120"}, dir + "/cpu_nofp.log");
  Child recurse = Child::Start({fp, "recurse", secs}, dir + "/recurse.log");
  Child sys = Child::Start({fp, "syscall", secs}, dir + "/syscall.log");
  Child forker = Child::Start({fp, "fork", secs}, dir + "/fork.log");
  Child go = Child::Start({go_bin, secs}, dir + "/go.log");
  Child block = Child::Start({fp, "block", secs}, dir + "/block.log");
  // JIT frames: Node writes /tmp/perf-<pid>.map with --perf-basic-prof.
  const bool have_node = std::system("command -v node > /dev/null 2>&1") == 0;
  Child node;
  if (have_node) {
    node = Child::Start({"/bin/sh", "-c",
                         "cd " + dir + " && exec node --perf-basic-prof -e 'function hotJsLoop(n) { let x = 0; "
                         "for (let i = 0; i < n; i++) x = (x * 31 + i) % 1000003; return x; } "
                         "const end = Date.now() + " + secs + "000; let s = 0; "
                         "while (Date.now() < end) s += hotJsLoop(100000); console.log(s)'"},
                        dir + "/node.log");
  }
  const pid_t node_pid = node.pid;
  const pid_t block_pid = block.pid;
  const pid_t forker_pid = forker.pid;
  const pid_t cpu_fp_pid = cpu_fp.pid, cpu_nofp_pid = cpu_nofp.pid, recurse_pid = recurse.pid,
              sys_pid = sys.pid, go_pid = go.pid;
  for (Child* c : {&recurse, &sys, &forker, &go, &block}) {
    ASSERT_EQ(c->Wait(), 0) << c->Log();
  }
  if (have_node) {
    ASSERT_EQ(node.Wait(), 0) << node.Log();
  }

  // The workload without frame pointers: wait for the agent to switch it to DWARF CFI
  // unwinding, then for 100+ samples (1 s of CPU at 99 Hz) in profiles that began after.
  httplib::Client mcli("127.0.0.1", std::stoi(metrics_port));
  const std::regex switched(fmt::format(
      "\\{{\"pid\":{},[^}}]*\"unwind_method\":\"dwarf\"", cpu_nofp_pid));
  int64_t switched_ms = 0;
  for (int i = 0; i < 600 && switched_ms == 0; ++i) {
    auto r = mcli.Get("/processes");
    if (r && r->status == 200 && std::regex_search(r->body, switched)) {
      switched_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ASSERT_NE(switched_ms, 0) << "no switch to DWARF unwinding within 60 s:\n"
                            << mcli.Get("/processes")->body << agent.Log();
  const std::string fp_selector = fmt::format(
      "{{pid=\"{}\", service_name=\"agent_workload_fp\", host=\"e2e-node\"}}", cpu_fp_pid);
  const std::string nofp_selector = fmt::format("{{pid=\"{}\"}}", cpu_nofp_pid);
  Folded after_switch;
  for (int i = 0; i < 60; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    after_switch = Query(port, nofp_selector, "process_cpu", std::to_string(switched_ms));
    if (Sum(after_switch, "") >= 1'000'000'000 && Sum(Query(port, fp_selector), "") >= 2'000'000'000) {
      break;
    }
  }
  for (Child* c : {&cpu_fp, &cpu_nofp}) {
    c->Kill(SIGKILL);
    c->Wait();
  }

  // Per-process unwinding report, while the agent still runs.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  auto processes = mcli.Get("/processes");
  ASSERT_TRUE(processes && processes->status == 200);
  auto metrics = mcli.Get("/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200);
  EXPECT_THAT(metrics->body, testing::HasSubstr("hearth_agent_samples_total"));
  EXPECT_THAT(metrics->body, testing::ContainsRegex("hearth_agent_exported_profiles_total [1-9]"));

  // SIGTERM: final drain and export, clean detach, exit 0.
  agent.Kill(SIGTERM);
  EXPECT_EQ(agent.Wait(), 0) << agent.Log();
  EXPECT_THAT(agent.Log(), testing::HasSubstr("SIGTERM, detaching"));

  // 1. C with frame pointers: full chains, shares 3:1.
  {
    Folded f = Query(port, fp_selector);
    const int64_t total = Sum(f, "");
    const int64_t alpha = Sum(f, "main;run_cpu;alpha_mid;alpha_leaf;Spin");
    const int64_t beta = Sum(f, "main;run_cpu;beta_mid;beta_leaf;Spin");
    ASSERT_GE(total, 2'000'000'000) << "too few samples";
    EXPECT_GT(alpha + beta, total * 8 / 10)
        << "most samples should have the whole chain" << Misses(f, kCpuChains)
        << Report(processes->body, cpu_fp_pid);
    const double share = static_cast<double>(alpha) / static_cast<double>(alpha + beta);
    EXPECT_NEAR(share, 0.75, 0.12) << "alpha " << alpha << " beta " << beta;
    EXPECT_THAT(processes->body, testing::ContainsRegex(fmt::format(
        "\\{{\"pid\":{},[^}}]*\"unwind_method\":\"frame_pointer\"", cpu_fp_pid)));
  }
  // 2. C without frame pointers: frame-pointer walks break (the leaf is exact and its
  //    caller recovered from [sp]), so after the first interval the agent switches the
  //    process to DWARF CFI unwinding, which gives whole chains again.
  {
    Folded f = Query(port, nofp_selector);
    const int64_t total = Sum(f, "");
    ASSERT_GT(total, 0);
    int64_t spin = 0, alpha = 0, beta = 0;
    for (const auto& [stack, v] : f) {
      if (EndsWith(stack, "Spin")) spin += v;
      if (EndsWith(stack, "alpha_leaf;Spin")) alpha += v;
      if (EndsWith(stack, "beta_leaf;Spin")) beta += v;
    }
    EXPECT_GT(spin, total * 8 / 10);
    EXPECT_GT(alpha + beta, spin * 8 / 10) << "callers should be recovered or unwound";
    EXPECT_NEAR(static_cast<double>(alpha) / static_cast<double>(alpha + beta), 0.75, 0.12);
    const int64_t after = Sum(after_switch, "");
    ASSERT_GE(after, 1'000'000'000) << "too few samples after the switch to DWARF unwinding";
    const int64_t chains = Sum(after_switch, "main;run_cpu;alpha_mid;alpha_leaf;Spin") +
                           Sum(after_switch, "main;run_cpu;beta_mid;beta_leaf;Spin");
    EXPECT_GT(chains, after * 9 / 10)
        << "DWARF unwinding should give whole chains" << Misses(after_switch, kCpuChains)
        << Report(processes->body, cpu_nofp_pid) << "\nagent log:\n" << agent.Log();
    EXPECT_THAT(processes->body, testing::ContainsRegex(fmt::format(
        "\\{{\"pid\":{},[^}}]*\"unwind_method\":\"dwarf\"[^}}]*\"leaf_callers_recovered\":[1-9]",
        cpu_nofp_pid)));
    EXPECT_THAT(metrics->body, testing::ContainsRegex("hearth_agent_dwarf_stacks_total [1-9]"));
  }
  // 3. Deep recursion: 40 recursive frames under run_recurse.
  {
    Folded f = Query(port, fmt::format("{{pid=\"{}\"}}", recurse_pid));
    std::string chain = "run_recurse";
    for (int i = 0; i <= 40; ++i) chain += ";recurse";
    chain += ";recurse_leaf;Spin";
    EXPECT_GT(Sum(f, chain), Sum(f, "") * 7 / 10) << Misses(f, {chain})
                                                  << Report(processes->body, recurse_pid);
  }
  // 4. System calls: kernel frames under the user frames.
  {
    Folded f = Query(port, fmt::format("{{pid=\"{}\"}}", sys_pid));
    int64_t with_kernel = 0;
    for (const auto& [stack, v] : f) {
      size_t user = stack.find("run_syscall");
      size_t kern = stack.find("ksys_read");
      if (user != std::string::npos && kern != std::string::npos && kern > user) with_kernel += v;
    }
    EXPECT_GT(with_kernel, Sum(f, "") / 2) << "read(2) should show ksys_read under run_syscall";
  }
  // 5. Short-lived forked children: symbolized, attributed to their own pids.
  {
    Folded f = Query(port, "{service_name=\"agent_workload_fp\", comm=\"agent_workload_\"}");
    EXPECT_GT(Sum(f, "main;run_fork;child_spin;Spin"), 100'000'000) << "10+ samples at 99 Hz";
    Folded parent = Query(port, fmt::format("{{pid=\"{}\"}}", forker_pid));
    EXPECT_EQ(Sum(parent, "child_spin"), 0) << "children are their own processes";
  }
  // 6. Go: symbol table names and the caller chain.
  {
    Folded f = Query(port, fmt::format("{{pid=\"{}\"}}", go_pid));
    const int64_t hot = Sum(f, "main.main;main.worker;main.hotLoop");
    EXPECT_GT(hot, Sum(f, "") * 7 / 10) << Misses(f, {"main.main;main.worker;main.hotLoop"})
                                        << Report(processes->body, go_pid);
  }
  // 7. Off-CPU: ~8 s blocked in nanosleep, kernel frames down to schedule. (run_block
  //    itself is hidden: Debian's libc has no frame pointers, so the walk from its
  //    clock_nanosleep skips to main.)
  {
    Folded f = Query(port, fmt::format("{{pid=\"{}\"}}", block_pid), "off_cpu");
    int64_t blocked = 0;
    for (const auto& [stack, v] : f) {
      size_t user = stack.find("main;");
      if (stack.find("nanosleep;") == std::string::npos) continue;
      size_t sched = stack.find("schedule");
      if (user != std::string::npos && sched != std::string::npos && sched > user) blocked += v;
    }
    // 8 s of wall time, nearly all asleep; the last interval may be cut at the flip.
    EXPECT_GT(blocked, 4'000'000'000) << "blocked ns under main and nanosleep";
    EXPECT_LT(Sum(f, ""), 9'000'000'000);
  }
  // 8. JIT frames named from /tmp/perf-<pid>.map.
  if (have_node) {
    Folded f = Query(port, fmt::format("{{pid=\"{}\"}}", node_pid));
    EXPECT_GT(Sum(f, "hotJsLoop"), Sum(f, "") / 4) << "JIT frames should be named from the perf map";
    unlink(fmt::format("/tmp/perf-{}.map", node_pid).c_str());
  }
  server.Kill(SIGTERM);
  server.Wait();
}

// With --queue-dir, profiles the receiver could not take yet survive the agent's kill -9:
// the next agent on the same directory sends them.
TEST_F(AgentE2ETest, QueuedProfilesSurviveAKill) {
  const std::string dir = *dir_;
  const int port = hearth::FreeLoopbackPort();
  ASSERT_GT(port, 0);
  const std::string queue = dir + "/queue";
  auto start_agent = [&](const std::string& log) {
    return Child::Start({kBin + "/hearth", "agent", "--server", fmt::format("http://127.0.0.1:{}", port),
                         "--frequency", "99", "--interval", "1s", "--metrics-addr", "127.0.0.1:0",
                         "--node", "e2e-queue", "--queue-dir", queue},
                        log);
  };
  Child agent = start_agent(dir + "/queue-agent1.log");
  const std::string metrics_port = WaitLog(agent, "metrics on 127.0.0.1:([0-9]+)", 30);
  ASSERT_FALSE(metrics_port.empty()) << agent.Log();
  ASSERT_FALSE(WaitLog(agent, "(sampling)", 30).empty()) << agent.Log();
  Child work = Child::Start({kBin + "/src/agent/agent_workload_fp", "cpu", "3"}, dir + "/queue-work.log");
  const pid_t work_pid = work.pid;
  ASSERT_EQ(work.Wait(), 0) << work.Log();
  // Wait until the agent has queued the workload's last interval (nothing listens yet).
  httplib::Client mcli("127.0.0.1", std::stoi(metrics_port));
  double queued = -1;
  for (int i = 0; i < 100; ++i) {
    auto r = mcli.Get("/metrics");
    if (r && r->status == 200) queued = Metric(r->body, "hearth_agent_export_queue_profiles");
    if (queued > 0 && i >= 20) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GT(queued, 0) << agent.Log();
  agent.Kill(SIGKILL);
  agent.Wait();

  Child server = Child::Start({kBin + "/hearth", "server", "--data", dir + "/queue-data", "--http-addr",
                               fmt::format("127.0.0.1:{}", port), "--grpc-addr", "127.0.0.1:0",
                               "--no-otlp-http"},
                              dir + "/queue-server.log");
  ASSERT_FALSE(WaitLog(server, "http :([0-9]+)", 30).empty()) << server.Log();
  Child again = start_agent(dir + "/queue-agent2.log");
  EXPECT_FALSE(WaitLog(again, "([0-9]+ queued profiles from before the restart)", 30).empty())
      << again.Log();
  const std::string selector = fmt::format("{{pid=\"{}\", host=\"e2e-queue\"}}", work_pid);
  int64_t chains = 0;
  for (int i = 0; i < 30 && chains < 300'000'000; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    chains = Sum(Query(port, selector), "main;run_cpu;");
  }
  // Up to 3 s of CPU at 99 Hz (less on a loaded machine): 30 samples at the least.
  EXPECT_GE(chains, 300'000'000) << again.Log();
  again.Kill(SIGTERM);
  EXPECT_EQ(again.Wait(), 0) << again.Log();
  server.Kill(SIGTERM);
  server.Wait();
}

TEST_F(AgentE2ETest, RefusesClearlyWhenNotRoot) {
  Child agent = Child::Start({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                              kBin + "/hearth", "agent", "--duration", "1s"},
                             *dir_ + "/nonroot.log");
  EXPECT_EQ(agent.Wait(), 1);
  EXPECT_THAT(agent.Log(), testing::HasSubstr("hearth agent must run as root"));
}

TEST_F(AgentE2ETest, RejectsBadFlags) {
  Child agent = Child::Start({kBin + "/hearth", "agent", "--frequency", "0"}, *dir_ + "/badflag.log");
  EXPECT_EQ(agent.Wait(), 1);
  EXPECT_THAT(agent.Log(), testing::HasSubstr("frequency: \"0\" is not a number in 1..1000"));
}

}  // namespace
