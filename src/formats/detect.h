#pragma once

// Reading a profile in any supported encoding, detected by content.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "formats/folded.h"
#include "profile/pprof_codec.h"
#include "profile/profile.h"

namespace hearth::formats {

enum class Format { kUnknown, kPprof, kFolded };

std::string_view FormatName(Format f);
absl::StatusOr<Format> ParseFormatName(std::string_view name);

// Guesses the format of `data` (gzip or protobuf -> pprof; text ending in counts -> folded).
Format DetectFormat(std::string_view data);

struct ParseOptions {
  Format format = Format::kUnknown;  // kUnknown: detect.
  profile::PprofLimits pprof;
  FoldedOptions folded;
};

// Parses `data`; the error says which format was tried or that none matched.
absl::StatusOr<profile::Profile> ParseProfile(std::string_view data, const ParseOptions& o = {});

}  // namespace hearth::formats
