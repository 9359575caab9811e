#include "storage/wal.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>

#include "base/crc32c.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace hearth::storage {
namespace {

// A record on disk (integers little-endian):
//
//   offset 0        4          8      9
//          +--------+----------+------+-----------------+
//          | crc32c | length   | type | payload         |
//          | u32    | u32      | u8   | `length` bytes  |
//          +--------+----------+------+-----------------+
//            crc32c covers type and payload (not length: a damaged length shows up as a
//            checksum mismatch over the wrong bytes, or as a length past the end).
constexpr size_t kHeaderBytes = 9;

// Group commit stops adding followers' records to a write past this size, so one leader
// doesn't make many small writers wait behind a huge write.
constexpr size_t kMaxGroupBytes = size_t{4} << 20;

// Resynchronisation computes the CRC of a candidate record directly when it is at most this
// long, and from prefix CRCs otherwise (see SegmentScanner).
constexpr uint64_t kDirectCrcBytes = 256;
constexpr uint64_t kCheckpointStride = 64;

uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;  // Little-endian hosts only, as everywhere in Hearth's formats.
}

void Store32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }

uint32_t RecordCrc(uint8_t type, std::string_view payload) {
  const char t = static_cast<char>(type);
  return crc32c::Extend(crc32c::Extend(0, &t, 1), payload);
}

void EncodeRecord(uint8_t type, std::string_view payload, std::string* out) {
  char header[kHeaderBytes];
  Store32(header, RecordCrc(type, payload));
  Store32(header + 4, static_cast<uint32_t>(payload.size()));
  header[8] = static_cast<char>(type);
  out->append(header, kHeaderBytes);
  out->append(payload);
}

std::string SegmentName(uint64_t seq) { return fmt::format("{:08d}.wal", seq); }

bool ParseSegmentName(std::string_view name, uint64_t* seq) {
  constexpr std::string_view kSuffix = ".wal";
  if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) return false;
  name.remove_suffix(kSuffix.size());
  if (!std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  return ParseInt(name, seq) && *seq > 0;
}

std::string ParentDir(const std::string& path) {
  size_t end = path.find_last_not_of('/');
  if (end == std::string::npos) return "/";
  size_t slash = path.rfind('/', end);
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Sequence numbers of the segments in dir, ascending. A missing dir has none.
absl::StatusOr<std::vector<uint64_t>> ListSegments(Env* env, const std::string& dir) {
  auto names = env->ListDir(dir);
  if (absl::IsNotFound(names.status())) return std::vector<uint64_t>{};
  if (!names.ok()) return names.status();
  std::vector<uint64_t> seqs;
  for (const std::string& name : *names) {
    uint64_t seq;
    if (ParseSegmentName(name, &seq)) seqs.push_back(seq);
  }
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

absl::StatusOr<std::string> ReadSegment(Env* env, const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> f, env->NewRandomAccessFile(path));
  std::string data;
  HEARTH_RETURN_IF_ERROR(f->Read(0, f->Size(), &data));
  return data;
}

// Walks the records of one segment image. Finding the next intact record after damage is
// bounded work: each candidate offset costs O(1) (a CRC over at most kDirectCrcBytes, or two
// CRCs over < kCheckpointStride bytes plus a log-time crc32c::Combine), after a single O(n)
// pass that records the CRC of every kCheckpointStride-byte prefix. So a damaged segment of
// n bytes is scanned in O(n) time and n/16 bytes of memory, never O(n^2).
class SegmentScanner {
 public:
  SegmentScanner(std::string_view data, uint32_t max_record_bytes)
      : data_(data), max_record_bytes_(max_record_bytes) {}

  // If an intact record starts at pos, returns true with its type and payload. Otherwise
  // returns false and, if reason is given, why. `resync` selects the CRC strategy: direct
  // for the record-by-record walk, via prefix CRCs while hunting for the next record.
  bool ValidAt(uint64_t pos, uint8_t* type, std::string_view* payload, std::string* reason,
               bool resync = false) {
    const uint64_t left = data_.size() - pos;
    if (left < kHeaderBytes) {
      if (reason) *reason = fmt::format("truncated record header ({} of {} bytes)", left, 9);
      return false;
    }
    const char* p = data_.data() + pos;
    const uint32_t length = Load32(p + 4);
    const uint8_t t = static_cast<uint8_t>(p[8]);
    if (t == 0) {
      if (reason) *reason = "record type 0 is reserved";
      return false;
    }
    if (length > max_record_bytes_) {
      if (reason) {
        *reason =
            fmt::format("record length {} is above max_record_bytes {}", length, max_record_bytes_);
      }
      return false;
    }
    if (length > left - kHeaderBytes) {
      if (reason) {
        *reason = fmt::format("record of {} bytes runs past the end of the segment ({} left)",
                              length, left - kHeaderBytes);
      }
      return false;
    }
    // The CRC covers [pos + 8, pos + 9 + length): the type byte and the payload.
    const uint64_t begin = pos + 8, end = pos + kHeaderBytes + length;
    const uint32_t crc =
        resync ? RangeCrc(begin, end) : crc32c::Value(data_.substr(begin, end - begin));
    if (crc != Load32(p)) {
      if (reason) *reason = "checksum mismatch";
      return false;
    }
    *type = t;
    *payload = data_.substr(pos + kHeaderBytes, length);
    return true;
  }

  // The first offset >= from where an intact record starts, or data.size() if none.
  uint64_t NextValid(uint64_t from) {
    uint8_t type;
    std::string_view payload;
    for (uint64_t pos = from; pos + kHeaderBytes <= data_.size(); ++pos) {
      if (ValidAt(pos, &type, &payload, nullptr, /*resync=*/true)) return pos;
    }
    return data_.size();
  }

 private:
  // crc32c(data[begin, end)).
  uint32_t RangeCrc(uint64_t begin, uint64_t end) {
    if (end - begin <= kDirectCrcBytes) return crc32c::Value(data_.substr(begin, end - begin));
    // Value(s[b, e)) = Value(s[0, e)) ^ Combine(Value(s[0, b)), 0, e - b).
    return PrefixCrc(end) ^ crc32c::Combine(PrefixCrc(begin), 0, end - begin);
  }

  uint32_t PrefixCrc(uint64_t n) {
    if (checkpoints_.empty()) {
      checkpoints_.reserve(data_.size() / kCheckpointStride + 1);
      checkpoints_.push_back(0);
      for (uint64_t at = kCheckpointStride; at <= data_.size(); at += kCheckpointStride) {
        checkpoints_.push_back(crc32c::Extend(
            checkpoints_.back(), data_.substr(at - kCheckpointStride, kCheckpointStride)));
      }
    }
    const uint64_t base = n / kCheckpointStride * kCheckpointStride;
    return crc32c::Extend(checkpoints_[n / kCheckpointStride], data_.substr(base, n - base));
  }

  std::string_view data_;
  uint32_t max_record_bytes_;
  std::vector<uint32_t> checkpoints_;  // [i] = crc32c(data[0, i * kCheckpointStride))
};

using ReplayFn = std::function<absl::Status(uint8_t type, std::string_view payload)>;

// Accounts for every byte of the segment: each one ends up in exactly one of a record
// (header + payload), a damage entry, or the torn tail (newest segment only).
absl::Status ScanSegment(const std::string& name, std::string_view data, bool newest,
                         uint32_t max_record_bytes, const ReplayFn* fn, WalReplayReport* report) {
  SegmentScanner scanner(data, max_record_bytes);
  uint64_t pos = 0;
  while (pos < data.size()) {
    uint8_t type;
    std::string_view payload;
    std::string reason;
    if (scanner.ValidAt(pos, &type, &payload, &reason)) {
      if (fn != nullptr) HEARTH_RETURN_IF_ERROR((*fn)(type, payload));
      ++report->records;
      report->bytes += payload.size();
      pos += kHeaderBytes + payload.size();
      continue;
    }
    const uint64_t next = scanner.NextValid(pos + 1);
    if (next == data.size() && newest) {
      // Nothing intact follows: the crash came mid-write, and the write was never
      // acknowledged (Append returns only after the sync).
      report->torn_tail_bytes = data.size() - pos;
      break;
    }
    report->damage.push_back(WalDamage{name, pos, next - pos, std::move(reason)});
    pos = next;
  }
  return absl::OkStatus();
}

// Cuts the torn tail off a segment, durably, so that it is clean when it stops being the
// newest segment.
absl::Status CutTornTail(Env* env, const std::string& path, const std::string& name,
                         uint32_t max_record_bytes) {
  HEARTH_ASSIGN_OR_RETURN(std::string data, ReadSegment(env, path));
  WalReplayReport report;
  HEARTH_RETURN_IF_ERROR(
      ScanSegment(name, data, /*newest=*/true, max_record_bytes, nullptr, &report));
  if (report.torn_tail_bytes == 0) return absl::OkStatus();
  HEARTH_RETURN_IF_ERROR(env->Truncate(path, data.size() - report.torn_tail_bytes));
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewAppendableFile(path));
  HEARTH_RETURN_IF_ERROR(f->Sync());  // fdatasync makes the new size durable.
  return f->Close();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Group commit.
//
//   Append ──▶ frame records (CRCs computed in the caller's thread, in parallel)
//          ──▶ join `queue` under mu; sleep until done, or until first in line
//   leader (front of queue): takes its own records and those of the appenders queued behind
//          it, drops mu, writes them with one Append and one Sync, retakes mu, marks them all
//          done with the same status, wakes them, and wakes the new front to lead the next
//          group.
//
// Rotate() joins the same queue, so every segment operation runs as "the leader", one at a
// time, without a second lock.
struct Wal::Impl {
  struct Writer {
    enum class Kind { kAppend, kRotate };
    explicit Writer(Kind k) : kind(k) {}
    const Kind kind;
    std::string_view records;  // kAppend: framed records
    uint64_t new_segment = 0;  // kRotate: result
    absl::Status status;
    bool done = false;
    std::condition_variable cv;
  };

  Impl(Env* e, std::string d, const WalOptions& o) : env(e), dir(std::move(d)), options(o) {}

  ~Impl() {
    if (file == nullptr) return;
    if (!options.sync) (void)file->Sync();  // Best effort; without sync nothing is promised.
    (void)file->Close();
  }

  std::string PathOf(uint64_t s) const { return dir + "/" + SegmentName(s); }

  absl::Status Submit(Writer* w);
  absl::Status WriteGroup(std::string_view data);
  absl::Status Rotate(uint64_t* new_segment);
  absl::Status StartNewSegment();
  void UndoFailedWrite(const absl::Status& cause);

  Env* const env;
  const std::string dir;
  const WalOptions options;

  std::mutex mu;
  std::deque<Writer*> queue;    // Guarded by mu. The front is the leader.
  std::set<uint64_t> segments;  // Guarded by mu. Every segment on disk, the current included.
  uint64_t current_seq = 0;     // Guarded by mu. Copy of `seq` for DeleteSegmentsBefore.

  // Leader-only state: touched only by the writer at the front of the queue (or by Open,
  // before anyone else can see the Wal). Leadership is handed over under mu, which orders
  // one leader's accesses before the next one's.
  std::unique_ptr<WritableFile> file;  // null after a failure to start a segment
  uint64_t seq = 0;                    // the current segment
  uint64_t good_bytes = 0;  // Invariant: the current segment is exactly this many bytes of
                            // acknowledged records (modulo an in-flight write).
  absl::Status broken;      // Sticky: a failed write could not be undone.
  std::string group_buf;

  std::atomic<uint64_t> bytes_written{0};
  std::atomic<uint64_t> syncs{0};
};

absl::Status Wal::Impl::Submit(Writer* w) {
  std::unique_lock<std::mutex> lock(mu);
  queue.push_back(w);
  w->cv.wait(lock, [&] { return w->done || queue.front() == w; });
  if (w->done) return w->status;

  // We lead. The group is w plus the appenders directly behind it; they stay at the front
  // (only the leader pops), so the pointers remain valid after we drop mu.
  std::vector<Writer*> group = {w};
  if (w->kind == Writer::Kind::kAppend) {
    size_t bytes = w->records.size();
    for (auto it = std::next(queue.begin()); it != queue.end(); ++it) {
      Writer* f = *it;
      if (f->kind != Writer::Kind::kAppend || bytes + f->records.size() > kMaxGroupBytes) break;
      bytes += f->records.size();
      group.push_back(f);
    }
  }
  lock.unlock();

  absl::Status s;
  if (w->kind == Writer::Kind::kRotate) {
    s = Rotate(&w->new_segment);
  } else if (group.size() == 1) {
    s = WriteGroup(w->records);
  } else {
    group_buf.clear();
    for (Writer* g : group) group_buf.append(g->records);
    s = WriteGroup(group_buf);
  }

  lock.lock();
  for (Writer* g : group) {
    queue.pop_front();  // == g
    // Each writer gets its own copy of an error rather than a share of one refcounted rep:
    // Debian's Abseil drops references out of line, in code ThreadSanitizer can't see.
    g->status = s.ok() ? s : absl::Status(s.code(), s.message());
    g->done = true;
    if (g != w) g->cv.notify_one();
  }
  if (!queue.empty()) queue.front()->cv.notify_one();
  return s;
}

absl::Status Wal::Impl::WriteGroup(std::string_view data) {
  if (!broken.ok()) return broken;
  if (file == nullptr || (good_bytes > 0 && good_bytes + data.size() > options.segment_bytes)) {
    HEARTH_RETURN_IF_ERROR(StartNewSegment());
  }
  absl::Status s = file->Append(data);
  if (s.ok() && options.sync) {
    syncs.fetch_add(1, std::memory_order_relaxed);
    s = file->Sync();
  }
  if (!s.ok()) {
    UndoFailedWrite(s);
    return s;
  }
  good_bytes += data.size();
  bytes_written.fetch_add(data.size(), std::memory_order_relaxed);
  return absl::OkStatus();
}

// A write or sync failed (full disk, I/O error): none of the group counts as written, so
// none of it may survive into a replay, and the next group must not land after garbage.
// Cut the segment back to its last acknowledged byte and make that durable. If even that
// fails, refuse further appends rather than risk either.
void Wal::Impl::UndoFailedWrite(const absl::Status& cause) {
  file.reset();
  const std::string path = PathOf(seq);
  absl::Status s = env->Truncate(path, good_bytes);
  if (s.ok()) {
    auto reopened = env->NewAppendableFile(path);
    s = reopened.status();
    if (s.ok()) s = (*reopened)->Sync();
    if (s.ok()) file = *std::move(reopened);
  }
  if (!s.ok()) {
    broken = absl::FailedPreconditionError(
        fmt::format("{}: the WAL stopped accepting writes: a failed write ({}) could not be "
                    "undone ({}); reopen the log to recover",
                    dir, std::string(cause.message()), std::string(s.message())));
  }
}

absl::Status Wal::Impl::StartNewSegment() {
  if (file != nullptr) {
    // With sync on, every byte of the old segment is already durable.
    if (!options.sync) (void)file->Sync();
    (void)file->Close();
    file.reset();
  }
  const uint64_t next = seq + 1;
  const std::string path = PathOf(next);
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewWritableFile(path));
  // The new name must be durable before any record in it is acknowledged.
  if (absl::Status s = env->SyncDir(dir); !s.ok()) {
    f.reset();
    (void)env->DeleteFile(path);
    return s;
  }
  file = std::move(f);
  seq = next;
  good_bytes = 0;
  std::lock_guard<std::mutex> lock(mu);
  segments.insert(seq);
  current_seq = seq;
  return absl::OkStatus();
}

absl::Status Wal::Impl::Rotate(uint64_t* new_segment) {
  if (!broken.ok()) return broken;
  // An empty current segment already satisfies the contract; don't pile up empty files.
  if (file == nullptr || good_bytes > 0) HEARTH_RETURN_IF_ERROR(StartNewSegment());
  *new_segment = seq;
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------

Wal::Wal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Wal::~Wal() = default;

absl::StatusOr<std::unique_ptr<Wal>> Wal::Open(Env* env, const std::string& dir,
                                               const WalOptions& options) {
  HEARTH_RETURN_IF_ERROR(env->CreateDirs(dir));
  HEARTH_RETURN_IF_ERROR(env->SyncDir(ParentDir(dir)));  // In case we just created dir.
  HEARTH_ASSIGN_OR_RETURN(std::vector<uint64_t> seqs, ListSegments(env, dir));
  auto impl = std::make_unique<Impl>(env, dir, options);
  if (!seqs.empty()) {
    impl->seq = seqs.back();
    HEARTH_RETURN_IF_ERROR(CutTornTail(env, impl->PathOf(impl->seq), SegmentName(impl->seq),
                                       options.max_record_bytes));
  }
  impl->segments.insert(seqs.begin(), seqs.end());
  HEARTH_RETURN_IF_ERROR(impl->StartNewSegment());
  return std::unique_ptr<Wal>(new Wal(std::move(impl)));
}

absl::Status Wal::Append(uint8_t type, std::span<const std::string_view> payloads) {
  if (type == 0) return absl::InvalidArgumentError("WAL record type 0 is reserved");
  size_t total = 0;
  for (std::string_view p : payloads) {
    if (p.size() > impl_->options.max_record_bytes) {
      return absl::InvalidArgumentError(
          fmt::format("WAL record of {} bytes is above max_record_bytes {}", p.size(),
                      impl_->options.max_record_bytes));
    }
    total += kHeaderBytes + p.size();
  }
  if (payloads.empty()) return absl::OkStatus();
  std::string records;
  records.reserve(total);
  for (std::string_view p : payloads) EncodeRecord(type, p, &records);
  Impl::Writer w(Impl::Writer::Kind::kAppend);
  w.records = records;
  return impl_->Submit(&w);
}

absl::StatusOr<uint64_t> Wal::Rotate() {
  Impl::Writer w(Impl::Writer::Kind::kRotate);
  HEARTH_RETURN_IF_ERROR(impl_->Submit(&w));
  return w.new_segment;
}

absl::Status Wal::DeleteSegmentsBefore(uint64_t seq) {
  std::vector<uint64_t> victims;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    // Never the current segment, whatever the caller asks.
    const uint64_t limit = std::min(seq, impl_->current_seq);
    for (uint64_t s : impl_->segments) {
      if (s >= limit) break;
      victims.push_back(s);
    }
    for (uint64_t s : victims) impl_->segments.erase(s);
  }
  // Oldest first, stopping at the first failure, so the log never has a hole in the middle.
  absl::Status status;
  for (size_t i = 0; i < victims.size(); ++i) {
    absl::Status s = impl_->env->DeleteFile(impl_->PathOf(victims[i]));
    if (s.ok() || absl::IsNotFound(s)) continue;
    status = s;
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->segments.insert(victims.begin() + i, victims.end());
    break;
  }
  if (victims.empty()) return status;
  absl::Status synced = impl_->env->SyncDir(impl_->dir);
  return status.ok() ? synced : status;
}

absl::StatusOr<WalReplayReport> Wal::Replay(Env* env, const std::string& dir,
                                            const WalOptions& options, const ReplayFn& fn) {
  HEARTH_ASSIGN_OR_RETURN(std::vector<uint64_t> seqs, ListSegments(env, dir));
  WalReplayReport report;
  for (size_t i = 0; i < seqs.size(); ++i) {
    if (i > 0 && seqs[i] != seqs[i - 1] + 1) {
      // Segments are only ever deleted oldest-first, so a hole means lost data.
      const uint64_t first = seqs[i - 1] + 1, last = seqs[i] - 1;
      report.damage.push_back(WalDamage{
          SegmentName(first), 0, 0,
          first == last ? std::string("segment is missing")
                        : fmt::format("segments through {} are missing", SegmentName(last))});
    }
    const std::string name = SegmentName(seqs[i]);
    HEARTH_ASSIGN_OR_RETURN(std::string data, ReadSegment(env, dir + "/" + name));
    HEARTH_RETURN_IF_ERROR(ScanSegment(name, data, /*newest=*/i + 1 == seqs.size(),
                                       options.max_record_bytes, fn ? &fn : nullptr, &report));
  }
  return report;
}

uint64_t Wal::bytes_written() const { return impl_->bytes_written.load(std::memory_order_relaxed); }
uint64_t Wal::syncs() const { return impl_->syncs.load(std::memory_order_relaxed); }

}  // namespace hearth::storage
