#include "base/quantity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace hearth {
namespace {

constexpr int64_t kS = 1'000'000'000;

TEST(QuantityTest, Durations) {
  EXPECT_EQ(*ParseDuration("250ms"), 250'000'000);
  EXPECT_EQ(*ParseDuration("1h30m"), 5400 * kS);
  EXPECT_EQ(*ParseDuration("1.5s"), 1'500'000'000);
  EXPECT_EQ(*ParseDuration("1w"), 7 * 86400 * kS);
  EXPECT_EQ(*ParseDuration("-5m"), -300 * kS);
  EXPECT_EQ(*ParseDuration("10us"), 10'000);
  EXPECT_THAT(std::string(ParseDuration("5 parsecs").status().message()),
              ::testing::HasSubstr("unknown unit \"\""));
  EXPECT_THAT(std::string(ParseDuration("5parsecs").status().message()),
              ::testing::HasSubstr("unknown unit \"parsecs\""));
  EXPECT_THAT(std::string(ParseDuration("99999999999999999999s").status().message()),
              ::testing::HasSubstr("too long"));
  EXPECT_THAT(std::string(ParseDuration("200000w").status().message()),
              ::testing::HasSubstr("too long"));
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("s").ok());
}

TEST(QuantityTest, Sizes) {
  EXPECT_EQ(*ParseBytes("64MiB"), 64u << 20);
  EXPECT_EQ(*ParseBytes("4MB"), 4'000'000u);
  EXPECT_EQ(*ParseBytes("1.5k"), 1536u);
  EXPECT_EQ(*ParseBytes(" 1048576 "), 1048576u);
  EXPECT_EQ(*ParseBytes("2 GiB"), uint64_t{2} << 30);
  EXPECT_THAT(std::string(ParseBytes("lots").status().message()),
              ::testing::HasSubstr("is not a size like 64MiB"));
  EXPECT_THAT(std::string(ParseBytes("3 parsecs").status().message()),
              ::testing::HasSubstr("unknown size unit \"parsecs\""));
}

}  // namespace
}  // namespace hearth
