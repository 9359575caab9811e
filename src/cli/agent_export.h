#pragma once
// The agent's outbox: a bounded in-memory queue in front of an exporter, drained by one
// thread that retries retryable failures with exponential backoff. When the receiver is
// down for long, the oldest batches are dropped (counted), never memory.
//
//   Agent sink ─▶ Push(batch) ─▶ deque (≤ max_batches) ─▶ thread: Export, back off, retry
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "export/backoff.h"
#include "export/exporter.h"

namespace hearth::cli {

class AgentOutbox {
 public:
  AgentOutbox(std::unique_ptr<exporter::Exporter> exporter, size_t max_batches,
              exporter::BackoffOptions backoff);
  ~AgentOutbox();  // Shutdown(0)
  void Push(exporter::Batch batch);
  // Sends what is queued until timeout_ns has passed, then stops the thread.
  void Shutdown(int64_t timeout_ns);

  uint64_t exported_profiles() const { return exported_.load(); }
  uint64_t export_errors() const { return errors_.load(); }
  uint64_t dropped_profiles() const { return dropped_.load(); }
  size_t queued() const;

 private:
  void Run();
  std::unique_ptr<exporter::Exporter> exporter_;
  size_t max_batches_;
  exporter::Backoff backoff_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<exporter::Batch> queue_;
  bool stopping_ = false;
  int64_t deadline_ns_ = 0;
  std::atomic<uint64_t> exported_{0}, errors_{0}, dropped_{0};
  std::thread thread_;
};

}  // namespace hearth::cli
