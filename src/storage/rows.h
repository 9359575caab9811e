#pragma once

// The rows of one series, column by column. The head keeps them like this in memory, and a
// block stores them in pages of consecutive rows (sorted by time), each page two
// independently compressed parts so a time-series query never touches sample columns:
//
//   page meta    := nrows | ts[0], then zigzag delta-of-delta | duration: zigzag deltas |
//                   samples per row | totals (per row, per value; zigzag) | flags per row
//   page samples := for each row: nodes (first absolute, then deltas; sorted ascending) |
//                   for each value column: gcd, then value / gcd (zigzag) |
//                   [span ids] [trace ids]   (string ids, 0 = none; when flags say so)
//
// CPU profiles have values that are multiples of the period; the per-row gcd turns
// 10000000-sized numbers into 1-byte varints before zstd even sees them.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace hearth::storage {

inline constexpr uint8_t kRowHasSpans = 1;
inline constexpr uint8_t kRowHasTraces = 2;

struct RowBatch {
  uint32_t num_values = 0;  // values per sample (= the series' sample types)

  // Per row.
  std::vector<int64_t> ts;
  std::vector<int64_t> duration;
  std::vector<uint32_t> row_end;  // one past the row's last sample index
  std::vector<int64_t> totals;    // num_values per row
  std::vector<uint8_t> flags;     // kRowHasSpans | kRowHasTraces

  // Per sample, rows' samples consecutive, each row's sorted by node.
  std::vector<uint32_t> nodes;
  std::vector<int64_t> values;  // num_values per sample
  // Per sample string ids (span / trace); empty when no row of the batch has any.
  std::vector<uint32_t> spans;
  std::vector<uint32_t> traces;

  size_t rows() const { return ts.size(); }
  size_t samples() const { return nodes.size(); }
  uint32_t row_begin(size_t r) const { return r == 0 ? 0 : row_end[r - 1]; }
  size_t MemoryBytes() const;
  void Clear();

  // One sample of a row being appended.
  struct SampleIn {
    uint32_t node;
    const int64_t* values;  // num_values of them
    uint32_t span = 0;
    uint32_t trace = 0;
  };
  // Appends a row; sorts its samples by node (order within equal nodes is kept).
  void AppendRow(int64_t ts, int64_t duration, std::vector<SampleIn>& samples);
  // Appends row r of another batch with the same num_values.
  void AppendRowFrom(const RowBatch& other, size_t r);
  // Replaces this (empty) batch with all rows of `other` (same num_values), with their
  // samples or, like AppendRowMetaFrom, without.
  void CopyFrom(const RowBatch& other, bool with_samples);
  // Appends only the per-row columns of row r (no samples; the row counts as empty here).
  void AppendRowMetaFrom(const RowBatch& other, size_t r);
};

// Rows sorted by timestamp (stable).
RowBatch SortedByTime(const RowBatch& in);

// Merges rows into buckets of `bucket_ns` (aligned to the epoch): one row per non-empty
// bucket with ts = bucket start, duration and totals summed, samples summed per node.
// Span and trace ids are dropped. Input must be sorted by time.
RowBatch Rollup(const RowBatch& in, int64_t bucket_ns);

std::string EncodePageMeta(const RowBatch& b, size_t begin, size_t end);
std::string EncodePageSamples(const RowBatch& b, size_t begin, size_t end);
// Decodes into an empty batch with num_values set. Errors are DataLoss naming the column.
absl::Status DecodePageMeta(std::string_view data, RowBatch* out);
// Needs the meta of the same page already decoded into *out.
absl::Status DecodePageSamples(std::string_view data, RowBatch* out);

}  // namespace hearth::storage
