#pragma once

// gRPC on HTTP/2 (port 4317), serving the same RpcRegistry as Connect through gRPC's
// generic callback service: requests arrive as bytes and go to our handlers unchanged,
// so no generated gRPC stubs are involved. gzip-compressed messages are accepted.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/rpc.h"
#include "server/tenancy.h"

namespace hearth::server {

struct GrpcServerOptions {
  std::string host = "0.0.0.0";
  int port = 4317;  // 0: any free port
  int max_message_bytes = 64 << 20;
};

class GrpcServer {
 public:
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const GrpcServerOptions& options,
                                                           const RpcRegistry& registry,
                                                           const Tenancy& tenancy);
  ~GrpcServer();
  int port() const { return port_; }
  void Shutdown();

 private:
  struct Impl;
  GrpcServer() = default;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace hearth::server
