#include "symbolize/perf_map.h"

#include <algorithm>
#include <map>

#include "base/file.h"
#include "base/strings.h"

namespace hearth::symbolize {
namespace {

bool ParseHex(std::string_view s, uint64_t* out) {
  if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
  return ParseInt(s, out, 16);
}

}  // namespace

PerfMap PerfMap::Parse(std::string_view text) {
  PerfMap m;
  // start -> (end, name index); kept disjoint while inserting in file order.
  std::map<uint64_t, std::pair<uint64_t, uint32_t>> live;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) continue;
    const size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) continue;
    uint64_t start = 0, size = 0;
    if (!ParseHex(line.substr(0, sp1), &start) ||
        !ParseHex(line.substr(sp1 + 1, sp2 - sp1 - 1), &size) || size == 0 ||
        start > UINT64_MAX - size) {
      continue;
    }
    const std::string_view name = TrimSpace(line.substr(sp2 + 1));
    if (name.empty()) continue;
    const uint64_t end = start + size;
    const uint32_t id = static_cast<uint32_t>(m.names_.size());
    m.names_.emplace_back(name);

    // Cut every older interval overlapping [start, end) down to what lies outside it.
    auto it = live.lower_bound(start);
    if (it != live.begin()) {
      auto prev = std::prev(it);
      if (prev->second.first > start) {
        const auto [prev_end, prev_name] = prev->second;
        prev->second.first = start;
        if (prev_end > end) live[end] = {prev_end, prev_name};
      }
    }
    it = live.lower_bound(start);
    while (it != live.end() && it->first < end) {
      const auto [old_end, old_name] = it->second;
      it = live.erase(it);
      if (old_end > end) {
        live[end] = {old_end, old_name};
        break;
      }
    }
    live[start] = {end, id};
  }
  m.intervals_.reserve(live.size());
  for (const auto& [start, v] : live) m.intervals_.push_back({start, v.first, v.second});
  return m;
}

absl::StatusOr<PerfMap> PerfMap::Load(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path, size_t{1} << 30);
  if (!text.ok()) return text.status();
  return Parse(*text);
}

std::optional<std::string_view> PerfMap::Lookup(uint64_t address) const {
  auto it = std::upper_bound(intervals_.begin(), intervals_.end(), address,
                             [](uint64_t a, const Interval& i) { return a < i.start; });
  if (it == intervals_.begin()) return std::nullopt;
  const Interval& i = *(it - 1);
  if (address >= i.end) return std::nullopt;
  return names_[i.name];
}

}  // namespace hearth::symbolize
