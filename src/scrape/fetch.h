#pragma once

// One bounded HTTP GET of a profile endpoint. The deadline covers connecting, waiting for
// the answer and reading it (checked between chunks), and the body is capped, so a target
// that hangs, trickles or sends gigabytes costs one worker for at most `timeout_ns`.

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace hearth::scrape {

// Aborts fetches in flight (their sockets are shut down) and refuses later ones: lets a
// scraper stop at once instead of waiting out CPU profiles and hung targets.
class FetchCanceler {
 public:
  void CancelAll();
  bool canceled() const;

 private:
  friend absl::StatusOr<std::string> Fetch(const struct FetchRequest& r);
  bool Register(void* client);
  void Unregister(void* client);
  mutable std::mutex mu_;
  std::set<void*> live_;
  bool canceled_ = false;
};

// TLS for https targets, as in Prometheus' tls_config.
struct TlsOptions {
  std::string ca_file;    // trust these CAs (PEM) instead of the system's
  std::string cert_file;  // client certificate (PEM) for targets that ask for one, with:
  std::string key_file;   // its private key (PEM)
  bool insecure_skip_verify = false;
};

struct FetchRequest {
  std::string scheme = "http";
  std::string address;         // host:port
  std::string path_and_query;  // "/debug/pprof/profile?seconds=9"
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t timeout_ns = 10'000'000'000;
  uint64_t max_body_bytes = uint64_t{64} << 20;
  TlsOptions tls;  // https only
  FetchCanceler* canceler = nullptr;
};

// The body of a 200 answer. Errors say what happened in a few words a user can act on:
// "connection refused", "timed out after 2.0s", "HTTP 500: <first line of the body>",
// "body larger than 67108864 bytes".
absl::StatusOr<std::string> Fetch(const FetchRequest& r);

std::string FetchUrl(const FetchRequest& r);

}  // namespace hearth::scrape
