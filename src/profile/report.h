#pragma once

// Text reports that match `go tool pprof` (Go 1.19's vendored google/pprof) byte for byte:
// -top/-text, -traces, -tags, -raw, plus folded-stack export. The pipeline is pprof's
// generateRawReport: label frames (-tagroot/-tagleaf) -> options and total (before any
// filter, so percentages stay relative to the whole profile unless relative_percentages)
// -> focus/ignore/hide/show, show_from, tag filters, tagshow/taghide, prune_from ->
// granularity -> graph -> trimming (nodefraction, nodecount) -> text.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "profile/aggregate.h"
#include "profile/profile.h"

namespace hearth::profile {

enum class ReportFormat { kTop, kTraces, kTags, kRaw, kFolded };

struct ReportOptions {
  std::string sample_index;  // "" = default_sample_type, else the last type.
  bool mean = false;         // value / value[0]
  double divide_by = 1.0;
  int node_count = -1;  // -1: pprof's default (all for top)
  double node_fraction = 0.005;
  double edge_fraction = 0.001;
  bool trim = true;
  bool cum_sort = false;
  bool drop_negative = false;
  std::string unit = "minimum";
  Granularity granularity = Granularity::kFunctions;
  bool no_inlines = false;
  bool compact_labels = false;
  bool relative_percentages = false;

  std::string focus, ignore, hide, show, show_from, prune_from;
  std::string tag_focus, tag_ignore, tag_show, tag_hide;
  std::string tag_root, tag_leaf;  // comma-separated keys
};

struct Report {
  std::string text;
  // pprof's stderr notes, e.g. "Focus expression matched no samples".
  std::vector<std::string> warnings;
};

// Renders `p` (consumed: filters work in place). Errors: a bad sample index, bad regexp,
// zero divisor, a profile with no sample types.
absl::StatusOr<Report> GenerateReport(Profile p, ReportFormat format, const ReportOptions& o);

}  // namespace hearth::profile
