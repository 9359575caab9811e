#include "base/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include "base/status_macros.h"

namespace hearth {
namespace {

// The one place errno becomes a Status. Messages name the operation and the path so that a
// user can act on them ("/var/lib/hearth/wal/00000003.wal: fdatasync: No space left on device").
absl::Status PosixError(std::string_view op, const std::string& path, int err) {
  std::string msg = fmt::format("{}: {}: {}", path, op, std::strerror(err));
  switch (err) {
    case ENOENT: return absl::NotFoundError(msg);
    case ENOSPC:
    case EDQUOT: return absl::ResourceExhaustedError(msg);
    case EACCES:
    case EPERM:
    case EROFS: return absl::PermissionDeniedError(msg);
    case EEXIST:
    case ENOTEMPTY: return absl::AlreadyExistsError(msg);
    case ENOTDIR:
    case EISDIR:
    case ENAMETOOLONG:
    case ELOOP: return absl::InvalidArgumentError(msg);
    case EIO: return absl::DataLossError(msg);  // e.g. writeback failed: data may be gone.
    default: return absl::UnavailableError(msg);
  }
}

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& o) noexcept : fd_(o.Release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.Release();
    }
    return *this;
  }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset() {
    // Never retry close() on EINTR: Linux has already released the descriptor.
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Owns a DIR stream.
struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

absl::StatusOr<Fd> OpenFd(const std::string& path, int flags, mode_t mode = 0644) {
  for (;;) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) return Fd(fd);
    if (errno != EINTR) return PosixError("open", path, errno);
  }
}

absl::StatusOr<struct stat> Stat(const std::string& path, bool follow = true) {
  struct stat st;
  int rc = follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
  if (rc != 0) return PosixError("stat", path, errno);
  return st;
}

// Reads up to n bytes at offset, retrying short reads; fewer only at end of file.
absl::Status PreadFully(int fd, const std::string& path, uint64_t offset, size_t n,
                        std::string* out) {
  out->resize(n);
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, out->data() + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      out->clear();
      return PosixError("read", path, errno);
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  out->resize(got);
  return absl::OkStatus();
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(Fd fd, std::string path, uint64_t size)
      : fd_(std::move(fd)), path_(std::move(path)), size_(size) {}

  absl::Status Append(std::string_view data) override {
    if (!fd_.valid()) return absl::FailedPreconditionError(path_ + ": append after close");
    while (!data.empty()) {
      ssize_t n = ::write(fd_.get(), data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError("write", path_, errno);
      }
      // A short write (e.g. the disk filled up midway) is retried; the retry reports why.
      size_ += static_cast<uint64_t>(n);
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (!fd_.valid()) return absl::FailedPreconditionError(path_ + ": sync after close");
    while (::fdatasync(fd_.get()) != 0) {
      if (errno != EINTR) return PosixError("fdatasync", path_, errno);
    }
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (!fd_.valid()) return absl::OkStatus();
    int rc = ::close(fd_.Release());
    if (rc != 0 && errno != EINTR) return PosixError("close", path_, errno);
    return absl::OkStatus();
  }

  uint64_t Size() const override { return size_; }

 private:
  Fd fd_;
  std::string path_;
  uint64_t size_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(Fd fd, std::string path, uint64_t size)
      : fd_(std::move(fd)), path_(std::move(path)), size_(size) {}

  // pread has no shared file offset, so concurrent readers need no lock.
  absl::Status Read(uint64_t offset, size_t n, std::string* out) const override {
    return PreadFully(fd_.get(), path_, offset, n, out);
  }
  uint64_t Size() const override { return size_; }

 private:
  Fd fd_;
  std::string path_;
  uint64_t size_;
};

class PosixEnv final : public Env {
 public:
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    HEARTH_ASSIGN_OR_RETURN(Fd fd, OpenFd(path, O_WRONLY | O_CREAT | O_TRUNC));
    return std::make_unique<PosixWritableFile>(std::move(fd), path, 0);
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override {
    HEARTH_ASSIGN_OR_RETURN(Fd fd, OpenFd(path, O_WRONLY | O_APPEND));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return PosixError("fstat", path, errno);
    return std::make_unique<PosixWritableFile>(std::move(fd), path, st.st_size);
  }

  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    HEARTH_ASSIGN_OR_RETURN(Fd fd, OpenFd(path, O_RDONLY));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return PosixError("fstat", path, errno);
    if (S_ISDIR(st.st_mode)) return PosixError("open", path, EISDIR);
    return std::make_unique<PosixRandomAccessFile>(std::move(fd), path, st.st_size);
  }

  absl::StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes) override {
    HEARTH_ASSIGN_OR_RETURN(Fd fd, OpenFd(path, O_RDONLY));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return PosixError("fstat", path, errno);
    if (S_ISDIR(st.st_mode)) return PosixError("read", path, EISDIR);
    if (static_cast<uint64_t>(st.st_size) > max_bytes) {
      return absl::ResourceExhaustedError(
          fmt::format("{}: file is {} bytes, above the limit of {}", path, st.st_size, max_bytes));
    }
    // Read one byte past the size we saw, to notice a file that grew since fstat.
    std::string out;
    HEARTH_RETURN_IF_ERROR(
        PreadFully(fd.get(), path, 0, static_cast<size_t>(st.st_size) + 1, &out));
    if (out.size() > max_bytes) {
      return absl::ResourceExhaustedError(
          fmt::format("{}: file grew above the limit of {} bytes", path, max_bytes));
    }
    return out;
  }

  bool FileExists(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }

  absl::StatusOr<uint64_t> FileSize(const std::string& path) override {
    HEARTH_ASSIGN_OR_RETURN(struct stat st, Stat(path));
    return static_cast<uint64_t>(st.st_size);
  }

  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override {
    DirPtr d(::opendir(dir.c_str()));
    if (d == nullptr) return PosixError("opendir", dir, errno);
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      struct dirent* e = ::readdir(d.get());
      if (e == nullptr) {
        if (errno != 0) return PosixError("readdir", dir, errno);
        break;
      }
      std::string_view name = e->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  absl::Status CreateDirs(const std::string& dir) override {
    if (dir.empty()) return absl::InvalidArgumentError("CreateDirs: empty path");
    // Create each prefix ending at a '/', then the whole path.
    for (size_t i = 1; i <= dir.size(); ++i) {
      if (i != dir.size() && dir[i] != '/') continue;
      std::string prefix = dir.substr(0, i);
      if (::mkdir(prefix.c_str(), 0755) == 0) continue;
      int err = errno;
      if (err != EEXIST) return PosixError("mkdir", prefix, err);
      struct stat st;
      if (::stat(prefix.c_str(), &st) != 0) return PosixError("stat", prefix, errno);
      if (!S_ISDIR(st.st_mode)) return PosixError("mkdir", prefix, ENOTDIR);
    }
    return absl::OkStatus();
  }

  absl::Status DeleteFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("unlink", path, errno);
    return absl::OkStatus();
  }

  absl::Status DeleteDir(const std::string& dir) override {
    // Symlinks are removed, never followed, so a link can't make us delete outside `dir`.
    HEARTH_ASSIGN_OR_RETURN(struct stat st, Stat(dir, /*follow=*/false));
    if (!S_ISDIR(st.st_mode)) return PosixError("rmdir", dir, ENOTDIR);
    HEARTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir));
    for (const std::string& name : names) {
      std::string path = dir + "/" + name;
      HEARTH_ASSIGN_OR_RETURN(struct stat child, Stat(path, /*follow=*/false));
      if (S_ISDIR(child.st_mode)) {
        HEARTH_RETURN_IF_ERROR(DeleteDir(path));
      } else {
        HEARTH_RETURN_IF_ERROR(DeleteFile(path));
      }
    }
    if (::rmdir(dir.c_str()) != 0) return PosixError("rmdir", dir, errno);
    return absl::OkStatus();
  }

  absl::Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return PosixError(fmt::format("rename to {}", to), from, errno);
    }
    return absl::OkStatus();
  }

  absl::Status Truncate(const std::string& path, uint64_t size) override {
    while (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
      if (errno != EINTR) return PosixError("truncate", path, errno);
    }
    return absl::OkStatus();
  }

  absl::Status SyncDir(const std::string& dir) override {
    HEARTH_ASSIGN_OR_RETURN(Fd fd, OpenFd(dir, O_RDONLY | O_DIRECTORY));
    while (::fsync(fd.get()) != 0) {
      if (errno != EINTR) return PosixError("fsync", dir, errno);
    }
    return absl::OkStatus();
  }

  int64_t NowNanos() override {
    struct timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  }
};

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::unique_ptr<Env> NewPosixEnv() { return std::make_unique<PosixEnv>(); }

absl::Status WriteFileDurably(Env* env, const std::string& path, std::string_view data) {
  // A unique temp name per call, so concurrent writers of the same path can't interleave.
  static std::atomic<uint64_t> counter{0};
  std::string tmp = fmt::format("{}.tmp.{}.{}", path, ::getpid(), counter.fetch_add(1));
  auto write = [&]() -> absl::Status {
    HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewWritableFile(tmp));
    HEARTH_RETURN_IF_ERROR(f->Append(data));
    HEARTH_RETURN_IF_ERROR(f->Sync());
    HEARTH_RETURN_IF_ERROR(f->Close());
    return env->RenameFile(tmp, path);
  };
  if (absl::Status s = write(); !s.ok()) {
    (void)env->DeleteFile(tmp);  // Best effort; the error that matters is s.
    return s;
  }
  return env->SyncDir(DirName(path));
}

}  // namespace hearth
