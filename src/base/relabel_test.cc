#include "base/relabel.h"

#include <gtest/gtest.h>

namespace hearth {
namespace {

using L = std::vector<std::pair<std::string, std::string>>;

RelabelRule Rule(RelabelAction a, std::vector<std::string> src, std::string regex,
                 std::string target = "", std::string replacement = "$1", std::string sep = ";") {
  RelabelRule r;
  r.action = a;
  r.source_labels = std::move(src);
  r.regex = std::move(regex);
  r.target_label = std::move(target);
  r.replacement = std::move(replacement);
  r.separator = std::move(sep);
  EXPECT_TRUE(r.Compile().ok());
  return r;
}

RelabelRule HashMod(std::vector<std::string> src, std::string target, uint64_t modulus) {
  RelabelRule r;
  r.action = RelabelAction::kHashMod;
  r.source_labels = std::move(src);
  r.target_label = std::move(target);
  r.modulus = modulus;
  EXPECT_TRUE(r.Compile().ok());
  return r;
}

struct Case {
  const char* name;
  L input;
  std::vector<RelabelRule> rules;
  bool keep;
  L want;
};

TEST(Relabel, PrometheusSemantics) {
  using A = RelabelAction;
  const std::vector<Case> cases = {
      {"replace with groups and separator",
       {{"a", "foo"}, {"b", "bar"}},
       {Rule(A::kReplace, {"a", "b"}, "f(.*);(.*)r", "d", "ch${1}-$2")},
       true,
       {{"a", "foo"}, {"b", "bar"}, {"d", "choo-ba"}}},
      {"regex is anchored: a partial match does nothing",
       {{"a", "foo"}},
       {Rule(A::kReplace, {"a"}, "o", "d", "x")},
       true,
       {{"a", "foo"}}},
      {"missing source label is the empty string",
       {{"a", "foo"}},
       {Rule(A::kReplace, {"zzz"}, "(.*)", "d", "[$1]")},
       true,
       {{"a", "foo"}, {"d", "[]"}}},
      {"empty replacement deletes the target label",
       {{"a", "foo"}, {"d", "old"}},
       {Rule(A::kReplace, {"a"}, "foo", "d", "")},
       true,
       {{"a", "foo"}}},
      {"target label from groups; invalid name does nothing",
       {{"a", "some-name"}},
       {Rule(A::kReplace, {"a"}, "(.*)", "$1", "v")},
       true,
       {{"a", "some-name"}}},
      {"target label expanded",
       {{"a", "name"}},
       {Rule(A::kReplace, {"a"}, "(.*)", "x_$1", "v")},
       true,
       {{"a", "name"}, {"x_name", "v"}}},
      {"$1x is group 1x (missing), ${1}x is group 1 then x",
       {{"a", "foo"}},
       {Rule(A::kReplace, {"a"}, "(f)oo", "b", "$1x|${1}x|$$")},
       true,
       {{"a", "foo"}, {"b", "|fx|$"}}},
      {"named groups",
       {{"a", "host:80"}},
       {Rule(A::kReplace, {"a"}, "(?P<h>[^:]+):(?P<p>\\d+)", "port", "${p}/$h")},
       true,
       {{"a", "host:80"}, {"port", "80/host"}}},
      {"keep matching", {{"a", "foo"}}, {Rule(A::kKeep, {"a"}, "f.*")}, true, {{"a", "foo"}}},
      {"keep drops non-matching", {{"a", "foo"}}, {Rule(A::kKeep, {"a"}, "bar")}, false, {}},
      {"keep anchored", {{"a", "foobar"}}, {Rule(A::kKeep, {"a"}, "foo")}, false, {}},
      {"drop matching", {{"a", "foo"}}, {Rule(A::kDrop, {"a"}, "foo")}, false, {}},
      {"drop keeps others", {{"a", "foo"}}, {Rule(A::kDrop, {"a"}, "bar")}, true, {{"a", "foo"}}},
      {"labelmap copies with new names",
       {{"__meta_pod_label_app", "web"}, {"__meta_pod_label_tier", "fe"}, {"x", "1"}},
       {Rule(A::kLabelMap, {}, "__meta_pod_label_(.+)")},
       true,
       {{"__meta_pod_label_app", "web"},
        {"__meta_pod_label_tier", "fe"},
        {"app", "web"},
        {"tier", "fe"},
        {"x", "1"}}},
      {"labeldrop",
       {{"a", "1"}, {"b_x", "2"}, {"b_y", "3"}},
       {Rule(A::kLabelDrop, {}, "b_.*")},
       true,
       {{"a", "1"}}},
      {"labelkeep",
       {{"a", "1"}, {"b_x", "2"}, {"b_y", "3"}},
       {Rule(A::kLabelKeep, {}, "b_.*")},
       true,
       {{"b_x", "2"}, {"b_y", "3"}}},
      {"lowercase",
       {{"a", "FoO"}},
       {Rule(A::kLowercase, {"a"}, "(.*)", "b")},
       true,
       {{"a", "FoO"}, {"b", "foo"}}},
      // Expected numbers: MD5 (Python's hashlib) of the value, last 8 bytes big endian, mod N;
      // the first is also Prometheus's own test case.
      {"hashmod",
       {{"a", "foo"}, {"b", "bar"}, {"c", "baz"}},
       {HashMod({"c"}, "d", 1000), HashMod({"a", "b"}, "shard", 3)},
       true,
       {{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "976"}, {"shard", "0"}}},
      {"hashmod then keep: this scraper's shard only",
       {{"__address__", "10.0.0.1:6060"}},
       {HashMod({"__address__"}, "__tmp_hash", 3), Rule(A::kKeep, {"__tmp_hash"}, "1")},
       true,
       {{"__address__", "10.0.0.1:6060"}, {"__tmp_hash", "1"}}},
      {"keepequal keeps equal values",
       {{"a", "x"}, {"b", "x"}},
       {Rule(A::kKeepEqual, {"a"}, "(.*)", "b")},
       true,
       {{"a", "x"}, {"b", "x"}}},
      {"keepequal drops different values", {{"a", "x"}, {"b", "y"}}, {Rule(A::kKeepEqual, {"a"}, "(.*)", "b")}, false, {}},
      {"dropequal drops equal values", {{"a", "x"}, {"b", "x"}}, {Rule(A::kDropEqual, {"a"}, "(.*)", "b")}, false, {}},
      {"dropequal keeps a missing target when the value is not empty",
       {{"a", "x"}},
       {Rule(A::kDropEqual, {"a"}, "(.*)", "b")},
       true,
       {{"a", "x"}}},
      {"rules apply in order",
       {{"a", "foo"}},
       {Rule(A::kReplace, {"a"}, "(.*)", "b", "$1-2"), Rule(A::kKeep, {"b"}, "foo-2")},
       true,
       {{"a", "foo"}, {"b", "foo-2"}}},
  };
  for (const Case& c : cases) {
    L labels = c.input;
    EXPECT_EQ(Relabel(c.rules, &labels), c.keep) << c.name;
    if (c.keep) {
      EXPECT_EQ(labels, c.want) << c.name;
    }
  }
}

TEST(Relabel, CompileErrors) {
  RelabelRule r;
  r.regex = "(";
  EXPECT_NE(r.Compile().message().find("regex: bad regular expression"), std::string::npos);
  RelabelRule t;
  t.action = RelabelAction::kReplace;
  EXPECT_EQ(t.Compile().message(), "target_label: required for this action");
  RelabelRule d;
  d.action = RelabelAction::kLabelDrop;
  d.source_labels = {"a"};
  EXPECT_FALSE(d.Compile().ok());
  EXPECT_FALSE(ParseRelabelAction("hashmodx").ok());
  RelabelRule h;
  h.action = RelabelAction::kHashMod;
  h.target_label = "shard";
  EXPECT_EQ(h.Compile().message(), "modulus: hashmod needs a modulus of at least 1");
  h.target_label = "$1";
  h.modulus = 2;
  EXPECT_EQ(h.Compile().message(), "target_label: \"$1\" is not a valid label name");
  RelabelRule k;
  k.action = RelabelAction::kKeepEqual;
  k.target_label = "b";
  k.regex = "x";
  EXPECT_EQ(k.Compile().message(), "keepequal and dropequal take only source_labels and target_label");
  RelabelRule m;
  m.action = RelabelAction::kDrop;
  m.modulus = 4;
  EXPECT_EQ(m.Compile().message(), "modulus: only hashmod takes a modulus");
  auto yaml = ParseRelabelConfigs("- {action: hashmod, source_labels: [a], target_label: s, modulus: -1}",
                                  "relabel_configs");
  EXPECT_EQ(yaml.status().message(),
            "config: relabel_configs[0].modulus: \"-1\" is not a whole number");
  auto ok = ParseRelabelConfigs("- {action: HashMod, source_labels: [a], target_label: s, modulus: 8}",
                                "relabel_configs");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)[0].modulus, 8u);
  EXPECT_EQ(*ParseRelabelAction("LabelMap"), RelabelAction::kLabelMap);
}

}  // namespace
}  // namespace hearth
