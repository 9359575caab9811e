// The JFR reader on recordings written by jfr_test_writer.h: mapping rules stated on a
// recording whose every byte the test chose, then malformed variants (truncation, bit flips,
// cyclic constant pools, missing constants, recursive types, absurd sizes), each of which
// must give a specific error quickly and never crash.

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>

#include "formats/jfr.h"
#include "formats/jfr_symbols.h"
#include "formats/jfr_test_writer.h"
#include "profile/pprof_codec.h"

namespace hearth::formats {
namespace {

using jfr::testing::Bytes;
using jfr::testing::ChunkWriter;
using jfr::testing::Pool;
using jfr::testing::StandardTypes;
using jfr::testing::TypeSpec;
using ::testing::HasSubstr;
namespace id = jfr::testing;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

// Constant pools of the standard recording:
//   stack 1: HashMap.hash:10 (Inlined) <- HashMap.put:20 (JIT) <- Main.main:5 (Interpreted)
//   stack 2: Main.main:7, truncated
//   thread 1 "main"; thread 2 has only an OS name, "GC Thread".
std::vector<Pool> SymbolPools(bool c) {
  auto sym = [&](std::string_view s) { return Bytes(c).Str(s).data(); };
  auto cls = [&](int64_t name, int64_t package) {
    return Bytes(c).Long(name).Long(package).Boolean(false).data();
  };
  auto method = [&](int64_t type, int64_t name, int64_t desc) {
    return Bytes(c).Long(type).Long(name).Long(desc).Boolean(false).data();
  };
  return {
      {id::kSymbol,
       {{1, sym("java/util/HashMap")},
        {2, sym("put")},
        {3, sym("(Ljava/lang/Object;)V")},
        {4, sym("java/util")},
        {5, sym("Main")},
        {6, sym("main")},
        {7, sym("([Ljava/lang/String;)V")},
        {8, sym("hash")},
        {9, sym("[B")}}},
      {id::kPackage, {{1, Bytes(c).Long(4).data()}}},
      {id::kClass, {{1, cls(1, 1)}, {2, cls(5, 0)}, {3, cls(9, 0)}}},
      {id::kMethod, {{1, method(1, 2, 3)}, {2, method(2, 6, 7)}, {3, method(1, 8, 3)}}},
      {id::kFrameType,
       {{1, Bytes(c).Str("Interpreted").data()},
        {2, Bytes(c).Str("JIT compiled").data()},
        {3, Bytes(c).Str("Inlined").data()}}},
  };
}

std::vector<Pool> StackPools(bool c) {
  Bytes s1(c), s2(c);
  s1.Boolean(false).Int(3);
  s1.Long(3).Int(10).Long(3);  // hash, inlined into put
  s1.Long(1).Int(20).Long(2);  // put, JIT compiled
  s1.Long(2).Int(5).Long(1);   // main, interpreted
  s2.Boolean(true).Int(1).Long(2).Int(7).Long(1);
  return {
      {id::kStackTrace, {{1, s1.data()}, {2, s2.data()}}},
      {id::kThread,
       {{1, Bytes(c).Str("os-main").Long(11).Str("main").Long(1).data()},
        {2, Bytes(c).Str("GC Thread").Long(12).NullStr().Long(0).data()}}},
      {id::kThreadState, {{1, Bytes(c).Str("STATE_RUNNABLE").data()}}},
  };
}

void AddEvents(ChunkWriter& w) {
  w.Event(id::kActiveSetting,
          w.NewBytes().Long(1).Long(id::kExecutionSample).Str("period").Str("20 ms"));
  w.Event(id::kActiveSetting,
          w.NewBytes().Long(1).Long(id::kExecutionSample).Str("enabled").Str("true"));
  w.Event(id::kExecutionSample, w.NewBytes().Long(2).Long(1).Long(1).Long(1));
  w.Event(id::kExecutionSample, w.NewBytes().Long(3).Long(1).Long(1).Long(1));
  w.Event(id::kExecutionSample, w.NewBytes().Long(4).Long(2).Long(2).Long(1));
  w.Event(id::kAllocationSample, w.NewBytes().Long(5).Long(1).Long(1).Long(3).Long(4096));
  w.Event(id::kAllocationSample, w.NewBytes().Long(6).Long(2).Long(0).Long(2).Long(100));
  w.Event(id::kMonitorEnter, w.NewBytes().Long(7).Long(2500).Long(1).Long(2));
}

// Pools split over two checkpoints, events between them: the chain must be walked back.
std::string StandardRecording(bool compressed = true) {
  ChunkWriter w(StandardTypes(), compressed);
  w.Checkpoint(SymbolPools(compressed));
  AddEvents(w);
  w.Checkpoint(StackPools(compressed));
  return w.Finish();
}

std::string Frames(const profile::Profile& p, const profile::Sample& s) {
  std::string out;
  for (uint32_t loc : p.Stack(s)) {
    out += "[";
    for (const profile::Line& l : p.Lines(p.locations[loc])) {
      out += fmt::format(" {}:{}", p.Str(p.functions[l.function].name), l.line);
    }
    out += " ]";
  }
  return out;
}

const profile::Profile* Find(const std::vector<JfrProfile>& all, std::string_view kind) {
  for (const JfrProfile& p : all) {
    if (p.kind == kind) return &p.profile;
  }
  return nullptr;
}

TEST(JfrSyntheticTest, MapsSamplesFramesAndLabels) {
  auto all = ParseJfr(StandardRecording());
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);
  const profile::Profile& cpu = *Find(*all, "cpu");
  EXPECT_EQ(cpu.period, 20'000'000);  // From the ActiveSetting event.
  EXPECT_EQ(cpu.Total(0), 3);
  EXPECT_EQ(cpu.Total(1), 60'000'000);
  ASSERT_EQ(cpu.samples.size(), 2u);
  // Inlined hash shares put's location, innermost first; the truncated stack gets a root.
  EXPECT_EQ(Frames(cpu, cpu.samples[0]),
            "[ java.util.HashMap.hash:10 java.util.HashMap.put:20 ][ Main.main:5 ]");
  EXPECT_EQ(Frames(cpu, cpu.samples[1]), "[ Main.main:7 ][ [truncated]:0 ]");
  auto label = [&](const profile::Profile& p, size_t i) {
    const auto labels = p.Labels(p.samples[i]);
    return labels.empty() ? std::string()
                          : fmt::format("{}={}", p.Str(labels[0].key), p.Str(labels[0].str));
  };
  EXPECT_EQ(label(cpu, 0), "thread=main");
  EXPECT_EQ(label(cpu, 1), "thread=GC Thread");  // No Java name: the OS name.
  const profile::Function& put =
      cpu.functions[cpu.Lines(cpu.locations[cpu.Stack(cpu.samples[0])[0]])[1].function];
  EXPECT_EQ(cpu.Str(put.system_name), "java.util.HashMap.put(Ljava/lang/Object;)V");

  const profile::Profile& alloc = *Find(*all, "alloc");
  EXPECT_EQ(alloc.Total(1), 4196);
  ASSERT_EQ(alloc.samples.size(), 2u);
  EXPECT_EQ(alloc.Str(alloc.Labels(alloc.samples[0])[1].str), "byte[]");
  EXPECT_EQ(alloc.samples[1].depth, 0u);  // A null stack trace: kept, with no frames.

  const profile::Profile& lock = *Find(*all, "lock");
  EXPECT_EQ(lock.Str(lock.sample_types[1].type), "delay");
  EXPECT_EQ(lock.Total(1), 2500);  // 2500 ticks at 1e9 ticks/s.
}

TEST(JfrSyntheticTest, OptionsChangeTheMapping) {
  JfrOptions o;
  o.merge_inlined_frames = false;
  o.mark_truncated_stacks = false;
  o.thread_labels = false;
  o.thread_state_labels = true;
  o.alloc_class_as_frame = true;
  auto all = ParseJfr(StandardRecording(), o);
  ASSERT_TRUE(all.ok()) << all.status();
  const profile::Profile& cpu = *Find(*all, "cpu");
  EXPECT_EQ(Frames(cpu, cpu.samples[0]),
            "[ java.util.HashMap.hash:10 ][ java.util.HashMap.put:20 ][ Main.main:5 ]");
  EXPECT_EQ(Frames(cpu, cpu.samples[1]), "[ Main.main:7 ]");
  ASSERT_EQ(cpu.samples[0].num_labels, 1u);
  EXPECT_EQ(cpu.Str(cpu.Labels(cpu.samples[0])[0].str), "STATE_RUNNABLE");
  const profile::Profile& alloc = *Find(*all, "alloc");
  EXPECT_EQ(Frames(alloc, alloc.samples[0]).substr(0, 14), "[ new byte[]:0");
  EXPECT_EQ(alloc.samples[0].num_labels, 0u);
}

TEST(JfrSyntheticTest, FixedWidthIntegersDecodeTheSame) {
  auto compressed = ParseJfr(StandardRecording(true));
  auto fixed = ParseJfr(StandardRecording(false));
  ASSERT_TRUE(compressed.ok()) << compressed.status();
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  ASSERT_EQ(compressed->size(), fixed->size());
  for (size_t i = 0; i < fixed->size(); ++i) {
    std::string why;
    EXPECT_TRUE(profile::Equal((*compressed)[i].profile, (*fixed)[i].profile, &why)) << why;
  }
}

TEST(JfrSyntheticTest, ChunksAreConcatenated) {
  const std::string one = StandardRecording();
  auto all = ParseJfr(one + StandardRecording(false) + one);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(Find(*all, "cpu")->Total(0), 9);
  EXPECT_EQ(Find(*all, "cpu")->samples.size(), 2u);  // Same stacks in every chunk.
  JfrOptions o;
  o.limits.max_chunks = 2;
  EXPECT_EQ(Message(ParseJfr(one + one + one, o).status()), "jfr: more than the limit of 2 chunks");
  EXPECT_THAT(Message(ParseJfr(one + "junk").status()), HasSubstr("jfr: chunk 1: 4 bytes"));
}

TEST(JfrSyntheticTest, StringEncodings) {
  const bool c = true;
  ChunkWriter w;
  auto symbols = SymbolPools(c);
  // Latin-1 "é" and UTF-16 with a surrogate pair ("𝄞") and a lone surrogate.
  symbols[0].constants[7].second = Bytes(c).Latin1("h\xe9").data();
  symbols[0].constants[1].second = Bytes(c).Utf16({'p', 0xd834, 0xdd1e, 0xdc00}).data();
  w.Checkpoint(symbols);
  AddEvents(w);
  w.Checkpoint(StackPools(c));
  auto all = ParseJfr(w.Finish());
  ASSERT_TRUE(all.ok()) << all.status();
  const profile::Profile& cpu = *Find(*all, "cpu");
  EXPECT_EQ(
      Frames(cpu, cpu.samples[0]),
      "[ java.util.HashMap.h\u00e9:10 java.util.HashMap.p\U0001D11E\uFFFD:20 ][ Main.main:5 ]");
}

TEST(JfrSyntheticTest, JavaClassNames) {
  using jfr::JavaClassName;
  EXPECT_EQ(JavaClassName("java/util/HashMap$Node", "java/util", false), "java.util.HashMap$Node");
  EXPECT_EQ(JavaClassName("java/util/HashMap", "", false), "java.util.HashMap");
  EXPECT_EQ(JavaClassName("[[I", "", false), "int[][]");
  EXPECT_EQ(JavaClassName("[Ljava/lang/String;", "java/lang", false), "java.lang.String[]");
  // Hidden classes keep the '/' of their own name.
  EXPECT_EQ(
      JavaClassName("java/lang/invoke/LambdaForm$MH/0x0000000800c0a000", "java/lang/invoke", true),
      "java.lang.invoke.LambdaForm$MH/0x0000000800c0a000");
  EXPECT_EQ(JavaClassName("Foo$$Lambda$14/0x0000000800c03000", "", true),
            "Foo$$Lambda$14/0x0000000800c03000");
  EXPECT_EQ(JavaClassName("[", "", false), "[");
}

TEST(JfrSyntheticTest, KindSelectionErrors) {
  EXPECT_EQ(JfrKinds().size(), 7u);
  EXPECT_EQ(JfrKinds()[0].kind, "cpu");
  EXPECT_EQ(JfrKinds()[0].event, "jdk.ExecutionSample");
  JfrOptions o;
  o.event = "wall";
  EXPECT_EQ(Message(ParseJfrProfile(StandardRecording(), o).status()),
            "jfr: unknown event kind \"wall\" (one of: cpu, native, alloc, alloc_in_new_tlab, "
            "alloc_outside_tlab, lock, park)");
  ChunkWriter w;
  w.Event(id::kActiveSetting, w.NewBytes().Long(1).Long(2).Str("a").Str("b"));
  auto none = ParseJfr(w.Finish());
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  EXPECT_THAT(Message(ParseJfrProfile(w.Finish()).status()),
              HasSubstr("jfr: the recording has no profiling events (jdk.ExecutionSample, "));
}

// ---- Malformed input ----

std::string Header(std::string data, size_t offset, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    data[offset + i] = static_cast<char>(value >> (8 * (bytes - 1 - i)));
  return data;
}

TEST(JfrMalformedTest, HeaderErrors) {
  const std::string good = StandardRecording();
  EXPECT_EQ(Message(ParseJfr("").status()), "jfr: not a JFR recording (no \"FLR\\0\" magic)");
  EXPECT_EQ(Message(ParseJfr("FLR").status()), "jfr: not a JFR recording (no \"FLR\\0\" magic)");
  EXPECT_EQ(Message(ParseJfr(good.substr(0, 40)).status()),
            "jfr: chunk 0: 40 bytes, shorter than the 68-byte chunk header");
  EXPECT_EQ(Message(ParseJfr(Header(good, 4, 1, 2)).status()),
            "jfr: chunk 0: unsupported format version 1.1 (JDK 11+ writes 2.x)");
  EXPECT_THAT(Message(ParseJfr(Header(good, 8, uint64_t{1} << 62, 8)).status()),
              HasSubstr("chunk size 4611686018427387904 outside [68, "));
  EXPECT_THAT(Message(ParseJfr(good.substr(0, good.size() - 1)).status()),
              HasSubstr("(truncated file?)"));
  EXPECT_THAT(Message(ParseJfr(Header(good, 24, 5, 8)).status()),
              HasSubstr("metadata offset 5 outside the chunk"));
  EXPECT_THAT(Message(ParseJfr(Header(good, 16, ~uint64_t{0}, 8)).status()),
              HasSubstr("constant pool offset 18446744073709551615 outside the chunk"));
  EXPECT_EQ(Message(ParseJfr(Header(good, 64, 255, 1)).status()),
            "jfr: chunk 0: the chunk is still being written (header state 255)");
  EXPECT_EQ(Message(ParseJfr(Header(good, 56, 0, 8)).status()),
            "jfr: chunk 0: ticks per second is 0");
  // Metadata offset pointing at a checkpoint, and the constant pool offset at the metadata.
  ChunkWriter w;
  size_t cp = w.Checkpoint(SymbolPools(true));
  std::string data = w.Finish();
  EXPECT_THAT(Message(ParseJfr(Header(data, 24, cp, 8)).status()),
              HasSubstr("expected a metadata event at offset"));
}

TEST(JfrMalformedTest, CyclicConstantPoolChain) {
  ChunkWriter w;
  size_t first = w.Checkpoint(SymbolPools(true));
  size_t second = w.Checkpoint(StackPools(true));
  AddEvents(w);
  // The oldest checkpoint points forward to the newest, which points back to it.
  w.PatchDelta(0, static_cast<int64_t>(second - first));
  EXPECT_EQ(Message(ParseJfr(w.Finish()).status()),
            fmt::format("jfr: chunk 0: constant pool chain loops back to offset {}", second));
  w.PatchDelta(0, -static_cast<int64_t>(first) - 1000);  // Before the chunk.
  EXPECT_THAT(Message(ParseJfr(w.Finish()).status()), HasSubstr("checkpoint offset"));
}

TEST(JfrMalformedTest, MissingConstantNamesEventAndField) {
  ChunkWriter w;
  w.Checkpoint(SymbolPools(true));
  w.Checkpoint(StackPools(true));
  size_t at = w.Event(id::kExecutionSample, w.NewBytes().Long(2).Long(1).Long(77).Long(1));
  EXPECT_EQ(Message(ParseJfr(w.Finish()).status()),
            fmt::format("jfr: chunk 0: event at offset {} (jdk.ExecutionSample): field "
                        "stackTrace: constant 77 of jdk.types.StackTrace is missing",
                        at));
}

TEST(JfrMalformedTest, RecursiveAndExplosiveTypes) {
  auto types = StandardTypes();
  types.push_back({200, "Node", {{"next", 200}}});  // Inline, not a constant: infinite.
  ChunkWriter w(types);
  w.Checkpoint({{200, {{1, "\x01\x02\x03"}}}});
  EXPECT_THAT(Message(ParseJfr(w.Finish()).status()),
              HasSubstr("constant 1 of Node: values of Node nested deeper than 32"));

  // 1000 x 1000 fields of an empty type: a million values from a handful of bytes.
  types = StandardTypes();
  TypeSpec wide{201, "Wide", {}}, wider{202, "Wider", {}};
  for (int i = 0; i < 1000; ++i) {
    wide.fields.push_back({fmt::format("f{}", i), 203});
    wider.fields.push_back({fmt::format("g{}", i), 201});
  }
  types.push_back(wide);
  types.push_back(wider);
  types.push_back({203, "Empty", {}});
  ChunkWriter x(types);
  x.Checkpoint({{202, {{1, ""}}}});
  auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(Message(ParseJfr(x.Finish()).status()), HasSubstr("decoded values for a"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(JfrMalformedTest, AbsurdCountsAndLengths) {
  const bool c = true;
  auto run = [](const std::vector<Pool>& pools, const JfrOptions& o = {}) {
    ChunkWriter w;
    w.Checkpoint(pools);
    AddEvents(w);
    return Message(ParseJfr(w.Finish(), o).status());
  };
  EXPECT_THAT(run({{id::kSymbol, {{1, Bytes(c).U8(3).Int(INT32_MAX).data()}}}}),
              HasSubstr("string longer than the limit of 1048576 bytes or than its event"));
  EXPECT_THAT(run({{id::kSymbol, {{1, Bytes(c).U8(9).data()}}}}),
              HasSubstr("unknown string encoding 9"));
  EXPECT_THAT(run({{id::kStackTrace, {{1, Bytes(c).Boolean(false).Int(1 << 30).data()}}}}),
              HasSubstr("array of jdk.types.StackFrame longer than the limit"));
  EXPECT_THAT(run({{999, {}}}), HasSubstr("pool of unknown type id 999"));
  // Two billion constants claimed in a few bytes.
  EXPECT_THAT(run({{id::kSymbol, {{1, Bytes(c).Str("x").data()}}, INT32_MAX}}),
              HasSubstr("truncated pool header"));
  // Stack depth over the limit, reported at the event that uses the stack.
  auto pools = SymbolPools(c);
  for (Pool& p : StackPools(c)) pools.push_back(p);
  JfrOptions o;
  o.limits.max_stack_depth = 2;
  EXPECT_THAT(run(pools, o), HasSubstr("field stackTrace: stack trace of 3 frames, more than "
                                       "the limit of 2"));
}

TEST(JfrMalformedTest, BadMetadata) {
  auto types = StandardTypes();
  types.push_back({300, "Bad", {{"x", 12345}}});
  ChunkWriter w(types);
  EXPECT_THAT(Message(ParseJfr(w.Finish()).status()),
              HasSubstr("metadata: field Bad.x refers to unknown type id 12345"));
  types = StandardTypes();
  types.push_back({1, "again", {}});
  ChunkWriter dup(types);
  EXPECT_THAT(Message(ParseJfr(dup.Finish()).status()), HasSubstr("type id 1 defined twice"));

  // A hand-made metadata event whose element tree nests 1000 deep.
  Bytes meta;
  meta.Long(0).Long(0).Long(0).Long(0).Int(1).Str("x");
  for (int i = 0; i < 1000; ++i) meta.Int(0).Int(0).Int(1);
  meta.Int(0).Int(0).Int(0);
  Bytes event;
  event.PaddedLeb(meta.data().size() + 4, 4).Raw(meta.data());
  Bytes chunk(false);
  chunk.Raw(std::string_view("FLR\0", 4)).BigEndian(2, 2).BigEndian(1, 2);
  chunk.BigEndian(68 + event.data().size(), 8).BigEndian(0, 8).BigEndian(68, 8);
  chunk.BigEndian(0, 8).BigEndian(0, 8).BigEndian(0, 8).BigEndian(1000, 8).BigEndian(1, 4);
  chunk.Raw(event.data());
  EXPECT_EQ(Message(ParseJfr(chunk.data()).status()),
            "jfr: chunk 0: metadata: elements nested deeper than 32");
}

TEST(JfrMalformedTest, UnknownEventTypeAndBadEventSize) {
  ChunkWriter w;
  size_t at = w.Event(4242, w.NewBytes().Long(1));
  EXPECT_EQ(
      Message(ParseJfr(w.Finish()).status()),
      fmt::format("jfr: chunk 0: event at offset {}: type id 4242 is not in the metadata", at));
  ChunkWriter x;
  x.Event(id::kActiveSetting, x.NewBytes().Long(1).Long(2).Str("a").Str("b"));
  std::string data = x.Finish();
  // A zero-sized event right after the header would never advance: rejected.
  data[68] = data[69] = data[70] = '\x80';
  data[71] = 0;
  EXPECT_EQ(Message(ParseJfr(data).status()),
            "jfr: chunk 0: event at offset 68: bad event header (size 0)");
}

// Every truncation (with the header's size patched to match, so the damage is inside the
// chunk) and every single-bit flip of a small recording: an error or a valid profile, fast.
TEST(JfrMalformedTest, TruncationsAndBitFlipsNeverCrash) {
  const std::string good = StandardRecording();
  auto check = [](const std::string& data) {
    auto start = std::chrono::steady_clock::now();
    auto r = ParseJfr(data);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
    if (!r.ok()) {
      EXPECT_THAT(Message(r.status()), HasSubstr("jfr: "));
      return 0;
    }
    for (const JfrProfile& p : *r) {
      EXPECT_TRUE(profile::Validate(p.profile).ok());
      auto again = profile::DecodePprof(profile::EncodePprof(p.profile));
      EXPECT_TRUE(again.ok() && profile::Equal(p.profile, *again));
    }
    return 1;
  };
  int accepted = 0;
  for (size_t n = 0; n < good.size(); ++n) {
    std::string cut = good.substr(0, n);
    accepted += check(cut);
    if (n >= 68) accepted += check(Header(cut, 8, n, 8));
  }
  EXPECT_EQ(accepted, 0);
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    std::string flipped = good;
    flipped[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    check(flipped);
  }
}

}  // namespace
}  // namespace hearth::formats
