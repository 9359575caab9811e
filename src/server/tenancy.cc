#include "server/tenancy.h"

#include <cctype>

#include "base/fmt.h"
#include "base/strings.h"

namespace hearth::server {
absl::Status ValidateTenantId(std::string_view id) {
  if (id.empty() || id.size() > 150) {
    return absl::InvalidArgumentError("tenant id (X-Scope-OrgID) must be 1 to 150 characters");
  }
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!-_.*'()").find(c) !=
                                                             std::string_view::npos)) {
      return absl::InvalidArgumentError(fmt::format(
          "tenant id \"{}\" has a character outside [A-Za-z0-9!-_.*'()]", id));
    }
  }
  return absl::OkStatus();
}

Tenancy::Tenancy(TenancyOptions options) : options_(std::move(options)) {
  for (const auto& [_, tenant] : options_.token_to_tenant) tenants_with_tokens_[tenant] = true;
}

absl::StatusOr<std::string> Tenancy::Resolve(std::string_view org_id,
                                             std::string_view authorization) const {
  org_id = TrimSpace(org_id);
  if (!org_id.empty()) {
    if (auto s = ValidateTenantId(org_id); !s.ok()) return s;
  }
  std::string token;
  authorization = TrimSpace(authorization);
  if (authorization.starts_with("Bearer ") || authorization.starts_with("bearer ")) {
    token = std::string(TrimSpace(authorization.substr(7)));
  } else if (authorization.starts_with("Basic ") || authorization.starts_with("basic ")) {
    std::string decoded;
    if (!Base64Decode(TrimSpace(authorization.substr(6)), &decoded)) {
      return absl::UnauthenticatedError("malformed Basic authorization header");
    }
    size_t colon = decoded.find(':');
    token = colon == std::string::npos ? decoded : decoded.substr(colon + 1);
  } else if (!authorization.empty()) {
    return absl::UnauthenticatedError("unsupported Authorization scheme (use Bearer or Basic)");
  }
  if (!token.empty()) {
    auto it = options_.token_to_tenant.find(token);
    if (it == options_.token_to_tenant.end()) return absl::UnauthenticatedError("invalid token");
    if (!org_id.empty() && org_id != it->second) {
      return absl::PermissionDeniedError(
          fmt::format("this token belongs to another tenant, not \"{}\"", org_id));
    }
    return it->second;
  }
  const std::string tenant = org_id.empty() ? options_.default_tenant : std::string(org_id);
  if (options_.require_auth) return absl::UnauthenticatedError("a token is required (Authorization: Bearer ...)");
  if (tenants_with_tokens_.contains(tenant)) {
    return absl::UnauthenticatedError(fmt::format("tenant \"{}\" requires a token", tenant));
  }
  return tenant;
}

}  // namespace hearth::server
