#include "profile/aggregate.h"

#include <fmt/format.h>

namespace hearth::profile {

absl::StatusOr<Granularity> ParseGranularity(std::string_view name) {
  if (name == "functions") return Granularity::kFunctions;
  if (name == "filefunctions") return Granularity::kFileFunctions;
  if (name == "files") return Granularity::kFiles;
  if (name == "lines") return Granularity::kLines;
  if (name == "addresses") return Granularity::kAddresses;
  return absl::InvalidArgumentError(fmt::format(
      "unexpected granularity \"{}\": want functions, filefunctions, files, lines or addresses",
      name));
}

namespace {

// pprof's Profile.Aggregate: each flag says what is kept.
void AggregateFlags(Profile& p, bool inline_frame, bool function, bool filename, bool line_number,
                    bool address) {
  for (Mapping& m : p.mappings) {
    m.has_inline_frames = m.has_inline_frames && inline_frame;
    m.has_functions = m.has_functions && function;
    m.has_filenames = m.has_filenames && filename;
    m.has_line_numbers = m.has_line_numbers && line_number;
  }
  if (!function || !filename) {
    for (Function& f : p.functions) {
      if (!function) {
        f.name = 0;
        f.system_name = 0;
      }
      if (!filename) f.filename = 0;
    }
  }
  if (!inline_frame || !address || !line_number) {
    for (Location& l : p.locations) {
      if (!inline_frame && l.num_lines > 1) {
        // Keep the outermost (caller) line: the last of the innermost-first list.
        l.lines_begin += l.num_lines - 1;
        l.num_lines = 1;
      }
      if (!line_number) {
        // Line ranges may be shared between locations; zeroing twice is harmless.
        for (uint32_t i = 0; i < l.num_lines; ++i) {
          // A column only refines a line, so it goes with it.
          p.lines[l.lines_begin + i].line = 0;
          p.lines[l.lines_begin + i].column = 0;
        }
      }
      if (!address) l.address = 0;
    }
  }
}

}  // namespace

void Aggregate(Profile& p, Granularity g, bool inline_frames) {
  bool function = false, filename = false, line_number = false, address = false;
  switch (g) {
    case Granularity::kAddresses:
      // With inlined frames, addresses are already the finest level: nothing to merge.
      if (inline_frames) return;
      function = filename = line_number = address = true;
      break;
    case Granularity::kLines:
      function = filename = line_number = true;
      break;
    case Granularity::kFiles:
      filename = true;
      break;
    case Granularity::kFunctions:
      function = true;
      break;
    case Granularity::kFileFunctions:
      function = filename = true;
      break;
  }
  AggregateFlags(p, inline_frames, function, filename, line_number, address);
}

}  // namespace hearth::profile
