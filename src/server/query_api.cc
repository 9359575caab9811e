// RegisterQueryApis: every query front on the server's HTTP port and RPC registry.

#include "server/query_common.h"

namespace hearth::server {

void RegisterQueryApis(ServerParts& parts) {
  const QueryEnv env = MakeQueryEnv(parts);
  if (parts.http != nullptr) {
    for (QueryRoute& r : QueryRoutes(env))
      parts.http->Handle(r.method, r.path, std::move(r.handler));
  }
  if (parts.rpc != nullptr) RegisterQueryRpcs(env, *parts.rpc);
}

}  // namespace hearth::server
