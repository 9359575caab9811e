#pragma once

// Reading a profile in any supported encoding, detected by content:
//
//   pprof            gzipped or raw perftools.profiles.Profile
//   folded           root;...;leaf count                 (Brendan Gregg, stackcollapse-*)
//   perf-script      `perf script` text
//   gperftools       legacy binary CPU profile / text heap profile
//   go-legacy        Go debug=1 text: heap, goroutine, threadcreate, block, mutex
//   v8-cpuprofile    Node --cpu-prof / Chrome DevTools .cpuprofile JSON
//   v8-heapprofile   Node --heap-prof .heapprofile JSON
//   speedscope       speedscope JSON (sampled and evented)
//   jfr              JDK Flight Recorder (one kind of event: cpu by default)
//   otlp             OTLP Profiles ExportProfilesServiceRequest, binary or (otlp-json) JSON;
//                    the request's profiles merged and joined into one (OtlpRequestToProfile)
//
// Any of them may be gzipped.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "formats/folded.h"
#include "formats/jfr.h"
#include "formats/otlp.h"
#include "formats/perf_script.h"
#include "profile/pprof_codec.h"
#include "profile/profile.h"

namespace hearth::formats {

enum class Format {
  kUnknown,
  kPprof,
  kFolded,
  kPerfScript,
  kGperftools,
  kGoLegacy,
  kV8CpuProfile,
  kV8HeapProfile,
  kSpeedscope,
  kJfr,
  kOtlp,  // binary, or JSON when the input starts with '{'
  kOtlpJson,
};

std::string_view FormatName(Format f);
absl::StatusOr<Format> ParseFormatName(std::string_view name);
// "pprof, folded, perf-script, ..." for help texts and errors.
std::string FormatNames();

// Guesses the format of (uncompressed) `data`.
Format DetectFormat(std::string_view data);

struct ParseOptions {
  Format format = Format::kUnknown;  // kUnknown: detect.
  profile::PprofLimits pprof;
  FoldedOptions folded;
  PerfScriptOptions perf;
  JfrOptions jfr;
  OtlpLimits otlp;
};

// Parses `data` (gzipped or not); the error says which format was tried or that none
// matched.
absl::StatusOr<profile::Profile> ParseProfile(std::string_view data, const ParseOptions& o = {});

}  // namespace hearth::formats
