// OTLP Profiles Export over gRPC and OTLP/HTTP (see ingest_otlp.h for the mapping).
//
// The request goes to our own decoder (formats/otlp.h) as bytes, so the RPC is registered
// raw; the response and google.rpc.Status envelopes are two fields each and written by hand:
//
//   ExportProfilesServiceResponse { ExportProfilesPartialSuccess partial_success = 1; }
//   ExportProfilesPartialSuccess  { int64 rejected_profiles = 1; string error_message = 2; }
//   google.rpc.Status             { int32 code = 1; string message = 2; repeated Any details = 3; }

#include "server/ingest_otlp.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "base/fmt.h"
#include "base/rpc_status.h"
#include "base/json_writer.h"
#include "base/proto_wire.h"
#include "base/strings.h"
#include "formats/otlp.h"
#include "server/ingest_api.h"
#include "server/status.h"

namespace hearth::server {
namespace {

constexpr std::string_view kApi = "otlp";

enum class Encoding { kProto, kJson };

// What the response reports.
struct ExportResult {
  int64_t rejected_profiles = 0;
  std::string error_message;
};

// A decoded request: the items to ingest and the profiles refused on the way.
struct Decoded {
  std::vector<IngestItem> items;
  ExportResult refused;
};

MetricFamily& RejectedProfiles(MetricsRegistry& metrics) {
  return metrics.Counter("hearth_ingest_rejected_profiles_total",
                         "Profiles refused one by one in requests otherwise accepted (OTLP "
                         "partial success), by tenant and API.",
                         {"tenant", "api"});
}

formats::OtlpLimits OtlpLimitsFor(const TenantLimits& limits) {
  formats::OtlpLimits l;
  l.max_request_bytes = static_cast<size_t>(limits.max_decompressed_profile_bytes);
  l.original_payload = PprofLimitsFor(limits);
  return l;
}

// A profile family a sender may name itself: [a-zA-Z_][a-zA-Z0-9_]*.
bool IsFamilyName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Series labels of one profile. A key given twice keeps its most specific value (the
// decoder lists resource, then scope, then profile attributes); an empty value is no label
// at all. Reserved `__` names are Hearth's, not an attribute's to set, except `__name__`:
// Hearth's own exporters send the family they stored (`goroutines`, which the sample types
// alone would call `goroutine`), and a valid one is kept.
storage::Labels SeriesLabels(std::vector<std::pair<std::string, std::string>> attributes,
                             const profile::Profile& p) {
  storage::Labels labels;
  labels.reserve(attributes.size() + 1);
  labels.emplace_back(std::string(storage::kNameLabel), OtlpProfileName(p));
  for (auto& [k, v] : attributes) {
    if (k == storage::kNameLabel && IsFamilyName(v)) {
      labels.front().second = std::move(v);
      continue;
    }
    if (k.starts_with("__") || v.empty()) continue;
    auto same =
        std::find_if(labels.begin(), labels.end(), [&k](const auto& l) { return l.first == k; });
    if (same != labels.end()) {
      same->second = std::move(v);
    } else {
      labels.emplace_back(std::move(k), std::move(v));
    }
  }
  return labels;
}

// Bytes -> items. Errors are the request's fault: InvalidArgument, or ResourceExhausted
// for a size cap (which retrying cannot fix: the HTTP handler answers 413).
absl::StatusOr<Decoded> Decode(const ServerParts& parts, const std::string& tenant,
                               std::string_view request, Encoding encoding) {
  const TenantLimits& limits = parts.limits->For(tenant);
  if (request.size() > limits.max_decompressed_profile_bytes) {
    return parts.ingest->Reject(
        tenant, kApi, "body_too_large",
        absl::ResourceExhaustedError(fmt::format(
            "request of {} bytes (decompressed) is above the limit of {} bytes; send fewer "
            "profiles per request",
            request.size(), limits.max_decompressed_profile_bytes)));
  }
  auto result = encoding == Encoding::kJson
                    ? formats::DecodeOtlpJsonRequest(request, OtlpLimitsFor(limits))
                    : formats::DecodeOtlpRequest(request, OtlpLimitsFor(limits));
  if (!result.ok()) {
    return parts.ingest->Reject(
        tenant, kApi,
        absl::IsResourceExhausted(result.status()) ? "body_too_large" : "invalid_profile",
        result.status());
  }
  Decoded out;
  out.refused = {result->rejected_profiles, std::move(result->error_message)};
  if (result->profiles.empty() && result->rejected_profiles > 0) {
    return parts.ingest->Reject(tenant, kApi, "invalid_profile",
                                absl::InvalidArgumentError(fmt::format(
                                    "all {} profiles of the request were refused: {}",
                                    result->rejected_profiles, out.refused.error_message)));
  }
  out.items.reserve(result->profiles.size());
  for (formats::OtlpProfile& p : result->profiles) {
    IngestItem item;
    item.labels = SeriesLabels(std::move(p.labels), p.profile);
    item.profile = std::move(p.profile);
    // OTLP carries what happened in the profile's interval: values are stored as sent.
    item.cumulative = false;
    out.items.push_back(std::move(item));
  }
  return out;
}

absl::StatusOr<IngestResult> Ingest(const ServerParts& parts, const std::string& tenant,
                                    std::vector<IngestItem> items, size_t request_bytes) {
  // An empty request is a success (OTLP spec), and costs no rate.
  if (items.empty()) return IngestResult{};
  return parts.ingest->Ingest(tenant, kApi, std::move(items), request_bytes);
}

// The ExportProfilesServiceResponse of a request that was stored, and the count of what it
// left out.
std::string Accepted(const ServerParts& parts, const std::string& tenant, const ExportResult& r,
                     Encoding encoding) {
  if (r.rejected_profiles > 0 && parts.metrics != nullptr) {
    RejectedProfiles(*parts.metrics)
        .Add({tenant, std::string(kApi)}, static_cast<double>(r.rejected_profiles));
  }
  const bool partial = r.rejected_profiles > 0 || !r.error_message.empty();
  std::string out;
  if (encoding == Encoding::kJson) {
    // OTLP/JSON: lowerCamelCase keys, int64 as a string; a full success is `{}`.
    JsonWriter w(&out);
    w.BeginObject();
    if (partial) {
      w.Key("partialSuccess").BeginObject();
      w.Key("rejectedProfiles").String(std::to_string(r.rejected_profiles));
      w.Key("errorMessage").String(r.error_message);
      w.EndObject();
    }
    w.EndObject();
    return out;
  }
  if (partial) {
    wire::Writer w(&out);
    const size_t at = w.BeginMessage(1);
    w.VarintOpt(1, static_cast<uint64_t>(r.rejected_profiles));
    if (!r.error_message.empty()) w.Bytes(2, r.error_message);
    w.EndMessage(at);
  }
  return out;
}

// google.rpc.Status; absl's codes are google.rpc.Code's.
std::string StatusBody(const absl::Status& s, Encoding encoding) {
  return encoding == Encoding::kJson ? EncodeRpcStatusJson(s) : EncodeRpcStatus(s);
}

// The media type without parameters, lower-cased: "application/json; charset=utf-8" ->
// "application/json".
std::string MediaType(std::string_view content_type) {
  return AsciiLower(TrimSpace(content_type.substr(0, content_type.find(';'))));
}

}  // namespace

std::string OtlpProfileName(const profile::Profile& p) {
  std::string name = storage::GuessProfileName(p);
  if (name != "profile") return name;
  const std::string_view type = p.sample_types.empty() ? "" : p.Str(p.sample_types[0].type);
  if (type == "off_cpu") return "off_cpu";
  const std::string_view period = p.Str(p.period_type.type);
  if (period == "cpu") return "process_cpu";
  if (period == "wall") return "wall";
  if (period == "space") return "memory";
  return name;
}

absl::StatusOr<std::string> HandleOtlpExport(const ServerParts& parts, const CallContext& ctx,
                                             std::string_view request, bool json) {
  const Encoding encoding = json ? Encoding::kJson : Encoding::kProto;
  auto decoded = Decode(parts, ctx.tenant, request, encoding);
  if (!decoded.ok()) return decoded.status();
  // A rate-limit refusal carries RetryInfo, which gRPC sends as grpc-status-details-bin.
  auto r = Ingest(parts, ctx.tenant, std::move(decoded->items), request.size());
  if (!r.ok()) return r.status();
  return Accepted(parts, ctx.tenant, decoded->refused, encoding);
}

// How an OTLP/HTTP response is written: in the request's content type, protobuf when it had
// neither.
struct OtlpHttpReply {
  explicit OtlpHttpReply(const HttpRequest& req)
      : media(MediaType(req.Header("content-type"))),
        json(media == "application/json"),
        proto(media == "application/x-protobuf" || media == "application/protobuf"),
        encoding(json ? Encoding::kJson : Encoding::kProto) {}
  HttpResponse Respond(int status, std::string body) const {
    HttpResponse r;
    r.status = status;
    r.content_type = json || proto ? media : "application/x-protobuf";
    r.body = std::move(body);
    return r;
  }
  HttpResponse Error(int status, const absl::Status& s) const {
    return Respond(status, StatusBody(s, encoding));
  }
  const std::string media;
  const bool json, proto;
  const Encoding encoding;
};

// The HTTP layer's refusals of the body (before the handler runs), as google.rpc.Status and
// counted like the handler's own.
HttpResponse OtlpBodyError(const ServerParts& parts, const HttpRequest& req, int status,
                           const std::string& message) {
  const absl::Status s = status == 413 ? absl::ResourceExhaustedError(message)
                                       : absl::InvalidArgumentError(message);
  auto tenant = TenantOf(parts, req);
  if (tenant.ok()) {
    (void)parts.ingest->Reject(*tenant, kApi, status == 413 ? "body_too_large" : "invalid_profile", s);
  }
  return OtlpHttpReply(req).Error(status, s);
}

HttpResponse HandleOtlpHttp(const ServerParts& parts, const HttpRequest& req) {
  const OtlpHttpReply reply(req);
  const Encoding encoding = reply.encoding;
  auto respond = [&](int status, std::string body) { return reply.Respond(status, std::move(body)); };
  auto error = [&](int status, const absl::Status& s) { return reply.Error(status, s); };

  auto tenant = TenantOf(parts, req);
  if (!tenant.ok()) {
    // Counted under "": unknown tenants cannot grow the metrics.
    (void)parts.ingest->Reject("", kApi, "unauthorized", tenant.status());
    return error(HttpStatusFor(tenant.status().code()), tenant.status());
  }
  if (!reply.json && !reply.proto) {
    const absl::Status s = parts.ingest->Reject(
        *tenant, kApi, "unsupported_media_type",
        absl::InvalidArgumentError(
            fmt::format("Content-Type \"{}\" is not supported: send application/x-protobuf or "
                        "application/json",
                        req.Header("content-type"))));
    return error(415, s);
  }
  const TenantLimits& limits = parts.limits->For(*tenant);
  uint64_t sent = req.body.size();
  if (std::string_view cl = req.Header("content-length"); !cl.empty()) (void)ParseInt(cl, &sent);
  if (sent > limits.max_body_bytes) {
    const absl::Status s =
        parts.ingest->Reject(*tenant, kApi, "body_too_large",
                             absl::ResourceExhaustedError(fmt::format(
                                 "request body of {} bytes is above the limit of {} bytes", sent,
                                 limits.max_body_bytes)));
    return error(413, s);
  }
  auto decoded = Decode(parts, *tenant, req.body, encoding);
  if (!decoded.ok()) {
    const absl::Status& s = decoded.status();
    return error(absl::IsResourceExhausted(s) ? 413 : HttpStatusFor(s.code()), s);
  }
  auto r = Ingest(parts, *tenant, std::move(decoded->items), req.body.size());
  if (!r.ok()) return WithRetryAfter(error(HttpStatusFor(r.status().code()), r.status()), r.status());
  return respond(200, Accepted(parts, *tenant, decoded->refused, encoding));
}

void RegisterOtlpIngest(ServerParts& parts) {
  // The parts live as long as the server, which outlives every request.
  const ServerParts* p = &parts;
  if (parts.metrics != nullptr) RejectedProfiles(*parts.metrics);
  auto http = [p](const HttpRequest& req) { return HandleOtlpHttp(*p, req); };
  auto body_error = [p](const HttpRequest& req, int status, const std::string& message) {
    return OtlpBodyError(*p, req, status, message);
  };
  for (HttpServer* server : {parts.http, parts.otlp_http}) {
    if (server != nullptr) server->Handle("POST", std::string(kOtlpHttpPath), http, body_error);
  }
  if (parts.rpc != nullptr) {
    RpcRegistry::Method m;
    m.proto = [p](const CallContext& ctx, std::string_view in) {
      return HandleOtlpExport(*p, ctx, in, /*json=*/false);
    };
    m.json = [p](const CallContext& ctx, std::string_view in) {
      return HandleOtlpExport(*p, ctx, in, /*json=*/true);
    };
    parts.rpc->AddRaw(std::string(kOtlpExportPath), std::move(m));
  }
}

}  // namespace hearth::server
