// The engine on a fault-injecting file system: crashes at arbitrary points (with torn
// writes), damaged files, a full disk. The property every test checks: each acknowledged
// profile is there after recovery, exactly once, or the loss is reported precisely.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "base/fault_env.h"
#include "storage/engine.h"
#include "storage/test_util.h"

namespace hearth::storage {
namespace {

using ::testing::HasSubstr;
using testing::LoadFixture;

constexpr int64_t kSec = 1000000000;
const char kDir[] = "/data";

class EngineFaultTest : public ::testing::Test {
 protected:
  EngineFaultTest() : base_(LoadFixture("go/http/cpuburn.profile.3s.pb.gz")) {
    // One value per profile makes "exactly once" checkable from totals.
    total_per_profile_ = base_.Total(1);
  }

  EngineOptions Options(FaultInjectionEnv* env) {
    EngineOptions o;
    o.dir = kDir;
    o.env = env;
    o.background = false;
    o.wal.segment_bytes = 64 << 10;  // several segments, so rotation and deletion happen
    return o;
  }

  // Appends profiles seq [from, to) in one batch; each carries label seq=<n>.
  absl::Status AppendRange(Engine& e, int from, int to, int64_t t0) {
    std::vector<profile::Profile> ps;
    std::vector<AppendRequest> batch;
    ps.reserve(to - from);
    for (int n = from; n < to; ++n) {
      profile::Profile p = base_;
      p.time_nanos = t0 + int64_t{n} * kSec;
      ps.push_back(std::move(p));
    }
    for (int n = from; n < to; ++n) {
      Labels l = {{"__name__", "process_cpu"}, {"seq", std::to_string(n)}, {"service_name", "s"}};
      (void)NormalizeLabels(l);
      batch.push_back({std::move(l), &ps[n - from], 0, {}});
    }
    return e.Append("t", batch);
  }

  // seq -> total cpu stored for it.
  std::map<int, int64_t> Stored(Engine& e, int64_t t0) {
    SelectRequest q;
    q.tenant = "t";
    q.type = *ParseProfileTypeId("process_cpu:cpu:nanoseconds:cpu:nanoseconds");
    q.range = {t0 - kHourNs, t0 + 100 * kHourNs};
    q.group_by = {"seq"};
    auto r = e.SelectMerge(q);
    EXPECT_TRUE(r.ok()) << r.status();
    std::map<int, int64_t> out;
    if (!r.ok()) return out;
    for (const MergeGroup& g : r->groups) {
      if (g.group.empty()) continue;
      out[std::stoi(g.group[0].second)] += g.profile.Total(0);
    }
    return out;
  }

  profile::Profile base_;
  int64_t total_per_profile_;
};

TEST_F(EngineFaultTest, CrashesAtRandomPointsLoseNothingAcknowledged) {
  const int64_t t0 = 1795678500 * kSec;
  // HEARTH_CRASH_SEEDS=500 for a long soak; the suite runs 24.
  const char* env_seeds = std::getenv("HEARTH_CRASH_SEEDS");
  const uint64_t seeds = env_seeds != nullptr ? std::strtoull(env_seeds, nullptr, 10) : 24;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    SCOPED_TRACE(seed);
    FaultInjectionEnv env(seed);
    env.SetNowNanos(t0);
    std::mt19937 rng(static_cast<uint32_t>(seed));
    std::set<int> acked;
    int next = 0;
    for (int round = 0; round < 3; ++round) {
      auto e = Engine::Open(Options(&env));
      ASSERT_TRUE(e.ok()) << e.status();
      // Everything acknowledged so far is there exactly once.
      auto stored = Stored(**e, t0);
      for (int n : acked) {
        ASSERT_EQ(stored[n], total_per_profile_) << "profile " << n << " after round " << round;
      }
      for (const auto& [n, total] : stored) ASSERT_EQ(total, total_per_profile_) << n;
      // Then run until a crash somewhere in the next few hundred file operations.
      env.CrashAfter(1 + rng() % 400, {.torn_writes = (seed % 2) == 0, .scribble = seed % 4 == 0});
      while (!env.down()) {
        const int batch = 1 + static_cast<int>(rng() % 5);
        if (AppendRange(**e, next, next + batch, t0).ok()) {
          for (int n = next; n < next + batch; ++n) acked.insert(n);
        }
        next += batch;
        env.AdvanceNanos(batch * kSec);
        switch (rng() % 8) {
          case 0: (void)(*e)->Flush(); break;
          case 1: (void)(*e)->Compact(); break;
          default: break;
        }
      }
      e->reset();
      env.Restart();
    }
    auto e = Engine::Open(Options(&env));
    ASSERT_TRUE(e.ok()) << e.status();
    auto stored = Stored(**e, t0);
    for (int n : acked) ASSERT_EQ(stored[n], total_per_profile_) << "lost profile " << n;
    EXPECT_GT(acked.size(), 0u);
  }
}

TEST_F(EngineFaultTest, TornWalTailIsCutAndEverythingAcknowledgedReplays) {
  const int64_t t0 = 1795678500 * kSec;
  FaultInjectionEnv env(7);
  env.SetNowNanos(t0);
  {
    auto e = Engine::Open(Options(&env));
    ASSERT_TRUE(e.ok());
    ASSERT_TRUE(AppendRange(**e, 0, 20, t0).ok());
    // The next append dies mid-write: its bytes reach the file only partly.
    env.CrashAfter(1, {.torn_writes = true});
    EXPECT_FALSE(AppendRange(**e, 20, 21, t0).ok());
  }
  env.Restart();
  auto e = Engine::Open(Options(&env));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_TRUE((*e)->recovery().wal.damage.empty());
  EXPECT_EQ((*e)->recovery().replayed_profiles, 20u);
  auto stored = Stored(**e, t0);
  EXPECT_EQ(stored.size(), 20u);
  // And the log takes new appends after the cut.
  ASSERT_TRUE(AppendRange(**e, 21, 25, t0).ok());
  EXPECT_EQ(Stored(**e, t0).size(), 24u);
}

TEST_F(EngineFaultTest, TruncatedBlockIsReportedWithItsFileAndTheRestServed) {
  const int64_t t0 = 1795678500 * kSec;
  FaultInjectionEnv env(3);
  env.SetNowNanos(t0);
  std::string victim;
  {
    auto e = Engine::Open(Options(&env));
    ASSERT_TRUE(e.ok());
    ASSERT_TRUE(AppendRange(**e, 0, 10, t0).ok());
    ASSERT_TRUE((*e)->Flush().ok());
    ASSERT_TRUE(AppendRange(**e, 10, 20, t0 + 2 * kHourNs).ok());
    ASSERT_TRUE((*e)->Flush().ok());
    for (const auto& b : (*e)->Blocks()) {
      if (b.meta.resolution == Resolution::kRaw && b.meta.min_ts < t0 + kHourNs) victim = b.path;
    }
  }
  ASSERT_FALSE(victim.empty());
  auto size = env.FileSize(victim);
  ASSERT_TRUE(size.ok());
  ASSERT_TRUE(env.TruncateRaw(victim, *size / 2).ok());
  auto e = Engine::Open(Options(&env));
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ((*e)->recovery().corrupt_blocks.size(), 1u);
  EXPECT_THAT((*e)->recovery().corrupt_blocks[0], HasSubstr(victim));
  auto bad = (*e)->Verify();
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_THAT(bad[0], HasSubstr(victim));
  // The other flush's raw data still answers.
  SelectRequest q;
  q.tenant = "t";
  q.type = *ParseProfileTypeId("process_cpu");
  q.range = {t0 + kHourNs, t0 + 4 * kHourNs};
  q.use_rollups = false;
  auto r = (*e)->SelectMerge(q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->groups[0].profile.Total(0), 10 * total_per_profile_);
}

TEST_F(EngineFaultTest, FullDiskRefusesWritesAndRecoversWhenSpaceReturns) {
  const int64_t t0 = 1795678500 * kSec;
  FaultInjectionEnv env(5);
  env.SetNowNanos(t0);
  std::set<int> acked;
  {
    auto e = Engine::Open(Options(&env));
    ASSERT_TRUE(e.ok());
    ASSERT_TRUE(AppendRange(**e, 0, 10, t0).ok());
    for (int n = 0; n < 10; ++n) acked.insert(n);
    env.SetCapacity(env.UsedBytes() + 20000);
    absl::Status s;
    int next = 10;
    for (; next < 1000 && s.ok(); next += 2) {
      s = AppendRange(**e, next, next + 2, t0);
      if (s.ok()) acked.insert({next, next + 1});
    }
    EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
    // Flushing needs space too: it fails cleanly, the data stays in memory and the WAL.
    absl::Status f = (*e)->Flush();
    EXPECT_FALSE(f.ok());
    EXPECT_THAT(std::string(f.message()), HasSubstr("flush failed"));
    // Space comes back: writes and flushes work again, nothing was lost.
    env.SetCapacity(std::nullopt);
    ASSERT_TRUE(AppendRange(**e, 2000, 2002, t0).ok());
    acked.insert({2000, 2001});
    ASSERT_TRUE((*e)->Flush().ok());
    auto stored = Stored(**e, t0);
    for (int n : acked) EXPECT_EQ(stored[n], total_per_profile_) << n;
    EXPECT_EQ(stored.size(), acked.size());
  }
  // And after a restart.
  auto e = Engine::Open(Options(&env));
  ASSERT_TRUE(e.ok());
  auto stored = Stored(**e, t0);
  EXPECT_EQ(stored.size(), acked.size());
}

TEST_F(EngineFaultTest, FlippedBitInOldWalSegmentIsReportedExactly) {
  const int64_t t0 = 1795678500 * kSec;
  FaultInjectionEnv env(9);
  env.SetNowNanos(t0);
  {
    auto e = Engine::Open(Options(&env));
    ASSERT_TRUE(e.ok());
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(AppendRange(**e, i, i + 1, t0).ok());
  }
  auto files = env.ListDir(std::string(kDir) + "/wal");
  ASSERT_TRUE(files.ok());
  ASSERT_GE(files->size(), 2u);
  const std::string first = std::string(kDir) + "/wal/" + files->front();
  ASSERT_TRUE(env.FlipBit(first, 8 * 200).ok());
  auto e = Engine::Open(Options(&env));
  ASSERT_TRUE(e.ok()) << e.status();
  const auto& damage = (*e)->recovery().wal.damage;
  ASSERT_EQ(damage.size(), 1u);
  EXPECT_EQ(damage[0].segment, files->front());
  EXPECT_GT(damage[0].bytes, 0u);
  // Exactly the damaged record is missing; all others replayed.
  auto stored = Stored(**e, t0);
  EXPECT_EQ(stored.size(), 29u);
}

}  // namespace
}  // namespace hearth::storage
