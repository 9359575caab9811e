#include "profile/ops.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "profile/ops_test_util.h"

namespace hearth::profile {
namespace {

using optest::Num;
using optest::Samples;
using optest::Str;
using optest::TestProfile;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

TestProfile Cpu() { return TestProfile({{"samples", "count"}, {"cpu", "nanoseconds"}}); }

TEST(OpsTest, ScaleRoundsHalfAwayFromZero) {
  TestProfile t = Cpu();
  t.Stack({"a"}, {5, -5});
  t.Stack({"b"}, {3, 1});
  t.Stack({"c"}, {1, -1});
  Scale(t.p, 0.5);
  EXPECT_THAT(Samples(t.p), ElementsAre("a 3,-3", "b 2,1", "c 1,-1"));
  Scale(t.p, 1);
  EXPECT_THAT(Samples(t.p), ElementsAre("a 3,-3", "b 2,1", "c 1,-1"));
  Scale(t.p, -2);
  EXPECT_THAT(Samples(t.p), ElementsAre("a -6,6", "b -4,-2", "c -2,2"));
  // Values that round to zero everywhere drop the sample.
  Scale(t.p, 0.1);
  EXPECT_THAT(Samples(t.p), ElementsAre("a -1,1"));
  Scale(t.p, 0.1);
  EXPECT_THAT(Samples(t.p), IsEmpty());
}

TEST(OpsTest, ScaleNKeepsOnlySamplesWithAScaledNonZeroValue) {
  TestProfile t = Cpu();
  t.Stack({"a"}, {3, 0});  // Only a ratio-1 value is non-zero: pprof drops it.
  t.Stack({"b"}, {0, 1});
  t.Stack({"c"}, {3, 4});
  std::vector<double> ratios = {1, 2.5};
  ASSERT_TRUE(ScaleN(t.p, ratios).ok());
  EXPECT_THAT(Samples(t.p), ElementsAre("b 0,3", "c 3,10"));
  std::vector<double> ones = {1, 1};
  ASSERT_TRUE(ScaleN(t.p, ones).ok());
  EXPECT_THAT(Samples(t.p), ElementsAre("b 0,3", "c 3,10"));
  std::vector<double> one = {2};
  EXPECT_EQ(ScaleN(t.p, one).message(), "mismatched scale ratios, got 1, want 2");
}

TEST(OpsTest, NormalizeScalesTotalsToTheBase) {
  TestProfile p = Cpu(), base = Cpu();
  p.Stack({"a"}, {3, 30});
  p.Stack({"b"}, {1, 10});
  base.Stack({"a"}, {2, 10});
  ASSERT_TRUE(Normalize(p.p, base.p).ok());
  // Ratios 2/4 and 10/40: 1.5 -> 2, 7.5 -> 8, 0.5 -> 1, 2.5 -> 3.
  EXPECT_THAT(Samples(p.p), ElementsAre("a 2,8", "b 1,3"));

  // A zero total gives ratio 0; with the other ratio exactly 1, ScaleN's rule drops every
  // sample (only scaled values count), as pprof does.
  TestProfile q = Cpu(), qbase = Cpu();
  q.Stack({"a"}, {1, 0});
  q.Stack({"b"}, {1, 0});
  qbase.Stack({"a"}, {2, 5});
  ASSERT_TRUE(Normalize(q.p, qbase.p).ok());
  EXPECT_THAT(Samples(q.p), IsEmpty());

  TestProfile wall({{"samples", "count"}, {"wall", "nanoseconds"}});
  EXPECT_EQ(Normalize(p.p, wall.p).code(), absl::StatusCode::kInvalidArgument);
}

TEST(OpsTest, DropZeroSamples) {
  TestProfile t = Cpu();
  t.Stack({"a"}, {0, 0});
  t.Stack({"b"}, {0, 1});
  t.Stack({"c"}, {0, 0});
  t.Stack({"d"}, {-1, 0});
  DropZeroSamples(t.p);
  EXPECT_THAT(Samples(t.p), ElementsAre("b 0,1", "d -1,0"));
}

TEST(OpsTest, SetRemoveAndHasLabel) {
  TestProfile t = Cpu();
  t.S("a");  // Key ids: a < span < worker.
  t.S("span");
  t.Stack({"f"}, {1, 1}, {Str("a", "x"), Str("span", "1"), Str("span", "2"), Num("span", 7)});
  t.Stack({"g"}, {1, 1}, {Str("worker", "3")});
  t.Stack({"h"}, {1, 1});
  SetLabel(t.p, "span", "9");
  // String values of the key are replaced; its numeric label stays (pprof keeps them in a
  // separate map).
  EXPECT_THAT(Samples(t.p), ElementsAre("f 1,1 {a=x span=9 span=7[]}", "g 1,1 {span=9 worker=3}",
                                        "h 1,1 {span=9}"));
  EXPECT_TRUE(HasLabel(t.p, t.p.samples[0], "span", "9"));
  EXPECT_FALSE(HasLabel(t.p, t.p.samples[0], "span", "1"));
  EXPECT_FALSE(HasLabel(t.p, t.p.samples[0], "span", "7"));  // Numeric labels don't count.
  EXPECT_TRUE(HasLabel(t.p, t.p.samples[1], "worker", "3"));
  EXPECT_FALSE(HasLabel(t.p, t.p.samples[2], "worker", "3"));

  RemoveLabel(t.p, "span");
  EXPECT_THAT(Samples(t.p), ElementsAre("f 1,1 {a=x}", "g 1,1 {worker=3}", "h 1,1"));
  EXPECT_EQ(t.p.labels.size(), 2u);  // The pool was rewritten, not appended to.
  EXPECT_TRUE(Validate(t.p).ok());
}

TEST(OpsTest, NumLabelUnits) {
  TestProfile t = Cpu();
  t.Stack({"f"}, {1, 1}, {Num("bytes", 64), Str("bytes", "not numeric")});
  t.Stack({"g"}, {1, 1}, {Num("bytes", 1, "kilobytes"), Num("request", 5)});
  t.Stack({"h"}, {1, 1}, {Num("bytes", 2, "bytes"), Num("alignment", 8), Num("tries", 3)});
  t.Stack({"i"}, {1, 1}, {Str("endpoint", "/a")});
  EXPECT_THAT(NumLabelUnits(t.p),
              UnorderedElementsAre(Pair("bytes", "kilobytes"), Pair("request", "bytes"),
                                   Pair("alignment", "bytes"), Pair("tries", "tries")));
}

}  // namespace
}  // namespace hearth::profile
