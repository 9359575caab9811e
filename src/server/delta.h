#pragma once

// Cumulative profiles (Go heap alloc_*, block and mutex contentions/delay, sent as running
// totals since the process started) become deltas, so every stored value means "during this
// interval". Per series, the previous profile's values per stack (and labels) are kept:
//
//   first profile of a series     the baseline: cumulative columns stored as 0 (instant
//                                 columns like inuse_* are kept)
//   later profiles                cumulative columns = current - previous, per stack
//   any value went down           the process restarted: re-base (like a first profile)
//
// State is bounded: series not seen for `idle_ttl` are forgotten, and at most `max_series`
// are tracked (the least recently seen go first).

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "profile/profile.h"
#include "storage/schema.h"

namespace hearth::server {

struct DeltaOptions {
  size_t max_series = 100000;
  std::chrono::seconds idle_ttl{3600};
};

// Indices of the cumulative sample types of a profile (by type name and the profile family):
// alloc_objects/alloc_space, contentions/delay of block and mutex profiles.
std::vector<size_t> CumulativeValueIndices(const profile::Profile& p);

// The series key of a tenant's labels, as the ingest pipeline and the standalone scraper
// give it to ToDelta.
std::string DeltaSeriesKey(std::string_view tenant, const storage::Labels& labels);

class DeltaTracker {
 public:
  explicit DeltaTracker(DeltaOptions options = {});
  ~DeltaTracker();
  // Returns the profile with its cumulative columns turned into deltas. `series_key`
  // identifies the series (tenant + labels). `baseline` is set when this profile started
  // or restarted the series (its cumulative columns are then all zero).
  profile::Profile ToDelta(const std::string& series_key, profile::Profile p, bool* baseline);
  size_t tracked_series() const;

 private:
  struct State;
  DeltaOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace hearth::server
