// Pyroscope's read path: querier.v1.QuerierService, through the RPC registry (Connect
// proto/JSON and gRPC). The legacy HTTP endpoints are in query_pyroscope_render.cc. Times are
// Unix milliseconds; label selectors use our selector syntax; profile_typeID is the full
// 5-part id (":delta" tolerated).

#include <algorithm>
#include <map>
#include <set>

#include "base/fmt.h"
#include "base/json_writer.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "profile/pprof_codec.h"
#include "pyroscope/querier/v1/querier.pb.h"
#include "pyroscope/types/v1/types.pb.h"
#include "query/flamebearer.h"
#include "query/flamegraph.h"
#include "query/time.h"
#include "server/query_common.h"

namespace hearth::server {
namespace {

using storage::Matcher;
namespace qv1 = ::querier::v1;
namespace tv1 = ::types::v1;

constexpr std::string_view kService = "/querier.v1.QuerierService/";

// The merge part of a SelectMergeStacktraces-shaped request.
struct Selection {
  MergeQuery merge;
  int64_t max_nodes = 0;  // as sent (0: not set)
};

absl::StatusOr<Selection> SelectionOf(const QueryEnv& env, const std::string& tenant,
                                      std::string_view type_id, std::string_view label_selector,
                                      int64_t start_ms, int64_t end_ms) {
  Selection s;
  s.merge.tenant = tenant;
  HEARTH_ASSIGN_OR_RETURN(s.merge.type, ParsePyroscopeType(type_id));
  HEARTH_ASSIGN_OR_RETURN(s.merge.matchers, ParseLabelSelector(label_selector));
  s.merge.range = RangeFromMs(start_ms, end_ms, env.NowNs());
  return s;
}

absl::Status CheckUnsupported(bool has_stack_trace_selector, int profile_ids) {
  if (has_stack_trace_selector) {
    return absl::UnimplementedError("stack_trace_selector (call_site, go_pgo) is not supported");
  }
  if (profile_ids > 0) {
    return absl::UnimplementedError(
        "profile_id_selector is not supported: Hearth does not keep profile ids");
  }
  return absl::OkStatus();
}

absl::StatusOr<query::FlameTree> MergedTree(const QueryEnv& env, const MergeQuery& q) {
  HEARTH_ASSIGN_OR_RETURN(profile::Profile p, MergeOne(env, q));
  return query::FlameTree::FromProfile(p, 0);
}

void ToProto(const query::FlameGraph& fg, qv1::FlameGraph* out) {
  for (const std::string& n : fg.names) out->add_names(n);
  for (const auto& level : fg.levels) {
    auto* l = out->add_levels();
    l->mutable_values()->Add(level.begin(), level.end());
  }
  out->set_total(fg.total);
  out->set_max_self(fg.max_self);
}

absl::StatusOr<google::v1::Profile> PprofMessage(const profile::Profile& p) {
  google::v1::Profile out;
  // Our encoder writes pprof's wire format, which google.v1.Profile shares.
  if (!out.ParseFromString(profile::EncodePprof(p))) {
    return absl::InternalError("the merged profile does not parse as google.v1.Profile");
  }
  return out;
}

// Flame graph or tree bytes of a merge, as SelectMergeStacktraces and SelectMergeSpanProfile
// answer: the tree is truncated at max_nodes (default 8192), then the flame graph is built
// with the max_nodes as sent (Pyroscope's frontend does the same).
template <typename Resp>
absl::StatusOr<Resp> FlameResponse(const QueryEnv& env, const Selection& s,
                                   qv1::ProfileFormat format) {
  HEARTH_ASSIGN_OR_RETURN(int64_t max_nodes, query::ValidateMaxNodes(s.max_nodes));
  HEARTH_ASSIGN_OR_RETURN(query::FlameTree tree, MergedTree(env, s.merge));
  query::FlameTree cut = tree.Truncate(max_nodes);
  Resp resp;
  if (format == qv1::PROFILE_FORMAT_TREE) {
    resp.set_tree(cut.TreeBytes());
  } else {
    ToProto(query::NewFlameGraph(cut, s.max_nodes), resp.mutable_flamegraph());
  }
  return resp;
}

absl::StatusOr<qv1::SelectMergeStacktracesResponse> SelectMergeStacktraces(
    const QueryEnv& env, const CallContext& ctx, const qv1::SelectMergeStacktracesRequest& req) {
  if (req.span_selector_size() > 0 && req.trace_id_selector_size() > 0) {
    return absl::InvalidArgumentError("span_selector and trace_id_selector cannot be combined");
  }
  HEARTH_RETURN_IF_ERROR(
      CheckUnsupported(req.has_stack_trace_selector(), req.profile_id_selector_size()));
  HEARTH_ASSIGN_OR_RETURN(Selection s, SelectionOf(env, ctx.tenant, req.profile_typeid(),
                                                   req.label_selector(), req.start(), req.end()));
  s.max_nodes = req.max_nodes();
  s.merge.span_ids.assign(req.span_selector().begin(), req.span_selector().end());
  s.merge.trace_ids.assign(req.trace_id_selector().begin(), req.trace_id_selector().end());
  switch (req.format()) {
    case qv1::PROFILE_FORMAT_DOT:
      return absl::UnimplementedError(
          "PROFILE_FORMAT_DOT is not supported; use FLAMEGRAPH, TREE or PPROF");
    case qv1::PROFILE_FORMAT_PPROF: {
      HEARTH_ASSIGN_OR_RETURN(profile::Profile p, MergeOne(env, s.merge));
      qv1::SelectMergeStacktracesResponse resp;
      HEARTH_ASSIGN_OR_RETURN(*resp.mutable_pprof()->mutable_profile(), PprofMessage(p));
      return resp;
    }
    default: return FlameResponse<qv1::SelectMergeStacktracesResponse>(env, s, req.format());
  }
}

absl::StatusOr<qv1::DiffResponse> Diff(const QueryEnv& env, const CallContext& ctx,
                                       const qv1::DiffRequest& req) {
  const int64_t asked = std::max(req.left().max_nodes(), req.right().max_nodes());
  HEARTH_ASSIGN_OR_RETURN(int64_t max_nodes, query::ValidateMaxNodes(asked));
  query::FlameTree trees[2];
  const qv1::SelectMergeStacktracesRequest* sides[2] = {&req.left(), &req.right()};
  for (int i = 0; i < 2; ++i) {
    const auto& r = *sides[i];
    HEARTH_RETURN_IF_ERROR(
        CheckUnsupported(r.has_stack_trace_selector(), r.profile_id_selector_size()));
    HEARTH_ASSIGN_OR_RETURN(Selection s, SelectionOf(env, ctx.tenant, r.profile_typeid(),
                                                     r.label_selector(), r.start(), r.end()));
    s.merge.span_ids.assign(r.span_selector().begin(), r.span_selector().end());
    s.merge.trace_ids.assign(r.trace_id_selector().begin(), r.trace_id_selector().end());
    HEARTH_ASSIGN_OR_RETURN(query::FlameTree t, MergedTree(env, s.merge));
    trees[i] = t.Truncate(max_nodes);
  }
  HEARTH_ASSIGN_OR_RETURN(query::FlameGraphDiff d,
                          query::NewFlameGraphDiff(trees[0], trees[1], max_nodes));
  qv1::DiffResponse resp;
  qv1::FlameGraphDiff* out = resp.mutable_flamegraph();
  for (const std::string& n : d.names) out->add_names(n);
  for (const auto& level : d.levels)
    out->add_levels()->mutable_values()->Add(level.begin(), level.end());
  out->set_total(d.total);
  out->set_max_self(d.max_self);
  out->set_leftticks(d.left_ticks);
  out->set_rightticks(d.right_ticks);
  return resp;
}

absl::StatusOr<qv1::SelectSeriesResponse> SelectSeries(const QueryEnv& env, const CallContext& ctx,
                                                       const qv1::SelectSeriesRequest& req) {
  if (req.has_stack_trace_selector()) {
    return absl::UnimplementedError("stack_trace_selector is not supported in SelectSeries");
  }
  if (!(req.step() > 0)) return absl::InvalidArgumentError("step must be > 0 (seconds)");
  HEARTH_ASSIGN_OR_RETURN(Selection s, SelectionOf(env, ctx.tenant, req.profile_typeid(),
                                                   req.label_selector(), req.start(), req.end()));
  SeriesQuery q{ctx.tenant, s.merge.type, s.merge.matchers, s.merge.range,
                static_cast<int64_t>(req.step() * 1e9)};
  q.group_by.assign(req.group_by().begin(), req.group_by().end());
  q.average = req.aggregation() == tv1::TIME_SERIES_AGGREGATION_TYPE_AVERAGE;
  q.limit = req.limit();
  HEARTH_ASSIGN_OR_RETURN(std::vector<SeriesOut> series, RunSeries(env, q));
  qv1::SelectSeriesResponse resp;
  for (const SeriesOut& so : series) {
    tv1::Series* out = resp.add_series();
    for (const auto& [k, v] : so.labels) {
      auto* l = out->add_labels();
      l->set_name(k);
      l->set_value(v);
    }
    for (const auto& [ts, v] : so.points) {
      auto* p = out->add_points();
      p->set_timestamp(ts);
      p->set_value(v);
    }
  }
  return resp;
}

absl::StatusOr<qv1::SeriesResponse> Series(const QueryEnv& env, const CallContext& ctx,
                                           const qv1::SeriesRequest& req) {
  const storage::TimeRange range = RangeFromMs(req.start(), req.end(), env.NowNs());
  std::vector<std::string> texts(req.matchers().begin(), req.matchers().end());
  if (texts.empty()) texts.emplace_back();
  const std::vector<std::string> keep(req.label_names().begin(), req.label_names().end());
  const bool derived = keep.empty() || std::any_of(keep.begin(), keep.end(), IsProfileTypeLabel);
  std::set<storage::Labels> sets;
  auto add = [&](const storage::Labels& labels) {
    if (keep.empty()) {
      sets.insert(labels);
      return;
    }
    storage::Labels l;
    for (const auto& kv : labels) {
      if (std::find(keep.begin(), keep.end(), kv.first) != keep.end()) l.push_back(kv);
    }
    sets.insert(std::move(l));
  };
  for (const std::string& text : texts) {
    HEARTH_ASSIGN_OR_RETURN(std::vector<Matcher> m, ParseLabelSelector(text));
    if (derived || HasProfileTypeMatchers(m)) {
      HEARTH_ASSIGN_OR_RETURN(std::vector<TypedSeries> series,
                              SelectTypedSeries(env, ctx.tenant, m, range));
      for (const TypedSeries& s : series) add(s.labels);
    } else {
      HEARTH_ASSIGN_OR_RETURN(std::vector<storage::Labels> series,
                              env.backend().Series({ctx.tenant, m, range}));
      for (const storage::Labels& s : series) add(s);
    }
  }
  qv1::SeriesResponse resp;
  for (const storage::Labels& labels : sets) {
    tv1::Labels* out = resp.add_labels_set();
    for (const auto& [k, v] : labels) {
      auto* l = out->add_labels();
      l->set_name(k);
      l->set_value(v);
    }
  }
  return resp;
}

// Oldest and newest profile times: an hourly scan of everything, then the two edge hours
// at one-second resolution from raw rows.
absl::StatusOr<tv1::GetProfileStatsResponse> ProfileStats(const QueryEnv& env,
                                                          const CallContext& ctx) {
  const int64_t now = env.NowNs();
  const storage::TimeRange all{0, now + storage::kHourNs};
  HEARTH_ASSIGN_OR_RETURN(std::vector<storage::ProfileTypeId> types,
                          env.backend().ProfileTypes({ctx.tenant, {}, all}));
  tv1::GetProfileStatsResponse resp;
  if (types.empty()) return resp;
  resp.set_data_ingested(true);
  int64_t oldest = INT64_MAX, newest = INT64_MIN;
  std::set<std::string> families;
  for (const storage::ProfileTypeId& t : types) {
    if (!families.insert(t.name).second) continue;
    storage::SelectRequest r;
    r.tenant = ctx.tenant;
    r.type = t;
    r.range = all;
    r.step_ns = storage::kHourNs;
    HEARTH_ASSIGN_OR_RETURN(storage::SeriesQueryResult hours, env.backend().SelectSeries(r));
    if (hours.series.empty() || hours.series[0].points.empty()) continue;
    const auto& pts = hours.series[0].points;
    r.step_ns = 1000000000;
    r.use_rollups = false;
    for (int64_t hour : {pts.front().ts_ns, pts.back().ts_ns}) {
      r.range = {hour, hour + storage::kHourNs};
      HEARTH_ASSIGN_OR_RETURN(storage::SeriesQueryResult secs, env.backend().SelectSeries(r));
      const bool have = !secs.series.empty() && !secs.series[0].points.empty();
      oldest = std::min(oldest, have ? secs.series[0].points.front().ts_ns : hour);
      newest = std::max(newest, have ? secs.series[0].points.back().ts_ns : hour);
    }
  }
  if (oldest != INT64_MAX) {
    resp.set_oldest_profile_time(oldest / 1000000);
    resp.set_newest_profile_time(newest / 1000000);
  }
  return resp;
}

}  // namespace

void AddPyroscopeRpcs(const QueryEnv& env, RpcRegistry& rpc) {
  const std::string s(kService);
  AddTimedRpc<qv1::ProfileTypesRequest, qv1::ProfileTypesResponse>(
      env, rpc, "pyroscope", s + "ProfileTypes",
      [env](const CallContext& ctx,
            const qv1::ProfileTypesRequest& req) -> absl::StatusOr<qv1::ProfileTypesResponse> {
        HEARTH_ASSIGN_OR_RETURN(
            std::vector<storage::ProfileTypeId> types,
            env.backend().ProfileTypes(
                {ctx.tenant, {}, RangeFromMs(req.start(), req.end(), env.NowNs())}));
        qv1::ProfileTypesResponse resp;
        for (const storage::ProfileTypeId& t : types) {
          tv1::ProfileType* out = resp.add_profile_types();
          out->set_id(t.ToString());
          out->set_name(t.name);
          out->set_sample_type(t.sample_type);
          out->set_sample_unit(t.sample_unit);
          out->set_period_type(t.period_type);
          out->set_period_unit(t.period_unit);
        }
        return resp;
      });
  AddTimedRpc<tv1::LabelNamesRequest, tv1::LabelNamesResponse>(
      env, rpc, "pyroscope", s + "LabelNames",
      [env](const CallContext& ctx,
            const tv1::LabelNamesRequest& req) -> absl::StatusOr<tv1::LabelNamesResponse> {
        HEARTH_ASSIGN_OR_RETURN(
            std::vector<std::string> names,
            LabelsOf(env, ctx.tenant, {req.matchers().begin(), req.matchers().end()},
                     RangeFromMs(req.start(), req.end(), env.NowNs()), nullptr));
        tv1::LabelNamesResponse resp;
        for (std::string& n : names) resp.add_names(std::move(n));
        return resp;
      });
  AddTimedRpc<tv1::LabelValuesRequest, tv1::LabelValuesResponse>(
      env, rpc, "pyroscope", s + "LabelValues",
      [env](const CallContext& ctx,
            const tv1::LabelValuesRequest& req) -> absl::StatusOr<tv1::LabelValuesResponse> {
        if (req.name().empty()) return absl::InvalidArgumentError("name is required");
        HEARTH_ASSIGN_OR_RETURN(
            std::vector<std::string> values,
            LabelsOf(env, ctx.tenant, {req.matchers().begin(), req.matchers().end()},
                     RangeFromMs(req.start(), req.end(), env.NowNs()), &req.name()));
        tv1::LabelValuesResponse resp;
        for (std::string& v : values) resp.add_names(std::move(v));
        return resp;
      });
  AddTimedRpc<qv1::SeriesRequest, qv1::SeriesResponse>(
      env, rpc, "pyroscope", s + "Series",
      [env](const CallContext& ctx, const qv1::SeriesRequest& req) {
        return Series(env, ctx, req);
      });
  AddTimedRpc<qv1::SelectMergeStacktracesRequest, qv1::SelectMergeStacktracesResponse>(
      env, rpc, "pyroscope", s + "SelectMergeStacktraces",
      [env](const CallContext& ctx, const qv1::SelectMergeStacktracesRequest& req) {
        return SelectMergeStacktraces(env, ctx, req);
      });
  AddTimedRpc<qv1::SelectMergeSpanProfileRequest, qv1::SelectMergeSpanProfileResponse>(
      env, rpc, "pyroscope", s + "SelectMergeSpanProfile",
      [env](const CallContext& ctx, const qv1::SelectMergeSpanProfileRequest& req)
          -> absl::StatusOr<qv1::SelectMergeSpanProfileResponse> {
        HEARTH_ASSIGN_OR_RETURN(
            Selection sel, SelectionOf(env, ctx.tenant, req.profile_typeid(), req.label_selector(),
                                       req.start(), req.end()));
        sel.max_nodes = req.max_nodes();
        sel.merge.span_ids.assign(req.span_selector().begin(), req.span_selector().end());
        if (sel.merge.span_ids.empty()) {
          return absl::InvalidArgumentError("span_selector must name at least one span id");
        }
        return FlameResponse<qv1::SelectMergeSpanProfileResponse>(env, sel, req.format());
      });
  AddTimedRpc<qv1::SelectMergeProfileRequest, google::v1::Profile>(
      env, rpc, "pyroscope", s + "SelectMergeProfile",
      [env](const CallContext& ctx,
            const qv1::SelectMergeProfileRequest& req) -> absl::StatusOr<google::v1::Profile> {
        HEARTH_RETURN_IF_ERROR(
            CheckUnsupported(req.has_stack_trace_selector(), req.profile_id_selector_size()));
        HEARTH_ASSIGN_OR_RETURN(
            Selection sel, SelectionOf(env, ctx.tenant, req.profile_typeid(), req.label_selector(),
                                       req.start(), req.end()));
        sel.merge.trace_ids.assign(req.trace_id_selector().begin(), req.trace_id_selector().end());
        HEARTH_ASSIGN_OR_RETURN(profile::Profile p, MergeOne(env, sel.merge));
        return PprofMessage(p);
      });
  AddTimedRpc<qv1::SelectSeriesRequest, qv1::SelectSeriesResponse>(
      env, rpc, "pyroscope", s + "SelectSeries",
      [env](const CallContext& ctx, const qv1::SelectSeriesRequest& req) {
        return SelectSeries(env, ctx, req);
      });
  AddTimedRpc<qv1::DiffRequest, qv1::DiffResponse>(
      env, rpc, "pyroscope", s + "Diff",
      [env](const CallContext& ctx, const qv1::DiffRequest& req) { return Diff(env, ctx, req); });
  AddTimedRpc<tv1::GetProfileStatsRequest, tv1::GetProfileStatsResponse>(
      env, rpc, "pyroscope", s + "GetProfileStats",
      [env](const CallContext& ctx, const tv1::GetProfileStatsRequest&) {
        return ProfileStats(env, ctx);
      });
  AddTimedRpc<qv1::SelectHeatmapRequest, qv1::SelectHeatmapResponse>(
      env, rpc, "pyroscope", s + "SelectHeatmap",
      [](const CallContext&,
         const qv1::SelectHeatmapRequest&) -> absl::StatusOr<qv1::SelectHeatmapResponse> {
        return absl::UnimplementedError(
            "SelectHeatmap is not supported: Hearth keeps no per-profile values");
      });
  AddTimedRpc<qv1::AnalyzeQueryRequest, qv1::AnalyzeQueryResponse>(
      env, rpc, "pyroscope", s + "AnalyzeQuery",
      [](const CallContext&,
         const qv1::AnalyzeQueryRequest&) -> absl::StatusOr<qv1::AnalyzeQueryResponse> {
        return absl::UnimplementedError("AnalyzeQuery is not supported");
      });
}

}  // namespace hearth::server
