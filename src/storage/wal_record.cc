#include "storage/wal_record.h"

#include "base/fmt.h"
#include <zstd.h>

#include "base/varint.h"
#include "profile/pprof_codec.h"

namespace hearth::storage {
namespace {

using varint::PutStr;
using varint::PutU;

constexpr size_t kMaxProfileBytes = size_t{512} << 20;

}  // namespace

std::string EncodeAppendRecord(std::string_view tenant, const Labels& labels, int64_t ts_ns,
                               const profile::Profile& p, std::string_view pprof) {
  std::string out;
  out.push_back(1);
  PutStr(&out, tenant);
  varint::PutS(&out, ts_ns);
  PutU(&out, labels.size());
  for (const auto& [k, v] : labels) {
    PutStr(&out, k);
    PutStr(&out, v);
  }
  if (!pprof.empty()) {
    out.push_back(1);
    out.append(pprof);
    return out;
  }
  out.push_back(0);
  std::string raw = profile::EncodePprof(p);
  PutU(&out, raw.size());
  const size_t at = out.size();
  out.resize(at + ZSTD_compressBound(raw.size()));
  size_t n = ZSTD_compress(out.data() + at, out.size() - at, raw.data(), raw.size(), 1);
  out.resize(ZSTD_isError(n) ? at : at + n);
  return out;
}

absl::StatusOr<DecodedAppend> DecodeAppendRecord(std::string_view payload) {
  auto bad = [](std::string_view why) {
    return absl::DataLossError(fmt::format("WAL append record: {}", why));
  };
  if (payload.empty() || payload[0] != 1) return bad("unknown version");
  varint::Reader r(payload.substr(1));
  DecodedAppend out;
  uint64_t nlabels;
  if (!r.Str(&out.tenant) || !r.S(&out.ts_ns) || !r.U(&nlabels) || nlabels > r.remaining()) {
    return bad("bad header");
  }
  out.labels.resize(nlabels);
  for (auto& [k, v] : out.labels) {
    if (!r.Str(&k) || !r.Str(&v)) return bad("bad labels");
  }
  if (r.remaining() == 0) return bad("missing profile");
  const std::string_view rest = r.Rest();
  const uint8_t format = static_cast<uint8_t>(rest[0]);
  absl::StatusOr<profile::Profile> profile;
  if (format == 1) {
    profile = profile::DecodePprof(rest.substr(1));
  } else if (format == 0) {
    varint::Reader z(rest.substr(1));
    uint64_t raw_size;
    if (!z.U(&raw_size) || raw_size > kMaxProfileBytes) return bad("bad profile size");
    const std::string_view compressed = z.Rest();
    std::string raw(raw_size, '\0');
    size_t n = ZSTD_decompress(raw.data(), raw.size(), compressed.data(), compressed.size());
    if (ZSTD_isError(n) || n != raw_size) return bad("profile does not decompress");
    profile = profile::DecodePprofUncompressed(raw);
  } else {
    return bad("unknown profile format");
  }
  if (!profile.ok()) return bad(std::string(profile.status().message()));
  out.profile = std::move(*profile);
  return out;
}

}  // namespace hearth::storage
