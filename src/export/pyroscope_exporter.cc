#include "export/pyroscope_exporter.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>

#include "base/fmt.h"
#include "profile/pprof_codec.h"

namespace hearth::exporter {
namespace {

constexpr int64_t kSecondNs = 1'000'000'000;

std::string Sanitize(std::string_view s, bool app) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const bool ok = app ? (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
                           c == '-' || c == '/')
                        : (c != '{' && c != '}' && c != ',' && c != '=');
    out.push_back(ok ? c : '_');
  }
  return out;
}

}  // namespace

std::string PyroscopeAppName(const Labels& labels) {
  std::string_view service = LabelValue(labels, "service_name");
  std::string out = Sanitize(service.empty() ? "unknown_service" : service, true);
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (k == "service_name" || k == "pyroscope_spy" || k.starts_with("__") || v.empty()) continue;
    // Pyroscope trims values: surrounding spaces would not survive either.
    std::string value = Sanitize(v, false);
    out += fmt::format("{}{}={}", first ? "" : ",", k, value);
    first = false;
  }
  out += '}';
  return out;
}

std::string PyroscopeIngestTarget(const Labels& labels, const profile::Profile& p) {
  const int64_t from_s = p.time_nanos / kSecondNs;
  const int64_t until_s =
      std::max(from_s, (p.time_nanos + p.duration_nanos + kSecondNs - 1) / kSecondNs);
  httplib::Params q;
  q.emplace("name", PyroscopeAppName(labels));
  q.emplace("from", std::to_string(from_s));
  q.emplace("until", std::to_string(until_s));
  q.emplace("format", "pprof");
  if (std::string_view spy = LabelValue(labels, "pyroscope_spy"); !spy.empty()) {
    q.emplace("spyName", std::string(spy));
  }
  return "/ingest?" + httplib::detail::params_to_query_str(q);
}

absl::StatusOr<std::unique_ptr<PyroscopeExporter>> PyroscopeExporter::Create(
    HttpExporterOptions options) {
  // The body is gzipped pprof already; Content-Encoding: gzip on top would gain nothing.
  options.gzip = false;
  auto poster = HttpPoster::Create(options);
  if (!poster.ok()) return poster.status();
  std::unique_ptr<PyroscopeExporter> e(new PyroscopeExporter());
  e->options_ = std::move(options);
  e->poster_ = std::move(*poster);
  return e;
}

absl::Status PyroscopeExporter::Export(const Batch& batch) {
  for (size_t i = 0; i < batch.items.size(); ++i) {
    const BatchItem& item = batch.items[i];
    auto r = poster_->Post(PyroscopeIngestTarget(item.labels, item.profile), batch.tenant,
                           profile::EncodePprofGzip(item.profile), "application/octet-stream");
    if (r.ok()) continue;
    if (IsRetryable(r.status())) return WithItemsSent(r.status(), i);
    ++rejected_;
    const std::string m = fmt::format("dropping a profile of {}: {}", PyroscopeAppName(item.labels),
                                      r.status().message());
    if (options_.log) {
      options_.log(m);
    } else {
      LogToStderr("pyroscope", m);
    }
  }
  return absl::OkStatus();
}

}  // namespace hearth::exporter
