#pragma once

// Flame graphs in Pyroscope's encodings, built from a merged profile.
//
// FlameTree is Pyroscope's function-name tree: one node per distinct path of function names
// from the root, children sorted by name bytewise (Go's string order), laid out breadth
// first so that every node's children are one contiguous run:
//
//   nodes[0]  virtual root (name "", total = sum of everything)
//   │
//   ├── nodes[1] "main"          first_child = 3, num_children = 2
//   └── nodes[2] "runtime.mcall" first_child = 5, num_children = 1
//        nodes[3] "main.a", nodes[4] "main.b", nodes[5] "runtime.park_m", ...
//
// The encodings follow grafana/pyroscope pkg/model (flamegraph.go, flamegraph_diff.go,
// tree.go) to the value, including their order of names and nodes:
//
//  * FlameGraph (querier.v1.FlameGraph): names[0] = "total"; one level per depth; 4 numbers
//    per node [x_delta, total, self, name_index], nodes left to right, x delta-encoded per
//    level (x_delta = x - (previous x + previous total)). A node's self comes first on the x
//    axis, then its children in name order, then a synthetic "other" child that sums the
//    children below the max_nodes cut.
//  * FlameGraphDiff: 7 numbers per node [xL, totalL, selfL, xR, totalR, selfR, name_index]
//    over the union of two trees.
//  * Tree bytes (PROFILE_FORMAT_TREE): pre-order from the virtual root, each node
//    uvarint(len(name)) name uvarint(self) uvarint(num_children), last child first.
//
// Truncation (max_nodes): minValue = the max_nodes-th largest node total (0 when the tree has
// no more than max_nodes nodes); children with total < minValue are folded into "other".
// Every pass is linear in the nodes (building sorts each child list once).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "profile/call_tree.h"
#include "profile/profile.h"

namespace hearth::query {

// Pyroscope's defaults for max_nodes: 0 asks for the default; above the maximum is an error.
inline constexpr int64_t kDefaultMaxNodes = 8192;
inline constexpr int64_t kMaxMaxNodes = 1048576;

// 0 -> kDefaultMaxNodes; negative or above kMaxMaxNodes -> InvalidArgument.
absl::StatusOr<int64_t> ValidateMaxNodes(int64_t max_nodes);

class FlameTree {
 public:
  struct Node {
    uint32_t name = 0;  // index into names(); 0 is the root's ""
    uint32_t first_child = 0;
    uint32_t num_children = 0;
    int64_t self = 0;
    int64_t total = 0;
  };

  FlameTree();  // empty: just the root
  static FlameTree FromCallTree(const profile::CallTree& t);
  // The tree of one value of a profile, frames named as CallTree names them.
  static FlameTree FromProfile(const profile::Profile& p, size_t value_index);

  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<std::string>& names() const { return names_; }
  std::string_view name(const Node& n) const { return names_[n.name]; }
  int64_t total() const { return nodes_[0].total; }
  // Nodes besides the root.
  size_t size() const { return nodes_.size() - 1; }

  // Pyroscope's minValue(maxNodes): the smallest total a node needs to be kept.
  int64_t MinValue(int64_t max_nodes) const;
  // Pyroscope's MarshalTruncate applied to the tree: children below MinValue(max_nodes) are
  // folded into an "other" child (merged into an existing "other" child, if there is one).
  FlameTree Truncate(int64_t max_nodes) const;
  // PROFILE_FORMAT_TREE bytes of this tree (truncate first); "" for an empty tree.
  std::string TreeBytes() const;
  // Parses tree bytes (what TreeBytes writes; also Pyroscope's). Sibling order is restored.
  static absl::StatusOr<FlameTree> FromTreeBytes(std::string_view data);

  // Pre-order (root first, children in name order): the order flat encodings use.
  std::vector<uint32_t> PreOrder() const;

 private:
  friend class FlameTreeBuilder;
  std::vector<Node> nodes_;
  std::vector<std::string> names_;
};

struct FlameGraph {
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> levels;
  int64_t total = 0;
  int64_t max_self = 0;
};

// Pyroscope's NewFlameGraph(tree, max_nodes); max_nodes <= 0 keeps every node.
FlameGraph NewFlameGraph(const FlameTree& tree, int64_t max_nodes);

struct FlameGraphDiff {
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> levels;
  int64_t total = 0;  // left + right
  int64_t max_self = 0;
  int64_t left_ticks = 0;
  int64_t right_ticks = 0;
};

// The union of two trees: one node per path present in either side.
struct DiffTree {
  struct Node {
    uint32_t name = 0;  // index into names; 0 is the root's ""
    uint32_t first_child = 0;
    uint32_t num_children = 0;
    int64_t left_self = 0, left_total = 0;
    int64_t right_self = 0, right_total = 0;
  };
  std::vector<Node> nodes;  // nodes[0] is the root; children contiguous, in name order
  std::vector<std::string> names;
};
DiffTree CombineTrees(const FlameTree& left, const FlameTree& right);

// Pyroscope's NewFlamegraphDiff(left, right, max_nodes). InvalidArgument when a tree has a
// negative self value.
absl::StatusOr<FlameGraphDiff> NewFlameGraphDiff(const FlameTree& left, const FlameTree& right,
                                                 int64_t max_nodes);

// Per function name: flat (self) and cum (total, counted once per stack even when the name
// recurs on it), ordered by name.
struct FunctionTotals {
  std::string name;
  int64_t flat = 0;
  int64_t cum = 0;
};
std::vector<FunctionTotals> FunctionTable(const FlameTree& tree);

}  // namespace hearth::query
