#include "export/backoff.h"

#include <gtest/gtest.h>

namespace hearth::exporter {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1000 * kMs;

TEST(BackoffTest, WithoutJitterDoublesUpToTheMaxInterval) {
  BackoffOptions o;
  o.initial_interval_ns = 1 * kSec;
  o.max_interval_ns = 10 * kSec;
  o.max_elapsed_ns = 0;  // unbounded
  o.jitter = 0;
  Backoff b(o, 1);
  int64_t now = 5 * kSec;  // a fake clock
  b.Reset(now);
  std::vector<int64_t> delays;
  for (int i = 0; i < 6; ++i) {
    std::optional<int64_t> d = b.NextDelay(now);
    ASSERT_TRUE(d.has_value());
    delays.push_back(*d / kSec);
    now += *d;
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{1, 2, 4, 8, 10, 10}));
  EXPECT_EQ(b.attempts(), 6);
}

TEST(BackoffTest, JitterStaysWithinItsBand) {
  BackoffOptions o;
  o.initial_interval_ns = 100 * kMs;
  o.max_interval_ns = 800 * kMs;
  o.max_elapsed_ns = 0;
  o.jitter = 0.5;
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    Backoff b(o, seed);
    b.Reset(0);
    double base = 100 * kMs;
    for (int i = 0; i < 6; ++i) {
      const int64_t d = *b.NextDelay(0);
      EXPECT_GE(d, static_cast<int64_t>(base * 0.5)) << "seed " << seed << " attempt " << i;
      EXPECT_LE(d, static_cast<int64_t>(base * 1.5)) << "seed " << seed << " attempt " << i;
      base = std::min(base * 2, 800.0 * kMs);
    }
  }
  // Different seeds spread the retries of many servers apart.
  Backoff a(o, 1), c(o, 2);
  a.Reset(0);
  c.Reset(0);
  EXPECT_NE(*a.NextDelay(0), *c.NextDelay(0));
}

TEST(BackoffTest, RetryAfterRaisesTheDelay) {
  BackoffOptions o;
  o.initial_interval_ns = 1 * kSec;
  o.jitter = 0;
  Backoff b(o, 1);
  b.Reset(0);
  EXPECT_EQ(b.NextDelay(0, 7 * kSec), 7 * kSec);
  // A shorter Retry-After does not shorten the backoff.
  EXPECT_EQ(b.NextDelay(7 * kSec, 1 * kSec), 2 * kSec);
}

TEST(BackoffTest, GivesUpWhenTheNextAttemptWouldPassMaxElapsed) {
  BackoffOptions o;
  o.initial_interval_ns = 1 * kSec;
  o.max_interval_ns = 4 * kSec;
  o.max_elapsed_ns = 10 * kSec;
  o.jitter = 0;
  Backoff b(o, 1);
  int64_t now = 100 * kSec;
  b.Reset(now);
  // Attempts at +0 (failed), then +1, +3, +7; the next would be at +11 > 10.
  std::vector<int64_t> at;
  while (std::optional<int64_t> d = b.NextDelay(now)) {
    now += *d;
    at.push_back((now - 100 * kSec) / kSec);
  }
  EXPECT_EQ(at, (std::vector<int64_t>{1, 3, 7}));
  // A new round starts from the initial interval.
  b.Reset(now);
  EXPECT_EQ(b.NextDelay(now), 1 * kSec);
  // A Retry-After beyond the bound ends the round too.
  b.Reset(0);
  EXPECT_EQ(b.NextDelay(0, 11 * kSec), std::nullopt);
}

}  // namespace
}  // namespace hearth::exporter
