// Tests of the POSIX Env. (The fault-injecting Env has its own, fault_env_test.cc.)

#include "base/env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

namespace hearth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A fresh directory under the system temp dir, removed afterwards.
class PosixEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hearth_env_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::unique_ptr<Env> env_ = NewPosixEnv();
  std::string dir_;
};

TEST_F(PosixEnvTest, WriteSyncCloseThenRead) {
  auto f = env_->NewWritableFile(Path("a"));
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE((*f)->Append("hello, ").ok());
  ASSERT_TRUE((*f)->Append("world").ok());
  EXPECT_EQ((*f)->Size(), 12u);
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ((*f)->Append("x").code(), absl::StatusCode::kFailedPrecondition);

  EXPECT_EQ(*env_->ReadFile(Path("a"), 100), "hello, world");
  EXPECT_EQ(*env_->FileSize(Path("a")), 12u);
  EXPECT_TRUE(env_->FileExists(Path("a")));
  EXPECT_FALSE(env_->FileExists(Path("b")));
}

TEST_F(PosixEnvTest, NewWritableFileTruncatesAndAppendableAppends) {
  ASSERT_TRUE(WriteFileDurably(env_.get(), Path("a"), "0123456789").ok());
  {
    auto f = env_->NewAppendableFile(Path("a"));
    ASSERT_TRUE(f.ok());
    EXPECT_EQ((*f)->Size(), 10u);
    ASSERT_TRUE((*f)->Append("ab").ok());
    EXPECT_EQ((*f)->Size(), 12u);
  }  // Closed by the destructor.
  EXPECT_EQ(*env_->ReadFile(Path("a"), 100), "0123456789ab");
  ASSERT_TRUE(env_->NewWritableFile(Path("a")).ok());
  EXPECT_EQ(*env_->FileSize(Path("a")), 0u);
}

TEST_F(PosixEnvTest, MissingFilesAreNotFoundAndNameThePath) {
  auto a = env_->NewAppendableFile(Path("missing"));
  EXPECT_EQ(a.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(a.status().message(), HasSubstr(Path("missing")));
  EXPECT_THAT(a.status().message(), HasSubstr("No such file or directory"));
  EXPECT_EQ(env_->ReadFile(Path("missing"), 1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env_->FileSize(Path("missing")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env_->DeleteFile(Path("missing")).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env_->ListDir(Path("missing")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env_->SyncDir(Path("missing")).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env_->NewWritableFile(Path("no/such/dir")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(PosixEnvTest, FullDiskIsResourceExhausted) {
  // /dev/full fails every write with ENOSPC: the real errno, not a simulation.
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  auto f = env_->NewAppendableFile("/dev/full");
  ASSERT_TRUE(f.ok()) << f.status();
  absl::Status s = (*f)->Append("x");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("/dev/full: write: No space left on device"));
}

TEST_F(PosixEnvTest, ReadFileEnforcesLimit) {
  ASSERT_TRUE(WriteFileDurably(env_.get(), Path("big"), std::string(5000, 'x')).ok());
  auto got = env_->ReadFile(Path("big"), 4096);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(got.status().message(), HasSubstr("limit of 4096"));
  EXPECT_EQ(env_->ReadFile(Path("big"), 5000)->size(), 5000u);
  EXPECT_EQ(env_->ReadFile(dir_, 10).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PosixEnvTest, RandomAccessReadsConcurrently) {
  std::string data(1 << 16, '\0');
  std::mt19937_64 rng(1);
  for (char& c : data) c = static_cast<char>(rng());
  ASSERT_TRUE(WriteFileDurably(env_.get(), Path("r"), data).ok());
  auto f = env_->NewRandomAccessFile(Path("r"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->Size(), data.size());
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 r(t);
      std::string out;
      for (int i = 0; i < 500; ++i) {
        uint64_t off = r() % data.size();
        size_t n = r() % 3000;
        if (!(*f)->Read(off, n, &out).ok() || out != data.substr(off, n)) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
  std::string out = "junk";
  ASSERT_TRUE((*f)->Read(data.size() - 3, 10, &out).ok());
  EXPECT_EQ(out, data.substr(data.size() - 3));  // Short only at the end.
  ASSERT_TRUE((*f)->Read(data.size() + 5, 10, &out).ok());
  EXPECT_EQ(out, "");
}

TEST_F(PosixEnvTest, DirectoriesListRenameTruncate) {
  ASSERT_TRUE(env_->CreateDirs(Path("x/y/z")).ok());
  ASSERT_TRUE(env_->CreateDirs(Path("x/y/z")).ok());  // Idempotent.
  ASSERT_TRUE(WriteFileDurably(env_.get(), Path("x/b"), "bb").ok());
  ASSERT_TRUE(WriteFileDurably(env_.get(), Path("x/a"), "aaaa").ok());
  EXPECT_THAT(*env_->ListDir(Path("x")), ElementsAre("a", "b", "y"));  // No temp files left.

  ASSERT_TRUE(env_->RenameFile(Path("x/a"), Path("x/c")).ok());
  EXPECT_THAT(*env_->ListDir(Path("x")), ElementsAre("b", "c", "y"));
  ASSERT_TRUE(env_->Truncate(Path("x/c"), 1).ok());
  EXPECT_EQ(*env_->ReadFile(Path("x/c"), 10), "a");
  ASSERT_TRUE(env_->SyncDir(Path("x")).ok());

  EXPECT_EQ(env_->CreateDirs(Path("x/b/sub")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(env_->RenameFile(Path("x/nope"), Path("x/d")).code(), absl::StatusCode::kNotFound);
}

TEST_F(PosixEnvTest, DeleteDirIsRecursiveAndDoesNotFollowSymlinks) {
  ASSERT_TRUE(env_->CreateDirs(Path("keep")).ok());
  ASSERT_TRUE(WriteFileDurably(env_.get(), Path("keep/precious"), "p").ok());
  ASSERT_TRUE(env_->CreateDirs(Path("doomed/sub")).ok());
  ASSERT_TRUE(WriteFileDurably(env_.get(), Path("doomed/sub/f"), "f").ok());
  ASSERT_EQ(::symlink(Path("keep").c_str(), Path("doomed/link").c_str()), 0);

  ASSERT_TRUE(env_->DeleteDir(Path("doomed")).ok());
  EXPECT_FALSE(env_->FileExists(Path("doomed")));
  EXPECT_EQ(*env_->ReadFile(Path("keep/precious"), 10), "p");
  EXPECT_EQ(env_->DeleteDir(Path("keep/precious")).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PosixEnvTest, WriteFileDurablyReplacesAtomically) {
  ASSERT_TRUE(WriteFileDurably(env_.get(), Path("m"), "v1").ok());
  ASSERT_TRUE(WriteFileDurably(env_.get(), Path("m"), "version 2").ok());
  EXPECT_EQ(*env_->ReadFile(Path("m"), 100), "version 2");
  EXPECT_THAT(*env_->ListDir(dir_), ElementsAre("m"));
  absl::Status s = WriteFileDurably(env_.get(), Path("nodir/m"), "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
}

TEST_F(PosixEnvTest, ClockIsWallTime) {
  const int64_t now = env_->NowNanos();
  EXPECT_GT(now, int64_t{1'700'000'000} * 1'000'000'000);  // After Nov 2023.
  EXPECT_LE(now, env_->NowNanos());
}

}  // namespace
}  // namespace hearth
