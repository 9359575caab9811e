#pragma once

// Small string helpers. Debian's Abseil is built with its own absl::string_view (not
// std::string_view), so absl's string utilities don't accept std::string_view: we format
// with {fmt} and keep these few helpers here instead.

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth {

// Splits on every `sep`; "a,,b" -> {"a", "", "b"}; "" -> {""}.
std::vector<std::string_view> Split(std::string_view s, char sep);

std::string_view TrimSpace(std::string_view s);

// ASCII lower case (header names, media types, units); other bytes are kept.
std::string AsciiLower(std::string_view s);

// Whole-string integer parse in base 10 (or 16 with base=16); false on junk or overflow.
template <typename T>
bool ParseInt(std::string_view s, T* out, int base = 10) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

bool ParseDouble(std::string_view s, double* out);

// RFC 4648 base64 with padding.
std::string Base64Encode(std::string_view bytes);
// Standard or URL-safe alphabet, padding optional; false on any other character or an
// impossible length.
bool Base64Decode(std::string_view text, std::string* out);

}  // namespace hearth
