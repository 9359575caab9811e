// perf script conversion speed: the frame-pointer and DWARF fixtures concatenated 200x
// (21 MB and 49 MB of text), as `perf script` of a long recording looks: few distinct
// stacks, many events.
//
//   build/src/formats/perf_script_benchmark [--benchmark_min_time=1]

#include <benchmark/benchmark.h>

#include <string>

#include "base/file.h"
#include "formats/perf_script.h"

namespace {

std::string Repeated(const char* relative, int times) {
  auto text = hearth::ReadFile(std::string(HEARTH_SOURCE_DIR) + "/testdata/" + relative);
  std::string out;
  if (!text.ok()) return out;
  out.reserve(text->size() * times);
  for (int i = 0; i < times; ++i) out += *text;
  return out;
}

void Run(benchmark::State& state, const std::string& text) {
  if (text.empty()) state.SkipWithError("fixture missing");
  for (auto _ : state) {
    auto p = hearth::formats::ParsePerfScript(text);
    if (!p.ok()) state.SkipWithError(std::string(p.status().message()).c_str());
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * text.size());
}

void BM_FramePointer(benchmark::State& state) {
  static const std::string text = Repeated("fixtures/perf/perf_workload.perf-script.txt", 200);
  Run(state, text);
}
BENCHMARK(BM_FramePointer)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

void BM_Dwarf(benchmark::State& state) {
  static const std::string text =
      Repeated("golden/formats/perf_workload.dwarf.perf-script.txt", 200);
  Run(state, text);
}
BENCHMARK(BM_Dwarf)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

}  // namespace

BENCHMARK_MAIN();
