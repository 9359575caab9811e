#include "export/push_exporter.h"

#include "base/json_writer.h"
#include "base/strings.h"
#include "profile/pprof_codec.h"

namespace hearth::exporter {

std::string EncodePushBatch(const Batch& batch) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("series").BeginArray();
  for (const BatchItem& item : batch.items) {
    w.BeginObject().Key("labels").BeginArray();
    for (const auto& [k, v] : item.labels) {
      if (k == "__delta__" || v.empty()) continue;
      w.BeginObject().Key("name").String(k).Key("value").String(v).EndObject();
    }
    w.BeginObject().Key("name").String("__delta__").Key("value").String("false").EndObject();
    w.EndArray().Key("samples").BeginArray().BeginObject();
    w.Key("rawProfile").String(Base64Encode(profile::EncodePprofGzip(item.profile)));
    w.EndObject().EndArray().EndObject();
  }
  w.EndArray().EndObject();
  return body;
}

absl::StatusOr<std::unique_ptr<PushExporter>> PushExporter::Create(HttpExporterOptions options) {
  // The profiles are gzipped inside; base64 of gzip gains little from gzip on top.
  options.gzip = false;
  auto poster = HttpPoster::Create(options);
  if (!poster.ok()) return poster.status();
  std::unique_ptr<PushExporter> e(new PushExporter());
  e->poster_ = std::move(*poster);
  return e;
}

absl::Status PushExporter::Export(const Batch& batch) {
  if (batch.items.empty()) return absl::OkStatus();
  return poster_->Post(kPushPath, batch.tenant, EncodePushBatch(batch), "application/json")
      .status();
}

}  // namespace hearth::exporter
