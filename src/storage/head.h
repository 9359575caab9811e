#pragma once

// The head: the newest data of one tenant, in memory, appendable. It is flushed to blocks
// (raw, 1m and 1h) when it grows past its budget or gets old, and rebuilt from the WAL
// after a restart.
//
// Appending a profile splits it by sample labels: samples whose labels differ (pprof.Do's
// endpoint="/api/search" vs "/api/report") go to different series, each label becoming a
// series label, except span and trace ids (IsSampleLevelLabel), which stay per sample.

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "profile/profile.h"
#include "storage/postings.h"
#include "storage/rows.h"
#include "storage/schema.h"
#include "storage/source.h"
#include "storage/symbols.h"

namespace hearth::storage {

struct AppendStats {
  uint32_t series = 0;   // series the profile touched
  uint32_t samples = 0;  // samples stored
  uint32_t new_series = 0;
};

class Head final : public RowSource {
 public:
  Head() = default;
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  // `labels` must be normalized (sorted, unique) and carry __name__. `ts_ns` is used when
  // the profile has no time. Not thread-safe: the engine serializes writers and readers.
  absl::StatusOr<AppendStats> Append(const Labels& labels, const profile::Profile& p,
                                     int64_t ts_ns);

  size_t MemoryBytes() const;
  bool empty() const { return series_.empty(); }
  // Rows of one series (for flushing).
  const RowBatch& rows(size_t series) const { return series_[series].rows; }
  const SymbolTable& symbols() const { return symbols_; }

  // RowSource.
  Resolution resolution() const override { return Resolution::kRaw; }
  int64_t min_ts() const override { return min_ts_; }
  int64_t max_ts() const override { return max_ts_; }
  size_t num_series() const override { return series_.size(); }
  const Labels& labels(size_t s) const override { return series_[s].labels; }
  const SeriesSchema& schema(size_t s) const override { return series_[s].schema; }
  std::pair<int64_t, int64_t> series_time_range(size_t s) const override {
    return {series_[s].min_ts, series_[s].max_ts};
  }
  const Postings& postings() const override { return postings_; }
  absl::Status ReadRows(size_t series, int64_t lo, int64_t hi, bool with_samples,
                        RowBatch* out) const override;
  // The head outlives every query on it (queries hold the engine's head lock).
  absl::StatusOr<SymbolsView> Symbols() const override {
    return SymbolsView{&symbols_.entities(), &symbols_.tree(), nullptr};
  }
  std::string name() const override { return "head"; }

 private:
  struct Series {
    Labels labels;
    SeriesSchema schema;
    RowBatch rows;
    int64_t min_ts = INT64_MAX;
    int64_t max_ts = INT64_MIN;
  };
  size_t FindOrAddSeries(Labels labels, const SeriesSchema& schema, uint64_t schema_hash,
                         bool* created);

  SymbolTable symbols_;
  Postings postings_;
  std::vector<Series> series_;
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> series_index_;  // hash -> candidates
  int64_t min_ts_ = INT64_MAX;
  int64_t max_ts_ = INT64_MIN;
  size_t label_bytes_ = 0;
  size_t row_bytes_ = 0;  // sum of the series' rows.MemoryBytes(), kept as rows are added
};

}  // namespace hearth::storage
