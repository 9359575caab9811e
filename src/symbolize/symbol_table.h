#pragma once

// An address-sorted index of an ELF file's function symbols (.symtab, else .dynsym): the
// fallback when there is no DWARF, and the source of names DWARF lacks.
//
//   symbols_  [addr₀ size₀ name₀] [addr₁ ...] ...   sorted by address, one per address
//   Find(pc): the last symbol with addr ≤ pc, if pc < addr + size (size 0: up to the next)
//
// Names point into the ELF string table (or owned_names_), so the table must not outlive
// its Elf.

#include <libelf.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace hearth::symbolize {

class SymbolTable {
 public:
  struct Symbol {
    uint64_t address = 0;
    uint64_t size = 0;
    const char* name = nullptr;
  };

  SymbolTable() = default;

  // Reads the function symbols of `elf`: every SHT_SYMTAB section, or, when there is none,
  // SHT_DYNSYM. Unreadable sections are skipped (a hostile file yields fewer symbols, never
  // an error). When several symbols share an address, perf's preference picks one (see
  // the .cc).
  static SymbolTable Read(Elf* elf);

  // Adds `name@plt` symbols for the PLT stubs of an x86-64 or AArch64 binary (as perf and
  // GDB show them), from .rela.plt and .plt/.plt.sec. Addresses already named are kept.
  void AddPltSymbols(Elf* elf);

  const Symbol* Find(uint64_t address) const;
  size_t size() const { return symbols_.size(); }
  bool empty() const { return symbols_.empty(); }
  // The value of `_stext` (any type), the kernel relocation symbol.
  std::optional<uint64_t> stext() const { return stext_; }

 private:
  std::vector<Symbol> symbols_;
  std::optional<uint64_t> stext_;
  std::deque<std::string> owned_names_;  // "name@plt"; a deque never moves its strings.
};

}  // namespace hearth::symbolize
