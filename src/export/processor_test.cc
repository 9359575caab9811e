#include "export/processor.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace hearth::exporter {
namespace {

using Kind = ResourceAction::Kind;

Labels Sorted(Labels l) {
  std::sort(l.begin(), l.end());
  return l;
}

TEST(ResourceProcessorTest, EachActionDoesWhatItsNameSays) {
  auto p = ResourceProcessor::Create({
      {Kind::kInsert, "region", "eu"},       // absent: added
      {Kind::kInsert, "service_name", "x"},  // present: kept
      {Kind::kUpdate, "env", "prod"},        // present: changed
      {Kind::kUpdate, "zone", "a"},          // absent: not added
      {Kind::kUpsert, "cluster", "eu-1"},    // absent: added
      {Kind::kUpsert, "version", "2"},       // present: changed
      {Kind::kDelete, "pod", ""},            // present: removed
      {Kind::kDelete, "nothing", ""},        // absent: no-op
  });
  ASSERT_TRUE(p.ok()) << p.status();
  Labels l = {{"__name__", "process_cpu"},
              {"service_name", "api"},
              {"env", "dev"},
              {"version", "1"},
              {"pod", "api-7f9"}};
  p->Apply(l);
  EXPECT_EQ(Sorted(l), Sorted({{"__name__", "process_cpu"},
                               {"service_name", "api"},
                               {"env", "prod"},
                               {"version", "2"},
                               {"region", "eu"},
                               {"cluster", "eu-1"}}));
}

TEST(ResourceProcessorTest, ActionsRunInOrder) {
  auto p = ResourceProcessor::Create({{Kind::kDelete, "env", ""}, {Kind::kInsert, "env", "new"}});
  ASSERT_TRUE(p.ok());
  Labels l = {{"env", "old"}};
  p->Apply(l);
  EXPECT_EQ(l, (Labels{{"env", "new"}}));

  auto q = ResourceProcessor::Create({{Kind::kInsert, "env", "new"}, {Kind::kDelete, "env", ""}});
  ASSERT_TRUE(q.ok());
  Labels m = {{"a", "1"}};
  q->Apply(m);
  EXPECT_EQ(m, (Labels{{"a", "1"}}));
}

TEST(ResourceProcessorTest, RefusesBadActions) {
  auto bad_key =
      ResourceProcessor::Create({{Kind::kUpsert, "ok", "1"}, {Kind::kUpsert, "9lives", "x"}});
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.status().message(),
            "action 1: key \"9lives\" is not a label name ([a-zA-Z_][a-zA-Z0-9_.]*)");
  auto no_value = ResourceProcessor::Create({{Kind::kInsert, "env", ""}});
  ASSERT_FALSE(no_value.ok());
  EXPECT_EQ(no_value.status().message(), "action 0 on \"env\" needs a value");
  auto delete_value = ResourceProcessor::Create({{Kind::kDelete, "env", "x"}});
  ASSERT_FALSE(delete_value.ok());
  EXPECT_EQ(delete_value.status().message(), "action 0: delete of \"env\" takes no value");

  EXPECT_EQ(*ParseResourceActionKind("upsert"), Kind::kUpsert);
  EXPECT_EQ(ParseResourceActionKind("hash").status().message(),
            "unknown action \"hash\" (use insert, update, upsert or delete)");
}

}  // namespace
}  // namespace hearth::exporter
