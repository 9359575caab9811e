#include "profile/units.h"

#include <gtest/gtest.h>

namespace hearth::profile {
namespace {

TEST(UnitsTest, ScaledLabelMatchesPprof) {
  EXPECT_EQ(ScaledLabel(3610000000, "nanoseconds", "s"), "3.61s");
  EXPECT_EQ(ScaledLabel(10000000, "nanoseconds", "minimum"), "10ms");
  EXPECT_EQ(ScaledLabel(0, "nanoseconds", "s"), "0");
  EXPECT_EQ(ScaledLabel(147340000, "bytes", "MB"), "140.51MB");
  EXPECT_EQ(ScaledLabel(3145728, "bytes", "MB"), "3MB");
  EXPECT_EQ(ScaledLabel(25, "count", "minimum"), "25");
  EXPECT_EQ(ScaledLabel(-20000000, "nanoseconds", "s"), "-0.02s");
  EXPECT_EQ(ScaledLabel(7, "widgets", "minimum"), "7");
  EXPECT_EQ(ScaledLabel(7, "widgets", "widgets"), "7widgets");
}

TEST(UnitsTest, AutoScalePicksLargestUnitAboveOne) {
  auto [v, u] = ScaleValue(1536, "bytes", "auto");
  EXPECT_DOUBLE_EQ(v, 1.5);
  EXPECT_EQ(u, "kB");
  std::tie(v, u) = ScaleValue(7200000000000, "ns", "minimum");
  EXPECT_DOUBLE_EQ(v, 2);
  EXPECT_EQ(u, "hrs");
  std::tie(v, u) = ScaleValue(5, "microseconds", "ns");
  EXPECT_DOUBLE_EQ(v, 5000);
  EXPECT_EQ(u, "ns");
}

TEST(UnitsTest, PercentageFormats) {
  EXPECT_EQ(Percentage(3610, 3610), "  100%");
  EXPECT_EQ(Percentage(1230, 3610), "34.07%");
  EXPECT_EQ(Percentage(0, 3610), "    0%");
  EXPECT_EQ(Percentage(2, 3610), "0.055%");
  EXPECT_EQ(Percentage(1, 1000000), "0.0001%");
  EXPECT_EQ(Percentage(5, 0), "    0%");
  EXPECT_EQ(Percentage(-25, 10), "250.00%");
}

TEST(UnitsTest, Compatibility) {
  EXPECT_TRUE(CompatibleValueTypes("cpu", "nanoseconds", "cpu", "milliseconds"));
  EXPECT_TRUE(CompatibleValueTypes("sample", "count", "samples", "count"));
  EXPECT_FALSE(CompatibleValueTypes("cpu", "nanoseconds", "wall", "nanoseconds"));
  EXPECT_FALSE(CompatibleValueTypes("cpu", "nanoseconds", "cpu", "bytes"));
  EXPECT_DOUBLE_EQ(UnitRatio("milliseconds", "nanoseconds"), 1e6);
  EXPECT_DOUBLE_EQ(UnitRatio("count", "nanoseconds"), 1);
}

TEST(UnitsTest, GoDurationString) {
  EXPECT_EQ(GoDurationString(0), "0s");
  EXPECT_EQ(GoDurationString(10230000000), "10.23s");
  EXPECT_EQ(GoDurationString(1500000), "1.5ms");
  EXPECT_EQ(GoDurationString(999), "999ns");
  EXPECT_EQ(GoDurationString(2500), "2.5µs");
  EXPECT_EQ(GoDurationString(3723500000000), "1h2m3.5s");
  EXPECT_EQ(GoDurationString(-60000000000), "-1m0s");
}

TEST(UnitsTest, GoFormatG) {
  EXPECT_EQ(GoFormatG(0.055401662, 2), "0.055");
  EXPECT_EQ(GoFormatG(5e-05, 2), "5e-05");
  EXPECT_EQ(GoFormatG(0.5, 2), "0.5");
}

}  // namespace
}  // namespace hearth::profile
