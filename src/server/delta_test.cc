#include "server/delta.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "base/fmt.h"
#include "profile/builder.h"
#include "storage/test_util.h"

namespace hearth::server {
namespace {

using storage::testing::LoadFixture;

// A Go-heap-shaped profile: alloc_objects, alloc_space (cumulative), inuse_objects,
// inuse_space (instant). Each sample: a root-first stack of names, an optional string label
// and its four values.
struct HeapSample {
  std::vector<std::string> stack;  // root first
  std::string label;               // "" = none
  int64_t values[4];
};

profile::Profile Heap(const std::vector<HeapSample>& samples, int64_t time_nanos = 0,
                      bool reverse_frames_first = false) {
  profile::ProfileBuilder b;
  auto& p = b.profile();
  for (const char* t : {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"}) {
    p.sample_types.push_back(
        {b.Str(t), b.Str(std::string_view(t).ends_with("objects") ? "count" : "bytes")});
  }
  p.period_type = {b.Str("space"), b.Str("bytes")};
  p.time_nanos = time_nanos;
  // Interning frames in another order gives the same stacks other location ids, as two
  // scrapes of one process may.
  if (reverse_frames_first) {
    for (auto it = samples.rbegin(); it != samples.rend(); ++it) {
      for (const std::string& f : it->stack) b.AddFrame(f);
    }
  }
  for (const HeapSample& s : samples) {
    std::vector<uint32_t> stack;
    for (auto it = s.stack.rbegin(); it != s.stack.rend(); ++it) stack.push_back(b.AddFrame(*it));
    std::vector<profile::Label> labels;
    if (!s.label.empty()) labels.push_back({b.Str("endpoint"), b.Str(s.label), 0, 0});
    b.AddSample(stack, s.values, labels);
  }
  p.default_sample_type = 0;
  profile::Profile out = b.Finish();
  return out;
}

// Values per "stack|label" key.
std::map<std::string, std::vector<int64_t>> ByStack(const profile::Profile& p) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const profile::Sample& s : p.samples) {
    std::string key;
    auto stack = p.Stack(s);
    for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
      const profile::Location& loc = p.locations[*it];
      key.append(p.Str(p.functions[p.lines[loc.lines_begin].function].name));
      key.push_back(';');
    }
    for (const profile::Label& l : p.Labels(s)) {
      key.push_back('|');
      key.append(p.Str(l.str));
    }
    auto v = p.Values(s);
    auto& dst = out[key];
    dst.resize(v.size());
    for (size_t i = 0; i < v.size(); ++i) dst[i] += v[i];
  }
  return out;
}

TEST(CumulativeValueIndicesTest, GoFixtures) {
  using V = std::vector<size_t>;
  EXPECT_EQ(CumulativeValueIndices(LoadFixture("go/http/leaky.heap.pb.gz")), (V{0, 1}));
  EXPECT_EQ(CumulativeValueIndices(LoadFixture("go/http/contention.block.pb.gz")), (V{0, 1}));
  EXPECT_EQ(CumulativeValueIndices(LoadFixture("go/runtime_pprof/contention.mutex.pb.gz")),
            (V{0, 1}));
  EXPECT_EQ(CumulativeValueIndices(LoadFixture("go/http/cpuburn.profile.3s.pb.gz")), V{});
  EXPECT_EQ(CumulativeValueIndices(LoadFixture("go/http/leaky.goroutine.debug0.pb.gz")), V{});
  EXPECT_EQ(CumulativeValueIndices(LoadFixture("node/out/datadog.heap.pb.gz")), V{});
}

TEST(DeltaTrackerTest, FirstProfileIsABaselineThenDeltasPerStack) {
  DeltaTracker t;
  bool baseline = false;
  profile::Profile first = t.ToDelta(
      "s",
      Heap({{{"main", "alloc"}, "", {10, 1000, 2, 200}}, {{"main", "other"}, "", {5, 500, 1, 100}}},
           100),
      &baseline);
  EXPECT_TRUE(baseline);
  // Cumulative columns zero, instant columns kept.
  auto v = ByStack(first);
  EXPECT_EQ(v["main;alloc;"], (std::vector<int64_t>{0, 0, 2, 200}));
  EXPECT_EQ(v["main;other;"], (std::vector<int64_t>{0, 0, 1, 100}));

  // Same stacks, other location ids, a new stack, and time moved on.
  profile::Profile second = t.ToDelta("s",
                                      Heap({{{"main", "other"}, "", {7, 700, 1, 90}},
                                            {{"main", "alloc"}, "", {16, 1600, 3, 300}},
                                            {{"main", "fresh"}, "", {4, 40, 4, 40}}},
                                           250, /*reverse_frames_first=*/true),
                                      &baseline);
  EXPECT_FALSE(baseline);
  v = ByStack(second);
  EXPECT_EQ(v["main;alloc;"], (std::vector<int64_t>{6, 600, 3, 300}));
  EXPECT_EQ(v["main;other;"], (std::vector<int64_t>{2, 200, 1, 90}));
  EXPECT_EQ(v["main;fresh;"], (std::vector<int64_t>{4, 40, 4, 40}));
  EXPECT_EQ(second.duration_nanos, 150);  // the interval the deltas cover
  EXPECT_EQ(t.tracked_series(), 1u);
}

TEST(DeltaTrackerTest, AnyDecreaseRebases) {
  DeltaTracker t;
  bool baseline = false;
  t.ToDelta("s", Heap({{{"a"}, "", {10, 100, 0, 0}}, {{"b"}, "", {10, 100, 0, 0}}}), &baseline);
  // b went down: the process restarted. Everything is a new baseline.
  profile::Profile p =
      t.ToDelta("s", Heap({{{"a"}, "", {20, 200, 1, 1}}, {{"b"}, "", {3, 30, 1, 1}}}), &baseline);
  EXPECT_TRUE(baseline);
  EXPECT_EQ(p.Total(0), 0);
  EXPECT_EQ(p.Total(1), 0);
  EXPECT_EQ(p.Total(3), 2);
  // The next profile is relative to the re-based one.
  p = t.ToDelta("s", Heap({{{"a"}, "", {25, 250, 1, 1}}, {{"b"}, "", {4, 40, 1, 1}}}), &baseline);
  EXPECT_FALSE(baseline);
  auto v = ByStack(p);
  EXPECT_EQ(v["a;"][1], 50);
  EXPECT_EQ(v["b;"][1], 10);
}

TEST(DeltaTrackerTest, LabelsAreMarkedApartAndDuplicatesAddUp) {
  DeltaTracker t;
  bool baseline = false;
  t.ToDelta("s", Heap({{{"a"}, "x", {1, 10, 0, 0}}, {{"a"}, "y", {1, 10, 0, 0}}}), &baseline);
  profile::Profile p =
      t.ToDelta("s", Heap({{{"a"}, "x", {3, 30, 0, 0}}, {{"a"}, "y", {1, 10, 0, 0}}}), &baseline);
  EXPECT_FALSE(baseline);
  auto v = ByStack(p);
  EXPECT_EQ(v["a;|x"][1], 20);
  EXPECT_EQ(v["a;|y"][1], 0);

  // Two samples with one key (the builder would merge them, so build by hand): their sum
  // is compared, and the delta lands on the first.
  profile::Profile dup = Heap({{{"a"}, "x", {2, 20, 0, 0}}});
  dup.AddSample(dup.Stack(dup.samples[0]), std::vector<int64_t>{2, 20, 0, 0},
                dup.Labels(dup.samples[0]));
  p = t.ToDelta("s", std::move(dup), &baseline);  // x: 4 vs 3; y disappeared
  EXPECT_FALSE(baseline);
  ASSERT_EQ(p.samples.size(), 2u);
  EXPECT_EQ(p.Values(p.samples[0])[1], 10);
  EXPECT_EQ(p.Values(p.samples[1])[1], 0);
}

TEST(DeltaTrackerTest, OtherTypesOrSeriesDoNotMix) {
  DeltaTracker t;
  bool baseline = false;
  t.ToDelta("a", Heap({{{"f"}, "", {1, 10, 0, 0}}}), &baseline);
  profile::Profile p = t.ToDelta("b", Heap({{{"f"}, "", {5, 50, 0, 0}}}), &baseline);
  EXPECT_TRUE(baseline);  // another series starts its own baseline
  EXPECT_EQ(p.Total(1), 0);
  // The same series with different sample types re-bases.
  profile::Profile other = LoadFixture("go/runtime_pprof/contention.mutex.pb.gz");
  p = t.ToDelta("a", std::move(other), &baseline);
  EXPECT_TRUE(baseline);
  EXPECT_EQ(p.Total(1), 0);
  // Instant-only profiles pass through untouched and are not tracked.
  profile::Profile cpu = LoadFixture("go/http/cpuburn.profile.3s.pb.gz");
  const int64_t total = cpu.Total(1);
  p = t.ToDelta("cpu", std::move(cpu), &baseline);
  EXPECT_FALSE(baseline);
  EXPECT_EQ(p.Total(1), total);
  EXPECT_EQ(t.tracked_series(), 2u);
}

TEST(DeltaTrackerTest, StateIsBoundedLeastRecentlySeenFirst) {
  DeltaTracker t(DeltaOptions{.max_series = 2});
  bool baseline = false;
  const auto heap = [] { return Heap({{{"f"}, "", {1, 10, 0, 0}}}); };
  t.ToDelta("a", heap(), &baseline);
  t.ToDelta("b", heap(), &baseline);
  t.ToDelta("a", heap(), &baseline);  // a is now the most recent
  EXPECT_FALSE(baseline);
  t.ToDelta("c", heap(), &baseline);  // evicts b
  EXPECT_EQ(t.tracked_series(), 2u);
  t.ToDelta("a", heap(), &baseline);
  EXPECT_FALSE(baseline);
  t.ToDelta("b", heap(), &baseline);
  EXPECT_TRUE(baseline);  // forgotten, so a new baseline
}

TEST(DeltaTrackerTest, IdleSeriesAreForgotten) {
  DeltaTracker t(DeltaOptions{.max_series = 10, .idle_ttl = std::chrono::seconds(0)});
  bool baseline = false;
  t.ToDelta("a", Heap({{{"f"}, "", {1, 10, 0, 0}}}), &baseline);
  profile::Profile p = t.ToDelta("a", Heap({{{"f"}, "", {2, 20, 0, 0}}}), &baseline);
  EXPECT_TRUE(baseline);
  EXPECT_EQ(p.Total(1), 0);
  t.ToDelta("b", Heap({{{"f"}, "", {1, 10, 0, 0}}}), &baseline);
  EXPECT_EQ(t.tracked_series(), 1u);  // a expired when b came
}

TEST(DeltaTrackerTest, ManySeriesAreSharded) {
  DeltaTracker t(DeltaOptions{.max_series = 4096});
  bool baseline = false;
  for (int i = 0; i < 5000; ++i) {
    t.ToDelta(fmt::format("s{}", i), Heap({{{"f"}, "", {1, 10, 0, 0}}}), &baseline);
    EXPECT_TRUE(baseline);
  }
  EXPECT_LE(t.tracked_series(), 4096u);
  EXPECT_GE(t.tracked_series(), 4000u);
}

TEST(DeltaTrackerTest, ConcurrentSeriesKeepTheirOwnTotals) {
  DeltaTracker t(DeltaOptions{.max_series = 5000});  // sharded
  constexpr int kThreads = 4, kSeries = 8, kRounds = 50;
  std::vector<std::thread> threads;
  std::vector<int64_t> sums(kThreads * kSeries, 0);
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (int round = 1; round <= kRounds; ++round) {
        for (int s = 0; s < kSeries; ++s) {
          bool baseline = false;
          // Running total round * 10 on one stack: every delta after the first is 10.
          profile::Profile p = t.ToDelta(fmt::format("t{}s{}", th, s),
                                         Heap({{{"f"}, "", {round, round * 10, 0, 0}}}), &baseline);
          sums[th * kSeries + s] += p.Total(1);
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int64_t sum : sums) EXPECT_EQ(sum, (kRounds - 1) * 10);
  EXPECT_EQ(t.tracked_series(), size_t{kThreads * kSeries});
}

TEST(DeltaTrackerTest, RealGoHeapProfilesOfOneProcess) {
  // runtime_pprof/leaky.heap was written by the process 2 s before the http one was
  // fetched from it; no GC ran in between, so every running total is unchanged.
  DeltaTracker t;
  bool baseline = false;
  profile::Profile first = LoadFixture("go/runtime_pprof/leaky.heap.pb.gz");
  const int64_t inuse = first.Total(3);
  first = t.ToDelta("leaky", std::move(first), &baseline);
  EXPECT_TRUE(baseline);
  EXPECT_EQ(first.Total(1), 0);
  EXPECT_EQ(first.Total(3), inuse);
  profile::Profile second = LoadFixture("go/http/leaky.heap.pb.gz");
  second = t.ToDelta("leaky", std::move(second), &baseline);
  EXPECT_FALSE(baseline);
  EXPECT_EQ(second.Total(0), 0);
  EXPECT_EQ(second.Total(1), 0);
  EXPECT_EQ(second.Total(3), 207151882);  // `go tool pprof -top`: 197.56MB total
  // Twice the allocations since: the delta is the fixture's own alloc totals.
  profile::Profile third = LoadFixture("go/http/leaky.heap.pb.gz");
  for (const profile::Sample& s : third.samples) {
    auto v = third.MutableValues(s);
    v[0] *= 2;
    v[1] *= 2;
  }
  third = t.ToDelta("leaky", std::move(third), &baseline);
  EXPECT_FALSE(baseline);
  EXPECT_EQ(third.Total(0), 1078745);
  EXPECT_EQ(third.Total(1), 1159595986);
}

}  // namespace
}  // namespace hearth::server
