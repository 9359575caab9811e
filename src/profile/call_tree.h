#pragma once

// Aggregation of a profile into a call tree: one node per distinct path of frames from the
// root, with self and total values for one sample type. This is the shape flame graphs,
// folded stacks and storage rollups need.
//
//            root (total = sum of all samples)
//           /    \    (node 0; its parent is itself)
//        main    runtime.gcBgMarkWorker
//        /   \    (children in insertion order)
//    handle  compute            node = (parent, frame); total = self + children's totals
//
// A frame is a function name at function granularity, with inlined lines expanded (each
// Line is a frame, outermost first when walking from the root).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "profile/profile.h"

namespace hearth::profile {

class CallTree {
 public:
  struct Node {
    uint32_t parent = 0;  // Node 0 is the root; its parent is itself.
    uint32_t name = 0;    // Index into names().
    int64_t self = 0;
    int64_t total = 0;
  };

  // Builds the tree for values[value_index]; samples whose value is 0 add nothing. Frames
  // are named by FrameName().
  static CallTree Build(const Profile& p, size_t value_index);

  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<std::string>& names() const { return names_; }
  // Children of each node, in insertion order.
  std::vector<std::vector<uint32_t>> Children() const;

  // Brendan Gregg's folded format: one line per node with self != 0, "root;...;leaf value",
  // lines sorted bytewise (like `LC_ALL=C sort`).
  std::string ToFolded() const;

 private:
  std::vector<Node> nodes_;
  std::vector<std::string> names_;
  // (parent << 32 | name) -> child node.
  absl::flat_hash_map<uint64_t, uint32_t> child_index_;
};

// The frame name of a location line: the function name; for a frame without one, the
// address as `pprof -raw` prints it ("0x4567", what folded stacks made from raw output
// show), else "[binary]" from the mapping file (pprof's name once addresses are aggregated
// away), else "<unknown>". `line` may be null for a location without lines.
std::string FrameName(const Profile& p, const Location& loc, const Line* line);

}  // namespace hearth::profile
