#include "agent/relabel.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hearth::agent {
namespace {

using testing::ElementsAre;
using testing::Pair;

LabelSet Base() {
  return {{"service_name", "python3"},
          {"pid", "42"},
          {"__meta_process_cmdline", "python3 -m myapp.server --port 80"},
          {"__meta_kubernetes_pod_uid", "u-1"}};
}

TEST(Relabel, ReplaceFromMetaWithGroupsAndDropsMeta) {
  auto r = Relabeler::FromYaml(R"(
- source_labels: [__meta_process_cmdline]
  regex: 'python3 -m ([a-z_.]+?)(\.server)? .*'
  target_label: service_name
  replacement: 'py-$1${2}'
)");
  ASSERT_TRUE(r.ok()) << r.status();
  auto out = r->Apply(Base());
  ASSERT_TRUE(out.has_value());
  EXPECT_THAT(*out, ElementsAre(Pair("pid", "42"), Pair("service_name", "py-myapp.server")));
}

TEST(Relabel, RegexIsAnchored) {
  auto r = Relabeler::FromYaml(R"(
- source_labels: [pid]
  regex: '4'
  target_label: matched
  replacement: yes
)");
  ASSERT_TRUE(r.ok());
  auto out = r->Apply(Base());
  ASSERT_TRUE(out.has_value());
  for (const auto& [k, v] : *out) EXPECT_NE(k, "matched");
}

TEST(Relabel, KeepAndDrop) {
  auto keep = Relabeler::FromYaml("- {source_labels: [service_name], regex: 'py.*', action: keep}");
  ASSERT_TRUE(keep.ok());
  EXPECT_TRUE(keep->Apply(Base()).has_value());
  EXPECT_FALSE(keep->Apply({{"service_name", "nginx"}}).has_value());
  auto drop = Relabeler::FromYaml("- {source_labels: [service_name, pid], regex: 'python3;42', action: drop}");
  ASSERT_TRUE(drop.ok());
  EXPECT_FALSE(drop->Apply(Base()).has_value());
  EXPECT_TRUE(drop->Apply({{"service_name", "python3"}, {"pid", "43"}}).has_value());
}

TEST(Relabel, LabelMapLabelDropLowercase) {
  auto r = Relabeler::FromYaml(R"(
- action: labelmap
  regex: __meta_kubernetes_(.+)
- action: labeldrop
  regex: pid
- action: uppercase
  source_labels: [service_name]
  target_label: upper
)");
  ASSERT_TRUE(r.ok()) << r.status();
  auto out = r->Apply(Base());
  ASSERT_TRUE(out.has_value());
  EXPECT_THAT(*out, ElementsAre(Pair("pod_uid", "u-1"), Pair("service_name", "python3"),
                                Pair("upper", "PYTHON3")));
}

TEST(Relabel, EmptyReplacementRemovesTarget) {
  auto r = Relabeler::FromYaml("- {source_labels: [pid], target_label: service_name, replacement: ''}");
  ASSERT_TRUE(r.ok());
  auto out = r->Apply(Base());
  ASSERT_TRUE(out.has_value());
  EXPECT_THAT(*out, ElementsAre(Pair("pid", "42")));
}

TEST(Relabel, Errors) {
  EXPECT_THAT(Relabeler::FromYaml("- {action: hashmod, target_label: x}").status().message(),
              testing::HasSubstr("unknown action \"hashmod\""));
  EXPECT_THAT(Relabeler::FromYaml("- {regex: '(', target_label: x}").status().message(),
              testing::HasSubstr("bad regex"));
  EXPECT_THAT(Relabeler::FromYaml("- {source_labels: [a]}").status().message(),
              testing::HasSubstr("needs target_label"));
  EXPECT_THAT(Relabeler::FromYaml("- {bogus: 1, target_label: x}").status().message(),
              testing::HasSubstr("unknown key \"bogus\""));
  EXPECT_THAT(Relabeler::FromYaml("a: b").status().message(), testing::HasSubstr("must be a list"));
}

}  // namespace
}  // namespace hearth::agent
