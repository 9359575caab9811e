// Parca's parca.query.v1alpha1.QueryService over a real engine filled with the Go fixtures.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "base/compress.h"
#include "base/fmt.h"
#include "parca/query/v1alpha1/query.pb.h"
#include "server/query_test_util.h"

namespace hearth::server::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace pq = ::parca::query::v1alpha1;

const std::string kP = "/parca.query.v1alpha1.QueryService/";
const std::string kCpuDelta = "process_cpu:cpu:nanoseconds:cpu:nanoseconds:delta";

void SetTs(google::protobuf::Timestamp* t, int64_t ns) {
  t->set_seconds(ns / kSec);
  t->set_nanos(static_cast<int32_t>(ns % kSec));
}

class ParcaApiTest : public QueryApiTest {
 protected:
  pq::MergeProfile Merge(const std::string& query) {
    pq::MergeProfile m;
    m.set_query(query);
    SetTs(m.mutable_start(), t0_ns() - 60 * kSec);
    SetTs(m.mutable_end(), t0_ns() + 60 * kSec);
    return m;
  }
  absl::StatusOr<pq::QueryResponse> Query(const pq::QueryRequest& req) {
    return Call<pq::QueryResponse>(kP + "Query", req);
  }
  // name -> (flat, cumulative, diff)
  static std::map<std::string, std::array<int64_t, 3>> Rows(const pq::Top& top) {
    std::map<std::string, std::array<int64_t, 3>> out;
    for (const auto& n : top.list())
      out[n.meta().function().name()] = {n.flat(), n.cumulative(), n.diff()};
    return out;
  }
};

TEST_F(ParcaApiTest, ProfileTypesLabelsValues) {
  auto types = Call<pq::ProfileTypesResponse>(kP + "ProfileTypes", pq::ProfileTypesRequest());
  ASSERT_TRUE(types.ok()) << types.status();
  std::vector<std::string> ids;
  for (const auto& t : types->types()) {
    ids.push_back(fmt::format("{}:{}:{}:{}:{}{}", t.name(), t.sample_type(), t.sample_unit(),
                              t.period_type(), t.period_unit(), t.delta() ? ":delta" : ""));
  }
  EXPECT_THAT(ids, ElementsAre("memory:alloc_objects:count:space:bytes:delta",
                               "memory:alloc_space:bytes:space:bytes:delta",
                               "memory:inuse_objects:count:space:bytes",
                               "memory:inuse_space:bytes:space:bytes",
                               "process_cpu:cpu:nanoseconds:cpu:nanoseconds:delta",
                               "process_cpu:samples:count:cpu:nanoseconds:delta"));

  pq::LabelsRequest lr;
  lr.set_profile_type(kCpuDelta);
  auto labels = Call<pq::LabelsResponse>(kP + "Labels", lr);
  ASSERT_TRUE(labels.ok()) << labels.status();
  // The fixture's sample labels are series labels too.
  EXPECT_THAT(labels->label_names(), ElementsAre("endpoint", "service_name", "worker"));

  pq::ValuesRequest vr;
  vr.set_label_name("service_name");
  vr.add_match("{service_name=~\"cpu.*\"}");
  auto values = Call<pq::ValuesResponse>(kP + "Values", vr);
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_THAT(values->label_values(), ElementsAre("cpuburn", "cpuburn3"));
  values = Call<pq::ValuesResponse>(kP + "Values", vr, "other");
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(values->label_values_size(), 0);
}

TEST_F(ParcaApiTest, QueryRange) {
  pq::QueryRangeRequest req;
  req.set_query(kCpuDelta + "{service_name=~\"cpuburn.*\"}");
  SetTs(req.mutable_start(), t0_ns() - 60 * kSec);
  SetTs(req.mutable_end(), t0_ns() + 60 * kSec);
  req.mutable_step()->set_seconds(10);
  // Without sum_by: one series per label set.
  auto resp = Call<pq::QueryRangeResponse>(kP + "QueryRange", req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  auto sets = engine_->Series(
      {"t1", {{"service_name", storage::Matcher::Op::kRe, "cpuburn.*"}}, {0, INT64_MAX}});
  ASSERT_TRUE(sets.ok());
  EXPECT_EQ(static_cast<size_t>(resp->series_size()), sets->size());

  req.add_sum_by("service_name");
  resp = Call<pq::QueryRangeResponse>(kP + "QueryRange", req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->series_size(), 2);
  const auto& s = resp->series(0);
  EXPECT_EQ(s.labelset().labels(0).name(), "service_name");
  EXPECT_EQ(s.labelset().labels(0).value(), "cpuburn");
  ASSERT_EQ(s.samples_size(), 1);
  EXPECT_EQ(s.samples(0).value(), 3610000000);
  EXPECT_DOUBLE_EQ(s.samples(0).value_per_second(), 361000000);
  EXPECT_EQ(s.samples(0).duration(), 10 * kSec);
  EXPECT_EQ(s.sample_type().type(), "cpu");
  EXPECT_EQ(s.period_type().unit(), "nanoseconds");

  req.clear_sum_by();
  req.add_sum_by("__name__");
  resp = Call<pq::QueryRangeResponse>(kP + "QueryRange", req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->series_size(), 1);
  int64_t sum = 0;
  for (const auto& p : resp->series(0).samples()) sum += p.value();
  EXPECT_EQ(sum, 3610000000 + cpu3_.Total(1));

  req.set_query("process_cpu{");
  EXPECT_EQ(Call<pq::QueryRangeResponse>(kP + "QueryRange", req).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ParcaApiTest, MergeTopAndPprof) {
  pq::QueryRequest req;
  req.set_mode(pq::QueryRequest::MODE_MERGE);
  *req.mutable_merge() = Merge(kCpuDelta + "{service_name=\"cpuburn\"}");
  req.set_report_type(pq::QueryRequest::REPORT_TYPE_TOP);
  auto resp = Query(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->total(), 3610000000);
  EXPECT_EQ(resp->top().unit(), "nanoseconds");
  ASSERT_GT(resp->top().list_size(), 10);
  EXPECT_EQ(resp->top().list(0).meta().function().name(), "runtime.asyncPreempt");
  auto rows = Rows(resp->top());
  EXPECT_EQ(rows["main.fib"][0], 450000000);  // 0.45s flat, 0.63s cum in pprof's -top
  EXPECT_EQ(rows["main.fib"][1], 630000000);
  EXPECT_EQ(rows["sort.pdqsort"][1], 1070000000);

  req.set_report_type(pq::QueryRequest::REPORT_TYPE_PPROF);
  resp = Query(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_TRUE(IsGzip(resp->pprof()));
  CommandResult top = GoPprofTop(resp->pprof());
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_EQ(TopRows(top.out), TopRows(Reference("http.cpuburn.profile.10s.top.txt")));

  req.set_report_type(pq::QueryRequest::REPORT_TYPE_FLAMEGRAPH_ARROW);
  auto arrow = Query(req);
  EXPECT_EQ(arrow.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(arrow.status().message()),
              HasSubstr("REPORT_TYPE_FLAMEGRAPH_ARROW is not supported by Hearth; use "
                        "REPORT_TYPE_PPROF or REPORT_TYPE_TOP"));
}

TEST_F(ParcaApiTest, SingleProfile) {
  pq::QueryRequest req;
  req.set_mode(pq::QueryRequest::MODE_SINGLE_UNSPECIFIED);
  req.mutable_single()->set_query("memory:inuse_space:bytes:space:bytes{service_name=\"leaky\"}");
  SetTs(req.mutable_single()->mutable_time(),
        heap().time_nanos / 1000000 * 1000000);  // ms, as Parca sends
  req.set_report_type(pq::QueryRequest::REPORT_TYPE_TOP);
  auto resp = Query(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->total(), heap().Total(3));
  SetTs(req.mutable_single()->mutable_time(), heap().time_nanos + 5 * kSec);
  EXPECT_EQ(Query(req).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ParcaApiTest, Diff) {
  // The base side alone, for the expected differences.
  pq::QueryRequest base_req;
  base_req.set_mode(pq::QueryRequest::MODE_MERGE);
  *base_req.mutable_merge() = Merge(kCpuDelta + "{service_name=\"cpuburn3\"}");
  base_req.set_report_type(pq::QueryRequest::REPORT_TYPE_TOP);
  auto base = Query(base_req);
  ASSERT_TRUE(base.ok()) << base.status();
  auto base_rows = Rows(base->top());

  pq::QueryRequest req;
  req.set_mode(pq::QueryRequest::MODE_DIFF);
  auto* d = req.mutable_diff();
  d->mutable_a()->set_mode(pq::ProfileDiffSelection::MODE_MERGE);
  *d->mutable_a()->mutable_merge() = Merge(kCpuDelta + "{service_name=\"cpuburn3\"}");
  d->mutable_b()->set_mode(pq::ProfileDiffSelection::MODE_MERGE);
  *d->mutable_b()->mutable_merge() = Merge(kCpuDelta + "{service_name=\"cpuburn\"}");
  d->set_absolute(true);
  req.set_report_type(pq::QueryRequest::REPORT_TYPE_TOP);
  auto resp = Query(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->total(), 3610000000);
  auto rows = Rows(resp->top());
  EXPECT_EQ(rows["runtime.asyncPreempt"][0], 1230000000);  // the compared profile's values
  for (const auto& [name, v] : rows) {
    const int64_t b = base_rows.count(name) ? base_rows[name][1] : 0;
    EXPECT_EQ(v[2], v[1] - b) << name;  // compared minus base, cumulative
  }
  for (const auto& [name, v] : base_rows) EXPECT_TRUE(rows.count(name)) << name;

  // Relative: the smaller (base) side is scaled up to the compared total.
  d->set_absolute(false);
  resp = Query(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  const double ratio = 3610000000.0 / static_cast<double>(cpu3_.Total(1));
  rows = Rows(resp->top());
  const int64_t b = base_rows["runtime.asyncPreempt"][1];
  EXPECT_EQ(rows["runtime.asyncPreempt"][2], 1230000000 - std::llround(b * ratio));

  req.set_report_type(pq::QueryRequest::REPORT_TYPE_PPROF);
  resp = Query(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  CommandResult top = GoPprofTop(resp->pprof());
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_THAT(top.out, HasSubstr("runtime.asyncPreempt"));

  d->mutable_b()->mutable_merge()->set_query("{service_name=\"x\"}");
  auto bad = Query(req);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("reading compared profile: query needs a profile type"));
}

TEST_F(ParcaApiTest, JsonAndUnimplemented) {
  auto out = RpcJson(kP + "HasProfileData", "{}");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, R"({"hasData":true})");
  out = RpcJson(kP + "ProfileTypes", "{}", "nobody");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "{}");
  EXPECT_EQ(RpcJson(kP + "Series", "{}").status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(RpcJson(kP + "ShareProfile", "{}").status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace hearth::server::testing
