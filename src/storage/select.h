#pragma once

// Query execution over a list of sources (head + blocks, each with the time range the
// planner assigned it). Merges add each sample's value into a dense array indexed by stack
// node, one array per source; only non-zero nodes are turned back into stacks at the end,
// so the work is proportional to the rows read plus the distinct stacks, never to the
// number of profiles times their size in symbols.

#include <cstdint>
#include <map>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "profile/profile.h"
#include "storage/schema.h"
#include "storage/source.h"

namespace hearth::storage {

struct QueryLimits {
  uint64_t max_series = 100000;       // series selected across all sources
  uint64_t max_samples = 500000000;   // samples read
  uint64_t max_nodes = 5000000;       // distinct stacks in a merge result
  uint64_t max_points = 10000000;     // time-series points
};

struct SelectRequest {
  std::string tenant;
  ProfileTypeId type;             // name required; sample type optional (series default)
  std::vector<Matcher> matchers;  // label matchers besides __name__
  TimeRange range;
  std::vector<std::string> span_ids;   // keep only samples of these spans (merge only)
  std::vector<std::string> trace_ids;  // keep only samples of these traces (merge only)
  std::vector<std::string> group_by;   // label names
  int64_t step_ns = 0;                 // time series bucket width
  // Read 1m/1h rollups where they answer the query exactly (the default). Off: raw rows
  // only (and nothing older than raw retention).
  bool use_rollups = true;
  QueryLimits limits;
};

struct QueryStats {
  uint64_t sources = 0, series = 0, rows = 0, samples = 0, nodes = 0;
  uint64_t rollup_rows = 0;  // rows that came from 1m/1h rollups
};

struct MergeGroup {
  Labels group;  // the group_by label values ({} without group_by)
  profile::Profile profile;
};

struct MergeResult {
  std::vector<MergeGroup> groups;  // one without group_by
  QueryStats stats;
  std::vector<std::string> warnings;  // damaged data that was skipped
};

struct SeriesPoint {
  int64_t ts_ns;  // bucket start
  int64_t value;
};
struct SeriesResult {
  Labels group;
  std::vector<SeriesPoint> points;  // sorted, non-empty buckets only
};
struct SeriesQueryResult {
  std::vector<SeriesResult> series;
  QueryStats stats;
  std::vector<std::string> warnings;
};

// A source and the part of the query's range it must answer.
struct SourceRange {
  const RowSource* source;
  int64_t lo, hi;  // half-open
  // For a source that changes under appends (the active head): held shared while this
  // source is read, and only then, so queries never block appends for the whole query.
  std::shared_mutex* guard = nullptr;
};

absl::StatusOr<MergeResult> ExecuteMerge(const SelectRequest& req,
                                         const std::vector<SourceRange>& sources);
absl::StatusOr<SeriesQueryResult> ExecuteSeries(const SelectRequest& req,
                                                const std::vector<SourceRange>& sources);

// The value index of a series for a requested type, or -1 if the series doesn't have it.
int ValueIndex(const SeriesSchema& schema, const ProfileTypeId& type);

}  // namespace hearth::storage
