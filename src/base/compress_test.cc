#include "base/compress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace hearth {
namespace {

using ::testing::HasSubstr;

TEST(GzipTest, RoundTrip) {
  std::string input;
  for (int i = 0; i < 10000; ++i) input += "line " + std::to_string(i) + "\n";
  std::string gz = GzipCompress(input);
  EXPECT_TRUE(IsGzip(gz));
  EXPECT_LT(gz.size(), input.size() / 3);
  auto out = GzipDecompress(gz);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, input);
}

TEST(GzipTest, ConcatenatedMembersAreJoined) {
  std::string gz = GzipCompress("hello ") + GzipCompress("world");
  auto out = GzipDecompress(gz);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "hello world");
}

TEST(GzipTest, EmptyPayload) {
  auto out = GzipDecompress(GzipCompress(""));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "");
}

TEST(GzipTest, RejectsMissingMagic) {
  auto out = GzipDecompress("plain text");
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("magic"));
}

TEST(GzipTest, RejectsTruncatedStream) {
  std::string gz = GzipCompress(std::string(100000, 'x') + "tail");
  gz.resize(gz.size() / 2);
  auto out = GzipDecompress(gz);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(GzipTest, RejectsCorruptedData) {
  std::string gz = GzipCompress("some reasonably long text that compresses, text text text");
  gz[12] ^= 0x55;
  gz[13] ^= 0x55;
  auto out = GzipDecompress(gz);
  EXPECT_FALSE(out.ok());
}

TEST(GzipTest, BombIsStoppedByRatioLimit) {
  std::string bomb = GzipCompress(std::string(64 << 20, '\0'), 12);  // 64 MiB of zeros.
  ASSERT_LT(bomb.size(), 200000u);
  DecompressLimits limits;
  limits.max_ratio = 100;
  limits.max_small_output_bytes = 1 << 16;
  auto out = GzipDecompress(bomb, limits);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(out.status().message(), HasSubstr("ratio exceeds 100:1"));
}

TEST(GzipTest, BombIsStoppedBySizeLimit) {
  std::string bomb = GzipCompress(std::string(8 << 20, 'a'), 12);
  DecompressLimits limits;
  limits.max_output_bytes = 1 << 20;
  auto out = GzipDecompress(bomb, limits);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(out.status().message(), HasSubstr("limit of 1048576 bytes"));
}

TEST(GzipTest, LyingSizeTrailerStillDecodesOrFailsCleanly) {
  std::string input(300000, 'q');
  std::string gz = GzipCompress(input);
  // Claim a tiny ISIZE: libdeflate fails, the zlib path must still produce the data.
  gz[gz.size() - 4] = 1;
  gz[gz.size() - 3] = 0;
  gz[gz.size() - 2] = 0;
  gz[gz.size() - 1] = 0;
  auto out = GzipDecompress(gz);
  // zlib verifies ISIZE too, so this is a checksum error, reported as InvalidArgument.
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << out.status();
}

}  // namespace
}  // namespace hearth
