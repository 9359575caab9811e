// Pyroscope's legacy HTTP read endpoints (pkg/querier/http.go upstream), GET or POSTed form:
//
//   /pyroscope/render?query=<type>{...}&from=&until=&maxNodes=&groupBy=&aggregation=sum|avg
//       flamebearer JSON (query/flamebearer.h) with a timeline of step = range / 1500, >= 15 s
//   /pyroscope/render-diff?leftQuery=&leftFrom=&leftUntil=&rightQuery=&rightFrom=&rightUntil=
//       flamebearer "double" JSON
//   /pyroscope/label-values?label=  (label=__name__: the profile type ids)   /pyroscope/labels
//
// Errors are Connect-style JSON, as upstream's httputil.Error writes them.

#include <map>

#include "base/fmt.h"
#include "base/json_writer.h"
#include "base/strings.h"
#include "query/flamebearer.h"
#include "query/flamegraph.h"
#include "query/time.h"
#include "server/query_common.h"

namespace hearth::server {
namespace {

struct RenderSide {
  query::ParsedSelector sel;
  int64_t start_ms = 0, end_ms = 0;
};

absl::StatusOr<RenderSide> ParseRenderSide(const QueryEnv& env,
                                           const std::multimap<std::string, std::string>& form,
                                           std::string_view query_key, std::string_view from_key,
                                           std::string_view until_key) {
  const std::string text = FormValue(form, query_key);
  if (text.empty()) return absl::InvalidArgumentError(fmt::format("\"{}\" is required", query_key));
  auto sel = query::ParseSelector(text);
  if (!sel.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("failed to parse \"{}\": {}", query_key, sel.status().message()));
  }
  if (sel->type.name.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("\"{}\" must contain a profile-type selection", query_key));
  }
  const int64_t now = env.NowNs();
  RenderSide side{std::move(*sel)};
  int64_t ns[2];
  std::string_view keys[2] = {from_key, until_key};
  for (int i = 0; i < 2; ++i) {
    const std::string v = FormValue(form, keys[i]);
    auto t = v.empty() ? absl::StatusOr<int64_t>(now) : query::ParseTime(v, now);
    if (!t.ok())
      return absl::InvalidArgumentError(fmt::format("{}: {}", keys[i], t.status().message()));
    ns[i] = *t;
  }
  side.start_ms = ns[0] / 1000000;
  side.end_ms = ns[1] / 1000000;
  return side;
}

absl::StatusOr<int64_t> RenderMaxNodes(const std::multimap<std::string, std::string>& form) {
  int64_t n = 0;
  for (const char* key : {"max-nodes", "maxNodes"}) {
    int64_t v;
    if (ParseInt(FormValue(form, key), &v) && v != 0) n = v;
  }
  return n;
}

HttpResponse Render(const QueryEnv& env, const HttpRequest& req) {
  auto tenant = TenantOf(env.parts, req);
  if (!tenant.ok()) return ConnectError(tenant.status());
  const auto form = FormParams(req);
  auto side = ParseRenderSide(env, form, "query", "from", "until");
  if (!side.ok()) return ConnectError(side.status());
  if (FormValue(form, "format") == "dot") {
    return ConnectError(absl::UnimplementedError("format=dot is not supported; use json"));
  }
  auto asked = RenderMaxNodes(form);
  auto max_nodes = query::ValidateMaxNodes(*asked);
  if (!max_nodes.ok()) return ConnectError(max_nodes.status());
  const storage::TimeRange range = RangeFromMs(side->start_ms, side->end_ms, env.NowNs());
  MergeQuery mq{*tenant, side->sel.type, side->sel.matchers, range};
  auto merged = MergeOne(env, mq);
  if (!merged.ok()) return ConnectError(merged.status());
  storage::ProfileTypeId type = side->sel.type;
  if (!merged->sample_types.empty()) {  // short types resolve to the series' default value
    type.sample_type = merged->Str(merged->sample_types[0].type);
    type.sample_unit = merged->Str(merged->sample_types[0].unit);
  }
  query::FlameTree tree = query::FlameTree::FromProfile(*merged, 0).Truncate(*max_nodes);
  const query::FlameGraph fg = query::NewFlameGraph(tree, *asked);

  const double step = query::CalcPointInterval(side->start_ms, side->end_ms);
  SeriesQuery sq{*tenant, side->sel.type, side->sel.matchers, range,
                 static_cast<int64_t>(step * 1e9)};
  sq.group_by = FormValues(form, "groupBy");
  sq.average = FormValue(form, "aggregation") == "avg";
  auto series = RunSeries(env, sq);
  if (!series.ok()) return ConnectError(series.status());
  auto timeline_of = [&](const SeriesOut* s) {
    std::vector<query::TimelinePoint> pts;
    if (s != nullptr) {
      for (const auto& [ts, v] : s->points) pts.push_back({ts, v});
    }
    return query::NewTimeline(pts, side->start_ms, side->end_ms, static_cast<int64_t>(step));
  };
  const query::FlamebearerTimeline timeline =
      timeline_of(series->size() == 1 ? &(*series)[0] : nullptr);
  std::map<std::string, query::FlamebearerTimeline> groups;
  if (!sq.group_by.empty()) {
    for (const SeriesOut& s : *series) {
      groups[std::string(FindLabel(s.labels, sq.group_by[0]).value_or("*"))] = timeline_of(&s);
    }
  }
  return HttpResponse::Json(query::RenderFlamebearer(
      fg, query::FlamebearerMetadataFor(type), &timeline, sq.group_by.empty() ? nullptr : &groups));
}

HttpResponse RenderDiff(const QueryEnv& env, const HttpRequest& req) {
  auto tenant = TenantOf(env.parts, req);
  if (!tenant.ok()) return ConnectError(tenant.status());
  const auto form = FormParams(req);
  auto left = ParseRenderSide(env, form, "leftQuery", "leftFrom", "leftUntil");
  if (!left.ok()) return ConnectError(left.status());
  auto right = ParseRenderSide(env, form, "rightQuery", "rightFrom", "rightUntil");
  if (!right.ok()) return ConnectError(right.status());
  if (!(left->sel.type == right->sel.type)) {
    return ConnectError(absl::InvalidArgumentError("profile types must match"));
  }
  auto max_nodes = query::ValidateMaxNodes(*RenderMaxNodes(form));
  if (!max_nodes.ok()) return ConnectError(max_nodes.status());
  query::FlameTree trees[2];
  storage::ProfileTypeId type = left->sel.type;
  RenderSide* sides[2] = {&*left, &*right};
  for (int i = 0; i < 2; ++i) {
    auto p = MergeOne(env, {*tenant, sides[i]->sel.type, sides[i]->sel.matchers,
                            RangeFromMs(sides[i]->start_ms, sides[i]->end_ms, env.NowNs())});
    if (!p.ok()) return ConnectError(p.status());
    if (!p->sample_types.empty() && type.sample_type.empty()) {
      type.sample_type = p->Str(p->sample_types[0].type);
      type.sample_unit = p->Str(p->sample_types[0].unit);
    }
    trees[i] = query::FlameTree::FromProfile(*p, 0).Truncate(*max_nodes);
  }
  auto d = query::NewFlameGraphDiff(trees[0], trees[1], *max_nodes);
  if (!d.ok()) return ConnectError(d.status());
  return HttpResponse::Json(query::RenderFlamebearerDiff(*d, type));
}

HttpResponse JsonStrings(const std::vector<std::string>& v) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  for (const std::string& s : v) w.String(s);
  w.EndArray();
  out.push_back('\n');
  return HttpResponse::Json(std::move(out));
}

HttpResponse LegacyLabelValues(const QueryEnv& env, const HttpRequest& req) {
  auto tenant = TenantOf(env.parts, req);
  if (!tenant.ok()) return ConnectError(tenant.status());
  const std::string label(req.Param("label"));
  if (label.empty()) return ConnectError(absl::InvalidArgumentError("label parameter is required"));
  const storage::TimeRange range = RangeFromMs(0, 0, env.NowNs());
  std::vector<std::string> out;
  if (label == storage::kNameLabel) {  // the profile type ids, as upstream answers
    auto types = env.backend().ProfileTypes({*tenant, {}, range});
    if (!types.ok()) return ConnectError(types.status());
    for (const auto& t : *types) out.push_back(t.ToString());
  } else {
    auto v = LabelsOf(env, *tenant, {}, range, &label);
    if (!v.ok()) return ConnectError(v.status());
    out = std::move(*v);
  }
  return JsonStrings(out);
}

HttpResponse LegacyLabels(const QueryEnv& env, const HttpRequest& req) {
  auto tenant = TenantOf(env.parts, req);
  if (!tenant.ok()) return ConnectError(tenant.status());
  auto v = LabelsOf(env, *tenant, {}, RangeFromMs(0, 0, env.NowNs()), nullptr);
  if (!v.ok()) return ConnectError(v.status());
  return JsonStrings(*v);
}
}  // namespace

void AddPyroscopeRoutes(const QueryEnv& env, std::vector<QueryRoute>* routes) {
  auto add = [&](const char* method, std::string path, std::string name,
                 HttpResponse (*fn)(const QueryEnv&, const HttpRequest&)) {
    routes->push_back({method, std::move(path),
                       TimedHttp(env, "pyroscope", std::move(name),
                                 [env, fn](const HttpRequest& req) { return fn(env, req); })});
  };
  for (const char* m : {"GET", "POST"}) {
    add(m, "/pyroscope/render", "render", Render);
    add(m, "/pyroscope/render-diff", "render-diff", RenderDiff);
  }
  add("GET", "/pyroscope/label-values", "label-values", LegacyLabelValues);
  add("GET", "/pyroscope/labels", "labels", LegacyLabels);
}

}  // namespace hearth::server
