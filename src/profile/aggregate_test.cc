#include "profile/aggregate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "profile/ops_test_util.h"

namespace hearth::profile {
namespace {

using optest::TestProfile;

// One mapping, a location with an inlined frame (inner, then its caller outer) and a plain
// one.
TestProfile Sample() {
  TestProfile t({{"samples", "count"}});
  uint32_t m = t.Mapping(0x400000, 0x500000, 0, "/bin/app");
  t.p.mappings[m].has_filenames = t.p.mappings[m].has_line_numbers = true;
  t.p.mappings[m].has_inline_frames = true;
  uint32_t inner = t.Function("inner", "inner.go", 10);
  uint32_t outer = t.Function("outer", "outer.go", 20);
  uint32_t l0 = t.Location(m, 0x401000, {{inner, 12}, {outer, 25}});
  t.p.lines.back().column = 7;
  uint32_t l1 = t.Location(m, 0x402000, {{outer, 30}});
  t.Sample({l0, l1}, {1});
  return t;
}

struct Frame {
  std::string name, file;
  int64_t line, column;
  bool operator==(const Frame&) const = default;
};

std::vector<Frame> Frames(const Profile& p, uint32_t loc) {
  std::vector<Frame> out;
  for (const Line& ln : p.Lines(p.locations[loc])) {
    const Function& f = p.functions[ln.function];
    out.push_back({std::string(p.Str(f.name)), std::string(p.Str(f.filename)), ln.line, ln.column});
  }
  return out;
}

TEST(AggregateTest, ParseGranularity) {
  EXPECT_EQ(*ParseGranularity("functions"), Granularity::kFunctions);
  EXPECT_EQ(*ParseGranularity("filefunctions"), Granularity::kFileFunctions);
  EXPECT_EQ(*ParseGranularity("files"), Granularity::kFiles);
  EXPECT_EQ(*ParseGranularity("lines"), Granularity::kLines);
  EXPECT_EQ(*ParseGranularity("addresses"), Granularity::kAddresses);
  auto bad = ParseGranularity("bytes");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "unexpected granularity \"bytes\": want functions, filefunctions, files, lines or "
            "addresses");
}

TEST(AggregateTest, Functions) {
  TestProfile t = Sample();
  Aggregate(t.p, Granularity::kFunctions, true);
  EXPECT_EQ(Frames(t.p, 0), (std::vector<Frame>{{"inner", "", 0, 0}, {"outer", "", 0, 0}}));
  EXPECT_EQ(Frames(t.p, 1), (std::vector<Frame>{{"outer", "", 0, 0}}));
  EXPECT_EQ(t.p.locations[0].address, 0u);
  EXPECT_EQ(t.p.Str(t.p.functions[0].system_name), "inner");
  EXPECT_EQ(t.p.functions[0].start_line, 10);  // pprof leaves start lines alone.
  const Mapping& m = t.p.mappings[0];
  EXPECT_TRUE(m.has_functions);
  EXPECT_FALSE(m.has_filenames);
  EXPECT_FALSE(m.has_line_numbers);
  EXPECT_TRUE(m.has_inline_frames);
  EXPECT_TRUE(Validate(t.p).ok());
}

TEST(AggregateTest, FileFunctionsAndFiles) {
  TestProfile t = Sample();
  Aggregate(t.p, Granularity::kFileFunctions, true);
  EXPECT_EQ(Frames(t.p, 0),
            (std::vector<Frame>{{"inner", "inner.go", 0, 0}, {"outer", "outer.go", 0, 0}}));
  TestProfile f = Sample();
  Aggregate(f.p, Granularity::kFiles, true);
  EXPECT_EQ(Frames(f.p, 0), (std::vector<Frame>{{"", "inner.go", 0, 0}, {"", "outer.go", 0, 0}}));
  EXPECT_EQ(f.p.Str(f.p.functions[0].system_name), "");
  EXPECT_FALSE(f.p.mappings[0].has_functions);
  EXPECT_TRUE(f.p.mappings[0].has_filenames);
}

TEST(AggregateTest, LinesKeepLinesAndColumns) {
  TestProfile t = Sample();
  Aggregate(t.p, Granularity::kLines, true);
  EXPECT_EQ(Frames(t.p, 0),
            (std::vector<Frame>{{"inner", "inner.go", 12, 0}, {"outer", "outer.go", 25, 7}}));
  EXPECT_EQ(t.p.locations[1].address, 0u);
  EXPECT_TRUE(t.p.mappings[0].has_line_numbers);
}

TEST(AggregateTest, AddressesWithInlinesIsANoOp) {
  TestProfile t = Sample();
  Profile before = t.p;
  Aggregate(t.p, Granularity::kAddresses, true);
  std::string why;
  EXPECT_TRUE(Equal(before, t.p, &why)) << why;
}

TEST(AggregateTest, NoInlinesKeepsTheOutermostLine) {
  TestProfile t = Sample();
  Aggregate(t.p, Granularity::kAddresses, false);
  EXPECT_EQ(Frames(t.p, 0), (std::vector<Frame>{{"outer", "outer.go", 25, 7}}));
  EXPECT_EQ(t.p.locations[0].address, 0x401000u);
  EXPECT_FALSE(t.p.mappings[0].has_inline_frames);
  EXPECT_TRUE(t.p.mappings[0].has_line_numbers);

  TestProfile f = Sample();
  Aggregate(f.p, Granularity::kFunctions, false);
  EXPECT_EQ(Frames(f.p, 0), (std::vector<Frame>{{"outer", "", 0, 0}}));
  EXPECT_TRUE(Validate(f.p).ok());
}

}  // namespace
}  // namespace hearth::profile
