// One service-week in the embedded store, measured.
//
// Builds a week of realistic CPU profiles from the real Go fixtures (10 s cadence, several
// instances, a version rollout half way, perturbed values and stacks: see synth.h), ingests
// them through the engine with real fsyncs, then prints:
//   - ingest rate (profiles/s, and per CPU core used),
//   - bytes on disk per profile vs the same profiles as gzipped pprof files,
//   - merge latency p50/p99 for random 1 h, 24 h and 7 d windows,
//   - beside it, `hearth merge` over the same profiles as pprof files (1 h and 24 h),
//     run as a separate process on files written to disk.
//
//   build/bench/storage_bench [--instances 3] [--days 7] [--dir /tmp/x] [--queries 20]

#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/fmt.h"
#include "bench/synth.h"
#include "base/file.h"
#include "profile/pprof_codec.h"
#include "storage/engine.h"

namespace {

using hearth::profile::Profile;
namespace st = hearth::storage;
constexpr int64_t kSec = 1000000000;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double CpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// An Env whose clock follows the data being ingested, so flushes happen per simulated hour.
class DataClock : public hearth::Env {
 public:
  explicit DataClock(hearth::Env* base) : base_(base) {}
  void Set(int64_t t) { now_ = t; }
  absl::StatusOr<std::unique_ptr<hearth::WritableFile>> NewWritableFile(const std::string& p) override { return base_->NewWritableFile(p); }
  absl::StatusOr<std::unique_ptr<hearth::WritableFile>> NewAppendableFile(const std::string& p) override { return base_->NewAppendableFile(p); }
  absl::StatusOr<std::unique_ptr<hearth::RandomAccessFile>> NewRandomAccessFile(const std::string& p) override { return base_->NewRandomAccessFile(p); }
  absl::StatusOr<std::string> ReadFile(const std::string& p, size_t m) override { return base_->ReadFile(p, m); }
  bool FileExists(const std::string& p) override { return base_->FileExists(p); }
  absl::StatusOr<uint64_t> FileSize(const std::string& p) override { return base_->FileSize(p); }
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& d) override { return base_->ListDir(d); }
  absl::Status CreateDirs(const std::string& d) override { return base_->CreateDirs(d); }
  absl::Status DeleteFile(const std::string& p) override { return base_->DeleteFile(p); }
  absl::Status DeleteDir(const std::string& d) override { return base_->DeleteDir(d); }
  absl::Status RenameFile(const std::string& a, const std::string& b) override { return base_->RenameFile(a, b); }
  absl::Status Truncate(const std::string& p, uint64_t n) override { return base_->Truncate(p, n); }
  absl::Status SyncDir(const std::string& d) override { return base_->SyncDir(d); }
  int64_t NowNanos() override { return now_; }

 private:
  hearth::Env* base_;
  int64_t now_ = 0;
};

struct Percentiles {
  double p50, p99, max;
};
Percentiles Stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]; };
  return {at(0.5), at(0.99), v.back()};
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

// Runs `hearth merge` on a list of files; returns wall seconds (or -1).
double TimeHearthMerge(const std::string& hearth, const std::vector<std::string>& files,
                       const std::string& work) {
  const std::string list = work + "/files.txt";
  {
    std::ofstream out(list);
    for (const auto& f : files) out << f << "\n";
  }
  const std::string cmd = fmt::format("{} merge @{} -o {}/merged.pb.gz", hearth, list, work);
  double t0 = Now();
  int rc = std::system(cmd.c_str());
  double t = Now() - t0;
  return rc == 0 ? t : -1;
}

}  // namespace

int main(int argc, char** argv) {
  int instances = 3, days = 7, queries = 20, batch_ticks = 10;
  std::string dir = "/tmp/hearth-storage-bench";
  std::string hearth_bin = std::string(HEARTH_BINARY_DIR) + "/hearth";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--instances") instances = std::stoi(argv[i + 1]);
    if (a == "--days") days = std::stoi(argv[i + 1]);
    if (a == "--dir") dir = argv[i + 1];
    if (a == "--queries") queries = std::stoi(argv[i + 1]);
    if (a == "--batch-ticks") batch_ticks = std::stoi(argv[i + 1]);
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/files");

  // Real profiles to perturb.
  std::vector<Profile> sources;
  const std::string fx = std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/go/";
  for (const char* f : {"http/cpuburn.profile.10s.pb.gz", "http/cpuburn.profile.3s.pb.gz",
                        "runtime_pprof/cpuburn.cpu.3s.pb.gz"}) {
    auto data = hearth::ReadFile(fx + f);
    auto p = hearth::profile::DecodePprof(*data);
    if (!p.ok()) {
      std::fprintf(stderr, "%s: %s\n", f, p.status().ToString().c_str());
      return 1;
    }
    sources.push_back(std::move(*p));
  }

  const int64_t start = 1795651200 * kSec;  // 2026-11-26T00:00:00Z
  const int per_instance = days * 8640;
  const int64_t total_profiles = int64_t{per_instance} * instances;
  std::printf("Service-week benchmark: %d instances x %d days at 10 s = %lld CPU profiles\n",
              instances, days, static_cast<long long>(total_profiles));

  auto posix = hearth::NewPosixEnv();
  DataClock env(posix.get());
  st::EngineOptions o;
  o.dir = dir + "/data";
  o.env = &env;
  o.background = false;
  auto engine = st::Engine::Open(o);
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
    return 1;
  }

  // Ingest in time order: one batch per 10 s tick (one profile per instance), as a
  // server receiving the fleet would. Files for the `hearth merge` comparison are kept for
  // the first day only (they cover the 1 h and 24 h comparisons).
  std::mt19937_64 rng(42);
  uint64_t gz_bytes = 0;
  std::vector<std::pair<int64_t, std::string>> files;  // (time, path) of day 1
  double gen_secs = 0, ingest_secs = 0, ingest_cpu = 0;
  // Appends carry batch_ticks ticks of the whole fleet (instances x batch_ticks profiles),
  // one fsync each: what group commit gives a server with that many concurrent senders.
  const size_t per_batch = static_cast<size_t>(instances) * batch_ticks;
  std::vector<Profile> batch(per_batch);
  std::vector<std::string> gz(per_batch);
  std::vector<st::AppendRequest> reqs;
  int64_t next_flush = start + st::kHourNs;
  for (int tick = 0; tick < per_instance; ++tick) {
    const int64_t ts = start + int64_t{tick} * 10 * kSec;
    double g0 = Now();
    const size_t slot0 = static_cast<size_t>(tick % batch_ticks) * instances;
    for (int inst = 0; inst < instances; ++inst) {
      const size_t i = slot0 + inst;
      batch[i] = hearth::bench::Perturb(sources[(tick + inst) % sources.size()], rng, 0);
      batch[i].time_nanos = ts + inst * 137 * 1000000;  // instances are not in lock step
      batch[i].duration_nanos = 10 * kSec;
      gz[i] = hearth::profile::EncodePprofGzip(batch[i]);
      const std::string& gz_i = gz[i];
      gz_bytes += gz_i.size();
      if (tick < 8640) {
        std::string path = fmt::format("{}/files/i{}-{:06d}.pb.gz", dir, inst, tick);
        std::ofstream(path, std::ios::binary).write(gz_i.data(), static_cast<std::streamsize>(gz_i.size()));
        files.emplace_back(batch[i].time_nanos, path);
      }
      const bool v2 = tick > per_instance / 2 + inst * 360;  // a rolling deploy mid-week
      st::Labels labels = {{"__name__", "process_cpu"},
                           {"instance", fmt::format("checkout-{}", inst)},
                           {"region", inst % 2 ? "us-east" : "eu-west"},
                           {"service_name", "checkout"},
                           {"version", v2 ? "v2.4.1" : "v2.4.0"}};
      (void)st::NormalizeLabels(labels);
      // The server hands the engine the bytes it received; so does this benchmark.
      reqs.push_back({std::move(labels), &batch[i], 0, gz_i});
    }
    gen_secs += Now() - g0;
    if (reqs.size() < per_batch && tick + 1 < per_instance) continue;
    env.Set(ts + 10 * kSec);
    double t0 = Now(), c0 = CpuSeconds();
    auto s = (*engine)->Append("bench", reqs);
    reqs.clear();
    if (!s.ok()) {
      std::fprintf(stderr, "append: %s\n", s.ToString().c_str());
      return 1;
    }
    if (ts >= next_flush) {  // The engine's age trigger, on data time.
      if (auto f = (*engine)->Flush(); !f.ok()) {
        std::fprintf(stderr, "flush: %s\n", f.ToString().c_str());
        return 1;
      }
      if (auto c = (*engine)->Compact(); !c.ok()) {
        std::fprintf(stderr, "compact: %s\n", c.ToString().c_str());
        return 1;
      }
      next_flush += st::kHourNs;
    }
    ingest_secs += Now() - t0;
    ingest_cpu += CpuSeconds() - c0;
    if (tick % 8640 == 8639) {
      std::fprintf(stderr, "  day %d ingested (%.0f profiles/s so far)\n", tick / 8640 + 1,
                   (tick + 1) * instances / ingest_secs);
    }
  }
  {
    double t0 = Now(), c0 = CpuSeconds();
    (void)(*engine)->Flush();
    env.Set(start + (days + 31) * 24 * st::kHourNs);  // let every window close
    (void)(*engine)->Compact();
    ingest_secs += Now() - t0;
    ingest_cpu += CpuSeconds() - c0;
    env.Set(start + int64_t{days} * 24 * st::kHourNs);
  }
  const uint64_t disk = DirBytes(o.dir);
  const auto stats = (*engine)->stats();

  std::printf("\n%-46s %d profiles per append (one fsync)\n", "batching", static_cast<int>(per_batch));
  std::printf("%-46s %s\n", "ingest (WAL fsync, flush, compaction)",
              fmt::format("{:.0f} profiles/s wall, {:.0f} profiles/s per CPU-second",
                          total_profiles / ingest_secs, total_profiles / ingest_cpu).c_str());
  std::printf("%-46s %s\n", "bytes on disk per profile",
              fmt::format("{:.0f} B  (blocks {:.1f} MiB for {} profiles)", double(disk) / total_profiles,
                          disk / 1048576.0, total_profiles).c_str());
  std::printf("%-46s %s\n", "same profiles as gzipped pprof files",
              fmt::format("{:.0f} B per profile  ->  {:.1f}x smaller in Hearth",
                          double(gz_bytes) / total_profiles, double(gz_bytes) / disk).c_str());
  std::printf("%-46s %llu raw, %llu 1m, %llu 1h blocks\n", "blocks after compaction",
              static_cast<unsigned long long>(stats.blocks[0]),
              static_cast<unsigned long long>(stats.blocks[1]),
              static_cast<unsigned long long>(stats.blocks[2]));

  // Queries: random windows inside the week, the whole service (every instance/version).
  std::printf("\n%-10s %12s %12s %12s %10s | %s\n", "merge", "p50", "p99", "max", "rows read",
              "hearth merge of the pprof files");
  const int64_t week_end = start + int64_t{days} * 24 * st::kHourNs;
  for (auto [name, span] : {std::pair<const char*, int64_t>{"1 h", st::kHourNs},
                            {"24 h", 24 * st::kHourNs},
                            {"7 d", int64_t{days} * 24 * st::kHourNs}}) {
    std::vector<double> lat;
    uint64_t rows = 0;
    int64_t total = 0;
    for (int q = 0; q < queries; ++q) {
      int64_t lo = start;
      if (week_end - span > start) {
        lo = start + static_cast<int64_t>(rng() % static_cast<uint64_t>(week_end - span - start));
      }
      st::SelectRequest req;
      req.tenant = "bench";
      req.type = *st::ParseProfileTypeId("process_cpu:cpu:nanoseconds:cpu:nanoseconds");
      req.matchers = {{"service_name", st::Matcher::Op::kEq, "checkout"}};
      req.range = {lo, lo + span};
      double t0 = Now();
      auto r = (*engine)->SelectMerge(req);
      lat.push_back((Now() - t0) * 1000);
      if (!r.ok()) {
        std::fprintf(stderr, "query: %s\n", r.status().ToString().c_str());
        return 1;
      }
      rows += r->stats.rows;
      total += r->groups[0].profile.Total(0);
    }
    Percentiles p = Stats(lat);
    std::string peer = "-";
    if (span <= 24 * st::kHourNs) {
      std::vector<std::string> chosen;
      for (const auto& [t, path] : files) {
        if (t >= start && t < start + span) chosen.push_back(path);
      }
      double secs = TimeHearthMerge(hearth_bin, chosen, dir);
      peer = secs < 0 ? "failed" : fmt::format("{:.0f} ms for {} files ({:.0f}x slower)", secs * 1000,
                                              chosen.size(), secs * 1000 / p.p50);
    }
    std::printf("%-10s %9.1f ms %9.1f ms %9.1f ms %10llu | %s\n", name, p.p50, p.p99, p.max,
                static_cast<unsigned long long>(rows / queries), peer.c_str());
    (void)total;
  }
  std::printf("\ndata: %s (remove it when done); generating the profiles took %.0f s\n",
              dir.c_str(), gen_secs);
  return 0;
}
