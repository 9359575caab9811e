// The -top/-text, -traces and -tags renderers (pprof internal/report printText,
// printTraces, printTags) and their headers.

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "base/strings.h"
#include "base/tabwriter.h"
#include "profile/graph.h"
#include "profile/report_internal.h"
#include "profile/units.h"

namespace hearth::profile::report_internal {
namespace {

int64_t Abs64(int64_t v) { return v < 0 ? -v : v; }

// Go's "%*s": pads to `width` runes (fmt's own padding counts display columns instead).
std::string PadLeft(std::string s, size_t width) {
  if (const size_t n = DisplayWidth(s); n < width) s.insert(0, width - n, ' ');
  return s;
}

std::string_view UnitOf(const ReportContext& c, std::string_view key) {
  auto it = c.num_label_units.find(std::string(key));
  return it == c.num_label_units.end() ? std::string_view() : std::string_view(it->second);
}

// pprof's selectOutputUnit: the unit of the smallest non-zero node value, or a larger one
// when the values span units (so the smallest still shows as >= 0.01).
void SelectOutputUnit(ReportContext& c, const Graph& g) {
  if (c.output_unit != "minimum" || g.nodes().empty()) return;
  int64_t min_value = 0;
  for (const GraphNode& n : g.nodes()) {
    int64_t node_min = Abs64(n.FlatValue());
    if (node_min == 0) node_min = Abs64(n.CumValue());
    if (node_min > 0 && (min_value == 0 || node_min < min_value)) min_value = node_min;
  }
  int64_t max_value = c.total;
  if (min_value == 0) min_value = max_value;
  if (c.ratio > 0 && c.ratio != 1) {
    min_value = static_cast<int64_t>(static_cast<double>(min_value) * c.ratio);
    max_value = static_cast<int64_t>(static_cast<double>(max_value) * c.ratio);
  }
  std::string min_unit = ScaleValue(min_value, c.sample_unit, "minimum").second;
  std::string max_unit = ScaleValue(max_value, c.sample_unit, "minimum").second;
  std::string unit = min_unit;
  if (min_unit != max_unit && min_value * 100 < max_value) {
    unit = ScaleValue(100 * min_value, c.sample_unit, "minimum").second;
  }
  c.output_unit = unit.empty() ? c.sample_unit : unit;
}

// pprof's reportLabels for the text report (no edge line, not full headers).
std::vector<std::string> ReportLabels(const ReportContext& c, const Graph& g, int orig_count,
                                      int dropped_nodes) {
  std::vector<std::string> labels;
  if (!c.o.compact_labels) labels = ProfileLabels(c);
  int64_t flat_sum = 0;
  for (const GraphNode& n : g.nodes()) flat_sum += n.FlatValue();
  if (!c.active_filters.empty()) {
    labels.emplace_back("Active filters:");
    for (const std::string& f : c.active_filters) {
      // Long filters are cut at 80 bytes, as pprof does.
      labels.push_back(f.size() > 80 ? fmt::format("   {}…", f.substr(0, 80)) : "   " + f);
    }
  }
  labels.push_back(fmt::format("Showing nodes accounting for {}, {} of {} total",
                               c.FormatValue(flat_sum), TrimSpace(Percentage(flat_sum, c.total)),
                               c.FormatValue(c.total)));
  if (c.total != 0) {
    if (dropped_nodes > 0) {
      const int64_t cutoff =
          Abs64(static_cast<int64_t>(static_cast<double>(c.total) * c.o.node_fraction));
      labels.push_back(fmt::format("Dropped {} {} (cum <= {})", dropped_nodes,
                                   dropped_nodes > 1 ? "nodes" : "node", c.FormatValue(cutoff)));
    }
    const int node_count = static_cast<int>(g.nodes().size());
    if (node_count > 0 && node_count < orig_count) {
      labels.push_back(fmt::format("Showing top {} nodes out of {}", node_count, orig_count));
    }
  }
  return labels;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  return fmt::format("{}\n", fmt::join(lines, "\n"));
}

}  // namespace

std::vector<std::string> ProfileLabels(const ReportContext& c) {
  const Profile& p = *c.p;
  std::vector<std::string> labels;
  if (!p.mappings.empty()) {
    const Mapping& m = p.mappings[0];
    if (!p.Str(m.filename).empty()) {
      labels.push_back(fmt::format("File: {}", BasePath(p.Str(m.filename))));
    }
    if (!p.Str(m.build_id).empty())
      labels.push_back(fmt::format("Build ID: {}", p.Str(m.build_id)));
  }
  for (StrId comment : p.comments) {
    if (!p.Str(comment).starts_with('#')) labels.emplace_back(p.Str(comment));
  }
  if (!c.sample_type.empty()) labels.push_back("Type: " + c.sample_type);
  if (p.time_nanos != 0) labels.push_back("Time: " + GoHeaderTime(p.time_nanos));
  if (p.duration_nanos != 0) {
    std::string ratio;
    auto [total_nanos, total_unit] = ScaleValue(c.total, c.sample_unit, "nanoseconds");
    if (total_unit == "ns" && total_nanos != 0) {
      ratio = fmt::format("({})", Percentage(static_cast<int64_t>(total_nanos), p.duration_nanos));
    }
    labels.push_back(fmt::format("Duration: {}, Total samples = {} {}",
                                 UnitLabel(p.duration_nanos, "nanoseconds"), c.FormatValue(c.total),
                                 ratio));
  }
  return labels;
}

std::string RenderText(ReportContext& c) {
  const Profile& p = *c.p;
  NodeTable table(p,
                  NodeOptions{.obj_names = false, .orig_fn_names = false, .trim_proc_cwd = true});
  GraphOptions go{.value_index = c.value_index,
                  .mean_divisor_index = c.mean_index,
                  .drop_negative = c.o.drop_negative};
  TrimOptions to{.node_fraction = c.o.node_fraction,
                 .edge_fraction = c.o.edge_fraction,
                 .node_count = c.o.node_count,
                 .cum_sort = c.o.cum_sort};
  TrimmedGraph tg = BuildTrimmedGraph(p, table, go, to);
  const Graph& g = tg.graph;
  SelectOutputUnit(c, g);

  std::string out = JoinLines(ReportLabels(c, g, tg.orig_count, tg.dropped_nodes));
  fmt::format_to(std::back_inserter(out), "{:>10} {:>5}% {:>5}% {:>10} {:>5}%\n", "flat", "flat",
                 "sum", "cum", "cum");
  const std::vector<InlineKind> inline_kinds = g.InlineKinds();
  int64_t flat_sum = 0;
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const GraphNode& n = g.nodes()[i];
    const int64_t flat = n.FlatValue();
    const int64_t cum = n.CumValue();
    flat_sum += flat;
    std::string_view inl;
    if (inline_kinds[i] == InlineKind::kInline) inl = " (inline)";
    if (inline_kinds[i] == InlineKind::kPartialInline) inl = " (partial-inline)";
    fmt::format_to(std::back_inserter(out), "{:>10} {} {} {:>10} {}  {}{}\n", c.FormatValue(flat),
                   Percentage(flat, c.total), Percentage(flat_sum, c.total), c.FormatValue(cum),
                   Percentage(cum, c.total), table.name(n.id), inl);
  }
  return out;
}

std::string RenderTraces(const ReportContext& c) {
  const Profile& p = *c.p;
  constexpr std::string_view kSeparator =
      "-----------+-------------------------------------------------------\n";
  constexpr std::string_view kNoValue = "          ";  // %10s of ""
  std::string out = JoinLines(ProfileLabels(c));
  NodeTable table(p, NodeOptions{});
  std::vector<std::string> label_lines;
  for (const Sample& s : p.samples) {
    if (s.depth == 0) continue;
    out.append(kSeparator);
    // String labels, then numeric ones: "%10s:  v1 v2" per key, each group sorted as text.
    for (bool numeric : {false, true}) {
      label_lines.clear();
      std::span<const Label> labels = p.Labels(s);
      for (size_t i = 0; i < labels.size(); ++i) {
        const Label& l = labels[i];
        if (numeric ? !l.is_numeric() : !l.is_string()) continue;
        std::string_view key = p.Str(l.key);
        bool first = true;  // Only the first label of a key starts its line.
        for (size_t j = 0; j < i && first; ++j) {
          const Label& prev = labels[j];
          first = !(p.Str(prev.key) == key && (numeric ? prev.is_numeric() : prev.is_string()));
        }
        if (!first) continue;
        std::string line = PadLeft(std::string(key), 10) + ":  ";
        bool first_value = true;
        for (size_t j = i; j < labels.size(); ++j) {
          const Label& v = labels[j];
          if (p.Str(v.key) != key || (numeric ? !v.is_numeric() : !v.is_string())) continue;
          if (!first_value) line.push_back(' ');
          first_value = false;
          line.append(numeric ? UnitLabel(v.num, UnitOf(c, key)) : std::string(p.Str(v.str)));
        }
        line.push_back('\n');
        label_lines.push_back(std::move(line));
      }
      std::sort(label_lines.begin(), label_lines.end());
      for (const std::string& line : label_lines) out.append(line);
    }

    int64_t v = c.SampleValue(s);
    if (c.mean_index) {
      const int64_t d = p.Values(s)[*c.mean_index];
      if (d != 0) v /= d;
    }
    // "%10s   name[ (inline)]" per frame, leaf first; only the first shows the value.
    const std::string value = PadLeft(c.FormatValue(v), 10);
    std::string_view prefix = value;
    for (uint32_t loc : p.Stack(s)) {
      std::span<const uint32_t> nodes = table.LocationNodes(loc);
      for (size_t i = 0; i < nodes.size(); ++i) {
        out.append(prefix);
        out.append("   ");
        out.append(table.name(nodes[i]));
        if (i + 1 != nodes.size()) out.append(" (inline)");
        out.push_back('\n');
        prefix = kNoValue;
      }
    }
  }
  out.append(kSeparator);
  return out;
}

std::string RenderTags(const ReportContext& c) {
  const Profile& p = *c.p;
  // key -> value -> summed sample value. Keys print in name order.
  std::map<std::string, absl::flat_hash_map<std::string, int64_t>, std::less<>> tags;
  for (const Sample& s : p.samples) {
    const int64_t v = c.SampleValue(s);
    for (const Label& l : p.Labels(s)) {
      std::string_view key = p.Str(l.key);
      if (l.is_string()) {
        tags[std::string(key)][std::string(p.Str(l.str))] += v;
      } else if (l.is_numeric()) {
        tags[std::string(key)][ScaledLabel(l.num, UnitOf(c, key), c.output_unit)] += v;
      }
    }
  }

  TabWriter tw(1, TabWriter::Align::kRight);
  std::vector<std::pair<std::string_view, int64_t>> values;
  for (const auto& [key, by_value] : tags) {
    values.assign(by_value.begin(), by_value.end());
    int64_t total = 0;
    for (const auto& [name, flat] : values) total += flat;
    // pprof's SortTags: |value| descending, then name.
    std::sort(values.begin(), values.end(), [](const auto& a, const auto& b) {
      if (Abs64(a.second) != Abs64(b.second)) return Abs64(a.second) > Abs64(b.second);
      return a.first < b.first;
    });
    auto [f, u] = ScaleValue(total, c.sample_unit, c.output_unit);
    tw.Write(fmt::format("{}:\t Total {:.1f}{}\n", key, f, u));
    for (const auto& [name, flat] : values) {
      auto [fv, fu] = ScaleValue(flat, c.sample_unit, c.output_unit);
      if (total > 0) {
        tw.Write(fmt::format(" \t{:.1f}{} ({}):\t {}\n", fv, fu, Percentage(flat, total), name));
      } else {
        tw.Write(fmt::format(" \t{:.1f}{}:\t {}\n", fv, fu, name));
      }
    }
    tw.Write("\n");
  }
  return tw.Flush();
}

}  // namespace hearth::profile::report_internal
