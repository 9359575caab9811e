#pragma once

// Test harness for the ingest APIs: the server parts around a real storage::Engine in a
// temp dir, HTTP requests built by hand or read from captured wire bytes, and totals read
// back through Backend::SelectMerge. No sockets.

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/file.h"
#include "base/strings.h"
#include "server/ingest_api.h"
#include "storage/engine.h"
#include "storage/test_util.h"

namespace hearth::server::testing {

// 2026-11-26T07:37:49Z, when the Node SDK captures were made.
inline constexpr int64_t kNowNs = int64_t{1795678669} * 1'000'000'000;

class IngestHarness {
 public:
  explicit IngestHarness(LimitsConfig limits = {}, TenancyOptions tenancy = {})
      : base_env_(NewPosixEnv()),
        env_(base_env_.get(), kNowNs),
        tenancy_(std::move(tenancy)),
        limits_(std::move(limits)) {
    storage::EngineOptions eo;
    eo.dir = dir_.path();
    eo.env = &env_;
    eo.background = false;
    auto engine = storage::Engine::Open(std::move(eo));
    EXPECT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    pipeline_ = std::make_unique<IngestPipeline>(engine_.get(), &limits_, &metrics_, &deltas_);
    parts.config = &config_;
    parts.env = &env_;
    parts.rpc = &rpc;
    parts.tenancy = &tenancy_;
    parts.limits = &limits_;
    parts.metrics = &metrics_;
    parts.ingest = pipeline_.get();
    parts.backend = engine_.get();
    RegisterIngestApis(parts);  // parts.http is null: the RPCs only
  }

  HttpResponse Ingest(const HttpRequest& req) { return HandlePyroscopeIngest(parts, req); }

  // Sum of one value type (a profile type id, e.g. "wall:cpu:nanoseconds:wall:nanoseconds")
  // over all a tenant stored, optionally [from, to).
  int64_t Total(const std::string& tenant, const std::string& type,
                std::vector<storage::Matcher> matchers = {}, int64_t from_ns = 0,
                int64_t to_ns = INT64_MAX) {
    storage::SelectRequest req;
    req.tenant = tenant;
    auto id = storage::ParseProfileTypeId(type);
    EXPECT_TRUE(id.ok()) << id.status();
    req.type = *id;
    req.matchers = std::move(matchers);
    req.range = {from_ns, to_ns};
    auto r = engine_->SelectMerge(req);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok() || r->groups.empty() || r->groups[0].profile.sample_types.empty()) return 0;
    return r->groups[0].profile.Total(0);
  }

  std::vector<storage::Labels> Series(const std::string& tenant) {
    storage::LabelQuery q;
    q.tenant = tenant;
    q.range = {0, INT64_MAX};
    auto s = engine_->Series(q);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : std::vector<storage::Labels>{};
  }

  CallContext Ctx(std::string tenant) { return CallContext{std::move(tenant), "test", "grpc"}; }

  storage::testing::ClockEnv& env() { return env_; }
  DeltaTracker& deltas() { return deltas_; }

  RpcRegistry rpc;
  ServerParts parts;

 private:
  storage::testing::TempDir dir_;
  std::unique_ptr<Env> base_env_;
  storage::testing::ClockEnv env_;
  ServerConfig config_;
  MetricsRegistry metrics_;
  Tenancy tenancy_;
  Limits limits_;
  DeltaTracker deltas_;
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<IngestPipeline> pipeline_;
};

inline std::string UrlDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(
          static_cast<char>(std::strtol(std::string(s.substr(i + 1, 2)).c_str(), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// A request for `target` ("/ingest?name=...": the query is URL-decoded as the HTTP layer
// does) with lower-cased header names.
inline HttpRequest Request(std::string_view target, std::string body,
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest r;
  r.method = "POST";
  size_t q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) {
    for (std::string_view kv : Split(target.substr(q + 1), '&')) {
      size_t eq = kv.find('=');
      r.params.emplace(UrlDecode(kv.substr(0, eq)),
                       eq == std::string_view::npos ? "" : UrlDecode(kv.substr(eq + 1)));
    }
  }
  for (auto& [k, v] : headers) {
    std::string lower = k;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace(std::move(lower), std::move(v));
  }
  r.body = std::move(body);
  return r;
}

// Parses captured wire bytes: request line, headers, blank line, body.
inline HttpRequest ParseRawRequest(std::string_view raw) {
  size_t eol = raw.find("\r\n");
  std::string_view line = raw.substr(0, eol);
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t end = raw.find("\r\n\r\n");
  std::vector<std::pair<std::string, std::string>> headers;
  for (std::string_view h : Split(raw.substr(eol + 2, end - eol - 2), '\n')) {
    if (!h.empty() && h.back() == '\r') h.remove_suffix(1);
    size_t colon = h.find(':');
    headers.emplace_back(std::string(h.substr(0, colon)),
                         std::string(TrimSpace(h.substr(colon + 1))));
  }
  HttpRequest r = Request(target, std::string(raw.substr(end + 4)), std::move(headers));
  r.method = std::string(line.substr(0, sp1));
  return r;
}

inline std::string ReadFixture(const std::string& relative) {
  auto data = ReadFile(storage::testing::FixturePath(relative));
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? *data : std::string();
}

// A multipart/form-data body with the given (name, content) parts.
inline std::string Multipart(std::string_view boundary,
                             const std::vector<std::pair<std::string, std::string>>& parts) {
  std::string body;
  for (const auto& [name, content] : parts) {
    body += "--" + std::string(boundary) + "\r\n";
    body += "Content-Disposition: form-data; name=\"" + name + "\"; filename=\"" + name + "\"\r\n";
    body += "Content-Type: application/octet-stream\r\n\r\n";
    body += content + "\r\n";
  }
  return body + "--" + std::string(boundary) + "--\r\n";
}

}  // namespace hearth::server::testing
