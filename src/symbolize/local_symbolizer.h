#pragma once

// The Symbolizer that reads this machine's files: ELF binaries and debug files (found by
// FileFinder), a kallsyms table for kernel frames, perf maps for JIT frames.
//
//   Module ──► kind? ── "[kernel.kallsyms]"        ──► Kallsyms (options.kallsyms_path)
//                    ── ".../perf-PID.map", or anon
//                       memory of a known pid       ──► PerfMap (reloaded when it changes)
//                    ── "[vdso]", "//anon", ...     ──► fallback names
//                    ── anything else               ──► ElfSymbolizer, from the LRU:
//
//   cache_  key "b:<build id>", or "p:<path>" checked against the file's size, mtime and
//           inode  ──►  opened, indexed ElfSymbolizer (or why none could be opened);
//           at most options.max_open_files entries, least recently used evicted.
//
// Within one Symbolize call, repeated file addresses are symbolized once. Calls are
// serialized by a mutex, so one instance can serve several threads.

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "symbolize/demangle.h"
#include "symbolize/elf_symbolizer.h"
#include "symbolize/file_finder.h"
#include "symbolize/kallsyms.h"
#include "symbolize/lru_cache.h"
#include "symbolize/perf_map.h"
#include "symbolize/symbolizer.h"

namespace hearth::symbolize {

struct LocalSymbolizerOptions {
  // Which files to read (binaries, search paths, debug-file directories). Set
  // files.use_mapping_paths to false for profiles from untrusted sources: otherwise a
  // profile can name any local file to be read.
  FinderOptions files;
  // Kernel symbols; "" leaves kernel frames as fallback names (the right default for
  // profiles taken on another machine or before a reboot: KASLR moves the kernel).
  std::string kallsyms_path;
  // Where perf-<pid>.map files are looked up for anonymous executable memory.
  std::string perf_map_dir = "/tmp";
  DemangleMode demangle = DemangleMode::kSimplified;
  size_t max_open_files = 64;
};

class LocalSymbolizer final : public Symbolizer {
 public:
  explicit LocalSymbolizer(LocalSymbolizerOptions options);
  ~LocalSymbolizer() override;

  ModuleSymbols Symbolize(const Module& module, std::span<const uint64_t> addresses) override;

  struct Stats {
    uint64_t files_opened = 0;  // ElfSymbolizers created (cache misses that found a file).
    uint64_t cache_hits = 0;
    uint64_t lookups = 0;  // Distinct file addresses symbolized.
  };
  Stats stats() const;

 private:
  struct ElfEntry {
    std::shared_ptr<ElfSymbolizer> symbolizer;
    absl::Status status;  // Why there is no symbolizer.
    std::string path;     // The file opened, for staleness checks.
    FileStamp stamp;
  };
  struct MapEntry {
    std::shared_ptr<const PerfMap> map;
    absl::Status status;
    FileStamp stamp;
  };

  ElfEntry* ResolveElf(const Module& module);
  ElfEntry OpenElf(const Module& module);
  void SymbolizeElf(const Module& module, std::span<const uint64_t> addresses, ModuleSymbols* out);
  void SymbolizeKernel(const Module& module, std::span<const uint64_t> addresses,
                       ModuleSymbols* out);
  void SymbolizePerfMap(const Module& module, const std::string& path,
                        std::span<const uint64_t> addresses, ModuleSymbols* out);

  LocalSymbolizerOptions options_;
  FileFinder finder_;
  mutable std::mutex mu_;
  LruCache<std::string, ElfEntry> elf_cache_;
  LruCache<std::string, MapEntry> map_cache_;
  // Loaded on first use; shared with the results that point into it.
  std::shared_ptr<const Kallsyms> kallsyms_;
  absl::Status kallsyms_status_;
  Stats stats_;
  std::vector<Frame> frames_;  // Scratch, reused across addresses.
};

}  // namespace hearth::symbolize
