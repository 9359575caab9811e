#include "server/ui.h"

#include <array>

namespace hearth::server {
namespace {

// Paths that belong to the APIs: a typo there should be a 404, not the UI's HTML.
constexpr std::array<std::string_view, 10> kApiPrefixes = {
    "/api/",   "/pyroscope/",     "/querier.v1.", "/parca.", "/push.v1.",
    "/ingest", "/v1development/", "/metrics",     "/ready",  "/opentelemetry."};

constexpr std::string_view kNotBuiltPage = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hearth: web UI not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 44em; margin: 3em auto; line-height: 1.5">
<h1>The web UI was not built into this binary</h1>
<p>This <code>hearth server</code> is running and its APIs work (<a href="/ready">/ready</a>,
<a href="/metrics">/metrics</a>, <code>/api/v1/...</code>), but the UI files were not
embedded when it was built, because <code>ui/node_modules</code> was missing.</p>
<p>To build it: <code>scripts/deps.sh</code> (runs <code>npm ci</code> in <code>ui/</code>), then
<code>scripts/build.sh release</code> (runs <code>npm run build</code> and embeds
<code>ui/dist</code>), and restart the server. <code>make run</code> does both.</p>
</body></html>
)";

const UiAsset* Find(std::span<const UiAsset> assets, std::string_view path) {
  for (const UiAsset& a : assets) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

HttpResponse FileResponse(const UiAsset& a, std::string_view cache_control) {
  HttpResponse r;
  r.content_type = std::string(UiContentType(a.path));
  r.body = std::string(a.data);
  r.headers.emplace_back("Cache-Control", std::string(cache_control));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace

std::string_view UiContentType(std::string_view path) {
  struct Type {
    std::string_view ext, type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const Type& t : kTypes) {
    if (path.ends_with(t.ext)) return t.type;
  }
  return "application/octet-stream";
}

HttpResponse ServeUi(std::span<const UiAsset> assets, const HttpRequest& req) {
  const std::string_view path = req.path;
  for (std::string_view p : kApiPrefixes) {
    if (path.starts_with(p)) {
      return HttpResponse::Text(404, "no route for GET " + std::string(path) + "\n");
    }
  }
  const UiAsset* index = Find(assets, "/index.html");
  if (index == nullptr) {
    HttpResponse r = HttpResponse::Text(404, std::string(kNotBuiltPage));
    r.content_type = "text/html; charset=utf-8";
    return r;
  }
  if (path.starts_with("/assets/")) {
    // Vite names these after their content hash: safe to cache for good. A missing one is
    // a 404 (an old page asking for a replaced bundle must not get HTML as JavaScript).
    if (const UiAsset* a = Find(assets, path)) {
      return FileResponse(*a, "public, max-age=31536000, immutable");
    }
    return HttpResponse::Text(404, "no such UI asset: " + std::string(path) + "\n");
  }
  if (path != "/" && path != "/index.html") {
    if (const UiAsset* a = Find(assets, path)) return FileResponse(*a, "public, max-age=3600");
  }
  // Client-side routes (/compare, /span ...) are the single page too.
  return FileResponse(*index, "no-cache");
}

void RegisterUi(HttpServer& http, std::span<const UiAsset> assets) {
  http.Handle("GET", "/*", [assets](const HttpRequest& req) { return ServeUi(assets, req); });
}

}  // namespace hearth::server
