// V8 .heapprofile reader and the content sniffers. The .cpuprofile reader is in v8_cpu.cc;
// format notes in v8.h.

#include "formats/v8.h"

#include <fmt/format.h>

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "formats/json_dom.h"
#include "formats/v8_tree.h"
#include "profile/builder.h"

namespace hearth::formats {
namespace {

using json::Element;
using simdjson::dom::array;
using simdjson::dom::object;
using v8_internal::kNoNode;
using v8_internal::NodeTree;

constexpr std::string_view kWhat = "heapprofile";
// Sniffers look at most this far: the keys they look for come first in every producer's
// output, and detection must stay cheap on large inputs.
constexpr size_t kSniffBytes = size_t{1} << 20;

template <typename... Args>
absl::Status Invalid(fmt::format_string<Args...> f, Args&&... args) {
  return absl::InvalidArgumentError(
      fmt::format("{}: {}", kWhat, fmt::format(f, std::forward<Args>(args)...)));
}

struct HeapNode {
  int64_t self_bytes = 0;
  int64_t objects = 0;
};

// Walks the nested tree under `head` iteratively (explicit stack), appending nodes in
// depth-first pre-order.
absl::Status ReadHeapTree(Element head, const V8Options& o, NodeTree* tree,
                          std::vector<HeapNode>* heap,
                          absl::flat_hash_map<int64_t, uint32_t>* index) {
  struct Pending {
    Element e;
    uint32_t parent;
    size_t depth;
  };
  std::vector<Pending> todo = {{head, kNoNode, 1}};
  auto& nodes = tree->nodes();
  while (!todo.empty()) {
    Pending cur = todo.back();
    todo.pop_back();
    if (nodes.size() == o.max_nodes) {
      return absl::ResourceExhaustedError(
          fmt::format("{}: more than the limit of {} nodes", kWhat, o.max_nodes));
    }
    object obj;
    if (cur.e.get(obj)) {
      return Invalid("a node is {}, want an object (child of node {})", json::Describe(cur.e),
                     cur.parent == kNoNode ? 0 : nodes[cur.parent].id);
    }
    auto i = static_cast<uint32_t>(nodes.size());
    NodeTree::Node& n = nodes.emplace_back();
    HeapNode& h = heap->emplace_back();
    n.parent = cur.parent;
    bool has_id = false, has_frame = false;
    Element call_frame;
    array children;
    bool has_children = false;
    Element self_size;
    bool has_self_size = false;
    for (auto field : obj) {
      std::string_view key = field.key;
      if (key == "id") {
        if (!json::GetInt(field.value, &n.id)) return Invalid("a node's id is not an integer");
        has_id = true;
      } else if (key == "callFrame") {
        call_frame = field.value;
        has_frame = true;
      } else if (key == "selfSize") {
        self_size = field.value;
        has_self_size = true;
      } else if (key == "children") {
        if (field.value.get(children)) {
          return Invalid("node {}: children is {}, want an array", n.id,
                         json::Describe(field.value));
        }
        has_children = true;
      }
    }
    if (!has_id) {
      return Invalid("a node has no id (child of node {})",
                     cur.parent == kNoNode ? 0 : nodes[cur.parent].id);
    }
    if (!has_frame) return Invalid("node {} has no callFrame", n.id);
    if (auto st = v8_internal::ReadCallFrame(call_frame, kWhat, n.id, &n.frame); !st.ok()) {
      return st;
    }
    if (has_self_size && (!json::GetRoundedInt(self_size, &h.self_bytes) || h.self_bytes < 0)) {
      return Invalid("node {}: selfSize is not a non-negative number", n.id);
    }
    if (!index->try_emplace(n.id, i).second) return Invalid("node id {} appears twice", n.id);
    if (!has_children || children.size() == 0) continue;
    if (cur.depth >= o.max_stack_depth) {
      return Invalid("node {} has children deeper than the limit of {} frames", n.id,
                     o.max_stack_depth);
    }
    // Pushed in reverse so the pre-order follows the file's order.
    size_t first = todo.size();
    for (Element c : children) todo.push_back({c, i, cur.depth + 1});
    std::reverse(todo.begin() + first, todo.end());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<profile::Profile> ParseV8HeapProfile(std::string_view data, const V8Options& o) {
  simdjson::dom::parser parser;
  // Each tree level is two JSON levels (the node object and its children array).
  auto root = json::Parse(parser, data, o.max_input_bytes, 2 * o.max_stack_depth + 8, kWhat);
  if (!root.ok()) return root.status();
  object obj;
  if (root->get(obj)) {
    return Invalid("expected a JSON object with \"head\", found {}", json::Describe(*root));
  }
  Element head;
  if (obj["head"].get(head)) return Invalid("no \"head\" node");

  v8_internal::OutputBudget budget(kWhat, o.max_output_frames);
  NodeTree tree(kWhat, &budget);
  std::vector<HeapNode> heap;
  absl::flat_hash_map<int64_t, uint32_t> index;
  if (auto st = ReadHeapTree(head, o, &tree, &heap, &index); !st.ok()) return st;

  // Individual samples (V8 >= 7.x): objects per node; sizes only cross-checked.
  Element samples_element;
  bool has_samples = !obj["samples"].get(samples_element);
  int64_t orphans = 0, orphan_bytes = 0;
  if (has_samples) {
    array samples;
    if (samples_element.get(samples)) {
      return Invalid("samples is {}, want an array", json::Describe(samples_element));
    }
    if (json::Size(samples) > o.max_samples) {
      return absl::ResourceExhaustedError(
          fmt::format("{}: more than the limit of {} samples", kWhat, o.max_samples));
    }
    size_t i = 0;
    for (Element e : samples) {
      object s;
      int64_t node_id, size;
      if (e.get(s)) return Invalid("samples[{}] is {}, want an object", i, json::Describe(e));
      Element v;
      if (s["nodeId"].get(v) || !json::GetInt(v, &node_id)) {
        return Invalid("samples[{}].nodeId is missing or not an integer", i);
      }
      if (s["size"].get(v) || !json::GetRoundedInt(v, &size) || size < 0) {
        return Invalid("samples[{}].size is missing or not a non-negative number", i);
      }
      auto it = index.find(node_id);
      if (it == index.end()) {
        ++orphans;
        orphan_bytes = size > INT64_MAX - orphan_bytes ? INT64_MAX : orphan_bytes + size;
      } else {
        heap[it->second].objects += 1;
      }
      ++i;
    }
  }

  profile::ProfileBuilder b;
  profile::Profile& p = b.profile();
  if (has_samples) p.sample_types.push_back({b.Str("objects"), b.Str("count")});
  p.sample_types.push_back({b.Str("space"), b.Str("bytes")});
  p.period_type = {b.Str("space"), b.Str("bytes")};
  p.default_sample_type = b.Str("space");
  if (orphans > 0) {
    p.comments.push_back(b.Str(
        fmt::format("{} samples ({} bytes) name nodes missing from the tree and are not attributed",
                    orphans, orphan_bytes)));
  }
  for (uint32_t i = 0; i < heap.size(); ++i) {
    if (heap[i].self_bytes == 0 && heap[i].objects == 0) continue;
    int64_t values[2] = {heap[i].objects, heap[i].self_bytes};
    auto v =
        has_samples ? std::span<const int64_t>(values, 2) : std::span<const int64_t>(values + 1, 1);
    if (auto st = tree.AddSample(i, b, v); !st.ok()) return st;
  }
  return b.Finish();
}

bool LooksLikeV8CpuProfile(std::string_view data) {
  std::string_view head = data.substr(0, kSniffBytes);
  bool object = json::StartsWithJson(head, '{');
  if (object && json::HasKey(head, "nodes") && json::HasKey(head, "callFrame") &&
      !json::HasKey(head, "$schema")) {
    return true;
  }
  // A trace-event file: an array of events, or an object with traceEvents. Profile chunks
  // can sit anywhere in it, so this one looks at the whole input.
  bool trace = json::StartsWithJson(head, '[') || (object && json::HasKey(head, "traceEvents"));
  return trace && (data.find("\"ProfileChunk\"") != std::string_view::npos ||
                   data.find("\"CpuProfile\"") != std::string_view::npos);
}

bool LooksLikeV8HeapProfile(std::string_view data) {
  std::string_view head = data.substr(0, kSniffBytes);
  return json::StartsWithJson(head, '{') && json::HasKey(head, "head") &&
         json::HasKey(head, "selfSize") && json::HasKey(head, "callFrame");
}

}  // namespace hearth::formats
