#include "server/grpc_server.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <vector>

#include "base/fmt.h"
#include "base/rpc_status.h"

namespace hearth::server {
namespace {

grpc::Status ToGrpc(const absl::Status& s) {
  // absl's codes are gRPC's codes. A RetryInfo delay goes out as google.rpc.Status details
  // (grpc-status-details-bin): OTLP clients retry RESOURCE_EXHAUSTED only when it is there.
  const auto code = static_cast<grpc::StatusCode>(s.code());
  if (RetryDelay(s).has_value()) {
    return grpc::Status(code, std::string(s.message()), EncodeRpcStatus(s));
  }
  return grpc::Status(code, std::string(s.message()));
}

std::string Metadata(const grpc::GenericCallbackServerContext* ctx, const char* key) {
  auto it = ctx->client_metadata().find(key);
  if (it == ctx->client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// One unary call: read the request, run the handler, write the response and finish.
class UnaryReactor : public grpc::ServerGenericBidiReactor {
 public:
  UnaryReactor(grpc::GenericCallbackServerContext* ctx, const RpcRegistry& registry,
               const Tenancy& tenancy)
      : ctx_(ctx), registry_(registry), tenancy_(tenancy) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
      return;
    }
    const RpcRegistry::Method* m = registry_.Find(ctx_->method());
    if (m == nullptr) {
      Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                          fmt::format("unknown method {}", ctx_->method())));
      return;
    }
    auto tenant = tenancy_.Resolve(Metadata(ctx_, "x-scope-orgid"), Metadata(ctx_, "authorization"));
    if (!tenant.ok()) {
      Finish(ToGrpc(tenant.status()));
      return;
    }
    std::vector<grpc::Slice> slices;
    (void)request_.Dump(&slices);
    std::string bytes;
    for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    CallContext cc{*tenant, ctx_->peer(), "grpc"};
    auto out = m->proto(cc, bytes);
    if (!out.ok()) {
      Finish(ToGrpc(out.status()));
      return;
    }
    grpc::Slice slice(*out);
    response_ = grpc::ByteBuffer(&slice, 1);
    StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
  }

  void OnDone() override { delete this; }

 private:
  grpc::GenericCallbackServerContext* ctx_;
  const RpcRegistry& registry_;
  const Tenancy& tenancy_;
  grpc::ByteBuffer request_, response_;
};

class Service : public grpc::CallbackGenericService {
 public:
  Service(const RpcRegistry& registry, const Tenancy& tenancy)
      : registry_(registry), tenancy_(tenancy) {}
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    return new UnaryReactor(ctx, registry_, tenancy_);
  }

 private:
  const RpcRegistry& registry_;
  const Tenancy& tenancy_;
};

}  // namespace

struct GrpcServer::Impl {
  std::unique_ptr<Service> service;
  std::unique_ptr<grpc::Server> server;
};

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options,
                                                              const RpcRegistry& registry,
                                                              const Tenancy& tenancy) {
  std::unique_ptr<GrpcServer> s(new GrpcServer());
  s->impl_ = std::make_unique<Impl>();
  s->impl_->service = std::make_unique<Service>(registry, tenancy);
  grpc::ServerBuilder builder;
  int selected = 0;
  builder.AddListeningPort(fmt::format("{}:{}", options.host, options.port),
                           grpc::InsecureServerCredentials(), &selected);
  builder.RegisterCallbackGenericService(s->impl_->service.get());
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  s->impl_->server = builder.BuildAndStart();
  if (s->impl_->server == nullptr || selected == 0) {
    return absl::UnavailableError(
        fmt::format("cannot listen for gRPC on {}:{}", options.host, options.port));
  }
  s->port_ = selected;
  return s;
}

GrpcServer::~GrpcServer() { Shutdown(); }

void GrpcServer::Shutdown() {
  if (impl_ != nullptr && impl_->server != nullptr) {
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    impl_->server->Wait();
    impl_->server.reset();
  }
}

}  // namespace hearth::server
