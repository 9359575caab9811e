#pragma once

// Up to `max_threads` threads running queued tasks in order: bounds how many scrapes run at
// once. Threads start when a task finds none idle (a job with few targets keeps few).

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hearth::scrape {

class WorkerPool {
 public:
  explicit WorkerPool(int max_threads) : max_threads_(static_cast<size_t>(max_threads)) {}
  ~WorkerPool() { Stop(); }

  void Submit(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      queue_.push_back(std::move(task));
      if (idle_ < queue_.size() && threads_.size() < max_threads_)
        threads_.emplace_back([this] { Run(); });
    }
    cv_.notify_one();
  }
  // Drops queued tasks, waits for running ones.
  void Stop() {
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      queue_.clear();
      threads.swap(threads_);
    }
    cv_.notify_all();
    for (std::thread& t : threads) {
      if (t.joinable()) t.join();
    }
  }
  size_t threads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_.size();
  }
  size_t queued() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ++idle_;
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        --idle_;
        if (stopping_) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  size_t idle_ = 0;
  const size_t max_threads_;
  std::vector<std::thread> threads_;
};

}  // namespace hearth::scrape
