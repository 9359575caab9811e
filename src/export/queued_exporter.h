#pragma once

// An Exporter behind a durable queue, with batching and retries.
//
//   Enqueue ─▶ DiskQueue (fsync; bounded) ─▶ drain thread: batch ─▶ Exporter::Export
//                  ▲                                   │ retryable error: back off, try again
//                  └── stays on disk until exported ◀──┘ permanent error: drop, log
//
// * Enqueue returns OK once the profiles are on disk; when the queue is over its byte bound
//   it returns ResourceExhausted and the caller decides (the server counts and moves on).
// * The drain thread sends a batch when max_batch_profiles are queued or the oldest queued
//   record has waited max_delay. A batch is one tenant's consecutive records.
// * A retryable failure (receiver down, 429/503, gRPC UNAVAILABLE ...) is retried with
//   exponential backoff and jitter, honouring Retry-After. After retry.max_elapsed the
//   batch is not dropped: the failure is logged, and the round starts over after
//   retry.max_interval. So a receiver that is down only fills the queue.
// * A permanent failure (400, 401, 413, gRPC INVALID_ARGUMENT ...) drops the batch with a
//   logged error: sending the same bytes again would fail the same way.
// * Records survive a restart: Open replays the queue directory, and replayed records are
//   sent at once. Without a queue directory the queue is in memory (same bound and rules,
//   nothing survives a restart; the agent's default).
// * Shutdown sends what it can until its deadline, then leaves the rest on disk.
//
// Delivery is at least once. Duplicates need a crash or a failed disk write at the wrong
// moment: a batch the receiver took just before a crash (or whose ACKED update failed) is
// sent again after the restart, as is the rest of a one-request-per-profile batch
// (Pyroscope) that a shutdown cut short.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "base/env.h"
#include "export/backoff.h"
#include "export/disk_queue.h"
#include "export/exporter.h"

namespace hearth::exporter {

struct QueuedExporterOptions {
  std::string name = "exporter";  // in logs
  Env* env = nullptr;
  std::string queue_dir;  // "": in memory
  uint64_t max_queue_bytes = uint64_t{1} << 30;
  uint64_t segment_bytes = uint64_t{8} << 20;
  size_t max_batch_profiles = 100;
  int64_t max_delay_ns = 1'000'000'000;
  BackoffOptions retry;
  uint64_t seed = 0;  // for the jitter; 0 = random
  // Where messages go (one line each, without a newline); default: stderr.
  std::function<void(std::string_view)> log;
};

struct QueuedExporterStats {
  uint64_t exported_profiles = 0;
  uint64_t exported_batches = 0;
  // Profiles by reason:
  //   queue_full  Enqueue refused them (the queue was over its bound)
  //   queue_error Enqueue could not write them
  //   retryable   an attempt to send them failed and will be retried (per attempt)
  //   permanent   the receiver refused them for good; dropped
  //   rejected    the receiver accepted the request but refused them (OTLP partial success)
  //   damaged     a queued record could not be read back; dropped
  std::map<std::string, uint64_t> failed_profiles;
  uint64_t queue_bytes = 0;
  uint64_t queue_profiles = 0;
};

class QueuedExporter {
 public:
  static absl::StatusOr<std::unique_ptr<QueuedExporter>> Open(std::unique_ptr<Exporter> exporter,
                                                              QueuedExporterOptions options);
  // Shutdown(0): whatever is queued stays on disk.
  ~QueuedExporter();

  // Starts the drain thread.
  void Start();
  // Stops sending: drains until the queue is empty or `timeout_ns` has passed (an export in
  // flight finishes first), then joins the thread. The rest stays queued on disk.
  void Shutdown(int64_t timeout_ns);

  absl::Status Enqueue(const Batch& batch);
  // A record made by EncodeRecord (export/record.h) holding `profiles` profiles; lets one
  // encoding go to several queues.
  absl::Status EnqueueRecord(std::string_view record, uint32_t profiles);

  QueuedExporterStats stats() const;
  const std::string& name() const { return options_.name; }

 private:
  QueuedExporter(std::unique_ptr<Exporter> exporter, QueuedExporterOptions options,
                 std::unique_ptr<DiskQueue> queue);
  void Run();
  // Takes the next batch off the head of the queue and sends it, retrying as above. False
  // when shutdown interrupted it (the batch stays queued).
  bool SendNext();
  // Waits until `until_ns` (steady); false if shutdown wants the thread back first.
  bool Sleep(int64_t until_ns);
  void Fail(std::string_view reason, uint64_t profiles);
  void Log(std::string_view message) const;

  std::unique_ptr<Exporter> exporter_;
  QueuedExporterOptions options_;
  std::unique_ptr<DiskQueue> queue_;
  Backoff backoff_;  // drain thread only

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  bool stopping_ = false;
  int64_t drain_deadline_ns_ = 0;  // steady clock, when stopping_
  uint64_t exported_profiles_ = 0;
  uint64_t exported_batches_ = 0;
  std::map<std::string, uint64_t, std::less<>> failed_;
  std::thread thread_;
};

}  // namespace hearth::exporter
