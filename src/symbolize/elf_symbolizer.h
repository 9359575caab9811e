#pragma once

// Symbolization of one ELF object: its DWARF (functions, inline chains, lines) when present,
// else its symbol table. The files are found elsewhere (file_finder.h); this class only
// reads what it is given:
//
//   binary  the file the process mapped, maybe stripped: program headers (for the address
//           translation), .dynsym, maybe .symtab and DWARF
//   debug   optional separate debug file (/usr/lib/debug/.build-id/xx/yyyy.debug or the
//           .gnu_debuglink target): DWARF and .symtab, same addresses as the binary
//   alt     optional dwz supplementary file (.gnu_debugaltlink), shared DWARF
//
// Opening reads headers and builds the CU range index; each CU's function/inline index and
// line table are built on the first address that falls in it. Not thread-safe.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "symbolize/demangle.h"
#include "symbolize/dwarf_index.h"
#include "symbolize/elf_base.h"
#include "symbolize/elf_file.h"
#include "symbolize/symbol_table.h"
#include "symbolize/symbolizer.h"

namespace hearth::symbolize {

class ElfSymbolizer {
 public:
  // Finds the dwz supplementary file named in .gnu_debugaltlink (name, build id), or null.
  using AltFinder =
      std::function<std::unique_ptr<ElfFile>(std::string_view name, std::string_view build_id)>;

  // `binary` or `debug` may be null, not both. Fails only if neither has anything to
  // symbolize with (no DWARF, no symbols).
  static absl::StatusOr<std::unique_ptr<ElfSymbolizer>> Create(std::unique_ptr<ElfFile> binary,
                                                               std::unique_ptr<ElfFile> debug,
                                                               DemangleMode demangle,
                                                               const AltFinder& find_alt = {});
  // Convenience for one self-contained file (tests, fuzzers).
  static absl::StatusOr<std::unique_ptr<ElfSymbolizer>> OpenFile(
      const std::string& path, DemangleMode demangle = DemangleMode::kSimplified);

  ~ElfSymbolizer();
  ElfSymbolizer(const ElfSymbolizer&) = delete;
  ElfSymbolizer& operator=(const ElfSymbolizer&) = delete;

  // The file address (the address space of symbols and DWARF) of a runtime address in a
  // mapping of this file. See elf_base.h.
  absl::StatusOr<uint64_t> FileAddress(const MappingRange& m, uint64_t address) const;

  // Replaces *frames with the frames at `file_address`, innermost first; their strings
  // stay valid as long as this ElfSymbolizer. Returns false (and leaves *frames empty)
  // when neither DWARF nor the symbol table knows the address. A
  // frame may lack a function name (DWARF line info in code no symbol covers).
  bool Symbolize(uint64_t file_address, std::vector<Frame>* frames);

  bool has_dwarf() const { return index_ != nullptr; }
  bool has_symbols() const { return !symbols_.empty(); }
  const std::string& build_id() const { return build_id_; }
  // "path" or "path (debug info: path)", for messages.
  const std::string& description() const { return description_; }

 private:
  struct Name {
    const char* system_name = nullptr;  // Mangled, as in the file.
    std::string name;                   // Demangled per mode.
    int decl_line = 0;
    bool has_linkage_name = false;
  };

  ElfSymbolizer() = default;
  const Name& DieName(Dwarf_Die* die);
  const Name& SymbolName(const char* symbol);

  // Destruction runs bottom-up: the index and Dwarf handles go before the files they read.
  std::unique_ptr<ElfFile> binary_;
  std::unique_ptr<ElfFile> debug_;
  std::unique_ptr<ElfFile> alt_;
  DwarfPtr alt_dwarf_;
  DwarfPtr dwarf_;
  std::unique_ptr<DwarfIndex> index_;
  SymbolTable symbols_;
  ElfLayout layout_;
  std::string build_id_;
  std::string description_;
  DemangleMode demangle_ = DemangleMode::kSimplified;
  // Demangled names, keyed by DIE address or symbol-name pointer (both stable).
  absl::node_hash_map<const void*, Name> names_;  // Stable references.
  std::vector<DwarfIndex::RawFrame> raw_;
};

}  // namespace hearth::symbolize
