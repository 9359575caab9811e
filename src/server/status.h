#pragma once

// The one place where absl::StatusCode meets the wire: HTTP statuses, Connect error codes
// and gRPC codes (absl's numbering is gRPC's, so that one is a cast).

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace hearth::server {

int HttpStatusFor(absl::StatusCode code);
// Connect's error code names: "invalid_argument", "resource_exhausted", ...
std::string_view ConnectCodeName(absl::StatusCode code);
// {"code":"invalid_argument","message":"..."} — Connect's unary error body.
std::string ConnectErrorJson(const absl::Status& status);

}  // namespace hearth::server
