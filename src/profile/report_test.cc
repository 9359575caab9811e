// Golden tests: our reports against `go tool pprof` (Go 1.19.8) reference outputs.
//
//   testdata/fixtures/**/pprof_text/*.{top,traces,raw,tags}.txt   every reference in the corpus
//   testdata/fixtures/gperftools/go_pprof/*.raw.txt               (found by scanning)
//   testdata/golden/*.txt                                         extra option coverage; the
//                                                                 commands are in its README
//
// Profiles are loaded as the pprof command line loads them (test_util.h LoadLikePprof), and
// the comparison is byte for byte. ctest runs with TZ=UTC, the zone of the references.

#include "profile/report.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "base/status_macros.h"
#include "base/strings.h"
#include "profile/filter.h"
#include "profile/merge.h"
#include "profile/test_util.h"

namespace hearth::profile {
namespace {

namespace fs = std::filesystem;
using testing::FixturePath;
using testing::GoldenPath;
using testing::LoadLikePprof;
using testing::ReadProfile;
using testing::ReadTestFile;

struct GoldenCase {
  std::string name;       // gtest case name
  std::string reference;  // expected output
  std::string profile;    // input; empty when no rule maps the reference to a profile
  ReportFormat format = ReportFormat::kTop;
  ReportOptions options;
};

void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.reference; }

std::string CaseName(std::string_view s) {
  std::string out;
  for (char ch : s) out.push_back(std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
  return out;
}

bool FormatFromSuffix(std::string_view* stem, ReportFormat* format) {
  static constexpr std::pair<std::string_view, ReportFormat> kSuffixes[] = {
      {".top.txt", ReportFormat::kTop},
      {".traces.txt", ReportFormat::kTraces},
      {".raw.txt", ReportFormat::kRaw},
      {".tags.txt", ReportFormat::kTags},
  };
  for (const auto& [suffix, f] : kSuffixes) {
    if (stem->ends_with(suffix)) {
      stem->remove_suffix(suffix.size());
      *format = f;
      return true;
    }
  }
  return false;
}

// References that need more than one input; DiffTest covers them.
bool IsDiffReference(std::string_view file) {
  return file.starts_with("cpuburn.base_diff_") || file.starts_with("cpuburn.diff_base_");
}

// Maps a reference file (relative to testdata/fixtures) to the profile it was made from.
std::string ProfileFor(std::string_view dir, std::string_view stem) {
  std::vector<std::string> candidates;
  if (dir == "go/pprof_text") {
    // "<dir>.<name>" for go/<dir>/<name>.pb.gz; the tags reference has no <dir> (http).
    for (std::string_view sub : {"http", "runtime_pprof", "merged"}) {
      if (stem.starts_with(std::string(sub) + ".")) {
        candidates.push_back(fmt::format("go/{}/{}.pb.gz", sub, stem.substr(sub.size() + 1)));
      }
    }
    candidates.push_back(fmt::format("go/http/{}.pb.gz", stem));
  } else if (dir == "node/pprof_text") {
    candidates.push_back(fmt::format("node/out/{}.pb.gz", stem));
    candidates.push_back(fmt::format("node/captured/{}.pb.gz", stem));
  } else if (dir == "gperftools/go_pprof") {
    candidates.push_back(fmt::format("gperftools/go_pprof/{}.converted.pb.gz", stem));
  }
  for (const std::string& c : candidates) {
    if (fs::exists(FixturePath(c))) return FixturePath(c);
  }
  return "";
}

std::vector<GoldenCase> FixtureCases() {
  std::vector<GoldenCase> cases;
  const fs::path root = FixturePath("");
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::end(it); ++it) {
    if (!it->is_regular_file()) continue;
    const std::string rel = fs::relative(it->path(), root).string();
    const std::string dir = fs::path(rel).parent_path().string();
    const std::string file = it->path().filename().string();
    const bool in_pprof_text = fs::path(dir).filename() == "pprof_text";
    const bool gperf_raw = dir == "gperftools/go_pprof" && file.ends_with(".raw.txt");
    if (!(in_pprof_text || gperf_raw) || IsDiffReference(file)) continue;
    std::string_view stem = file;
    GoldenCase c;
    if (!FormatFromSuffix(&stem, &c.format)) continue;
    c.name = CaseName(rel);
    c.reference = it->path().string();
    c.profile = ProfileFor(dir, stem);
    cases.push_back(std::move(c));
  }
  std::sort(cases.begin(), cases.end(),
            [](const GoldenCase& a, const GoldenCase& b) { return a.name < b.name; });
  return cases;
}

// testdata/golden: one case per README line.
std::vector<GoldenCase> ExtraCases() {
  const std::string cpu10 = FixturePath("go/http/cpuburn.profile.10s.pb.gz");
  const std::string heap = FixturePath("go/http/leaky.heap.pb.gz");
  const std::string gperf = FixturePath("gperftools/go_pprof/gperf_workload.cpu.converted.pb.gz");
  const std::string merged = GoldenPath("cpuburn.merged_10s_3s.pb.gz");
  const std::string node_labels = FixturePath(
      "node/captured/pyroscope-nodejs-0.6.4.octet-stream.wall_labels.req-003.body.pb.gz");
  auto make = [](std::string ref, std::string profile, ReportFormat f, auto&& set_options) {
    GoldenCase c;
    c.name = CaseName(ref);
    c.reference = GoldenPath(ref);
    c.profile = std::move(profile);
    c.format = f;
    set_options(c.options);
    return c;
  };
  auto none = [](ReportOptions&) {};
  using F = ReportFormat;
  return {
      make("cpuburn.10s.cum.top.txt", cpu10, F::kTop, [](auto& o) { o.cum_sort = true; }),
      make("cpuburn.10s.nodecount10.top.txt", cpu10, F::kTop, [](auto& o) { o.node_count = 10; }),
      make("cpuburn.10s.nodefraction0.top.txt", cpu10, F::kTop,
           [](auto& o) { o.node_fraction = o.edge_fraction = 0; }),
      make("cpuburn.10s.nodefraction05.top.txt", cpu10, F::kTop,
           [](auto& o) { o.node_fraction = 0.05; }),
      make("cpuburn.10s.lines.top.txt", cpu10, F::kTop,
           [](auto& o) { o.granularity = Granularity::kLines; }),
      make("cpuburn.10s.addresses.top.txt", cpu10, F::kTop,
           [](auto& o) { o.granularity = Granularity::kAddresses; }),
      make("cpuburn.10s.files.top.txt", cpu10, F::kTop,
           [](auto& o) { o.granularity = Granularity::kFiles; }),
      make("cpuburn.10s.noinlines.top.txt", cpu10, F::kTop, [](auto& o) { o.no_inlines = true; }),
      make("cpuburn.10s.lines.traces.txt", cpu10, F::kTraces,
           [](auto& o) { o.granularity = Granularity::kLines; }),
      make("cpuburn.10s.unit_ms.top.txt", cpu10, F::kTop, [](auto& o) { o.unit = "ms"; }),
      make("cpuburn.10s.divide_by.top.txt", cpu10, F::kTop, [](auto& o) { o.divide_by = 10; }),
      make("cpuburn.10s.focus.top.txt", cpu10, F::kTop,
           [](auto& o) { o.focus = "main.handleSearch"; }),
      make("cpuburn.10s.ignore_hide.top.txt", cpu10, F::kTop,
           [](auto& o) {
             o.ignore = "runtime";
             o.hide = "sort";
           }),
      make("cpuburn.10s.show_from.top.txt", cpu10, F::kTop,
           [](auto& o) { o.show_from = "main.handle"; }),
      make("cpuburn.10s.tagfocus.top.txt", cpu10, F::kTop,
           [](auto& o) { o.tag_focus = "endpoint=/api/report"; }),
      make("cpuburn.10s.relative.top.txt", cpu10, F::kTop,
           [](auto& o) {
             o.focus = "main.fib";
             o.relative_percentages = true;
           }),
      make("cpuburn.10s.tagroot.top.txt", cpu10, F::kTop, [](auto& o) { o.tag_root = "endpoint"; }),
      make("cpuburn.10s.compact_labels.top.txt", cpu10, F::kTop,
           [](auto& o) { o.compact_labels = true; }),
      make("cpuburn.10s.trim_false.top.txt", cpu10, F::kTop, [](auto& o) { o.trim = false; }),
      make("cpuburn.10s.show.top.txt", cpu10, F::kTop, [](auto& o) { o.show = "main"; }),
      make("cpuburn.10s.prune_from.top.txt", cpu10, F::kTop,
           [](auto& o) { o.prune_from = "main.fib"; }),
      make("cpuburn.10s.filefunctions.top.txt", cpu10, F::kTop,
           [](auto& o) { o.granularity = Granularity::kFileFunctions; }),
      make("cpuburn.10s.tagleaf.traces.txt", cpu10, F::kTraces,
           [](auto& o) {
             o.tag_leaf = "worker";
             o.tag_root = "endpoint";
           }),
      make("leaky.heap.alloc_space.top.txt", heap, F::kTop,
           [](auto& o) { o.sample_index = "alloc_space"; }),
      make("leaky.heap.mean.top.txt", heap, F::kTop,
           [](auto& o) {
             o.sample_index = "alloc_space";
             o.mean = true;
           }),
      make("leaky.heap.tags.txt", heap, F::kTags, none),
      make("node.wall_labels.tags.txt", node_labels, F::kTags, none),
      make("gperf.cpu.top.txt", gperf, F::kTop, none),
      make("gperf.cpu.traces.txt", gperf, F::kTraces, none),
      make("cpuburn.merged_10s_3s.top.txt", merged, F::kTop, none),
      make("cpuburn.merged_10s_3s.traces.txt", merged, F::kTraces, none),
      make("cpuburn.merged_10s_3s.raw.txt", merged, F::kRaw, none),
  };
}

// "" when equal, else where the first difference is.
std::string FirstDifference(std::string_view want, std::string_view got) {
  if (want == got) return "";
  std::vector<std::string_view> w = Split(want, '\n');
  std::vector<std::string_view> g = Split(got, '\n');
  for (size_t i = 0; i < std::max(w.size(), g.size()); ++i) {
    std::string_view wl = i < w.size() ? w[i] : "<missing>";
    std::string_view gl = i < g.size() ? g[i] : "<missing>";
    if (wl != gl) {
      return fmt::format("line {}:\n  want: \"{}\"\n  got:  \"{}\"\n({} vs {} lines)", i + 1, wl,
                         gl, w.size(), g.size());
    }
  }
  return "outputs differ";
}

// With HEARTH_REPORT_OUT set, mismatching outputs are written there for inspection.
void SaveActual(const std::string& name, const std::string& text) {
  const char* dir = std::getenv("HEARTH_REPORT_OUT");
  if (dir == nullptr) return;
  std::ofstream(fs::path(dir) / (name + ".txt")) << text;
}

void ExpectReport(const std::string& name, Profile p, ReportFormat format,
                  const ReportOptions& options, const std::string& reference) {
  absl::StatusOr<std::string> want = ReadTestFile(reference);
  ASSERT_TRUE(want.ok()) << want.status();
  absl::StatusOr<Report> got = GenerateReport(std::move(p), format, options);
  ASSERT_TRUE(got.ok()) << got.status();
  std::string diff = FirstDifference(*want, got->text);
  if (!diff.empty()) SaveActual(name, got->text);
  EXPECT_EQ(diff, "") << reference;
}

class FixtureReportTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(FixtureReportTest, MatchesPprof) {
  const GoldenCase& c = GetParam();
  ASSERT_FALSE(c.profile.empty()) << "no profile found for reference " << c.reference;
  absl::StatusOr<Profile> p = LoadLikePprof(c.profile);
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectReport(c.name, *std::move(p), c.format, c.options, c.reference);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureReportTest, ::testing::ValuesIn(FixtureCases()),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Golden, FixtureReportTest, ::testing::ValuesIn(ExtraCases()),
                         [](const auto& info) { return info.param.name; });

TEST(FixtureCasesTest, FindsEveryReference) {
  // 18 go profiles x 3 formats + the 10s tags, 7 node profiles x 2 + 0 tags, 2 gperftools raw.
  std::vector<GoldenCase> cases = FixtureCases();
  EXPECT_GE(cases.size(), 16u * 3 + 1 + 7 * 2 + 2);
  for (const GoldenCase& c : cases) EXPECT_FALSE(c.profile.empty()) << c.reference;
}

// -base and -diff_base: pprof loads both profiles, subtracts (or labels) the base and merges.
// Each source is merged alone first (pprof grabs sources and bases separately).
absl::StatusOr<Profile> LoadSource(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(Profile p, ReadProfile(path));
  AddFakeMapping(p);
  return Compact(p);
}

absl::StatusOr<Profile> LoadDiff(BaseMode mode) {
  HEARTH_ASSIGN_OR_RETURN(Profile p, LoadSource(FixturePath("go/http/cpuburn.profile.10s.pb.gz")));
  HEARTH_ASSIGN_OR_RETURN(Profile base,
                          LoadSource(FixturePath("go/http/cpuburn.profile.3s.pb.gz")));
  HEARTH_ASSIGN_OR_RETURN(Profile diff, SubtractBase(std::move(p), std::move(base), mode, false));
  HEARTH_RETURN_IF_ERROR(RemoveUninteresting(diff));
  return diff;
}

TEST(DiffReportTest, BaseTop) {
  absl::StatusOr<Profile> p = LoadDiff(BaseMode::kBase);
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectReport("base_diff", *std::move(p), ReportFormat::kTop, {},
               FixturePath("go/pprof_text/cpuburn.base_diff_10s_minus_3s.top.txt"));
}

TEST(DiffReportTest, BaseTopDropNegative) {
  absl::StatusOr<Profile> p = LoadDiff(BaseMode::kBase);
  ASSERT_TRUE(p.ok()) << p.status();
  ReportOptions o;
  o.drop_negative = true;
  ExpectReport("base_diff_drop_negative", *std::move(p), ReportFormat::kTop, o,
               GoldenPath("cpuburn.base_diff.drop_negative.top.txt"));
}

TEST(DiffReportTest, DiffBaseTop) {
  // The total is the base's alone (samples labelled pprof::base), so percentages exceed 100.
  absl::StatusOr<Profile> p = LoadDiff(BaseMode::kDiffBase);
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectReport("diff_base", *std::move(p), ReportFormat::kTop, {},
               FixturePath("go/pprof_text/cpuburn.diff_base_10s_vs_3s.top.txt"));
}

TEST(MergedReportTest, MergeOfTwoSourcesMatchesMergedTop) {
  // `go tool pprof -top 10s 3s` prints the same as -top of the profile it would save.
  absl::StatusOr<Profile> a = ReadProfile(FixturePath("go/http/cpuburn.profile.10s.pb.gz"));
  absl::StatusOr<Profile> b = ReadProfile(FixturePath("go/http/cpuburn.profile.3s.pb.gz"));
  ASSERT_TRUE(a.ok() && b.ok());
  const Profile* srcs[] = {&*a, &*b};
  absl::StatusOr<Profile> merged = Merge(srcs);
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_TRUE(RemoveUninteresting(*merged).ok());
  ExpectReport("merge_two", *std::move(merged), ReportFormat::kTop, {},
               GoldenPath("cpuburn.merged_10s_3s.top.txt"));
}

// pprof's Profile.String() on a profile built by hand; the expected text is what Go 1.19's
// profile package prints for the same profile.
TEST(ProfileStringTest, EveryField) {
  Profile p;
  auto str = [&p](std::string_view s) { return p.strings.Intern(s); };
  p.comments = {str("hello"), str("#hidden")};
  p.period_type = {str("cpu"), str("nanoseconds")};
  p.period = 10;
  p.duration_nanos = 1500;  // "1.5µs", cut to four runes
  p.sample_types = {{str("samples"), str("count")}, {str("cpu"), str("nanoseconds")}};
  p.default_sample_type = str("cpu");
  Mapping m;
  m.id = 1;
  m.memory_start = 0x1000;
  m.memory_limit = 0x2000;
  m.filename = str("/bin/x");
  m.build_id = str("abc");
  m.has_functions = m.has_inline_frames = true;
  p.mappings.push_back(m);
  Function f;
  f.id = 1;
  f.name = str("f");
  f.system_name = str("f_sys");
  f.filename = str("f.c");
  f.start_line = 1;
  p.functions.push_back(f);
  p.lines = {Line{0, 3, 0}, Line{kNone, 0, 0}};
  Location l1;
  l1.id = 1;
  l1.address = 0x10;
  l1.mapping = 0;
  l1.is_folded = true;
  l1.num_lines = 2;
  Location l2;
  l2.id = 2;
  p.locations = {l1, l2};
  const uint32_t stack[] = {0, 1};
  const int64_t values[] = {1, -20};
  const Label labels[] = {{str("b"), str("x"), 0, 0}, {str("n"), 0, 5, 0},
                          {str("a"), str("y"), 0, 0}, {str("m"), 0, 7, str("bytes")},
                          {str("a"), str("z"), 0, 0}, {str("n"), 0, 6, 0},
                          {str("m"), 0, 8, 0},        {str("ignored"), 0, 0, 0}};
  p.AddSample(stack, values, labels);

  EXPECT_EQ(ProfileString(p),
            "Comment: hello\n"
            "Comment: #hidden\n"
            "PeriodType: cpu nanoseconds\n"
            "Period: 10\n"
            "Duration: 1.5\u00b5\n"
            "Samples:\n"
            "samples/count cpu/nanoseconds[dflt]\n"
            "          1        -20: 1 2 \n"
            "                a:[y z] b:[x]\n"
            "                m:[7 bytes 8 ] n:[5 6]\n"
            "Locations\n"
            "     1: 0x10 M=1 [F] f f.c:3 s=1(f_sys)\n"
            "             ??\n"
            "     2: 0x0 \n"
            "Mappings\n"
            "1: 0x1000/0x2000/0x0 /bin/x abc [FN][IN]\n");
}

// Times print in the local zone, like Go's time package reading TZ. The expected lines come
// from `TZ=<zone> go tool pprof -top|-raw` on the same fixture.
class TimeZoneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = std::getenv("TZ")) saved_ = tz;
  }
  void TearDown() override {
    if (saved_) {
      setenv("TZ", saved_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  static void SetZone(const char* zone) {
    setenv("TZ", zone, 1);
    tzset();
  }
  static std::string Line(const std::string& text, int n) {
    return std::string(Split(text, '\n')[n]);
  }
  std::optional<std::string> saved_;
};

TEST_F(TimeZoneTest, HeadersUseLocalTime) {
  if (!fs::exists("/usr/share/zoneinfo/America/New_York")) GTEST_SKIP() << "no tzdata";
  SetZone("America/New_York");
  absl::StatusOr<Profile> p = LoadLikePprof(FixturePath("go/http/cpuburn.profile.10s.pb.gz"));
  ASSERT_TRUE(p.ok()) << p.status();
  absl::StatusOr<Report> top = GenerateReport(*p, ReportFormat::kTop, {});
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(Line(top->text, 2), "Time: Nov 26, 2026 at 2:35am (EST)");
  EXPECT_EQ(Line(ProfileString(*p), 2), "Time: 2026-11-26 02:35:16.867034109 -0500 EST");

  SetZone("Asia/Kolkata");
  absl::StatusOr<Profile> heap = LoadLikePprof(FixturePath("go/http/leaky.heap.pb.gz"));
  ASSERT_TRUE(heap.ok()) << heap.status();
  EXPECT_EQ(Line(ProfileString(*heap), 2), "Time: 2026-11-26 13:05:38.520761825 +0530 IST");
}

class ReportErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Profile> p = LoadLikePprof(FixturePath("go/http/cpuburn.profile.10s.pb.gz"));
    ASSERT_TRUE(p.ok()) << p.status();
    p_ = *std::move(p);
  }
  Profile p_;
};

TEST_F(ReportErrorTest, BadOptions) {
  ReportOptions o;
  o.sample_index = "alloc_space";
  EXPECT_EQ(GenerateReport(p_, ReportFormat::kTop, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = {};
  o.divide_by = 0;
  absl::Status zero = GenerateReport(p_, ReportFormat::kTop, o).status();
  EXPECT_EQ(zero.message(), "zero divisor specified");
  o = {};
  o.focus = "(";
  EXPECT_FALSE(GenerateReport(p_, ReportFormat::kTop, o).ok());
  Profile empty;
  EXPECT_EQ(GenerateReport(empty, ReportFormat::kTop, {}).status().message(),
            "profile has no samples");
}

TEST_F(ReportErrorTest, WarnsWhenFocusMatchesNothing) {
  ReportOptions o;
  o.focus = "no_such_function";
  absl::StatusOr<Report> r = GenerateReport(p_, ReportFormat::kTop, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->warnings, std::vector<std::string>{"Focus expression matched no samples"});
  EXPECT_NE(r->text.find("Showing nodes accounting for 0, 0% of 3.61s total"), std::string::npos)
      << r->text;
}

// pprof's symbolizer renames functions whose name is empty or equal to their system name.
// Expected names are what Go 1.19's pprof (internal/symbolizer with the vendored demangler)
// produces for the same strings.
TEST(SimplifyFunctionNamesTest, MatchesPprofSymbolizer) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"std::vector<int>::push_back(int const&)", "std::vector::push_back"},
      {"foo::bar<a<b>>(x(y))", "foo::bar"},
      {"main.(*T[...]).M", "main.(*T[...]).M"},  // Go generic method: untouched
      {"java.lang.Object.<init>", "java.lang.Object.<init>"},
      {"pkg.Map[go.shape.int]", "pkg.Map[go.shape.int]"},
      {"a::b(c", "a::b(c"},  // unbalanced: left as is
      {"x)y::z", "x)y::z"},
      {"main.fib", "main.fib"},
      {"A::operator()(int)", "A::operator"},
      {"(anonymous namespace)::f(int)", "::f"},
      // Itanium-mangled names.
      {"_ZN3foo3barEv", "foo::bar"},
      {"_ZN3foo3barIiEEvT_", "foo::bar"},  // no return type
      {"_Z3fooi.constprop.0", "foo"},      // no clone suffix
      {"_ZNSt6vectorIiSaIiEE9push_backERKi", "std::vector::push_back"},
      {"_ZNSolsEPFRSt8ios_baseS0_E", "std::ostream::operator<<"},
      {"_ZN12_GLOBAL__N_11fEi", "(anonymous namespace)::f"},
  };
  Profile p;
  for (const auto& [name, want] : cases) {
    Function f;
    f.id = p.functions.size() + 1;
    f.name = f.system_name = p.strings.Intern(name);
    p.functions.push_back(f);
  }
  Function demangled;  // Name differs from system name: already demangled, kept.
  demangled.id = 100;
  demangled.name = p.strings.Intern("f<int>(int)");
  demangled.system_name = p.strings.Intern("_Z1fIiEvi");
  p.functions.push_back(demangled);
  Function unnamed;  // No name: takes the (simplified) system name.
  unnamed.id = 101;
  unnamed.system_name = p.strings.Intern("sys<int>::f()");
  p.functions.push_back(unnamed);

  SimplifyFunctionNames(p);
  for (size_t i = 0; i < std::size(cases); ++i) {
    EXPECT_EQ(p.Str(p.functions[i].name), cases[i].second) << cases[i].first;
    EXPECT_EQ(p.Str(p.functions[i].system_name), cases[i].first);
  }
  EXPECT_EQ(p.Str(p.functions[std::size(cases)].name), "f<int>(int)");
  EXPECT_EQ(p.Str(p.functions[std::size(cases) + 1].name), "sys::f");
}

TEST(AddFakeMappingTest, OnlyWhenThereIsNoMapping) {
  Profile p;
  p.locations.resize(2);
  p.locations[0].mapping = kNone;
  AddFakeMapping(p);
  ASSERT_EQ(p.mappings.size(), 1u);
  EXPECT_EQ(p.mappings[0], (Mapping{.id = 1}));
  EXPECT_EQ(p.locations[0].mapping, 0u);
  EXPECT_EQ(p.locations[1].mapping, 0u);

  p.locations.emplace_back();  // mapping kNone, but the profile has a mapping now
  AddFakeMapping(p);
  EXPECT_EQ(p.mappings.size(), 1u);
  EXPECT_EQ(p.locations[2].mapping, kNone);
}

}  // namespace
}  // namespace hearth::profile
