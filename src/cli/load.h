#pragma once

// Loading the profiles named on a command line the way `go tool pprof` does: every source
// is decoded (any supported format), units reconciled and merged; bases likewise, then
// subtracted (-base / -diff_base); finally drop_frames/keep_frames are applied.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "formats/detect.h"
#include "profile/profile.h"

namespace hearth::cli {

struct LoadOptions {
  std::vector<std::string> sources;
  std::vector<std::string> bases;       // -base
  std::vector<std::string> diff_bases;  // -diff_base
  bool normalize = false;
  formats::ParseOptions parse;
};

// Decodes one file; the error is prefixed with the path.
absl::StatusOr<profile::Profile> LoadFile(const std::string& path,
                                          const formats::ParseOptions& parse);

// Decodes and merges files one at a time (memory stays bounded by the merged result).
absl::StatusOr<profile::Profile> LoadAndMerge(const std::vector<std::string>& paths,
                                              const formats::ParseOptions& parse);

// The whole pprof source pipeline.
absl::StatusOr<profile::Profile> LoadSources(const LoadOptions& o);

}  // namespace hearth::cli
