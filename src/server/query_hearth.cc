// Hearth's own JSON query API under /api/v1/ (documented in docs/api.md).
//
//   GET /api/v1/profile_types  /labels  /label_values  /label_sets
//   GET /api/v1/merge    flame graph | top | pprof | folded of a selector over a time range
//   GET /api/v1/series   totals over time, grouped
//   GET /api/v1/diff     two merges compared: a two-sided flame graph and a function table
//
// Errors are {"error": "..."} with the status the error's code maps to.

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "base/fmt.h"
#include "base/json_writer.h"
#include "base/quantity.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "profile/call_tree.h"
#include "profile/merge.h"
#include "profile/pprof_codec.h"
#include "query/flamebearer.h"
#include "query/flamegraph.h"
#include "query/time.h"
#include "server/query_common.h"

namespace hearth::server {
namespace {

using storage::Matcher;

constexpr int64_t kMs = 1000000;

struct Common {
  std::string tenant;
  storage::TimeRange range;
};

absl::StatusOr<storage::TimeRange> ParseRange(const HttpRequest& req, int64_t now_ns,
                                              std::string_view from_key = "from",
                                              std::string_view until_key = "until",
                                              std::string_view from_default = "now-1h",
                                              std::string_view until_default = "now") {
  std::string_view from = req.Param(from_key), until = req.Param(until_key);
  if (from.empty()) from = from_default;
  if (until.empty()) until = until_default;
  auto f = query::ParseTime(from, now_ns);
  if (!f.ok())
    return absl::InvalidArgumentError(fmt::format("{}: {}", from_key, f.status().message()));
  auto u = query::ParseTime(until, now_ns);
  if (!u.ok())
    return absl::InvalidArgumentError(fmt::format("{}: {}", until_key, u.status().message()));
  if (*u <= *f) {
    return absl::InvalidArgumentError(fmt::format("{} must be after {}", until_key, from_key));
  }
  return storage::TimeRange{*f, *u};
}

absl::StatusOr<Common> ParseCommon(const QueryEnv& env, const HttpRequest& req) {
  Common c;
  HEARTH_ASSIGN_OR_RETURN(c.tenant, TenantOf(env.parts, req));
  HEARTH_ASSIGN_OR_RETURN(c.range, ParseRange(req, env.NowNs()));
  return c;
}

// The selector of `query` (or another key); a type is required for merges and series.
absl::StatusOr<query::ParsedSelector> ParseQuery(const HttpRequest& req, std::string_view key,
                                                 bool need_type) {
  std::string_view text = req.Param(key);
  if (text.empty()) {
    if (need_type) {
      return absl::InvalidArgumentError(
          fmt::format("{} is required, e.g. {}=process_cpu{{service_name=\"api\"}}", key, key));
    }
    return query::ParsedSelector{};
  }
  HEARTH_ASSIGN_OR_RETURN(query::ParsedSelector sel, query::ParseSelector(text));
  if (need_type && sel.type.name.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("{} needs a profile type before the braces, e.g. process_cpu{{...}}", key));
  }
  return sel;
}

// Label matchers of an optional `query`, its type name as a __name__ matcher.
absl::StatusOr<std::vector<Matcher>> LabelMatchers(const HttpRequest& req) {
  HEARTH_ASSIGN_OR_RETURN(query::ParsedSelector sel, ParseQuery(req, "query", false));
  if (!sel.type.name.empty()) {
    sel.matchers.push_back({std::string(storage::kNameLabel), Matcher::Op::kEq, sel.type.name});
  }
  return std::move(sel.matchers);
}

// Repeated and comma-separated values: ?group_by=a,b&group_by=c.
std::vector<std::string> ListParam(const HttpRequest& req, std::string_view key) {
  std::vector<std::string> out;
  for (const std::string& v : req.Params(key)) {
    for (std::string_view part : Split(v, ',')) {
      part = TrimSpace(part);
      if (!part.empty()) out.emplace_back(part);
    }
  }
  return out;
}

absl::StatusOr<int64_t> IntParam(const HttpRequest& req, std::string_view key, int64_t def) {
  std::string_view v = req.Param(key);
  if (v.empty()) return def;
  int64_t out;
  if (!ParseInt(v, &out)) {
    return absl::InvalidArgumentError(fmt::format("{}: \"{}\" is not an integer", key, v));
  }
  return out;
}

std::string TypeOf(const profile::Profile& p, const storage::ProfileTypeId& asked) {
  if (p.sample_types.empty()) return asked.ToString();
  storage::ProfileTypeId t{asked.name, std::string(p.Str(p.sample_types[0].type)),
                           std::string(p.Str(p.sample_types[0].unit)),
                           std::string(p.Str(p.period_type.type)),
                           std::string(p.Str(p.period_type.unit))};
  return t.ToString();
}

std::string_view UnitOf(const profile::Profile& p) {
  return p.sample_types.empty() ? std::string_view() : p.Str(p.sample_types[0].unit);
}

void WriteLabels(JsonWriter& w, const storage::Labels& labels) {
  w.BeginObject();
  for (const auto& [k, v] : labels) w.Key(k).String(v);
  w.EndObject();
}

void WriteStrings(JsonWriter& w, const std::vector<std::string>& v) {
  w.BeginArray();
  for (const std::string& s : v) w.String(s);
  w.EndArray();
}

void WriteStats(JsonWriter& w, const storage::QueryStats& s,
                const std::vector<std::string>& warnings) {
  w.Key("stats").BeginObject().Key("series").Uint(s.series).Key("rows").Uint(s.rows);
  w.Key("rollup_rows")
      .Uint(s.rollup_rows)
      .Key("samples")
      .Uint(s.samples)
      .Key("nodes")
      .Uint(s.nodes);
  w.EndObject().Key("warnings");
  WriteStrings(w, warnings);
}

// A flame tree as flat arrays in pre-order (node 0 is the root "total", parent -1):
//   {"names":[...], "parent":[...], "name":[...], "self":[...], "total":[...]}
void WriteTree(JsonWriter& w, const query::FlameTree& t) {
  const std::vector<uint32_t> order = t.PreOrder();
  std::vector<uint32_t> pos(t.nodes().size());
  for (uint32_t i = 0; i < order.size(); ++i) pos[order[i]] = i;
  std::vector<int64_t> parent(order.size(), -1);
  for (uint32_t i = 0; i < t.nodes().size(); ++i) {
    const auto& n = t.nodes()[i];
    for (uint32_t c = n.first_child; c < n.first_child + n.num_children; ++c)
      parent[pos[c]] = pos[i];
  }
  std::vector<int64_t> name_index(t.names().size(), -1);
  std::vector<std::string_view> names = {"total"};
  name_index[0] = 0;
  w.BeginObject().Key("parent").BeginArray();
  for (int64_t p : parent) w.Int(p);
  w.EndArray().Key("name").BeginArray();
  for (uint32_t i : order) {
    const uint32_t id = t.nodes()[i].name;
    if (name_index[id] < 0) {
      name_index[id] = static_cast<int64_t>(names.size());
      names.push_back(t.names()[id]);
    }
    w.Int(name_index[id]);
  }
  w.EndArray().Key("self").BeginArray();
  for (uint32_t i : order) w.Int(t.nodes()[i].self);
  w.EndArray().Key("total").BeginArray();
  for (uint32_t i : order) w.Int(t.nodes()[i].total);
  w.EndArray().Key("names").BeginArray();
  for (std::string_view n : names) w.String(n);
  w.EndArray().EndObject();
}

double Percent(int64_t v, int64_t total) {
  return total == 0 ? 0 : 100.0 * static_cast<double>(v) / static_cast<double>(total);
}

HttpResponse ProfileTypes(const QueryEnv& env, const HttpRequest& req) {
  auto c = ParseCommon(env, req);
  if (!c.ok()) return JsonError(c.status());
  auto m = LabelMatchers(req);
  if (!m.ok()) return JsonError(m.status());
  auto types = env.backend().ProfileTypes({c->tenant, *m, c->range});
  if (!types.ok()) return JsonError(types.status());
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("profile_types").BeginArray();
  for (const storage::ProfileTypeId& t : *types) {
    w.BeginObject().Key("id").String(t.ToString()).Key("name").String(t.name);
    w.Key("sample_type").String(t.sample_type).Key("sample_unit").String(t.sample_unit);
    w.Key("period_type").String(t.period_type).Key("period_unit").String(t.period_unit);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return HttpResponse::Json(std::move(out));
}

HttpResponse Labels(const QueryEnv& env, const HttpRequest& req) {
  auto c = ParseCommon(env, req);
  if (!c.ok()) return JsonError(c.status());
  auto m = LabelMatchers(req);
  if (!m.ok()) return JsonError(m.status());
  auto names = env.backend().LabelNames({c->tenant, *m, c->range});
  if (!names.ok()) return JsonError(names.status());
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("names");
  WriteStrings(w, *names);
  w.EndObject();
  return HttpResponse::Json(std::move(out));
}

HttpResponse LabelValues(const QueryEnv& env, const HttpRequest& req) {
  auto c = ParseCommon(env, req);
  if (!c.ok()) return JsonError(c.status());
  const std::string name(req.Param("name"));
  if (name.empty()) return JsonError(absl::InvalidArgumentError("name is required (a label name)"));
  auto m = LabelMatchers(req);
  if (!m.ok()) return JsonError(m.status());
  std::vector<std::string> values;
  if (IsProfileTypeLabel(name) || HasProfileTypeMatchers(*m)) {
    auto series = SelectTypedSeries(env, c->tenant, *m, c->range);
    if (!series.ok()) return JsonError(series.status());
    std::set<std::string> set;
    for (const TypedSeries& s : *series) {
      if (auto v = storage::LabelValue(s.labels, name); v.has_value()) set.emplace(*v);
    }
    values.assign(set.begin(), set.end());
  } else {
    auto v = env.backend().LabelValues({c->tenant, *m, c->range}, name);
    if (!v.ok()) return JsonError(v.status());
    values = std::move(*v);
  }
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("name").String(name).Key("values");
  WriteStrings(w, values);
  w.EndObject();
  return HttpResponse::Json(std::move(out));
}

HttpResponse LabelSets(const QueryEnv& env, const HttpRequest& req) {
  auto c = ParseCommon(env, req);
  if (!c.ok()) return JsonError(c.status());
  auto m = LabelMatchers(req);
  if (!m.ok()) return JsonError(m.status());
  const std::vector<std::string> keep = ListParam(req, "label");
  auto series = SelectTypedSeries(env, c->tenant, *m, c->range);
  if (!series.ok()) return JsonError(series.status());
  std::set<storage::Labels> sets;
  for (TypedSeries& s : *series) {
    if (keep.empty()) {
      sets.insert(std::move(s.labels));
      continue;
    }
    storage::Labels l;
    for (const auto& kv : s.labels) {
      if (std::find(keep.begin(), keep.end(), kv.first) != keep.end()) l.push_back(kv);
    }
    sets.insert(std::move(l));
  }
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("label_sets").BeginArray();
  for (const storage::Labels& l : sets) WriteLabels(w, l);
  w.EndArray().EndObject();
  return HttpResponse::Json(std::move(out));
}

void WriteTop(JsonWriter& w, const TopTable& top) {
  w.Key("total").Int(top.total).Key("rows").BeginArray();
  for (const TopRow& r : top.rows) {
    w.BeginObject().Key("name").String(r.name).Key("flat").Int(r.flat);
    w.Key("flat_percent").Double(Percent(r.flat, top.total)).Key("cum").Int(r.cum);
    w.Key("cum_percent").Double(Percent(r.cum, top.total));
    if (r.inlined) w.Key("inline").Bool(true);
    w.EndObject();
  }
  w.EndArray();
}

// pprof's frame filters as query parameters (focus, ignore, hide, show, show_from,
// prune_from), checked before any data is read.
absl::StatusOr<profile::FrameFilters> FrameFilterParams(const HttpRequest& req) {
  profile::FrameFilters f;
  for (auto [name, field] : {std::pair{"focus", &f.focus}, std::pair{"ignore", &f.ignore},
                             std::pair{"hide", &f.hide}, std::pair{"show", &f.show},
                             std::pair{"show_from", &f.show_from},
                             std::pair{"prune_from", &f.prune_from}}) {
    *field = std::string(req.Param(name));
    if (auto re = profile::CompileRegexp(name, *field); !re.ok()) return re.status();
  }
  return f;
}

HttpResponse Merge(const QueryEnv& env, const HttpRequest& req) {
  auto c = ParseCommon(env, req);
  if (!c.ok()) return JsonError(c.status());
  auto sel = ParseQuery(req, "query", true);
  if (!sel.ok()) return JsonError(sel.status());
  std::string format(req.Param("format"));
  if (format.empty()) format = "flamegraph";
  if (format != "flamegraph" && format != "top" && format != "pprof" && format != "folded") {
    return JsonError(absl::InvalidArgumentError(
        fmt::format("format \"{}\" is not one of flamegraph, top, pprof, folded", format)));
  }
  auto max_nodes = IntParam(req, "max_nodes", 0);
  if (!max_nodes.ok()) return JsonError(max_nodes.status());
  auto nodes = query::ValidateMaxNodes(*max_nodes);
  if (!nodes.ok()) return JsonError(nodes.status());
  auto limit = IntParam(req, "limit", 0);
  if (!limit.ok() || *limit < 0) {
    return JsonError(limit.ok() ? absl::InvalidArgumentError("limit must be >= 0")
                                : limit.status());
  }
  MergeQuery q{c->tenant, sel->type, sel->matchers, c->range};
  q.span_ids = ListParam(req, "span_id");
  q.trace_ids = ListParam(req, "trace_id");
  q.group_by = ListParam(req, "group_by");
  auto frames = FrameFilterParams(req);
  if (!frames.ok()) return JsonError(frames.status());
  q.frames = std::move(*frames);
  if (!q.group_by.empty() && (format == "pprof" || format == "folded")) {
    return JsonError(absl::InvalidArgumentError("group_by applies to format=flamegraph and top"));
  }
  if (format == "pprof" || format == "folded") {
    auto p = MergeOne(env, q);
    if (!p.ok()) return JsonError(p.status());
    HttpResponse r;
    if (format == "folded") {
      r.body = p->samples.empty() ? "" : profile::CallTree::Build(*p, 0).ToFolded();
      return r;
    }
    r.content_type = "application/octet-stream";
    r.body = profile::EncodePprofGzip(*p);
    r.headers.emplace_back("Content-Disposition",
                           fmt::format("attachment; filename=\"{}.pb.gz\"", sel->type.name));
    return r;
  }
  auto result = RunMerge(env, q);
  if (!result.ok()) return JsonError(result.status());

  std::string out;
  JsonWriter w(&out);
  const profile::Profile* first = result->groups.empty() ? nullptr : &result->groups[0].profile;
  w.BeginObject();
  w.Key("profile_type").String(first ? TypeOf(*first, sel->type) : sel->type.ToString());
  w.Key("unit").String(first ? UnitOf(*first) : std::string_view(sel->type.sample_unit));
  w.Key("from").Int(c->range.from_ns / kMs).Key("until").Int(c->range.to_ns / kMs);
  w.Key("groups").BeginArray();
  for (const storage::MergeGroup& g : result->groups) {
    w.BeginObject().Key("labels");
    WriteLabels(w, g.group);
    if (format == "top") {
      auto top = TopOf(g.profile, static_cast<size_t>(*limit));
      if (!top.ok()) return JsonError(top.status());
      WriteTop(w, *top);
    } else {
      query::FlameTree tree = query::FlameTree::FromProfile(g.profile, 0);
      query::FlameTree cut = tree.Truncate(*nodes);
      w.Key("total")
          .Int(tree.total())
          .Key("truncated")
          .Bool(tree.size() > static_cast<size_t>(*nodes));
      w.Key("flamegraph");
      WriteTree(w, cut);
    }
    w.EndObject();
  }
  w.EndArray();
  WriteStats(w, result->stats, result->warnings);
  w.EndObject();
  return HttpResponse::Json(std::move(out));
}

HttpResponse Series(const QueryEnv& env, const HttpRequest& req) {
  auto c = ParseCommon(env, req);
  if (!c.ok()) return JsonError(c.status());
  auto sel = ParseQuery(req, "query", true);
  if (!sel.ok()) return JsonError(sel.status());
  int64_t step_ns = static_cast<int64_t>(
      query::CalcPointInterval(c->range.from_ns / kMs, c->range.to_ns / kMs) * 1e9);
  if (std::string_view s = req.Param("step"); !s.empty()) {
    double seconds;
    auto d = ParseDouble(s, &seconds) ? absl::StatusOr<int64_t>(static_cast<int64_t>(seconds * 1e9))
                                      : ParseDuration(s);
    if (!d.ok() || *d <= 0) {
      return JsonError(absl::InvalidArgumentError(
          fmt::format("step: \"{}\" is not a positive duration (e.g. 15s, 1m, or seconds)", s)));
    }
    step_ns = *d;
  }
  auto limit = IntParam(req, "limit", 0);
  if (!limit.ok()) return JsonError(limit.status());
  storage::SelectRequest sr;
  sr.tenant = c->tenant;
  sr.type = sel->type;
  sr.matchers = sel->matchers;
  // Buckets at multiples of step since the epoch, so points land on round times and stay put
  // as the window slides; the first bucket may begin before `from`.
  sr.range = {c->range.from_ns - c->range.from_ns % step_ns, c->range.to_ns};
  sr.group_by = ListParam(req, "group_by");
  sr.step_ns = step_ns;
  auto result = env.backend().SelectSeries(sr);
  if (!result.ok()) return JsonError(result.status());
  std::vector<std::pair<int64_t, const storage::SeriesResult*>> order;
  for (const storage::SeriesResult& s : result->series) {
    int64_t sum = 0;
    for (const storage::SeriesPoint& p : s.points) sum += p.value;
    order.emplace_back(sum, &s);
  }
  if (*limit > 0) {
    // Top-N by total, as Pyroscope's limit does.
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    if (order.size() > static_cast<size_t>(*limit)) order.resize(static_cast<size_t>(*limit));
  }
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("profile_type").String(sel->type.ToString());
  w.Key("unit").String(sel->type.sample_unit).Key("from").Int(sr.range.from_ns / kMs);
  w.Key("until").Int(c->range.to_ns / kMs).Key("step").Double(static_cast<double>(step_ns) / 1e9);
  w.Key("series").BeginArray();
  for (const auto& [sum, s] : order) {
    w.BeginObject().Key("labels");
    WriteLabels(w, s->group);
    w.Key("total").Int(sum).Key("points").BeginArray();
    for (const storage::SeriesPoint& p : s->points)
      w.BeginArray().Int(p.ts_ns / kMs).Int(p.value).EndArray();
    w.EndArray().EndObject();
  }
  w.EndArray();
  WriteStats(w, result->stats, result->warnings);
  w.EndObject();
  return HttpResponse::Json(std::move(out));
}

HttpResponse Diff(const QueryEnv& env, const HttpRequest& req) {
  auto tenant = TenantOf(env.parts, req);
  if (!tenant.ok()) return JsonError(tenant.status());
  const int64_t now = env.NowNs();
  auto shared = ParseRange(req, now);
  if (!shared.ok()) return JsonError(shared.status());
  // Each side: its own query/range, else the shared one.
  struct Side {
    std::string query;
    storage::TimeRange range;
    query::ParsedSelector sel;
  };
  Side sides[2];
  const char* names[2] = {"left", "right"};
  for (int i = 0; i < 2; ++i) {
    const std::string key = names[i];
    // left defaults to query; right to left (the same selector at another time).
    std::string text(req.Param(key));
    if (text.empty()) text = i == 0 ? std::string(req.Param("query")) : sides[0].query;
    if (text.empty()) {
      return JsonError(
          absl::InvalidArgumentError("left (or query) is required, e.g. left=process_cpu{...}"));
    }
    auto sel = query::ParseSelector(text);
    if (!sel.ok())
      return JsonError(
          absl::InvalidArgumentError(fmt::format("{}: {}", key, sel.status().message())));
    if (sel->type.name.empty()) {
      return JsonError(absl::InvalidArgumentError(fmt::format("{} needs a profile type", key)));
    }
    const std::string from_key = key + "_from", until_key = key + "_until";
    const std::string_view from = req.Param("from"), until = req.Param("until");
    auto range = ParseRange(req, now, from_key, until_key, from.empty() ? "now-1h" : from,
                            until.empty() ? "now" : until);
    if (!range.ok()) return JsonError(range.status());
    sides[i] = {text, *range, std::move(*sel)};
  }
  if (!(sides[0].sel.type == sides[1].sel.type)) {
    return JsonError(absl::InvalidArgumentError(
        fmt::format("left and right must have the same profile type ({} vs {})",
                    sides[0].sel.type.ToString(), sides[1].sel.type.ToString())));
  }
  auto max_nodes = IntParam(req, "max_nodes", 0);
  if (!max_nodes.ok()) return JsonError(max_nodes.status());
  auto nodes = query::ValidateMaxNodes(*max_nodes);
  if (!nodes.ok()) return JsonError(nodes.status());
  auto limit = IntParam(req, "limit", 0);
  if (!limit.ok()) return JsonError(limit.status());
  std::string format(req.Param("format"));
  if (format.empty()) format = "flamegraph";
  if (format != "flamegraph" && format != "pprof") {
    return JsonError(absl::InvalidArgumentError(
        fmt::format("format \"{}\" is not one of flamegraph, pprof", format)));
  }
  auto frames = FrameFilterParams(req);
  if (!frames.ok()) return JsonError(frames.status());
  profile::Profile profiles[2];
  for (int i = 0; i < 2; ++i) {
    MergeQuery q{*tenant, sides[i].sel.type, sides[i].sel.matchers, sides[i].range};
    q.frames = *frames;
    auto p = MergeOne(env, q);
    if (!p.ok()) return JsonError(p.status());
    profiles[i] = std::move(*p);
  }
  if (format == "pprof") {
    auto d = profile::SubtractBase(profiles[1], profiles[0], profile::BaseMode::kDiffBase, false);
    if (!d.ok()) return JsonError(d.status());
    HttpResponse r;
    r.content_type = "application/octet-stream";
    r.body = profile::EncodePprofGzip(*d);
    r.headers.emplace_back(
        "Content-Disposition",
        fmt::format("attachment; filename=\"{}.diff.pb.gz\"", sides[0].sel.type.name));
    return r;
  }
  query::FlameTree trees[2] = {query::FlameTree::FromProfile(profiles[0], 0),
                               query::FlameTree::FromProfile(profiles[1], 0)};
  // Functions compared on the whole trees, before any truncation.
  std::map<std::string, std::array<int64_t, 4>>
      table;  // left flat, left cum, right flat, right cum
  for (int i = 0; i < 2; ++i) {
    for (const query::FunctionTotals& f : query::FunctionTable(trees[i])) {
      auto& row = table[f.name];
      row[2 * i] = f.flat;
      row[2 * i + 1] = f.cum;
    }
  }
  std::vector<std::pair<const std::string*, const std::array<int64_t, 4>*>> rows;
  for (const auto& [name, v] : table) rows.emplace_back(&name, &v);
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return std::abs((*a.second)[2] - (*a.second)[0]) > std::abs((*b.second)[2] - (*b.second)[0]);
  });
  if (*limit > 0 && rows.size() > static_cast<size_t>(*limit))
    rows.resize(static_cast<size_t>(*limit));
  const query::DiffTree diff =
      query::CombineTrees(trees[0].Truncate(*nodes), trees[1].Truncate(*nodes));

  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("profile_type").String(TypeOf(profiles[0], sides[0].sel.type));
  w.Key("unit").String(UnitOf(profiles[0]));
  for (int i = 0; i < 2; ++i) {
    w.Key(names[i]).BeginObject().Key("query").String(sides[i].query);
    w.Key("from").Int(sides[i].range.from_ns / kMs).Key("until").Int(sides[i].range.to_ns / kMs);
    w.Key("total").Int(trees[i].total()).EndObject();
  }
  // Pre-order over the union tree; children in name order follow their parent.
  w.Key("flamegraph").BeginObject();
  std::vector<uint32_t> order;
  std::vector<int64_t> parent_of(diff.nodes.size(), -1);
  {
    std::vector<uint32_t> stack = {0};
    std::vector<int64_t> pos(diff.nodes.size());
    while (!stack.empty()) {
      const uint32_t i = stack.back();
      stack.pop_back();
      pos[i] = static_cast<int64_t>(order.size());
      order.push_back(i);
      const auto& n = diff.nodes[i];
      for (uint32_t ch = n.first_child + n.num_children; ch-- > n.first_child;) {
        parent_of[ch] = pos[i];
        stack.push_back(ch);
      }
    }
  }
  std::vector<int64_t> name_index(diff.names.size(), -1);
  std::vector<std::string_view> fnames = {"total"};
  name_index[0] = 0;
  w.Key("parent").BeginArray();
  for (uint32_t i : order) w.Int(parent_of[i]);
  w.EndArray().Key("name").BeginArray();
  for (uint32_t i : order) {
    const uint32_t id = diff.nodes[i].name;
    if (name_index[id] < 0) {
      name_index[id] = static_cast<int64_t>(fnames.size());
      fnames.push_back(diff.names[id]);
    }
    w.Int(name_index[id]);
  }
  w.EndArray();
  auto column = [&](std::string_view key, int64_t query::DiffTree::Node::*field) {
    w.Key(key).BeginArray();
    for (uint32_t i : order) w.Int(diff.nodes[i].*field);
    w.EndArray();
  };
  column("left_self", &query::DiffTree::Node::left_self);
  column("left_total", &query::DiffTree::Node::left_total);
  column("right_self", &query::DiffTree::Node::right_self);
  column("right_total", &query::DiffTree::Node::right_total);
  w.Key("names").BeginArray();
  for (std::string_view n : fnames) w.String(n);
  w.EndArray().EndObject();
  w.Key("table").BeginArray();
  for (const auto& [name, v] : rows) {
    w.BeginObject().Key("name").String(*name);
    w.Key("left_flat").Int((*v)[0]).Key("left_cum").Int((*v)[1]);
    w.Key("right_flat").Int((*v)[2]).Key("right_cum").Int((*v)[3]);
    w.Key("diff_flat").Int((*v)[2] - (*v)[0]).Key("diff_cum").Int((*v)[3] - (*v)[1]);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return HttpResponse::Json(std::move(out));
}

}  // namespace

void AddHearthRoutes(const QueryEnv& env, std::vector<QueryRoute>* routes) {
  auto add = [&](std::string path, std::string method,
                 HttpResponse (*fn)(const QueryEnv&, const HttpRequest&)) {
    routes->push_back({"GET", "/api/v1/" + path,
                       TimedHttp(env, "hearth", std::move(method),
                                 [env, fn](const HttpRequest& req) { return fn(env, req); })});
  };
  add("profile_types", "profile_types", ProfileTypes);
  add("labels", "labels", Labels);
  add("label_values", "label_values", LabelValues);
  add("label_sets", "label_sets", LabelSets);
  add("merge", "merge", Merge);
  add("series", "series", Series);
  add("diff", "diff", Diff);
}

}  // namespace hearth::server
