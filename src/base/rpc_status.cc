#include "base/rpc_status.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "base/fmt.h"
#include "base/json_writer.h"
#include "base/proto_wire.h"

namespace hearth {
namespace {

constexpr int64_t kSecondNs = 1'000'000'000;
// Longer than any receiver means; keeps the arithmetic far from overflow.
constexpr int64_t kMaxDelayNs = int64_t{86400} * kSecondNs;

absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }
std::string_view StdView(absl::string_view s) { return {s.data(), s.size()}; }

std::optional<int64_t> DecodeRetryInfo(std::string_view bytes) {
  wire::Reader r(bytes);
  uint32_t field = 0;
  wire::WireType type;
  std::optional<int64_t> delay;
  while (r.Next(&field, &type)) {
    if (field != 1 || type != wire::kLen) {
      r.Skip(type);
      continue;
    }
    wire::Reader d(r.Bytes());
    int64_t seconds = 0, nanos = 0;
    uint32_t f = 0;
    wire::WireType t;
    while (d.Next(&f, &t)) {
      if (f == 1 && t == wire::kVarint) {
        seconds = static_cast<int64_t>(d.Varint());
      } else if (f == 2 && t == wire::kVarint) {
        nanos = static_cast<int32_t>(d.Varint());
      } else {
        d.Skip(t);
      }
    }
    if (!d.ok() || seconds < 0 || nanos < 0 || nanos >= kSecondNs) return std::nullopt;
    delay = std::min(seconds, kMaxDelayNs / kSecondNs) * kSecondNs + nanos;
  }
  if (!r.ok()) return std::nullopt;
  return delay;
}

}  // namespace

absl::Status WithRetryDelay(absl::Status status, int64_t delay_ns) {
  delay_ns = std::clamp<int64_t>(delay_ns, 0, kMaxDelayNs);
  std::string duration, info;
  wire::Writer d(&duration);
  d.VarintOpt(1, static_cast<uint64_t>(delay_ns / kSecondNs));
  d.VarintOpt(2, static_cast<uint64_t>(delay_ns % kSecondNs));
  wire::Writer(&info).Bytes(1, duration);
  status.SetPayload(AbslView(kRetryInfoTypeUrl), absl::Cord(AbslView(info)));
  return status;
}

std::optional<int64_t> RetryDelay(const absl::Status& status) {
  auto p = status.GetPayload(AbslView(kRetryInfoTypeUrl));
  if (!p.has_value()) return std::nullopt;
  return DecodeRetryInfo(std::string(*p));
}

int RetryAfterSeconds(const absl::Status& status) {
  const std::optional<int64_t> d = RetryDelay(status);
  if (!d) return 0;
  return static_cast<int>(std::max<int64_t>(1, (*d + kSecondNs - 1) / kSecondNs));
}

std::string EncodeRpcStatus(const absl::Status& status) {
  std::string out;
  wire::Writer w(&out);
  w.VarintOpt(1, static_cast<uint64_t>(status.code()));
  if (!status.message().empty()) w.Bytes(2, StdView(status.message()));
  if (auto p = status.GetPayload(AbslView(kRetryInfoTypeUrl))) {
    std::string any;
    wire::Writer a(&any);
    a.Bytes(1, kRetryInfoTypeUrl);
    a.Bytes(2, std::string(*p));
    w.Bytes(3, any);
  }
  return out;
}

std::string EncodeRpcStatusJson(const absl::Status& status) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("code").Int(static_cast<int>(status.code()));
  w.Key("message").String(StdView(status.message()));
  if (std::optional<int64_t> d = RetryDelay(status)) {
    // proto3 JSON Duration: seconds with up to 9 fractional digits and an "s".
    std::string delay = fmt::format("{}.{:09d}", *d / kSecondNs, *d % kSecondNs);
    while (delay.back() == '0') delay.pop_back();
    if (delay.back() == '.') delay.pop_back();
    w.Key("details").BeginArray().BeginObject();
    w.Key("@type").String(kRetryInfoTypeUrl).Key("retryDelay").String(delay + "s");
    w.EndObject().EndArray();
  }
  w.EndObject();
  return out;
}

std::optional<absl::Status> DecodeRpcStatus(std::string_view bytes) {
  wire::Reader r(bytes);
  uint32_t field = 0;
  wire::WireType type;
  int64_t code = 0;
  std::string message;
  std::optional<int64_t> delay;
  while (r.Next(&field, &type)) {
    if (field == 1 && type == wire::kVarint) {
      code = static_cast<int32_t>(r.Varint());
    } else if (field == 2 && type == wire::kLen) {
      message = std::string(r.Bytes());
    } else if (field == 3 && type == wire::kLen) {
      wire::Reader any(r.Bytes());
      std::string_view url, value;
      uint32_t f = 0;
      wire::WireType t;
      while (any.Next(&f, &t)) {
        if (f == 1 && t == wire::kLen) {
          url = any.Bytes();
        } else if (f == 2 && t == wire::kLen) {
          value = any.Bytes();
        } else {
          any.Skip(t);
        }
      }
      if (!any.ok()) return std::nullopt;
      if (url == kRetryInfoTypeUrl) delay = DecodeRetryInfo(value);
    } else {
      r.Skip(type);
    }
  }
  if (!r.ok() || code < 0 || code > 16) return std::nullopt;
  absl::Status s(static_cast<absl::StatusCode>(code), AbslView(message));
  if (delay && !s.ok()) s = WithRetryDelay(std::move(s), *delay);
  return s;
}

}  // namespace hearth
