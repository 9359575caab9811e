// Whole-profile symbolization against google-pprof: the gperftools CPU and heap profiles
// (as Go's pprof converted them, unsymbolized) symbolized with the kept workload binary
// must give the same per-function flat and cumulative values as `google-pprof --text
// bin/gperf_workload <profile>` for every function in that binary.

#include "symbolize/symbolize_profile.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "base/file.h"
#include "base/strings.h"
#include "profile/pprof_codec.h"
#include "profile/report.h"
#include "symbolize/elf_file.h"
#include "symbolize/file_finder.h"

namespace hearth::symbolize {
namespace {

using profile::Profile;

const std::string kFixtures = std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/";
const std::string kGperf = kFixtures + "gperftools/";

Profile Load(const std::string& path) {
  auto data = ReadFile(path);
  EXPECT_TRUE(data.ok()) << data.status();
  auto p = profile::DecodePprof(data.ok() ? *data : "");
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : Profile();
}

Options WorkloadOnly() {
  Options o;
  o.local.files.binaries = {kGperf + "bin/gperf_workload"};
  o.local.files.use_mapping_paths = false;  // libc & co. from this machine would not match.
  o.local.files.debug_file_directories = {};
  return o;
}

// google-pprof (perl) cuts names at the first '(' ("std::less::operator") and keeps the
// space before stripped template arguments ("std::operator< "); Go's pprof, whose names we
// produce, keeps "operator()" whole.
std::string Normalize(std::string_view name) {
  std::string s(TrimSpace(name));
  if (s.ends_with("()")) s.resize(s.size() - 2);
  return s;
}

struct Values {
  int64_t flat = 0;
  int64_t cum = 0;
};

// google-pprof --text: "flat flat% sum% cum cum% name", values in the report's unit.
std::map<std::string, std::pair<std::string, std::string>> ReadGooglePprofText(
    const std::string& path) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  auto text = ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  if (!text.ok()) return out;
  for (std::string_view line : Split(*text, '\n')) {
    if (line.empty() || line.starts_with("Total")) continue;
    std::vector<std::string_view> cols;
    std::string_view rest = line;
    for (int i = 0; i < 5; ++i) {
      rest = rest.substr(rest.find_first_not_of(' '));
      const size_t sp = rest.find(' ');
      cols.push_back(rest.substr(0, sp));
      rest = rest.substr(sp + 1);
    }
    out[Normalize(rest)] = {std::string(cols[0]), std::string(cols[3])};
  }
  return out;
}

// Per-function flat and cumulative sums of one value column, the way pprof counts: flat to
// the innermost frame of the leaf location, cum once per function per sample. With
// innermost_only, each location counts as its innermost frame alone, which is how
// google-pprof (addr2line without -i) sees inlined code.
std::map<std::string, Values> Aggregate(const Profile& p, size_t column,
                                        bool innermost_only = false) {
  std::map<std::string, Values> out;
  std::set<std::string> seen;
  for (const profile::Sample& s : p.samples) {
    const int64_t v = p.Values(s)[column];
    seen.clear();
    bool leaf = true;
    for (uint32_t loc : p.Stack(s)) {
      for (const profile::Line& ln : p.Lines(p.locations[loc])) {
        std::string name = Normalize(p.Str(p.functions[ln.function].name));
        if (leaf) out[name].flat += v;
        leaf = false;
        if (seen.insert(name).second) out[name].cum += v;
        if (innermost_only) break;
      }
    }
  }
  return out;
}

// The functions google-pprof found in bin/gperf_workload (its --raw symbol table).
absl::flat_hash_set<std::string> WorkloadFunctions(const Profile& p) {
  absl::flat_hash_set<std::string> out;
  for (const profile::Location& l : p.locations) {
    if (l.mapping == 0) {
      for (const profile::Line& ln : p.Lines(l)) {
        out.insert(Normalize(p.Str(p.functions[ln.function].name)));
      }
    }
  }
  return out;
}

TEST(SymbolizeProfileTest, GperftoolsCpuMatchesGooglePprof) {
  Profile p = Load(kGperf + "go_pprof/gperf_workload.cpu.converted.pb.gz");
  ASSERT_EQ(p.Str(p.mappings[0].filename), "bin/gperf_workload");
  absl::StatusOr<Report> report = SymbolizeProfile(p, WorkloadOnly());
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_TRUE(profile::Validate(p).ok());
  // Mapping 1 symbolized from DWARF; the libraries degrade to module+offset names.
  ASSERT_EQ(report->mappings[0].mapping, 0u);
  EXPECT_TRUE(report->mappings[0].status.ok()) << report->mappings[0].status;
  EXPECT_EQ(report->mappings[0].symbolized, report->mappings[0].addresses);
  EXPECT_TRUE(p.mappings[0].has_functions && p.mappings[0].has_filenames &&
              p.mappings[0].has_line_numbers && p.mappings[0].has_inline_frames);
  for (size_t i = 1; i < p.mappings.size(); ++i) {
    EXPECT_FALSE(p.mappings[i].has_functions) << i;
    EXPECT_TRUE(absl::IsNotFound(report->mappings[i].status)) << report->mappings[i].status;
  }

  const auto want = ReadGooglePprofText(kGperf + "text/cpu.google-pprof.text.txt");
  const auto got = Aggregate(p, 0);  // samples/count, google-pprof's unit here.
  const auto ours = WorkloadFunctions(p);
  int compared = 0;
  for (const auto& [name, v] : want) {
    if (!ours.contains(name)) continue;
    ASSERT_TRUE(got.contains(name)) << name;
    EXPECT_EQ(std::to_string(got.at(name).flat), v.first) << name;
    EXPECT_EQ(std::to_string(got.at(name).cum), v.second) << name;
    ++compared;
  }
  // fib, checksum, integrate, computeTax, handle*, leakBuffer, main, priceItems,
  // transientBuffers, _start and the std:: templates instantiated in the binary.
  EXPECT_EQ(compared, 29);
  EXPECT_EQ(got.at("fib").flat, 116);
  EXPECT_EQ(got.at("checksum").flat, 89);
  EXPECT_EQ(got.at("integrate").cum, 33);
  // What google-pprof named from libm/libc/libtcmalloc/libstdc++ (do_sin, __sin_fma,
  // top12, tc_newarray ...: it had those exact libraries and their symbols; we are given
  // only the workload binary) stays `module+0xoffset` here. Their flat values add up to the
  // same 28 samples.
  int64_t library_flat = 0;
  for (const auto& [name, v] : got) {
    if (name.find(".so") != std::string::npos) {
      EXPECT_NE(name.find("+0x"), std::string::npos) << name;
      library_flat += v.flat;
    }
  }
  int64_t google_library_flat = 0;
  for (const auto& [name, v] : want) {
    if (!ours.contains(name)) google_library_flat += std::stoll(v.first);
  }
  EXPECT_EQ(google_library_flat, 28);
  EXPECT_EQ(library_flat, google_library_flat);
}

// Heap values are bytes; google-pprof prints MB with one decimal.
std::string Mb(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

void CheckHeap(const std::string& reference, const std::string& sample_type, int functions) {
  Profile p = Load(kGperf + "go_pprof/gperf_workload.hprof.0005.converted.pb.gz");
  absl::StatusOr<Report> report = SymbolizeProfile(p, WorkloadOnly());
  ASSERT_TRUE(report.ok()) << report.status();
  auto column = profile::SampleIndexByName(p, sample_type);
  ASSERT_TRUE(column.ok()) << column.status();
  const auto want = ReadGooglePprofText(kGperf + "text/" + reference);
  const auto got = Aggregate(p, *column);
  const auto ours = WorkloadFunctions(p);
  int compared = 0;
  for (const auto& [name, v] : want) {
    if (!ours.contains(name)) continue;
    // google-pprof merges by name across binaries: this template also ran as an
    // out-of-line copy inside libstdc++ (an address we cannot name without that library),
    // so its values differ by those bytes.
    if (name == "std::__cxx11::basic_string::_M_construct") continue;
    EXPECT_EQ(Mb(got.at(name).flat), v.first) << name;
    EXPECT_EQ(Mb(got.at(name).cum), v.second) << name;
    ++compared;
  }
  EXPECT_EQ(compared, functions) << reference;
}

TEST(SymbolizeProfileTest, GperftoolsHeapInuseMatchesGooglePprof) {
  // leakBuffer, handleCheckout, main, _start.
  CheckHeap("gperf_workload.hprof.0005.google-pprof.inuse_space.text.txt", "inuse_space", 4);
}

TEST(SymbolizeProfileTest, GperftoolsHeapAllocMatchesGooglePprof) {
  CheckHeap("gperf_workload.hprof.0005.google-pprof.alloc_space.text.txt", "alloc_space", 22);
}

// With no binaries at all every address degrades to a module+offset name; samples, values
// and everything else are untouched.
TEST(SymbolizeProfileTest, MissingBinariesKeepTheProfileIntact) {
  const Profile original = Load(kGperf + "go_pprof/gperf_workload.cpu.converted.pb.gz");
  Profile p = original;
  Options o;
  o.local.files.use_mapping_paths = false;
  o.local.files.debug_file_directories = {};
  absl::StatusOr<Report> report = SymbolizeProfile(p, o);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_TRUE(profile::Validate(p).ok());
  EXPECT_EQ(p.samples.size(), original.samples.size());
  EXPECT_EQ(p.stacks, original.stacks);
  EXPECT_EQ(p.values, original.values);
  ASSERT_EQ(p.locations.size(), original.locations.size());
  for (size_t i = 0; i < p.locations.size(); ++i) {
    const profile::Location& l = p.locations[i];
    EXPECT_EQ(l.address, original.locations[i].address);
    ASSERT_EQ(l.num_lines, 1u) << i;
    const std::string_view name = p.Str(p.functions[p.Lines(l)[0].function].name);
    const std::string_view file = Basename(p.Str(p.mappings[l.mapping].filename));
    EXPECT_TRUE(name.starts_with(std::string(file) + "+0x")) << name;
  }
  for (const MappingReport& m : report->mappings) {
    EXPECT_TRUE(absl::IsNotFound(m.status)) << m.status;
    EXPECT_EQ(m.symbolized, 0u);
  }
  EXPECT_FALSE(p.mappings[0].has_functions);
  // Location 1 (0x5573b12f039d): 0x39d into the mapping at file offset 0x2000.
  EXPECT_EQ(p.Str(p.functions[p.Lines(p.locations[0])[0].function].name), "gperf_workload+0x239d");
  // The result survives an encode/decode round trip.
  auto again = profile::DecodePprof(profile::EncodePprofGzip(p));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(profile::Equal(p, *again));
}

// On this machine kind the fixture's libraries are installed with their debug files
// (libc6-dbg): then every function google-pprof listed matches, libm's static helpers
// included. Skipped where the libraries differ from the ones the profile was taken with.
TEST(SymbolizeProfileTest, WithTheProfiledLibrariesEverythingMatches) {
  const std::pair<const char*, const char*> libraries[] = {
      {"/usr/lib/x86_64-linux-gnu/libc.so.6", "93ac61ec5a8eb1396f9fbd350e3169a558528a40"},
      {"/usr/lib/x86_64-linux-gnu/libm.so.6", "d6e6f9e3af1243eed9bf5efd366dd015a9f22c13"},
      {"/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4.5.10",
       "560cd227169ae8f93cb59e3215f4ea11c299fa69"},
      {"/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30",
       "289ee39f8c07bd4fa48102dfeeb7e6f9c76158b4"}};
  for (const auto& [path, build_id] : libraries) {
    auto f = ElfFile::Open(path);
    if (!f.ok() || (*f)->build_id() != build_id) GTEST_SKIP() << path << " differs";
  }
  if (!ElfFile::Open("/usr/lib/debug/.build-id/d6/e6f9e3af1243eed9bf5efd366dd015a9f22c13.debug")
           .ok()) {
    GTEST_SKIP() << "no debug file for libm";
  }
  Profile p = Load(kGperf + "go_pprof/gperf_workload.cpu.converted.pb.gz");
  Options o;
  o.local.files.binaries = {kGperf + "bin/gperf_workload"};
  absl::StatusOr<Report> report = SymbolizeProfile(p, o);
  ASSERT_TRUE(report.ok()) << report.status();
  for (const MappingReport& m : report->mappings) EXPECT_TRUE(m.status.ok()) << m.status;
  const auto want = ReadGooglePprofText(kGperf + "text/cpu.google-pprof.text.txt");
  const auto got = Aggregate(p, 0, /*innermost_only=*/true);
  EXPECT_EQ(got.size(), want.size());
  for (const auto& [name, v] : want) {
    ASSERT_TRUE(got.contains(name)) << name;
    EXPECT_EQ(std::to_string(got.at(name).flat), v.first) << name;
    EXPECT_EQ(std::to_string(got.at(name).cum), v.second) << name;
  }
  // With inline frames, libm's helpers inlined into __sin_fma (do_sin,
  // libc_feholdsetround_sse_ctx) also count toward __sin_fma's cumulative time.
  const auto with_inlines = Aggregate(p, 0);
  EXPECT_EQ(with_inlines.at("__sin_fma").cum, 21);
  EXPECT_EQ(with_inlines.at("do_sin").flat, 5);
}

// A Symbolizer that answers from a table, and records what it was asked.
class FakeSymbolizer : public Symbolizer {
 public:
  ModuleSymbols Symbolize(const Module& module, std::span<const uint64_t> addresses) override {
    asked.push_back({module.path, std::vector<uint64_t>(addresses.begin(), addresses.end())});
    ModuleSymbols r;
    for (uint64_t a : addresses) {
      auto it = table.find(a);
      if (it == table.end()) {
        const Frame fallback{.function = r.frames.Own(FallbackName(module, a))};
        r.frames.Add({&fallback, 1}, false);
        continue;
      }
      r.frames.Add(it->second, true);
      r.has_functions = r.has_filenames = r.has_line_numbers = r.has_inline_frames = true;
    }
    if (addresses.empty() || !r.has_functions) r.status = absl::NotFoundError("no file");
    return r;
  }
  std::map<uint64_t, std::vector<Frame>> table;
  std::vector<std::pair<std::string, std::vector<uint64_t>>> asked;
};

TEST(SymbolizeProfileTest, FillsOnlyWhatNeedsNamesAndSharesResults) {
  Profile p;
  p.sample_types.push_back({p.strings.Intern("samples"), p.strings.Intern("count")});
  p.mappings.push_back({.id = 1,
                        .memory_start = 0x1000,
                        .memory_limit = 0x9000,
                        .filename = p.strings.Intern("/bin/app")});
  p.mappings.push_back({.id = 2,
                        .memory_start = 0x10000,
                        .memory_limit = 0x20000,
                        .filename = p.strings.Intern("/lib/libx.so")});
  // An already named function, and one with a file but no name (Go's pprof leaves those).
  p.functions.push_back(
      {.id = 7, .name = p.strings.Intern("kept"), .system_name = p.strings.Intern("kept")});
  p.functions.push_back({.id = 8, .filename = p.strings.Intern("stl_vector.h")});
  p.lines = {{.function = 0, .line = 3}, {.function = 1, .line = 99}};
  auto loc = [&](uint64_t id, uint32_t mapping, uint64_t address) {
    p.locations.push_back({.id = id, .mapping = mapping, .address = address});
    return &p.locations.back();
  };
  loc(1, 0, 0x1100);                 // A: needs names
  loc(2, 0, 0x1100);                 // B: same address as A
  loc(3, 0, 0x1200)->num_lines = 1;  // C: named, left alone
  auto* d = loc(4, 0, 0x1300);       // D: a line without a name, replaced
  d->lines_begin = 1;
  d->num_lines = 1;
  loc(5, 1, 0x10040);              // E: library, unknown -> fallback
  loc(6, profile::kNone, 0x5555);  // F: no mapping
  loc(7, 0, 0);                    // G: no address
  for (uint32_t i = 0; i < p.locations.size(); ++i) {
    const uint32_t stack[] = {i};
    const int64_t v[] = {1};
    p.AddSample(stack, v, {});
  }
  ASSERT_TRUE(profile::Validate(p).ok());

  FakeSymbolizer fake;
  fake.table[0x1100] = {Frame{.function = "inner",
                              .system_name = "_Z5innerv",
                              .file = "a.cc",
                              .line = 10,
                              .column = 2,
                              .start_line = 9},
                        Frame{.function = "outer", .file = "a.cc", .line = 20}};
  fake.table[0x1300] = {
      Frame{.function = "std::vector::push_back", .file = "stl_vector.h", .line = 1287}};
  absl::StatusOr<Report> report = SymbolizeProfile(p, fake, Options{});
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_TRUE(profile::Validate(p).ok()) << profile::Validate(p);

  // One call per mapping, with the distinct addresses that needed names, sorted.
  ASSERT_EQ(fake.asked.size(), 2u);
  EXPECT_EQ(fake.asked[0].second, (std::vector<uint64_t>{0x1100, 0x1300}));
  EXPECT_EQ(fake.asked[1].second, (std::vector<uint64_t>{0x10040}));
  EXPECT_EQ(report->locations_updated, 4u);

  auto names = [&](const profile::Location& l) {
    std::vector<std::string> out;
    for (const profile::Line& ln : p.Lines(l)) {
      out.push_back(std::string(p.Str(p.functions[ln.function].name)) + ":" +
                    std::to_string(ln.line));
    }
    return out;
  };
  EXPECT_EQ(names(p.locations[0]), (std::vector<std::string>{"inner:10", "outer:20"}));
  EXPECT_EQ(names(p.locations[1]), names(p.locations[0]));
  // A and B share functions, not copies of them.
  EXPECT_EQ(p.Lines(p.locations[0])[0].function, p.Lines(p.locations[1])[0].function);
  EXPECT_EQ(names(p.locations[2]), (std::vector<std::string>{"kept:3"}));
  EXPECT_EQ(names(p.locations[3]), (std::vector<std::string>{"std::vector::push_back:1287"}));
  EXPECT_EQ(names(p.locations[4]), (std::vector<std::string>{"libx.so+0x40:0"}));
  EXPECT_EQ(p.locations[5].num_lines, 0u);
  EXPECT_EQ(p.locations[6].num_lines, 0u);
  const profile::Function& inner = p.functions[p.Lines(p.locations[0])[0].function];
  EXPECT_EQ(p.Str(inner.system_name), "_Z5innerv");
  EXPECT_EQ(p.Str(inner.filename), "a.cc");
  EXPECT_EQ(inner.start_line, 9);
  EXPECT_EQ(p.Lines(p.locations[0])[0].column, 2);
  EXPECT_GT(inner.id, 8u);  // Fresh ids above the existing ones.
  EXPECT_TRUE(p.mappings[0].has_functions && p.mappings[0].has_inline_frames);
  EXPECT_FALSE(p.mappings[1].has_functions);
  EXPECT_TRUE(report->mappings[0].status.ok());
  EXPECT_EQ(report->mappings[0].symbolized, 2u);
  EXPECT_FALSE(report->mappings[1].status.ok());

  // Without fallback names the unknown location stays without lines; with force the named
  // one is asked about again, and keeps its lines since nothing real came back.
  Profile q = p;
  q.locations[4].num_lines = 0;
  FakeSymbolizer fake2;
  Options o;
  o.fallback_names = false;
  o.force = true;
  ASSERT_TRUE(SymbolizeProfile(q, fake2, o).ok());
  EXPECT_EQ(q.locations[4].num_lines, 0u);
  EXPECT_EQ(fake2.asked[0].second, (std::vector<uint64_t>{0x1100, 0x1200, 0x1300}));
  EXPECT_EQ(q.Str(q.functions[q.Lines(q.locations[2])[0].function].name), "kept");
}

}  // namespace
}  // namespace hearth::symbolize
