// Runtime -> file address translation, on the cases pprof's elfexec tests cover: non-PIE
// executables, PIE and shared libraries under ASLR, segments sharing a page, fake
// mappings, kernels.

#include "symbolize/elf_base.h"

#include <elf.h>
#include <gtest/gtest.h>

namespace hearth::symbolize {
namespace {

ElfLayout Exec() {
  // A classic non-PIE x86-64 executable linked at 0x400000.
  ElfLayout l;
  l.type = ET_EXEC;
  l.loads = {
      {.offset = 0, .vaddr = 0x400000, .filesz = 0x1000, .memsz = 0x1000, .flags = PF_R},
      {.offset = 0x1000,
       .vaddr = 0x401000,
       .filesz = 0x5000,
       .memsz = 0x5000,
       .flags = PF_R | PF_X},
      {.offset = 0x6df0, .vaddr = 0x407df0, .filesz = 0x300, .memsz = 0x500, .flags = PF_R | PF_W}};
  l.text = l.loads[1];
  return l;
}

ElfLayout Pie() {
  // gperf_workload's program headers.
  ElfLayout l;
  l.type = ET_DYN;
  l.loads = {
      {.offset = 0, .vaddr = 0, .filesz = 0x1550, .memsz = 0x1550, .flags = PF_R},
      {.offset = 0x2000, .vaddr = 0x2000, .filesz = 0x23b5, .memsz = 0x23b5, .flags = PF_R | PF_X},
      {.offset = 0x5000, .vaddr = 0x5000, .filesz = 0x206b, .memsz = 0x206b, .flags = PF_R},
      {.offset = 0x7d78, .vaddr = 0x8d78, .filesz = 0x3d0, .memsz = 0x400, .flags = PF_R | PF_W}};
  l.text = l.loads[1];
  return l;
}

uint64_t Base(const ElfLayout& l, MappingRange m, uint64_t addr) {
  absl::StatusOr<uint64_t> b = ComputeBase(l, m, addr);
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? *b : ~uint64_t{0};
}

TEST(ElfBaseTest, NonPieExecutableNeedsNoAdjustment) {
  EXPECT_EQ(Base(Exec(), {0x401000, 0x406000, 0x1000}, 0x401234), 0u);
  // Mapped whole from offset 0 (as old kernels and some tools report it).
  EXPECT_EQ(Base(Exec(), {0x400000, 0x406000, 0}, 0x401234), 0u);
}

TEST(ElfBaseTest, PieUnderAslr) {
  // The gperftools CPU profile: 0x5573b12f0000/0x5573b12f3000/0x2000.
  EXPECT_EQ(Base(Pie(), {0x5573b12f0000, 0x5573b12f3000, 0x2000}, 0x5573b12f039d), 0x5573b12ee000u);
  // A shared library whose text is mapped at an offset that differs from its vaddr.
  ElfLayout lib = Pie();
  lib.loads[1].vaddr = 0x3000;  // offset 0x2000, vaddr 0x3000
  EXPECT_EQ(Base(lib, {0x7f0000002000, 0x7f0000005000, 0x2000}, 0x7f0000002010),
            0x7f0000002000u - 0x2000 + 0x2000 - 0x3000);
}

TEST(ElfBaseTest, MappingThatMatchesNoSegment) {
  auto b = ComputeBase(Pie(), {0x7f0000000000, 0x7f0000001000, 0x40000}, 0x7f0000000010);
  EXPECT_TRUE(absl::IsNotFound(b.status())) << b.status();
  // Address outside the mapping.
  b = ComputeBase(Pie(), {0x5573b12f0000, 0x5573b12f3000, 0x2000}, 0x5573b12f3000);
  EXPECT_TRUE(absl::IsInvalidArgument(b.status())) << b.status();
}

TEST(ElfBaseTest, SegmentsSharingAPage) {
  // The RW segment starts mid-page right after the RO one; a mapping of the RW pages
  // (offset 0x7000) must use the RW segment, not the RO one that ends in the same page.
  const MappingRange rw{0x5573b12f8000, 0x5573b12f9000, 0x7000};
  EXPECT_EQ(Base(Pie(), rw, 0x5573b12f8d80), 0x5573b12f8000u - 0x7000 + 0x7d78 - 0x8d78);
}

TEST(ElfBaseTest, FakeMappingsUseAddressesAsIs) {
  EXPECT_EQ(Base(Pie(), {0, 0, 0}, 0x239d), 0u);
  EXPECT_EQ(Base(Pie(), {0, ~uint64_t{0}, 0}, 0x239d), 0u);
}

TEST(ElfBaseTest, Kernel) {
  ElfLayout vmlinux;
  vmlinux.type = ET_EXEC;
  vmlinux.is_kernel_image = true;
  vmlinux.loads = {{.offset = 0x200000,
                    .vaddr = 0xffffffff81000000,
                    .filesz = 0x1000000,
                    .memsz = 0x1000000,
                    .flags = PF_R | PF_X}};
  vmlinux.text = vmlinux.loads[0];
  vmlinux.stext = 0xffffffff81000000;
  // perf's kernel mapping starts at _stext; KASLR moved the kernel by 0x2a00000.
  EXPECT_EQ(Base(vmlinux, {0xffffffff83a00000, 0xffffffff84a00000, 0}, 0xffffffff83a01234),
            0x2a00000u);
  // No KASLR: base 0.
  EXPECT_EQ(Base(vmlinux, {0xffffffff81000000, 0xffffffff82000000, 0}, 0xffffffff81001234), 0u);
}

TEST(ElfBaseTest, RelocatableAndUnknownTypes) {
  ElfLayout rel;
  rel.type = ET_REL;
  EXPECT_EQ(Base(rel, {0xffffffffc0000000, 0xffffffffc0010000, 0}, 0xffffffffc0000010),
            0xffffffffc0000000u);
  ElfLayout core;
  core.type = ET_CORE;
  EXPECT_FALSE(ComputeBase(core, {0x1000, 0x2000, 0}, 0x1000).ok());
}

}  // namespace
}  // namespace hearth::symbolize
