#pragma once

// gperftools' legacy profiles, converted the way pprof converts them (legacy_profile.go), so
// the result equals `go tool pprof -proto` of the same file (unsymbolized: these files
// carry addresses and a memory map only; src/symbolize names the frames later).
//
// CPU profile (libprofiler, CPUPROFILE=...), binary, in native words (4 or 8 bytes, either
// byte order; the header tells which):
//
//   header   0 | 3 | 0 | period (µs) | 0
//   record   count | n | pc[0] (leaf) ... pc[n-1]          repeated
//   trailer  0 | 1 | 0
//   text     /proc/self/maps of the process
//
//   -> sample types samples/count, cpu/nanoseconds; period type cpu/nanoseconds; every
//      non-leaf address -1 (return address -> call); the second frame removed when (nearly)
//      every sample has the same one there (the signal handler's frame; twice at most);
//      a leaf duplicated by the unwinder removed; drop_frames = the profiler's own frames.
//
// Heap profile (tcmalloc, HEAPPROFILE=...), text: see formats/legacy_heap.h.
//
// Every read is bounded (the fields of GperftoolsOptions); errors name the record or line.

#include <string_view>

#include "absl/status/statusor.h"
#include "profile/profile.h"

namespace hearth::formats {

struct GperftoolsOptions {
  size_t max_input_bytes = size_t{1} << 30;
  size_t max_frames = 8192;         // Addresses per record.
  size_t max_records = 10'000'000;  // CPU records or heap sample lines.
  size_t max_line_bytes = size_t{1} << 20;
  size_t max_map_lines = 100'000;
};

absl::StatusOr<profile::Profile> ParseGperftoolsCpu(std::string_view data,
                                                    const GperftoolsOptions& o = {});
absl::StatusOr<profile::Profile> ParseGperftoolsHeap(std::string_view data,
                                                     const GperftoolsOptions& o = {});
// Either of the two, by content.
absl::StatusOr<profile::Profile> ParseGperftools(std::string_view data,
                                                 const GperftoolsOptions& o = {});

// The 5-word CPU header in one of the four word encodings.
bool LooksLikeGperftoolsCpu(std::string_view data);
// A heap header on the first line (any variant pprof reads, Go's "@ heap/N" included).
bool LooksLikeGperftoolsHeap(std::string_view data);
bool LooksLikeGperftools(std::string_view data);

}  // namespace hearth::formats
