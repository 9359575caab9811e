#pragma once

// The interface the query layer and the server run against. Two implementations: the
// embedded engine (storage/engine.h) and, for users who outgrow one machine, ClickHouse.

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "profile/profile.h"
#include "storage/schema.h"
#include "storage/select.h"

namespace hearth::storage {

struct AppendRequest {
  Labels labels;  // normalized, with __name__
  const profile::Profile* profile = nullptr;
  int64_t ts_ns = 0;  // used when the profile has no time (0: now)
  // The pprof bytes (gzipped or not) the profile was decoded from, if the caller has them:
  // the WAL stores them as they are instead of encoding the profile again. Must decode to
  // exactly *profile.
  std::string_view pprof;
};

struct LabelQuery {
  std::string tenant;
  std::vector<Matcher> matchers;
  TimeRange range;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Durable when it returns OK (the batch shares one fsync). Errors: InvalidArgument for bad
  // labels, ResourceExhausted when memory or disk limits refuse the write.
  virtual absl::Status Append(const std::string& tenant, std::span<const AppendRequest> batch) = 0;

  virtual absl::StatusOr<MergeResult> SelectMerge(const SelectRequest& req) = 0;
  virtual absl::StatusOr<SeriesQueryResult> SelectSeries(const SelectRequest& req) = 0;

  virtual absl::StatusOr<std::vector<std::string>> LabelNames(const LabelQuery& q) = 0;
  virtual absl::StatusOr<std::vector<std::string>> LabelValues(const LabelQuery& q,
                                                               const std::string& name) = 0;
  virtual absl::StatusOr<std::vector<Labels>> Series(const LabelQuery& q) = 0;
  virtual absl::StatusOr<std::vector<ProfileTypeId>> ProfileTypes(const LabelQuery& q) = 0;
};

}  // namespace hearth::storage
