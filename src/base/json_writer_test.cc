#include "base/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace hearth {
namespace {

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

TEST(JsonStringTest, EscapesWhatRfc8259Requires) {
  EXPECT_EQ(Quote(""), R"("")");
  EXPECT_EQ(Quote("plain text"), R"("plain text")");
  EXPECT_EQ(Quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Quote("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(Quote(std::string_view("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  // '/' and DEL need no escape.
  EXPECT_EQ(Quote("a/b\x7f"), "\"a/b\x7f\"");
}

TEST(JsonStringTest, KeepsValidUtf8) {
  // 2-, 3- and 4-byte sequences, including the extremes of each range.
  std::string s = "\xC2\x80 \xDF\xBF \xE0\xA0\x80 \xEF\xBF\xBF \xF0\x90\x80\x80 \xF4\x8F\xBF\xBF";
  EXPECT_EQ(Quote(s), "\"" + s + "\"");
  EXPECT_EQ(Quote("caf\xC3\xA9 \xE2\x82\xAC"), "\"caf\xC3\xA9 \xE2\x82\xAC\"");
}

TEST(JsonStringTest, ReplacesInvalidUtf8) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(Quote("a\xFF"
                  "b"),
            "\"a" + r + "b\"");
  EXPECT_EQ(Quote("\xC0\xAF"), "\"" + r + r + "\"");                  // Overlong '/'.
  EXPECT_EQ(Quote("\xED\xA0\x80"), "\"" + r + r + r + "\"");          // Surrogate U+D800.
  EXPECT_EQ(Quote("\xF4\x90\x80\x80"), "\"" + r + r + r + r + "\"");  // Past U+10FFFF.
  EXPECT_EQ(Quote("x\xE2\x82"), "\"x" + r + r + "\"");                // Truncated at the end.
  EXPECT_EQ(Quote("\x80"), "\"" + r + "\"");                          // Lone continuation byte.
}

TEST(JsonWriterTest, NestedContainersAndCommas) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject()
      .Key("name")
      .String("main")
      .Key("list")
      .BeginArray()
      .Int(1)
      .Int(-2)
      .BeginObject()
      .EndObject()
      .BeginArray()
      .EndArray()
      .EndArray()
      .Key("ok")
      .Bool(true)
      .Key("no")
      .Bool(false)
      .Key("nothing")
      .Null()
      .EndObject();
  EXPECT_EQ(out, R"({"name":"main","list":[1,-2,{},[]],"ok":true,"no":false,"nothing":null})");
  EXPECT_TRUE(w.done());
}

TEST(JsonWriterTest, Numbers) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray()
      .Int(std::numeric_limits<int64_t>::min())
      .Uint(std::numeric_limits<uint64_t>::max())
      .Double(0.1)
      .Double(-2.5e-7)
      .Double(1e300)
      .Double(std::nan(""))
      .Double(std::numeric_limits<double>::infinity())
      .EndArray();
  EXPECT_EQ(out, "[-9223372036854775808,18446744073709551615,0.1,-2.5e-07,1e+300,null,null]");
}

TEST(JsonWriterTest, KeysAreEscaped) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("a\"b").Int(1).EndObject();
  EXPECT_EQ(out, R"({"a\"b":1})");
}

TEST(JsonWriterTest, DoneOnlyAfterOneCompleteValue) {
  std::string out;
  JsonWriter w(&out);
  EXPECT_FALSE(w.done());
  w.BeginArray();
  EXPECT_FALSE(w.done());
  w.EndArray();
  EXPECT_TRUE(w.done());
}

TEST(JsonWriterDeathTest, MisuseAborts) {
  EXPECT_DEATH(
      {
        std::string out;
        JsonWriter w(&out);
        w.BeginObject().Int(1);
      },
      "without a key");
  EXPECT_DEATH(
      {
        std::string out;
        JsonWriter w(&out);
        w.BeginArray().EndObject();
      },
      "does not match");
  EXPECT_DEATH(
      {
        std::string out;
        JsonWriter w(&out);
        w.Int(1).Int(2);
      },
      "second top-level");
}

}  // namespace
}  // namespace hearth
