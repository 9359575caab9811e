#pragma once

// Internal to the V8 readers: call frames and the node tree shared by .cpuprofile and
// .heapprofile, and the stack building both need.
//
//   nodes[i] ──parent──▶ nodes[p] ──parent──▶ ... ──▶ (root)     parent links only
//
// A node's location is created in the builder the first time a sampled stack passes
// through it, so frames no sample reaches never enter the profile.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "formats/json_dom.h"
#include "profile/builder.h"

namespace hearth::formats::v8_internal {

inline constexpr uint32_t kNoNode = UINT32_MAX;

// A V8 CallFrame as written: positions are 0-based, -1 when unknown. The views point into
// the JSON parser's buffer.
struct CallFrame {
  std::string_view function_name;
  std::string_view url;
  int64_t line = -1;
  int64_t column = -1;
};

// Reads a callFrame object; errors read "<what>: node <id>: callFrame.<field> ...".
absl::Status ReadCallFrame(json::Element e, std::string_view what, int64_t node_id, CallFrame* out);

// What the samples of one result may add up to, shared by every tree feeding it: the total
// frames of their stacks (max_output_frames) and each value's total, kept within int64
// (the builder adds the values of equal stacks with wrap-around, so a total in range keeps
// every sum in range).
class OutputBudget {
 public:
  OutputBudget(std::string_view what, size_t max_frames) : what_(what), max_frames_(max_frames) {}
  absl::Status Charge(size_t depth, std::span<const int64_t> values);

 private:
  std::string_view what_;
  size_t max_frames_;
  size_t frames_ = 0;
  std::vector<int64_t> totals_;
};

class NodeTree {
 public:
  struct Node {
    CallFrame frame;
    int64_t id = 0;
    uint32_t parent = kNoNode;
    uint32_t location = kUnset;  // Builder location index, kSkip, or kUnset (not built yet).
  };

  NodeTree(std::string_view what, OutputBudget* budget) : what_(what), budget_(budget) {}

  std::vector<Node>& nodes() { return nodes_; }
  const std::vector<Node>& nodes() const { return nodes_; }

  // Checks that the parent links form a forest no deeper than `max_depth` levels. The
  // error names a node on a cycle, or the node past the depth limit. O(nodes).
  absl::Status CheckForest(size_t max_depth) const;

  // Adds a sample for node `i` (stack = the node and its ancestors, leaf first, without a
  // "(root)" tree root). Fails once the budget is exceeded.
  absl::Status AddSample(uint32_t i, profile::ProfileBuilder& b, std::span<const int64_t> values,
                         std::span<const profile::Label> labels = {});

 private:
  static constexpr uint32_t kUnset = UINT32_MAX;
  static constexpr uint32_t kSkip = UINT32_MAX - 1;

  uint32_t Location(uint32_t i, profile::ProfileBuilder& b);

  std::string_view what_;
  OutputBudget* budget_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> stack_;  // Reused by AddSample.
};

}  // namespace hearth::formats::v8_internal
