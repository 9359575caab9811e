#include "profile/pprof_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "base/compress.h"
#include "base/file.h"
#include "base/proto_wire.h"

namespace hearth::profile {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::string FixtureDir() { return std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures"; }

std::vector<std::string> PprofFixtures() {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(FixtureDir())) {
    std::string path = e.path().string();
    if (path.ends_with(".pb.gz")) out.push_back(path);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Profile MustDecodeFile(const std::string& path) {
  auto data = ReadFile(path);
  EXPECT_TRUE(data.ok()) << data.status();
  auto p = DecodePprof(*data);
  EXPECT_TRUE(p.ok()) << path << ": " << p.status();
  return std::move(p).value();
}

TEST(PprofCodecTest, EveryFixtureRoundTripsLosslessly) {
  std::vector<std::string> files = PprofFixtures();
  ASSERT_GE(files.size(), 25u) << "fixtures missing under " << FixtureDir();
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    Profile a = MustDecodeFile(path);
    ASSERT_TRUE(Validate(a).ok()) << Validate(a);
    std::string raw = EncodePprof(a);
    auto b = DecodePprofUncompressed(raw);
    ASSERT_TRUE(b.ok()) << b.status();
    std::string why;
    EXPECT_TRUE(Equal(a, *b, &why)) << why;
    // And through gzip, as files are written.
    auto c = DecodePprof(EncodePprofGzip(a));
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_TRUE(Equal(a, *c, &why)) << why;
  }
}

TEST(PprofCodecTest, DecodesKnownFixtureContents) {
  Profile p = MustDecodeFile(FixtureDir() + "/go/http/cpuburn.profile.10s.pb.gz");
  ASSERT_EQ(p.sample_types.size(), 2u);
  EXPECT_EQ(p.Str(p.sample_types[0].type), "samples");
  EXPECT_EQ(p.Str(p.sample_types[0].unit), "count");
  EXPECT_EQ(p.Str(p.sample_types[1].type), "cpu");
  EXPECT_EQ(p.Str(p.sample_types[1].unit), "nanoseconds");
  EXPECT_EQ(p.Str(p.period_type.type), "cpu");
  EXPECT_EQ(p.period, 10000000);
  EXPECT_EQ(p.samples.size(), 354u);
  EXPECT_EQ(p.Total(0), 361);
  EXPECT_EQ(p.Total(1), 3610000000);
  EXPECT_NEAR(p.duration_nanos, 10.23e9, 1e7);  // 10.23 s
  // Leaf-first stacks: every leaf of a sample is a location with at least one line.
  for (const Sample& s : p.samples) {
    ASSERT_GT(s.depth, 0u);
    EXPECT_GT(p.locations[p.Stack(s)[0]].num_lines, 0u);
  }
  // pprof.Do labels survive.
  bool saw_endpoint = false;
  for (const Label& l : p.labels) saw_endpoint |= p.Str(l.key) == "endpoint";
  EXPECT_TRUE(saw_endpoint);

  // `protoc --decode_raw` counts 75 Sample messages in this file (pprof's -raw shows fewer
  // because it merges equal samples on load).
  Profile heap = MustDecodeFile(FixtureDir() + "/go/http/leaky.heap.pb.gz");
  EXPECT_EQ(heap.samples.size(), 75u);
  EXPECT_EQ(heap.sample_types.size(), 4u);
  EXPECT_EQ(heap.period, 65536);
  // Heap samples carry the numeric label "bytes".
  bool numeric = false;
  for (const Label& l : heap.labels) numeric |= l.is_numeric() && heap.Str(l.key) == "bytes";
  EXPECT_TRUE(numeric);
}

// --- Hand-built wire messages for the malformed-input cases. ------------------------------

struct Msg {
  std::string bytes;
  wire::Writer w{&bytes};
};

std::string StringTable(const std::vector<std::string>& strs) {
  std::string out;
  wire::Writer w(&out);
  for (const auto& s : strs) w.Bytes(6, s);
  return out;
}

// A minimal valid profile: one sample type, one function/location, one sample.
std::string MinimalProfile(bool packed = true) {
  std::string out = StringTable({"", "samples", "count", "main"});
  wire::Writer w(&out);
  Msg vt;
  vt.w.Varint(1, 1);
  vt.w.Varint(2, 2);
  w.Bytes(1, vt.bytes);
  Msg fn;
  fn.w.Varint(1, 1);
  fn.w.Varint(2, 3);
  w.Bytes(5, fn.bytes);
  Msg line;
  line.w.Varint(1, 1);
  line.w.Varint(2, 42);
  Msg loc;
  loc.w.Varint(1, 7);
  loc.w.Bytes(4, line.bytes);
  w.Bytes(4, loc.bytes);
  Msg sample;
  if (packed) {
    std::vector<uint64_t> ids = {7, 7};
    sample.w.PackedVarints(1, ids.begin(), ids.end());
    std::vector<uint64_t> vals = {5};
    sample.w.PackedVarints(2, vals.begin(), vals.end());
  } else {
    sample.w.Varint(1, 7);
    sample.w.Varint(1, 7);
    sample.w.Varint(2, 5);
  }
  w.Bytes(2, sample.bytes);
  return out;
}

TEST(PprofCodecTest, PackedAndUnpackedDecodeTheSame) {
  auto a = DecodePprof(MinimalProfile(true));
  auto b = DecodePprof(MinimalProfile(false));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(Equal(*a, *b));
  ASSERT_EQ(a->samples.size(), 1u);
  EXPECT_EQ(a->samples[0].depth, 2u);
  EXPECT_EQ(a->Values(a->samples[0])[0], 5);
  EXPECT_EQ(a->Str(a->functions[a->lines[0].function].name), "main");
  EXPECT_EQ(a->lines[0].line, 42);
}

TEST(PprofCodecTest, UnknownFieldsAreSkipped) {
  std::string data = MinimalProfile();
  wire::Writer w(&data);
  w.Varint(99, 12345);
  w.Bytes(100, "opaque");
  w.Fixed64(101, 7);
  auto p = DecodePprof(data);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->samples.size(), 1u);
}

void ExpectError(const std::string& data, absl::StatusCode code, const std::string& substr) {
  auto p = DecodePprof(data);
  ASSERT_FALSE(p.ok()) << "expected an error containing: " << substr;
  EXPECT_EQ(p.status().code(), code) << p.status();
  EXPECT_THAT(std::string(p.status().message()), HasSubstr(substr));
}

TEST(PprofCodecTest, RejectsOutOfRangeIds) {
  std::string data = StringTable({"", "samples", "count"});
  wire::Writer w(&data);
  Msg vt;
  vt.w.Varint(1, 1);
  vt.w.Varint(2, 2);
  w.Bytes(1, vt.bytes);
  Msg sample;
  sample.w.Varint(1, 999);
  sample.w.Varint(2, 1);
  w.Bytes(2, sample.bytes);
  ExpectError(data, absl::StatusCode::kInvalidArgument,
              "Sample #0 refers to location_id 999, which has no Location");
}

TEST(PprofCodecTest, RejectsOutOfRangeStringIndex) {
  std::string data = StringTable({"", "x"});
  wire::Writer w(&data);
  Msg fn;
  fn.w.Varint(1, 1);
  fn.w.Varint(2, 77);
  w.Bytes(5, fn.bytes);
  ExpectError(data, absl::StatusCode::kInvalidArgument,
              "Function id 1 name: string index 77 is out of range (string_table has 2 entries)");
}

TEST(PprofCodecTest, RejectsUnknownMappingAndFunction) {
  std::string data = StringTable({""});
  wire::Writer w(&data);
  Msg loc;
  loc.w.Varint(1, 1);
  loc.w.Varint(2, 5);
  w.Bytes(4, loc.bytes);
  ExpectError(data, absl::StatusCode::kInvalidArgument,
              "Location id 1 refers to mapping_id 5, which has no Mapping");

  std::string data2 = StringTable({""});
  wire::Writer w2(&data2);
  Msg line;
  line.w.Varint(1, 3);
  Msg loc2;
  loc2.w.Varint(1, 1);
  loc2.w.Bytes(4, line.bytes);
  w2.Bytes(4, loc2.bytes);
  ExpectError(data2, absl::StatusCode::kInvalidArgument,
              "Line with function_id 3, which has no Function");
}

TEST(PprofCodecTest, RejectsDuplicateAndZeroIds) {
  std::string data = StringTable({""});
  wire::Writer w(&data);
  Msg fn;
  fn.w.Varint(1, 4);
  w.Bytes(5, fn.bytes);
  w.Bytes(5, fn.bytes);
  ExpectError(data, absl::StatusCode::kInvalidArgument, "duplicate Function id 4");

  std::string data2 = StringTable({""});
  wire::Writer w2(&data2);
  Msg loc;
  loc.w.Varint(3, 0x1000);  // No id.
  w2.Bytes(4, loc.bytes);
  ExpectError(data2, absl::StatusCode::kInvalidArgument, "Location with reserved id 0");
}

TEST(PprofCodecTest, RejectsValueCountMismatch) {
  std::string data = MinimalProfile();
  wire::Writer w(&data);
  Msg sample;
  std::vector<uint64_t> vals = {1, 2};
  sample.w.PackedVarints(2, vals.begin(), vals.end());
  w.Bytes(2, sample.bytes);
  ExpectError(data, absl::StatusCode::kInvalidArgument,
              "Sample #1 has more than 1 values but the profile declares 1 sample types");
}

TEST(PprofCodecTest, RejectsSamplesWithoutSampleTypes) {
  // Found by the fuzzer: an empty Sample and no sample_type at all.
  const unsigned char data[] = {0x12, 0x12, 0x29, 0x12, 0x12, 0x12, 0x12, 0x12, 0x00, 0x49,
                                0x49, 0x49, 0x00, 0x00, 0x00, 0x00, 0x12, 0x12, 0x12, 0x4f};
  ExpectError(std::string(reinterpret_cast<const char*>(data), sizeof(data)),
              absl::StatusCode::kInvalidArgument, "profile has 1 samples but no sample_type");
}

TEST(PprofCodecTest, RejectsNonEmptyFirstString) {
  ExpectError(StringTable({"oops"}), absl::StatusCode::kInvalidArgument,
              "string_table[0] must be ''");
}

TEST(PprofCodecTest, RejectsConcatenatedProfiles) {
  std::string data = MinimalProfile() + MinimalProfile();
  wire::Writer w(&data);
  w.Varint(9, 1);
  w.Varint(9, 2);
  ExpectError(data, absl::StatusCode::kInvalidArgument, "concatenated profiles detected");
}

TEST(PprofCodecTest, RejectsAbsurdVarint) {
  std::string data = MinimalProfile();
  data += '\x48';                   // field 9 (time_nanos), varint
  data += std::string(11, '\xff');  // 11 continuation bytes: longer than any varint
  ExpectError(data, absl::StatusCode::kInvalidArgument, "truncated or overlong varint");
}

TEST(PprofCodecTest, EnforcesLimits) {
  PprofLimits limits;
  limits.max_stack_depth = 1;
  auto p = DecodePprof(MinimalProfile(), limits);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("Sample #0 location_id: stack depth exceeds the limit of 1"));

  limits = PprofLimits();
  limits.max_string_bytes = 3;
  p = DecodePprof(MinimalProfile(), limits);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("string_table[1] is 7 bytes, above the limit of 3"));

  limits = PprofLimits();
  limits.max_samples = 0;
  p = DecodePprof(MinimalProfile(), limits);
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("Sample count 1 exceeds the limit of 0"));

  limits = PprofLimits();
  limits.max_input_bytes = 10;
  p = DecodePprof(MinimalProfile(), limits);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("above the limit of 10"));
}

TEST(PprofCodecTest, GzipBombIsRejected) {
  // 200 MiB of zeros gzip to ~200 KB (deflate's ratio tops out near 1032:1); the 250:1
  // ratio cap stops it after ~50 MB of output.
  std::string bomb = GzipCompress(std::string(size_t{200} << 20, '\0'), 9);
  auto p = DecodePprof(bomb);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("decompression ratio exceeds"));
}

TEST(PprofCodecTest, TruncationsAndBitFlipsNeverCrash) {
  auto data = ReadFile(FixtureDir() + "/go/http/cpuburn.profile.3s.pb.gz");
  ASSERT_TRUE(data.ok());
  auto raw = GzipDecompress(*data);
  ASSERT_TRUE(raw.ok());
  // Every prefix of the raw protobuf: either a clean error or a valid (smaller) profile.
  int errors = 0;
  for (size_t n = 0; n < raw->size(); n += 7) {
    auto p = DecodePprofUncompressed(std::string_view(*raw).substr(0, n));
    if (p.ok()) {
      EXPECT_TRUE(Validate(*p).ok());
    } else {
      ++errors;
    }
  }
  EXPECT_GT(errors, 100);
  // Random bit flips.
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string mutated = *raw;
    for (int k = 0; k < 3; ++k)
      mutated[rng() % mutated.size()] ^= static_cast<char>(1 << (rng() % 8));
    auto p = DecodePprofUncompressed(mutated);
    if (p.ok()) {
      EXPECT_TRUE(Validate(*p).ok());
    }
  }
  // Random bytes.
  for (int i = 0; i < 500; ++i) {
    std::string junk(rng() % 300, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    auto p = DecodePprof(junk);
    if (p.ok()) {
      EXPECT_TRUE(Validate(*p).ok());
    }
  }
  // Truncated gzip.
  auto p = DecodePprof(std::string_view(*data).substr(0, data->size() / 2));
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("decompressing profile"));
}

TEST(PprofCodecTest, EmptyInputIsAnError) {
  ExpectError("", absl::StatusCode::kInvalidArgument, "empty input");
}

}  // namespace
}  // namespace hearth::profile
