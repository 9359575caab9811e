#pragma once

// The comments Go writes under each record of a debug=1 text profile, which let those
// profiles come out symbolized without the binary:
//
//   1 @ 0x43b256 0x44c0de 0x683ff9 0x683fd5 0x46b181         record: return addresses
//   # labels: {"endpoint":"/api/search", "worker":"1"}        pprof labels (goroutine only)
//   #	0x683ff8	sync.(*Mutex).Lock+0x38		/src/sync/mutex.go:90
//   #	0x683fd4	main.waiter.func1+0x14		/src/main.go:99
//        pc (= address - 1)  function+offset from the physical function's entry   file:line
//
// Go prints one comment per frame, but hides leading runtime.* frames in heap and goroutine
// records (unless every frame is runtime.*) and always hides runtime.goexit. Inlined calls
// appear as separate addresses whose comments share the entry (pc - offset) of the function
// they were inlined into; the debug=0 proto makes them one location with several lines.
//
// Internal to src/formats.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "formats/legacy_common.h"
#include "profile/builder.h"

namespace hearth::formats::legacy {

class GoStackSymbols {
 public:
  explicit GoStackSymbols(profile::ProfileBuilder& b) : b_(b) {}

  // If `line` (without leading blanks) is a symbol comment "#\t0x<pc>...", remembers it for
  // the current record and returns true. Other lines are left alone.
  bool AddComment(std::string_view line);
  bool has_comments() const { return !comments_.empty(); }

  // Appends the frames of a record whose addresses (as printed, leaf first) are `addrs`,
  // using and then forgetting the comments collected since the last call. Every frame's
  // address is the printed one minus 1 (pprof's adjustment; it is also Go's pc). Frames
  // Go hid at the leaf end are dropped when `drop_hidden_leaf_frames` (the debug=0 heap
  // profile drops them too), else kept unsymbolized; runtime.goexit at the root is dropped
  // as the debug=0 writer does. Without comments every address is kept, unsymbolized.
  void EmitFrames(std::span<const uint64_t> addrs, bool drop_hidden_leaf_frames, RecordSet& out);

 private:
  struct Comment {
    uint64_t pc = 0;
    uint64_t entry = 0;  // pc - offset: the physical function's entry.
    uint32_t function = profile::kNone;
    int64_t line = 0;
  };

  profile::ProfileBuilder& b_;
  std::vector<Comment> comments_;
  // Per address of the record: [begin, end) into comments_, end == begin if unmatched.
  std::vector<uint32_t> begin_, end_;
  std::vector<profile::Line> lines_;
  absl::flat_hash_map<uint64_t, uint32_t> last_match_;  // pc -> last address index.
};

// Parses "# labels: {"k":"v", ...}" (Go-quoted keys and values) into string labels. False
// if the line is not such a comment or is malformed.
bool ParseGoLabels(std::string_view line, profile::ProfileBuilder& b,
                   std::vector<profile::Label>* out);

}  // namespace hearth::formats::legacy
