#include "query/time.h"

#include <fmt/format.h>

#include <cctype>
#include <ctime>

#include "base/quantity.h"
#include "base/strings.h"

namespace hearth::query {
namespace {

constexpr int64_t kNs = 1, kUs = 1000, kMs = 1000000, kS = 1000000000;

absl::Status Bad(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("bad time \"{}\": {}", text, why));
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t n, int* out) {
  if (s.size() < n) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

absl::StatusOr<int64_t> ParseRfc3339(std::string_view text) {
  std::string_view s = text;
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 4, &y) || s.size() < 10 || s[4] != '-' || !Digits(s.substr(5), 2, &mo) ||
      s[7] != '-' || !Digits(s.substr(8), 2, &d)) {
    return Bad(text, "expected YYYY-MM-DD");
  }
  s.remove_prefix(10);
  int64_t frac_ns = 0;
  if (!s.empty() && (s[0] == 'T' || s[0] == 't' || s[0] == ' ')) {
    s.remove_prefix(1);
    if (s.size() < 8 || !Digits(s, 2, &h) || s[2] != ':' || !Digits(s.substr(3), 2, &mi) ||
        s[5] != ':' || !Digits(s.substr(6), 2, &sec)) {
      return Bad(text, "expected hh:mm:ss after the date");
    }
    s.remove_prefix(8);
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      int64_t scale = 100000000;
      size_t n = 0;
      while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) {
        if (scale > 0) frac_ns += (s[n] - '0') * scale;
        scale /= 10;
        ++n;
      }
      if (n == 0) return Bad(text, "expected digits after '.'");
      s.remove_prefix(n);
    }
  }
  int64_t offset_s = 0;
  if (s == "Z" || s == "z" || s.empty()) {
    s = {};
  } else if (s[0] == '+' || s[0] == '-') {
    int oh, om;
    if (s.size() != 6 || !Digits(s.substr(1), 2, &oh) || s[3] != ':' || !Digits(s.substr(4), 2, &om)) {
      return Bad(text, "expected a zone like Z, +01:00 or -07:30");
    }
    offset_s = (oh * 3600 + om * 60) * (s[0] == '-' ? -1 : 1);
  } else {
    return Bad(text, "unexpected text after the time");
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
    return Bad(text, "field out of range");
  }
  int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  return secs * kS + frac_ns;
}

}  // namespace

absl::StatusOr<int64_t> ParseTime(std::string_view text, int64_t now_ns) {
  std::string_view s = TrimSpace(text);
  if (s.empty()) return Bad(text, "empty");
  if (s.starts_with("now")) {
    std::string_view rest = s.substr(3);
    if (rest.empty()) return now_ns;
    if (rest[0] != '-' && rest[0] != '+') return Bad(text, "expected now-<duration>");
    auto d = ParseDuration(rest);
    if (!d.ok()) return Bad(text, std::string(d.status().message()));
    return now_ns + *d;
  }
  bool all_digits = true;
  for (char c : s) all_digits &= std::isdigit(static_cast<unsigned char>(c)) != 0;
  if (all_digits) {
    int64_t v;
    if (!ParseInt(s, &v)) return Bad(text, "number out of range");
    switch (s.size()) {
      case 8: return ParseRfc3339(fmt::format("{}-{}-{}", s.substr(0, 4), s.substr(4, 2), s.substr(6, 2)));
      case 13: return v * kMs;
      case 16: return v * kUs;
      case 19: return v * kNs;
      default: return v * kS;
    }
  }
  return ParseRfc3339(s);
}

}  // namespace hearth::query
