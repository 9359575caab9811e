#pragma once

// The payload of a WAL append record: everything needed to redo one Head::Append.
//
//   u8 version (1) | tenant | ts_ns (zigzag) | nlabels | (name, value)* | format (u8) | bytes
//
// (strings are varint length + bytes). The profile is stored as pprof: either the bytes the
// producer sent (format 1: pprof as received, gzipped or not) or, when there are none,
// encoded here and compressed with zstd at a fast level (format 0: varint raw size, then
// zstd). Either way it is decoded by the same bounded decoder as network input.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "profile/profile.h"
#include "storage/schema.h"

namespace hearth::storage {

inline constexpr uint8_t kWalAppendRecord = 1;

// `pprof`: the original bytes of `p`, or empty to encode `p`.
std::string EncodeAppendRecord(std::string_view tenant, const Labels& labels, int64_t ts_ns,
                               const profile::Profile& p, std::string_view pprof = {});

struct DecodedAppend {
  std::string tenant;
  Labels labels;
  int64_t ts_ns = 0;
  profile::Profile profile;
};
absl::StatusOr<DecodedAppend> DecodeAppendRecord(std::string_view payload);

}  // namespace hearth::storage
