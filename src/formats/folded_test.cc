#include "formats/folded.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/file.h"
#include "profile/call_tree.h"

namespace hearth::formats {
namespace {

using ::testing::HasSubstr;

TEST(FoldedTest, ParsesRootFirstStacks) {
  auto p = ParseFolded("main;a;b 3\nmain;a 2\nmain;a;b 4\n# comment\n\nother 1\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->Str(p->sample_types[0].type), "samples");
  EXPECT_EQ(p->Str(p->sample_types[0].unit), "count");
  ASSERT_EQ(p->samples.size(), 3u);  // main;a;b merged
  EXPECT_EQ(p->Total(0), 10);
  // Leaf first: the first sample's stack is b, a, main.
  auto stack = p->Stack(p->samples[0]);
  ASSERT_EQ(stack.size(), 3u);
  const auto& leaf = p->locations[stack[0]];
  EXPECT_EQ(p->Str(p->functions[p->Lines(leaf)[0].function].name), "b");
  EXPECT_EQ(p->Values(p->samples[0])[0], 7);
}

TEST(FoldedTest, FramesMayContainSpaces) {
  auto p = ParseFolded("std::vector<int, alloc> f;operator() (x) 5\n");
  ASSERT_TRUE(p.ok()) << p.status();
  const auto& loc = p->locations[p->Stack(p->samples[0])[0]];
  EXPECT_EQ(p->Str(p->functions[p->Lines(loc)[0].function].name), "operator() (x)");
}

TEST(FoldedTest, CustomSampleType) {
  FoldedOptions o;
  o.sample_type = "cpu/nanoseconds";
  auto p = ParseFolded("a 10\n", o);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Str(p->sample_types[0].type), "cpu");
  o.sample_type = "nounit";
  EXPECT_THAT(std::string(ParseFolded("a 1\n", o).status().message()), HasSubstr("type/unit"));
}

TEST(FoldedTest, ErrorsNameTheLine) {
  auto p = ParseFolded("a;b 1\na;b notanumber\n");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(std::string(p.status().message()),
            "folded: line 2: expected \"frame;frame;... count\"");
  EXPECT_FALSE(ParseFolded("").ok());
  FoldedOptions o;
  o.max_frames = 2;
  EXPECT_THAT(std::string(ParseFolded("a;b;c 1\n", o).status().message()),
              HasSubstr("line 1: more than 2 frames"));
}

TEST(FoldedTest, RealToolOutputRoundTrips) {
  // perf's own stackcollapse output: 311 samples in total.
  auto text = ReadFile(std::string(HEARTH_SOURCE_DIR) +
                       "/testdata/fixtures/perf/perf_workload.stackcollapse-py.folded");
  ASSERT_TRUE(text.ok());
  auto p = ParseFolded(*text);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->Total(0), 311);
  auto again = ParseFolded(WriteFolded(*p, 0));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(WriteFolded(*again, 0), WriteFolded(*p, 0));
}

TEST(FoldedTest, Detection) {
  EXPECT_TRUE(LooksLikeFolded("\n# x\na;b 1\n"));
  EXPECT_FALSE(LooksLikeFolded("hello world\n"));
  EXPECT_FALSE(LooksLikeFolded(""));
}

}  // namespace
}  // namespace hearth::formats
