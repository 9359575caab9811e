#pragma once

// What the store keeps, in words:
//
//  * A series is a label set. `__name__` names the profile family (process_cpu, memory,
//    goroutine, mutex, block, wall ...); `service_name` and any other labels follow. A series
//    also fixes its value types: every row of it has the same sample types, period type and
//    period, so a row is just numbers.
//  * A row is one profile of one series (raw), or all profiles of one series in one minute or
//    one hour merged together (rollups). A row is (timestamp, duration, samples), a sample is
//    (stack node, values[]), and a stack node is an integer in the block's stack tree.
//  * A profile type id names one value of a series, Pyroscope/Parca style:
//    `process_cpu:cpu:nanoseconds:cpu:nanoseconds` = name:sample_type:unit:period_type:unit.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "profile/profile.h"

namespace re2 {
class RE2;
}

namespace hearth::storage {

// Sorted by name, names unique.
using Labels = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kNameLabel = "__name__";
inline constexpr std::string_view kServiceNameLabel = "service_name";

// Sorts and checks: names non-empty and unique. The error names the duplicate.
absl::Status NormalizeLabels(Labels& labels);
// Value of a label, or nullopt.
std::optional<std::string_view> LabelValue(const Labels& labels, std::string_view name);
// `{a="x", b="y"}` (Prometheus style, values escaped).
std::string LabelsString(const Labels& labels);
uint64_t HashLabels(const Labels& labels);

// One value type of a profile: the pprof sample type, period type and period.
struct ValueTypeDesc {
  std::string type, unit;
  bool operator==(const ValueTypeDesc&) const = default;
};

struct SeriesSchema {
  std::vector<ValueTypeDesc> sample_types;
  ValueTypeDesc period_type;
  int64_t period = 0;
  int default_index = -1;  // pprof default_sample_type, -1 = last
  bool operator==(const SeriesSchema&) const = default;
};

SeriesSchema SchemaOf(const profile::Profile& p);
uint64_t HashSchema(const SeriesSchema& s);

// name:sample_type:sample_unit:period_type:period_unit
struct ProfileTypeId {
  std::string name, sample_type, sample_unit, period_type, period_unit;
  std::string ToString() const;
  bool operator==(const ProfileTypeId&) const = default;
};
// Parses a full id (5 parts) or a short one (the name alone).
absl::StatusOr<ProfileTypeId> ParseProfileTypeId(std::string_view id);
// The ids a series offers, one per sample type.
std::vector<ProfileTypeId> ProfileTypeIds(std::string_view name, const SeriesSchema& schema);

// The profile family name a profile most likely belongs to, from its types, for producers
// that don't say (pprof files on disk): cpu -> process_cpu, alloc/inuse -> memory,
// goroutine, contentions+delay -> mutex or block (by period type), wall, ... else "profile".
std::string GuessProfileName(const profile::Profile& p);

// A label matcher: = != =~ !~ (regexps are fully anchored, as in Prometheus).
struct Matcher {
  enum class Op { kEq, kNe, kRe, kNre };
  std::string name;
  Op op = Op::kEq;
  std::string value;
};

// A compiled matcher set.
class Selector {
 public:
  static absl::StatusOr<Selector> Compile(std::vector<Matcher> matchers);
  Selector(Selector&&) noexcept;
  Selector& operator=(Selector&&) noexcept;
  ~Selector();

  // True if every matcher accepts the labels (a missing label has the value "").
  bool Matches(const Labels& labels) const;
  bool MatchesValue(size_t matcher_index, std::string_view value) const;
  const std::vector<Matcher>& matchers() const { return matchers_; }

 private:
  Selector() = default;
  std::vector<Matcher> matchers_;
  std::vector<std::unique_ptr<re2::RE2>> regexps_;  // parallel; null for = and !=
};

// Half-open time range in nanoseconds since the epoch.
struct TimeRange {
  int64_t from_ns = 0;
  int64_t to_ns = 0;
  bool Contains(int64_t t) const { return t >= from_ns && t < to_ns; }
  bool Overlaps(int64_t lo, int64_t hi_inclusive) const {
    return lo < to_ns && hi_inclusive >= from_ns;
  }
};

// Rollup resolutions. A row at resolution r covers [ts, ts + r).
enum class Resolution : uint8_t { kRaw = 0, kMinute = 1, kHour = 2 };
inline constexpr int64_t kMinuteNs = int64_t{60} * 1000000000;
inline constexpr int64_t kHourNs = 60 * kMinuteNs;
int64_t ResolutionNs(Resolution r);  // 0 for raw
std::string_view ResolutionName(Resolution r);

// Sample labels kept per sample (not turned into series labels) because they are unique
// per request: span and trace ids. Everything else a sample carries becomes a series label.
inline constexpr std::string_view kSpanIdLabel = "span_id";
inline constexpr std::string_view kTraceIdLabel = "trace_id";
bool IsSampleLevelLabel(std::string_view key);

}  // namespace hearth::storage
