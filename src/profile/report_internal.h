#pragma once

// Shared between the report pipeline (report.cc) and its renderers (report_text.cc,
// report_raw.cc). Not part of the public API.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "profile/profile.h"
#include "profile/report.h"

namespace hearth::profile::report_internal {

// pprof's report.Options + Report after option resolution: which value to show, in which
// unit, and the total that percentages are relative to.
struct ReportContext {
  const Profile* p = nullptr;
  ReportOptions o;  // After the per-command overrides.
  size_t value_index = 0;
  std::optional<size_t> mean_index;  // -mean divides by values[0].
  std::string sample_type;           // The "Type:" header ("mean_" prefixed with -mean).
  std::string sample_unit;
  std::string output_unit;  // o.unit until the text report picks one for "minimum".
  double ratio = 1;         // 1 / divide_by
  int64_t total = 0;
  std::vector<std::string> active_filters;  // "focus=...", in pprof's order.
  absl::flat_hash_map<std::string, std::string> num_label_units;

  int64_t SampleValue(const Sample& s) const { return p->Values(s)[value_index]; }
  // pprof's Report.formatValue: apply -divide_by, then scale to output_unit.
  std::string FormatValue(int64_t v) const;
};

// pprof printText (-top/-text). Picks the output unit, so it takes the context mutably.
std::string RenderText(ReportContext& c);
// pprof printTraces.
std::string RenderTraces(const ReportContext& c);
// pprof printTags.
std::string RenderTags(const ReportContext& c);

// pprof ProfileLabels: File, Build ID, comments, Type, Time, Duration headers.
std::vector<std::string> ProfileLabels(const ReportContext& c);

// Go's time.Time formatting of time.Unix(0, nanos) in the local time zone (TZ):
// String() "2006-01-02 15:04:05.999999999 -0700 MST" and pprof's header layout
// "Jan 2, 2006 at 3:04pm (MST)".
std::string GoTimeString(int64_t nanos);
std::string GoHeaderTime(int64_t nanos);

}  // namespace hearth::profile::report_internal
