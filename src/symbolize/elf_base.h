#pragma once

// Runtime address -> ELF file address, the way pprof does it (internal/elfexec GetBase and
// binutils findProgramHeader), from the mapping a profile recorded and the file's PT_LOAD
// program headers.
//
//   process memory                         ELF file                    symbol (vaddr) space
//   start ────────┐  x                     offset ──┐ fx = x - start + offset
//     mapping     │──────────────────────►  segment │ ─────────────► sx = fx - p_offset + p_vaddr
//   limit ────────┘                        p_offset ┘
//
// so sx = x - base with base = start - offset + p_offset - p_vaddr, where p is the PT_LOAD
// segment the mapping (and the address) falls in. For a non-PIE ET_EXEC linked at its
// runtime address base comes out 0; for a PIE it is the ASLR load bias. Kernel images
// (ET_EXEC high-half, or with _stext known) follow pprof's kernelBase heuristics. A mapping
// that is all zeros (start 0, offset 0, limit 0 or ~0) is a fake one: addresses are used
// as they are.

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"

namespace hearth::symbolize {

struct LoadSegment {
  uint64_t offset = 0;  // p_offset
  uint64_t vaddr = 0;   // p_vaddr
  uint64_t filesz = 0;
  uint64_t memsz = 0;
  uint32_t flags = 0;  // PF_X | PF_W | PF_R
};

struct ElfLayout {
  uint16_t type = 0;                // e_type: ET_EXEC, ET_DYN, ET_REL ...
  std::vector<LoadSegment> loads;   // PT_LOAD headers in file order.
  std::optional<LoadSegment> text;  // The executable PT_LOAD holding .text.
  // The kernel relocation symbol (_stext), for kernel images only (see ComputeBase).
  std::optional<uint64_t> stext;
  bool is_kernel_image = false;  // The path names a vmlinux.
};

struct MappingRange {
  uint64_t start = 0;
  uint64_t limit = 0;
  uint64_t offset = 0;
};

// The base to subtract from `address` (inside `m`) to get a file address. Errors say why
// the mapping cannot belong to this file ("no program header matches mapping ..."): the
// file is then the wrong one, or the mapping is not code.
absl::StatusOr<uint64_t> ComputeBase(const ElfLayout& layout, const MappingRange& m,
                                     uint64_t address);

}  // namespace hearth::symbolize
