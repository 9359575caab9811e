#pragma once

// What a query reads from: the head or one block. Both expose series (labels + schema),
// their rows in a time range, and the symbols the rows' stack nodes refer to.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <string_view>

#include "absl/status/statusor.h"
#include "profile/profile.h"
#include "storage/postings.h"
#include "storage/rows.h"
#include "storage/schema.h"
#include "storage/symbols.h"

namespace hearth::storage {

class RowSource {
 public:
  virtual ~RowSource() = default;

  virtual Resolution resolution() const = 0;
  virtual int64_t min_ts() const = 0;
  virtual int64_t max_ts() const = 0;  // inclusive
  virtual size_t num_series() const = 0;
  virtual const Labels& labels(size_t series) const = 0;
  virtual const SeriesSchema& schema(size_t series) const = 0;
  // Time pruning: the first and last (inclusive) row timestamp of a series.
  virtual std::pair<int64_t, int64_t> series_time_range(size_t series) const = 0;
  virtual const Postings& postings() const = 0;

  // Appends the rows of `series` with lo <= ts < hi to *out (whose num_values must be the
  // series' value count). Without `with_samples` only per-row columns are filled.
  virtual absl::Status ReadRows(size_t series, int64_t lo, int64_t hi, bool with_samples,
                                RowBatch* out) const = 0;

  // Symbols of the rows' stack nodes and span/trace string ids (entities().strings), loaded
  // on demand. The view keeps them alive even if the source drops its cached copy.
  struct SymbolsView {
    const profile::Profile* entities = nullptr;
    const StackTree* tree = nullptr;
    std::shared_ptr<const void> keepalive;
  };
  virtual absl::StatusOr<SymbolsView> Symbols() const = 0;

  // A human-readable name for errors ("head", or the block's file).
  virtual std::string name() const = 0;
};

}  // namespace hearth::storage
