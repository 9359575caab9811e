// Pyroscope Push and Parca WriteRaw, and the registration of every ingest API.

#include <functional>

#include "base/fmt.h"
#include "server/delta.h"
#include "server/ingest_api.h"

namespace hearth::server {
namespace {

namespace parcapb = ::parca::profilestore::v1alpha1;

absl::Status WithContext(const absl::Status& s, std::string_view where) {
  return absl::Status(s.code(), fmt::format("{}: {}", where, s.message()));
}

// One request's size against the tenant's body limit. RPC bodies arrive already framed and
// decoded, so the message size stands in for the body size.
absl::Status CheckRequestSize(const TenantLimits& limits, size_t bytes, std::string_view what) {
  if (bytes <= limits.max_body_bytes) return absl::OkStatus();
  return absl::ResourceExhaustedError(fmt::format(
      "{} request of {} bytes is above the limit of {} bytes per request; send fewer profiles "
      "per request",
      what, bytes, limits.max_body_bytes));
}

// Decodes one raw_profile into an item (the bytes are kept for the WAL).
absl::StatusOr<IngestItem> DecodeRawProfile(const std::string& raw,
                                            const profile::PprofLimits& limits,
                                            std::string_view where) {
  if (raw.empty())
    return absl::InvalidArgumentError(fmt::format("{}: raw_profile is empty", where));
  auto p = profile::DecodePprof(raw, limits);
  if (!p.ok()) return WithContext(p.status(), where);
  IngestItem item;
  item.profile = std::move(*p);
  item.cumulative = HoldsRunningTotals(item.profile);
  item.pprof = raw;
  return item;
}

}  // namespace

profile::PprofLimits PprofLimitsFor(const TenantLimits& limits) {
  profile::PprofLimits l;
  const size_t cap = static_cast<size_t>(limits.max_decompressed_profile_bytes);
  l.max_input_bytes = cap;
  l.decompress.max_output_bytes = cap;
  return l;
}

bool HoldsRunningTotals(const profile::Profile& p) {
  return p.duration_nanos == 0 && !CumulativeValueIndices(p).empty();
}

absl::StatusOr<::push::v1::PushResponse> HandlePush(const ServerParts& parts,
                                                    const CallContext& ctx,
                                                    const ::push::v1::PushRequest& req) {
  const TenantLimits& limits = parts.limits->For(ctx.tenant);
  const size_t bytes = req.ByteSizeLong();
  if (auto s = CheckRequestSize(limits, bytes, "push"); !s.ok()) {
    return parts.ingest->Reject(ctx.tenant, "push", "body_too_large", s);
  }
  const profile::PprofLimits pprof_limits = PprofLimitsFor(limits);
  std::vector<IngestItem> items;
  for (int i = 0; i < req.series_size(); ++i) {
    const ::push::v1::RawProfileSeries& series = req.series(i);
    storage::Labels labels;
    labels.reserve(series.labels_size());
    for (const ::types::v1::LabelPair& l : series.labels())
      labels.emplace_back(l.name(), l.value());
    for (int j = 0; j < series.samples_size(); ++j) {
      auto item = DecodeRawProfile(series.samples(j).raw_profile(), pprof_limits,
                                   fmt::format("series {} sample {}", i, j));
      if (!item.ok()) return parts.ingest->Reject(ctx.tenant, "push", "invalid_profile", item.status());
      // __name__ may be absent: the pipeline then names the family from the sample types.
      item->labels = labels;
      items.push_back(std::move(*item));
    }
  }
  if (!items.empty()) {
    auto r = parts.ingest->Ingest(ctx.tenant, "push", std::move(items), bytes);
    if (!r.ok()) return r.status();
  }
  return ::push::v1::PushResponse();
}

absl::StatusOr<parcapb::WriteRawResponse> HandleWriteRaw(const ServerParts& parts,
                                                         const CallContext& ctx,
                                                         const parcapb::WriteRawRequest& req) {
  const TenantLimits& limits = parts.limits->For(ctx.tenant);
  const size_t bytes = req.ByteSizeLong();
  if (auto s = CheckRequestSize(limits, bytes, "WriteRaw"); !s.ok()) {
    return parts.ingest->Reject(ctx.tenant, "writeraw", "body_too_large", s);
  }
  const profile::PprofLimits pprof_limits = PprofLimitsFor(limits);
  std::vector<IngestItem> items;
  for (int i = 0; i < req.series_size(); ++i) {
    const parcapb::RawProfileSeries& series = req.series(i);
    storage::Labels labels;
    bool has_name = false, has_service = false;
    const parcapb::Label* job = nullptr;
    for (const parcapb::Label& l : series.labels().labels()) {
      labels.emplace_back(l.name(), l.value());
      has_name |= l.name() == storage::kNameLabel && !l.value().empty();
      has_service |= l.name() == storage::kServiceNameLabel;
      if (l.name() == "job") job = &l;
    }
    if (!has_name) {
      return parts.ingest->Reject(ctx.tenant, "writeraw", "invalid_labels", absl::InvalidArgumentError(fmt::format(
          "series {}: labels must include __name__, the profile name (e.g. process_cpu, memory)",
          i)));
    }
    // Parca has no service_name; its scrape job is the closest thing, and Hearth's views
    // are per service.
    if (!has_service && job != nullptr && !job->value().empty()) {
      labels.emplace_back(std::string(storage::kServiceNameLabel), job->value());
    }
    // The samples' own pprof labels become series labels in storage (as Parca merges them
    // into one label namespace). executable_info and `normalized` are not used: Hearth
    // keeps addresses as sent and symbolizes by build id.
    for (int j = 0; j < series.samples_size(); ++j) {
      auto item = DecodeRawProfile(series.samples(j).raw_profile(), pprof_limits,
                                   fmt::format("series {} sample {}", i, j));
      if (!item.ok()) {
        return parts.ingest->Reject(ctx.tenant, "writeraw", "invalid_profile", item.status());
      }
      item->labels = labels;
      items.push_back(std::move(*item));
    }
  }
  if (!items.empty()) {
    auto r = parts.ingest->Ingest(ctx.tenant, "writeraw", std::move(items), bytes);
    if (!r.ok()) return r.status();
  }
  return parcapb::WriteRawResponse();
}

void RegisterIngestApis(ServerParts& parts) {
  // The parts live as long as the server, which outlives every request.
  const ServerParts* p = &parts;
  if (parts.http != nullptr) {
    auto ingest = [p](const HttpRequest& req) { return HandlePyroscopeIngest(*p, req); };
    parts.http->Handle("POST", "/ingest", ingest);
    parts.http->Handle("POST", "/pyroscope/ingest", ingest);
  }
  if (parts.rpc != nullptr) {
    parts.rpc->Add<::push::v1::PushRequest, ::push::v1::PushResponse>(
        std::string(kPushPath), [p](const CallContext& ctx, const ::push::v1::PushRequest& req) {
          return HandlePush(*p, ctx, req);
        });
    parts.rpc->Add<parcapb::WriteRawRequest, parcapb::WriteRawResponse>(
        std::string(kWriteRawPath),
        [p](const CallContext& ctx, const parcapb::WriteRawRequest& req) {
          return HandleWriteRaw(*p, ctx, req);
        });
  }
  RegisterOtlpIngest(parts);
}

}  // namespace hearth::server
