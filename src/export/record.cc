#include "export/record.h"

#include "base/fmt.h"
#include "base/proto_wire.h"
#include "profile/pprof_codec.h"

namespace hearth::exporter {
namespace {

// Fast gzip: records are written on the ingest path, and are read once.
constexpr int kGzipLevel = 1;

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(fmt::format("queued record is damaged: {}", what));
}

}  // namespace

std::string EncodeRecord(std::string_view tenant, std::span<const ItemRef> items) {
  std::string out;
  wire::Writer w(&out);
  w.Bytes(1, tenant);
  for (const ItemRef& it : items) {
    const size_t item = w.BeginMessage(2);
    for (const auto& [k, v] : *it.labels) {
      const size_t label = w.BeginMessage(1);
      w.Bytes(1, k);
      w.Bytes(2, v);
      w.EndMessage(label);
    }
    if (!it.pprof.empty()) {
      w.Bytes(2, it.pprof);
    } else {
      w.Bytes(2, profile::EncodePprofGzip(*it.profile, kGzipLevel));
    }
    if (it.profile->time_nanos == 0) w.VarintOpt(3, static_cast<uint64_t>(it.time_ns));
    w.EndMessage(item);
  }
  return out;
}

std::string EncodeRecord(const Batch& batch) {
  std::vector<ItemRef> refs;
  refs.reserve(batch.items.size());
  for (const BatchItem& it : batch.items) refs.push_back({&it.labels, &it.profile, {}, 0});
  return EncodeRecord(batch.tenant, refs);
}

absl::StatusOr<Batch> DecodeRecord(std::string_view bytes) {
  Batch batch;
  wire::Reader r(bytes);
  uint32_t field;
  wire::WireType type;
  while (r.Next(&field, &type)) {
    if (field == 1 && type == wire::kLen) {
      batch.tenant = std::string(r.Bytes());
      continue;
    }
    if (field != 2 || type != wire::kLen) {
      r.Skip(type);
      continue;
    }
    wire::Reader ir(r.Bytes());
    BatchItem item;
    std::string_view pprof;
    int64_t time_ns = 0;
    while (ir.Next(&field, &type)) {
      if (field == 1 && type == wire::kLen) {
        wire::Reader lr(ir.Bytes());
        std::pair<std::string, std::string> label;
        while (lr.Next(&field, &type)) {
          if (field == 1 && type == wire::kLen) {
            label.first = std::string(lr.Bytes());
          } else if (field == 2 && type == wire::kLen) {
            label.second = std::string(lr.Bytes());
          } else {
            lr.Skip(type);
          }
        }
        if (!lr.ok()) return Corrupt(lr.error());
        item.labels.push_back(std::move(label));
      } else if (field == 2 && type == wire::kLen) {
        pprof = ir.Bytes();
      } else if (field == 3 && type == wire::kVarint) {
        time_ns = static_cast<int64_t>(ir.Varint());
      } else {
        ir.Skip(type);
      }
    }
    if (!ir.ok()) return Corrupt(ir.error());
    auto p = profile::DecodePprof(pprof);
    if (!p.ok()) return Corrupt(fmt::format("its profile: {}", p.status().message()));
    item.profile = std::move(*p);
    if (item.profile.time_nanos == 0) item.profile.time_nanos = time_ns;
    batch.items.push_back(std::move(item));
  }
  if (!r.ok()) return Corrupt(r.error());
  return batch;
}

}  // namespace hearth::exporter
