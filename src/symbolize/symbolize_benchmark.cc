// Symbolization throughput on one binary with DWARF: 100k distinct addresses spread over
// its functions.
//
//   cold  open the file, build the CU index, symbolize every address (each CU's function
//         and line tables are built on first touch)
//   warm  the same addresses again on the already-opened symbolizer
//
// The binary is $HEARTH_SYMBOLIZE_BENCH_BINARY, else this benchmark itself (build with
// -DCMAKE_BUILD_TYPE=RelWithDebInfo so it has DWARF), e.g.
//   HEARTH_SYMBOLIZE_BENCH_BINARY=/usr/lib/debug/.build-id/93/ac61....debug ./symbolize_benchmark

#include <benchmark/benchmark.h>
#include <elf.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "symbolize/elf_symbolizer.h"
#include "symbolize/local_symbolizer.h"
#include "symbolize/symbol_table.h"

namespace hearth::symbolize {
namespace {

constexpr size_t kAddresses = 100'000;

std::string BinaryPath() {
  const char* env = std::getenv("HEARTH_SYMBOLIZE_BENCH_BINARY");
  return env != nullptr ? env : "/proc/self/exe";
}

// Up to kAddresses distinct addresses inside the binary's functions.
const std::vector<uint64_t>& Addresses() {
  static const std::vector<uint64_t> addresses = [] {
    std::vector<uint64_t> out;
    auto file = ElfFile::Open(BinaryPath());
    if (!file.ok()) return out;
    const SymbolTable t = SymbolTable::Read((*file)->elf());
    // Probe the executable segments evenly; keep addresses some function covers.
    uint64_t lo = ~uint64_t{0}, hi = 0;
    for (const LoadSegment& s : (*file)->layout().loads) {
      if (s.flags & PF_X) {
        lo = std::min(lo, s.vaddr);
        hi = std::max(hi, s.vaddr + s.memsz);
      }
    }
    if (lo >= hi) return out;
    const uint64_t step = std::max<uint64_t>(1, (hi - lo) / (kAddresses * 2));
    for (uint64_t a = lo; a < hi && out.size() < kAddresses; a += step) {
      if (t.Find(a) != nullptr) out.push_back(a);
    }
    return out;
  }();
  return addresses;
}

void Report(benchmark::State& state, size_t n, size_t named) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  state.counters["addresses"] = static_cast<double>(n);
  state.counters["named_fraction"] = n == 0 ? 0 : static_cast<double>(named) / n;
}

void BM_Cold(benchmark::State& state) {
  const std::vector<uint64_t>& addrs = Addresses();
  std::vector<Frame> frames;
  size_t named = 0;
  for (auto _ : state) {
    auto s = ElfSymbolizer::OpenFile(BinaryPath());
    if (!s.ok()) {
      state.SkipWithError(std::string(s.status().message()).c_str());
      return;
    }
    named = 0;
    for (uint64_t a : addrs) named += (*s)->Symbolize(a, &frames) ? 1 : 0;
    benchmark::DoNotOptimize(frames);
  }
  Report(state, addrs.size(), named);
}
BENCHMARK(BM_Cold)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Warm(benchmark::State& state) {
  const std::vector<uint64_t>& addrs = Addresses();
  auto s = ElfSymbolizer::OpenFile(BinaryPath());
  if (!s.ok()) {
    state.SkipWithError(std::string(s.status().message()).c_str());
    return;
  }
  std::vector<Frame> frames;
  for (uint64_t a : addrs) (*s)->Symbolize(a, &frames);
  size_t named = 0;
  for (auto _ : state) {
    named = 0;
    for (uint64_t a : addrs) named += (*s)->Symbolize(a, &frames) ? 1 : 0;
    benchmark::DoNotOptimize(frames);
  }
  Report(state, addrs.size(), named);
}
BENCHMARK(BM_Warm)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same through the Symbolizer seam (LocalSymbolizer: cache lookup, per-call memo,
// results copied out), with the file already in its cache.
void BM_LocalSymbolizerWarm(benchmark::State& state) {
  const std::vector<uint64_t>& addrs = Addresses();
  LocalSymbolizerOptions o;
  o.files.binaries = {BinaryPath()};
  o.files.use_mapping_paths = false;
  LocalSymbolizer s(o);
  const Module m{.path = BinaryPath(), .memory_start = 0, .memory_limit = 0, .file_offset = 0};
  s.Symbolize(m, addrs);
  size_t named = 0;
  for (auto _ : state) {
    ModuleSymbols r = s.Symbolize(m, addrs);
    named = 0;
    for (size_t i = 0; i < r.frames.size(); ++i) named += r.frames.real(i) ? 1 : 0;
    benchmark::DoNotOptimize(r);
  }
  Report(state, addrs.size(), named);
  state.counters["files_opened"] = static_cast<double>(s.stats().files_opened);
}
BENCHMARK(BM_LocalSymbolizerWarm)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_OpenOnly(benchmark::State& state) {
  for (auto _ : state) {
    auto s = ElfSymbolizer::OpenFile(BinaryPath());
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_OpenOnly)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace hearth::symbolize

BENCHMARK_MAIN();
