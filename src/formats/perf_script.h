#pragma once

// `perf script` text (default fields) -> Profile.
//
//   perf_workload  6823  2090.825292:   10101010 cpu-clock:ppp:        header: comm [pid/]tid
//           11f6 cmp_int+0xd (/opt/fixtures-work/perf_workload)         [cpu] time: [period] event:
//          3fbfb msort_with_tmp+0x29b (inlined)                        frames, leaf first:
//          3fd35 __GI___qsort_r+0xb5 (/usr/lib/x86_64-linux-gnu/libc.so.6)   addr sym[+off] (dso)
//   ffffffff8225fd19 [unknown] ([kernel.kallsyms])
//                                                                       blank line ends an event
//
// Without a call graph perf prints one line per event, the frame after "event:" (and the
// comm right-aligned); that form is read too.
//
// The profile:
//  - sample types samples/count and the event's period: cpu/nanoseconds for cpu-clock and
//    task-clock (their period is in ns), else events/count; a missing period counts 1.
//    Period type = the second sample type, period = the first event's.
//  - only the first event type in the input (as stackcollapse-perf does), or
//    PerfScriptOptions::event; a comment names the event and how many samples were skipped.
//  - string labels comm, tid and (when printed as pid/tid) pid. Strings, not numbers: they
//    identify threads and processes, like the pid/comm labels of Parca's and Pyroscope's
//    agents, and are what tag filters and series selectors match.
//  - locations: address + one mapping per dso (mapping file = dso), function = symbol
//    without "+0x<off>". perf prints a user address relative to its dso's file (ip - map
//    start + file offset; kernel addresses as they are), so each mapping has start 0, file
//    offset 0 and limit 2^64-1: a location's address is then already the file offset a
//    symbolizer looks up.
//    "[unknown]" symbols give address-only locations, so a symbolizer can name them later.
//    A mapping whose locations are all named gets has_functions.
//  - "(inlined)" frames (DWARF unwinding, perf's inline expansion) start a location that
//    continues through the following frames at the same address, up to and including the
//    real frame there: one location, several lines, innermost first, as pprof models
//    inlining. perf also marks a frame "(inlined)" when the DWARF name of the function
//    differs from the symbol (e.g. a .part.0 clone); such a group has no real frame, and no
//    mapping, since its dso is not printed.
//  - duration = last event time - first event time (perf times are since boot, so no
//    absolute time is set).
//
// Reading is bounded (input size, line length, frames per event, events); errors name the
// line. The hot path allocates nothing per line: frames are looked up by their text.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "profile/profile.h"

namespace hearth::formats {

struct PerfScriptOptions {
  // Keep only samples of this event ("cpu-clock" also matches "cpu-clock:ppp"); "" keeps
  // the first event type in the input.
  std::string event;
  size_t max_input_bytes = size_t{4} << 30;
  size_t max_line_bytes = size_t{1} << 16;
  size_t max_frames = 8192;  // Per event.
  size_t max_samples = 500'000'000;
};

absl::StatusOr<profile::Profile> ParsePerfScript(std::string_view data,
                                                 const PerfScriptOptions& o = {});

// True if the first line that is not blank or a '#' comment is a perf script event header
// with a time stamp.
bool LooksLikePerfScript(std::string_view data);

}  // namespace hearth::formats
