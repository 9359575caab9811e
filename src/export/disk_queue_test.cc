#include "export/disk_queue.h"

#include <gtest/gtest.h>

#include "base/fault_env.h"
#include "base/fmt.h"

namespace hearth::exporter {
namespace {

constexpr char kDir[] = "/q";

class DiskQueueTest : public ::testing::Test {
 protected:
  std::unique_ptr<DiskQueue> Open(uint64_t max_bytes = 1 << 20, uint64_t segment_bytes = 1 << 20) {
    DiskQueueOptions o;
    o.env = &env_;
    o.dir = kDir;
    o.max_bytes = max_bytes;
    o.segment_bytes = segment_bytes;
    auto q = DiskQueue::Open(o);
    EXPECT_TRUE(q.ok()) << q.status();
    return q.ok() ? std::move(*q) : nullptr;
  }

  // Every pending payload, read back.
  static std::vector<std::string> Payloads(DiskQueue& q) {
    std::vector<std::string> out;
    for (const auto& r : q.Head(1000)) {
      auto p = q.Read(r);
      EXPECT_TRUE(p.ok()) << p.status();
      out.push_back(p.ok() ? *p : "<error>");
    }
    return out;
  }

  std::vector<std::string> Segments() {
    std::vector<std::string> out;
    auto names = env_.ListDir(kDir);
    EXPECT_TRUE(names.ok()) << names.status();
    for (const std::string& n : *names) {
      if (n.ends_with(".seg")) out.push_back(n);
    }
    return out;
  }

  FaultInjectionEnv env_;
};

TEST_F(DiskQueueTest, FirstInFirstOutWithWeightsAndStamps) {
  auto q = Open();
  ASSERT_TRUE(q->Append("one", 1, 111).ok());
  ASSERT_TRUE(q->Append("two", 2, 222).ok());
  ASSERT_TRUE(q->Append("three", 3, 333).ok());
  EXPECT_EQ(q->pending_records(), 3u);
  EXPECT_EQ(q->pending_weight(), 6u);
  EXPECT_EQ(q->pending_bytes(), 3 * DiskQueue::kHeaderBytes + 3 + 3 + 5);
  auto head = q->Head(2);
  ASSERT_EQ(head.size(), 2u);
  EXPECT_EQ(head[0].seq, 1u);
  EXPECT_EQ(head[0].stamp, 111);
  EXPECT_EQ(head[1].seq, 2u);
  EXPECT_EQ(head[1].weight, 2u);
  EXPECT_EQ(Payloads(*q), (std::vector<std::string>{"one", "two", "three"}));

  ASSERT_TRUE(q->Ack(2).ok());
  EXPECT_EQ(Payloads(*q), (std::vector<std::string>{"three"}));
  EXPECT_EQ(q->pending_weight(), 3u);
  EXPECT_EQ(q->pending_bytes(), DiskQueue::kHeaderBytes + 5);
  // A record already acknowledged cannot be read any more.
  EXPECT_EQ(q->Read(head[0]).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(DiskQueueTest, ReopenReplaysWhatWasNotAcknowledged) {
  {
    auto q = Open();
    for (std::string p : {"a", "b", "c", "d"}) ASSERT_TRUE(q->Append(p, 1).ok());
    ASSERT_TRUE(q->Ack(1).ok());
  }  // destroyed without draining
  auto q = Open();
  EXPECT_TRUE(q->replay_warnings().empty());
  EXPECT_EQ(Payloads(*q), (std::vector<std::string>{"b", "c", "d"}));
  auto head = q->Head(10);
  EXPECT_EQ(head.front().seq, 2u);
  EXPECT_EQ(head.front().stamp, 0);  // replayed
  // New records follow the old ones.
  ASSERT_TRUE(q->Append("e", 1).ok());
  EXPECT_EQ(q->Head(10).back().seq, 5u);
  ASSERT_TRUE(q->Ack(5).ok());
  EXPECT_EQ(q->pending_records(), 0u);
  // Everything acknowledged: no segment is left but the active one, and the sequence
  // numbers keep counting after another reopen.
  q.reset();
  q = Open();
  EXPECT_EQ(q->pending_records(), 0u);
  EXPECT_TRUE(Segments().empty());
  ASSERT_TRUE(q->Append("f", 1).ok());
  EXPECT_EQ(q->Head(1).front().seq, 6u);
}

TEST_F(DiskQueueTest, AppendIsDurableBeforeItReturns) {
  auto q = Open();
  ASSERT_TRUE(q->Append("kept", 1).ok());
  ASSERT_TRUE(q->Append("kept too", 1).ok());
  env_.Crash(FaultInjectionEnv::CrashOptions{.torn_writes = true});
  q.reset();
  env_.Restart();
  q = Open();
  EXPECT_EQ(Payloads(*q), (std::vector<std::string>{"kept", "kept too"}));
}

TEST_F(DiskQueueTest, ACrashInsideAnAppendLosesOnlyThatRecord) {
  auto q = Open();
  ASSERT_TRUE(q->Append("acknowledged", 1).ok());
  // Header append, payload append, sync: crash at the sync of the next record, keeping a
  // torn part of it.
  env_.CrashAfter(3, FaultInjectionEnv::CrashOptions{.torn_writes = true});
  EXPECT_FALSE(q->Append(std::string(5000, 'x'), 1).ok());
  q.reset();
  env_.Restart();
  q = Open();
  EXPECT_EQ(Payloads(*q), (std::vector<std::string>{"acknowledged"}));
  ASSERT_TRUE(q->Append("after", 1).ok());
  EXPECT_EQ(Payloads(*q), (std::vector<std::string>{"acknowledged", "after"}));
}

TEST_F(DiskQueueTest, AFailedSyncAbandonsTheSegment) {
  auto q = Open();
  ASSERT_TRUE(q->Append("first", 1).ok());
  env_.FailNext(FaultInjectionEnv::Op::kSync, 1);
  EXPECT_EQ(q->Append("lost", 1).code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(q->Append("second", 1).ok());
  EXPECT_EQ(Payloads(*q), (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(Segments().size(), 2u);  // "second" went to a new segment
  q.reset();
  q = Open();
  EXPECT_EQ(Payloads(*q), (std::vector<std::string>{"first", "second"}));
  EXPECT_TRUE(q->replay_warnings().empty());
}

TEST_F(DiskQueueTest, RefusesRecordsPastItsBound) {
  const uint64_t record = DiskQueue::kHeaderBytes + 100;
  auto q = Open(/*max_bytes=*/3 * record);
  const std::string payload(100, 'p');
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(q->Append(payload, 1).ok());
  absl::Status full = q->Append(payload, 1);
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(full.message(),
            "queue /q is full: 360 bytes pending, 120 more would pass its bound of 360");
  EXPECT_EQ(q->pending_records(), 3u);
  ASSERT_TRUE(q->Ack(1).ok());
  EXPECT_TRUE(q->Append(payload, 1).ok());
  EXPECT_EQ(q->pending_bytes(), 3 * record);
}

TEST_F(DiskQueueTest, WithoutADirectoryItQueuesInMemoryWithTheSameRules) {
  DiskQueueOptions o;
  o.max_bytes = 2 * (DiskQueue::kHeaderBytes + 3);
  auto q = DiskQueue::Open(o);
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_TRUE((*q)->Append("one", 1, 11).ok());
  ASSERT_TRUE((*q)->Append("two", 2, 22).ok());
  absl::Status full = (*q)->Append("six", 6);
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(full.message(),
            "queue (in memory) is full: 46 bytes pending, 23 more would pass its bound of 46");
  auto head = (*q)->Head(10);
  ASSERT_EQ(head.size(), 2u);
  EXPECT_EQ(head[1].stamp, 22);
  EXPECT_EQ(Payloads(**q), (std::vector<std::string>{"one", "two"}));
  ASSERT_TRUE((*q)->Ack(1).ok());
  EXPECT_EQ(Payloads(**q), (std::vector<std::string>{"two"}));
  EXPECT_EQ((*q)->Read(head[0]).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE((*q)->Append("six", 6).ok());
  EXPECT_EQ((*q)->pending_weight(), 8u);
}

TEST_F(DiskQueueTest, SegmentsRollAndGoOnceAcknowledged) {
  auto q = Open(/*max_bytes=*/1 << 20, /*segment_bytes=*/100);
  const std::string payload(60, 's');
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(q->Append(payload, 1).ok());
  // 80 bytes a record, a new segment once one is past 100 bytes: two records each.
  EXPECT_EQ(Segments(),
            (std::vector<std::string>{"00000000000000000001.seg", "00000000000000000003.seg",
                                      "00000000000000000005.seg"}));
  ASSERT_TRUE(q->Ack(3).ok());  // segment 1 is done, segment 3 half
  EXPECT_EQ(Segments(),
            (std::vector<std::string>{"00000000000000000003.seg", "00000000000000000005.seg"}));
  q.reset();
  q = Open(1 << 20, 100);
  EXPECT_EQ(q->pending_records(), 3u);
  EXPECT_EQ(q->Head(1).front().seq, 4u);
  ASSERT_TRUE(q->Ack(6).ok());
  EXPECT_TRUE(Segments().empty());  // no active segment yet after the reopen
}

TEST_F(DiskQueueTest, ReplayStopsASegmentAtADamagedRecord) {
  {
    auto q = Open();
    for (std::string p : {"good", "flipped", "after"}) ASSERT_TRUE(q->Append(p, 1).ok());
  }
  // Damage the payload of the second record (24 bytes each for the first).
  const std::string seg = fmt::format("{}/00000000000000000001.seg", kDir);
  ASSERT_TRUE(
      env_.FlipBit(seg, (DiskQueue::kHeaderBytes + 4 + DiskQueue::kHeaderBytes + 2) * 8).ok());
  auto q = Open();
  EXPECT_EQ(Payloads(*q), (std::vector<std::string>{"good"}));
  ASSERT_EQ(q->replay_warnings().size(), 1u);
  EXPECT_EQ(q->replay_warnings()[0],
            "/q/00000000000000000001.seg: a record fails its checksum at offset 24; the 52 bytes "
            "from there on are ignored");
}

TEST_F(DiskQueueTest, ReadNoticesDamageAfterOpen) {
  auto q = Open();
  ASSERT_TRUE(q->Append("payload", 1).ok());
  ASSERT_TRUE(env_.FlipBit(fmt::format("{}/00000000000000000001.seg", kDir),
                           (DiskQueue::kHeaderBytes + 1) * 8)
                  .ok());
  EXPECT_EQ(q->Read(q->Head(1).front()).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace hearth::exporter
