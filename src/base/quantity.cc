#include "base/quantity.h"

#include <cctype>

#include "base/fmt.h"
#include "base/strings.h"

namespace hearth {
namespace {

constexpr int64_t kNs = 1, kUs = 1000, kMs = 1000000, kS = 1000000000;

// The length of the number ("12", "1.5") at the start of `s`.
size_t NumberLength(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && ((s[n] >= '0' && s[n] <= '9') || s[n] == '.')) ++n;
  return n;
}

}  // namespace

absl::StatusOr<int64_t> ParseDuration(std::string_view text) {
  std::string_view s = TrimSpace(text);
  if (s.empty()) return absl::InvalidArgumentError("empty duration");
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int64_t total = 0;
  while (!s.empty()) {
    const size_t n = NumberLength(s);
    double v;
    if (n == 0 || !ParseDouble(s.substr(0, n), &v)) {
      return absl::InvalidArgumentError(fmt::format("bad duration \"{}\": expected a number", text));
    }
    s.remove_prefix(n);
    size_t u = 0;
    while (u < s.size() && std::isalpha(static_cast<unsigned char>(s[u]))) ++u;
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    int64_t scale;
    if (unit == "ns") scale = kNs;
    else if (unit == "us" || unit == "µs") scale = kUs;
    else if (unit == "ms") scale = kMs;
    else if (unit == "s") scale = kS;
    else if (unit == "m") scale = 60 * kS;
    else if (unit == "h") scale = 3600 * kS;
    else if (unit == "d") scale = 86400 * kS;
    else if (unit == "w") scale = 7 * 86400 * kS;
    else {
      return absl::InvalidArgumentError(fmt::format(
          "bad duration \"{}\": unknown unit \"{}\" (use ns, us, ms, s, m, h, d, w)", text, unit));
    }
    const double ns = v * static_cast<double>(scale);
    // ~292 years fit in int64 nanoseconds; beyond is a typo, and converting it is undefined.
    if (ns >= 9.2e18 || static_cast<double>(total) + ns >= 9.2e18) {
      return absl::InvalidArgumentError(fmt::format("bad duration \"{}\": too long", text));
    }
    total += static_cast<int64_t>(ns);
  }
  return neg ? -total : total;
}

absl::StatusOr<uint64_t> ParseBytes(std::string_view text) {
  std::string_view s = TrimSpace(text);
  const size_t n = NumberLength(s);
  double v;
  if (n == 0 || !ParseDouble(s.substr(0, n), &v)) {
    return absl::InvalidArgumentError(fmt::format("\"{}\" is not a size like 64MiB", text));
  }
  const std::string unit = AsciiLower(TrimSpace(s.substr(n)));
  double mult;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "kib" || unit == "k") mult = 1024.0;
  else if (unit == "mib" || unit == "m") mult = 1024.0 * 1024;
  else if (unit == "gib" || unit == "g") mult = 1024.0 * 1024 * 1024;
  else if (unit == "kb") mult = 1e3;
  else if (unit == "mb") mult = 1e6;
  else if (unit == "gb") mult = 1e9;
  else return absl::InvalidArgumentError(fmt::format("\"{}\": unknown size unit \"{}\"", text, unit));
  return static_cast<uint64_t>(v * mult);
}

}  // namespace hearth
