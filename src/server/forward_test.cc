#include "server/forward.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "base/fault_env.h"
#include "base/fmt.h"
#include "profile/builder.h"
#include "server/config.h"

namespace hearth::server {
namespace {

constexpr int64_t kSec = 1'000'000'000;
using Kind = exporter::ResourceAction::Kind;
using Type = ForwardExporterConfig::Type;

constexpr char kExample[] = R"(
forward:
  queue_dir: /var/lib/hearth/fwd
  max_queue_bytes: 512MiB
  batch: {max_profiles: 50, max_delay: 250ms}
  retry: {initial_interval: 2s, max_interval: 1m, max_elapsed_time: 10m}
  shutdown_timeout: 3s
  processors:
    resource:
      - {action: upsert, key: cluster, value: eu-1}
      - {action: delete, key: pod}
  exporters:
    - {type: otlp_http, endpoint: http://other:4318, headers: {X-Scope-OrgID: team-a}, compression: gzip}
    - {type: otlp_grpc, endpoint: other:4317, timeout: 3s}
    - {type: pyroscope, endpoint: http://pyroscope:4040, name: pyro}
)";

absl::StatusOr<ForwardConfig> Parse(const std::string& server_yaml) {
  auto c = ParseServerConfig(server_yaml);
  if (!c.ok()) return c.status();
  return ParseForwardConfig(c->forward_yaml, c->data_dir);
}

TEST(ForwardConfigTest, ParsesTheDocumentedExample) {
  auto c = Parse(kExample);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->queue_dir, "/var/lib/hearth/fwd");
  EXPECT_EQ(c->max_queue_bytes, uint64_t{512} << 20);
  EXPECT_EQ(c->max_batch_profiles, 50u);
  EXPECT_EQ(c->max_delay_ns, kSec / 4);
  EXPECT_EQ(c->retry.initial_interval_ns, 2 * kSec);
  EXPECT_EQ(c->retry.max_interval_ns, 60 * kSec);
  EXPECT_EQ(c->retry.max_elapsed_ns, 600 * kSec);
  EXPECT_EQ(c->shutdown_timeout_ns, 3 * kSec);
  ASSERT_EQ(c->resource_actions.size(), 2u);
  EXPECT_EQ(c->resource_actions[0].kind, Kind::kUpsert);
  EXPECT_EQ(c->resource_actions[0].key, "cluster");
  EXPECT_EQ(c->resource_actions[0].value, "eu-1");
  EXPECT_EQ(c->resource_actions[1].kind, Kind::kDelete);
  EXPECT_EQ(c->resource_actions[1].key, "pod");
  ASSERT_EQ(c->exporters.size(), 3u);
  const ForwardExporterConfig& h = c->exporters[0];
  EXPECT_EQ(h.type, Type::kOtlpHttp);
  EXPECT_EQ(h.name, "otlp_http/other:4318");
  EXPECT_EQ(h.endpoint, "http://other:4318");
  EXPECT_EQ(h.headers,
            (std::vector<std::pair<std::string, std::string>>{{"X-Scope-OrgID", "team-a"}}));
  EXPECT_TRUE(h.gzip);
  EXPECT_EQ(h.timeout_ns, 10 * kSec);
  EXPECT_EQ(c->exporters[1].type, Type::kOtlpGrpc);
  EXPECT_EQ(c->exporters[1].name, "otlp_grpc/other:4317");
  EXPECT_FALSE(c->exporters[1].gzip);
  EXPECT_EQ(c->exporters[1].timeout_ns, 3 * kSec);
  EXPECT_EQ(c->exporters[2].type, Type::kPyroscope);
  EXPECT_EQ(c->exporters[2].name, "pyro");
}

TEST(ForwardConfigTest, Defaults) {
  auto c = Parse(
      "storage: {data_dir: /data}\nforward:\n  exporters: [{type: otlp_grpc, endpoint: b:4317}]\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->queue_dir, "/data/forward");
  EXPECT_EQ(c->max_queue_bytes, uint64_t{1} << 30);
  EXPECT_EQ(c->max_batch_profiles, 100u);
  EXPECT_EQ(c->max_delay_ns, kSec);
  EXPECT_EQ(c->retry.initial_interval_ns, kSec);
  EXPECT_EQ(c->retry.max_elapsed_ns, 300 * kSec);
  EXPECT_EQ(c->shutdown_timeout_ns, 5 * kSec);
  EXPECT_TRUE(c->resource_actions.empty());
}

TEST(ForwardConfigTest, ErrorsNameTheKey) {
  const std::string ok_exporter = "  exporters: [{type: otlp_grpc, endpoint: b:4317}]\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"forward:\n  queue: x\n" + ok_exporter,
       "config: forward: unknown key \"queue\" (known: queue_dir, max_queue_bytes, batch, retry, "
       "shutdown_timeout, processors, exporters)"},
      {"forward:\n  batch: {max_profiles: 10, max_wait: 1s}\n" + ok_exporter,
       "config: forward.batch: unknown key \"max_wait\" (known: max_profiles, max_delay)"},
      {"forward:\n  batch: {max_delay: soon}\n" + ok_exporter,
       "config: forward.batch.max_delay: bad duration \"soon\": expected a number"},
      {"forward:\n  max_queue_bytes: lots\n" + ok_exporter,
       "config: forward.max_queue_bytes: \"lots\" is not a size like 64MiB"},
      {"forward:\n  exporters: [{type: otlp_grpc, endpoint: b:4317, tls: true}]\n",
       "config: forward.exporters[0]: unknown key \"tls\" (known: type, name, endpoint, headers, "
       "compression, timeout)"},
      {"forward:\n  exporters: [{type: kafka, endpoint: b:9092}]\n",
       "config: forward.exporters[0].type: unknown exporter type \"kafka\" (use otlp_http, "
       "otlp_grpc or pyroscope)"},
      {"forward:\n  exporters: [{type: otlp_http}]\n",
       "config: forward.exporters[0].endpoint: required"},
      {"forward:\n  exporters: [{type: otlp_http, endpoint: 'http://b', compression: zstd}]\n",
       "config: forward.exporters[0].compression: \"zstd\" is not gzip or none"},
      {"forward:\n  queue_dir: /q\n",
       "config: forward.exporters: expected a list of at least one exporter"},
      {"forward:\n  exporters:\n    - {type: otlp_grpc, endpoint: b:4317}\n    - {type: otlp_grpc, "
       "endpoint: 'http://b:4317', name: 'otlp_grpc/b:4317'}\n",
       "config: forward.exporters[1]: another exporter is named \"otlp_grpc/b:4317\" (or the same "
       "once made a directory name); give one a different `name`"},
      {"forward:\n  processors: {resource: [{action: rename, key: a, value: b}]}\n" + ok_exporter,
       "config: forward.processors.resource[0].action: unknown action \"rename\" (use insert, "
       "update, upsert or delete)"},
      {"forward:\n  processors: {resource: [{action: insert, key: a}]}\n" + ok_exporter,
       "config: forward.processors.resource: action 0 on \"a\" needs a value"},
      {"forward:\n  processors: {attributes: []}\n" + ok_exporter,
       "config: forward.processors: unknown key \"attributes\" (known: resource)"},
  };
  for (const auto& [yaml, message] : cases) {
    auto c = Parse(yaml);
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_EQ(c.status().message(), message) << yaml;
  }
}

TEST(ForwardConfigTest, EndpointsAreCheckedWhenTheForwarderStarts) {
  auto c = Parse("forward:\n  exporters: [{type: otlp_http, endpoint: 'other:4318'}]\n");
  ASSERT_TRUE(c.ok()) << c.status();
  FaultInjectionEnv env;
  MetricsRegistry metrics;
  auto f = Forwarder::Start(*c, &env, &metrics);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(),
            "forward: exporter otlp_http/other:4318: endpoint \"other:4318\": expected "
            "http://host:port or https://host:port");
}

// A Pyroscope-style receiver that records /ingest query strings.
class IngestReceiver {
 public:
  IngestReceiver() {
    server_.Post("/ingest", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      names_.push_back(req.get_param_value("name"));
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~IngestReceiver() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<std::string> names() {
    std::lock_guard<std::mutex> lock(mu_);
    return names_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> names_;
};

profile::Profile Tiny(int64_t value) {
  profile::ProfileBuilder b;
  b.profile().sample_types.push_back({b.Str("cpu"), b.Str("nanoseconds")});
  b.profile().time_nanos = 1'700'000'000 * kSec;
  const uint32_t stack[] = {b.AddFrame("main")};
  const int64_t values[] = {value};
  b.AddSample(stack, values);
  return b.Finish();
}

TEST(ForwarderTest, AppliesTheProcessorAndCountsAFullQueue) {
  IngestReceiver rx;
  auto c = Parse(fmt::format(R"(
forward:
  batch: {{max_profiles: 1}}
  processors:
    resource:
      - {{action: upsert, key: cluster, value: eu-1}}
      - {{action: delete, key: pod}}
  exporters:
    - {{type: pyroscope, endpoint: 'http://127.0.0.1:{}', name: pyro}}
)",
                             rx.port()));
  ASSERT_TRUE(c.ok()) << c.status();
  FaultInjectionEnv env;
  MetricsRegistry metrics;
  auto f = Forwarder::Start(*c, &env, &metrics);
  ASSERT_TRUE(f.ok()) << f.status();
  const profile::Profile p = Tiny(5);
  std::vector<storage::AppendRequest> stored(1);
  stored[0].labels = {{"__name__", "process_cpu"}, {"pod", "p-1"}, {"service_name", "api"}};
  stored[0].profile = &p;
  (*f)->Forward("anonymous", stored);
  (*f)->Shutdown();
  EXPECT_EQ(rx.names(), (std::vector<std::string>{"api{cluster=eu-1}"}));
  const std::string text = metrics.Render();
  EXPECT_NE(text.find("hearth_forward_exported_total{exporter=\"pyro\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("hearth_forward_queue_bytes{exporter=\"pyro\"} 0\n"), std::string::npos)
      << text;

  // A queue too small for any record counts what it refused, and ingest goes on.
  c->max_queue_bytes = 10;
  c->queue_dir = "/other";
  MetricsRegistry metrics2;
  auto g = Forwarder::Start(*c, &env, &metrics2);
  ASSERT_TRUE(g.ok()) << g.status();
  (*g)->Forward("anonymous", stored);
  (*g)->Forward("anonymous", stored);
  const std::string text2 = metrics2.Render();
  EXPECT_NE(text2.find("hearth_forward_failed_total{exporter=\"pyro\",reason=\"queue_full\"} 2\n"),
            std::string::npos)
      << text2;
  (*g)->Shutdown();
  EXPECT_EQ(rx.names().size(), 1u);
}

}  // namespace
}  // namespace hearth::server
