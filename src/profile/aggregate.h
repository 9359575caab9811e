#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "profile/profile.h"

namespace hearth::profile {

// The level at which frames are told apart in reports (pprof -granularity).
enum class Granularity { kFunctions, kFileFunctions, kFiles, kLines, kAddresses };

absl::StatusOr<Granularity> ParseGranularity(std::string_view name);

// pprof Profile.Aggregate for the granularity: blanks function names and/or file names,
// zeroes line numbers (and columns) and/or addresses, and with `inline_frames == false`
// keeps only the outermost line of each location (-noinlines). Updates the mappings' has_* flags.
// Leaves the profile valid; equal frames are merged later by the report graph.
void Aggregate(Profile& p, Granularity g, bool inline_frames);

}  // namespace hearth::profile
