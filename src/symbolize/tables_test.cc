// kallsyms and perf-map parsing on small hand-written files (addresses taken from the
// perf fixture's kernel frames and from the shapes Node's --perf-basic-prof writes).

#include <gtest/gtest.h>

#include "symbolize/kallsyms.h"
#include "symbolize/perf_map.h"
#include "symbolize/symbolizer.h"

namespace hearth::symbolize {
namespace {

constexpr std::string_view kKallsyms =
    "ffffffff81000000 T _text\n"
    "ffffffff81000000 T _stext\n"
    "ffffffff81000130 T entry_SYSCALL_64_after_hwframe\n"
    "ffffffff8134b720 T flush_tlb_mm_range\n"
    "ffffffff81400000 D some_data\n"  // Not code: skipped.
    "ffffffff8225a650 T do_syscall_64\n"
    "ffffffff8225fc30 T __raw_callee_save_pvm_irq_enable\n"
    "ffffffff8225fd00 t pvm_irq_enable\n"
    "garbage line\n"
    "ffffffffc0a01000 t nft_do_chain\t[nf_tables]\n"
    "ffffffffc0a01400 T nft_trace_init\t[nf_tables]\n"
    "ffffffffc0b00000 t ext4_sync_fs\t[ext4]\n";

TEST(KallsymsTest, LooksUpPerfFixtureFrames) {
  auto k = Kallsyms::Parse(kKallsyms);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->size(), 10u);
  // perf script: "ffffffff8225fd19 pvm_irq_enable+0x19 ([kernel.kallsyms])".
  auto s = k->Lookup(0xffffffff8225fd19);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, "pvm_irq_enable");
  EXPECT_EQ(s->module, "");
  EXPECT_EQ(s->offset, 0x19u);
  // "ffffffff8134bbd7 flush_tlb_mm_range+0x4b7".
  EXPECT_EQ(k->Lookup(0xffffffff8134bbd7)->name, "flush_tlb_mm_range");
  EXPECT_EQ(k->Lookup(0xffffffff8134bbd7)->offset, 0x4b7u);
  // "ffffffff81000130 entry_SYSCALL_64_after_hwframe+0x76" (at +0x76 of the symbol).
  EXPECT_EQ(k->Lookup(0xffffffff810001a6)->name, "entry_SYSCALL_64_after_hwframe");
  // Aliases: the first listed wins.
  EXPECT_EQ(k->Lookup(0xffffffff81000010)->name, "_text");
  // Data symbols do not bound code: this address is still flush_tlb_mm_range's range.
  EXPECT_EQ(k->Lookup(0xffffffff81400010)->name, "flush_tlb_mm_range");
  // Module symbols carry their module.
  s = k->Lookup(0xffffffffc0a01010);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, "nft_do_chain");
  EXPECT_EQ(s->module, "nf_tables");
  EXPECT_EQ(k->Lookup(0xffffffffc0b00004)->module, "ext4");
  // Before the first symbol, and far past the last.
  EXPECT_FALSE(k->Lookup(0xffffffff80000000).has_value());
  EXPECT_FALSE(k->Lookup(0xffffffffc0f00000).has_value());
}

TEST(KallsymsTest, RestrictedAndEmptyTables) {
  // What an unprivileged reader sees with kptr_restrict: every address zero.
  auto hidden = Kallsyms::Parse("0000000000000000 T _text\n0000000000000000 t pvm_irq_enable\n");
  EXPECT_TRUE(absl::IsFailedPrecondition(hidden.status())) << hidden.status();
  EXPECT_NE(hidden.status().message().find("kptr_restrict"), std::string_view::npos);
  EXPECT_TRUE(absl::IsInvalidArgument(Kallsyms::Parse("").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Kallsyms::Parse("not kallsyms at all\n").status()));
  EXPECT_TRUE(absl::IsNotFound(Kallsyms::Load("/nonexistent/kallsyms").status()));
}

TEST(PerfMapTest, NodeAndJavaStyleLines) {
  PerfMap m = PerfMap::Parse(
      "3ef414c0 398 LazyCompile:~main /app/index.js:1\n"
      "0x7f0000001000 0x80 Interpreted:java.lang.String::hashCode\n"
      "3ef41900 40 Builtin:ArgumentsAdaptorTrampoline\r\n"
      "bogus\n"
      "3ef42000 0 zero-sized\n"
      "zz 10 bad-hex\n"
      "3ef43000 10\n");  // No name.
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.Lookup(0x3ef414c0), "LazyCompile:~main /app/index.js:1");
  EXPECT_EQ(m.Lookup(0x3ef414c0 + 0x397), "LazyCompile:~main /app/index.js:1");
  EXPECT_EQ(m.Lookup(0x3ef414c0 + 0x398), std::nullopt);
  EXPECT_EQ(m.Lookup(0x7f0000001040), "Interpreted:java.lang.String::hashCode");
  EXPECT_EQ(m.Lookup(0x3ef41910), "Builtin:ArgumentsAdaptorTrampoline");
  EXPECT_EQ(m.Lookup(0x3ef42000), std::nullopt);
  EXPECT_EQ(m.Lookup(0x1000), std::nullopt);
}

TEST(PerfMapTest, LaterEntriesReplaceOverlappedCode) {
  // A JIT recompiles: the second line covers the middle of the first.
  PerfMap m = PerfMap::Parse(
      "1000 100 old\n"
      "1040 20 new\n"
      "10f0 20 tail\n");  // Overlaps old's end.
  EXPECT_EQ(m.Lookup(0x1000), "old");
  EXPECT_EQ(m.Lookup(0x103f), "old");
  EXPECT_EQ(m.Lookup(0x1040), "new");
  EXPECT_EQ(m.Lookup(0x105f), "new");
  EXPECT_EQ(m.Lookup(0x1060), "old");
  EXPECT_EQ(m.Lookup(0x10ef), "old");
  EXPECT_EQ(m.Lookup(0x10f0), "tail");
  EXPECT_EQ(m.Lookup(0x110f), "tail");
  EXPECT_EQ(m.Lookup(0x1110), std::nullopt);
  // One entry covering several older ones replaces all of them.
  PerfMap all = PerfMap::Parse("10 10 a\n30 10 b\n50 10 c\n0 100 everything\n");
  EXPECT_EQ(all.size(), 1u);
  EXPECT_EQ(all.Lookup(0x35), "everything");
}

TEST(SymbolizerPathsTest, Classification) {
  EXPECT_TRUE(IsKernelPath("[kernel.kallsyms]"));
  EXPECT_TRUE(IsKernelPath("[kernel.kallsyms]_stext"));
  EXPECT_FALSE(IsKernelPath("/boot/vmlinux"));
  EXPECT_TRUE(IsUnsymbolizablePath("[vdso]"));
  EXPECT_TRUE(IsUnsymbolizablePath("/dev/dri/card0"));
  EXPECT_TRUE(IsUnsymbolizablePath("linux-vdso.so.1"));
  EXPECT_FALSE(IsUnsymbolizablePath("[kernel.kallsyms]"));
  EXPECT_FALSE(IsUnsymbolizablePath("/usr/lib/libc.so.6"));
  EXPECT_EQ(PerfMapPid("/tmp/perf-12345.map"), 12345u);
  EXPECT_EQ(PerfMapPid("perf-1.map"), 1u);
  EXPECT_EQ(PerfMapPid("/tmp/perf-.map"), 0u);
  EXPECT_EQ(PerfMapPid("/tmp/perf-12x.map"), 0u);
  Module m{.path = "/usr/lib/x86_64-linux-gnu/libm.so.6",
           .memory_start = 0x7f7ef2730000,
           .memory_limit = 0x7f7ef27a4000,
           .file_offset = 0x10000};
  EXPECT_EQ(FallbackName(m, 0x7f7ef2790328), "libm.so.6+0x70328");
  EXPECT_EQ(FallbackName(Module{}, 0x1234), "[unknown]+0x1234");
}

}  // namespace
}  // namespace hearth::symbolize
