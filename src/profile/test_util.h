#pragma once

// Helpers for tests that read the fixture corpus (testdata/fixtures) and golden files
// (testdata/golden). Paths are rooted at HEARTH_SOURCE_DIR, which the test targets define.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "profile/profile.h"

namespace hearth::profile::testing {

// HEARTH_SOURCE_DIR + "/" + relative.
std::string SourcePath(std::string_view relative);
// SourcePath("testdata/fixtures/" + relative).
std::string FixturePath(std::string_view relative);
// SourcePath("testdata/golden/" + relative).
std::string GoldenPath(std::string_view relative);

// The whole file, or an error naming it.
absl::StatusOr<std::string> ReadTestFile(const std::string& path);

// Reads and decodes a pprof file (gzipped or not).
absl::StatusOr<Profile> ReadProfile(const std::string& path);

// Reads a profile the way `go tool pprof` loads one source: decode, then PrepareLikePprof
// (fake mapping if none, Compact, drop_frames).
absl::StatusOr<Profile> LoadLikePprof(const std::string& path);

}  // namespace hearth::profile::testing
