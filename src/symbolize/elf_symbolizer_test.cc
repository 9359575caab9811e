// ELF/DWARF symbolization against references written by real tools: perf's own
// symbolization of perf_workload (perf script), llvm-symbolizer's inline chains for
// perf_workload and testdata/inline/inline_prog, and the PIE mapping the gperftools CPU
// profile recorded.

#include "symbolize/elf_symbolizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/file.h"
#include "base/strings.h"

namespace hearth::symbolize {
namespace {

const std::string kSource = HEARTH_SOURCE_DIR;
const std::string kPerfWorkload = kSource + "/testdata/fixtures/perf/perf_workload";
const std::string kGperfWorkload = kSource + "/testdata/fixtures/gperftools/bin/gperf_workload";
const std::string kInline = kSource + "/src/symbolize/testdata/inline/";

std::unique_ptr<ElfSymbolizer> Open(const std::string& path,
                                    DemangleMode mode = DemangleMode::kSimplified) {
  auto s = ElfSymbolizer::OpenFile(path, mode);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

std::vector<Frame> At(ElfSymbolizer& s, uint64_t address) {
  std::vector<Frame> frames;
  s.Symbolize(address, &frames);
  return frames;
}

struct PerfFrame {
  uint64_t address;
  std::string symbol;
};

// The `addr sym+0xoff (dso)` lines of perf script whose dso is `dso`.
std::vector<PerfFrame> PerfScriptFrames(const std::string& script, std::string_view dso) {
  std::vector<PerfFrame> out;
  for (std::string_view line : Split(script, '\n')) {
    line = TrimSpace(line);
    if (!line.ends_with("(" + std::string(dso) + ")")) continue;
    const size_t sp = line.find(' ');
    const size_t paren = line.rfind(" (");
    PerfFrame f;
    if (sp == std::string_view::npos || !ParseInt(line.substr(0, sp), &f.address, 16)) continue;
    std::string_view sym = line.substr(sp + 1, paren - sp - 1);
    if (size_t plus = sym.rfind("+0x"); plus != std::string_view::npos) sym = sym.substr(0, plus);
    f.symbol = std::string(sym);
    out.push_back(f);
  }
  return out;
}

TEST(ElfSymbolizerTest, PerfWorkloadFramesMatchPerfScript) {
  auto text = ReadFile(kSource + "/testdata/fixtures/perf/perf_workload.perf-script.txt");
  ASSERT_TRUE(text.ok()) << text.status();
  const std::vector<PerfFrame> frames = PerfScriptFrames(*text, "/opt/fixtures-work/perf_workload");
  ASSERT_EQ(frames.size(), 785u);
  auto s = Open(kPerfWorkload);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->has_dwarf());
  EXPECT_EQ(s->build_id(), "96d1f138489bb1a08cd44f928f213e2dc72865ff");
  int plt = 0;
  for (const PerfFrame& f : frames) {
    std::vector<Frame> got = At(*s, f.address);
    ASSERT_FALSE(got.empty()) << std::hex << f.address;
    // perf names the function that contains the address: our outermost frame.
    EXPECT_EQ(got.back().function, f.symbol) << std::hex << f.address;
    plt += f.symbol.ends_with("@plt");
  }
  EXPECT_EQ(plt, 2);  // exp@plt: synthesized from .rela.plt like perf does.
}

TEST(ElfSymbolizerTest, PerfWorkloadLineInfoMatchesLlvmSymbolizer) {
  auto s = Open(kPerfWorkload);
  ASSERT_NE(s, nullptr);
  // llvm-symbolizer --obj=perf_workload 0x11f6 0x123a
  std::vector<Frame> f = At(*s, 0x11f6);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].function, "cmp_int");
  EXPECT_EQ(f[0].file, "/opt/fixtures/perf/perf_workload.c");
  EXPECT_EQ(f[0].line, 26);
  EXPECT_EQ(f[0].start_line, 26);
  f = At(*s, 0x123a);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].function, "fib");
  EXPECT_EQ(f[0].line, 12);
}

TEST(ElfSymbolizerTest, PerfWorkloadInlinedAtof) {
  auto s = Open(kPerfWorkload);
  ASSERT_NE(s, nullptr);
  // llvm-symbolizer --obj=perf_workload --inlining 0x1650:
  //   atof  /usr/include/x86_64-linux-gnu/bits/stdlib-float.h:27:10
  //   main  /opt/fixtures/perf/perf_workload.c:71:28
  std::vector<Frame> f = At(*s, 0x1650);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].function, "atof");
  EXPECT_EQ(f[0].file, "/usr/include/x86_64-linux-gnu/bits/stdlib-float.h");
  EXPECT_EQ(f[0].line, 27);
  EXPECT_EQ(f[0].column, 10);
  EXPECT_EQ(f[1].function, "main");
  EXPECT_EQ(f[1].file, "/opt/fixtures/perf/perf_workload.c");
  EXPECT_EQ(f[1].line, 71);
  EXPECT_EQ(f[1].column, 28);
  // 0x165e is just past the inlined range: main alone.
  f = At(*s, 0x165e);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].function, "main");
}

TEST(ElfSymbolizerTest, CppInlineChainMatchesLlvmSymbolizer) {
  auto s = Open(kInline + "inline_prog");
  ASSERT_NE(s, nullptr);
  // llvm-symbolizer --obj=inline_prog --inlining 0x1208:
  //   shapes::Box<int>::Twice() const  inline_prog.cc:12:74
  //   Area                             inline_prog.cc:15:59
  //   shapes::Total(int)               inline_prog.cc:21:16
  std::vector<Frame> f = At(*s, 0x1208);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].function, "shapes::Box::Twice");
  EXPECT_EQ(f[0].system_name, "_ZNK6shapes3BoxIiE5TwiceEv");
  EXPECT_TRUE(f[0].file.ends_with("inline_prog.cc")) << f[0].file;
  EXPECT_EQ(f[0].line, 12);
  EXPECT_EQ(f[0].column, 74);
  EXPECT_EQ(f[0].start_line, 12);
  EXPECT_EQ(f[1].function, "Area");
  EXPECT_EQ(f[1].line, 15);
  EXPECT_EQ(f[1].column, 59);
  EXPECT_EQ(f[2].function, "shapes::Total");
  EXPECT_EQ(f[2].system_name, "_ZN6shapes5TotalEi");
  EXPECT_EQ(f[2].line, 21);
  EXPECT_EQ(f[2].column, 16);
  // The lambda inlined into main, and full demangling on request.
  f = At(*s, 0x1094);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].line, 33);
  EXPECT_EQ(f[1].function, "main");
  EXPECT_EQ(f[1].line, 35);
  auto full = Open(kInline + "inline_prog", DemangleMode::kFull);
  ASSERT_NE(full, nullptr);
  EXPECT_EQ(At(*full, 0x1208)[0].function, "shapes::Box<int>::Twice() const");
}

TEST(ElfSymbolizerTest, SymbolTableOnlyWhenStripped) {
  auto s = Open(kInline + "inline_prog.stripped");
  ASSERT_NE(s, nullptr);
  EXPECT_FALSE(s->has_dwarf());
  // --strip-all leaves only .dynsym: main is not exported, so nothing names it; the PLT
  // stubs are still known.
  std::vector<Frame> f;
  EXPECT_FALSE(s->Symbolize(0x1208, &f));
  EXPECT_TRUE(f.empty());
  f = At(*s, 0x1050);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].function, "rand@plt");
}

TEST(ElfSymbolizerTest, SeparateDebugFile) {
  auto binary = ElfFile::Open(kInline + "inline_prog.stripped");
  auto debug = ElfFile::Open(kInline + "inline_prog.debug");
  ASSERT_TRUE(binary.ok() && debug.ok());
  EXPECT_EQ((*binary)->debuglink(), "inline_prog.debug");
  EXPECT_FALSE((*binary)->has_debug_info());
  EXPECT_TRUE((*debug)->has_debug_info());
  auto s = ElfSymbolizer::Create(*std::move(binary), *std::move(debug), DemangleMode::kSimplified);
  ASSERT_TRUE(s.ok()) << s.status();
  std::vector<Frame> f = At(**s, 0x1208);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[2].function, "shapes::Total");
  EXPECT_EQ(At(**s, 0x1050)[0].function, "rand@plt");  // From the stripped binary.
}

TEST(ElfSymbolizerTest, PieAddressFromGperftoolsMapping) {
  auto s = Open(kGperfWorkload);
  ASSERT_NE(s, nullptr);
  // Mapping 1 of gperf_workload.cpu.converted.pb.gz: PIE loaded at 0x5573b12f0000 with
  // the executable segment at file offset 0x2000 (vaddr 0x2000).
  const MappingRange m{0x5573b12f0000, 0x5573b12f3000, 0x2000};
  auto a = s->FileAddress(m, 0x5573b12f039d);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a, 0x239du);
  EXPECT_EQ(At(*s, *a).back().function, "fib");
  // Outside the mapping.
  EXPECT_FALSE(s->FileAddress(m, 0x5573b12f3000).ok());
  // A mapping of this file that no PT_LOAD can produce: the file is the wrong one.
  auto bad = s->FileAddress({0x7f0000000000, 0x7f0000100000, 0x900000}, 0x7f0000000010);
  EXPECT_TRUE(absl::IsNotFound(bad.status())) << bad.status();
}

TEST(ElfSymbolizerTest, OpenErrorsNameTheFile) {
  auto missing = ElfSymbolizer::OpenFile("/nonexistent/binary");
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_NE(missing.status().message().find("/nonexistent/binary"), std::string_view::npos);
  auto not_elf = ElfSymbolizer::OpenFile(kInline + "inline_prog.cc");
  EXPECT_TRUE(absl::IsInvalidArgument(not_elf.status())) << not_elf.status();
}

}  // namespace
}  // namespace hearth::symbolize
