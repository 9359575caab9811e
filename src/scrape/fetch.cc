#include "scrape/fetch.h"

#include <httplib.h>

#include <chrono>

#include "base/fmt.h"

namespace hearth::scrape {
namespace {

using Clock = std::chrono::steady_clock;

std::string Excerpt(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 200)) {
    if (c == '\n' || c == '\r') break;
    out.push_back(
        static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f ? '?' : c);
  }
  return out;
}

}  // namespace

void FetchCanceler::CancelAll() {
  std::lock_guard<std::mutex> lock(mu_);
  canceled_ = true;
  for (void* c : live_) static_cast<httplib::Client*>(c)->stop();
}

bool FetchCanceler::canceled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return canceled_;
}

bool FetchCanceler::Register(void* client) {
  std::lock_guard<std::mutex> lock(mu_);
  if (canceled_) return false;
  live_.insert(client);
  return true;
}

void FetchCanceler::Unregister(void* client) {
  std::lock_guard<std::mutex> lock(mu_);
  live_.erase(client);
}

std::string FetchUrl(const FetchRequest& r) {
  return fmt::format("{}://{}{}", r.scheme, r.address, r.path_and_query);
}

absl::StatusOr<std::string> Fetch(const FetchRequest& r) {
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::nanoseconds(r.timeout_ns);
  const bool https = r.scheme == "https";
  const std::string base = fmt::format("{}://{}", r.scheme, r.address);
  httplib::Client client = https && !r.tls.cert_file.empty()
                               ? httplib::Client(base, r.tls.cert_file, r.tls.key_file)
                               : httplib::Client(base);
  if (!client.is_valid()) {
    if (https && !r.tls.cert_file.empty()) {
      return absl::InvalidArgumentError(
          fmt::format("TLS: cannot load the client certificate {} with key {}", r.tls.cert_file,
                      r.tls.key_file));
    }
    return absl::InvalidArgumentError(fmt::format("bad target address \"{}\"", r.address));
  }
  const auto timeout = std::chrono::nanoseconds(r.timeout_ns);
  client.set_connection_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  client.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  client.set_write_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  client.set_keep_alive(false);
  client.set_follow_location(false);
  if (https) {
    if (r.tls.insecure_skip_verify) client.enable_server_certificate_verification(false);
    if (!r.tls.ca_file.empty()) client.set_ca_cert_path(r.tls.ca_file.c_str());
  }
  httplib::Headers headers;
  for (const auto& [k, v] : r.headers) headers.emplace(k, v);
  headers.emplace("User-Agent", "hearth-scraper/0.1");

  if (r.canceler != nullptr && !r.canceler->Register(&client))
    return absl::CancelledError("scraper stopping");
  struct Unregister {
    FetchCanceler* c;
    void* client;
    ~Unregister() {
      if (c != nullptr) c->Unregister(client);
    }
  } unregister{r.canceler, &client};

  std::string body;
  int status = 0;
  bool too_large = false, timed_out = false;
  auto res = client.Get(
      r.path_and_query, headers,
      [&](const httplib::Response& resp) {
        status = resp.status;
        return true;
      },
      [&](const char* data, size_t n) {
        if (Clock::now() > deadline) {
          timed_out = true;
          return false;
        }
        if (body.size() + n > r.max_body_bytes) {
          too_large = true;
          return false;
        }
        body.append(data, n);
        return true;
      });
  const double secs = std::chrono::duration<double>(timeout).count();
  if (too_large)
    return absl::ResourceExhaustedError(fmt::format("body larger than {} bytes", r.max_body_bytes));
  if (timed_out) return absl::DeadlineExceededError(fmt::format("timed out after {:.1f}s", secs));
  if (!res) {
    // TLS 1.3 targets refuse a missing client certificate after the handshake, by closing
    // the connection (seen by the client while writing the request or reading the answer).
    const std::string tls_hint =
        https && r.tls.cert_file.empty()
            ? " (a target that asks for a client certificate needs tls_config.cert_file and "
              "key_file)"
            : "";
    if (r.canceler != nullptr && r.canceler->canceled())
      return absl::CancelledError("scraper stopping");
    switch (res.error()) {
      case httplib::Error::Connection:
        return absl::UnavailableError("connection refused or unreachable");
      case httplib::Error::ConnectionTimeout:
        return absl::DeadlineExceededError(fmt::format("connecting timed out after {:.1f}s", secs));
      case httplib::Error::Read:
        if (Clock::now() >= deadline - std::chrono::milliseconds(50)) {
          return absl::DeadlineExceededError(fmt::format("timed out after {:.1f}s", secs));
        }
        return absl::UnavailableError("connection closed before a complete answer" + tls_hint);
      case httplib::Error::Write:
        return absl::UnavailableError("connection closed while sending the request" + tls_hint);
      case httplib::Error::SSLServerVerification:
        return absl::UnavailableError(
            "TLS: the target's certificate is not trusted or not for this address "
            "(tls_config.ca_file, or insecure_skip_verify)");
      case httplib::Error::SSLLoadingCerts:
        return absl::UnavailableError(
            fmt::format("TLS: cannot load the CA certificates from {}", r.tls.ca_file));
      case httplib::Error::SSLConnection:
        return absl::UnavailableError("TLS handshake failed" + tls_hint);
      default:
        return absl::UnavailableError(
            fmt::format("request failed: {}", httplib::to_string(res.error())));
    }
  }
  if (status != 200) {
    std::string e = Excerpt(body);
    return absl::FailedPreconditionError(e.empty() ? fmt::format("HTTP {}", status)
                                                   : fmt::format("HTTP {}: {}", status, e));
  }
  return body;
}

}  // namespace hearth::scrape
