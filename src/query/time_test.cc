#include "query/time.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hearth::query {
namespace {

constexpr int64_t kS = 1000000000;
constexpr int64_t kNow = 1795678500 * kS;  // 2026-11-26T07:35:00Z

TEST(TimeTest, Absolute) {
  EXPECT_EQ(*ParseTime("2026-11-26T07:35:00Z", kNow), kNow);
  EXPECT_EQ(*ParseTime("2026-11-26 07:35:00", kNow), kNow);
  EXPECT_EQ(*ParseTime("2026-11-26T08:35:00+01:00", kNow), kNow);
  EXPECT_EQ(*ParseTime("2026-11-26T07:35:00.25Z", kNow), kNow + kS / 4);
  EXPECT_EQ(*ParseTime("20261126", kNow), kNow - (7 * 3600 + 35 * 60) * kS);
  EXPECT_EQ(*ParseTime("1795678500", kNow), kNow);
  EXPECT_EQ(*ParseTime("1795678500000", kNow), kNow);
  EXPECT_EQ(*ParseTime("1795678500000000", kNow), kNow);
  EXPECT_EQ(*ParseTime("1795678500000000000", kNow), kNow);
  EXPECT_EQ(*ParseTime("1970-01-01T00:00:00Z", kNow), 0);
}

TEST(TimeTest, Relative) {
  EXPECT_EQ(*ParseTime("now", kNow), kNow);
  EXPECT_EQ(*ParseTime("now-1h", kNow), kNow - 3600 * kS);
  EXPECT_EQ(*ParseTime("now-1h30m", kNow), kNow - 5400 * kS);
  EXPECT_EQ(*ParseTime("now-7d", kNow), kNow - 7 * 86400 * kS);
}

TEST(TimeTest, Errors) {
  EXPECT_THAT(std::string(ParseTime("yesterday", kNow).status().message()),
              ::testing::HasSubstr("bad time \"yesterday\""));
  EXPECT_THAT(std::string(ParseTime("2026-13-01", kNow).status().message()),
              ::testing::HasSubstr("field out of range"));
  EXPECT_THAT(std::string(ParseTime("now-5 parsecs", kNow).status().message()),
              ::testing::HasSubstr("unknown unit"));
  EXPECT_FALSE(ParseTime("now*2", kNow).ok());
}

}  // namespace
}  // namespace hearth::query
