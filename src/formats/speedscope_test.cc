#include "formats/speedscope.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "formats/json_test_util.h"
#include "formats/v8.h"
#include "profile/builder.h"
#include "profile/call_tree.h"
#include "profile/pprof_codec.h"

namespace hearth::formats {
namespace {

using testing::ByStack;
using testing::ExpectValidAndPprofRoundTrip;
using testing::Fixture;
using ::testing::HasSubstr;
using testing::SelfByFunction;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

std::string File(std::string_view frames, std::string_view profiles) {
  return fmt::format(R"({{"$schema": "https://www.speedscope.app/file-format-schema.json",
    "shared": {{"frames": {}}}, "profiles": {}}})",
                     frames, profiles);
}

constexpr char kFrames[] = R"([{"name": "main", "file": "m.c", "line": 3, "col": 2},
                               {"name": "f"}, {"name": "g", "file": "g.c"}])";

TEST(SpeedscopeReadTest, Sampled) {
  auto p = ParseSpeedscope(File(kFrames, R"([{"type": "sampled", "name": "t", "unit":
      "milliseconds", "startValue": 0, "endValue": 4, "samples": [[0, 1], [0, 1, 2], [0, 1]],
      "weights": [1.5, 2, 0.25]}])"));
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectValidAndPprofRoundTrip(*p);
  ASSERT_EQ(p->sample_types.size(), 1u);
  EXPECT_EQ(p->Str(p->sample_types[0].type), "cpu");
  EXPECT_EQ(p->Str(p->sample_types[0].unit), "nanoseconds");
  EXPECT_EQ(p->duration_nanos, 4'000'000);
  EXPECT_EQ(ByStack(*p, 0),
            (std::map<std::string, int64_t>{{"main;f", 1'750'000}, {"main;f;g", 2'000'000}}));
  // The frame's position: function start line and line 3, column 2, file m.c.
  const profile::Location& root = p->locations[p->Stack(p->samples[0]).back()];
  const profile::Line& ln = p->Lines(root)[0];
  EXPECT_EQ(ln.line, 3);
  EXPECT_EQ(ln.column, 2);
  EXPECT_EQ(p->functions[ln.function].start_line, 3);
  EXPECT_EQ(p->Str(p->functions[ln.function].filename), "m.c");
}

TEST(SpeedscopeReadTest, UnitsBecomeSampleTypes) {
  auto read = [](std::string_view unit, double w) {
    auto p = ParseSpeedscope(File(kFrames, fmt::format(R"([{{"type": "sampled", "unit": "{}",
        "samples": [[0]], "weights": [{}]}}])",
                                                       unit, w)));
    EXPECT_TRUE(p.ok()) << p.status();
    return fmt::format("{}/{} {}", p->Str(p->sample_types[0].type), p->Str(p->sample_types[0].unit),
                       p->Total(0));
  };
  EXPECT_EQ(read("none", 3), "samples/count 3");
  EXPECT_EQ(read("bytes", 4096), "space/bytes 4096");
  EXPECT_EQ(read("nanoseconds", 7), "cpu/nanoseconds 7");
  EXPECT_EQ(read("microseconds", 2.5), "cpu/nanoseconds 2500");
  EXPECT_EQ(read("seconds", 1.5), "cpu/nanoseconds 1500000000");
  SpeedscopeOptions o;
  o.time_type = "wall";
  auto p = ParseSpeedscope(
      File(kFrames,
           R"([{"type": "sampled", "unit": "seconds", "samples": [[0]], "weights": [1]}])"),
      o);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Str(p->sample_types[0].type), "wall");
}

TEST(SpeedscopeReadTest, EventedWeighsEachExactStack) {
  // main open 0..10; f inside 2..5; g inside 5..9; f again 9..9.5.
  auto p = ParseSpeedscope(File(kFrames, R"([{"type": "evented", "name": "t", "unit":
      "microseconds", "startValue": 0, "endValue": 10, "events": [
      {"type": "O", "frame": 0, "at": 0}, {"type": "O", "frame": 1, "at": 2},
      {"type": "C", "frame": 1, "at": 5}, {"type": "O", "frame": 2, "at": 5},
      {"type": "C", "frame": 2, "at": 9}, {"type": "O", "frame": 1, "at": 9},
      {"type": "C", "frame": 1, "at": 9.5}, {"type": "C", "frame": 0, "at": 10}]}])"));
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectValidAndPprofRoundTrip(*p);
  EXPECT_EQ(ByStack(*p, 0), (std::map<std::string, int64_t>{
                                {"main", 2'500}, {"main;f", 3'500}, {"main;g", 4'000}}));
  EXPECT_EQ(p->Total(0), 10'000);
}

TEST(SpeedscopeReadTest, EventedMustBeBalancedAndOrdered) {
  auto evented = [](std::string_view events) {
    return ParseSpeedscope(File(
        kFrames, fmt::format(R"([{{"type": "evented", "unit": "none", "events": {}}}])", events)));
  };
  EXPECT_THAT(Message(evented(R"([{"type": "O", "frame": 0, "at": 0},
      {"type": "O", "frame": 1, "at": 1}, {"type": "C", "frame": 1, "at": 2}])")
                          .status()),
              HasSubstr("profiles[0]: 1 frames are still open after the last event (unbalanced)"));
  EXPECT_THAT(Message(evented(R"([{"type": "O", "frame": 0, "at": 0},
      {"type": "O", "frame": 1, "at": 1}, {"type": "C", "frame": 0, "at": 2}])")
                          .status()),
              HasSubstr("profiles[0].events[2] closes frame 0 but frame 1 is open"));
  EXPECT_THAT(Message(evented(R"([{"type": "C", "frame": 0, "at": 0}])").status()),
              HasSubstr("events[0] closes frame 0 but no frame is open"));
  EXPECT_THAT(Message(evented(R"([{"type": "O", "frame": 0, "at": 5},
      {"type": "C", "frame": 0, "at": 4}])")
                          .status()),
              HasSubstr("events[1].at = 4 is before the previous event's 5"));
  EXPECT_THAT(Message(evented(R"([{"type": "X", "frame": 0, "at": 0}])").status()),
              HasSubstr("events[0].type must be \"O\" or \"C\""));
  EXPECT_THAT(Message(evented(R"([{"type": "O", "frame": 3, "at": 0}])").status()),
              HasSubstr("events[0]: frame 3 is not in shared.frames (3 frames)"));
  EXPECT_THAT(Message(evented(R"([{"type": "O", "frame": 0}])").status()),
              HasSubstr("events[0].at is missing"));
}

TEST(SpeedscopeReadTest, SeveralProfiles) {
  std::string file = File(kFrames, R"([
      {"type": "sampled", "name": "main thread", "unit": "nanoseconds", "samples": [[0]],
       "weights": [5]},
      {"type": "evented", "unit": "microseconds", "startValue": 0, "endValue": 1, "events": [
       {"type": "O", "frame": 1, "at": 0}, {"type": "C", "frame": 1, "at": 1}]},
      {"type": "sampled", "name": "heap", "unit": "bytes", "samples": [], "weights": []}])");
  // Units differ (bytes): all three cannot be read together.
  EXPECT_THAT(Message(ParseSpeedscope(file).status()),
              HasSubstr("profiles[2] is in bytes but the first profile is in nanoseconds"));
  SpeedscopeOptions o;
  o.profile_index = 2;
  auto heap = ParseSpeedscope(file, o);
  ASSERT_TRUE(heap.ok()) << heap.status();
  EXPECT_EQ(heap->Str(heap->sample_types[0].unit), "bytes");
  EXPECT_TRUE(heap->samples.empty());

  std::string two = File(kFrames, R"([
      {"type": "sampled", "name": "main thread", "unit": "nanoseconds", "samples": [[0]],
       "weights": [5]},
      {"type": "evented", "unit": "microseconds", "startValue": 0, "endValue": 1, "events": [
       {"type": "O", "frame": 0, "at": 0}, {"type": "C", "frame": 0, "at": 1}]}])");
  auto p = ParseSpeedscope(two);
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectValidAndPprofRoundTrip(*p);
  EXPECT_EQ(ByStack(*p, 0, "thread"),
            (std::map<std::string, int64_t>{{"main thread|main", 5}, {"profile 1|main", 1000}}));
  o.profile_index = 1;
  auto one = ParseSpeedscope(two, o);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(ByStack(*one, 0, "thread"), (std::map<std::string, int64_t>{{"-|main", 1000}}));
  o.profile_index = 5;
  EXPECT_THAT(Message(ParseSpeedscope(two, o).status()),
              HasSubstr("profile index 5 is out of range: the file has 2 profiles"));
  o.profile_index = -1;
  o.profile_label = "";
  auto merged = ParseSpeedscope(two, o);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(ByStack(*merged, 0, "thread"), (std::map<std::string, int64_t>{{"-|main", 1005}}));
}

TEST(SpeedscopeReadTest, ClearErrors) {
  auto err = [](std::string_view json, SpeedscopeOptions o = {}) {
    return Message(ParseSpeedscope(json, o).status());
  };
  EXPECT_THAT(err("{\"profiles\": [1, 2"), HasSubstr("speedscope: invalid JSON"));
  EXPECT_THAT(err("[]"), HasSubstr("expected a JSON object, found an array"));
  EXPECT_THAT(err("{}"), HasSubstr("no profiles array"));
  EXPECT_THAT(err(File(kFrames, "[]")), HasSubstr("the file has no profiles"));
  EXPECT_THAT(err(File("[{\"file\": \"x\"}]", R"([{"type": "sampled", "unit": "none",
      "samples": [], "weights": []}])")),
              HasSubstr("frames[0] has no name"));
  EXPECT_THAT(err(File("[{\"name\": 7}]", R"([{"type": "sampled", "unit": "none",
      "samples": [], "weights": []}])")),
              HasSubstr("frames[0].name is a number"));
  EXPECT_THAT(err(File(kFrames, R"([{"type": "sampled", "unit": "parsecs", "samples": [],
      "weights": []}])")),
              HasSubstr("profiles[0].unit \"parsecs\" is not a speedscope unit"));
  EXPECT_THAT(err(File(kFrames, R"([{"type": "flame", "unit": "none"}])")),
              HasSubstr("profiles[0].type is \"flame\", want \"sampled\" or \"evented\""));
  EXPECT_THAT(err(File(kFrames, R"([{"type": "sampled", "unit": "none", "samples": [[0]],
      "weights": []}])")),
              HasSubstr("profiles[0]: 1 samples but 0 weights"));
  EXPECT_THAT(err(File(kFrames, R"([{"type": "sampled", "unit": "none", "samples": [[0, 9]],
      "weights": [1]}])")),
              HasSubstr("profiles[0].samples[0]: frame 9 is not in shared.frames"));
  EXPECT_THAT(err(File(kFrames, R"([{"type": "sampled", "unit": "none", "samples": [["a"]],
      "weights": [1]}])")),
              HasSubstr("a frame index is a string, want an integer"));
  EXPECT_THAT(err(File(kFrames, R"([{"type": "sampled", "unit": "none", "samples": [[0]],
      "weights": ["1"]}])")),
              HasSubstr("profiles[0].weights[0] is a string, want a number"));
  EXPECT_THAT(err(File(kFrames, R"([{"type": "sampled", "unit": "none", "samples": [[0]],
      "weights": [-1]}])")),
              HasSubstr("weight -1 is negative or too large"));
  // Equal stacks are summed; a sum past int64 is refused rather than wrapped.
  EXPECT_THAT(err(File(kFrames, R"([{"type": "sampled", "unit": "none", "samples": [[0], [0]],
      "weights": [9e18, 9e18]}])")),
              HasSubstr("the weights add up to more than 64 bits can hold"));
  SpeedscopeOptions small;
  small.max_stack_depth = 2;
  EXPECT_THAT(err(File(kFrames, R"([{"type": "sampled", "unit": "none", "samples": [[0, 1, 2]],
      "weights": [1]}])"),
                  small),
              HasSubstr("samples[0] is deeper than the limit of 2 frames"));
  // Absurd nesting is refused by the parser's depth limit, without recursion.
  std::string deep = "{\"profiles\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_THAT(err(deep), HasSubstr("JSON nested deeper than the limit of 64 levels"));
  small.max_input_bytes = 10;
  EXPECT_THAT(err(File(kFrames, "[]"), small), HasSubstr("over the limit of 10 bytes"));
}

// --- the writer --------------------------------------------------------------------------

// The root-first frame names of a sample as the writer should produce them: FrameName per
// line, inlined lines expanded (outermost first).
std::vector<std::string> ExpectedFrames(const profile::Profile& p, const profile::Sample& s) {
  std::vector<std::string> names;
  auto stack = p.Stack(s);
  for (size_t i = stack.size(); i-- > 0;) {
    const profile::Location& loc = p.locations[stack[i]];
    auto lines = p.Lines(loc);
    if (lines.empty()) names.push_back(profile::FrameName(p, loc, nullptr));
    for (size_t k = lines.size(); k-- > 0;) names.push_back(profile::FrameName(p, loc, &lines[k]));
  }
  return names;
}

std::map<std::string, int64_t> ExpectedByStack(const profile::Profile& p, size_t vi) {
  std::map<std::string, int64_t> out;
  for (const profile::Sample& s : p.samples) {
    if (p.Values(s)[vi] != 0) out[testing::Join(ExpectedFrames(p, s))] += p.Values(s)[vi];
  }
  return out;
}

struct RoundTripCase {
  const char* fixture;
  const char* sample_index;
  const char* unit;       // speedscope unit expected in the file
  const char* read_type;  // sample type read back
};

class SpeedscopeRoundTripTest : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(SpeedscopeRoundTripTest, PprofToSpeedscopeAndBack) {
  const RoundTripCase& c = GetParam();
  auto p = profile::DecodePprof(Fixture(c.fixture));
  ASSERT_TRUE(p.ok()) << p.status();
  auto vi = profile::SampleIndexByName(*p, c.sample_index);
  ASSERT_TRUE(vi.ok());
  SpeedscopeWriteOptions wo;
  wo.sample_index = c.sample_index;
  wo.name = c.fixture;
  auto json = WriteSpeedscope(*p, wo);
  ASSERT_TRUE(json.ok()) << json.status();
  ASSERT_TRUE(LooksLikeSpeedscope(*json));

  // The file itself, read with plain simdjson: one entry per pprof sample, in order, with
  // the sample's root-first frames and its value.
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(*json).get(doc));
  std::vector<std::string> frame_names;
  simdjson::dom::array frames = doc["shared"]["frames"].get_array().value_unsafe();
  for (auto f : frames) {
    frame_names.emplace_back(f["name"].get_string().value_unsafe());
  }
  simdjson::dom::element prof = doc["profiles"].at(0).value_unsafe();
  EXPECT_EQ(std::string_view(prof["unit"].get_string().value_unsafe()), c.unit);
  EXPECT_EQ(std::string_view(prof["type"].get_string().value_unsafe()), "sampled");
  simdjson::dom::array samples = prof["samples"].get_array().value_unsafe();
  simdjson::dom::array weights = prof["weights"].get_array().value_unsafe();
  ASSERT_EQ(samples.size(), p->samples.size());
  ASSERT_EQ(weights.size(), p->samples.size());
  for (size_t i = 0; i < p->samples.size(); ++i) {
    std::vector<std::string> names;
    simdjson::dom::array sample = samples.at(i).get_array().value_unsafe();
    for (auto f : sample) {
      names.push_back(frame_names.at(f.get_uint64().value_unsafe()));
    }
    ASSERT_EQ(names, ExpectedFrames(*p, p->samples[i])) << "sample " << i;
    ASSERT_EQ(weights.at(i).get_int64().value_unsafe(), p->Values(p->samples[i])[*vi]);
  }

  // Read back: same total, same value per root-first stack.
  auto back = ParseSpeedscope(*json);
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectValidAndPprofRoundTrip(*back);
  EXPECT_EQ(fmt::format("{}/{}", back->Str(back->sample_types[0].type),
                        back->Str(back->sample_types[0].unit)),
            c.read_type);
  EXPECT_EQ(back->Total(0), p->Total(*vi));
  EXPECT_EQ(ByStack(*back, 0), ExpectedByStack(*p, *vi));

  // Writing what was read and reading it again changes nothing.
  auto again = WriteSpeedscope(*back);
  ASSERT_TRUE(again.ok());
  auto back2 = ParseSpeedscope(*again);
  ASSERT_TRUE(back2.ok());
  EXPECT_EQ(ByStack(*back2, 0), ByStack(*back, 0));
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, SpeedscopeRoundTripTest,
    ::testing::Values(
        RoundTripCase{"go/http/cpuburn.profile.10s.pb.gz", "", "nanoseconds", "cpu/nanoseconds"},
        RoundTripCase{"go/http/cpuburn.profile.10s.pb.gz", "samples", "none", "samples/count"},
        RoundTripCase{"go/http/leaky.heap.pb.gz", "inuse_space", "bytes", "space/bytes"},
        RoundTripCase{"go/http/leaky.goroutine.debug0.pb.gz", "", "none", "samples/count"},
        RoundTripCase{"go/http/contention.block.pb.gz", "delay", "nanoseconds", "cpu/nanoseconds"},
        RoundTripCase{"node/out/datadog.heap.pb.gz", "", "bytes", "space/bytes"},
        RoundTripCase{"node/captured/pyroscope-nodejs-0.6.4.octet-stream.wall_labels.req-003"
                      ".body.pb.gz",
                      "cpu", "nanoseconds", "cpu/nanoseconds"},
        RoundTripCase{"gperftools/go_pprof/gperf_workload.cpu.converted.pb.gz", "", "nanoseconds",
                      "cpu/nanoseconds"},
        RoundTripCase{"go/runtime_pprof/leaky.allocs.pb.gz", "alloc_objects", "none",
                      "samples/count"}));

TEST(SpeedscopeWriteTest, OneProfilePerLabelValue) {
  // Pyroscope's Node.js client labels wall samples with the request's endpoint.
  auto p = profile::DecodePprof(
      Fixture("node/captured/pyroscope-nodejs-0.6.4.octet-stream.wall_labels.req-003.body.pb.gz"));
  ASSERT_TRUE(p.ok()) << p.status();
  SpeedscopeWriteOptions wo;
  wo.sample_index = "wall";
  wo.group_by_label = "endpoint";
  auto json = WriteSpeedscope(*p, wo);
  ASSERT_TRUE(json.ok()) << json.status();
  SpeedscopeOptions ro;
  ro.profile_label = "endpoint";
  auto back = ParseSpeedscope(*json, ro);
  ASSERT_TRUE(back.ok()) << back.status();
  // Expected: wall time per (endpoint, stack); samples without one are "(no endpoint)".
  size_t vi = *profile::SampleIndexByName(*p, "wall");
  std::map<std::string, int64_t> want;
  std::set<std::string> endpoints;
  for (const profile::Sample& s : p->samples) {
    std::string endpoint = "(no endpoint)";
    for (const profile::Label& l : p->Labels(s)) {
      if (p->Str(l.key) == "endpoint") endpoint = p->Str(l.str);
    }
    endpoints.insert(endpoint);
    if (p->Values(s)[vi] != 0) {
      want[endpoint + "|" + testing::Join(ExpectedFrames(*p, s))] += p->Values(s)[vi];
    }
  }
  EXPECT_GE(endpoints.size(), 3u);
  EXPECT_EQ(ByStack(*back, 0, "endpoint"), want);
}

TEST(SpeedscopeWriteTest, RejectsNegativeValuesAndEscapesNames) {
  profile::ProfileBuilder b;
  b.profile().sample_types.push_back({b.Str("cpu"), b.Str("nanoseconds")});
  uint32_t odd = b.AddFrame("say \"hi\"\n\xFF", "dir/a b.c", 7);
  int64_t v = 5;
  b.AddSample(std::span<const uint32_t>(&odd, 1), std::span<const int64_t>(&v, 1));
  profile::Profile p = b.Finish();
  auto json = WriteSpeedscope(p);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr(R"({"name":"say \"hi\"\n)"
                               "\xEF\xBF\xBD"
                               R"(","file":"dir/a b.c"})"));
  auto back = ParseSpeedscope(*json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(SelfByFunction(*back, 0),
            (std::map<std::string, int64_t>{{"say \"hi\"\n\xEF\xBF\xBD", 5}}));

  p.values[0] = -5;
  EXPECT_THAT(Message(WriteSpeedscope(p).status()),
              HasSubstr("sample 0 has a negative value (-5), which speedscope cannot draw"));
  SpeedscopeWriteOptions wo;
  wo.sample_index = "wall";
  EXPECT_THAT(Message(WriteSpeedscope(p, wo).status()), HasSubstr("sample_index"));
}

// --- files written by speedscope itself (testdata/fixtures/speedscope/README.md) ----------

TEST(SpeedscopeRealFileTest, SpeedscopesExportOfTheNodeCpuProfile) {
  auto ss = ParseSpeedscope(Fixture("speedscope/node.cpu-prof.cpuprofile.speedscope.json"));
  ASSERT_TRUE(ss.ok()) << ss.status();
  ExpectValidAndPprofRoundTrip(*ss);
  auto v8 = ParseV8CpuProfile(Fixture("node/out/node.cpu-prof.cpuprofile"));
  ASSERT_TRUE(v8.ok()) << v8.status();
  std::map<std::string, int64_t> theirs = SelfByFunction(*ss, 0), ours = SelfByFunction(*v8, 1);
  // speedscope drops (idle) samples (31294 µs) and gives the last sample (also idle here,
  // 2249 µs to endTime) no time; every other function's self time agrees to the µs.
  EXPECT_EQ(ours["(idle)"], (31294 + 2249) * 1000);
  EXPECT_EQ(theirs.count("(idle)"), 0u);
  EXPECT_EQ(ss->Total(0), v8->Total(1) - ours["(idle)"]);
  int64_t their_anonymous = 0;
  for (const auto& [name, ns] : theirs) {
    // speedscope names anonymous functions "(anonymous file:line)".
    if (name.starts_with("(anonymous")) {
      their_anonymous += ns;
      continue;
    }
    EXPECT_EQ(ns, ours[name]) << name;
  }
  EXPECT_EQ(their_anonymous, ours["(anonymous)"]);
}

TEST(SpeedscopeRealFileTest, SpeedscopesExportOfTheNodeHeapProfile) {
  auto ss = ParseSpeedscope(Fixture("speedscope/node.heap-prof.heapprofile.speedscope.json"));
  ASSERT_TRUE(ss.ok()) << ss.status();
  auto v8 = ParseV8HeapProfile(Fixture("node/out/node.heap-prof.heapprofile"));
  ASSERT_TRUE(v8.ok()) << v8.status();
  EXPECT_EQ(ss->Str(ss->sample_types[0].type), "space");
  EXPECT_EQ(ss->Total(0), 2216024);
  EXPECT_EQ(ss->Total(0), v8->Total(1));
  std::map<std::string, int64_t> ours = SelfByFunction(*v8, 1);
  for (const auto& [name, bytes] : SelfByFunction(*ss, 0)) {
    if (!name.starts_with("(anonymous")) {
      EXPECT_EQ(bytes, ours[name]) << name;
    }
  }
}

// speedscope's pprof importer keeps the last line of each location (the outermost function
// of an inlined chain); the expected stacks are built the same way from the pprof.
std::map<std::string, int64_t> ByStackLastLine(const profile::Profile& p, size_t vi) {
  std::map<std::string, int64_t> out;
  for (const profile::Sample& s : p.samples) {
    std::vector<std::string> names;
    auto stack = p.Stack(s);
    for (size_t i = stack.size(); i-- > 0;) {
      size_t n = p.Lines(p.locations[stack[i]]).size();
      if (n > 0) names.emplace_back(testing::FunctionName(p, stack[i], n - 1));
    }
    if (p.Values(s)[vi] != 0) out[testing::Join(names)] += p.Values(s)[vi];
  }
  return out;
}

TEST(SpeedscopeRealFileTest, SpeedscopesExportsOfPprofFiles) {
  for (const char* name : {"node/out/datadog.time.3s.pb.gz", "go/http/cpuburn.profile.3s.pb.gz"}) {
    SCOPED_TRACE(name);
    auto p = profile::DecodePprof(Fixture(name));
    ASSERT_TRUE(p.ok()) << p.status();
    std::string base = std::string(name).substr(std::string(name).rfind('/') + 1);
    auto ss = ParseSpeedscope(Fixture("speedscope/" + base + ".speedscope.json"));
    ASSERT_TRUE(ss.ok()) << ss.status();
    ExpectValidAndPprofRoundTrip(*ss);
    size_t vi = *profile::SampleIndexByName(*p, "");
    EXPECT_EQ(ss->Total(0), p->Total(vi));
    EXPECT_EQ(ByStack(*ss, 0), ByStackLastLine(*p, vi));
  }
}

}  // namespace
}  // namespace hearth::formats
