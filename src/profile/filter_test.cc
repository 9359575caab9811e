#include "profile/filter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "profile/merge.h"
#include "profile/ops.h"
#include "profile/ops_test_util.h"
#include "profile/pprof_codec.h"

namespace hearth::profile {
namespace {

using optest::Num;
using optest::Samples;
using optest::Str;
using optest::TestProfile;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::unique_ptr<re2::RE2> Re(std::string_view pattern) {
  auto re = CompileRegexp("test", pattern);
  EXPECT_TRUE(re.ok()) << re.status();
  return *std::move(re);
}

TEST(FilterTest, CompileRegexp) {
  auto empty = CompileRegexp("focus", "");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, nullptr);
  auto bad = CompileRegexp("focus", "main.(");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "parsing focus regexp: missing ): main.(");
  auto ok = CompileRegexp("hide", "fib");
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(re2::RE2::PartialMatch("main.fib", **ok));  // Unanchored, like Go.
}

// fib;main / sort;main / runtime.park;fib;main / empty stack.
TestProfile NameProfile() {
  TestProfile t({{"samples", "count"}});
  t.Stack({"fib", "main"}, {1});
  t.Stack({"sort", "main"}, {2});
  t.Stack({"runtime.park", "fib", "main"}, {4});
  t.Sample({}, {8});
  return t;
}

TEST(FilterTest, FocusAndIgnore) {
  TestProfile t = NameProfile();
  auto r = FilterSamplesByName(t.p, Re("fib").get(), nullptr, nullptr, nullptr);
  EXPECT_TRUE(r.focus_matched);
  // An empty stack never has a focused frame.
  EXPECT_THAT(Samples(t.p), ElementsAre("fib;main 1", "runtime.park;fib;main 4"));

  t = NameProfile();
  r = FilterSamplesByName(t.p, nullptr, Re("^runtime\\.").get(), nullptr, nullptr);
  EXPECT_TRUE(r.ignore_matched);
  EXPECT_THAT(Samples(t.p), ElementsAre("fib;main 1", "sort;main 2"));

  t = NameProfile();
  r = FilterSamplesByName(t.p, Re("main").get(), Re("sort").get(), nullptr, nullptr);
  EXPECT_THAT(Samples(t.p), ElementsAre("fib;main 1", "runtime.park;fib;main 4"));

  t = NameProfile();
  r = FilterSamplesByName(t.p, Re("nothing").get(), nullptr, nullptr, nullptr);
  EXPECT_FALSE(r.focus_matched);
  EXPECT_THAT(Samples(t.p), IsEmpty());
}

TEST(FilterTest, HideAndShowFrames) {
  TestProfile t = NameProfile();
  auto r = FilterSamplesByName(t.p, nullptr, nullptr, Re("runtime").get(), nullptr);
  EXPECT_TRUE(r.hide_matched);
  EXPECT_THAT(Samples(t.p), ElementsAre("fib;main 1", "sort;main 2", "fib;main 4"));
  EXPECT_TRUE(Validate(t.p).ok());

  t = NameProfile();
  r = FilterSamplesByName(t.p, nullptr, nullptr, nullptr, Re("^main$").get());
  EXPECT_TRUE(r.show_matched);
  EXPECT_THAT(Samples(t.p), ElementsAre("main 1", "main 2", "main 4"));

  t = NameProfile();
  r = FilterSamplesByName(t.p, nullptr, nullptr, nullptr, Re("zzz").get());
  EXPECT_FALSE(r.show_matched);
  EXPECT_THAT(Samples(t.p), IsEmpty());
}

TEST(FilterTest, HideCutsInlinedLinesOutOfALocation) {
  TestProfile t({{"samples", "count"}});
  uint32_t a = t.Function("a"), b = t.Function("b"), c = t.Function("c");
  uint32_t loc = t.Location(kNone, 0x10, {{a, 1}, {b, 2}, {c, 3}});
  t.Sample({loc}, {1});
  size_t pool = t.p.lines.size();
  FilterSamplesByName(t.p, nullptr, nullptr, Re("^b$").get(), nullptr);
  // "a" and "c" are not contiguous: a new range holds them.
  EXPECT_THAT(Samples(t.p), ElementsAre("a+c 1"));
  EXPECT_EQ(t.p.lines.size(), pool + 2);
  EXPECT_EQ(t.p.Lines(t.p.locations[loc])[1].line, 3);
  // Show keeps lines without a function, and the matching ones.
  t.p.lines.push_back({kNone, 9, 0});
  t.p.lines.push_back({c, 4, 0});
  t.p.locations[loc].lines_begin = static_cast<uint32_t>(t.p.lines.size() - 2);
  FilterSamplesByName(t.p, nullptr, nullptr, nullptr, Re("^zzz$").get());
  EXPECT_THAT(Samples(t.p), ElementsAre("? 1"));
  // Compact drops the garbage left in the pool.
  EXPECT_EQ(Compact(t.p).lines.size(), 1u);
}

TEST(FilterTest, MappingNameMatchesTheWholeLocation) {
  TestProfile t({{"samples", "count"}});
  uint32_t lib = t.Mapping(0x1000, 0x2000, 0, "/lib/libc.so.6");
  uint32_t bin = t.Mapping(0x4000, 0x5000, 0, "/bin/app");
  uint32_t f = t.Function("memcpy"), g = t.Function("main");
  uint32_t in_lib = t.Location(lib, 0x1010, {{f, 0}});
  uint32_t raw = t.Location(lib, 0x1020);  // Unsymbolized.
  uint32_t in_bin = t.Location(bin, 0x4010, {{g, 0}});
  t.Sample({in_lib, in_bin}, {1});
  t.Sample({raw, in_bin}, {2});
  TestProfile u = t;
  auto r = FilterSamplesByName(t.p, nullptr, nullptr, Re("libc").get(), nullptr);
  EXPECT_TRUE(r.hide_matched);
  EXPECT_THAT(Samples(t.p), ElementsAre("main 1", "main 2"));
  // Show keeps every line of a matching mapping, but a location without lines is still
  // left with none, so it goes too.
  FilterSamplesByName(u.p, nullptr, nullptr, nullptr, Re("libc").get());
  EXPECT_THAT(Samples(u.p), ElementsAre("memcpy 1"));
}

// pprof's examples: a stack [A, B, C, B] written root first.
TestProfile ShowFromProfile() {
  TestProfile t({{"samples", "count"}});
  t.Stack({"beta", "gamma", "beta", "alpha"}, {1});
  return t;
}

TEST(FilterTest, ShowFrom) {
  TestProfile t = ShowFromProfile();
  EXPECT_TRUE(ShowFrom(t.p, *Re("^alpha$")));
  EXPECT_THAT(Samples(t.p), ElementsAre("beta;gamma;beta;alpha 1"));
  t = ShowFromProfile();
  EXPECT_TRUE(ShowFrom(t.p, *Re("^beta$")));
  EXPECT_THAT(Samples(t.p), ElementsAre("beta;gamma;beta 1"));
  t = ShowFromProfile();
  EXPECT_TRUE(ShowFrom(t.p, *Re("^gamma$")));
  EXPECT_THAT(Samples(t.p), ElementsAre("beta;gamma 1"));
  t = ShowFromProfile();
  EXPECT_FALSE(ShowFrom(t.p, *Re("^delta$")));
  EXPECT_THAT(Samples(t.p), IsEmpty());

  // Within a location, lines outer to the outermost match go.
  TestProfile in({{"samples", "count"}});
  uint32_t inner = in.Function("inner"), mid = in.Function("mid"), outer = in.Function("outer");
  in.Sample({in.Location(kNone, 1, {{inner, 0}, {mid, 0}, {outer, 0}})}, {1});
  EXPECT_TRUE(ShowFrom(in.p, *Re("mid|inner")));
  EXPECT_THAT(Samples(in.p), ElementsAre("inner+mid 1"));
}

// pprof's examples: a stack [A, B, C, B, D] with A the leaf.
TestProfile PruneProfile() {
  TestProfile t({{"samples", "count"}});
  t.Stack({"alpha", "beta", "gamma", "beta", "delta"}, {1});
  return t;
}

TEST(FilterTest, PruneFrom) {
  TestProfile t = PruneProfile();
  PruneFrom(t.p, *Re("^alpha$"));
  EXPECT_THAT(Samples(t.p), ElementsAre("alpha;beta;gamma;beta;delta 1"));
  t = PruneProfile();
  PruneFrom(t.p, *Re("^beta$"));
  EXPECT_THAT(Samples(t.p), ElementsAre("beta;gamma;beta;delta 1"));

  // Lines inlined into the match go; argument lists are ignored when matching.
  TestProfile in({{"samples", "count"}});
  uint32_t leaf = in.Function("leaf"), f = in.Function("ns::Run(int, char**)");
  uint32_t main = in.Function("main");
  in.Sample({in.Location(kNone, 1, {{leaf, 0}, {f, 0}}), in.Location(kNone, 2, {{main, 0}})}, {1});
  PruneFrom(in.p, *Re("^ns::Run$"));
  EXPECT_THAT(Samples(in.p), ElementsAre("ns::Run(int, char**);main 1"));
}

TEST(FilterTest, Prune) {
  TestProfile t = PruneProfile();
  Prune(t.p, *Re("^beta$"), nullptr);
  EXPECT_THAT(Samples(t.p), ElementsAre("delta 1"));
  t = PruneProfile();
  Prune(t.p, *Re("^alpha$"), nullptr);
  EXPECT_THAT(Samples(t.p), ElementsAre("beta;gamma;beta;delta 1"));
  // keep_frames rescues a frame the drop regexp matched.
  t = PruneProfile();
  Prune(t.p, *Re("^(beta|gamma)$"), Re("^beta$").get());
  EXPECT_THAT(Samples(t.p), ElementsAre("beta;delta 1"));
  // Frames are not pruned before the first user (non-matching) frame from the root.
  t = PruneProfile();
  Prune(t.p, *Re("^(delta|beta)$"), nullptr);
  EXPECT_THAT(Samples(t.p), ElementsAre("gamma;beta;delta 1"));
}

TEST(FilterTest, PruneKeepsCallersOfAnInlinedMatch) {
  TestProfile t({{"samples", "count"}});
  uint32_t malloc = t.Function("malloc"), user = t.Function("(anonymous namespace)::Alloc(int)");
  uint32_t op = t.Function("Foo::operator()(int)"), main = t.Function(".main");
  t.Sample({t.Location(kNone, 1, {{malloc, 0}, {user, 0}}), t.Location(kNone, 2, {{op, 0}}),
            t.Location(kNone, 3, {{main, 0}})},
           {1});
  TestProfile u = t, w = t;
  // The match is inlined into a caller: the location stays, minus the match and what it
  // inlines.
  Prune(w.p, *Re("^malloc$"), nullptr);
  EXPECT_THAT(Samples(w.p),
              ElementsAre("(anonymous namespace)::Alloc(int);Foo::operator()(int);.main 1"));
  // "(anonymous namespace)" and "operator()" are not argument lists.
  Prune(t.p, *Re("^\\(anonymous namespace\\)::Alloc$"), nullptr);
  EXPECT_THAT(Samples(t.p), ElementsAre("Foo::operator()(int);.main 1"));
  Prune(u.p, *Re("^Foo::operator\\(\\)$"), nullptr);
  EXPECT_THAT(Samples(u.p), ElementsAre(".main 1"));
  // A leading '.' is dropped before matching too.
  TestProfile v = u;
  Prune(v.p, *Re("^main$"), nullptr);
  EXPECT_THAT(Samples(v.p), ElementsAre(".main 1"));  // Only matching frames: kept whole.
}

TEST(FilterTest, RemoveUninteresting) {
  TestProfile t({{"samples", "count"}});
  t.Stack({"malloc", "tc_new", "alloc_user", "main"}, {1});
  ASSERT_TRUE(RemoveUninteresting(t.p).ok());  // No drop_frames: nothing happens.
  EXPECT_THAT(Samples(t.p), ElementsAre("malloc;tc_new;alloc_user;main 1"));
  // Anchored: "alloc" alone would not match "alloc_user".
  t.p.drop_frames = t.S("malloc|tc_.*|alloc");
  ASSERT_TRUE(RemoveUninteresting(t.p).ok());
  EXPECT_THAT(Samples(t.p), ElementsAre("alloc_user;main 1"));
  t.p.drop_frames = t.S("(");
  EXPECT_EQ(RemoveUninteresting(t.p).message(), "failed to compile regexp (: missing ): ^(()$");
}

// s0 {endpoint=/api/a worker=1 bytes=2048B}, s1 {endpoint=/api/b bytes=64kB},
// s2 {worker=2 alignment=16}, s3 no labels.
TestProfile TagProfile() {
  TestProfile t({{"samples", "count"}});
  t.Stack({"a"}, {1}, {Str("endpoint", "/api/a"), Str("worker", "1"), Num("bytes", 2048, "bytes")});
  t.Stack({"b"}, {2}, {Str("endpoint", "/api/b"), Num("bytes", 65536, "bytes")});
  t.Stack({"c"}, {4}, {Str("worker", "2"), Num("alignment", 16)});
  t.Stack({"d"}, {8});
  return t;
}

std::vector<std::string> Focus(std::string_view expr) {
  TestProfile t = TagProfile();
  auto m = CompileTagFilter("tagfocus", expr, NumLabelUnits(t.p));
  EXPECT_TRUE(m.ok()) << m.status();
  if (!m.ok()) return {};
  FilterSamplesByTag(t.p, *m, nullptr);
  return Samples(t.p);
}

TEST(FilterTest, TagFilterRegexps) {
  EXPECT_THAT(Focus("endpoint=/api/a"),
              ElementsAre("a 1 {endpoint=/api/a worker=1 bytes=2048[bytes]}"));
  EXPECT_THAT(Focus("endpoint=/api/b,/api/a"),
              ElementsAre(::testing::StartsWith("a 1"), ::testing::StartsWith("b 2")));
  // Without a key, each regexp must match some "key:value".
  EXPECT_THAT(Focus("api/b"), ElementsAre(::testing::StartsWith("b 2")));
  EXPECT_THAT(Focus("worker:1,endpoint"), ElementsAre(::testing::StartsWith("a 1")));
  EXPECT_THAT(Focus("worker"),
              ElementsAre(::testing::StartsWith("a 1"), ::testing::StartsWith("c 4")));
  // A key's numeric labels are not matched by regexps.
  EXPECT_THAT(Focus("bytes=2048b."), IsEmpty());
  auto bad = CompileTagFilter("tagignore", "x=(", {});
  EXPECT_EQ(bad.status().message(), "parsing tagignore regexp: missing ): (");
  auto none = CompileTagFilter("tagfocus", "", {});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
}

TEST(FilterTest, TagFilterNumericRanges) {
  EXPECT_THAT(Focus("2kb"), ElementsAre(::testing::StartsWith("a 1")));
  EXPECT_THAT(Focus("2048"), IsEmpty());  // No unit: compared as unit-less, bytes never are.
  EXPECT_THAT(Focus("bytes=64kb:"), ElementsAre(::testing::StartsWith("b 2")));
  EXPECT_THAT(Focus(":16b"), ElementsAre(::testing::StartsWith("c 4")));  // alignment: bytes.
  EXPECT_THAT(Focus("1kb:1mb"),
              ElementsAre(::testing::StartsWith("a 1"), ::testing::StartsWith("b 2")));
  EXPECT_THAT(Focus("alignment=1kb:1mb"), IsEmpty());
  // Units of different kinds do not make a range; it is then a regexp matching "key:value".
  EXPECT_THAT(Focus("1kb:1ms"), IsEmpty());
  EXPECT_THAT(Focus("endpoint=/api/a1"), IsEmpty());
}

TEST(FilterTest, FilterSamplesByTagFlags) {
  TestProfile t = TagProfile();
  auto units = NumLabelUnits(t.p);
  auto focus = CompileTagFilter("tagfocus", "worker=.", units);
  auto ignore = CompileTagFilter("tagignore", "1kb:", units);
  ASSERT_TRUE(focus.ok() && ignore.ok());
  bool fm = false, im = false;
  FilterSamplesByTag(t.p, *focus, *ignore, &fm, &im);
  EXPECT_TRUE(fm);
  EXPECT_TRUE(im);
  EXPECT_THAT(Samples(t.p), ElementsAre(::testing::StartsWith("c 4")));
  auto never = CompileTagFilter("tagignore", "nothing=x", units);
  FilterSamplesByTag(t.p, nullptr, *never, &fm, &im);
  EXPECT_TRUE(fm);
  EXPECT_FALSE(im);
  EXPECT_EQ(t.p.samples.size(), 1u);
}

TEST(FilterTest, FilterTagsByName) {
  TestProfile t = TagProfile();
  FilterTagsByName(t.p, Re("^(end|bytes)").get(), Re("bytes").get());
  EXPECT_THAT(Samples(t.p),
              ElementsAre("a 1 {endpoint=/api/a}", "b 2 {endpoint=/api/b}", "c 4", "d 8"));
  EXPECT_EQ(t.p.labels.size(), 2u);
  TestProfile u = TagProfile();
  FilterTagsByName(u.p, nullptr, Re("^worker$").get());
  EXPECT_EQ(Samples(u.p)[2], "c 4 {alignment=16[]}");
}

TEST(FilterTest, AddLabelFrames) {
  TestProfile t = TagProfile();
  uint64_t max_function_id = t.p.functions.back().id;
  std::vector<std::string> roots = {"endpoint", "worker"}, leaves = {"", "bytes"};
  AddLabelFrames(t.p, roots, leaves);
  ASSERT_TRUE(Validate(t.p).ok());
  // Leaf: the bytes frame; root: the first root key. Missing labels give empty names.
  EXPECT_THAT(Samples(t.p),
              ElementsAre(::testing::StartsWith("2kB;a;1;/api/a 1"),
                          ::testing::StartsWith("64kB;b;;/api/b 2"),
                          ::testing::StartsWith(";c;2; 4"), ::testing::StartsWith(";d;; 8")));
  // Pseudo functions are named by the values and filed under the key; one per distinct pair.
  const Location& leaf = t.p.locations[t.p.Stack(t.p.samples[0])[0]];
  const Function& f = t.p.functions[t.p.Lines(leaf)[0].function];
  EXPECT_EQ(t.p.Str(f.name), "2kB");
  EXPECT_EQ(t.p.Str(f.filename), "bytes");
  EXPECT_EQ(f.id, max_function_id + 3);  // After the sample's root frames "1", "/api/a".
  // 2kB, 64kB, "" (bytes); 1, /api/a, "" (worker), /api/b, 2, "" (endpoint).
  EXPECT_EQ(t.p.functions.size(), 4u + 9u);
}

// pprof's applyFocus on a real profile: `go tool pprof -proto -focus=fib` keeps 63 of the
// 354 samples; -tagfocus=endpoint=/api/search keeps 115.
std::string Fixture(std::string_view rel) {
  std::ifstream in(std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/" + std::string(rel),
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(FilterFixtureTest, GoCpuProfile) {
  auto decoded = DecodePprof(Fixture("go/http/cpuburn.profile.10s.pb.gz"));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  Profile p = Compact(*decoded);
  FilterSamplesByName(p, Re("fib").get(), nullptr, nullptr, nullptr);
  EXPECT_EQ(p.samples.size(), 63u);
  EXPECT_EQ(p.Total(0), 63);

  Profile q = Compact(*decoded);
  auto focus = CompileTagFilter("tagfocus", "endpoint=/api/search", NumLabelUnits(q));
  ASSERT_TRUE(focus.ok());
  FilterSamplesByTag(q, *focus, nullptr);
  EXPECT_EQ(q.samples.size(), 115u);
  EXPECT_EQ(q.Total(1), 1150000000);
}

}  // namespace
}  // namespace hearth::profile
