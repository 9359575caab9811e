#pragma once

// Who is asking. The tenant comes from X-Scope-OrgID (or the default), and tokens configured
// per tenant are checked: a token reaches only its own tenant, a tenant that has tokens
// cannot be reached without one, and `require_auth` closes every tenant without a token.
// Authorization: "Bearer <token>", or "Basic base64(user:token)" as the Pyroscope SDKs send it.

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace hearth::server {

struct TenancyOptions {
  std::string default_tenant = "anonymous";
  bool require_auth = false;
  std::map<std::string, std::string> token_to_tenant;
};

class Tenancy {
 public:
  explicit Tenancy(TenancyOptions options);
  // Unauthenticated (401) for a missing/unknown token where one is needed, PermissionDenied
  // (403) for a token used on another tenant, InvalidArgument for a malformed tenant id.
  absl::StatusOr<std::string> Resolve(std::string_view org_id, std::string_view authorization) const;

 private:
  TenancyOptions options_;
  std::map<std::string, bool, std::less<>> tenants_with_tokens_;
};

absl::Status ValidateTenantId(std::string_view id);

}  // namespace hearth::server
