// The three exporters against receivers in the test: an httplib server capturing OTLP/HTTP
// and /ingest requests, and a gRPC server (generic service) capturing Export calls. What
// they got is decoded with formats::DecodeOtlpRequest and profile::DecodePprof and compared
// with what was sent.

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "base/compress.h"
#include "base/fault_env.h"
#include "base/file.h"
#include "base/fmt.h"
#include "base/proto_wire.h"
#include "base/rpc_status.h"
#include "base/strings.h"
#include "export/otlp_grpc_exporter.h"
#include "export/otlp_http_exporter.h"
#include "export/push_exporter.h"
#include "export/pyroscope_exporter.h"
#include "export/queued_exporter.h"
#include "export/test_util.h"
#include "formats/otlp.h"

namespace hearth::exporter {
namespace {

constexpr int64_t kMs = 1'000'000;
using Log = std::function<void(std::string_view)>;

HttpExporterOptions Http(std::string endpoint, bool gzip = false, Log log = nullptr) {
  HttpExporterOptions o;
  o.endpoint = std::move(endpoint);
  o.gzip = gzip;
  o.log = std::move(log);
  return o;
}

GrpcExporterOptions Grpc(std::string endpoint, bool gzip = false, Log log = nullptr) {
  GrpcExporterOptions o;
  o.endpoint = std::move(endpoint);
  o.gzip = gzip;
  o.log = std::move(log);
  return o;
}

profile::Profile LoadFixture(const std::string& relative) {
  auto bytes = ReadFile(testing::FixturePath(relative));
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  auto p = profile::DecodePprof(*bytes);
  EXPECT_TRUE(p.ok()) << p.status();
  return std::move(*p);
}

// Two real profiles of two services: CPU (2 sample types) and heap (4).
Batch FixtureBatch() {
  Batch b;
  b.tenant = "team-a";
  BatchItem cpu;
  cpu.labels = {{"__name__", "process_cpu"}, {"service_name", "cpuburn"}, {"region", "eu"}};
  cpu.profile = LoadFixture("go/http/cpuburn.profile.10s.pb.gz");
  BatchItem heap;
  heap.labels = {{"__name__", "memory"}, {"service_name", "leaky"}, {"pod", "leaky-1"}};
  heap.profile = LoadFixture("go/http/leaky.heap.pb.gz");
  b.items.push_back(std::move(cpu));
  b.items.push_back(std::move(heap));
  return b;
}

std::string LabelOf(const std::vector<std::pair<std::string, std::string>>& labels,
                    std::string_view name) {
  for (const auto& [k, v] : labels) {
    if (k == name) return v;
  }
  return "<absent>";
}

// Checks that an OTLP request holds the batch: one OTLP profile per sample type, each with
// its series' labels and the same total.
void ExpectRequestHoldsBatch(std::string_view request, const Batch& batch) {
  auto decoded = formats::DecodeOtlpRequest(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->rejected_profiles, 0);
  size_t want = 0;
  for (const BatchItem& it : batch.items) want += it.profile.sample_types.size();
  ASSERT_EQ(decoded->profiles.size(), want);
  size_t k = 0;
  for (const BatchItem& it : batch.items) {
    for (size_t t = 0; t < it.profile.sample_types.size(); ++t, ++k) {
      const formats::OtlpProfile& got = decoded->profiles[k];
      SCOPED_TRACE(got.where);
      EXPECT_EQ(LabelOf(got.labels, "service_name"), LabelOf(it.labels, "service_name"));
      for (const auto& [name, value] : it.labels) {
        if (name != "service_name") {
          EXPECT_EQ(LabelOf(got.labels, name), value) << name;
        }
      }
      ASSERT_EQ(got.profile.sample_types.size(), 1u);
      EXPECT_EQ(got.profile.Str(got.profile.sample_types[0].type),
                it.profile.Str(it.profile.sample_types[t].type));
      EXPECT_EQ(got.profile.Total(0), it.profile.Total(t));
      EXPECT_EQ(got.profile.time_nanos, it.profile.time_nanos);
    }
  }
}

// An HTTP receiver on a free port that records requests and answers from a script.
class HttpReceiver {
 public:
  struct Request {
    std::string path, query_name, target;
    httplib::Headers headers;
    httplib::Params params;
    std::string body;  // Content-Encoding removed by httplib
  };
  struct Answer {
    int status = 200;
    std::string body;
    std::string content_type = "application/x-protobuf";
    httplib::Headers headers;
  };

  HttpReceiver() {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Answer a;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(
            {req.path, req.get_param_value("name"), req.target, req.headers, req.params, req.body});
        if (!script_.empty()) {
          a = script_.front();
          script_.erase(script_.begin());
        }
      }
      res.status = a.status;
      for (const auto& [k, v] : a.headers) res.set_header(k.c_str(), v);
      res.set_content(a.body, a.content_type.c_str());
    };
    server_.Post("/v1development/profiles", handler);
    server_.Post("/prefix/v1development/profiles", handler);
    server_.Post("/ingest", handler);
    server_.Post("/push.v1.PusherService/Push", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~HttpReceiver() {
    server_.stop();
    thread_.join();
  }

  void Script(std::vector<Answer> answers) {
    std::lock_guard<std::mutex> lock(mu_);
    script_ = std::move(answers);
  }
  std::vector<Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::string url() const { return fmt::format("http://127.0.0.1:{}", port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Request> requests_;
  std::vector<Answer> script_;
};

std::string PartialSuccessBody(int64_t rejected, std::string_view message) {
  std::string out;
  wire::Writer w(&out);
  const size_t at = w.BeginMessage(1);
  w.Varint(1, static_cast<uint64_t>(rejected));
  w.Bytes(2, message);
  w.EndMessage(at);
  return out;
}

std::string RpcStatusBody(int code, std::string_view message) {
  std::string out;
  wire::Writer w(&out);
  w.Varint(1, static_cast<uint64_t>(code));
  w.Bytes(2, message);
  return out;
}

// --- OTLP/HTTP -----------------------------------------------------------------------------

TEST(OtlpHttpExporterTest, PostsTheBatchAsOneGzippedRequest) {
  HttpReceiver rx;
  HttpExporterOptions o;
  o.endpoint = rx.url() + "/prefix/";
  o.headers = {{"X-Scope-OrgID", "configured"}, {"Authorization", "Basic dTpzZWNyZXQ="}};
  o.gzip = true;
  auto e = OtlpHttpExporter::Create(o);
  ASSERT_TRUE(e.ok()) << e.status();
  const Batch batch = FixtureBatch();
  ASSERT_TRUE((*e)->Export(batch).ok());
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const auto& r = reqs[0];
  EXPECT_EQ(r.path, "/prefix/v1development/profiles");
  auto header = [&](const char* k) {
    auto it = r.headers.find(k);
    return it == r.headers.end() ? std::string("<absent>") : it->second;
  };
  EXPECT_EQ(header("Content-Type"), "application/x-protobuf");
  EXPECT_EQ(header("Content-Encoding"), "gzip");
  // The configured tenant, not the batch's.
  EXPECT_EQ(header("X-Scope-OrgID"), "configured");
  EXPECT_EQ(header("Authorization"), "Basic dTpzZWNyZXQ=");
  // What crossed the wire was smaller than the decoded request.
  EXPECT_LT(std::stoul(header("Content-Length")), r.body.size());
  ExpectRequestHoldsBatch(r.body, batch);
  EXPECT_EQ((*e)->rejected_profiles(), 0);
}

TEST(OtlpHttpExporterTest, SendsTheTenantWhenNoHeaderNamesOne) {
  HttpReceiver rx;
  auto e = OtlpHttpExporter::Create(Http(rx.url()));
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE((*e)->Export(testing::TinyBatch("team-b", "svc", 3)).ok());
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].headers.find("X-Scope-OrgID")->second, "team-b");
  EXPECT_EQ(reqs[0].headers.count("Content-Encoding"), 0u);
  ExpectRequestHoldsBatch(reqs[0].body, testing::TinyBatch("team-b", "svc", 3));
}

TEST(OtlpHttpExporterTest, MapsStatusesToRetryableAndPermanentErrors) {
  HttpReceiver rx;
  std::vector<HttpReceiver::Answer> script(5);
  script[0].status = 503;
  script[0].headers = {{"Retry-After", "7"}};
  script[0].content_type = "text/plain";
  script[0].body = "overloaded\n";
  script[1].status = 429;
  script[2].status = 400;
  script[2].body = RpcStatusBody(3, "profile 0: bad string index");
  script[3].status = 200;
  script[3].body = PartialSuccessBody(2, "two profiles had no samples");
  script[4].status = 500;
  rx.Script(script);
  std::vector<std::string> log;
  auto e = OtlpHttpExporter::Create(
      Http(rx.url(), false, [&](std::string_view m) { log.emplace_back(m); }));
  ASSERT_TRUE(e.ok());
  const Batch b = testing::TinyBatch("t", "svc", 1);

  absl::Status s = (*e)->Export(b);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsRetryable(s));
  EXPECT_EQ(RetryDelay(s), 7'000 * kMs);
  EXPECT_EQ(s.message(),
            fmt::format("POST {}/v1development/profiles: HTTP 503: overloaded", rx.url()));

  s = (*e)->Export(b);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryDelay(s), std::nullopt);

  s = (*e)->Export(b);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(IsRetryable(s));
  EXPECT_EQ(s.message(),
            fmt::format("POST {}/v1development/profiles: HTTP 400: profile 0: bad string index",
                        rx.url()));

  EXPECT_TRUE((*e)->Export(b).ok());  // partial success is a success
  EXPECT_EQ((*e)->rejected_profiles(), 2);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0],
            fmt::format("{}: the receiver refused 2 of 1 profiles: two profiles had no samples",
                        rx.url()));

  s = (*e)->Export(b);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(IsRetryable(s));
}

TEST(OtlpHttpExporterTest, ANoReceiverIsRetryable) {
  int port = 0;
  {
    HttpReceiver gone;  // a port that was free a moment ago
    port = std::stoi(gone.url().substr(gone.url().rfind(':') + 1));
  }
  HttpExporterOptions o = Http(fmt::format("http://127.0.0.1:{}", port));
  o.timeout_ns = 2000 * kMs;
  auto e = OtlpHttpExporter::Create(o);
  ASSERT_TRUE(e.ok());
  absl::Status s = (*e)->Export(testing::TinyBatch("t", "svc", 1));
  EXPECT_TRUE(IsRetryable(s)) << s;
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(s.message(), fmt::format("POST http://127.0.0.1:{}/v1development/profiles: cannot "
                                     "connect (Connection)",
                                     port));
}

TEST(OtlpHttpExporterTest, RefusesBadEndpoints) {
  EXPECT_EQ(OtlpHttpExporter::Create(Http("other:4318")).status().message(),
            "endpoint \"other:4318\": expected http://host:port or https://host:port");
  EXPECT_EQ(OtlpHttpExporter::Create(Http("ftp://other")).status().message(),
            "endpoint \"ftp://other\": the scheme must be http or https");
}

// The queue, the exporter and a receiver that is overloaded once: the batch arrives once,
// after the receiver's Retry-After.
TEST(OtlpHttpExporterTest, TheQueueRetriesA503AfterItsRetryAfter) {
  HttpReceiver rx;
  HttpReceiver::Answer busy;
  busy.status = 503;
  busy.headers = {{"Retry-After", "1"}};
  rx.Script({busy});
  auto e = OtlpHttpExporter::Create(Http(rx.url()));
  ASSERT_TRUE(e.ok());
  FaultInjectionEnv env;
  QueuedExporterOptions qo;
  qo.env = &env;
  qo.queue_dir = "/q";
  qo.retry.initial_interval_ns = 1 * kMs;
  qo.log = [](std::string_view) {};
  auto q = QueuedExporter::Open(std::move(*e), qo);
  ASSERT_TRUE(q.ok()) << q.status();
  const Batch batch = FixtureBatch();
  ASSERT_TRUE((*q)->Enqueue(batch).ok());
  const auto start = std::chrono::steady_clock::now();
  (*q)->Start();
  (*q)->Shutdown(10'000 * kMs);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].body, reqs[1].body);
  ExpectRequestHoldsBatch(reqs[1].body, batch);
  EXPECT_EQ((*q)->stats().exported_profiles, 2u);
  EXPECT_EQ((*q)->stats().failed_profiles.at("retryable"), 2u);
}

// --- OTLP/gRPC -----------------------------------------------------------------------------

// A gRPC receiver: every call is recorded and answered with `status` (and `response`).
class GrpcReceiver {
 public:
  struct Call {
    std::string method;
    std::multimap<std::string, std::string> metadata;
    std::string request;
  };

  explicit GrpcReceiver(bool gzip_supported = true) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterCallbackGenericService(&service_);
    if (!gzip_supported) builder.SetCompressionAlgorithmSupportStatus(GRPC_COMPRESS_GZIP, false);
    server_ = builder.BuildAndStart();
  }
  ~GrpcReceiver() { server_->Shutdown(std::chrono::system_clock::now()); }

  std::string target() const { return fmt::format("127.0.0.1:{}", port_); }
  void Answer(grpc::Status status, std::string response = "") {
    std::lock_guard<std::mutex> lock(service_.mu);
    service_.status = std::move(status);
    service_.response = std::move(response);
  }
  std::vector<Call> calls() {
    std::lock_guard<std::mutex> lock(service_.mu);
    return service_.calls;
  }

 private:
  struct Service : grpc::CallbackGenericService {
    class Reactor : public grpc::ServerGenericBidiReactor {
     public:
      Reactor(Service* s, grpc::GenericCallbackServerContext* ctx) : s_(s), ctx_(ctx) {
        StartRead(&in_);
      }
      void OnReadDone(bool ok) override {
        if (!ok) {
          Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no message"));
          return;
        }
        Call c;
        c.method = ctx_->method();
        for (const auto& [k, v] : ctx_->client_metadata()) {
          c.metadata.emplace(std::string(k.data(), k.size()), std::string(v.data(), v.size()));
        }
        std::vector<grpc::Slice> slices;
        (void)in_.Dump(&slices);
        for (const auto& sl : slices)
          c.request.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
        grpc::Status status;
        std::string response;
        {
          std::lock_guard<std::mutex> lock(s_->mu);
          s_->calls.push_back(std::move(c));
          status = s_->status;
          response = s_->response;
        }
        if (!status.ok()) {
          Finish(status);
          return;
        }
        grpc::Slice slice(response);
        out_ = grpc::ByteBuffer(&slice, 1);
        StartWriteAndFinish(&out_, grpc::WriteOptions(), grpc::Status::OK);
      }
      void OnDone() override { delete this; }

     private:
      Service* s_;
      grpc::GenericCallbackServerContext* ctx_;
      grpc::ByteBuffer in_, out_;
    };
    grpc::ServerGenericBidiReactor* CreateReactor(
        grpc::GenericCallbackServerContext* ctx) override {
      return new Reactor(this, ctx);
    }
    std::mutex mu;
    std::vector<Call> calls;
    grpc::Status status;
    std::string response;
  };

  Service service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

TEST(OtlpGrpcExporterTest, CallsExportWithTheBatchAndMetadata) {
  GrpcReceiver rx;
  GrpcExporterOptions o = Grpc("http://" + rx.target(), /*gzip=*/true);
  o.headers = {{"Authorization", "Bearer t0ken"}};
  auto e = OtlpGrpcExporter::Create(o);
  ASSERT_TRUE(e.ok()) << e.status();
  const Batch batch = FixtureBatch();
  absl::Status s = (*e)->Export(batch);
  ASSERT_TRUE(s.ok()) << s;
  const auto calls = rx.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].method, kOtlpGrpcMethod);
  auto md = [&](const char* k) {
    auto it = calls[0].metadata.find(k);
    return it == calls[0].metadata.end() ? std::string("<absent>") : it->second;
  };
  EXPECT_EQ(md("authorization"), "Bearer t0ken");
  // With a token the receiver knows the tenant; the batch's is not sent.
  EXPECT_EQ(md("x-scope-orgid"), "<absent>");
  ExpectRequestHoldsBatch(calls[0].request, batch);

  // Without one, the batch's tenant goes along.
  auto plain = OtlpGrpcExporter::Create(Grpc(rx.target()));
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE((*plain)->Export(testing::TinyBatch("team-b", "svc", 1)).ok());
  const auto after = rx.calls();
  ASSERT_EQ(after.size(), 2u);
  auto it = after[1].metadata.find("x-scope-orgid");
  ASSERT_NE(it, after[1].metadata.end());
  EXPECT_EQ(it->second, "team-b");
}

TEST(OtlpGrpcExporterTest, GzipIsReallyOnTheWire) {
  // A receiver that cannot inflate refuses exactly the compressed calls.
  GrpcReceiver rx(/*gzip_supported=*/false);
  auto plain = OtlpGrpcExporter::Create(Grpc(rx.target()));
  auto gzip = OtlpGrpcExporter::Create(Grpc(rx.target(), /*gzip=*/true));
  ASSERT_TRUE(plain.ok() && gzip.ok());
  const Batch b = testing::TinyBatch("t", "svc", 1);
  EXPECT_TRUE((*plain)->Export(b).ok());
  absl::Status s = (*gzip)->Export(b);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented) << s;
}

TEST(OtlpGrpcExporterTest, MapsCodesAndReadsPartialSuccess) {
  GrpcReceiver rx;
  auto e = OtlpGrpcExporter::Create(Grpc(rx.target(), false, [](std::string_view) {}));
  ASSERT_TRUE(e.ok());
  const Batch b = testing::TinyBatch("t", "svc", 1);
  for (auto [code, retryable] : {std::pair{grpc::StatusCode::UNAVAILABLE, true},
                                 std::pair{grpc::StatusCode::DEADLINE_EXCEEDED, true},
                                 std::pair{grpc::StatusCode::INVALID_ARGUMENT, false},
                                 std::pair{grpc::StatusCode::UNAUTHENTICATED, false}}) {
    rx.Answer(grpc::Status(code, "nope"));
    absl::Status s = (*e)->Export(b);
    EXPECT_EQ(static_cast<int>(s.code()), static_cast<int>(code)) << s;
    EXPECT_EQ(IsRetryable(s), retryable) << s;
    EXPECT_EQ(s.message(), fmt::format("{} {}: nope", rx.target(), kOtlpGrpcMethod));
    EXPECT_FALSE(RetryDelay(s).has_value());
  }
  // RESOURCE_EXHAUSTED is retried only when the receiver says when (OTLP): with RetryInfo in
  // the details, after that delay; without, never (e.g. a message above its size limit).
  const absl::Status busy = WithRetryDelay(absl::ResourceExhaustedError("busy"), 2'500 * kMs);
  rx.Answer(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "busy", EncodeRpcStatus(busy)));
  absl::Status s = (*e)->Export(b);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_TRUE(IsRetryable(s));
  EXPECT_EQ(RetryDelay(s), 2'500 * kMs);
  rx.Answer(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too big"));
  s = (*e)->Export(b);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_FALSE(IsRetryable(s));
  EXPECT_EQ(s.message(), fmt::format("{} {}: too big (RESOURCE_EXHAUSTED without RetryInfo: not "
                                     "retried)",
                                     rx.target(), kOtlpGrpcMethod));
  rx.Answer(grpc::Status::OK, PartialSuccessBody(3, "bad"));
  EXPECT_TRUE((*e)->Export(b).ok());
  EXPECT_EQ((*e)->rejected_profiles(), 3);
}

TEST(OtlpGrpcExporterTest, RefusesBadEndpoints) {
  EXPECT_EQ(OtlpGrpcExporter::Create(Grpc("other:4317/x")).status().message(),
            "endpoint \"other:4317/x\": expected host:port (gRPC has no path prefix)");
  EXPECT_FALSE(OtlpGrpcExporter::Create(Grpc("unix://x")).ok());
}

// --- Pyroscope /ingest ---------------------------------------------------------------------

TEST(PyroscopeExporterTest, PostsEachProfileToIngest) {
  HttpReceiver rx;
  auto e = PyroscopeExporter::Create(Http(rx.url(), /*gzip=*/true));
  ASSERT_TRUE(e.ok());
  Batch batch = FixtureBatch();
  batch.items[0].labels.emplace_back("pyroscope_spy", "gospy");
  batch.items[0].labels.emplace_back("odd", "a,b=c{d}");
  ASSERT_TRUE((*e)->Export(batch).ok());
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    const auto& r = reqs[i];
    const profile::Profile& p = batch.items[i].profile;
    EXPECT_EQ(r.path, "/ingest");
    EXPECT_EQ(r.params.find("format")->second, "pprof");
    EXPECT_EQ(r.params.find("from")->second, std::to_string(p.time_nanos / 1'000'000'000));
    EXPECT_EQ(r.params.find("until")->second,
              std::to_string((p.time_nanos + p.duration_nanos + 999'999'999) / 1'000'000'000));
    EXPECT_EQ(r.headers.find("X-Scope-OrgID")->second, "team-a");
    EXPECT_EQ(r.headers.count("Content-Encoding"), 0u);  // the pprof is gzipped itself
    ASSERT_TRUE(IsGzip(r.body));
    auto got = profile::DecodePprof(r.body);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->sample_types.size(), p.sample_types.size());
    for (size_t t = 0; t < p.sample_types.size(); ++t) EXPECT_EQ(got->Total(t), p.Total(t));
  }
  // Pyroscope's name syntax, unquoted; __name__ and pyroscope_spy are not labels there.
  EXPECT_EQ(reqs[0].params.find("name")->second, "cpuburn{region=eu,odd=a_b_c_d_}");
  EXPECT_EQ(reqs[0].params.find("spyName")->second, "gospy");
  EXPECT_EQ(reqs[1].params.find("name")->second, "leaky{pod=leaky-1}");
  EXPECT_EQ(reqs[1].params.count("spyName"), 0u);
}

TEST(PyroscopeExporterTest, SkipsRefusedProfilesAndResumesAfterARetryableError) {
  HttpReceiver rx;
  std::vector<HttpReceiver::Answer> script(3);
  script[0].status = 400;  // first profile refused: skipped
  script[0].body = "bad profile";
  script[2].status = 503;  // third: stop here
  rx.Script(script);
  std::vector<std::string> log;
  auto e = PyroscopeExporter::Create(
      Http(rx.url(), false, [&](std::string_view m) { log.emplace_back(m); }));
  ASSERT_TRUE(e.ok());
  Batch b = testing::TinyBatch("t", "one", 1);
  b.items.push_back(testing::TinyItem("two", 2));
  b.items.push_back(testing::TinyItem("three", 3));
  b.items.push_back(testing::TinyItem("four", 4));
  absl::Status s = (*e)->Export(b);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ItemsSent(s), 2u);  // "one" refused for good, "two" delivered
  EXPECT_EQ((*e)->rejected_profiles(), 1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0],
            fmt::format("dropping a profile of one{{}}: POST {}/ingest: HTTP 400: bad profile",
                        rx.url()));
  EXPECT_EQ(rx.requests().size(), 3u);
}

TEST(PyroscopeExporterTest, AppNames) {
  EXPECT_EQ(PyroscopeAppName({{"service_name", "my app!"}, {"__delta__", "false"}, {"env", " x "}}),
            "my_app_{env= x }");
  EXPECT_EQ(PyroscopeAppName({{"env", "prod"}, {"empty", ""}}), "unknown_service{env=prod}");
}

// --- Pyroscope push.v1 ---------------------------------------------------------------------

TEST(PushExporterTest, PostsTheBatchAsOneRequestWithEveryLabel) {
  HttpReceiver rx;
  auto e = PushExporter::Create(Http(rx.url(), /*gzip=*/true));
  ASSERT_TRUE(e.ok());
  Batch batch = FixtureBatch();
  batch.items[1].labels.emplace_back("__delta__", "true");  // replaced: values are deltas
  batch.items[1].labels.emplace_back("empty", "");          // dropped
  ASSERT_TRUE((*e)->Export(batch).ok());
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/push.v1.PusherService/Push");
  EXPECT_EQ(reqs[0].headers.find("Content-Type")->second, "application/json");
  EXPECT_EQ(reqs[0].headers.find("X-Scope-OrgID")->second, "team-a");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(reqs[0].body).get(doc), simdjson::SUCCESS) << reqs[0].body;
  simdjson::dom::array series;
  ASSERT_EQ(doc["series"].get_array().get(series), simdjson::SUCCESS);
  ASSERT_EQ(series.size(), 2u);
  size_t i = 0;
  for (simdjson::dom::element s : series) {
    SCOPED_TRACE(i);
    const BatchItem& item = batch.items[i++];
    std::vector<std::pair<std::string, std::string>> labels;
    for (simdjson::dom::element l : s["labels"].get_array()) {
      labels.emplace_back(std::string(l["name"].get_string().value()),
                          std::string(l["value"].get_string().value()));
    }
    std::vector<std::pair<std::string, std::string>> want;
    for (const auto& [k, v] : item.labels) {
      if (k != "__delta__" && !v.empty()) want.emplace_back(k, v);
    }
    want.emplace_back("__delta__", "false");
    EXPECT_EQ(labels, want);
    simdjson::dom::array samples = s["samples"].get_array();
    ASSERT_EQ(samples.size(), 1u);
    std::string raw;
    ASSERT_TRUE(Base64Decode((*samples.begin())["rawProfile"].get_string().value(), &raw));
    auto got = profile::DecodePprof(raw);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->sample_types.size(), item.profile.sample_types.size());
    for (size_t t = 0; t < item.profile.sample_types.size(); ++t) {
      EXPECT_EQ(got->Total(t), item.profile.Total(t));
    }
    EXPECT_EQ(got->time_nanos, item.profile.time_nanos);
  }
}

TEST(PushExporterTest, RetryableAndPermanentErrors) {
  HttpReceiver rx;
  std::vector<HttpReceiver::Answer> script(2);
  script[0].status = 503;
  script[1].status = 400;
  script[1].body = "bad labels";
  script[1].content_type = "text/plain";
  rx.Script(script);
  auto e = PushExporter::Create(Http(rx.url()));
  ASSERT_TRUE(e.ok());
  const Batch b = testing::TinyBatch("t", "one", 1);
  EXPECT_EQ((*e)->Export(b).code(), absl::StatusCode::kUnavailable);
  absl::Status refused = (*e)->Export(b);
  EXPECT_FALSE(IsRetryable(refused));
  EXPECT_EQ(refused.message(),
            fmt::format("POST {}/push.v1.PusherService/Push: HTTP 400: bad labels", rx.url()));
}

}  // namespace
}  // namespace hearth::exporter
