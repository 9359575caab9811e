#pragma once

// pprof's report graph (google/pprof internal/graph, as vendored in Go 1.19): the structure
// behind -top/-text and the node names of -traces. Samples are summarized into one node per
// distinct NodeInfo (function name, address, file, line ... depending on granularity) with
// flat (leaf) and cum (on the stack at least once) values, and weighted caller->callee edges.
//
//   NodeTable (once per profile)              Graph (once per refinement step)
//   ┌─────────────────────────────┐           ┌──────────────────────────────────────┐
//   │ infos[id]  NodeInfo         │           │ nodes  [{id, flat, cum, ...}] sorted │
//   │ names[id]  PrintableName    │  samples  │ edges  [{src id, dst id, weight,     │
//   │ location l -> [id, id, ...] │ ───────▶ │          residual, inline}]          │
//   │   one id per line,          │           └──────────────────────────────────────┘
//   │   innermost first           │
//   └─────────────────────────────┘
//
// Trimming rebuilds the graph from the samples with a set of kept node ids (pprof's NodeSet),
// because dropping a node changes where flat goes: a sample whose leaf frame was dropped
// contributes no flat at all. Node ids are stable across rebuilds, so a kept set is a mask
// over NodeTable ids.

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "profile/profile.h"

namespace hearth::profile {

// The identity of a graph node. Two location lines with equal NodeInfo are the same node.
// Views point into the Profile's string table or into the owning NodeTable.
struct NodeInfo {
  std::string_view name;
  std::string_view orig_name;
  uint64_t address = 0;
  std::string_view file;  // Cleaned like Go's filepath.Clean.
  int64_t start_line = 0;
  int64_t lineno = 0;
  std::string_view objfile;

  bool operator==(const NodeInfo&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const NodeInfo& n) {
    return H::combine(std::move(h), n.name, n.orig_name, n.address, n.file, n.start_line, n.lineno,
                      n.objfile);
  }
};

// pprof's PrintableName: "[%016x ]name[ file:line | file | [objbase] | <unknown>]".
std::string PrintableName(const NodeInfo& info);
// fmt.Sprint of pprof's NodeInfo struct, e.g. "{main.fib  0  0 0 }": the last tie-break when
// sorting nodes.
std::string NodeInfoString(const NodeInfo& info);
// Go's filepath.Clean and filepath.Base (Unix).
std::string CleanPath(std::string_view path);
std::string_view BasePath(std::string_view path);

struct NodeOptions {
  bool obj_names = false;      // Keep the mapping file in every node (raw/list reports).
  bool orig_fn_names = false;  // Keep system names.
  // Drop a "/proc/self/cwd/" prefix from file names, as pprof's report graph does (and its
  // -traces report does not).
  bool trim_proc_cwd = false;
};

// Every distinct NodeInfo of a profile, and the node of each location line.
class NodeTable {
 public:
  NodeTable(const Profile& p, const NodeOptions& o);
  NodeTable(const NodeTable&) = delete;
  NodeTable& operator=(const NodeTable&) = delete;

  uint32_t size() const { return static_cast<uint32_t>(infos_.size()); }
  const NodeInfo& info(uint32_t id) const { return infos_[id]; }
  const std::string& name(uint32_t id) const { return names_[id]; }
  // The nodes of location `loc`, one per line, innermost (inlined) first; a location
  // without lines has one node for its address/mapping.
  std::span<const uint32_t> LocationNodes(uint32_t loc) const {
    return {loc_nodes_.data() + loc_begin_[loc], loc_begin_[loc + 1] - loc_begin_[loc]};
  }

 private:
  std::vector<NodeInfo> infos_;
  std::vector<std::string> names_;
  std::vector<uint32_t> loc_begin_;  // size = locations + 1
  std::vector<uint32_t> loc_nodes_;
  std::deque<std::string> owned_;  // Cleaned paths that differ from the profile's strings.
};

struct GraphOptions {
  size_t value_index = 0;
  // -mean: every value is divided by this sample value (pprof uses values[0]).
  std::optional<size_t> mean_divisor_index;
  bool drop_negative = false;
};

struct GraphNode {
  uint32_t id = 0;  // NodeTable id.
  int64_t flat = 0;
  int64_t flat_div = 0;
  int64_t cum = 0;
  int64_t cum_div = 0;

  int64_t FlatValue() const { return flat_div == 0 ? flat : flat / flat_div; }
  int64_t CumValue() const { return cum_div == 0 ? cum : cum / cum_div; }
};

struct GraphEdge {
  uint32_t src = 0;  // NodeTable ids.
  uint32_t dst = 0;
  int64_t weight = 0;
  int64_t weight_div = 0;
  bool residual = false;     // Goes over nodes that were not kept.
  bool inline_call = false;  // Every call along it was inlined into the caller.
  bool removed = false;
};

// A set of NodeTable ids (pprof's NodeSet): mask[id] != 0 means kept.
using NodeMask = std::vector<uint8_t>;

enum class InlineKind : uint8_t { kNone, kInline, kPartialInline };

class Graph {
 public:
  // pprof newGraph. With `kept`, nodes outside it are dropped from every stack. Without
  // `with_edges` only node values are computed: the intermediate graphs of trimming need
  // nothing else, and edges are most of the cost.
  static Graph Build(const Profile& p, const NodeTable& table, const GraphOptions& o,
                     const NodeMask* kept = nullptr, bool with_edges = true);

  const NodeTable& table() const { return *table_; }
  const std::vector<GraphNode>& nodes() const { return nodes_; }
  const std::vector<GraphEdge>& edges() const { return edges_; }

  // Sum of flat values (not divided), as pprof's Nodes.Sum.
  int64_t FlatSum() const;
  // Nodes with |cum| >= cutoff.
  NodeMask DiscardLowFrequencyNodes(int64_t cutoff, size_t* kept_count) const;
  // The first `max_nodes` nodes in the current order.
  NodeMask SelectTopNodes(int max_nodes, size_t* kept_count) const;
  // Removes edges into graph nodes with |weight| < cutoff; returns how many.
  int TrimLowFrequencyEdges(int64_t cutoff);
  // FlatNameOrder (|flat| desc, name, |cum| desc, NodeInfoString) or, with cum,
  // CumNameOrder (|cum| desc, name, |flat| desc, NodeInfoString).
  void SortNodes(bool cum);
  // Per node in nodes() order: "(inline)" when all live in-edges are inline,
  // "(partial-inline)" when some are.
  std::vector<InlineKind> InlineKinds() const;

 private:
  explicit Graph(const NodeTable* table) : table_(table) {}

  const NodeTable* table_;
  std::vector<GraphNode> nodes_;
  std::vector<GraphEdge> edges_;
  NodeMask in_graph_;  // By NodeTable id: is the node in nodes_?
};

// pprof's Report.newTrimmedGraph for the text report: drop nodes below node_fraction of the
// flat total (rebuilding), sort, limit to node_count (rebuilding), trim light edges.
struct TrimOptions {
  double node_fraction = 0;
  double edge_fraction = 0;
  int node_count = 0;  // <= 0: no limit
  bool cum_sort = false;
};

struct TrimmedGraph {
  Graph graph;
  int orig_count = 0;     // Nodes after the node-fraction cut, before the count limit.
  int dropped_nodes = 0;  // Nodes dropped by the node-fraction cut.
  int dropped_edges = 0;
};

TrimmedGraph BuildTrimmedGraph(const Profile& p, const NodeTable& table, const GraphOptions& go,
                               const TrimOptions& to);

}  // namespace hearth::profile
