#pragma once

// speedscope's file format (https://www.speedscope.app/file-format-schema.json):
//
//   {"$schema": "https://www.speedscope.app/file-format-schema.json",
//    "shared": {"frames": [{"name": "main", "file": "a.c", "line": 3, "col": 1}, ...]},
//    "profiles": [
//      {"type": "sampled", "name": "...", "unit": "nanoseconds", "startValue": 0, "endValue": 9,
//       "samples": [[0, 1, 2], [0, 3]],      <- frame indices, ROOT FIRST
//       "weights": [5, 4]},                  <- one per sample, in `unit`
//      {"type": "evented", "name": "...", "unit": "milliseconds", "startValue": 0, "endValue": 9,
//       "events": [{"type": "O", "frame": 0, "at": 0}, {"type": "C", "frame": 0, "at": 9}]}],
//    "name": "...", "activeProfileIndex": 0, "exporter": "..."}
//
// Reading. The unit decides the one sample type:
//   none -> samples/count; bytes -> space/bytes;
//   nanoseconds|microseconds|milliseconds|seconds -> <time_type>/nanoseconds (converted,
//   rounded to the nearest ns; time_type defaults to "cpu").
// A sampled profile gives one sample per entry (equal stacks merge). An evented profile gives
// one sample per distinct stack, weighted with the time that exact stack was open (time
// between consecutive events, attributed to the stack open in between); its events must have
// non-decreasing `at`, close the frame on top of the stack, and leave nothing open.
// Several profiles (typically threads) are read together into one Profile, each sample
// labelled `<profile_label>` = the profile's name ("profile <i>" if unnamed); they must then
// agree on the sample type. `profile_index` reads just one profile instead, unlabelled.
// Frames become functions (name, file, start line = line) with one line {line, col}.
//
// Writing. One sample type of a Profile becomes sampled profiles with a shared, deduplicated
// frame table. A frame is a function at function granularity: (name, file, function start
// line), with inlined frames expanded (outermost first, as a caller would see them);
// location lines within a function are not kept, as speedscope's own pprof importer does.
// Weights are the values as they are, in the sample type's unit when speedscope knows it
// (nanoseconds ... seconds, bytes), else unit "none". By default one profile holds every
// sample, one entry per Profile sample in order; with group_by_label, one profile per
// distinct value of that string label (in order of first appearance; samples without it go
// to a profile named "(no <label>)"). Negative values cannot be drawn and are an error.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "profile/profile.h"

namespace hearth::formats {

inline constexpr std::string_view kSpeedscopeSchema =
    "https://www.speedscope.app/file-format-schema.json";

struct SpeedscopeOptions {
  size_t max_input_bytes = size_t{512} << 20;
  size_t max_frames = 10'000'000;
  size_t max_profiles = 100'000;
  // Sampled samples plus evented events, over all profiles read.
  size_t max_samples = 100'000'000;
  size_t max_stack_depth = 4096;
  // Sum of stack depths over the samples of the result.
  size_t max_output_frames = size_t{64} << 20;
  // -1 reads every profile; otherwise just profiles[profile_index].
  int64_t profile_index = -1;
  // The label telling several profiles apart; "" merges them unlabelled.
  std::string profile_label = "thread";
  // The `type` of the sample type for time units.
  std::string time_type = "cpu";
};

absl::StatusOr<profile::Profile> ParseSpeedscope(std::string_view data,
                                                 const SpeedscopeOptions& o = {});

// True if the input is a JSON object whose "$schema" is speedscope's.
bool LooksLikeSpeedscope(std::string_view data);

struct SpeedscopeWriteOptions {
  // The sample type to write, as pprof's -sample_index takes it: "" = the default type,
  // a number = an index, a name = a type (see profile::SampleIndexByName).
  std::string sample_index;
  // The file's "name" (shown as the title); profiles are named after the sample type when
  // this is empty.
  std::string name;
  // A string label key: one profile per value. "" writes a single profile.
  std::string group_by_label;
};

absl::StatusOr<std::string> WriteSpeedscope(const profile::Profile& p,
                                            const SpeedscopeWriteOptions& o = {});

}  // namespace hearth::formats
