#pragma once

// Brendan Gregg's folded ("collapsed") stacks:
//
//   main;handle;compute 12        root first, frames joined by ';', then a count
//
// The stack is everything before the last space-separated token. Reading is bounded
// (line length, frames per line, lines); a malformed line is an error naming the line.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "profile/profile.h"

namespace hearth::formats {

struct FoldedOptions {
  // The single sample type, as "type/unit".
  std::string sample_type = "samples/count";
  size_t max_line_bytes = size_t{1} << 20;
  size_t max_frames = 8192;
  size_t max_lines = 50'000'000;
};

absl::StatusOr<profile::Profile> ParseFolded(std::string_view text, const FoldedOptions& o = {});

// Writes values[value_index] as folded lines (sorted bytewise), via profile::CallTree.
std::string WriteFolded(const profile::Profile& p, size_t value_index);

// True if the text looks like folded stacks (first non-empty line ends in a number).
bool LooksLikeFolded(std::string_view text);

}  // namespace hearth::formats
