#include "export/http_client.h"

#include <httplib.h>

#include <chrono>

#include "base/compress.h"
#include "base/fmt.h"
#include "base/strings.h"
#include "base/rpc_status.h"
#include "export/exporter.h"

namespace hearth::exporter {
namespace {

// A short, single-line excerpt of an error body for messages.
std::string Describe(httplib::Error err) {
  switch (err) {
    case httplib::Error::Connection: return "cannot connect";
    case httplib::Error::ConnectionTimeout: return "connecting timed out";
    case httplib::Error::Read: return "no response (read failed or timed out)";
    case httplib::Error::Write: return "sending failed";
    default: return "request failed";
  }
}

std::string Excerpt(std::string_view body, std::string_view content_type) {
  if (content_type.find("protobuf") != std::string_view::npos) {
    if (std::string m = RpcStatusMessage(body); !m.empty()) return m;
  }
  std::string out;
  for (char c : body.substr(0, 300)) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

HttpPoster::~HttpPoster() = default;

absl::StatusOr<std::unique_ptr<HttpPoster>> HttpPoster::Create(const HttpExporterOptions& options) {
  std::string_view e = options.endpoint;
  const size_t scheme_end = e.find("://");
  if (scheme_end == std::string_view::npos) {
    return absl::InvalidArgumentError(fmt::format(
        "endpoint \"{}\": expected http://host:port or https://host:port", options.endpoint));
  }
  const std::string scheme = AsciiLower(e.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") {
    return absl::InvalidArgumentError(
        fmt::format("endpoint \"{}\": the scheme must be http or https", options.endpoint));
  }
  const size_t path = e.find('/', scheme_end + 3);
  std::unique_ptr<HttpPoster> p(new HttpPoster());
  const std::string host_port(e.substr(0, path));
  if (host_port.size() == scheme_end + 3) {
    return absl::InvalidArgumentError(fmt::format("endpoint \"{}\" has no host", options.endpoint));
  }
  p->client_ = std::make_unique<httplib::Client>(host_port);
  if (!p->client_->is_valid()) {
    return absl::InvalidArgumentError(
        fmt::format("endpoint \"{}\" is not usable", options.endpoint));
  }
  if (path != std::string_view::npos) p->base_path_ = std::string(e.substr(path));
  while (!p->base_path_.empty() && p->base_path_.back() == '/') p->base_path_.pop_back();
  p->endpoint_ = options.endpoint;
  p->headers_ = options.headers;
  for (const auto& [k, v] : options.headers) {
    const std::string name = AsciiLower(k);
    if (name == "x-scope-orgid" || name == "authorization") p->sends_tenant_ = false;
  }
  p->gzip_ = options.gzip;
  const auto timeout = std::chrono::nanoseconds(options.timeout_ns);
  const time_t sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
  const time_t usec = static_cast<time_t>(timeout.count() % 1'000'000'000 / 1000);
  p->client_->set_connection_timeout(sec, usec);
  p->client_->set_read_timeout(sec, usec);
  p->client_->set_write_timeout(sec, usec);
  p->client_->set_keep_alive(true);
  return p;
}

absl::StatusOr<HttpPoster::Response> HttpPoster::Post(std::string_view path_and_query,
                                                      std::string_view tenant, std::string body,
                                                      std::string_view content_type) {
  httplib::Headers headers;
  for (const auto& [k, v] : headers_) headers.emplace(k, v);
  if (sends_tenant_ && !tenant.empty()) headers.emplace("X-Scope-OrgID", std::string(tenant));
  if (gzip_) {
    body = GzipCompress(body);
    headers.emplace("Content-Encoding", "gzip");
  }
  const std::string target = base_path_ + std::string(path_and_query);
  const std::string url =
      endpoint_ + std::string(path_and_query.substr(0, path_and_query.find('?')));
  httplib::Result r = client_->Post(target, headers, body, std::string(content_type));
  if (!r) {
    const httplib::Error err = r.error();
    const absl::StatusCode code =
        err == httplib::Error::ConnectionTimeout || err == httplib::Error::Read
            ? absl::StatusCode::kDeadlineExceeded
            : absl::StatusCode::kUnavailable;
    // A broken keep-alive connection is not the receiver's fault: the next try reconnects.
    client_->stop();
    return absl::Status(
        code, fmt::format("POST {}: {} ({})", url, Describe(err), httplib::to_string(err)));
  }
  if (r->status >= 200 && r->status < 300) {
    return Response{std::move(r->body), r->get_header_value("Content-Type")};
  }
  absl::Status s(CodeForHttpStatus(r->status),
                 fmt::format("POST {}: HTTP {}: {}", url, r->status,
                             Excerpt(r->body, r->get_header_value("Content-Type"))));
  if (IsRetryable(s) && r->has_header("Retry-After")) {
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    if (auto d = ParseRetryAfter(r->get_header_value("Retry-After"), now))
      s = WithRetryDelay(s, *d);
  }
  return s;
}

}  // namespace hearth::exporter
