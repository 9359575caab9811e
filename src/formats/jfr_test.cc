// The JFR reader on a real recording (OpenJDK 17, testdata/fixtures/java), compared with three
// independent references:
//   - the JDK's own `jfr` tool: `jfr summary` (event counts), `jfr print` text (leaf frames,
//     threads, allocation weights), and golden files made from `jfr print --json` by
//     testdata/golden/jfr/make_golden.sh (every stack, frame, line, thread and weight);
//   - `go tool pprof -top` reading our converted pprof.

#include "formats/jfr.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>

#include "base/compress.h"
#include "base/file.h"
#include "base/strings.h"
#include "profile/pprof_codec.h"

namespace hearth::formats {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

const std::string kJava = std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/java/";
const std::string kGolden = std::string(HEARTH_SOURCE_DIR) + "/testdata/golden/jfr/";

std::string ReadOrDie(const std::string& path) {
  auto data = ReadFile(path);
  EXPECT_TRUE(data.ok()) << data.status();
  if (!data.ok()) return "";
  if (!IsGzip(*data)) return *data;
  auto text = GzipDecompress(*data);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

const std::vector<JfrProfile>& Hotloop() {
  static const auto* profiles = [] {
    auto p = ParseJfr(ReadOrDie(kJava + "hotloop.jdk17.profile.jfr"));
    EXPECT_TRUE(p.ok()) << p.status();
    return new std::vector<JfrProfile>(p.ok() ? std::move(*p) : std::vector<JfrProfile>{});
  }();
  return *profiles;
}

const profile::Profile& Kind(const std::vector<JfrProfile>& all, std::string_view kind) {
  for (const JfrProfile& p : all) {
    if (p.kind == kind) return p.profile;
  }
  ADD_FAILURE() << "no " << kind << " profile";
  static const profile::Profile kEmpty;
  return kEmpty;
}

std::string_view LabelOf(const profile::Profile& p, const profile::Sample& s,
                         std::string_view key) {
  for (const profile::Label& l : p.Labels(s)) {
    if (p.Str(l.key) == key) return p.Str(l.str);
  }
  return {};
}

std::string_view LeafFunction(const profile::Profile& p, const profile::Sample& s) {
  if (s.depth == 0) return {};
  const profile::Location& loc = p.locations[p.Stack(s)[0]];
  return p.Str(p.functions[p.Lines(loc)[0].function].name);
}

// The golden format of make_golden.sh: thread=..;[class=..;]root:line;...;leaf:line value.
std::string ToGoldenFolded(const profile::Profile& p, size_t value_index, bool with_class) {
  std::map<std::string, int64_t> acc;
  for (const profile::Sample& s : p.samples) {
    std::string key = fmt::format("thread={}", LabelOf(p, s, "thread"));
    if (with_class) key += fmt::format(";class={}", LabelOf(p, s, "object_class"));
    auto stack = p.Stack(s);
    for (size_t i = stack.size(); i-- > 0;) {
      auto lines = p.Lines(p.locations[stack[i]]);
      for (size_t j = lines.size(); j-- > 0;) {
        key += fmt::format(";{}:{}", p.Str(p.functions[lines[j].function].name), lines[j].line);
      }
    }
    acc[key] += p.Values(s)[value_index];
  }
  std::string out;
  for (const auto& [key, value] : acc) out += fmt::format("{} {}\n", key, value);
  return out;
}

// One event of `jfr print` text: thread, first printed frame, weight text.
struct TextEvent {
  std::string thread;
  std::string leaf;
  std::string weight;
};

std::vector<TextEvent> ParseJfrPrint(const std::string& text, std::string_view thread_field) {
  std::vector<TextEvent> events;
  bool in_stack = false;
  for (std::string_view line : Split(text, '\n')) {
    std::string_view t = TrimSpace(line);
    if (t.ends_with("{") && !t.starts_with("stackTrace")) {
      events.emplace_back();
    } else if (events.empty()) {
      continue;
    } else if (t.starts_with(thread_field)) {
      size_t open = t.find('"'), close = t.find('"', open + 1);
      events.back().thread = std::string(t.substr(open + 1, close - open - 1));
    } else if (t.starts_with("weight = ")) {
      events.back().weight = std::string(t.substr(9));
    } else if (t == "stackTrace = [") {
      in_stack = true;
    } else if (in_stack) {
      if (t != "]" && t != "...") events.back().leaf = std::string(t.substr(0, t.find('(')));
      in_stack = false;
    }
  }
  return events;
}

// `jfr summary` row for an event type.
int64_t SummaryCount(std::string_view event) {
  const std::string summary = ReadOrDie(kJava + "hotloop.jdk17.jfr-summary.txt");
  for (std::string_view line : Split(summary, '\n')) {
    std::vector<std::string_view> cols;
    for (std::string_view c : Split(TrimSpace(line), ' ')) {
      if (!c.empty()) cols.push_back(c);
    }
    int64_t n = 0;
    if (cols.size() == 3 && cols[0] == event && ParseInt(cols[1], &n)) return n;
  }
  ADD_FAILURE() << "no " << event << " in the summary";
  return -1;
}

TEST(JfrFixtureTest, EventCountsMatchJfrSummary) {
  const auto& all = Hotloop();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].kind, "cpu");
  EXPECT_EQ(all[0].event, "jdk.ExecutionSample");
  EXPECT_EQ(all[1].kind, "alloc");
  EXPECT_EQ(all[2].kind, "lock");
  EXPECT_EQ(Kind(all, "cpu").Total(0), SummaryCount("jdk.ExecutionSample"));
  EXPECT_EQ(Kind(all, "cpu").Total(0), 300);
  EXPECT_EQ(Kind(all, "alloc").Total(0), SummaryCount("jdk.ObjectAllocationSample"));
  EXPECT_EQ(Kind(all, "alloc").Total(0), 698);
  EXPECT_EQ(Kind(all, "lock").Total(0), SummaryCount("jdk.JavaMonitorEnter"));
  for (const JfrProfile& p : all) EXPECT_TRUE(profile::Validate(p.profile).ok()) << p.kind;
}

TEST(JfrFixtureTest, CpuHeaderUsesTheRecordingsPeriod) {
  const profile::Profile& p = Kind(Hotloop(), "cpu");
  ASSERT_EQ(p.sample_types.size(), 2u);
  EXPECT_EQ(p.Str(p.sample_types[0].type), "samples");
  EXPECT_EQ(p.Str(p.sample_types[0].unit), "count");
  EXPECT_EQ(p.Str(p.sample_types[1].type), "cpu");
  EXPECT_EQ(p.Str(p.sample_types[1].unit), "nanoseconds");
  EXPECT_EQ(p.Str(p.period_type.type), "cpu");
  // profile.jfc: jdk.ExecutionSample#period = 10 ms (a jdk.ActiveSetting event).
  EXPECT_EQ(p.period, 10'000'000);
  EXPECT_EQ(p.Total(1), 300 * int64_t{10'000'000});
  EXPECT_EQ(p.time_nanos, 1795679994618423268);  // 2026-11-26 07:59:54.618 UTC
  EXPECT_GT(p.duration_nanos, 5'000'000'000);
  EXPECT_LT(p.duration_nanos, 5'100'000'000);
}

// Every stack (all frames, lines and threads) equals what the JDK's reader decodes.
TEST(JfrFixtureTest, CpuStacksMatchJdkGolden) {
  EXPECT_EQ(ToGoldenFolded(Kind(Hotloop(), "cpu"), 0, false),
            ReadOrDie(kGolden + "hotloop.cpu.folded"));
}

TEST(JfrFixtureTest, AllocationStacksAndWeightsMatchJdkGolden) {
  const profile::Profile& p = Kind(Hotloop(), "alloc");
  EXPECT_EQ(p.Str(p.sample_types[1].type), "alloc_space");
  EXPECT_EQ(p.Str(p.sample_types[1].unit), "bytes");
  EXPECT_EQ(p.Total(1), 711134744);
  EXPECT_EQ(ToGoldenFolded(p, 1, true), ReadOrDie(kGolden + "hotloop.alloc.folded"));
}

// One location per JFR frame instead of inlined frames folded into their caller: the
// expanded stacks are the same, only the number of locations changes.
TEST(JfrFixtureTest, UnmergedInlineFramesGiveTheSameStacks) {
  JfrOptions o;
  o.merge_inlined_frames = false;
  auto all = ParseJfr(ReadOrDie(kJava + "hotloop.jdk17.profile.jfr"), o);
  ASSERT_TRUE(all.ok()) << all.status();
  const profile::Profile& flat = Kind(*all, "cpu");
  EXPECT_EQ(ToGoldenFolded(flat, 0, false), ReadOrDie(kGolden + "hotloop.cpu.folded"));
  const profile::Profile& merged = Kind(Hotloop(), "cpu");
  size_t multi_line = 0;
  for (const profile::Location& l : merged.locations) multi_line += l.num_lines > 1;
  EXPECT_GT(multi_line, 0u);
  for (const profile::Location& l : flat.locations) EXPECT_EQ(l.num_lines, 1u);
}

// `jfr print` hides hidden frames (lambda forms); so does drop_hidden_frames, after which the
// leaf functions and threads match the text dump sample for sample.
TEST(JfrFixtureTest, LeavesAndThreadsMatchJfrPrintText) {
  JfrOptions o;
  o.drop_hidden_frames = true;
  auto all = ParseJfr(ReadOrDie(kJava + "hotloop.jdk17.profile.jfr"), o);
  ASSERT_TRUE(all.ok()) << all.status();
  const profile::Profile& p = Kind(*all, "cpu");
  std::map<std::string, int64_t> ours_leaf, ours_thread, text_leaf, text_thread;
  for (const profile::Sample& s : p.samples) {
    ours_leaf[std::string(LeafFunction(p, s))] += p.Values(s)[0];
    ours_thread[std::string(LabelOf(p, s, "thread"))] += p.Values(s)[0];
  }
  auto text = ParseJfrPrint(ReadOrDie(kJava + "hotloop.jdk17.ExecutionSample.full.txt.gz"),
                            "sampledThread = ");
  ASSERT_EQ(text.size(), 300u);
  for (const TextEvent& e : text) {
    ++text_leaf[e.leaf];
    ++text_thread[e.thread];
  }
  EXPECT_EQ(ours_leaf, text_leaf);
  EXPECT_EQ(ours_thread, text_thread);
  EXPECT_THAT(ours_thread,
              ElementsAre(Pair("worker-0", 123), Pair("worker-1", 85), Pair("worker-2", 92)));
  // The default keeps hidden frames: exactly one sample has one as its leaf.
  const profile::Profile& all_frames = Kind(Hotloop(), "cpu");
  int64_t handle_report = 0;
  for (const profile::Sample& s : all_frames.samples) {
    if (LeafFunction(all_frames, s) == "HotLoop.handleReport")
      handle_report += all_frames.Values(s)[0];
  }
  EXPECT_EQ(handle_report, text_leaf["HotLoop.handleReport"] - 1);
}

// The text prints weights rounded to one decimal of binary units ("19.0 MB"); our exact sum
// lies within the rounding of every printed value.
TEST(JfrFixtureTest, AllocationWeightsMatchJfrPrintText) {
  auto text = ParseJfrPrint(ReadOrDie(kJava + "hotloop.jdk17.ObjectAllocationSample.full.txt.gz"),
                            "eventThread = ");
  ASSERT_EQ(text.size(), 698u);
  double sum = 0, slack = 0;
  std::map<std::string, int64_t> text_thread;
  for (const TextEvent& e : text) {
    std::vector<std::string_view> parts = Split(e.weight, ' ');
    ASSERT_EQ(parts.size(), 2u) << e.weight;
    double v = 0;
    ASSERT_TRUE(ParseDouble(parts[0], &v)) << e.weight;
    double unit = parts[1] == "bytes" ? 1
                  : parts[1] == "kB"  ? 1024
                  : parts[1] == "MB"  ? 1 << 20
                                      : 0;
    ASSERT_GT(unit, 0) << e.weight;
    sum += v * unit;
    slack += unit == 1 ? 0 : 0.05 * unit;
    ++text_thread[e.thread];
  }
  const profile::Profile& p = Kind(Hotloop(), "alloc");
  EXPECT_NEAR(static_cast<double>(p.Total(1)), sum, slack);
  std::map<std::string, int64_t> ours_thread;
  for (const profile::Sample& s : p.samples) {
    ours_thread[std::string(LabelOf(p, s, "thread"))] += p.Values(s)[0];
  }
  EXPECT_EQ(ours_thread, text_thread);
}

TEST(JfrFixtureTest, SelectsOneKind) {
  const std::string data = ReadOrDie(kJava + "hotloop.jdk17.profile.jfr");
  auto cpu = ParseJfrProfile(data);
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  EXPECT_EQ(cpu->Str(cpu->sample_types[1].type), "cpu");
  JfrOptions o;
  o.event = "jdk.ObjectAllocationSample";
  auto alloc = ParseJfrProfile(data, o);
  ASSERT_TRUE(alloc.ok()) << alloc.status();
  EXPECT_EQ(alloc->Total(0), 698);
  o.event = "park";
  EXPECT_EQ(std::string(ParseJfrProfile(data, o).status().message()),
            "jfr: no park events in the recording; it has cpu (jdk.ExecutionSample), alloc "
            "(jdk.ObjectAllocationSample), lock (jdk.JavaMonitorEnter)");
  o.event = "cpu";
  o.cpu_period_ns = 1'000'000;
  auto scaled = ParseJfrProfile(data, o);
  ASSERT_TRUE(scaled.ok());
  EXPECT_EQ(scaled->period, 1'000'000);
  EXPECT_EQ(scaled->Total(1), 300'000'000);
}

TEST(JfrFixtureTest, GzippedRecordingAndDetection) {
  const std::string data = ReadOrDie(kJava + "hotloop.jdk17.profile.jfr");
  EXPECT_TRUE(LooksLikeJfr(data));
  EXPECT_FALSE(LooksLikeJfr("FLR"));
  EXPECT_FALSE(LooksLikeJfr(GzipCompress(data)));
  auto p = ParseJfrProfile(GzipCompress(data));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->Total(0), 300);
}

TEST(JfrFixtureTest, PprofRoundTripIsLossless) {
  for (const JfrProfile& p : Hotloop()) {
    auto again = profile::DecodePprof(profile::EncodePprofGzip(p.profile));
    ASSERT_TRUE(again.ok()) << again.status();
    std::string why;
    EXPECT_TRUE(profile::Equal(p.profile, *again, &why)) << p.kind << ": " << why;
  }
}

struct Command {
  int exit_code = -1;
  std::string out;
};

Command RunCommand(const std::string& cmd) {
  Command r;
  FILE* pipe = popen((cmd + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Flat value per function from `go tool pprof -top` (inline markers stripped).
std::map<std::string, int64_t> GoPprofFlat(const std::string& top) {
  std::map<std::string, int64_t> flat;
  bool rows = false;
  for (std::string_view line : Split(top, '\n')) {
    std::vector<std::string_view> cols;
    for (std::string_view c : Split(TrimSpace(line), ' ')) {
      if (!c.empty()) cols.push_back(c);
    }
    if (!rows) {
      rows = cols.size() == 5 && cols[0] == "flat" && cols[4] == "cum%";
      continue;
    }
    if (cols.size() < 6) continue;
    std::string name(cols[5]);
    for (size_t i = 6; i < cols.size(); ++i) {
      if (cols[i] == "(inline)" || cols[i] == "(partial-inline)") continue;
      name += ' ';
      name.append(cols[i]);
    }
    int64_t v = 0;
    EXPECT_TRUE(ParseInt(cols[0], &v)) << line;
    if (v != 0) flat[name] = v;
  }
  return flat;
}

TEST(JfrFixtureTest, GoToolPprofListsTheSameTopFunctions) {
  ASSERT_EQ(RunCommand("go version").exit_code, 0)
      << "go tool pprof is the reference; scripts/deps.sh installs golang-go";
  JfrOptions o;
  o.drop_hidden_frames = true;  // As `jfr print`, the text reference, does.
  auto p = ParseJfrProfile(ReadOrDie(kJava + "hotloop.jdk17.profile.jfr"), o);
  ASSERT_TRUE(p.ok()) << p.status();
  const std::string path =
      std::filesystem::temp_directory_path() / fmt::format("hearth_jfr_test_{}.pb.gz", getpid());
  ASSERT_TRUE(WriteFileAtomic(path, profile::EncodePprofGzip(*p)).ok());
  Command top = RunCommand(
      "go tool pprof -top -nodefraction=0 -nodecount=1000 -sample_index=samples " + path);
  std::filesystem::remove(path);
  ASSERT_EQ(top.exit_code, 0);
  std::map<std::string, int64_t> theirs = GoPprofFlat(top.out);
  std::map<std::string, int64_t> text_leaf;
  for (const TextEvent& e : ParseJfrPrint(
           ReadOrDie(kJava + "hotloop.jdk17.ExecutionSample.full.txt.gz"), "sampledThread = ")) {
    ++text_leaf[e.leaf];
  }
  EXPECT_EQ(theirs, text_leaf) << top.out;
  // The top three, spelled out.
  EXPECT_EQ(theirs["java.util.DualPivotQuicksort.sort"], 107);
  EXPECT_EQ(theirs["java.util.DualPivotQuicksort.mixedInsertionSort"], 60);
  EXPECT_EQ(theirs["HotLoop.sortRecords"], 46);
}

// Damage inside the real recording: truncations with the header's size patched to match
// (so the cut lands in events, pools or metadata, not just the size check) and random bit
// flips. Each gives a "jfr: chunk 0: ..." error or a valid profile, in bounded time.
TEST(JfrFixtureTest, DamagedRecordingNeverCrashes) {
  const std::string good = ReadOrDie(kJava + "hotloop.jdk17.profile.jfr");
  auto check = [](const std::string& data) {
    auto start = std::chrono::steady_clock::now();
    auto r = ParseJfr(data);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    if (!r.ok()) {
      EXPECT_THAT(std::string(r.status().message()), ::testing::StartsWith("jfr: "));
      return;
    }
    for (const JfrProfile& p : *r) EXPECT_TRUE(profile::Validate(p.profile).ok()) << p.kind;
  };
  for (size_t n = 68; n < good.size(); n += 997) {
    std::string cut = good.substr(0, n);
    for (int i = 0; i < 8; ++i) cut[8 + i] = static_cast<char>(n >> (8 * (7 - i)));
    auto r = ParseJfr(cut);
    EXPECT_FALSE(r.ok()) << n;  // The metadata is last: any cut loses it.
    check(cut);
  }
  std::mt19937_64 rng(42);
  for (int i = 0; i < 1000; ++i) {
    std::string flipped = good;
    size_t bit = rng() % (good.size() * 8);
    flipped[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    check(flipped);
  }
}

}  // namespace
}  // namespace hearth::formats
