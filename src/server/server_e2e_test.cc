// The whole server over real sockets: Server::Start on port 0 with a temp data directory,
// every pprof fixture pushed through each ingest path (Pyroscope /ingest raw and multipart,
// push.v1 Push over Connect and gRPC, Parca WriteRaw over gRPC), then read back through
// each query API (Hearth's JSON, Pyroscope's querier and /render, Parca's QueryService) and
// checked against the fixtures' `go tool pprof -top` references; downloaded pprof files go
// through `go tool pprof` itself. Then restarts, bad input, tenancy and limits end to end.

#include <cctype>
#include <cstdlib>

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

#include "base/env.h"
#include "base/file.h"
#include "base/fmt.h"
#include "base/strings.h"
#include "parca/profilestore/v1alpha1/profilestore.pb.h"
#include "parca/query/v1alpha1/query.pb.h"
#include "profile/pprof_codec.h"
#include "profile/units.h"
#include "pyroscope/google/v1/profile.pb.h"
#include "pyroscope/push/v1/push.pb.h"
#include "pyroscope/querier/v1/querier.pb.h"
#include "server/ingest_api.h"
#include "server/query_test_util.h"
#include "server/server.h"
#include "storage/test_util.h"

namespace hearth::server {
namespace {

namespace fs = std::filesystem;
namespace pq = ::parca::query::v1alpha1;
namespace ps = ::parca::profilestore::v1alpha1;
using testing::GoPprofTop;
using testing::TopRows;

// A wide range: the fixtures carry the times they were captured at.
constexpr char kFrom[] = "2020-01-01T00:00:00Z";
constexpr int64_t kFromMs = 1577836800000;
constexpr int64_t kUntilMs = 4102444800000;  // 2100

// One pprof fixture and its `go tool pprof -top` reference.
struct Fixture {
  std::string id;       // "http.cpuburn.profile.10s"
  std::string bytes;    // as captured (gzipped)
  std::string type;     // the reference's "Type:", i.e. the default sample type
  int64_t total = 0;    // sum of that sample type
  bool cumulative = false;
  std::vector<std::string> ref_rows;  // the -top rows
  std::string ref_showing;            // "Showing nodes accounting for ..."
};

// Whitespace-separated fields.
std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::string_view f : Split(s, ' ')) {
    if (!f.empty()) out.push_back(f);
  }
  return out;
}

// `v` in the unit a reference cell uses ("0.97MB" -> MB): pprof picks one output unit for a
// whole report from its smallest and largest values, so each cell is compared in that unit.
std::string LabelLike(int64_t v, std::string_view unit, std::string_view ref_cell) {
  size_t i = 0;
  while (i < ref_cell.size() && (std::isdigit(static_cast<unsigned char>(ref_cell[i])) || ref_cell[i] == '.' || ref_cell[i] == '-')) ++i;
  const std::string_view suffix = ref_cell.substr(i);
  return profile::ScaledLabel(v, unit, suffix.empty() ? std::string_view(unit) : suffix);
}

// T of the "Showing nodes accounting for X, P% of T total" line.
std::string RefTotal(std::string_view showing) {
  const size_t of = showing.rfind(" of ");
  const size_t end = showing.rfind(" total");
  if (of == std::string_view::npos || end == std::string_view::npos || end < of) return "";
  return std::string(showing.substr(of + 4, end - of - 4));
}

// A reference row's name column: everything after the fifth field.
std::string RowName(std::string_view row) {
  std::vector<std::string_view> f = SplitSpaces(row);
  std::string name;
  for (size_t i = 5; i < f.size(); ++i) {
    if (i > 5) name += ' ';
    name.append(f[i]);
  }
  return name;
}

// The "Showing nodes accounting for X, P% of T total" line of a -top output.
std::string ShowingLine(std::string_view top) {
  for (std::string_view line : Split(top, '\n')) {
    if (line.starts_with("Showing nodes")) return std::string(line);
  }
  return "";
}

std::vector<Fixture> LoadFixtures() {
  std::vector<Fixture> out;
  const std::string root = storage::testing::FixturePath("");
  for (auto [dir, prefix, refs] : {std::tuple{"go/http", "http.", "go/pprof_text/"},
                                   std::tuple{"go/runtime_pprof", "runtime_pprof.", "go/pprof_text/"},
                                   std::tuple{"node/out", "", "node/pprof_text/"}}) {
    for (const auto& e : fs::directory_iterator(root + dir)) {
      const std::string name = e.path().filename().string();
      if (!name.ends_with(".pb.gz")) continue;
      Fixture f;
      f.id = prefix + name.substr(0, name.size() - 6);
      auto ref = ReadFile(root + refs + f.id + ".top.txt");
      if (!ref.ok()) continue;  // no reference: nothing to compare with
      auto bytes = ReadFile(e.path().string());
      EXPECT_TRUE(bytes.ok());
      f.bytes = *bytes;
      for (std::string_view line : Split(*ref, '\n')) {
        if (line.starts_with("Type: ")) f.type = std::string(line.substr(6));
      }
      f.ref_showing = ShowingLine(*ref);
      f.ref_rows = TopRows(*ref);
      auto p = profile::DecodePprof(f.bytes);
      EXPECT_TRUE(p.ok()) << f.id << ": " << p.status();
      f.cumulative = HoldsRunningTotals(*p);
      for (size_t i = 0; i < p->sample_types.size(); ++i) {
        if (p->strings[p->sample_types[i].type] == f.type) f.total = p->Total(i);
      }
      out.push_back(std::move(f));
    }
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
  return out;
}

class ServerE2ETest : public ::testing::Test {
 protected:
  static ServerConfig Config(const std::string& dir) {
    ServerConfig c;
    c.http = {"127.0.0.1", 0};
    c.grpc = {"127.0.0.1", 0};
    c.otlp_http_enabled = false;
    c.data_dir = dir;
    c.retention.raw_ns = 0;  // keep the fixtures' capture times, however old
    c.retention.minute_ns = 0;
    c.tenancy.token_to_tenant = {{"token-a", "team-a"}, {"token-b", "team-b"}};
    return c;
  }

  void StartServer(ServerConfig c) {
    auto s = Server::Start(std::move(c), env_.get());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->http_port());
    http_->set_read_timeout(60);
    channel_ = grpc::CreateChannel(fmt::format("127.0.0.1:{}", server_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
  }

  void SetUp() override {
    env_ = NewPosixEnv();
    StartServer(Config(dir_.path()));
  }

  httplib::Result Post(const std::string& target, const std::string& body,
                       const std::string& content_type, httplib::Headers headers = {}) {
    return http_->Post(target, headers, body, content_type);
  }

  // A JSON GET; fails the test on a non-200.
  simdjson::dom::element GetJson(const std::string& path, httplib::Params params,
                                 const std::string& tenant = "") {
    httplib::Headers h;
    if (!tenant.empty()) h.emplace("X-Scope-OrgID", tenant);
    auto r = http_->Get(path, params, h);
    EXPECT_TRUE(r) << path;
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    json_ = r->body;
    auto doc = parser_.parse(json_);
    EXPECT_EQ(doc.error(), simdjson::SUCCESS) << r->body;
    return doc.value_unsafe();
  }

  // A unary gRPC call with serialized messages.
  grpc::Status GrpcCall(const std::string& method, const google::protobuf::Message& req,
                        google::protobuf::Message* resp, const std::string& tenant = "",
                        const std::string& token = "") {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext ctx;
    if (!tenant.empty()) ctx.AddMetadata("x-scope-orgid", tenant);
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    const std::string wire = req.SerializeAsString();
    grpc::Slice slice(wire);
    grpc::ByteBuffer request(&slice, 1), response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response,
                   [&](grpc::Status s) { done.set_value(std::move(s)); });
    grpc::Status s = done.get_future().get();
    if (!s.ok()) return s;
    std::vector<grpc::Slice> slices;
    (void)response.Dump(&slices);
    std::string out;
    for (const auto& sl : slices) out.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
    if (!resp->ParseFromString(out)) return grpc::Status(grpc::StatusCode::INTERNAL, "bad response");
    return s;
  }

  // Pushes a fixture as service `svc` through `path`. `name` is the profile family, which
  // only WriteRaw needs (Parca requires __name__).
  void Push(const std::string& path, const std::string& svc, const Fixture& f,
            const std::string& name = "") {
    // Cumulative fixtures (heap allocs, block, mutex) are stored as sent, so they compare
    // with their references; the delta path has its own test below.
    const std::string delta = f.cumulative ? ",__delta__=\"false\"" : "";
    const std::string app = fmt::format("{}{{env=\"e2e\"{}}}", svc, delta);
    if (path == "ingest" || path == "multipart") {
      const int64_t now = env_->NowNanos() / 1000000000;
      httplib::Params q{{"name", app}, {"from", std::to_string(now - 10)},
                        {"until", std::to_string(now)}, {"spyName", "gospy"}};
      std::string target =
          (path == "ingest" ? "/ingest?" : "/pyroscope/ingest?") + httplib::detail::params_to_query_str(q);
      std::string body = f.bytes, content_type = "application/octet-stream";
      if (path == "ingest") {
        target += "&format=pprof";
      } else {
        const std::string b = "e2eboundary";
        content_type = "multipart/form-data; boundary=" + b;
        body = fmt::format(
            "--{0}\r\nContent-Disposition: form-data; name=\"profile\"; filename=\"profile.pprof\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n{1}\r\n--{0}--\r\n",
            b, f.bytes);
      }
      httplib::Result r = Post(target, body, content_type);
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200) << path << " " << f.id << ": " << r->body;
      return;
    }
    if (path == "connect" || path == "grpc") {
      ::push::v1::PushRequest req;
      auto* series = req.add_series();
      for (auto [k, v] : {std::pair{"service_name", svc}, std::pair{"env", std::string("e2e")}}) {
        auto* l = series->add_labels();
        l->set_name(k);
        l->set_value(v);
      }
      if (f.cumulative) {
        auto* l = series->add_labels();
        l->set_name("__delta__");
        l->set_value("false");
      }
      series->add_samples()->set_raw_profile(f.bytes);
      if (path == "connect") {
        auto r = Post(std::string(kPushPath), req.SerializeAsString(), "application/proto");
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 200) << f.id << ": " << r->body;
      } else {
        ::push::v1::PushResponse resp;
        grpc::Status s = GrpcCall(std::string(kPushPath), req, &resp);
        ASSERT_TRUE(s.ok()) << f.id << ": " << s.error_message();
      }
      return;
    }
    ASSERT_EQ(path, "writeraw");
    ps::WriteRawRequest req;
    auto* series = req.add_series();
    for (auto [k, v] : {std::pair{"__name__", name}, std::pair{"job", svc},
                        std::pair{"env", std::string("e2e")}}) {
      auto* l = series->mutable_labels()->add_labels();
      l->set_name(k);
      l->set_value(v);
    }
    if (f.cumulative) {
      auto* l = series->mutable_labels()->add_labels();
      l->set_name("__delta__");
      l->set_value("false");
    }
    series->add_samples()->set_raw_profile(f.bytes);
    ps::WriteRawResponse resp;
    grpc::Status s = GrpcCall(std::string(kWriteRawPath), req, &resp);
    ASSERT_TRUE(s.ok()) << f.id << ": " << s.error_message();
  }

  // The profile type id of `svc` whose sample type is `sample_type`.
  std::string TypeOf(const std::string& svc, const std::string& sample_type) {
    auto doc = GetJson("/api/v1/profile_types",
                       {{"query", fmt::format("{{service_name=\"{}\"}}", svc)},
                        {"from", kFrom},
                        {"until", "now+1h"}});
    for (auto t : doc["profile_types"].get_array()) {
      if (std::string_view(t["sample_type"].get_string().value_unsafe()) == sample_type) {
        return std::string(t["id"].get_string().value_unsafe());
      }
    }
    ADD_FAILURE() << svc << " has no profile type with sample type " << sample_type << ": "
                  << json_;
    return "";
  }

  storage::testing::TempDir dir_;
  std::unique_ptr<Env> env_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> http_;
  std::shared_ptr<grpc::Channel> channel_;
  simdjson::dom::parser parser_;
  std::string json_;
};

TEST_F(ServerE2ETest, EveryFixtureThroughEveryIngestPathAndQueryApi) {
  const std::vector<Fixture> fixtures = LoadFixtures();
  ASSERT_EQ(fixtures.size(), 18u);  // 9 over HTTP, 7 from runtime/pprof, 2 from Node
  const std::vector<std::string> paths = {"ingest", "multipart", "connect", "grpc", "writeraw"};

  // Profile families as the server named them from the sample types; WriteRaw must name
  // its series, and uses the same names.
  std::map<std::string, std::string> family;
  for (const std::string& path : paths) {
    for (const Fixture& f : fixtures) {
      const std::string svc = path + "-" + f.id;
      if (path == "writeraw") {
        Push(path, svc, f, family[f.id]);
      } else {
        Push(path, svc, f);
      }
      if (path == "ingest") {
        const std::string type = TypeOf(svc, f.type);
        family[f.id] = type.substr(0, type.find(':'));
      }
    }
  }

  int go_pprof_runs = 0;
  for (const Fixture& f : fixtures) {
    SCOPED_TRACE(f.id);
    std::string unit;
    for (const std::string& path : paths) {
      SCOPED_TRACE(path);
      const std::string svc = path + "-" + f.id;
      const std::string type = TypeOf(svc, f.type);
      ASSERT_FALSE(type.empty());
      // Push without __name__ names the family from the sample types (goroutine), /ingest
      // as Pyroscope's metricName does (goroutines); WriteRaw was given the /ingest name.
      if (path != "connect" && path != "grpc") {
        EXPECT_EQ(type.substr(0, type.find(':')), family[f.id]);
      }
      const std::string query = fmt::format("{}{{service_name=\"{}\"}}", type, svc);
      unit = std::string(Split(type, ':')[2]);

      // Hearth's top table: the reference's total and its first rows, value for value.
      auto top = GetJson("/api/v1/merge",
                         {{"query", query}, {"format", "top"}, {"from", kFrom}, {"until", "now+1h"}});
      auto group = top["groups"].at(0);
      const int64_t total = group["total"].get_int64().value_unsafe();
      EXPECT_EQ(total, f.total);
      const std::string ref_total = RefTotal(f.ref_showing);
      EXPECT_EQ(LabelLike(total, unit, ref_total), ref_total) << f.ref_showing;
      // pprof's -top drops nodes whose |cum| is under 0.5% of the total (nodefraction).
      const int64_t cutoff = static_cast<int64_t>(static_cast<double>(total) * 0.005);
      size_t i = 0;
      for (auto row : group["rows"].get_array()) {
        if (i == std::min<size_t>(8, f.ref_rows.size())) break;
        if (std::abs(row["cum"].get_int64().value_unsafe()) < cutoff) continue;
        std::string name(row["name"].get_string().value_unsafe());
        bool is_inline = false;
        if (!row["inline"].get(is_inline) && is_inline) name += " (inline)";
        const std::vector<std::string_view> ref = SplitSpaces(f.ref_rows[i]);
        EXPECT_EQ(name, RowName(f.ref_rows[i])) << "row " << i;
        EXPECT_EQ(LabelLike(row["flat"].get_int64().value_unsafe(), unit, ref[0]), ref[0])
            << "row " << i << " " << name;
        EXPECT_EQ(LabelLike(row["cum"].get_int64().value_unsafe(), unit, ref[3]), ref[3])
            << "row " << i << " " << name;
        ++i;
      }

      // Pyroscope: SelectMergeStacktraces over Connect JSON (Grafana's call) and /render.
      httplib::Result r = Post(
          "/querier.v1.QuerierService/SelectMergeStacktraces",
          fmt::format(R"({{"profileTypeID":"{}","labelSelector":"{{service_name=\"{}\"}}","start":"{}","end":"{}","maxNodes":"16384"}})",
                      type, svc, kFromMs, kUntilMs),
          "application/json");
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200) << r->body;
      ::querier::v1::SelectMergeStacktracesResponse fg;
      ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r->body, &fg).ok()) << r->body;
      EXPECT_EQ(fg.flamegraph().total(), f.total);
      EXPECT_GT(fg.flamegraph().names_size(), 1);

      auto render = GetJson("/pyroscope/render", {{"query", query}, {"from", kFrom}, {"until", "now+1h"}});
      EXPECT_EQ(render["flamebearer"]["numTicks"].get_int64().value_unsafe(), f.total);

      // Parca: Query (merge, top report) over gRPC.
      pq::QueryRequest preq;
      preq.set_mode(pq::QueryRequest::MODE_MERGE);
      preq.set_report_type(pq::QueryRequest::REPORT_TYPE_TOP);
      preq.mutable_merge()->set_query(query);
      preq.mutable_merge()->mutable_start()->set_seconds(kFromMs / 1000);
      preq.mutable_merge()->mutable_end()->set_seconds(kUntilMs / 1000);
      pq::QueryResponse presp;
      grpc::Status s = GrpcCall("/parca.query.v1alpha1.QueryService/Query", preq, &presp);
      ASSERT_TRUE(s.ok()) << s.error_message();
      EXPECT_EQ(presp.total(), f.total);
      ASSERT_GT(presp.top().list_size(), 0);
      EXPECT_EQ(presp.top().list(0).meta().function().name() +
                    (RowName(f.ref_rows[0]).ends_with(" (inline)") ? " (inline)" : ""),
                RowName(f.ref_rows[0]));

      // pprof downloads, opened by `go tool pprof` itself: Hearth's from the /ingest copy,
      // Pyroscope's SelectMergeProfile from the gRPC Push copy, Parca's from WriteRaw's.
      std::string pprof;
      if (path == "ingest") {
        auto d = http_->Get("/api/v1/merge", {{"query", query}, {"format", "pprof"}, {"from", kFrom}, {"until", "now+1h"}},
                            httplib::Headers{});
        ASSERT_TRUE(d);
        ASSERT_EQ(d->status, 200) << d->body;
        pprof = d->body;
      } else if (path == "grpc") {
        ::querier::v1::SelectMergeProfileRequest req;
        req.set_profile_typeid(type);
        req.set_label_selector(fmt::format("{{service_name=\"{}\"}}", svc));
        req.set_start(kFromMs);
        req.set_end(kUntilMs);
        ::google::v1::Profile resp;
        grpc::Status gs = GrpcCall("/querier.v1.QuerierService/SelectMergeProfile", req, &resp);
        ASSERT_TRUE(gs.ok()) << gs.error_message();
        pprof = resp.SerializeAsString();
      } else if (path == "writeraw") {
        preq.set_report_type(pq::QueryRequest::REPORT_TYPE_PPROF);
        ASSERT_TRUE(GrpcCall("/parca.query.v1alpha1.QueryService/Query", preq, &presp).ok());
        pprof = presp.pprof();
      }
      if (!pprof.empty()) {
        testing::CommandResult top_out = GoPprofTop(pprof);
        ++go_pprof_runs;
        ASSERT_EQ(top_out.exit_code, 0) << top_out.err;
        EXPECT_EQ(ShowingLine(top_out.out), f.ref_showing);
        EXPECT_EQ(TopRows(top_out.out), f.ref_rows) << top_out.out;
      }
    }
  }
  EXPECT_EQ(go_pprof_runs, 3 * static_cast<int>(fixtures.size()));
}


// A fixture pushed to /ingest as `app` ("svc{k=v}"), with extra headers.
httplib::Result IngestAs(httplib::Client& http, const std::string& app, const std::string& body,
                         httplib::Headers headers) {
  httplib::Params q{{"name", app}, {"format", "pprof"}, {"spyName", "gospy"}};
  return http.Post("/ingest?" + httplib::detail::params_to_query_str(q), headers, body,
                   "application/octet-stream");
}

std::string CpuFixture() {
  auto b = ReadFile(storage::testing::FixturePath("go/http/cpuburn.profile.3s.pb.gz"));
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? *b : "";
}

int64_t TotalOf(const std::string& pprof) {
  auto p = profile::DecodePprof(pprof);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? p->Total(p->sample_types.size() - 1) : -1;
}

constexpr char kCpu[] = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

TEST_F(ServerE2ETest, TenantsAreIsolatedAndTokensReachOnlyTheirTenant) {
  const std::string cpu = CpuFixture();
  auto bearer = [](const std::string& t) { return httplib::Headers{{"Authorization", "Bearer " + t}}; };
  auto with = [](httplib::Headers h, const std::string& org) {
    h.emplace("X-Scope-OrgID", org);
    return h;
  };
  // Writes: each token into its own tenant; the token is enough to name the tenant.
  auto r = IngestAs(*http_, "svc-a", cpu, with(bearer("token-a"), "team-a"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = IngestAs(*http_, "svc-b", cpu, bearer("token-b"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  // Basic auth as the Pyroscope SDKs send it (user:token).
  r = IngestAs(*http_, "svc-b2", cpu, httplib::Headers{httplib::make_basic_authentication_header("123", "token-b")});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  // No tokens configured for the default tenant: open.
  r = IngestAs(*http_, "svc-anon", cpu, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;

  // Rejections say why and store nothing.
  r = IngestAs(*http_, "svc-x", cpu, with(bearer("token-a"), "team-b"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(r->body.find("team-b"), std::string::npos) << r->body;
  r = IngestAs(*http_, "svc-x", cpu, with(bearer("wrong"), "team-a"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << r->body;
  r = IngestAs(*http_, "svc-x", cpu, with({}, "team-a"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << r->body;
  EXPECT_NE(r->body.find("token"), std::string::npos) << r->body;

  // Reads: every tenant sees only its own services, on every API.
  auto services = [&](const std::string& org, const std::string& token) {
    httplib::Headers h = token.empty() ? httplib::Headers{} : bearer(token);
    if (!org.empty()) h.emplace("X-Scope-OrgID", org);
    auto res = http_->Get("/api/v1/label_values",
                          {{"name", "service_name"}, {"from", kFrom}, {"until", "now+1h"}}, h);
    std::vector<std::string> out;
    EXPECT_TRUE(res);
    if (!res) return out;
    if (res->status != 200) {
      out.push_back(std::to_string(res->status));
      return out;
    }
    auto doc = parser_.parse(res->body);
    for (auto v : doc["values"].get_array()) out.emplace_back(v.get_string().value_unsafe());
    return out;
  };
  EXPECT_EQ(services("team-a", "token-a"), std::vector<std::string>{"svc-a"});
  EXPECT_EQ(services("", "token-b"), (std::vector<std::string>{"svc-b", "svc-b2"}));
  EXPECT_EQ(services("", ""), std::vector<std::string>{"svc-anon"});
  EXPECT_EQ(services("team-a", ""), std::vector<std::string>{"401"});
  EXPECT_EQ(services("team-a", "token-b"), std::vector<std::string>{"403"});

  // gRPC: the same rules through metadata.
  ::push::v1::PushRequest push;
  auto* series = push.add_series();
  auto* l = series->add_labels();
  l->set_name("service_name");
  l->set_value("svc-grpc");
  series->add_samples()->set_raw_profile(cpu);
  ::push::v1::PushResponse pr;
  EXPECT_EQ(GrpcCall(std::string(kPushPath), push, &pr, "team-a", "token-b").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GrpcCall(std::string(kPushPath), push, &pr, "team-a").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(GrpcCall(std::string(kPushPath), push, &pr, "team-a", "token-a").ok());
  pq::ValuesRequest vreq;
  vreq.set_label_name("service_name");
  pq::ValuesResponse vresp;
  ASSERT_TRUE(GrpcCall("/parca.query.v1alpha1.QueryService/Values", vreq, &vresp, "team-b", "token-b").ok());
  EXPECT_EQ(std::vector<std::string>(vresp.label_values().begin(), vresp.label_values().end()),
            (std::vector<std::string>{"svc-b", "svc-b2"}));
  ASSERT_TRUE(GrpcCall("/parca.query.v1alpha1.QueryService/Values", vreq, &vresp, "team-a", "token-a").ok());
  EXPECT_EQ(std::vector<std::string>(vresp.label_values().begin(), vresp.label_values().end()),
            (std::vector<std::string>{"svc-a", "svc-grpc"}));
}

TEST_F(ServerE2ETest, LimitViolationsGiveTheDocumented4xx) {
  server_.reset();
  ServerConfig c = Config(dir_.path());
  TenantLimits small;
  small.max_body_bytes = 64 << 10;
  small.max_labels_per_series = 4;
  small.max_label_value_length = 16;
  small.max_series_per_tenant = 2;
  c.limits.overrides["small"] = small;
  TenantLimits slow;
  slow.ingestion_rate_bytes = 1000;
  slow.ingestion_burst_bytes = 3.5 * static_cast<double>(CpuFixture().size());
  c.limits.overrides["slow"] = slow;
  StartServer(std::move(c));
  const std::string cpu = CpuFixture();
  ASSERT_LT(cpu.size(), size_t{60} << 10);
  const httplib::Headers small_tenant{{"X-Scope-OrgID", "small"}};
  auto expect = [&](httplib::Result r, int status, std::string_view says) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_NE(r->body.find(says), std::string::npos) << r->body;
  };
  expect(IngestAs(*http_, "s{a=1,b=2,c=3,d=4}", cpu, small_tenant), 400, "labels");
  expect(IngestAs(*http_, "s{a=a-value-longer-than-16}", cpu, small_tenant), 400, "longer than 16");
  expect(IngestAs(*http_, "s", std::string(80 << 10, 'x'), small_tenant), 413, "65536");
  expect(IngestAs(*http_, "s1", cpu, small_tenant), 200, "");
  expect(IngestAs(*http_, "s2", cpu, small_tenant), 200, "");
  expect(IngestAs(*http_, "s3", cpu, small_tenant), 429, "series");
  // The bucket holds 3 profiles and refills at 1000 B/s: the fourth push is rate limited,
  // with a Retry-After saying when the bytes will be there.
  const httplib::Headers slow_tenant{{"X-Scope-OrgID", "slow"}};
  for (int i = 0; i < 3; ++i) expect(IngestAs(*http_, "s1", cpu, slow_tenant), 200, "");
  httplib::Result r = IngestAs(*http_, "s1", cpu, slow_tenant);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429) << r->body;
  EXPECT_NE(r->body.find("rate"), std::string::npos) << r->body;
  ASSERT_TRUE(r->has_header("Retry-After"));
  EXPECT_GE(std::stoi(r->get_header_value("Retry-After")), 1);
  // Other tenants keep the defaults.
  expect(IngestAs(*http_, "s3", cpu, {}), 200, "");

  // What was refused is counted by reason.
  auto m = http_->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("hearth_ingest_rejected_total{tenant=\"slow\",api=\"ingest\",reason=\"rate_limited\"} 1\n"),
            std::string::npos)
      << m->body;
}

TEST_F(ServerE2ETest, MalformedInputIsA4xxThatSaysWhyAndLosesNothing) {
  const std::string cpu = CpuFixture();
  ASSERT_EQ(IngestAs(*http_, "good", cpu, {})->status, 200);
  auto expect = [&](const std::string& target, const std::string& body, std::string_view says) {
    auto r = http_->Post(target, body, "application/octet-stream");
    ASSERT_TRUE(r) << target;
    EXPECT_GE(r->status, 400) << target;
    EXPECT_LT(r->status, 500) << target;
    EXPECT_NE(r->body.find(says), std::string::npos) << target << ": " << r->body;
  };
  expect("/ingest?name=bad&format=pprof", cpu.substr(0, cpu.size() / 2), "gzip");
  expect("/ingest?name=bad&format=pprof", "\x1f\x8b\x08\x00garbage", "gzip");
  expect("/ingest?name=bad&format=pprof", std::string("\x0a\xff\xff\xff\xff\x0f", 6), "pprof");
  expect("/ingest?name=bad&format=nope", "x", "nope");
  expect("/ingest?name=bad%7B1a%3Db%7D&format=folded", "a;b 1\n", "1a");
  expect("/ingest?name=bad&format=folded&from=yesterday", "a;b 1\n", "from");
  expect("/ingest?format=folded", "a;b 1\n", "name");
  expect(std::string(kPushPath), "not a protobuf", "");
  ::push::v1::PushRequest push;
  auto* series = push.add_series();
  series->add_samples()->set_raw_profile("garbage");
  ::push::v1::PushResponse pr;
  grpc::Status s = GrpcCall(std::string(kPushPath), push, &pr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("series 0 sample 0"), std::string::npos) << s.error_message();
  auto bad_query = http_->Get("/api/v1/merge", {{"query", "{service_name=~\"(\"}"}}, httplib::Headers{});
  ASSERT_TRUE(bad_query);
  EXPECT_EQ(bad_query->status, 400) << bad_query->body;

  // The server still serves, and the good profile is whole.
  auto ready = http_->Get("/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  auto top = GetJson("/api/v1/merge", {{"query", fmt::format("{}{{service_name=\"good\"}}", kCpu)},
                                       {"format", "top"}, {"from", kFrom}, {"until", "now+1h"}});
  EXPECT_EQ(top["groups"].at(0)["total"].get_int64().value_unsafe(), TotalOf(cpu));
}

TEST_F(ServerE2ETest, ShutdownFlushesAndARestartServesEverything) {
  const std::string cpu = CpuFixture();
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(IngestAs(*http_, fmt::format("restart{{i=\"{}\"}}", i % 4), cpu, {})->status, 200);
  }
  const std::string query = fmt::format("{}{{service_name=\"restart\"}}", kCpu);
  auto total_now = [&] {
    auto top = GetJson("/api/v1/merge", {{"query", query}, {"format", "top"}, {"from", kFrom}, {"until", "now+1h"}});
    return top["groups"].at(0)["total"].get_int64().value_unsafe();
  };
  const int64_t before = total_now();
  EXPECT_EQ(before, 20 * TotalOf(cpu));
  ASSERT_TRUE(server_->Shutdown().ok());
  server_.reset();
  StartServer(Config(dir_.path()));
  EXPECT_EQ(total_now(), before);
  auto values = GetJson("/api/v1/label_values", {{"name", "i"}, {"query", query}, {"from", kFrom}, {"until", "now+1h"}});
  EXPECT_EQ(values["values"].get_array().size(), 4u);
}

TEST_F(ServerE2ETest, MetricsDescribeIngestQueriesAndStorage) {
  const std::string cpu = CpuFixture();
  ASSERT_EQ(IngestAs(*http_, "metrics", cpu, {})->status, 200);
  ASSERT_EQ(http_->Post("/ingest?name=metrics&format=pprof", "junk", "application/octet-stream")->status, 400);
  GetJson("/api/v1/merge", {{"query", fmt::format("{}{{service_name=\"metrics\"}}", kCpu)}, {"from", kFrom}, {"until", "now+1h"}});
  auto m = http_->Get("/metrics");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->status, 200);
  EXPECT_NE(m->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  for (const std::string& want : {
           std::string("hearth_ingest_profiles_total{tenant=\"anonymous\",api=\"ingest\"} 1\n"),
           fmt::format("hearth_ingest_bytes_total{{tenant=\"anonymous\",api=\"ingest\"}} {}\n", cpu.size()),
           std::string("hearth_ingest_rejected_total{tenant=\"anonymous\",api=\"ingest\",reason=\"invalid_profile\"} 1\n"),
           std::string("# TYPE hearth_query_duration_seconds histogram\n"),
           std::string("hearth_ingest_duration_seconds_count{api=\"ingest\"} 1\n"),
           std::string("hearth_storage_wal_syncs "),
           std::string("hearth_process_resident_memory_bytes "),
       }) {
    EXPECT_NE(m->body.find(want), std::string::npos) << want << "\n" << m->body;
  }
}

}  // namespace
}  // namespace hearth::server
