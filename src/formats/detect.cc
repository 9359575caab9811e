#include "formats/detect.h"

#include <fmt/format.h>

#include "base/compress.h"
#include "formats/go_legacy.h"
#include "formats/gperftools.h"
#include "formats/json_dom.h"
#include "formats/speedscope.h"
#include "formats/v8.h"

namespace hearth::formats {
namespace {

struct FormatInfo {
  Format format;
  std::string_view name;
};

constexpr FormatInfo kFormats[] = {
    {Format::kPprof, "pprof"},
    {Format::kFolded, "folded"},
    {Format::kPerfScript, "perf-script"},
    {Format::kGperftools, "gperftools"},
    {Format::kGoLegacy, "go-legacy"},
    {Format::kV8CpuProfile, "v8-cpuprofile"},
    {Format::kV8HeapProfile, "v8-heapprofile"},
    {Format::kSpeedscope, "speedscope"},
    {Format::kJfr, "jfr"},
    {Format::kOtlp, "otlp"},
    {Format::kOtlpJson, "otlp-json"},
};

// A protobuf message starts with a tag: field 1..15 with wire type 0, 1, 2 or 5.
bool LooksLikeProtobuf(std::string_view data) {
  if (data.empty()) return false;
  uint8_t tag = static_cast<uint8_t>(data[0]);
  uint8_t field = tag >> 3, type = tag & 7;
  return field >= 1 && field <= 15 && (type == 0 || type == 1 || type == 2 || type == 5);
}

}  // namespace

std::string_view FormatName(Format f) {
  for (const FormatInfo& i : kFormats) {
    if (i.format == f) return i.name;
  }
  return "unknown";
}

std::string FormatNames() {
  std::string out;
  for (const FormatInfo& i : kFormats) {
    if (!out.empty()) out += ", ";
    out += i.name;
  }
  return out;
}

absl::StatusOr<Format> ParseFormatName(std::string_view name) {
  for (const FormatInfo& i : kFormats) {
    if (i.name == name) return i.format;
  }
  if (name == "proto") return Format::kPprof;
  if (name == "collapsed") return Format::kFolded;
  if (name == "perf") return Format::kPerfScript;
  if (name == "cpuprofile") return Format::kV8CpuProfile;
  if (name == "heapprofile") return Format::kV8HeapProfile;
  return absl::InvalidArgumentError(
      fmt::format("unknown format \"{}\" (known: {})", name, FormatNames()));
}

Format DetectFormat(std::string_view data) {
  // Binary formats with magic numbers first, then JSON, then the text formats from the
  // most specific header to the loosest shape (folded: "anything ending in a number" also
  // matches Go's "goroutine profile: total 7" header line).
  if (IsGzip(data)) return Format::kPprof;
  if (LooksLikeJfr(data)) return Format::kJfr;
  if (LooksLikeOtlp(data)) return Format::kOtlp;
  if (LooksLikeOtlpJson(data)) return Format::kOtlpJson;
  if (LooksLikeGperftoolsCpu(data)) return Format::kGperftools;
  if (LooksLikeSpeedscope(data)) return Format::kSpeedscope;
  if (LooksLikeV8CpuProfile(data)) return Format::kV8CpuProfile;
  if (LooksLikeV8HeapProfile(data)) return Format::kV8HeapProfile;
  if (LooksLikeGoLegacy(data)) return Format::kGoLegacy;
  if (LooksLikeGperftoolsHeap(data)) return Format::kGperftools;
  if (LooksLikePerfScript(data)) return Format::kPerfScript;
  if (LooksLikeFolded(data)) return Format::kFolded;
  if (LooksLikeProtobuf(data)) return Format::kPprof;
  return Format::kUnknown;
}

absl::StatusOr<profile::Profile> ParseProfile(std::string_view data, const ParseOptions& o) {
  std::string inflated;
  if (IsGzip(data) && o.format != Format::kPprof) {
    // A gzipped file may hold any format; look inside.
    auto raw = GzipDecompress(data, o.pprof.decompress);
    if (!raw.ok()) return raw.status();
    inflated = std::move(*raw);
    data = inflated;
  }
  const Format f = o.format == Format::kUnknown ? DetectFormat(data) : o.format;
  switch (f) {
    case Format::kPprof: return profile::DecodePprof(data, o.pprof);
    case Format::kFolded: return ParseFolded(data, o.folded);
    case Format::kPerfScript: return ParsePerfScript(data, o.perf);
    case Format::kGperftools: return ParseGperftools(data);
    case Format::kGoLegacy: return ParseGoLegacy(data);
    case Format::kV8CpuProfile: return ParseV8CpuProfile(data);
    case Format::kV8HeapProfile: return ParseV8HeapProfile(data);
    case Format::kSpeedscope: return ParseSpeedscope(data);
    case Format::kJfr: return ParseJfrProfile(data, o.jfr);
    case Format::kOtlp:
    case Format::kOtlpJson: {
      const bool is_json = f == Format::kOtlpJson || json::StartsWithJson(data, '{');
      auto request =
          is_json ? DecodeOtlpJsonRequest(data, o.otlp) : DecodeOtlpRequest(data, o.otlp);
      if (!request.ok()) return request.status();
      return OtlpRequestToProfile(*std::move(request));
    }
    case Format::kUnknown: break;
  }
  return absl::InvalidArgumentError(fmt::format(
      "unrecognized profile format (none of: {}); use --from to force one", FormatNames()));
}

}  // namespace hearth::formats
