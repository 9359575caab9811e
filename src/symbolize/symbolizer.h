#pragma once

// The symbolizer seam: "these addresses were sampled in this module; what code is that?"
//
// Format converters, the agent and the server all ask the same question with different
// sources of truth (local files, /proc/kallsyms, /tmp/perf-PID.map, an uploaded debug-info
// store), so callers hold a Symbolizer& and never know which one answers.
//
//   Module {path, build_id, mapping range}   addresses (runtime, as sampled)
//                  │                                │
//                  └──────────► Symbolizer ◄────────┘
//                                   │
//                   ModuleSymbols: per address, frames innermost first
//                   (inlined callee ... outermost caller), like pprof Location.line
//
// A module that cannot be symbolized (file missing, unreadable, not ELF, build id
// mismatch) is never an error for the caller's whole job: ModuleSymbols.status says why
// and every address gets a `module+0xoffset` frame instead (see FallbackName).
// The results hold their own strings (FrameTable), so they outlive caches and symbolizers.

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace hearth::symbolize {

// Where sampled addresses come from: one mapping of one process (pprof's Mapping).
struct Module {
  // The path the process had mapped ("/usr/lib/x86_64-linux-gnu/libc.so.6"), a pseudo
  // name ("[kernel.kallsyms]", "[vdso]"), a JIT map ("/tmp/perf-123.map") or "".
  std::string path = {};
  // Lower-case hex GNU build id, if the producer recorded one.
  std::string build_id = {};
  // The runtime mapping. All zero means the addresses are already file (ELF) addresses.
  uint64_t memory_start = 0;
  uint64_t memory_limit = 0;
  uint64_t file_offset = 0;
  // The process, when known: anonymous executable memory of this pid is looked up in
  // perf-<pid>.map. 0 = unknown.
  uint32_t pid = 0;
};

// One source-level frame. The strings are views into storage whoever produced the frame
// keeps alive (a FrameTable, an ElfSymbolizer): symbol names repeat across thousands of
// addresses, so frames share them instead of each owning a copy.
struct Frame {
  std::string_view function = {};     // Human name (demangled per options): Function.name.
  std::string_view system_name = {};  // As written in the binary (mangled): system_name.
  std::string_view file = {};         // Source file, "" if unknown.
  int64_t line = 0;                   // 0 if unknown.
  int64_t column = 0;                 // 0 if unknown.
  int64_t start_line = 0;             // Line where the function is declared, 0 if unknown.
};

// The frames of a list of addresses, stored flat, with the strings they point to:
//
//   pool_   [f f f][f][f f] ...        every address's frames, innermost first
//   begin_  0     3  4     6 ...       address i has pool_[begin_[i], begin_[i+1])
//   owned_ / keep_alive_               what the views in pool_ point into
class FrameTable {
 public:
  FrameTable() = default;
  FrameTable(FrameTable&&) = default;
  FrameTable& operator=(FrameTable&&) = default;
  FrameTable(const FrameTable&) = delete;
  FrameTable& operator=(const FrameTable&) = delete;

  size_t size() const { return real_.size(); }
  // The frames of address i, innermost first; never empty for a table a Symbolizer made.
  std::span<const Frame> operator[](size_t i) const {
    return {pool_.data() + begin_[i], begin_[i + 1] - begin_[i]};
  }
  // False when address i has only the `module+0xoffset` fallback.
  bool real(size_t i) const { return real_[i]; }

  // Appends the next address's frames. Their strings must outlive the table: views into
  // Own()ed strings or into an object passed to KeepAlive.
  void Add(std::span<const Frame> frames, bool real);
  // Appends a copy of address i's frames as the next address (repeated addresses).
  void AddCopyOf(size_t i);
  // Copies a string into storage the table owns.
  std::string_view Own(std::string_view s);
  // Keeps the object that the views of later Adds point into alive with the table.
  void KeepAlive(std::shared_ptr<const void> owner);
  void Reserve(size_t addresses);

 private:
  std::vector<Frame> pool_;
  std::vector<uint32_t> begin_ = {0};
  std::vector<bool> real_;
  std::deque<std::string> owned_;  // A deque never moves its strings.
  std::vector<std::shared_ptr<const void>> keep_alive_;
};

// What a symbolizer could tell about one module.
struct ModuleSymbols {
  // OK, or why the module's own symbols were unavailable (the frames are then fallbacks).
  absl::Status status;
  // The file (or table) that answered, for messages: "/usr/lib/debug/.build-id/...".
  std::string source;
  // Whether any address got a real function name / file / line, and whether inline
  // frames were looked for (DWARF present): pprof Mapping.has_*.
  bool has_functions = false;
  bool has_filenames = false;
  bool has_line_numbers = false;
  bool has_inline_frames = false;
  // frames[i] belongs to addresses[i].
  FrameTable frames;
};

class Symbolizer {
 public:
  virtual ~Symbolizer() = default;

  // Symbolizes runtime addresses sampled in `module`. Addresses are used as given: a
  // caller whose non-leaf addresses are return addresses subtracts 1 first (pprof's
  // gperftools and legacy converters already did; do not subtract twice).
  virtual ModuleSymbols Symbolize(const Module& module, std::span<const uint64_t> addresses) = 0;
};

// `basename+0x<file offset>`: the name a frame gets when its module has no usable
// symbols. The offset is address - memory_start + file_offset, stable across ASLR.
std::string FallbackName(const Module& module, uint64_t address);

// pprof's Mapping.Unsymbolizable: "[vdso]", "[stack]", "linux-vdso*", "/dev/dri/*" ...
// (kernel pseudo paths are handled separately, see IsKernelPath).
bool IsUnsymbolizablePath(std::string_view path);

// "[kernel.kallsyms]", "[kernel.kallsyms]_stext", "[kernel]", "[vmlinux]".
bool IsKernelPath(std::string_view path);

// The pid of a perf JIT map path ("/tmp/perf-123.map" -> 123), 0 if it is not one.
uint32_t PerfMapPid(std::string_view path);

}  // namespace hearth::symbolize
