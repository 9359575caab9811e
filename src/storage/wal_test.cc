#include "storage/wal.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "base/fault_env.h"
#include "base/strings.h"

namespace hearth::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Op = FaultInjectionEnv::Op;

constexpr char kDir[] = "/wal";
constexpr uint64_t kHeader = 9;

std::string Seg(uint64_t seq) { return fmt::format("{}/{:08d}.wal", kDir, seq); }

struct Replayed {
  std::vector<std::string> payloads;
  std::vector<uint8_t> types;
  WalReplayReport report;
};

Replayed ReplayAll(Env& env, const WalOptions& options = {}) {
  Replayed r;
  auto report = Wal::Replay(&env, kDir, options, [&](uint8_t type, std::string_view payload) {
    r.types.push_back(type);
    r.payloads.emplace_back(payload);
    return absl::OkStatus();
  });
  EXPECT_TRUE(report.ok()) << report.status();
  if (report.ok()) r.report = *report;
  return r;
}

std::unique_ptr<Wal> OpenWal(Env& env, const WalOptions& options = {}) {
  auto wal = Wal::Open(&env, kDir, options);
  EXPECT_TRUE(wal.ok()) << wal.status();
  return wal.ok() ? *std::move(wal) : nullptr;
}

std::string Payload(int i, size_t size = 40) {
  std::string s = fmt::format("record-{}-", i);
  s.resize(size, static_cast<char>('a' + i % 26));
  return s;
}

// ---------------------------------------------------------------------------------------------
// (1) Crashes at random points while several threads append random batches, three
// crash/recover cycles per seed. Every acknowledged record must come back exactly once and in
// per-thread order; unacknowledged ones may or may not; nothing is invented.

struct CrashParam {
  bool torn;
  bool scribble;
};

class WalCrashTest : public ::testing::TestWithParam<CrashParam> {};

TEST_P(WalCrashTest, AcknowledgedRecordsSurviveExactlyOnceInOrder) {
  constexpr int kThreads = 4, kEpochs = 3, kSeeds = 60;
  const CrashParam param = GetParam();
  uint64_t total_acked = 0, total_cut = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    FaultInjectionEnv env(seed);
    std::mt19937_64 rng(seed);
    WalOptions options;
    options.segment_bytes = 4096;  // Rotate often.
    std::vector<uint64_t> next(kThreads, 0);
    std::vector<std::vector<uint64_t>> acked(kThreads);
    const FaultInjectionEnv::CrashOptions crash{param.torn, param.scribble};
    for (int epoch = 0; epoch < kEpochs; ++epoch) {
      std::unique_ptr<Wal> wal = OpenWal(env, options);
      ASSERT_NE(wal, nullptr);
      env.CrashAfter(1 + rng() % 120, crash);
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t, thread_seed = rng()] {
          std::mt19937_64 r(thread_seed);
          for (int i = 0; i < 25; ++i) {
            std::vector<std::string> batch(1 + r() % 4);
            for (std::string& p : batch) {
              p = fmt::format("{}:{}:", t, next[t]++);
              p.resize(p.size() + r() % 700, static_cast<char>('A' + t));
            }
            std::vector<std::string_view> views(batch.begin(), batch.end());
            if (!wal->Append(static_cast<uint8_t>(t + 1), views).ok()) return;  // Crashed.
            for (size_t k = 0; k < batch.size(); ++k) {
              acked[t].push_back(next[t] - batch.size() + k);
            }
          }
        });
      }
      for (auto& th : threads) th.join();
      if (!env.down()) env.Crash(crash);  // Crash at the end if the schedule didn't fire.
      wal.reset();
      env.Restart();
    }

    Replayed got = ReplayAll(env, options);
    total_cut += got.report.torn_tail_bytes;
    if (!param.scribble) {
      EXPECT_THAT(got.report.damage, IsEmpty());
    }
    std::vector<std::vector<uint64_t>> seen(kThreads);
    for (size_t i = 0; i < got.payloads.size(); ++i) {
      std::vector<std::string_view> parts = Split(got.payloads[i], ':');
      int t;
      uint64_t seq;
      ASSERT_GE(parts.size(), 3u);
      ASSERT_TRUE(ParseInt(parts[0], &t) && ParseInt(parts[1], &seq)) << got.payloads[i];
      ASSERT_TRUE(t >= 0 && t < kThreads);
      ASSERT_EQ(got.types[i], t + 1);
      ASSERT_LT(seq, next[t]) << "replayed a record that was never written";
      if (!seen[t].empty()) {
        ASSERT_GT(seq, seen[t].back()) << "duplicate or out of order";
      }
      seen[t].push_back(seq);
    }
    for (int t = 0; t < kThreads; ++t) {
      total_acked += acked[t].size();
      // Every acknowledged seq is in seen[t] (both sorted).
      EXPECT_TRUE(std::includes(seen[t].begin(), seen[t].end(), acked[t].begin(), acked[t].end()))
          << "thread " << t << " lost an acknowledged record";
    }
  }
  // Not vacuous: plenty was acknowledged, and torn crashes really left tails to cut.
  EXPECT_GT(total_acked, uint64_t{kSeeds} * 50);
  if (param.torn) {
    EXPECT_GT(total_cut, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, WalCrashTest,
                         ::testing::Values(CrashParam{false, false}, CrashParam{true, false},
                                           CrashParam{true, true}),
                         [](const auto& info) {
                           return std::string(!info.param.torn       ? "DropUnsynced"
                                              : !info.param.scribble ? "TornWrites"
                                                                     : "TornAndScribbled");
                         });

// ---------------------------------------------------------------------------------------------
// (2) A torn tail is cut silently, and later appends land on a clean log.

TEST(WalTest, TornTailIsCutAndLaterAppendsReplay) {
  FaultInjectionEnv env;
  {
    auto wal = OpenWal(env);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(wal->Append(1, Payload(i)).ok());
  }
  const uint64_t record = kHeader + 40;
  ASSERT_EQ(*env.FileSize(Seg(1)), 5 * record);
  ASSERT_TRUE(env.TruncateRaw(Seg(1), 5 * record - 3).ok());  // Mid-payload of the last one.

  Replayed before = ReplayAll(env);
  EXPECT_THAT(before.payloads, ElementsAre(Payload(0), Payload(1), Payload(2), Payload(3)));
  EXPECT_EQ(before.report.torn_tail_bytes, record - 3);
  EXPECT_THAT(before.report.damage, IsEmpty());

  {
    auto wal = OpenWal(env);
    EXPECT_EQ(*env.FileSize(Seg(1)), 4 * record);  // Cut, durably.
    ASSERT_TRUE(wal->Append(1, Payload(5)).ok());
    ASSERT_TRUE(env.TruncateRaw(Seg(2), 5).ok());  // Now a torn header.
  }
  Replayed mid = ReplayAll(env);
  EXPECT_EQ(mid.report.torn_tail_bytes, 5u);
  EXPECT_EQ(mid.payloads.size(), 4u);
  {
    auto wal = OpenWal(env);
    ASSERT_TRUE(wal->Append(1, Payload(6)).ok());
  }
  Replayed after = ReplayAll(env);
  EXPECT_THAT(after.payloads,
              ElementsAre(Payload(0), Payload(1), Payload(2), Payload(3), Payload(6)));
  EXPECT_EQ(after.report.torn_tail_bytes, 0u);
  EXPECT_THAT(after.report.damage, IsEmpty());
  EXPECT_EQ(after.report.records, 5u);
  EXPECT_EQ(after.report.bytes, 5 * 40u);
}

// ---------------------------------------------------------------------------------------------
// Segments of exactly two 49-byte records: 00000001.wal holds records 0-1, 2 holds 2-3, ...

constexpr uint64_t kRec = kHeader + 40;

std::unique_ptr<Wal> FillFiveSegments(FaultInjectionEnv& env) {
  WalOptions options;
  options.segment_bytes = 2 * kRec;
  auto wal = OpenWal(env, options);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(wal->Append(1, Payload(i)).ok());
  EXPECT_EQ(*env.FileSize(Seg(5)), 2 * kRec);
  return wal;
}

std::vector<std::string> PayloadsExcept(std::initializer_list<int> missing) {
  std::vector<std::string> v;
  for (int i = 0; i < 10; ++i) {
    if (std::find(missing.begin(), missing.end(), i) == missing.end()) v.push_back(Payload(i));
  }
  return v;
}

// (3) One flipped bit in an old segment costs exactly the record it hit, wherever it lands.
TEST(WalTest, FlippedBitInOldSegmentIsReportedPrecisely) {
  struct Case {
    uint64_t bit;  // within the record
    const char* reason;
  };
  for (Case c : {Case{0, "checksum mismatch"},               // crc
                 Case{4 * 8 + 3, "checksum mismatch"},       // length 40 -> 32
                 Case{4 * 8, "runs past the end"},           // length 40 -> 41
                 Case{7 * 8 + 7, "above max_record_bytes"},  // length 40 -> 2^31 + 40
                 Case{8 * 8, "type 0 is reserved"},          // type 1 -> 0
                 Case{9 * 8 + 2, "checksum mismatch"},       // first payload byte
                 Case{48 * 8 + 5, "checksum mismatch"}}) {   // last payload byte
    SCOPED_TRACE(fmt::format("bit {}", c.bit));
    FaultInjectionEnv env;
    auto wal = FillFiveSegments(env);
    // Record 3 is the second record of segment 2, at offset kRec.
    ASSERT_TRUE(env.FlipBit(Seg(2), kRec * 8 + c.bit).ok());
    Replayed got = ReplayAll(env);
    EXPECT_EQ(got.payloads, PayloadsExcept({3}));
    ASSERT_EQ(got.report.damage.size(), 1u);
    const WalDamage& d = got.report.damage[0];
    EXPECT_EQ(d.segment, "00000002.wal");
    EXPECT_EQ(d.offset, kRec);
    EXPECT_EQ(d.bytes, kRec);
    EXPECT_THAT(d.reason, HasSubstr(c.reason));
    // Later appends are unaffected.
    ASSERT_TRUE(wal->Append(1, "after").ok());
    EXPECT_EQ(ReplayAll(env).payloads.back(), "after");
  }
}

// (3b) Damage across several consecutive records is one region, and replay resumes at the
// first intact record after it, mid-segment.
TEST(WalTest, ResynchronisesOnTheNextIntactRecord) {
  FaultInjectionEnv env;
  auto wal = OpenWal(env);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(wal->Append(1, Payload(i)).ok());
  ASSERT_EQ(*wal->Rotate(), 2u);
  ASSERT_TRUE(wal->Append(1, "next segment").ok());
  ASSERT_TRUE(env.FlipBit(Seg(1), (1 * kRec + 20) * 8).ok());  // Record 1's payload,
  ASSERT_TRUE(env.FlipBit(Seg(1), (2 * kRec + 5) * 8).ok());   // record 2's length,
  ASSERT_TRUE(env.FlipBit(Seg(1), (3 * kRec + 0) * 8).ok());   // record 3's crc.
  ASSERT_TRUE(env.FlipBit(Seg(1), (7 * kRec + 8) * 8).ok());   // Record 7's type.
  Replayed got = ReplayAll(env);
  std::vector<std::string> want = PayloadsExcept({1, 2, 3, 7});
  want.push_back("next segment");
  EXPECT_EQ(got.payloads, want);
  ASSERT_EQ(got.report.damage.size(), 2u);
  EXPECT_EQ(got.report.damage[0].segment, "00000001.wal");
  EXPECT_EQ(got.report.damage[0].offset, kRec);
  EXPECT_EQ(got.report.damage[0].bytes, 3 * kRec);
  EXPECT_EQ(got.report.damage[1].offset, 7 * kRec);
  EXPECT_EQ(got.report.damage[1].bytes, kRec);
  EXPECT_THAT(got.report.damage[1].reason, HasSubstr("type 0"));
}

// Resynchronising through 1 MiB whose every fourth offset looks like a header (type 5,
// length 261, so each candidate's CRC goes through the prefix-CRC + Combine path) rejects
// them all and lands exactly on the next record, itself large.
TEST(WalTest, ResyncThroughLongLookalikeRegion) {
  FaultInjectionEnv env;
  std::string lookalike;
  while (lookalike.size() < (1u << 20)) lookalike.append("\x05\x01\x00\x00", 4);
  const std::string big_after(3000, 'z');
  {
    auto wal = OpenWal(env);
    ASSERT_TRUE(wal->Append(1, "before").ok());
    ASSERT_TRUE(wal->Append(1, lookalike).ok());
    ASSERT_TRUE(wal->Append(1, big_after).ok());
  }
  const uint64_t damaged_at = kHeader + 6;
  ASSERT_TRUE(env.FlipBit(Seg(1), damaged_at * 8).ok());  // The lookalike record's CRC.
  Replayed got = ReplayAll(env);
  EXPECT_THAT(got.payloads, ElementsAre("before", big_after));
  ASSERT_EQ(got.report.damage.size(), 1u);
  EXPECT_EQ(got.report.damage[0].offset, damaged_at);
  EXPECT_EQ(got.report.damage[0].bytes, kHeader + lookalike.size());
}

// Damage in the newest segment with intact records after it is not a torn tail: a crash
// only tears the end. It is reported, the later records replay, and Open cuts nothing.
TEST(WalTest, DamageInNewestSegmentIsNotMistakenForATornTail) {
  FaultInjectionEnv env;
  {
    auto wal = OpenWal(env);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(wal->Append(1, Payload(i)).ok());
  }
  ASSERT_TRUE(env.FlipBit(Seg(1), (kRec + 12) * 8).ok());
  for (int pass = 0; pass < 2; ++pass) {  // Before and after Open.
    Replayed got = ReplayAll(env);
    EXPECT_THAT(got.payloads, ElementsAre(Payload(0), Payload(2), Payload(3)));
    EXPECT_EQ(got.report.torn_tail_bytes, 0u);
    ASSERT_EQ(got.report.damage.size(), 1u);
    EXPECT_EQ(got.report.damage[0].offset, kRec);
    EXPECT_EQ(got.report.damage[0].bytes, kRec);
    ASSERT_NE(OpenWal(env), nullptr);
    EXPECT_EQ(*env.FileSize(Seg(1)), 4 * kRec);
  }
}

// (4) A truncated middle segment is damage (not a torn tail): it isn't the newest.
TEST(WalTest, TruncatedMiddleSegmentIsDamage) {
  FaultInjectionEnv env;
  auto wal = FillFiveSegments(env);
  ASSERT_TRUE(env.TruncateRaw(Seg(3), kRec + 20).ok());
  Replayed got = ReplayAll(env);
  EXPECT_EQ(got.payloads, PayloadsExcept({5}));
  EXPECT_EQ(got.report.torn_tail_bytes, 0u);
  ASSERT_EQ(got.report.damage.size(), 1u);
  EXPECT_EQ(got.report.damage[0].segment, "00000003.wal");
  EXPECT_EQ(got.report.damage[0].offset, kRec);
  EXPECT_EQ(got.report.damage[0].bytes, 20u);
  EXPECT_THAT(got.report.damage[0].reason, HasSubstr("runs past the end of the segment"));
}

TEST(WalTest, MissingMiddleSegmentIsDamage) {
  FaultInjectionEnv env;
  auto wal = FillFiveSegments(env);
  ASSERT_TRUE(env.DeleteFile(Seg(3)).ok());
  Replayed got = ReplayAll(env);
  EXPECT_EQ(got.payloads, PayloadsExcept({4, 5}));
  ASSERT_EQ(got.report.damage.size(), 1u);
  EXPECT_EQ(got.report.damage[0].segment, "00000003.wal");
  EXPECT_EQ(got.report.damage[0].bytes, 0u);
  EXPECT_THAT(got.report.damage[0].reason, HasSubstr("missing"));
}

TEST(WalTest, LengthAboveMaxRecordBytesIsCorruptionNotAnAllocation) {
  FaultInjectionEnv env;
  auto wal = FillFiveSegments(env);
  WalOptions strict;
  strict.max_record_bytes = 39;  // Every record is 40 bytes.
  Replayed got = ReplayAll(env, strict);
  EXPECT_THAT(got.payloads, IsEmpty());
  ASSERT_EQ(got.report.damage.size(), 4u);  // Segments 1-4 whole; 5 is the torn tail.
  EXPECT_EQ(got.report.damage[0].bytes, 2 * kRec);
  EXPECT_THAT(got.report.damage[0].reason, HasSubstr("record length 40 is above"));
  EXPECT_EQ(got.report.torn_tail_bytes, 2 * kRec);
}

// ---------------------------------------------------------------------------------------------
// (5) Full disk: the failed Append leaves nothing behind; appends work again once there is
// room.

TEST(WalTest, FullDiskFailsCleanlyAndRecovers) {
  FaultInjectionEnv env(3);
  auto wal = OpenWal(env);
  ASSERT_TRUE(wal->Append(1, Payload(0)).ok());
  env.SetCapacity(env.UsedBytes() + kRec + 30);  // Room for one record and a bit.
  std::vector<std::string_view> batch = {"first-of-batch", "second-of-batch", "third"};
  ASSERT_TRUE(wal->Append(1, Payload(1)).ok());
  absl::Status s = wal->Append(2, batch);  // 30 bytes fit: a partial write, then ENOSPC.
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(*env.FileSize(Seg(1)), 2 * kRec) << "the partial write was not cut";
  EXPECT_EQ(wal->Append(1, Payload(2)).code(), absl::StatusCode::kResourceExhausted);

  // Nothing of the failed batch survives, not even a torn crash right now.
  EXPECT_EQ(ReplayAll(env).payloads, std::vector<std::string>({Payload(0), Payload(1)}));
  env.SetCapacity(std::nullopt);
  ASSERT_TRUE(wal->Append(2, batch).ok());
  ASSERT_TRUE(wal->Append(1, Payload(3)).ok());
  env.Crash({.torn_writes = true});
  env.Restart();
  Replayed got = ReplayAll(env);
  EXPECT_THAT(got.payloads, ElementsAre(Payload(0), Payload(1), "first-of-batch", "second-of-batch",
                                        "third", Payload(3)));
  EXPECT_THAT(got.report.damage, IsEmpty());
}

TEST(WalTest, FailedSyncIsUndoneToo) {
  FaultInjectionEnv env;
  auto wal = OpenWal(env);
  ASSERT_TRUE(wal->Append(1, "a").ok());
  env.FailNext(Op::kSync, 1, absl::DataLossError("fdatasync: Input/output error"));
  EXPECT_EQ(wal->Append(1, "b").code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(wal->Append(1, "c").ok());
  EXPECT_EQ(ReplayAll(env).payloads, std::vector<std::string>({"a", "c"}));
}

TEST(WalTest, UnundoableFailureStopsTheLogUntilReopened) {
  FaultInjectionEnv env;
  auto wal = OpenWal(env);
  ASSERT_TRUE(wal->Append(1, "a").ok());
  env.FailNext(Op::kSync, 1);
  env.FailNext(Op::kTruncate, 1);
  EXPECT_EQ(wal->Append(1, "b").code(), absl::StatusCode::kUnavailable);
  absl::Status s = wal->Append(1, "c");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("could not be undone"));
  EXPECT_EQ(wal->Rotate().status().code(), absl::StatusCode::kFailedPrecondition);
  wal.reset();
  env.Crash();  // The unsynced "b" is lost with the crash ...
  env.Restart();
  wal = OpenWal(env);  // ... and a reopened log works.
  ASSERT_TRUE(wal->Append(1, "d").ok());
  EXPECT_EQ(ReplayAll(env).payloads, std::vector<std::string>({"a", "d"}));
}

// ---------------------------------------------------------------------------------------------
// (6) Rotation and deletion.

TEST(WalTest, RotateAndDeleteSegmentsBefore) {
  FaultInjectionEnv env;
  auto wal = OpenWal(env);
  ASSERT_TRUE(wal->Append(1, "a").ok());
  ASSERT_TRUE(wal->Append(1, "b").ok());
  EXPECT_EQ(*wal->Rotate(), 2u);
  ASSERT_TRUE(wal->Append(1, "c").ok());
  EXPECT_EQ(*wal->Rotate(), 3u);
  EXPECT_EQ(*wal->Rotate(), 3u);  // Nothing appended since: no new empty segment.
  ASSERT_TRUE(wal->Append(1, "d").ok());
  EXPECT_THAT(*env.ListDir(kDir), ElementsAre("00000001.wal", "00000002.wal", "00000003.wal"));

  ASSERT_TRUE(wal->DeleteSegmentsBefore(2).ok());
  EXPECT_EQ(ReplayAll(env).payloads, std::vector<std::string>({"c", "d"}));
  ASSERT_TRUE(wal->DeleteSegmentsBefore(1000).ok());  // Never the current segment.
  EXPECT_THAT(*env.ListDir(kDir), ElementsAre("00000003.wal"));
  ASSERT_TRUE(wal->Append(1, "e").ok());
  env.Crash();  // Deletions were made durable.
  env.Restart();
  EXPECT_THAT(*env.ListDir(kDir), ElementsAre("00000003.wal"));
  EXPECT_EQ(ReplayAll(env).payloads, std::vector<std::string>({"d", "e"}));
}

TEST(WalTest, RotatesAtSegmentBytesAndReopensIntoAFreshSegment) {
  FaultInjectionEnv env;
  WalOptions options;
  options.segment_bytes = 3 * kRec;
  {
    auto wal = OpenWal(env, options);
    for (int i = 0; i < 7; ++i) ASSERT_TRUE(wal->Append(1, Payload(i)).ok());
    EXPECT_EQ(wal->bytes_written(), 7 * kRec);
    EXPECT_EQ(wal->syncs(), 7u);
  }
  EXPECT_THAT(*env.ListDir(kDir), ElementsAre("00000001.wal", "00000002.wal", "00000003.wal"));
  EXPECT_EQ(*env.FileSize(Seg(3)), kRec);
  auto wal = OpenWal(env, options);
  EXPECT_EQ(*wal->Rotate(), 4u);  // Open started 4; it is empty, so Rotate keeps it.
  Replayed got = ReplayAll(env, options);
  EXPECT_THAT(got.payloads, ElementsAre(Payload(0), Payload(1), Payload(2), Payload(3), Payload(4),
                                        Payload(5), Payload(6)));
}

TEST(WalTest, RejectsBadArgumentsWithoutWriting) {
  FaultInjectionEnv env;
  WalOptions options;
  options.max_record_bytes = 10;
  auto wal = OpenWal(env, options);
  EXPECT_EQ(wal->Append(0, "x").code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string_view> batch = {"ok", "this one is too long"};
  EXPECT_EQ(wal->Append(1, batch).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(wal->Append(1, std::span<const std::string_view>()).ok());
  EXPECT_EQ(wal->bytes_written(), 0u);
  EXPECT_EQ(ReplayAll(env).report.records, 0u);
}

TEST(WalTest, ReplayOfMissingDirIsEmptyAndCallbackErrorsStopIt) {
  FaultInjectionEnv env;
  EXPECT_EQ(ReplayAll(env).report.records, 0u);
  auto wal = OpenWal(env);
  ASSERT_TRUE(wal->Append(7, "a").ok());
  ASSERT_TRUE(wal->Append(7, "b").ok());
  int calls = 0;
  auto r = Wal::Replay(&env, kDir, {}, [&](uint8_t, std::string_view) {
    ++calls;
    return absl::CancelledError("stop");
  });
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(calls, 1);
}

// ---------------------------------------------------------------------------------------------
// (7) Group commit: with a slow disk, concurrent appenders share fsyncs.

TEST(WalTest, GroupCommitSharesSyncs) {
  constexpr int kThreads = 8, kAppends = 200;
  FaultInjectionEnv env;
  env.SetSyncDelay(std::chrono::microseconds(500));
  auto wal = OpenWal(env);
  const uint64_t syncs_before = env.counters().syncs;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        if (!wal->Append(static_cast<uint8_t>(t + 1), fmt::format("{}", i)).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  const uint64_t appends = kThreads * kAppends;
  EXPECT_LT(wal->syncs(), appends / 2);
  EXPECT_EQ(env.counters().syncs - syncs_before, wal->syncs());  // The counter is honest.
  Replayed got = ReplayAll(env);
  ASSERT_EQ(got.payloads.size(), appends);
  std::vector<int> next(kThreads, 0);
  for (size_t i = 0; i < got.payloads.size(); ++i) {
    const int t = got.types[i] - 1;
    EXPECT_EQ(got.payloads[i], fmt::format("{}", next[t]++));
  }
}

}  // namespace
}  // namespace hearth::storage
