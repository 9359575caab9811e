#include "profile/test_util.h"

#include "base/file.h"
#include "base/status_macros.h"
#include "profile/pprof_codec.h"
#include "profile/report.h"

namespace hearth::profile::testing {

std::string SourcePath(std::string_view relative) {
  return std::string(HEARTH_SOURCE_DIR) + "/" + std::string(relative);
}

std::string FixturePath(std::string_view relative) {
  return SourcePath("testdata/fixtures/" + std::string(relative));
}

std::string GoldenPath(std::string_view relative) {
  return SourcePath("testdata/golden/" + std::string(relative));
}

absl::StatusOr<std::string> ReadTestFile(const std::string& path) { return ReadFile(path); }

absl::StatusOr<Profile> ReadProfile(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  return DecodePprof(data);
}

absl::StatusOr<Profile> LoadLikePprof(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(Profile p, ReadProfile(path));
  return PrepareLikePprof(std::move(p));
}

}  // namespace hearth::profile::testing
