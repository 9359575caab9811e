// The server's core pieces: status mapping, tenancy, limits, metrics, multipart, config,
// and the HTTP front on a real socket (port 0).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <memory>
#include <vector>
#include <thread>

#include "base/compress.h"
#include "base/rpc_status.h"
#include "server/config.h"
#include "server/http.h"
#include "server/limits.h"
#include "server/metrics.h"
#include "server/status.h"
#include "server/tenancy.h"

namespace hearth::server {
namespace {

using ::testing::HasSubstr;

TEST(StatusTest, CodesMapToHttpAndConnect) {
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(ConnectCodeName(absl::StatusCode::kResourceExhausted), "resource_exhausted");
  EXPECT_EQ(ConnectErrorJson(absl::InvalidArgumentError("bad \"x\"")),
            R"({"code":"invalid_argument","message":"bad \"x\""})");
}

TEST(TenancyTest, HeadersTokensAndIsolation) {
  TenancyOptions o;
  o.token_to_tenant = {{"secret-a", "team-a"}, {"secret-b", "team-b"}};
  Tenancy t(o);
  EXPECT_EQ(*t.Resolve("", ""), "anonymous");
  EXPECT_EQ(*t.Resolve("open-team", ""), "open-team");
  EXPECT_EQ(*t.Resolve("", "Bearer secret-a"), "team-a");
  EXPECT_EQ(*t.Resolve("team-a", "Bearer secret-a"), "team-a");
  // Basic auth as the Pyroscope SDKs send it: user is ignored, the password is the token.
  EXPECT_EQ(*t.Resolve("", "Basic dXNlcjpzZWNyZXQtYg=="), "team-b");  // user:secret-b
  auto wrong = t.Resolve("team-b", "Bearer secret-a");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kPermissionDenied);
  auto bad = t.Resolve("", "Bearer nope");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(std::string(bad.status().message()), "invalid token");
  auto missing = t.Resolve("team-a", "");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("requires a token"));
  EXPECT_EQ(t.Resolve("bad tenant", "").status().code(), absl::StatusCode::kInvalidArgument);
  o.require_auth = true;
  Tenancy closed(o);
  EXPECT_EQ(closed.Resolve("open-team", "").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(LimitsTest, RateLimitSaysWhenToRetry) {
  LimitsConfig c;
  c.defaults.ingestion_rate_bytes = 1000;
  c.defaults.ingestion_burst_bytes = 2000;
  Limits l(c);
  EXPECT_TRUE(l.ChargeIngest("t", 1500).ok());
  absl::Status s = l.ChargeIngest("t", 1500);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  // 500 bytes left, 1000 more needed at 1000 B/s: about a second (less the time passed).
  ASSERT_TRUE(RetryDelay(s).has_value());
  EXPECT_GT(*RetryDelay(s), 900'000'000);
  EXPECT_LE(*RetryDelay(s), 1'000'000'000);
  EXPECT_EQ(RetryAfterSeconds(s), 1);
  EXPECT_THAT(std::string(s.message()), HasSubstr("over its ingestion rate of 1000 bytes/s"));
  // Another tenant has its own bucket.
  EXPECT_TRUE(l.ChargeIngest("u", 1500).ok());
  // Bigger than the burst: can never pass, so no delay is offered.
  s = l.ChargeIngest("v", 5000);
  EXPECT_THAT(std::string(s.message()), HasSubstr("larger than tenant v's ingestion burst"));
  EXPECT_FALSE(RetryDelay(s).has_value());
}

TEST(LimitsTest, SeriesLimitPerTenant) {
  LimitsConfig c;
  c.defaults.max_series_per_tenant = 2;
  c.overrides["big"].max_series_per_tenant = 3;
  Limits l(c);
  EXPECT_TRUE(l.AdmitSeries("t", 1).ok());
  EXPECT_TRUE(l.AdmitSeries("t", 2).ok());
  EXPECT_TRUE(l.AdmitSeries("t", 1).ok());  // known series
  EXPECT_EQ(l.AdmitSeries("t", 3).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(l.AdmitSeries("big", 1).ok());
  EXPECT_TRUE(l.AdmitSeries("big", 2).ok());
  EXPECT_TRUE(l.AdmitSeries("big", 3).ok());
}

TEST(MetricsTest, RendersPrometheusText) {
  MetricsRegistry m;
  m.Counter("hearth_x_total", "Things.", {"tenant"}).Add({"a\"b"}, 2);
  m.Histogram("hearth_lat_seconds", "Latency.", {"api"}, {0.1, 1}).Observe({"push"}, 0.5);
  int collected = 0;
  m.OnCollect([&] { ++collected; });
  std::string text = m.Render();
  EXPECT_EQ(collected, 1);
  EXPECT_THAT(text, HasSubstr("# TYPE hearth_x_total counter\nhearth_x_total{tenant=\"a\\\"b\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("hearth_lat_seconds_bucket{api=\"push\",le=\"0.1\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("hearth_lat_seconds_bucket{api=\"push\",le=\"1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("hearth_lat_seconds_bucket{api=\"push\",le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("hearth_lat_seconds_count{api=\"push\"} 1\n"));
  // Text from elsewhere (the scraper's families) comes after the registry's own.
  m.AddTextSource([] { return std::string("# TYPE hearth_scrape_up gauge\nhearth_scrape_up{job=\"j\"} 1\n"); });
  text = m.Render();
  EXPECT_THAT(text, HasSubstr("hearth_lat_seconds_count{api=\"push\"} 1\n# TYPE hearth_scrape_up gauge\n"
                              "hearth_scrape_up{job=\"j\"} 1\n"));
}

TEST(MultipartTest, ParsesPartsLikeTheNodeSdkSendsThem) {
  const std::string body =
      "------formdata-undici-0123\r\n"
      "Content-Disposition: form-data; name=\"profile\"; filename=\"profile\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\n"
      "\x1f\x8b binary\r\nwith crlf\r\n"
      "------formdata-undici-0123\r\n"
      "Content-Disposition: form-data; name=\"sample_type_config\"\r\n\r\n"
      "{}\r\n"
      "------formdata-undici-0123--\r\n";
  auto parts = ParseMultipart("multipart/form-data; boundary=----formdata-undici-0123", body);
  ASSERT_TRUE(parts.ok()) << parts.status();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "profile");
  EXPECT_EQ((*parts)[0].filename, "profile");
  EXPECT_EQ((*parts)[0].content_type, "application/octet-stream");
  EXPECT_EQ((*parts)[0].content, "\x1f\x8b binary\r\nwith crlf");
  EXPECT_EQ((*parts)[1].name, "sample_type_config");
  EXPECT_EQ((*parts)[1].content, "{}");
  EXPECT_FALSE(ParseMultipart("multipart/form-data", body).ok());
  EXPECT_FALSE(ParseMultipart("multipart/form-data; boundary=x", "--x\r\nno end").ok());
}

TEST(ConfigTest, ParsesEveryKeyAndNamesBadOnes) {
  auto c = ParseServerConfig(R"(
server:
  http_addr: 127.0.0.1:0
  grpc_addr: ":0"
storage:
  data_dir: /tmp/x
  head_max_bytes: 64MiB
  retention: {raw: 7d, minute: 30d, hour: 0, max_total_bytes: 10GiB}
limits:
  ingestion_rate_bytes: 1MiB
tenancy:
  require_auth: true
  tenants:
    team-a:
      tokens: [secret-a]
      limits: {max_samples_per_profile: 50000}
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->http.host, "127.0.0.1");
  EXPECT_EQ(c->http.port, 0);
  EXPECT_EQ(c->grpc.port, 0);
  EXPECT_EQ(c->data_dir, "/tmp/x");
  EXPECT_EQ(c->head_max_bytes, 64u << 20);
  EXPECT_EQ(c->retention.raw_ns, int64_t{7} * 86400 * 1000000000);
  EXPECT_EQ(c->retention.hour_ns, 0);
  EXPECT_EQ(c->retention.max_total_bytes, uint64_t{10} << 30);
  EXPECT_TRUE(c->tenancy.require_auth);
  EXPECT_EQ(c->tenancy.token_to_tenant.at("secret-a"), "team-a");
  EXPECT_EQ(c->limits.defaults.ingestion_rate_bytes, 1 << 20);
  EXPECT_EQ(c->limits.overrides.at("team-a").max_samples_per_profile, 50000u);
  // Tenant limits start from the defaults.
  EXPECT_EQ(c->limits.overrides.at("team-a").ingestion_rate_bytes, 1 << 20);

  EXPECT_EQ(std::string(ParseServerConfig("storage: {colour: red}").status().message()),
            "config: storage: unknown key \"colour\" (known: data_dir, head_max_bytes, retention)");
  EXPECT_THAT(std::string(ParseServerConfig("storage: {head_max_bytes: lots}").status().message()),
              HasSubstr("storage.head_max_bytes"));
  EXPECT_THAT(std::string(ParseServerConfig("server: {http_addr: nowhere}").status().message()),
              HasSubstr("server.http_addr"));
  EXPECT_FALSE(ParseServerConfig("server: [").ok());
}

TEST(HttpServerTest, LargeJsonIsGzippedFastEvenWhenTheClientPrefersBrotli) {
  HttpServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  auto server = HttpServer::Bind(o);
  ASSERT_TRUE(server.ok()) << server.status();
  std::string big = "[";
  for (int i = 0; i < 20000; ++i) big += std::to_string(i * 7919 % 100003) + ",";
  big += "0]";
  auto json = [&big](const HttpRequest&) { return HttpResponse::Json(big); };
  (*server)->Handle("GET", "/api/v1/big", json);
  (*server)->Handle("GET", "/other/big", json);
  (*server)->Handle("GET", "/small",
                    [](const HttpRequest&) { return HttpResponse::Json("[1,2]"); });
  (*server)->Start();
  httplib::Client client("127.0.0.1", (*server)->port());
  client.set_decompress(false);
  auto r = client.Get("/api/v1/big", {{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(r->get_header_value("Vary"), "Accept-Encoding");
  auto plain = GzipDecompress(r->body);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(*plain, big);
  // A client that takes no gzip gets it as is; small answers are left to httplib unchanged.
  r = client.Get("/api/v1/big", {{"Accept-Encoding", "identity"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Encoding"), "");
  EXPECT_EQ(r->body, big);
  // Outside Hearth's API (Connect, Pyroscope), answers keep their content type.
  r = client.Get("/other/big", {{"Accept-Encoding", "identity"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(r->body, big);
  r = client.Get("/small");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(r->body, "[1,2]");
  (*server)->Stop();
}

TEST(HttpServerTest, ServesRoutesAndCapsBodies) {
  HttpServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.max_body_bytes = 1 << 20;
  o.max_decoded_body_bytes = 64 << 20;
  o.max_decode_ratio = 50;
  auto server = HttpServer::Bind(o);
  ASSERT_TRUE(server.ok()) << server.status();
  std::atomic<int> calls{0};
  (*server)->Handle("POST", "/echo", [&calls](const HttpRequest& r) {
    ++calls;
    return HttpResponse::Text(200, std::string(r.Param("x")) + ":" + std::to_string(r.body.size()) +
                                       ":" + std::string(r.Header("X-Thing")));
  });
  (*server)->Handle("GET", "/static/*", [](const HttpRequest& r) {
    return HttpResponse::Text(200, r.path);
  });
  (*server)->Start();
  httplib::Client client("127.0.0.1", (*server)->port());
  auto r = client.Post("/echo?x=1", {{"X-Thing", "yes"}}, "hello", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "1:5:yes");
  // Query strings split like Go's url.ParseQuery: at the first '=', then decoded (sent
  // as written, not re-encoded by the client).
  client.set_url_encode(false);
  r = client.Post("/echo?x=app{env=dev}&y=1", "", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "app{env=dev}:0:");
  r = client.Post("/echo?x=a+b%7Bc%3D%22d%22%7D", "", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "a b{c=\"d\"}:0:");
  client.set_url_encode(true);
  r = client.Get("/static/a/b.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "/static/a/b.js");
  r = client.Get("/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  // Too big as sent: refused before the handler runs. (The server answers 413 and closes;
  // a client still writing may see the closed connection instead of the answer.)
  const int before = calls.load();
  r = client.Post("/echo", std::string(2 << 20, 'x'), "text/plain");
  if (r) {
    EXPECT_EQ(r->status, 413);
  }
  EXPECT_EQ(calls.load(), before);
  // A gzip bomb: 200 KB that would expand to 200 MB.
  std::string bomb = GzipCompress(std::string(200 << 20, '\0'), 9);
  r = client.Post("/echo", {{"Content-Encoding", "gzip"}}, bomb, "application/octet-stream");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_THAT(r->body, HasSubstr("expands more than 50x"));
  // A legitimate gzipped body is decoded for the handler.
  r = client.Post("/echo", {{"Content-Encoding", "gzip"}}, GzipCompress(std::string(1000, 'a')),
                  "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, ":1000:");
  // The port is taken: a second server must not share it (no SO_REUSEPORT).
  HttpServerOptions again = o;
  again.port = (*server)->port();
  auto second = HttpServer::Bind(again);
  EXPECT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("in use"));
  // A burst of connections opened at once is accepted (the backlog is not httplib's 5).
  std::vector<std::unique_ptr<httplib::Client>> burst;
  for (int i = 0; i < 32; ++i) {
    burst.push_back(std::make_unique<httplib::Client>("127.0.0.1", (*server)->port()));
    burst.back()->set_connection_timeout(5);
  }
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (auto& c : burst) {
    threads.emplace_back([&ok, &c] {
      auto res = c->Post("/echo?x=b", "", "text/plain");
      if (res && res->status == 200) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 32);
  (*server)->Stop();
}

TEST(ListenAddressTest, Forms) {
  EXPECT_EQ(ParseListenAddress(":4040")->port, 4040);
  EXPECT_EQ(ParseListenAddress(":4040")->host, "0.0.0.0");
  EXPECT_EQ(ParseListenAddress("127.0.0.1:0")->host, "127.0.0.1");
  EXPECT_EQ(ParseListenAddress("4318")->port, 4318);
  EXPECT_EQ(ParseListenAddress("[::1]:80")->host, "::1");
  EXPECT_FALSE(ParseListenAddress("host:port").ok());
}

}  // namespace
}  // namespace hearth::server
