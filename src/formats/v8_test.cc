#include "formats/v8.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <string>

#include "formats/json_test_util.h"
#include "formats/speedscope.h"
#include "profile/pprof_codec.h"

namespace hearth::formats {
namespace {

using ::testing::Contains;
using testing::ExpectValidAndPprofRoundTrip;
using testing::Fixture;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::SelfByFunction;

constexpr char kCpuFixture[] = "node/out/node.cpu-prof.cpuprofile";
constexpr char kHeapFixture[] = "node/out/node.heap-prof.heapprofile";

// What V8 itself wrote into the .cpuprofile, read with plain simdjson calls (no Hearth
// code): per function name the samples that land on it, the hitCount V8 counted, and the
// positionTicks V8 attributed to its lines.
struct V8Facts {
  size_t num_nodes = 0, num_samples = 0;
  int64_t start_us = 0, end_us = 0, first_delta_us = 0;
  std::map<std::string, int64_t> samples_by_function, hits_by_function, ticks_by_function;
};

V8Facts ReadFacts(const std::string& json) {
  V8Facts f;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json).value_unsafe();
  std::map<int64_t, std::string> names;
  simdjson::dom::array nodes = doc["nodes"].get_array().value_unsafe();
  simdjson::dom::array samples = doc["samples"].get_array().value_unsafe();
  for (simdjson::dom::element n : nodes) {
    std::string name(n["callFrame"]["functionName"].get_string().value_unsafe());
    if (name.empty()) name = "(anonymous)";
    names[n["id"].get_int64().value_unsafe()] = name;
    int64_t hits = 0;
    if (n["hitCount"].get(hits)) hits = 0;
    f.hits_by_function[name] += hits;
    simdjson::dom::array ticks;
    if (!n["positionTicks"].get(ticks)) {
      for (auto t : ticks) f.ticks_by_function[name] += t["ticks"].get_int64().value_unsafe();
    }
    ++f.num_nodes;
  }
  for (simdjson::dom::element s : samples) {
    ++f.samples_by_function[names[s.get_int64().value_unsafe()]];
    ++f.num_samples;
  }
  f.start_us = doc["startTime"].get_int64().value_unsafe();
  f.end_us = doc["endTime"].get_int64().value_unsafe();
  f.first_delta_us = doc["timeDeltas"].at(0).get_int64().value_unsafe();
  return f;
}

std::vector<std::string> FunctionNames(const profile::Profile& p) {
  std::vector<std::string> names;
  for (const profile::Function& f : p.functions) names.emplace_back(p.Str(f.name));
  return names;
}

TEST(V8CpuProfileTest, NodeFixtureTotalsAndFrames) {
  std::string json = Fixture(kCpuFixture);
  V8Facts facts = ReadFacts(json);
  ASSERT_EQ(facts.num_nodes, 193u);
  ASSERT_EQ(facts.num_samples, 1893u);

  auto p = ParseV8CpuProfile(json);
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectValidAndPprofRoundTrip(*p);
  ASSERT_EQ(p->sample_types.size(), 2u);
  EXPECT_EQ(p->Str(p->sample_types[1].type), "cpu");
  EXPECT_EQ(p->Str(p->sample_types[1].unit), "nanoseconds");
  EXPECT_EQ(p->Str(p->period_type.type), "cpu");
  EXPECT_EQ(p->Total(0), 1893);
  // Each sample lasts until the next; the last until endTime. So the total is the profiled
  // span less the gap before the first sample: 3060715 - 5863 µs.
  EXPECT_EQ(p->duration_nanos, (facts.end_us - facts.start_us) * 1000);
  EXPECT_EQ(p->Total(1), (facts.end_us - facts.start_us - facts.first_delta_us) * 1000);
  EXPECT_EQ(p->Total(1), 3054852000);
  // V8's clock is monotonic (startTime = 695 s since boot here), so no wall time is claimed.
  EXPECT_EQ(p->time_nanos, 0);
  // The median gap between samples estimates the interval (--cpu-prof-interval 1000 µs on a
  // busy VM).
  EXPECT_GE(p->period, 1'000'000);
  EXPECT_LE(p->period, 2'000'000);

  std::vector<std::string> names = FunctionNames(*p);
  EXPECT_THAT(names, Not(Contains("(root)")));
  EXPECT_THAT(names, Contains("(program)"));
  EXPECT_THAT(names, Contains("(idle)"));
  EXPECT_THAT(names, Contains("(garbage collector)"));
  EXPECT_THAT(names, Contains("(anonymous)"));
  EXPECT_THAT(names, Not(Contains("")));

  // sortRows is declared on line 18 of workload.js; V8 says lineNumber 17, columnNumber 17.
  bool found = false;
  for (const profile::Location& loc : p->locations) {
    const profile::Line& ln = p->Lines(loc)[0];
    if (p->Str(p->functions[ln.function].name) != "sortRows") continue;
    found = true;
    EXPECT_EQ(ln.line, 18);
    EXPECT_EQ(ln.column, 18);
    EXPECT_EQ(p->functions[ln.function].start_line, 18);
    EXPECT_EQ(p->Str(p->functions[ln.function].filename), "file:///opt/fixtures/node/workload.js");
  }
  EXPECT_TRUE(found);
}

TEST(V8CpuProfileTest, NodeFixtureTopFunctionsAgreeWithV8sOwnCounts) {
  std::string json = Fixture(kCpuFixture);
  V8Facts facts = ReadFacts(json);
  auto p = ParseV8CpuProfile(json);
  ASSERT_TRUE(p.ok()) << p.status();
  std::map<std::string, int64_t> self_count = SelfByFunction(*p, 0);
  std::map<std::string, int64_t> self_ns = SelfByFunction(*p, 1);

  // Sample counts per function equal a direct count over samples[].
  EXPECT_EQ(self_count, facts.samples_by_function);

  // The top self functions by cpu time, and their shares.
  std::vector<std::pair<int64_t, std::string>> top;
  for (const auto& [name, ns] : self_ns) top.emplace_back(ns, name);
  std::sort(top.rbegin(), top.rend());
  ASSERT_GE(top.size(), 6u);
  std::vector<std::string> top_names;
  for (size_t i = 0; i < 6; ++i) top_names.push_back(top[i].second);
  EXPECT_THAT(top_names, ::testing::ElementsAre("sortRows", "(anonymous)", "parseRecord",
                                                "(garbage collector)", "Hash", "fib"));
  // Exact values (µs -> ns), the same that speedscope computes from this file (see
  // speedscope_test.cc, which reads speedscope's own export of it).
  EXPECT_EQ(self_ns["sortRows"], 910777000);
  EXPECT_EQ(self_ns["parseRecord"], 481930000);
  EXPECT_NEAR(static_cast<double>(self_ns["sortRows"]) / p->Total(1), 0.298, 0.001);

  // V8's own per-node hitCount (and the positionTicks it spreads over lines) agree with the
  // samples within one tick for JS functions; "(program)" is the exception V8 is known for:
  // its hitCount counts ticks it never emits as samples.
  for (std::string name : {"sortRows", "parseRecord", "(garbage collector)", "fib", "handleSearch",
                           "Hash", "digest", "(idle)"}) {
    SCOPED_TRACE(name);
    EXPECT_NEAR(self_count[name], facts.hits_by_function[name], 1);
  }
  EXPECT_EQ(facts.ticks_by_function["sortRows"], facts.hits_by_function["sortRows"]);
  EXPECT_EQ(facts.ticks_by_function["parseRecord"], facts.hits_by_function["parseRecord"]);
  EXPECT_EQ(self_count["(program)"], 9);
  EXPECT_EQ(facts.hits_by_function["(program)"], 66);
}

TEST(V8CpuProfileTest, SameWorkloadsFunctionsAppearInDatadogPprof) {
  // datadog.time.3s.pb.gz profiled the same workload.js in another run (wall time, 27
  // samples), so only names can be compared: the workload's top functions are in both.
  auto p = ParseV8CpuProfile(Fixture(kCpuFixture));
  ASSERT_TRUE(p.ok()) << p.status();
  auto dd = profile::DecodePprof(Fixture("node/out/datadog.time.3s.pb.gz"));
  ASSERT_TRUE(dd.ok()) << dd.status();
  std::vector<std::string> ours = FunctionNames(*p), theirs = FunctionNames(*dd);
  for (std::string name :
       {"sortRows", "parseRecord", "fib", "hashPayload", "handleSearch", "handleCheckout",
        "handleReport", "runChunk", "step", "processImmediate", "cacheResult", "digest"}) {
    SCOPED_TRACE(name);
    EXPECT_THAT(ours, Contains(name));
    EXPECT_THAT(theirs, Contains(name));
  }
}

// root(1) -> a(2) -> b(3); samples b, a, b at t = 10, 30, 60; endTime 100.
constexpr char kSmall[] = R"json({
  "nodes": [
    {"id": 1, "callFrame": {"functionName": "(root)", "scriptId": "0", "url": "",
                            "lineNumber": -1, "columnNumber": -1}, "children": [2]},
    {"id": 2, "callFrame": {"functionName": "a", "url": "file:///x.js", "lineNumber": 0,
                            "columnNumber": 4}, "children": [3]},
    {"id": 3, "callFrame": {"functionName": "", "url": "file:///x.js", "lineNumber": 9}}],
  "startTime": 0, "endTime": 100, "samples": [3, 2, 3], "timeDeltas": [10, 20, 30]})json";

TEST(V8CpuProfileTest, WeightsAreTimeToNextSampleAndLastRunsToEndTime) {
  auto p = ParseV8CpuProfile(kSmall);
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectValidAndPprofRoundTrip(*p);
  std::map<std::string, int64_t> by_stack = testing::ByStack(*p, 1);
  EXPECT_EQ(by_stack["a"], 30'000);              // 30 -> 60
  EXPECT_EQ(by_stack["a;(anonymous)"], 60'000);  // 10 -> 30, and 60 -> endTime 100
  EXPECT_EQ(testing::ByStack(*p, 0)["a;(anonymous)"], 2);
  EXPECT_EQ(p->duration_nanos, 100'000);
  EXPECT_EQ(p->period, 30'000);  // Median of the gaps 20 and 30.
  // Positions become 1-based; unknown ones 0.
  for (const profile::Location& loc : p->locations) {
    const profile::Line& ln = p->Lines(loc)[0];
    std::string_view name = p->Str(p->functions[ln.function].name);
    if (name == "a") {
      EXPECT_EQ(ln.line, 1);
      EXPECT_EQ(ln.column, 5);
    } else {
      EXPECT_EQ(name, "(anonymous)");
      EXPECT_EQ(ln.line, 10);
      EXPECT_EQ(ln.column, 0);
    }
  }
}

TEST(V8CpuProfileTest, NegativeDeltasAreClamped) {
  // Raw timestamps 10, 60, 40, 70: the third sample is out of order. With a running maximum
  // they are 10, 60, 60, 70; no weight is negative and the total is still 70 - 10 (+ the
  // last sample's 0, since endTime is not after it).
  auto p = ParseV8CpuProfile(R"json({"nodes": [
      {"id": 1, "callFrame": {"functionName": "(root)"}, "children": [2, 3]},
      {"id": 2, "callFrame": {"functionName": "x"}},
      {"id": 3, "callFrame": {"functionName": "y"}}],
    "startTime": 0, "endTime": 65, "samples": [2, 3, 2, 3],
    "timeDeltas": [10, 50, -20, 30]})json");
  ASSERT_TRUE(p.ok()) << p.status();
  std::map<std::string, int64_t> by_stack = testing::ByStack(*p, 1);
  EXPECT_EQ(by_stack["x"], 50'000 + 10'000);
  EXPECT_EQ(by_stack["y"], 0);
  EXPECT_EQ(p->Total(1), 60'000);
  EXPECT_EQ(p->Total(0), 4);
}

TEST(V8CpuProfileTest, ParentLinksInsteadOfChildren) {
  auto p = ParseV8CpuProfile(R"json({"nodes": [
      {"id": 7, "callFrame": {"functionName": "leaf"}, "parent": 5},
      {"id": 1, "callFrame": {"functionName": "(root)"}},
      {"id": 5, "callFrame": {"functionName": "main"}, "parent": 1}],
    "startTime": 0, "endTime": 10, "samples": [7], "timeDeltas": [0]})json");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(testing::ByStack(*p, 1)["main;leaf"], 10'000);
}

TEST(V8CpuProfileTest, HitCountsWhenThereAreNoSamples) {
  auto p = ParseV8CpuProfile(R"json({"nodes": [
      {"id": 1, "callFrame": {"functionName": "(root)"}, "children": [2, 3], "hitCount": 0},
      {"id": 2, "callFrame": {"functionName": "x"}, "hitCount": 3},
      {"id": 3, "callFrame": {"functionName": "y"}, "hitCount": 1}],
    "startTime": 1000, "endTime": 5000})json");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->Total(0), 4);
  EXPECT_EQ(testing::ByStack(*p, 1)["x"], 3'000'000);  // 4 ms over 4 hits.
  EXPECT_EQ(p->period, 1'000'000);
}

TEST(V8CpuProfileTest, ChromeTraceEvents) {
  // Two threads; the first profile arrives in two chunks with parent links.
  constexpr char kTrace[] = R"json({"traceEvents": [
    {"pid": 1, "tid": 5, "ph": "M", "name": "thread_name", "args": {"name": "CrRendererMain"}},
    {"pid": 1, "tid": 5, "ph": "P", "name": "Profile", "id": "0x1",
     "args": {"data": {"startTime": 1000}}},
    {"pid": 1, "tid": 9, "ph": "P", "name": "ProfileChunk", "id": "0x1",
     "args": {"data": {"cpuProfile": {"nodes": [
        {"id": 1, "callFrame": {"functionName": "(root)"}},
        {"id": 2, "callFrame": {"functionName": "main", "url": "a.js"}, "parent": 1}],
       "samples": [2, 2]}, "timeDeltas": [5, 10]}}},
    {"pid": 1, "tid": 9, "ph": "P", "name": "ProfileChunk", "id": "0x1",
     "args": {"data": {"cpuProfile": {"nodes": [
        {"id": 3, "callFrame": {"functionName": "f", "url": "a.js"}, "parent": 2}],
       "samples": [3]}, "timeDeltas": [20], "endTime": 1050}}},
    {"pid": 1, "tid": 6, "ph": "P", "name": "Profile", "id": "0x2",
     "args": {"data": {"startTime": 1000}}},
    {"pid": 1, "tid": 9, "ph": "P", "name": "ProfileChunk", "id": "0x2",
     "args": {"data": {"cpuProfile": {"nodes": [
        {"id": 1, "callFrame": {"functionName": "(root)"}},
        {"id": 2, "callFrame": {"functionName": "worker"}, "parent": 1}],
       "samples": [2]}, "timeDeltas": [1], "endTime": 1004}}}]})json";
  ASSERT_TRUE(LooksLikeV8CpuProfile(kTrace));
  auto p = ParseV8CpuProfile(kTrace);
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectValidAndPprofRoundTrip(*p);
  std::map<std::string, int64_t> by_stack = testing::ByStack(*p, 1, "thread");
  // Samples at 1005, 1015, 1035; endTime 1050.
  EXPECT_EQ(by_stack["CrRendererMain|main"], 10'000 + 20'000);
  EXPECT_EQ(by_stack["CrRendererMain|main;f"], 15'000);
  EXPECT_EQ(by_stack["1:6|worker"], 3'000);  // No thread_name: pid:tid.
  EXPECT_EQ(p->duration_nanos, 50'000);
  // A bare array of events works too.
  std::string events(kTrace);
  events = events.substr(events.find('['), events.rfind(']') - events.find('[') + 1);
  auto q = ParseV8CpuProfile(events);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->Total(1), p->Total(1));
}

// --- heap profiles -----------------------------------------------------------------------

TEST(V8HeapProfileTest, NodeFixture) {
  std::string json = Fixture(kHeapFixture);
  // Facts from the file itself (plain simdjson): the sizes of the 70 samples, the selfSize
  // of every node, and which sample names a node that is in the tree.
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json).value_unsafe();
  std::map<int64_t, int64_t> self_size;
  std::map<std::string, int64_t> self_by_name;
  std::vector<simdjson::dom::element> todo = {doc["head"].value_unsafe()};
  while (!todo.empty()) {
    simdjson::dom::element n = todo.back();
    todo.pop_back();
    int64_t size = n["selfSize"].get_int64().value_unsafe();
    self_size[n["id"].get_int64().value_unsafe()] = size;
    std::string name(n["callFrame"]["functionName"].get_string().value_unsafe());
    self_by_name[name.empty() ? "(anonymous)" : name] += size;
    simdjson::dom::array children = n["children"].get_array().value_unsafe();
    for (auto c : children) todo.push_back(c);
  }
  int64_t sample_bytes = 0, attributed_bytes = 0, attributed = 0, num_samples = 0;
  std::map<int64_t, int64_t> sample_bytes_by_node;
  simdjson::dom::array samples = doc["samples"].get_array().value_unsafe();
  for (auto s : samples) {
    int64_t size = s["size"].get_int64().value_unsafe();
    int64_t node = s["nodeId"].get_int64().value_unsafe();
    ++num_samples;
    sample_bytes += size;
    if (self_size.count(node)) {
      ++attributed;
      attributed_bytes += size;
      sample_bytes_by_node[node] += size;
    }
  }
  int64_t self_total = 0;
  for (const auto& [id, size] : self_size) self_total += size;
  ASSERT_EQ(num_samples, 70);
  // V8's invariant "sum of sample sizes = sum of selfSize" holds only approximately in this
  // real file: 3 samples (109616 bytes) name node 486, which the tree does not have, and six
  // nodes' selfSize is 32-128 bytes below their samples' sizes (368 bytes in all).
  EXPECT_EQ(self_total, 2216024);
  EXPECT_EQ(sample_bytes, 2326008);
  EXPECT_EQ(sample_bytes - attributed_bytes, 109616);
  EXPECT_EQ(attributed_bytes - self_total, 368);
  for (const auto& [id, bytes] : sample_bytes_by_node) {
    EXPECT_NEAR(bytes, self_size[id], 0.001 * self_size[id]) << "node " << id;
  }

  auto p = ParseV8HeapProfile(json);
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectValidAndPprofRoundTrip(*p);
  ASSERT_EQ(p->sample_types.size(), 2u);
  EXPECT_EQ(p->Str(p->sample_types[0].type), "objects");
  EXPECT_EQ(p->Str(p->sample_types[1].type), "space");
  EXPECT_EQ(p->Str(p->sample_types[1].unit), "bytes");
  EXPECT_EQ(p->Str(p->default_sample_type), "space");
  EXPECT_EQ(p->Total(1), self_total);
  EXPECT_EQ(p->Total(0), attributed);
  EXPECT_EQ(attributed, 67);
  ASSERT_EQ(p->comments.size(), 1u);
  EXPECT_EQ(p->Str(p->comments[0]),
            "3 samples (109616 bytes) name nodes missing from the tree and are not attributed");

  // Top allocation sites by self bytes match the tree's own selfSize sums.
  std::map<std::string, int64_t> self = SelfByFunction(*p, 1);
  self_by_name.erase("(root)");
  for (auto it = self_by_name.begin(); it != self_by_name.end();) {
    it = it->second == 0 ? self_by_name.erase(it) : std::next(it);
  }
  EXPECT_EQ(self, self_by_name);
  std::vector<std::pair<int64_t, std::string>> top;
  for (const auto& [name, bytes] : self) top.emplace_back(bytes, name);
  std::sort(top.rbegin(), top.rend());
  ASSERT_GE(top.size(), 3u);
  // String.prototype.repeat in cacheResult and parseRecord's JSON round trip lead.
  EXPECT_EQ(top[0], std::make_pair(int64_t{524576}, std::string("repeat")));
  EXPECT_EQ(top[1], std::make_pair(int64_t{295128}, std::string("parseRecord")));
}

TEST(V8HeapProfileTest, WithoutSamplesOnlyBytes) {
  auto p = ParseV8HeapProfile(R"json({"head": {"callFrame": {"functionName": "(root)"},
      "selfSize": 0, "id": 1, "children": [
        {"callFrame": {"functionName": "main", "url": "m.js", "lineNumber": 2}, "selfSize": 64,
         "id": 2, "children": [
           {"callFrame": {"functionName": "alloc"}, "selfSize": 1024, "id": 3, "children": []}]},
        {"callFrame": {"functionName": "idle"}, "selfSize": 0, "id": 4, "children": []}]}})json");
  ASSERT_TRUE(p.ok()) << p.status();
  ExpectValidAndPprofRoundTrip(*p);
  ASSERT_EQ(p->sample_types.size(), 1u);
  EXPECT_EQ(p->Str(p->sample_types[0].type), "space");
  std::map<std::string, int64_t> by_stack = testing::ByStack(*p, 0);
  EXPECT_EQ(by_stack, (std::map<std::string, int64_t>{{"main", 64}, {"main;alloc", 1024}}));
}

TEST(V8SniffTest, TellsTheJsonFormatsApart) {
  std::string cpu = Fixture(kCpuFixture), heap = Fixture(kHeapFixture);
  std::string ss = Fixture("speedscope/node.cpu-prof.cpuprofile.speedscope.json");
  EXPECT_TRUE(LooksLikeV8CpuProfile(cpu));
  EXPECT_FALSE(LooksLikeV8HeapProfile(cpu));
  EXPECT_FALSE(LooksLikeSpeedscope(cpu));
  EXPECT_TRUE(LooksLikeV8HeapProfile(heap));
  EXPECT_FALSE(LooksLikeV8CpuProfile(heap));
  EXPECT_FALSE(LooksLikeSpeedscope(heap));
  EXPECT_TRUE(LooksLikeSpeedscope(ss));
  EXPECT_FALSE(LooksLikeV8CpuProfile(ss));
  EXPECT_FALSE(LooksLikeV8HeapProfile(ss));
  std::string pprof = Fixture("node/out/datadog.heap.pb.gz");
  for (std::string_view other : {std::string_view(pprof), std::string_view("main;f 3\n"),
                                 std::string_view("{}"), std::string_view("")}) {
    EXPECT_FALSE(LooksLikeV8CpuProfile(other));
    EXPECT_FALSE(LooksLikeV8HeapProfile(other));
    EXPECT_FALSE(LooksLikeSpeedscope(other));
  }
}

}  // namespace
}  // namespace hearth::formats
