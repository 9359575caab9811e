#include "profile/graph.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "absl/container/flat_hash_map.h"

namespace hearth::profile {
namespace {

int64_t Abs64(int64_t v) { return v < 0 ? -v : v; }

// pprof's isNegative, used by -drop_negative.
bool IsNegative(const GraphNode& n) { return n.flat < 0 || (n.flat == 0 && n.cum < 0); }

// The report graph trims these prefixes from source file names (pprof's trimPath with no
// -trim_path and no -source_path configured).
std::string_view TrimProcCwd(std::string_view file) {
  for (std::string_view prefix : {"/proc/self/cwd/./", "/proc/self/cwd/"}) {
    if (file.starts_with(prefix)) return file.substr(prefix.size());
  }
  return file;
}

// The node of a location line without a function.
NodeInfo AddressInfo(uint64_t address, std::string_view objfile) {
  NodeInfo info;
  info.address = address;
  info.objfile = objfile;
  return info;
}

}  // namespace

std::string CleanPath(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  const size_t n = path.size();
  std::string out;
  out.reserve(n);
  size_t r = 0;
  size_t dotdot = 0;  // out[0, dotdot) cannot be backtracked over.
  if (rooted) {
    out.push_back('/');
    r = dotdot = 1;
  }
  while (r < n) {
    if (path[r] == '/') {
      ++r;
    } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
      ++r;
    } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
      r += 2;
      if (out.size() > dotdot) {
        // Back up to the last separator (dropping it too) or to the dotdot mark.
        size_t w = out.size() - 1;
        while (w > dotdot && out[w] != '/') --w;
        out.resize(w);
      } else if (!rooted) {
        if (!out.empty()) out.push_back('/');
        out += "..";
        dotdot = out.size();
      }
    } else {
      if ((rooted && out.size() != 1) || (!rooted && !out.empty())) out.push_back('/');
      for (; r < n && path[r] != '/'; ++r) out.push_back(path[r]);
    }
  }
  if (out.empty()) return std::string(1, '.');
  return out;
}

std::string_view BasePath(std::string_view path) {
  if (path.empty()) return ".";
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  if (slash != std::string_view::npos) path = path.substr(slash + 1);
  if (path.empty()) return "/";
  return path;
}

std::string PrintableName(const NodeInfo& info) {
  std::string out;
  if (info.address != 0) out = fmt::format("{:016x}", info.address);
  auto add = [&out](std::string_view part) {
    if (!out.empty()) out.push_back(' ');
    out.append(part);
  };
  if (!info.name.empty()) add(info.name);
  if (info.lineno != 0) {
    add(fmt::format("{}:{}", info.file, info.lineno));
  } else if (!info.file.empty()) {
    add(info.file);
  } else if (!info.name.empty()) {
    // The function name alone.
  } else if (!info.objfile.empty()) {
    add(fmt::format("[{}]", BasePath(info.objfile)));
  } else {
    add("<unknown>");
  }
  return out;
}

std::string NodeInfoString(const NodeInfo& info) {
  return fmt::format("{{{} {} {} {} {} {} {}}}", info.name, info.orig_name, info.address, info.file,
                     info.start_line, info.lineno, info.objfile);
}

NodeTable::NodeTable(const Profile& p, const NodeOptions& o) {
  absl::flat_hash_map<NodeInfo, uint32_t> index;
  index.reserve(p.locations.size());
  loc_begin_.reserve(p.locations.size() + 1);
  loc_nodes_.reserve(p.lines.size() + p.locations.size());
  // Cleaned file names by string id, so each distinct file is cleaned once.
  absl::flat_hash_map<StrId, std::string_view> files;

  auto file_of = [&](StrId id) -> std::string_view {
    auto [it, inserted] = files.try_emplace(id);
    if (inserted) {
      std::string_view raw = p.Str(id);
      if (o.trim_proc_cwd) raw = TrimProcCwd(raw);
      if (!raw.empty()) {
        std::string clean = CleanPath(raw);
        it->second = clean == raw ? raw : std::string_view(owned_.emplace_back(std::move(clean)));
      }
    }
    return it->second;
  };
  auto intern = [&](const NodeInfo& info) {
    auto [it, inserted] = index.try_emplace(info, static_cast<uint32_t>(infos_.size()));
    if (inserted) infos_.push_back(info);
    loc_nodes_.push_back(it->second);
  };

  for (const Location& loc : p.locations) {
    loc_begin_.push_back(static_cast<uint32_t>(loc_nodes_.size()));
    std::string_view objfile;
    if (loc.mapping != kNone) objfile = p.Str(p.mappings[loc.mapping].filename);
    std::span<const Line> lines = p.Lines(loc);
    if (lines.empty()) {
      intern(AddressInfo(loc.address, objfile));
      continue;
    }
    for (const Line& line : lines) {
      if (line.function == kNone) {
        intern(AddressInfo(loc.address, objfile));
        continue;
      }
      const Function& fn = p.functions[line.function];
      NodeInfo info;
      info.name = p.Str(fn.name);
      info.address = loc.address;
      info.lineno = line.line;
      if (fn.filename != 0) info.file = file_of(fn.filename);
      if (o.orig_fn_names) info.orig_name = p.Str(fn.system_name);
      if (o.obj_names || (info.name.empty() && info.orig_name.empty())) {
        info.objfile = objfile;
        info.start_line = fn.start_line;
      }
      intern(info);
    }
  }
  loc_begin_.push_back(static_cast<uint32_t>(loc_nodes_.size()));
  names_.reserve(infos_.size());
  for (const NodeInfo& info : infos_) names_.push_back(PrintableName(info));
}

Graph Graph::Build(const Profile& p, const NodeTable& table, const GraphOptions& o,
                   const NodeMask* kept, bool with_edges) {
  Graph g(&table);
  const uint32_t num_nodes = table.size();
  std::vector<GraphNode> acc(num_nodes);
  // A node or edge is counted once per sample: it is "seen" when its epoch equals the
  // current sample's, so nothing needs clearing between samples.
  std::vector<uint32_t> node_epoch(num_nodes, 0);
  std::vector<uint32_t> edge_epoch;
  absl::flat_hash_map<uint64_t, uint32_t> edge_index;
  uint32_t epoch = 0;

  for (const Sample& s : p.samples) {
    std::span<const int64_t> values = p.Values(s);
    const int64_t w = values[o.value_index];
    const int64_t dw = o.mean_divisor_index ? values[*o.mean_divisor_index] : 0;
    if (w == 0 && dw == 0) continue;
    ++epoch;
    uint32_t parent = kNone;
    bool residual = false;  // Nodes were skipped since the last kept one.
    std::span<const uint32_t> stack = p.Stack(s);
    for (size_t i = stack.size(); i-- > 0;) {
      std::span<const uint32_t> loc_nodes = table.LocationNodes(stack[i]);
      for (size_t ni = loc_nodes.size(); ni-- > 0;) {
        const uint32_t id = loc_nodes[ni];
        if (kept != nullptr && (*kept)[id] == 0) {
          residual = true;
          continue;
        }
        if (node_epoch[id] != epoch) {
          node_epoch[id] = epoch;
          acc[id].cum += w;
          acc[id].cum_div += dw;
        }
        if (with_edges && parent != kNone && id != parent) {
          // Every line but a location's outermost one was inlined into the next.
          const bool inline_call = ni != loc_nodes.size() - 1;
          const uint64_t key = (uint64_t{parent} << 32) | id;
          auto [it, inserted] = edge_index.try_emplace(key, static_cast<uint32_t>(g.edges_.size()));
          if (inserted) {
            g.edges_.push_back(GraphEdge{.src = parent,
                                         .dst = id,
                                         .weight = w,
                                         .weight_div = dw,
                                         .residual = residual,
                                         .inline_call = inline_call,
                                         .removed = false});
            edge_epoch.push_back(epoch);
          } else if (edge_epoch[it->second] != epoch) {
            edge_epoch[it->second] = epoch;
            GraphEdge& e = g.edges_[it->second];
            e.weight += w;
            e.weight_div += dw;
            e.residual = e.residual || residual;
            e.inline_call = e.inline_call && inline_call;
          }
        }
        parent = id;
        residual = false;
      }
    }
    // The leaf gets the flat value only if it was kept.
    if (parent != kNone && !residual) {
      acc[parent].flat += w;
      acc[parent].flat_div += dw;
    }
  }

  g.in_graph_.assign(num_nodes, 0);
  for (uint32_t id = 0; id < num_nodes; ++id) {
    GraphNode& n = acc[id];
    if (n.cum == 0 && n.flat == 0) continue;
    if (o.drop_negative && IsNegative(n)) continue;
    n.id = id;
    g.nodes_.push_back(n);
    g.in_graph_[id] = 1;
  }
  return g;
}

int64_t Graph::FlatSum() const {
  int64_t sum = 0;
  for (const GraphNode& n : nodes_) sum += n.flat;
  return sum;
}

NodeMask Graph::DiscardLowFrequencyNodes(int64_t cutoff, size_t* kept_count) const {
  NodeMask kept(table_->size(), 0);
  *kept_count = 0;
  for (const GraphNode& n : nodes_) {
    if (Abs64(n.cum) < cutoff) continue;
    kept[n.id] = 1;
    ++*kept_count;
  }
  return kept;
}

NodeMask Graph::SelectTopNodes(int max_nodes, size_t* kept_count) const {
  NodeMask kept(table_->size(), 0);
  size_t count = std::min(nodes_.size(), static_cast<size_t>(std::max(max_nodes, 0)));
  for (size_t i = 0; i < count; ++i) kept[nodes_[i].id] = 1;
  *kept_count = count;
  return kept;
}

int Graph::TrimLowFrequencyEdges(int64_t cutoff) {
  int dropped = 0;
  for (GraphEdge& e : edges_) {
    if (e.removed || in_graph_[e.dst] == 0) continue;
    if (Abs64(e.weight) < cutoff) {
      e.removed = true;
      ++dropped;
    }
  }
  return dropped;
}

void Graph::SortNodes(bool cum) {
  const NodeTable& t = *table_;
  auto tie_break = [&t](const GraphNode& l, const GraphNode& r) {
    return NodeInfoString(t.info(l.id)) < NodeInfoString(t.info(r.id));
  };
  if (cum) {
    std::sort(nodes_.begin(), nodes_.end(), [&](const GraphNode& l, const GraphNode& r) {
      if (Abs64(l.cum) != Abs64(r.cum)) return Abs64(l.cum) > Abs64(r.cum);
      if (int c = t.name(l.id).compare(t.name(r.id)); c != 0) return c < 0;
      if (Abs64(l.flat) != Abs64(r.flat)) return Abs64(l.flat) > Abs64(r.flat);
      return tie_break(l, r);
    });
  } else {
    std::sort(nodes_.begin(), nodes_.end(), [&](const GraphNode& l, const GraphNode& r) {
      if (Abs64(l.flat) != Abs64(r.flat)) return Abs64(l.flat) > Abs64(r.flat);
      if (int c = t.name(l.id).compare(t.name(r.id)); c != 0) return c < 0;
      if (Abs64(l.cum) != Abs64(r.cum)) return Abs64(l.cum) > Abs64(r.cum);
      return tie_break(l, r);
    });
  }
}

std::vector<InlineKind> Graph::InlineKinds() const {
  // Bit 0: some live in-edge is inline; bit 1: some is not.
  std::vector<uint8_t> seen(table_->size(), 0);
  for (const GraphEdge& e : edges_) {
    if (e.removed) continue;
    seen[e.dst] |= e.inline_call ? 1 : 2;
  }
  std::vector<InlineKind> kinds;
  kinds.reserve(nodes_.size());
  for (const GraphNode& n : nodes_) {
    switch (seen[n.id]) {
      case 1:
        kinds.push_back(InlineKind::kInline);
        break;
      case 3:
        kinds.push_back(InlineKind::kPartialInline);
        break;
      default:
        kinds.push_back(InlineKind::kNone);
    }
  }
  return kinds;
}

// pprof builds every intermediate graph in full; only the last one's edges are ever looked
// at (for text reports, edge trimming does not change which nodes are selected), so the
// intermediate ones here are built without edges and the final one is built once more.
TrimmedGraph BuildTrimmedGraph(const Profile& p, const NodeTable& table, const GraphOptions& go,
                               const TrimOptions& to) {
  Graph g = Graph::Build(p, table, go, nullptr, /*with_edges=*/false);
  const NodeMask* final_kept = nullptr;
  // Cutoffs are fractions of the flat sum of the complete graph (not of the report total).
  const double total = static_cast<double>(g.FlatSum());
  const int64_t node_cutoff = Abs64(static_cast<int64_t>(total * to.node_fraction));
  const int64_t edge_cutoff = Abs64(static_cast<int64_t>(total * to.edge_fraction));

  int dropped_nodes = 0;
  NodeMask cut_kept;
  if (node_cutoff > 0) {
    size_t kept_count;
    cut_kept = g.DiscardLowFrequencyNodes(node_cutoff, &kept_count);
    if (kept_count != g.nodes().size()) {
      dropped_nodes = static_cast<int>(g.nodes().size() - kept_count);
      final_kept = &cut_kept;
      g = Graph::Build(p, table, go, final_kept, /*with_edges=*/false);
    }
  }
  const int orig_count = static_cast<int>(g.nodes().size());

  NodeMask top_kept;
  if (to.node_count > 0) {
    g.SortNodes(to.cum_sort);
    size_t kept_count;
    top_kept = g.SelectTopNodes(to.node_count, &kept_count);
    if (kept_count != g.nodes().size()) final_kept = &top_kept;
  }
  g = Graph::Build(p, table, go, final_kept, /*with_edges=*/true);
  g.SortNodes(to.cum_sort);
  const int dropped_edges = g.TrimLowFrequencyEdges(edge_cutoff);
  return TrimmedGraph{std::move(g), orig_count, dropped_nodes, dropped_edges};
}

}  // namespace hearth::profile
