// POST /ingest, end to end into a real engine: captured SDK requests, every body format, and
// every kind of bad input.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "base/compress.h"
#include "formats/jfr.h"
#include "profile/pprof_codec.h"
#include "server/ingest_test_util.h"

namespace hearth::server {
namespace {

using ::testing::HasSubstr;
using testing::IngestHarness;
using testing::Multipart;
using testing::ParseRawRequest;
using testing::ReadFixture;
using testing::Request;

// Sum of one value column of `go tool pprof -raw` output (exact, unlike -top's rounding).
int64_t RawColumnSum(const std::string& relative, std::string_view column) {
  const std::string text = ReadFixture(relative);
  std::vector<std::string_view> lines = Split(text, '\n');
  size_t header = 0;
  while (header < lines.size() && lines[header] != "Samples:") ++header;
  EXPECT_LT(header + 1, lines.size()) << relative;
  int index = -1, i = 0;
  for (std::string_view name : Split(TrimSpace(lines[header + 1]), ' ')) {
    if (name.empty()) continue;
    if (name == column) index = i;
    ++i;
  }
  EXPECT_GE(index, 0) << column << " not in " << relative;
  int64_t sum = 0;
  for (size_t l = header + 2; l < lines.size() && !lines[l].starts_with("Locations"); ++l) {
    size_t colon = lines[l].find(':');
    std::string_view values = lines[l].substr(0, colon);
    if (colon == std::string_view::npos ||
        values.find_first_not_of(" 0123456789-") != std::string_view::npos) {
      continue;  // a label line
    }
    int n = 0;
    for (std::string_view v : Split(TrimSpace(values), ' ')) {
      if (v.empty()) continue;
      if (n++ == index) {
        int64_t x = 0;
        EXPECT_TRUE(ParseInt(v, &x));
        sum += x;
      }
    }
  }
  return sum;
}

// `go tool pprof -top`'s "... of 14.94MB total" in base units (ns, bytes), with the
// tolerance of its two-decimal rounding.
std::pair<double, double> TopTotal(const std::string& relative) {
  const std::string text = ReadFixture(relative);
  size_t showing = text.find("Showing nodes accounting for");
  size_t of = text.find(" of ", showing);
  size_t total = text.find(" total", of);
  std::string_view v = std::string_view(text).substr(of + 4, total - of - 4);
  size_t unit_at = v.find_first_not_of("0123456789.");
  double number = 0;
  EXPECT_TRUE(ParseDouble(v.substr(0, unit_at), &number)) << v;
  std::string_view unit = v.substr(unit_at);
  double scale = unit == "ns"   ? 1
                 : unit == "us" ? 1e3
                 : unit == "ms" ? 1e6
                 : unit == "s"  ? 1e9
                 : unit == "B"  ? 1
                 : unit == "kB" ? 1024.0
                 : unit == "MB" ? 1048576.0
                 : unit == "GB" ? 1073741824.0
                                : 0;
  EXPECT_NE(scale, 0) << "unit " << unit;
  return {number * scale, 0.005 * scale};
}

struct Capture {
  const char* raw;     // node/captured/...
  const char* pprof;   // node/pprof_text/... prefix
  const char* type;    // profile type id of -top's type
  const char* column;  // that type in -raw output
};

TEST(PyroscopeIngestTest, NodeSdkCapturesStoreWhatGoToolPprofReports) {
  const Capture captures[] = {
      {"pyroscope-nodejs-0.6.4.octet-stream.heap.req-001",
       "pyroscope-nodejs-0.6.4.octet-stream.heap.req-001.body",
       "memory:inuse_space:bytes:inuse_space:bytes", "inuse_space/bytes"},
      {"pyroscope-nodejs-0.6.4.octet-stream.wall.req-002",
       "pyroscope-nodejs-0.6.4.octet-stream.wall.req-002.body",
       "wall:cpu:nanoseconds:wall:nanoseconds", "cpu/nanoseconds"},
      {"pyroscope-nodejs-0.6.4.octet-stream.wall_labels.req-003",
       "pyroscope-nodejs-0.6.4.octet-stream.wall_labels.req-003.body",
       "wall:cpu:nanoseconds:wall:nanoseconds", "cpu/nanoseconds"},
      {"pyroscope-nodejs-0.4.13.multipart.wall.req-001",
       "pyroscope-nodejs-0.4.13.multipart.wall.req-001.profile-part",
       "wall:cpu:nanoseconds:wall:nanoseconds", "cpu/nanoseconds"},
      {"pyroscope-nodejs-0.4.13.multipart.heap.req-002",
       "pyroscope-nodejs-0.4.13.multipart.heap.req-002.profile-part",
       "memory:inuse_space:bytes:inuse_space:bytes", "inuse_space/bytes"},
  };
  IngestHarness h;
  int n = 0;
  for (const Capture& c : captures) {
    SCOPED_TRACE(c.raw);
    HttpRequest req = ParseRawRequest(ReadFixture(fmt::format("node/captured/{}.raw", c.raw)));
    ASSERT_EQ(req.path, "/ingest");
    ASSERT_EQ(std::to_string(req.body.size()), req.Header("content-length"));
    const std::string tenant = fmt::format("node-{}", n++);
    req.headers.emplace("x-scope-orgid", tenant);
    HttpResponse resp = h.Ingest(req);
    ASSERT_EQ(resp.status, 200) << resp.body;
    EXPECT_EQ(resp.body, "");

    const int64_t stored = h.Total(tenant, c.type);
    EXPECT_EQ(stored, RawColumnSum(fmt::format("node/pprof_text/{}.raw.txt", c.pprof), c.column));
    auto [top, tolerance] = TopTotal(fmt::format("node/pprof_text/{}.top.txt", c.pprof));
    EXPECT_NEAR(static_cast<double>(stored), top, tolerance);

    // Series labels as Pyroscope makes them from name=fixture-node-app{...} and spyName.
    const std::vector<storage::Labels> series = h.Series(tenant);
    ASSERT_FALSE(series.empty());
    for (const storage::Labels& l : series) {
      EXPECT_EQ(storage::LabelValue(l, "service_name"), "fixture-node-app");
      EXPECT_EQ(storage::LabelValue(l, "pyroscope_spy"), "nodespy");
      EXPECT_EQ(storage::LabelValue(l, "region"), "local");
      EXPECT_EQ(storage::LabelValue(l, "env"), "fixtures");
      EXPECT_EQ(storage::LabelValue(l, "__name__"),
                std::string_view(c.type).substr(0, std::string_view(c.type).find(':')));
      if (std::string_view(c.raw).find("0.6.4") != std::string_view::npos) {
        EXPECT_EQ(storage::LabelValue(l, "otel.scope.name"), "com.grafana.pyroscope/nodejs");
        EXPECT_EQ(storage::LabelValue(l, "process.runtime.version"), "20.20.2");
      }
    }
  }
  // wrapWithLabels' endpoint labels became series of their own.
  bool endpoint = false;
  for (const storage::Labels& l : h.Series("node-2"))
    endpoint |= storage::LabelValue(l, "endpoint").has_value();
  EXPECT_TRUE(endpoint);
}

TEST(PyroscopeIngestTest, PprofBodyRawAndDetected) {
  IngestHarness h;
  const std::string gz = ReadFixture("go/http/cpuburn.profile.10s.pb.gz");
  const int64_t cpu =
      RawColumnSum("go/pprof_text/http.cpuburn.profile.10s.raw.txt", "cpu/nanoseconds");
  EXPECT_EQ(cpu, 3'610'000'000);
  ASSERT_EQ(
      h.Ingest(Request("/ingest?name=svc{env=prod}&format=pprof", gz, {{"X-Scope-OrgID", "a"}}))
          .status,
      200);
  EXPECT_EQ(h.Total("a", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"), cpu);
  // No format: pprof is recognized, gzipped or not.
  auto raw = GzipDecompress(gz);
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(h.Ingest(Request("/pyroscope/ingest?name=svc", gz, {{"X-Scope-OrgID", "b"}})).status,
            200);
  ASSERT_EQ(h.Ingest(Request("/ingest?name=svc", *raw, {{"X-Scope-OrgID", "b"}})).status, 200);
  EXPECT_EQ(h.Total("b", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"), 2 * cpu);
  for (const storage::Labels& l : h.Series("a")) {
    EXPECT_EQ(storage::LabelValue(l, "service_name"), "svc");
    EXPECT_EQ(storage::LabelValue(l, "pyroscope_spy"), "unknown");
    EXPECT_EQ(storage::LabelValue(l, "env"), "prod");
    EXPECT_FALSE(storage::LabelValue(l, "span_id").has_value());  // stays per sample
  }
}

TEST(PyroscopeIngestTest, MultipartWithSampleTypeConfig) {
  IngestHarness h;
  const std::string heap = ReadFixture("go/http/leaky.heap.pb.gz");
  // pyroscope-go's heap upload: deltas computed by the client, all four types configured.
  const std::string go_heap_config =
      R"({"alloc_objects":{"units":"objects"},"alloc_space":{"units":"bytes"},)"
      R"("inuse_space":{"units":"bytes","aggregation":"average"},)"
      R"("inuse_objects":{"units":"objects","aggregation":"average"}})";
  const auto form = [](const std::string& profile, const std::string& config) {
    return Multipart("b0undary", {{"profile", profile}, {"sample_type_config", config}});
  };
  const std::vector<std::pair<std::string, std::string>> ct = {
      {"Content-Type", "multipart/form-data; boundary=b0undary"}, {"X-Scope-OrgID", "go"}};
  const std::string target =
      "/ingest?name=leaky{}&from=1795678669000000000&spyName=gospy&sampleRate=100";
  ASSERT_EQ(h.Ingest(Request(target, form(heap, go_heap_config), ct)).status, 200);
  ASSERT_EQ(h.Ingest(Request(target, form(heap, go_heap_config), ct)).status, 200);
  // As sent, twice: no server-side deltas on /ingest.
  EXPECT_EQ(h.Total("go", "memory:alloc_space:bytes:space:bytes"), int64_t{2} * 1159595986);
  EXPECT_EQ(h.Total("go", "memory:inuse_space:bytes:space:bytes"), 2 * 207151882);

  // A config naming only inuse_space keeps only that type.
  auto only = ct;
  only[1].second = "only";
  ASSERT_EQ(h.Ingest(Request(target, form(heap, R"({"inuse_space":{}})"), only)).status, 200);
  EXPECT_EQ(h.Total("only", "memory:inuse_space:bytes:space:bytes"), 207151882);
  EXPECT_EQ(h.Total("only", "memory:alloc_space:bytes:space:bytes"), 0);

  // cumulative:true asks the server for deltas: the second identical upload adds nothing.
  auto cum = ct;
  cum[1].second = "cumulative";
  const std::string cumulative = R"({"alloc_space":{"cumulative":true},"inuse_space":{}})";
  ASSERT_EQ(h.Ingest(Request(target, form(heap, cumulative), cum)).status, 200);
  ASSERT_EQ(h.Ingest(Request(target, form(heap, cumulative), cum)).status, 200);
  EXPECT_EQ(h.Total("cumulative", "memory:alloc_space:bytes:space:bytes"), 0);
  EXPECT_EQ(h.Total("cumulative", "memory:inuse_space:bytes:space:bytes"), 2 * 207151882);

  // pyroscope-go's block config names the family (Go block and mutex look alike).
  auto blk = ct;
  blk[1].second = "block";
  const std::string block = ReadFixture("go/http/contention.block.pb.gz");
  ASSERT_EQ(h.Ingest(Request(target,
                             form(block, R"({"contentions":{"display-name":"block_count"},)"
                                         R"("delay":{"display-name":"block_duration"}})"),
                             blk))
                .status,
            200);
  EXPECT_EQ(h.Total("block", "block:delay:nanoseconds:contentions:count"),
            RawColumnSum("go/pprof_text/http.contention.block.raw.txt", "delay/nanoseconds"));
  // A custom display name renames the type.
  auto ren = ct;
  ren[1].second = "renamed";
  ASSERT_EQ(
      h.Ingest(Request(target, form(block, R"({"delay":{"display-name":"waiting"}})"), ren)).status,
      200);
  // Without a family alias the name is guessed from the types: Go contention -> mutex.
  EXPECT_EQ(h.Total("renamed", "mutex:waiting:nanoseconds:contentions:count"),
            RawColumnSum("go/pprof_text/http.contention.block.raw.txt", "delay/nanoseconds"));
}

TEST(PyroscopeIngestTest, FoldedAndLinesWithSampleRate) {
  IngestHarness h;
  const std::string folded = ReadFixture("folded/go.cpuburn.profile.10s.samples.folded");
  const auto post = [&](std::string target, std::string body, std::string tenant) {
    return h.Ingest(Request(target, std::move(body), {{"X-Scope-OrgID", std::move(tenant)}}));
  };
  // No format and no suffix: folded cpu samples at the default 100 Hz.
  ASSERT_EQ(post("/ingest?name=svc", folded, "default").status, 200);
  EXPECT_EQ(h.Total("default", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"),
            int64_t{361} * 10'000'000);
  ASSERT_EQ(post("/ingest?name=svc.cpu&format=folded&sampleRate=1000", folded, "1khz").status, 200);
  EXPECT_EQ(h.Total("1khz", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"), 361 * 1'000'000);
  ASSERT_EQ(post("/ingest?name=svc.cpu&format=folded&sampleRate=0", folded, "counts").status, 200);
  EXPECT_EQ(h.Total("counts", "process_cpu:samples:count::"), 361);
  ASSERT_EQ(post("/ingest?name=svc.wall&format=groups", folded, "wall").status, 200);
  EXPECT_EQ(h.Total("wall", "wall:wall:nanoseconds:cpu:nanoseconds"), 3'610'000'000);
  ASSERT_EQ(post("/ingest?name=my.svc.inuse_space&format=folded&sampleRate=100",
                 ReadFixture("folded/go.leaky.heap.inuse_space.folded"), "heap")
                .status,
            200);
  EXPECT_EQ(h.Total("heap", "memory:inuse_space:bytes::"), 207151882);
  for (const storage::Labels& l : h.Series("heap")) {
    EXPECT_EQ(storage::LabelValue(l, "service_name"), "my.svc");  // the suffix is the type
  }
  // service_name among the labels: the app becomes app_name, as Pyroscope's adapter does.
  ASSERT_EQ(post("/ingest?name=svc.cpu{service_name=other}", "a;b 1\n", "svc").status, 200);
  ASSERT_EQ(h.Series("svc").size(), 1u);
  EXPECT_EQ(storage::LabelValue(h.Series("svc")[0], "service_name"), "other");
  EXPECT_EQ(storage::LabelValue(h.Series("svc")[0], "app_name"), "svc");

  // lines: one stack per line, identical lines add up.
  ASSERT_EQ(
      post("/ingest?name=svc&format=lines&sampleRate=100", "main;a\r\nmain;a\n\nmain;b\n", "lines")
          .status,
      200);
  EXPECT_EQ(h.Total("lines", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"), 3 * 10'000'000);
  EXPECT_EQ(h.Total("lines", "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
                    {{"service_name", storage::Matcher::Op::kEq, "svc"}}),
            30'000'000);

  // Gzipped text and an idle app's empty upload.
  ASSERT_EQ(post("/ingest?name=svc&format=folded", GzipCompress("x;y 2\n"), "gz").status, 200);
  EXPECT_EQ(h.Total("gz", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"), 20'000'000);
  HttpResponse empty = post("/ingest?name=svc", " \n", "empty");
  EXPECT_EQ(empty.status, 200);
  EXPECT_TRUE(h.Series("empty").empty());
  // Pyroscope ignores text uploads carrying a profile_id (old span profiles).
  EXPECT_EQ(post("/ingest?name=svc{profile_id=abc}", "a 1\n", "spans").status, 200);
  EXPECT_TRUE(h.Series("spans").empty());
}

TEST(PyroscopeIngestTest, FromAndUntilInEveryUnit) {
  IngestHarness h;
  struct Case {
    const char* from;
    int64_t ns;
  };
  const int64_t t = int64_t{1795678000} * 1'000'000'000;
  for (const Case& c :
       {Case{"1795678000", t}, Case{"1795678000123", t + 123'000'000},
        Case{"1795678000123456", t + 123'456'000}, Case{"1795678000123456789", t + 123'456'789},
        Case{"20261126", int64_t{1795651200} * 1'000'000'000},
        Case{"now-1h", testing::kNowNs - int64_t{3600} * 1'000'000'000},
        Case{"now", testing::kNowNs}}) {
    SCOPED_TRACE(c.from);
    const std::string tenant = fmt::format("t{}", c.ns);
    ASSERT_EQ(
        h.Ingest(Request(fmt::format("/ingest?name=svc&sampleRate=0&from={}&until=now", c.from),
                         "a;b 5\n", {{"X-Scope-OrgID", tenant}}))
            .status,
        200);
    // Stored at exactly `from`.
    EXPECT_EQ(h.Total(tenant, "process_cpu:samples:count::", {}, c.ns, c.ns + 1), 5);
    EXPECT_EQ(h.Total(tenant, "process_cpu:samples:count::", {}, c.ns + 1, INT64_MAX), 0);
  }
}

TEST(PyroscopeIngestTest, JfrRawAndMultipart) {
  IngestHarness h;
  const std::string jfr = ReadFixture("java/hotloop.jdk17.profile.jfr");
  formats::JfrOptions o;
  o.thread_labels = false;
  auto expected = formats::ParseJfr(jfr, o);
  ASSERT_TRUE(expected.ok()) << expected.status();
  ASSERT_EQ(h.Ingest(Request("/ingest?name=hotloop{env=dev}&format=jfr&spyName=javaspy", jfr,
                             {{"X-Scope-OrgID", "raw"}}))
                .status,
            200);
  // 300 jdk.ExecutionSample events (jfr summary).
  EXPECT_EQ(h.Total("raw", "process_cpu:samples:count:cpu:nanoseconds"), 300);
  for (const formats::JfrProfile& p : *expected) {
    if (p.kind == "cpu") {
      EXPECT_EQ(h.Total("raw", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"), p.profile.Total(1));
    }
    if (p.kind == "alloc") {
      // One allocation event has no stack trace (1648 bytes): it is kept, with an empty
      // stack, so the totals agree.
      int64_t stackless = 0;
      for (const profile::Sample& s : p.profile.samples) {
        if (s.depth == 0) stackless += p.profile.Values(s)[1];
      }
      EXPECT_EQ(stackless, 1648);
      EXPECT_EQ(h.Total("raw", "memory:alloc_space:bytes::"), p.profile.Total(1));
    }
    if (p.kind == "lock") {
      EXPECT_EQ(h.Total("raw", "mutex:delay:nanoseconds:mutex:count"), p.profile.Total(1));
    }
  }
  for (const storage::Labels& l : h.Series("raw")) {
    EXPECT_EQ(storage::LabelValue(l, "service_name"), "hotloop");
    EXPECT_EQ(storage::LabelValue(l, "pyroscope_spy"), "javaspy");
    EXPECT_FALSE(storage::LabelValue(l, "thread").has_value());
  }
  // sampleRate sets the CPU period, as Pyroscope scales execution samples by it.
  ASSERT_EQ(h.Ingest(Request("/ingest?name=hotloop&format=jfr&sampleRate=50", jfr,
                             {{"X-Scope-OrgID", "rate"}}))
                .status,
            200);
  EXPECT_EQ(h.Total("rate", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"),
            int64_t{300} * 20'000'000);

  // The multipart form of pyroscope-java: gzipped `jfr` and a LabelsSnapshot `labels` part.
  const std::string snapshot(
      "\x12\x07\x08\x01\x12\x03"
      "abc",
      9);  // strings {1: "abc"}
  const std::vector<std::pair<std::string, std::string>> ct = {
      {"Content-Type", "multipart/form-data; boundary=XyZ"}, {"X-Scope-OrgID", "form"}};
  ASSERT_EQ(
      h.Ingest(Request("/ingest?name=hotloop&format=jfr",
                       Multipart("XyZ", {{"jfr", GzipCompress(jfr)}, {"labels", snapshot}}), ct))
          .status,
      200);
  EXPECT_EQ(h.Total("form", "process_cpu:samples:count:cpu:nanoseconds"), 300);
  HttpResponse bad =
      h.Ingest(Request("/ingest?name=hotloop&format=jfr",
                       Multipart("XyZ", {{"jfr", jfr}, {"labels", "\x0a\x7f"}}), ct));
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("LabelsSnapshot"));
  bad = h.Ingest(
      Request("/ingest?name=hotloop&format=jfr", Multipart("XyZ", {{"labels", snapshot}}), ct));
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("no \"jfr\" part"));
}

TEST(PyroscopeIngestTest, Speedscope) {
  IngestHarness h;
  ASSERT_EQ(h.Ingest(Request("/ingest?name=svc&format=speedscope",
                             ReadFixture("speedscope/cpuburn.profile.3s.pb.gz.speedscope.json"),
                             {{"X-Scope-OrgID", "cpu"}}))
                .status,
            200);
  EXPECT_EQ(h.Total("cpu", "process_cpu:cpu:nanoseconds::"), 1'020'000'000);  // endValue
  // Recognized without `format`; bytes make it memory.
  ASSERT_EQ(h.Ingest(Request("/ingest?name=svc",
                             ReadFixture("speedscope/node.heap-prof.heapprofile.speedscope.json"),
                             {{"X-Scope-OrgID", "heap"}}))
                .status,
            200);
  EXPECT_EQ(h.Total("heap", "memory:space:bytes::"), 2216024);
}

struct BadCase {
  std::string target;
  std::string body;
  std::string content_type;
  int status;
  std::string message;
};

TEST(PyroscopeIngestTest, MalformedInputGetsA4xxThatSaysWhy) {
  IngestHarness h;
  const std::string heap = ReadFixture("go/http/leaky.heap.pb.gz");
  const std::string mp = "multipart/form-data; boundary=B";
  const std::string bomb = GzipCompress(std::string(size_t{80} << 20, 'a'));
  const BadCase cases[] = {
      {"/ingest", "a 1\n", "", 400, "application name is required"},
      {"/ingest?name=my%20app", "a 1\n", "", 400, "character that is not allowed: ' '"},
      {"/ingest?name=a{b-c=1}", "a 1\n", "", 400, "label name \"b-c\""},
      {"/ingest?name=a{1abc=1}", "a 1\n", "", 400, "invalid label name \"1abc\""},
      {"/ingest?name=a.nosuchtype", "a 1\n", "", 400, "unknown profile type \"nosuchtype\""},
      {"/ingest?name=a&from=yesterday", "a 1\n", "", 400, "from: time \"yesterday\""},
      {"/ingest?name=a&until=now-3q", "a 1\n", "", 400, "until: time \"now-3q\": unknown unit"},
      {"/ingest?name=a&sampleRate=-5", "a 1\n", "", 400, "sampleRate \"-5\""},
      {"/ingest?name=a&sampleRate=fast", "a 1\n", "", 400, "sampleRate \"fast\""},
      {"/ingest?name=a&format=xml", "<a/>", "", 400, "unknown format \"xml\""},
      {"/ingest?name=a&format=trie", "x", "", 400, "trie and tree formats"},
      {"/ingest?name=a", "x", "binary/octet-stream+tree", 400, "trie and tree formats"},
      {"/ingest?name=a&format=folded", "no count here\n", "", 400, "folded: line 1"},
      {"/ingest?name=a&format=folded", "a 1\nb two\n", "", 400, "folded: line 2"},
      {"/ingest?name=a&format=pprof", "\x0a\xff\xff", "", 400, "pprof"},
      {"/ingest?name=a&format=pprof", "", "", 400, "the pprof profile is empty"},
      {"/ingest?name=a&format=pprof", "\x1f\x8b\x08\x01garbage", "", 400, "pprof"},
      {"/ingest?name=a&format=jfr", "not a recording", "", 400, "jfr"},
      {"/ingest?name=a&format=speedscope", "{\"$schema\":1}", "", 400, "speedscope"},
      {"/ingest?name=a", "x", "multipart/form-data", 400, "boundary"},
      {"/ingest?name=a", "--B\r\nno end", mp, 400, "multipart"},
      {"/ingest?name=a", Multipart("B", {{"other", "x"}}), mp, 400,
       "no \"profile\" part (parts: \"other\")"},
      {"/ingest?name=a", Multipart("B", {{"profile", heap}, {"prev_profile", heap}}), mp, 400,
       "prev_profile"},
      {"/ingest?name=a", Multipart("B", {{"profile", heap}, {"sample_type_config", "{x"}}), mp, 400,
       "sample_type_config"},
      {"/ingest?name=a",
       Multipart("B", {{"profile", heap}, {"sample_type_config", R"({"cpu":{}})"}}), mp, 400,
       "names none of the profile's sample types"},
      {"/ingest?name=a&format=lines", Multipart("B", {{"profile", heap}}), mp, 400,
       "cannot be sent as multipart"},
      {"/ingest?name=a&format=pprof", bomb, "", 413, "decompression ratio exceeds"},
      {"/ingest?name=a&format=folded", bomb, "", 413, "decompression ratio exceeds"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.target + " " + c.body.substr(0, 40));
    std::vector<std::pair<std::string, std::string>> headers = {{"X-Scope-OrgID", "bad"}};
    if (!c.content_type.empty()) headers.emplace_back("Content-Type", c.content_type);
    HttpResponse r = h.Ingest(Request(c.target, c.body, headers));
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_THAT(r.body, HasSubstr(c.message));
    EXPECT_TRUE(r.body.ends_with("\n"));
  }
  EXPECT_TRUE(h.Series("bad").empty());
}

TEST(PyroscopeIngestTest, LimitsAndTenancy) {
  LimitsConfig limits;
  limits.overrides["small"].max_body_bytes = 100;
  limits.overrides["slow"].ingestion_rate_bytes = 1;
  limits.overrides["slow"].ingestion_burst_bytes = 30;
  limits.overrides["tiny"].max_decompressed_profile_bytes = 1000;
  TenancyOptions tenancy;
  tenancy.token_to_tenant = {{"secret-a", "team-a"}};
  IngestHarness h(limits, tenancy);
  const std::string folded = "main;work;deeper 7\n";  // 19 bytes

  HttpResponse r =
      h.Ingest(Request("/ingest?name=svc", std::string(200, 'x'), {{"X-Scope-OrgID", "small"}}));
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(r.body, HasSubstr("request body of 200 bytes is above the limit of 100 bytes"));

  r = h.Ingest(Request("/ingest?name=svc&format=pprof", ReadFixture("go/http/leaky.heap.pb.gz"),
                       {{"X-Scope-OrgID", "tiny"}}));
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(r.body, HasSubstr("above the limit of 1000"));
  r = h.Ingest(Request("/ingest?name=svc&format=folded",
                       ReadFixture("folded/go.cpuburn.profile.3s.samples.folded"),
                       {{"X-Scope-OrgID", "tiny"}}));
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(r.body, HasSubstr("above the limit of 1000 bytes"));
  EXPECT_TRUE(h.Series("tiny").empty());

  // The rate limit: the first request fits the burst, the second waits.
  ASSERT_EQ(h.Ingest(Request("/ingest?name=svc", folded, {{"X-Scope-OrgID", "slow"}})).status, 200);
  r = h.Ingest(Request("/ingest?name=svc", folded, {{"X-Scope-OrgID", "slow"}}));
  EXPECT_EQ(r.status, 429);
  EXPECT_THAT(r.body, HasSubstr("ingestion rate"));
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Retry-After");
  int seconds = 0;
  EXPECT_TRUE(ParseInt(r.headers[0].second, &seconds));
  EXPECT_GE(seconds, 1);

  // Tokens: none for a tenant that has them is 401, another tenant's token is 403.
  r = h.Ingest(Request("/ingest?name=svc", folded, {{"X-Scope-OrgID", "team-a"}}));
  EXPECT_EQ(r.status, 401);
  r = h.Ingest(Request("/ingest?name=svc", folded,
                       {{"X-Scope-OrgID", "team-b"}, {"Authorization", "Bearer secret-a"}}));
  EXPECT_EQ(r.status, 403);
  r = h.Ingest(
      Request("/ingest?name=svc", folded, {{"Authorization", "Basic dXNlcjpzZWNyZXQtYQ=="}}));
  EXPECT_EQ(r.status, 200) << r.body;  // user:secret-a, as the SDKs send basic auth
  EXPECT_EQ(h.Total("team-a", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"), 70'000'000);

  // Nobody else's data changed.
  EXPECT_EQ(h.Total("slow", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"), 70'000'000);
  EXPECT_TRUE(h.Series("team-b").empty());
  EXPECT_TRUE(h.Series("small").empty());
  EXPECT_TRUE(h.Series("anonymous").empty());
}

}  // namespace
}  // namespace hearth::server
