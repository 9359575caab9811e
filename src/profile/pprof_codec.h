#pragma once

// pprof (perftools.profiles.Profile) <-> Profile, by hand on the wire format.
//
// Decoding is bounded: the compressed input, the decompressed size and expansion ratio, the
// number of each entity, stack depth, lines per location, labels per sample and string length
// all have caps, and every violation is an error that names the field and the limit. Packed
// and unpacked repeated fields are accepted, unknown fields skipped, ids that refer to
// nothing rejected. The string table is kept exactly as sent, so decode -> encode -> decode
// gives an Equal() profile.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/compress.h"
#include "profile/profile.h"

namespace hearth::profile {

struct PprofLimits {
  size_t max_input_bytes = size_t{512} << 20;
  // Real pprof compresses 2-20x; deflate cannot exceed ~1032:1, so the ratio cap must sit
  // well below that to mean anything.
  DecompressLimits decompress{.max_output_bytes = size_t{1} << 30, .max_ratio = 250};
  size_t max_samples = 20'000'000;
  size_t max_locations = 10'000'000;
  size_t max_functions = 10'000'000;
  size_t max_mappings = 1'000'000;
  size_t max_strings = 20'000'000;
  size_t max_sample_types = 64;
  size_t max_string_bytes = size_t{1} << 20;  // One string.
  size_t max_stack_depth = 8192;
  size_t max_lines_per_location = 1024;
  size_t max_labels_per_sample = 1024;
};

// Decodes a pprof profile, gzip-compressed or not (detected by the gzip magic).
absl::StatusOr<Profile> DecodePprof(std::string_view data, const PprofLimits& limits = {});
// Decodes an uncompressed pprof protobuf.
absl::StatusOr<Profile> DecodePprofUncompressed(std::string_view data,
                                                const PprofLimits& limits = {});

// Encodes to an uncompressed protobuf. The string table is written as it is in the model.
std::string EncodePprof(const Profile& p);
// Encodes and gzips (pprof's on-disk form).
std::string EncodePprofGzip(const Profile& p, int level = 6);

}  // namespace hearth::profile
