#include "base/file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace hearth {
namespace {

TEST(FileTest, WriteThenRead) {
  std::string path = std::filesystem::temp_directory_path() / "hearth_file_test.txt";
  ASSERT_TRUE(WriteFileAtomic(path, "contents").ok());
  auto got = ReadFile(path);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "contents");
  std::filesystem::remove(path);
}

TEST(FileTest, MissingFileIsNotFoundWithPath) {
  auto got = ReadFile("/nonexistent/hearth/x.pb.gz");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(got.status().message(), ::testing::HasSubstr("/nonexistent/hearth/x.pb.gz"));
}

TEST(FileTest, SizeLimitIsEnforced) {
  std::string path = std::filesystem::temp_directory_path() / "hearth_file_big.txt";
  ASSERT_TRUE(WriteFileAtomic(path, std::string(5000, 'x')).ok());
  auto got = ReadFile(path, 4096);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(got.status().message(), ::testing::HasSubstr("limit of 4096"));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace hearth
