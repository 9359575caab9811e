#pragma once

// Kernel symbols from /proc/kallsyms (or a saved copy of it):
//
//   ffffffff81000000 T _text
//   ffffffff8225fd00 t pvm_irq_enable
//   ffffffffc0a01000 t nft_do_chain	[nf_tables]
//
// Only code symbols (t, T, w, W) are kept, sorted by address; a symbol extends to the next
// one. Names live in one arena, module names are interned, so the whole table of a
// typical kernel (~200k symbols) takes a few MB.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace hearth::symbolize {

class Kallsyms {
 public:
  struct Symbol {
    std::string_view name;
    std::string_view module;  // "" for the core kernel.
    uint64_t address = 0;
    uint64_t offset = 0;  // The looked-up address minus the symbol's.
  };

  // Parses kallsyms text. Malformed lines are skipped; an input whose addresses are all
  // zero (kptr_restrict hides them from unprivileged readers) is FailedPrecondition, so a
  // caller can say why kernel frames stay unnamed.
  static absl::StatusOr<Kallsyms> Parse(std::string_view text);
  static absl::StatusOr<Kallsyms> Load(const std::string& path = "/proc/kallsyms");

  Kallsyms(Kallsyms&&) = default;
  Kallsyms& operator=(Kallsyms&&) = default;

  // The code symbol containing `address`, if any.
  std::optional<Symbol> Lookup(uint64_t address) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint64_t address;
    uint32_t name_offset;
    uint32_t name_size;
    uint32_t module;  // Index into modules_, 0 = core kernel ("").
  };
  Kallsyms() = default;

  std::string names_;
  std::vector<std::string> modules_;
  std::vector<Entry> entries_;
};

}  // namespace hearth::symbolize
