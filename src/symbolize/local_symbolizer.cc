#include "symbolize/local_symbolizer.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include "absl/container/flat_hash_map.h"

namespace hearth::symbolize {
namespace {

std::optional<FileStamp> Stat(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileStamp{.size = static_cast<uint64_t>(st.st_size),
                   .mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec,
                   .inode = st.st_ino,
                   .device = st.st_dev};
}

bool SameStamp(const FileStamp& a, const FileStamp& b) {
  return a.size == b.size && a.mtime_ns == b.mtime_ns && a.inode == b.inode && a.device == b.device;
}

bool IsAnonymous(std::string_view path) {
  return path.empty() || path.starts_with("//anon") || path.starts_with("[anon") ||
         path.starts_with("/memfd:") || path.starts_with("anon_inode:");
}

// Appends one address's frames; frames without a function name (or no frames at all) get
// the module+offset one, so every frame has a name.
void AddFrames(const Module& module, uint64_t address, std::vector<Frame>& frames, bool real,
               FrameTable* table) {
  if (frames.empty()) frames.emplace_back();
  std::string_view fallback;
  for (Frame& f : frames) {
    if (!f.function.empty()) continue;
    if (fallback.empty()) fallback = table->Own(FallbackName(module, address));
    f.function = fallback;
    f.system_name = fallback;
  }
  table->Add(frames, real);
}

void AddFallbacks(const Module& module, std::span<const uint64_t> addresses, FrameTable* table) {
  std::vector<Frame> none;
  for (uint64_t a : addresses) {
    none.clear();
    AddFrames(module, a, none, false, table);
  }
}

}  // namespace

LocalSymbolizer::LocalSymbolizer(LocalSymbolizerOptions options)
    : options_(std::move(options)),
      finder_(options_.files),
      elf_cache_(options_.max_open_files),
      map_cache_(options_.max_open_files) {}

LocalSymbolizer::~LocalSymbolizer() = default;

LocalSymbolizer::Stats LocalSymbolizer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

ModuleSymbols LocalSymbolizer::Symbolize(const Module& module,
                                         std::span<const uint64_t> addresses) {
  std::lock_guard<std::mutex> lock(mu_);
  ModuleSymbols out;
  out.frames.Reserve(addresses.size());
  if (IsKernelPath(module.path)) {
    SymbolizeKernel(module, addresses, &out);
  } else if (PerfMapPid(module.path) != 0) {
    SymbolizePerfMap(module, module.path, addresses, &out);
  } else if (IsAnonymous(module.path) && module.pid != 0) {
    SymbolizePerfMap(module, fmt::format("{}/perf-{}.map", options_.perf_map_dir, module.pid),
                     addresses, &out);
  } else if (IsUnsymbolizablePath(module.path) || IsAnonymous(module.path)) {
    out.status = absl::NotFoundError(fmt::format("{}: no symbols for this kind of mapping",
                                                 module.path.empty() ? "(unnamed)" : module.path));
    AddFallbacks(module, addresses, &out.frames);
  } else {
    SymbolizeElf(module, addresses, &out);
  }
  return out;
}

LocalSymbolizer::ElfEntry LocalSymbolizer::OpenElf(const Module& module) {
  ElfEntry e;
  absl::StatusOr<std::unique_ptr<ElfFile>> binary = finder_.FindBinary(module);
  if (!binary.ok()) {
    e.status = binary.status();
    return e;
  }
  e.path = (*binary)->path();
  e.stamp = (*binary)->stamp();
  std::unique_ptr<ElfFile> debug;
  if (!(*binary)->has_debug_info()) debug = finder_.FindDebugFile(**binary);
  const std::string debug_path = debug != nullptr ? debug->path() : e.path;
  auto find_alt = [this, debug_path](std::string_view name, std::string_view build_id) {
    return finder_.FindAltFile(name, build_id, debug_path);
  };
  absl::StatusOr<std::unique_ptr<ElfSymbolizer>> s =
      ElfSymbolizer::Create(*std::move(binary), std::move(debug), options_.demangle, find_alt);
  if (!s.ok()) {
    e.status = s.status();
    return e;
  }
  e.symbolizer = *std::move(s);
  ++stats_.files_opened;
  return e;
}

LocalSymbolizer::ElfEntry* LocalSymbolizer::ResolveElf(const Module& module) {
  // With a build id the content is known exactly; without, the path names it and the
  // file's stamp tells whether it changed since it was opened.
  const std::string key = module.build_id.empty() ? "p:" + module.path : "b:" + module.build_id;
  if (ElfEntry* e = elf_cache_.Get(key)) {
    if (!module.build_id.empty() || e->symbolizer == nullptr) {
      ++stats_.cache_hits;
      return e;
    }
    std::optional<FileStamp> now = Stat(e->path);
    if (now && SameStamp(*now, e->stamp)) {
      ++stats_.cache_hits;
      return e;
    }
  }
  return elf_cache_.Put(key, OpenElf(module));
}

void LocalSymbolizer::SymbolizeElf(const Module& module, std::span<const uint64_t> addresses,
                                   ModuleSymbols* out) {
  ElfEntry* entry = ResolveElf(module);
  if (entry->symbolizer == nullptr) {
    out->status = entry->status;
    AddFallbacks(module, addresses, &out->frames);
    return;
  }
  // The frames point into the symbolizer: the results keep it alive past any eviction.
  std::shared_ptr<ElfSymbolizer> sym = entry->symbolizer;
  out->frames.KeepAlive(sym);
  out->source = sym->description();
  out->has_inline_frames = sym->has_dwarf();
  const MappingRange range{module.memory_start, module.memory_limit, module.file_offset};
  // Memo for this call: file address -> index of the first address that had it.
  absl::flat_hash_map<uint64_t, size_t> seen;
  seen.reserve(addresses.size());
  for (size_t i = 0; i < addresses.size(); ++i) {
    frames_.clear();
    absl::StatusOr<uint64_t> file_address = sym->FileAddress(range, addresses[i]);
    if (!file_address.ok()) {
      if (out->status.ok()) {
        out->status =
            absl::Status(file_address.status().code(),
                         sym->description() + ": " + std::string(file_address.status().message()));
      }
      AddFrames(module, addresses[i], frames_, false, &out->frames);
      continue;
    }
    auto [it, inserted] = seen.try_emplace(*file_address, i);
    if (!inserted) {
      out->frames.AddCopyOf(it->second);
      continue;
    }
    ++stats_.lookups;
    const bool real = sym->Symbolize(*file_address, &frames_);
    for (const Frame& f : frames_) {
      if (!f.function.empty()) out->has_functions = true;
      if (!f.file.empty()) out->has_filenames = true;
      if (f.line != 0) out->has_line_numbers = true;
    }
    AddFrames(module, addresses[i], frames_, real, &out->frames);
  }
}

void LocalSymbolizer::SymbolizeKernel(const Module& module, std::span<const uint64_t> addresses,
                                      ModuleSymbols* out) {
  if (options_.kallsyms_path.empty()) {
    out->status = absl::NotFoundError("kernel symbols: no kallsyms file given");
  } else if (kallsyms_ == nullptr && kallsyms_status_.ok()) {
    absl::StatusOr<Kallsyms> k = Kallsyms::Load(options_.kallsyms_path);
    if (k.ok()) {
      kallsyms_ = std::make_shared<const Kallsyms>(*std::move(k));
    } else {
      kallsyms_status_ = k.status();
    }
  }
  if (kallsyms_ == nullptr) {
    if (out->status.ok()) out->status = kallsyms_status_;
    AddFallbacks(module, addresses, &out->frames);
    return;
  }
  out->frames.KeepAlive(kallsyms_);
  out->source = options_.kallsyms_path;
  for (uint64_t a : addresses) {
    frames_.clear();
    const std::optional<Kallsyms::Symbol> s = kallsyms_->Lookup(a);
    if (s) frames_.push_back({.function = s->name, .system_name = s->name});
    out->has_functions |= s.has_value();
    AddFrames(module, a, frames_, s.has_value(), &out->frames);
  }
}

void LocalSymbolizer::SymbolizePerfMap(const Module& module, const std::string& path,
                                       std::span<const uint64_t> addresses, ModuleSymbols* out) {
  // A map recorded on another machine may have been copied next to the profile: fall back
  // to the perf map directory by name.
  std::string resolved = path;
  std::optional<FileStamp> stamp = Stat(resolved);
  if (!stamp) {
    resolved = fmt::format("{}/{}", options_.perf_map_dir, Basename(path));
    stamp = Stat(resolved);
  }
  MapEntry* entry = nullptr;
  if (stamp) {
    entry = map_cache_.Get(resolved);
    if (entry == nullptr || !SameStamp(entry->stamp, *stamp)) {
      MapEntry fresh;
      fresh.stamp = *stamp;
      absl::StatusOr<PerfMap> map = PerfMap::Load(resolved);
      if (map.ok()) {
        fresh.map = std::make_shared<const PerfMap>(*std::move(map));
      } else {
        fresh.status = map.status();
      }
      entry = map_cache_.Put(resolved, std::move(fresh));
    }
  }
  if (entry == nullptr || entry->map == nullptr) {
    out->status =
        entry == nullptr ? absl::NotFoundError(path + ": perf map not found") : entry->status;
    AddFallbacks(module, addresses, &out->frames);
    return;
  }
  out->frames.KeepAlive(entry->map);
  out->source = resolved;
  for (uint64_t a : addresses) {
    frames_.clear();
    const std::optional<std::string_view> name = entry->map->Lookup(a);
    if (name) frames_.push_back({.function = *name, .system_name = *name});
    out->has_functions |= name.has_value();
    AddFrames(module, a, frames_, name.has_value(), &out->frames);
  }
}

}  // namespace hearth::symbolize
