#include "profile/report.h"

#include <fmt/format.h>

#include <memory>

#include "base/status_macros.h"
#include "base/strings.h"
#include "profile/call_tree.h"
#include "profile/filter.h"
#include "profile/ops.h"
#include "profile/report_internal.h"
#include "profile/units.h"
#include "re2/re2.h"

namespace hearth::profile {
namespace {

using report_internal::ReportContext;

// pprof's applyCommandOverrides for the commands we implement.
ReportOptions ApplyCommandOverrides(ReportFormat format, ReportOptions o) {
  bool trim = o.trim;
  switch (format) {
    case ReportFormat::kTop:
      if (o.node_count == -1) o.node_count = 0;
      break;
    case ReportFormat::kRaw:
      // Raw output shows the profile itself: no trimming, no aggregation.
      if (o.node_count == -1) o.node_count = 80;
      trim = false;
      o.granularity = Granularity::kAddresses;
      o.no_inlines = false;
      break;
    case ReportFormat::kTraces:
    case ReportFormat::kTags:
    case ReportFormat::kFolded:
      if (o.node_count == -1) o.node_count = 80;
      break;
  }
  if (!trim) {
    o.node_count = 0;
    o.node_fraction = 0;
    o.edge_fraction = 0;
  }
  return o;
}

std::vector<std::string> SplitKeys(std::string_view keys) {
  std::vector<std::string> out;
  for (std::string_view k : Split(keys, ',')) {
    if (!k.empty()) out.emplace_back(k);
  }
  return out;
}

// pprof's applyFocus (driver_focus.go): name filters, show_from, tag filters, tag
// show/hide, prune_from. prune_from only cuts stacks, so it may go before the tag filters
// (which only look at labels): ApplyFrameFilters does the frame part. Warnings name options
// that matched nothing.
absl::Status ApplyFocus(Profile& p, const ReportContext& c, std::vector<std::string>* warnings) {
  const ReportOptions& o = c.o;
  std::unique_ptr<re2::RE2> tag_show, tag_hide;
  TagMatch tag_focus, tag_ignore;
  if (!o.tag_focus.empty()) {
    HEARTH_ASSIGN_OR_RETURN(tag_focus,
                            CompileTagFilter("tagfocus", o.tag_focus, c.num_label_units));
  }
  if (!o.tag_ignore.empty()) {
    HEARTH_ASSIGN_OR_RETURN(tag_ignore,
                            CompileTagFilter("tagignore", o.tag_ignore, c.num_label_units));
  }
  HEARTH_ASSIGN_OR_RETURN(tag_show, CompileRegexp("tagshow", o.tag_show));
  HEARTH_ASSIGN_OR_RETURN(tag_hide, CompileRegexp("taghide", o.tag_hide));
  HEARTH_RETURN_IF_ERROR(ApplyFrameFilters(
      p, {o.focus, o.ignore, o.hide, o.show, o.show_from, o.prune_from}, warnings));
  if (tag_focus || tag_ignore) {
    bool focus_matched = true, ignore_matched = true;
    FilterSamplesByTag(p, tag_focus, tag_ignore, &focus_matched, &ignore_matched);
    if (!focus_matched && tag_focus) warnings->push_back("TagFocus expression matched no samples");
    if (!ignore_matched && tag_ignore) {
      warnings->push_back("TagIgnore expression matched no samples");
    }
  }
  if (tag_show || tag_hide) FilterTagsByName(p, tag_show.get(), tag_hide.get());
  return absl::OkStatus();
}

// pprof's report.computeTotal: the sum of |value| (divided by the summed -mean divisor). In
// a -diff_base profile only the base samples (label pprof::base=true) count.
int64_t ComputeTotal(const Profile& p, const ReportContext& c) {
  const bool has_base_label = p.strings.Find(kDiffBaseLabel).has_value();
  int64_t total = 0, div = 0, diff_total = 0, diff_div = 0;
  for (const Sample& s : p.samples) {
    std::span<const int64_t> values = p.Values(s);
    int64_t v = values[c.value_index];
    const int64_t d = c.mean_index ? values[*c.mean_index] : 0;
    if (v < 0) v = -v;
    total += v;
    div += d;
    if (has_base_label && HasLabel(p, s, kDiffBaseLabel, "true")) {
      diff_total += v;
      diff_div += d;
    }
  }
  if (diff_total > 0) {
    total = diff_total;
    div = diff_div;
  }
  return div != 0 ? total / div : total;
}

std::vector<std::string> ActiveFilters(const ReportOptions& o) {
  std::vector<std::string> filters;
  auto add = [&filters](std::string_view key, const std::string& value) {
    if (!value.empty()) filters.push_back(fmt::format("{}={}", key, value));
  };
  add("focus", o.focus);
  add("ignore", o.ignore);
  add("hide", o.hide);
  add("show", o.show);
  add("show_from", o.show_from);
  add("tagfocus", o.tag_focus);
  add("tagignore", o.tag_ignore);
  add("tagshow", o.tag_show);
  add("taghide", o.tag_hide);
  return filters;
}

// pprof's reportOptions: resolves the sample index, -mean and -divide_by.
absl::Status ResolveValue(const Profile& p, ReportContext& c) {
  if (p.sample_types.empty()) return absl::InvalidArgumentError("profile has no samples");
  HEARTH_ASSIGN_OR_RETURN(c.value_index, SampleIndexByName(p, c.o.sample_index));
  if (c.o.mean) c.mean_index = 0;
  const ValueType& type = p.sample_types[c.value_index];
  c.sample_type = std::string(p.Str(type.type));
  if (c.o.mean) c.sample_type = "mean_" + c.sample_type;
  c.sample_unit = std::string(p.Str(type.unit));
  if (c.o.divide_by == 0) return absl::InvalidArgumentError("zero divisor specified");
  c.ratio = 1 / c.o.divide_by;
  c.output_unit = c.o.unit;
  c.active_filters = ActiveFilters(c.o);
  return absl::OkStatus();
}

}  // namespace

namespace report_internal {

std::string ReportContext::FormatValue(int64_t v) const {
  if (ratio > 0 && ratio != 1) v = static_cast<int64_t>(static_cast<double>(v) * ratio);
  return ScaledLabel(v, sample_unit, output_unit);
}

}  // namespace report_internal

absl::StatusOr<Report> GenerateReport(Profile p, ReportFormat format, const ReportOptions& o) {
  Report report;
  ReportContext c;
  c.p = &p;
  c.num_label_units = NumLabelUnits(p);
  c.o = ApplyCommandOverrides(format, o);

  // Label frames come first so that filters can match them.
  if (!c.o.tag_root.empty() || !c.o.tag_leaf.empty()) {
    AddLabelFrames(p, SplitKeys(c.o.tag_root), SplitKeys(c.o.tag_leaf));
  }
  // Percentages are relative to the whole profile unless relative_percentages: the total is
  // taken between the two possible focus points.
  if (c.o.relative_percentages) {
    HEARTH_RETURN_IF_ERROR(ApplyFocus(p, c, &report.warnings));
  }
  HEARTH_RETURN_IF_ERROR(ResolveValue(p, c));
  c.total = ComputeTotal(p, c);
  if (!c.o.relative_percentages) {
    HEARTH_RETURN_IF_ERROR(ApplyFocus(p, c, &report.warnings));
  }
  // Address granularity with inlines is the profile as it is; tags don't depend on frames.
  const bool aggregate = format != ReportFormat::kTags &&
                         !(c.o.granularity == Granularity::kAddresses && !c.o.no_inlines);
  if (aggregate) Aggregate(p, c.o.granularity, !c.o.no_inlines);

  switch (format) {
    case ReportFormat::kTop:
      report.text = report_internal::RenderText(c);
      break;
    case ReportFormat::kTraces:
      report.text = report_internal::RenderTraces(c);
      break;
    case ReportFormat::kTags:
      report.text = report_internal::RenderTags(c);
      break;
    case ReportFormat::kRaw:
      report.text = ProfileString(p);
      break;
    case ReportFormat::kFolded:
      report.text = CallTree::Build(p, c.value_index).ToFolded();
      break;
  }
  return report;
}

}  // namespace hearth::profile
