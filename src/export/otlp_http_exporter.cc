#include "export/otlp_http_exporter.h"

#include "base/fmt.h"
#include "formats/otlp.h"

namespace hearth::exporter {

std::string EncodeOtlpBatch(const Batch& batch) {
  std::vector<std::vector<std::pair<std::string, std::string>>> resources;
  resources.reserve(batch.items.size());
  for (const BatchItem& item : batch.items) resources.push_back(OtlpResource(item.labels));
  std::vector<formats::OtlpProfileIn> in;
  in.reserve(batch.items.size());
  for (size_t i = 0; i < batch.items.size(); ++i) {
    in.push_back({resources[i], &batch.items[i].profile});
  }
  return formats::EncodeOtlpRequest(in);
}

absl::StatusOr<std::unique_ptr<OtlpHttpExporter>> OtlpHttpExporter::Create(
    HttpExporterOptions options) {
  auto poster = HttpPoster::Create(options);
  if (!poster.ok()) return poster.status();
  std::unique_ptr<OtlpHttpExporter> e(new OtlpHttpExporter());
  e->options_ = std::move(options);
  e->poster_ = std::move(*poster);
  return e;
}

absl::Status OtlpHttpExporter::Export(const Batch& batch) {
  if (batch.items.empty()) return absl::OkStatus();
  auto r =
      poster_->Post(kOtlpHttpPath, batch.tenant, EncodeOtlpBatch(batch), "application/x-protobuf");
  if (!r.ok()) return r.status();
  // The response has the request's content type; a receiver that answers otherwise (an
  // empty body, JSON) took the request and reports nothing refused.
  if (r->content_type.find("protobuf") == std::string::npos) return absl::OkStatus();
  const PartialSuccess ps = ParseExportResponse(r->body);
  if (ps.rejected_profiles > 0 || !ps.error_message.empty()) {
    rejected_ += ps.rejected_profiles;
    const std::string m =
        fmt::format("{}: the receiver refused {} of {} profiles: {}", poster_->endpoint(),
                    ps.rejected_profiles, batch.items.size(), ps.error_message);
    if (options_.log) {
      options_.log(m);
    } else {
      LogToStderr("otlp_http", m);
    }
  }
  return absl::OkStatus();
}

}  // namespace hearth::exporter
