// pprof decode speed: Hearth's hand-written decoder vs the C++ protobuf runtime (generated
// classes, arena allocation) on the same uncompressed bytes. Prints a ratio table at the end.
//
//   build/bench/pprof_decode_benchmark [--benchmark_min_time=0.5]

#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>
#include <malloc.h>

#include <string>
#include <vector>

#include "base/compress.h"
#include "base/file.h"
#include "bench/ratio_reporter.h"
#include "bench/synth.h"
#include "profile/pprof_codec.h"
#include "proto/pprof_bench.pb.h"  // generated from bench/proto/pprof_bench.proto

namespace {

struct Input {
  std::string name;
  std::string raw;  // uncompressed protobuf
};

std::vector<Input>& Inputs() {
  static std::vector<Input> inputs = [] {
    std::vector<Input> out;
    const std::string dir = std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/";
    for (const char* f : {"go/http/cpuburn.profile.10s.pb.gz", "go/http/leaky.heap.pb.gz",
                          "node/out/datadog.heap.pb.gz"}) {
      auto gz = hearth::ReadFile(dir + f);
      if (!gz.ok()) continue;
      auto raw = hearth::GzipDecompress(*gz);
      if (raw.ok()) out.push_back({f, std::move(*raw)});
    }
    out.push_back({"synthetic large.cpu (20k samples)",
                   hearth::profile::EncodePprof(hearth::bench::LargeCpuProfile(1))});
    return out;
  }();
  return inputs;
}

void BM_Decode_Hearth(benchmark::State& state) {
  const Input& in = Inputs()[state.range(0)];
  for (auto _ : state) {
    auto p = hearth::profile::DecodePprofUncompressed(in.raw);
    if (!p.ok()) state.SkipWithError(std::string(p.status().message()).c_str());
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(state.iterations() * in.raw.size());
  state.SetLabel(in.name);
}

void BM_Decode_Protobuf(benchmark::State& state) {
  const Input& in = Inputs()[state.range(0)];
  for (auto _ : state) {
    google::protobuf::Arena arena;
    auto* p = google::protobuf::Arena::CreateMessage<hearth_bench::pprof::Profile>(&arena);
    if (!p->ParseFromArray(in.raw.data(), static_cast<int>(in.raw.size()))) {
      state.SkipWithError("protobuf parse failed");
    }
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(state.iterations() * in.raw.size());
  state.SetLabel(in.name);
}

void Args(benchmark::internal::Benchmark* b) {
  for (size_t i = 0; i < Inputs().size(); ++i) b->Arg(static_cast<int>(i));
}

BENCHMARK(BM_Decode_Hearth)->Apply(Args);
BENCHMARK(BM_Decode_Protobuf)->Apply(Args);

}  // namespace

int main(int argc, char** argv) {
  // Steady-state allocator behaviour of a long-running process: keep freed memory instead of
  // returning it to the kernel after every iteration (which would make both sides measure
  // page faults rather than decoding). Applies to both decoders alike.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  benchmark::Initialize(&argc, argv);
  hearth::bench::RatioReporter reporter("Hearth", "Protobuf");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
