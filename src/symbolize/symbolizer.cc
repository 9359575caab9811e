#include "symbolize/symbolizer.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace hearth::symbolize {

void FrameTable::Add(std::span<const Frame> frames, bool real) {
  pool_.insert(pool_.end(), frames.begin(), frames.end());
  begin_.push_back(static_cast<uint32_t>(pool_.size()));
  real_.push_back(real);
}

void FrameTable::AddCopyOf(size_t i) {
  const uint32_t b = begin_[i], e = begin_[i + 1];
  for (uint32_t k = b; k < e; ++k) pool_.push_back(pool_[k]);  // By index: pool_ may grow.
  begin_.push_back(static_cast<uint32_t>(pool_.size()));
  real_.push_back(real_[i]);
}

std::string_view FrameTable::Own(std::string_view s) { return owned_.emplace_back(s); }

void FrameTable::KeepAlive(std::shared_ptr<const void> owner) {
  if (owner != nullptr) keep_alive_.push_back(std::move(owner));
}

void FrameTable::Reserve(size_t addresses) {
  begin_.reserve(addresses + 1);
  real_.reserve(addresses);
  pool_.reserve(addresses * 2);
}

std::string FallbackName(const Module& module, uint64_t address) {
  std::string_view base = module.path;
  if (const size_t slash = base.rfind('/'); slash != std::string_view::npos) {
    base.remove_prefix(slash + 1);
  }
  if (base.empty()) base = "[unknown]";
  // Outside its mapping (or no mapping at all) the address itself is the best identifier.
  const bool inside =
      address >= module.memory_start && (module.memory_limit == 0 || address < module.memory_limit);
  const uint64_t offset = inside ? address - module.memory_start + module.file_offset : address;
  return fmt::format("{}+{:#x}", base, offset);
}

bool IsKernelPath(std::string_view path) {
  return path.starts_with("[kernel.kallsyms]") || path == "[kernel]" || path == "[vmlinux]";
}

bool IsUnsymbolizablePath(std::string_view path) {
  std::string_view base = path;
  if (const size_t slash = base.rfind('/'); slash != std::string_view::npos) {
    base.remove_prefix(slash + 1);
  }
  if (IsKernelPath(path)) return false;
  return base.starts_with("[") || base.starts_with("linux-vdso") || path.starts_with("/dev/dri/") ||
         path.starts_with("//anon") || path.starts_with("/memfd:") ||
         path.starts_with("anon_inode:");
}

uint32_t PerfMapPid(std::string_view path) {
  std::string_view base = path;
  if (const size_t slash = base.rfind('/'); slash != std::string_view::npos) {
    base.remove_prefix(slash + 1);
  }
  if (!base.starts_with("perf-") || !base.ends_with(".map")) return 0;
  uint32_t pid = 0;
  if (!ParseInt(base.substr(5, base.size() - 9), &pid)) return 0;
  return pid;
}

}  // namespace hearth::symbolize
