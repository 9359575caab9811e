#include "cli/agent_export.h"

#include <chrono>
#include <cstdio>
#include <string>

#include "base/rpc_status.h"

namespace hearth::cli {
namespace {

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

AgentOutbox::AgentOutbox(std::unique_ptr<exporter::Exporter> exporter, size_t max_batches,
                         exporter::BackoffOptions backoff)
    : exporter_(std::move(exporter)), max_batches_(max_batches), backoff_(backoff, 0) {
  thread_ = std::thread([this] { Run(); });
}

AgentOutbox::~AgentOutbox() { Shutdown(0); }

void AgentOutbox::Push(exporter::Batch batch) {
  std::lock_guard<std::mutex> lock(mu_);
  while (queue_.size() >= max_batches_) {
    dropped_ += queue_.front().items.size();
    queue_.pop_front();
  }
  queue_.push_back(std::move(batch));
  cv_.notify_all();
}

size_t AgentOutbox::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void AgentOutbox::Shutdown(int64_t timeout_ns) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
    deadline_ns_ = SteadyNs() + timeout_ns;
    cv_.notify_all();
  }
  thread_.join();
}

void AgentOutbox::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() || (stopping_ && SteadyNs() >= deadline_ns_)) return;
    exporter::Batch batch = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    backoff_.Reset(SteadyNs());
    bool done = false;
    while (!done) {
      absl::Status s = exporter_->Export(batch);
      if (s.ok()) {
        exported_ += batch.items.size();
        done = true;
        break;
      }
      ++errors_;
      if (!exporter::IsRetryable(s)) {
        std::fprintf(stderr, "hearth agent: export dropped %zu profiles: %s\n", batch.items.size(),
                     s.ToString().c_str());
        dropped_ += batch.items.size();
        break;
      }
      auto delay = backoff_.NextDelay(SteadyNs(), RetryDelay(s).value_or(0));
      lock.lock();
      bool give_up = !delay || (stopping_ && SteadyNs() + (delay ? *delay : 0) >= deadline_ns_);
      if (give_up) {
        std::fprintf(stderr, "hearth agent: export failed, dropping %zu profiles: %s\n",
                     batch.items.size(), s.ToString().c_str());
        dropped_ += batch.items.size();
        lock.unlock();
        break;
      }
      cv_.wait_for(lock, std::chrono::nanoseconds(*delay), [&] { return stopping_; });
      lock.unlock();
    }
    lock.lock();
  }
}

}  // namespace hearth::cli
