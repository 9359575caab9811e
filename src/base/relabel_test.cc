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
  EXPECT_EQ(*ParseRelabelAction("LabelMap"), RelabelAction::kLabelMap);
}

}  // namespace
}  // namespace hearth
