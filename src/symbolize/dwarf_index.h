#pragma once

// Address lookups over DWARF (libdw), indexed so that each lookup is a few binary searches:
//
//   cu_ranges_   [lo, hi) -> compilation unit, built once at open from each CU DIE's
//                DW_AT_ranges / low_pc+high_pc (not .debug_aranges, which clang omits)
//   per CU, on its first lookup:
//   scopes_      every subprogram and inlined_subroutine pc range of the CU, sorted by lo,
//                each with the index of its innermost enclosing range (ranges nest):
//
//                  [main ............................................)   parent -
//                     [inlined atof ....)      [inlined g ........)       parent main
//                                                 [inlined h ..)          parent g
//
//                Lookup(pc): the last range with lo ≤ pc, then up the parent links to the
//                first that contains pc; the chain from there to the subprogram is the
//                inline stack, innermost first.
//   the line table (dwarf_getsrc_die) gives file:line:column for the innermost frame; each
//   inlined_subroutine's DW_AT_call_file/line/column gives the position in its caller.
//
// Everything returned points into libdw's data: valid while the Dwarf lives.

#include <elfutils/libdw.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace hearth::symbolize {

class DwarfIndex {
 public:
  struct RawFrame {
    Dwarf_Die function;  // The subprogram or inlined_subroutine DIE (valid if has_function).
    bool has_function = false;
    const char* file = nullptr;
    int line = 0;
    int column = 0;
  };

  // Indexes the CUs of `dwarf`. `relocatable` keeps ranges that start at address 0 (in
  // linked files those are the tombstones of discarded functions).
  DwarfIndex(Dwarf* dwarf, bool relocatable);
  ~DwarfIndex();
  DwarfIndex(const DwarfIndex&) = delete;
  DwarfIndex& operator=(const DwarfIndex&) = delete;

  // Appends the frames at `pc`, innermost first, to `out`. Returns false (and appends
  // nothing) if no CU covers pc. A covered pc without a subprogram yields one frame with
  // has_function false but the line-table position.
  bool Lookup(uint64_t pc, std::vector<RawFrame>* out);

  size_t num_cus() const { return cus_.size(); }

 private:
  struct Scope {
    uint64_t lo = 0;
    uint64_t hi = 0;
    Dwarf_Die die;
    uint32_t parent = UINT32_MAX;
    uint16_t depth = 0;  // Nesting of scope DIEs; orders equal ranges outer first.
    bool inlined = false;
  };
  struct Cu {
    Dwarf_Die die;
    bool indexed = false;
    std::vector<Scope> scopes;
    Dwarf_Files* files = nullptr;
    size_t num_files = 0;
  };
  struct CuRange {
    uint64_t lo, hi;
    uint32_t cu;
  };

  void IndexCu(Cu& cu);
  const char* CallFile(Cu& cu, Dwarf_Die* die);

  bool relocatable_;
  std::vector<Cu> cus_;
  std::vector<CuRange> cu_ranges_;
};

}  // namespace hearth::symbolize
