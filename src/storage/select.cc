#include "storage/select.h"

#include "base/fmt.h"

#include <algorithm>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "base/status_macros.h"
#include "profile/builder.h"

namespace hearth::storage {
namespace {

// "query selects more than 100 series (limit max_series); narrow the selector or the time
// range".
absl::Status LimitError(std::string_view what, uint64_t limit, std::string_view unit,
                        std::string_view limit_name) {
  return absl::ResourceExhaustedError(
      fmt::format("query {} {} {} (limit {}); narrow the selector or the time range", what, limit,
                  unit, limit_name));
}

// Every matcher of the request plus __name__.
absl::StatusOr<Selector> SelectorFor(const SelectRequest& req) {
  std::vector<Matcher> m = req.matchers;
  m.push_back({std::string(kNameLabel), Matcher::Op::kEq, req.type.name});
  return Selector::Compile(std::move(m));
}

Labels GroupOf(const Labels& labels, const std::vector<std::string>& group_by) {
  Labels g;
  for (const std::string& name : group_by) {
    auto v = LabelValue(labels, name);
    if (v.has_value()) g.emplace_back(name, std::string(*v));
  }
  return g;
}

struct SelectedSeries {
  size_t index;
  int value_index;
  size_t group;
};

// Selects the series of one source that match and have the value type; assigns groups.
absl::Status SelectSeries(const SelectRequest& req, const Selector& sel, const SourceRange& sr,
                          std::map<Labels, size_t>* groups, QueryStats* stats,
                          std::vector<SelectedSeries>* out) {
  out->clear();
  const RowSource& src = *sr.source;
  for (uint32_t s : src.postings().Select(sel, static_cast<uint32_t>(src.num_series()))) {
    auto [lo, hi] = src.series_time_range(s);
    if (hi < sr.lo || lo >= sr.hi) continue;  // time pruning
    int vi = ValueIndex(src.schema(s), req.type);
    if (vi < 0) continue;
    auto [it, _] = groups->try_emplace(GroupOf(src.labels(s), req.group_by), groups->size());
    out->push_back({s, vi, it->second});
    if (++stats->series > req.limits.max_series) {
      return LimitError("selects more than", req.limits.max_series, "series", "max_series");
    }
  }
  return absl::OkStatus();
}

// String ids of `values` in a source's string table (values it doesn't have are skipped).
absl::flat_hash_set<uint32_t> IdsIn(const profile::Profile& entities,
                                    const std::vector<std::string>& values) {
  absl::flat_hash_set<uint32_t> ids;
  for (const std::string& v : values) {
    if (auto id = entities.strings.Find(v); id.has_value() && *id != 0) ids.insert(*id);
  }
  return ids;
}

}  // namespace

int ValueIndex(const SeriesSchema& schema, const ProfileTypeId& type) {
  const auto& types = schema.sample_types;
  if (types.empty()) return -1;
  if (type.sample_type.empty()) {
    return schema.default_index >= 0 ? schema.default_index : static_cast<int>(types.size()) - 1;
  }
  if (!type.period_type.empty() &&
      (schema.period_type.type != type.period_type || schema.period_type.unit != type.period_unit)) {
    return -1;
  }
  for (size_t i = 0; i < types.size(); ++i) {
    if (types[i].type == type.sample_type &&
        (type.sample_unit.empty() || types[i].unit == type.sample_unit)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

absl::StatusOr<MergeResult> ExecuteMerge(const SelectRequest& req,
                                         const std::vector<SourceRange>& sources) {
  HEARTH_ASSIGN_OR_RETURN(Selector sel, SelectorFor(req));
  MergeResult result;
  std::map<Labels, size_t> groups;
  std::vector<std::unique_ptr<profile::ProfileBuilder>> builders;
  std::vector<SelectedSeries> selected;
  std::vector<int64_t> acc;  // per node, per group: acc[group * nodes + node]
  std::vector<uint32_t> stack;
  bool have_schema = false;
  SeriesSchema first_schema;
  int first_value = 0;
  const bool filter_spans = !req.span_ids.empty() || !req.trace_ids.empty();

  for (const SourceRange& sr : sources) {
    const RowSource& src = *sr.source;
    std::shared_lock<std::shared_mutex> guard;
    if (sr.guard != nullptr) guard = std::shared_lock<std::shared_mutex>(*sr.guard);
    HEARTH_RETURN_IF_ERROR(SelectSeries(req, sel, sr, &groups, &result.stats, &selected));
    if (selected.empty()) continue;
    ++result.stats.sources;
    auto view = src.Symbols();
    if (!view.ok()) {
      result.warnings.push_back(std::string(view.status().message()));
      continue;
    }
    const size_t num_nodes = view->tree->size();
    size_t num_groups = groups.size();
    acc.assign(num_nodes * num_groups, 0);
    absl::flat_hash_set<uint32_t> span_ids, trace_ids;
    if (filter_spans) {
      span_ids = IdsIn(*view->entities, req.span_ids);
      trace_ids = IdsIn(*view->entities, req.trace_ids);
    }
    RowBatch rows;
    for (const SelectedSeries& s : selected) {
      if (!have_schema) {
        first_schema = src.schema(s.index);
        first_value = s.value_index;
        have_schema = true;
      }
      rows.Clear();
      rows.num_values = static_cast<uint32_t>(src.schema(s.index).sample_types.size());
      if (auto st = src.ReadRows(s.index, sr.lo, sr.hi, true, &rows); !st.ok()) {
        result.warnings.push_back(std::string(st.message()));
        continue;
      }
      result.stats.rows += rows.rows();
      if (src.resolution() != Resolution::kRaw) result.stats.rollup_rows += rows.rows();
      result.stats.samples += rows.samples();
      if (result.stats.samples > req.limits.max_samples) {
        return LimitError("reads more than", req.limits.max_samples, "samples", "max_samples");
      }
      int64_t* a = acc.data() + s.group * num_nodes;
      const uint32_t k = rows.num_values;
      const int64_t* values = rows.values.data() + s.value_index;
      bool bad_node = false;
      for (size_t i = 0; i < rows.nodes.size(); ++i) {
        if (filter_spans) {
          bool keep = (!span_ids.empty() && !rows.spans.empty() && span_ids.contains(rows.spans[i])) ||
                      (!trace_ids.empty() && !rows.traces.empty() &&
                       trace_ids.contains(rows.traces[i]));
          if (!keep) continue;
        }
        uint32_t node = rows.nodes[i];
        if (node >= num_nodes) {
          bad_node = true;
          continue;
        }
        a[node] += values[i * k];
      }
      if (bad_node) {
        result.warnings.push_back(fmt::format("{}: series {} refers to stack nodes outside the tree",
                                              src.name(), LabelsString(src.labels(s.index))));
      }
    }
    // Non-zero nodes back to stacks, into each group's builder.
    while (builders.size() < groups.size()) {
      builders.push_back(std::make_unique<profile::ProfileBuilder>());
    }
    for (size_t g = 0; g < num_groups; ++g) {
      profile::ProfileBuilder& b = *builders[g];
      profile::EntityImporter importer(b);
      importer.Bind(*view->entities);
      const int64_t* a = acc.data() + g * num_nodes;
      if (b.profile().sample_types.empty() && have_schema) {
        const ValueTypeDesc& t = first_schema.sample_types[first_value];
        b.profile().sample_types.push_back({b.Str(t.type), b.Str(t.unit)});
      }
      // Node 0 is the empty stack (e.g. Go's threadcreate samples without frames): pprof
      // counts those in the total, so they are kept.
      for (uint32_t n = 0; n < num_nodes; ++n) {
        if (a[n] == 0) continue;
        view->tree->Stack(n, &stack);
        for (uint32_t& loc : stack) loc = importer.MapLocation(loc);
        b.AddSample(stack, {&a[n], 1});
        if (b.profile().samples.size() > req.limits.max_nodes) {
          return LimitError("result has more than", req.limits.max_nodes, "stacks", "max_nodes");
        }
      }
    }
  }

  std::vector<std::pair<Labels, size_t>> ordered(groups.begin(), groups.end());
  for (auto& [labels, g] : ordered) {
    MergeGroup out;
    out.group = labels;
    if (g < builders.size()) {
      profile::ProfileBuilder& b = *builders[g];
      profile::Profile& p = b.profile();
      if (have_schema) {
        p.period_type = {b.Str(first_schema.period_type.type), b.Str(first_schema.period_type.unit)};
        p.period = first_schema.period;
      }
      p.time_nanos = req.range.from_ns;
      p.duration_nanos = req.range.to_ns - req.range.from_ns;
      out.profile = b.Finish();
      result.stats.nodes += out.profile.samples.size();
    }
    result.groups.push_back(std::move(out));
  }
  if (result.groups.empty()) result.groups.emplace_back();
  return result;
}

absl::StatusOr<SeriesQueryResult> ExecuteSeries(const SelectRequest& req,
                                                const std::vector<SourceRange>& sources) {
  if (req.step_ns <= 0) return absl::InvalidArgumentError("series query needs a step > 0");
  const int64_t span = req.range.to_ns - req.range.from_ns;
  if (span <= 0) return absl::InvalidArgumentError("empty time range");
  const uint64_t buckets = static_cast<uint64_t>((span + req.step_ns - 1) / req.step_ns);
  HEARTH_ASSIGN_OR_RETURN(Selector sel, SelectorFor(req));
  SeriesQueryResult result;
  std::map<Labels, size_t> groups;
  // group -> bucket -> value; sparse because most groups touch few buckets of long ranges.
  std::vector<absl::flat_hash_map<uint64_t, int64_t>> points;
  std::vector<SelectedSeries> selected;
  RowBatch rows;
  for (const SourceRange& sr : sources) {
    const RowSource& src = *sr.source;
    std::shared_lock<std::shared_mutex> guard;
    if (sr.guard != nullptr) guard = std::shared_lock<std::shared_mutex>(*sr.guard);
    HEARTH_RETURN_IF_ERROR(SelectSeries(req, sel, sr, &groups, &result.stats, &selected));
    if (!selected.empty()) ++result.stats.sources;
    points.resize(groups.size());
    for (const SelectedSeries& s : selected) {
      rows.Clear();
      rows.num_values = static_cast<uint32_t>(src.schema(s.index).sample_types.size());
      if (auto st = src.ReadRows(s.index, sr.lo, sr.hi, false, &rows); !st.ok()) {
        result.warnings.push_back(std::string(st.message()));
        continue;
      }
      result.stats.rows += rows.rows();
      if (src.resolution() != Resolution::kRaw) result.stats.rollup_rows += rows.rows();
      for (size_t r = 0; r < rows.rows(); ++r) {
        uint64_t bucket = static_cast<uint64_t>((rows.ts[r] - req.range.from_ns) / req.step_ns);
        if (bucket >= buckets) continue;
        points[s.group][bucket] += rows.totals[r * rows.num_values + s.value_index];
      }
    }
  }
  uint64_t total_points = 0;
  for (const auto& [labels, g] : groups) {
    SeriesResult out;
    out.group = labels;
    for (const auto& [bucket, value] : points[g]) {
      out.points.push_back({req.range.from_ns + static_cast<int64_t>(bucket) * req.step_ns, value});
    }
    std::sort(out.points.begin(), out.points.end(),
              [](const SeriesPoint& a, const SeriesPoint& b) { return a.ts_ns < b.ts_ns; });
    total_points += out.points.size();
    if (total_points > req.limits.max_points) {
      return LimitError("returns more than", req.limits.max_points, "points", "max_points");
    }
    result.series.push_back(std::move(out));
  }
  return result;
}

}  // namespace hearth::storage
