#pragma once

// Helpers for storage tests: a temp directory, an Env with a settable clock, and fixture
// profiles.

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "base/env.h"
#include "profile/profile.h"

namespace hearth::storage::testing {

// A fresh directory under the system temp dir, removed when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Forwards everything to another Env except the clock, which tests set.
class ClockEnv : public Env {
 public:
  explicit ClockEnv(Env* base, int64_t now_ns) : base_(base), now_(now_ns) {}
  void Set(int64_t now_ns) { now_ = now_ns; }
  void Advance(int64_t ns) { now_ += ns; }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    return base_->NewWritableFile(p);
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& p) override {
    return base_->NewAppendableFile(p);
  }
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& p) override {
    return base_->NewRandomAccessFile(p);
  }
  absl::StatusOr<std::string> ReadFile(const std::string& p, size_t max) override {
    return base_->ReadFile(p, max);
  }
  bool FileExists(const std::string& p) override { return base_->FileExists(p); }
  absl::StatusOr<uint64_t> FileSize(const std::string& p) override { return base_->FileSize(p); }
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& d) override {
    return base_->ListDir(d);
  }
  absl::Status CreateDirs(const std::string& d) override { return base_->CreateDirs(d); }
  absl::Status DeleteFile(const std::string& p) override { return base_->DeleteFile(p); }
  absl::Status DeleteDir(const std::string& d) override { return base_->DeleteDir(d); }
  absl::Status RenameFile(const std::string& a, const std::string& b) override {
    return base_->RenameFile(a, b);
  }
  absl::Status Truncate(const std::string& p, uint64_t n) override { return base_->Truncate(p, n); }
  absl::Status SyncDir(const std::string& d) override { return base_->SyncDir(d); }
  int64_t NowNanos() override { return now_; }

 private:
  Env* base_;
  std::atomic<int64_t> now_;
};

std::string FixturePath(const std::string& relative);
profile::Profile LoadFixture(const std::string& relative);

}  // namespace hearth::storage::testing
