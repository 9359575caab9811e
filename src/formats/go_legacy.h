#pragma once

// Go's legacy text profiles (runtime/pprof WriteTo(w, 1), /debug/pprof/<name>?debug=1),
// read with pprof's rules (legacy_profile.go) and symbolized from the `#` comments Go writes
// under each record (see formats/go_symbols.h), so the result looks like the debug=0 proto
// of the same moment: locations with function, file and line, inlined calls folded into
// one location, runtime.goexit dropped.
//
//   heap profile: 3289: 53476120 [7213: 960067328] @ heap/131072     heap (formats/legacy_heap.h)
//   goroutine profile: total 1772                                     goroutine, threadcreate:
//   553 @ 0x43b256 0x407e5b 0x407998 0x683d9f 0x46b181                  count @ stack
//   # labels: {"endpoint":"/api/search", "worker":"1"}                  -> string labels
//   --- mutex:   /  --- contention:                                     mutex, block:
//   cycles/second=2096016978                                            header attributes
//   sampling period=1
//   7661346609 19393 @ 0x4719e9 0x674be2 0x674f91 0x46b2e1              cycles count @ stack
//
// Sample types are pprof's: <name>/count for count profiles; contentions/count and
// delay/nanoseconds (cycles / (cycles/second / 1e9) * period) for contention profiles.
// Records with no addresses ("6 @", threadcreate) are kept with an empty stack (pprof
// rejects them; the debug=0 proto keeps them as location-less samples). Frames Go hid at
// the leaf end of goroutine records (leading runtime.* functions) stay, unsymbolized, with
// their address; the heap reader drops them as Go's own debug=0 heap writer does.
//
// Every read is bounded (the fields of GoLegacyOptions); errors name the line.

#include <string_view>

#include "absl/status/statusor.h"
#include "profile/profile.h"

namespace hearth::formats {

struct GoLegacyOptions {
  size_t max_input_bytes = size_t{1} << 30;
  size_t max_line_bytes = size_t{1} << 20;
  size_t max_frames = 8192;         // Addresses per record.
  size_t max_records = 10'000'000;  // Record lines.
  size_t max_map_lines = 100'000;
};

enum class GoLegacyKind { kUnknown, kHeap, kCount, kContention };

// Which of Go's text formats `data` starts with.
GoLegacyKind DetectGoLegacyKind(std::string_view data);

absl::StatusOr<profile::Profile> ParseGoLegacy(std::string_view data,
                                               const GoLegacyOptions& o = {});

bool LooksLikeGoLegacy(std::string_view data);

}  // namespace hearth::formats
