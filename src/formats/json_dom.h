#pragma once

// Shared plumbing for the JSON profile readers (V8, speedscope): a bounded simdjson DOM parse
// and number conversions that tolerate how JavaScript writes numbers.
//
// simdjson is used through its error-code API only (`.get(x)` returns an error_code), so
// nothing here throws. The DOM keeps strings unescaped in the parser's buffer: the
// string_views handed out stay valid until the parser parses again or is destroyed.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace hearth::formats::json {

using Element = simdjson::dom::element;

// Parses `data` (copied once into simdjson's padded buffer) with at most `max_depth` levels
// of nesting. Inputs over `max_bytes` are refused before any work. Errors start with `what`
// ("cpuprofile: ...") and say which limit or what syntax error.
absl::StatusOr<Element> Parse(simdjson::dom::parser& parser, std::string_view data,
                              size_t max_bytes, size_t max_depth, std::string_view what);

// An integer. JavaScript writers may emit integral doubles (`12.0`, `1e3`); those are
// accepted when exact and in range. False for anything else (fractions, strings, ...).
bool GetInt(Element e, int64_t* out);

// Any number, rounded to the nearest integer; false if not a number or out of int64 range.
bool GetRoundedInt(Element e, int64_t* out);

// Any number.
bool GetNumber(Element e, double* out);

// The number of elements. simdjson's array::size() saturates at 2^24 - 1 (its tape keeps 24
// bits); past that this counts them.
size_t Size(simdjson::dom::array a);

// "an object", "an array", "a string", "a number", "a boolean" or "null": for error
// messages ("x is a string, want a number").
std::string_view Describe(Element e);

// True if `data`, after leading whitespace, starts with `c` ('{' or '[').
bool StartsWithJson(std::string_view data, char c);

// True if `"key"` followed by optional whitespace and ':' occurs in `data`: a cheap,
// parse-free test for an object key (used by the LooksLike* sniffers).
bool HasKey(std::string_view data, std::string_view key);

}  // namespace hearth::formats::json
