#include "server/ingest_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/proto_wire.h"
#include "profile/builder.h"

namespace hearth::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kNow = int64_t{1795678669} * kS;  // 2026-11-26T07:37:49Z

TEST(PyroscopeNameTest, AppAndLabels) {
  auto n = ParsePyroscopeName("my.app.cpu{env=staging,region=us-west-1}");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->app, "my.app.cpu");
  EXPECT_THAT(n->labels, ElementsAre(Pair("env", "staging"), Pair("region", "us-west-1")));

  n = ParsePyroscopeName("foo");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->app, "foo");
  EXPECT_TRUE(n->labels.empty());
}

TEST(PyroscopeNameTest, SpacesAreTrimmedAndValuesAreNotUnquoted) {
  // Pyroscope's own test case, plus quotes, which its parser keeps.
  auto n = ParsePyroscopeName(" foo { bar = 1 , baz = 2 } ");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->app, "foo");
  EXPECT_THAT(n->labels, ElementsAre(Pair("bar", "1"), Pair("baz", "2")));
  n = ParsePyroscopeName("a{env=\"prod\",path=/x=y{z}");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_THAT(n->labels, ElementsAre(Pair("env", "\"prod\""), Pair("path", "/x=y{z")));
}

TEST(PyroscopeNameTest, QuirksOfThePyroscopeStateMachine) {
  // A later duplicate wins; __name__ inside the braces renames the app.
  auto n = ParsePyroscopeName("a{k=1,k=2,__name__=b}");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->app, "b");
  EXPECT_THAT(n->labels, ElementsAre(Pair("k", "2")));
  // An unterminated value is dropped; a key without '=' before '}' is ignored.
  n = ParsePyroscopeName("a{k=1");
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(n->labels.empty());
  n = ParsePyroscopeName("a{k}");
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(n->labels.empty());
  // After '}' the parser reads keys again.
  n = ParsePyroscopeName("a{x=1}y=2}");
  ASSERT_TRUE(n.ok());
  EXPECT_THAT(n->labels, ElementsAre(Pair("x", "1"), Pair("y", "2")));
  // Empty values are kept by the parser (the handler drops them).
  n = ParsePyroscopeName("a{e=}");
  ASSERT_TRUE(n.ok());
  EXPECT_THAT(n->labels, ElementsAre(Pair("e", "")));
  // URL-decoded names carry '/' and '-' in the app name.
  n = ParsePyroscopeName("team/svc-1{otel.scope.name=com.grafana.pyroscope/nodejs}");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->app, "team/svc-1");
  EXPECT_THAT(n->labels, ElementsAre(Pair("otel.scope.name", "com.grafana.pyroscope/nodejs")));
}

TEST(PyroscopeNameTest, ErrorsSayWhatIsWrong) {
  auto n = ParsePyroscopeName("");
  EXPECT_TRUE(absl::IsInvalidArgument(n.status()));
  EXPECT_THAT(n.status().message(), HasSubstr("application name is required"));
  n = ParsePyroscopeName("{a=b}");
  EXPECT_THAT(n.status().message(), HasSubstr("application name is required"));
  n = ParsePyroscopeName("my app");
  EXPECT_THAT(n.status().message(),
              HasSubstr("\"my app\" has a character that is not allowed: ' '"));
  n = ParsePyroscopeName("a{k-1=v}");
  EXPECT_THAT(n.status().message(), HasSubstr("label name \"k-1\""));
  n = ParsePyroscopeName("a{=v}");
  EXPECT_THAT(n.status().message(), HasSubstr("empty name"));
  n = ParsePyroscopeName("a{x=1,,y=2}");  // the second ',' becomes part of a key
  EXPECT_THAT(n.status().message(), HasSubstr("label name \",y\""));
  n = ParsePyroscopeName("a{x=1,__name__=bad app}");
  EXPECT_THAT(n.status().message(), HasSubstr("\"bad app\""));
}

TEST(PyroscopeTimeTest, DigitsByLength) {
  EXPECT_EQ(*ParsePyroscopeTime("1795678669", kNow), 1795678669 * kS);               // s
  EXPECT_EQ(*ParsePyroscopeTime("1795678669123", kNow), 1795678669123'000'000);      // ms
  EXPECT_EQ(*ParsePyroscopeTime("1795678669123456", kNow), 1795678669123456'000);    // µs
  EXPECT_EQ(*ParsePyroscopeTime("1795678669123456789", kNow), 1795678669123456789);  // ns
  EXPECT_EQ(*ParsePyroscopeTime("0", kNow), 0);
  EXPECT_EQ(*ParsePyroscopeTime("12345", kNow), 12345 * kS);  // other lengths: seconds
  // Separators are ignored.
  EXPECT_EQ(*ParsePyroscopeTime(" 1_795_678,669 ", kNow), 1795678669 * kS);
}

TEST(PyroscopeTimeTest, EightDigitsAreADate) {
  EXPECT_EQ(*ParsePyroscopeTime("20261126", kNow), int64_t{1795651200} * kS);  // midnight UTC
  EXPECT_EQ(*ParsePyroscopeTime("19700102", kNow), 86400 * kS);
  // Not a date (month 13, Feb 30, year <= 1900): seconds, as Pyroscope.
  EXPECT_EQ(*ParsePyroscopeTime("20261301", kNow), 20261301 * kS);
  EXPECT_EQ(*ParsePyroscopeTime("20260230", kNow), 20260230 * kS);
  EXPECT_EQ(*ParsePyroscopeTime("18991231", kNow), 18991231 * kS);
}

TEST(PyroscopeTimeTest, RelativeToNow) {
  EXPECT_EQ(*ParsePyroscopeTime("", kNow), kNow);
  EXPECT_EQ(*ParsePyroscopeTime("now", kNow), kNow);
  EXPECT_EQ(*ParsePyroscopeTime("now-1h", kNow), kNow - 3600 * kS);
  EXPECT_EQ(*ParsePyroscopeTime("now+30s", kNow), kNow + 30 * kS);
  EXPECT_EQ(*ParsePyroscopeTime("-10m", kNow), kNow - 600 * kS);
  EXPECT_EQ(*ParsePyroscopeTime("now-5min", kNow), kNow - 300 * kS);
  EXPECT_EQ(*ParsePyroscopeTime("now-1h30m", kNow), kNow - 5400 * kS);
  EXPECT_EQ(*ParsePyroscopeTime("now-2d", kNow), kNow - 2 * 86400 * kS);
  EXPECT_EQ(*ParsePyroscopeTime("now-1w", kNow), kNow - 7 * 86400 * kS);
  EXPECT_EQ(*ParsePyroscopeTime("now-1mon", kNow), kNow - 30 * 86400 * kS);
  EXPECT_EQ(*ParsePyroscopeTime("now-1M", kNow), kNow - 30 * 86400 * kS);
  EXPECT_EQ(*ParsePyroscopeTime("now-1y", kNow), kNow - 365 * 86400 * kS);
  EXPECT_EQ(*ParsePyroscopeTime("now-3hours", kNow), kNow - 3 * 3600 * kS);
  EXPECT_EQ(*ParsePyroscopeTime("now-1 h", kNow), kNow - 3600 * kS);
}

TEST(PyroscopeTimeTest, ErrorsSayWhatIsWrong) {
  auto t = ParsePyroscopeTime("yesterday", kNow);
  EXPECT_TRUE(absl::IsInvalidArgument(t.status()));
  EXPECT_THAT(t.status().message(), HasSubstr("is not a unix time"));
  t = ParsePyroscopeTime("now-1x", kNow);
  EXPECT_THAT(t.status().message(), HasSubstr("unknown unit \"x\""));
  t = ParsePyroscopeTime("now-h", kNow);
  EXPECT_THAT(t.status().message(), HasSubstr("expected a number and a unit"));
  t = ParsePyroscopeTime("now-", kNow);
  EXPECT_THAT(t.status().message(), HasSubstr("nothing after the sign"));
  t = ParsePyroscopeTime("now-5", kNow);
  EXPECT_THAT(t.status().message(), HasSubstr("unknown unit \"\""));
  t = ParsePyroscopeTime("12345678901234567890", kNow);
  EXPECT_THAT(t.status().message(), HasSubstr("out of range"));
  t = ParsePyroscopeTime("99999999999", kNow);  // 11 digits of seconds overflow ns
  EXPECT_THAT(t.status().message(), HasSubstr("out of range"));
  t = ParsePyroscopeTime("now-999999999y", kNow);
  EXPECT_THAT(t.status().message(), HasSubstr("offset is out of range"));
}

TEST(LegacyTypeTest, SuffixNamesTheType) {
  std::string app;
  auto t = SplitLegacyType("my.app.cpu", &app);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(app, "my.app");
  EXPECT_EQ(t->metric, "process_cpu");
  EXPECT_EQ(t->type, "samples");
  EXPECT_TRUE(t->time_sampled);
  t = SplitLegacyType("app", &app);  // no dot: cpu
  EXPECT_EQ(app, "app");
  EXPECT_EQ(t->metric, "process_cpu");
  struct Case {
    const char* name;
    const char* metric;
    const char* type;
    const char* unit;
    bool time;
  };
  for (const Case& c :
       {Case{"a.wall", "wall", "samples", "count", true},
        Case{"a.itimer", "process_cpu", "samples", "count", true},
        Case{"a.inuse_space", "memory", "inuse_space", "bytes", false},
        Case{"a.alloc_objects", "memory", "alloc_objects", "count", false},
        Case{"a.goroutines", "goroutine", "goroutines", "count", false},
        Case{"a.mutex_duration", "mutex", "delay", "nanoseconds", false},
        Case{"a.block_count", "block", "contentions", "count", false},
        Case{"a.lock_duration", "block", "delay", "nanoseconds", false},
        Case{"a.alloc_in_new_tlab_bytes", "memory", "alloc_in_new_tlab_bytes", "bytes", false},
        Case{"a.exceptions", "exceptions", "samples", "count", false},
        Case{"a.milliseconds", "wall", "samples", "count", true},
        Case{"a.bytes", "memory", "samples", "bytes", false}}) {
    auto lt = SplitLegacyType(c.name, &app);
    ASSERT_TRUE(lt.ok()) << c.name;
    EXPECT_EQ(app, "a") << c.name;
    EXPECT_EQ(lt->metric, c.metric) << c.name;
    EXPECT_EQ(lt->type, c.type) << c.name;
    EXPECT_EQ(lt->unit, c.unit) << c.name;
    EXPECT_EQ(lt->time_sampled, c.time) << c.name;
  }
  t = SplitLegacyType("my.service", &app);
  EXPECT_TRUE(absl::IsInvalidArgument(t.status()));
  EXPECT_THAT(t.status().message(), HasSubstr("unknown profile type \"service\""));
  EXPECT_THAT(t.status().message(), HasSubstr("alloc_space"));
}

TEST(SampleTypeConfigTest, ParsesPyroscopeGoConfigs) {
  auto c = ParseSampleTypeConfig(
      R"({"contentions":{"display-name":"block_count","units":"lock_samples"},)"
      R"("delay":{"display-name":"block_duration","units":"lock_nanoseconds","cumulative":false},)"
      R"("inuse_space":{"units":"bytes","aggregation":"average","sampled":true,"x":[1]},)"
      R"("gone":null})");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->size(), 3u);
  EXPECT_EQ(c->at("contentions").display_name, "block_count");
  EXPECT_EQ(c->at("delay").units, "lock_nanoseconds");
  EXPECT_FALSE(c->at("delay").cumulative);
  EXPECT_EQ(c->at("inuse_space").aggregation, "average");
  EXPECT_TRUE(c->at("inuse_space").sampled);
}

TEST(SampleTypeConfigTest, ErrorsNameTheField) {
  auto c = ParseSampleTypeConfig("[1]");
  EXPECT_THAT(c.status().message(), HasSubstr("want an object of sample types"));
  c = ParseSampleTypeConfig(R"({"a":3})");
  EXPECT_THAT(c.status().message(), HasSubstr("sample_type_config[\"a\"] is a number"));
  c = ParseSampleTypeConfig(R"({"a":{"cumulative":"yes"}})");
  EXPECT_THAT(c.status().message(),
              HasSubstr("[\"a\"].cumulative is a string, want true or false"));
  c = ParseSampleTypeConfig(R"({"a":{"units":1}})");
  EXPECT_THAT(c.status().message(), HasSubstr("[\"a\"].units is a number, want a string"));
  c = ParseSampleTypeConfig("{");
  EXPECT_TRUE(absl::IsInvalidArgument(c.status()));
}

profile::Profile TwoTypeProfile(std::string_view a, std::string_view b) {
  profile::ProfileBuilder builder;
  builder.profile().sample_types = {{builder.Str(a), builder.Str("count")},
                                    {builder.Str(b), builder.Str("nanoseconds")}};
  const uint32_t leaf = builder.AddFrame("leaf");
  const int64_t v1[] = {3, 300}, v2[] = {4, 400};
  builder.AddSample({&leaf, 1}, v1);
  const uint32_t other[] = {builder.AddFrame("other"), leaf};
  builder.AddSample(other, v2);
  return builder.Finish();
}

TEST(MetricNameTest, FollowsPyroscope) {
  const SampleTypeConfigs& d = DefaultSampleTypeConfigs();
  EXPECT_EQ(PyroscopeMetricName(TwoTypeProfile("samples", "cpu"), d), "process_cpu");
  EXPECT_EQ(PyroscopeMetricName(TwoTypeProfile("samples", "wall"), d), "wall");
  EXPECT_EQ(PyroscopeMetricName(TwoTypeProfile("inuse_objects", "inuse_space"), d), "memory");
  EXPECT_EQ(PyroscopeMetricName(TwoTypeProfile("goroutine", "x"), d), "goroutines");
  // Go block and mutex share their types: without a config both are mutex (Pyroscope's
  // TODO); pyroscope-go's block config tells them apart.
  EXPECT_EQ(PyroscopeMetricName(TwoTypeProfile("contentions", "delay"), d), "mutex");
  auto block = ParseSampleTypeConfig(
      R"({"contentions":{"display-name":"block_count"},"delay":{"display-name":"block_duration"}})");
  EXPECT_EQ(PyroscopeMetricName(TwoTypeProfile("contentions", "delay"), *block), "block");
  // Nothing matches: the storage's guess instead of a sample type name.
  EXPECT_EQ(PyroscopeMetricName(TwoTypeProfile("threadcreate", "x"), d), "threadcreate");
}

TEST(ApplySampleTypeConfigTest, SelectsRenamesAndMarksCumulative) {
  profile::Profile p = TwoTypeProfile("requests", "delay");
  auto c = ParseSampleTypeConfig(
      R"({"delay":{"display-name":"queue_time","cumulative":true},"other":{}})");
  bool changed = false, cumulative = false;
  ASSERT_TRUE(ApplySampleTypeConfig(*c, p, &changed, &cumulative).ok());
  EXPECT_TRUE(changed);
  EXPECT_TRUE(cumulative);
  ASSERT_EQ(p.sample_types.size(), 1u);
  EXPECT_EQ(p.Str(p.sample_types[0].type), "queue_time");
  EXPECT_EQ(p.Str(p.sample_types[0].unit), "nanoseconds");
  EXPECT_EQ(p.Total(0), 700);
  EXPECT_TRUE(profile::Validate(p).ok());

  // Aliases only name the family; a config naming every type changes nothing.
  p = TwoTypeProfile("contentions", "delay");
  c = ParseSampleTypeConfig(
      R"({"contentions":{"display-name":"block_count"},"delay":{"display-name":"block_duration"}})");
  ASSERT_TRUE(ApplySampleTypeConfig(*c, p, &changed, &cumulative).ok());
  EXPECT_FALSE(changed);
  EXPECT_FALSE(cumulative);
  EXPECT_EQ(p.Str(p.sample_types[0].type), "contentions");

  // Units fill in a missing unit only.
  p = TwoTypeProfile("a", "b");
  p.sample_types[0].unit = 0;
  c = ParseSampleTypeConfig(R"({"a":{"units":"objects"},"b":{"units":"bytes"}})");
  ASSERT_TRUE(ApplySampleTypeConfig(*c, p, &changed, &cumulative).ok());
  EXPECT_TRUE(changed);
  EXPECT_EQ(p.Str(p.sample_types[0].unit), "count");
  EXPECT_EQ(p.Str(p.sample_types[1].unit), "nanoseconds");

  c = ParseSampleTypeConfig(R"({"x":{}})");
  auto s = ApplySampleTypeConfig(*c, p, &changed, &cumulative);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("names none of the profile's sample types (a, b)"));
}

std::string MapEntry(uint32_t field, int64_t key, std::string_view value, bool value_is_int,
                     int64_t int_value = 0) {
  std::string entry;
  entry += static_cast<char>(0x08);  // key = 1, varint
  entry += static_cast<char>(key);
  if (value_is_int) {
    entry += static_cast<char>(0x10);  // value = 2, varint
    entry += static_cast<char>(int_value);
  } else {
    entry += static_cast<char>(0x12);  // value = 2, bytes
    entry += static_cast<char>(value.size());
    entry += value;
  }
  std::string out;
  out += static_cast<char>(field << 3 | 2);
  out += static_cast<char>(entry.size());
  return out + entry;
}

TEST(JfrLabelsSnapshotTest, DecodesContextsAndStrings) {
  // Context 7 = {1: 2} ("span_name" -> "checkout"), strings 1 and 2.
  const std::string context = MapEntry(1, 1, "", true, 2);
  const std::string snapshot = MapEntry(1, 7, context, false) + MapEntry(2, 1, "span_name", false) +
                               MapEntry(2, 2, "checkout", false);
  auto s = ParseJfrLabelsSnapshot(snapshot);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->contexts.count(7), 1u);
  EXPECT_THAT(s->contexts.at(7), ElementsAre(Pair(1, 2)));
  EXPECT_EQ(s->strings.at(1), "span_name");
  EXPECT_EQ(s->strings.at(2), "checkout");
  auto bad = ParseJfrLabelsSnapshot("\x0a\x10xx");
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_THAT(bad.status().message(), HasSubstr("not a LabelsSnapshot protobuf"));
}

}  // namespace
}  // namespace hearth::server
