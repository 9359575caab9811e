#include "export/exporter.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "absl/strings/cord.h"
#include "base/fmt.h"
#include "base/proto_wire.h"
#include "base/strings.h"

namespace hearth::exporter {
namespace {

constexpr char kItemsSentPayload[] = "type.hearth.dev/export.ItemsSent";
constexpr int64_t kSecondNs = 1'000'000'000;

}  // namespace

bool IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kDeadlineExceeded: return true;
    default: return false;
  }
}

absl::Status WithItemsSent(absl::Status status, size_t items) {
  const std::string v = std::to_string(items);
  status.SetPayload(kItemsSentPayload, absl::Cord(absl::string_view(v.data(), v.size())));
  return status;
}

size_t ItemsSent(const absl::Status& status) {
  auto p = status.GetPayload(kItemsSentPayload);
  size_t n = 0;
  if (!p.has_value() || !ParseInt(std::string(*p), &n)) return 0;
  return n;
}

PartialSuccess ParseExportResponse(std::string_view bytes) {
  // ExportProfilesServiceResponse { ExportProfilesPartialSuccess partial_success = 1; }
  // ExportProfilesPartialSuccess { int64 rejected_profiles = 1; string error_message = 2; }
  PartialSuccess out;
  wire::Reader r(bytes);
  uint32_t field;
  wire::WireType type;
  while (r.Next(&field, &type)) {
    if (field != 1 || type != wire::kLen) {
      r.Skip(type);
      continue;
    }
    wire::Reader p(r.Bytes());
    while (p.Next(&field, &type)) {
      if (field == 1 && type == wire::kVarint) {
        out.rejected_profiles = static_cast<int64_t>(p.Varint());
      } else if (field == 2 && type == wire::kLen) {
        out.error_message = std::string(p.Bytes());
      } else {
        p.Skip(type);
      }
    }
    if (!p.ok()) return {};
  }
  if (!r.ok()) return {};
  return out;
}

std::string RpcStatusMessage(std::string_view bytes) {
  // google.rpc.Status { int32 code = 1; string message = 2; repeated Any details = 3; }
  wire::Reader r(bytes);
  uint32_t field;
  wire::WireType type;
  std::string message;
  while (r.Next(&field, &type)) {
    if (field == 2 && type == wire::kLen) {
      message = std::string(r.Bytes());
    } else {
      r.Skip(type);
    }
  }
  return r.ok() ? message : "";
}

void LogToStderr(std::string_view who, std::string_view message) {
  fmt::print(stderr, "hearth forward {}: {}\n", who, message);
}

absl::StatusCode CodeForHttpStatus(int http_status) {
  if (http_status >= 200 && http_status < 300) return absl::StatusCode::kOk;
  switch (http_status) {
    case 429: return absl::StatusCode::kResourceExhausted;
    case 502:
    case 503: return absl::StatusCode::kUnavailable;
    case 504: return absl::StatusCode::kDeadlineExceeded;
    case 400:
    case 413:  // too large: sending it again won't make it smaller
    case 415:
    case 422: return absl::StatusCode::kInvalidArgument;
    case 401: return absl::StatusCode::kUnauthenticated;
    case 403: return absl::StatusCode::kPermissionDenied;
    case 404:
    case 405: return absl::StatusCode::kNotFound;
    case 501: return absl::StatusCode::kUnimplemented;
    default:
      return http_status < 500 ? absl::StatusCode::kFailedPrecondition
                               : absl::StatusCode::kInternal;
  }
}

std::optional<int64_t> ParseRetryAfter(std::string_view value, int64_t now_ns) {
  value = TrimSpace(value);
  int64_t seconds = 0;
  if (ParseInt(value, &seconds)) {
    if (seconds < 0) return std::nullopt;
    // A day is more than any receiver means; cap so the arithmetic cannot overflow.
    return std::min<int64_t>(seconds, 86400) * kSecondNs;
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  struct tm tm = {};
  const std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const int64_t at_ns = static_cast<int64_t>(timegm(&tm)) * kSecondNs;
  return std::clamp<int64_t>(at_ns - now_ns, 0, int64_t{86400} * kSecondNs);
}

std::vector<std::pair<std::string, std::string>> OtlpResource(const Labels& labels) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(labels.size());
  for (const auto& [k, v] : labels) out.emplace_back(k == "service_name" ? "service.name" : k, v);
  return out;
}

std::string_view LabelValue(const Labels& labels, std::string_view name) {
  for (const auto& [k, v] : labels) {
    if (k == name) return v;
  }
  return {};
}

}  // namespace hearth::exporter
