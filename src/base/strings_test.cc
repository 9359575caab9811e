#include "base/strings.h"

#include <gtest/gtest.h>

#include <string>

namespace hearth {
namespace {

TEST(StringsTest, Base64RoundTripsEveryLength) {
  // RFC 4648 §10 test vectors.
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= bytes.size(); n += 37) {
    std::string back;
    ASSERT_TRUE(Base64Decode(Base64Encode(bytes.substr(0, n)), &back)) << n;
    EXPECT_EQ(back, bytes.substr(0, n));
  }
}

TEST(StringsTest, Base64DecodeAcceptsUrlSafeAndNoPaddingRejectsJunk) {
  std::string out;
  ASSERT_TRUE(Base64Decode("Zm9vYg", &out));
  EXPECT_EQ(out, "foob");
  ASSERT_TRUE(Base64Decode("-_8", &out));  // URL-safe for "+/8"
  EXPECT_EQ(out, "\xfb\xff");
  EXPECT_FALSE(Base64Decode("Zm9v!", &out));
  EXPECT_FALSE(Base64Decode("Z", &out));  // 6 bits cannot be a byte
  EXPECT_EQ(AsciiLower("Content-Type: ÄB"), "content-type: Äb");
}

}  // namespace
}  // namespace hearth
