#include "base/fault_env.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace hearth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Op = FaultInjectionEnv::Op;

// Writes `data` to a new file, optionally fsyncing it; returns the open handle.
std::unique_ptr<WritableFile> Write(Env& env, const std::string& path, std::string_view data,
                                    bool sync) {
  auto f = env.NewWritableFile(path);
  EXPECT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE((*f)->Append(data).ok());
  if (sync) {
    EXPECT_TRUE((*f)->Sync().ok());
  }
  return *std::move(f);
}

std::string Read(Env& env, const std::string& path) {
  auto s = env.ReadFile(path, 1 << 20);
  if (s.ok()) return *s;
  return fmt::format("<{}>", absl::StatusCodeToString(s.status().code()));
}

class FaultEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.CreateDirs("/d").ok());
    ASSERT_TRUE(env_.SyncDir("/").ok());
  }
  void CrashAndRestart(const FaultInjectionEnv::CrashOptions& o = {}) {
    env_.Crash(o);
    env_.Restart();
  }
  FaultInjectionEnv env_{42};
};

TEST_F(FaultEnvTest, CrashKeepsOnlySyncedBytes) {
  auto f = Write(env_, "/d/f", "synced|", /*sync=*/true);
  ASSERT_TRUE(env_.SyncDir("/d").ok());
  ASSERT_TRUE(f->Append("unsynced").ok());
  EXPECT_EQ(Read(env_, "/d/f"), "synced|unsynced");
  CrashAndRestart();
  EXPECT_EQ(Read(env_, "/d/f"), "synced|");
}

TEST_F(FaultEnvTest, SyncedFileWithoutDirSyncVanishes) {
  auto f = Write(env_, "/d/f", "data", /*sync=*/true);
  CrashAndRestart();
  EXPECT_FALSE(env_.FileExists("/d/f"));
  EXPECT_THAT(*env_.ListDir("/d"), IsEmpty());
}

TEST_F(FaultEnvTest, DirSyncMakesCreationDurableButNotBytes) {
  auto f = Write(env_, "/d/f", "data", /*sync=*/false);
  ASSERT_TRUE(env_.SyncDir("/d").ok());
  CrashAndRestart();
  EXPECT_EQ(Read(env_, "/d/f"), "");
}

TEST_F(FaultEnvTest, RenameAndDeleteNeedDirSync) {
  Write(env_, "/d/a", "A", /*sync=*/true);
  Write(env_, "/d/gone", "G", /*sync=*/true);
  ASSERT_TRUE(env_.SyncDir("/d").ok());
  ASSERT_TRUE(env_.RenameFile("/d/a", "/d/b").ok());
  ASSERT_TRUE(env_.DeleteFile("/d/gone").ok());
  EXPECT_THAT(*env_.ListDir("/d"), ElementsAre("b"));
  CrashAndRestart();
  EXPECT_THAT(*env_.ListDir("/d"), ElementsAre("a", "gone"));  // Both undone.

  ASSERT_TRUE(env_.RenameFile("/d/a", "/d/b").ok());
  ASSERT_TRUE(env_.DeleteFile("/d/gone").ok());
  ASSERT_TRUE(env_.SyncDir("/d").ok());
  CrashAndRestart();
  EXPECT_THAT(*env_.ListDir("/d"), ElementsAre("b"));
  EXPECT_EQ(Read(env_, "/d/b"), "A");
}

TEST_F(FaultEnvTest, DirectoryCreationNeedsParentSync) {
  ASSERT_TRUE(env_.CreateDirs("/d/x/y").ok());
  Write(env_, "/d/x/y/f", "F", /*sync=*/true);
  ASSERT_TRUE(env_.SyncDir("/d/x/y").ok());
  CrashAndRestart();
  EXPECT_FALSE(env_.FileExists("/d/x"));  // Neither /d nor /d/x was synced.

  ASSERT_TRUE(env_.CreateDirs("/d/x/y").ok());
  Write(env_, "/d/x/y/f", "F", /*sync=*/true);
  ASSERT_TRUE(env_.SyncDir("/d/x/y").ok());
  ASSERT_TRUE(env_.SyncDir("/d/x").ok());
  ASSERT_TRUE(env_.SyncDir("/d").ok());
  CrashAndRestart();
  EXPECT_EQ(Read(env_, "/d/x/y/f"), "F");

  // Deleted and re-created: the old durable contents must not come back.
  ASSERT_TRUE(env_.DeleteDir("/d/x").ok());
  ASSERT_TRUE(env_.CreateDirs("/d/x").ok());
  ASSERT_TRUE(env_.SyncDir("/d").ok());
  CrashAndRestart();
  EXPECT_TRUE(env_.FileExists("/d/x"));
  EXPECT_THAT(*env_.ListDir("/d/x"), IsEmpty());
}

TEST_F(FaultEnvTest, TruncateIsDurableOnlyAfterSync) {
  auto f = Write(env_, "/d/f", "0123456789", /*sync=*/true);
  ASSERT_TRUE(env_.SyncDir("/d").ok());
  ASSERT_TRUE(env_.Truncate("/d/f", 4).ok());
  CrashAndRestart();
  EXPECT_EQ(Read(env_, "/d/f"), "0123456789");

  ASSERT_TRUE(env_.Truncate("/d/f", 4).ok());
  auto g = env_.NewAppendableFile("/d/f");
  ASSERT_TRUE((*g)->Sync().ok());
  ASSERT_TRUE((*g)->Append("xy").ok());
  CrashAndRestart({.torn_writes = true});
  const std::string got = Read(env_, "/d/f");
  EXPECT_TRUE(got == "0123" || got == "0123x" || got == "0123xy") << got;
}

TEST_F(FaultEnvTest, TornWritesKeepAPrefixOfTheUnsyncedTail) {
  std::set<size_t> kept;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    FaultInjectionEnv env(seed);
    ASSERT_TRUE(env.SyncDir("/").ok());
    auto f = Write(env, "/f", "AAAA", /*sync=*/true);
    ASSERT_TRUE(env.SyncDir("/").ok());
    ASSERT_TRUE(f->Append("0123456789").ok());
    env.Crash({.torn_writes = true});
    env.Restart();
    const std::string got = Read(env, "/f");
    ASSERT_EQ(got, std::string("AAAA0123456789").substr(0, got.size())) << "seed " << seed;
    ASSERT_GE(got.size(), 4u);
    kept.insert(got.size() - 4);
  }
  EXPECT_GT(kept.size(), 5u);  // Really random lengths, not always all or nothing.
}

TEST_F(FaultEnvTest, ScribbleZeroesPartOfTheKeptTailOnly) {
  bool saw_zero = false;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    FaultInjectionEnv env(seed);
    auto f = Write(env, "/f", "AAAA", /*sync=*/true);
    ASSERT_TRUE(env.SyncDir("/").ok());
    ASSERT_TRUE(f->Append("0123456789").ok());
    env.Crash({.torn_writes = true, .scribble = true});
    env.Restart();
    const std::string got = Read(env, "/f");
    ASSERT_EQ(got.substr(0, 4), "AAAA");
    for (size_t i = 4; i < got.size(); ++i) {
      ASSERT_TRUE(got[i] == '\0' || got[i] == static_cast<char>('0' + i - 4)) << seed;
      saw_zero |= got[i] == '\0';
    }
  }
  EXPECT_TRUE(saw_zero);
}

TEST_F(FaultEnvTest, SameSeedSameOutcome) {
  auto run = [](uint64_t seed) {
    FaultInjectionEnv env(seed);
    std::string out;
    for (int i = 0; i < 5; ++i) {
      const std::string path = "/f" + std::to_string(i);
      auto f = Write(env, path, "durable", /*sync=*/true);
      EXPECT_TRUE(f->Append(std::string(100, 'x')).ok());
    }
    EXPECT_TRUE(env.SyncDir("/").ok());
    env.Crash({.torn_writes = true});
    env.Restart();
    for (int i = 0; i < 5; ++i) out += Read(env, "/f" + std::to_string(i)) + "|";
    return out;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST_F(FaultEnvTest, DownUntilRestartAndOldHandlesStayDead) {
  auto f = Write(env_, "/d/f", "x", /*sync=*/true);
  ASSERT_TRUE(env_.SyncDir("/d").ok());
  env_.Crash();
  EXPECT_TRUE(env_.down());
  EXPECT_EQ(env_.ListDir("/d").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(f->Append("y").code(), absl::StatusCode::kUnavailable);
  env_.Restart();
  EXPECT_EQ(f->Append("y").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(f->Sync().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Read(env_, "/d/f"), "x");
  EXPECT_EQ(env_.counters().crashes, 1u);
}

TEST_F(FaultEnvTest, CrashAfterFiresAtTheNthMutatingCall) {
  auto f = Write(env_, "/d/f", "a", /*sync=*/false);  // Opening doesn't count.
  env_.CrashAfter(3);
  ASSERT_TRUE(f->Append("b").ok());      // 1
  ASSERT_TRUE(f->Sync().ok());           // 2
  ASSERT_TRUE(env_.ListDir("/d").ok());  // Reads don't count.
  absl::Status s = env_.SyncDir("/d");   // 3: crashes instead of running.
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("simulated crash"));
  EXPECT_TRUE(env_.down());
  env_.Restart();
  EXPECT_FALSE(env_.FileExists("/d/f"));  // The dir sync never happened.
}

TEST_F(FaultEnvTest, CrashDuringASlowSyncMeansItNeverCompleted) {
  auto f = Write(env_, "/d/f", "durable", /*sync=*/true);
  ASSERT_TRUE(env_.SyncDir("/d").ok());
  ASSERT_TRUE(f->Append("+in flight").ok());
  env_.SetSyncDelay(std::chrono::milliseconds(300));
  absl::Status sync_status;
  std::thread syncer([&] { sync_status = f->Sync(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // Well inside the delay.
  env_.Crash();
  syncer.join();
  EXPECT_EQ(sync_status.code(), absl::StatusCode::kUnavailable);
  env_.Restart();
  EXPECT_EQ(Read(env_, "/d/f"), "durable");
  EXPECT_EQ(env_.counters().syncs, 1u);
}

TEST_F(FaultEnvTest, FullDiskWritesWhatFitsThenFails) {
  auto f = Write(env_, "/d/f", "123456", /*sync=*/false);
  env_.SetCapacity(10);
  absl::Status s = f->Append("abcdefgh");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("/d/f"));
  EXPECT_EQ(Read(env_, "/d/f"), "123456abcd");  // The part that fit, as write(2) would.
  EXPECT_EQ(env_.UsedBytes(), 10u);

  ASSERT_TRUE(env_.Truncate("/d/f", 6).ok());  // Frees space.
  env_.SetCapacity(10, /*partial_writes=*/false);
  EXPECT_EQ(f->Append("abcdefgh").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Read(env_, "/d/f"), "123456");
  ASSERT_TRUE(f->Append("abcd").ok());
  ASSERT_TRUE(env_.DeleteFile("/d/f").ok());
  auto g = Write(env_, "/d/g", "0123456789", /*sync=*/false);  // Deleting freed it all.
  env_.SetCapacity(std::nullopt);
  EXPECT_TRUE(g->Append(std::string(1000, 'z')).ok());
}

TEST_F(FaultEnvTest, MediaDamageSurvivesCrash) {
  auto f = Write(env_, "/d/f", "\x01\x02\x03\x04", /*sync=*/true);
  ASSERT_TRUE(env_.SyncDir("/d").ok());
  ASSERT_TRUE(env_.FlipBit("/d/f", 8 + 7).ok());  // Byte 1, top bit.
  EXPECT_EQ(Read(env_, "/d/f"), "\x01\x82\x03\x04");
  ASSERT_TRUE(env_.TruncateRaw("/d/f", 3).ok());
  CrashAndRestart();
  EXPECT_EQ(Read(env_, "/d/f"), "\x01\x82\x03");
  EXPECT_EQ(env_.FlipBit("/d/f", 24).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(env_.FlipBit("/d/nope", 0).code(), absl::StatusCode::kNotFound);
}

TEST_F(FaultEnvTest, FailNextFailsExactlyNCallsOfThatKind) {
  auto f = Write(env_, "/d/f", "x", /*sync=*/false);
  env_.FailNext(Op::kSync, 2, absl::DataLossError("EIO"));
  EXPECT_EQ(f->Sync().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(f->Append("y").ok());  // Other kinds are unaffected.
  EXPECT_EQ(f->Sync().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(f->Sync().ok());
  EXPECT_EQ(env_.counters().syncs, 1u);

  env_.FailNext(Op::kOpen, 1);
  absl::Status s = env_.NewWritableFile("/d/g").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("injected open failure"));
  EXPECT_TRUE(env_.NewWritableFile("/d/g").ok());
}

TEST_F(FaultEnvTest, NamespaceBasics) {
  ASSERT_TRUE(env_.CreateDirs("/d/sub").ok());
  Write(env_, "/d/b", "", false);
  Write(env_, "/d//a", "", false);  // Normalised.
  EXPECT_THAT(*env_.ListDir("/d/"), ElementsAre("a", "b", "sub"));
  EXPECT_EQ(env_.NewWritableFile("/nodir/x").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env_.NewWritableFile("/d/sub").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(env_.ReadFile("/d/../d/a", 1).status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(env_.DeleteDir("/d").ok());
  EXPECT_FALSE(env_.FileExists("/d/a"));
  EXPECT_EQ(env_.DeleteDir("/").code(), absl::StatusCode::kInvalidArgument);
  env_.AdvanceNanos(5);
  EXPECT_EQ(env_.NowNanos(), 1'704'067'200'000'000'005);
}

}  // namespace
}  // namespace hearth
