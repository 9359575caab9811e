#include "formats/json_dom.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace hearth::formats::json {
namespace {

// Doubles in [-2^63, 2^63) convert to int64 without overflow.
constexpr double kInt64Bound = 9223372036854775808.0;

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

absl::StatusOr<Element> Parse(simdjson::dom::parser& parser, std::string_view data,
                              size_t max_bytes, size_t max_depth, std::string_view what) {
  // A UTF-8 byte order mark is not JSON, but Windows editors and some tools write one.
  if (data.substr(0, 3) == "\xEF\xBB\xBF") data.remove_prefix(3);
  if (data.size() > max_bytes) {
    return absl::ResourceExhaustedError(fmt::format(
        "{}: input is {} bytes, over the limit of {} bytes", what, data.size(), max_bytes));
  }
  // Sized to this document: simdjson's capacity is in bytes of input, and its depth limit
  // bounds the parser's own stacks (the DOM build is iterative, so depth never recurses).
  if (simdjson::error_code err = parser.allocate(std::max<size_t>(data.size(), 64), max_depth)) {
    return absl::ResourceExhaustedError(
        fmt::format("{}: cannot allocate the JSON parser: {}", what, simdjson::error_message(err)));
  }
  Element root;
  simdjson::error_code err = parser.parse(data.data(), data.size()).get(root);
  if (err == simdjson::DEPTH_ERROR) {
    return absl::InvalidArgumentError(
        fmt::format("{}: JSON nested deeper than the limit of {} levels", what, max_depth));
  }
  if (err) {
    return absl::InvalidArgumentError(
        fmt::format("{}: invalid JSON: {}", what, simdjson::error_message(err)));
  }
  return root;
}

bool GetInt(Element e, int64_t* out) {
  if (e.type() == simdjson::dom::element_type::DOUBLE) {
    double d;
    if (e.get(d) || !(d >= -kInt64Bound && d < kInt64Bound) || std::trunc(d) != d) return false;
    *out = static_cast<int64_t>(d);
    return true;
  }
  return !e.get_int64().get(*out);
}

bool GetRoundedInt(Element e, int64_t* out) {
  if (e.type() == simdjson::dom::element_type::DOUBLE) {
    double d;
    if (e.get(d)) return false;
    d = std::nearbyint(d);
    if (!(d >= -kInt64Bound && d < kInt64Bound)) return false;
    *out = static_cast<int64_t>(d);
    return true;
  }
  return !e.get_int64().get(*out);
}

bool GetNumber(Element e, double* out) { return !e.get_double().get(*out); }

size_t Size(simdjson::dom::array a) {
  size_t n = a.size();
  if (n < 0xFFFFFF) return n;
  n = 0;
  for ([[maybe_unused]] Element e : a) ++n;
  return n;
}

std::string_view Describe(Element e) {
  using T = simdjson::dom::element_type;
  switch (e.type()) {
    case T::ARRAY: return "an array";
    case T::OBJECT: return "an object";
    case T::INT64:
    case T::UINT64:
    case T::DOUBLE: return "a number";
    case T::STRING: return "a string";
    case T::BOOL: return "a boolean";
    case T::NULL_VALUE: return "null";
  }
  return "an unknown value";
}

bool StartsWithJson(std::string_view data, char c) {
  size_t i = 0;
  // A UTF-8 byte order mark is not JSON, but editors add it; tolerate it when sniffing.
  if (data.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < data.size() && IsJsonSpace(data[i])) ++i;
  return i < data.size() && data[i] == c;
}

bool HasKey(std::string_view data, std::string_view key) {
  std::string quoted = fmt::format("\"{}\"", key);
  for (size_t pos = data.find(quoted); pos != std::string_view::npos;
       pos = data.find(quoted, pos + 1)) {
    size_t i = pos + quoted.size();
    while (i < data.size() && IsJsonSpace(data[i])) ++i;
    if (i < data.size() && data[i] == ':') return true;
  }
  return false;
}

}  // namespace hearth::formats::json
