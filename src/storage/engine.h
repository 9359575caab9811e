#pragma once

// The embedded storage engine.
//
//   Append ──▶ WAL (fsync, group commit) ──▶ head (memory, per tenant)
//                                              │ flush: when big or old
//                                              ▼
//              blocks/<tenant>/raw/…hblk   blocks/<tenant>/1m/…   blocks/<tenant>/1h/…
//                    │ compaction (per resolution, by time window)
//                    ▼ retention (per resolution: age, total size) deletes whole files
//
// Query planning: [from, to) is split so whole hours read 1h rollups, whole minutes read 1m
// rollups and only the ragged edges read raw rows; the heads (not yet flushed) are read raw.
// So a week costs about as much as an hour.
//
// Recovery:
//   dir/FLUSHED holds the WAL sequence number S of the last complete flush: every record in
//   segments < S is in blocks. On open: level-0 blocks of an incomplete flush (wal_seq > S)
//   are deleted (the WAL still has their data), blocks replaced by a finished compaction are
//   deleted, WAL segments < S are deleted and the rest is replayed into the heads.

#include <array>
#include <atomic>
#include <condition_variable>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "base/env.h"
#include "storage/backend.h"
#include "storage/block.h"
#include "storage/head.h"
#include "storage/wal.h"

namespace hearth::storage {

struct RetentionOptions {
  // Maximum age per resolution (0 = keep for ever).
  int64_t raw_ns = int64_t{15} * 24 * kHourNs;
  int64_t minute_ns = int64_t{90} * 24 * kHourNs;
  int64_t hour_ns = 0;
  // Total bytes of all blocks (0 = no limit). Over it, the oldest raw blocks go first, then
  // minute rollups, then hour rollups.
  uint64_t max_total_bytes = 0;
};

struct CompactionOptions {
  bool enabled = true;
  // Blocks of one resolution are merged per aligned window of this width.
  int64_t raw_window_ns = 24 * kHourNs;
  int64_t minute_window_ns = int64_t{7} * 24 * kHourNs;
  int64_t hour_window_ns = int64_t{30} * 24 * kHourNs;
  // A window still receiving data is compacted once it has this many blocks.
  size_t max_blocks_per_open_window = 8;
};

struct EngineOptions {
  std::string dir;
  Env* env = nullptr;  // required
  WalOptions wal;
  // The heads are flushed when they hold this much, or when their oldest data is older
  // than head_max_age_ns. Appends are refused (ResourceExhausted) above hard_limit_factor
  // times head_max_bytes, which only happens if flushing cannot keep up.
  size_t head_max_bytes = size_t{256} << 20;
  int64_t head_max_age_ns = kHourNs;
  double hard_limit_factor = 2.0;
  RetentionOptions retention;
  CompactionOptions compaction;
  BlockWriteOptions block;
  // Decoded block symbols kept in memory (least recently used dropped beyond it).
  size_t symbol_cache_bytes = size_t{256} << 20;
  // Run flush/compaction/retention in a background thread (tests drive them by hand).
  bool background = true;
  int64_t background_interval_ns = int64_t{5} * 1000000000;
};

struct EngineStats {
  uint64_t appends = 0, appended_profiles = 0, appended_samples = 0, rejected_appends = 0;
  uint64_t flushes = 0, compactions = 0, retention_deletions = 0;
  uint64_t head_bytes = 0, head_series = 0;
  std::array<uint64_t, 3> blocks{}, block_bytes{};  // by resolution
  uint64_t corrupt_blocks = 0;
  uint64_t wal_bytes = 0, wal_syncs = 0;
};

struct RecoveryReport {
  WalReplayReport wal;
  uint64_t replayed_profiles = 0;
  std::vector<std::string> replay_errors;     // records that could not be applied
  std::vector<std::string> corrupt_blocks;    // "path: reason"
  std::vector<std::string> discarded_blocks;  // incomplete flushes/compactions cleaned up
};

struct BlockInfo {
  std::string path;
  BlockMeta meta;
  uint64_t file_bytes = 0;
  Block::Sizes sizes;
};

class Engine final : public Backend {
 public:
  static absl::StatusOr<std::unique_ptr<Engine>> Open(EngineOptions options);
  // Stops background work without flushing (the WAL keeps everything). Use Close() for a
  // graceful shutdown.
  ~Engine() override;
  absl::Status Close();

  // Backend.
  absl::Status Append(const std::string& tenant, std::span<const AppendRequest> batch) override;
  absl::StatusOr<MergeResult> SelectMerge(const SelectRequest& req) override;
  absl::StatusOr<SeriesQueryResult> SelectSeries(const SelectRequest& req) override;
  absl::StatusOr<std::vector<std::string>> LabelNames(const LabelQuery& q) override;
  absl::StatusOr<std::vector<std::string>> LabelValues(const LabelQuery& q,
                                                       const std::string& name) override;
  absl::StatusOr<std::vector<Labels>> Series(const LabelQuery& q) override;
  absl::StatusOr<std::vector<ProfileTypeId>> ProfileTypes(const LabelQuery& q) override;

  // Maintenance, also run by the background thread.
  absl::Status Flush();
  absl::Status Compact();
  absl::Status ApplyRetention();

  EngineStats stats() const;
  const RecoveryReport& recovery() const { return recovery_; }
  std::vector<BlockInfo> Blocks() const;
  std::vector<std::string> Tenants() const;
  const EngineOptions& options() const { return options_; }

  // Verifies every block's checksums; returns "path: reason" for each damaged one.
  std::vector<std::string> Verify() const;

 private:
  struct Tenant;
  struct Snapshot;
  explicit Engine(EngineOptions options);
  absl::Status Recover();
  absl::Status ApplyRecord(std::string_view payload);
  Tenant& TenantFor(const std::string& tenant);
  absl::StatusOr<Snapshot> SnapshotOf(const std::string& tenant) const;
  std::vector<SourceRange> Plan(const Snapshot& snap, const SelectRequest& req,
                                bool series_query) const;
  absl::Status WriteHeadBlocks(const std::string& tenant, const Head& head, uint64_t wal_seq,
                               std::vector<std::shared_ptr<Block>>* out,
                               std::vector<std::string>* written);
  absl::Status CompactWindow(const std::string& tenant, Resolution res,
                             std::vector<std::shared_ptr<Block>> blocks);
  void TrimSymbolCache() const;
  // mkdir -p, then fsync each new directory's parent up to the data directory: a block
  // whose directory entry is not durable would vanish at a power cut after FLUSHED said
  // its data was safe.
  absl::Status EnsureDurableDir(const std::string& dir);
  std::string TenantDir(const std::string& tenant) const;
  std::string ResolutionDir(const std::string& tenant, Resolution r) const;
  uint64_t NewBlockId();
  void BackgroundLoop();

  EngineOptions options_;
  Env* env_;
  std::unique_ptr<Wal> wal_;
  RecoveryReport recovery_;

  mutable std::mutex mu_;  // tenants_ and their block lists
  std::map<std::string, std::unique_ptr<Tenant>> tenants_;
  // Appends hold it shared from WAL write to head insert; a flush holds it exclusively
  // while it swaps heads and rotates the WAL, so no record lands in a segment whose data
  // went to the new head.
  std::shared_mutex append_mu_;
  std::mutex maintenance_mu_;  // one flush / compaction / retention at a time
  std::set<std::string> durable_dirs_;  // guarded by maintenance_mu_ (and Recover)
  std::atomic<int64_t> head_bytes_{0};
  std::atomic<int64_t> oldest_head_append_ns_{0};
  uint64_t flushed_seq_ = 0;

  std::atomic<uint64_t> appends_{0}, appended_profiles_{0}, appended_samples_{0},
      rejected_appends_{0}, flushes_{0}, compactions_{0}, retention_deletions_{0};
  std::atomic<uint64_t> block_id_counter_{0};

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool stop_ = false;
  std::thread background_;
};

}  // namespace hearth::storage
