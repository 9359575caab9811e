#include "profile/call_tree.h"

#include <fmt/format.h>

#include <algorithm>

#include "profile/graph.h"

namespace hearth::profile {

std::string FrameName(const Profile& p, const Location& loc, const Line* line) {
  if (line != nullptr && line->function != kNone) {
    std::string_view name = p.Str(p.functions[line->function].name);
    if (!name.empty()) return std::string(name);
  }
  // Unsymbolized: the address as `pprof -raw` prints it (what folded stacks made from raw
  // output show); once aggregated to functions the address is 0 and pprof shows the binary.
  if (loc.address != 0) return fmt::format("{:#x}", loc.address);
  if (loc.mapping != kNone) {
    std::string_view file = p.Str(p.mappings[loc.mapping].filename);
    if (!file.empty()) return fmt::format("[{}]", BasePath(file));
  }
  return "<unknown>";
}

CallTree CallTree::Build(const Profile& p, size_t value_index) {
  CallTree t;
  t.nodes_.push_back(Node{});

  // Frame name ids of every location, outermost first (the order a root-first walk meets
  // them), computed once so the per-sample walk does no string work.
  absl::flat_hash_map<std::string, uint32_t> name_ids;
  std::vector<uint32_t> loc_begin;
  std::vector<uint32_t> loc_frames;
  loc_begin.reserve(p.locations.size() + 1);
  loc_frames.reserve(p.lines.size() + p.locations.size());
  auto intern = [&](std::string name) {
    auto [it, inserted] = name_ids.try_emplace(name, static_cast<uint32_t>(t.names_.size()));
    if (inserted) t.names_.push_back(std::move(name));
    loc_frames.push_back(it->second);
  };
  for (const Location& loc : p.locations) {
    loc_begin.push_back(static_cast<uint32_t>(loc_frames.size()));
    std::span<const Line> lines = p.Lines(loc);
    if (lines.empty()) intern(FrameName(p, loc, nullptr));
    for (size_t i = lines.size(); i-- > 0;) intern(FrameName(p, loc, &lines[i]));
  }
  loc_begin.push_back(static_cast<uint32_t>(loc_frames.size()));

  for (const Sample& s : p.samples) {
    const int64_t v = p.Values(s)[value_index];
    if (v == 0) continue;
    uint32_t node = 0;
    t.nodes_[0].total += v;
    std::span<const uint32_t> stack = p.Stack(s);
    for (size_t i = stack.size(); i-- > 0;) {
      const uint32_t loc = stack[i];
      for (uint32_t f = loc_begin[loc]; f < loc_begin[loc + 1]; ++f) {
        const uint32_t name = loc_frames[f];
        auto [it, inserted] = t.child_index_.try_emplace((uint64_t{node} << 32) | name,
                                                         static_cast<uint32_t>(t.nodes_.size()));
        if (inserted) {
          Node child;
          child.parent = node;
          child.name = name;
          t.nodes_.push_back(child);
        }
        node = it->second;
        t.nodes_[node].total += v;
      }
    }
    t.nodes_[node].self += v;
  }
  return t;
}

std::vector<std::vector<uint32_t>> CallTree::Children() const {
  std::vector<std::vector<uint32_t>> children(nodes_.size());
  for (uint32_t i = 1; i < nodes_.size(); ++i) children[nodes_[i].parent].push_back(i);
  return children;
}

std::string CallTree::ToFolded() const {
  // Lines are written once into one buffer (each path back to front, following parents)
  // and sorted as views; the sizes are known up front from the path lengths.
  std::vector<size_t> path_len(nodes_.size(), 0);  // "a;b;c" length; node 0 is the root
  for (uint32_t i = 1; i < nodes_.size(); ++i) {
    // A parent is always created before its children.
    const size_t parent = nodes_[i].parent == 0 ? 0 : path_len[nodes_[i].parent] + 1;
    path_len[i] = parent + names_[nodes_[i].name].size();
  }
  std::vector<std::pair<size_t, size_t>> spans;  // [begin, size) of each line in buf
  size_t total = 0;
  for (uint32_t i = 1; i < nodes_.size(); ++i) {
    if (nodes_[i].self == 0) continue;
    const size_t size = path_len[i] + 1 + fmt::formatted_size("{}", nodes_[i].self);
    spans.emplace_back(total, size);
    total += size;
  }
  std::string buf(total, '\0');
  size_t line = 0;
  for (uint32_t i = 1; i < nodes_.size(); ++i) {
    if (nodes_[i].self == 0) continue;
    char* begin = buf.data() + spans[line++].first;
    char* end = begin + path_len[i];
    *end = ' ';
    fmt::format_to(end + 1, "{}", nodes_[i].self);
    for (uint32_t n = i; n != 0; n = nodes_[n].parent) {
      const std::string& name = names_[nodes_[n].name];
      end -= name.size();
      std::copy(name.begin(), name.end(), end);
      if (end != begin) *--end = ';';
    }
  }
  std::vector<std::string_view> lines;
  lines.reserve(spans.size());
  for (const auto& [begin, size] : spans) lines.emplace_back(buf.data() + begin, size);
  std::sort(lines.begin(), lines.end());
  std::string out;
  out.reserve(total + lines.size());
  for (std::string_view l : lines) {
    out.append(l);
    out.push_back('\n');
  }
  return out;
}

}  // namespace hearth::profile
