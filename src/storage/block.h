#pragma once

// An immutable block: the rows of one tenant at one resolution over a time span, with the
// symbols they refer to. One file, written once (temp name, fsync, rename), never modified;
// compaction writes a new block and deletes the old ones, retention deletes whole files.
// The layout is documented in docs/storage-format.md:
//
//   +----------------------+  0
//   | "HRTHBLK1"           |
//   +----------------------+
//   | page frames          |  per series, per page: meta frame, samples frame (zstd)
//   +----------------------+
//   | symbols frame        |  pprof encoding of the entities (no samples), zstd
//   | tree frame           |  stack tree columns, zstd
//   | series frame         |  labels, schema and page table of every series, zstd
//   +----------------------+
//   | footer               |  meta + frame refs (varints)
//   | u32 footer length    |
//   | u32 footer crc32c    |
//   | "HRTHBLK1"           |
//   +----------------------+
//
// Every frame carries its own crc32c (in the ref that points to it), so damage is detected
// where it is read and reported with the file, the series and the page.

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/env.h"
#include "storage/postings.h"
#include "storage/rows.h"
#include "storage/schema.h"
#include "storage/source.h"
#include "storage/symbols.h"

namespace hearth::storage {

struct BlockMeta {
  uint64_t id = 0;
  std::string tenant;
  Resolution resolution = Resolution::kRaw;
  int64_t min_ts = 0;
  int64_t max_ts = 0;  // inclusive
  uint32_t level = 0;  // 0 = written from the head; +1 per compaction
  // For level 0: the WAL sequence number of the flush that wrote it. Every record in WAL
  // segments below it is in this flush's blocks (see engine.h, recovery).
  uint64_t wal_seq = 0;
  int64_t created_ns = 0;
  uint64_t num_series = 0, num_rows = 0, num_samples = 0;
  // Blocks this one replaced (compaction). If any still exist when the engine opens, the
  // compaction finished writing this block and they are deleted.
  std::vector<uint64_t> sources;
};

// One series to write: rows sorted by time.
struct BlockSeriesIn {
  const Labels* labels;
  const SeriesSchema* schema;
  const RowBatch* rows;
};

struct BlockWriteOptions {
  int zstd_level = 3;
  // Small pages keep ragged-edge reads cheap (a raw edge decodes whole pages); 128 rows of
  // a typical series still give zstd a few KB to work with.
  uint32_t max_rows_per_page = 128;
  uint32_t max_samples_per_page = 16384;
};

// Writes a block durably to `path` (through a temp file, fsync, rename, directory fsync).
// Fills meta's counts and time range from the data. Returns the file size.
absl::StatusOr<uint64_t> WriteBlock(Env* env, const std::string& path, BlockMeta meta,
                                    const profile::Profile& entities, const StackTree& tree,
                                    std::span<const BlockSeriesIn> series,
                                    const BlockWriteOptions& options = {});

// A block opened for reading. Opening reads the footer and the series table; symbols and
// the stack tree are loaded on first use (LoadSymbols) and can be dropped again to bound
// memory. Thread-safe for concurrent readers.
class Block final : public RowSource {
 public:
  static absl::StatusOr<std::unique_ptr<Block>> Open(Env* env, const std::string& path);

  const BlockMeta& meta() const { return meta_; }
  const std::string& path() const { return path_; }
  uint64_t file_bytes() const { return file_->Size(); }
  // Verifies every frame's checksum and decodability. The error names the first bad part.
  absl::Status Verify() const;
  void DropSymbols();
  size_t SymbolBytes() const;

  // RowSource.
  Resolution resolution() const override { return meta_.resolution; }
  int64_t min_ts() const override { return meta_.min_ts; }
  int64_t max_ts() const override { return meta_.max_ts; }
  size_t num_series() const override { return series_.size(); }
  const Labels& labels(size_t s) const override { return series_[s].labels; }
  const SeriesSchema& schema(size_t s) const override { return series_[s].schema; }
  std::pair<int64_t, int64_t> series_time_range(size_t s) const override;
  const Postings& postings() const override { return postings_; }
  absl::Status ReadRows(size_t series, int64_t lo, int64_t hi, bool with_samples,
                        RowBatch* out) const override;
  absl::StatusOr<SymbolsView> Symbols() const override;
  std::string name() const override { return path_; }

  // Raw sizes for `hearth db analyze`.
  struct Sizes {
    uint64_t pages_meta = 0, pages_samples = 0, symbols = 0, tree = 0, series = 0;
  };
  const Sizes& sizes() const { return sizes_; }

  struct FrameRef {
    uint64_t offset = 0;
    uint32_t length = 0;      // compressed
    uint32_t raw_length = 0;  // decompressed
    uint32_t crc = 0;         // crc32c of the compressed bytes
  };
  struct Page {
    int64_t min_ts = 0, max_ts = 0;
    uint32_t rows = 0, samples = 0;
    FrameRef meta, samples_frame;
  };

 private:
  struct Series {
    Labels labels;
    SeriesSchema schema;
    std::vector<Page> pages;
  };
  Block() = default;
  absl::StatusOr<std::string> ReadFrame(const FrameRef& ref, std::string_view what) const;

  std::string path_;
  std::unique_ptr<RandomAccessFile> file_;
  BlockMeta meta_;
  FrameRef symbols_ref_, tree_ref_, series_ref_;
  std::vector<Series> series_;
  Postings postings_;
  Sizes sizes_;

  struct LoadedSymbols {
    profile::Profile entities;
    StackTree tree;
    size_t bytes = 0;
  };
  mutable std::mutex symbols_mu_;
  mutable std::shared_ptr<const LoadedSymbols> symbols_;
};

// "<dir>/<min_ts>-<max_ts>-<id>.hblk", and the reverse.
std::string BlockFileName(const BlockMeta& meta);

}  // namespace hearth::storage
