#include "server/rpc.h"

#include "server/http.h"
#include "server/status.h"
#include "server/tenancy.h"

namespace hearth::server {

void ServeConnect(HttpServer& http, const RpcRegistry& registry, const Tenancy& tenancy) {
  for (const auto& [path, method] : registry.methods()) {
    const RpcRegistry::Method* m = &method;
    const Tenancy* t = &tenancy;
    http.Handle("POST", path, [m, t](const HttpRequest& req) {
      auto error = [](const absl::Status& s) {
        return WithRetryAfter(HttpResponse::Json(ConnectErrorJson(s), HttpStatusFor(s.code())), s);
      };
      std::string_view type = req.Header("content-type");
      const bool json = type.starts_with("application/json");
      const bool proto = type.starts_with("application/proto") ||
                         type.starts_with("application/x-protobuf") ||
                         type.starts_with("application/protobuf");
      if (!json && !proto) {
        return error(absl::InvalidArgumentError(
            "Connect unary requests must be application/proto or application/json"));
      }
      auto tenant = t->Resolve(req.Header("x-scope-orgid"), req.Header("authorization"));
      if (!tenant.ok()) return error(tenant.status());
      CallContext ctx{*tenant, req.remote_addr, json ? "connect+json" : "connect+proto"};
      auto out = json ? m->json(ctx, req.body) : m->proto(ctx, req.body);
      if (!out.ok()) return error(out.status());
      HttpResponse r;
      r.content_type = json ? "application/json" : "application/proto";
      r.body = std::move(*out);
      return r;
    });
  }
}

}  // namespace hearth::server
