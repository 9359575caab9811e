// Flame graph encodings on a ~200k-node tree (40k random stacks, 12 deep): each step must stay
// linear in the nodes, because every flame graph query pays for it.
//
//   build/src/query/flamegraph_benchmark

#include <benchmark/benchmark.h>

#include <random>

#include "base/fmt.h"
#include "profile/builder.h"
#include "query/flamegraph.h"

namespace hearth::query {
namespace {

profile::Profile RandomProfile(uint32_t seed) {
  std::mt19937 rng(seed);
  profile::ProfileBuilder b;
  b.profile().sample_types.push_back({b.Str("cpu"), b.Str("nanoseconds")});
  std::vector<uint32_t> locs;
  for (int i = 0; i < 40000; ++i) {
    locs.clear();
    const int depth = 1 + static_cast<int>(rng() % 12);
    for (int d = 0; d < depth; ++d)
      locs.push_back(b.AddFrame(fmt::format("f{}", rng() % (d < 3 ? 8 : 400))));
    const int64_t v = 1 + static_cast<int64_t>(rng() % 1000);
    b.AddSample(locs, {&v, 1});
  }
  return b.Finish();
}

const profile::Profile& Profile() {
  static const profile::Profile p = RandomProfile(42);
  return p;
}
const FlameTree& Tree() {
  static const FlameTree t = FlameTree::FromProfile(Profile(), 0);
  return t;
}

void BM_FlameTreeFromProfile(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(FlameTree::FromProfile(Profile(), 0));
  state.counters["nodes"] = static_cast<double>(Tree().size());
}
BENCHMARK(BM_FlameTreeFromProfile)->Unit(benchmark::kMillisecond);

void BM_Truncate(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Tree().Truncate(state.range(0)));
}
BENCHMARK(BM_Truncate)->Arg(8192)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

void BM_NewFlameGraph(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(NewFlameGraph(Tree(), state.range(0)));
}
BENCHMARK(BM_NewFlameGraph)->Arg(0)->Arg(8192)->Unit(benchmark::kMillisecond);

void BM_TreeBytes(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Tree().TreeBytes());
}
BENCHMARK(BM_TreeBytes)->Unit(benchmark::kMillisecond);

void BM_NewFlameGraphDiff(benchmark::State& state) {
  static const FlameTree other = FlameTree::FromProfile(RandomProfile(7), 0);
  for (auto _ : state) benchmark::DoNotOptimize(NewFlameGraphDiff(Tree(), other, 8192));
}
BENCHMARK(BM_NewFlameGraphDiff)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hearth::query

BENCHMARK_MAIN();
