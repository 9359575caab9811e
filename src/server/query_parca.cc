// Parca's read API, parca.query.v1alpha1.QueryService, through the RPC registry (gRPC and
// Connect). Queries are `name:sample_type:sample_unit:period_type:period_unit[:delta]{...}`
// with Prometheus matchers; times are google.protobuf.Timestamp.
//
// Reports: PPROF (gzipped pprof) and TOP for single, merge and diff queries. The Arrow-based
// reports Parca's own UI draws (flame graph arrow, table arrow, source ...) are Unimplemented
// with a message that names what is served instead.

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "base/fmt.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "parca/query/v1alpha1/query.pb.h"
#include "profile/merge.h"
#include "profile/pprof_codec.h"
#include "query/flamebearer.h"
#include "server/query_common.h"

namespace hearth::server {
namespace {

using storage::Matcher;
namespace pq = ::parca::query::v1alpha1;

constexpr std::string_view kService = "/parca.query.v1alpha1.QueryService/";

int64_t TsNs(const google::protobuf::Timestamp& t) { return t.seconds() * 1000000000 + t.nanos(); }

void SetTs(google::protobuf::Timestamp* t, int64_t ns) {
  t->set_seconds(ns / 1000000000);
  t->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

// Values of these types are "right now" amounts, not counts over an interval (Parca's
// non-delta profiles).
bool IsInstant(std::string_view sample_type) {
  return sample_type == "inuse_space" || sample_type == "inuse_objects" ||
         sample_type == "goroutine" || sample_type == "goroutines" || sample_type == "threadcreate";
}

// `name:...:punit[:delta]{...}` -> our selector (the delta marker is implied by the type).
absl::StatusOr<query::ParsedSelector> ParseParcaQuery(std::string_view text) {
  text = TrimSpace(text);
  const size_t brace = std::min(text.find('{'), text.size());
  std::string_view type = text.substr(0, brace);
  if (type.ends_with(":delta")) type.remove_suffix(6);
  return query::ParseSelector(fmt::format("{}{}", type, text.substr(brace)));
}

absl::StatusOr<query::ParsedSelector> ParseTypedQuery(std::string_view text) {
  HEARTH_ASSIGN_OR_RETURN(query::ParsedSelector sel, ParseParcaQuery(text));
  if (sel.type.name.empty()) {
    return absl::InvalidArgumentError(
        "query needs a profile type, e.g. process_cpu:cpu:nanoseconds:cpu:nanoseconds:delta{...}");
  }
  return sel;
}

storage::TimeRange RangeOf(const QueryEnv& env, bool has_start,
                           const google::protobuf::Timestamp& start, bool has_end,
                           const google::protobuf::Timestamp& end) {
  const int64_t now = env.NowNs();
  return {has_start ? TsNs(start) : 0, has_end ? TsNs(end) + 1 : now + 1};
}

// Series matchers of Labels/Values requests: any of `match`, within profile_type if set.
absl::StatusOr<std::vector<std::vector<Matcher>>> MatcherSets(
    const google::protobuf::RepeatedPtrField<std::string>& match, bool has_type,
    const std::string& type) {
  std::vector<Matcher> base;
  if (has_type && !type.empty()) {
    HEARTH_ASSIGN_OR_RETURN(query::ParsedSelector t, ParseParcaQuery(type));
    base.push_back({std::string(storage::kNameLabel), Matcher::Op::kEq, t.type.name});
  }
  std::vector<std::vector<Matcher>> out;
  for (const std::string& m : match) {
    HEARTH_ASSIGN_OR_RETURN(query::ParsedSelector sel, ParseParcaQuery(m));
    std::vector<Matcher> set = base;
    set.insert(set.end(), sel.matchers.begin(), sel.matchers.end());
    if (!sel.type.name.empty()) {
      set.push_back({std::string(storage::kNameLabel), Matcher::Op::kEq, sel.type.name});
    }
    out.push_back(std::move(set));
  }
  if (out.empty()) out.push_back(base);
  return out;
}

// One side of a query: a merge over a range, or the profile(s) stamped within a second of
// a time (the store keeps profile times, not ids).
absl::StatusOr<profile::Profile> Select(const QueryEnv& env, const std::string& tenant, bool single,
                                        const pq::MergeProfile& merge,
                                        const pq::SingleProfile& one) {
  const std::string& text = single ? one.query() : merge.query();
  HEARTH_ASSIGN_OR_RETURN(query::ParsedSelector sel, ParseTypedQuery(text));
  storage::TimeRange range;
  if (single) {
    const int64_t t = TsNs(one.time());
    range = {t, t + 1000000000};
  } else {
    range = {TsNs(merge.start()), TsNs(merge.end()) + 1};
  }
  HEARTH_ASSIGN_OR_RETURN(profile::Profile p,
                          MergeOne(env, {tenant, sel.type, sel.matchers, range}));
  if (single && p.samples.empty()) {
    return absl::NotFoundError(fmt::format("no profile matching {} at {} ns", text, range.from_ns));
  }
  return p;
}

void SetTopRow(pq::TopNode* n, const std::string& name, int64_t flat, int64_t cum, int64_t diff) {
  n->mutable_meta()->mutable_function()->set_name(name);
  n->set_flat(flat);
  n->set_cumulative(cum);
  n->set_diff(diff);
}

absl::StatusOr<pq::QueryResponse> Query(const QueryEnv& env, const CallContext& ctx,
                                        const pq::QueryRequest& req) {
  const auto report = req.report_type();
  if (report != pq::QueryRequest::REPORT_TYPE_PPROF &&
      report != pq::QueryRequest::REPORT_TYPE_TOP) {
    return absl::UnimplementedError(fmt::format(
        "report type {} is not supported by Hearth; use REPORT_TYPE_PPROF or REPORT_TYPE_TOP "
        "(or Hearth's /api/v1/merge and Pyroscope's SelectMergeStacktraces for flame graphs)",
        pq::QueryRequest::ReportType_Name(report)));
  }
  if (req.filter_size() > 0 || (req.has_filter_query() && !req.filter_query().empty()) ||
      req.has_runtime_filter() ||
      (req.has_sandwich_by_function() && !req.sandwich_by_function().empty()) ||
      req.invert_call_stack()) {
    return absl::UnimplementedError("filters, sandwich and inverted call stacks are not supported");
  }
  pq::QueryResponse resp;
  if (req.mode() != pq::QueryRequest::MODE_DIFF) {
    const bool single = req.mode() == pq::QueryRequest::MODE_SINGLE_UNSPECIFIED;
    if (single ? !req.has_single() : !req.has_merge()) {
      return absl::InvalidArgumentError(fmt::format("mode {} needs the {} options",
                                                    pq::QueryRequest::Mode_Name(req.mode()),
                                                    single ? "single" : "merge"));
    }
    HEARTH_ASSIGN_OR_RETURN(profile::Profile p,
                            Select(env, ctx.tenant, single, req.merge(), req.single()));
    if (report == pq::QueryRequest::REPORT_TYPE_PPROF) {
      resp.set_pprof(profile::EncodePprofGzip(p));
      resp.set_total(p.samples.empty() ? 0 : p.Total(0));
      return resp;
    }
    HEARTH_ASSIGN_OR_RETURN(TopTable top, TopOf(p, 0));
    pq::Top* out = resp.mutable_top();
    for (const TopRow& r : top.rows) SetTopRow(out->add_list(), r.name, r.flat, r.cum, 0);
    // Top.reported and Top.total count nodes (as Parca fills them); the value total is
    // QueryResponse.total.
    out->set_reported(out->list_size());
    out->set_total(out->list_size());
    out->set_unit(p.sample_types.empty() ? "" : std::string(p.Str(p.sample_types[0].unit)));
    resp.set_total(top.total);
    return resp;
  }

  if (!req.has_diff())
    return absl::InvalidArgumentError(
        "requested diff mode, but did not provide parameters for diff");
  const pq::DiffProfile& d = req.diff();
  profile::Profile sides[2];
  const pq::ProfileDiffSelection* sel[2] = {&d.a(), &d.b()};
  for (int i = 0; i < 2; ++i) {
    const bool single = sel[i]->mode() == pq::ProfileDiffSelection::MODE_SINGLE_UNSPECIFIED;
    auto p = Select(env, ctx.tenant, single, sel[i]->merge(), sel[i]->single());
    if (!p.ok()) {
      return absl::Status(p.status().code(),
                          fmt::format("reading {} profile: {}", i == 0 ? "base" : "compared",
                                      p.status().message()));
    }
    sides[i] = std::move(*p);
  }
  const bool absolute = d.has_absolute() && d.absolute();
  if (report == pq::QueryRequest::REPORT_TYPE_PPROF) {
    // pprof's -diff_base: base samples negated (labelled pprof::base), compared scaled to
    // the base total unless absolute.
    HEARTH_ASSIGN_OR_RETURN(
        profile::Profile diff,
        profile::SubtractBase(sides[1], sides[0], profile::BaseMode::kDiffBase, !absolute));
    resp.set_pprof(profile::EncodePprofGzip(diff));
    resp.set_total(sides[1].samples.empty() ? 0 : sides[1].Total(0));
    return resp;
  }
  HEARTH_ASSIGN_OR_RETURN(TopTable base, TopOf(sides[0], 0));
  HEARTH_ASSIGN_OR_RETURN(TopTable compared, TopOf(sides[1], 0));
  // Relative diffs scale the smaller side up to the larger total, as Parca's ComputeDiff.
  double base_ratio = 1, compared_ratio = 1;
  if (!absolute && base.total > 0 && compared.total > 0) {
    if (compared.total > base.total) base_ratio = static_cast<double>(compared.total) / base.total;
    if (base.total > compared.total)
      compared_ratio = static_cast<double>(base.total) / compared.total;
  }
  std::map<std::string, int64_t> base_cum;
  for (const TopRow& r : base.rows) base_cum[r.name] = r.cum;
  pq::Top* out = resp.mutable_top();
  std::set<std::string> seen;
  for (const TopRow& r : compared.rows) {
    const int64_t b = base_cum.count(r.name) ? base_cum[r.name] : 0;
    SetTopRow(out->add_list(), r.name, r.flat, r.cum,
              std::llround(r.cum * compared_ratio) - std::llround(b * base_ratio));
    seen.insert(r.name);
  }
  for (const TopRow& r : base.rows) {  // gone in the compared profile
    if (!seen.count(r.name))
      SetTopRow(out->add_list(), r.name, 0, 0, -std::llround(r.cum * base_ratio));
  }
  out->set_reported(out->list_size());
  out->set_total(out->list_size());
  out->set_unit(sides[1].sample_types.empty()
                    ? ""
                    : std::string(sides[1].Str(sides[1].sample_types[0].unit)));
  resp.set_total(compared.total);
  return resp;
}

absl::StatusOr<pq::QueryRangeResponse> QueryRange(const QueryEnv& env, const CallContext& ctx,
                                                  const pq::QueryRangeRequest& req) {
  HEARTH_ASSIGN_OR_RETURN(query::ParsedSelector sel, ParseTypedQuery(req.query()));
  const storage::TimeRange range =
      RangeOf(env, req.has_start(), req.start(), req.has_end(), req.end());
  int64_t step_ns = req.has_step() ? req.step().seconds() * 1000000000 + req.step().nanos() : 0;
  if (step_ns <= 0) {
    step_ns = static_cast<int64_t>(
        query::CalcPointInterval(range.from_ns / 1000000, range.to_ns / 1000000) * 1e9);
  }
  SeriesQuery q{ctx.tenant, sel.type, sel.matchers, range, step_ns};
  q.group_by.assign(req.sum_by().begin(), req.sum_by().end());
  if (q.group_by.empty()) {
    // Without sum_by Parca answers one series per label set.
    std::vector<Matcher> named = sel.matchers;
    named.push_back({std::string(storage::kNameLabel), Matcher::Op::kEq, sel.type.name});
    HEARTH_ASSIGN_OR_RETURN(std::vector<std::string> names,
                            env.backend().LabelNames({ctx.tenant, named, range}));
    for (std::string& n : names) {
      if (n != storage::kNameLabel) q.group_by.push_back(std::move(n));
    }
  }
  q.limit = req.limit();
  HEARTH_ASSIGN_OR_RETURN(std::vector<SeriesOut> series, RunSeries(env, q));
  const bool instant = IsInstant(sel.type.sample_type);
  const double step_s = static_cast<double>(step_ns) / 1e9;
  pq::QueryRangeResponse resp;
  for (const SeriesOut& s : series) {
    pq::MetricsSeries* out = resp.add_series();
    for (const auto& [k, v] : s.labels) {
      auto* l = out->mutable_labelset()->add_labels();
      l->set_name(k);
      l->set_value(v);
    }
    for (const auto& [ts_ms, v] : s.points) {
      pq::MetricsSample* p = out->add_samples();
      SetTs(p->mutable_timestamp(), ts_ms * 1000000);
      p->set_value(static_cast<int64_t>(v));
      p->set_value_per_second(instant ? v : v / step_s);
      p->set_duration(step_ns);
    }
    out->mutable_sample_type()->set_type(sel.type.sample_type);
    out->mutable_sample_type()->set_unit(sel.type.sample_unit);
    out->mutable_period_type()->set_type(sel.type.period_type);
    out->mutable_period_type()->set_unit(sel.type.period_unit);
  }
  return resp;
}

}  // namespace

void AddParcaRpcs(const QueryEnv& env, RpcRegistry& rpc) {
  const std::string s(kService);
  AddTimedRpc<pq::QueryRequest, pq::QueryResponse>(
      env, rpc, "parca", s + "Query",
      [env](const CallContext& ctx, const pq::QueryRequest& req) { return Query(env, ctx, req); });
  AddTimedRpc<pq::QueryRangeRequest, pq::QueryRangeResponse>(
      env, rpc, "parca", s + "QueryRange",
      [env](const CallContext& ctx, const pq::QueryRangeRequest& req) {
        return QueryRange(env, ctx, req);
      });
  AddTimedRpc<pq::ProfileTypesRequest, pq::ProfileTypesResponse>(
      env, rpc, "parca", s + "ProfileTypes",
      [env](const CallContext& ctx,
            const pq::ProfileTypesRequest& req) -> absl::StatusOr<pq::ProfileTypesResponse> {
        const storage::TimeRange range =
            RangeOf(env, req.has_start(), req.start(), req.has_end(), req.end());
        HEARTH_ASSIGN_OR_RETURN(std::vector<storage::ProfileTypeId> types,
                                env.backend().ProfileTypes({ctx.tenant, {}, range}));
        pq::ProfileTypesResponse resp;
        for (const storage::ProfileTypeId& t : types) {
          pq::ProfileType* out = resp.add_types();
          out->set_name(t.name);
          out->set_sample_type(t.sample_type);
          out->set_sample_unit(t.sample_unit);
          out->set_period_type(t.period_type);
          out->set_period_unit(t.period_unit);
          out->set_delta(!IsInstant(t.sample_type));
        }
        return resp;
      });
  AddTimedRpc<pq::LabelsRequest, pq::LabelsResponse>(
      env, rpc, "parca", s + "Labels",
      [env](const CallContext& ctx,
            const pq::LabelsRequest& req) -> absl::StatusOr<pq::LabelsResponse> {
        const storage::TimeRange range =
            RangeOf(env, req.has_start(), req.start(), req.has_end(), req.end());
        HEARTH_ASSIGN_OR_RETURN(
            auto sets, MatcherSets(req.match(), req.has_profile_type(), req.profile_type()));
        std::set<std::string> names;
        for (auto& m : sets) {
          HEARTH_ASSIGN_OR_RETURN(std::vector<std::string> n,
                                  env.backend().LabelNames({ctx.tenant, m, range}));
          for (std::string& x : n) {
            if (!x.starts_with("__")) names.insert(std::move(x));
          }
        }
        pq::LabelsResponse resp;
        for (const std::string& n : names) resp.add_label_names(n);
        return resp;
      });
  AddTimedRpc<pq::ValuesRequest, pq::ValuesResponse>(
      env, rpc, "parca", s + "Values",
      [env](const CallContext& ctx,
            const pq::ValuesRequest& req) -> absl::StatusOr<pq::ValuesResponse> {
        if (req.label_name().empty()) return absl::InvalidArgumentError("label_name is required");
        const storage::TimeRange range =
            RangeOf(env, req.has_start(), req.start(), req.has_end(), req.end());
        HEARTH_ASSIGN_OR_RETURN(
            auto sets, MatcherSets(req.match(), req.has_profile_type(), req.profile_type()));
        std::set<std::string> values;
        for (auto& m : sets) {
          HEARTH_ASSIGN_OR_RETURN(
              std::vector<std::string> v,
              env.backend().LabelValues({ctx.tenant, m, range}, req.label_name()));
          values.insert(v.begin(), v.end());
        }
        pq::ValuesResponse resp;
        for (const std::string& v : values) resp.add_label_values(v);
        return resp;
      });
  AddTimedRpc<pq::HasProfileDataRequest, pq::HasProfileDataResponse>(
      env, rpc, "parca", s + "HasProfileData",
      [env](const CallContext& ctx,
            const pq::HasProfileDataRequest&) -> absl::StatusOr<pq::HasProfileDataResponse> {
        HEARTH_ASSIGN_OR_RETURN(std::vector<storage::ProfileTypeId> types,
                                env.backend().ProfileTypes({ctx.tenant, {}, {0, env.NowNs() + 1}}));
        pq::HasProfileDataResponse resp;
        resp.set_has_data(!types.empty());
        return resp;
      });
  AddTimedRpc<pq::SeriesRequest, pq::SeriesResponse>(
      env, rpc, "parca", s + "Series",
      [](const CallContext&, const pq::SeriesRequest&) -> absl::StatusOr<pq::SeriesResponse> {
        return absl::UnimplementedError(
            "Series is not implemented (as in Parca); use Labels and Values");
      });
  AddTimedRpc<pq::ShareProfileRequest, pq::ShareProfileResponse>(
      env, rpc, "parca", s + "ShareProfile",
      [](const CallContext&,
         const pq::ShareProfileRequest&) -> absl::StatusOr<pq::ShareProfileResponse> {
        return absl::UnimplementedError(
            "ShareProfile is not supported: Hearth does not upload profiles to pprof.me");
      });
}

}  // namespace hearth::server
