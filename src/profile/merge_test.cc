#include "profile/merge.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>

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
using ::testing::EndsWith;
using ::testing::HasSubstr;

TestProfile Cpu() { return TestProfile({{"samples", "count"}, {"cpu", "nanoseconds"}}); }

void SetPeriod(TestProfile& t, std::string_view type, std::string_view unit, int64_t period) {
  t.p.period_type = {t.S(type), t.S(unit)};
  t.p.period = period;
}

absl::StatusOr<Profile> MergeAll(std::initializer_list<const Profile*> ps) {
  std::vector<const Profile*> v(ps);
  return Merge(v);
}

TEST(MergeTest, NothingToMerge) {
  EXPECT_EQ(Merge({}).status().message(), "no profiles to merge");
  Merger m;
  EXPECT_EQ(m.Finish().status().message(), "no profiles to merge");
}

TEST(MergeTest, SumsEqualSamplesAcrossProfiles) {
  TestProfile a = Cpu(), b = Cpu();
  a.Stack({"fib", "main"}, {1, 10}, {Str("worker", "1")});
  a.Stack({"sort", "main"}, {2, 20});
  b.Stack({"sort", "main"}, {3, 30});
  b.Stack({"fib", "main"}, {4, 40}, {Str("worker", "1")});
  b.Stack({"fib", "main"}, {5, 50}, {Str("worker", "2")});
  auto m = MergeAll({&a.p, &b.p});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(Samples(*m), ElementsAre("fib;main 5,50 {worker=1}", "sort;main 5,50",
                                       "fib;main 5,50 {worker=2}"));
  EXPECT_THAT(optest::FunctionNames(*m), ElementsAre("fib", "main", "sort"));
  EXPECT_EQ(m->locations.size(), 3u);
  EXPECT_TRUE(Validate(*m).ok());
}

TEST(MergeTest, HeaderRules) {
  TestProfile a = Cpu(), b = Cpu(), c = Cpu();
  for (TestProfile* t : {&a, &b, &c}) t->Stack({"f"}, {1, 1});
  SetPeriod(a, "cpu", "nanoseconds", 10);
  SetPeriod(b, "cpu", "nanoseconds", 30);
  SetPeriod(c, "cpu", "nanoseconds", 20);
  a.p.time_nanos = 500;
  b.p.time_nanos = 0;  // Zero "resets" the minimum: the next time wins.
  c.p.time_nanos = 700;
  a.p.duration_nanos = 1;
  b.p.duration_nanos = 2;
  c.p.duration_nanos = 4;
  a.p.comments = {a.S("x"), a.S("y")};
  b.p.comments = {b.S("y"), b.S("z"), b.S("x")};
  b.p.default_sample_type = b.S("cpu");
  c.p.default_sample_type = c.S("samples");
  c.p.doc_url = c.S("https://example.com/doc");
  a.p.drop_frames = a.S("malloc");
  b.p.keep_frames = b.S("ignored: only the first input's frames count");
  auto m = MergeAll({&a.p, &b.p, &c.p});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->time_nanos, 700);
  EXPECT_EQ(m->duration_nanos, 7);
  EXPECT_EQ(m->period, 30);
  ASSERT_EQ(m->comments.size(), 3u);
  EXPECT_EQ(m->Str(m->comments[0]), "x");
  EXPECT_EQ(m->Str(m->comments[1]), "y");
  EXPECT_EQ(m->Str(m->comments[2]), "z");
  EXPECT_EQ(m->Str(m->default_sample_type), "cpu");
  EXPECT_EQ(m->Str(m->doc_url), "https://example.com/doc");
  EXPECT_EQ(m->Str(m->drop_frames), "malloc");
  EXPECT_EQ(m->Str(m->keep_frames), "");
  EXPECT_EQ(m->Str(m->period_type.unit), "nanoseconds");
  EXPECT_THAT(Samples(*m), ElementsAre("f 3,3"));

  // Earliest time when no zero comes in between.
  c.p.time_nanos = 300;
  m = MergeAll({&a.p, &c.p});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->time_nanos, 300);
}

TEST(MergeTest, IncompatibleProfilesAreAnError) {
  TestProfile a = Cpu();
  TestProfile b({{"samples", "count"}, {"cpu", "milliseconds"}});
  auto m = MergeAll({&a.p, &b.p});
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.status().message(),
            "incompatible sample types [samples/count cpu/nanoseconds] and "
            "[samples/count cpu/milliseconds]");
  TestProfile c = Cpu();
  SetPeriod(c, "wall", "nanoseconds", 1);
  EXPECT_EQ(CheckCompatible(a.p, c.p).message(),
            "incompatible period types / and wall/nanoseconds");
  EXPECT_TRUE(CheckCompatible(a.p, a.p).ok());
}

TEST(MergeTest, MatchedMappingShiftsAddresses) {
  // The same binary loaded at two addresses (ASLR): locations at the same offset merge,
  // and keep the first profile's addresses.
  TestProfile a = Cpu(), b = Cpu();
  uint32_t ma = a.Mapping(0x400000, 0x500000, 0, "/bin/app", "b1d");
  uint32_t fa = a.Function("main");
  a.Sample({a.Location(ma, 0x400123, {{fa, 7}})}, {1, 1});
  uint32_t mb = b.Mapping(0x7f0000, 0x8f0000, 0, "/tmp/other-name", "b1d");
  uint32_t fb = b.Function("main");
  b.Sample({b.Location(mb, 0x7f0123, {{fb, 7}})}, {2, 2});
  b.Sample({b.Location(mb, 0x7f0200, {{fb, 9}})}, {4, 4});
  auto m = MergeAll({&a.p, &b.p});
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->mappings.size(), 1u);
  EXPECT_EQ(m->Str(m->mappings[0].filename), "/bin/app");
  ASSERT_EQ(m->locations.size(), 2u);
  EXPECT_EQ(m->locations[0].address, 0x400123u);
  EXPECT_EQ(m->locations[1].address, 0x400200u);  // Shifted into the first mapping.
  EXPECT_THAT(Samples(*m), ElementsAre("main 3,3", "main 4,4"));
}

TEST(MergeTest, FirstMappingStaysFirst) {
  // The first sample only touches the library; pprof still maps the source's first mapping
  // (the main binary) before anything else.
  TestProfile a = Cpu();
  uint32_t bin = a.Mapping(0x400000, 0x500000, 0, "/bin/app");
  uint32_t lib = a.Mapping(0x7f0000, 0x7f1000, 0, "/lib/libc.so.6");
  uint32_t f = a.Function("memcpy");
  uint32_t g = a.Function("main");
  a.Sample({a.Location(lib, 0x7f0010, {{f, 0}})}, {1, 1});
  a.Sample({a.Location(bin, 0x400010, {{g, 0}})}, {1, 1});
  a.Mapping(0x900000, 0x901000, 0, "/lib/unused.so");
  Profile c = Compact(a.p);
  ASSERT_EQ(c.mappings.size(), 2u);  // The unused one is gone.
  EXPECT_EQ(c.Str(c.mappings[0].filename), "/bin/app");
  EXPECT_EQ(c.mappings[0].id, 1u);
  EXPECT_EQ(c.Str(c.mappings[1].filename), "/lib/libc.so.6");
  EXPECT_EQ(c.locations[0].mapping, 1u);
}

TEST(MergeTest, CancelledSamplesAreDroppedWithWhatOnlyTheyUsed) {
  TestProfile a = Cpu(), b = Cpu();
  a.Stack({"gone", "main"}, {1, 10});
  a.Stack({"stays", "main"}, {1, 10});
  b.Stack({"gone", "main"}, {-1, -10});
  b.Stack({"zero", "main"}, {0, 0});  // All-zero input samples are skipped outright.
  auto m = MergeAll({&a.p, &b.p});
  ASSERT_TRUE(m.ok());
  EXPECT_THAT(Samples(*m), ElementsAre("stays;main 1,10"));
  // The second pass renumbers: "stays" is now the first function seen.
  EXPECT_THAT(optest::FunctionNames(*m), ElementsAre("stays", "main"));
  EXPECT_EQ(m->locations.size(), 2u);
  EXPECT_EQ(m->locations[0].id, 1u);
}

TEST(MergeTest, CompactCollectsGarbageAndRenumbers) {
  TestProfile t = Cpu();
  t.Function("unused");
  uint32_t x = t.Frame("x");
  uint32_t y = t.Frame("y");
  t.Frame("unused_too");
  t.Sample({y, x}, {1, 1}, {Num("bytes", 64, "bytes"), Str("a", "1")});
  t.Sample({y, x}, {1, 1}, {Str("a", "1"), Num("bytes", 64, "bytes")});
  t.Sample({x}, {0, 0});
  Profile c = Compact(t.p);
  ASSERT_TRUE(Validate(c).ok());
  EXPECT_THAT(Samples(c), ElementsAre("y;x 2,2 {a=1 bytes=64[bytes]}"));
  EXPECT_THAT(optest::FunctionNames(c), ElementsAre("y", "x"));
  ASSERT_EQ(c.locations.size(), 2u);
  EXPECT_EQ(c.locations[1].id, 2u);
  EXPECT_EQ(c.functions[1].id, 2u);
}

TEST(MergeTest, ScaleToCommonUnitsPicksTheFinestUnit) {
  TestProfile a({{"samples", "count"}, {"cpu", "milliseconds"}});
  TestProfile b({{"samples", "count"}, {"cpu", "nanoseconds"}});
  SetPeriod(a, "cpu", "milliseconds", 10);
  SetPeriod(b, "cpu", "nanoseconds", 5000000);
  a.Stack({"f"}, {1, 10});
  a.Stack({"g"}, {3, 0});  // ScaleN's quirk: nothing non-zero left among scaled values.
  b.Stack({"f"}, {1, 2000000});
  Profile* ps[] = {&a.p, &b.p};
  ASSERT_TRUE(ScaleToCommonUnits(ps).ok());
  EXPECT_EQ(a.p.Str(a.p.sample_types[1].unit), "nanoseconds");
  EXPECT_EQ(a.p.period, 10000000);
  EXPECT_EQ(a.p.Str(a.p.period_type.unit), "nanoseconds");
  EXPECT_THAT(Samples(a.p), ElementsAre("f 1,10000000"));
  auto m = MergeAll({&a.p, &b.p});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(Samples(*m), ElementsAre("f 2,12000000"));
  EXPECT_EQ(m->period, 10000000);

  TestProfile c({{"samples", "count"}, {"cpu", "bytes"}});
  TestProfile d({{"samples", "count"}});
  Profile* bad_units[] = {&b.p, &c.p};
  EXPECT_EQ(ScaleToCommonUnits(bad_units).message(),
            "sample types: incompatible types: cpu/nanoseconds cpu/bytes");
  Profile* bad_count[] = {&b.p, &d.p};
  EXPECT_EQ(ScaleToCommonUnits(bad_count).message(), "inconsistent samples type count: 2 != 1");
}

TEST(MergeTest, MergerReconcilesUnitsLikeScaleThenMerge) {
  auto make = [](std::string_view unit, int64_t period, int64_t v) {
    TestProfile t({{"samples", "count"}, {"cpu", unit}});
    SetPeriod(t, "cpu", unit, period);
    t.Stack({"f", "main"}, {1, v});
    t.Stack({"g", "main"}, {1, v * 2});
    return t;
  };
  TestProfile a = make("milliseconds", 10, 7);
  TestProfile b = make("nanoseconds", 20000000, 5000000);  // Finer: a is rescaled.
  TestProfile c = make("seconds", 1, 1);                   // Coarser: c is rescaled.
  Merger merger;
  ASSERT_TRUE(merger.Add(a.p).ok());
  ASSERT_TRUE(merger.Add(b.p).ok());
  ASSERT_TRUE(merger.Add(c.p).ok());
  EXPECT_EQ(merger.count(), 3);
  auto streamed = merger.Finish();
  ASSERT_TRUE(streamed.ok()) << streamed.status();

  Profile* ps[] = {&a.p, &b.p, &c.p};
  ASSERT_TRUE(ScaleToCommonUnits(ps).ok());
  auto merged = MergeAll({&a.p, &b.p, &c.p});
  ASSERT_TRUE(merged.ok());
  EXPECT_THAT(Samples(*streamed), ElementsAre("f;main 3,1012000000", "g;main 3,2024000000"));
  EXPECT_EQ(Samples(*streamed), Samples(*merged));
  EXPECT_EQ(streamed->period, 1000000000);
  EXPECT_EQ(streamed->Str(streamed->sample_types[1].unit), "nanoseconds");
  EXPECT_EQ(merged->period, streamed->period);
}

TEST(MergeTest, MergerRejectsAndKeepsGoing) {
  TestProfile a = Cpu(), bad({{"samples", "count"}, {"cpu", "bytes"}});
  TestProfile renamed({{"sample", "count"}, {"cpu", "nanoseconds"}});
  a.Stack({"f"}, {1, 1});
  bad.Stack({"f"}, {1, 1});
  renamed.Stack({"f"}, {1, 1});
  Merger m;
  ASSERT_TRUE(m.Add(a.p).ok());
  EXPECT_EQ(m.Add(bad.p).message(), "sample types: incompatible types: cpu/nanoseconds cpu/bytes");
  // "sample" and "samples" reconcile as units go, but pprof's merge wants the same names.
  EXPECT_THAT(std::string(m.Add(renamed.p).message()), HasSubstr("incompatible sample types"));
  TestProfile timed = Cpu();
  SetPeriod(timed, "cpu", "nanoseconds", 10);
  EXPECT_EQ(m.Add(timed.p).message(), "incompatible period types / and cpu/nanoseconds");
  ASSERT_TRUE(m.Add(a.p).ok());
  EXPECT_EQ(m.count(), 2);
  auto out = m.Finish();
  ASSERT_TRUE(out.ok());
  EXPECT_THAT(Samples(*out), ElementsAre("f 2,2"));
}

TEST(MergeTest, SubtractBase) {
  TestProfile p = Cpu(), base = Cpu();
  p.Stack({"f", "main"}, {4, 40});
  p.Stack({"g", "main"}, {2, 20});
  base.Stack({"f", "main"}, {1, 10});
  base.Stack({"h", "main"}, {3, 30});
  auto d = SubtractBase(p.p, base.p, BaseMode::kBase, false);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(Samples(*d), ElementsAre("f;main 3,30", "g;main 2,20", "h;main -3,-30"));

  d = SubtractBase(p.p, base.p, BaseMode::kDiffBase, false);
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(Samples(*d),
              ElementsAre("f;main 4,40", "g;main 2,20", "f;main -1,-10 {pprof::base=true}",
                          "h;main -3,-30 {pprof::base=true}"));

  // Normalized: p is scaled so its totals equal the base's (6 -> 4, 60 -> 40).
  d = SubtractBase(p.p, base.p, BaseMode::kBase, true);
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(Samples(*d), ElementsAre("f;main 2,17", "g;main 1,13", "h;main -3,-30"));

  TestProfile wall({{"samples", "count"}, {"wall", "nanoseconds"}});
  EXPECT_FALSE(SubtractBase(p.p, wall.p, BaseMode::kBase, true).ok());
}

// Real profiles: Go's CPU profile of 10 s and 3 s, merged as `go tool pprof -proto 10s 3s`
// does (453 samples, [463, 4.63 s], 309 locations, 122 functions, one mapping).
std::string Fixture(std::string_view rel) {
  std::ifstream in(std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/" + std::string(rel),
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(MergeFixtureTest, MergesGoCpuProfilesLikePprof) {
  auto p10 = DecodePprof(Fixture("go/http/cpuburn.profile.10s.pb.gz"));
  auto p3 = DecodePprof(Fixture("go/http/cpuburn.profile.3s.pb.gz"));
  ASSERT_TRUE(p10.ok()) << p10.status();
  ASSERT_TRUE(p3.ok()) << p3.status();
  auto m = MergeAll({&*p10, &*p3});
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(Validate(*m).ok());
  EXPECT_EQ(m->samples.size(), 453u);
  EXPECT_EQ(m->Total(0), 463);
  EXPECT_EQ(m->Total(1), 4630000000);
  EXPECT_EQ(m->locations.size(), 309u);
  EXPECT_EQ(m->functions.size(), 122u);
  ASSERT_EQ(m->mappings.size(), 1u);
  EXPECT_EQ(m->Str(m->mappings[0].filename), "/opt/fixtures-work/bin/cpuburn");
  EXPECT_EQ(m->time_nanos, 1795678516867034109);
  EXPECT_EQ(m->duration_nanos, 13401513676);
  EXPECT_EQ(m->period, 10000000);
  // First sample and ids as pprof numbers them (`go tool pprof -raw` of the merge).
  auto stack = m->Stack(m->samples[1]);
  std::vector<uint64_t> ids;
  for (uint32_t l : stack) ids.push_back(m->locations[l].id);
  EXPECT_THAT(ids, ElementsAre(11, 12, 13, 13, 13, 14, 15, 16, 17, 18, 19, 20));
  EXPECT_THAT(optest::SampleString(*m, m->samples[1]),
              EndsWith(" 1,10000000 {endpoint=/api/search span_id=1592590727 worker=0}"));

  // Streaming gives the same profile.
  Merger merger;
  ASSERT_TRUE(merger.Add(*p10).ok());
  ASSERT_TRUE(merger.Add(*p3).ok());
  auto streamed = merger.Finish();
  ASSERT_TRUE(streamed.ok());
  std::string why;
  EXPECT_TRUE(Equal(*m, *streamed, &why)) << why;

  // -base and -diff_base (`go tool pprof -proto -base 3s 10s`): 452 / 455 samples, both
  // summing to [259, 2.59 s]; 101 base samples carry pprof::base=true.
  auto base = SubtractBase(*p10, *p3, BaseMode::kBase, false);
  ASSERT_TRUE(base.ok());
  EXPECT_EQ(base->samples.size(), 452u);
  EXPECT_EQ(base->Total(0), 259);
  EXPECT_EQ(base->Total(1), 2590000000);
  auto diff = SubtractBase(*p10, *p3, BaseMode::kDiffBase, false);
  ASSERT_TRUE(diff.ok());
  EXPECT_EQ(diff->samples.size(), 455u);
  EXPECT_EQ(diff->Total(0), 259);
  int based = 0;
  for (const Sample& s : diff->samples) based += HasLabel(*diff, s, kDiffBaseLabel, "true");
  EXPECT_EQ(based, 101);
}

// A rough speed check for the hot path (never asserted): N profiles of 500 samples each,
// sharing a symbol space, merged through Merger.
TEST(MergeFixtureTest, ManyInputsSpeedCheck) {
  constexpr int kInputs = 1000, kSamples = 500, kDepth = 20, kFunctions = 400, kStacks = 5000;
  uint64_t rng = 42;
  auto next = [&rng] {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return rng >> 33;
  };
  // A shared pool of call stacks (as location numbers), each input sampling from it.
  std::vector<std::vector<uint32_t>> pool(kStacks);
  for (auto& stack : pool) {
    for (int d = 0; d < kDepth; ++d) stack.push_back(next() % (d < 5 ? kFunctions : 50));
  }
  std::vector<Profile> inputs;
  for (int i = 0; i < kInputs; ++i) {
    TestProfile t = Cpu();
    uint32_t m =
        t.Mapping(0x400000 + i * 0x10000000ULL, 0x800000 + i * 0x10000000ULL, 0, "/bin/app");
    std::vector<uint32_t> locs;
    for (int f = 0; f < kFunctions; ++f) {
      uint32_t fn = t.Function(fmt::format("pkg.func{}", f), "pkg/file.go");
      locs.push_back(t.Location(m, 0x400000 + i * 0x10000000ULL + f * 16, {{fn, f}}));
    }
    for (int s = 0; s < kSamples; ++s) {
      std::vector<uint32_t> stack;
      for (uint32_t l : pool[next() % kStacks]) stack.push_back(locs[l]);
      t.Sample(stack, {1, 10000000}, {Str("worker", std::to_string(s % 4))});
    }
    inputs.push_back(std::move(t.p));
  }
  auto start = std::chrono::steady_clock::now();
  Merger merger;
  for (const Profile& p : inputs) ASSERT_TRUE(merger.Add(p).ok());
  auto out = merger.Finish();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->Total(0), kInputs * kSamples);
  EXPECT_EQ(out->mappings.size(), 1u);
  EXPECT_EQ(out->functions.size(), static_cast<size_t>(kFunctions));
  std::printf("merged %d x %d samples into %zu in %.3f s (%.0f ns per input sample)\n", kInputs,
              kSamples, out->samples.size(), secs, secs * 1e9 / (kInputs * kSamples));
}

}  // namespace
}  // namespace hearth::profile
