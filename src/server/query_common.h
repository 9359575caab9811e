#pragma once

// What the query API modules share. Three fronts answer queries over one Backend:
//
//   query_hearth.cc     GET /api/v1/...                      Hearth's JSON API (docs/api.md)
//   query_pyroscope.cc  querier.v1.QuerierService (RPC), /pyroscope/render, render-diff ...
//   query_parca.cc      parca.query.v1alpha1.QueryService (RPC)
//
// Each module adds HTTP routes to a list and RPC methods to the registry; RegisterQueryApis
// (query_api.cc) puts the routes on the HTTP server. Tests call the same route handlers and
// registry methods directly, without sockets.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "profile/filter.h"
#include "profile/profile.h"
#include "query/selector.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/rpc.h"
#include "server/server.h"
#include "storage/backend.h"

namespace hearth::server {

struct QueryEnv {
  ServerParts parts;                // backend, tenancy, env, metrics (pointers, owned elsewhere)
  MetricFamily* latency = nullptr;  // hearth_query_duration_seconds{api, method}

  storage::Backend& backend() const { return *parts.backend; }
  int64_t NowNs() const;
};

QueryEnv MakeQueryEnv(const ServerParts& parts);

struct QueryRoute {
  std::string method, path;
  HttpHandler handler;
};

// Every HTTP route of the query APIs, and every RPC method.
std::vector<QueryRoute> QueryRoutes(const QueryEnv& env);
void RegisterQueryRpcs(const QueryEnv& env, RpcRegistry& rpc);

// The modules.
void AddHearthRoutes(const QueryEnv& env, std::vector<QueryRoute>* routes);
void AddPyroscopeRoutes(const QueryEnv& env, std::vector<QueryRoute>* routes);
void AddPyroscopeRpcs(const QueryEnv& env, RpcRegistry& rpc);
void AddParcaRpcs(const QueryEnv& env, RpcRegistry& rpc);

// Observes the request's latency into hearth_query_duration_seconds{api, method} when it
// goes out of scope.
class QueryTimer {
 public:
  QueryTimer(const QueryEnv& env, std::string_view api, std::string_view method);
  ~QueryTimer();
  QueryTimer(const QueryTimer&) = delete;
  QueryTimer& operator=(const QueryTimer&) = delete;

 private:
  MetricFamily* latency_;
  std::vector<std::string> labels_;
  int64_t start_ns_;
};

// An HTTP handler wrapped in a QueryTimer.
HttpHandler TimedHttp(const QueryEnv& env, std::string api, std::string method,
                      std::function<HttpResponse(const HttpRequest&)> fn);

// Registers a timed unary RPC.
template <typename Req, typename Resp>
void AddTimedRpc(const QueryEnv& env, RpcRegistry& rpc, std::string api, const std::string& path,
                 std::function<absl::StatusOr<Resp>(const CallContext&, const Req&)> fn) {
  std::string method = path.substr(path.rfind('/') + 1);
  QueryEnv copy = env;
  rpc.Add<Req, Resp>(path, [copy, api, method, fn](const CallContext& ctx, const Req& req) {
    QueryTimer timer(copy, api, method);
    return fn(ctx, req);
  });
}

// ---- Parameters -------------------------------------------------------------------------

// Query parameters plus, for POSTed forms (application/x-www-form-urlencoded), the body's.
std::multimap<std::string, std::string> FormParams(const HttpRequest& req);
std::string FormValue(const std::multimap<std::string, std::string>& form, std::string_view key);
std::vector<std::string> FormValues(const std::multimap<std::string, std::string>& form,
                                    std::string_view key);

// A label selector as Pyroscope and Grafana send it; "" and "{}" select everything. A type
// prefix, if any, becomes a __name__ matcher.
absl::StatusOr<std::vector<storage::Matcher>> ParseLabelSelector(std::string_view text);

// A profile type id as Pyroscope sends it (profile_typeID): full, with an optional ":delta".
absl::StatusOr<storage::ProfileTypeId> ParsePyroscopeType(std::string_view id);

// [start_ms, end_ms] as a half-open ns range; both 0 means the last hour, end 0 means now.
storage::TimeRange RangeFromMs(int64_t start_ms, int64_t end_ms, int64_t now_ns);

// ---- Series with their profile types ----------------------------------------------------

// Labels the store does not keep but Pyroscope clients select and group on, derived from
// each series' profile types: __profile_type__, __type__, __unit__, __period_type__,
// __period_unit__.
bool IsProfileTypeLabel(std::string_view name);
bool HasProfileTypeMatchers(const std::vector<storage::Matcher>& matchers);
// The five labels of a type, in name order.
storage::Labels ProfileTypeLabels(const storage::ProfileTypeId& type);

struct TypedSeries {
  storage::Labels labels;  // the series' labels plus ProfileTypeLabels(type), sorted
  storage::ProfileTypeId type;
};
// One entry per matching series and profile type it offers. Matchers may use the derived
// labels. Types are looked up per (__name__, service_name), so the work is one index scan
// per service and family, not per series.
absl::StatusOr<std::vector<TypedSeries>> SelectTypedSeries(const QueryEnv& env,
                                                           const std::string& tenant,
                                                           std::vector<storage::Matcher> matchers,
                                                           storage::TimeRange range);

// Label names (value_of null) or the values of label *value_of, over series matching any of
// the label selectors (none: every series). Derived profile-type labels are included, as
// Pyroscope lists them.
absl::StatusOr<std::vector<std::string>> LabelsOf(const QueryEnv& env, const std::string& tenant,
                                                  std::vector<std::string> selectors,
                                                  storage::TimeRange range,
                                                  const std::string* value_of);

// A label's value by linear search (group labels keep the group_by order, not name order).
std::optional<std::string_view> FindLabel(const storage::Labels& labels, std::string_view name);

// ---- Merges -------------------------------------------------------------------------------

struct MergeQuery {
  std::string tenant;
  storage::ProfileTypeId type;
  std::vector<storage::Matcher> matchers;  // derived profile-type labels are dropped
  storage::TimeRange range;
  std::vector<std::string> span_ids = {}, trace_ids = {}, group_by = {};
  // pprof's -focus, -ignore, -hide, -show, -show_from, -prune_from, applied to each merged
  // group; options that matched nothing add pprof's note to the warnings.
  profile::FrameFilters frames = {};
};
absl::StatusOr<storage::MergeResult> RunMerge(const QueryEnv& env, const MergeQuery& q);
// The merge without group_by: one profile with the type's sample type even when empty.
absl::StatusOr<profile::Profile> MergeOne(const QueryEnv& env, const MergeQuery& q);

// ---- Time series -------------------------------------------------------------------------

struct SeriesQuery {
  std::string tenant;
  storage::ProfileTypeId type;
  std::vector<storage::Matcher> matchers;  // derived profile-type labels are dropped
  storage::TimeRange range;
  int64_t step_ns = 0;
  std::vector<std::string> group_by = {};
  // Pyroscope's AVERAGE: per group and step, the mean over the series that have data there
  // (not over individual profiles: the store sums a step's profiles per series).
  bool average = false;
  int64_t limit = 0;  // > 0: the top-N series by sum, largest first
};
struct SeriesOut {
  storage::Labels labels;                          // the group's labels
  std::vector<std::pair<int64_t, double>> points;  // (bucket start in ms, value), by time
  double sum = 0;
};
// Series sorted by labels (or, with a limit, by sum descending then labels).
absl::StatusOr<std::vector<SeriesOut>> RunSeries(const QueryEnv& env, const SeriesQuery& q);

// ---- Reports ------------------------------------------------------------------------------

// One row of pprof's -top for a profile's first value, at function granularity.
struct TopRow {
  std::string name;
  int64_t flat = 0, cum = 0;
  bool inlined = false;  // pprof prints "(inline)" after the name
};
struct TopTable {
  std::vector<TopRow> rows;  // pprof's order: flat desc, then name
  int64_t total = 0;
};
// `limit` 0 keeps every row.
absl::StatusOr<TopTable> TopOf(const profile::Profile& p, size_t limit);

// Error bodies: Hearth's {"error": "..."} and Connect's {"code": ..., "message": ...}.
HttpResponse JsonError(const absl::Status& s);
HttpResponse ConnectError(const absl::Status& s);

}  // namespace hearth::server
