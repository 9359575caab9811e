#include "query/selector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hearth::query {
namespace {

using storage::Matcher;

TEST(SelectorTest, FullTypeAndMatchers) {
  auto s = ParseSelector(
      R"(process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api", region=~"us-.*",)"
      R"( env!='prod', pod!~`canary-\d+`})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->type.name, "process_cpu");
  EXPECT_EQ(s->type.sample_type, "cpu");
  EXPECT_EQ(s->type.period_unit, "nanoseconds");
  ASSERT_EQ(s->matchers.size(), 4u);
  EXPECT_EQ(s->matchers[0].name, "service_name");
  EXPECT_EQ(s->matchers[0].op, Matcher::Op::kEq);
  EXPECT_EQ(s->matchers[1].op, Matcher::Op::kRe);
  EXPECT_EQ(s->matchers[1].value, "us-.*");
  EXPECT_EQ(s->matchers[2].op, Matcher::Op::kNe);
  EXPECT_EQ(s->matchers[2].value, "prod");
  EXPECT_EQ(s->matchers[3].op, Matcher::Op::kNre);
  EXPECT_EQ(s->matchers[3].value, R"(canary-\d+)");
}

TEST(SelectorTest, ShortFormsAndEscapes) {
  auto a = ParseSelector("memory");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->type.name, "memory");
  EXPECT_TRUE(a->type.sample_type.empty());
  auto b = ParseSelector(R"({service_name="a\"b\\c"})");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(b->type.name.empty());
  EXPECT_EQ(b->matchers[0].value, "a\"b\\c");
  auto c = ParseSelector("  goroutine { } ");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->matchers.empty());
}

TEST(SelectorTest, RoundTripsThroughFormat) {
  for (const char* text :
       {R"(process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api", x=~"a|b"})",
        R"(memory{a!="q\"uote"})", "wall", R"({x!~"y"})"}) {
    auto s = ParseSelector(text);
    ASSERT_TRUE(s.ok()) << text;
    EXPECT_EQ(FormatSelector(*s), text);
  }
}

void ExpectError(const char* text, const char* message) {
  auto s = ParseSelector(text);
  ASSERT_FALSE(s.ok()) << text;
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.status().message()), message) << text;
}

TEST(SelectorTest, PreciseErrors) {
  ExpectError("process_cpu{service_name}",
              "selector: column 25: expected '=', '!=', '=~' or '!~' after label name "
              "\"service_name\", found '}'");
  ExpectError(R"(process_cpu{a="b" c="d"})",
              "selector: column 19: expected ',' or '}' after a matcher, found 'c'");
  ExpectError(R"(process_cpu{a="b)", "selector: column 15: expected a closing \" for this value, found '\"'");
  ExpectError(R"(x{a=~"(unclosed"})",
              "selector: column 6: bad regular expression for \"a\": missing ): (unclosed");
  ExpectError("process_cpu:cpu{}",
              "selector: column 16: a profile type is name or "
              "name:sample_type:sample_unit:period_type:period_unit, got 2 parts");
  ExpectError("{1a=\"x\"}", "selector: column 2: expected a label name, found '1'");
  ExpectError("", "selector: column 1: expected a profile type name or '{', found end of input");
  ExpectError("cpu{} trailing", "selector: column 7: expected end of selector, found 't'");
  ExpectError(R"({a="\q"})", "selector: column 5: expected a valid escape (\\\" \\' \\\\ \\n \\t), found '\\'");
}

}  // namespace
}  // namespace hearth::query
