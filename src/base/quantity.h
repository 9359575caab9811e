#pragma once

// Quantities as people write them in flags, config files and query strings.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace hearth {

// Go-style durations, with days and weeks: "1h30m", "15s", "250ms", "2d", "1w", "-5m" ->
// nanoseconds. Units: ns, us (µs), ms, s, m, h, d, w.
absl::StatusOr<int64_t> ParseDuration(std::string_view text);

// Sizes: "256MiB", "4MB", "1.5k", "1048576" -> bytes. k/m/g and KiB/MiB/GiB are powers of
// 1024; kB/MB/GB are powers of 1000.
absl::StatusOr<uint64_t> ParseBytes(std::string_view text);

}  // namespace hearth
