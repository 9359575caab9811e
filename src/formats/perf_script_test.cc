#include "formats/perf_script.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/strings.h"
#include "formats/folded.h"
#include "profile/pprof_codec.h"
#include "profile/test_util.h"

namespace hearth::formats {
namespace {

using profile::testing::FixturePath;
using profile::testing::GoldenPath;
using profile::testing::ReadTestFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

profile::Profile MustParse(std::string_view text, const PerfScriptOptions& o = {}) {
  auto p = ParsePerfScript(text, o);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return {};
  EXPECT_TRUE(profile::Validate(*p).ok()) << profile::Validate(*p);
  return std::move(*p);
}

std::string_view LabelOf(const profile::Profile& p, const profile::Sample& s,
                         std::string_view key) {
  for (const profile::Label& l : p.Labels(s)) {
    if (p.Str(l.key) == key) return p.Str(l.str);
  }
  return {};
}

std::vector<std::string> SortedLines(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view line : Split(text, '\n')) {
    if (!line.empty()) out.emplace_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Our profile as perf's stackcollapse.py prints it. Its frames are our frames (inlined lines
// included) except that an unsymbolized frame is "[unknown]", and it puts the comm (spaces
// made '_') in front of each stack as the root frame. WriteFolded renders our stacks; the
// comm comes from the sample label, so each comm's samples are written separately and
// prefixed. Counts are samples (value 0), like stackcollapse's.
std::vector<std::string> StackcollapseLines(const profile::Profile& in) {
  profile::Profile p = in;
  profile::StrId unknown = p.strings.Intern("[unknown]");
  profile::Function f;
  f.id = p.functions.size() + 1;
  f.name = f.system_name = unknown;
  p.functions.push_back(f);
  for (profile::Location& loc : p.locations) {
    if (loc.num_lines > 0) continue;
    loc.lines_begin = static_cast<uint32_t>(p.lines.size());
    loc.num_lines = 1;
    p.lines.push_back({static_cast<uint32_t>(p.functions.size() - 1), 0, 0});
  }
  std::set<std::string> comms;
  for (const profile::Sample& s : p.samples) comms.emplace(LabelOf(p, s, "comm"));
  std::vector<std::string> out;
  for (const std::string& comm : comms) {
    profile::Profile q = p;
    std::erase_if(q.samples,
                  [&](const profile::Sample& s) { return LabelOf(q, s, "comm") != comm; });
    std::string prefix = comm;
    std::replace(prefix.begin(), prefix.end(), ' ', '_');
    for (const std::string& line : SortedLines(WriteFolded(q, 0)))
      out.push_back(prefix + ";" + line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(PerfScriptTest, FramePointerFixtureTotalsAndTypes) {
  auto text = ReadTestFile(FixturePath("perf/perf_workload.perf-script.txt"));
  ASSERT_TRUE(text.ok()) << text.status();
  profile::Profile p = MustParse(*text);
  EXPECT_EQ(p.Total(0), 311);
  EXPECT_EQ(p.Total(1), int64_t{311} * 10101010);  // perf report's "Event count".
  ASSERT_EQ(p.sample_types.size(), 2u);
  EXPECT_EQ(p.Str(p.sample_types[1].type), "cpu");
  EXPECT_EQ(p.Str(p.sample_types[1].unit), "nanoseconds");
  EXPECT_EQ(p.Str(p.period_type.type), "cpu");
  EXPECT_EQ(p.period, 10101010);
  ASSERT_EQ(p.comments.size(), 1u);
  EXPECT_EQ(p.Str(p.comments[0]), "perf event: cpu-clock:ppp");
  std::set<std::string> tids;
  for (const profile::Sample& s : p.samples) {
    EXPECT_EQ(LabelOf(p, s, "comm"), "perf_workload");
    EXPECT_EQ(LabelOf(p, s, "pid"), "");  // Not printed by default.
    tids.emplace(LabelOf(p, s, "tid"));
  }
  EXPECT_EQ(tids, (std::set<std::string>{"6822", "6823"}));
  // Mappings are the dsos, and every frame is symbolized except the 0 address.
  std::set<std::string> files;
  for (const profile::Mapping& m : p.mappings) files.emplace(p.Str(m.filename));
  EXPECT_EQ(files, (std::set<std::string>{
                       "/opt/fixtures-work/perf_workload", "/usr/lib/x86_64-linux-gnu/libc.so.6",
                       "/usr/lib/x86_64-linux-gnu/libm.so.6",
                       "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "[kernel.kallsyms]"}));
  auto encoded = profile::DecodePprof(profile::EncodePprof(p));
  ASSERT_TRUE(encoded.ok());
  EXPECT_TRUE(profile::Equal(p, *encoded));
}

TEST(PerfScriptTest, FramePointerFixtureMatchesPerfStackcollapse) {
  auto text = ReadTestFile(FixturePath("perf/perf_workload.perf-script.txt"));
  auto folded = ReadTestFile(FixturePath("perf/perf_workload.stackcollapse-py.folded"));
  ASSERT_TRUE(text.ok() && folded.ok());
  EXPECT_EQ(StackcollapseLines(MustParse(*text)), SortedLines(*folded));
}

TEST(PerfScriptTest, DwarfFixtureMatchesPerfStackcollapse) {
  // Both files come from the fixture's perf.dwarf.data (see testdata/golden/formats/README.md).
  auto text = ReadTestFile(GoldenPath("formats/perf_workload.dwarf.perf-script.txt"));
  auto folded = ReadTestFile(GoldenPath("formats/perf_workload.dwarf.stackcollapse-py.folded"));
  ASSERT_TRUE(text.ok() && folded.ok());
  profile::Profile p = MustParse(*text);
  EXPECT_EQ(p.Total(0), 213);
  EXPECT_EQ(StackcollapseLines(p), SortedLines(*folded));
}

TEST(PerfScriptTest, DwarfInlinedFramesShareALocation) {
  auto text = ReadTestFile(GoldenPath("formats/perf_workload.dwarf.perf-script.txt"));
  ASSERT_TRUE(text.ok());
  profile::Profile p = MustParse(*text);
  // "3fd35 msort_with_tmp+0xb5 (inlined)" + "3fd35 __GI___qsort_r+0xb5 (libc.so.6)" is one
  // location with two lines, innermost first, in libc's mapping.
  bool found = false;
  for (const profile::Location& loc : p.locations) {
    if (loc.address != 0x3fd35 || loc.num_lines != 2) continue;
    auto lines = p.Lines(loc);
    EXPECT_EQ(p.Str(p.functions[lines[0].function].name), "msort_with_tmp");
    EXPECT_EQ(p.Str(p.functions[lines[1].function].name), "__GI___qsort_r");
    ASSERT_NE(loc.mapping, profile::kNone);
    EXPECT_EQ(p.Str(p.mappings[loc.mapping].filename), "/usr/lib/x86_64-linux-gnu/libc.so.6");
    found = true;
  }
  EXPECT_TRUE(found);
}

// perf report --no-children --sort comm,dso,sym: the share of samples whose leaf is the
// symbol (Self) and whose stack holds it (Children). perf names an unsymbolized frame by
// its address and its dso "[unknown]" when there is none.
TEST(PerfScriptTest, FramePointerFixtureMatchesPerfReport) {
  auto text = ReadTestFile(FixturePath("perf/perf_workload.perf-script.txt"));
  auto report = ReadTestFile(FixturePath("perf/perf_workload.perf-report.txt"));
  ASSERT_TRUE(text.ok() && report.ok());
  profile::Profile p = MustParse(*text);

  using Key = std::tuple<std::string, std::string, std::string>;  // comm, dso, sym
  std::map<Key, std::pair<std::string, std::string>> want;        // -> children%, self%
  re2::RE2 row(R"(^\s+([\d.]+)%\s+([\d.]+)%\s+(\S+)\s+(\S+)\s+\[[.k]\]\s+(.+?)\s*$)");
  for (std::string_view line : Split(*report, '\n')) {
    std::string children, self, comm, dso, sym;
    if (re2::RE2::FullMatch(re2::StringPiece(line.data(), line.size()), row, &children, &self,
                            &comm, &dso, &sym)) {
      want[{comm, dso, sym}] = {children, self};
    }
  }
  ASSERT_EQ(want.size(), 63u);

  auto key_of = [&](const profile::Sample& s, const profile::Location& loc) -> Key {
    std::string dso = "[unknown]";
    if (loc.mapping != profile::kNone) {
      std::string_view file = p.Str(p.mappings[loc.mapping].filename);
      dso = std::string(file.substr(file.rfind('/') + 1));
    }
    std::string sym = loc.num_lines > 0
                          ? std::string(p.Str(p.functions[p.Lines(loc)[0].function].name))
                          : fmt::format("{:016x}", loc.address);
    return {std::string(LabelOf(p, s, "comm")), dso, sym};
  };
  std::map<Key, std::pair<int64_t, int64_t>> ours;  // -> children, self
  for (const profile::Sample& s : p.samples) {
    int64_t v = p.Values(s)[1];
    std::set<Key> seen;
    auto stack = p.Stack(s);
    for (size_t i = 0; i < stack.size(); ++i) {
      Key k = key_of(s, p.locations[stack[i]]);
      if (i == 0) ours[k].second += v;
      if (seen.insert(k).second) ours[k].first += v;
    }
  }
  const double total = static_cast<double>(p.Total(1));
  std::map<Key, std::pair<std::string, std::string>> got;
  for (const auto& [k, v] : ours) {
    got[k] = {fmt::format("{:.2f}", 100.0 * v.first / total),
              fmt::format("{:.2f}", 100.0 * v.second / total)};
  }
  EXPECT_EQ(got, want);
}

TEST(PerfScriptTest, HeaderVariants) {
  // pid/tid, a cpu column, a comm with spaces, no period; kernel and user frames.
  profile::Profile p = MustParse(
      "# ========\n# cmdline : perf record -a\n\n"
      "V8 WorkerThread 25607/25610 [002] 6544038.708352: cycles: \n"
      "\tffffffff8103ce3b native_safe_halt+0xb ([kernel.kallsyms])\n"
      "\t    7f00deadbeef [unknown] (/tmp/perf-25607.map)\n"
      "\n"
      "swapper     0/0 [000] 6544038.709352: cycles: \n"
      "\tffffffff8103ce3b native_safe_halt+0xb ([kernel.kallsyms])\n");
  ASSERT_EQ(p.samples.size(), 2u);
  EXPECT_EQ(p.Str(p.sample_types[1].type), "events");
  EXPECT_EQ(p.Str(p.sample_types[1].unit), "count");
  EXPECT_EQ(p.Total(1), 2);  // No period: each sample weighs 1.
  EXPECT_EQ(LabelOf(p, p.samples[0], "comm"), "V8 WorkerThread");
  EXPECT_EQ(LabelOf(p, p.samples[0], "pid"), "25607");
  EXPECT_EQ(LabelOf(p, p.samples[0], "tid"), "25610");
  EXPECT_EQ(LabelOf(p, p.samples[1], "comm"), "swapper");
  EXPECT_EQ(p.duration_nanos, 1'000'000);
  auto stack = p.Stack(p.samples[0]);
  ASSERT_EQ(stack.size(), 2u);
  const profile::Location& leaf = p.locations[stack[0]];
  EXPECT_EQ(leaf.address, 0xffffffff8103ce3bu);
  EXPECT_EQ(p.Str(p.functions[p.Lines(leaf)[0].function].name), "native_safe_halt");
  EXPECT_EQ(p.Str(p.mappings[leaf.mapping].filename), "[kernel.kallsyms]");
  EXPECT_TRUE(p.mappings[leaf.mapping].has_functions);
  // [unknown] keeps its address and mapping, for a symbolizer.
  const profile::Location& jit = p.locations[stack[1]];
  EXPECT_EQ(jit.address, 0x7f00deadbeefu);
  EXPECT_EQ(jit.num_lines, 0u);
  EXPECT_EQ(p.Str(p.mappings[jit.mapping].filename), "/tmp/perf-25607.map");
  EXPECT_FALSE(p.mappings[jit.mapping].has_functions);
}

TEST(PerfScriptTest, OneLineFormWithoutCallGraph) {
  // Without -g, perf right-aligns the comm and puts the frame on the header line.
  profile::Profile p = MustParse(
      "            perf  1234 [001]   100.000001:     250000 task-clock:  ffffffff810 f+0x1 "
      "([kernel.kallsyms])\n"
      "            bash  1235 [000]   100.000251:     250000 task-clock:  55d0 main+0x10 "
      "(/bin/bash)\n"
      "            bash  1235 [000]   100.000501:     250000 task-clock:  55d0 main+0x10 "
      "(/bin/bash)\n");
  ASSERT_EQ(p.samples.size(), 2u);
  EXPECT_EQ(p.Str(p.sample_types[1].type), "cpu");
  EXPECT_EQ(p.Total(1), 750000);
  EXPECT_EQ(LabelOf(p, p.samples[1], "comm"), "bash");
  EXPECT_EQ(p.Values(p.samples[1])[0], 2);
  EXPECT_EQ(p.Stack(p.samples[1]).size(), 1u);
}

TEST(PerfScriptTest, KeepsTheFirstEventOrTheOneAsked) {
  std::string text =
      "a 1 1.0: 5 cycles:u:\n\t1 f (/x)\n\n"
      "a 1 1.1: 7 instructions:u:\n\t1 f (/x)\n\n"
      "a 1 1.2: 5 cycles:u:\n\t2 g (/x)\n\n";
  profile::Profile p = MustParse(text);
  EXPECT_EQ(p.Total(0), 2);
  EXPECT_EQ(p.Total(1), 10);
  ASSERT_EQ(p.comments.size(), 2u);
  EXPECT_EQ(p.Str(p.comments[1]), "skipped 1 samples of other events");
  PerfScriptOptions o;
  o.event = "instructions";  // Modifiers don't count.
  p = MustParse(text, o);
  EXPECT_EQ(p.Total(1), 7);
  o.event = "branches";
  EXPECT_EQ(ParsePerfScript(text, o).status().message(),
            "perf script: no samples of event \"branches\"");
}

TEST(PerfScriptTest, InlinedRunsBecomeOneLocation) {
  profile::Profile p = MustParse(
      "a 1 1.0: 1 cpu-clock:\n"
      "\t3fbfb part_fn+0x29b (inlined)\n"  // A clone shown as inlined: no real frame.
      "\t3fd35 inner+0xb5 (inlined)\n"
      "\t3fd35 outer+0xb5 (/lib/libc.so.6)\n"
      "\t13cb [unknown] (/bin/app)\n");
  auto stack = p.Stack(p.samples[0]);
  ASSERT_EQ(stack.size(), 3u);
  const profile::Location& clone = p.locations[stack[0]];
  EXPECT_EQ(clone.mapping, profile::kNone);
  EXPECT_EQ(clone.num_lines, 1u);
  const profile::Location& loc = p.locations[stack[1]];
  ASSERT_EQ(loc.num_lines, 2u);
  EXPECT_EQ(p.Str(p.functions[p.Lines(loc)[0].function].name), "inner");
  EXPECT_EQ(p.Str(p.functions[p.Lines(loc)[1].function].name), "outer");
  EXPECT_EQ(p.Str(p.mappings[loc.mapping].filename), "/lib/libc.so.6");
  EXPECT_EQ(WriteFolded(p, 0), "0x13cb;outer;inner;part_fn 1\n");
}

TEST(PerfScriptTest, SymbolsWithSpacesAndParentheses) {
  profile::Profile p = MustParse(
      "a 1 1.0: 1 cpu-clock:\n"
      "\t10 std::vector<int, std::allocator<int> >::push_back(int const&)+0x1f (/bin/a b "
      "(deleted))\n"
      "\t20 operator+ (/bin/a)\n");
  auto stack = p.Stack(p.samples[0]);
  const profile::Location& leaf = p.locations[stack[0]];
  EXPECT_EQ(p.Str(p.functions[p.Lines(leaf)[0].function].name),
            "std::vector<int, std::allocator<int> >::push_back(int const&)");
  EXPECT_EQ(p.Str(p.mappings[leaf.mapping].filename), "/bin/a b (deleted)");
  EXPECT_EQ(p.Str(p.functions[p.Lines(p.locations[stack[1]])[0].function].name), "operator+");
}

TEST(PerfScriptTest, MalformedInputNamesTheLine) {
  auto message = [](std::string_view text, const PerfScriptOptions& o = {}) {
    return std::string(ParsePerfScript(text, o).status().message());
  };
  EXPECT_EQ(message(""), "perf script: no samples in input");
  EXPECT_EQ(message("# only a comment\n"), "perf script: no samples in input");
  EXPECT_THAT(message("hello world\n"), HasSubstr("line 1: expected an event header"));
  EXPECT_THAT(message("a 1 1.0: 1 cpu-clock:\n\t10 f (/x)\n\tnot a frame\n"),
              HasSubstr("line 3: expected a frame"));
  PerfScriptOptions o;
  o.max_frames = 1;
  EXPECT_THAT(message("a 1 1.0: 1 cpu-clock:\n\t10 f (/x)\n\t20 g (/x)\n", o),
              HasSubstr("line 3: more than 1 frames in one sample"));
  o = {};
  o.max_line_bytes = 10;
  EXPECT_THAT(message("a 1 1.0: 1 cpu-clock:\n", o),
              HasSubstr("line 1: longer than the limit of 10 bytes"));
  o = {};
  o.max_samples = 1;
  EXPECT_THAT(message("a 1 1.0: 1 c:\n\t1 f (/x)\n\na 1 1.1: 1 c:\n\t1 f (/x)\n", o),
              HasSubstr("line 4: more than the limit of 1 samples"));
  o = {};
  o.max_input_bytes = 4;
  EXPECT_THAT(message("a 1 1.0: 1 c:\n", o), HasSubstr("over the limit of 4"));
}

TEST(PerfScriptTest, LooksLikePerfScript) {
  auto text = ReadTestFile(FixturePath("perf/perf_workload.perf-script.txt"));
  ASSERT_TRUE(text.ok());
  EXPECT_TRUE(LooksLikePerfScript(*text));
  EXPECT_TRUE(LooksLikePerfScript("# header\n\nswapper     0 [000] 1.5:  1 cycles:\n"));
  EXPECT_FALSE(LooksLikePerfScript("main;foo 12\n"));
  EXPECT_FALSE(LooksLikePerfScript("goroutine profile: total 1772\n"));
  EXPECT_FALSE(LooksLikePerfScript("heap profile: 1: 2 [3: 4] @ heap/1024\n"));
  EXPECT_FALSE(LooksLikePerfScript(""));
}

}  // namespace
}  // namespace hearth::formats
