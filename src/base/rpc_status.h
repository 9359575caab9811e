#pragma once

// google.rpc.Status, the error body of gRPC (`grpc-status-details-bin`) and OTLP/HTTP, with
// the one detail Hearth sends and understands: google.rpc.RetryInfo, "retry after this delay".
//
// The delay travels inside absl::Status as a payload keyed by the detail's Any type URL and
// holding the serialized RetryInfo, so a status can be passed through any layer and encoded
// for the wire at the edge:
//
//   Status    { 1: code int32, 2: message string, 3: details repeated Any }
//   Any       { 1: type_url string, 2: value bytes }
//   RetryInfo { 1: retry_delay Duration }      Duration { 1: seconds int64, 2: nanos int32 }

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace hearth {

inline constexpr std::string_view kRetryInfoTypeUrl = "type.googleapis.com/google.rpc.RetryInfo";

// `status` with a RetryInfo detail asking the client to wait `delay_ns` (clamped to >= 0).
absl::Status WithRetryDelay(absl::Status status, int64_t delay_ns);
// The RetryInfo delay carried by `status`, if any.
std::optional<int64_t> RetryDelay(const absl::Status& status);
// Whole seconds for a Retry-After header: the delay rounded up, at least 1; 0 without one.
int RetryAfterSeconds(const absl::Status& status);

// google.rpc.Status in protobuf; a RetryInfo delay becomes a details entry.
std::string EncodeRpcStatus(const absl::Status& status);
// The same in proto3 JSON: {"code":8,"message":"...","details":[{"@type":"...RetryInfo",
// "retryDelay":"1.5s"}]}.
std::string EncodeRpcStatusJson(const absl::Status& status);
// Reads a google.rpc.Status (e.g. gRPC's error details). Unknown details are skipped; a body
// that is not a Status gives nullopt.
std::optional<absl::Status> DecodeRpcStatus(std::string_view bytes);

}  // namespace hearth
