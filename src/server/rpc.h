#pragma once

// Unary RPCs, served three ways from one handler: Connect over HTTP with protobuf bodies,
// Connect with protojson bodies (as Grafana and the Pyroscope UI call it), and gRPC.
//
//   POST /querier.v1.QuerierService/SelectMergeStacktraces   (Connect, application/proto|json)
//   gRPC  /querier.v1.QuerierService/SelectMergeStacktraces   (HTTP/2, port 4317)
//
// Handlers get a decoded request message (generated classes are used for API envelopes
// only; profiles inside them stay bytes for our own codecs) and the resolved tenant.

#include <google/protobuf/util/json_util.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/fmt.h"

namespace hearth::server {

class HttpServer;
class Tenancy;

struct CallContext {
  std::string tenant;
  std::string peer;
  std::string protocol;  // "connect+proto", "connect+json", "grpc"
};

class RpcRegistry {
 public:
  using RawHandler =
      std::function<absl::StatusOr<std::string>(const CallContext&, std::string_view)>;
  struct Method {
    RawHandler proto;  // serialized request -> serialized response
    RawHandler json;   // protojson request -> protojson response
  };

  template <typename Req, typename Resp>
  void Add(const std::string& path,
           std::function<absl::StatusOr<Resp>(const CallContext&, const Req&)> fn) {
    Method m;
    m.proto = [fn](const CallContext& ctx, std::string_view in) -> absl::StatusOr<std::string> {
      Req req;
      if (!req.ParseFromArray(in.data(), static_cast<int>(in.size()))) {
        return absl::InvalidArgumentError(
            fmt::format("cannot parse the request as {}", Req::descriptor()->full_name()));
      }
      absl::StatusOr<Resp> resp = fn(ctx, req);
      if (!resp.ok()) return resp.status();
      return resp->SerializeAsString();
    };
    m.json = [fn](const CallContext& ctx, std::string_view in) -> absl::StatusOr<std::string> {
      Req req;
      google::protobuf::util::JsonParseOptions po;
      po.ignore_unknown_fields = true;
      auto parsed = google::protobuf::util::JsonStringToMessage(
          google::protobuf::StringPiece(in.data(), in.size()), &req, po);
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(fmt::format("cannot parse the JSON request as {}: {}",
                                                      Req::descriptor()->full_name(),
                                                      parsed.message().as_string()));
      }
      absl::StatusOr<Resp> resp = fn(ctx, req);
      if (!resp.ok()) return resp.status();
      std::string out;
      (void)google::protobuf::util::MessageToJsonString(*resp, &out);
      return out;
    };
    methods_[path] = std::move(m);
  }

  // A method whose handlers take and return the bytes as they are, for requests decoded by
  // our own codecs rather than generated classes (OTLP).
  void AddRaw(const std::string& path, Method m) { methods_[path] = std::move(m); }

  const Method* Find(std::string_view path) const {
    auto it = methods_.find(path);
    return it == methods_.end() ? nullptr : &it->second;
  }
  const std::map<std::string, Method, std::less<>>& methods() const { return methods_; }

 private:
  std::map<std::string, Method, std::less<>> methods_;
};

// Registers every method of the registry as a Connect unary endpoint on the HTTP server.
void ServeConnect(HttpServer& http, const RpcRegistry& registry, const Tenancy& tenancy);

}  // namespace hearth::server
