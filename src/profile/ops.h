#pragma once

// Value transformations with pprof's exact semantics.

#include <span>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "profile/profile.h"

namespace hearth::profile {

// Multiplies every value by `ratio` (pprof Profile.Scale). ratio == 1 is a no-op.
void Scale(Profile& p, double ratio);

// Per-sample-type ratios (pprof ScaleN): v = round-half-away-from-zero(v * r). A sample is
// kept only if some value at an index whose ratio != 1 is non-zero after scaling (pprof's
// quirk, reproduced). All ratios 1 -> no-op. Error if ratios.size() != sample types.
absl::Status ScaleN(Profile& p, std::span<const double> ratios);

// pprof Normalize: scales p so that each sample type's total equals base's total.
// Error when the profiles are incompatible.
absl::Status Normalize(Profile& p, const Profile& base);

// Removes samples whose values are all zero.
void DropZeroSamples(Profile& p);

// Sets string label key=value on every sample, replacing existing string values of that
// key (numeric labels with the key stay, as pprof keeps them apart).
void SetLabel(Profile& p, std::string_view key, std::string_view value);
// Removes every label (string or numeric) with this key.
void RemoveLabel(Profile& p, std::string_view key);
// True if the sample carries string label key=value.
bool HasLabel(const Profile& p, const Sample& s, std::string_view key, std::string_view value);

// The label pprof puts on base samples for -diff_base.
inline constexpr std::string_view kDiffBaseLabel = "pprof::base";

// pprof's NumLabelUnits: the unit of each numeric label key (first unit seen wins; no unit
// means "bytes" for keys "alignment"/"request", else the key itself).
absl::flat_hash_map<std::string, std::string> NumLabelUnits(const Profile& p);

}  // namespace hearth::profile
