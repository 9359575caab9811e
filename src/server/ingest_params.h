#pragma once

// The query parameters and form parts of Pyroscope's legacy `POST /ingest`, parsed the way
// Pyroscope parses them (grafana/pyroscope api/model/labelset, pkg/og/util/attime,
// pkg/ingester/pyroscope/ingest_adapter.go, pkg/og/convert/pprof), but with an error that
// says what is wrong where Pyroscope would silently guess.
//
//   POST /ingest?name=app.cpu{env=prod,region=eu}&from=1700000000&until=now&format=folded
//                     └─┬─┘└┬┘ └──────┬────────┘
//                   app name │   labels: k=v, unquoted, ',' separated, spaces trimmed
//                       type suffix (text formats only: cpu, wall, alloc_space, ...)

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "profile/profile.h"

namespace hearth::server {

// `name=app.cpu{k=v,...}`: the text before '{' is the app name (the service), the braces
// hold labels. As Pyroscope's state machine: keys and values are trimmed; a later duplicate
// key wins; `__name__=x` inside the braces replaces the app name; a label whose value never
// ends (no ',' or '}') is dropped; anything after '}' is ignored.
struct PyroscopeName {
  std::string app;
  std::vector<std::pair<std::string, std::string>> labels;  // in first-seen order
};
absl::StatusOr<PyroscopeName> ParsePyroscopeName(std::string_view name);

// `from` / `until` (Pyroscope's attime), in ns since the epoch:
//   all digits, by length: 8 = YYYYMMDD (UTC midnight, if a valid date), 13 = ms,
//   16 = µs, 19 = ns, anything else = seconds;
//   relative: [now](+|-)<n><unit>[<n><unit>...], units by prefix: s(econds),
//   min / m (minutes), h(ours), d(ays), w(eeks), mon / M (30-day months), y(ears).
// '_', ',' and spaces are ignored. "" is now.
absl::StatusOr<int64_t> ParsePyroscopeTime(std::string_view text, int64_t now_ns);

// What a text-format upload's name suffix means (Pyroscope's convertMetadata): the series
// `__name__` and the sample type/unit of the counts. No suffix means cpu.
struct LegacyType {
  std::string_view metric;  // __name__: process_cpu, wall, memory, mutex, block, ...
  std::string_view type;    // sample type before any sampleRate scaling
  std::string_view unit;
  // Values are samples at `sampleRate` Hz (cpu, itimer, wall): they become nanoseconds.
  bool time_sampled = false;
};
// Splits "my.app.cpu" into app "my.app" and the cpu type. Error for an unknown suffix.
absl::StatusOr<LegacyType> SplitLegacyType(std::string_view app_with_suffix, std::string* app);

// One entry of the multipart `sample_type_config` part (pyroscope-go sends it):
//   {"alloc_space": {"units": "bytes", "display-name": "...", "aggregation": "average",
//                    "cumulative": false, "sampled": false}, ...}
struct SampleTypeConfig {
  std::string units;
  std::string display_name;
  std::string aggregation;
  bool cumulative = false;
  bool sampled = false;
};
using SampleTypeConfigs = std::map<std::string, SampleTypeConfig, std::less<>>;
absl::StatusOr<SampleTypeConfigs> ParseSampleTypeConfig(std::string_view json);

// Pyroscope's DefaultSampleTypeMapping (pkg/og/storage/tree/pprof.go), used when a
// multipart upload has no sample_type_config of its own.
const SampleTypeConfigs& DefaultSampleTypeConfigs();

// The series `__name__` of a pprof upload, as Pyroscope's metricName: "wall" if any type
// is wall; else the first type whose (display) name contains cpu -> process_cpu;
// alloc_/inuse_/space/objects -> memory; mutex_ -> mutex; block_ -> block;
// goroutines -> goroutines. Falls back to the storage's guess.
std::string PyroscopeMetricName(const profile::Profile& p, const SampleTypeConfigs& configs);

// Applies an uploaded sample_type_config to a pprof profile:
//   * sample types the config does not name are dropped (error if none is left);
//   * a display-name renames its type, except Pyroscope's legacy aliases (cpu, goroutines,
//     mutex_count, block_duration, ...), which only choose the __name__ as in Pyroscope;
//   * `units` fills in a missing unit (objects/samples/goroutines/lock_samples -> count,
//     lock_nanoseconds -> nanoseconds);
//   * aggregation and sampled are accepted and not stored: Hearth picks sum or average
//     when it queries.
// Sets *changed if the profile was modified and *cumulative if a kept type is marked
// cumulative (running totals the server must turn into deltas).
absl::Status ApplySampleTypeConfig(const SampleTypeConfigs& configs, profile::Profile& p,
                                   bool* changed, bool* cumulative);

// Pyroscope's `labels` part of a JFR upload (grafana/jfr-parser LabelsSnapshot):
//   message LabelsSnapshot { map<int64, Context> contexts = 1; map<int64, string> strings = 2; }
//   message Context { map<int64, int64> labels = 1; }     (label key/value are string ids)
struct JfrLabelsSnapshot {
  std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>> contexts;
  std::map<int64_t, std::string> strings;
};
absl::StatusOr<JfrLabelsSnapshot> ParseJfrLabelsSnapshot(std::string_view data);

}  // namespace hearth::server
