#include "formats/detect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/compress.h"
#include "base/file.h"

namespace hearth::formats {
namespace {

std::string Fixture(const std::string& rel) {
  auto data = ReadFile(std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/" + rel);
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? *data : "";
}

TEST(DetectTest, DetectsByContent) {
  EXPECT_EQ(DetectFormat(Fixture("go/http/cpuburn.profile.3s.pb.gz")), Format::kPprof);
  EXPECT_EQ(DetectFormat(Fixture("folded/go.cpuburn.profile.3s.samples.folded")), Format::kFolded);
  EXPECT_EQ(DetectFormat("\x01\x02garbage"), Format::kUnknown);
}

TEST(DetectTest, ParsesEitherFormatAndGzippedText) {
  auto pprof = ParseProfile(Fixture("go/http/cpuburn.profile.3s.pb.gz"));
  ASSERT_TRUE(pprof.ok()) << pprof.status();
  EXPECT_EQ(pprof->Total(0), 102);
  std::string folded = Fixture("folded/go.cpuburn.profile.3s.samples.folded");
  auto a = ParseProfile(folded);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->Total(0), 102);
  auto b = ParseProfile(GzipCompress(folded));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->Total(0), 102);
}

TEST(DetectTest, UnknownInputSaysWhatToDo) {
  auto p = ParseProfile("\x01\x02garbage");
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()), ::testing::HasSubstr("use --from"));
  ParseOptions force;
  force.format = Format::kPprof;
  auto forced = ParseProfile("a;b 1\n", force);
  EXPECT_FALSE(forced.ok());
}

}  // namespace
}  // namespace hearth::formats
