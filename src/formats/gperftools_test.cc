#include "formats/gperftools.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "formats/legacy_test_util.h"
#include "profile/pprof_codec.h"
#include "profile/report.h"
#include "profile/test_util.h"

namespace hearth::formats {
namespace {

using profile::testing::FixturePath;
using profile::testing::GoldenPath;
using profile::testing::ReadTestFile;
using ::testing::HasSubstr;
using testing::RawSampleValues;
using testing::SampleValues;

profile::Profile MustParse(std::string_view data) {
  auto p = ParseGperftools(data);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return {};
  EXPECT_TRUE(profile::Validate(*p).ok()) << profile::Validate(*p);
  auto again = profile::DecodePprof(profile::EncodePprof(*p));
  EXPECT_TRUE(again.ok() && profile::Equal(*p, *again));
  return std::move(*p);
}

profile::Profile MustRead(const std::string& path) {
  auto data = ReadTestFile(path);
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? MustParse(*data) : profile::Profile();
}

// `go tool pprof -raw -symbolize=none` of the same file (testdata/golden/formats/README.md):
// pprof loads the profile (merge, ids in first-seen order) and prints it.
std::string LikePprofRaw(profile::Profile p) {
  auto prepared = profile::PrepareLikePprof(std::move(p));
  EXPECT_TRUE(prepared.ok()) << prepared.status();
  return prepared.ok() ? profile::ProfileString(*prepared) : "";
}

// What must agree with Go's conversion: each sample's values and address stack, and the
// mappings' ranges and files. Go's copy names the main binary by the path given to `go
// tool pprof` (bin/gperf_workload), so files are compared by base name.
using SampleKey = std::pair<std::vector<int64_t>, std::vector<uint64_t>>;
std::vector<SampleKey> AddressSamples(const profile::Profile& p) {
  std::vector<SampleKey> out;
  for (const profile::Sample& s : p.samples) {
    SampleKey k;
    k.first.assign(p.Values(s).begin(), p.Values(s).end());
    for (uint32_t l : p.Stack(s)) k.second.push_back(p.locations[l].address);
    out.push_back(std::move(k));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::set<std::tuple<uint64_t, uint64_t, uint64_t, std::string>> Mappings(
    const profile::Profile& p) {
  std::set<std::tuple<uint64_t, uint64_t, uint64_t, std::string>> out;
  for (const profile::Mapping& m : p.mappings) {
    std::string_view file = p.Str(m.filename);
    out.emplace(m.memory_start, m.memory_limit, m.file_offset,
                std::string(file.substr(file.rfind('/') + 1)));
  }
  return out;
}

void ExpectSameAsGoConversion(const profile::Profile& ours, const std::string& converted_path) {
  auto go = profile::testing::ReadProfile(converted_path);
  ASSERT_TRUE(go.ok()) << go.status();
  EXPECT_EQ(testing::SampleTypes(ours), testing::SampleTypes(*go));
  EXPECT_EQ(ours.Str(ours.period_type.type), go->Str(go->period_type.type));
  EXPECT_EQ(ours.period, go->period);
  EXPECT_EQ(AddressSamples(ours), AddressSamples(*go));
  EXPECT_EQ(Mappings(ours), Mappings(*go));
}

TEST(GperftoolsCpuTest, MatchesGoPprofConversion) {
  profile::Profile p = MustRead(FixturePath("gperftools/gperf_workload.cpu.prof"));
  EXPECT_EQ(p.Total(0), 243);  // google-pprof --text: "Total: 243 samples".
  EXPECT_EQ(p.Total(1), 243 * int64_t{10'000'000});
  EXPECT_EQ(p.Str(p.drop_frames),
            "ProfileData::Add|ProfileData::prof_handler|"
            "CpuProfiler::prof_handler|__pthread_sighandler|__restore");
  EXPECT_EQ(p.Str(p.mappings[0].filename), "/opt/fixtures-work/gperf_workload");  // Main first.
  ExpectSameAsGoConversion(p,
                           FixturePath("gperftools/go_pprof/gperf_workload.cpu.converted.pb.gz"));
  auto raw = ReadTestFile(GoldenPath("formats/gperf.cpu.raw.txt"));
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(LikePprofRaw(std::move(p)), *raw);
}

TEST(GperftoolsHeapTest, MatchesGoPprofConversion) {
  profile::Profile p = MustRead(FixturePath("gperftools/gperf_workload.hprof.0005.heap"));
  EXPECT_EQ(testing::SampleTypes(p),
            (std::vector<std::string>{"alloc_objects/count", "alloc_space/bytes",
                                      "inuse_objects/count", "inuse_space/bytes"}));
  ExpectSameAsGoConversion(
      p, FixturePath("gperftools/go_pprof/gperf_workload.hprof.0005.converted.pb.gz"));
  auto raw = ReadTestFile(GoldenPath("formats/gperf.hprof.0005.raw.txt"));
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(LikePprofRaw(std::move(p)), *raw);
}

TEST(GperftoolsHeapTest, FirstDumpMatchesPprofAndGooglePprofTotals) {
  profile::Profile p = MustRead(FixturePath("gperftools/gperf_workload.hprof.0001.heap"));
  // The header's totals: "heap profile: 1191: 221117 [ 7138: 67109813] @ heapprofile".
  EXPECT_EQ(testing::Totals(p), (std::vector<int64_t>{7138, 67109813, 1191, 221117}));
  // google-pprof --text [--alloc_space] prints "Total: <MB, one decimal> MB".
  for (auto [file, index] : {std::pair{"inuse_space", 3}, std::pair{"alloc_space", 1}}) {
    auto text = ReadTestFile(FixturePath(
        fmt::format("gperftools/text/gperf_workload.hprof.0001.google-pprof.{}.text.txt", file)));
    ASSERT_TRUE(text.ok());
    EXPECT_THAT(*text, HasSubstr(fmt::format("Total: {:.1f} MB\n", p.Total(index) / 1048576.0)));
  }
  auto raw = ReadTestFile(GoldenPath("formats/gperf.hprof.0001.raw.txt"));
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(SampleValues(p), RawSampleValues(*raw));
  EXPECT_EQ(LikePprofRaw(std::move(p)), *raw);
}

// A CPU profile in a chosen word encoding.
class CpuWriter {
 public:
  CpuWriter(size_t word, bool big_endian) : word_(word), big_(big_endian) {
    for (uint64_t w : {0, 3, 0, 10000, 0}) Word(w);
  }
  void Word(uint64_t v) {
    for (size_t i = 0; i < word_; ++i) {
      size_t shift = 8 * (big_ ? word_ - 1 - i : i);
      out_ += static_cast<char>((v >> shift) & 0xff);
    }
  }
  void Record(uint64_t count, std::vector<uint64_t> pcs) {
    Word(count);
    Word(pcs.size());
    for (uint64_t pc : pcs) Word(pc);
  }
  std::string Finish(std::string_view maps) {
    for (uint64_t w : {0, 1, 0}) Word(w);
    return out_ + std::string(maps);
  }

 private:
  size_t word_;
  bool big_;
  std::string out_;
};

constexpr std::string_view kMaps =
    "00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/server\n"
    "00651000-00652000 rw-p 00051000 08:02 173521      /usr/bin/server\n"
    "7f5e0000-7f5e2000 r-xp 00000000 08:02 1234        /lib/libc.so.6\n";

std::string SyntheticCpu(size_t word, bool big_endian) {
  CpuWriter w(word, big_endian);
  // Every sample's second frame is the signal trampoline (0x7f5e0101, adjusted 0x7f5e0100).
  w.Record(3, {0x401000, 0x7f5e0101, 0x402001, 0x403001});
  w.Record(1, {0x401100, 0x7f5e0101, 0x401100});  // The leaf again, from the stack.
  w.Record(2, {0x401000, 0x7f5e0101, 0x402001, 0x403001});
  return w.Finish(kMaps);
}

TEST(GperftoolsCpuTest, ReadsEveryWordEncodingWithPprofsHeuristics) {
  for (auto [word, big] : {std::pair{size_t{4}, false}, std::pair{size_t{4}, true},
                           std::pair{size_t{8}, false}, std::pair{size_t{8}, true}}) {
    SCOPED_TRACE(fmt::format("word {} big-endian {}", word, big));
    std::string data = SyntheticCpu(word, big);
    EXPECT_TRUE(LooksLikeGperftoolsCpu(data));
    profile::Profile p = MustParse(data);
    EXPECT_EQ(p.period, 10'000'000);
    // Signal frame gone; duplicated leaf gone; callers -1; equal stacks summed.
    EXPECT_EQ(AddressSamples(p),
              (std::vector<SampleKey>{{{1, 10'000'000}, {0x401100}},
                                      {{5, 50'000'000}, {0x401000, 0x402000, 0x403000}}}));
    // One mapping: the executable /usr/bin/server (the rw-p region is skipped; libc is no
    // longer referenced once the signal frame is gone).
    ASSERT_EQ(p.mappings.size(), 1u);
    EXPECT_EQ(p.Str(p.mappings[0].filename), "/usr/bin/server");
    EXPECT_EQ(p.mappings[0].memory_start, 0x400000u);
    EXPECT_EQ(p.mappings[0].memory_limit, 0x452000u);
  }
}

TEST(GperftoolsCpuTest, AddressesOutsideTheMapGetAFakeMapping) {
  CpuWriter w(8, false);
  w.Record(1, {0x9000, 0x9100});
  w.Record(1, {0x9000, 0x9200});
  profile::Profile p = MustParse(w.Finish(""));
  ASSERT_EQ(p.mappings.size(), 1u);
  EXPECT_EQ(p.mappings[0].memory_start, 0u);
  EXPECT_EQ(p.mappings[0].memory_limit, UINT64_MAX);
}

TEST(GperftoolsCpuTest, MalformedInputIsAnError) {
  auto message = [](std::string_view data, const GperftoolsOptions& o = {}) {
    return std::string(ParseGperftoolsCpu(data, o).status().message());
  };
  EXPECT_THAT(message("hello"), HasSubstr("no profile header"));
  CpuWriter w(8, false);
  w.Record(1, {0x10, 0x20});
  w.Word(1);
  w.Word(1000);  // Announces more addresses than follow.
  EXPECT_EQ(message(w.Finish("")),
            "gperftools cpu: record 2 (byte 72): 1000 addresses announced, more than the input "
            "holds");
  std::string data = SyntheticCpu(8, false);
  EXPECT_THAT(message(data.substr(0, 5 * 8 + 12)), HasSubstr("record 1 (byte 40): truncated"));
  GperftoolsOptions o;
  o.max_frames = 3;
  EXPECT_THAT(message(data, o), HasSubstr("record 1 (byte 40): 4 addresses, over the limit of 3"));
  o = {};
  o.max_records = 2;
  EXPECT_THAT(message(data, o), HasSubstr("record 3: more than the limit of 2 records"));
  o = {};
  o.max_map_lines = 1;
  EXPECT_THAT(message(data, o), HasSubstr("line 2: memory map has more than 1 lines"));
  CpuWriter java(8, false);
  std::string java_data = java.Finish("");
  java_data[16] = 1;  // Third header word 1: a Java profile.
  EXPECT_EQ(ParseGperftoolsCpu(java_data).status().code(), absl::StatusCode::kUnimplemented);
  // Every prefix of a real profile is read or rejected, never a crash.
  auto real = ReadTestFile(FixturePath("gperftools/gperf_workload.cpu.prof"));
  ASSERT_TRUE(real.ok());
  // Every byte through the header and first records, then a sample of the rest.
  for (size_t n = 0; n < real->size(); n += n < 512 ? 1 : 97) {
    auto p = ParseGperftoolsCpu(std::string_view(*real).substr(0, n));
    if (p.ok()) {
      EXPECT_TRUE(profile::Validate(*p).ok());
    }
  }
}

TEST(GperftoolsHeapTest, SampledHeapIsUnsampled) {
  profile::Profile p = MustParse(
      "heap profile:    2:  4096 [   2:  4096] @ heap_v2/524288\n"
      "     2:  4096 [   2:  4096] @ 0x1001 0x2001\n"
      "     0:     0 [   0:     0] @ 0x1001 0x3001\n");
  // alloc == inuse: two types. Scale = 1 / (1 - exp(-2048 / 524288)).
  EXPECT_EQ(testing::SampleTypes(p), (std::vector<std::string>{"objects/count", "space/bytes"}));
  double scale = 1 / (1 - std::exp(-2048.0 / 524288));
  ASSERT_EQ(p.samples.size(), 1u);  // The all-zero row is dropped, as pprof's merge does.
  EXPECT_EQ(p.Values(p.samples[0])[0], static_cast<int64_t>(2 * scale));
  EXPECT_EQ(p.Values(p.samples[0])[1], static_cast<int64_t>(4096 * scale));
  EXPECT_EQ(p.period, 524288);
  ASSERT_EQ(p.samples[0].num_labels, 1u);
  EXPECT_EQ(p.Str(p.Labels(p.samples[0])[0].key), "bytes");
  EXPECT_EQ(p.Labels(p.samples[0])[0].num, 2048);
  // Addresses -1, the leaf too.
  EXPECT_EQ(p.locations[p.Stack(p.samples[0])[0]].address, 0x1000u);
  EXPECT_EQ(p.Str(p.keep_frames), "runtime\\.panic|runtime\\.reflectcall|runtime\\.call[0-9]*");
}

TEST(GperftoolsHeapTest, MemoryMapForms) {
  // pprof's brief form with an offset and build id, a $attr definition and a glog prefix.
  profile::Profile p = MustParse(
      "heap profile:    1:  10 [   1:  10] @ heapprofile\n"
      "     1:    10 [   1:    10] @ 0x1001 0x500001\n"
      "--- Memory map: ---\n"
      "root=/opt/app\n"
      "0x1000-0x2000 $root/bin/app (@4000) abc123\n"
      "I1126 08:24:00.000 main.cc:12] 00500000-00600000 r-xp 00000000 08:02 77 /lib/libz.so.1\n");
  ASSERT_EQ(p.mappings.size(), 2u);
  EXPECT_EQ(p.Str(p.mappings[0].filename), "/opt/app/bin/app");
  EXPECT_EQ(p.Str(p.mappings[0].build_id), "abc123");
  EXPECT_EQ(p.mappings[0].file_offset, 0x4000u);
  EXPECT_EQ(p.Str(p.mappings[1].filename), "/lib/libz.so.1");
}

TEST(GperftoolsHeapTest, MalformedInputNamesTheLine) {
  auto message = [](std::string_view data, const GperftoolsOptions& o = {}) {
    return std::string(ParseGperftoolsHeap(data, o).status().message());
  };
  EXPECT_THAT(message("heap profile: broken\n"), HasSubstr("line 1: expected a header"));
  EXPECT_THAT(message("heap profile: 1: 2 [3: 4] @ heapprofile\n 1: 2 [3: 4] 0x10\n"),
              HasSubstr("line 2: expected a sample"));
  EXPECT_EQ(message("heap profile: 1: 2 [3: 4] @ heapprofile\n 0: 2 [3: 4] @ 0x10\n"),
            "gperftools heap: line 2: inuse count is 0 but inuse bytes is 2");
  EXPECT_THAT(
      message("heap profile: 1: 2 [3: 4] @ heapprofile\n1: 2 [3: 4] @ 0x10000000000000000\n"),
      HasSubstr("line 2: more than 8192 addresses, or an address over 64 bits"));
  GperftoolsOptions o;
  o.max_records = 1;
  EXPECT_THAT(message("heap profile: 1: 2 [3: 4] @ heapprofile\n1: 2 [3: 4] @ 0x1\n"
                      "1: 2 [3: 4] @ 0x2\n",
                      o),
              HasSubstr("line 3: more than the limit of 1 samples"));
}

TEST(GperftoolsTest, LooksLike) {
  auto cpu = ReadTestFile(FixturePath("gperftools/gperf_workload.cpu.prof"));
  auto heap = ReadTestFile(FixturePath("gperftools/gperf_workload.hprof.0005.heap"));
  ASSERT_TRUE(cpu.ok() && heap.ok());
  EXPECT_TRUE(LooksLikeGperftoolsCpu(*cpu));
  EXPECT_FALSE(LooksLikeGperftoolsHeap(*cpu));
  EXPECT_TRUE(LooksLikeGperftoolsHeap(*heap));
  EXPECT_FALSE(LooksLikeGperftoolsCpu(*heap));
  EXPECT_TRUE(LooksLikeGperftools("heap profile: 1: 2 [ 3: 4] @ growthz\n"));
  EXPECT_FALSE(LooksLikeGperftools("main;foo 1\n"));
  EXPECT_FALSE(LooksLikeGperftools(std::string(40, '\0')));  // Period 0.
}

}  // namespace
}  // namespace hearth::formats
