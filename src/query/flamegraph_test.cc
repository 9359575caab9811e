#include "query/flamegraph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "base/fmt.h"
#include "profile/builder.h"
#include "query/flamebearer.h"

namespace hearth::query {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Stack {
  std::vector<std::string> frames;  // leaf first, as pprof and Pyroscope's tests write them
  int64_t value;
};

profile::Profile ProfileOf(const std::vector<Stack>& stacks) {
  profile::ProfileBuilder b;
  b.profile().sample_types.push_back({b.Str("cpu"), b.Str("nanoseconds")});
  for (const Stack& s : stacks) {
    std::vector<uint32_t> locs;
    for (const std::string& f : s.frames) locs.push_back(b.AddFrame(f));
    b.AddSample(locs, {&s.value, 1});
  }
  return b.Finish();
}

FlameTree TreeOf(const std::vector<Stack>& stacks) {
  return FlameTree::FromProfile(ProfileOf(stacks), 0);
}

// "a;b;c self/total" per node in pre-order: shows structure, order and values at once.
std::vector<std::string> Dump(const FlameTree& t) {
  std::vector<std::string> out;
  std::vector<std::string> path(t.nodes().size());
  std::vector<uint32_t> parent(t.nodes().size(), 0);
  for (uint32_t i = 0; i < t.nodes().size(); ++i) {
    const auto& n = t.nodes()[i];
    for (uint32_t c = n.first_child; c < n.first_child + n.num_children; ++c) parent[c] = i;
  }
  for (uint32_t i : t.PreOrder()) {
    if (i == 0) continue;
    const auto& n = t.nodes()[i];
    path[i] = (parent[i] == 0 ? "" : path[parent[i]] + ";") + std::string(t.name(n));
    out.push_back(fmt::format("{} {}/{}", path[i], n.self, n.total));
  }
  return out;
}

// Pyroscope's Test_ExportToFlamebearer tree.
const std::vector<Stack> kAbcde = {
    {{"e", "b", "a"}, 1},
    {{"c", "a"}, 2},
    {{"d", "c", "a"}, 1},
};

// Pyroscope's truncation tree (Test_Tree_MarshalUnmarshal).
const std::vector<Stack> kNine = {
    {{"c", "b", "a"}, 1},   {{"c", "b", "a"}, 1},   {{"c1", "b", "a"}, 1},
    {{"c", "b1", "a"}, 1},  {{"c1", "b1", "a"}, 1}, {{"c", "b", "a1"}, 1},
    {{"c1", "b", "a1"}, 1}, {{"c", "b1", "a1"}, 1}, {{"c1", "b1", "a1"}, 1},
};

TEST(FlameTreeTest, ChildrenInNameOrderWithTotals) {
  FlameTree t = TreeOf({{{"zz", "main"}, 1}, {{"aa", "main"}, 2}, {{"B", "main"}, 3}, {{"x"}, 4}});
  // Bytewise order: "B" < "aa" < "zz".
  EXPECT_THAT(Dump(t),
              ElementsAre("main 0/6", "main;B 3/3", "main;aa 2/2", "main;zz 1/1", "x 4/4"));
  EXPECT_EQ(t.total(), 10);
  EXPECT_EQ(t.size(), 5u);
}

TEST(FlameTreeTest, MinValueIsTheMaxNodesThLargestTotal) {
  // Pyroscope's Test_Tree_minValue.
  FlameTree t = TreeOf(
      {{{"c", "b", "a"}, 1}, {{"c", "b", "a"}, 1}, {{"c1", "b", "a"}, 1}, {{"c", "b1", "a"}, 1}});
  EXPECT_EQ(t.MinValue(2), 3);
  EXPECT_EQ(t.MinValue(INT64_MAX), 0);
  EXPECT_EQ(t.MinValue(0), 0);
  EXPECT_EQ(t.MinValue(-1), 0);
}

TEST(FlameTreeTest, TruncateFoldsSmallChildrenIntoOther) {
  FlameTree t = TreeOf(kNine).Truncate(3);
  // Pyroscope's expectation: (other,b,a):3, (other,a):2, (other,a1):4.
  EXPECT_THAT(Dump(t), ElementsAre("a 0/5", "a;b 0/3", "a;b;other 3/3", "a;other 2/2", "a1 0/4",
                                   "a1;other 4/4"));
}

TEST(FlameTreeTest, TruncateMergesIntoAnExistingOther) {
  FlameTree t = TreeOf({{{"big", "r"}, 10},
                        {{"other", "r"}, 1},
                        {{"x", "other", "r"}, 1},
                        {{"small", "r"}, 2},
                        {{"tiny", "r"}, 1}});
  // 6 nodes; keep 3 -> min value 2 (r 15, big 10, then other and small at 2). The existing
  // "other" stays whatever its size, absorbs "tiny", and its own small child is folded too.
  EXPECT_THAT(Dump(t.Truncate(3)), ElementsAre("r 0/15", "r;big 10/10", "r;other 2/3",
                                               "r;other;other 1/1", "r;small 2/2"));
}

TEST(FlameTreeTest, TreeBytesExact) {
  FlameTree t = TreeOf({{{"b", "a"}, 1}, {{"c", "a"}, 2}});
  // Pre-order from the virtual root, last child first: "" 0 [1] a 0 [2] c 2 [0] b 1 [0].
  const std::string want(
      "\x00\x00\x01"
      "\x01"
      "a\x00\x02"
      "\x01"
      "c\x02\x00"
      "\x01"
      "b\x01\x00",
      15);
  EXPECT_EQ(t.TreeBytes(), want);
  EXPECT_EQ(FlameTree().TreeBytes(), "");
}

TEST(FlameTreeTest, TreeBytesRoundTrip) {
  FlameTree full = TreeOf(kNine);
  auto back = FlameTree::FromTreeBytes(full.TreeBytes());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(Dump(*back), Dump(full));
  auto truncated = FlameTree::FromTreeBytes(full.Truncate(3).TreeBytes());
  ASSERT_TRUE(truncated.ok());
  EXPECT_EQ(Dump(*truncated), Dump(full.Truncate(3)));
  // Garbage is an error, not a crash or a huge allocation.
  EXPECT_FALSE(FlameTree::FromTreeBytes("\x05zz").ok());
  EXPECT_FALSE(FlameTree::FromTreeBytes(std::string("\x00\x00\xff\xff\xff\x0f", 6)).ok());
}

TEST(FlameGraphTest, MatchesPyroscopeExport) {
  FlameGraph fg = NewFlameGraph(TreeOf(kAbcde), -1);
  EXPECT_THAT(fg.names, ElementsAre("total", "a", "c", "d", "b", "e"));
  ASSERT_EQ(fg.levels.size(), 4u);
  EXPECT_THAT(fg.levels[0], ElementsAre(0, 4, 0, 0));
  EXPECT_THAT(fg.levels[1], ElementsAre(0, 4, 0, 1));
  EXPECT_THAT(fg.levels[2], ElementsAre(0, 1, 0, 4, 0, 3, 2, 2));
  EXPECT_THAT(fg.levels[3], ElementsAre(0, 1, 1, 5, 2, 1, 1, 3));
  EXPECT_EQ(fg.total, 4);
  EXPECT_EQ(fg.max_self, 2);
}

TEST(FlameGraphTest, MaxNodesFoldsIntoOther) {
  FlameGraph fg = NewFlameGraph(TreeOf(kNine), 3);
  EXPECT_THAT(fg.names, ElementsAre("total", "a1", "other", "a", "b"));
  ASSERT_EQ(fg.levels.size(), 4u);
  EXPECT_THAT(fg.levels[0], ElementsAre(0, 9, 0, 0));
  EXPECT_THAT(fg.levels[1], ElementsAre(0, 5, 0, 3, 0, 4, 0, 1));
  EXPECT_THAT(fg.levels[2], ElementsAre(0, 3, 0, 4, 0, 2, 2, 2, 0, 4, 4, 2));
  EXPECT_THAT(fg.levels[3], ElementsAre(0, 3, 3, 2));
  EXPECT_EQ(fg.total, 9);
  EXPECT_EQ(fg.max_self, 4);
}

TEST(FlameGraphTest, SelfComesBeforeChildrenAndGapsAreDeltas) {
  // main has self 5, so its children start at x = 5; "b" leaves a gap after "a" at level 2.
  FlameGraph fg = NewFlameGraph(
      TreeOf({{{"main"}, 5}, {{"a", "main"}, 2}, {{"x", "b", "main"}, 1}, {{"b", "main"}, 3}}), 0);
  EXPECT_THAT(fg.names, ElementsAre("total", "main", "b", "x", "a"));
  EXPECT_THAT(fg.levels[1], ElementsAre(0, 11, 5, 1));
  // a at x=5 (delta 5), b at x=7 (delta 0).
  EXPECT_THAT(fg.levels[2], ElementsAre(5, 2, 2, 4, 0, 4, 3, 2));
  // x under b: b's x 7 + b's self 3 = 10.
  EXPECT_THAT(fg.levels[3], ElementsAre(10, 1, 1, 3));
  EXPECT_EQ(fg.max_self, 5);
}

TEST(FlameGraphTest, EmptyTree) {
  FlameGraph fg = NewFlameGraph(FlameTree(), 0);
  EXPECT_THAT(fg.names, ElementsAre("total"));
  ASSERT_EQ(fg.levels.size(), 1u);
  EXPECT_THAT(fg.levels[0], ElementsAre(0, 0, 0, 0));
}

TEST(FlameGraphTest, ValidateMaxNodes) {
  EXPECT_EQ(*ValidateMaxNodes(0), 8192);
  EXPECT_EQ(*ValidateMaxNodes(5), 5);
  EXPECT_EQ(*ValidateMaxNodes(1048576), 1048576);
  auto big = ValidateMaxNodes(1048577);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(big.status().message()), HasSubstr("greater than allowed 1048576"));
  EXPECT_FALSE(ValidateMaxNodes(-1).ok());
}

TEST(FlameGraphDiffTest, SameShape) {
  auto d = NewFlameGraphDiff(TreeOf({{{"b", "a"}, 1}, {{"c", "a"}, 2}}),
                             TreeOf({{{"b", "a"}, 4}, {{"c", "a"}, 8}}), 1024);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(d->names, ElementsAre("total", "a", "c", "b"));
  EXPECT_EQ(d->max_self, 8);
  EXPECT_EQ(d->total, 15);
  EXPECT_EQ(d->left_ticks, 3);
  EXPECT_EQ(d->right_ticks, 12);
  ASSERT_EQ(d->levels.size(), 3u);
  EXPECT_THAT(d->levels[0], ElementsAre(0, 3, 0, 0, 12, 0, 0));
  EXPECT_THAT(d->levels[1], ElementsAre(0, 3, 0, 0, 12, 0, 1));
  EXPECT_THAT(d->levels[2], ElementsAre(0, 1, 1, 0, 4, 4, 3, 0, 2, 2, 0, 8, 8, 2));
}

TEST(FlameGraphDiffTest, DifferentShapes) {
  auto d = NewFlameGraphDiff(TreeOf({{{"b", "a"}, 1}, {{"c", "a"}, 2}, {{"e", "a"}, 3}}),
                             TreeOf({{{"b", "a"}, 4}, {{"d", "a"}, 8}, {{"e", "a"}, 12}}), 1024);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(d->names, ElementsAre("total", "a", "e", "d", "c", "b"));
  EXPECT_EQ(d->max_self, 12);
  EXPECT_EQ(d->total, 30);
  EXPECT_THAT(d->levels[2], ElementsAre(0, 1, 1, 0, 4, 4, 5,      // b
                                        0, 2, 2, 0, 0, 0, 4,      // c (left only)
                                        0, 0, 0, 0, 8, 8, 3,      // d (right only)
                                        0, 3, 3, 0, 12, 12, 2));  // e
}

TEST(FlameGraphDiffTest, MaxNodes) {
  FlameTree l = TreeOf({{{"b", "a"}, 1}, {{"c", "a"}, 2}});
  FlameTree r = TreeOf({{{"b", "a"}, 4}, {{"c", "a"}, 8}});
  auto two = NewFlameGraphDiff(l, r, 2);
  ASSERT_TRUE(two.ok());
  EXPECT_THAT(two->names, ElementsAre("total", "a", "other"));
  EXPECT_EQ(two->max_self, 12);
  EXPECT_THAT(two->levels[2], ElementsAre(0, 3, 3, 0, 12, 12, 2));
  for (int64_t n : {INT64_MAX, int64_t{-1}}) {
    auto all = NewFlameGraphDiff(l, r, n);
    ASSERT_TRUE(all.ok());
    EXPECT_THAT(all->names, ElementsAre("total", "a", "c", "b"));
    EXPECT_EQ(all->max_self, 8);
  }
}

TEST(FlameGraphDiffTest, NegativeValuesAreRejected) {
  auto d = NewFlameGraphDiff(TreeOf({{{"b", "a"}, 1}, {{"c", "a"}, -2}}), TreeOf({{{"b", "a"}, 4}}),
                             1024);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(d.status().message()), "left tree requires only positive values");
}

TEST(FlameGraphDiffTest, NoCommonRoot) {
  auto d = NewFlameGraphDiff(TreeOf({{{"b", "a"}, 1}}), TreeOf({{{"c", "a", "b", "k"}, 8}}), 1024);
  ASSERT_TRUE(d.ok());
  // k (right only) is the rightmost root child, so its path names come first.
  EXPECT_THAT(d->names, ElementsAre("total", "k", "b", "a", "c"));
  EXPECT_THAT(d->levels[1], ElementsAre(0, 1, 0, 0, 0, 0, 3, 0, 0, 0, 0, 8, 0, 1));
}

TEST(FunctionTableTest, CumCountsRecursionOnce) {
  FlameTree t = TreeOf({{{"a", "b", "a"}, 2}, {{"a"}, 1}, {{"c", "b"}, 4}});
  std::vector<std::string> rows;
  for (const FunctionTotals& f : FunctionTable(t)) {
    rows.push_back(fmt::format("{} {} {}", f.name, f.flat, f.cum));
  }
  EXPECT_THAT(rows, ElementsAre("a 3 3", "b 0 6", "c 4 4"));
}

// A wide and deep random tree: every encoding stays linear (the product promises queries in
// milliseconds), and the levels stay consistent: each node lies inside its parent.
TEST(FlameGraphTest, LargeTreeIsFastAndConsistent) {
  std::mt19937 rng(42);
  std::vector<Stack> stacks;
  for (int i = 0; i < 40000; ++i) {
    Stack s;
    const int depth = 1 + static_cast<int>(rng() % 12);
    for (int d = 0; d < depth; ++d)
      s.frames.push_back(fmt::format("f{}", rng() % (d < 3 ? 8 : 400)));
    s.value = 1 + static_cast<int64_t>(rng() % 1000);
    stacks.push_back(std::move(s));
  }
  const profile::Profile p = ProfileOf(stacks);
  const auto start = std::chrono::steady_clock::now();
  FlameTree t = FlameTree::FromProfile(p, 0);
  ASSERT_GT(t.size(), 100000u);
  FlameGraph all = NewFlameGraph(t, 0);
  FlameGraph cut = NewFlameGraph(t.Truncate(8192), 8192);
  std::string bytes = t.Truncate(8192).TreeBytes();
  auto d = NewFlameGraphDiff(t, t.Truncate(1000), 8192);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  ASSERT_TRUE(d.ok());
  std::cout << t.size() << " nodes: tree + 2 flame graphs + tree bytes + diff in " << ms << " ms\n";
  EXPECT_LT(ms, 3000);  // generous for sanitizer builds; typically tens of ms

  for (const FlameGraph* fg : {&all, &cut}) {
    EXPECT_EQ(fg->total, t.total());
    // Decode x offsets and check every node of level i+1 starts inside some node of level i.
    std::vector<std::pair<int64_t, int64_t>> prev = {{0, fg->total}};
    for (const auto& level : fg->levels) {
      std::vector<std::pair<int64_t, int64_t>> spans;
      int64_t x_end = 0;
      size_t parent = 0;
      for (size_t i = 0; i < level.size(); i += 4) {
        const int64_t x = x_end + level[i];
        ASSERT_GE(level[i], 0);
        while (parent < prev.size() && prev[parent].first + prev[parent].second <= x) ++parent;
        ASSERT_LT(parent, prev.size());
        ASSERT_LE(x + level[i + 1], prev[parent].first + prev[parent].second);
        spans.emplace_back(x, level[i + 1]);
        x_end = x + level[i + 1];
      }
      prev = std::move(spans);
    }
  }
  EXPECT_LE(cut.names.size(), all.names.size() + 1);  // + "other"
  size_t cut_nodes = 0;
  for (const auto& l : cut.levels) cut_nodes += l.size() / 4;
  EXPECT_LT(cut_nodes, 8192u * 2);
}

TEST(FlamebearerTest, RenderJson) {
  storage::ProfileTypeId type{"memory", "inuse_space", "bytes", "space", "bytes"};
  FlameGraph fg = NewFlameGraph(TreeOf(kAbcde), -1);
  FlamebearerTimeline tl = NewTimeline({}, 0, 30000, 15);
  std::string json = RenderFlamebearer(fg, FlamebearerMetadataFor(type), &tl, nullptr);
  EXPECT_EQ(json,
            R"({"version":1,"flamebearer":{"names":["total","a","c","d","b","e"],)"
            R"("levels":[[0,4,0,0],[0,4,0,1],[0,1,0,4,0,3,2,2],[0,1,1,5,2,1,1,3]],)"
            R"("numTicks":4,"maxSelf":2},"metadata":{"format":"single","spyName":"",)"
            R"("sampleRate":100,"units":"bytes","name":"inuse_space"},"timeline":{"startTime":0,)"
            R"("samples":[0,0],"durationDelta":15,"watermarks":null},"groups":null,"heatmap":null})"
            "\n");
  EXPECT_EQ(
      FlamebearerMetadataFor({"process_cpu", "cpu", "nanoseconds", "cpu", "nanoseconds"}).units,
      "samples");
  EXPECT_EQ(FlamebearerMetadataFor({"process_cpu", "cpu", "nanoseconds", "cpu", "nanoseconds"})
                .sample_rate,
            1000000000u);
  EXPECT_EQ(FlamebearerMetadataFor({"goroutine", "goroutine", "count", "goroutine", "count"}).units,
            "objects");
}

TEST(FlamebearerTest, RenderDiffJson) {
  auto d = NewFlameGraphDiff(TreeOf({{{"a"}, 1}}), TreeOf({{{"a"}, 3}}), 0);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(RenderFlamebearerDiff(*d, {"process_cpu", "cpu", "nanoseconds", "cpu", "nanoseconds"}),
            R"({"version":1,"flamebearer":{"names":["total","a"],)"
            R"("levels":[[0,1,0,0,3,0,0],[0,1,1,0,3,3,1]],"numTicks":4,"maxSelf":3},)"
            R"("metadata":{"format":"double","spyName":"","sampleRate":1000000000,)"
            R"("units":"samples","name":"cpu"},"timeline":null,"groups":null,"heatmap":null,)"
            R"("leftTicks":1,"rightTicks":3})"
            "\n");
}

TEST(FlamebearerTest, Timeline) {
  // Step 15 s over [0, 90 s): 6 slots; points at 15 s and 60 s; one before the window.
  std::vector<TimelinePoint> pts = {{-15000, 9}, {15000, 2}, {60000, 5}};
  FlamebearerTimeline t = NewTimeline(pts, 0, 90000, 15);
  EXPECT_EQ(t.start_time, 0);
  EXPECT_EQ(t.duration_delta, 15);
  EXPECT_THAT(t.samples, ElementsAre(0, 2, 0, 0, 5, 0));
  // Start and end snap down to the step.
  FlamebearerTimeline s = NewTimeline(pts, 7000, 97000, 15);
  EXPECT_EQ(s.start_time, 0);
  EXPECT_EQ(s.samples.size(), 6u);
}

TEST(FlamebearerTest, PointInterval) {
  EXPECT_EQ(CalcPointInterval(0, 3600 * 1000), 15);                   // 2.4 s -> at least 15 s
  EXPECT_EQ(CalcPointInterval(0, 24 * 3600 * 1000), 60);              // 57.6 s -> 1m
  EXPECT_EQ(CalcPointInterval(0, int64_t{7} * 86400 * 1000), 300);    // 403 s -> 5m
  EXPECT_EQ(CalcPointInterval(0, int64_t{30} * 86400 * 1000), 1800);  // 28.8m -> 30m
}

}  // namespace
}  // namespace hearth::query
