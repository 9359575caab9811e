#include "profile/builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "profile/ops_test_util.h"

namespace hearth::profile {
namespace {

using optest::Samples;
using ::testing::ElementsAre;

Mapping MakeMapping(ProfileBuilder& b, uint64_t start, uint64_t limit, std::string_view file,
                    std::string_view build_id = "") {
  Mapping m;
  m.id = 77;  // Ignored by the builder.
  m.memory_start = start;
  m.memory_limit = limit;
  m.filename = b.Str(file);
  m.build_id = b.Str(build_id);
  return m;
}

TEST(BuilderTest, InternsStringsAndFunctions) {
  ProfileBuilder b;
  StrId main = b.Str("main");
  EXPECT_EQ(b.Str("main"), main);
  EXPECT_EQ(b.Str(""), 0u);
  uint32_t f1 = b.AddFunction(main, main, b.Str("main.go"), 10);
  uint32_t f2 = b.AddFunction(b.Str("fib"), b.Str("fib"), b.Str("main.go"), 20);
  EXPECT_EQ(b.AddFunction(main, main, b.Str("main.go"), 10), f1);
  // Any field differing makes another function.
  uint32_t f3 = b.AddFunction(main, main, b.Str("main.go"), 11);
  EXPECT_EQ(f1, 0u);
  EXPECT_EQ(f2, 1u);
  EXPECT_EQ(f3, 2u);
  const Profile& p = b.profile();
  ASSERT_EQ(p.functions.size(), 3u);
  EXPECT_EQ(p.functions[0].id, 1u);
  EXPECT_EQ(p.functions[2].id, 3u);
  EXPECT_EQ(p.functions[2].start_line, 11);
}

TEST(BuilderTest, MappingKeyRoundsSizeAndPrefersBuildId) {
  ProfileBuilder b;
  uint64_t start = 0;
  uint32_t m0 = b.AddMapping(MakeMapping(b, 0x400000, 0x400800, "/bin/app", "abc"), &start);
  EXPECT_EQ(m0, 0u);
  EXPECT_EQ(start, 0x400000u);
  // Loaded elsewhere, size 0xf00 also rounds up to 0x1000, other file name but same build
  // id: the same mapping, and the caller learns where it was first seen.
  uint32_t m1 = b.AddMapping(MakeMapping(b, 0x7f0000, 0x7f0f00, "/other/app", "abc"), &start);
  EXPECT_EQ(m1, 0u);
  EXPECT_EQ(start, 0x400000u);
  // Bigger than 4 KiB after rounding: a different mapping.
  EXPECT_EQ(b.AddMapping(MakeMapping(b, 0x400000, 0x401001, "/bin/app", "abc")), 1u);
  // No build id: the file name is the key.
  EXPECT_EQ(b.AddMapping(MakeMapping(b, 0x1000, 0x2000, "/lib/a.so")), 2u);
  EXPECT_EQ(b.AddMapping(MakeMapping(b, 0x9000, 0xa000, "/lib/a.so")), 2u);
  EXPECT_EQ(b.AddMapping(MakeMapping(b, 0x9000, 0xa000, "/lib/b.so")), 3u);
  // Neither: fake mappings of the same size merge with each other.
  EXPECT_EQ(b.AddMapping(MakeMapping(b, 0, 0x1000, "")), 4u);
  EXPECT_EQ(b.AddMapping(MakeMapping(b, 0x5000, 0x6000, "")), 4u);
  const Profile& p = b.profile();
  ASSERT_EQ(p.mappings.size(), 5u);
  EXPECT_EQ(p.mappings[3].id, 4u);
  EXPECT_EQ(p.Str(p.mappings[0].filename), "/bin/app");
}

TEST(BuilderTest, LocationKeyIsRelativeToItsMapping) {
  ProfileBuilder b;
  uint32_t m = b.AddMapping(MakeMapping(b, 0x400000, 0x500000, "/bin/app"));
  uint32_t f = b.AddFunction(b.Str("f"), 0, 0, 0);
  Line ln{f, 12, 0};
  uint32_t l0 = b.AddLocation(m, 0x400100, std::span<const Line>(&ln, 1));
  EXPECT_EQ(b.AddLocation(m, 0x400100, std::span<const Line>(&ln, 1)), l0);
  // Other address, other line, other column or folded: all different locations.
  EXPECT_EQ(b.AddLocation(m, 0x400104, std::span<const Line>(&ln, 1)), 1u);
  Line other_line{f, 13, 0};
  EXPECT_EQ(b.AddLocation(m, 0x400100, std::span<const Line>(&other_line, 1)), 2u);
  Line other_column{f, 12, 5};
  EXPECT_EQ(b.AddLocation(m, 0x400100, std::span<const Line>(&other_column, 1)), 3u);
  EXPECT_EQ(b.AddLocation(m, 0x400100, std::span<const Line>(&ln, 1), true), 4u);
  // Without a mapping the raw address is the key.
  EXPECT_EQ(b.AddLocation(kNone, 0x100, std::span<const Line>(&ln, 1)), 5u);
  EXPECT_EQ(b.AddLocation(kNone, 0x100, std::span<const Line>(&ln, 1)), 5u);
  const Profile& p = b.profile();
  ASSERT_EQ(p.locations.size(), 6u);
  EXPECT_EQ(p.locations[4].is_folded, true);
  EXPECT_EQ(p.locations[5].id, 6u);
  EXPECT_EQ(p.locations[5].mapping, kNone);
  EXPECT_EQ(p.lines.size(), 6u);
}

TEST(BuilderTest, AddFrameReusesFunctionsAndLocations) {
  ProfileBuilder b;
  uint32_t a = b.AddFrame("main.a", "a.go", 3);
  uint32_t a2 = b.AddFrame("main.a", "a.go", 4);
  EXPECT_EQ(b.AddFrame("main.a", "a.go", 3), a);
  EXPECT_NE(a, a2);
  const Profile& p = b.profile();
  ASSERT_EQ(p.functions.size(), 1u);  // Same function, two lines.
  EXPECT_EQ(p.Str(p.functions[0].name), "main.a");
  EXPECT_EQ(p.Str(p.functions[0].system_name), "main.a");
  EXPECT_EQ(p.Str(p.functions[0].filename), "a.go");
  ASSERT_EQ(p.locations.size(), 2u);
  EXPECT_EQ(p.Lines(p.locations[a2])[0].line, 4);
  EXPECT_EQ(p.locations[a].mapping, kNone);
}

TEST(BuilderTest, SumsSamplesWithTheSameStackAndLabels) {
  ProfileBuilder b;
  Profile& p = b.profile();
  p.sample_types = {{b.Str("samples"), b.Str("count")}, {b.Str("cpu"), b.Str("nanoseconds")}};
  uint32_t x = b.AddFrame("x"), y = b.AddFrame("y");
  std::vector<uint32_t> xy = {x, y}, yx = {y, x};
  std::vector<int64_t> v1 = {1, 10}, v2 = {2, 20};
  Label ep{b.Str("endpoint"), b.Str("/a"), 0, 0};
  Label worker{b.Str("worker"), b.Str("3"), 0, 0};
  Label bytes{b.Str("bytes"), 0, 64, b.Str("bytes")};
  std::vector<Label> l1 = {bytes, worker, ep};
  std::vector<Label> l2 = {ep, bytes, worker};  // Same set, other order.
  EXPECT_EQ(b.AddSample(xy, v1, l1), 0u);
  EXPECT_EQ(b.AddSample(xy, v2, l2), 0u);
  EXPECT_EQ(b.AddSample(yx, v1, l1), 1u);  // Other stack.
  EXPECT_EQ(b.AddSample(xy, v1), 2u);      // No labels.
  Label bytes_kb{b.Str("bytes"), 0, 64, b.Str("kilobytes")};
  std::vector<Label> l3 = {ep, worker, bytes_kb};
  EXPECT_EQ(b.AddSample(xy, v1, l3), 3u);  // The numeric label's unit is part of the key.
  // Several values of one key: their order matters (pprof keys on the value list).
  Label w4{b.Str("worker"), b.Str("4"), 0, 0};
  std::vector<Label> l34 = {worker, w4}, l43 = {w4, worker};
  EXPECT_EQ(b.AddSample(xy, v1, l34), 4u);
  EXPECT_EQ(b.AddSample(xy, v1, l43), 5u);
  EXPECT_EQ(b.AddSample(xy, v2, l34), 4u);
  // A label with neither a string nor a number does not count.
  Label empty{b.Str("nothing"), 0, 0, 0};
  std::vector<Label> l_empty = {empty};
  EXPECT_EQ(b.AddSample(xy, v1, l_empty), 2u);

  EXPECT_THAT(Samples(p),
              ElementsAre("x;y 3,30 {endpoint=/a worker=3 bytes=64[bytes]}",
                          "y;x 1,10 {endpoint=/a worker=3 bytes=64[bytes]}", "x;y 2,20",
                          "x;y 1,10 {endpoint=/a worker=3 bytes=64[kilobytes]}",
                          "x;y 3,30 {worker=3 worker=4}", "x;y 1,10 {worker=4 worker=3}"));
  Profile out = b.Finish();
  EXPECT_TRUE(Validate(out).ok());
  EXPECT_EQ(out.samples.size(), 6u);
  EXPECT_EQ(b.profile().samples.size(), 0u);  // The builder starts over.
}

TEST(BuilderTest, StackFromItsOwnPoolIsSafe) {
  ProfileBuilder b;
  Profile& p = b.profile();
  p.sample_types = {{b.Str("samples"), b.Str("count")}};
  std::vector<uint32_t> stack;
  for (int i = 0; i < 8; ++i) stack.push_back(b.AddFrame(fmt::format("f{}", i)));
  std::vector<int64_t> one = {1};
  b.AddSample(stack, one);
  // Re-adding a sample's own stack range while the pool may grow.
  for (int i = 0; i < 100; ++i) {
    std::span<const uint32_t> own = p.Stack(p.samples[0]).subspan(0, 1 + i % 7);
    b.AddSample(own, one);
  }
  // Prefixes of length 1..7 are new samples 1..7; the full stack is never re-added.
  ASSERT_EQ(p.samples.size(), 8u);
  EXPECT_EQ(p.Values(p.samples[0])[0], 1);
  EXPECT_EQ(p.Values(p.samples[1])[0], 15);  // Length 1: i = 0, 7, ..., 98.
  EXPECT_EQ(p.samples[1].depth, 1u);
  EXPECT_EQ(p.Values(p.samples[7])[0], 14);  // Length 7: i = 6, 13, ..., 97.
}

TEST(BuilderTest, FinishDropsZeroSamplesAndWhatOnlyTheyUsed) {
  ProfileBuilder b;
  Profile& p = b.profile();
  p.sample_types = {{b.Str("samples"), b.Str("count")}};
  p.period = 10;
  p.comments = {b.Str("hello")};
  uint32_t a = b.AddFrame("a"), gone = b.AddFrame("gone"), c = b.AddFrame("c");
  std::vector<uint32_t> s1 = {a, gone}, s2 = {c, a};
  std::vector<int64_t> plus = {5}, minus = {-5}, two = {2};
  b.AddSample(s1, plus);
  b.AddSample(s2, two);
  b.AddSample(s1, minus);
  Profile out = b.Finish();
  ASSERT_TRUE(Validate(out).ok());
  EXPECT_THAT(Samples(out), ElementsAre("c;a 2"));
  // Renumbered in first-seen order of the surviving samples: c, then a.
  EXPECT_THAT(optest::FunctionNames(out), ElementsAre("c", "a"));
  ASSERT_EQ(out.locations.size(), 2u);
  EXPECT_EQ(out.locations[0].id, 1u);
  EXPECT_EQ(out.period, 10);
  ASSERT_EQ(out.comments.size(), 1u);
  EXPECT_EQ(out.Str(out.comments[0]), "hello");
}

}  // namespace
}  // namespace hearth::profile
