#include "formats/v8_tree.h"

#include <fmt/format.h>

namespace hearth::formats::v8_internal {
namespace {

absl::Status FrameError(std::string_view what, int64_t node_id, std::string_view field,
                        std::string_view why) {
  return absl::InvalidArgumentError(
      fmt::format("{}: node {}: callFrame.{} {}", what, node_id, field, why));
}

}  // namespace

absl::Status ReadCallFrame(json::Element e, std::string_view what, int64_t node_id,
                           CallFrame* out) {
  simdjson::dom::object obj;
  if (e.get(obj)) {
    return absl::InvalidArgumentError(fmt::format("{}: node {}: callFrame is {}, want an object",
                                                  what, node_id, json::Describe(e)));
  }
  *out = CallFrame();
  for (auto field : obj) {
    std::string_view key = field.key;
    if (key == "functionName" || key == "url") {
      std::string_view s;
      if (field.value.get(s)) {
        return FrameError(what, node_id, key,
                          fmt::format("is {}, want a string", json::Describe(field.value)));
      }
      (key == "url" ? out->url : out->function_name) = s;
    } else if (key == "lineNumber" || key == "columnNumber") {
      int64_t v;
      if (!json::GetInt(field.value, &v)) {
        return FrameError(what, node_id, key,
                          fmt::format("is not an integer ({})", json::Describe(field.value)));
      }
      // V8 writes -1 for "unknown"; anything below is as unknown.
      (key == "lineNumber" ? out->line : out->column) = v < 0 ? -1 : v;
    }
    // scriptId, codeType and the like do not change the frame.
  }
  return absl::OkStatus();
}

absl::Status NodeTree::CheckForest(size_t max_depth) const {
  // depth[i] = levels from the root (1 for a root) once known; 0 unknown. A walk marks the
  // nodes of its path kOnPath, so meeting one again means a cycle.
  constexpr uint32_t kOnPath = UINT32_MAX;
  std::vector<uint32_t> depth(nodes_.size(), 0);
  std::vector<uint32_t> path;
  for (uint32_t start = 0; start < nodes_.size(); ++start) {
    path.clear();
    uint32_t cur = start;
    while (cur != kNoNode && depth[cur] == 0) {
      depth[cur] = kOnPath;
      path.push_back(cur);
      cur = nodes_[cur].parent;
    }
    if (cur != kNoNode && depth[cur] == kOnPath) {
      return absl::InvalidArgumentError(
          fmt::format("{}: the nodes' parent/children links form a cycle through node {}", what_,
                      nodes_[cur].id));
    }
    uint64_t d = cur == kNoNode ? 0 : depth[cur];
    for (size_t k = path.size(); k-- > 0;) {
      if (++d > max_depth) {
        return absl::InvalidArgumentError(
            fmt::format("{}: node {} is deeper than the limit of {} frames", what_,
                        nodes_[path[k]].id, max_depth));
      }
      depth[path[k]] = static_cast<uint32_t>(d);
    }
  }
  return absl::OkStatus();
}

absl::Status OutputBudget::Charge(size_t depth, std::span<const int64_t> values) {
  frames_ += depth;
  if (frames_ > max_frames_) {
    return absl::ResourceExhaustedError(
        fmt::format("{}: the stacks of the samples exceed the limit of {} frames in total", what_,
                    max_frames_));
  }
  totals_.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (__builtin_add_overflow(totals_[i], values[i], &totals_[i])) {
      return absl::InvalidArgumentError(
          fmt::format("{}: the samples' values add up to more than 64 bits can hold", what_));
    }
  }
  return absl::OkStatus();
}

uint32_t NodeTree::Location(uint32_t i, profile::ProfileBuilder& b) {
  Node& n = nodes_[i];
  if (n.location != kUnset) return n.location;
  if (n.parent == kNoNode && n.frame.function_name == "(root)") {
    n.location = kSkip;
    return kSkip;
  }
  std::string_view name =
      n.frame.function_name.empty() ? std::string_view("(anonymous)") : n.frame.function_name;
  profile::StrId name_id = b.Str(name);
  int64_t line = n.frame.line + 1;  // 0 when unknown.
  profile::Line ln;
  ln.function = b.AddFunction(name_id, name_id, b.Str(n.frame.url), line);
  ln.line = line;
  ln.column = n.frame.column + 1;
  n.location = b.AddLocation(profile::kNone, 0, std::span<const profile::Line>(&ln, 1));
  return n.location;
}

absl::Status NodeTree::AddSample(uint32_t i, profile::ProfileBuilder& b,
                                 std::span<const int64_t> values,
                                 std::span<const profile::Label> labels) {
  stack_.clear();
  // Depth is bounded by CheckForest (or by construction for heap trees).
  for (uint32_t cur = i; cur != kNoNode; cur = nodes_[cur].parent) {
    uint32_t loc = Location(cur, b);
    if (loc != kSkip) stack_.push_back(loc);
  }
  if (auto st = budget_->Charge(stack_.size(), values); !st.ok()) return st;
  b.AddSample(stack_, values, labels);
  return absl::OkStatus();
}

}  // namespace hearth::formats::v8_internal
