#pragma once

// The HTTP front, independent of the library underneath (cpp-httplib): handlers see plain
// requests and return plain responses, so they are testable without sockets.
//
// Request bodies are read in chunks and capped as they arrive: the compressed size
// (Content-Length) and the decoded size, and the expansion ratio for Content-Encoding:
// gzip. Going over a cap answers 413 before the body is fully in memory.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace hearth::server {

struct HttpPart {
  std::string name, filename, content_type;
  std::string content;
};

struct HttpRequest {
  std::string method;
  std::string path;
  // Lower-cased names.
  std::multimap<std::string, std::string> headers;
  std::multimap<std::string, std::string> params;  // query string
  std::string body;                                // Content-Encoding already removed
  std::string remote_addr;

  // First value of a header (name case-insensitive) or of a query parameter, "" if absent.
  std::string_view Header(std::string_view name) const;
  std::string_view Param(std::string_view name) const;
  bool HasParam(std::string_view name) const { return params.count(std::string(name)) > 0; }
  std::vector<std::string> Params(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse Text(int status, std::string body);
  static HttpResponse Json(std::string body, int status = 200);
  // An error as text: status from the code, body "message\n", Retry-After when `s` has a
  // RetryInfo delay.
  static HttpResponse Error(const absl::Status& s);
};

// `r` with a Retry-After header when `s` carries a RetryInfo delay (base/rpc_status.h).
HttpResponse WithRetryAfter(HttpResponse r, const absl::Status& s);

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// Shapes the server's own refusals of a request body (413 too large or expanding too much,
// 400 malformed multipart) for a route whose protocol defines its error bodies (OTLP/HTTP's
// google.rpc.Status). The request has its headers and parameters, no body.
using HttpBodyErrorHandler =
    std::function<HttpResponse(const HttpRequest&, int status, const std::string& message)>;

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  int port = 4040;  // 0: any free port
  int threads = 16;
  uint64_t max_body_bytes = uint64_t{64} << 20;          // as sent
  uint64_t max_decoded_body_bytes = uint64_t{256} << 20;  // after Content-Encoding
  uint64_t max_decode_ratio = 250;
};

class HttpServer {
 public:
  // Binds the port (so port() is known), does not serve yet.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Bind(const HttpServerOptions& options);
  ~HttpServer();

  // Routes: exact paths, or prefixes ending in '*' ("/static/*"). Register before Start.
  void Handle(std::string_view method, std::string path, HttpHandler handler,
              HttpBodyErrorHandler body_error = nullptr);
  // Serves in a background thread.
  void Start();
  // Stops accepting, lets in-flight requests finish, joins the thread.
  void Stop();
  int port() const { return port_; }

 private:
  struct Impl;
  HttpServer() = default;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

// Parses a multipart/form-data body. At most max_parts parts.
absl::StatusOr<std::vector<HttpPart>> ParseMultipart(std::string_view content_type,
                                                     std::string_view body,
                                                     size_t max_parts = 64);

}  // namespace hearth::server
