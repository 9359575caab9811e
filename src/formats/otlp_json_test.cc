// OTLP/JSON decoding: both key spellings and both integer forms, and what broken JSON,
// wrong JSON types and bad hex ids give. (The fixtures' JSON forms are in otlp_test.cc.)

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/fmt.h"
#include "formats/otlp.h"

namespace hearth::formats {
namespace {

using ::testing::HasSubstr;

constexpr char kJsonRequest[] = R"({
  "resourceProfiles": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "app"}}]},
    "scopeProfiles": [{"profiles": [{
      "sampleType": {"typeStrindex": 1, "unitStrindex": 2},
      "timeUnixNano": "1700000000000000000",
      "period": "10000000",
      "samples": [
        {"stackIndex": 1, "values": ["10"], "linkIndex": 1},
        {"stackIndex": 1, "timestampsUnixNano": ["1700000000000000001", "1700000000000000002"]}
      ]
    }]}]
  }],
  "dictionary": {
    "stringTable": ["", "cpu", "nanoseconds", "main"],
    "functionTable": [{}, {"nameStrindex": 3}],
    "locationTable": [{}, {"address": "4096", "lines": [{"functionIndex": 1, "line": "7"}]}],
    "stackTable": [{}, {"locationIndices": [1]}],
    "linkTable": [{}, {"traceId": "0AF7651916CD43DD8448EB211C80319C", "spanId": "b7ad6b7169203331"}]
  }
})";

// The same request with snake_case keys, 64-bit numbers as JSON numbers, and nulls.
constexpr char kSnakeJsonRequest[] = R"({
  "resource_profiles": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"string_value": "app"}}]},
    "scope_profiles": [{"scope": null, "profiles": [{
      "sample_type": {"type_strindex": "1", "unit_strindex": 2},
      "time_unix_nano": 1700000000000000000,
      "period": 10000000,
      "samples": [
        {"stack_index": 1, "values": [10], "link_index": 1},
        {"stack_index": 1, "timestamps_unix_nano": [1700000000000000001, 1700000000000000002]}
      ]
    }]}]
  }],
  "dictionary": {
    "string_table": ["", "cpu", "nanoseconds", "main"],
    "function_table": [{}, {"name_strindex": 3}],
    "location_table": [{}, {"address": 4096, "lines": [{"function_index": 1, "line": 7}]}],
    "stack_table": [{}, {"location_indices": [1]}],
    "link_table": [{}, {"trace_id": "0af7651916cd43dd8448eb211c80319c", "span_id": "B7AD6B7169203331"}],
    "unknown_table": [1, 2, 3]
  }
})";

TEST(OtlpJsonTest, CamelAndSnakeCaseStringsAndNumbersDecodeAlike) {
  auto camel = DecodeOtlpJsonRequest(kJsonRequest);
  auto snake = DecodeOtlpJsonRequest(kSnakeJsonRequest);
  ASSERT_TRUE(camel.ok()) << camel.status();
  ASSERT_TRUE(snake.ok()) << snake.status();
  ASSERT_EQ(camel->profiles.size(), 1u);
  ASSERT_EQ(snake->profiles.size(), 1u);
  std::string why;
  EXPECT_TRUE(profile::Equal(camel->profiles[0].profile, snake->profiles[0].profile, &why)) << why;
  const profile::Profile& p = camel->profiles[0].profile;
  EXPECT_EQ(p.Total(0), 12);  // 10, and two timestamps
  EXPECT_EQ(p.time_nanos, 1700000000000000000);
  EXPECT_EQ(p.locations[0].address, 4096u);
  std::vector<std::string> labels;
  for (const profile::Label& l : p.Labels(p.samples[0])) {
    labels.push_back(fmt::format("{}={}", p.Str(l.key), p.Str(l.str)));
  }
  EXPECT_THAT(labels, ::testing::ElementsAre("trace_id=0af7651916cd43dd8448eb211c80319c",
                                             "span_id=b7ad6b7169203331"));
}

std::string JsonError(std::string_view json) {
  auto r = DecodeOtlpJsonRequest(json);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : std::string(r.status().message());
}

std::string Replace(std::string s, std::string_view from, std::string_view to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(OtlpJsonTest, MalformedJsonAndWrongTypes) {
  EXPECT_THAT(JsonError("{"), HasSubstr("otlp json: invalid JSON: "));
  EXPECT_THAT(JsonError(""), HasSubstr("otlp json: invalid JSON: "));
  EXPECT_EQ(JsonError("[]"), "otlp json: request: is an array, want an object");
  EXPECT_EQ(JsonError(R"({"resourceProfiles": {}})"),
            "otlp json: resourceProfiles: is an object, want an array");
  EXPECT_EQ(JsonError(Replace(kJsonRequest, R"("stackIndex": 1, "values")",
                              R"("stackIndex": "abc", "values")")),
            "otlp json: resourceProfiles[0].scopeProfiles[0].profiles[0].samples[0].stackIndex: "
            "\"abc\" is not an integer");
  EXPECT_EQ(JsonError(Replace(kJsonRequest, R"("stackIndex": 1, "values")",
                              R"("stackIndex": 4294967296, "values")")),
            "otlp json: resourceProfiles[0].scopeProfiles[0].profiles[0].samples[0].stackIndex: "
            "4294967296 is not a 32-bit integer");
  EXPECT_EQ(JsonError(Replace(kJsonRequest, R"("values": ["10"])", R"("values": [1.5])")),
            "otlp json: resourceProfiles[0].scopeProfiles[0].profiles[0].samples[0].values[0]: "
            "is a number, want an integer (a number or a decimal string)");
  EXPECT_EQ(JsonError(Replace(kJsonRequest, R"("address": "4096")", R"("address": "-1")")),
            "otlp json: dictionary.locationTable[1].address: \"-1\" is not an unsigned 64-bit "
            "integer");
}

TEST(OtlpJsonTest, BadHexIds) {
  EXPECT_EQ(JsonError(Replace(kJsonRequest, "0AF7651916CD43DD8448EB211C80319C", "xyz")),
            "otlp json: dictionary.linkTable[1].traceId: \"xyz\" is not a hex string");
  EXPECT_EQ(JsonError(Replace(kJsonRequest, "b7ad6b7169203331", "b7ad6b716920333")),
            "otlp json: dictionary.linkTable[1].spanId: \"b7ad6b716920333\" is not a hex string");
  EXPECT_EQ(JsonError(Replace(kJsonRequest, R"("period": "10000000",)",
                              R"("profileId": "not an id!", "period": "10000000",)")),
            "otlp json: resourceProfiles[0].scopeProfiles[0].profiles[0].profileId: \"not an "
            "id!\" is neither hex nor base64");
  // Hex of the wrong length is well-formed JSON but not a trace id: the profile is refused.
  auto r = DecodeOtlpJsonRequest(Replace(kJsonRequest, "0AF7651916CD43DD8448EB211C80319C", "0a0b"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rejected_profiles, 1);
  EXPECT_EQ(r->error_message,
            "resource_profiles[0].scope_profiles[0].profiles[0]: samples[0]: link_table[1]"
            ".trace_id is 2 bytes, want 16");
}

TEST(OtlpJsonTest, IndicesAreCheckedAsInBinary) {
  auto r = DecodeOtlpJsonRequest(
      Replace(kJsonRequest, R"("locationIndices": [1])", R"("locationIndices": [1, 9])"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rejected_profiles, 1);
  EXPECT_EQ(r->error_message,
            "resource_profiles[0].scope_profiles[0].profiles[0]: samples[0]: stack_table[1]"
            ".location_indices[1] 9 is out of range (location_table has 2 entries)");

  OtlpLimits limits;
  limits.max_stack_depth = 1;
  auto deep = DecodeOtlpJsonRequest(
      Replace(kJsonRequest, R"("locationIndices": [1])", R"("locationIndices": [1, 1])"), limits);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().message(),
            "otlp json: dictionary.stackTable[1].locationIndices has more than 1 location "
            "indices (the stack depth limit)");
}

}  // namespace
}  // namespace hearth::formats
