#include "formats/json_dom.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "base/json_writer.h"

namespace hearth::formats::json {
namespace {

using ::testing::HasSubstr;

TEST(JsonDomTest, ParseLimitsAndErrors) {
  simdjson::dom::parser parser;
  EXPECT_THAT(std::string(Parse(parser, "[1, 2", 100, 8, "x").status().message()),
              HasSubstr("x: invalid JSON"));
  EXPECT_THAT(std::string(Parse(parser, "[[[[1]]]]", 100, 3, "x").status().message()),
              HasSubstr("x: JSON nested deeper than the limit of 3 levels"));
  auto big = Parse(parser, "[1, 2, 3]", 4, 8, "x");
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  auto ok = Parse(parser, "\xEF\xBB\xBF {\"a\": 12.0, \"b\": 1.5, \"c\": \"s\"} ", 100, 8, "x");
  ASSERT_TRUE(ok.ok()) << ok.status();
  int64_t v;
  EXPECT_TRUE(GetInt((*ok)["a"].value_unsafe(), &v));
  EXPECT_EQ(v, 12);
  EXPECT_FALSE(GetInt((*ok)["b"].value_unsafe(), &v));
  EXPECT_TRUE(GetRoundedInt((*ok)["b"].value_unsafe(), &v));
  EXPECT_EQ(v, 2);
  EXPECT_FALSE(GetInt((*ok)["c"].value_unsafe(), &v));
  EXPECT_EQ(Describe((*ok)["c"].value_unsafe()), "a string");
}

TEST(JsonDomTest, SniffHelpers) {
  EXPECT_TRUE(StartsWithJson("\xEF\xBB\xBF \n {", '{'));
  EXPECT_FALSE(StartsWithJson("x{", '{'));
  EXPECT_TRUE(HasKey(R"({"a" : 1})", "a"));
  EXPECT_FALSE(HasKey(R"({"b": "a"})", "a"));
}

// The writer's output is valid JSON for every byte string, and reads back as the same
// string (invalid UTF-8 replaced by U+FFFD).
TEST(JsonWriterRoundTripTest, EveryByteThroughSimdjson) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  std::string valid = "caf\xC3\xA9 \xF0\x9F\x94\xA5 \"quoted\" back\\slash \x01\x1F";
  for (const std::string& s : {all, valid}) {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key(s).String(s).EndObject();
    simdjson::dom::parser parser;
    simdjson::dom::object obj;
    ASSERT_FALSE(parser.parse(out).get(obj)) << out;
    for (auto field : obj) {
      std::string_view key = field.key, value = field.value.get_string().value_unsafe();
      EXPECT_EQ(key, value);
      if (s == valid) {
        EXPECT_EQ(value, valid);
      }
      if (s == all) {
        // 128 ASCII bytes kept; each of the 128 high bytes alone is invalid -> U+FFFD.
        std::string want = all.substr(0, 128);
        for (int i = 0; i < 128; ++i) want += "\xEF\xBF\xBD";
        EXPECT_EQ(value, want);
      }
    }
  }
}

}  // namespace
}  // namespace hearth::formats::json
