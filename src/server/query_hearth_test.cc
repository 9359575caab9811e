// Hearth's /api/v1 JSON API over a real engine filled with the Go fixtures; answers are
// checked against the fixtures' `go tool pprof` references.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "base/compress.h"
#include "base/fmt.h"
#include "base/strings.h"
#include "profile/pprof_codec.h"
#include "server/query_test_util.h"

namespace hearth::server::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::string Str(simdjson::dom::element e) {
  std::string_view s;
  EXPECT_EQ(e.get(s), simdjson::SUCCESS);
  return std::string(s);
}
int64_t Int(simdjson::dom::element e) {
  int64_t v = 0;
  EXPECT_EQ(e.get(v), simdjson::SUCCESS);
  return v;
}
double Num(simdjson::dom::element e) {
  double v = 0;
  EXPECT_EQ(e.get(v), simdjson::SUCCESS);
  return v;
}
std::vector<std::string> Strings(simdjson::dom::element e) {
  std::vector<std::string> out;
  for (auto v : e.get_array()) out.push_back(Str(v));
  return out;
}

struct RefRow {
  double flat_pct, cum_pct;
  std::string name;
};
// Rows of a `go tool pprof -top` reference: flat flat% sum% cum cum% name.
std::vector<RefRow> ReferenceRows(const std::string& text) {
  std::vector<RefRow> out;
  for (const std::string& line : TopRows(text)) {
    std::vector<std::string> tok;
    size_t pos = 0;
    for (int i = 0; i < 5; ++i) {
      pos = line.find_first_not_of(' ', pos);
      const size_t end = line.find(' ', pos);
      tok.push_back(line.substr(pos, end - pos));
      pos = end;
    }
    RefRow r;
    r.flat_pct = std::stod(tok[1]);
    r.cum_pct = std::stod(tok[4]);
    r.name = line.substr(line.find_first_not_of(' ', pos));
    out.push_back(r);
  }
  return out;
}

// Every row the reference shows is in our top with the same flat% and cum%.
void ExpectTopMatchesReference(simdjson::dom::element group, const std::string& reference) {
  std::map<std::string, std::pair<double, double>> ours;
  for (auto row : group["rows"].get_array()) {
    bool inl = false;
    if (row["inline"].get(inl) != simdjson::SUCCESS) inl = false;
    ours[Str(row["name"]) + (inl ? " (inline)" : "")] = {Num(row["flat_percent"]),
                                                         Num(row["cum_percent"])};
  }
  const std::vector<RefRow> ref = ReferenceRows(reference);
  ASSERT_GT(ref.size(), 5u);
  for (const RefRow& r : ref) {
    auto it = ours.find(r.name);
    ASSERT_NE(it, ours.end()) << r.name;
    EXPECT_NEAR(it->second.first, r.flat_pct, 0.006) << r.name;
    EXPECT_NEAR(it->second.second, r.cum_pct, 0.006) << r.name;
  }
}

TEST_F(QueryApiTest, ProfileTypesLabelsAndValues) {
  HttpResponse r = Get("/api/v1/profile_types", {{"from", From()}, {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> ids;
  for (auto t : Parse(r.body)["profile_types"].get_array()) ids.push_back(Str(t["id"]));
  EXPECT_THAT(
      ids,
      ElementsAre("memory:alloc_objects:count:space:bytes", "memory:alloc_space:bytes:space:bytes",
                  "memory:inuse_objects:count:space:bytes", "memory:inuse_space:bytes:space:bytes",
                  "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
                  "process_cpu:samples:count:cpu:nanoseconds"));

  r = Get("/api/v1/labels", {{"from", From()}, {"until", Until()}, {"query", "memory"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(Strings(Parse(r.body)["names"]), ElementsAre("__name__", "service_name"));

  r = Get("/api/v1/label_values", {{"name", "service_name"}, {"from", From()}, {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(Strings(Parse(r.body)["values"]),
              ElementsAre("cpuburn", "cpuburn3", "leaky", "spans"));

  // Derived profile-type labels select too.
  r = Get("/api/v1/label_values",
          {{"name", "service_name"},
           {"query", "{__profile_type__=\"memory:inuse_space:bytes:space:bytes\"}"},
           {"from", From()},
           {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(Strings(Parse(r.body)["values"]), ElementsAre("leaky"));

  r = Get("/api/v1/label_sets", {{"label", "service_name,__profile_type__"},
                                 {"query", "process_cpu{service_name=~\"cpuburn.*\"}"},
                                 {"from", From()},
                                 {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::set<std::string> sets;
  for (auto s : Parse(r.body)["label_sets"].get_array()) {
    sets.insert(Str(s["service_name"]) + " " + Str(s["__profile_type__"]));
  }
  EXPECT_THAT(sets, UnorderedElementsAre("cpuburn process_cpu:cpu:nanoseconds:cpu:nanoseconds",
                                         "cpuburn process_cpu:samples:count:cpu:nanoseconds",
                                         "cpuburn3 process_cpu:cpu:nanoseconds:cpu:nanoseconds",
                                         "cpuburn3 process_cpu:samples:count:cpu:nanoseconds"));
}

TEST_F(QueryApiTest, MergeTopMatchesGoToolPprof) {
  HttpResponse r =
      Get("/api/v1/merge",
          {{"query", "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn\"}"},
           {"format", "top"},
           {"from", From()},
           {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::element doc = Parse(r.body);
  EXPECT_EQ(Str(doc["unit"]), "nanoseconds");
  simdjson::dom::element group = doc["groups"].at(0);
  EXPECT_EQ(Int(group["total"]), 3610000000);  // "Total samples = 3.61s"
  simdjson::dom::element first = group["rows"].at(0);
  EXPECT_EQ(Str(first["name"]), "runtime.asyncPreempt");
  EXPECT_EQ(Int(first["flat"]), 1230000000);
  ExpectTopMatchesReference(group, Reference("http.cpuburn.profile.10s.top.txt"));

  // The heap, through its short type (the series' default value is inuse_space, as pprof's).
  r = Get("/api/v1/merge", {{"query", "memory{service_name=\"leaky\"}"},
                            {"format", "top"},
                            {"from", From()},
                            {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  doc = Parse(r.body);
  EXPECT_EQ(Str(doc["profile_type"]), "memory:inuse_space:bytes:space:bytes");
  ExpectTopMatchesReference(doc["groups"].at(0), Reference("http.leaky.heap.top.txt"));
}

TEST_F(QueryApiTest, MergeFlameGraphIsAConsistentTree) {
  HttpResponse r =
      Get("/api/v1/merge",
          {{"query", "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn\"}"},
           {"from", From()},
           {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::element doc = Parse(r.body);
  EXPECT_EQ(Str(doc["profile_type"]), "process_cpu:cpu:nanoseconds:cpu:nanoseconds");
  simdjson::dom::element g = doc["groups"].at(0);
  EXPECT_EQ(Int(g["total"]), 3610000000);
  bool truncated = true;
  EXPECT_EQ(g["truncated"].get(truncated), simdjson::SUCCESS);
  EXPECT_FALSE(truncated);
  simdjson::dom::element fg = g["flamegraph"];
  std::vector<int64_t> parent, self, total, name;
  for (auto v : fg["parent"].get_array()) parent.push_back(Int(v));
  for (auto v : fg["self"].get_array()) self.push_back(Int(v));
  for (auto v : fg["total"].get_array()) total.push_back(Int(v));
  for (auto v : fg["name"].get_array()) name.push_back(Int(v));
  const std::vector<std::string> names = Strings(fg["names"]);
  ASSERT_GT(parent.size(), 50u);
  ASSERT_EQ(self.size(), parent.size());
  EXPECT_EQ(parent[0], -1);
  EXPECT_EQ(names[static_cast<size_t>(name[0])], "total");
  EXPECT_EQ(total[0], 3610000000);
  // total = self + children's totals, parents before children.
  std::vector<int64_t> sum(parent.size(), 0);
  for (size_t i = 1; i < parent.size(); ++i) {
    ASSERT_LT(parent[i], static_cast<int64_t>(i));
    sum[static_cast<size_t>(parent[i])] += total[i];
  }
  for (size_t i = 0; i < parent.size(); ++i) EXPECT_EQ(total[i], self[i] + sum[i]) << i;
  std::set<std::string> seen(names.begin(), names.end());
  EXPECT_TRUE(seen.count("main.fib"));

  // max_nodes truncates, with "other" nodes carrying the rest.
  r = Get("/api/v1/merge",
          {{"query", "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn\"}"},
           {"max_nodes", "10"},
           {"from", From()},
           {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  g = Parse(r.body)["groups"].at(0);
  EXPECT_EQ(g["truncated"].get(truncated), simdjson::SUCCESS);
  EXPECT_TRUE(truncated);
  EXPECT_LE(g["flamegraph"]["parent"].get_array().size(), 25u);
  EXPECT_THAT(Strings(g["flamegraph"]["names"]), ::testing::Contains("other"));
  EXPECT_EQ(Int(g["flamegraph"]["total"].at(0)), 3610000000);
}

TEST_F(QueryApiTest, MergeGroupByAndSpans) {
  HttpResponse r = Get("/api/v1/merge", {{"query", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"},
                                         {"group_by", "service_name"},
                                         {"format", "top"},
                                         {"from", From()},
                                         {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::map<std::string, int64_t> totals;
  for (auto g : Parse(r.body)["groups"].get_array())
    totals[Str(g["labels"]["service_name"])] = Int(g["total"]);
  EXPECT_EQ(totals["cpuburn"], 3610000000);
  EXPECT_EQ(totals["cpuburn3"], cpu3_.Total(1));
  EXPECT_EQ(totals["spans"], 105000000);

  r = Get("/api/v1/merge",
          {{"query", "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"spans\"}"},
           {"span_id", "00000000000000bb"},
           {"format", "folded"},
           {"from", From()},
           {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "main.main;main.handleB 70000000\n");
}

TEST_F(QueryApiTest, MergePprofLoadsInGoToolPprof) {
  HttpResponse r =
      Get("/api/v1/merge",
          {{"query", "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn\"}"},
           {"format", "pprof"},
           {"from", From()},
           {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/octet-stream");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Content-Disposition");
  EXPECT_EQ(r.headers[0].second, "attachment; filename=\"process_cpu.pb.gz\"");
  CommandResult top = GoPprofTop(r.body);
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_EQ(TopRows(top.out), TopRows(Reference("http.cpuburn.profile.10s.top.txt")));
}

TEST_F(QueryApiTest, MergeFrameFiltersMatchGoToolPprof) {
  // pprof's -focus/-hide on the stored profile give pprof's rows; its percentages are of
  // the whole profile (3.61s), ours are values.
  const std::string focus = "main\\.integrate|sort\\.", hide = "^runtime\\.";
  HttpResponse r =
      Get("/api/v1/merge",
          {{"query", "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn\"}"},
           {"format", "top"},
           {"focus", focus},
           {"hide", hide},
           {"from", From()},
           {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::map<std::string, std::pair<int64_t, int64_t>> ours;
  for (auto row : Parse(r.body)["groups"].at(0)["rows"].get_array()) {
    bool inl = false;
    if (row["inline"].get(inl) != simdjson::SUCCESS) inl = false;
    ours[Str(row["name"]) + (inl ? " (inline)" : "")] = {Int(row["flat"]), Int(row["cum"])};
  }
  const std::string path = storage::testing::FixturePath("go/http/cpuburn.profile.10s.pb.gz");
  CommandResult ref = RunCommand(fmt::format("go tool pprof -top -nodefraction=0 -focus='{}' -hide='{}' {}",
                                             focus, hide, path));
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  const std::vector<RefRow> rows = ReferenceRows(ref.out);
  ASSERT_GT(rows.size(), 5u) << ref.out;
  EXPECT_EQ(ours.size(), rows.size());
  const double total = 3610000000.0;
  for (const RefRow& row : rows) {
    auto it = ours.find(row.name);
    ASSERT_NE(it, ours.end()) << row.name;
    EXPECT_NEAR(it->second.first * 100 / total, row.flat_pct, 0.006) << row.name;
    EXPECT_NEAR(it->second.second * 100 / total, row.cum_pct, 0.006) << row.name;
    EXPECT_FALSE(row.name.starts_with("runtime.")) << row.name;
  }

  // Folded stacks: every one passes through a focused frame; no runtime frame is left.
  r = Get("/api/v1/merge",
          {{"query", "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn\"}"},
           {"format", "folded"},
           {"focus", focus},
           {"hide", hide},
           {"from", From()},
           {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  int lines = 0;
  for (std::string_view line : Split(r.body, '\n')) {
    if (line.empty()) continue;
    ++lines;
    EXPECT_TRUE(line.find("main.integrate") != std::string_view::npos ||
                line.find("sort.") != std::string_view::npos)
        << line;
    EXPECT_EQ(line.find("runtime."), std::string_view::npos) << line;
  }
  EXPECT_GT(lines, 5);

  // An option that matches nothing: an empty answer with pprof's note. A bad regexp: 400.
  r = Get("/api/v1/merge",
          {{"query", "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn\"}"},
           {"focus", "no_such_function"},
           {"from", From()},
           {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::element doc = Parse(r.body);
  EXPECT_EQ(Int(doc["groups"].at(0)["total"]), 0);
  EXPECT_THAT(Strings(doc["warnings"]), ElementsAre("Focus expression matched no samples"));
  for (const char* route : {"/api/v1/merge", "/api/v1/diff"}) {
    r = Get(route, {{"query", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"},
                    {"show_from", "main.(fib"},
                    {"from", From()},
                    {"until", Until()}});
    EXPECT_EQ(r.status, 400) << route;
    EXPECT_THAT(r.body, HasSubstr("parsing show_from regexp: missing ): main.(fib")) << route;
  }

  // The diff filters both sides.
  r = Get("/api/v1/diff", {{"left", "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn\"}"},
                           {"right", "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn3\"}"},
                           {"focus", "^main\\.fib$"},
                           {"from", From()},
                           {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  doc = Parse(r.body);
  // Samples through main.fib: its cum in the reference ("0.63s 17.45%  main.fib").
  EXPECT_EQ(Int(doc["left"]["total"]), 630000000);
  std::set<std::string> names;
  for (auto row : doc["table"].get_array()) names.insert(Str(row["name"]));
  // main.fib with its callers and callees; the other workers' functions are gone.
  EXPECT_TRUE(names.contains("main.fib"));
  for (const char* gone : {"sort.partition", "math.sin", "crypto/sha256.block", "main.integrate"}) {
    EXPECT_FALSE(names.contains(gone)) << gone;
  }
}

TEST_F(QueryApiTest, Series) {
  HttpResponse r = Get("/api/v1/series", {{"query", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"},
                                          {"group_by", "service_name"},
                                          {"step", "1m"},
                                          {"from", From()},
                                          {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::element doc = Parse(r.body);
  EXPECT_EQ(Num(doc["step"]), 60);
  std::map<std::string, int64_t> totals;
  for (auto s : doc["series"].get_array()) {
    int64_t sum = 0;
    for (auto p : s["points"].get_array()) {
      const int64_t ts = Int(p.at(0));
      EXPECT_EQ(ts % 60000, 0);  // buckets at multiples of the step
      EXPECT_GT(ts, FromMs() - 60000);
      EXPECT_LT(ts, UntilMs());
      sum += Int(p.at(1));
    }
    EXPECT_EQ(sum, Int(s["total"]));
    totals[Str(s["labels"]["service_name"])] = sum;
  }
  EXPECT_EQ(totals.size(), 3u);
  EXPECT_EQ(totals["cpuburn"], 3610000000);

  r = Get("/api/v1/series", {{"query", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"},
                             {"group_by", "service_name"},
                             {"limit", "1"},
                             {"from", From()},
                             {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  doc = Parse(r.body);
  ASSERT_EQ(doc["series"].get_array().size(), 1u);
  EXPECT_EQ(Str(doc["series"].at(0)["labels"]["service_name"]), "cpuburn");
}

TEST_F(QueryApiTest, Diff) {
  HttpResponse r =
      Get("/api/v1/diff",
          {{"left", "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn3\"}"},
           {"right", "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn\"}"},
           {"from", From()},
           {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::element doc = Parse(r.body);
  EXPECT_EQ(Int(doc["left"]["total"]), cpu3_.Total(1));
  EXPECT_EQ(Int(doc["right"]["total"]), 3610000000);
  simdjson::dom::element fg = doc["flamegraph"];
  EXPECT_EQ(Int(fg["left_total"].at(0)), cpu3_.Total(1));
  EXPECT_EQ(Int(fg["right_total"].at(0)), 3610000000);
  bool found = false;
  for (auto row : doc["table"].get_array()) {
    EXPECT_EQ(Int(row["diff_flat"]), Int(row["right_flat"]) - Int(row["left_flat"]));
    if (Str(row["name"]) == "runtime.asyncPreempt") {
      found = true;
      EXPECT_EQ(Int(row["right_flat"]), 1230000000);
    }
  }
  EXPECT_TRUE(found);

  // pprof diff: go tool pprof reads it (base samples negated).
  r = Get("/api/v1/diff",
          {{"left", "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn3\"}"},
           {"right", "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn\"}"},
           {"format", "pprof"},
           {"from", From()},
           {"until", Until()}});
  ASSERT_EQ(r.status, 200) << r.body;
  CommandResult top = GoPprofTop(r.body);
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_THAT(top.out, HasSubstr("runtime.asyncPreempt"));

  r = Get("/api/v1/diff", {{"left", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"},
                           {"right", "memory:inuse_space:bytes:space:bytes"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("same profile type"));
}

TEST_F(QueryApiTest, ErrorsAreJsonWithTheRightStatus) {
  HttpResponse r = Get("/api/v1/merge", {{"query", "process_cpu{service_name=}"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(Str(Parse(r.body)["error"]), "selector: column 26: expected a quoted value, found '}'");

  r = Get("/api/v1/merge", {});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(Str(Parse(r.body)["error"]), HasSubstr("query is required"));
  r = Get("/api/v1/merge", {{"query", "{service_name=\"a\"}"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(Str(Parse(r.body)["error"]), HasSubstr("needs a profile type"));
  r = Get("/api/v1/merge", {{"query", "process_cpu"}, {"format", "svg"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(Str(Parse(r.body)["error"]), HasSubstr("format \"svg\""));
  r = Get("/api/v1/merge", {{"query", "process_cpu"}, {"max_nodes", "2000000"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(Str(Parse(r.body)["error"]), HasSubstr("greater than allowed 1048576"));
  r = Get("/api/v1/merge", {{"query", "process_cpu"}, {"from", "yesterday"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(Str(Parse(r.body)["error"]), HasSubstr("from:"));
  r = Get("/api/v1/label_values", {});
  EXPECT_EQ(r.status, 400);
  r = Get("/api/v1/series", {{"query", "process_cpu"}, {"step", "-5"}});
  EXPECT_EQ(r.status, 400);
  r = Get("/api/v1/labels", {}, "bad tenant!");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(Str(Parse(r.body)["error"]), HasSubstr("tenant id"));
}

TEST_F(QueryApiTest, TenantsAreIsolated) {
  HttpResponse r = Get("/api/v1/label_values",
                       {{"name", "service_name"}, {"from", From()}, {"until", Until()}}, "other");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(Strings(Parse(r.body)["values"]), ElementsAre("intruder"));
  r = Get("/api/v1/merge",
          {{"query", "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"cpuburn\"}"},
           {"format", "top"},
           {"from", From()},
           {"until", Until()}},
          "other");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Int(Parse(r.body)["groups"].at(0)["total"]), 0);
  r = Get("/api/v1/profile_types", {{"from", From()}, {"until", Until()}}, "nobody");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Parse(r.body)["profile_types"].get_array().size(), 0u);
}

TEST_F(QueryApiTest, LatencyIsRecorded) {
  Get("/api/v1/labels", {});
  EXPECT_THAT(metrics_.Render(),
              HasSubstr("hearth_query_duration_seconds_count{api=\"hearth\",method=\"labels\"} 1"));
}

}  // namespace
}  // namespace hearth::server::testing
