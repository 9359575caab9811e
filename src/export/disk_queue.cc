#include "export/disk_queue.h"

#include <algorithm>
#include <cstring>

#include "base/crc32c.h"
#include "base/fmt.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace hearth::exporter {
namespace {

constexpr std::string_view kSegmentSuffix = ".seg";
constexpr size_t kSeqDigits = 20;

void PutFixed32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }
void PutFixed64(char* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint32_t GetFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t GetFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// "00000000000000000042.seg" -> 42.
bool ParseSegmentName(std::string_view name, uint64_t* first_seq) {
  if (name.size() != kSeqDigits + kSegmentSuffix.size() || !name.ends_with(kSegmentSuffix)) {
    return false;
  }
  return ParseInt(name.substr(0, kSeqDigits), first_seq) && *first_seq > 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<DiskQueue>> DiskQueue::Open(DiskQueueOptions options) {
  if (options.env == nullptr && !options.dir.empty()) {
    return absl::InvalidArgumentError("disk queue: a directory needs an env");
  }
  std::unique_ptr<DiskQueue> q(new DiskQueue(std::move(options)));
  if (!q->in_memory()) HEARTH_RETURN_IF_ERROR(q->Replay());
  return q;
}

DiskQueue::~DiskQueue() {
  std::lock_guard<std::mutex> lock(append_mu_);
  if (active_ != nullptr) (void)active_->Close();
}

std::string DiskQueue::SegmentPath(uint64_t first_seq) const {
  return fmt::format("{}/{:0{}}{}", options_.dir, first_seq, kSeqDigits, kSegmentSuffix);
}

absl::Status DiskQueue::Replay() {
  Env* env = options_.env;
  HEARTH_RETURN_IF_ERROR(env->CreateDirs(options_.dir));
  // The directory itself must outlive a crash, or the segments in it go with it.
  const size_t slash = options_.dir.find_last_of('/');
  HEARTH_RETURN_IF_ERROR(env->SyncDir(slash == std::string::npos ? "."
                                      : slash == 0               ? "/"
                                                                 : options_.dir.substr(0, slash)));
  HEARTH_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(options_.dir));
  const std::string acked_path = fmt::format("{}/{}", options_.dir, kAckedFile);
  std::vector<uint64_t> firsts;
  for (const std::string& name : names) {
    uint64_t first = 0;
    if (ParseSegmentName(name, &first)) {
      firsts.push_back(first);
    } else if (name.starts_with(std::string(kAckedFile) + ".tmp.")) {
      (void)env->DeleteFile(fmt::format("{}/{}", options_.dir, name));  // an interrupted Ack
    }
  }
  std::sort(firsts.begin(), firsts.end());
  if (env->FileExists(acked_path)) {
    HEARTH_ASSIGN_OR_RETURN(std::string text, env->ReadFile(acked_path, 64));
    if (!ParseInt(TrimSpace(text), &acked_seq_)) {
      // Written by an atomic rename, so this is media damage: hand everything out again
      // rather than lose it.
      acked_seq_ = 0;
      replay_warnings_.push_back(
          fmt::format("{} is damaged; every queued record will be sent again", acked_path));
    }
  }
  uint64_t next_expected = 1;
  for (uint64_t first : firsts) {
    if (first < next_expected) {
      replay_warnings_.push_back(
          fmt::format("{} overlaps the segment before it; ignored", SegmentPath(first)));
      continue;
    }
    HEARTH_RETURN_IF_ERROR(ReplaySegment(first, acked_seq_, &next_expected));
  }
  next_seq_ = std::max(next_expected, acked_seq_ + 1);
  std::lock_guard<std::mutex> lock(mu_);
  DeleteDoneSegmentsLocked();
  return absl::OkStatus();
}

absl::Status DiskQueue::ReplaySegment(uint64_t first_seq, uint64_t acked, uint64_t* next_expected) {
  const std::string path = SegmentPath(first_seq);
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> f,
                          options_.env->NewRandomAccessFile(path));
  const uint64_t size = f->Size();
  Segment& seg = segments_[first_seq];
  uint64_t expected = std::max(first_seq, *next_expected);
  uint64_t offset = 0;
  std::string header, payload;
  auto damaged = [&](std::string_view why) {
    replay_warnings_.push_back(
        fmt::format("{}: {} at offset {}; the {} bytes from there on are ignored", path, why,
                    offset, size - offset));
  };
  while (offset < size) {
    if (size - offset < kHeaderBytes) {
      damaged("a record header is cut short");
      break;
    }
    HEARTH_RETURN_IF_ERROR(f->Read(offset, kHeaderBytes, &header));
    if (header.size() != kHeaderBytes) {
      damaged("a record header is cut short");
      break;
    }
    const uint32_t length = GetFixed32(header.data());
    const uint32_t crc = GetFixed32(header.data() + 4);
    const uint64_t seq = GetFixed64(header.data() + 8);
    const uint32_t weight = GetFixed32(header.data() + 16);
    if (length > options_.max_record_bytes || length > size - offset - kHeaderBytes) {
      damaged("a record is cut short");
      break;
    }
    HEARTH_RETURN_IF_ERROR(f->Read(offset + kHeaderBytes, length, &payload));
    const uint32_t actual =
        crc32c::Extend(crc32c::Value(std::string_view(header).substr(8)), payload);
    if (payload.size() != length || actual != crc) {
      damaged("a record fails its checksum");
      break;
    }
    if (seq < expected) {
      damaged(fmt::format("record {} is out of order (expected {} or later)", seq, expected));
      break;
    }
    if (seq > acked) {
      pending_.push_back({seq, weight, 0, first_seq, offset, length});
      pending_bytes_ += kHeaderBytes + length;
      pending_weight_ += weight;
    }
    seg.last_seq = seq;
    expected = seq + 1;
    offset += kHeaderBytes + length;
  }
  *next_expected = expected;
  return absl::OkStatus();
}

absl::Status DiskQueue::RollLocked() {
  if (active_ != nullptr) {
    (void)active_->Close();
    active_.reset();
  }
  const uint64_t first = next_seq_;
  const std::string path = SegmentPath(first);
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, options_.env->NewWritableFile(path));
  // The segment's name must survive a crash as surely as the records in it.
  if (absl::Status s = options_.env->SyncDir(options_.dir); !s.ok()) {
    (void)f->Close();
    (void)options_.env->DeleteFile(path);
    return s;
  }
  active_ = std::move(f);
  std::lock_guard<std::mutex> lock(mu_);
  segments_[first] = Segment{};
  active_first_seq_ = first;
  DeleteDoneSegmentsLocked();  // the segment just closed may be all done already
  return absl::OkStatus();
}

absl::Status DiskQueue::Append(std::string_view payload, uint32_t weight, int64_t stamp) {
  const uint64_t size = kHeaderBytes + payload.size();
  if (payload.size() > options_.max_record_bytes) {
    return absl::ResourceExhaustedError(
        fmt::format("a {}-byte record is larger than the queue's limit of {} bytes per record",
                    payload.size(), options_.max_record_bytes));
  }
  std::lock_guard<std::mutex> append_lock(append_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_bytes_ + size > options_.max_bytes) {
      return absl::ResourceExhaustedError(
          fmt::format("queue {} is full: {} bytes pending, {} more would pass its bound of {}",
                      in_memory() ? "(in memory)" : options_.dir, pending_bytes_, size,
                      options_.max_bytes));
    }
    if (in_memory()) {
      const uint64_t seq = next_seq_++;
      in_memory_.emplace(seq, payload);
      pending_.push_back({seq, weight, stamp, 0, 0, static_cast<uint32_t>(payload.size())});
      pending_bytes_ += size;
      pending_weight_ += weight;
      return absl::OkStatus();
    }
  }
  if (active_ == nullptr || active_->Size() >= options_.segment_bytes) {
    HEARTH_RETURN_IF_ERROR(RollLocked());
  }
  const uint64_t seq = next_seq_++;  // consumed even on failure: see the class comment
  char header[kHeaderBytes];
  PutFixed32(header, static_cast<uint32_t>(payload.size()));
  PutFixed64(header + 8, seq);
  PutFixed32(header + 16, weight);
  PutFixed32(header + 4, crc32c::Extend(crc32c::Extend(0, header + 8, 12), payload));
  const uint64_t offset = active_->Size();
  absl::Status s = active_->Append(std::string_view(header, kHeaderBytes));
  if (s.ok()) s = active_->Append(payload);
  if (s.ok()) s = active_->Sync();
  if (!s.ok()) {
    // Abandon the segment: nothing acknowledged may follow a record that may be damaged.
    // Cutting the record off is best effort (replay stops at a damaged record anyway).
    (void)active_->Close();
    active_.reset();
    (void)options_.env->Truncate(SegmentPath(active_first_seq_), offset);
    std::lock_guard<std::mutex> lock(mu_);
    active_first_seq_ = 0;
    return s;
  }
  std::lock_guard<std::mutex> lock(mu_);
  pending_.push_back(
      {seq, weight, stamp, active_first_seq_, offset, static_cast<uint32_t>(payload.size())});
  segments_[active_first_seq_].last_seq = seq;
  pending_bytes_ += size;
  pending_weight_ += weight;
  return absl::OkStatus();
}

std::vector<DiskQueue::RecordInfo> DiskQueue::Head(size_t max_records) const {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t n = std::min(max_records, pending_.size());
  return std::vector<RecordInfo>(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(n));
}

absl::StatusOr<std::string> DiskQueue::Read(const RecordInfo& record) {
  RandomAccessFile* file = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (in_memory()) {
      auto it = in_memory_.find(record.seq);
      if (it == in_memory_.end()) {
        return absl::NotFoundError(fmt::format("record {} is no longer queued", record.seq));
      }
      return it->second;
    }
    auto it = segments_.find(record.segment);
    if (it == segments_.end() || record.seq <= acked_seq_) {
      return absl::NotFoundError(fmt::format("record {} is no longer queued", record.seq));
    }
    if (it->second.reader == nullptr) {
      HEARTH_ASSIGN_OR_RETURN(it->second.reader,
                              options_.env->NewRandomAccessFile(SegmentPath(record.segment)));
    }
    // A segment holding a pending record is not deleted: only Ack (on this, the consumer's
    // thread) moves acked_seq_ past it.
    file = it->second.reader.get();
  }
  std::string header, payload;
  HEARTH_RETURN_IF_ERROR(file->Read(record.offset, kHeaderBytes, &header));
  HEARTH_RETURN_IF_ERROR(file->Read(record.offset + kHeaderBytes, record.length, &payload));
  if (header.size() != kHeaderBytes || payload.size() != record.length ||
      GetFixed64(header.data() + 8) != record.seq ||
      GetFixed32(header.data() + 4) !=
          crc32c::Extend(crc32c::Value(std::string_view(header).substr(8)), payload)) {
    return absl::DataLossError(fmt::format("{}: record {} at offset {} fails its checksum",
                                           SegmentPath(record.segment), record.seq, record.offset));
  }
  return payload;
}

absl::Status DiskQueue::Ack(uint64_t seq) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (seq <= acked_seq_) return absl::OkStatus();
    while (!pending_.empty() && pending_.front().seq <= seq) {
      pending_bytes_ -= kHeaderBytes + pending_.front().length;
      pending_weight_ -= pending_.front().weight;
      pending_.pop_front();
    }
    acked_seq_ = seq;
    if (in_memory()) {
      in_memory_.erase(in_memory_.begin(), in_memory_.upper_bound(seq));
      return absl::OkStatus();
    }
  }
  HEARTH_RETURN_IF_ERROR(WriteFileDurably(
      options_.env, fmt::format("{}/{}", options_.dir, kAckedFile), std::to_string(seq) + "\n"));
  std::lock_guard<std::mutex> lock(mu_);
  DeleteDoneSegmentsLocked();
  return absl::OkStatus();
}

void DiskQueue::DeleteDoneSegmentsLocked() {
  for (auto it = segments_.begin(); it != segments_.end();) {
    const bool active = it->first == active_first_seq_;
    if (active || it->second.last_seq > acked_seq_) {
      ++it;
      continue;
    }
    it->second.reader.reset();
    // A segment that cannot be deleted now is found done again by the next Open.
    (void)options_.env->DeleteFile(SegmentPath(it->first));
    it = segments_.erase(it);
  }
}

size_t DiskQueue::pending_records() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}

uint64_t DiskQueue::pending_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_bytes_;
}

uint64_t DiskQueue::pending_weight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_weight_;
}

}  // namespace hearth::exporter
