#pragma once

// Time arguments as users type them (and as Pyroscope accepts them):
//   now, now-1h, now-30m15s          relative to `now_ns`
//   1764142538 / …538123 / …538123456 / …538123456789
//                                    unix seconds / ms / µs / ns, told apart by length
//   20261126                         a date (UTC midnight)
//   2026-11-26T07:35:38Z, 2026-11-26T07:35:38.52+01:00, 2026-11-26 07:35:38
//                                    RFC 3339 (a missing zone means UTC)
// Durations (the part after now-): base/quantity.h.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace hearth::query {

absl::StatusOr<int64_t> ParseTime(std::string_view text, int64_t now_ns);

}  // namespace hearth::query
