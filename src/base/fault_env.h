#pragma once

// FaultInjectionEnv: an in-memory Env that knows exactly which bytes and names would survive
// a power cut, and produces the failures real disks produce on demand. Storage tests (and the
// integration test) run on it; it is deterministic given its seed.
//
// The model. Every file is an inode holding two copies of its bytes, and the namespace has
// two views, one of which survives a crash:
//
//                 volatile: what calls see          durable: what survives Crash()
//   names         live  path -> inode, dirs  ──SyncDir(d)──▶  durable  path -> inode, dirs
//                                                 (entries directly inside d only)
//   bytes         inode.data                  ──Sync()─────▶  inode.durable
//
//   inode.data  = [ durable bytes ............ | unsynced tail ........... ]
//                                              ^ Crash() keeps none of the tail, or with
//                                                torn_writes a random-length prefix of it
//                                                (optionally with a zeroed hole: a page whose
//                                                size reached the disk but whose data did not)
//
// So a file created (or renamed) and Sync()ed, but whose directory was never SyncDir()ed,
// vanishes (or reverts to its old name) at a crash; a directory's own creation is durable once
// its parent is SyncDir()ed. Truncate() changes only the volatile bytes until the next Sync()
// of that file (fdatasync makes the size durable). Crash() then takes the env *down*: every
// call fails with Unavailable until Restart(), so threads of the "dead process" cannot touch
// the recovered state; handles opened before a crash stay dead forever (FailedPrecondition).
//
// Faults:
//   - Crash(options) now, or CrashAfter(n): at the n-th mutating call from now (create, append,
//     sync, truncate, rename, delete, mkdir, dir sync), which then fails instead of running.
//   - SetCapacity(bytes): a full disk. An Append that does not fit writes what fits (if
//     partial_writes, as write(2) does) and fails with ResourceExhausted; Truncate and
//     deletion free space.
//   - FlipBit / TruncateRaw: media damage, applied to both copies so it survives crashes.
//   - FailNext(op, n): the next n calls of a kind fail with a given status.
//   - SetSyncDelay: a slow disk (the delay is spent outside the env's lock).
//
// Simplifications: paths are normalised ("//" and "." components dropped; ".." is rejected);
// "/" and "." always exist; directories cannot be renamed; space used by unlinked but still
// open files is not counted. The env must outlive every file handle it returns.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "base/env.h"

namespace hearth {

class FaultInjectionEnv final : public Env {
 public:
  enum class Op {
    kOpen,       // NewWritableFile, NewAppendableFile, NewRandomAccessFile
    kRead,       // ReadFile, RandomAccessFile::Read
    kAppend,     // WritableFile::Append
    kSync,       // WritableFile::Sync
    kClose,      // WritableFile::Close
    kTruncate,   // Truncate
    kRename,     // RenameFile
    kDelete,     // DeleteFile, DeleteDir
    kCreateDir,  // CreateDirs
    kSyncDir,    // SyncDir
    kListDir,    // ListDir
  };
  static constexpr int kNumOps = 11;

  struct CrashOptions {
    // Keep a random-length prefix of each file's unsynced tail instead of dropping it all.
    bool torn_writes = false;
    // With torn_writes: also zero a random range of the kept part.
    bool scribble = false;
  };

  struct Counters {
    uint64_t appends = 0;  // successful Append calls
    uint64_t bytes_appended = 0;
    uint64_t syncs = 0;  // successful Sync calls
    uint64_t dir_syncs = 0;
    uint64_t crashes = 0;
  };

  explicit FaultInjectionEnv(uint64_t seed = 1);
  ~FaultInjectionEnv() override;

  // --- Faults ---
  void Crash(const CrashOptions& options);
  void Crash() { Crash(CrashOptions{}); }
  // Crash at the n-th (n >= 1) mutating call from now; 0 cancels.
  void CrashAfter(uint64_t n, const CrashOptions& options);
  void CrashAfter(uint64_t n) { CrashAfter(n, CrashOptions{}); }
  void Restart();  // Brings the env back up after a crash.
  bool down() const;

  // nullopt = unlimited.
  void SetCapacity(std::optional<uint64_t> bytes, bool partial_writes = true);
  uint64_t UsedBytes() const;

  absl::Status FlipBit(const std::string& path, uint64_t bit);
  absl::Status TruncateRaw(const std::string& path, uint64_t size);

  // The next `times` calls of kind `op` fail with `status` (default: Unavailable naming op).
  void FailNext(Op op, int times, absl::Status status = absl::OkStatus());
  void SetSyncDelay(std::chrono::microseconds delay);

  Counters counters() const;
  static const char* OpName(Op op);

  // Manual clock (starts at 2024-01-01T00:00:00Z).
  void SetNowNanos(int64_t ns);
  void AdvanceNanos(int64_t ns);

  // --- Env ---
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override;
  absl::StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes) override;
  bool FileExists(const std::string& path) override;
  absl::StatusOr<uint64_t> FileSize(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override;
  absl::Status CreateDirs(const std::string& dir) override;
  absl::Status DeleteFile(const std::string& path) override;
  absl::Status DeleteDir(const std::string& dir) override;
  absl::Status RenameFile(const std::string& from, const std::string& to) override;
  absl::Status Truncate(const std::string& path, uint64_t size) override;
  absl::Status SyncDir(const std::string& dir) override;
  int64_t NowNanos() override;

 private:
  class File;
  class Reader;
  struct Inode {
    std::string data;     // volatile
    std::string durable;  // as of the last successful Sync
    // Invariant when true: durable is a prefix of data (only appends since the last Sync),
    // so Sync can copy just the tail and a crash may keep a torn prefix of it.
    bool durable_is_prefix = true;
  };
  using InodePtr = std::shared_ptr<Inode>;
  // Directories carry an id so that a directory deleted and re-created under the same name
  // does not inherit the durable entries of the old one.
  using DirMap = std::map<std::string, uint64_t>;
  using FileMap = std::map<std::string, InodePtr>;

  // Checks, under mu_, whether a call of kind `op` may run: the env is up, the handle (if
  // any) is from the current generation, no scheduled crash fires, no injected fault.
  absl::Status EnterLocked(Op op, const std::string& path, const uint64_t* generation = nullptr);
  void CrashLocked(const CrashOptions& options);
  bool DirExistsLocked(const std::string& dir) const;
  absl::StatusOr<InodePtr> FindFileLocked(const std::string& path) const;
  uint64_t UsedBytesLocked() const;
  absl::Status AppendToInode(Inode* inode, uint64_t generation, const std::string& path,
                             std::string_view data);
  absl::Status SyncInode(Inode* inode, uint64_t generation, const std::string& path);

  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  FileMap live_files_, durable_files_;
  DirMap live_dirs_, durable_dirs_;
  uint64_t next_dir_id_ = 1;
  uint64_t generation_ = 0;
  bool down_ = false;
  uint64_t crash_countdown_ = 0;
  CrashOptions scheduled_crash_;
  std::optional<uint64_t> capacity_;
  bool partial_writes_ = true;
  int fail_next_[kNumOps] = {};
  absl::Status fail_status_[kNumOps];
  std::chrono::microseconds sync_delay_{0};
  Counters counters_;
  int64_t now_ns_ = 1'704'067'200'000'000'000;
};

}  // namespace hearth
