#pragma once

// The scraper: one scheduler thread and two bounded worker pools.
//
//   jobs ─▶ targets (static + file_sd, relabeled; file_sd re-read on change)
//        ─▶ per (target, profile type): ticks at offset + k * interval, the offset a hash
//           of the target so targets spread over the interval
//   scheduler ─▶ due scrape ─┬─▶ short pool   (max_concurrent_scrapes): heap, goroutine ...
//                            ├─▶ window pool  (max_concurrent_windowed): ?seconds= requests,
//                            │                which wait on the target for the whole window
//                            └─▶ failing pool (max_concurrent_failing): whatever failed last
//                                time, so targets that hang until their timeout queue behind
//                                each other, never in front of healthy ones
//   worker: GET (deadline, size cap) ─▶ decode pprof ─▶ sink(labels, profile, window)
//           ─▶ health record (last scrape, duration, error, up)
//
// A scrape never starts while the previous one of the same target and type still runs: a
// short one that is still running at its next tick skips that tick (counted as missed); a
// windowed one starts as soon as the previous finishes, asking for the rest of the interval,
// so consecutive CPU windows follow each other without overlapping (Go refuses a second CPU
// profile while one runs) and without gaps beyond the request's round trip.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "profile/pprof_codec.h"
#include "profile/profile.h"
#include "scrape/config.h"
#include "scrape/fetch.h"
#include "scrape/pool.h"
#include "scrape/targets.h"

namespace hearth::scrape {

// One scraped profile, for the sink.
struct ScrapedProfile {
  std::string tenant;  // the job's `tenant`, "" for the default
  Labels labels;       // __name__ (the profile type's name), job, instance, service_name, ...
  profile::Profile profile;
  std::string pprof;  // the bytes as the target sent them
  // Values of cumulative types (heap alloc_*, block, mutex) are running totals since the
  // target started: the sink turns them into deltas (false for ?seconds= windows).
  bool cumulative = false;
  int64_t start_ns = 0;  // the window the profile covers (wall clock)
  int64_t end_ns = 0;
};

// Stores a profile; an error counts the scrape as failed (up = 0, the error as the reason).
using Sink = std::function<absl::Status(ScrapedProfile)>;

struct ManagerOptions {
  int max_concurrent_scrapes = 16;
  int max_concurrent_windowed = 256;
  int max_concurrent_failing = 16;
  int64_t file_sd_check_ns = 1'000'000'000;  // how often file_sd files are looked at
  profile::PprofLimits pprof_limits;
};

struct ProfileHealth {
  std::string name;  // process_cpu, memory ...
  std::string url;   // the last URL asked (seconds included)
  bool scraped = false;
  bool up = false;
  std::string last_error;
  int64_t last_scrape_ns = 0;  // wall clock start of the last scrape
  double last_duration_s = 0;
  int64_t last_lag_ns = 0;  // start minus scheduled start
  uint64_t scrapes = 0, failures = 0, missed = 0;
};

struct TargetHealth {
  std::string job;
  std::string scrape_url_base;  // scheme://address/prefix
  Labels labels, discovered;
  int64_t interval_ns = 0, timeout_ns = 0;
  std::vector<ProfileHealth> profiles;  // enabled types, by name
  bool up() const;                      // every type's last scrape succeeded
  std::string last_error() const;       // "type: reason" of the first failing type
};

struct DroppedTarget {
  std::string job;
  Labels discovered;
};

// Scheduler lag over the recent scrapes: actual start minus scheduled start.
struct LagStats {
  uint64_t count = 0;
  int64_t p50_ns = 0, p99_ns = 0, max_ns = 0;
};

class Manager {
 public:
  // Starts scraping at once (first ticks within one interval).
  static absl::StatusOr<std::unique_ptr<Manager>> Start(std::vector<ScrapeConfig> configs,
                                                        Sink sink, ManagerOptions options = {});
  ~Manager();
  // Stops the scheduler, aborts requests in flight and waits for the workers.
  void Stop();

  std::vector<TargetHealth> Targets() const;
  std::vector<DroppedTarget> Dropped() const;
  LagStats Lag() const;
  uint64_t scrapes_total() const { return scrapes_total_.load(); }

  // Prometheus' GET /api/v1/targets shape ({"status":"success","data":{"activeTargets",
  // "droppedTargets"}}), with one entry per profile type under "profiles".
  std::string TargetsJson() const;
  // A small HTML page of the same.
  std::string TargetsHtml() const;
  // hearth_scrape_* metrics in the Prometheus text format.
  std::string MetricsText() const;

 private:
  struct ProfileState;
  struct TargetState;
  struct JobState;

  explicit Manager(ManagerOptions options);
  void SchedulerLoop();
  void RefreshTargets(JobState& job, int64_t wall_ns);                       // under mu_
  void Submit(const std::shared_ptr<TargetState>& t, size_t profile_index);  // under mu_
  void RunScrape(std::shared_ptr<TargetState> t, size_t profile_index, int64_t scheduled_ns);
  void RecordLag(int64_t lag_ns);  // under mu_
  std::vector<std::string> JobNames() const;

  ManagerOptions options_;
  Sink sink_;
  std::vector<std::unique_ptr<JobState>> jobs_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<int64_t> lags_;  // ring of the recent lags
  size_t lag_next_ = 0;
  uint64_t lag_count_ = 0;
  std::atomic<uint64_t> scrapes_total_{0};
  FetchCanceler canceler_;
  WorkerPool* PoolFor(const ProfileState& p) const;
  std::unique_ptr<WorkerPool> short_pool_, window_pool_, failing_pool_;
  std::thread scheduler_;
};

}  // namespace hearth::scrape
