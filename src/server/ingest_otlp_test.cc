// The OTLP Profiles receiver over real sockets: Server::Start on port 0 with OTLP/HTTP on
// port 0 too. Every testdata/fixtures/otlp request goes through every transport (gRPC plain
// and gzip-compressed, a hand-framed compressed gRPC call through curl, OTLP/HTTP protobuf
// and JSON with and without gzip on both HTTP ports), each into its own tenant, and is read
// back through Hearth's JSON API against the fixture's *.expect.json: profile types, period,
// totals, the top self functions, and every span id. Then partial success, hostile input,
// tenancy and rate limiting.

#include "server/ingest_otlp.h"

#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <simdjson.h>

#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/compress.h"
#include "base/env.h"
#include "base/file.h"
#include "base/fmt.h"
#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb.h"
#include "profile/pprof_codec.h"
#include "server/query_test_util.h"
#include "server/server.h"
#include "storage/test_util.h"

namespace hearth::server {
namespace {

namespace fs = std::filesystem;
namespace collpb = ::opentelemetry::proto::collector::profiles::v1development;
namespace profpb = ::opentelemetry::proto::profiles::v1development;

// A wide range: the fixtures carry the times they were captured at.
constexpr char kFrom[] = "2020-01-01T00:00:00Z";
constexpr char kUntil[] = "now+1h";

// What one OTLP Profile of a fixture must read back as (its *.expect.json entry), plus the
// per-span totals read from the request itself with the generated classes.
struct ExpectedProfile {
  std::string sample_type, unit, period_type, period_unit;
  int64_t period = 0;
  int64_t total = 0;
  std::vector<std::pair<std::string, int64_t>> top_self;
  int64_t distinct_span_ids = 0;
  std::map<std::string, int64_t> span_totals;  // span id (hex) -> sum of its samples' values
};

struct Fixture {
  std::string id;  // "cpuburn.cpu.10s"
  std::string pb, json;
  std::string service, family;
  std::vector<ExpectedProfile> profiles;
};

std::string Hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

std::string Read(const std::string& path) {
  auto data = ReadFile(path);
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? *data : std::string();
}

// Per-span value sums of the profile whose sample type is `sample_type`, from the request.
std::map<std::string, int64_t> SpanTotals(const collpb::ExportProfilesServiceRequest& req,
                                          std::string_view sample_type) {
  const profpb::ProfilesDictionary& d = req.dictionary();
  std::map<std::string, int64_t> out;
  for (const auto& rp : req.resource_profiles()) {
    for (const auto& sp : rp.scope_profiles()) {
      for (const profpb::Profile& p : sp.profiles()) {
        if (d.string_table(p.sample_type().type_strindex()) != sample_type) continue;
        for (const profpb::Sample& s : p.samples()) {
          if (s.link_index() == 0) continue;
          const int64_t v = s.values_size() > 0 ? s.values(0) : s.timestamps_unix_nano_size();
          out[Hex(d.link_table(s.link_index()).span_id())] += v;
        }
      }
    }
  }
  return out;
}

std::vector<Fixture> LoadFixtures() {
  // The families the receiver must file them under (Pyroscope's names for OTLP CPU and heap).
  const std::map<std::string, std::string> families = {{"cpuburn.cpu.10s", "process_cpu"},
                                                       {"leaky.heap.strindex", "memory"},
                                                       {"node.wall.timestamps", "wall"}};
  std::vector<Fixture> out;
  const std::string dir = storage::testing::FixturePath("otlp/");
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (!name.ends_with(".expect.json")) continue;
    Fixture f;
    f.id = name.substr(0, name.size() - std::string_view(".expect.json").size());
    f.pb = Read(dir + f.id + ".pb");
    f.json = Read(dir + f.id + ".json");
    EXPECT_TRUE(families.count(f.id)) << f.id << ": a fixture this test does not know";
    f.family = families.count(f.id) ? families.at(f.id) : "";
    collpb::ExportProfilesServiceRequest req;
    EXPECT_TRUE(req.ParseFromString(f.pb)) << f.id;

    const std::string expect_json = Read(e.path().string());
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(expect_json).value_unsafe();
    f.service = std::string(doc["service_name"].get_string().value_unsafe());
    for (auto p : doc["profiles"].get_array()) {
      ExpectedProfile ep;
      ep.sample_type = std::string(p["sample_type"].get_string().value_unsafe());
      ep.unit = std::string(p["unit"].get_string().value_unsafe());
      ep.period_type = std::string(p["period_type"].get_string().value_unsafe());
      ep.period_unit = std::string(p["period_unit"].get_string().value_unsafe());
      ep.period = p["period"].get_int64().value_unsafe();
      ep.total = p["total"].get_int64().value_unsafe();
      ep.distinct_span_ids = p["distinct_span_ids"].get_int64().value_unsafe();
      for (auto row : p["top_self"].get_array()) {
        ep.top_self.emplace_back(std::string(row.at(0).get_string().value_unsafe()),
                                 row.at(1).get_int64().value_unsafe());
      }
      ep.span_totals = SpanTotals(req, ep.sample_type);
      // The request itself agrees with its expect file, so the span checks below are sound.
      EXPECT_EQ(static_cast<int64_t>(ep.span_totals.size()), ep.distinct_span_ids)
          << f.id << " " << ep.sample_type;
      f.profiles.push_back(std::move(ep));
    }
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(), [](const Fixture& a, const Fixture& b) { return a.id < b.id; });
  return out;
}

// google.rpc.Status {code = 1, message = 2}, read with protobuf's schema-less parser.
struct RpcStatus {
  int64_t code = -1;
  std::string message;
};
RpcStatus ParseRpcStatus(const std::string& bytes) {
  google::protobuf::UnknownFieldSet fields;
  RpcStatus s;
  EXPECT_TRUE(fields.ParseFromString(bytes)) << Hex(bytes);
  for (int i = 0; i < fields.field_count(); ++i) {
    const google::protobuf::UnknownField& f = fields.field(i);
    if (f.number() == 1 && f.type() == google::protobuf::UnknownField::TYPE_VARINT)
      s.code = static_cast<int64_t>(f.varint());
    if (f.number() == 2 && f.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED)
      s.message = f.length_delimited();
  }
  return s;
}

class OtlpReceiverTest : public ::testing::Test {
 protected:
  static ServerConfig Config(const std::string& dir) {
    ServerConfig c;
    c.http = {"127.0.0.1", 0};
    c.grpc = {"127.0.0.1", 0};
    c.otlp_http = {"127.0.0.1", 0};
    c.otlp_http_enabled = true;
    c.data_dir = dir;
    c.retention.raw_ns = 0;  // keep the fixtures' capture times, however old
    c.retention.minute_ns = 0;
    c.tenancy.token_to_tenant = {{"token-a", "team-a"}};
    return c;
  }

  void StartServer(ServerConfig c) {
    auto s = Server::Start(std::move(c), env_.get());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    ASSERT_GT(server_->otlp_http_port(), 0);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->http_port());
    otlp_ = std::make_unique<httplib::Client>("127.0.0.1", server_->otlp_http_port());
    for (httplib::Client* c : {http_.get(), otlp_.get()}) c->set_read_timeout(60);
    const std::string target = fmt::format("127.0.0.1:{}", server_->grpc_port());
    channel_ = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
    grpc::ChannelArguments args;
    args.SetCompressionAlgorithm(GRPC_COMPRESS_GZIP);
    gzip_channel_ = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  }

  void SetUp() override {
    env_ = NewPosixEnv();
    StartServer(Config(dir_.path()));
  }

  // A POST of an OTLP body to /v1development/profiles.
  httplib::Result PostOtlp(httplib::Client& client, const std::string& body,
                           const std::string& content_type, httplib::Headers headers = {}) {
    return client.Post(std::string(kOtlpHttpPath), headers, body, content_type);
  }

  // Export over gRPC with the request bytes as they are; *response gets the reply's bytes.
  grpc::Status GrpcExport(const std::shared_ptr<grpc::Channel>& channel, const std::string& request,
                          const std::string& tenant, std::string* response,
                          const std::string& token = "") {
    grpc::GenericStub stub(channel);
    grpc::ClientContext ctx;
    if (!tenant.empty()) ctx.AddMetadata("x-scope-orgid", tenant);
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    grpc::Slice slice(request);
    grpc::ByteBuffer req(&slice, 1), resp;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, std::string(kOtlpExportPath), grpc::StubOptions(), &req, &resp,
                   [&](grpc::Status s) { done.set_value(std::move(s)); });
    grpc::Status s = done.get_future().get();
    response->clear();
    if (!s.ok()) return s;
    std::vector<grpc::Slice> slices;
    (void)resp.Dump(&slices);
    for (const auto& sl : slices)
      response->append(reinterpret_cast<const char*>(sl.begin()), sl.size());
    return s;
  }

  // A JSON GET on the main port as `tenant` (with `token`, if given); fails the test on a
  // non-200.
  simdjson::dom::element GetJson(const std::string& path, httplib::Params params,
                                 const std::string& tenant, const std::string& token = "") {
    httplib::Headers headers{{"X-Scope-OrgID", tenant}};
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    auto r = http_->Get(path, params, headers);
    EXPECT_TRUE(r) << path;
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    json_ = r->body;
    auto doc = parser_.parse(json_);
    EXPECT_EQ(doc.error(), simdjson::SUCCESS) << r->body;
    return doc.value_unsafe();
  }

  // The merged total of `query` for `tenant`, optionally of some spans only.
  int64_t Total(const std::string& tenant, const std::string& query, const std::string& span = "",
                const std::string& token = "") {
    httplib::Params params{{"query", query}, {"format", "top"}, {"from", kFrom}, {"until", kUntil}};
    if (!span.empty()) params.emplace("span_id", span);
    auto doc = GetJson("/api/v1/merge", params, tenant, token);
    auto groups = doc["groups"].get_array();
    if (groups.error() || groups.value_unsafe().size() == 0) return 0;
    return groups.at(0)["total"].get_int64().value_unsafe();
  }

  int64_t Metric(const std::string& series) {
    auto m = http_->Get("/metrics");
    EXPECT_TRUE(m);
    if (!m) return -1;
    const size_t at = m->body.find(series + " ");
    if (at == std::string::npos) return 0;
    return std::stoll(m->body.substr(at + series.size() + 1));
  }

  storage::testing::TempDir dir_;
  std::unique_ptr<Env> env_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> http_, otlp_;
  std::shared_ptr<grpc::Channel> channel_, gzip_channel_;
  simdjson::dom::parser parser_;
  std::string json_;
};

// A gRPC frame as the otel-ebpf-profiler sends it: compressed flag, big-endian length, gzip.
std::string GzipGrpcFrame(const std::string& message) {
  const std::string gz = GzipCompress(message);
  std::string frame(5, '\0');
  frame[0] = 1;
  for (int i = 0; i < 4; ++i) frame[1 + i] = static_cast<char>((gz.size() >> (8 * (3 - i))) & 0xff);
  return frame + gz;
}

TEST_F(OtlpReceiverTest, EveryFixtureThroughEveryTransportReadsBackAsExpected) {
  const std::vector<Fixture> fixtures = LoadFixtures();
  ASSERT_EQ(fixtures.size(), 3u);
  // Each transport stores into a tenant of its own name, so each is checked on its own.
  const std::vector<std::string> transports = {"grpc",      "grpc-gzip",      "grpc-curl-gzip",
                                               "otlp-http", "main-http-gzip", "otlp-json-gzip",
                                               "main-json"};
  for (const Fixture& f : fixtures) {
    SCOPED_TRACE(f.id);
    for (const std::string& t : transports) {
      SCOPED_TRACE(t);
      if (t == "grpc" || t == "grpc-gzip") {
        std::string resp;
        grpc::Status s = GrpcExport(t == "grpc" ? channel_ : gzip_channel_, f.pb, t, &resp);
        ASSERT_TRUE(s.ok()) << s.error_message();
        collpb::ExportProfilesServiceResponse r;
        ASSERT_TRUE(r.ParseFromString(resp));
        EXPECT_FALSE(r.has_partial_success()) << r.DebugString();
        continue;
      }
      if (t == "grpc-curl-gzip") {
        const std::string frame_path = dir_.path() + "/frame.bin";
        ASSERT_TRUE(WriteFileAtomic(frame_path, GzipGrpcFrame(f.pb)).ok());
        testing::CommandResult c =
            testing::RunCommand(fmt::format("curl -sS --http2-prior-knowledge -o /dev/null -D - "
                                            "-H 'content-type: application/grpc' -H 'te: trailers' "
                                            "-H 'grpc-encoding: gzip' -H 'x-scope-orgid: {}' "
                                            "--data-binary @{} http://127.0.0.1:{}{}",
                                            t, frame_path, server_->grpc_port(), kOtlpExportPath));
        ASSERT_EQ(c.exit_code, 0) << c.err;
        EXPECT_NE(c.out.find("grpc-status: 0"), std::string::npos) << c.out;
        continue;
      }
      const bool json = t.find("json") != std::string::npos;
      const bool gzip = t.ends_with("-gzip");
      const std::string content_type = json ? "application/json" : "application/x-protobuf";
      httplib::Headers headers{{"X-Scope-OrgID", t}};
      if (gzip) headers.emplace("Content-Encoding", "gzip");
      const std::string& body = json ? f.json : f.pb;
      httplib::Result r = PostOtlp(t.starts_with("otlp") ? *otlp_ : *http_,
                                   gzip ? GzipCompress(body) : body, content_type, headers);
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200) << r->body;
      EXPECT_EQ(r->get_header_value("Content-Type"), content_type);
      if (json) {
        EXPECT_EQ(r->body, "{}");
      } else {
        collpb::ExportProfilesServiceResponse resp;
        ASSERT_TRUE(resp.ParseFromString(r->body));
        EXPECT_FALSE(resp.has_partial_success());
      }
    }
  }

  int span_queries = 0;
  for (const std::string& t : transports) {
    SCOPED_TRACE(t);
    for (const Fixture& f : fixtures) {
      SCOPED_TRACE(f.id);
      const std::string selector = fmt::format("{{service_name=\"{}\"}}", f.service);
      // One profile type per OTLP profile, all in the fixture's family.
      auto types =
          GetJson("/api/v1/profile_types",
                  {{"query", selector}, {"from", kFrom}, {"until", kUntil}}, t)["profile_types"]
              .get_array()
              .value_unsafe();
      EXPECT_EQ(types.size(), f.profiles.size()) << json_;
      std::map<std::string, std::vector<std::string>>
          by_sample_type;  // -> name, unit, period type, period unit
      for (auto type : types) {
        std::vector<std::string> v;
        for (const char* k : {"name", "sample_unit", "period_type", "period_unit"}) {
          v.emplace_back(type[k].get_string().value_unsafe());
        }
        by_sample_type[std::string(type["sample_type"].get_string().value_unsafe())] = v;
      }
      for (const ExpectedProfile& ep : f.profiles) {
        SCOPED_TRACE(ep.sample_type);
        ASSERT_TRUE(by_sample_type.count(ep.sample_type)) << json_;
        EXPECT_EQ(by_sample_type[ep.sample_type],
                  (std::vector<std::string>{f.family, ep.unit, ep.period_type, ep.period_unit}));
        const std::string type = fmt::format("{}:{}:{}:{}:{}", f.family, ep.sample_type, ep.unit,
                                             ep.period_type, ep.period_unit);
        const std::string query = type + selector;

        // Totals and the top self functions (flat by function name).
        auto top =
            GetJson("/api/v1/merge",
                    {{"query", query}, {"format", "top"}, {"from", kFrom}, {"until", kUntil}}, t);
        auto group = top["groups"].at(0);
        EXPECT_EQ(group["total"].get_int64().value_unsafe(), ep.total);
        std::map<std::string, int64_t> flat;
        for (auto row : group["rows"].get_array()) {
          flat[std::string(row["name"].get_string().value_unsafe())] +=
              row["flat"].get_int64().value_unsafe();
        }
        for (const auto& [fn, value] : ep.top_self) EXPECT_EQ(flat[fn], value) << fn;

        // The period, from the merge as pprof.
        auto pprof =
            http_->Get("/api/v1/merge",
                       {{"query", query}, {"format", "pprof"}, {"from", kFrom}, {"until", kUntil}},
                       httplib::Headers{{"X-Scope-OrgID", t}});
        ASSERT_TRUE(pprof);
        ASSERT_EQ(pprof->status, 200) << pprof->body;
        auto p = profile::DecodePprof(pprof->body);
        ASSERT_TRUE(p.ok()) << p.status();
        EXPECT_EQ(p->period, ep.period);
        EXPECT_EQ(p->Str(p->period_type.type), ep.period_type);

        // Every span id selects exactly its samples.
        int64_t linked = 0;
        for (const auto& [span, value] : ep.span_totals) {
          EXPECT_EQ(Total(t, query, span), value) << "span_id " << span;
          linked += value;
          ++span_queries;
        }
        EXPECT_EQ(static_cast<int64_t>(ep.span_totals.size()), ep.distinct_span_ids);
        if (ep.distinct_span_ids > 0) {
          EXPECT_GT(linked, 0);
          EXPECT_LE(linked, ep.total);
        }
      }
    }
  }
  // cpuburn's two profiles have 284 spans each.
  EXPECT_EQ(span_queries, static_cast<int>(transports.size()) * 2 * 284);
  EXPECT_EQ(Metric("hearth_ingest_profiles_total{tenant=\"otlp-http\",api=\"otlp\"}"), 8);
}

// An Export request with two CPU profiles of service `service`: profiles[0] is good (one
// sample of `value` in work <- main), profiles[1] has a stack index out of range, unless
// `both_good`.
collpb::ExportProfilesServiceRequest TwoProfiles(const std::string& service, int64_t value,
                                                 int64_t time_ns, bool both_good = false) {
  collpb::ExportProfilesServiceRequest req;
  profpb::ProfilesDictionary* d = req.mutable_dictionary();
  for (const char* s : {"", "samples", "count", "cpu", "nanoseconds", "main", "work"}) {
    d->add_string_table(s);
  }
  d->add_mapping_table();
  d->add_link_table();
  d->add_attribute_table();
  d->add_function_table();
  d->add_function_table()->set_name_strindex(5);  // 1: main
  d->add_function_table()->set_name_strindex(6);  // 2: work
  d->add_location_table();
  d->add_location_table()->add_lines()->set_function_index(1);
  d->add_location_table()->add_lines()->set_function_index(2);
  d->add_stack_table();
  profpb::Stack* stack = d->add_stack_table();  // 1: work <- main (leaf first)
  stack->add_location_indices(2);
  stack->add_location_indices(1);

  profpb::ResourceProfiles* rp = req.add_resource_profiles();
  auto* attr = rp->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value(service);
  profpb::ScopeProfiles* sp = rp->add_scope_profiles();
  for (int i = 0; i < 2; ++i) {
    profpb::Profile* p = sp->add_profiles();
    p->mutable_sample_type()->set_type_strindex(1);
    p->mutable_sample_type()->set_unit_strindex(2);
    p->mutable_period_type()->set_type_strindex(3);
    p->mutable_period_type()->set_unit_strindex(4);
    p->set_period(10000000);
    p->set_time_unix_nano(static_cast<uint64_t>(time_ns));
    p->set_duration_nano(10000000000);
    profpb::Sample* s = p->add_samples();
    s->set_stack_index(i == 0 || both_good ? 1 : 99);
    s->add_values(value);
  }
  return req;
}

TEST_F(OtlpReceiverTest, PartialSuccessStoresTheGoodProfileAndNamesTheBadOne) {
  const int64_t now = env_->NowNanos();
  const std::string kType = "process_cpu:samples:count:cpu:nanoseconds";
  auto check_partial = [](int64_t rejected, const std::string& message) {
    EXPECT_EQ(rejected, 1);
    EXPECT_NE(message.find("resource_profiles[0].scope_profiles[0].profiles[1]"), std::string::npos)
        << message;
  };

  // OTLP/HTTP protobuf.
  httplib::Result r = PostOtlp(*otlp_, TwoProfiles("partial-http", 7, now).SerializeAsString(),
                               "application/x-protobuf");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  collpb::ExportProfilesServiceResponse resp;
  ASSERT_TRUE(resp.ParseFromString(r->body));
  ASSERT_TRUE(resp.has_partial_success());
  check_partial(resp.partial_success().rejected_profiles(), resp.partial_success().error_message());

  // OTLP/HTTP JSON (protojson of the same request: lowerCamelCase, int64 as strings).
  std::string json;
  ASSERT_TRUE(
      google::protobuf::util::MessageToJsonString(TwoProfiles("partial-json", 11, now), &json)
          .ok());
  r = PostOtlp(*http_, json, "application/json; charset=utf-8");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  resp.Clear();
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r->body, &resp).ok()) << r->body;
  check_partial(resp.partial_success().rejected_profiles(), resp.partial_success().error_message());
  EXPECT_NE(r->body.find("\"rejectedProfiles\":\"1\""), std::string::npos) << r->body;

  // gRPC.
  std::string bytes;
  grpc::Status s =
      GrpcExport(channel_, TwoProfiles("partial-grpc", 13, now).SerializeAsString(), "", &bytes);
  ASSERT_TRUE(s.ok()) << s.error_message();
  resp.Clear();
  ASSERT_TRUE(resp.ParseFromString(bytes));
  check_partial(resp.partial_success().rejected_profiles(), resp.partial_success().error_message());

  // The good profiles are stored, whole.
  for (auto [svc, value] : {std::pair{"partial-http", 7}, std::pair{"partial-json", 11},
                            std::pair{"partial-grpc", 13}}) {
    const std::string query = fmt::format("{}{{service_name=\"{}\"}}", kType, svc);
    auto top = GetJson("/api/v1/merge",
                       {{"query", query}, {"format", "top"}, {"from", kFrom}, {"until", kUntil}},
                       "anonymous");
    auto group = top["groups"].at(0);
    EXPECT_EQ(group["total"].get_int64().value_unsafe(), value) << svc;
    EXPECT_EQ(std::string_view(group["rows"].at(0)["name"].get_string().value_unsafe()), "work")
        << svc;
    EXPECT_EQ(group["rows"].at(0)["flat"].get_int64().value_unsafe(), value) << svc;
  }
  EXPECT_EQ(Metric("hearth_ingest_rejected_profiles_total{tenant=\"anonymous\",api=\"otlp\"}"), 3);
  EXPECT_EQ(Metric("hearth_ingest_profiles_total{tenant=\"anonymous\",api=\"otlp\"}"), 3);

  // A request whose every profile is refused is bad data as a whole: 400 / INVALID_ARGUMENT.
  collpb::ExportProfilesServiceRequest all_bad = TwoProfiles("all-bad", 5, now);
  all_bad.mutable_resource_profiles(0)
      ->mutable_scope_profiles(0)
      ->mutable_profiles()
      ->DeleteSubrange(0, 1);
  r = PostOtlp(*otlp_, all_bad.SerializeAsString(), "application/x-protobuf");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  RpcStatus st = ParseRpcStatus(r->body);
  EXPECT_EQ(st.code, 3);
  EXPECT_NE(st.message.find("profiles[0]"), std::string::npos) << st.message;
  s = GrpcExport(channel_, all_bad.SerializeAsString(), "", &bytes);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto values =
      GetJson("/api/v1/label_values",
              {{"name", "service_name"}, {"from", kFrom}, {"until", kUntil}}, "anonymous");
  std::vector<std::string> services;
  for (auto v : values["values"].get_array()) services.emplace_back(v.get_string().value_unsafe());
  EXPECT_EQ(services, (std::vector<std::string>{"partial-grpc", "partial-http", "partial-json"}));
}

TEST_F(OtlpReceiverTest, HostileInputIsRefusedWithTheDocumentedStatusAndTheServerGoesOn) {
  server_.reset();
  ServerConfig c = Config(dir_.path());
  TenantLimits small;
  small.max_body_bytes = 64 << 10;
  c.limits.overrides["small"] = small;
  StartServer(std::move(c));
  const int64_t now = env_->NowNanos();
  const std::string good = TwoProfiles("survivor", 3, now, /*both_good=*/true).SerializeAsString();

  // A gzip bomb: 32 KiB that would expand to 32 MiB, stopped by the HTTP layer, which
  // answers in OTLP's terms too (google.rpc.Status in the request's content type).
  const std::string bomb = GzipCompress(std::string(32 << 20, '\0'), 9);
  httplib::Result r =
      PostOtlp(*otlp_, bomb, "application/x-protobuf", {{"Content-Encoding", "gzip"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/x-protobuf");
  {
    RpcStatus rs = ParseRpcStatus(r->body);
    EXPECT_EQ(rs.code, 8);  // RESOURCE_EXHAUSTED
    EXPECT_EQ(rs.message, "request body expands more than 250x when decoded (gzip)");
  }

  // Over the tenant's max_body_bytes: 413 with a google.rpc.Status in JSON.
  const std::string big_json = Read(storage::testing::FixturePath("otlp/cpuburn.cpu.10s.json"));
  ASSERT_GT(big_json.size(), size_t{64} << 10);
  r = PostOtlp(*otlp_, big_json, "application/json", {{"X-Scope-OrgID", "small"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  simdjson::dom::parser p;
  simdjson::dom::element st = p.parse(r->body).value_unsafe();
  EXPECT_EQ(st["code"].get_int64().value_unsafe(), 8);  // RESOURCE_EXHAUSTED
  EXPECT_NE(std::string_view(st["message"].get_string().value_unsafe()).find("65536"),
            std::string_view::npos)
      << r->body;

  // Garbage protobuf: 400 with a google.rpc.Status saying so.
  for (httplib::Client* client : {otlp_.get(), http_.get()}) {
    r = PostOtlp(*client, std::string("\x0a\xff\xff\xff\xff\x0f garbage", 14),
                 "application/x-protobuf");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/x-protobuf");
    RpcStatus rs = ParseRpcStatus(r->body);
    EXPECT_EQ(rs.code, 3);  // INVALID_ARGUMENT
    EXPECT_FALSE(rs.message.empty());
  }
  std::string bytes;
  EXPECT_EQ(GrpcExport(channel_, "\x0a\xff\xff\xff\xff\x0f", "", &bytes).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Malformed JSON: 400 with a JSON google.rpc.Status.
  r = PostOtlp(*otlp_, "{\"resourceProfiles\": [{\"scopeProfiles\": [", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  st = p.parse(r->body).value_unsafe();
  EXPECT_EQ(st["code"].get_int64().value_unsafe(), 3);
  EXPECT_FALSE(std::string_view(st["message"].get_string().value_unsafe()).empty());

  // Another content type: 415, naming what to send.
  r = PostOtlp(*otlp_, good, "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415);
  EXPECT_NE(ParseRpcStatus(r->body).message.find("application/x-protobuf"), std::string::npos);

  // Tenancy: an unknown token is 401, a token of another tenant 403, on HTTP and gRPC.
  r = PostOtlp(*otlp_, good, "application/x-protobuf", {{"Authorization", "Bearer nope"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(ParseRpcStatus(r->body).code, 16);  // UNAUTHENTICATED
  r = PostOtlp(*otlp_, good, "application/x-protobuf",
               {{"Authorization", "Bearer token-a"}, {"X-Scope-OrgID", "team-b"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(ParseRpcStatus(r->body).code, 7);  // PERMISSION_DENIED
  r = PostOtlp(*otlp_, good, "application/x-protobuf", {{"X-Scope-OrgID", "team-a"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(GrpcExport(channel_, good, "team-a", &bytes, "nope").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // The server still serves: the good request is stored, once per port.
  for (httplib::Client* client : {otlp_.get(), http_.get()}) {
    r = PostOtlp(*client, good, "application/x-protobuf", {{"Authorization", "Bearer token-a"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->body, "");  // an ExportProfilesServiceResponse without partial_success
  }
  EXPECT_EQ(Total("team-a", "process_cpu:samples:count:cpu:nanoseconds{service_name=\"survivor\"}",
                  "", "token-a"),
            2 * 2 * 3);
  EXPECT_EQ(
      Total("anonymous", "process_cpu:samples:count:cpu:nanoseconds{service_name=\"survivor\"}"),
      0);
  EXPECT_EQ(Metric("hearth_ingest_rejected_total{tenant=\"anonymous\",api=\"otlp\",reason="
                   "\"invalid_profile\"}"),
            4);
  EXPECT_EQ(
      Metric("hearth_ingest_rejected_total{tenant=\"\",api=\"otlp\",reason=\"unauthorized\"}"), 3);
}

TEST_F(OtlpReceiverTest, RateLimitingAnswers429WithRetryAfter) {
  const std::string pb = Read(storage::testing::FixturePath("otlp/cpuburn.cpu.10s.pb"));
  server_.reset();
  ServerConfig c = Config(dir_.path());
  TenantLimits slow;
  slow.ingestion_rate_bytes = 1000;
  slow.ingestion_burst_bytes = 1.5 * static_cast<double>(pb.size());
  c.limits.overrides["slow"] = slow;
  StartServer(std::move(c));
  const httplib::Headers as_slow{{"X-Scope-OrgID", "slow"}};

  httplib::Result r = PostOtlp(*otlp_, pb, "application/x-protobuf", as_slow);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  // The bucket has half a request left and refills at 1000 B/s.
  r = PostOtlp(*otlp_, pb, "application/x-protobuf", as_slow);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  ASSERT_TRUE(r->has_header("Retry-After"));
  const int retry_after = std::stoi(r->get_header_value("Retry-After"));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 35);  // at most the whole request's bytes at 1000 B/s
  const RpcStatus st = ParseRpcStatus(r->body);
  EXPECT_EQ(st.code, 8);  // RESOURCE_EXHAUSTED
  EXPECT_NE(st.message.find("rate"), std::string::npos) << st.message;
  std::string bytes;
  grpc::Status s = GrpcExport(channel_, pb, "slow", &bytes);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  // gRPC has no Retry-After: the delay is a google.rpc.RetryInfo in the status details
  // (OTLP clients retry RESOURCE_EXHAUSTED only with it). Read it with the protobuf runtime.
  google::protobuf::UnknownFieldSet details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  int64_t delay_s = -1;
  for (int i = 0; i < details.field_count(); ++i) {
    if (details.field(i).number() != 3) continue;
    google::protobuf::UnknownFieldSet any, info, duration;
    ASSERT_TRUE(any.ParseFromString(details.field(i).length_delimited()));
    ASSERT_EQ(any.field_count(), 2);
    EXPECT_EQ(any.field(0).length_delimited(), "type.googleapis.com/google.rpc.RetryInfo");
    ASSERT_TRUE(info.ParseFromString(any.field(1).length_delimited()));
    ASSERT_TRUE(duration.ParseFromString(info.field(0).length_delimited()));
    delay_s = duration.field_count() > 0 && duration.field(0).number() == 1
                  ? static_cast<int64_t>(duration.field(0).varint())
                  : 0;
  }
  EXPECT_GE(delay_s, 0);
  EXPECT_LE(delay_s, 35);
  // The OTLP/HTTP error body carries it too, in protobuf and JSON.
  r = PostOtlp(*otlp_, pb, "application/x-protobuf", as_slow);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_NE(r->body.find("type.googleapis.com/google.rpc.RetryInfo"), std::string::npos);
  r = PostOtlp(*otlp_, Read(storage::testing::FixturePath("otlp/node.wall.timestamps.json")),
               "application/json", as_slow);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_NE(r->body.find(R"("@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":")"),
            std::string::npos)
      << r->body;
  // Other tenants keep the defaults, and the refused requests stored nothing.
  r = PostOtlp(*otlp_, pb, "application/x-protobuf");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  const std::string query = "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn\"}";
  EXPECT_EQ(Total("slow", query), 3610000000);
  EXPECT_EQ(
      Metric("hearth_ingest_rejected_total{tenant=\"slow\",api=\"otlp\",reason=\"rate_limited\"}"),
      4);
}

TEST(OtlpProfileNameTest, PlainCountsTakeTheFamilyOfTheirPeriodType) {
  auto name = [](std::string_view type, std::string_view unit, std::string_view period_type) {
    profile::Profile p;
    p.sample_types.push_back({p.strings.Intern(type), p.strings.Intern(unit)});
    p.period_type = {p.strings.Intern(period_type), p.strings.Intern("nanoseconds")};
    return OtlpProfileName(p);
  };
  EXPECT_EQ(name("samples", "count", "cpu"), "process_cpu");  // Go, the eBPF profiler
  EXPECT_EQ(name("cpu", "nanoseconds", "cpu"), "process_cpu");
  EXPECT_EQ(name("sample", "count", "wall"), "wall");  // Node
  EXPECT_EQ(name("alloc_objects", "count", "space"), "memory");
  EXPECT_EQ(name("inuse_space", "bytes", "space"), "memory");
  EXPECT_EQ(name("off_cpu", "nanoseconds", ""), "off_cpu");
  EXPECT_EQ(name("contentions", "count", "contentions"), "mutex");
  EXPECT_EQ(name("events", "count", ""), "profile");
}

}  // namespace
}  // namespace hearth::server
