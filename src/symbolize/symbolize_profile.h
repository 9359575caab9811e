#pragma once

// Symbolizing a whole profile in place, the way `pprof -symbolize=local` does:
//
//   for each mapping: the distinct addresses of its locations that need names
//     ──► Symbolizer::Symbolize(module, addresses)  (one call per mapping)
//     ──► each such location's lines := the frames, innermost first
//         (functions de-duplicated by name, system name, file, start line)
//     ──► mapping has_functions / has_filenames / has_line_numbers / has_inline_frames
//
// A location needs names when it has a mapping and a nonzero address and no line with a
// named function (a producer may have left file:line without names, as Go's pprof does
// for C++ binaries; those lines are replaced). Named locations are left alone unless
// `force`. Addresses are used as they are: gperftools and legacy converters already
// subtracted 1 from non-leaf return addresses, so nothing is subtracted here.
//
// Nothing about the binaries is fatal: a mapping without usable symbols gets
// `module+0xoffset` names (unless fallback_names is off) and its reason in the report.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "profile/profile.h"
#include "symbolize/local_symbolizer.h"
#include "symbolize/symbolizer.h"

namespace hearth::symbolize {

struct Options {
  // Files and tables, for the overload that builds its own LocalSymbolizer.
  LocalSymbolizerOptions local;
  // Re-symbolize locations that already have names (pprof's -symbolize=force); a location
  // keeps its old lines if the new attempt finds nothing real.
  bool force = false;
  // Name unknown addresses `module+0xoffset`; off leaves such locations without lines.
  bool fallback_names = true;
};

struct MappingReport {
  uint32_t mapping = 0;   // Index into Profile::mappings.
  std::string file;       // The mapping's file name.
  std::string source;     // What answered (the opened file), "" if nothing.
  absl::Status status;    // Why symbols were missing, OK if the module was readable.
  size_t addresses = 0;   // Distinct addresses asked for.
  size_t symbolized = 0;  // Of those, how many got real frames.
};

struct Report {
  std::vector<MappingReport> mappings;
  size_t locations_updated = 0;
};

// Symbolizes with a LocalSymbolizer built from options.local. Fails only on an invalid
// profile (see profile::Validate).
absl::StatusOr<Report> SymbolizeProfile(profile::Profile& p, const Options& options);

// The same with any Symbolizer (the server's, a test fake); options.local is unused.
absl::StatusOr<Report> SymbolizeProfile(profile::Profile& p, Symbolizer& symbolizer,
                                        const Options& options);

}  // namespace hearth::symbolize
