// What the scraper relies on when it hands running totals to the pipeline (item 3 of the
// scrape issue): a series' first scrape is a baseline, later ones store what changed since
// the previous scrape, a counter reset (the target restarted) re-bases, and series that
// look alike but are named apart (Go's block and mutex profiles have the same sample
// types) or come from other instances never mix.

#include <gtest/gtest.h>

#include "server/ingest_test_util.h"

namespace hearth::server {
namespace {

using testing::IngestHarness;
using testing::kNowNs;

constexpr int64_t kInterval = 10'000'000'000;

profile::Profile Scaled(const profile::Profile& p, double factor) {
  profile::Profile out = p;
  for (int64_t& v : out.values) v = static_cast<int64_t>(static_cast<double>(v) * factor);
  return out;
}

IngestItem Scrape(std::string name, std::string instance, profile::Profile p, int64_t t_ns) {
  IngestItem item;
  item.labels = {{"__name__", std::move(name)},
                 {"job", "go"},
                 {"instance", std::move(instance)},
                 {"service_name", "contention"}};
  p.time_nanos = t_ns;
  item.profile = std::move(p);
  item.cumulative = true;
  item.ts_ns = t_ns;
  return item;
}

int64_t Ingest(IngestHarness& h, IngestItem item) {
  std::vector<IngestItem> items;
  items.push_back(std::move(item));
  auto r = h.parts.ingest->Ingest("t", "scrape", std::move(items), 1);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? static_cast<int64_t>(r->profiles) : -1;
}

TEST(ScrapeDeltas, BaselineDeltasResetAndSeparateSeries) {
  IngestHarness h;
  const profile::Profile block = storage::testing::LoadFixture("go/http/contention.block.pb.gz");
  const profile::Profile mutex =
      storage::testing::LoadFixture("go/runtime_pprof/contention.mutex.pb.gz");
  const int64_t block_delay = block.Total(1), mutex_delay = mutex.Total(1);
  ASSERT_GT(block_delay, 0);
  ASSERT_GT(mutex_delay, 0);
  const std::string kBlock = "block:delay:nanoseconds:contentions:count";
  const std::string kMutex = "mutex:delay:nanoseconds:contentions:count";
  const int64_t t0 = kNowNs - 10 * kInterval;

  // First scrapes: baselines, nothing stored (all values are cumulative columns).
  EXPECT_EQ(Ingest(h, Scrape("block", "a:1", block, t0)), 0);
  EXPECT_EQ(Ingest(h, Scrape("mutex", "a:1", mutex, t0)), 0);
  EXPECT_EQ(h.Total("t", kBlock), 0);

  // One interval later the totals doubled: the stored values are one interval's worth. The
  // mutex series is not a delta against the block one although their types are the same.
  EXPECT_EQ(Ingest(h, Scrape("block", "a:1", Scaled(block, 2), t0 + kInterval)), 1);
  EXPECT_EQ(Ingest(h, Scrape("mutex", "a:1", Scaled(mutex, 3), t0 + kInterval)), 1);
  EXPECT_NEAR(h.Total("t", kBlock), block_delay, 16);
  EXPECT_NEAR(h.Total("t", kMutex), 2 * mutex_delay, 16);

  // Another instance of the same job starts its own baseline.
  EXPECT_EQ(Ingest(h, Scrape("block", "b:1", Scaled(block, 5), t0 + kInterval)), 0);
  EXPECT_NEAR(h.Total("t", kBlock), block_delay, 16);

  // The target restarted: its totals went down, so this scrape re-bases (stores nothing)
  // and the next one is a delta from it.
  EXPECT_EQ(Ingest(h, Scrape("block", "a:1", Scaled(block, 0.5), t0 + 2 * kInterval)), 0);
  EXPECT_EQ(Ingest(h, Scrape("block", "a:1", Scaled(block, 1.5), t0 + 3 * kInterval)), 1);
  EXPECT_NEAR(h.Total("t", kBlock, {{"instance", storage::Matcher::Op::kEq, "a:1"}}),
              2 * block_delay, 32);
  // The restart's interval [t0 + 1, t0 + 2) holds nothing.
  EXPECT_EQ(h.Total("t", kBlock, {}, t0 + 2 * kInterval, t0 + 3 * kInterval), 0);
}

TEST(ScrapeDeltas, HeapKeepsInuseOnTheBaselineAndCoversTheInterval) {
  IngestHarness h;
  const profile::Profile heap = storage::testing::LoadFixture("go/http/leaky.heap.pb.gz");
  const int64_t t0 = kNowNs - 10 * kInterval;
  auto item = [&](double f, int64_t t) {
    IngestItem i = Scrape("memory", "a:1", Scaled(heap, f), t);
    i.labels[3].second = "leaky";
    return i;
  };
  // The baseline stores in-use values (instant), not allocations.
  EXPECT_EQ(Ingest(h, item(1, t0)), 1);
  EXPECT_EQ(h.Total("t", "memory:alloc_space:bytes:space:bytes"), 0);
  EXPECT_NEAR(h.Total("t", "memory:inuse_space:bytes:space:bytes"), heap.Total(3), 64);
  EXPECT_EQ(Ingest(h, item(1.25, t0 + kInterval)), 1);
  EXPECT_NEAR(h.Total("t", "memory:alloc_space:bytes:space:bytes"), heap.Total(1) / 4, 64);
}

}  // namespace
}  // namespace hearth::server
