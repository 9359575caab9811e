#pragma once

// What the HTTP exporters share: the endpoint, configured headers, and one POST whose every
// failure is a canonical status (connection errors and timeouts retryable; HTTP statuses as
// CodeForHttpStatus, with the server's Retry-After attached).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace httplib {
class Client;
}

namespace hearth::exporter {

struct HttpExporterOptions {
  // http://host:port or https://host:port, optionally with a path prefix
  // (http://gateway/pyroscope). The exporters append their API path.
  std::string endpoint;
  // Sent with every request, e.g. {"Authorization", "Bearer ..."}, {"X-Scope-OrgID", "team-a"}.
  // With neither X-Scope-OrgID nor Authorization here, the batch's tenant is sent as
  // X-Scope-OrgID (with a token, the receiver takes the tenant from the token).
  std::vector<std::pair<std::string, std::string>> headers;
  bool gzip = false;  // Content-Encoding: gzip
  int64_t timeout_ns = 10'000'000'000;
  // Where messages go (one line, no newline); default: stderr.
  std::function<void(std::string_view)> log;
};

class HttpPoster {
 public:
  static absl::StatusOr<std::unique_ptr<HttpPoster>> Create(const HttpExporterOptions& options);
  ~HttpPoster();

  struct Response {
    std::string body;
    std::string content_type;
  };
  // POSTs `body` to <endpoint prefix><path_and_query>. 2xx is OK; anything else an error
  // naming the URL, the status and the server's message.
  absl::StatusOr<Response> Post(std::string_view path_and_query, std::string_view tenant,
                                std::string body, std::string_view content_type);
  const std::string& endpoint() const { return endpoint_; }

 private:
  HttpPoster() = default;
  std::unique_ptr<httplib::Client> client_;
  std::string endpoint_;
  std::string base_path_;
  std::vector<std::pair<std::string, std::string>> headers_;
  bool sends_tenant_ = true;
  bool gzip_ = false;
};

}  // namespace hearth::exporter
