// WAL append throughput on the real disk: POSIX env, a fresh log under the temp dir (/tmp),
// fdatasync before every acknowledgement (sync=1) or not at all (sync=0, the CPU + page
// cache cost of framing and writing). Each thread appends one record per iteration, so with
// more threads group commit shares each fsync among the writers queued behind it.
//
//   ./wal_benchmark --benchmark_counters_tabular=true
//
// items_per_second = acknowledged appends/s, bytes_per_second = payload MB/s,
// appends_per_sync = how many appends each fsync covered, syncs_per_second = fdatasync calls/s.

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "base/env.h"
#include "storage/wal.h"

namespace hearth::storage {
namespace {

class WalBench : public benchmark::Fixture {
 public:
  void SetUp(benchmark::State& state) override {
    if (state.thread_index() != 0) return;
    std::string tmpl = (std::filesystem::temp_directory_path() / "hearth_wal_bench_XXXXXX");
    if (::mkdtemp(tmpl.data()) == nullptr) {
      state.SkipWithError("mkdtemp failed");
      return;
    }
    dir_ = tmpl;
    WalOptions options;
    options.sync = state.range(1) != 0;
    auto wal = Wal::Open(env_.get(), dir_, options);
    if (!wal.ok()) {
      state.SkipWithError(wal.status().ToString().c_str());
      return;
    }
    wal_ = *std::move(wal);
  }

  void TearDown(benchmark::State& state) override {
    if (state.thread_index() != 0) return;
    wal_.reset();
    std::filesystem::remove_all(dir_);
  }

 protected:
  std::unique_ptr<Env> env_ = NewPosixEnv();
  std::string dir_;
  std::unique_ptr<Wal> wal_;  // Shared by all threads; created by thread 0 before the loop.
};

BENCHMARK_DEFINE_F(WalBench, Append)(benchmark::State& state) {
  const std::string payload(static_cast<size_t>(state.range(0)), 'p');
  // The loop starts only when every thread has reached it, i.e. after thread 0's SetUp.
  for (auto _ : state) {
    if (absl::Status s = wal_->Append(1, payload); !s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
  // Every thread has left the loop (it ends with a barrier), so the totals are final.
  if (state.thread_index() == 0 && wal_ != nullptr && wal_->syncs() > 0) {
    const double appends = static_cast<double>(state.iterations()) * state.threads();
    state.counters["appends_per_sync"] = appends / static_cast<double>(wal_->syncs());
    state.counters["syncs_per_second"] =
        benchmark::Counter(static_cast<double>(wal_->syncs()), benchmark::Counter::kIsRate);
  }
}

BENCHMARK_REGISTER_F(WalBench, Append)
    ->ArgNames({"bytes", "sync"})
    ->ArgsProduct({{4 << 10, 16 << 10}, {1, 0}})
    ->Threads(1)
    ->Threads(4)
    ->Threads(16)
    ->UseRealTime()
    ->MinTime(1.0);

}  // namespace
}  // namespace hearth::storage

BENCHMARK_MAIN();
