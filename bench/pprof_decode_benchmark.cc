// pprof decode speed: Hearth's hand-written decoder vs the C++ protobuf runtime (generated
// classes, arena allocation) on the same uncompressed bytes. Prints a ratio table at the end.
//
//   build/bench/pprof_decode_benchmark [--benchmark_min_time=0.5]

#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>
#include <malloc.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "base/compress.h"
#include "base/file.h"
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

void BM_Hearth(benchmark::State& state) {
  const Input& in = Inputs()[state.range(0)];
  for (auto _ : state) {
    auto p = hearth::profile::DecodePprofUncompressed(in.raw);
    if (!p.ok()) state.SkipWithError(std::string(p.status().message()).c_str());
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(state.iterations() * in.raw.size());
  state.SetLabel(in.name);
}

void BM_Protobuf(benchmark::State& state) {
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

BENCHMARK(BM_Hearth)->Apply(Args);
BENCHMARK(BM_Protobuf)->Apply(Args);

// Collects per-input times so main() can print hearth/protobuf ratios.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      std::string name = r.benchmark_name();
      double ns = r.GetAdjustedRealTime();
      size_t slash = name.find('/');
      std::string arg = name.substr(slash + 1);
      (name.starts_with("BM_Hearth") ? hearth_ : protobuf_)[arg] = ns;
      labels_[arg] = r.report_label;
    }
  }
  void PrintRatios() const {
    std::printf("\n%-40s %14s %14s %8s\n", "input", "hearth", "protobuf", "speedup");
    for (const auto& [arg, h] : hearth_) {
      auto it = protobuf_.find(arg);
      if (it == protobuf_.end()) continue;
      std::printf("%-40s %11.1f us %11.1f us %7.2fx\n", labels_.at(arg).c_str(), h / 1e3,
                  it->second / 1e3, it->second / h);
    }
  }

 private:
  std::map<std::string, double> hearth_, protobuf_;
  std::map<std::string, std::string> labels_;
};

}  // namespace

int main(int argc, char** argv) {
  // Steady-state allocator behaviour of a long-running process: keep freed memory instead of
  // returning it to the kernel after every iteration (which would make both sides measure
  // page faults rather than decoding). Applies to both decoders alike.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
