#pragma once

// The legacy text heap profile, shared by gperftools (`@ heapprofile`, `@ heap_v2/N`) and
// Go's debug=1 heap profile (`@ heap/N`, with `#` symbol comments), read with pprof's rules
// (legacy_profile.go parseHeap):
//
//   heap profile: 1414: 636744 [ 33902: 319102566] @ heapprofile     header: totals, sampler
//      1: 4096 [  1: 4096] @ 0x7f8e542938cc 0x7f8e542a10a0 ...        inuse n: bytes [alloc n:
//      bytes]
//   #	0x68414f	main.appendHistory+0x4f	/src/main.go:54          (Go only) symbols
//   MAPPED_LIBRARIES: / --- Memory map: ---                            then /proc/self/maps
//
// Sample types: alloc_objects, alloc_space, inuse_objects, inuse_space when the alloc totals
// differ from the inuse ones, else objects, space. Sampled variants are unsampled:
// heap_v2/N and heapz_v2/N with rate N, Go's heap/N with rate N/2, each value scaled by
// 1 / (1 - exp(-avg_size / rate)). Numeric label "bytes" = the block size. Every address
// is adjusted by -1 (return address -> call).
//
// Internal to src/formats.

#include <string_view>

#include "absl/status/statusor.h"
#include "formats/legacy_common.h"
#include "profile/profile.h"

namespace hearth::formats::legacy {

// Whether the first line is a heap profile header ("heap profile: N: N [N: N] @ heap...",
// or the growthz / fragmentationz variants).
bool IsHeapHeader(std::string_view first_line);

// `what` names the format in errors ("gperftools heap", "go heap").
absl::StatusOr<profile::Profile> ParseLegacyHeap(std::string_view data, const TextLimits& limits,
                                                 std::string_view what);

}  // namespace hearth::formats::legacy
