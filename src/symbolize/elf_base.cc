#include "symbolize/elf_base.h"

#include <elf.h>
#include <fmt/format.h>

namespace hearth::symbolize {
namespace {

constexpr uint64_t kPageSize = 4096;

// The PT_LOAD segments a mapping of [offset, offset + size) can come from: pprof's
// ProgramHeadersForMapping, including its two exclusions for neighbouring segments that
// share a page with the mapped one.
std::vector<const LoadSegment*> SegmentsForMapping(const std::vector<LoadSegment>& loads,
                                                   uint64_t map_offset, uint64_t map_size) {
  const uint64_t map_limit = map_offset + map_size;
  std::vector<const LoadSegment*> out;
  for (const LoadSegment& p : loads) {
    if (p.filesz == 0) continue;  // Offsets of empty segments are arbitrary.
    const uint64_t seg_limit = p.offset + p.memsz;
    if (!(map_offset < seg_limit && p.offset < map_limit)) continue;
    // A mapping that starts before the page-aligned segment start maps another segment.
    uint64_t aligned = 0;
    if (p.offset > (p.vaddr & (kPageSize - 1))) aligned = p.offset - (p.vaddr & (kPageSize - 1));
    if (map_offset < aligned) continue;
    // Starting inside the segment, covering under a page of it and running at least a page
    // past it: the mapping belongs to the next segment.
    if (map_offset > p.offset && seg_limit < map_offset + kPageSize &&
        map_limit >= seg_limit + kPageSize) {
      continue;
    }
    out.push_back(&p);
  }
  return out;
}

// pprof's kernelBase: the heuristics for kernel images. Returns nullopt when none applies.
std::optional<uint64_t> KernelBase(const LoadSegment& seg, const uint64_t* stext,
                                   const MappingRange& m) {
  constexpr uint64_t kPageOffsetPpc64 = 0xc000000000000000;
  if (seg.vaddr == m.start - m.offset) return m.offset;
  if (m.start == 0 && m.limit != 0 && stext) return m.start - *stext;
  if (m.start >= seg.vaddr && m.limit > m.start &&
      (m.offset == 0 || m.offset == kPageOffsetPpc64 || m.offset == m.start)) {
    // perf uses _stext as the mapping start: keep that alignment if it matches.
    if (stext && m.start % kPageSize == *stext % kPageSize) return m.start - *stext;
    return m.start - seg.vaddr;
  }
  if (m.start % kPageSize != 0 && stext && *stext % kPageSize == m.start % kPageSize) {
    return m.start - *stext;
  }
  return std::nullopt;
}

// pprof's GetBase for one chosen segment (nullptr = the file has no PT_LOAD).
absl::StatusOr<uint64_t> BaseFor(const ElfLayout& layout, const LoadSegment* seg,
                                 const uint64_t* stext, const MappingRange& m) {
  switch (layout.type) {
    case ET_EXEC: {
      if (seg == nullptr) return 0;  // Fixed-address executable.
      if (!stext && m.start > 0 && m.start < 0x8000000000000000) {
        return m.start - m.offset + seg->offset - seg->vaddr;
      }
      if (auto base = KernelBase(*seg, stext, m)) return *base;
      if (m.start == 0 && m.limit != 0 && !stext) return m.start - seg->vaddr;
      return absl::InvalidArgumentError(fmt::format(
          "cannot place EXEC segment (vaddr {:#x}, offset {:#x}) for mapping start={:#x} "
          "limit={:#x} offset={:#x}",
          seg->vaddr, seg->offset, m.start, m.limit, m.offset));
    }
    case ET_REL:
      if (m.offset != 0) {
        return absl::InvalidArgumentError("relocatable object mapped at a nonzero offset");
      }
      return m.start;
    case ET_DYN: {
      if (seg == nullptr) return m.start - m.offset;
      if (auto base = KernelBase(*seg, stext, m)) return *base;
      return m.start - m.offset + seg->offset - seg->vaddr;
    }
    default: return absl::InvalidArgumentError(fmt::format("unsupported ELF type {}", layout.type));
  }
}

}  // namespace

absl::StatusOr<uint64_t> ComputeBase(const ElfLayout& layout, const MappingRange& m,
                                     uint64_t address) {
  // A fake mapping spanning everything: the addresses were already adjusted.
  if (m.start == 0 && m.offset == 0 && (m.limit == 0 || m.limit == ~uint64_t{0})) return 0;
  if (address < m.start || address >= m.limit) {
    return absl::InvalidArgumentError(fmt::format(
        "address {:#x} is outside the mapping [{:#x}, {:#x})", address, m.start, m.limit));
  }
  // pprof reads _stext only for kernel-looking files or mappings that are not page aligned.
  const bool aligned =
      m.start % kPageSize == 0 && m.limit % kPageSize == 0 && m.offset % kPageSize == 0;
  // nullptr when unknown or not to be used (pprof's kernelOffset).
  const uint64_t* stext =
      (layout.is_kernel_image || !aligned) && layout.stext ? &*layout.stext : nullptr;

  const LoadSegment* seg = nullptr;
  if (stext != nullptr || m.start >= m.limit || m.limit >= (uint64_t{1} << 63)) {
    // Kernel: the segment that holds .text.
    seg = layout.text ? &*layout.text : nullptr;
  } else if (!layout.loads.empty()) {
    std::vector<const LoadSegment*> segs =
        SegmentsForMapping(layout.loads, m.offset, m.limit - m.start);
    if (segs.empty()) {
      return absl::NotFoundError(
          fmt::format("no program header matches mapping offset {:#x} size {:#x}: wrong file?",
                      m.offset, m.limit - m.start));
    }
    if (segs.size() == 1) {
      seg = segs[0];
    } else {
      // Several small segments in the mapped range: pick by the address's file offset.
      const uint64_t file_offset = address - m.start + m.offset;
      for (const LoadSegment* p : segs) {
        if (file_offset >= p->offset && file_offset < p->offset + p->memsz) {
          if (seg != nullptr) {
            return absl::InvalidArgumentError(fmt::format(
                "two program headers match file offset {:#x} (stripped file, or a segment "
                "with uninitialized data?)",
                file_offset));
          }
          seg = p;
        }
      }
      if (seg == nullptr) {
        return absl::NotFoundError(
            fmt::format("no program header matches file offset {:#x}", file_offset));
      }
    }
  }
  return BaseFor(layout, seg, stext, m);
}

}  // namespace hearth::symbolize
