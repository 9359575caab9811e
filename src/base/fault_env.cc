#include "base/fault_env.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <thread>
#include <vector>

#include "base/status_macros.h"

namespace hearth {
namespace {

using Op = FaultInjectionEnv::Op;

// Drops empty and "." components and a trailing '/'; rejects "..".
absl::StatusOr<std::string> Normalize(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("empty path");
  const bool absolute = path[0] == '/';
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string_view part(path.data() + i, j - i);
    i = j + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      return absl::InvalidArgumentError(fmt::format("{}: '..' is not supported here", path));
    }
    if (!out.empty() || absolute) out += '/';
    out.append(part);
  }
  if (out.empty()) return std::string(absolute ? "/" : ".");
  return out;
}

bool IsRoot(const std::string& p) { return p == "/" || p == "."; }

std::string Parent(const std::string& p) {
  size_t slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return p.substr(0, slash);
}

std::string BaseName(const std::string& p) {
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

bool IsUnder(const std::string& p, const std::string& dir) {
  if (dir == "/") return p.size() > 1 && p[0] == '/';
  if (dir == ".") return !p.empty() && p[0] != '/';
  return p.size() > dir.size() + 1 && p.compare(0, dir.size(), dir) == 0 && p[dir.size()] == '/';
}

bool IsMutating(Op op) {
  switch (op) {
    case Op::kAppend:
    case Op::kSync:
    case Op::kTruncate:
    case Op::kRename:
    case Op::kDelete:
    case Op::kCreateDir:
    case Op::kSyncDir: return true;
    default: return false;
  }
}

absl::Status NoSuchFile(const std::string& path) {
  return absl::NotFoundError(fmt::format("{}: no such file or directory", path));
}

template <typename Map>
void EraseUnder(Map& m, const std::string& dir) {
  for (auto it = m.begin(); it != m.end();) {
    it = IsUnder(it->first, dir) ? m.erase(it) : std::next(it);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// File handles. They reach their inode only through the env, under its lock.

class FaultInjectionEnv::File final : public WritableFile {
 public:
  File(FaultInjectionEnv* env, InodePtr inode, std::string path, uint64_t generation)
      : env_(env), inode_(std::move(inode)), path_(std::move(path)), generation_(generation) {}
  ~File() override = default;

  absl::Status Append(std::string_view data) override {
    if (closed_) return absl::FailedPreconditionError(path_ + ": append after close");
    return env_->AppendToInode(inode_.get(), generation_, path_, data);
  }
  absl::Status Sync() override {
    if (closed_) return absl::FailedPreconditionError(path_ + ": sync after close");
    return env_->SyncInode(inode_.get(), generation_, path_);
  }
  absl::Status Close() override {
    if (closed_) return absl::OkStatus();
    std::lock_guard<std::mutex> lock(env_->mu_);
    closed_ = true;
    return env_->EnterLocked(Op::kClose, path_, &generation_);
  }
  uint64_t Size() const override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    return inode_->data.size();
  }

 private:
  FaultInjectionEnv* env_;
  InodePtr inode_;
  std::string path_;
  uint64_t generation_;
  bool closed_ = false;
};

class FaultInjectionEnv::Reader final : public RandomAccessFile {
 public:
  Reader(FaultInjectionEnv* env, InodePtr inode, std::string path, uint64_t generation)
      : env_(env), inode_(std::move(inode)), path_(std::move(path)), generation_(generation) {}

  absl::Status Read(uint64_t offset, size_t n, std::string* out) const override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    HEARTH_RETURN_IF_ERROR(env_->EnterLocked(Op::kRead, path_, &generation_));
    const std::string& d = inode_->data;
    if (offset >= d.size()) {
      out->clear();
    } else {
      out->assign(d, offset, n);
    }
    return absl::OkStatus();
  }
  uint64_t Size() const override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    return inode_->data.size();
  }

 private:
  FaultInjectionEnv* env_;
  InodePtr inode_;
  std::string path_;
  uint64_t generation_;
};

// ---------------------------------------------------------------------------------------------

FaultInjectionEnv::FaultInjectionEnv(uint64_t seed) : rng_(seed) {}
FaultInjectionEnv::~FaultInjectionEnv() = default;

const char* FaultInjectionEnv::OpName(Op op) {
  static constexpr const char* kNames[kNumOps] = {"open",  "read",     "append", "sync",
                                                  "close", "truncate", "rename", "delete",
                                                  "mkdir", "dir sync", "list"};
  return kNames[static_cast<int>(op)];
}

absl::Status FaultInjectionEnv::EnterLocked(Op op, const std::string& path,
                                            const uint64_t* generation) {
  if (down_) {
    return absl::UnavailableError(
        fmt::format("{}: {}: the environment is down after a simulated crash", path, OpName(op)));
  }
  if (generation != nullptr && *generation != generation_) {
    return absl::FailedPreconditionError(
        fmt::format("{}: {}: handle opened before a simulated crash", path, OpName(op)));
  }
  if (crash_countdown_ > 0 && IsMutating(op) && --crash_countdown_ == 0) {
    CrashLocked(scheduled_crash_);
    return absl::UnavailableError(
        fmt::format("{}: {}: simulated crash during this call", path, OpName(op)));
  }
  const int i = static_cast<int>(op);
  if (fail_next_[i] > 0) {
    --fail_next_[i];
    if (!fail_status_[i].ok()) return fail_status_[i];
    return absl::UnavailableError(fmt::format("{}: injected {} failure", path, OpName(op)));
  }
  return absl::OkStatus();
}

void FaultInjectionEnv::Crash(const CrashOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  CrashLocked(options);
}

void FaultInjectionEnv::CrashAfter(uint64_t n, const CrashOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  crash_countdown_ = n;
  scheduled_crash_ = options;
}

void FaultInjectionEnv::CrashLocked(const CrashOptions& options) {
  auto reachable = [this](const std::string& p) {
    for (std::string a = Parent(p); !IsRoot(a); a = Parent(a)) {
      if (!durable_dirs_.count(a)) return false;
    }
    return true;
  };
  // Names: back to the durable view, minus whatever hangs below a directory that is gone.
  DirMap dirs;
  for (const auto& [p, id] : durable_dirs_) {
    if (reachable(p)) dirs.emplace(p, id);
  }
  FileMap files;
  for (const auto& [p, inode] : durable_files_) {
    if (reachable(p)) files.emplace(p, inode);
  }
  live_dirs_ = durable_dirs_ = std::move(dirs);
  live_files_ = durable_files_ = files;

  // Bytes: back to the last Sync, plus (torn writes) a random prefix of the unsynced tail.
  // std::set orders by pointer, but the RNG is consumed in path order, which is deterministic.
  std::set<Inode*> done;
  for (const auto& [p, inode] : files) {
    Inode& f = *inode;
    if (!done.insert(&f).second) continue;
    std::string tail;
    if (options.torn_writes && f.durable_is_prefix && f.data.size() > f.durable.size()) {
      tail = f.data.substr(f.durable.size());
      tail.resize(rng_() % (tail.size() + 1));
      if (options.scribble && !tail.empty()) {
        size_t begin = rng_() % tail.size();
        size_t len = 1 + rng_() % (tail.size() - begin);
        std::fill_n(tail.begin() + begin, len, '\0');
      }
    }
    f.data = f.durable + tail;
    f.durable = f.data;  // Whatever reached the platter stays there.
    f.durable_is_prefix = true;
  }
  ++generation_;
  ++counters_.crashes;
  down_ = true;
  crash_countdown_ = 0;
}

void FaultInjectionEnv::Restart() {
  std::lock_guard<std::mutex> lock(mu_);
  down_ = false;
}

bool FaultInjectionEnv::down() const {
  std::lock_guard<std::mutex> lock(mu_);
  return down_;
}

void FaultInjectionEnv::SetCapacity(std::optional<uint64_t> bytes, bool partial_writes) {
  std::lock_guard<std::mutex> lock(mu_);
  capacity_ = bytes;
  partial_writes_ = partial_writes;
}

uint64_t FaultInjectionEnv::UsedBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return UsedBytesLocked();
}

uint64_t FaultInjectionEnv::UsedBytesLocked() const {
  std::set<const Inode*> seen;
  uint64_t used = 0;
  for (const auto& [p, inode] : live_files_) {
    if (seen.insert(inode.get()).second) used += inode->data.size();
  }
  return used;
}

absl::Status FaultInjectionEnv::FlipBit(const std::string& path, uint64_t bit) {
  HEARTH_ASSIGN_OR_RETURN(std::string p, Normalize(path));
  std::lock_guard<std::mutex> lock(mu_);
  HEARTH_ASSIGN_OR_RETURN(InodePtr inode, FindFileLocked(p));
  const uint64_t byte = bit / 8;
  const char mask = static_cast<char>(1u << (bit % 8));
  if (byte >= inode->data.size()) {
    return absl::OutOfRangeError(fmt::format("{}: bit {} is past the end", p, bit));
  }
  inode->data[byte] ^= mask;
  if (byte < inode->durable.size()) inode->durable[byte] ^= mask;
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::TruncateRaw(const std::string& path, uint64_t size) {
  HEARTH_ASSIGN_OR_RETURN(std::string p, Normalize(path));
  std::lock_guard<std::mutex> lock(mu_);
  HEARTH_ASSIGN_OR_RETURN(InodePtr inode, FindFileLocked(p));
  if (size < inode->data.size()) inode->data.resize(size);
  if (size < inode->durable.size()) inode->durable.resize(size);
  return absl::OkStatus();
}

void FaultInjectionEnv::FailNext(Op op, int times, absl::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_[static_cast<int>(op)] = times;
  fail_status_[static_cast<int>(op)] = std::move(status);
}

void FaultInjectionEnv::SetSyncDelay(std::chrono::microseconds delay) {
  std::lock_guard<std::mutex> lock(mu_);
  sync_delay_ = delay;
}

FaultInjectionEnv::Counters FaultInjectionEnv::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

void FaultInjectionEnv::SetNowNanos(int64_t ns) {
  std::lock_guard<std::mutex> lock(mu_);
  now_ns_ = ns;
}

void FaultInjectionEnv::AdvanceNanos(int64_t ns) {
  std::lock_guard<std::mutex> lock(mu_);
  now_ns_ += ns;
}

int64_t FaultInjectionEnv::NowNanos() {
  std::lock_guard<std::mutex> lock(mu_);
  return now_ns_;
}

// ---------------------------------------------------------------------------------------------

bool FaultInjectionEnv::DirExistsLocked(const std::string& dir) const {
  return IsRoot(dir) || live_dirs_.count(dir) > 0;
}

absl::StatusOr<FaultInjectionEnv::InodePtr> FaultInjectionEnv::FindFileLocked(
    const std::string& path) const {
  auto it = live_files_.find(path);
  if (it != live_files_.end()) return it->second;
  if (DirExistsLocked(path)) {
    return absl::InvalidArgumentError(fmt::format("{}: is a directory", path));
  }
  return NoSuchFile(path);
}

absl::Status FaultInjectionEnv::AppendToInode(Inode* inode, uint64_t generation,
                                              const std::string& path, std::string_view data) {
  std::lock_guard<std::mutex> lock(mu_);
  HEARTH_RETURN_IF_ERROR(EnterLocked(Op::kAppend, path, &generation));
  if (capacity_) {
    const uint64_t used = UsedBytesLocked();
    const uint64_t room = *capacity_ > used ? *capacity_ - used : 0;
    if (data.size() > room) {
      if (partial_writes_) inode->data.append(data.substr(0, room));
      return absl::ResourceExhaustedError(fmt::format(
          "{}: write: No space left on device (simulated, capacity {} bytes)", path, *capacity_));
    }
  }
  inode->data.append(data);
  ++counters_.appends;
  counters_.bytes_appended += data.size();
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::SyncInode(Inode* inode, uint64_t generation,
                                          const std::string& path) {
  std::chrono::microseconds delay;
  {
    std::lock_guard<std::mutex> lock(mu_);
    HEARTH_RETURN_IF_ERROR(EnterLocked(Op::kSync, path, &generation));
    delay = sync_delay_;
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  std::lock_guard<std::mutex> lock(mu_);
  // A crash while we slept means this sync never completed.
  if (down_ || generation != generation_) {
    return absl::UnavailableError(fmt::format("{}: sync: simulated crash during this call", path));
  }
  if (inode->durable_is_prefix) {
    inode->durable.append(inode->data, inode->durable.size());
  } else {
    inode->durable = inode->data;
    inode->durable_is_prefix = true;
  }
  ++counters_.syncs;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(
    const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(std::string p, Normalize(path));
  std::lock_guard<std::mutex> lock(mu_);
  HEARTH_RETURN_IF_ERROR(EnterLocked(Op::kOpen, p));
  if (DirExistsLocked(p)) return absl::InvalidArgumentError(p + ": is a directory");
  if (!DirExistsLocked(Parent(p))) return NoSuchFile(Parent(p));
  InodePtr& inode = live_files_[p];
  if (inode) {
    inode->data.clear();  // O_TRUNC keeps the inode; the old bytes stay durable until Sync.
    inode->durable_is_prefix = inode->durable.empty();
  } else {
    inode = std::make_shared<Inode>();
  }
  return std::make_unique<File>(this, inode, p, generation_);
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(
    const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(std::string p, Normalize(path));
  std::lock_guard<std::mutex> lock(mu_);
  HEARTH_RETURN_IF_ERROR(EnterLocked(Op::kOpen, p));
  HEARTH_ASSIGN_OR_RETURN(InodePtr inode, FindFileLocked(p));
  return std::make_unique<File>(this, std::move(inode), p, generation_);
}

absl::StatusOr<std::unique_ptr<RandomAccessFile>> FaultInjectionEnv::NewRandomAccessFile(
    const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(std::string p, Normalize(path));
  std::lock_guard<std::mutex> lock(mu_);
  HEARTH_RETURN_IF_ERROR(EnterLocked(Op::kOpen, p));
  HEARTH_ASSIGN_OR_RETURN(InodePtr inode, FindFileLocked(p));
  return std::make_unique<Reader>(this, std::move(inode), p, generation_);
}

absl::StatusOr<std::string> FaultInjectionEnv::ReadFile(const std::string& path, size_t max_bytes) {
  HEARTH_ASSIGN_OR_RETURN(std::string p, Normalize(path));
  std::lock_guard<std::mutex> lock(mu_);
  HEARTH_RETURN_IF_ERROR(EnterLocked(Op::kRead, p));
  HEARTH_ASSIGN_OR_RETURN(InodePtr inode, FindFileLocked(p));
  if (inode->data.size() > max_bytes) {
    return absl::ResourceExhaustedError(fmt::format("{}: file is {} bytes, above the limit of {}",
                                                    p, inode->data.size(), max_bytes));
  }
  return inode->data;
}

bool FaultInjectionEnv::FileExists(const std::string& path) {
  auto p = Normalize(path);
  if (!p.ok()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  return !down_ && (live_files_.count(*p) > 0 || DirExistsLocked(*p));
}

absl::StatusOr<uint64_t> FaultInjectionEnv::FileSize(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(std::string p, Normalize(path));
  std::lock_guard<std::mutex> lock(mu_);
  if (down_) return absl::UnavailableError(p + ": the environment is down");
  HEARTH_ASSIGN_OR_RETURN(InodePtr inode, FindFileLocked(p));
  return inode->data.size();
}

absl::StatusOr<std::vector<std::string>> FaultInjectionEnv::ListDir(const std::string& dir) {
  HEARTH_ASSIGN_OR_RETURN(std::string d, Normalize(dir));
  std::lock_guard<std::mutex> lock(mu_);
  HEARTH_RETURN_IF_ERROR(EnterLocked(Op::kListDir, d));
  if (!DirExistsLocked(d)) {
    if (live_files_.count(d)) return absl::InvalidArgumentError(d + ": not a directory");
    return NoSuchFile(d);
  }
  std::vector<std::string> names;
  for (const auto& [p, inode] : live_files_) {
    if (Parent(p) == d) names.push_back(BaseName(p));
  }
  for (const auto& [p, id] : live_dirs_) {
    if (Parent(p) == d) names.push_back(BaseName(p));
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status FaultInjectionEnv::CreateDirs(const std::string& dir) {
  HEARTH_ASSIGN_OR_RETURN(std::string d, Normalize(dir));
  std::lock_guard<std::mutex> lock(mu_);
  HEARTH_RETURN_IF_ERROR(EnterLocked(Op::kCreateDir, d));
  std::vector<std::string> chain;
  for (std::string a = d; !IsRoot(a); a = Parent(a)) chain.push_back(a);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (live_files_.count(*it)) return absl::InvalidArgumentError(*it + ": not a directory");
    if (!live_dirs_.count(*it)) live_dirs_.emplace(*it, next_dir_id_++);
  }
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::DeleteFile(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(std::string p, Normalize(path));
  std::lock_guard<std::mutex> lock(mu_);
  HEARTH_RETURN_IF_ERROR(EnterLocked(Op::kDelete, p));
  HEARTH_RETURN_IF_ERROR(FindFileLocked(p).status());
  live_files_.erase(p);
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::DeleteDir(const std::string& dir) {
  HEARTH_ASSIGN_OR_RETURN(std::string d, Normalize(dir));
  std::lock_guard<std::mutex> lock(mu_);
  HEARTH_RETURN_IF_ERROR(EnterLocked(Op::kDelete, d));
  if (IsRoot(d)) return absl::InvalidArgumentError(d + ": refusing to delete the root");
  if (!live_dirs_.count(d)) {
    if (live_files_.count(d)) return absl::InvalidArgumentError(d + ": not a directory");
    return NoSuchFile(d);
  }
  live_dirs_.erase(d);
  EraseUnder(live_dirs_, d);
  EraseUnder(live_files_, d);
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  HEARTH_ASSIGN_OR_RETURN(std::string f, Normalize(from));
  HEARTH_ASSIGN_OR_RETURN(std::string t, Normalize(to));
  std::lock_guard<std::mutex> lock(mu_);
  HEARTH_RETURN_IF_ERROR(EnterLocked(Op::kRename, f));
  if (live_dirs_.count(f)) {
    return absl::InvalidArgumentError(f + ": renaming directories is not simulated");
  }
  HEARTH_ASSIGN_OR_RETURN(InodePtr inode, FindFileLocked(f));
  if (DirExistsLocked(t)) return absl::InvalidArgumentError(t + ": is a directory");
  if (!DirExistsLocked(Parent(t))) return NoSuchFile(Parent(t));
  live_files_.erase(f);
  live_files_[t] = std::move(inode);
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::Truncate(const std::string& path, uint64_t size) {
  HEARTH_ASSIGN_OR_RETURN(std::string p, Normalize(path));
  std::lock_guard<std::mutex> lock(mu_);
  HEARTH_RETURN_IF_ERROR(EnterLocked(Op::kTruncate, p));
  HEARTH_ASSIGN_OR_RETURN(InodePtr inode, FindFileLocked(p));
  if (capacity_ && size > inode->data.size() &&
      UsedBytesLocked() + (size - inode->data.size()) > *capacity_) {
    return absl::ResourceExhaustedError(p + ": truncate: No space left on device (simulated)");
  }
  inode->data.resize(size);
  if (size < inode->durable.size()) inode->durable_is_prefix = false;
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  HEARTH_ASSIGN_OR_RETURN(std::string d, Normalize(dir));
  std::lock_guard<std::mutex> lock(mu_);
  HEARTH_RETURN_IF_ERROR(EnterLocked(Op::kSyncDir, d));
  if (!DirExistsLocked(d)) return NoSuchFile(d);
  auto child = [&d](const std::string& p) { return Parent(p) == d; };
  // The durable entries directly inside d become exactly the live ones.
  for (auto it = durable_files_.begin(); it != durable_files_.end();) {
    it = child(it->first) ? durable_files_.erase(it) : std::next(it);
  }
  for (const auto& [p, inode] : live_files_) {
    if (child(p)) durable_files_[p] = inode;
  }
  std::vector<std::string> gone;  // Subdirectories removed (or replaced) since the last sync.
  for (auto it = durable_dirs_.begin(); it != durable_dirs_.end();) {
    if (!child(it->first)) {
      ++it;
      continue;
    }
    auto live = live_dirs_.find(it->first);
    if (live == live_dirs_.end() || live->second != it->second) gone.push_back(it->first);
    it = durable_dirs_.erase(it);
  }
  for (const std::string& g : gone) {
    EraseUnder(durable_dirs_, g);
    EraseUnder(durable_files_, g);
  }
  for (const auto& [p, id] : live_dirs_) {
    if (child(p)) durable_dirs_[p] = id;
  }
  ++counters_.dir_syncs;
  return absl::OkStatus();
}

}  // namespace hearth
