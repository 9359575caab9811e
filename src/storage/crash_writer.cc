// Test helper for sigkill_test: appends profiles to an engine forever, printing
// "ack <seq>" for each profile only after Append returned OK (i.e. after the WAL fsync).
// Flushes and compactions run in the engine's background thread, often (small head, short
// interval), so the kill lands in every phase.
//
//   crash_writer DATA_DIR FIRST_SEQ PROFILE.pb.gz

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/file.h"
#include "profile/pprof_codec.h"
#include "storage/engine.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: crash_writer DATA_DIR FIRST_SEQ PROFILE\n");
    return 2;
  }
  auto env = hearth::NewPosixEnv();
  auto data = hearth::ReadFile(argv[3]);
  auto base = hearth::profile::DecodePprof(*data);
  if (!base.ok()) return 2;
  hearth::storage::EngineOptions o;
  o.dir = argv[1];
  o.env = env.get();
  o.head_max_bytes = 512 << 10;
  o.background_interval_ns = 20 * 1000 * 1000;
  o.compaction.max_blocks_per_open_window = 3;
  o.wal.segment_bytes = 256 << 10;
  auto engine = hearth::storage::Engine::Open(o);
  if (!engine.ok()) {
    std::fprintf(stderr, "open: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  std::mt19937 rng(std::random_device{}());
  long seq = std::stol(argv[2]);
  for (;;) {
    const int n = 1 + static_cast<int>(rng() % 4);
    std::vector<hearth::profile::Profile> ps(n, *base);
    std::vector<hearth::storage::AppendRequest> batch;
    for (int i = 0; i < n; ++i) {
      ps[i].time_nanos = env->NowNanos();
      hearth::storage::Labels l = {{"__name__", "process_cpu"},
                                   {"seq", std::to_string(seq + i)},
                                   {"service_name", "crash"}};
      batch.push_back({std::move(l), &ps[i], 0, {}});
    }
    if (!(*engine)->Append("t", batch).ok()) continue;
    for (int i = 0; i < n; ++i) std::printf("ack %ld\n", seq + i);
    std::fflush(stdout);
    seq += n;
  }
}
