#pragma once

// Text reports that match `go tool pprof` (Go 1.19's vendored google/pprof) byte for byte:
// -top/-text, -traces, -tags, -raw, plus folded-stack export. The pipeline is pprof's
// generateRawReport: label frames (-tagroot/-tagleaf) -> options and total (before any
// filter, so percentages stay relative to the whole profile unless relative_percentages)
// -> focus/ignore/hide/show (which, as in Go 1.19, also drops samples without frames),
// show_from, tag filters, tagshow/taghide, prune_from -> granularity -> graph -> trimming
// (nodefraction, nodecount) -> text.

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
//
// `p` must already be loaded the way pprof loads a profile (PrepareLikePprof below): with a
// fake mapping when it has none, Compact()ed (pprof merges even a single source, which
// renumbers entities in first-seen order and sums duplicate samples) or Merge()d /
// SubtractBase()d, names simplified, then RemoveUninteresting(). -traces and -raw print
// samples and ids in the profile's order, so they match pprof only on such a profile.
//
// kFolded renders CallTree::ToFolded() of the selected sample index after filters and
// granularity (pprof has no such report; -mean and -divide_by don't apply to it).
absl::StatusOr<Report> GenerateReport(Profile p, ReportFormat format, const ReportOptions& o);

// How `go tool pprof` (Go 1.19) loads one source before any report, for callers that start
// from a decoded profile: AddFakeMapping, Compact (pprof merges even a single source),
// SimplifyFunctionNames, then RemoveUninteresting (drop_frames). Several sources or a base:
// AddFakeMapping each, Merge / SubtractBase, then SimplifyFunctionNames and
// RemoveUninteresting on the result.
absl::StatusOr<Profile> PrepareLikePprof(Profile p);

// pprof's driver gives a profile without any mapping a fake one (id 1, everything zero)
// that every location points to (fetch.go locateBinaries); -raw shows it as "M=1".
void AddFakeMapping(Profile& p);

// pprof's symbolizer pass over function names (internal/symbolizer Demangle, default mode),
// for functions whose name is empty or equal to their system name: a name that looks like
// demangled C++ ("::", "<>", "[]"; not Java's ".<", not Go's "]).") loses its (parameters)
// and <template arguments>; an empty name becomes the system name. Itanium-mangled "_Z"
// names are demangled with the C++ runtime's demangler and simplified the same way, which
// approximates Go's demangler (it differs for return types of template functions and
// operator names).
void SimplifyFunctionNames(Profile& p);

// pprof's Profile.String(), the `-raw` report: header, samples with their values, location
// ids and labels, then locations and mappings. Times are printed in the local time zone.
std::string ProfileString(const Profile& p);

}  // namespace hearth::profile
