// Bad input to the V8 readers: each case must give a specific, actionable error, and none
// may crash or recurse (the trees and nesting here are far deeper than any C++ stack).

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "formats/v8.h"

namespace hearth::formats {
namespace {

using ::testing::HasSubstr;

std::string CpuError(std::string_view json, const V8Options& o = {}) {
  auto p = ParseV8CpuProfile(json, o);
  return p.ok() ? "ok" : std::string(p.status().message());
}

std::string HeapError(std::string_view json, const V8Options& o = {}) {
  auto p = ParseV8HeapProfile(json, o);
  return p.ok() ? "ok" : std::string(p.status().message());
}

// A .cpuprofile from node descriptions like {"id": 1, "children": [2]}; each gets a
// callFrame named f<id>.
std::string Cpu(const std::vector<std::string>& nodes, std::string_view rest = "") {
  std::string out = R"({"nodes": [)";
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::string node = nodes[i];
    node.insert(node.size() - 1, fmt::format(R"(, "callFrame": {{"functionName": "f{}"}})", i));
    out += (i ? "," : "") + node;
  }
  return out + "]" + std::string(rest) + "}";
}

TEST(V8CpuErrorsTest, MalformedJsonAndWrongShapes) {
  EXPECT_THAT(CpuError(""), HasSubstr("cpuprofile: invalid JSON"));
  EXPECT_THAT(CpuError("{\"nodes\": [}"), HasSubstr("cpuprofile: invalid JSON"));
  EXPECT_THAT(CpuError("\"nodes\""),
              HasSubstr("expected a JSON object with \"nodes\", found a string"));
  EXPECT_THAT(CpuError("{}"), HasSubstr("cpuprofile: no \"nodes\" array"));
  EXPECT_THAT(CpuError(R"({"nodes": {}})"), HasSubstr("nodes is an object, want an array"));
  EXPECT_THAT(CpuError(R"({"nodes": [3]})"), HasSubstr("nodes[0] is a number, want an object"));
  EXPECT_THAT(CpuError(R"({"nodes": [{"callFrame": {}}]})"), HasSubstr("nodes[0] has no id"));
  EXPECT_THAT(CpuError(R"({"nodes": [{"id": "1", "callFrame": {}}]})"),
              HasSubstr("nodes[0].id is not an integer"));
  EXPECT_THAT(CpuError(R"({"nodes": [{"id": 4}]})"), HasSubstr("node 4 has no callFrame"));
  EXPECT_THAT(CpuError(R"({"nodes": [{"id": 4, "callFrame": []}]})"),
              HasSubstr("node 4: callFrame is an array, want an object"));
  EXPECT_THAT(CpuError(R"({"nodes": [{"id": 4, "callFrame": {"functionName": 12}}]})"),
              HasSubstr("node 4: callFrame.functionName is a number, want a string"));
  EXPECT_THAT(CpuError(R"({"nodes": [{"id": 4, "callFrame": {"lineNumber": 1.5}}]})"),
              HasSubstr("node 4: callFrame.lineNumber is not an integer"));
  EXPECT_THAT(CpuError(Cpu({R"({"id": 1, "children": 2})"})),
              HasSubstr("nodes[0].children is a number, want an array"));
  EXPECT_THAT(CpuError(Cpu({R"({"id": 1, "hitCount": -1})"})),
              HasSubstr("nodes[0].hitCount is not a non-negative integer"));
  EXPECT_THAT(CpuError(Cpu({R"({"id": 1})"}, R"(, "startTime": "0")")),
              HasSubstr("startTime is a string, want a number of microseconds"));
}

TEST(V8CpuErrorsTest, BrokenGraphs) {
  EXPECT_THAT(CpuError(Cpu({R"({"id": 1})", R"({"id": 1})"})),
              HasSubstr("node id 1 appears twice in nodes"));
  EXPECT_THAT(CpuError(Cpu({R"({"id": 1, "children": [9]})"})),
              HasSubstr("node 1: child 9 is not in nodes"));
  EXPECT_THAT(CpuError(Cpu({R"({"id": 1, "children": ["2"]})", R"({"id": 2})"})),
              HasSubstr("node 1: children holds a string, want node ids"));
  EXPECT_THAT(CpuError(Cpu({R"({"id": 1, "parent": 7})"})),
              HasSubstr("node 1: parent 7 is not in nodes"));
  EXPECT_THAT(CpuError(Cpu({R"({"id": 1, "children": [1]})"})),
              HasSubstr("node 1 is its own parent"));
  EXPECT_THAT(CpuError(Cpu({R"({"id": 1, "children": [3]})", R"({"id": 2, "children": [3]})",
                            R"({"id": 3})"})),
              HasSubstr("node 3 has two parents, nodes 1 and 2"));
  // 2 -> 3 -> 2: a cycle, not reachable from the root 1.
  EXPECT_THAT(CpuError(Cpu({R"({"id": 1})", R"({"id": 2, "children": [3]})",
                            R"({"id": 3, "children": [2]})"})),
              HasSubstr("parent/children links form a cycle through node"));
  // The same cycle through parent links.
  EXPECT_THAT(CpuError(Cpu({R"({"id": 2, "parent": 3})", R"({"id": 3, "parent": 2})"})),
              HasSubstr("form a cycle through node"));
}

TEST(V8CpuErrorsTest, SamplesMustMatchTheTree) {
  std::vector<std::string> nodes = {R"({"id": 1, "children": [2]})", R"({"id": 2})"};
  EXPECT_THAT(CpuError(Cpu(nodes, R"(, "samples": [2, 2], "timeDeltas": [1])")),
              HasSubstr("samples has 2 entries but timeDeltas has 1"));
  EXPECT_THAT(CpuError(Cpu(nodes, R"(, "samples": [5], "timeDeltas": [1])")),
              HasSubstr("samples[0]: node 5 is not in nodes"));
  EXPECT_THAT(CpuError(Cpu(nodes, R"(, "samples": [2], "timeDeltas": ["1"])")),
              HasSubstr("timeDeltas[0] is a string, want a number"));
  EXPECT_THAT(CpuError(Cpu(nodes, R"(, "samples": [null], "timeDeltas": [1])")),
              HasSubstr("samples[0] is null, want a node id"));
  EXPECT_THAT(CpuError(Cpu(nodes, R"(, "samples": [2, 2],
                                     "timeDeltas": [9223372036854775807, 1])")),
              HasSubstr("timeDeltas[1]: the timestamps overflow"));
  EXPECT_THAT(CpuError(Cpu(nodes, R"(, "samples": [2, 2], "timeDeltas": [0, 9223372036854776])")),
              HasSubstr("sample 0: the time to the next sample does not fit in 64 bits"));
}

TEST(V8CpuErrorsTest, AbsurdDepthAndLimits) {
  // A chain of 20000 nodes through parent links: deeper than the 4096-frame limit.
  std::vector<std::string> chain;
  for (int i = 1; i <= 20000; ++i) {
    chain.push_back(i == 1 ? R"({"id": 1})"
                           : fmt::format(R"({{"id": {}, "parent": {}}})", i, i - 1));
  }
  std::string deep = Cpu(chain, R"(, "samples": [20000], "timeDeltas": [1])");
  EXPECT_THAT(CpuError(deep), HasSubstr("is deeper than the limit of 4096 frames"));
  V8Options o;
  o.max_stack_depth = 30000;
  auto p = ParseV8CpuProfile(deep, o);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->samples.size(), 1u);
  EXPECT_EQ(p->samples[0].depth, 20000u);  // f0 is not "(root)", so it is a frame too.
  o.max_output_frames = 1000;
  EXPECT_THAT(CpuError(deep, o), HasSubstr("exceed the limit of 1000 frames in total"));

  // JSON nested 100000 deep is refused by the parser, not by a stack overflow.
  std::string nested = "{\"nodes\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_THAT(CpuError(nested), HasSubstr("JSON nested deeper than the limit of 256 levels"));

  V8Options small;
  small.max_nodes = 1;
  EXPECT_THAT(CpuError(Cpu({R"({"id": 1})", R"({"id": 2})"}), small),
              HasSubstr("more than the limit of 1 nodes"));
  small = V8Options();
  small.max_samples = 1;
  EXPECT_THAT(
      CpuError(Cpu({R"({"id": 1})"}, R"(, "samples": [1, 1], "timeDeltas": [1, 1])"), small),
      HasSubstr("more than the limit of 1 samples"));
  small = V8Options();
  small.max_input_bytes = 8;
  EXPECT_THAT(CpuError(Cpu({R"({"id": 1})"}), small), HasSubstr("over the limit of 8 bytes"));
}

TEST(V8CpuErrorsTest, TraceEvents) {
  EXPECT_THAT(CpuError(R"([{"name": "other", "ph": "X"}])"),
              HasSubstr("the trace has no Profile, ProfileChunk or CpuProfile events"));
  EXPECT_THAT(CpuError(R"({"traceEvents": [{"name": "ProfileChunk", "id": "0x1", "args":
      {"data": {"cpuProfile": {"nodes": 5}}}}]})"),
              HasSubstr("ProfileChunk.nodes is a number, want an array (trace event 0)"));
  EXPECT_THAT(CpuError(R"([{"name": "CpuProfile", "args": {"data": {}}}])"),
              HasSubstr("event 0: CpuProfile without cpuProfile"));
}

// A heap tree nested `depth` levels (each node the only child of the one before), with 8
// bytes at every node, or only at the deepest.
std::string DeepHeap(int depth, bool leaf_only = false) {
  std::string open, close;
  for (int i = 1; i <= depth; ++i) {
    int size = !leaf_only || i == depth ? 8 : 0;
    open += fmt::format(R"({{"callFrame": {{"functionName": "f{}"}}, "selfSize": {}, "id": {},
                          "children": [)",
                        i, size, i);
    close += "]}";
  }
  return R"({"head": )" + open + close + "}";
}

TEST(V8HeapErrorsTest, ClearErrors) {
  EXPECT_THAT(HeapError("[1]"), HasSubstr("expected a JSON object with \"head\", found an array"));
  EXPECT_THAT(HeapError("{}"), HasSubstr("heapprofile: no \"head\" node"));
  EXPECT_THAT(HeapError(R"({"head": 1})"), HasSubstr("a node is a number, want an object"));
  EXPECT_THAT(HeapError(R"({"head": {"callFrame": {}}})"), HasSubstr("a node has no id"));
  EXPECT_THAT(HeapError(R"({"head": {"id": 1, "callFrame": {}, "selfSize": -5}})"),
              HasSubstr("node 1: selfSize is not a non-negative number"));
  EXPECT_THAT(HeapError(R"({"head": {"id": 1, "callFrame": {}, "children": {}}})"),
              HasSubstr("node 1: children is an object, want an array"));
  EXPECT_THAT(HeapError(R"({"head": {"id": 1, "callFrame": {}, "children": [
                 {"id": 1, "callFrame": {}}]}})"),
              HasSubstr("node id 1 appears twice"));
  // Two children with the same frame are one stack; their sum must fit in int64.
  EXPECT_THAT(HeapError(R"({"head": {"id": 1, "callFrame": {}, "children": [
                 {"id": 2, "callFrame": {}, "selfSize": 9e18},
                 {"id": 3, "callFrame": {}, "selfSize": 9e18}]}})"),
              HasSubstr("the samples' values add up to more than 64 bits can hold"));
  std::string ok_tree = R"({"head": {"id": 1, "callFrame": {}, "selfSize": 8}, "samples": )";
  EXPECT_THAT(HeapError(ok_tree + "3}"), HasSubstr("samples is a number, want an array"));
  EXPECT_THAT(HeapError(ok_tree + R"([{"size": 8}]})"),
              HasSubstr("samples[0].nodeId is missing or not an integer"));
  EXPECT_THAT(HeapError(ok_tree + R"([{"nodeId": 1, "size": "8"}]})"),
              HasSubstr("samples[0].size is missing or not a non-negative number"));
}

TEST(V8HeapErrorsTest, AbsurdDepth) {
  // 5000 levels: past the 4096-frame limit. The JSON is 10000 levels deep, so the parser's
  // own limit (2 * 4096 + 8) stops it first, with the error naming the limit.
  EXPECT_THAT(HeapError(DeepHeap(5000)), HasSubstr("JSON nested deeper than the limit of 8200"));
  V8Options o;
  o.max_stack_depth = 100;
  EXPECT_THAT(HeapError(DeepHeap(101), o),
              HasSubstr("node 100 has children deeper than the limit of 100 frames"));
  auto p = ParseV8HeapProfile(DeepHeap(100), o);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->Total(0), 800);
  // A tree this deep is walked without recursion.
  o.max_stack_depth = 50000;
  auto deep = ParseV8HeapProfile(DeepHeap(40000, /*leaf_only=*/true), o);
  ASSERT_TRUE(deep.ok()) << deep.status();
  EXPECT_EQ(deep->Total(0), 8);
  ASSERT_EQ(deep->samples.size(), 1u);
  EXPECT_EQ(deep->samples[0].depth, 40000u);
}

}  // namespace
}  // namespace hearth::formats
