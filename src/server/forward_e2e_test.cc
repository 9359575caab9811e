// Forwarding end to end, every server real and on port 0:
//
//                 ┌── OTLP/HTTP (gzip) ──▶ B   (B's OTLP/HTTP port)
//   /ingest ─▶ A ─┼── OTLP/gRPC (gzip) ──▶ C
//                 └── Pyroscope /ingest ─▶ D
//
// The Go fixtures pushed to A arrive at B, C and D with the same totals and top functions as
// A stores them (and as `go tool pprof` reports them). Then B goes down while more arrive
// (A accepts them; its queue for B holds them), comes back on the same port and data
// directory, and gets everything exactly once. Then A restarts with a non-empty queue and
// delivers it after the restart.

#include <gtest/gtest.h>
#include <httplib.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "base/env.h"
#include "base/file.h"
#include "base/fmt.h"
#include "base/strings.h"
#include "profile/pprof_codec.h"
#include "server/server.h"
#include "storage/test_util.h"

namespace hearth::server {
namespace {

namespace fs = std::filesystem;

constexpr char kFrom[] = "2020-01-01T00:00:00Z";

struct Fixture {
  std::string id;     // "leaky.heap"
  std::string bytes;  // as captured (gzipped pprof)
  std::string type;   // the reference's sample type ("inuse_space")
  int64_t total = 0;  // of that type
  std::string top;    // the reference's first -top row's function
};

std::vector<Fixture> LoadFixtures() {
  std::vector<Fixture> out;
  const std::string root = storage::testing::FixturePath("go/");
  for (const auto& e : fs::directory_iterator(root + "http")) {
    const std::string name = e.path().filename().string();
    if (!name.ends_with(".pb.gz")) continue;
    Fixture f;
    f.id = name.substr(0, name.size() - 6);
    auto ref = ReadFile(root + "pprof_text/http." + f.id + ".top.txt");
    if (!ref.ok()) continue;
    f.bytes = *ReadFile(e.path().string());
    bool rows = false;
    for (std::string_view line : Split(*ref, '\n')) {
      if (line.starts_with("Type: ")) f.type = std::string(line.substr(6));
      if (rows && f.top.empty()) {
        // "  147.34MB 74.58% 74.58%   147.34MB 74.58%  main.appendHistory (inline)"
        std::vector<std::string_view> fields;
        for (std::string_view w : Split(line, ' ')) {
          if (!w.empty()) fields.push_back(w);
        }
        if (fields.size() > 5) f.top = std::string(fields[5]);
      }
      rows |= line.find("flat  flat%") != std::string_view::npos;
    }
    auto p = profile::DecodePprof(f.bytes);
    EXPECT_TRUE(p.ok()) << f.id;
    for (size_t i = 0; i < p->sample_types.size(); ++i) {
      if (p->Str(p->sample_types[i].type) == f.type) f.total = p->Total(i);
    }
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(), [](const Fixture& a, const Fixture& b) { return a.id < b.id; });
  return out;
}

// One top table: (name, flat, cum) rows.
struct Top {
  std::string type_id;
  int64_t total = -1;
  std::vector<std::tuple<std::string, int64_t, int64_t>> rows;
};

// A server with its own data directory, restartable on the same ports and directory.
class Node {
 public:
  explicit Node(std::string name) : name_(std::move(name)) {}

  void Start(std::string forward_yaml = "") {
    ServerConfig c;
    c.http = {"127.0.0.1", http_port_};
    c.grpc = {"127.0.0.1", grpc_port_};
    c.otlp_http = {"127.0.0.1", otlp_port_};
    c.data_dir = dir_.path();
    c.retention.raw_ns = 0;  // keep the fixtures' capture times, however old
    c.retention.minute_ns = 0;
    c.forward_yaml = std::move(forward_yaml);
    auto s = Server::Start(std::move(c), env_.get());
    ASSERT_TRUE(s.ok()) << name_ << ": " << s.status();
    server_ = std::move(*s);
    http_port_ = server_->http_port();
    grpc_port_ = server_->grpc_port();
    otlp_port_ = server_->otlp_http_port();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", http_port_);
    client_->set_read_timeout(60);
  }
  void Stop() {
    if (server_ == nullptr) return;
    ASSERT_TRUE(server_->Shutdown().ok());
    server_.reset();
    client_.reset();
  }

  // Pushes a fixture through Pyroscope's /ingest as service `svc`.
  void Ingest(const std::string& svc, const Fixture& f) {
    const int64_t now = env_->NowNanos() / 1'000'000'000;
    httplib::Params q{{"name", svc + "{env=e2e}"},
                      {"from", std::to_string(now - 10)},
                      {"until", std::to_string(now)},
                      {"spyName", "gospy"},
                      {"format", "pprof"}};
    auto r = client_->Post("/ingest?" + httplib::detail::params_to_query_str(q), f.bytes,
                           "application/octet-stream");
    ASSERT_TRUE(r) << name_;
    ASSERT_EQ(r->status, 200) << name_ << " " << f.id << ": " << r->body;
  }

  // The id of the profile type of `svc` whose sample type is `sample_type` ("" if none).
  std::string TypeOf(const std::string& svc, const std::string& sample_type) {
    auto r = client_->Get("/api/v1/profile_types",
                          httplib::Params{{"query", fmt::format("{{service_name=\"{}\"}}", svc)},
                                          {"from", kFrom},
                                          {"until", "now+1h"}},
                          httplib::Headers{});
    if (!r || r->status != 200) return "";
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(r->body).get(doc)) return "";
    for (auto t : doc["profile_types"].get_array()) {
      if (std::string_view(t["sample_type"].get_string().value_unsafe()) == sample_type) {
        return std::string(t["id"].get_string().value_unsafe());
      }
    }
    return "";
  }

  // `more` adds matchers: `,forwarded_by="a"`.
  Top TopOf(const std::string& svc, const std::string& sample_type, const std::string& more = "") {
    Top top;
    top.type_id = TypeOf(svc, sample_type);
    if (top.type_id.empty()) return top;
    auto r = client_->Get("/api/v1/merge",
                          httplib::Params{{"query", fmt::format("{}{{service_name=\"{}\"{}}}",
                                                                top.type_id, svc, more)},
                                          {"format", "top"},
                                          {"from", kFrom},
                                          {"until", "now+1h"}},
                          httplib::Headers{});
    EXPECT_TRUE(r && r->status == 200) << name_ << ": " << (r ? r->body : "no response");
    if (!r || r->status != 200) return top;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    EXPECT_FALSE(parser.parse(r->body).get(doc)) << r->body;
    auto groups = doc["groups"].get_array();
    if (groups.error() || groups.value_unsafe().size() == 0) return top;
    auto g = groups.value_unsafe().at(0).value_unsafe();
    top.total = g["total"].get_int64().value_unsafe();
    for (auto row : g["rows"].get_array()) {
      top.rows.emplace_back(std::string(row["name"].get_string().value_unsafe()),
                            row["flat"].get_int64().value_unsafe(),
                            row["cum"].get_int64().value_unsafe());
    }
    return top;
  }

  // A sample of /metrics, e.g. `hearth_forward_exported_total{exporter="b"}`; -1 if absent.
  double Metric(const std::string& series) {
    auto r = client_->Get("/metrics");
    if (!r) return -1;
    for (std::string_view line : Split(r->body, '\n')) {
      if (line.starts_with(series + " ")) {
        double v = -1;
        (void)ParseDouble(line.substr(series.size() + 1), &v);
        return v;
      }
    }
    return -1;
  }

  int http_port() const { return http_port_; }
  int grpc_port() const { return grpc_port_; }
  int otlp_port() const { return otlp_port_; }
  const std::string& dir() const { return dir_.path(); }

 private:
  std::string name_;
  storage::testing::TempDir dir_;
  std::unique_ptr<Env> env_ = NewPosixEnv();
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
  int http_port_ = 0, grpc_port_ = 0, otlp_port_ = 0;
};

// Polls `done` every 50 ms for up to a minute.
template <typename Fn>
bool WaitFor(Fn done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

class ForwardE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    fixtures_ = LoadFixtures();
    ASSERT_EQ(fixtures_.size(), 9u);
    b_.Start();
    c_.Start();
    d_.Start();
    a_.Start(ForwardYaml());
  }
  void TearDown() override {
    a_.Stop();
    b_.Stop();
    c_.Stop();
    d_.Stop();
  }

  std::string ForwardYaml() const {
    return fmt::format(R"(
batch: {{max_profiles: 4, max_delay: 100ms}}
retry: {{initial_interval: 20ms, max_interval: 200ms, max_elapsed_time: 1s}}
shutdown_timeout: 1s
processors:
  resource:
    - {{action: insert, key: forwarded_by, value: a}}
exporters:
  - {{type: otlp_http, name: b, endpoint: 'http://127.0.0.1:{}', compression: gzip}}
  - {{type: otlp_grpc, name: c, endpoint: '127.0.0.1:{}', compression: gzip}}
  - {{type: pyroscope, name: d, endpoint: 'http://127.0.0.1:{}'}}
)",
                       b_.otlp_port(), c_.grpc_port(), d_.http_port());
  }

  void PushRound(const std::string& round) {
    for (const Fixture& f : fixtures_) a_.Ingest(round + "-" + f.id, f);
  }

  // Waits until A's exporter `name` has sent `n` profiles and holds none.
  void WaitExported(const std::string& name, double n) {
    const std::string exported =
        fmt::format("hearth_forward_exported_total{{exporter=\"{}\"}}", name);
    const std::string queued =
        fmt::format("hearth_forward_queue_profiles{{exporter=\"{}\"}}", name);
    EXPECT_TRUE(WaitFor([&] { return a_.Metric(exported) >= n && a_.Metric(queued) == 0; }))
        << name << ": exported " << a_.Metric(exported) << " of " << n << ", queued "
        << a_.Metric(queued);
    EXPECT_EQ(a_.Metric(exported), n) << name;
  }

  // Every fixture of `round` on `node` has the reference total and top function, and the
  // same top table as A stored.
  void ExpectRound(Node& node, const std::string& node_name, const std::string& round) {
    for (const Fixture& f : fixtures_) {
      SCOPED_TRACE(node_name + " " + round + "-" + f.id);
      const std::string svc = round + "-" + f.id;
      const Top want = a_.TopOf(svc, f.type);
      const Top got = node.TopOf(svc, f.type);
      ASSERT_FALSE(got.type_id.empty());
      // The same profile type everywhere, family included: the OTLP exporters send
      // `__name__` (A stores Go goroutine profiles as "goroutines", which the sample type
      // alone would call "goroutine").
      EXPECT_EQ(got.type_id, want.type_id);
      EXPECT_EQ(got.total, f.total);
      EXPECT_EQ(want.total, f.total);
      ASSERT_FALSE(got.rows.empty());
      EXPECT_EQ(std::get<0>(got.rows[0]), f.top);
      EXPECT_EQ(got.rows, want.rows);
    }
  }

  std::vector<Fixture> fixtures_;
  Node a_{"A"}, b_{"B"}, c_{"C"}, d_{"D"};
};

TEST_F(ForwardE2ETest, ForwardsQueuesThroughAnOutageAndAcrossARestart) {
  const double n = static_cast<double>(fixtures_.size());

  // 1. Everything up: all three receivers get what A stored.
  PushRound("r1");
  for (const char* e : {"b", "c", "d"}) WaitExported(e, n);
  ExpectRound(b_, "B", "r1");
  ExpectRound(c_, "C", "r1");
  ExpectRound(d_, "D", "r1");
  // Every receiver names the families as A did.
  for (const Fixture& f : fixtures_) {
    for (Node* node : {&b_, &c_, &d_}) {
      EXPECT_EQ(node->TypeOf("r1-" + f.id, f.type), a_.TypeOf("r1-" + f.id, f.type)) << f.id;
    }
  }
  // The processor's label is on what was forwarded, not on what A stored.
  const Fixture& heap = fixtures_.back();
  ASSERT_EQ(heap.id, "leaky.heap");
  for (Node* node : {&b_, &c_, &d_}) {
    EXPECT_EQ(node->TopOf("r1-leaky.heap", heap.type, ",forwarded_by=\"a\"").total, heap.total);
  }
  EXPECT_EQ(a_.TopOf("r1-leaky.heap", heap.type, ",forwarded_by=\"a\"").total,
            0);  // no such series

  // 2. B goes down. A still accepts (and stores) everything; C and D keep receiving; B's
  //    share waits in A's queue.
  b_.Stop();
  PushRound("r2");
  for (const char* e : {"c", "d"}) WaitExported(e, 2 * n);
  EXPECT_TRUE(WaitFor([&] {
    return a_.Metric("hearth_forward_failed_total{exporter=\"b\",reason=\"retryable\"}") > 0;
  }));
  EXPECT_EQ(a_.Metric("hearth_forward_queue_profiles{exporter=\"b\"}"), n);
  EXPECT_GT(a_.Metric("hearth_forward_queue_bytes{exporter=\"b\"}"), 0);
  EXPECT_EQ(a_.Metric("hearth_forward_exported_total{exporter=\"b\"}"), n);
  ExpectRound(c_, "C", "r2");
  ExpectRound(d_, "D", "r2");

  // B comes back on the same port and data directory: round 2 arrives, once.
  const int b_port = b_.otlp_port();
  b_.Start();
  ASSERT_EQ(b_.otlp_port(), b_port);
  WaitExported("b", 2 * n);
  ExpectRound(b_, "B", "r1");
  ExpectRound(b_, "B", "r2");

  // 3. B down again, round 3 queued for it, then A restarts with that queue on disk (its
  //    shutdown gives up on B after shutdown_timeout and keeps the rest).
  b_.Stop();
  PushRound("r3");
  EXPECT_TRUE(
      WaitFor([&] { return a_.Metric("hearth_forward_queue_profiles{exporter=\"b\"}") == n; }));
  for (const char* e : {"c", "d"}) WaitExported(e, 3 * n);
  a_.Stop();
  const auto queued = fs::directory_iterator(a_.dir() + "/forward/b");
  EXPECT_TRUE(std::any_of(fs::begin(queued), fs::end(queued), [](const fs::directory_entry& e) {
    return e.path().extension() == ".seg";
  }));
  a_.Start(ForwardYaml());
  EXPECT_EQ(a_.Metric("hearth_forward_queue_profiles{exporter=\"b\"}"), n);
  b_.Start();
  WaitExported("b", n);  // counters start again at the restart
  for (const std::string round : {"r1", "r2", "r3"}) {
    ExpectRound(b_, "B", round);
    ExpectRound(c_, "C", round);
    ExpectRound(d_, "D", round);
  }
  // Nothing more was sent to C and D after the restart: their queues were empty.
  EXPECT_EQ(a_.Metric("hearth_forward_exported_total{exporter=\"c\"}"), 0);
  EXPECT_EQ(a_.Metric("hearth_forward_exported_total{exporter=\"d\"}"), 0);
}

}  // namespace
}  // namespace hearth::server
