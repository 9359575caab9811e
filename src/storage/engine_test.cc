#include "storage/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "profile/call_tree.h"
#include "profile/ops.h"
#include "storage/test_util.h"

namespace hearth::storage {
namespace {

using ::testing::HasSubstr;
using testing::ClockEnv;
using testing::LoadFixture;
using testing::TempDir;

constexpr int64_t kSec = 1000000000;
// 2026-11-26 07:35:00 UTC, a minute boundary: the fixtures were captured then.
constexpr int64_t kT0 = 1795678500 * kSec;

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : posix_(NewPosixEnv()), env_(posix_.get(), kT0 + 3 * kHourNs) {}

  EngineOptions Options() {
    EngineOptions o;
    o.dir = dir_.path();
    o.env = &env_;
    o.background = false;
    o.wal.sync = true;
    return o;
  }

  std::unique_ptr<Engine> OpenEngine(EngineOptions o) {
    auto e = Engine::Open(std::move(o));
    EXPECT_TRUE(e.ok()) << e.status();
    return std::move(*e);
  }
  std::unique_ptr<Engine> OpenEngine() { return OpenEngine(Options()); }

  static Labels CpuLabels(std::string service = "cpuburn") {
    Labels l = {{"__name__", "process_cpu"}, {"service_name", std::move(service)}};
    EXPECT_TRUE(NormalizeLabels(l).ok());
    return l;
  }

  // One batch, one fsync.
  static void AppendAll(Engine& e, const std::vector<profile::Profile>& ps) {
    std::vector<AppendRequest> batch;
    for (const auto& p : ps) batch.push_back({CpuLabels(), &p, 0, {}});
    auto s = e.Append("t1", batch);
    ASSERT_TRUE(s.ok()) << s;
  }

  static void Append(Engine& e, const profile::Profile& p, Labels labels = CpuLabels(),
                     const std::string& tenant = "t1") {
    AppendRequest r{std::move(labels), &p, 0, {}};
    auto s = e.Append(tenant, {&r, 1});
    ASSERT_TRUE(s.ok()) << s;
  }

  static SelectRequest CpuQuery(int64_t from, int64_t to) {
    SelectRequest q;
    q.tenant = "t1";
    q.type = *ParseProfileTypeId("process_cpu:cpu:nanoseconds:cpu:nanoseconds");
    q.range = {from, to};
    return q;
  }

  // Root-first folded stacks of a merge result (its only value).
  static std::string Folded(const MergeResult& r) {
    EXPECT_EQ(r.groups.size(), 1u);
    return profile::CallTree::Build(r.groups[0].profile, 0).ToFolded();
  }

  TempDir dir_;
  std::unique_ptr<Env> posix_;
  ClockEnv env_;
};

profile::Profile AtTime(profile::Profile p, int64_t ts) {
  p.time_nanos = ts;
  return p;
}

TEST_F(EngineTest, MergeReturnsWhatWasAppended) {
  profile::Profile p = LoadFixture("go/http/cpuburn.profile.10s.pb.gz");
  auto e = OpenEngine();
  Append(*e, p);
  auto r = e->SelectMerge(CpuQuery(p.time_nanos - kHourNs, p.time_nanos + kHourNs));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->groups.size(), 1u);
  const profile::Profile& got = r->groups[0].profile;
  EXPECT_EQ(got.Total(0), 3610000000);
  EXPECT_EQ(got.Str(got.sample_types[0].type), "cpu");
  // The same stacks with the same values as the input's cpu column (labels aside).
  EXPECT_EQ(Folded(*r), profile::CallTree::Build(p, 1).ToFolded());
  EXPECT_TRUE(r->warnings.empty());
}

TEST_F(EngineTest, SampleLabelsBecomeSeriesAndSpansStayPerSample) {
  profile::Profile p = LoadFixture("go/http/cpuburn.profile.10s.pb.gz");
  auto e = OpenEngine();
  Append(*e, p);
  LabelQuery lq{"t1", {}, {p.time_nanos - kHourNs, p.time_nanos + kHourNs}};
  auto names = e->LabelNames(lq);
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, ::testing::ElementsAre("__name__", "endpoint", "service_name", "worker"));
  auto endpoints = e->LabelValues(lq, "endpoint");
  ASSERT_TRUE(endpoints.ok());
  EXPECT_THAT(*endpoints, ::testing::ElementsAre("/api/checkout", "/api/report", "/api/search"));

  // endpoint="/api/search" selects exactly the samples with that label.
  SelectRequest q = CpuQuery(p.time_nanos - kHourNs, p.time_nanos + kHourNs);
  q.matchers = {{"endpoint", Matcher::Op::kEq, "/api/search"}};
  auto r = e->SelectMerge(q);
  ASSERT_TRUE(r.ok()) << r.status();
  int64_t want = 0;
  for (const profile::Sample& s : p.samples) {
    if (profile::HasLabel(p, s, "endpoint", "/api/search")) want += p.Values(s)[1];
  }
  EXPECT_GT(want, 0);
  EXPECT_EQ(r->groups[0].profile.Total(0), want);

  // A span filter keeps that span's samples only.
  const std::string span = "1592590727";
  int64_t span_total = 0;
  for (const profile::Sample& s : p.samples) {
    if (profile::HasLabel(p, s, "span_id", span)) span_total += p.Values(s)[1];
  }
  ASSERT_GT(span_total, 0);
  SelectRequest sq = CpuQuery(p.time_nanos - kHourNs, p.time_nanos + kHourNs);
  sq.span_ids = {span};
  r = e->SelectMerge(sq);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->groups[0].profile.Total(0), span_total);

  // Group by endpoint: three groups that add up to the whole.
  SelectRequest gq = CpuQuery(p.time_nanos - kHourNs, p.time_nanos + kHourNs);
  gq.group_by = {"endpoint"};
  r = e->SelectMerge(gq);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->groups.size(), 4u);  // three endpoints and the unlabelled background work
  int64_t sum = 0;
  for (const MergeGroup& g : r->groups) sum += g.profile.Total(0);
  EXPECT_EQ(sum, 3610000000);
}

TEST_F(EngineTest, FlushRestartAndReplayGiveTheSameAnswer) {
  profile::Profile a = LoadFixture("go/http/cpuburn.profile.10s.pb.gz");
  profile::Profile b = LoadFixture("go/http/cpuburn.profile.3s.pb.gz");
  const SelectRequest q = CpuQuery(a.time_nanos - kHourNs, a.time_nanos + kHourNs);
  std::string expected;
  {
    auto e = OpenEngine();
    Append(*e, a);
    auto before = e->SelectMerge(q);
    ASSERT_TRUE(before.ok());
    ASSERT_TRUE(e->Flush().ok());
    EXPECT_EQ(e->stats().blocks[0], 1u);
    auto after = e->SelectMerge(q);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(Folded(*after), Folded(*before));
    Append(*e, b);  // in the head, not flushed
    auto both = e->SelectMerge(q);
    ASSERT_TRUE(both.ok());
    EXPECT_EQ(both->groups[0].profile.Total(0), 3610000000 + 1020000000);
    expected = Folded(*both);
    // Destroyed without Close(): the 3s profile lives only in the WAL.
  }
  auto e = OpenEngine();
  EXPECT_EQ(e->recovery().replayed_profiles, 1u);
  EXPECT_TRUE(e->recovery().replay_errors.empty());
  auto r = e->SelectMerge(q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Folded(*r), expected);
}

// A stream of perturbed CPU profiles every 10 s for two hours and a bit.
std::vector<profile::Profile> Stream(const profile::Profile& base, int64_t start, int count) {
  std::vector<profile::Profile> out;
  std::mt19937 rng(7);
  for (int i = 0; i < count; ++i) {
    profile::Profile p = AtTime(base, start + i * 10 * kSec);
    for (const profile::Sample& s : p.samples) {
      auto v = p.MutableValues(s);
      int64_t n = 1 + rng() % 3;
      v[0] = n;
      v[1] = n * 10000000;
    }
    out.push_back(std::move(p));
  }
  return out;
}

TEST_F(EngineTest, RollupsAnswerExactlyLikeRawRows) {
  profile::Profile base = LoadFixture("go/http/cpuburn.profile.3s.pb.gz");
  const int64_t start = kT0 + 5 * kSec;
  auto profiles = Stream(base, start, 800);  // ~2h13m
  auto e = OpenEngine();
  AppendAll(*e, profiles);
  ASSERT_TRUE(e->Flush().ok());
  const auto st = e->stats();
  EXPECT_EQ(st.blocks[0], 1u);
  EXPECT_EQ(st.blocks[1], 1u);
  EXPECT_EQ(st.blocks[2], 1u);

  // Ragged edges: 7 s past a minute to 23 s past another, spanning two full hours.
  SelectRequest q = CpuQuery(kT0 + 67 * kSec, kT0 + 2 * kHourNs + 9 * kMinuteNs + 23 * kSec);
  auto rolled = e->SelectMerge(q);
  ASSERT_TRUE(rolled.ok()) << rolled.status();
  q.use_rollups = false;
  auto raw = e->SelectMerge(q);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(Folded(*rolled), Folded(*raw));
  EXPECT_GT(rolled->stats.rollup_rows, 0u);
  EXPECT_LT(rolled->stats.rows, raw->stats.rows / 5);

  int64_t want = 0;
  for (const auto& p : profiles) {
    if (q.range.Contains(p.time_nanos)) want += p.Total(1);
  }
  EXPECT_EQ(rolled->groups[0].profile.Total(0), want);

  // Time series per minute from a minute-aligned start uses 1m rollups and agrees with raw.
  SelectRequest sq = CpuQuery(kT0, kT0 + 2 * kHourNs);
  sq.step_ns = kMinuteNs;
  auto series = e->SelectSeries(sq);
  ASSERT_TRUE(series.ok()) << series.status();
  sq.use_rollups = false;
  auto raw_series = e->SelectSeries(sq);
  ASSERT_TRUE(raw_series.ok());
  ASSERT_EQ(series->series.size(), 1u);
  ASSERT_EQ(series->series[0].points.size(), 120u);
  EXPECT_EQ(series->series[0].points.size(), raw_series->series[0].points.size());
  for (size_t i = 0; i < series->series[0].points.size(); ++i) {
    EXPECT_EQ(series->series[0].points[i].ts_ns, raw_series->series[0].points[i].ts_ns);
    EXPECT_EQ(series->series[0].points[i].value, raw_series->series[0].points[i].value);
  }
  EXPECT_GT(series->stats.rollup_rows, 0u);
}

TEST_F(EngineTest, CompactionMergesBlocksWithoutChangingAnswers) {
  profile::Profile base = LoadFixture("go/http/cpuburn.profile.3s.pb.gz");
  auto profiles = Stream(base, kT0, 360);  // one hour
  auto e = OpenEngine();
  for (size_t i = 0; i < profiles.size(); i += 90) {
    AppendAll(*e, std::vector<profile::Profile>(profiles.begin() + i, profiles.begin() + i + 90));
    ASSERT_TRUE(e->Flush().ok());
  }
  EXPECT_EQ(e->stats().blocks[0], 4u);
  const SelectRequest q = CpuQuery(kT0, kT0 + kHourNs);
  auto before = e->SelectMerge(q);
  ASSERT_TRUE(before.ok());
  env_.Advance(31 * 24 * kHourNs);  // every window (1d raw, 7d 1m, 30d 1h) has closed
  ASSERT_TRUE(e->Compact().ok());
  auto st = e->stats();
  EXPECT_EQ(st.blocks[0], 1u);
  EXPECT_EQ(st.blocks[1], 1u);
  EXPECT_EQ(st.blocks[2], 1u);
  EXPECT_EQ(st.compactions, 3u);
  auto after = e->SelectMerge(q);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(Folded(*after), Folded(*before));
  // And after a restart (the source blocks are gone, not double counted).
  e.reset();
  e = OpenEngine();
  EXPECT_EQ(e->stats().blocks[0], 1u);
  auto reopened = e->SelectMerge(q);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(Folded(*reopened), Folded(*before));
}

TEST_F(EngineTest, RetentionDropsRawButRollupsStillAnswer) {
  profile::Profile base = LoadFixture("go/http/cpuburn.profile.3s.pb.gz");
  auto profiles = Stream(base, kT0, 360);
  EngineOptions o = Options();
  o.retention.raw_ns = 24 * kHourNs;
  auto e = OpenEngine(o);
  AppendAll(*e, profiles);
  ASSERT_TRUE(e->Flush().ok());
  const SelectRequest q = CpuQuery(kT0, kT0 + kHourNs);
  auto before = e->SelectMerge(q);
  ASSERT_TRUE(before.ok());
  env_.Advance(2 * 24 * kHourNs);
  ASSERT_TRUE(e->ApplyRetention().ok());
  auto st = e->stats();
  EXPECT_EQ(st.blocks[0], 0u);
  EXPECT_EQ(st.blocks[2], 1u);
  EXPECT_EQ(st.retention_deletions, 1u);
  auto after = e->SelectMerge(q);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(Folded(*after), Folded(*before));
}

TEST_F(EngineTest, RetentionBySizeDeletesOldestRawFirst) {
  profile::Profile base = LoadFixture("go/http/cpuburn.profile.3s.pb.gz");
  auto e = OpenEngine();
  for (int day = 0; day < 3; ++day) {
    AppendAll(*e, Stream(base, kT0 + day * 24 * kHourNs, 30));
    ASSERT_TRUE(e->Flush().ok());
  }
  auto blocks = e->Blocks();
  uint64_t total = 0, newest_raw = 0;
  for (const auto& b : blocks) total += b.file_bytes;
  EngineOptions o = Options();
  e.reset();
  o.retention.raw_ns = 0;
  o.retention.max_total_bytes = total - 1;  // one raw block must go
  e = OpenEngine(o);
  ASSERT_TRUE(e->ApplyRetention().ok());
  auto st = e->stats();
  EXPECT_EQ(st.blocks[0], 2u);
  EXPECT_EQ(st.blocks[1], 3u);
  EXPECT_EQ(st.blocks[2], 3u);
  for (const auto& b : e->Blocks()) {
    if (b.meta.resolution != Resolution::kRaw) continue;
    newest_raw = std::max<uint64_t>(newest_raw, b.meta.min_ts);
    // The oldest day's raw block went first.
    EXPECT_GE(b.meta.min_ts, kT0 + 24 * kHourNs);
  }
  EXPECT_GT(newest_raw, 0u);
}

TEST_F(EngineTest, QueryLimitsGiveClearErrors) {
  profile::Profile p = LoadFixture("go/http/cpuburn.profile.10s.pb.gz");
  auto e = OpenEngine();
  Append(*e, p);
  SelectRequest q = CpuQuery(p.time_nanos - kHourNs, p.time_nanos + kHourNs);
  q.limits.max_series = 2;
  auto r = e->SelectMerge(q);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("query selects more than 2 series (limit max_series)"));
  q.limits = {};
  q.limits.max_samples = 10;
  r = e->SelectMerge(q);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("reads more than 10 samples"));
}

TEST_F(EngineTest, TenantsAreIsolated) {
  profile::Profile p = LoadFixture("go/http/cpuburn.profile.10s.pb.gz");
  auto e = OpenEngine();
  Append(*e, p, CpuLabels(), "alice");
  SelectRequest q = CpuQuery(p.time_nanos - kHourNs, p.time_nanos + kHourNs);
  q.tenant = "bob";
  auto r = e->SelectMerge(q);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->groups[0].profile.samples.empty());
  q.tenant = "alice";
  r = e->SelectMerge(q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->groups[0].profile.Total(0), 3610000000);
}

TEST_F(EngineTest, RejectsBadAppends) {
  profile::Profile p = LoadFixture("go/http/cpuburn.profile.10s.pb.gz");
  auto e = OpenEngine();
  AppendRequest r{{{"service_name", "x"}}, &p, 0, {}};
  auto s = e->Append("t1", {&r, 1});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("__name__"));
  AppendRequest ok{CpuLabels(), &p, 0, {}};
  EXPECT_EQ(e->Append("", {&ok, 1}).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EngineTest, DamagedBlockIsReportedAndTheRestServed) {
  profile::Profile a = LoadFixture("go/http/cpuburn.profile.10s.pb.gz");
  profile::Profile b = LoadFixture("go/http/cpuburn.profile.3s.pb.gz");
  std::string damaged;
  {
    auto e = OpenEngine();
    Append(*e, a, CpuLabels("one"));
    ASSERT_TRUE(e->Flush().ok());
    Append(*e, b, CpuLabels("two"));
    ASSERT_TRUE(e->Flush().ok());
    for (const auto& info : e->Blocks()) {
      if (info.meta.resolution == Resolution::kRaw && info.meta.min_ts == a.time_nanos) {
        damaged = info.path;
      }
    }
    ASSERT_TRUE(e->Close().ok());
  }
  ASSERT_FALSE(damaged.empty());
  // Flip a byte inside the symbols frame, which follows the page frames.
  uint64_t offset;
  {
    auto block = Block::Open(posix_.get(), damaged);
    ASSERT_TRUE(block.ok());
    offset = 8 + (*block)->sizes().pages_meta + (*block)->sizes().pages_samples + 10;
  }
  {
    std::fstream f(damaged, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(offset);
    char c;
    f.read(&c, 1);
    f.seekp(offset);
    c ^= 0x5a;
    f.write(&c, 1);
  }
  auto e = OpenEngine();
  auto bad = e->Verify();
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_THAT(bad[0], HasSubstr(damaged));
  EXPECT_THAT(bad[0], HasSubstr("symbols: checksum mismatch"));
  // Raw query over both: the damaged block's data is skipped with a warning, the other
  // block still answers.
  SelectRequest q = CpuQuery(a.time_nanos - kHourNs, a.time_nanos + kHourNs);
  q.use_rollups = false;
  auto r = e->SelectMerge(q);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->groups[0].profile.Total(0), 1020000000);
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_THAT(r->warnings[0], HasSubstr(damaged));
}

}  // namespace
}  // namespace hearth::storage
