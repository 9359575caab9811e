#pragma once

// The write-ahead log: every accepted write is appended here and fsynced before the caller
// is told it succeeded. After a crash, Replay() returns every acknowledged record.
//
//   dir/00000001.wal  00000002.wal ...            segments, rotated at segment_bytes
//
//   segment := record*
//   record  := crc32c(u32, of type|payload) | length(u32) | type(u8) | payload
//
// Group commit: concurrent Append() calls are written and fsynced together by whichever
// caller gets there first, so N writers cost one fsync, not N.
//
// Damage: a torn record at the end of the newest segment (the crash happened mid-write, so
// it was never acknowledged) is cut off silently on Open. Anything else that fails its
// checksum is reported with the segment, offset and number of bytes skipped, and replay
// continues with the next intact record. ("At the end" means no intact record follows; a
// corrupted last record of the newest segment looks the same and is cut the same way.)
// Integers are little-endian; a failed Append is cut back off the segment before the next.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/env.h"

namespace hearth::storage {

struct WalOptions {
  uint64_t segment_bytes = uint64_t{64} << 20;
  // Off only in tests and benchmarks that measure everything but the disk.
  bool sync = true;
  uint32_t max_record_bytes = 256u << 20;
};

struct WalDamage {
  std::string segment;  // file name
  uint64_t offset = 0;  // where the bad bytes start
  uint64_t bytes = 0;   // how many were skipped
  std::string reason;
};

// Every byte of every segment is accounted for exactly once: 9 * records + bytes +
// torn_tail_bytes + the damage bytes = the total size of the segments.
struct WalReplayReport {
  uint64_t records = 0;           // intact records passed to fn
  uint64_t bytes = 0;             // their payload bytes
  uint64_t torn_tail_bytes = 0;   // cut from the end of the newest segment
  std::vector<WalDamage> damage;  // checksum/length failures elsewhere; a missing segment in
                                  // the middle of the sequence is reported with bytes = 0
};

class Wal {
 public:
  // Opens (creating if needed) the log in `dir`, cutting a torn tail off the newest segment.
  // New records go to a fresh segment.
  static absl::StatusOr<std::unique_ptr<Wal>> Open(Env* env, const std::string& dir,
                                                   const WalOptions& options = {});
  ~Wal();

  // Appends records and returns once they are durable (or with the error that prevented
  // it, in which case none of them count as written). Thread-safe; concurrent callers share
  // fsyncs. `type` is the caller's record kind (1..255).
  absl::Status Append(uint8_t type, std::span<const std::string_view> payloads);
  absl::Status Append(uint8_t type, std::string_view payload) {
    return Append(type, std::span<const std::string_view>(&payload, 1));
  }

  // Closes the current segment and starts a new one. Returns the sequence number of the
  // new segment: every record appended before this call lives in segments < that number.
  absl::StatusOr<uint64_t> Rotate();
  // Deletes segments with sequence numbers below `seq` (their data is safely elsewhere).
  absl::Status DeleteSegmentsBefore(uint64_t seq);

  // Calls fn(type, payload) for every intact record of the log in `dir`, in order. A
  // non-OK status from fn stops the replay and is returned.
  static absl::StatusOr<WalReplayReport> Replay(
      Env* env, const std::string& dir, const WalOptions& options,
      const std::function<absl::Status(uint8_t type, std::string_view payload)>& fn);

  uint64_t bytes_written() const;
  uint64_t syncs() const;

 private:
  struct Impl;
  explicit Wal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::storage
