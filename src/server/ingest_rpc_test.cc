// push.v1.PusherService/Push and Parca's WriteRaw through the RpcRegistry (the handlers
// Connect proto, Connect JSON and gRPC all call), into a real engine.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "profile/pprof_codec.h"
#include "server/ingest_test_util.h"

namespace hearth::server {
namespace {

using ::testing::HasSubstr;
using testing::IngestHarness;
using testing::ReadFixture;
namespace parcapb = ::parca::profilestore::v1alpha1;

constexpr int64_t kHeapAllocObjects = 1078745;  // go/http/leaky.heap.pb.gz totals
constexpr int64_t kHeapAllocSpace = 1159595986;
constexpr int64_t kHeapInuseSpace = 207151882;  // `go tool pprof -top`: 197.56MB
constexpr int64_t kCpuburn10sCpu = 3'610'000'000;

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buf = buf << 8 | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(buf >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buf << (6 - bits)) & 63]);
  while (out.size() % 4 != 0) out.push_back('=');
  return out;
}

::push::v1::PushRequest PushOf(const std::vector<std::pair<std::string, std::string>>& labels,
                               const std::vector<std::string>& profiles) {
  ::push::v1::PushRequest req;
  auto* series = req.add_series();
  for (const auto& [k, v] : labels) {
    auto* l = series->add_labels();
    l->set_name(k);
    l->set_value(v);
  }
  for (const std::string& p : profiles) {
    auto* s = series->add_samples();
    s->set_raw_profile(p);
    s->set_id("00000000-0000-0000-0000-000000000000");
  }
  return req;
}

absl::Status CallProto(IngestHarness& h, std::string_view path, const std::string& tenant,
                       const google::protobuf::Message& req) {
  const RpcRegistry::Method* m = h.rpc.Find(path);
  EXPECT_NE(m, nullptr) << path;
  return m->proto(h.Ctx(tenant), req.SerializeAsString()).status();
}

TEST(PushTest, ProtoAndJsonBodies) {
  IngestHarness h;
  const std::string cpu = ReadFixture("go/http/cpuburn.profile.10s.pb.gz");
  auto s = CallProto(h, kPushPath, "proto",
                     PushOf({{"__name__", "process_cpu"}, {"service_name", "cpuburn"}}, {cpu}));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(h.Total("proto", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"), kCpuburn10sCpu);
  size_t with_endpoint = 0;
  for (const storage::Labels& l : h.Series("proto")) {
    EXPECT_EQ(storage::LabelValue(l, "service_name"), "cpuburn");
    with_endpoint += storage::LabelValue(l, "endpoint").has_value();  // pprof.Do labels
  }
  EXPECT_GE(with_endpoint, 3u);

  // Connect JSON, as Pyroscope documents it (rawProfile is base64; two profiles at once).
  const std::string json = fmt::format(
      R"({{"series":[{{"labels":[{{"name":"__name__","value":"process_cpu"}},)"
      R"({{"name":"service_name","value":"my_service"}}],)"
      R"("samples":[{{"ID":"a","rawProfile":"{0}"}},{{"ID":"b","rawProfile":"{0}"}}]}}]}})",
      Base64(cpu));
  auto out = h.rpc.Find(kPushPath)->json(h.Ctx("json"), json);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "{}");
  EXPECT_EQ(h.Total("json", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"), 2 * kCpuburn10sCpu);

  // Without __name__ the family is named from the sample types; without service_name the
  // pipeline's default applies.
  s = CallProto(h, kPushPath, "guess", PushOf({}, {cpu}));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(h.Total("guess", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"), kCpuburn10sCpu);
  EXPECT_TRUE(h.Series("proto-other").empty());
}

// Go's heap profile, with the running totals (alloc_*) multiplied by `factor`.
std::string HeapWithAllocTimes(int64_t factor, const char* fixture = "go/http/leaky.heap.pb.gz") {
  profile::Profile p = storage::testing::LoadFixture(fixture);
  for (const profile::Sample& s : p.samples) {
    auto v = p.MutableValues(s);
    v[0] *= factor;
    v[1] *= factor;
  }
  return profile::EncodePprofGzip(p);
}

TEST(PushTest, CumulativeHeapPushedTwiceBecomesTheDelta) {
  IngestHarness h;
  const std::vector<std::pair<std::string, std::string>> labels = {{"__name__", "memory"},
                                                                   {"service_name", "leaky"}};
  // The process wrote runtime_pprof/leaky.heap, then served http/leaky.heap 2 s later (same
  // running totals, other location ids); here the second one has doubled its allocations.
  ASSERT_TRUE(CallProto(h, kPushPath, "t",
                        PushOf(labels, {ReadFixture("go/runtime_pprof/leaky.heap.pb.gz")}))
                  .ok());
  // The first is the baseline: no allocations yet, the in-use snapshot kept.
  EXPECT_EQ(h.Total("t", "memory:alloc_space:bytes:space:bytes"), 0);
  EXPECT_EQ(h.Total("t", "memory:inuse_space:bytes:space:bytes"), kHeapInuseSpace);
  ASSERT_TRUE(CallProto(h, kPushPath, "t", PushOf(labels, {HeapWithAllocTimes(2)})).ok());
  EXPECT_EQ(h.Total("t", "memory:alloc_space:bytes:space:bytes"), kHeapAllocSpace);
  EXPECT_EQ(h.Total("t", "memory:alloc_objects:count:space:bytes"), kHeapAllocObjects);
  EXPECT_EQ(h.Total("t", "memory:inuse_space:bytes:space:bytes"), 2 * kHeapInuseSpace);
  // The process restarted (totals went down): a new baseline, nothing allocated.
  ASSERT_TRUE(CallProto(h, kPushPath, "t", PushOf(labels, {HeapWithAllocTimes(1)})).ok());
  EXPECT_EQ(h.Total("t", "memory:alloc_space:bytes:space:bytes"), kHeapAllocSpace);
  EXPECT_EQ(h.Total("t", "memory:inuse_space:bytes:space:bytes"), 3 * kHeapInuseSpace);

  // __delta__="false": the client computed deltas (Alloy, godeltaprof); stored as sent.
  auto delta_labels = labels;
  delta_labels.emplace_back("__delta__", "false");
  ASSERT_TRUE(CallProto(h, kPushPath, "d", PushOf(delta_labels, {HeapWithAllocTimes(1)})).ok());
  ASSERT_TRUE(CallProto(h, kPushPath, "d", PushOf(delta_labels, {HeapWithAllocTimes(1)})).ok());
  EXPECT_EQ(h.Total("d", "memory:alloc_space:bytes:space:bytes"), 2 * kHeapAllocSpace);
  for (const storage::Labels& l : h.Series("d")) {
    EXPECT_FALSE(storage::LabelValue(l, "__delta__").has_value());
  }
  // A profile with a duration is a delta already (Go's /debug/pprof/allocs?seconds=N).
  profile::Profile windowed = storage::testing::LoadFixture("go/http/leaky.heap.pb.gz");
  windowed.duration_nanos = 10'000'000'000;
  ASSERT_TRUE(CallProto(h, kPushPath, "w", PushOf(labels, {profile::EncodePprof(windowed)})).ok());
  EXPECT_EQ(h.Total("w", "memory:alloc_space:bytes:space:bytes"), kHeapAllocSpace);
}

TEST(PushTest, MalformedRequestsAreRejectedWholeWithTheirPosition) {
  LimitsConfig limits;
  limits.overrides["small"].max_body_bytes = 1000;
  IngestHarness h(limits);
  const std::string cpu = ReadFixture("go/http/cpuburn.profile.3s.pb.gz");
  const RpcRegistry::Method* m = h.rpc.Find(kPushPath);
  ASSERT_NE(m, nullptr);

  auto out = m->proto(h.Ctx("bad"), "\xff\xff\xff");
  EXPECT_TRUE(absl::IsInvalidArgument(out.status()));
  EXPECT_THAT(out.status().message(), HasSubstr("cannot parse the request as push.v1.PushRequest"));
  out = m->json(h.Ctx("bad"), R"({"series":[{"samples":[{"rawProfile":"***"}]}]})");
  EXPECT_TRUE(absl::IsInvalidArgument(out.status()));

  absl::Status s = CallProto(h, kPushPath, "bad", PushOf({}, {cpu, ""}));
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("series 0 sample 1: raw_profile is empty"));
  s = CallProto(h, kPushPath, "bad", PushOf({}, {cpu, "not a profile"}));
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("series 0 sample 1: pprof"));
  s = CallProto(h, kPushPath, "bad", PushOf({{"bad-name", "x"}}, {cpu}));
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("invalid label name \"bad-name\""));
  s = CallProto(h, kPushPath, "bad", PushOf({{"a", "1"}, {"a", "2"}}, {cpu}));
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("a"));
  s = CallProto(h, kPushPath, "small", PushOf({}, {cpu}));
  EXPECT_TRUE(absl::IsResourceExhausted(s));
  EXPECT_THAT(s.message(), HasSubstr("above the limit of 1000 bytes"));
  // Nothing of a rejected request was stored.
  EXPECT_TRUE(h.Series("bad").empty());
  EXPECT_TRUE(h.Series("small").empty());
}

parcapb::WriteRawRequest WriteRawOf(const std::vector<std::pair<std::string, std::string>>& labels,
                                    const std::vector<std::string>& profiles) {
  parcapb::WriteRawRequest req;
  req.set_normalized(true);
  auto* series = req.add_series();
  for (const auto& [k, v] : labels) {
    auto* l = series->mutable_labels()->add_labels();
    l->set_name(k);
    l->set_value(v);
  }
  for (const std::string& p : profiles) series->add_samples()->set_raw_profile(p);
  return req;
}

TEST(WriteRawTest, ParcaSeriesWithSampleLabels) {
  IngestHarness h;
  const std::string cpu = ReadFixture("go/http/cpuburn.profile.10s.pb.gz");
  auto s = CallProto(
      h, kWriteRawPath, "parca",
      WriteRawOf({{"__name__", "process_cpu"}, {"job", "cpuburn"}, {"instance", "127.0.0.1:16061"}},
                 {cpu}));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(h.Total("parca", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"), kCpuburn10sCpu);
  // The pprof sample labels joined the series labels; the job names the service.
  std::set<std::string> endpoints;
  for (const storage::Labels& l : h.Series("parca")) {
    EXPECT_EQ(storage::LabelValue(l, "service_name"), "cpuburn");
    EXPECT_EQ(storage::LabelValue(l, "instance"), "127.0.0.1:16061");
    if (auto e = storage::LabelValue(l, "endpoint")) endpoints.insert(std::string(*e));
  }
  EXPECT_EQ(endpoints, (std::set<std::string>{"/api/checkout", "/api/report", "/api/search"}));
  // Each endpoint's share, plus the unlabelled background goroutine, is the whole.
  int64_t parts = 0;
  for (const char* e : {"/api/checkout", "/api/report", "/api/search", ""}) {
    const int64_t share = h.Total("parca", "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
                                  {{"endpoint", storage::Matcher::Op::kEq, e}});
    EXPECT_GT(share, 0) << e;
    parts += share;
  }
  EXPECT_EQ(parts, kCpuburn10sCpu);

  // Scraped /debug/pprof/allocs (cumulative, no duration): deltas between scrapes.
  const std::vector<std::pair<std::string, std::string>> mem = {{"__name__", "memory"},
                                                                {"job", "leaky"}};
  ASSERT_TRUE(CallProto(h, kWriteRawPath, "mem",
                        WriteRawOf(mem, {HeapWithAllocTimes(1, "go/http/leaky.allocs.pb.gz")}))
                  .ok());
  ASSERT_TRUE(CallProto(h, kWriteRawPath, "mem",
                        WriteRawOf(mem, {HeapWithAllocTimes(3, "go/http/leaky.allocs.pb.gz")}))
                  .ok());
  EXPECT_EQ(h.Total("mem", "memory:alloc_space:bytes:space:bytes"),
            2 * storage::testing::LoadFixture("go/http/leaky.allocs.pb.gz").Total(1));

  // Connect JSON works too.
  auto out =
      h.rpc.Find(kWriteRawPath)
          ->json(h.Ctx("json"),
                 fmt::format(R"({{"series":[{{"labels":{{"labels":[{{"name":"__name__",)"
                             R"("value":"process_cpu"}}]}},"samples":[{{"rawProfile":"{}"}}]}}]}})",
                             Base64(cpu)));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(h.Total("json", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"), kCpuburn10sCpu);
}

TEST(WriteRawTest, NameIsRequiredAndBadProfilesSayWhere) {
  IngestHarness h;
  const std::string cpu = ReadFixture("go/http/cpuburn.profile.3s.pb.gz");
  absl::Status s = CallProto(h, kWriteRawPath, "p", WriteRawOf({{"job", "x"}}, {cpu}));
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("series 0: labels must include __name__"));
  parcapb::WriteRawRequest two = WriteRawOf({{"__name__", "process_cpu"}}, {cpu});
  *two.add_series() = two.series(0);
  two.mutable_series(1)->mutable_samples(0)->set_raw_profile("\x1f\x8b junk");
  s = CallProto(h, kWriteRawPath, "p", two);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("series 1 sample 0: pprof"));
  EXPECT_TRUE(h.Series("p").empty());
}

}  // namespace
}  // namespace hearth::server
