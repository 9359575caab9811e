#include "server/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cctype>

#include "base/fmt.h"
#include "profile/ops.h"

namespace hearth::server {

absl::Status ValidateLabelName(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("empty label name");
  auto ok_first = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
  auto ok_rest = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  };
  if (!ok_first(name[0]) || !std::all_of(name.begin() + 1, name.end(), ok_rest)) {
    return absl::InvalidArgumentError(
        fmt::format("invalid label name \"{}\": use [a-zA-Z_][a-zA-Z0-9_.]*", name));
  }
  return absl::OkStatus();
}

IngestPipeline::IngestPipeline(storage::Backend* backend, Limits* limits, MetricsRegistry* metrics,
                               DeltaTracker* deltas)
    : backend_(backend),
      limits_(limits),
      metrics_(metrics),
      deltas_(deltas),
      profiles_total_(metrics->Counter("hearth_ingest_profiles_total",
                                       "Profiles accepted, by tenant and API.", {"tenant", "api"})),
      samples_total_(metrics->Counter("hearth_ingest_samples_total",
                                      "Samples accepted, by tenant and API.", {"tenant", "api"})),
      bytes_total_(metrics->Counter("hearth_ingest_bytes_total",
                                    "Request bytes accepted, by tenant and API.", {"tenant", "api"})),
      rejected_total_(metrics->Counter("hearth_ingest_rejected_total",
                                       "Requests refused, by tenant, API and reason.",
                                       {"tenant", "api", "reason"})),
      duration_(metrics->Histogram("hearth_ingest_duration_seconds",
                                   "Time to validate and durably store an ingest request.",
                                   {"api"}, LatencyBuckets())) {}

absl::Status IngestPipeline::Reject(const std::string& tenant, std::string_view api,
                                    std::string_view reason, absl::Status s) {
  rejected_total_.Add({tenant, std::string(api), std::string(reason)}, 1);
  return s;
}

absl::StatusOr<IngestResult> IngestPipeline::Ingest(const std::string& tenant,
                                                    std::string_view api,
                                                    std::vector<IngestItem> items,
                                                    uint64_t request_bytes) {
  const auto start = std::chrono::steady_clock::now();
  const TenantLimits& lim = limits_->For(tenant);
  // Profiles kept alive for the batch, and the requests that point at them.
  std::vector<storage::AppendRequest> batch;
  batch.reserve(items.size());
  IngestResult result;
  for (size_t i = 0; i < items.size(); ++i) {
    IngestItem& item = items[i];
    const std::string which = items.size() > 1 ? fmt::format("profile {}: ", i) : "";
    // Labels: reserved names go (Pyroscope clients send a few), except __name__;
    // __delta__="false" says the values are already deltas.
    storage::Labels labels;
    for (auto& [k, v] : item.labels) {
      if (k == "__delta__") {
        if (v == "false") item.cumulative = false;
        continue;
      }
      if (k.starts_with("__") && k != storage::kNameLabel) continue;
      labels.emplace_back(std::move(k), std::move(v));
    }
    if (!storage::LabelValue(labels, storage::kNameLabel).has_value()) {
      // Unsorted here, so look by hand.
      bool has_name = std::any_of(labels.begin(), labels.end(),
                                  [](const auto& l) { return l.first == storage::kNameLabel; });
      if (!has_name) labels.emplace_back(std::string(storage::kNameLabel), storage::GuessProfileName(item.profile));
    }
    if (std::none_of(labels.begin(), labels.end(),
                     [](const auto& l) { return l.first == storage::kServiceNameLabel; })) {
      labels.emplace_back(std::string(storage::kServiceNameLabel), "unknown_service");
    }
    if (auto s = storage::NormalizeLabels(labels); !s.ok()) {
      return Reject(tenant, api, "invalid_labels",
                    absl::InvalidArgumentError(which + std::string(s.message())));
    }
    if (labels.size() > lim.max_labels_per_series) {
      return Reject(tenant, api, "too_many_labels",
                    absl::InvalidArgumentError(fmt::format(
                        "{}{} labels, above the limit of {} per series", which, labels.size(),
                        lim.max_labels_per_series)));
    }
    for (const auto& [k, v] : labels) {
      if (auto s = ValidateLabelName(k); !s.ok()) {
        return Reject(tenant, api, "invalid_labels", absl::InvalidArgumentError(which + std::string(s.message())));
      }
      if (k.size() > lim.max_label_name_length) {
        return Reject(tenant, api, "label_name_too_long",
                      absl::InvalidArgumentError(fmt::format(
                          "{}label name \"{:.40}...\" is longer than {} characters", which, k,
                          lim.max_label_name_length)));
      }
      if (v.size() > lim.max_label_value_length) {
        return Reject(tenant, api, "label_value_too_long",
                      absl::InvalidArgumentError(fmt::format(
                          "{}value of label \"{}\" is longer than {} characters", which, k,
                          lim.max_label_value_length)));
      }
    }
    if (item.profile.sample_types.empty()) {
      return Reject(tenant, api, "invalid_profile",
                    absl::InvalidArgumentError(which + "profile has no sample types"));
    }
    if (item.profile.samples.size() > lim.max_samples_per_profile) {
      return Reject(tenant, api, "too_many_samples",
                    absl::InvalidArgumentError(fmt::format(
                        "{}profile has {} samples, above the limit of {}", which,
                        item.profile.samples.size(), lim.max_samples_per_profile)));
    }
    const uint64_t series_hash = storage::HashLabels(labels);
    if (auto s = limits_->AdmitSeries(tenant, series_hash); !s.ok()) {
      return Reject(tenant, api, "series_limit", s);
    }
    if (item.cumulative) {
      bool baseline = false;
      item.profile = deltas_->ToDelta(DeltaSeriesKey(tenant, labels),
                                      std::move(item.profile), &baseline);
      item.pprof.clear();  // the values changed
    }
    const size_t before = item.profile.samples.size();
    profile::DropZeroSamples(item.profile);
    if (item.profile.samples.size() != before) item.pprof.clear();
    // Nothing left (a cumulative baseline, or only zeros): nothing to store.
    if (item.profile.samples.empty()) continue;
    result.samples += item.profile.samples.size();
    ++result.profiles;
    batch.push_back({std::move(labels), &item.profile, item.ts_ns, item.pprof});
  }
  if (auto s = limits_->ChargeIngest(tenant, request_bytes); !s.ok()) {
    return Reject(tenant, api, "rate_limited", s);
  }
  if (batch.empty()) return result;
  if (auto s = backend_->Append(tenant, batch); !s.ok()) {
    return Reject(tenant, api, "storage", s);
  }
  const std::string api_s(api);
  profiles_total_.Add({tenant, api_s}, static_cast<double>(result.profiles));
  samples_total_.Add({tenant, api_s}, static_cast<double>(result.samples));
  bytes_total_.Add({tenant, api_s}, static_cast<double>(request_bytes));
  duration_.Observe({api_s}, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  // After the durable append (what is forwarded is what was acknowledged) and outside the
  // ingest latency above.
  if (stored_hook_) stored_hook_(tenant, batch);
  return result;
}

}  // namespace hearth::server
