#include "formats/go_legacy.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "formats/legacy_test_util.h"
#include "profile/pprof_codec.h"
#include "profile/report.h"
#include "profile/test_util.h"

namespace hearth::formats {
namespace {

using profile::testing::FixturePath;
using profile::testing::GoldenPath;
using profile::testing::ReadTestFile;
using testing::FunctionNames;
using ::testing::HasSubstr;
using testing::RawSampleValues;
using testing::SampleTypes;
using testing::SampleValues;
using testing::Totals;

profile::Profile MustParse(std::string_view data) {
  auto p = ParseGoLegacy(data);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return {};
  EXPECT_TRUE(profile::Validate(*p).ok()) << profile::Validate(*p);
  auto again = profile::DecodePprof(profile::EncodePprof(*p));
  EXPECT_TRUE(again.ok() && profile::Equal(*p, *again));
  return std::move(*p);
}

profile::Profile MustRead(const std::string& fixture) {
  auto data = ReadTestFile(FixturePath(fixture));
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? MustParse(*data) : profile::Profile();
}

profile::Profile Debug0(const std::string& fixture) {
  auto p = profile::testing::ReadProfile(FixturePath(fixture));
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(*p) : profile::Profile();
}

std::string Top(profile::Profile p, const std::string& sample_index = "") {
  auto prepared = profile::PrepareLikePprof(std::move(p));
  EXPECT_TRUE(prepared.ok()) << prepared.status();
  if (!prepared.ok()) return "";
  profile::ReportOptions o;
  o.sample_index = sample_index;
  auto r = profile::GenerateReport(std::move(*prepared), profile::ReportFormat::kTop, o);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? testing::WithoutFileAndTime(r->text) : "";
}

// `go tool pprof -raw -symbolize=none <debug1 file>` (pprof's own legacy parser): our
// values must be its values. They are compared as a multiset of sample values: our stacks
// differ on purpose (symbolized, inlined calls folded, runtime.goexit dropped).
void ExpectValuesLikePprof(const profile::Profile& p, const std::string& golden) {
  auto raw = ReadTestFile(GoldenPath("formats/" + golden));
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(Totals(p), testing::RawTotals(*raw));
  EXPECT_EQ(SampleValues(p), RawSampleValues(*raw));
}

TEST(GoLegacyHeapTest, SameMomentAsDebug0IsTheSameProfile) {
  // runtime/pprof wrote debug=0 and debug=1 back to back; the heap profile only changes at
  // a GC, so both hold the same records.
  profile::Profile p = MustRead("go/runtime_pprof/leaky.heap.debug1.txt");
  profile::Profile d0 = Debug0("go/runtime_pprof/leaky.heap.pb.gz");
  EXPECT_EQ(SampleTypes(p), SampleTypes(d0));
  EXPECT_EQ(p.period, d0.period);
  EXPECT_EQ(p.Str(p.period_type.type), "space");
  EXPECT_EQ(Totals(p), Totals(d0));
  EXPECT_EQ(SampleValues(p), SampleValues(d0));
  EXPECT_EQ(FunctionNames(p), FunctionNames(d0));
  for (std::string index : {"inuse_space", "inuse_objects", "alloc_space", "alloc_objects"}) {
    SCOPED_TRACE(index);
    EXPECT_EQ(Top(MustRead("go/runtime_pprof/leaky.heap.debug1.txt"), index),
              Top(Debug0("go/runtime_pprof/leaky.heap.pb.gz"), index));
  }
  // And the stored `go tool pprof -top` of the debug=0 file, byte for byte.
  auto top = ReadTestFile(FixturePath("go/pprof_text/runtime_pprof.leaky.heap.top.txt"));
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(Top(std::move(p)), testing::WithoutFileAndTime(*top));
  ExpectValuesLikePprof(MustRead("go/runtime_pprof/leaky.heap.debug1.txt"),
                        "go.runtime_pprof.leaky.heap.debug1.raw.txt");
}

TEST(GoLegacyHeapTest, HttpCapture) {
  // The debug=1 and debug=0 requests were a few GC cycles apart: values and the rarely
  // allocating functions differ; the types and the top allocators must not.
  profile::Profile p = MustRead("go/http/leaky.heap.debug1.txt");
  profile::Profile d0 = Debug0("go/http/leaky.heap.pb.gz");
  EXPECT_EQ(SampleTypes(p), SampleTypes(d0));
  EXPECT_EQ(p.period, d0.period);
  auto stored = ReadTestFile(FixturePath("go/pprof_text/http.leaky.heap.top.txt"));
  ASSERT_TRUE(stored.ok());
  std::vector<std::string> top =
      testing::TopNames(Top(MustRead("go/http/leaky.heap.debug1.txt")), 5);
  EXPECT_EQ(top, testing::TopNames(*stored, 5));
  EXPECT_EQ(top, (std::vector<std::string>{
                     "main.appendHistory (inline)", "main.newSession", "main.bigTemporary (inline)",
                     "strings.(*Builder).grow (inline)", "main.leakSessions"}));
  ExpectValuesLikePprof(p, "go.http.leaky.heap.debug1.raw.txt");
}

TEST(GoLegacyGoroutineTest, CountsAndFunctions) {
  struct Case {
    std::string debug1, debug0, golden;
    int64_t total;
  };
  for (const Case& c :
       {Case{"go/http/leaky.goroutine.debug1.txt", "go/http/leaky.goroutine.debug0.pb.gz",
             "go.http.leaky.goroutine.debug1.raw.txt", 1772},
        Case{"go/runtime_pprof/leaky.goroutine.debug1.txt",
             "go/runtime_pprof/leaky.goroutine.pb.gz",
             "go.runtime_pprof.leaky.goroutine.debug1.raw.txt", 1203},
        Case{"go/http/cpuburn.goroutine.debug1.txt", "go/http/cpuburn.goroutine.debug0.pb.gz",
             "go.http.cpuburn.goroutine.debug1.raw.txt", 7}}) {
    SCOPED_TRACE(c.debug1);
    profile::Profile p = MustRead(c.debug1);
    profile::Profile d0 = Debug0(c.debug0);
    EXPECT_EQ(SampleTypes(p), std::vector<std::string>{"goroutine/count"});
    EXPECT_EQ(SampleTypes(p), SampleTypes(d0));
    EXPECT_EQ(p.Total(0), c.total);  // "goroutine profile: total N".
    auto raw = ReadTestFile(GoldenPath("formats/" + c.golden));
    ASSERT_TRUE(raw.ok());
    EXPECT_EQ(Totals(p), testing::RawTotals(*raw));
    // The text and the proto were taken moments apart: running goroutines differ, parked
    // groups (count > 1: the leaked goroutines) are still there, with the same functions.
    profile::Profile parked = p;
    std::erase_if(parked.samples, [&](const profile::Sample& s) { return p.Values(s)[0] < 2; });
    std::set<std::string> theirs = FunctionNames(d0);
    if (c.total > 100) {
      EXPECT_EQ(FunctionNames(parked),
                (std::set<std::string>{"main.leakBlockedRecv.func1", "main.leakBlockedSend.func1",
                                       "main.leakSelectForever.func1", "main.leakMutexWaiter.func1",
                                       "main.leakSleeper.func1", "sync.(*Mutex).Lock",
                                       "sync.(*Mutex).lockSlow", "sync.runtime_SemacquireMutex",
                                       "time.Sleep"}));
    }
    for (const std::string& f : FunctionNames(parked)) EXPECT_TRUE(theirs.contains(f)) << f;
  }
}

TEST(GoLegacyGoroutineTest, LabelsAndInlinedCalls) {
  profile::Profile p = MustRead("go/http/cpuburn.goroutine.debug1.txt");
  std::multiset<std::string> endpoints;
  for (const profile::Sample& s : p.samples) {
    for (const profile::Label& l : p.Labels(s)) {
      if (p.Str(l.key) == "endpoint") endpoints.emplace(p.Str(l.str));
    }
  }
  EXPECT_EQ(endpoints, (std::multiset<std::string>{"/api/checkout", "/api/search", "/api/search"}));
  // waitRead is inlined into (*FD).Read in the leaky goroutine dump: one location, two lines.
  profile::Profile leaky = MustRead("go/http/leaky.goroutine.debug1.txt");
  bool found = false;
  for (const profile::Location& loc : leaky.locations) {
    auto lines = leaky.Lines(loc);
    if (lines.size() == 2 &&
        leaky.Str(leaky.functions[lines[0].function].name) == "sync.(*Mutex).Lock") {
      EXPECT_EQ(loc.address, 0x683ff8u);
      EXPECT_EQ(leaky.Str(leaky.functions[lines[1].function].name), "main.leakMutexWaiter.func1");
      EXPECT_EQ(lines[1].line, 99);
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(GoLegacyContentionTest, BlockAndMutex) {
  for (std::string name : {"block", "mutex"}) {
    SCOPED_TRACE(name);
    profile::Profile p = MustRead("go/runtime_pprof/contention." + name + ".debug1.txt");
    profile::Profile d0 = Debug0("go/runtime_pprof/contention." + name + ".pb.gz");
    EXPECT_EQ(SampleTypes(p), (std::vector<std::string>{"contentions/count", "delay/nanoseconds"}));
    EXPECT_EQ(SampleTypes(p), SampleTypes(d0));
    EXPECT_EQ(p.Str(p.period_type.type), "contentions");
    EXPECT_EQ(p.period, 1);
    EXPECT_EQ(FunctionNames(p), FunctionNames(d0));
    EXPECT_EQ(p.samples.size(), d0.samples.size());
    // Taken moments apart, so the delays differ a little; the ranking does not.
    auto stored =
        ReadTestFile(FixturePath("go/pprof_text/runtime_pprof.contention." + name + ".top.txt"));
    ASSERT_TRUE(stored.ok());
    std::vector<std::string> top = testing::TopNames(
        Top(MustRead("go/runtime_pprof/contention." + name + ".debug1.txt")), 100);
    EXPECT_GE(top.size(), 6u);
    EXPECT_EQ(top, testing::TopNames(*stored, 100));
    ExpectValuesLikePprof(p, "go.runtime_pprof.contention." + name + ".debug1.raw.txt");
  }
}

TEST(GoLegacyCountTest, ThreadcreateKeepsEmptyStacks) {
  // pprof rejects "6 @" (no addresses); the debug=0 proto keeps such records as
  // location-less samples, and so do we, so the total is the header's 7.
  profile::Profile p = MustRead("go/http/contention.threadcreate.debug1.txt");
  profile::Profile d0 = Debug0("go/http/contention.threadcreate.pb.gz");
  EXPECT_EQ(p.Total(0), 7);
  ASSERT_EQ(p.samples.size(), 2u);
  EXPECT_EQ(p.samples[0].depth, 0u);
  EXPECT_EQ(FunctionNames(p), FunctionNames(d0));
  EXPECT_EQ(SampleTypes(p), SampleTypes(d0));
  auto stored = ReadTestFile(FixturePath("go/pprof_text/http.contention.threadcreate.top.txt"));
  ASSERT_TRUE(stored.ok());
  std::vector<std::string> top = testing::TopNames(Top(std::move(p)), 100);
  EXPECT_EQ(top, (std::vector<std::string>{"runtime.allocm", "runtime.main", "runtime.newm",
                                           "runtime.startTemplateThread"}));
  EXPECT_EQ(top, testing::TopNames(*stored, 100));
}

TEST(GoLegacyTest, SymbolCommentsRules) {
  profile::Profile p = MustParse(
      "goroutine profile: total 4\n"
      // Leaf runtime frame hidden by Go (kept, unsymbolized); recursion at one pc; an
      // unnamed frame; runtime.goexit hidden at the root (dropped).
      "3 @ 0x1001 0x2001 0x2001 0x3001 0x4001 0x9001\n"
      "# labels: {\"k\\\"ey\":\"v\\u00e9\\n\", \"a\":\"b\"}\n"
      "#\t0x2000\tmain.rec+0x10\t/src/m.go:10\n"
      "#\t0x2000\tmain.rec+0x10\t/src/m.go:10\n"
      "#\t0x3000\n"
      "#\t0x4000\tmain.main+0x20\t/src/m.go:20\n"
      "\n"
      "1 @\n"
      "#\t0x0\n");
  ASSERT_EQ(p.samples.size(), 2u);
  const profile::Sample& s = p.samples[0];
  auto stack = p.Stack(s);
  ASSERT_EQ(stack.size(), 5u);
  EXPECT_EQ(p.locations[stack[0]].address, 0x1000u);
  EXPECT_EQ(p.locations[stack[0]].num_lines, 0u);
  EXPECT_EQ(stack[1], stack[2]);  // Recursion: the same location twice.
  EXPECT_EQ(p.Str(p.functions[p.Lines(p.locations[stack[1]])[0].function].name), "main.rec");
  EXPECT_EQ(p.Str(p.functions[p.Lines(p.locations[stack[1]])[0].function].filename), "/src/m.go");
  EXPECT_EQ(p.locations[stack[3]].num_lines, 0u);
  EXPECT_EQ(p.Lines(p.locations[stack[4]])[0].line, 20);
  ASSERT_EQ(s.num_labels, 2u);
  std::set<std::pair<std::string, std::string>> labels;
  for (const profile::Label& l : p.Labels(s)) labels.emplace(p.Str(l.key), p.Str(l.str));
  EXPECT_EQ(labels,
            (std::set<std::pair<std::string, std::string>>{{"k\"ey", "v\xc3\xa9\n"}, {"a", "b"}}));
  EXPECT_EQ(p.samples[1].depth, 0u);
  EXPECT_EQ(p.Values(p.samples[1])[0], 1);

  // A heap record drops the runtime frames Go hid at its leaf, like its debug=0 writer.
  profile::Profile h = MustParse(
      "heap profile: 1: 8 [1: 8] @ heap/2\n"
      "1: 8 [1: 8] @ 0x1001 0x2001 0x9001\n"
      "#\t0x2000\tmain.alloc+0x10\t/src/m.go:5\n");
  ASSERT_EQ(h.samples.size(), 1u);
  EXPECT_EQ(h.Stack(h.samples[0]).size(), 1u);
  EXPECT_EQ(h.period, 1);  // heap/2: Go prints twice its rate.
}

TEST(GoLegacyContentionTest, CyclesBecomeNanoseconds) {
  profile::Profile p = MustParse(
      "--- mutex:\n"
      "cycles/second=2000000000\n"
      "sampling period=5\n"
      "4000 3 @ 0x1001 0x2001\n"
      "#\t0x1000\tsync.(*Mutex).Unlock+0x10\t/src/sync/mutex.go:1\n"
      "#\t0x2000\tmain.f+0x10\t/src/m.go:2\n"
      "--- Memory map: ---\n"
      "00001000-00003000 r-xp 00000000 08:02 1 /bin/app\n");
  ASSERT_EQ(p.samples.size(), 1u);
  // 4000 cycles at 2 GHz = 2000 ns, times the period; 3 contentions times the period.
  EXPECT_EQ(p.Values(p.samples[0])[0], 15);
  EXPECT_EQ(p.Values(p.samples[0])[1], 10000);
  EXPECT_EQ(p.period, 5);
  ASSERT_EQ(p.mappings.size(), 1u);
  EXPECT_EQ(p.Str(p.mappings[0].filename), "/bin/app");
  EXPECT_TRUE(p.mappings[0].has_functions);
}

TEST(GoLegacyTest, MalformedInputNamesTheLine) {
  auto message = [](std::string_view data, const GoLegacyOptions& o = {}) {
    return std::string(ParseGoLegacy(data, o).status().message());
  };
  EXPECT_THAT(message("hello\n"), HasSubstr("expected \"heap profile: ...\""));
  EXPECT_EQ(message("goroutine profile: total 1\n1 @ 0x1\nbogus\n"),
            "go goroutine profile: line 3: expected \"<count> @ 0x<address> ...\"");
  EXPECT_EQ(
      message("goroutine profile: total 1\n1 @ 0x1\n# labels: {\"a\":}\n"),
      "go goroutine profile: line 3: malformed labels (expected # labels: {\"key\":\"value\", "
      "...})");
  EXPECT_EQ(message("--- mutex:\nformat=java\n"),
            "go mutex profile: line 2: unsupported header \"format=java\"");
  EXPECT_EQ(message("--- contention:\ncycles/second=1\nbad row\n"),
            "go contention profile: line 3: expected \"<cycles> <count> @ 0x<address> ...\"");
  EXPECT_THAT(message("heap profile: 1: 8 [1: 8] @ heap/2\nx\n"),
              HasSubstr("line 2: expected a sample"));
  GoLegacyOptions o;
  o.max_frames = 1;
  EXPECT_THAT(message("goroutine profile: total 1\n1 @ 0x1 0x2\n", o),
              HasSubstr("line 2: more than 1 addresses"));
  o = {};
  o.max_records = 1;
  EXPECT_THAT(message("goroutine profile: total 2\n1 @ 0x1\n1 @ 0x2\n", o),
              HasSubstr("line 3: more than the limit of 1 records"));
  o = {};
  o.max_line_bytes = 8;
  EXPECT_THAT(message("--- mutex:\ncycles/second=2000000000\n", o),
              HasSubstr("line 2: longer than the limit of 8 bytes"));
}

TEST(GoLegacyTest, DetectsTheKind) {
  EXPECT_EQ(DetectGoLegacyKind("heap profile: 1: 8 [1: 8] @ heap/2\n"), GoLegacyKind::kHeap);
  EXPECT_EQ(DetectGoLegacyKind("goroutine profile: total 1\n"), GoLegacyKind::kCount);
  EXPECT_EQ(DetectGoLegacyKind("# comment\n\nthreadcreate profile: total 1\n"),
            GoLegacyKind::kCount);
  EXPECT_EQ(DetectGoLegacyKind("--- contention:\ncycles/second=1\n"), GoLegacyKind::kContention);
  EXPECT_EQ(DetectGoLegacyKind("main;f 1\n"), GoLegacyKind::kUnknown);
  EXPECT_FALSE(LooksLikeGoLegacy("goroutine profile: total many\n"));
  EXPECT_TRUE(LooksLikeGoLegacy("--- mutex:\n"));
}

}  // namespace
}  // namespace hearth::formats
