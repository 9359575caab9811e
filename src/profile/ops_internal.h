#pragma once

// Helpers shared by ops.cc and merge.cc; not part of the profile API.

#include <cmath>
#include <cstdint>
#include <limits>

namespace hearth::profile::internal {

// int64(math.Round(float64(v) * ratio)) as Go computes it on amd64: halves round away from
// zero, and a result outside int64 (or NaN) becomes INT64_MIN, which is what the CPU's
// conversion yields there, instead of C++'s undefined behaviour.
inline int64_t ScaleRounded(int64_t v, double ratio) {
  double x = std::round(static_cast<double>(v) * ratio);
  if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0)) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(x);
}

// int64(f) for Go's float-to-int conversion (truncation toward zero), same overflow rule.
inline int64_t TruncToInt64(double x) {
  if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0)) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(x);
}

}  // namespace hearth::profile::internal
