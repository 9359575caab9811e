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

// Every real fixture is recognised as what it is and parses to the totals its own tool
// reported (README of testdata/fixtures, and the readers' own golden tests).
TEST(DetectTest, EveryFormatsFixtureIsDetectedAndParsed) {
  struct Case {
    const char* file;
    Format format;
    size_t value_index;
    int64_t total;
  };
  const Case cases[] = {
      {"go/http/cpuburn.profile.10s.pb.gz", Format::kPprof, 0, 361},
      {"folded/go.cpuburn.profile.10s.samples.folded", Format::kFolded, 0, 361},
      {"perf/perf_workload.perf-script.txt", Format::kPerfScript, 0, 311},
      {"perf/perf_workload.stackcollapse-py.folded", Format::kFolded, 0, 311},
      {"gperftools/gperf_workload.cpu.prof", Format::kGperftools, 0, 243},
      // Its header line says "goroutine profile: total 1203".
      {"go/runtime_pprof/leaky.goroutine.debug1.txt", Format::kGoLegacy, 0, 1203},
      {"node/out/node.cpu-prof.cpuprofile", Format::kV8CpuProfile, 0, 1893},
      {"node/out/node.heap-prof.heapprofile", Format::kV8HeapProfile, 1, 2216024},
      {"java/hotloop.jdk17.profile.jfr", Format::kJfr, 0, 300},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    std::string data = Fixture(c.file);
    EXPECT_EQ(DetectFormat(data), c.format) << FormatName(DetectFormat(data));
    auto p = ParseProfile(data);
    ASSERT_TRUE(p.ok()) << p.status();
    ASSERT_GT(p->sample_types.size(), c.value_index);
    EXPECT_EQ(p->Total(c.value_index), c.total);
    // And gzipped, which any format may be.
    auto gz = ParseProfile(GzipCompress(data));
    ASSERT_TRUE(gz.ok()) << gz.status();
    EXPECT_EQ(gz->Total(c.value_index), c.total);
  }
  // speedscope files written by speedscope itself.
  std::string ss = Fixture("speedscope/cpuburn.profile.3s.pb.gz.speedscope.json");
  EXPECT_EQ(DetectFormat(ss), Format::kSpeedscope);
  EXPECT_TRUE(ParseProfile(ss).ok());
}

TEST(DetectTest, FormatNamesParse) {
  for (std::string_view name : {"pprof", "folded", "perf-script", "gperftools", "go-legacy",
                                "v8-cpuprofile", "v8-heapprofile", "speedscope", "jfr", "otlp",
                                "otlp-json"}) {
    auto f = ParseFormatName(name);
    ASSERT_TRUE(f.ok()) << name;
    EXPECT_EQ(FormatName(*f), name);
  }
  EXPECT_THAT(std::string(ParseFormatName("xml").status().message()),
              ::testing::HasSubstr("unknown format \"xml\" (known: pprof, folded, perf-script"));
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
