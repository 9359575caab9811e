#pragma once

// The file system and clock seam. Storage code never calls POSIX directly: it takes an Env*,
// so tests can run it on a fault-injecting file system (torn writes, bit flips, a full disk,
// a crash that loses everything not yet fsynced) and a manual clock.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace hearth {

// A file opened for appending. Data is durable only after Sync() returns OK.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual absl::Status Append(std::string_view data) = 0;
  virtual absl::Status Sync() = 0;  // fdatasync
  virtual absl::Status Close() = 0;
  virtual uint64_t Size() const = 0;
};

// A file read at arbitrary offsets, safe for concurrent readers.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into *out (shorter only at end of file).
  virtual absl::Status Read(uint64_t offset, size_t n, std::string* out) const = 0;
  virtual uint64_t Size() const = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // Creates (or truncates) a file for writing.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  // Opens an existing file for appending at its end.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) = 0;
  virtual absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  // Whole file, refusing files larger than max_bytes.
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  virtual absl::StatusOr<uint64_t> FileSize(const std::string& path) = 0;
  // Names (not paths) of the entries of a directory, sorted.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  virtual absl::Status CreateDirs(const std::string& dir) = 0;  // mkdir -p
  virtual absl::Status DeleteFile(const std::string& path) = 0;
  virtual absl::Status DeleteDir(const std::string& dir) = 0;  // recursive
  virtual absl::Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual absl::Status Truncate(const std::string& path, uint64_t size) = 0;
  // fsync of a directory, making creations/renames/deletions in it durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;

  // Wall-clock time in nanoseconds since the epoch.
  virtual int64_t NowNanos() = 0;
};

// The real thing: POSIX files and CLOCK_REALTIME. Errors name the path, the operation and
// strerror; ENOENT is NotFound, ENOSPC/EDQUOT ResourceExhausted, EACCES/EPERM/EROFS
// PermissionDenied, EIO DataLoss, anything unexpected Unavailable.
// FaultInjectionEnv (base/fault_env.h) is the test double.
std::unique_ptr<Env> NewPosixEnv();

// Writes data to path atomically and durably: temp file, Sync, rename, SyncDir.
absl::Status WriteFileDurably(Env* env, const std::string& path, std::string_view data);

}  // namespace hearth
