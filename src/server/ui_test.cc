// Serving the embedded web UI: files and content types, caching, the single-page fallback,
// API paths that stay 404, and the page shown when the UI was not built.

#include "server/ui.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace hearth::server {
namespace {

using ::testing::HasSubstr;

const UiAsset kAssets[] = {
    {"/index.html", "<!doctype html><title>Hearth</title>"},
    {"/assets/index-3f9a1c.js", "console.log(1)"},
    {"/assets/index-77aa00.css", "body{}"},
    {"/favicon.svg", "<svg/>"},
};

HttpResponse Get(std::span<const UiAsset> assets, std::string path) {
  HttpRequest req;
  req.method = "GET";
  req.path = std::move(path);
  return ServeUi(assets, req);
}

std::string Header(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(UiTest, ServesIndexAndHashedAssetsWithTypesAndCaching) {
  HttpResponse index = Get(kAssets, "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index.body, "<!doctype html><title>Hearth</title>");
  EXPECT_EQ(Header(index, "Cache-Control"), "no-cache");

  HttpResponse js = Get(kAssets, "/assets/index-3f9a1c.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(Header(js, "Cache-Control"), "public, max-age=31536000, immutable");

  HttpResponse css = Get(kAssets, "/assets/index-77aa00.css");
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
  HttpResponse svg = Get(kAssets, "/favicon.svg");
  EXPECT_EQ(svg.content_type, "image/svg+xml");
  EXPECT_EQ(Header(svg, "Cache-Control"), "public, max-age=3600");
}

TEST(UiTest, ClientRoutesFallBackToIndexButMissingAssetsAndApisDoNot) {
  for (const char* route : {"/compare", "/span/00000000deadbeef", "/index.html"}) {
    HttpResponse r = Get(kAssets, route);
    EXPECT_EQ(r.status, 200) << route;
    EXPECT_EQ(r.body, "<!doctype html><title>Hearth</title>") << route;
  }
  HttpResponse stale = Get(kAssets, "/assets/index-000000.js");
  EXPECT_EQ(stale.status, 404);
  EXPECT_THAT(stale.body, HasSubstr("no such UI asset: /assets/index-000000.js"));
  for (const char* api : {"/api/v1/nope", "/pyroscope/nope", "/metricsx", "/ingest/x"}) {
    HttpResponse r = Get(kAssets, api);
    EXPECT_EQ(r.status, 404) << api;
    EXPECT_THAT(r.body, HasSubstr("no route for GET")) << api;
  }
}

TEST(UiTest, WithoutABuiltUiExplainsHowToBuildIt) {
  HttpResponse r = Get({}, "/");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(r.body, HasSubstr("The web UI was not built into this binary"));
  EXPECT_THAT(r.body, HasSubstr("npm ci"));
}

TEST(UiTest, ContentTypesByExtension) {
  EXPECT_EQ(UiContentType("/a.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(UiContentType("/a.js.map"), "application/json");
  EXPECT_EQ(UiContentType("/font.woff2"), "font/woff2");
  EXPECT_EQ(UiContentType("/blob"), "application/octet-stream");
}

TEST(UiTest, TheBuiltUiHasAnIndexReferringToItsAssets) {
  // When this tree embedded the UI (npm was set up), index.html must name files it carries.
  std::span<const UiAsset> built = BuiltUiAssets();
  if (built.empty()) GTEST_SKIP() << "UI not embedded in this build (no ui/node_modules)";
  HttpResponse index = Get(built, "/");
  ASSERT_EQ(index.status, 200);
  int referenced = 0;
  for (const UiAsset& a : built) {
    if (!a.path.starts_with("/assets/")) continue;
    if (index.body.find(a.path) != std::string::npos) {
      ++referenced;
      EXPECT_EQ(Get(built, std::string(a.path)).status, 200) << a.path;
    }
  }
  EXPECT_GE(referenced, 1) << index.body;
}

}  // namespace
}  // namespace hearth::server
