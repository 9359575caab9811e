// OTLP Profiles codec: the fixtures decode to what their *.expect.json say (binary and JSON
// alike), the hand decoder and encoder agree with the protobuf runtime, and pprof -> OTLP
// -> pprof keeps `go tool pprof -top` identical for every sample type of every pprof fixture.
// Hostile inputs are in otlp_errors_test.cc.

#include "formats/otlp.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/compress.h"
#include "base/file.h"
#include "base/fmt.h"
#include "formats/detect.h"
#include "formats/json_fuzz_checks.h"
#include "formats/json_test_util.h"
#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb.h"
#include "profile/builder.h"
#include "profile/pprof_codec.h"

namespace hearth::formats {
namespace {

namespace fs = std::filesystem;
namespace otlp_pb = opentelemetry::proto::profiles::v1development;
namespace collector_pb = opentelemetry::proto::collector::profiles::v1development;

using testing::Fixture;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

const char* const kOtlpFixtures[] = {"cpuburn.cpu.10s", "leaky.heap.strindex",
                                     "node.wall.timestamps"};

// ---- What a fixture's *.expect.json says.

struct ExpectedProfile {
  std::string sample_type, unit, period_type, period_unit;
  int64_t period = 0, total = 0, samples = 0, distinct_span_ids = 0;
  std::vector<std::pair<std::string, int64_t>> top_self;
};

struct Expected {
  std::string service_name;
  std::vector<ExpectedProfile> profiles;
};

Expected ReadExpected(const std::string& name) {
  const std::string text = Fixture("otlp/" + name + ".expect.json");
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(text);
  Expected e;
  e.service_name = std::string(std::string_view(root["service_name"]));
  for (simdjson::dom::element p : simdjson::dom::array(root["profiles"])) {
    ExpectedProfile ep;
    ep.sample_type = std::string(std::string_view(p["sample_type"]));
    ep.unit = std::string(std::string_view(p["unit"]));
    ep.period_type = std::string(std::string_view(p["period_type"]));
    ep.period_unit = std::string(std::string_view(p["period_unit"]));
    ep.period = int64_t(p["period"]);
    ep.total = int64_t(p["total"]);
    ep.samples = int64_t(p["samples"]);
    ep.distinct_span_ids = int64_t(p["distinct_span_ids"]);
    simdjson::dom::array top;
    if (!p["top_self"].get(top)) {
      for (simdjson::dom::element row : top) {
        simdjson::dom::array pair = row;
        ep.top_self.emplace_back(std::string(std::string_view(pair.at(0))), int64_t(pair.at(1)));
      }
    }
    e.profiles.push_back(std::move(ep));
  }
  return e;
}

// Self (flat) value per leaf function: the innermost line of each sample's first location.
std::map<std::string, int64_t> SelfTotals(const profile::Profile& p, size_t vi = 0) {
  std::map<std::string, int64_t> out;
  for (const profile::Sample& s : p.samples) {
    if (s.depth == 0) continue;
    out[std::string(testing::FunctionName(p, p.Stack(s)[0]))] += p.Values(s)[vi];
  }
  return out;
}

std::set<std::string> SpanIds(const profile::Profile& p) {
  std::set<std::string> out;
  for (const profile::Sample& s : p.samples) {
    for (const profile::Label& l : p.Labels(s)) {
      if (p.Str(l.key) == "span_id") out.emplace(p.Str(l.str));
    }
  }
  return out;
}

std::string LabelValue(const OtlpProfile& op, std::string_view key) {
  for (const auto& [k, v] : op.labels) {
    if (k == key) return v;
  }
  return "<absent>";
}

void ExpectMatches(const OtlpDecodeResult& r, const Expected& e) {
  EXPECT_EQ(r.rejected_profiles, 0) << r.error_message;
  ASSERT_EQ(r.profiles.size(), e.profiles.size());
  for (size_t i = 0; i < e.profiles.size(); ++i) {
    SCOPED_TRACE(fmt::format("profile {}", i));
    const ExpectedProfile& want = e.profiles[i];
    const profile::Profile& p = r.profiles[i].profile;
    EXPECT_EQ(LabelValue(r.profiles[i], "service_name"), e.service_name);
    ASSERT_EQ(p.sample_types.size(), 1u);
    EXPECT_EQ(p.Str(p.sample_types[0].type), want.sample_type);
    EXPECT_EQ(p.Str(p.sample_types[0].unit), want.unit);
    EXPECT_EQ(p.Str(p.period_type.type), want.period_type);
    EXPECT_EQ(p.Str(p.period_type.unit), want.period_unit);
    EXPECT_EQ(p.period, want.period);
    EXPECT_EQ(p.Total(0), want.total);
    EXPECT_EQ(static_cast<int64_t>(p.samples.size()), want.samples);
    EXPECT_EQ(static_cast<int64_t>(SpanIds(p).size()), want.distinct_span_ids);
    // The listed functions have exactly these self totals, and nothing left out has more
    // than the smallest listed one (the list is a top ten, whatever order ties took).
    const std::map<std::string, int64_t> self = SelfTotals(p);
    std::set<std::string> listed;
    for (const auto& [name, value] : want.top_self) {
      auto it = self.find(name);
      ASSERT_NE(it, self.end()) << name;
      EXPECT_EQ(it->second, value) << name;
      listed.insert(name);
    }
    if (!want.top_self.empty()) {
      const int64_t smallest = want.top_self.back().second;
      for (const auto& [name, value] : self) {
        if (!listed.count(name)) {
          EXPECT_LE(value, smallest) << name;
        }
      }
    }
  }
}

TEST(OtlpFixtureTest, BinaryFixturesDecodeToTheirExpectations) {
  for (const char* name : kOtlpFixtures) {
    SCOPED_TRACE(name);
    auto r = DecodeOtlpRequest(Fixture(fmt::format("otlp/{}.pb", name)));
    ASSERT_TRUE(r.ok()) << r.status();
    ExpectMatches(*r, ReadExpected(name));
  }
}

TEST(OtlpFixtureTest, JsonFixturesDecodeToTheirExpectations) {
  for (const char* name : kOtlpFixtures) {
    SCOPED_TRACE(name);
    auto r = DecodeOtlpJsonRequest(Fixture(fmt::format("otlp/{}.json", name)));
    ASSERT_TRUE(r.ok()) << r.status();
    ExpectMatches(*r, ReadExpected(name));
  }
}

TEST(OtlpFixtureTest, BinaryAndJsonDecodeToEqualProfiles) {
  for (const char* name : kOtlpFixtures) {
    SCOPED_TRACE(name);
    auto bin = DecodeOtlpRequest(Fixture(fmt::format("otlp/{}.pb", name)));
    auto json = DecodeOtlpJsonRequest(Fixture(fmt::format("otlp/{}.json", name)));
    ASSERT_TRUE(bin.ok()) << bin.status();
    ASSERT_TRUE(json.ok()) << json.status();
    ASSERT_EQ(bin->profiles.size(), json->profiles.size());
    for (size_t i = 0; i < bin->profiles.size(); ++i) {
      std::string why;
      EXPECT_TRUE(profile::Equal(bin->profiles[i].profile, json->profiles[i].profile, &why))
          << "profile " << i << ": " << why;
      EXPECT_EQ(bin->profiles[i].labels, json->profiles[i].labels);
      EXPECT_EQ(bin->profiles[i].where, json->profiles[i].where);
      EXPECT_TRUE(profile::Validate(bin->profiles[i].profile).ok());
    }
  }
}

// The mapping rules beyond the expectation files: series labels (also when sent as
// key_strindex / string_value_strindex), build ids, numeric sample labels, timestamps.
TEST(OtlpFixtureTest, SeriesLabelsBuildIdsAndNumericLabels) {
  auto heap = DecodeOtlpRequest(Fixture("otlp/leaky.heap.strindex.pb"));
  ASSERT_TRUE(heap.ok()) << heap.status();
  const OtlpProfile& first = heap->profiles[0];
  EXPECT_THAT(first.labels,
              UnorderedElementsAre(Pair("service_name", "leaky"), Pair("service.version", "v1.2.3"),
                                   Pair("deployment.environment.name", "production"),
                                   Pair("host.name", "fixture-host"), Pair("process.pid", "4242"),
                                   Pair("profile.source", "pprof-fixture")));
  EXPECT_EQ(first.where, "resource_profiles[0].scope_profiles[0].profiles[0]");
  EXPECT_EQ(heap->profiles[3].where, "resource_profiles[0].scope_profiles[0].profiles[3]");
  const profile::Profile& p = first.profile;
  // Only the mappings the profile uses: the heap samples are all in the main binary.
  ASSERT_EQ(p.mappings.size(), 1u);
  EXPECT_EQ(p.Str(p.mappings[0].filename), "/opt/fixtures-work/bin/leaky");
  EXPECT_EQ(p.mappings[0].memory_start, 4194304u);
  // Go's `bytes` label arrives as an int attribute: a numeric label again.
  ASSERT_FALSE(p.samples.empty());
  auto labels = p.Labels(p.samples[0]);
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(p.Str(labels[0].key), "bytes");
  EXPECT_TRUE(labels[0].is_numeric());
  EXPECT_EQ(labels[0].num, 286720);
  // Symbolized Go mappings get the flags their locations show (no pprof.mapping.* sent).
  EXPECT_TRUE(p.mappings[0].has_functions);
  EXPECT_TRUE(p.mappings[0].has_filenames);
  EXPECT_TRUE(p.mappings[0].has_line_numbers);

  auto cpu = DecodeOtlpRequest(Fixture("otlp/cpuburn.cpu.10s.pb"));
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  const profile::Profile& c = cpu->profiles[1].profile;
  EXPECT_EQ(c.time_nanos, 1795678516867034109);
  // Only the mappings its samples use (the dictionary has six, for all profiles).
  ASSERT_EQ(c.mappings.size(), 1u);
  EXPECT_EQ(c.Str(c.mappings[0].filename), "/opt/fixtures-work/bin/cpuburn");
  // Links: span ids and trace ids as lowercase hex labels beside the other sample labels.
  const profile::Sample& s = c.samples[1];
  std::map<std::string, std::string> by_key;
  for (const profile::Label& l : c.Labels(s)) by_key[std::string(c.Str(l.key))] = c.Str(l.str);
  EXPECT_EQ(by_key["span_id"], "000000005eed0187");
  EXPECT_EQ(by_key["trace_id"], "1330df9997fa8a78b180212aa66aafa3");
  EXPECT_EQ(by_key["endpoint"], "/api/search");
  EXPECT_EQ(by_key["worker"], "0");
}

// ---- The protobuf runtime's view of the same bytes.

TEST(OtlpRuntimeTest, HandDecoderAgreesWithTheProtobufRuntime) {
  for (const char* name : kOtlpFixtures) {
    SCOPED_TRACE(name);
    const std::string bytes = Fixture(fmt::format("otlp/{}.pb", name));
    collector_pb::ExportProfilesServiceRequest req;
    ASSERT_TRUE(req.ParseFromString(bytes));
    auto ours = DecodeOtlpRequest(bytes);
    ASSERT_TRUE(ours.ok()) << ours.status();
    const otlp_pb::ProfilesDictionary& dict = req.dictionary();
    size_t k = 0;
    for (const otlp_pb::ResourceProfiles& rp : req.resource_profiles()) {
      for (const otlp_pb::ScopeProfiles& sp : rp.scope_profiles()) {
        for (const otlp_pb::Profile& pp : sp.profiles()) {
          ASSERT_LT(k, ours->profiles.size());
          const profile::Profile& p = ours->profiles[k++].profile;
          ASSERT_EQ(p.samples.size(), static_cast<size_t>(pp.samples_size()));
          EXPECT_EQ(p.Str(p.sample_types[0].type),
                    dict.string_table(pp.sample_type().type_strindex()));
          EXPECT_EQ(p.Str(p.period_type.unit), dict.string_table(pp.period_type().unit_strindex()));
          EXPECT_EQ(p.period, pp.period());
          EXPECT_EQ(static_cast<uint64_t>(p.time_nanos), pp.time_unix_nano());
          int64_t total = 0;
          for (int i = 0; i < pp.samples_size(); ++i) {
            const otlp_pb::Sample& s = pp.samples(i);
            const int64_t v = s.values_size() > 0 ? s.values(0) : s.timestamps_unix_nano_size();
            total += v;
            // Sample by sample: value, depth and leaf function.
            const profile::Sample& ms = p.samples[i];
            EXPECT_EQ(p.Values(ms)[0], v);
            const otlp_pb::Stack& st = dict.stack_table(s.stack_index());
            ASSERT_EQ(ms.depth, static_cast<uint32_t>(st.location_indices_size()));
            if (ms.depth > 0) {
              const otlp_pb::Location& leaf = dict.location_table(st.location_indices(0));
              const otlp_pb::Function& fn = dict.function_table(leaf.lines(0).function_index());
              EXPECT_EQ(testing::FunctionName(p, p.Stack(ms)[0]),
                        dict.string_table(fn.name_strindex()));
            }
          }
          EXPECT_EQ(p.Total(0), total);
        }
      }
    }
    EXPECT_EQ(k, ours->profiles.size());
  }
}

// Our encoder writes what the runtime writes: parsing with the generated classes and
// serializing again gives the same bytes, and the runtime sees the structure we meant.
TEST(OtlpRuntimeTest, EncoderOutputIsCanonicalProtobuf) {
  auto heap = profile::DecodePprof(Fixture("go/http/leaky.heap.pb.gz"));
  auto cpu = profile::DecodePprof(Fixture("go/http/cpuburn.profile.10s.pb.gz"));
  ASSERT_TRUE(heap.ok() && cpu.ok());
  const std::string bytes = EncodeOtlpRequest(
      {{{{"service.name", "leaky"}}, &*heap}, {{{"service.name", "cpuburn"}}, &*cpu}});
  collector_pb::ExportProfilesServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(bytes));
  EXPECT_EQ(req.SerializeAsString(), bytes);

  ASSERT_EQ(req.resource_profiles_size(), 2);
  EXPECT_EQ(req.resource_profiles(0).scope_profiles(0).profiles_size(), 4);  // 4 heap types
  EXPECT_EQ(req.resource_profiles(1).scope_profiles(0).profiles_size(), 2);
  EXPECT_EQ(req.resource_profiles(1).resource().attributes(0).key(), "service.name");
  EXPECT_EQ(req.resource_profiles(1).resource().attributes(0).value().string_value(), "cpuburn");
  EXPECT_EQ(req.resource_profiles(0).scope_profiles(0).scope().name(), "hearth");
  const otlp_pb::ProfilesDictionary& dict = req.dictionary();
  // Zero entries first, as the spec requires.
  EXPECT_EQ(dict.string_table(0), "");
  EXPECT_EQ(dict.mapping_table(0).ByteSizeLong(), 0u);
  EXPECT_EQ(dict.location_table(0).ByteSizeLong(), 0u);
  EXPECT_EQ(dict.function_table(0).ByteSizeLong(), 0u);
  EXPECT_EQ(dict.stack_table(0).location_indices_size(), 0);
  EXPECT_EQ(dict.link_table(0).trace_id(), std::string(16, '\0'));
  EXPECT_EQ(dict.link_table(0).span_id(), std::string(8, '\0'));
  // One dictionary for both: no string twice (both programs share runtime.* names).
  std::set<std::string> strings(dict.string_table().begin(), dict.string_table().end());
  EXPECT_EQ(strings.size(), static_cast<size_t>(dict.string_table_size()));
  // Every value written is a non-zero sample value of the source, sample type by sample type.
  const otlp_pb::Profile& inuse = req.resource_profiles(0).scope_profiles(0).profiles(3);
  EXPECT_EQ(dict.string_table(inuse.sample_type().type_strindex()), "inuse_space");
  int64_t total = 0;
  for (const otlp_pb::Sample& s : inuse.samples()) {
    ASSERT_EQ(s.values_size(), 1);
    EXPECT_NE(s.values(0), 0);
    total += s.values(0);
  }
  EXPECT_EQ(total, heap->Total(3));
  EXPECT_EQ(inuse.period(), heap->period);
  EXPECT_EQ(inuse.time_unix_nano(), static_cast<uint64_t>(heap->time_nanos));
  // Go's numeric `bytes` label: an int attribute.
  const otlp_pb::KeyValueAndUnit& a = dict.attribute_table(inuse.samples(0).attribute_indices(0));
  EXPECT_EQ(dict.string_table(a.key_strindex()), "bytes");
  EXPECT_TRUE(a.value().has_int_value());
}

// Sample labels: trace_id/span_id ids become a Link, several values of one key an array,
// numeric labels keep their unit; everything comes back as it went in.
TEST(OtlpEncodeTest, LabelsLinksAndArraysRoundTrip) {
  profile::ProfileBuilder b;
  profile::Profile& p = b.profile();
  p.sample_types = {{b.Str("cpu"), b.Str("nanoseconds")}};
  const uint32_t main = b.AddFrame("main");
  const std::vector<profile::Label> labels = {
      {b.Str("trace_id"), b.Str("0af7651916cd43dd8448eb211c80319c")},
      {b.Str("span_id"), b.Str("B7AD6B7169203331")},
      {b.Str("tag"), b.Str("a")},
      {b.Str("tag"), b.Str("b")},
      {b.Str("size"), 0, 4096, b.Str("bytes")},
  };
  const int64_t v = 7;
  b.AddSample(std::vector<uint32_t>{main}, {&v, 1}, labels);
  // A span_id that is not hex stays an ordinary label.
  const profile::Label odd{b.Str("span_id"), b.Str("12345")};
  b.AddSample(std::vector<uint32_t>{main}, {&v, 1}, {&odd, 1});
  const profile::Profile src = b.Finish();

  const std::string bytes = EncodeOtlpRequest({{{}, &src}});
  collector_pb::ExportProfilesServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(bytes));
  const otlp_pb::ProfilesDictionary& dict = req.dictionary();
  const otlp_pb::Sample& s0 = req.resource_profiles(0).scope_profiles(0).profiles(0).samples(0);
  ASSERT_NE(s0.link_index(), 0);
  EXPECT_EQ(dict.link_table(s0.link_index()).span_id(),
            std::string("\xb7\xad\x6b\x71\x69\x20\x33\x31", 8));
  EXPECT_EQ(dict.link_table(s0.link_index()).trace_id().size(), 16u);
  ASSERT_EQ(s0.attribute_indices_size(), 2);  // tag (an array) and size
  const otlp_pb::KeyValueAndUnit& tag = dict.attribute_table(s0.attribute_indices(0));
  EXPECT_EQ(tag.value().array_value().values_size(), 2);
  const otlp_pb::KeyValueAndUnit& size = dict.attribute_table(s0.attribute_indices(1));
  EXPECT_EQ(size.value().int_value(), 4096);
  EXPECT_EQ(dict.string_table(size.unit_strindex()), "bytes");

  auto back = DecodeOtlpRequest(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->profiles.size(), 1u);
  const profile::Profile& q = back->profiles[0].profile;
  ASSERT_EQ(q.samples.size(), 2u);
  std::multimap<std::string, std::string> got;
  for (const profile::Label& l : q.Labels(q.samples[0])) {
    got.emplace(q.Str(l.key), l.is_string() ? std::string(q.Str(l.str))
                                            : fmt::format("{} {}", l.num, q.Str(l.num_unit)));
  }
  EXPECT_EQ(got, (std::multimap<std::string, std::string>{
                     {"span_id", "b7ad6b7169203331"},
                     {"trace_id", "0af7651916cd43dd8448eb211c80319c"},
                     {"tag", "a"},
                     {"tag", "b"},
                     {"size", "4096 bytes"}}));
  auto odd_back = q.Labels(q.samples[1]);
  ASSERT_EQ(odd_back.size(), 1u);
  EXPECT_EQ(q.Str(odd_back[0].str), "12345");
}

// What pprof has and OTLP has no field for travels as pprof.* attributes and comes back.
TEST(OtlpEncodeTest, PprofOnlyFieldsSurviveAsAttributes) {
  profile::ProfileBuilder b;
  profile::Profile& p = b.profile();
  p.sample_types = {{b.Str("alloc_space"), b.Str("bytes")}, {b.Str("inuse_space"), b.Str("bytes")}};
  p.period_type = {b.Str("space"), b.Str("bytes")};
  p.period = 524288;
  p.time_nanos = 1700000000000000000;
  p.duration_nanos = 15000000000;
  p.comments = {b.Str("first comment"), b.Str("second")};
  p.drop_frames = b.Str("runtime\\..*");
  p.keep_frames = b.Str("main.*");
  p.doc_url = b.Str("https://example.com/doc");
  p.default_sample_type = b.Str("inuse_space");
  profile::Mapping go_binary{.memory_start = 0x400000,
                             .memory_limit = 0x800000,
                             .filename = b.Str("/bin/app"),
                             .build_id = b.Str("abc/def"),
                             .has_functions = true,
                             .has_line_numbers = true};
  profile::Mapping libc{.memory_start = 0x7f0000000000,
                        .memory_limit = 0x7f0000100000,
                        .file_offset = 0x1000,
                        .filename = b.Str("/lib/libc.so.6"),
                        .build_id = b.Str("7ebc65e52f2bbea498b4040fa92f7238377aaba9")};
  const uint32_t m0 = b.AddMapping(go_binary), m1 = b.AddMapping(libc);
  const uint32_t f = b.AddFunction(b.Str("main.work"), b.Str("main.work"), b.Str("app.go"), 3);
  const profile::Line line{f, 12, 4};
  const uint32_t l0 = b.AddLocation(m0, 0x401234, {&line, 1}, /*is_folded=*/true);
  const uint32_t l1 = b.AddLocation(m1, 0x7f0000000400, {});
  const int64_t values[] = {4096, 0};
  b.AddSample(std::vector<uint32_t>{l1, l0}, values);
  const profile::Profile src = b.Finish();

  auto r = DecodeOtlpRequest(EncodeOtlpRequest({{{{"service.name", "app"}}, &src}}));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->profiles.size(), 2u);
  EXPECT_TRUE(r->profiles[1].profile.samples.empty());  // inuse_space was 0
  const profile::Profile& q = r->profiles[0].profile;
  EXPECT_THAT(r->profiles[0].labels, UnorderedElementsAre(Pair("service_name", "app")));
  EXPECT_EQ(q.Str(q.period_type.type), "space");
  EXPECT_EQ(q.period, 524288);
  EXPECT_EQ(q.time_nanos, 1700000000000000000);
  EXPECT_EQ(q.duration_nanos, 15000000000);
  ASSERT_EQ(q.comments.size(), 2u);
  EXPECT_EQ(q.Str(q.comments[0]), "first comment");
  EXPECT_EQ(q.Str(q.comments[1]), "second");
  EXPECT_EQ(q.Str(q.drop_frames), "runtime\\..*");
  EXPECT_EQ(q.Str(q.keep_frames), "main.*");
  EXPECT_EQ(q.Str(q.doc_url), "https://example.com/doc");
  EXPECT_EQ(q.Str(q.default_sample_type), "inuse_space");
  ASSERT_EQ(q.mappings.size(), 2u);
  EXPECT_EQ(q.Str(q.mappings[0].build_id), "abc/def");  // as process.executable.build_id.go
  EXPECT_EQ(q.Str(q.mappings[1].build_id), "7ebc65e52f2bbea498b4040fa92f7238377aaba9");
  EXPECT_TRUE(q.mappings[0].has_functions);
  EXPECT_FALSE(q.mappings[0].has_filenames);
  EXPECT_TRUE(q.mappings[0].has_line_numbers);
  EXPECT_FALSE(q.mappings[1].has_functions);
  EXPECT_EQ(q.mappings[1].file_offset, 0x1000u);
  ASSERT_EQ(q.samples.size(), 1u);
  auto stack = q.Stack(q.samples[0]);
  ASSERT_EQ(stack.size(), 2u);
  const profile::Location& leaf = q.locations[stack[0]];
  const profile::Location& caller = q.locations[stack[1]];
  EXPECT_EQ(leaf.address, 0x7f0000000400u);
  EXPECT_EQ(leaf.num_lines, 0u);
  EXPECT_FALSE(leaf.is_folded);
  EXPECT_TRUE(caller.is_folded);
  ASSERT_EQ(caller.num_lines, 1u);
  const profile::Line& l = q.Lines(caller)[0];
  EXPECT_EQ(l.line, 12);
  EXPECT_EQ(l.column, 4);
  EXPECT_EQ(q.Str(q.functions[l.function].filename), "app.go");
  EXPECT_EQ(q.functions[l.function].start_line, 3);

  // The header fields survive the join too.
  auto joined = JoinSampleTypes({r->profiles[0].profile, r->profiles[1].profile});
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->Str(joined->default_sample_type), "inuse_space");
  EXPECT_EQ(joined->comments.size(), 2u);
  EXPECT_EQ(joined->Total(0), 4096);
  EXPECT_EQ(joined->Total(1), 0);
}

// ---- pprof -> OTLP -> pprof, judged by `go tool pprof -top` itself.

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

CommandResult RunCommand(const std::string& cmd) {
  const std::string err_file =
      fs::temp_directory_path() / fmt::format("hearth_otlp_test_{}_err", getpid());
  CommandResult r;
  FILE* pipe = popen((cmd + " 2>" + err_file).c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto err = ReadFile(err_file);
  if (err.ok()) r.err = *err;
  fs::remove(err_file);
  return r;
}

// `go tool pprof -top -sample_index=<index>` of a pprof file.
CommandResult GoPprofTop(const std::string& path, const std::string& sample_index) {
  return RunCommand(fmt::format("go tool pprof -top -sample_index={} {}", sample_index, path));
}

std::vector<std::string> PprofFixtures() {
  std::vector<std::string> out;
  for (const auto& e :
       fs::recursive_directory_iterator(std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures")) {
    if (e.is_regular_file() && e.path().string().ends_with(".pb.gz")) {
      out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(OtlpRoundTripTest, EveryPprofFixtureKeepsGoToolPprofTopForEverySampleType) {
  if (RunCommand("go version").exit_code != 0) GTEST_SKIP() << "go is not installed";
  const std::vector<std::string> fixtures = PprofFixtures();
  ASSERT_GE(fixtures.size(), 20u);
  const std::string tmp =
      fs::temp_directory_path() / fmt::format("hearth_otlp_roundtrip_{}.pb.gz", getpid());
  int compared = 0;
  for (const std::string& path : fixtures) {
    SCOPED_TRACE(path);
    auto data = ReadFile(path);
    ASSERT_TRUE(data.ok()) << data.status();
    auto src = profile::DecodePprof(*data);
    ASSERT_TRUE(src.ok()) << src.status();
    auto back = DecodeOtlpRequest(EncodeOtlpRequest({{{{"service.name", "x"}}, &*src}}));
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_EQ(back->rejected_profiles, 0) << back->error_message;
    ASSERT_EQ(back->profiles.size(), src->sample_types.size());
    std::vector<profile::Profile> per_type;
    for (size_t t = 0; t < src->sample_types.size(); ++t) {
      SCOPED_TRACE(src->Str(src->sample_types[t].type));
      const profile::Profile& q = back->profiles[t].profile;
      EXPECT_EQ(LabelValue(back->profiles[t], "service_name"), "x");
      // The header, pprof-only fields included.
      EXPECT_EQ(q.time_nanos, src->time_nanos);
      EXPECT_EQ(q.duration_nanos, src->duration_nanos);
      EXPECT_EQ(q.period, src->period);
      EXPECT_EQ(q.Str(q.period_type.type), src->Str(src->period_type.type));
      EXPECT_EQ(q.Str(q.default_sample_type), src->Str(src->default_sample_type));
      EXPECT_EQ(q.Str(q.drop_frames), src->Str(src->drop_frames));
      EXPECT_EQ(q.comments.size(), src->comments.size());
      ASSERT_TRUE(WriteFileAtomic(tmp, profile::EncodePprofGzip(q)).ok());
      // By index: some profiles have two types of one name (Node's wall and cpu are distinct,
      // but index is what pprof's own tests use to be unambiguous).
      const CommandResult want = GoPprofTop(path, std::to_string(t));
      const CommandResult got = GoPprofTop(tmp, "0");
      ASSERT_EQ(want.exit_code, 0) << want.err;
      ASSERT_EQ(got.exit_code, 0) << got.err;
      ASSERT_THAT(want.out, ::testing::HasSubstr("flat  flat%   sum%"));
      EXPECT_EQ(got.out, want.out);
      ++compared;
      per_type.push_back(q);
    }
    // And the join of the per-type profiles is the original again, type by type.
    auto joined = JoinSampleTypes(std::move(per_type));
    ASSERT_TRUE(joined.ok()) << joined.status();
    ASSERT_EQ(joined->sample_types.size(), src->sample_types.size());
    for (size_t t = 0; t < src->sample_types.size(); ++t) {
      EXPECT_EQ(joined->Total(t), src->Total(t));
      EXPECT_EQ(fuzzing::ByStack(*joined, t), fuzzing::ByStack(*src, t));
    }
    ASSERT_TRUE(WriteFileAtomic(tmp, profile::EncodePprofGzip(*joined)).ok());
    const size_t last = src->sample_types.size() - 1;
    EXPECT_EQ(GoPprofTop(tmp, std::to_string(last)).out, GoPprofTop(path, std::to_string(last)).out)
        << "joined";
  }
  fs::remove(tmp);
  EXPECT_GE(compared, 50);
}

TEST(OtlpRoundTripTest, FrameTypesSurviveOtlpPprofAndGoToolPprof) {
  auto cpu = DecodeOtlpRequest(Fixture("otlp/cpuburn.cpu.10s.pb"));
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  const profile::Profile& p = cpu->profiles[1].profile;
  // Go code in the fixture is "go"; the generator marks frames of other mappings "native".
  std::map<std::string, int> kinds;
  for (const profile::Location& l : p.locations) ++kinds[std::string(p.Str(l.frame_type))];
  ASSERT_EQ(kinds.count(""), 0u);
  EXPECT_GT(kinds["go"], 10);
  auto kinds_of = [](const profile::Profile& q) {
    std::map<std::string, std::string> by_function;  // leaf function -> kind
    for (const profile::Location& l : q.locations) {
      auto lines = q.Lines(l);
      if (lines.empty() || lines[0].function == profile::kNone) continue;
      by_function[std::string(q.Str(q.functions[lines[0].function].name))] =
          q.Str(l.frame_type);
    }
    return by_function;
  };
  const auto want = kinds_of(p);
  ASSERT_FALSE(want.empty());

  // pprof keeps them in its extension field ...
  auto via_pprof = profile::DecodePprof(profile::EncodePprofGzip(p));
  ASSERT_TRUE(via_pprof.ok()) << via_pprof.status();
  EXPECT_EQ(kinds_of(*via_pprof), want);
  // ... OTLP as `profile.frame.type` again ...
  auto via_otlp = DecodeOtlpRequest(EncodeOtlpRequest({{{}, &p}}));
  ASSERT_TRUE(via_otlp.ok()) << via_otlp.status();
  EXPECT_EQ(kinds_of(via_otlp->profiles[0].profile), want);
  // ... and other pprof readers skip the field: go tool pprof reads the same top.
  if (RunCommand("go version").exit_code != 0) GTEST_SKIP() << "go is not installed";
  const std::string dir = fs::temp_directory_path();
  const std::string with = fmt::format("{}/hearth_frame_types_{}.pb.gz", dir, getpid());
  const std::string without = fmt::format("{}/hearth_no_frame_types_{}.pb.gz", dir, getpid());
  profile::Profile plain = p;
  for (profile::Location& l : plain.locations) l.frame_type = 0;
  ASSERT_TRUE(WriteFileAtomic(with, profile::EncodePprofGzip(p)).ok());
  ASSERT_TRUE(WriteFileAtomic(without, profile::EncodePprofGzip(plain)).ok());
  const CommandResult a = GoPprofTop(with, "0"), b = GoPprofTop(without, "0");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_THAT(a.out, ::testing::HasSubstr("flat  flat%   sum%"));
  EXPECT_EQ(a.out, b.out);
  fs::remove(with);
  fs::remove(without);
}

// ---- Join, and the request as one profile.

TEST(OtlpJoinTest, JoinsTheFixturesPerTypeProfilesBackIntoThePprofTheyCameFrom) {
  // The fixture generator dropped zero-valued samples per type: 47 vs 21 samples.
  auto r = DecodeOtlpRequest(Fixture("otlp/leaky.heap.strindex.pb"));
  ASSERT_TRUE(r.ok()) << r.status();
  auto joined = OtlpRequestToProfile(*r);
  ASSERT_TRUE(joined.ok()) << joined.status();
  auto src = profile::DecodePprof(Fixture("go/http/leaky.heap.pb.gz"));
  ASSERT_TRUE(src.ok());
  ASSERT_EQ(joined->sample_types.size(), 4u);
  for (size_t t = 0; t < 4; ++t) {
    EXPECT_EQ(joined->Str(joined->sample_types[t].type), src->Str(src->sample_types[t].type));
    EXPECT_EQ(joined->Total(t), src->Total(t));
    EXPECT_EQ(fuzzing::ByStack(*joined, t), fuzzing::ByStack(*src, t));
  }
  EXPECT_EQ(joined->samples.size(), 47u);
  EXPECT_EQ(joined->period, 65536);
}

TEST(OtlpJoinTest, RefusesWhatCannotBeJoined) {
  auto r = DecodeOtlpRequest(Fixture("otlp/cpuburn.cpu.10s.pb"));
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<profile::Profile> same = {r->profiles[1].profile, r->profiles[1].profile};
  auto dup = JoinSampleTypes(std::move(same));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().message(),
            "otlp: cannot join: sample type cpu/nanoseconds is in profiles 0 and 1");

  std::vector<profile::Profile> two = {r->profiles[0].profile, r->profiles[1].profile};
  two[1].period = 20000000;
  auto period = JoinSampleTypes(std::move(two));
  ASSERT_FALSE(period.ok());
  EXPECT_EQ(period.status().message(),
            "otlp: cannot join profiles 0 and 1: one has period 10000000 cpu/nanoseconds, the "
            "other 20000000 cpu/nanoseconds");
  EXPECT_FALSE(JoinSampleTypes({}).ok());
}

TEST(OtlpJoinTest, SeveralResourcesOfOneTypeAreMerged) {
  auto cpu = profile::DecodePprof(Fixture("go/http/cpuburn.profile.10s.pb.gz"));
  auto cpu3 = profile::DecodePprof(Fixture("go/http/cpuburn.profile.3s.pb.gz"));
  ASSERT_TRUE(cpu.ok() && cpu3.ok());
  auto r = DecodeOtlpRequest(
      EncodeOtlpRequest({{{{"service.name", "a"}}, &*cpu}, {{{"service.name", "b"}}, &*cpu3}}));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->profiles.size(), 4u);
  auto one = OtlpRequestToProfile(*r);
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->sample_types.size(), 2u);
  EXPECT_EQ(one->Total(0), 361 + 102);
  EXPECT_EQ(one->Total(1), cpu->Total(1) + cpu3->Total(1));
}

TEST(OtlpDetectTest, FixturesAreDetectedAndPprofIsNot) {
  for (const char* name : kOtlpFixtures) {
    SCOPED_TRACE(name);
    EXPECT_EQ(DetectFormat(Fixture(fmt::format("otlp/{}.pb", name))), Format::kOtlp);
    EXPECT_EQ(DetectFormat(Fixture(fmt::format("otlp/{}.json", name))), Format::kOtlpJson);
  }
  for (const std::string& path : PprofFixtures()) {
    auto data = ReadFile(path);
    ASSERT_TRUE(data.ok());
    auto raw = GzipDecompress(*data, {});
    ASSERT_TRUE(raw.ok()) << path;
    EXPECT_FALSE(LooksLikeOtlp(*raw)) << path;
    EXPECT_EQ(DetectFormat(*raw), Format::kPprof) << path;
  }
  // ParseProfile: the whole request as one profile, from either encoding, gzipped or not.
  for (const std::string& file :
       {std::string("otlp/cpuburn.cpu.10s.pb"), std::string("otlp/cpuburn.cpu.10s.json")}) {
    for (bool gz : {false, true}) {
      const std::string data = gz ? GzipCompress(Fixture(file)) : Fixture(file);
      auto p = ParseProfile(data);
      ASSERT_TRUE(p.ok()) << file << ": " << p.status();
      ASSERT_EQ(p->sample_types.size(), 2u);
      EXPECT_EQ(p->Total(0), 361);
      EXPECT_EQ(p->Total(1), 3610000000);
    }
  }
  ParseOptions forced;
  forced.format = Format::kOtlp;
  auto p = ParseProfile(Fixture("otlp/node.wall.timestamps.json"), forced);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->Total(0), 249);
}

}  // namespace
}  // namespace hearth::formats
