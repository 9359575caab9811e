#include "export/queued_exporter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "base/fault_env.h"
#include "base/rpc_status.h"
#include "export/record.h"
#include "export/test_util.h"

namespace hearth::exporter {
namespace {

using testing::TinyBatch;
using testing::TinyItem;
constexpr int64_t kMs = 1'000'000;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// What the fake exporters saw, shared across QueuedExporter instances (a "receiver").
class Receiver {
 public:
  struct Call {
    int64_t at_ns = 0;
    std::string tenant;
    std::vector<int64_t> values;  // each profile's total, in order
  };
  // Decides each attempt's outcome (attempt counts from 0); OK by default.
  std::function<absl::Status(const Batch&, int attempt)> behavior;

  absl::Status Export(const Batch& batch) {
    std::unique_lock<std::mutex> lock(mu_);
    Call c{NowNs(), batch.tenant, {}};
    for (const BatchItem& it : batch.items) c.values.push_back(it.profile.Total(0));
    calls_.push_back(c);
    absl::Status s =
        behavior ? behavior(batch, static_cast<int>(calls_.size()) - 1) : absl::OkStatus();
    if (s.ok()) {
      for (int64_t v : c.values) delivered_.push_back(v);
    }
    cv_.notify_all();
    return s;
  }

  // Waits (up to 10 s) until `n` profiles were delivered.
  bool WaitDelivered(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return delivered_.size() >= n; });
  }
  bool WaitCalls(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return calls_.size() >= n; });
  }
  std::vector<Call> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  std::vector<int64_t> delivered() {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Call> calls_;
  std::vector<int64_t> delivered_;
};

class FakeExporter : public Exporter {
 public:
  explicit FakeExporter(Receiver* r) : r_(r) {}
  absl::Status Export(const Batch& batch) override { return r_->Export(batch); }

 private:
  Receiver* r_;
};

class QueuedExporterTest : public ::testing::Test {
 protected:
  QueuedExporterTest() {
    options_.name = "test";
    options_.env = &env_;
    options_.queue_dir = "/forward/test";
    options_.max_batch_profiles = 100;
    options_.max_delay_ns = 3600'000 * kMs;  // an hour: only size or shutdown sends
    options_.retry.initial_interval_ns = 5 * kMs;
    options_.retry.max_interval_ns = 20 * kMs;
    options_.retry.jitter = 0.2;
    options_.seed = 7;
    options_.log = [this](std::string_view m) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.emplace_back(m);
    };
  }

  std::unique_ptr<QueuedExporter> Open() {
    auto q = QueuedExporter::Open(std::make_unique<FakeExporter>(&receiver_), options_);
    EXPECT_TRUE(q.ok()) << q.status();
    return q.ok() ? std::move(*q) : nullptr;
  }

  std::vector<std::string> Log() {
    std::lock_guard<std::mutex> lock(log_mu_);
    return log_;
  }

  FaultInjectionEnv env_;
  Receiver receiver_;
  QueuedExporterOptions options_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(QueuedExporterTest, SendsFullBatchesAndTheRestAtShutdown) {
  options_.max_batch_profiles = 3;
  auto q = Open();
  for (int i = 1; i <= 7; ++i) ASSERT_TRUE(q->Enqueue(TinyBatch("t", "svc", i)).ok());
  q->Start();
  ASSERT_TRUE(receiver_.WaitDelivered(6));
  // The seventh waits for more company (max_delay is an hour) until shutdown drains it.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(receiver_.calls().size(), 2u);
  q->Shutdown(5000 * kMs);
  const auto calls = receiver_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].values, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(calls[1].values, (std::vector<int64_t>{4, 5, 6}));
  EXPECT_EQ(calls[2].values, (std::vector<int64_t>{7}));
  const QueuedExporterStats s = q->stats();
  EXPECT_EQ(s.exported_profiles, 7u);
  EXPECT_EQ(s.exported_batches, 3u);
  EXPECT_EQ(s.queue_profiles, 0u);
  EXPECT_EQ(s.queue_bytes, 0u);
}

TEST_F(QueuedExporterTest, SendsAPartialBatchAfterMaxDelay) {
  options_.max_delay_ns = 80 * kMs;
  auto q = Open();
  q->Start();
  const int64_t start = NowNs();
  ASSERT_TRUE(q->Enqueue(TinyBatch("t", "svc", 1)).ok());
  ASSERT_TRUE(q->Enqueue(TinyBatch("t", "svc", 2)).ok());
  ASSERT_TRUE(receiver_.WaitDelivered(2));
  const auto calls = receiver_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].values, (std::vector<int64_t>{1, 2}));
  EXPECT_GE(calls[0].at_ns - start, 80 * kMs);
}

TEST_F(QueuedExporterTest, ABatchHoldsOneTenant) {
  auto q = Open();
  ASSERT_TRUE(q->Enqueue(TinyBatch("a", "svc", 1)).ok());
  ASSERT_TRUE(q->Enqueue(TinyBatch("a", "svc", 2)).ok());
  ASSERT_TRUE(q->Enqueue(TinyBatch("b", "svc", 3)).ok());
  ASSERT_TRUE(q->Enqueue(TinyBatch("a", "svc", 4)).ok());
  q->Start();
  q->Shutdown(5000 * kMs);
  const auto calls = receiver_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].tenant, "a");
  EXPECT_EQ(calls[0].values, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(calls[1].tenant, "b");
  EXPECT_EQ(calls[2].tenant, "a");
  EXPECT_EQ(calls[2].values, (std::vector<int64_t>{4}));
}

TEST_F(QueuedExporterTest, RetriesWithGrowingBackoff) {
  options_.retry.jitter = 0;
  options_.retry.initial_interval_ns = 20 * kMs;
  options_.retry.max_interval_ns = 1000 * kMs;
  receiver_.behavior = [](const Batch&, int attempt) {
    return attempt < 3 ? absl::UnavailableError("connection refused") : absl::OkStatus();
  };
  auto q = Open();
  ASSERT_TRUE(q->Enqueue(TinyBatch("t", "svc", 5)).ok());
  q->Start();
  q->Shutdown(10'000 * kMs);  // drains, retrying
  const auto calls = receiver_.calls();
  ASSERT_EQ(calls.size(), 4u);
  // Waits of 20, 40 and 80 ms between the attempts (never shorter).
  EXPECT_GE(calls[1].at_ns - calls[0].at_ns, 20 * kMs);
  EXPECT_GE(calls[2].at_ns - calls[1].at_ns, 40 * kMs);
  EXPECT_GE(calls[3].at_ns - calls[2].at_ns, 80 * kMs);
  EXPECT_EQ(receiver_.delivered(), (std::vector<int64_t>{5}));
  const QueuedExporterStats s = q->stats();
  EXPECT_EQ(s.exported_profiles, 1u);
  EXPECT_EQ(s.failed_profiles.at("retryable"), 3u);
  EXPECT_EQ(s.queue_profiles, 0u);
  const auto log = Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0],
            "sending 1 profiles failed, will retry (the queue keeps them): connection refused");
  EXPECT_EQ(log[1], "the receiver is back; sending again");
}

TEST_F(QueuedExporterTest, HonoursRetryAfter) {
  options_.max_delay_ns = 1 * kMs;
  options_.retry.initial_interval_ns = 1 * kMs;
  receiver_.behavior = [](const Batch&, int attempt) {
    return attempt == 0 ? WithRetryDelay(absl::ResourceExhaustedError("HTTP 429"), 300 * kMs)
                        : absl::OkStatus();
  };
  auto q = Open();
  ASSERT_TRUE(q->Enqueue(TinyBatch("t", "svc", 1)).ok());
  q->Start();
  ASSERT_TRUE(receiver_.WaitDelivered(1));
  const auto calls = receiver_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_GE(calls[1].at_ns - calls[0].at_ns, 300 * kMs);
}

TEST_F(QueuedExporterTest, DropsWhatTheReceiverRefusesForGood) {
  receiver_.behavior = [](const Batch& b, int) {
    return b.tenant == "bad" ? absl::InvalidArgumentError("HTTP 400: no") : absl::OkStatus();
  };
  auto q = Open();
  ASSERT_TRUE(q->Enqueue(TinyBatch("bad", "svc", 1)).ok());
  ASSERT_TRUE(q->Enqueue(TinyBatch("good", "svc", 2)).ok());
  q->Start();
  q->Shutdown(5000 * kMs);
  EXPECT_EQ(receiver_.calls().size(), 2u);  // no retry of the refused one
  EXPECT_EQ(receiver_.delivered(), (std::vector<int64_t>{2}));
  const QueuedExporterStats s = q->stats();
  EXPECT_EQ(s.failed_profiles.at("permanent"), 1u);
  EXPECT_EQ(s.exported_profiles, 1u);
  EXPECT_EQ(s.queue_profiles, 0u);
  ASSERT_FALSE(Log().empty());
  EXPECT_EQ(Log()[0],
            "dropping 1 profiles of tenant \"bad\", refused by the receiver: HTTP 400: no");
}

TEST_F(QueuedExporterTest, KeepsTheBatchAfterMaxElapsedAndDeliversWhenTheReceiverReturns) {
  options_.max_delay_ns = 1 * kMs;
  options_.retry.initial_interval_ns = 5 * kMs;
  options_.retry.max_interval_ns = 10 * kMs;
  options_.retry.max_elapsed_ns = 30 * kMs;
  std::atomic<bool> down{true};
  receiver_.behavior = [&](const Batch&, int) {
    return down ? absl::UnavailableError("down") : absl::OkStatus();
  };
  auto q = Open();
  ASSERT_TRUE(q->Enqueue(TinyBatch("t", "svc", 9)).ok());
  q->Start();
  // Well past several rounds of max_elapsed: still queued, not dropped.
  ASSERT_TRUE(receiver_.WaitCalls(12));
  EXPECT_EQ(q->stats().queue_profiles, 1u);
  EXPECT_EQ(q->stats().failed_profiles.count("permanent"), 0u);
  down = false;
  ASSERT_TRUE(receiver_.WaitDelivered(1));
  q->Shutdown(1000 * kMs);
  EXPECT_EQ(receiver_.delivered(), (std::vector<int64_t>{9}));
  EXPECT_EQ(q->stats().queue_profiles, 0u);
  bool gave_up_logged = false;
  for (const std::string& l : Log())
    gave_up_logged |= l.starts_with("still failing after 0.03s; 1 profiles stay queued");
  EXPECT_TRUE(gave_up_logged);
}

TEST_F(QueuedExporterTest, AFullQueueRefusesEnqueue) {
  const std::string record = EncodeRecord(TinyBatch("t", "svc", 1));
  options_.max_queue_bytes = 2 * (DiskQueue::kHeaderBytes + record.size());
  auto q = Open();
  ASSERT_TRUE(q->Enqueue(TinyBatch("t", "svc", 1)).ok());
  ASSERT_TRUE(q->Enqueue(TinyBatch("t", "svc", 1)).ok());
  absl::Status full = q->Enqueue(TinyBatch("t", "svc", 1));
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  const QueuedExporterStats s = q->stats();
  EXPECT_EQ(s.failed_profiles.at("queue_full"), 1u);
  EXPECT_EQ(s.queue_profiles, 2u);
  EXPECT_EQ(s.queue_bytes, options_.max_queue_bytes);
}

TEST_F(QueuedExporterTest, TheQueueSurvivesARestart) {
  {
    auto q = Open();
    for (int i = 1; i <= 5; ++i) ASSERT_TRUE(q->Enqueue(TinyBatch("t", "svc", i)).ok());
  }  // destroyed without ever starting: nothing sent
  EXPECT_TRUE(receiver_.calls().empty());
  auto q = Open();
  EXPECT_EQ(q->stats().queue_profiles, 5u);
  // Replayed records do not wait for max_delay (an hour here).
  q->Start();
  ASSERT_TRUE(receiver_.WaitDelivered(5));
  EXPECT_EQ(receiver_.delivered(), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  q->Shutdown(1000 * kMs);
  // Exported records are gone for good.
  q.reset();
  q = Open();
  EXPECT_EQ(q->stats().queue_profiles, 0u);
}

TEST_F(QueuedExporterTest, ShutdownWithTheReceiverDownKeepsTheQueueOnDisk) {
  options_.retry.initial_interval_ns = 50 * kMs;
  receiver_.behavior = [](const Batch&, int) { return absl::UnavailableError("down"); };
  auto q = Open();
  ASSERT_TRUE(q->Enqueue(TinyBatch("t", "svc", 1)).ok());
  ASSERT_TRUE(q->Enqueue(TinyBatch("t", "svc", 2)).ok());
  q->Start();
  const int64_t start = NowNs();
  q->Shutdown(100 * kMs);
  EXPECT_LT(NowNs() - start, 1000 * kMs);
  EXPECT_GE(receiver_.calls().size(), 1u);
  q.reset();
  receiver_.behavior = nullptr;
  q = Open();
  q->Start();
  ASSERT_TRUE(receiver_.WaitDelivered(2));
  EXPECT_EQ(receiver_.delivered(), (std::vector<int64_t>{1, 2}));
}

TEST_F(QueuedExporterTest, ARetryResumesAfterTheItemsAlreadySent) {
  receiver_.behavior = [](const Batch& b, int attempt) {
    return attempt == 0 ? WithItemsSent(absl::UnavailableError("503"), 1) : absl::OkStatus();
  };
  auto q = Open();
  Batch b = TinyBatch("t", "svc", 1);
  b.items.push_back(TinyItem("svc", 2));
  b.items.push_back(TinyItem("svc", 3));
  ASSERT_TRUE(q->Enqueue(b).ok());
  q->Start();
  q->Shutdown(5000 * kMs);
  const auto calls = receiver_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].values, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(calls[1].values, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(q->stats().exported_profiles, 3u);
}

TEST_F(QueuedExporterTest, DropsARecordThatCannotBeReadBack) {
  auto q = Open();
  ASSERT_TRUE(q->Enqueue(TinyBatch("t", "svc", 1)).ok());
  ASSERT_TRUE(q->Enqueue(TinyBatch("t", "svc", 2)).ok());
  // Damage the first record's payload.
  ASSERT_TRUE(
      env_.FlipBit("/forward/test/00000000000000000001.seg", (DiskQueue::kHeaderBytes + 3) * 8)
          .ok());
  q->Start();
  q->Shutdown(5000 * kMs);
  EXPECT_EQ(receiver_.delivered(), (std::vector<int64_t>{2}));
  EXPECT_EQ(q->stats().failed_profiles.at("damaged"), 1u);
}

TEST_F(QueuedExporterTest, RecordsKeepLabelsTenantAndProfile) {
  Batch b = TinyBatch("team-a", "api", 42);
  b.items[0].labels.emplace_back("region", "eu");
  b.items[0].profile.time_nanos = 0;
  const std::vector<Labels> labels = {b.items[0].labels};
  const std::string record = EncodeRecord(b);
  auto back = DecodeRecord(record);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->tenant, "team-a");
  ASSERT_EQ(back->items.size(), 1u);
  EXPECT_EQ(back->items[0].labels, labels[0]);
  EXPECT_EQ(back->items[0].profile.Total(0), 42);
  // A profile without a time gets the one the caller stored it at.
  const ItemRef ref{&b.items[0].labels, &b.items[0].profile, {}, 123456789};
  auto timed = DecodeRecord(EncodeRecord("x", std::span<const ItemRef>(&ref, 1)));
  ASSERT_TRUE(timed.ok());
  EXPECT_EQ(timed->items[0].profile.time_nanos, 123456789);
  EXPECT_EQ(DecodeRecord("\x12\x03\x0a\x01").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace hearth::exporter
