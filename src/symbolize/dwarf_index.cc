#include "symbolize/dwarf_index.h"

#include <dwarf.h>

#include <algorithm>

namespace hearth::symbolize {
namespace {

// Bounds for hostile or absurd DWARF: DIE nesting, ranges per DIE, CUs, scopes per CU.
constexpr int kMaxDieDepth = 256;
constexpr int kMaxRangesPerDie = 1 << 16;
constexpr size_t kMaxCus = size_t{1} << 22;
constexpr size_t kMaxScopesPerCu = size_t{1} << 22;

// Calls f(lo, hi) for each non-empty pc range of `die`.
template <typename F>
void ForEachRange(Dwarf_Die* die, bool relocatable, F&& f) {
  Dwarf_Addr base, lo, hi;
  ptrdiff_t off = 0;
  for (int n = 0; n < kMaxRangesPerDie; ++n) {
    off = dwarf_ranges(die, off, &base, &lo, &hi);
    if (off <= 0) break;
    if (lo >= hi) continue;
    if (lo == 0 && !relocatable) continue;  // Discarded (garbage-collected) code.
    f(lo, hi);
  }
}

// DIEs whose children may hold functions. Types other than classes, namespaces and blocks
// are skipped whole, which keeps indexing a CU cheap.
bool MayContainCode(int tag) {
  switch (tag) {
    case DW_TAG_compile_unit:
    case DW_TAG_partial_unit:
    case DW_TAG_namespace:
    case DW_TAG_module:
    case DW_TAG_class_type:
    case DW_TAG_structure_type:
    case DW_TAG_union_type:
    case DW_TAG_interface_type:
    case DW_TAG_enumeration_type:
    case DW_TAG_subprogram:
    case DW_TAG_inlined_subroutine:
    case DW_TAG_lexical_block:
    case DW_TAG_try_block:
    case DW_TAG_catch_block:
    case DW_TAG_entry_point: return true;
    default: return false;
  }
}

}  // namespace

DwarfIndex::DwarfIndex(Dwarf* dwarf, bool relocatable) : relocatable_(relocatable) {
  Dwarf_CU* cu = nullptr;
  Dwarf_Half version = 0;
  uint8_t unit_type = 0;
  Dwarf_Die cudie;
  while (cus_.size() < kMaxCus &&
         dwarf_get_units(dwarf, cu, &cu, &version, &unit_type, &cudie, nullptr) == 0) {
    // Type units hold no code; split (.dwo) units are not supported.
    if (unit_type != DW_UT_compile && unit_type != DW_UT_partial) continue;
    const uint32_t index = static_cast<uint32_t>(cus_.size());
    cus_.emplace_back().die = cudie;
    bool any = false;
    ForEachRange(&cudie, relocatable_, [&](uint64_t lo, uint64_t hi) {
      cu_ranges_.push_back({lo, hi, index});
      any = true;
    });
    if (!any && dwarf_haschildren(&cudie) > 0) {
      // No CU-level ranges (some assemblers, old producers): index it now and use the
      // ranges of its functions instead.
      IndexCu(cus_.back());
      for (const Scope& s : cus_.back().scopes) {
        if (!s.inlined) cu_ranges_.push_back({s.lo, s.hi, index});
      }
    }
  }
  std::sort(cu_ranges_.begin(), cu_ranges_.end(), [](const CuRange& a, const CuRange& b) {
    return a.lo != b.lo ? a.lo < b.lo : a.hi > b.hi;
  });
  // Overlaps (COMDAT leftovers, broken producers): the first CU keeps the shared part.
  std::vector<CuRange> clipped;
  clipped.reserve(cu_ranges_.size());
  for (CuRange r : cu_ranges_) {
    if (!clipped.empty() && r.lo < clipped.back().hi) r.lo = clipped.back().hi;
    if (r.lo < r.hi) clipped.push_back(r);
  }
  cu_ranges_ = std::move(clipped);
}

DwarfIndex::~DwarfIndex() = default;

void DwarfIndex::IndexCu(Cu& cu) {
  cu.indexed = true;
  if (dwarf_getsrcfiles(&cu.die, &cu.files, &cu.num_files) != 0) {
    cu.files = nullptr;
    cu.num_files = 0;
  }
  // Iterative pre-order walk; `scope_depth` counts enclosing subprogram/inline DIEs.
  struct Pending {
    Dwarf_Die die;
    int die_depth;
    uint16_t scope_depth;
  };
  std::vector<Pending> stack;
  Dwarf_Die child;
  if (dwarf_child(&cu.die, &child) == 0) stack.push_back({child, 1, 0});
  // A pre-order walk meets DIEs at strictly increasing offsets (children follow their
  // parent, a sibling follows the subtree before it). Refusing any step backwards makes a
  // DW_AT_sibling loop in hostile DWARF end, and bounds the walk by the unit's size.
  uintptr_t last = 0;
  while (!stack.empty() && cu.scopes.size() < kMaxScopesPerCu) {
    Pending p = stack.back();
    stack.pop_back();
    const uintptr_t at = reinterpret_cast<uintptr_t>(p.die.addr);
    if (at <= last) continue;
    last = at;
    // The sibling is visited after this DIE's subtree (pushed first, popped last).
    Dwarf_Die sibling;
    if (dwarf_siblingof(&p.die, &sibling) == 0)
      stack.push_back({sibling, p.die_depth, p.scope_depth});
    const int tag = dwarf_tag(&p.die);
    uint16_t child_scope_depth = p.scope_depth;
    if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_entry_point) {
      const bool inlined = tag == DW_TAG_inlined_subroutine;
      bool any = false;
      ForEachRange(&p.die, relocatable_, [&](uint64_t lo, uint64_t hi) {
        cu.scopes.push_back(
            {.lo = lo, .hi = hi, .die = p.die, .depth = p.scope_depth, .inlined = inlined});
        any = true;
      });
      if (any) child_scope_depth = static_cast<uint16_t>(p.scope_depth + 1);
    }
    if (MayContainCode(tag) && p.die_depth < kMaxDieDepth && dwarf_haschildren(&p.die) > 0 &&
        dwarf_child(&p.die, &child) == 0) {
      stack.push_back({child, p.die_depth + 1, child_scope_depth});
    }
  }
  std::vector<Scope>& s = cu.scopes;
  std::sort(s.begin(), s.end(), [](const Scope& a, const Scope& b) {
    if (a.lo != b.lo) return a.lo < b.lo;
    if (a.hi != b.hi) return a.hi > b.hi;
    return a.depth < b.depth;
  });
  // Parent links: the innermost earlier range still open at each range's start.
  std::vector<uint32_t> open;
  for (uint32_t i = 0; i < s.size(); ++i) {
    while (!open.empty() && s[open.back()].hi <= s[i].lo) open.pop_back();
    s[i].parent = open.empty() ? UINT32_MAX : open.back();
    open.push_back(i);
  }
}

const char* DwarfIndex::CallFile(Cu& cu, Dwarf_Die* die) {
  Dwarf_Attribute attr;
  Dwarf_Word index = 0;
  if (dwarf_attr(die, DW_AT_call_file, &attr) == nullptr || dwarf_formudata(&attr, &index) != 0) {
    return nullptr;
  }
  if (cu.files == nullptr || index >= cu.num_files) return nullptr;
  return dwarf_filesrc(cu.files, index, nullptr, nullptr);
}

bool DwarfIndex::Lookup(uint64_t pc, std::vector<RawFrame>* out) {
  auto it = std::upper_bound(cu_ranges_.begin(), cu_ranges_.end(), pc,
                             [](uint64_t a, const CuRange& r) { return a < r.lo; });
  if (it == cu_ranges_.begin() || pc >= (it - 1)->hi) return false;
  Cu& cu = cus_[(it - 1)->cu];
  if (!cu.indexed) IndexCu(cu);

  // The innermost frame's position comes from the line table.
  RawFrame leaf;
  if (Dwarf_Line* line = dwarf_getsrc_die(&cu.die, pc)) {
    leaf.file = dwarf_linesrc(line, nullptr, nullptr);
    dwarf_lineno(line, &leaf.line);
    dwarf_linecol(line, &leaf.column);
  }

  const std::vector<Scope>& s = cu.scopes;
  auto sit =
      std::upper_bound(s.begin(), s.end(), pc, [](uint64_t a, const Scope& x) { return a < x.lo; });
  uint32_t i = sit == s.begin() ? UINT32_MAX : static_cast<uint32_t>(sit - s.begin() - 1);
  for (int guard = 0; i != UINT32_MAX && pc >= s[i].hi && guard < kMaxDieDepth; ++guard) {
    i = s[i].parent;
  }
  if (i == UINT32_MAX || pc >= s[i].hi) {
    out->push_back(leaf);
    return true;
  }
  // Walk outwards: each inline instance's call site is the position in the next frame.
  RawFrame frame = leaf;
  for (int guard = 0; i != UINT32_MAX && guard < kMaxDieDepth; ++guard) {
    const Scope& scope = s[i];
    frame.function = scope.die;
    frame.has_function = true;
    out->push_back(frame);
    if (!scope.inlined) break;  // Reached the out-of-line function.
    Dwarf_Die die = scope.die;
    frame = RawFrame{};
    frame.file = CallFile(cu, &die);
    Dwarf_Attribute attr;
    Dwarf_Word v = 0;
    if (dwarf_attr(&die, DW_AT_call_line, &attr) && dwarf_formudata(&attr, &v) == 0) {
      frame.line = static_cast<int>(v);
    }
    if (dwarf_attr(&die, DW_AT_call_column, &attr) && dwarf_formudata(&attr, &v) == 0) {
      frame.column = static_cast<int>(v);
    }
    // The caller: the nearest enclosing range that contains pc.
    i = scope.parent;
    while (i != UINT32_MAX && pc >= s[i].hi) i = s[i].parent;
    if (i == UINT32_MAX) out->push_back(frame);  // Inline without a function: keep position.
  }
  return true;
}

}  // namespace hearth::symbolize
