#include "formats/detect.h"

#include <fmt/format.h>

#include "base/compress.h"

namespace hearth::formats {

std::string_view FormatName(Format f) {
  switch (f) {
    case Format::kPprof:
      return "pprof";
    case Format::kFolded:
      return "folded";
    case Format::kUnknown:
      break;
  }
  return "unknown";
}

absl::StatusOr<Format> ParseFormatName(std::string_view name) {
  if (name == "pprof" || name == "proto") return Format::kPprof;
  if (name == "folded" || name == "collapsed") return Format::kFolded;
  return absl::InvalidArgumentError(
      fmt::format("unknown format \"{}\" (known: pprof, folded)", name));
}

namespace {

// A protobuf message starts with a tag: field 1..15 with wire type 0, 1, 2 or 5.
bool LooksLikeProtobuf(std::string_view data) {
  if (data.empty()) return false;
  uint8_t tag = static_cast<uint8_t>(data[0]);
  uint8_t field = tag >> 3, type = tag & 7;
  return field >= 1 && field <= 15 && (type == 0 || type == 1 || type == 2 || type == 5);
}

}  // namespace

Format DetectFormat(std::string_view data) {
  if (IsGzip(data)) return Format::kPprof;  // Gzipped text formats: see ParseProfile.
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
  Format f = o.format == Format::kUnknown ? DetectFormat(data) : o.format;
  switch (f) {
    case Format::kPprof:
      return profile::DecodePprof(data, o.pprof);
    case Format::kFolded:
      return ParseFolded(data, o.folded);
    case Format::kUnknown:
      break;
  }
  return absl::InvalidArgumentError(
      "unrecognized profile format (not pprof, not folded stacks); use --from to force one");
}

}  // namespace hearth::formats
