#include "symbolize/kallsyms.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "base/file.h"
#include "base/strings.h"

namespace hearth::symbolize {
namespace {

// Past the last symbol there is no next one to bound it; kernel text ends with _etext, and
// modules' last functions are small, so anything further is not this symbol's.
constexpr uint64_t kMaxLastSymbolSize = 1 << 20;

bool IsCodeType(char t) { return t == 't' || t == 'T' || t == 'w' || t == 'W'; }

}  // namespace

absl::StatusOr<Kallsyms> Kallsyms::Parse(std::string_view text) {
  Kallsyms k;
  k.modules_.emplace_back();
  absl::flat_hash_map<std::string, uint32_t> module_ids;
  size_t lines = 0;
  bool any_nonzero = false;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    // "ADDRESS TYPE NAME[\t[MODULE]]"
    const size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos || sp1 + 3 > line.size() || line[sp1 + 2] != ' ') continue;
    uint64_t address = 0;
    if (!ParseInt(line.substr(0, sp1), &address, 16)) continue;
    ++lines;
    if (address != 0) any_nonzero = true;
    if (!IsCodeType(line[sp1 + 1])) continue;
    std::string_view name = line.substr(sp1 + 3);
    std::string_view module;
    if (const size_t tab = name.find('\t'); tab != std::string_view::npos) {
      module = TrimSpace(name.substr(tab + 1));
      name = name.substr(0, tab);
      if (module.size() >= 2 && module.front() == '[' && module.back() == ']') {
        module = module.substr(1, module.size() - 2);
      }
    }
    name = TrimSpace(name);
    if (name.empty() || name.size() > UINT32_MAX || k.names_.size() > UINT32_MAX - name.size()) {
      continue;
    }
    uint32_t module_id = 0;
    if (!module.empty()) {
      auto [it, inserted] =
          module_ids.try_emplace(std::string(module), static_cast<uint32_t>(k.modules_.size()));
      if (inserted) k.modules_.emplace_back(module);
      module_id = it->second;
    }
    k.entries_.push_back({address, static_cast<uint32_t>(k.names_.size()),
                          static_cast<uint32_t>(name.size()), module_id});
    k.names_.append(name);
  }
  if (lines > 0 && !any_nonzero) {
    return absl::FailedPreconditionError(
        "kallsyms: every address is zero (hidden by kernel.kptr_restrict); read it as root "
        "or with kptr_restrict=0");
  }
  if (k.entries_.empty()) return absl::InvalidArgumentError("kallsyms: no code symbols");
  // Stable: among aliases at one address the first listed wins (the kernel lists the
  // canonical name first).
  std::stable_sort(k.entries_.begin(), k.entries_.end(),
                   [](const Entry& a, const Entry& b) { return a.address < b.address; });
  return k;
}

absl::StatusOr<Kallsyms> Kallsyms::Load(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path, size_t{512} << 20);
  if (!text.ok()) return text.status();
  absl::StatusOr<Kallsyms> k = Parse(*text);
  if (!k.ok())
    return absl::Status(k.status().code(), path + ": " + std::string(k.status().message()));
  return k;
}

std::optional<Kallsyms::Symbol> Kallsyms::Lookup(uint64_t address) const {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), address,
                             [](uint64_t a, const Entry& e) { return a < e.address; });
  if (it == entries_.begin()) return std::nullopt;
  const Entry& e = *(it - 1);
  // Skip to the first alias at this address.
  const Entry* first = &e;
  while (first != entries_.data() && (first - 1)->address == e.address) --first;
  if (it == entries_.end() && address - e.address >= kMaxLastSymbolSize) return std::nullopt;
  return Symbol{.name = std::string_view(names_).substr(first->name_offset, first->name_size),
                .module = modules_[first->module],
                .address = first->address,
                .offset = address - first->address};
}

}  // namespace hearth::symbolize
