#pragma once

// The web UI's files, served at `/` by `hearth server`.
//
// The UI (ui/, TypeScript built by Vite) is embedded into the binary at build time:
// cmake/BuildUi.cmake runs `npm run build` and turns ui dist/ into a generated .cc that
// defines BuiltUiAssets(). A build without npm/node_modules embeds nothing, and `/` then
// answers a page that says how to build the UI.
//
//   /                     index.html (no-cache: it names the current hashed assets)
//   /assets/<name>-<hash>.js|css   the file, cached for a year (immutable)
//   /favicon.svg ...      other files at the top of dist/, cached briefly
//   /anything/else        index.html again (client-side routes, e.g. /compare)
//   /api/..., /pyroscope/..., /metrics ...   404: API paths never fall back to the UI

#include <span>
#include <string_view>

#include "server/http.h"

namespace hearth::server {

struct UiAsset {
  std::string_view path;  // "/index.html", "/assets/index-3f9a.js"
  std::string_view data;
};

// The files embedded at build time (generated); empty when the UI was not built.
std::span<const UiAsset> BuiltUiAssets();

// The Content-Type for a file name, by extension.
std::string_view UiContentType(std::string_view path);

// Answers a GET for `req.path` from `assets` (rules above).
HttpResponse ServeUi(std::span<const UiAsset> assets, const HttpRequest& req);

// Routes GET /* to ServeUi. Register after the APIs (their exact paths win).
void RegisterUi(HttpServer& http, std::span<const UiAsset> assets);

}  // namespace hearth::server
