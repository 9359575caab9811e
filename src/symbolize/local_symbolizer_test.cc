// LocalSymbolizer: finding files (overrides, build-id directories, .gnu_debuglink), the
// caches, kernel and JIT modules, and graceful degradation to module+offset names.

#include "symbolize/local_symbolizer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/file.h"

namespace hearth::symbolize {
namespace {

namespace fs = std::filesystem;

const std::string kSource = HEARTH_SOURCE_DIR;
const std::string kPerfWorkload = kSource + "/testdata/fixtures/perf/perf_workload";
const std::string kPerfBuildId = "96d1f138489bb1a08cd44f928f213e2dc72865ff";
const std::string kInline = kSource + "/src/symbolize/testdata/inline/";

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("hearth_symbolize_" + std::to_string(getpid()) + "_" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Path(std::string_view rel) const { return (path_ / rel).string(); }
  std::string Copy(const std::string& from, std::string_view rel) const {
    const fs::path to = path_ / rel;
    fs::create_directories(to.parent_path());
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    return to.string();
  }
  void Write(std::string_view rel, std::string_view data) const {
    const fs::path to = path_ / rel;
    fs::create_directories(to.parent_path());
    std::ofstream(to, std::ios::binary) << data;
  }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

LocalSymbolizerOptions Isolated() {
  LocalSymbolizerOptions o;
  o.files.use_mapping_paths = false;
  o.files.debug_file_directories = {};
  return o;
}

// perf_workload as a PIE loaded at 0x55d4a0000000 (text segment at offset/vaddr 0x1000).
Module PerfWorkloadModule(std::string path, std::string build_id = kPerfBuildId) {
  return Module{.path = std::move(path),
                .build_id = std::move(build_id),
                .memory_start = 0x55d4a0001000,
                .memory_limit = 0x55d4a0002000,
                .file_offset = 0x1000};
}
constexpr uint64_t kFib = 0x55d4a000123a;     // perf script: "123a fib+0x6"
constexpr uint64_t kCmpInt = 0x55d4a00011f6;  // "11f6 cmp_int+0xd"

TEST(LocalSymbolizerTest, MissingBinaryDegradesToModuleOffsetNames) {
  LocalSymbolizer s(Isolated());
  const uint64_t addrs[] = {kFib, kCmpInt};
  ModuleSymbols r = s.Symbolize(PerfWorkloadModule("/opt/fixtures-work/perf_workload"), addrs);
  EXPECT_TRUE(absl::IsNotFound(r.status)) << r.status;
  ASSERT_EQ(r.frames.size(), 2u);
  EXPECT_EQ(r.frames[0][0].function, "perf_workload+0x123a");
  EXPECT_EQ(r.frames[1][0].function, "perf_workload+0x11f6");
  EXPECT_FALSE(r.frames.real(0) || r.has_functions || r.has_filenames);
}

TEST(LocalSymbolizerTest, BinaryOverrideByBasenameAndBuildId) {
  LocalSymbolizerOptions o = Isolated();
  o.files.binaries = {kPerfWorkload};
  LocalSymbolizer s(o);
  const uint64_t addrs[] = {kFib, kCmpInt, kFib};
  ModuleSymbols r = s.Symbolize(PerfWorkloadModule("/opt/fixtures-work/perf_workload"), addrs);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.frames[0].back().function, "fib");
  EXPECT_EQ(r.frames[1].back().function, "cmp_int");
  EXPECT_EQ(r.frames[2].back().function, "fib");
  EXPECT_TRUE(r.frames.real(0) && r.frames.real(1) && r.frames.real(2));
  EXPECT_TRUE(r.has_functions && r.has_filenames && r.has_line_numbers && r.has_inline_frames);
  EXPECT_EQ(s.stats().lookups, 2u);  // The repeated address was symbolized once.
  // The build id alone finds the override, whatever the path.
  r = s.Symbolize(PerfWorkloadModule("/elsewhere/renamed"), addrs);
  EXPECT_EQ(r.frames[0].back().function, "fib");
  // A different build id is refused even with the right basename.
  r = s.Symbolize(PerfWorkloadModule("/x/perf_workload", "0123456789abcdef0123"), addrs);
  EXPECT_TRUE(absl::IsNotFound(r.status));
  EXPECT_NE(r.status.message().find("does not match"), std::string_view::npos) << r.status;
  EXPECT_EQ(r.frames[0][0].function, "perf_workload+0x123a");
}

TEST(LocalSymbolizerTest, BuildIdDebugDirectory) {
  TempDir dir;
  dir.Copy(kPerfWorkload, ".build-id/96/d1f138489bb1a08cd44f928f213e2dc72865ff.debug");
  LocalSymbolizerOptions o = Isolated();
  o.files.debug_file_directories = {dir.Path("")};
  LocalSymbolizer s(o);
  const uint64_t addrs[] = {kFib};
  ModuleSymbols r = s.Symbolize(PerfWorkloadModule("/usr/bin/perf_workload"), addrs);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.frames[0].back().function, "fib");
  EXPECT_NE(r.source.find(".build-id/96/"), std::string::npos) << r.source;
}

TEST(LocalSymbolizerTest, SearchPathLayouts) {
  TempDir dir;
  dir.Copy(kPerfWorkload, kPerfBuildId + "/perf_workload");
  LocalSymbolizerOptions o = Isolated();
  o.files.search_paths = {dir.Path("")};
  FileFinder finder(o.files);
  std::vector<std::string> c = finder.BinaryCandidates(PerfWorkloadModule("/opt/w/perf_workload"));
  ASSERT_GE(c.size(), 4u);
  EXPECT_EQ(c[0], dir.Path(kPerfBuildId + "/perf_workload"));
  EXPECT_EQ(c.back(), dir.Path("opt/w/perf_workload"));
  // A debug file by build id comes after the mapped file itself (it has no code).
  o.files.debug_file_directories = {"/usr/lib/debug"};
  o.files.use_mapping_paths = true;
  c = FileFinder(o.files).BinaryCandidates(PerfWorkloadModule("/opt/w/perf_workload"));
  ASSERT_GE(c.size(), 2u);
  EXPECT_EQ(c[c.size() - 2], "/opt/w/perf_workload");
  EXPECT_EQ(c.back(), "/usr/lib/debug/.build-id/" + kPerfBuildId.substr(0, 2) + "/" +
                          kPerfBuildId.substr(2) + ".debug");
  // Paths from a profile cannot climb out of a search directory.
  for (const std::string& p : finder.BinaryCandidates(Module{.path = "../../etc/passwd"})) {
    EXPECT_EQ(p.find(".."), std::string::npos) << p;
  }
  LocalSymbolizer s(o);
  const uint64_t addrs[] = {kFib};
  EXPECT_EQ(
      s.Symbolize(PerfWorkloadModule("/opt/w/perf_workload"), addrs).frames[0].back().function,
      "fib");
}

TEST(LocalSymbolizerTest, DebuglinkBesideTheBinaryAndInDebugDirectory) {
  TempDir dir;
  const std::string bin = dir.Copy(kInline + "inline_prog.stripped", "bin/inline_prog");
  dir.Copy(kInline + "inline_prog.debug", "bin/.debug/inline_prog.debug");
  LocalSymbolizerOptions o = Isolated();
  o.files.use_mapping_paths = true;  // The module names the binary by its real path.
  LocalSymbolizer s(o);
  const Module m{.path = bin,
                 .memory_start = 0x5000001000,
                 .memory_limit = 0x5000002000,
                 .file_offset = 0x1000};
  const uint64_t addrs[] = {0x5000001208};
  ModuleSymbols r = s.Symbolize(m, addrs);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.frames[0].size(), 3u);  // Inline chain from the debug file's DWARF.
  EXPECT_EQ(r.frames[0][2].function, "shapes::Total");
  EXPECT_NE(r.source.find("bin/.debug/inline_prog.debug"), std::string::npos) << r.source;

  // The same link resolved under a debug-file directory mirroring the binary's path.
  TempDir dir2;
  const std::string bin2 = dir2.Copy(kInline + "inline_prog.stripped", "usr/bin/inline_prog");
  TempDir debug;
  debug.Copy(kInline + "inline_prog.debug", bin2.substr(1, bin2.rfind('/')) + "inline_prog.debug");
  o.files.debug_file_directories = {debug.Path("")};
  LocalSymbolizer s2(o);
  r = s2.Symbolize(Module{.path = bin2,
                          .memory_start = 0x5000001000,
                          .memory_limit = 0x5000002000,
                          .file_offset = 0x1000},
                   addrs);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.frames[0].size(), 3u);
}

TEST(LocalSymbolizerTest, CachesByBuildIdAndRevalidatesPaths) {
  TempDir dir;
  const std::string copy = dir.Copy(kPerfWorkload, "perf_workload");
  LocalSymbolizerOptions o = Isolated();
  o.files.binaries = {copy};
  o.max_open_files = 1;
  LocalSymbolizer s(o);
  const uint64_t addrs[] = {kFib};
  s.Symbolize(PerfWorkloadModule("perf_workload"), addrs);
  s.Symbolize(PerfWorkloadModule("perf_workload"), addrs);
  EXPECT_EQ(s.stats().files_opened, 1u);
  EXPECT_EQ(s.stats().cache_hits, 1u);
  // Another module evicts it (capacity 1); coming back reopens.
  s.Symbolize(Module{.path = "[vdso]"}, addrs);
  s.Symbolize(Module{.path = "other", .build_id = "abcdef01"}, addrs);
  s.Symbolize(PerfWorkloadModule("perf_workload"), addrs);
  EXPECT_EQ(s.stats().files_opened, 2u);
  // Without a build id the file is keyed by path and checked for changes.
  s.Symbolize(PerfWorkloadModule("perf_workload", ""), addrs);
  s.Symbolize(PerfWorkloadModule("perf_workload", ""), addrs);
  EXPECT_EQ(s.stats().files_opened, 3u);
  auto data = ReadFile(kInline + "inline_prog");
  ASSERT_TRUE(data.ok());
  dir.Write("perf_workload", *data);  // Replaced by another binary.
  ModuleSymbols r = s.Symbolize(PerfWorkloadModule("perf_workload", ""), addrs);
  EXPECT_EQ(s.stats().files_opened, 4u);
  EXPECT_NE(r.frames[0].back().function, "fib");
}

TEST(LocalSymbolizerTest, KernelFromKallsymsFile) {
  TempDir dir;
  dir.Write("kallsyms",
            "ffffffff8225fc30 T __raw_callee_save_pvm_irq_enable\n"
            "ffffffff8225fd00 t pvm_irq_enable\n"
            "ffffffff8225fe00 t next_fn\n");
  LocalSymbolizerOptions o = Isolated();
  LocalSymbolizer without(o);
  const uint64_t addrs[] = {0xffffffff8225fd19, 0xffffffff8225fc41, 0x1000};
  const Module kernel{.path = "[kernel.kallsyms]"};
  ModuleSymbols r = without.Symbolize(kernel, addrs);
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.frames[0][0].function, "[kernel.kallsyms]+0xffffffff8225fd19");
  o.kallsyms_path = dir.Path("kallsyms");
  LocalSymbolizer s(o);
  r = s.Symbolize(kernel, addrs);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.frames[0][0].function, "pvm_irq_enable");
  EXPECT_EQ(r.frames[1][0].function, "__raw_callee_save_pvm_irq_enable");
  EXPECT_FALSE(r.frames.real(2));
  EXPECT_EQ(r.frames[2][0].function, "[kernel.kallsyms]+0x1000");
}

TEST(LocalSymbolizerTest, JitFramesFromPerfMaps) {
  TempDir dir;
  dir.Write("perf-4242.map", "3ef414c0 398 LazyCompile:~main /app/index.js:1\n");
  LocalSymbolizerOptions o = Isolated();
  o.perf_map_dir = dir.Path("");
  LocalSymbolizer s(o);
  const uint64_t addrs[] = {0x3ef414d0, 0x10};
  // Named by path (as perf reports JIT code), even if recorded under another directory.
  ModuleSymbols r = s.Symbolize(Module{.path = "/tmp/perf-4242.map"}, addrs);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.frames[0][0].function, "LazyCompile:~main /app/index.js:1");
  EXPECT_FALSE(r.frames.real(1));
  // Anonymous executable memory of a known process.
  r = s.Symbolize(Module{.path = "//anon", .pid = 4242}, addrs);
  EXPECT_EQ(r.frames[0][0].function, "LazyCompile:~main /app/index.js:1");
  // The JIT appended: the map is reread.
  dir.Write("perf-4242.map",
            "3ef414c0 398 LazyCompile:~main /app/index.js:1\n10 10 Builtin:Later\n");
  r = s.Symbolize(Module{.path = "//anon", .pid = 4242}, addrs);
  EXPECT_EQ(r.frames[1][0].function, "Builtin:Later");
  EXPECT_FALSE(s.Symbolize(Module{.path = "//anon", .pid = 1}, addrs).status.ok());
}

TEST(LocalSymbolizerTest, HostileFileIsAReasonNotACrash) {
  TempDir dir;
  std::string junk =
      "\x7f"
      "ELF\x02\x01\x01";
  junk.resize(4096, '\xff');
  dir.Write("junk.so", junk);
  LocalSymbolizerOptions o = Isolated();
  o.files.binaries = {dir.Path("junk.so")};
  LocalSymbolizer s(o);
  const uint64_t addrs[] = {0x7f0000001000};
  ModuleSymbols r = s.Symbolize(
      Module{
          .path = "/lib/junk.so", .memory_start = 0x7f0000000000, .memory_limit = 0x7f0000010000},
      addrs);
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("junk.so"), std::string_view::npos) << r.status;
  EXPECT_EQ(r.frames[0][0].function, "junk.so+0x1000");
}

}  // namespace
}  // namespace hearth::symbolize
