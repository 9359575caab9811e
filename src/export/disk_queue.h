#pragma once

// A durable, bounded FIFO of records in one directory, written like LevelDB's log:
//
//   <dir>/
//     00000000000000000001.seg    records 1 .. 41   (a segment is named by its first seq)
//     00000000000000000042.seg    records 42 ..     (the active segment, appended to)
//     ACKED                       "41": every record up to this seq has been handed on
//
//   record := fixed32 length  fixed32 crc  fixed64 seq  fixed32 weight  payload[length]
//             (little endian; crc = CRC-32C of seq .. payload)
//
// Append writes and fsyncs before it returns OK (and fsyncs the directory when it starts a
// segment), so an acknowledged record survives a crash. Ack(seq) records progress in ACKED
// (atomic rename) and deletes segments whose records are all acknowledged. Open replays:
// segments in order, records after ACKED, each segment up to its first damaged or short
// record (the torn tail of an Append that never returned OK). New records always go to a new
// segment, and a segment whose write failed is abandoned, so an acknowledged record never
// follows a damaged one in the same file.
//
// Invariants: seqs increase by one from record to record, across segments; ACKED <= the last
// seq ever appended; pending = the records after ACKED, in order; pending_bytes counts their
// encoded size, and Append refuses a record that would take it past max_bytes.
//
// Without a directory the queue keeps its records in memory, with the same bound and
// interface and no durability (the agent's default: a restart loses what was queued).
//
// Thread-safe: Append may run on many threads (one at a time writes), Head/Read/Ack on one
// consumer thread.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/env.h"

namespace hearth::exporter {

struct DiskQueueOptions {
  Env* env = nullptr;
  std::string dir;  // "": in memory
  uint64_t max_bytes = uint64_t{1} << 30;      // pending records, encoded
  uint64_t segment_bytes = uint64_t{8} << 20;  // start a new segment past this size
  size_t max_record_bytes = size_t{256} << 20;
};

class DiskQueue {
 public:
  static constexpr size_t kHeaderBytes = 20;
  static constexpr char kAckedFile[] = "ACKED";

  // Creates the directory if needed and replays what is in it.
  static absl::StatusOr<std::unique_ptr<DiskQueue>> Open(DiskQueueOptions options);
  ~DiskQueue();

  // Appends a record (durable when OK). `weight` is the caller's size measure (profiles);
  // `stamp` is any caller value kept in memory with the record (replayed records have 0).
  // ResourceExhausted when the record does not fit under max_bytes.
  absl::Status Append(std::string_view payload, uint32_t weight, int64_t stamp = 0);

  struct RecordInfo {
    uint64_t seq = 0;
    uint32_t weight = 0;
    int64_t stamp = 0;
    uint64_t segment = 0;  // first seq of its segment
    uint64_t offset = 0;   // of the record header in the segment
    uint32_t length = 0;   // payload bytes
  };
  // The first `max_records` pending records (no I/O).
  std::vector<RecordInfo> Head(size_t max_records) const;
  // A pending record's payload, read back and checked.
  absl::StatusOr<std::string> Read(const RecordInfo& record);
  // Everything up to and including `seq` is done: it leaves the queue. The in-memory queue
  // drops the records even if writing ACKED fails (the error is returned; after a restart
  // those records would be handed out again).
  absl::Status Ack(uint64_t seq);

  size_t pending_records() const;
  uint64_t pending_bytes() const;
  uint64_t pending_weight() const;
  // What Open found wrong (damaged records skipped), for the caller's log.
  const std::vector<std::string>& replay_warnings() const { return replay_warnings_; }

 private:
  struct Segment {
    uint64_t last_seq = 0;                     // 0: none yet
    std::unique_ptr<RandomAccessFile> reader;  // opened on first Read
  };

  explicit DiskQueue(DiskQueueOptions options) : options_(std::move(options)) {}
  bool in_memory() const { return options_.dir.empty(); }
  absl::Status Replay();
  absl::Status ReplaySegment(uint64_t first_seq, uint64_t acked, uint64_t* next_expected);
  std::string SegmentPath(uint64_t first_seq) const;
  absl::Status RollLocked();        // needs append_mu_
  void DeleteDoneSegmentsLocked();  // needs mu_

  DiskQueueOptions options_;
  std::vector<std::string> replay_warnings_;

  // Serializes writers; guards the active segment's file handle.
  std::mutex append_mu_;
  std::unique_ptr<WritableFile> active_;
  uint64_t active_first_seq_ = 0;  // also read under mu_ (written under both)

  mutable std::mutex mu_;
  std::deque<RecordInfo> pending_;
  std::map<uint64_t, std::string> in_memory_;  // payloads by seq, without a directory
  std::map<uint64_t, Segment> segments_;  // by first seq
  uint64_t next_seq_ = 1;
  uint64_t acked_seq_ = 0;
  uint64_t pending_bytes_ = 0;
  uint64_t pending_weight_ = 0;
};

}  // namespace hearth::exporter
