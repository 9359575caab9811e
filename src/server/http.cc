#include "server/http.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "base/compress.h"
#include "base/fmt.h"
#include "base/rpc_status.h"
#include "base/strings.h"
#include "server/status.h"

namespace hearth::server {
namespace {

// The query string of a request target, split the way Go's url.ParseQuery does it: pairs
// at '&', each at its first '=' (httplib keeps the last piece, so `name=app{env=dev}`, as
// curl users send it unencoded, would lose its app name), then percent- and '+'-decoded.
void ParseQueryString(std::string_view target, std::multimap<std::string, std::string>* out) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return;
  for (std::string_view pair : Split(target.substr(q + 1), '&')) {
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string key(pair.substr(0, eq));
    std::string value(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    out->emplace(httplib::detail::decode_url(key, true), httplib::detail::decode_url(value, true));
  }
}

// httplib compresses "compressible" responses itself, preferring brotli at quality 11
// when the client accepts br (every browser does): ~0.5 MB/s, 10+ s for the multi-MB
// flame graph of a large profile. Large JSON is gzipped here at the fastest level instead
// (a 5 MB flame graph in milliseconds), under a content type httplib does not recompress
// ("application/json; charset=utf-8" is not on its list, "application/json" is). Only
// Hearth's own API (/api/): the compatible APIs answer exactly as before.
constexpr size_t kFastCompressMinBytes = 32 << 10;

void CompressLargeJson(const httplib::Request& req, HttpResponse& r) {
  if (r.body.size() < kFastCompressMinBytes || r.content_type != "application/json" ||
      !req.path.starts_with("/api/")) {
    return;
  }
  for (const auto& [k, v] : r.headers) {
    if (AsciiLower(k) == "content-encoding") return;
  }
  r.content_type = "application/json; charset=utf-8";
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (req.get_header_value("Accept-Encoding").find("gzip") == std::string::npos) return;
  r.body = GzipCompress(r.body, 1);
  r.headers.emplace_back("Content-Encoding", "gzip");
}

}  // namespace

std::string_view HttpRequest::Header(std::string_view name) const {
  auto it = headers.find(AsciiLower(name));
  return it == headers.end() ? std::string_view() : std::string_view(it->second);
}

std::string_view HttpRequest::Param(std::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? std::string_view() : std::string_view(it->second);
}

std::vector<std::string> HttpRequest::Params(std::string_view name) const {
  std::vector<std::string> out;
  auto [b, e] = params.equal_range(std::string(name));
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

HttpResponse HttpResponse::Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::Json(std::string body, int status) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::Error(const absl::Status& s) {
  return WithRetryAfter(Text(HttpStatusFor(s.code()), std::string(s.message()) + "\n"), s);
}

HttpResponse WithRetryAfter(HttpResponse r, const absl::Status& s) {
  if (const int seconds = RetryAfterSeconds(s); seconds > 0) {
    r.headers.emplace_back("Retry-After", std::to_string(seconds));
  }
  return r;
}

struct HttpServer::Impl {
  HttpServerOptions options;
  httplib::Server server;
  std::thread thread;
  struct Route {
    std::string method, path;
    bool prefix;
    HttpHandler handler;
    HttpBodyErrorHandler body_error;  // null: plain text
  };
  std::vector<Route> routes;

  const Route* Find(const std::string& method, const std::string& path) const {
    const Route* best = nullptr;
    for (const Route& r : routes) {
      if (r.method != method) continue;
      if (!r.prefix && r.path == path) return &r;
      if (r.prefix && path.starts_with(r.path) &&
          (best == nullptr || r.path.size() > best->path.size())) {
        best = &r;
      }
    }
    return best;
  }

  static void Send(const HttpResponse& r, httplib::Response& res) {
    res.status = r.status;
    for (const auto& [k, v] : r.headers) res.set_header(k.c_str(), v);
    res.set_content(r.body, r.content_type.c_str());
  }

  void Serve(const httplib::Request& req, httplib::Response& res,
             const httplib::ContentReader* reader) {
    const Route* route = Find(req.method, req.path);
    if (route == nullptr) {
      Send(HttpResponse::Text(404, fmt::format("no route for {} {}\n", req.method, req.path)), res);
      return;
    }
    HttpRequest r;
    r.method = req.method;
    r.path = req.path;
    r.remote_addr = req.remote_addr;
    for (const auto& [k, v] : req.headers) r.headers.emplace(AsciiLower(k), v);
    ParseQueryString(req.target, &r.params);
    auto refuse = [&](int status, const std::string& message) {
      Send(route->body_error ? route->body_error(r, status, message)
                             : HttpResponse::Text(status, message + "\n"),
           res);
    };
    if (reader != nullptr) {
      uint64_t sent = 0;
      (void)ParseInt(std::string_view(req.get_header_value("Content-Length")), &sent);
      if (sent > options.max_body_bytes) {
        refuse(413, fmt::format("request body of {} bytes is above the limit of {}", sent,
                                options.max_body_bytes));
        return;
      }
      const bool encoded = req.has_header("Content-Encoding");
      uint64_t cap = options.max_decoded_body_bytes;
      if (encoded && sent > 0) cap = std::min<uint64_t>(cap, std::max<uint64_t>(sent * options.max_decode_ratio, 1 << 20));
      std::string why;
      auto append = [&](const char* data, size_t n) {
        if (r.body.size() + n > cap) {
          why = encoded && cap < options.max_decoded_body_bytes
                    ? fmt::format("request body expands more than {}x when decoded ({})",
                                  options.max_decode_ratio, req.get_header_value("Content-Encoding"))
                    : fmt::format("request body is above the limit of {} bytes", cap);
          return false;
        }
        r.body.append(data, n);
        return true;
      };
      bool ok;
      const bool multipart = req.is_multipart_form_data();
      if (multipart) {
        // httplib parses multipart bodies itself (its plain reader throws bad_function_call
        // for them): the parts are framed again with the request's own boundary, so handlers
        // get one body for ParseMultipart, as for any other request.
        std::string_view ct = r.Header("content-type");
        const size_t at = ct.find("boundary=");
        std::string_view boundary = at == std::string_view::npos ? "" : ct.substr(at + 9);
        boundary = boundary.substr(0, boundary.find(';'));
        if (boundary.size() >= 2 && boundary.front() == '"') {
          boundary = boundary.substr(1, boundary.size() - 2);
        }
        bool first = true;
        ok = (*reader)(
            [&](const httplib::MultipartFormData& part) {
              std::string head =
                  fmt::format("{}--{}\r\nContent-Disposition: form-data; name=\"{}\"",
                              first ? "" : "\r\n", boundary, part.name);
              if (!part.filename.empty()) head += fmt::format("; filename=\"{}\"", part.filename);
              head += "\r\n";
              if (!part.content_type.empty()) head += "Content-Type: " + part.content_type + "\r\n";
              head += "\r\n";
              first = false;
              return append(head.data(), head.size());
            },
            append);
        if (ok) {
          const std::string tail = fmt::format("{}--{}--\r\n", first ? "" : "\r\n", boundary);
          ok = append(tail.data(), tail.size());
        }
      } else {
        ok = (*reader)(append);
      }
      if (!ok) {
        if (multipart && why.empty()) {
          refuse(400, "malformed multipart/form-data body");
          return;
        }
        refuse(413, why.empty() ? "could not read the request body" : why);
        return;
      }
    }
    HttpResponse out;
    try {
      out = route->handler(r);
    } catch (const std::exception& e) {  // Handlers don't throw; a library might.
      out = HttpResponse::Text(500, fmt::format("internal error: {}\n", e.what()));
    }
    CompressLargeJson(req, out);
    Send(out, res);
  }
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Bind(const HttpServerOptions& options) {
  std::unique_ptr<HttpServer> s(new HttpServer());
  s->impl_ = std::make_unique<Impl>();
  Impl& impl = *s->impl_;
  impl.options = options;
  const int threads = std::max(1, options.threads);
  impl.server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  impl.server.set_payload_max_length(options.max_body_bytes);
  impl.server.set_read_timeout(30, 0);
  impl.server.set_write_timeout(30, 0);
  impl.server.set_keep_alive_max_count(1000);
  // Each open connection holds a worker thread: idle ones are let go after 2 s, so a fleet
  // of SDKs pushing every 10-15 s does not pin the pool.
  impl.server.set_keep_alive_timeout(2);
  Impl* raw = &impl;
  auto with_body = [raw](const httplib::Request& req, httplib::Response& res,
                         const httplib::ContentReader& reader) { raw->Serve(req, res, &reader); };
  auto without_body = [raw](const httplib::Request& req, httplib::Response& res) {
    raw->Serve(req, res, nullptr);
  };
  // This httplib listens with a backlog of 5: a burst of new connections (several agents
  // at once) overflows it. Remember the socket and listen again with the system's maximum
  // once it is bound (listen() on a listening socket only changes its backlog).
  int listen_fd = -1;
  // httplib's default options set SO_REUSEPORT, which lets a second server bind the same
  // port and silently take half the connections; SO_REUSEADDR alone allows a quick restart
  // and makes a port in use an error.
  impl.server.set_socket_options([&listen_fd](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    // Inherited by accepted sockets: httplib writes headers and body separately, which
    // with Nagle and delayed ACKs costs ~40 ms per response.
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    listen_fd = sock;
  });
  impl.server.Post(".*", with_body);
  impl.server.Put(".*", with_body);
  impl.server.Get(".*", without_body);
  impl.server.Delete(".*", without_body);
  if (options.port == 0) {
    s->port_ = impl.server.bind_to_any_port(options.host);
  } else {
    s->port_ = impl.server.bind_to_port(options.host, options.port) ? options.port : -1;
  }
  if (s->port_ <= 0) {
    return absl::UnavailableError(
        fmt::format("cannot listen on {}:{} (in use, or no permission)", options.host, options.port));
  }
  if (listen_fd < 0 || ::listen(listen_fd, SOMAXCONN) != 0) {
    return absl::InternalError(fmt::format("cannot raise the listen backlog of {}:{}: {}",
                                           options.host, s->port_, std::strerror(errno)));
  }
  return s;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(std::string_view method, std::string path, HttpHandler handler,
                        HttpBodyErrorHandler body_error) {
  const bool prefix = !path.empty() && path.back() == '*';
  if (prefix) path.pop_back();
  impl_->routes.push_back(
      {std::string(method), std::move(path), prefix, std::move(handler), std::move(body_error)});
}

void HttpServer::Start() {
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  // This httplib has no wait_until_ready(): the socket is bound already, so connections
  // queue in the backlog until the thread accepts; just wait for it to be running.
  while (!impl_->server.is_running()) std::this_thread::yield();
}

void HttpServer::Stop() {
  if (impl_ == nullptr) return;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

absl::StatusOr<std::vector<HttpPart>> ParseMultipart(std::string_view content_type,
                                                     std::string_view body, size_t max_parts) {
  // boundary=... (optionally quoted) from the Content-Type.
  size_t b = content_type.find("boundary=");
  if (b == std::string_view::npos) {
    return absl::InvalidArgumentError("multipart body without a boundary in its Content-Type");
  }
  std::string_view boundary = content_type.substr(b + 9);
  boundary = boundary.substr(0, boundary.find(';'));
  if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"') {
    boundary = boundary.substr(1, boundary.size() - 2);
  }
  if (boundary.empty() || boundary.size() > 200) {
    return absl::InvalidArgumentError("multipart boundary is empty or too long");
  }
  const std::string delim = "--" + std::string(boundary);
  std::vector<HttpPart> parts;
  size_t pos = body.find(delim);
  if (pos == std::string_view::npos) {
    return absl::InvalidArgumentError("multipart body does not contain its boundary");
  }
  for (;;) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") break;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") {
      return absl::InvalidArgumentError("multipart: malformed delimiter line");
    }
    pos += 2;
    size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) {
      return absl::InvalidArgumentError("multipart: part headers never end");
    }
    HttpPart part;
    std::string_view headers = body.substr(pos, headers_end - pos);
    while (!headers.empty()) {
      size_t eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      headers.remove_prefix(eol == std::string_view::npos ? headers.size() : eol + 2);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name = AsciiLower(line.substr(0, colon));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (name == "content-type") part.content_type = std::string(value);
      if (name != "content-disposition") continue;
      auto param = [&](std::string_view key) -> std::string {
        std::string k = std::string(key) + "=\"";
        size_t at = value.find(k);
        while (at != std::string_view::npos && at > 0 && value[at - 1] != ' ' && value[at - 1] != ';') {
          at = value.find(k, at + 1);  // "filename=" must not match inside "name="
        }
        if (at == std::string_view::npos) return "";
        size_t start = at + k.size();
        size_t end = value.find('"', start);
        return std::string(value.substr(start, end == std::string_view::npos ? std::string_view::npos
                                                                               : end - start));
      };
      part.name = param("name");
      part.filename = param("filename");
    }
    size_t content_start = headers_end + 4;
    size_t next = body.find("\r\n" + delim, content_start);
    if (next == std::string_view::npos) {
      return absl::InvalidArgumentError("multipart: part without a closing boundary");
    }
    part.content = std::string(body.substr(content_start, next - content_start));
    parts.push_back(std::move(part));
    if (parts.size() > max_parts) {
      return absl::InvalidArgumentError(fmt::format("multipart: more than {} parts", max_parts));
    }
    pos = next + 2;
  }
  return parts;
}

}  // namespace hearth::server
