// OTLP Profiles codec speed, what the receiver and the exporters spend per request:
// Hearth's hand-written decoder (bytes -> validated model profiles) and encoder (model ->
// bytes, one deduplicated dictionary) vs the C++ protobuf runtime parsing and serializing
// the same ExportProfilesServiceRequest with generated classes (which yields messages, not
// profiles: the runtime side does strictly less work). Prints a ratio table at the end.
//
//   build/bench/otlp_codec_benchmark [--benchmark_min_time=0.5]

#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>
#include <malloc.h>

#include <string>
#include <vector>

#include "base/file.h"
#include "bench/ratio_reporter.h"
#include "bench/synth.h"
#include "formats/otlp.h"
#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb.h"

namespace {

namespace collector_pb = opentelemetry::proto::collector::profiles::v1development;

struct Input {
  std::string name;
  std::string request;                     // ExportProfilesServiceRequest bytes
  std::vector<hearth::profile::Profile> profiles;  // what the request decodes to
};

std::vector<Input>& Inputs() {
  static std::vector<Input> inputs = [] {
    std::vector<Input> out;
    const std::string dir = std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/otlp/";
    for (const char* f : {"cpuburn.cpu.10s.pb", "leaky.heap.strindex.pb",
                          "node.wall.timestamps.pb"}) {
      auto bytes = hearth::ReadFile(dir + f);
      if (bytes.ok()) out.push_back({f, std::move(*bytes), {}});
    }
    const hearth::profile::Profile large = hearth::bench::LargeCpuProfile(1);
    out.push_back({"synthetic large.cpu (20k samples)",
                   hearth::formats::EncodeOtlpRequest({{{{"service.name", "synth"}}, &large}}),
                   {}});
    for (Input& in : out) {
      auto r = hearth::formats::DecodeOtlpRequest(in.request);
      if (!r.ok()) continue;
      for (auto& p : r->profiles) in.profiles.push_back(std::move(p.profile));
    }
    return out;
  }();
  return inputs;
}

void BM_Decode_Hearth(benchmark::State& state) {
  const Input& in = Inputs()[state.range(0)];
  for (auto _ : state) {
    auto r = hearth::formats::DecodeOtlpRequest(in.request);
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * in.request.size());
  state.SetLabel(in.name);
}

void BM_Decode_Protobuf(benchmark::State& state) {
  const Input& in = Inputs()[state.range(0)];
  for (auto _ : state) {
    google::protobuf::Arena arena;
    auto* r =
        google::protobuf::Arena::CreateMessage<collector_pb::ExportProfilesServiceRequest>(&arena);
    if (!r->ParseFromArray(in.request.data(), static_cast<int>(in.request.size()))) {
      state.SkipWithError("protobuf parse failed");
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * in.request.size());
  state.SetLabel(in.name);
}

void BM_Encode_Hearth(benchmark::State& state) {
  const Input& in = Inputs()[state.range(0)];
  std::vector<hearth::formats::OtlpProfileIn> request;
  for (const hearth::profile::Profile& p : in.profiles) {
    request.push_back({{{"service.name", "bench"}}, &p});
  }
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = hearth::formats::EncodeOtlpRequest(request);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * bytes);
  state.SetLabel(in.name);
}

void BM_Encode_Protobuf(benchmark::State& state) {
  const Input& in = Inputs()[state.range(0)];
  collector_pb::ExportProfilesServiceRequest r;
  r.ParseFromString(in.request);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out;
    r.SerializeToString(&out);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * bytes);
  state.SetLabel(in.name);
}

void Args(benchmark::internal::Benchmark* b) {
  for (size_t i = 0; i < Inputs().size(); ++i) b->Arg(static_cast<int>(i));
}

BENCHMARK(BM_Decode_Hearth)->Apply(Args);
BENCHMARK(BM_Decode_Protobuf)->Apply(Args);
BENCHMARK(BM_Encode_Hearth)->Apply(Args);
BENCHMARK(BM_Encode_Protobuf)->Apply(Args);

}  // namespace

int main(int argc, char** argv) {
  // A long-running process's allocator: keep freed memory (see pprof_decode_benchmark).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  benchmark::Initialize(&argc, argv);
  hearth::bench::RatioReporter reporter("Hearth", "Protobuf");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
