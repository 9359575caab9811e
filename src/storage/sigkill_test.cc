// Kills a process that is appending continuously (SIGKILL, at random moments, several
// times), restarts it, and checks that every profile it acknowledged is in the store
// exactly once.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "storage/engine.h"
#include "storage/test_util.h"

namespace hearth::storage {
namespace {

const std::string kWriter = std::string(HEARTH_BINARY_DIR) + "/src/storage/crash_writer";

// Runs the writer until its first acknowledgement (opening and replaying the store takes a
// while, longer under ASan on a busy machine), then `ms` milliseconds more, kills it with
// SIGKILL, and returns the acked seqs.
std::set<long> RunAndKill(const std::string& dir, long first_seq, int ms) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    const std::string profile = testing::FixturePath("go/http/cpuburn.profile.3s.pb.gz");
    execl(kWriter.c_str(), kWriter.c_str(), dir.c_str(), std::to_string(first_seq).c_str(),
          profile.c_str(), nullptr);
    _exit(127);
  }
  close(fds[1]);
  std::set<long> acked;
  FILE* in = fdopen(fds[0], "r");
  char line[64];
  long seq;
  if (fgets(line, sizeof(line), in) != nullptr && std::sscanf(line, "ack %ld", &seq) == 1) {
    acked.insert(seq);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status)) << "the writer exited by itself (status " << status << ")";
  // Everything it printed before dying is in the pipe.
  while (fgets(line, sizeof(line), in) != nullptr) {
    if (std::sscanf(line, "ack %ld", &seq) == 1) acked.insert(seq);
  }
  fclose(in);
  return acked;
}

TEST(SigkillTest, EveryAcknowledgedProfileSurvivesKillMinus9) {
  testing::TempDir dir;
  std::mt19937 rng(1234);
  std::set<long> acked;
  for (int round = 0; round < 8; ++round) {
    const int ms = 300 + static_cast<int>(rng() % 1200);
    std::set<long> got = RunAndKill(dir.path(), long{round} * 1000000, ms);
    EXPECT_FALSE(got.empty()) << "round " << round << " acknowledged nothing in " << ms << " ms";
    acked.insert(got.begin(), got.end());
  }
  auto env = NewPosixEnv();
  EngineOptions o;
  o.dir = dir.path();
  o.env = env.get();
  o.background = false;
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_TRUE((*e)->recovery().replay_errors.empty());
  EXPECT_TRUE((*e)->Verify().empty());
  SelectRequest q;
  q.tenant = "t";
  q.type = *ParseProfileTypeId("process_cpu:cpu:nanoseconds:cpu:nanoseconds");
  q.range = {env->NowNanos() - kHourNs, env->NowNanos() + kHourNs};
  q.group_by = {"seq"};
  q.limits.max_series = 10000000;
  auto r = (*e)->SelectMerge(q);
  ASSERT_TRUE(r.ok()) << r.status();
  const int64_t per_profile = testing::LoadFixture("go/http/cpuburn.profile.3s.pb.gz").Total(1);
  std::map<long, int64_t> stored;
  for (const MergeGroup& g : r->groups) {
    if (!g.group.empty()) stored[std::stol(g.group[0].second)] = g.profile.Total(0);
  }
  for (long seq : acked) {
    ASSERT_TRUE(stored.contains(seq)) << "acknowledged profile " << seq << " was lost";
    EXPECT_EQ(stored[seq], per_profile) << "profile " << seq << " stored more than once";
  }
  // Unacknowledged appends may or may not have landed, but never twice.
  for (const auto& [seq, total] : stored) EXPECT_EQ(total, per_profile) << seq;
  std::printf("acknowledged %zu profiles over 8 kills; %zu stored; %zu blocks\n", acked.size(),
              stored.size(), (*e)->Blocks().size());
}

}  // namespace
}  // namespace hearth::storage
