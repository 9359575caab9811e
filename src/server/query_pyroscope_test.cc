// Pyroscope's querier.v1.QuerierService (protojson and protobuf) and the legacy
// /pyroscope/render endpoints over a real engine filled with the Go fixtures.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <set>

#include "base/fmt.h"
#include "pyroscope/querier/v1/querier.pb.h"
#include "query/flamegraph.h"
#include "server/query_test_util.h"
#include "server/server.h"

namespace hearth::server::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
namespace qv1 = ::querier::v1;

const std::string kQ = "/querier.v1.QuerierService/";
const std::string kCpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

template <typename M>
M FromJson(const std::string& json) {
  M m;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &m).ok()) << json.substr(0, 300);
  return m;
}

class PyroscopeApiTest : public QueryApiTest {
 protected:
  // {"profileTypeID": ..., "labelSelector": ..., "start": ..., "end": ...} plus `extra`.
  std::string MergeJson(const std::string& selector, const std::string& extra = "") {
    return fmt::format(R"({{"profileTypeID":"{}","labelSelector":{},"start":"{}","end":"{}"{}}})",
                       kCpu, Quote(selector), FromMs(), UntilMs(), extra);
  }
  static std::string Quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out + "\"";
  }
};

TEST_F(PyroscopeApiTest, ProfileTypesInProtojson) {
  auto out = RpcJson(kQ + "ProfileTypes",
                     fmt::format(R"({{"start":"{}","end":"{}"}})", FromMs(), UntilMs()));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(
      *out,
      HasSubstr(
          R"({"profileTypes":[{"ID":"memory:alloc_objects:count:space:bytes","name":"memory",)"
          R"("sampleType":"alloc_objects","sampleUnit":"count","periodType":"space",)"
          R"("periodUnit":"bytes"})"));
  EXPECT_EQ(FromJson<qv1::ProfileTypesResponse>(*out).profile_types_size(), 6);
}

TEST_F(PyroscopeApiTest, LabelsAndSeriesWithDerivedProfileTypes) {
  const std::string range = fmt::format(R"("start":"{}","end":"{}")", FromMs(), UntilMs());
  auto names = RpcJson(kQ + "LabelNames", "{" + range + "}");
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_THAT(FromJson<types::v1::LabelNamesResponse>(*names).names(),
              ElementsAre("__name__", "__period_type__", "__period_unit__", "__profile_type__",
                          "__type__", "__unit__", "endpoint", "service_name", "worker"));

  auto values = RpcJson(
      kQ + "LabelValues",
      R"({"name":"service_name","matchers":["{__profile_type__=\"memory:inuse_space:bytes:space:bytes\"}"],)" +
          range + "}");
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(*values, R"({"names":["leaky"]})");

  values = RpcJson(
      kQ + "LabelValues",
      R"({"name":"__profile_type__","matchers":["{service_name=\"spans\"}"],)" + range + "}");
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(*values, R"({"names":["process_cpu:cpu:nanoseconds:cpu:nanoseconds"]})");

  // What the Pyroscope UI asks for to list services and their types.
  auto series = RpcJson(
      kQ + "Series",
      R"({"matchers":["{}"],"labelNames":["service_name","__profile_type__"],)" + range + "}");
  ASSERT_TRUE(series.ok()) << series.status();
  std::set<std::string> pairs;
  const auto series_resp = FromJson<qv1::SeriesResponse>(*series);
  for (const auto& ls : series_resp.labels_set()) {
    ASSERT_EQ(ls.labels_size(), 2);
    EXPECT_EQ(ls.labels(0).name(), "__profile_type__");
    pairs.insert(ls.labels(1).value() + " " + ls.labels(0).value());
  }
  EXPECT_EQ(pairs.size(),
            2u + 2u + 4u + 1u);  // cpuburn, cpuburn3: cpu+samples; leaky: 4; spans: cpu
  EXPECT_TRUE(pairs.count("leaky memory:inuse_space:bytes:space:bytes"));
  EXPECT_TRUE(pairs.count("spans process_cpu:cpu:nanoseconds:cpu:nanoseconds"));
  EXPECT_FALSE(pairs.count("spans process_cpu:samples:count:cpu:nanoseconds"));
  EXPECT_THAT(*series,
              HasSubstr(R"({"labelsSet":[{"labels":[{"name":"__profile_type__","value":)"));
}

TEST_F(PyroscopeApiTest, SelectMergeStacktracesFlameGraph) {
  auto out = RpcJson(kQ + "SelectMergeStacktraces", MergeJson("{service_name=\"cpuburn\"}"));
  ASSERT_TRUE(out.ok()) << out.status();
  // int64 as strings, lowerCamel names, names[0] = total, root level [0, total, 0, 0].
  EXPECT_THAT(*out, HasSubstr(R"({"flamegraph":{"names":["total",)"));
  EXPECT_THAT(*out, HasSubstr(R"("levels":[{"values":["0","3610000000","0","0"]},)"));
  EXPECT_THAT(*out, HasSubstr(R"("total":"3610000000","maxSelf":"280000000"}})"));
  auto resp = FromJson<qv1::SelectMergeStacktracesResponse>(*out);
  // The same flame graph the encoder makes from the fixture itself (default max_nodes 8192).
  query::FlameGraph want =
      query::NewFlameGraph(query::FlameTree::FromProfile(cpu10(), 1).Truncate(8192), 0);
  ASSERT_EQ(resp.flamegraph().levels_size(), static_cast<int>(want.levels.size()));
  for (int i = 0; i < resp.flamegraph().levels_size(); ++i) {
    EXPECT_THAT(resp.flamegraph().levels(i).values(), ::testing::ElementsAreArray(want.levels[i]))
        << i;
  }
  EXPECT_THAT(resp.flamegraph().names(), ::testing::ElementsAreArray(want.names));

  // maxNodes truncates; above the maximum is an error.
  out = RpcJson(kQ + "SelectMergeStacktraces",
                MergeJson("{service_name=\"cpuburn\"}", R"(,"maxNodes":"5")"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(FromJson<qv1::SelectMergeStacktracesResponse>(*out).flamegraph().names(),
              ::testing::Contains("other"));
  out = RpcJson(kQ + "SelectMergeStacktraces", MergeJson("{}", R"(,"maxNodes":"2000000")"));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(out.status().message()),
            "max flamegraph nodes limit 2000000 is greater than allowed 1048576");

  out = RpcJson(kQ + "SelectMergeStacktraces", MergeJson("{service_name=~\"(\"}"));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(out.status().message()),
              HasSubstr("selector: column 16: bad regular expression"));
}

TEST_F(PyroscopeApiTest, SelectMergeStacktracesTreeAndPprofFormats) {
  qv1::SelectMergeStacktracesRequest req;
  req.set_profile_typeid(kCpu);
  req.set_label_selector("{service_name=\"cpuburn\"}");
  req.set_start(FromMs());
  req.set_end(UntilMs());
  req.set_format(qv1::PROFILE_FORMAT_TREE);
  auto resp = Call<qv1::SelectMergeStacktracesResponse>(kQ + "SelectMergeStacktraces", req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  auto tree = query::FlameTree::FromTreeBytes(resp->tree());
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_EQ(tree->total(), 3610000000);
  EXPECT_EQ(resp->tree(), query::FlameTree::FromProfile(cpu10(), 1).Truncate(8192).TreeBytes());

  req.set_format(qv1::PROFILE_FORMAT_PPROF);
  resp = Call<qv1::SelectMergeStacktracesResponse>(kQ + "SelectMergeStacktraces", req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  CommandResult top = GoPprofTop(resp->pprof().profile().SerializeAsString());
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_EQ(TopRows(top.out), TopRows(Reference("http.cpuburn.profile.10s.top.txt")));

  req.set_format(qv1::PROFILE_FORMAT_DOT);
  EXPECT_EQ(
      Call<qv1::SelectMergeStacktracesResponse>(kQ + "SelectMergeStacktraces", req).status().code(),
      absl::StatusCode::kUnimplemented);
}

TEST_F(PyroscopeApiTest, SelectMergeProfileLoadsInGoToolPprof) {
  qv1::SelectMergeProfileRequest req;
  req.set_profile_typeid("memory:inuse_space:bytes:space:bytes");
  req.set_label_selector("{service_name=\"leaky\"}");
  req.set_start(FromMs());
  req.set_end(UntilMs());
  auto p = Call<google::v1::Profile>(kQ + "SelectMergeProfile", req);
  ASSERT_TRUE(p.ok()) << p.status();
  CommandResult top = GoPprofTop(p->SerializeAsString());
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_EQ(TopRows(top.out), TopRows(Reference("http.leaky.heap.top.txt")));
}

TEST_F(PyroscopeApiTest, SelectSeries) {
  auto out =
      RpcJson(kQ + "SelectSeries", MergeJson("{}", R"(,"step":60,"groupBy":["service_name"])"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(
      *out,
      HasSubstr(
          R"({"series":[{"labels":[{"name":"service_name","value":"cpuburn"}],"points":[{"value":)"));
  auto resp = FromJson<qv1::SelectSeriesResponse>(*out);
  ASSERT_EQ(resp.series_size(), 3);
  double sum = 0;
  for (const auto& p : resp.series(0).points()) {
    EXPECT_GE(p.timestamp(), FromMs());
    EXPECT_LT(p.timestamp(), UntilMs());
    sum += p.value();
  }
  EXPECT_EQ(sum, 3610000000.0);

  // limit keeps the top series by total.
  out = RpcJson(kQ + "SelectSeries",
                MergeJson("{}", R"(,"step":600,"groupBy":["service_name"],"limit":"1")"));
  ASSERT_TRUE(out.ok()) << out.status();
  resp = FromJson<qv1::SelectSeriesResponse>(*out);
  ASSERT_EQ(resp.series_size(), 1);
  EXPECT_EQ(resp.series(0).labels(0).value(), "cpuburn");

  // AVERAGE: per step, the mean over the series with data there. The fixture's samples carry
  // labels (endpoint, worker), so one profile is several series, as in Pyroscope.
  out = RpcJson(kQ + "SelectSeries",
                MergeJson("{service_name=\"cpuburn\"}",
                          R"(,"step":600,"aggregation":"TIME_SERIES_AGGREGATION_TYPE_AVERAGE")"));
  ASSERT_TRUE(out.ok()) << out.status();
  resp = FromJson<qv1::SelectSeriesResponse>(*out);
  auto n = engine_->Series(
      {"t1", {{"service_name", storage::Matcher::Op::kEq, "cpuburn"}}, {0, INT64_MAX}});
  ASSERT_TRUE(n.ok());
  ASSERT_GT(n->size(), 1u);
  ASSERT_EQ(resp.series_size(), 1);
  ASSERT_EQ(resp.series(0).points_size(), 1);
  EXPECT_NEAR(resp.series(0).points(0).value(), 3610000000.0 / static_cast<double>(n->size()),
              1e-3);

  EXPECT_EQ(RpcJson(kQ + "SelectSeries", MergeJson("{}")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(PyroscopeApiTest, DiffAndSpans) {
  auto out = RpcJson(kQ + "Diff", fmt::format(R"({{"left":{},"right":{}}})",
                                              MergeJson("{service_name=\"cpuburn3\"}"),
                                              MergeJson("{service_name=\"cpuburn\"}")));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(*out, HasSubstr(fmt::format(R"("leftTicks":"{}","rightTicks":"3610000000")",
                                          cpu3_.Total(1))));
  auto diff = FromJson<qv1::DiffResponse>(*out);
  EXPECT_EQ(diff.flamegraph().names(0), "total");
  EXPECT_EQ(diff.flamegraph().levels(0).values_size(), 7);

  out = RpcJson(
      kQ + "SelectMergeSpanProfile",
      fmt::format(
          R"({{"profileTypeID":"{}","labelSelector":"{{}}","spanSelector":["00000000000000aa"],"start":"{}","end":"{}"}})",
          kCpu, FromMs(), UntilMs()));
  ASSERT_TRUE(out.ok()) << out.status();
  auto span = FromJson<qv1::SelectMergeSpanProfileResponse>(*out);
  EXPECT_EQ(span.flamegraph().total(), 30000000);
  EXPECT_THAT(span.flamegraph().names(), ElementsAre("total", "main.main", "main.handleA"));
}

TEST_F(PyroscopeApiTest, TenantsAndStats) {
  auto out =
      RpcJson(kQ + "SelectMergeStacktraces", MergeJson("{service_name=\"cpuburn\"}"), "other");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(FromJson<qv1::SelectMergeStacktracesResponse>(*out).flamegraph().total(), 0);
  auto stats = RpcJson(kQ + "GetProfileStats", "{}");
  ASSERT_TRUE(stats.ok()) << stats.status();
  auto s = FromJson<types::v1::GetProfileStatsResponse>(*stats);
  EXPECT_TRUE(s.data_ingested());
  EXPECT_EQ(s.oldest_profile_time(), t0_ns() / kSec * 1000);
  EXPECT_EQ(s.newest_profile_time(), heap().time_nanos / kSec * 1000);
  stats = RpcJson(kQ + "GetProfileStats", "{}", "nobody");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(*stats, "{}");
}

TEST_F(PyroscopeApiTest, Render) {
  HttpResponse r =
      Get("/pyroscope/render",
          {{"query", kCpu + "{service_name=\"cpuburn\"}"}, {"from", From()}, {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::element doc = Parse(r.body);
  int64_t v = 0;
  ASSERT_EQ(doc["version"].get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, 1);
  ASSERT_EQ(doc["flamebearer"]["numTicks"].get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, 3610000000);
  EXPECT_THAT(
      r.body,
      HasSubstr(
          R"("metadata":{"format":"single","spyName":"","sampleRate":1000000000,"units":"samples","name":"cpu"})"));
  ASSERT_EQ(doc["timeline"]["durationDelta"].get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, 15);  // 2 minutes / 1500 is under the 15 s minimum
  int64_t sum = 0;
  size_t slots = 0;
  for (auto x : doc["timeline"]["samples"].get_array()) {
    sum += x.get_int64().value_unsafe();
    ++slots;
  }
  EXPECT_EQ(sum, 3610000000);
  EXPECT_EQ(slots, 8u);
  EXPECT_THAT(r.body, HasSubstr(R"("groups":null,"heatmap":null})"));

  // POSTed forms and groupBy.
  const std::string body = "query=" + kCpu +
                           "%7Bservice_name%3D~%22cpuburn.*%22%7D&from=" + From() +
                           "&until=" + Until() + "&groupBy=service_name";
  r = Http("POST", "/pyroscope/render", {},
           {{"content-type", "application/x-www-form-urlencoded"}, {"x-scope-orgid", "t1"}}, body);
  ASSERT_EQ(r.status, 200) << r.body;
  doc = Parse(r.body);
  std::set<std::string> keys;
  for (auto [key, value] : doc["groups"].get_object()) keys.emplace(key);
  EXPECT_THAT(keys, UnorderedElementsAre("cpuburn", "cpuburn3"));

  r = Get("/pyroscope/render", {{"query", "{service_name=\"x\"}"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(
      r.body,
      R"({"code":"invalid_argument","message":"\"query\" must contain a profile-type selection"})");
}

TEST_F(PyroscopeApiTest, RenderDiffAndLegacyLabels) {
  HttpResponse r =
      Get("/pyroscope/render-diff", {{"leftQuery", kCpu + "{service_name=\"cpuburn3\"}"},
                                     {"rightQuery", kCpu + "{service_name=\"cpuburn\"}"},
                                     {"leftFrom", From()},
                                     {"leftUntil", Until()},
                                     {"rightFrom", From()},
                                     {"rightUntil", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr(R"("format":"double")"));
  EXPECT_THAT(r.body, HasSubstr(fmt::format(R"("leftTicks":{},"rightTicks":3610000000}})",
                                            cpu3_.Total(1))));
  r = Get("/pyroscope/render-diff",
          {{"leftQuery", kCpu}, {"rightQuery", "memory:inuse_space:bytes:space:bytes"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("profile types must match"));

  r = Get("/pyroscope/label-values", {{"label", "__name__"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr(R"(["memory:alloc_objects:count:space:bytes",)"));
  r = Get("/pyroscope/label-values", {{"label", "service_name"}});
  EXPECT_EQ(r.body, "[\"cpuburn\",\"cpuburn3\",\"leaky\",\"spans\"]\n");
}

// The real server: routes on its HTTP port, Connect JSON through the lead's ServeConnect,
// and latency in /metrics.
TEST(QueryServerTest, EndToEndOverHttp) {
  storage::testing::TempDir dir;
  ServerConfig c;
  c.http = {"127.0.0.1", 0};
  c.grpc = {"127.0.0.1", 0};
  c.otlp_http_enabled = false;
  c.data_dir = dir.path() + "/data";
  std::unique_ptr<Env> env = NewPosixEnv();
  auto server = Server::Start(c, env.get());
  ASSERT_TRUE(server.ok()) << server.status();
  profile::Profile p = storage::testing::LoadFixture("go/http/cpuburn.profile.10s.pb.gz");
  storage::Labels labels = {{"__name__", "process_cpu"}, {"service_name", "cpuburn"}};
  storage::AppendRequest ar{labels, &p, 0, {}};
  ASSERT_TRUE((*server)->parts().backend->Append("anonymous", {&ar, 1}).ok());

  httplib::Client client("127.0.0.1", (*server)->http_port());
  const std::string from = std::to_string(p.time_nanos / kMsNs - 60000),
                    until = std::to_string(p.time_nanos / kMsNs + 60000);
  auto res = client.Post(
      "/querier.v1.QuerierService/SelectMergeStacktraces",
      R"({"profileTypeID":"process_cpu:cpu:nanoseconds:cpu:nanoseconds","labelSelector":"{}","start":")" +
          from + R"(","end":")" + until + R"("})",
      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->body, HasSubstr(R"("total":"3610000000")"));
  res =
      client.Post("/querier.v1.QuerierService/SelectMergeStacktraces",
                  R"({"profileTypeID":"process_cpu","labelSelector":"{a=\""})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr(R"({"code":"invalid_argument","message":"selector: column 4:)"));
  res = client.Get(("/api/v1/merge?format=top&query=process_cpu&from=" + from.substr(0, 10) +
                    "&until=" + until.substr(0, 10))
                       .c_str());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->body, HasSubstr(R"("name":"runtime.asyncPreempt","flat":1230000000)"));
  res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_THAT(res->body, HasSubstr("hearth_query_duration_seconds_count{api=\"pyroscope\",method="
                                   "\"SelectMergeStacktraces\"} 2"));
  EXPECT_TRUE((*server)->Shutdown().ok());
}

}  // namespace
}  // namespace hearth::server::testing
