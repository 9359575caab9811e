#include "query/flamegraph.h"

#include <algorithm>
#include <numeric>
#include <span>

#include "absl/container/flat_hash_map.h"
#include "base/fmt.h"
#include "base/varint.h"

namespace hearth::query {
namespace {

constexpr uint32_t kNoNode = UINT32_MAX;
constexpr std::string_view kOtherName = "other";

// The id of `name` in `names`, or names.size() when absent (a free slot for callers that
// index a names.size() + 1 table).
uint32_t FindName(const std::vector<std::string>& names, std::string_view name) {
  for (uint32_t i = 1; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  return static_cast<uint32_t>(names.size());
}

// The k-th largest value (1-based), reordering `values`.
int64_t KthLargest(std::vector<int64_t>& values, size_t k) {
  auto nth = values.begin() + static_cast<std::ptrdiff_t>(k - 1);
  std::nth_element(values.begin(), nth, values.end(), std::greater<>());
  return *nth;
}

// Pyroscope keeps levels as stacks popped right to left; nodes were appended in that order,
// so reverse the chunks and delta-encode the x offsets at the given positions.
void FinishLevels(std::vector<std::vector<int64_t>>& levels, size_t chunk,
                  std::initializer_list<size_t> x_positions) {
  for (std::vector<int64_t>& l : levels) {
    const size_t n = l.size() / chunk;
    if (n == 0) continue;
    for (size_t i = 0, j = n - 1; i < j; ++i, --j) {
      std::swap_ranges(l.begin() + static_cast<std::ptrdiff_t>(i * chunk),
                       l.begin() + static_cast<std::ptrdiff_t>((i + 1) * chunk),
                       l.begin() + static_cast<std::ptrdiff_t>(j * chunk));
    }
    for (size_t pos : x_positions) {
      int64_t prev = 0;
      for (size_t i = pos; i < l.size(); i += chunk) {
        l[i] -= prev;
        prev += l[i] + l[i + 1];
      }
    }
  }
}

}  // namespace

absl::StatusOr<int64_t> ValidateMaxNodes(int64_t max_nodes) {
  if (max_nodes == 0) return kDefaultMaxNodes;
  if (max_nodes > kMaxMaxNodes) {
    return absl::InvalidArgumentError(fmt::format(
        "max flamegraph nodes limit {} is greater than allowed {}", max_nodes, kMaxMaxNodes));
  }
  if (max_nodes < 0) {
    return absl::InvalidArgumentError(
        fmt::format("max flamegraph nodes limit must be set (max allowed {})", kMaxMaxNodes));
  }
  return max_nodes;
}

// Lays out a parent-pointer tree (parent index < child index, node 0 the root) breadth
// first with each child run sorted by name.
class FlameTreeBuilder {
 public:
  struct Raw {
    uint32_t parent;
    uint32_t name;  // into names; 0 = "" for the root
    int64_t self;
  };

  static FlameTree Build(const std::vector<Raw>& raw, std::vector<std::string> names) {
    FlameTree t;
    t.names_ = std::move(names);
    const size_t n = raw.size();
    // Totals bottom-up: children come after their parents.
    std::vector<int64_t> total(n);
    for (size_t i = n; i-- > 1;) {
      total[i] += raw[i].self;
      total[raw[i].parent] += total[i];
    }
    // Name ranks, so child runs sort by integer compare.
    std::vector<uint32_t> order(t.names_.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return t.names_[a] < t.names_[b]; });
    std::vector<uint32_t> rank(order.size());
    for (uint32_t i = 0; i < order.size(); ++i) rank[order[i]] = i;
    // Children runs by a counting sort on the parent.
    std::vector<uint32_t> begin(n + 1, 0);
    for (size_t i = 1; i < n; ++i) ++begin[raw[i].parent + 1];
    for (size_t i = 0; i < n; ++i) begin[i + 1] += begin[i];
    std::vector<uint32_t> children(n == 0 ? 0 : n - 1);
    std::vector<uint32_t> fill(begin.begin(), begin.end() - 1);
    for (uint32_t i = 1; i < n; ++i) children[fill[raw[i].parent]++] = i;
    for (size_t i = 0; i < n; ++i) {
      if (begin[i + 1] - begin[i] > 1) {
        std::sort(children.begin() + begin[i], children.begin() + begin[i + 1],
                  [&](uint32_t a, uint32_t b) { return rank[raw[a].name] < rank[raw[b].name]; });
      }
    }
    // Breadth first: the output vector doubles as the queue.
    t.nodes_.resize(n);
    std::vector<uint32_t> old_of(n);
    old_of[0] = 0;
    t.nodes_[0].name = 0;
    // Samples without frames (Go's threadcreate has them) stay as the root's self value, so
    // the flame graph's total equals the profile's, as in pprof (Pyroscope drops them).
    t.nodes_[0].self = raw[0].self;
    t.nodes_[0].total = total[0] + raw[0].self;
    uint32_t size = 1;
    for (uint32_t p = 0; p < size; ++p) {
      const uint32_t old = old_of[p];
      FlameTree::Node& node = t.nodes_[p];
      node.first_child = size;
      node.num_children = begin[old + 1] - begin[old];
      for (uint32_t k = begin[old]; k < begin[old + 1]; ++k) {
        const uint32_t c = children[k];
        old_of[size] = c;
        FlameTree::Node& out = t.nodes_[size++];
        out.name = raw[c].name;
        out.self = raw[c].self;
        out.total = total[c];
      }
    }
    return t;
  }
};

FlameTree::FlameTree() : nodes_(1), names_{""} {}

FlameTree FlameTree::FromCallTree(const profile::CallTree& t) {
  std::vector<FlameTreeBuilder::Raw> raw;
  raw.reserve(t.nodes().size());
  for (const profile::CallTree::Node& n : t.nodes()) raw.push_back({n.parent, n.name + 1, n.self});
  raw[0].name = 0;
  std::vector<std::string> names;
  names.reserve(t.names().size() + 1);
  names.emplace_back();
  names.insert(names.end(), t.names().begin(), t.names().end());
  return FlameTreeBuilder::Build(raw, std::move(names));
}

FlameTree FlameTree::FromProfile(const profile::Profile& p, size_t value_index) {
  return FromCallTree(profile::CallTree::Build(p, value_index));
}

int64_t FlameTree::MinValue(int64_t max_nodes) const {
  // Pyroscope keeps a min-heap of the max_nodes largest totals over a DFS that skips
  // subtrees of nodes not entering the heap. A child's total never exceeds its parent's, so
  // the skipped nodes could not have entered it either: the answer is simply the
  // max_nodes-th largest total, found here in linear time.
  if (max_nodes < 1 || size() <= static_cast<uint64_t>(max_nodes)) return 0;
  std::vector<int64_t> totals;
  totals.reserve(size());
  for (size_t i = 1; i < nodes_.size(); ++i) totals.push_back(nodes_[i].total);
  return KthLargest(totals, static_cast<size_t>(max_nodes));
}

FlameTree FlameTree::Truncate(int64_t max_nodes) const {
  const int64_t min_value = MinValue(max_nodes);
  if (min_value <= 0) return *this;
  FlameTree out;
  out.names_ = names_;
  uint32_t other = FindName(out.names_, kOtherName);
  if (other == out.names_.size()) out.names_.emplace_back(kOtherName);
  out.nodes_.clear();
  out.nodes_.push_back(nodes_[0]);
  std::vector<uint32_t> src = {0};  // source node of each output node; kNoNode = synthetic
  for (size_t p = 0; p < out.nodes_.size(); ++p) {
    const uint32_t s = src[p];
    const uint32_t first = static_cast<uint32_t>(out.nodes_.size());
    out.nodes_[p].first_child = first;
    out.nodes_[p].num_children = 0;
    if (s == kNoNode) continue;
    const Node& from = nodes_[s];
    int64_t folded = 0;
    uint32_t existing_other = kNoNode;
    for (uint32_t c = from.first_child; c < from.first_child + from.num_children; ++c) {
      const Node& child = nodes_[c];
      if (child.total >= min_value || child.name == other) {
        if (child.name == other) existing_other = static_cast<uint32_t>(out.nodes_.size());
        Node copy = child;
        out.nodes_.push_back(copy);
        src.push_back(c);
      } else {
        folded += child.total;
      }
    }
    if (folded > 0) {
      if (existing_other != kNoNode) {
        out.nodes_[existing_other].total += folded;
        out.nodes_[existing_other].self += folded;
      } else {
        // Insert "other" where name order puts it.
        uint32_t at = first;
        const uint32_t end = static_cast<uint32_t>(out.nodes_.size());
        while (at < end && out.names_[out.nodes_[at].name] < kOtherName) ++at;
        Node o;
        o.name = other;
        o.self = folded;
        o.total = folded;
        out.nodes_.insert(out.nodes_.begin() + at, o);
        src.insert(src.begin() + at, kNoNode);
      }
    }
    out.nodes_[p].num_children = static_cast<uint32_t>(out.nodes_.size()) - first;
  }
  return out;
}

std::string FlameTree::TreeBytes() const {
  std::string out;
  if (nodes_[0].num_children == 0) return out;
  out.reserve(nodes_.size() * 16);
  std::vector<uint32_t> stack = {0};
  while (!stack.empty()) {
    const Node& n = nodes_[stack.back()];
    stack.pop_back();
    varint::PutStr(&out, names_[n.name]);
    varint::PutU(&out, static_cast<uint64_t>(n.self));
    varint::PutU(&out, n.num_children);
    for (uint32_t c = n.first_child; c < n.first_child + n.num_children; ++c) stack.push_back(c);
  }
  return out;
}

absl::StatusOr<FlameTree> FlameTree::FromTreeBytes(std::string_view data) {
  if (data.size() < 2) return FlameTree();
  auto malformed = [] { return absl::InvalidArgumentError("malformed tree bytes"); };
  std::vector<FlameTreeBuilder::Raw> raw;
  std::vector<std::string> names = {""};
  absl::flat_hash_map<std::string, uint32_t> name_ids = {{"", 0}};
  // Siblings with the same name are one node, as Pyroscope's insert makes them.
  absl::flat_hash_map<uint64_t, uint32_t> child_of;
  std::vector<uint32_t> parents = {kNoNode};
  varint::Reader r(data);
  while (!parents.empty()) {
    const uint32_t parent = parents.back();
    parents.pop_back();
    std::string_view name;
    uint64_t self = 0, num_children = 0;
    if (!r.StrView(&name) || !r.U(&self) || !r.U(&num_children)) return malformed();
    // Every child takes at least 3 bytes: a bound before anything is allocated for them.
    if (num_children > r.remaining() / 3) return malformed();
    uint32_t node;
    if (parent == kNoNode) {
      if (!raw.empty()) return malformed();
      node = 0;
      raw.push_back({0, 0, 0});
    } else {
      auto [nit, new_name] =
          name_ids.try_emplace(std::string(name), static_cast<uint32_t>(names.size()));
      if (new_name) names.emplace_back(name);
      auto [cit, new_child] = child_of.try_emplace((uint64_t{parent} << 32) | nit->second,
                                                   static_cast<uint32_t>(raw.size()));
      if (new_child) raw.push_back({parent, nit->second, 0});
      node = cit->second;
      raw[node].self = static_cast<int64_t>(self);
    }
    for (uint64_t i = 0; i < num_children; ++i) parents.push_back(node);
  }
  if (raw.empty()) return FlameTree();
  return FlameTreeBuilder::Build(raw, std::move(names));
}

std::vector<uint32_t> FlameTree::PreOrder() const {
  std::vector<uint32_t> order;
  order.reserve(nodes_.size());
  std::vector<uint32_t> stack = {0};
  while (!stack.empty()) {
    const uint32_t i = stack.back();
    stack.pop_back();
    order.push_back(i);
    const Node& n = nodes_[i];
    for (uint32_t c = n.first_child + n.num_children; c-- > n.first_child;) stack.push_back(c);
  }
  return order;
}

FlameGraph NewFlameGraph(const FlameTree& tree, int64_t max_nodes) {
  const std::vector<FlameTree::Node>& nodes = tree.nodes();
  const std::vector<std::string>& names = tree.names();
  FlameGraph fg;
  fg.total = tree.total();
  const int64_t min_value = tree.MinValue(max_nodes);
  // Output name index per tree name id, plus slots for "other" and "total" when the tree
  // has no such name.
  std::vector<int64_t> index(names.size() + 2, -1);
  const uint32_t other = FindName(names, kOtherName);
  uint32_t total_name = FindName(names, "total");
  if (total_name == names.size()) total_name = static_cast<uint32_t>(names.size() + 1);

  struct Item {
    uint32_t node;  // kNoNode: a synthetic "other" of `other_total`
    int64_t other_total;
    uint32_t level;
    int64_t x;
  };
  // A DFS that visits the rightmost child first, exactly as Pyroscope's: names get their
  // indices in this order.
  std::vector<Item> stack = {{0, 0, 0, 0}};
  while (!stack.empty()) {
    Item cur = stack.back();
    stack.pop_back();
    const bool synthetic = cur.node == kNoNode;
    const int64_t self = synthetic ? cur.other_total : nodes[cur.node].self;
    const int64_t total = synthetic ? cur.other_total : nodes[cur.node].total;
    fg.max_self = std::max(fg.max_self, self);
    int64_t name_index;
    if (!synthetic && cur.node == 0) {
      name_index = static_cast<int64_t>(fg.names.size());
      fg.names.emplace_back("total");
      index[total_name] = name_index;
    } else {
      const uint32_t id = synthetic ? other : nodes[cur.node].name;
      if (index[id] < 0) {
        index[id] = static_cast<int64_t>(fg.names.size());
        fg.names.emplace_back(synthetic ? kOtherName : std::string_view(names[id]));
      }
      name_index = index[id];
    }
    if (cur.level == fg.levels.size()) fg.levels.emplace_back();
    std::vector<int64_t>& level = fg.levels[cur.level];
    level.insert(level.end(), {cur.x, total, self, name_index});
    if (synthetic) continue;
    int64_t x = cur.x + self;
    int64_t other_total = 0;
    const FlameTree::Node& n = nodes[cur.node];
    for (uint32_t c = n.first_child; c < n.first_child + n.num_children; ++c) {
      // Pyroscope folds an existing "other" child too, whatever its size.
      if (nodes[c].total >= min_value && nodes[c].name != other) {
        stack.push_back({c, 0, cur.level + 1, x});
        x += nodes[c].total;
      } else {
        other_total += nodes[c].total;
      }
    }
    if (other_total != 0) stack.push_back({kNoNode, other_total, cur.level + 1, x});
  }
  FinishLevels(fg.levels, 4, {0});
  return fg;
}

DiffTree CombineTrees(const FlameTree& left, const FlameTree& right) {
  DiffTree out;
  out.names = {""};
  absl::flat_hash_map<std::string_view, uint32_t> ids = {{"", 0}};  // views into the inputs
  auto intern = [&](std::string_view name) {
    auto [it, inserted] = ids.try_emplace(name, static_cast<uint32_t>(out.names.size()));
    if (inserted) out.names.emplace_back(name);
    return it->second;
  };
  const auto& ln = left.nodes();
  const auto& rn = right.nodes();
  out.nodes.push_back({0, 0, 0, 0, ln[0].total, 0, rn[0].total});
  std::vector<std::pair<uint32_t, uint32_t>> src = {{0, 0}};  // (left, right) or kNoNode
  auto add = [&](uint32_t l, uint32_t r) {
    DiffTree::Node n;
    n.name = intern(l != kNoNode ? left.name(ln[l]) : right.name(rn[r]));
    if (l != kNoNode) n.left_self = ln[l].self, n.left_total = ln[l].total;
    if (r != kNoNode) n.right_self = rn[r].self, n.right_total = rn[r].total;
    out.nodes.push_back(n);
    src.emplace_back(l, r);
  };
  for (size_t p = 0; p < out.nodes.size(); ++p) {
    const auto [l, r] = src[p];
    uint32_t li = 0, lend = 0, ri = 0, rend = 0;
    if (l != kNoNode) li = ln[l].first_child, lend = li + ln[l].num_children;
    if (r != kNoNode) ri = rn[r].first_child, rend = ri + rn[r].num_children;
    const uint32_t first = static_cast<uint32_t>(out.nodes.size());
    // Both child runs are in name order: a merge join.
    while (li < lend && ri < rend) {
      const int c = left.name(ln[li]).compare(right.name(rn[ri]));
      if (c == 0) {
        add(li++, ri++);
      } else if (c < 0) {
        add(li++, kNoNode);
      } else {
        add(kNoNode, ri++);
      }
    }
    while (li < lend) add(li++, kNoNode);
    while (ri < rend) add(kNoNode, ri++);
    out.nodes[p].first_child = first;
    out.nodes[p].num_children = static_cast<uint32_t>(out.nodes.size()) - first;
  }
  return out;
}

absl::StatusOr<FlameGraphDiff> NewFlameGraphDiff(const FlameTree& left, const FlameTree& right,
                                                 int64_t max_nodes) {
  auto positive = [](const FlameTree& t) {
    for (size_t i = 1; i < t.nodes().size(); ++i) {
      if (t.nodes()[i].self < 0) return false;
    }
    return true;
  };
  const bool left_ok = positive(left), right_ok = positive(right);
  if (!left_ok && !right_ok) {
    return absl::InvalidArgumentError("both trees require only positive values");
  }
  if (!left_ok) return absl::InvalidArgumentError("left tree requires only positive values");
  if (!right_ok) return absl::InvalidArgumentError("right tree requires only positive values");

  const DiffTree t = CombineTrees(left, right);
  FlameGraphDiff fg;
  fg.left_ticks = t.nodes[0].left_total;
  fg.right_ticks = t.nodes[0].right_total;
  fg.total = fg.left_ticks + fg.right_ticks;

  // Pyroscope's combineMinValues: the max_nodes-th largest max(left, right) total over the
  // union tree, its root included.
  int64_t min_value = 0;
  if (max_nodes > 0 && t.nodes.size() > static_cast<uint64_t>(max_nodes)) {
    std::vector<int64_t> v;
    v.reserve(t.nodes.size());
    for (const DiffTree::Node& n : t.nodes) v.push_back(std::max(n.left_total, n.right_total));
    min_value = KthLargest(v, static_cast<size_t>(max_nodes));
  }
  const uint32_t other = FindName(t.names, kOtherName);
  std::vector<int64_t> index(t.names.size() + 1, -1);

  struct Item {
    uint32_t node;  // kNoNode: synthetic "other"
    int64_t other_left, other_right;
    uint32_t level;
    int64_t xl, xr;
  };
  std::vector<Item> stack = {{0, 0, 0, 0, 0, 0}};
  while (!stack.empty()) {
    Item cur = stack.back();
    stack.pop_back();
    const bool synthetic = cur.node == kNoNode;
    DiffTree::Node n;
    if (synthetic) {
      n.name = other;
      n.left_self = n.left_total = cur.other_left;
      n.right_self = n.right_total = cur.other_right;
    } else {
      n = t.nodes[cur.node];
    }
    if (!(n.left_total >= min_value || n.right_total >= min_value || n.name == other)) continue;
    if (index[n.name] < 0) {
      index[n.name] = static_cast<int64_t>(fg.names.size());
      fg.names.emplace_back(n.name == 0                ? std::string_view("total")
                            : n.name == t.names.size() ? kOtherName
                                                       : std::string_view(t.names[n.name]));
    }
    if (cur.level == fg.levels.size()) fg.levels.emplace_back();
    fg.max_self = std::max({fg.max_self, n.left_self, n.right_self});
    fg.levels[cur.level].insert(
        fg.levels[cur.level].end(),
        {cur.xl, n.left_total, n.left_self, cur.xr, n.right_total, n.right_self, index[n.name]});
    if (synthetic) continue;
    int64_t xl = cur.xl + n.left_self, xr = cur.xr + n.right_self;
    int64_t other_left = 0, other_right = 0;
    for (uint32_t c = n.first_child; c < n.first_child + n.num_children; ++c) {
      const DiffTree::Node& child = t.nodes[c];
      if (child.left_total >= min_value || child.right_total >= min_value) {
        stack.push_back({c, 0, 0, cur.level + 1, xl, xr});
        xl += child.left_total;
        xr += child.right_total;
      } else {
        other_left += child.left_total;
        other_right += child.right_total;
      }
    }
    if (other_left != 0 || other_right != 0) {
      stack.push_back({kNoNode, other_left, other_right, cur.level + 1, xl, xr});
    }
  }
  FinishLevels(fg.levels, 7, {0, 3});
  return fg;
}

std::vector<FunctionTotals> FunctionTable(const FlameTree& tree) {
  const auto& nodes = tree.nodes();
  std::vector<int64_t> flat(tree.names().size()), cum(tree.names().size());
  std::vector<uint32_t> on_path(tree.names().size());
  std::vector<uint8_t> seen(tree.names().size());
  struct Frame {
    uint32_t node, next;
  };
  std::vector<Frame> stack = {{0, 0}};
  while (!stack.empty()) {
    Frame& f = stack.back();
    const FlameTree::Node& n = nodes[f.node];
    if (f.next < n.num_children) {
      const uint32_t c = n.first_child + f.next++;
      const uint32_t name = nodes[c].name;
      seen[name] = 1;
      flat[name] += nodes[c].self;
      // cum counts a stack once even when the function recurs on it.
      if (on_path[name]++ == 0) cum[name] += nodes[c].total;
      stack.push_back({c, 0});
    } else {
      if (f.node != 0) --on_path[n.name];
      stack.pop_back();
    }
  }
  std::vector<uint32_t> ids;
  for (uint32_t i = 0; i < seen.size(); ++i) {
    if (seen[i]) ids.push_back(i);
  }
  std::sort(ids.begin(), ids.end(),
            [&](uint32_t a, uint32_t b) { return tree.names()[a] < tree.names()[b]; });
  std::vector<FunctionTotals> out;
  out.reserve(ids.size());
  for (uint32_t id : ids) out.push_back({tree.names()[id], flat[id], cum[id]});
  return out;
}

}  // namespace hearth::query
