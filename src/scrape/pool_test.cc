#include "scrape/pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

namespace hearth::scrape {
namespace {

TEST(WorkerPool, BoundsConcurrencyAndStartsThreadsOnDemand) {
  WorkerPool pool(3);
  EXPECT_EQ(pool.threads(), 0u);
  std::atomic<int> running{0}, max_running{0}, done{0};
  for (int i = 0; i < 20; ++i) {
    pool.Submit([&] {
      int now = ++running;
      int m = max_running.load();
      while (now > m && !max_running.compare_exchange_weak(m, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      --running;
      ++done;
    });
  }
  for (int i = 0; i < 500 && done < 20; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(done.load(), 20);
  EXPECT_EQ(max_running.load(), 3);
  EXPECT_EQ(pool.threads(), 3u);
  pool.Stop();
  pool.Submit([&] { ++done; });  // after Stop: dropped
  EXPECT_EQ(done.load(), 20);
}

}  // namespace
}  // namespace hearth::scrape
