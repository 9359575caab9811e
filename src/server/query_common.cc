#include "server/query_common.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "base/fmt.h"
#include "base/json_writer.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "profile/aggregate.h"
#include "profile/graph.h"
#include "profile/report.h"
#include "server/status.h"

namespace hearth::server {
namespace {

using storage::Matcher;

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte; a malformed
// escape is kept as it is (browsers and Go do the same for lenient parsing).
std::string UrlDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

constexpr std::string_view kProfileTypeLabel = "__profile_type__";

}  // namespace

int64_t QueryEnv::NowNs() const { return parts.env->NowNanos(); }

QueryEnv MakeQueryEnv(const ServerParts& parts) {
  QueryEnv env;
  env.parts = parts;
  if (parts.metrics != nullptr) {
    env.latency = &parts.metrics->Histogram("hearth_query_duration_seconds",
                                            "Time to answer a query, by API and method.",
                                            {"api", "method"}, LatencyBuckets());
  }
  return env;
}

std::vector<QueryRoute> QueryRoutes(const QueryEnv& env) {
  std::vector<QueryRoute> routes;
  AddHearthRoutes(env, &routes);
  AddPyroscopeRoutes(env, &routes);
  return routes;
}

void RegisterQueryRpcs(const QueryEnv& env, RpcRegistry& rpc) {
  AddPyroscopeRpcs(env, rpc);
  AddParcaRpcs(env, rpc);
}

QueryTimer::QueryTimer(const QueryEnv& env, std::string_view api, std::string_view method)
    : latency_(env.latency),
      labels_{std::string(api), std::string(method)},
      start_ns_(SteadyNs()) {}

QueryTimer::~QueryTimer() {
  if (latency_ != nullptr)
    latency_->Observe(labels_, static_cast<double>(SteadyNs() - start_ns_) / 1e9);
}

HttpHandler TimedHttp(const QueryEnv& env, std::string api, std::string method,
                      std::function<HttpResponse(const HttpRequest&)> fn) {
  return [env, api = std::move(api), method = std::move(method),
          fn = std::move(fn)](const HttpRequest& req) {
    QueryTimer timer(env, api, method);
    return fn(req);
  };
}

std::multimap<std::string, std::string> FormParams(const HttpRequest& req) {
  std::multimap<std::string, std::string> form = req.params;
  if (req.method == "POST" &&
      req.Header("content-type").starts_with("application/x-www-form-urlencoded")) {
    for (std::string_view pair : Split(req.body, '&')) {
      if (pair.empty()) continue;
      const size_t eq = pair.find('=');
      std::string key = UrlDecode(pair.substr(0, eq));
      std::string value = eq == std::string_view::npos ? "" : UrlDecode(pair.substr(eq + 1));
      form.emplace(std::move(key), std::move(value));
    }
  }
  return form;
}

std::string FormValue(const std::multimap<std::string, std::string>& form, std::string_view key) {
  auto it = form.find(std::string(key));
  return it == form.end() ? std::string() : it->second;
}

std::vector<std::string> FormValues(const std::multimap<std::string, std::string>& form,
                                    std::string_view key) {
  std::vector<std::string> out;
  auto [b, e] = form.equal_range(std::string(key));
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

absl::StatusOr<std::vector<Matcher>> ParseLabelSelector(std::string_view text) {
  text = TrimSpace(text);
  if (text.empty()) return std::vector<Matcher>{};
  if (text.front() == '{' && text.back() == '}' &&
      TrimSpace(text.substr(1, text.size() - 2)).empty()) {
    return std::vector<Matcher>{};
  }
  HEARTH_ASSIGN_OR_RETURN(query::ParsedSelector sel, query::ParseSelector(text));
  if (!sel.type.name.empty()) {
    sel.matchers.push_back({std::string(storage::kNameLabel), Matcher::Op::kEq, sel.type.name});
  }
  return std::move(sel.matchers);
}

absl::StatusOr<storage::ProfileTypeId> ParsePyroscopeType(std::string_view id) {
  id = TrimSpace(id);
  if (id.ends_with(":delta")) id.remove_suffix(6);
  if (id.empty()) return absl::InvalidArgumentError("profile type id is required (profileTypeID)");
  return storage::ParseProfileTypeId(id);
}

storage::TimeRange RangeFromMs(int64_t start_ms, int64_t end_ms, int64_t now_ns) {
  constexpr int64_t kMs = 1000000;
  if (start_ms == 0 && end_ms == 0) return {now_ns - storage::kHourNs, now_ns + 1};
  const int64_t to = end_ms == 0 ? now_ns + 1 : (end_ms + 1) * kMs;  // end is inclusive
  return {start_ms * kMs, to};
}

bool IsProfileTypeLabel(std::string_view name) {
  return name == kProfileTypeLabel || name == "__type__" || name == "__unit__" ||
         name == "__period_type__" || name == "__period_unit__";
}

bool HasProfileTypeMatchers(const std::vector<Matcher>& matchers) {
  return std::any_of(matchers.begin(), matchers.end(),
                     [](const Matcher& m) { return IsProfileTypeLabel(m.name); });
}

storage::Labels ProfileTypeLabels(const storage::ProfileTypeId& type) {
  return {{"__period_type__", type.period_type},
          {"__period_unit__", type.period_unit},
          {std::string(kProfileTypeLabel), type.ToString()},
          {"__type__", type.sample_type},
          {"__unit__", type.sample_unit}};
}

absl::StatusOr<std::vector<TypedSeries>> SelectTypedSeries(const QueryEnv& env,
                                                           const std::string& tenant,
                                                           std::vector<Matcher> matchers,
                                                           storage::TimeRange range) {
  std::vector<Matcher> stored, derived;
  for (Matcher& m : matchers) {
    if (!IsProfileTypeLabel(m.name)) {
      stored.push_back(std::move(m));
      continue;
    }
    // An exact type narrows the index scan to its family.
    if (m.name == kProfileTypeLabel && m.op == Matcher::Op::kEq) {
      auto t = storage::ParseProfileTypeId(m.value);
      if (t.ok()) stored.push_back({std::string(storage::kNameLabel), Matcher::Op::kEq, t->name});
    }
    derived.push_back(std::move(m));
  }
  HEARTH_ASSIGN_OR_RETURN(storage::Selector derived_sel, storage::Selector::Compile(derived));
  HEARTH_ASSIGN_OR_RETURN(std::vector<storage::Labels> series,
                          env.backend().Series({tenant, stored, range}));
  // Series by (family, service): each group's types come from one ProfileTypes call.
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> groups;
  for (size_t i = 0; i < series.size(); ++i) {
    auto name = storage::LabelValue(series[i], storage::kNameLabel);
    auto service = storage::LabelValue(series[i], storage::kServiceNameLabel);
    groups[{std::string(name.value_or("")), std::string(service.value_or(""))}].push_back(i);
  }
  std::vector<TypedSeries> out;
  for (const auto& [key, members] : groups) {
    storage::LabelQuery q{tenant, stored, range};
    q.matchers.push_back({std::string(storage::kNameLabel), Matcher::Op::kEq, key.first});
    q.matchers.push_back({std::string(storage::kServiceNameLabel), Matcher::Op::kEq, key.second});
    HEARTH_ASSIGN_OR_RETURN(std::vector<storage::ProfileTypeId> types,
                            env.backend().ProfileTypes(q));
    for (const storage::ProfileTypeId& type : types) {
      const storage::Labels extra = ProfileTypeLabels(type);
      for (size_t i : members) {
        TypedSeries ts;
        ts.labels.reserve(series[i].size() + extra.size());
        std::merge(series[i].begin(), series[i].end(), extra.begin(), extra.end(),
                   std::back_inserter(ts.labels));
        if (!derived_sel.Matches(ts.labels)) continue;
        ts.type = type;
        out.push_back(std::move(ts));
      }
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> LabelsOf(const QueryEnv& env, const std::string& tenant,
                                                  std::vector<std::string> texts,
                                                  storage::TimeRange range,
                                                  const std::string* value_of) {
  if (texts.empty()) texts.emplace_back();
  std::set<std::string> out;
  for (const std::string& text : texts) {
    HEARTH_ASSIGN_OR_RETURN(std::vector<Matcher> m, ParseLabelSelector(text));
    if (HasProfileTypeMatchers(m) || (value_of != nullptr && IsProfileTypeLabel(*value_of))) {
      HEARTH_ASSIGN_OR_RETURN(std::vector<TypedSeries> series,
                              SelectTypedSeries(env, tenant, m, range));
      for (const TypedSeries& s : series) {
        for (const auto& [k, v] : s.labels) {
          if (value_of == nullptr) {
            out.insert(k);
          } else if (k == *value_of) {
            out.insert(v);
          }
        }
      }
      continue;
    }
    if (value_of != nullptr) {
      HEARTH_ASSIGN_OR_RETURN(std::vector<std::string> v,
                              env.backend().LabelValues({tenant, m, range}, *value_of));
      out.insert(v.begin(), v.end());
      continue;
    }
    HEARTH_ASSIGN_OR_RETURN(std::vector<std::string> names,
                            env.backend().LabelNames({tenant, m, range}));
    if (!names.empty()) {
      for (const auto& [k, _] : ProfileTypeLabels({})) out.insert(k);
    }
    out.insert(names.begin(), names.end());
  }
  return std::vector<std::string>(out.begin(), out.end());
}

std::optional<std::string_view> FindLabel(const storage::Labels& labels, std::string_view name) {
  for (const auto& [k, v] : labels) {
    if (k == name) return v;
  }
  return std::nullopt;
}

absl::StatusOr<storage::MergeResult> RunMerge(const QueryEnv& env, const MergeQuery& q) {
  if (q.type.name.empty()) {
    return absl::InvalidArgumentError("the query needs a profile type, e.g. process_cpu{...}");
  }
  storage::SelectRequest req;
  req.tenant = q.tenant;
  req.type = q.type;
  for (const Matcher& m : q.matchers) {
    if (!IsProfileTypeLabel(m.name)) req.matchers.push_back(m);
  }
  req.range = q.range;
  req.span_ids = q.span_ids;
  req.trace_ids = q.trace_ids;
  req.group_by = q.group_by;
  HEARTH_ASSIGN_OR_RETURN(storage::MergeResult r, env.backend().SelectMerge(req));
  if (!q.frames.empty()) {
    std::vector<std::string> notes;
    for (storage::MergeGroup& g : r.groups) {
      HEARTH_RETURN_IF_ERROR(profile::ApplyFrameFilters(g.profile, q.frames, &notes));
    }
    for (std::string& n : notes) {
      if (std::find(r.warnings.begin(), r.warnings.end(), n) == r.warnings.end()) {
        r.warnings.push_back(std::move(n));
      }
    }
  }
  return r;
}

absl::StatusOr<profile::Profile> MergeOne(const QueryEnv& env, const MergeQuery& q) {
  MergeQuery one = q;
  one.group_by.clear();
  HEARTH_ASSIGN_OR_RETURN(storage::MergeResult r, RunMerge(env, one));
  profile::Profile p = r.groups.empty() ? profile::Profile() : std::move(r.groups.front().profile);
  if (p.sample_types.empty() && !q.type.sample_type.empty()) {
    // Nothing matched: still a valid pprof of the asked type.
    p.sample_types.push_back(
        {p.strings.Intern(q.type.sample_type), p.strings.Intern(q.type.sample_unit)});
    p.period_type = {p.strings.Intern(q.type.period_type), p.strings.Intern(q.type.period_unit)};
    p.time_nanos = q.range.from_ns;
    p.duration_nanos = q.range.to_ns - q.range.from_ns;
  }
  return p;
}

absl::StatusOr<std::vector<SeriesOut>> RunSeries(const QueryEnv& env, const SeriesQuery& q) {
  if (q.type.name.empty()) {
    return absl::InvalidArgumentError("the query needs a profile type, e.g. process_cpu{...}");
  }
  if (q.step_ns <= 0) return absl::InvalidArgumentError("step must be > 0");
  storage::SelectRequest req;
  req.tenant = q.tenant;
  req.type = q.type;
  for (const Matcher& m : q.matchers) {
    if (!IsProfileTypeLabel(m.name)) req.matchers.push_back(m);
  }
  req.range = q.range;
  req.step_ns = q.step_ns;
  req.group_by = q.group_by;
  if (q.average) {
    // One group per series, so a step's contributors can be counted.
    std::vector<Matcher> named = req.matchers;
    named.push_back({std::string(storage::kNameLabel), Matcher::Op::kEq, q.type.name});
    HEARTH_ASSIGN_OR_RETURN(req.group_by, env.backend().LabelNames({q.tenant, named, q.range}));
  }
  HEARTH_ASSIGN_OR_RETURN(storage::SeriesQueryResult result, env.backend().SelectSeries(req));
  std::vector<SeriesOut> out;
  if (!q.average) {
    for (storage::SeriesResult& s : result.series) {
      SeriesOut o;
      o.labels = std::move(s.group);
      for (const storage::SeriesPoint& p : s.points) {
        o.points.emplace_back(p.ts_ns / 1000000, static_cast<double>(p.value));
        o.sum += static_cast<double>(p.value);
      }
      out.push_back(std::move(o));
    }
  } else {
    std::map<storage::Labels, std::map<int64_t, std::pair<double, int>>> groups;
    for (const storage::SeriesResult& s : result.series) {
      storage::Labels key;
      for (const std::string& name : q.group_by) {
        if (auto v = storage::LabelValue(s.group, name); v.has_value()) key.emplace_back(name, *v);
      }
      auto& buckets = groups[key];
      for (const storage::SeriesPoint& p : s.points) {
        auto& [sum, count] = buckets[p.ts_ns];
        sum += static_cast<double>(p.value);
        ++count;
      }
    }
    for (auto& [labels, buckets] : groups) {
      SeriesOut o;
      o.labels = labels;
      for (const auto& [ts, v] : buckets) {
        const double avg = v.first / v.second;
        o.points.emplace_back(ts / 1000000, avg);
        o.sum += avg;
      }
      out.push_back(std::move(o));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const SeriesOut& a, const SeriesOut& b) { return a.labels < b.labels; });
  if (q.limit > 0) {
    std::stable_sort(out.begin(), out.end(),
                     [](const SeriesOut& a, const SeriesOut& b) { return a.sum > b.sum; });
    if (out.size() > static_cast<size_t>(q.limit)) out.resize(static_cast<size_t>(q.limit));
  }
  return out;
}

absl::StatusOr<TopTable> TopOf(const profile::Profile& p, size_t limit) {
  TopTable table;
  if (p.sample_types.empty() || p.samples.empty()) return table;
  // Loaded the way `go tool pprof` loads a profile, so names and values match its -top.
  HEARTH_ASSIGN_OR_RETURN(profile::Profile prepared, profile::PrepareLikePprof(p));
  profile::Aggregate(prepared, profile::Granularity::kFunctions, /*inline_frames=*/true);
  profile::NodeTable nodes(prepared, profile::NodeOptions{.trim_proc_cwd = true});
  profile::GraphOptions go;
  go.value_index = 0;
  profile::Graph g = profile::Graph::Build(prepared, nodes, go);
  g.SortNodes(/*cum=*/false);
  const std::vector<profile::InlineKind> inline_kinds = g.InlineKinds();
  for (const profile::Sample& s : prepared.samples) table.total += std::abs(prepared.Values(s)[0]);
  const size_t n = limit == 0 ? g.nodes().size() : std::min(limit, g.nodes().size());
  table.rows.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const profile::GraphNode& node = g.nodes()[i];
    table.rows.push_back({nodes.name(node.id), node.FlatValue(), node.CumValue(),
                          inline_kinds[i] == profile::InlineKind::kInline});
  }
  return table;
}

HttpResponse JsonError(const absl::Status& s) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("error").String(std::string(s.message())).EndObject();
  return HttpResponse::Json(std::move(body), HttpStatusFor(s.code()));
}

HttpResponse ConnectError(const absl::Status& s) {
  return HttpResponse::Json(ConnectErrorJson(s), HttpStatusFor(s.code()));
}

}  // namespace hearth::server
