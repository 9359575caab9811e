// OTLP Profiles decoding of hostile and broken input: every bad index refuses exactly the
// profile that uses it, with a message naming the profile, the field and the table; broken
// wire bytes, broken JSON and broken limits are request errors that say what and where.
// Requests are built with the protobuf runtime's classes, then broken in one place.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "base/fmt.h"
#include "base/proto_wire.h"
#include "formats/json_test_util.h"
#include "formats/otlp.h"
#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb.h"
#include "profile/pprof_codec.h"

namespace hearth::formats {
namespace {

namespace common_pb = opentelemetry::proto::common::v1;
namespace otlp_pb = opentelemetry::proto::profiles::v1development;
using Request =
    opentelemetry::proto::collector::profiles::v1development::ExportProfilesServiceRequest;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kProfile1[] = "resource_profiles[0].scope_profiles[0].profiles[1]";

// A valid request with two profiles of four samples each, for tests to break:
//
//   string_table     0 ""  1 cpu  2 nanoseconds  3 main  4 work  5 /bin/app  6 service.name
//                    7 app  8 thread.name  9 t1  10 /lib/libc.so
//   mapping_table    [zero, {0x400000..0x500000 /bin/app}]
//   function_table   [zero, main, work]
//   location_table   [zero, {m1 0x401000 main:10}, {m1 0x402000 work:20}]
//   stack_table      12 entries: [zero, then [2, 1] at odd and [1] at even indices]
//   attribute_table  [zero, thread.name=t1]
//   link_table       [zero, {trace 0x11.., span 0x22..}]
//   profiles[k].samples[i]: stack i+1, value 10*(i+1); samples[1] has link 1, samples[2]
//   attribute 1
Request ValidRequest() {
  Request req;
  otlp_pb::ProfilesDictionary* d = req.mutable_dictionary();
  for (const char* s : {"", "cpu", "nanoseconds", "main", "work", "/bin/app", "service.name", "app",
                        "thread.name", "t1", "/lib/libc.so"}) {
    d->add_string_table(s);
  }
  d->add_mapping_table();
  otlp_pb::Mapping* m = d->add_mapping_table();
  m->set_memory_start(0x400000);
  m->set_memory_limit(0x500000);
  m->set_filename_strindex(5);
  d->add_function_table();
  d->add_function_table()->set_name_strindex(3);
  d->add_function_table()->set_name_strindex(4);
  d->add_location_table();
  for (int i = 1; i <= 2; ++i) {
    otlp_pb::Location* l = d->add_location_table();
    l->set_mapping_index(1);
    l->set_address(0x400000 + 0x1000 * i);
    otlp_pb::Line* line = l->add_lines();
    line->set_function_index(i);
    line->set_line(10 * i);
  }
  d->add_stack_table();
  for (int i = 1; i < 12; ++i) {
    otlp_pb::Stack* s = d->add_stack_table();
    if (i % 2 == 1) s->add_location_indices(2);
    s->add_location_indices(1);
  }
  d->add_attribute_table();
  otlp_pb::KeyValueAndUnit* a = d->add_attribute_table();
  a->set_key_strindex(8);
  a->mutable_value()->set_string_value("t1");
  otlp_pb::Link* zero = d->add_link_table();
  zero->set_trace_id(std::string(16, '\0'));
  zero->set_span_id(std::string(8, '\0'));
  otlp_pb::Link* link = d->add_link_table();
  link->set_trace_id(std::string(16, '\x11'));
  link->set_span_id(std::string(8, '\x22'));

  otlp_pb::ResourceProfiles* rp = req.add_resource_profiles();
  common_pb::KeyValue* kv = rp->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("app");
  otlp_pb::ScopeProfiles* sp = rp->add_scope_profiles();
  sp->mutable_scope()->set_name("test");
  for (int k = 0; k < 2; ++k) {
    otlp_pb::Profile* p = sp->add_profiles();
    p->mutable_sample_type()->set_type_strindex(1);
    p->mutable_sample_type()->set_unit_strindex(2);
    p->mutable_period_type()->set_type_strindex(1);
    p->mutable_period_type()->set_unit_strindex(2);
    p->set_period(10'000'000);
    p->set_time_unix_nano(1'700'000'000'000'000'000);
    for (int i = 0; i < 4; ++i) {
      otlp_pb::Sample* s = p->add_samples();
      s->set_stack_index(i + 1);
      s->add_values(10 * (i + 1));
      if (i == 1) s->set_link_index(1);
      if (i == 2) s->add_attribute_indices(1);
    }
  }
  return req;
}

otlp_pb::Profile* Profile(Request& req, int k) {
  return req.mutable_resource_profiles(0)->mutable_scope_profiles(0)->mutable_profiles(k);
}

OtlpDecodeResult Decode(const Request& req, const OtlpLimits& limits = {}) {
  auto r = DecodeOtlpRequest(req.SerializeAsString(), limits);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : OtlpDecodeResult{};
}

// Decodes a request whose profiles[1] is broken: profiles[0] must survive, profiles[1] be
// refused. Returns the refusal message.
std::string RefusalOfProfile1(const Request& req) {
  OtlpDecodeResult r = Decode(req);
  EXPECT_EQ(r.rejected_profiles, 1);
  EXPECT_EQ(r.profiles.size(), 1u);
  if (!r.profiles.empty()) {
    EXPECT_EQ(r.profiles[0].where, "resource_profiles[0].scope_profiles[0].profiles[0]");
    EXPECT_EQ(r.profiles[0].profile.Total(0), 100);
  }
  return r.error_message;
}

std::string Refusal(std::string_view detail) { return fmt::format("{}: {}", kProfile1, detail); }

TEST(OtlpErrorsTest, TheValidRequestDecodes) {
  OtlpDecodeResult r = Decode(ValidRequest());
  EXPECT_EQ(r.rejected_profiles, 0);
  EXPECT_EQ(r.error_message, "");
  ASSERT_EQ(r.profiles.size(), 2u);
  const profile::Profile& p = r.profiles[1].profile;
  EXPECT_EQ(p.Total(0), 100);
  ASSERT_EQ(p.samples.size(), 4u);
  EXPECT_EQ(testing::Join(testing::RootFirstNames(p, p.samples[0])), "main;work");
  EXPECT_EQ(p.labels.size(), 3u);  // trace_id, span_id, thread.name
  EXPECT_THAT(r.profiles[1].labels, UnorderedElementsAre(Pair("service_name", "app")));
}

// ---- Out-of-range indices: one profile refused, with the field and the table named.

TEST(OtlpErrorsTest, StackIndexOutOfRange) {
  Request req = ValidRequest();
  Profile(req, 1)->mutable_samples(3)->set_stack_index(99);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[3].stack_index 99 is out of range (stack_table has 12 entries)"));
  Profile(req, 1)->mutable_samples(3)->set_stack_index(-1);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[3].stack_index -1 is out of range (stack_table has 12 entries)"));
}

TEST(OtlpErrorsTest, LocationIndexOutOfRange) {
  Request req = ValidRequest();
  req.mutable_dictionary()->mutable_stack_table(5)->add_location_indices(50);
  Profile(req, 1)->mutable_samples(0)->set_stack_index(5);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[0]: stack_table[5].location_indices[2] 50 is out of range "
                    "(location_table has 3 entries)"));
}

// A new location 3 (in a new stack 12) that profiles[1].samples[0] uses.
otlp_pb::Location* NewLocationForProfile1(Request& req) {
  otlp_pb::ProfilesDictionary* d = req.mutable_dictionary();
  otlp_pb::Location* l = d->add_location_table();
  d->add_stack_table()->add_location_indices(3);
  Profile(req, 1)->mutable_samples(0)->set_stack_index(12);
  return l;
}

TEST(OtlpErrorsTest, MappingIndexOutOfRange) {
  Request req = ValidRequest();
  NewLocationForProfile1(req)->set_mapping_index(9);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[0]: location_table[3].mapping_index 9 is out of range "
                    "(mapping_table has 2 entries)"));
}

TEST(OtlpErrorsTest, FunctionIndexOutOfRange) {
  Request req = ValidRequest();
  NewLocationForProfile1(req)->add_lines()->set_function_index(7);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[0]: location_table[3].lines[0].function_index 7 is out of range "
                    "(function_table has 3 entries)"));
}

TEST(OtlpErrorsTest, StringIndexOutOfRange) {
  Request req = ValidRequest();
  req.mutable_dictionary()->add_function_table()->set_name_strindex(1000);
  NewLocationForProfile1(req)->add_lines()->set_function_index(3);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[0]: function_table[3].name_strindex 1000 is out of range "
                    "(string_table has 11 entries)"));

  req = ValidRequest();
  Profile(req, 1)->mutable_sample_type()->set_unit_strindex(11);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("sample_type.unit_strindex 11 is out of range (string_table has 11 entries)"));

  req = ValidRequest();
  req.mutable_dictionary()->mutable_mapping_table(1)->set_filename_strindex(-5);
  OtlpDecodeResult r = Decode(req);  // Both profiles use the mapping.
  EXPECT_EQ(r.rejected_profiles, 2);
  EXPECT_EQ(r.error_message,
            "resource_profiles[0].scope_profiles[0].profiles[0]: samples[0]: mapping_table[1]"
            ".filename_strindex -5 is out of range (string_table has 11 entries)");
}

TEST(OtlpErrorsTest, AttributeIndicesOutOfRange) {
  Request req = ValidRequest();
  Profile(req, 1)->mutable_samples(2)->add_attribute_indices(40);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[2].attribute_indices[1] 40 is out of range (attribute_table has 2 "
                    "entries)"));

  req = ValidRequest();
  Profile(req, 1)->add_attribute_indices(77);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("attribute_indices[0] 77 is out of range (attribute_table has 2 entries)"));

  req = ValidRequest();
  NewLocationForProfile1(req)->add_attribute_indices(3);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[0]: location_table[3].attribute_indices[0] 3 is out of range "
                    "(attribute_table has 2 entries)"));

  req = ValidRequest();
  otlp_pb::Mapping* m = req.mutable_dictionary()->add_mapping_table();
  m->add_attribute_indices(1);
  m->add_attribute_indices(2);
  NewLocationForProfile1(req)->set_mapping_index(2);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[0]: mapping_table[2].attribute_indices[1] 2 is out of range "
                    "(attribute_table has 2 entries)"));
}

TEST(OtlpErrorsTest, AttributeStringsOutOfRange) {
  Request req = ValidRequest();
  otlp_pb::KeyValueAndUnit* a = req.mutable_dictionary()->add_attribute_table();
  a->set_key_strindex(500);
  Profile(req, 1)->mutable_samples(0)->add_attribute_indices(2);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[0]: attribute_table[2].key_strindex 500 is out of range "
                    "(string_table has 11 entries)"));

  a->set_key_strindex(8);
  a->mutable_value()->set_string_value_strindex(12);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[0]: attribute_table[2].value.string_value_strindex 12 is out of "
                    "range (string_table has 11 entries)"));

  a->mutable_value()->mutable_array_value()->add_values()->set_string_value("ok");
  a->mutable_value()->mutable_array_value()->add_values()->set_string_value_strindex(13);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[0]: attribute_table[2].value.array_value.values[1]"
                    ".string_value_strindex 13 is out of range (string_table has 11 entries)"));

  a->mutable_value()->set_string_value("fine");
  a->set_unit_strindex(99);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[0]: attribute_table[2].unit_strindex 99 is out of range "
                    "(string_table has 11 entries)"));
}

TEST(OtlpErrorsTest, LinksOutOfRangeOrMalformed) {
  Request req = ValidRequest();
  Profile(req, 1)->mutable_samples(1)->set_link_index(7);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[1].link_index 7 is out of range (link_table has 2 entries)"));

  req = ValidRequest();
  req.mutable_dictionary()->add_link_table()->set_trace_id("abc");
  Profile(req, 1)->mutable_samples(0)->set_link_index(2);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[0]: link_table[2].trace_id is 3 bytes, want 16"));

  req = ValidRequest();
  req.mutable_dictionary()->add_link_table()->set_span_id(std::string(9, 'x'));
  Profile(req, 1)->mutable_samples(0)->set_link_index(2);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[0]: link_table[2].span_id is 9 bytes, want 8"));
}

TEST(OtlpErrorsTest, ResourceAttributeStringOutOfRangeRefusesEveryProfileOfTheResource) {
  Request req = ValidRequest();
  common_pb::KeyValue* kv = req.mutable_resource_profiles(0)->mutable_resource()->add_attributes();
  kv->set_key_strindex(31);
  OtlpDecodeResult r = Decode(req);
  EXPECT_EQ(r.rejected_profiles, 2);
  EXPECT_TRUE(r.profiles.empty());
  EXPECT_EQ(r.error_message,
            "resource_profiles[0].scope_profiles[0].profiles[0]: resource.attributes[1]"
            ".key_strindex 31 is out of range (string_table has 11 entries)");
}

TEST(OtlpErrorsTest, SampleValuesAndTimestamps) {
  Request req = ValidRequest();
  otlp_pb::Sample* s = Profile(req, 1)->mutable_samples(2);
  s->clear_values();
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[2] has neither values nor timestamps_unix_nano"));

  s->add_values(1);
  s->add_values(2);
  s->add_timestamps_unix_nano(5);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[2] has 2 values but 1 timestamps_unix_nano (want as many of each)"));

  s->clear_values();
  s->add_values(INT64_MAX);
  s->add_values(1);
  s->add_timestamps_unix_nano(6);
  EXPECT_EQ(RefusalOfProfile1(req),
            Refusal("samples[2].values: their sum overflows a 64-bit integer"));

  // Timestamps only: one event each. Values and timestamps: the values.
  s->clear_values();
  OtlpDecodeResult r = Decode(req);
  ASSERT_EQ(r.profiles.size(), 2u);
  EXPECT_EQ(r.profiles[1].profile.Total(0), 10 + 20 + 2 + 40);
  s->add_values(300);
  s->add_values(4);
  r = Decode(req);
  ASSERT_EQ(r.profiles.size(), 2u);
  EXPECT_EQ(r.profiles[1].profile.Total(0), 10 + 20 + 304 + 40);
}

// ---- Structure: the dictionary's zero entries, self-references, nesting.

TEST(OtlpErrorsTest, DictionaryZeroEntriesMustBeZero) {
  Request req = ValidRequest();
  req.mutable_dictionary()->set_string_table(0, "x");
  auto r = DecodeOtlpRequest(req.SerializeAsString());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "otlp: dictionary.string_table[0] is \"x\"; it must be the empty string");

  req = ValidRequest();
  req.mutable_dictionary()->mutable_location_table(0)->set_address(1);
  r = DecodeOtlpRequest(req.SerializeAsString());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "otlp: dictionary.location_table[0] must be the zero Location (index 0 means "
            "\"unset\"), but it has fields set");
}

// The schema has no table that refers to itself (stack -> location -> mapping / function ->
// string), so no index chain can loop; what comes closest is a recursive stack, one location
// repeated. It is as bounded as any other stack.
TEST(OtlpErrorsTest, RecursiveStacksAndDeepStacksAreBounded) {
  Request req = ValidRequest();
  otlp_pb::Stack* deep = req.mutable_dictionary()->add_stack_table();
  for (int i = 0; i < 8192; ++i) deep->add_location_indices(1);
  Profile(req, 1)->mutable_samples(0)->set_stack_index(12);
  OtlpDecodeResult r = Decode(req);
  ASSERT_EQ(r.profiles.size(), 2u);
  EXPECT_EQ(r.profiles[1].profile.samples[0].depth, 8192u);
  EXPECT_EQ(r.profiles[1].profile.locations.size(), 2u);

  deep->add_location_indices(1);
  auto too_deep = DecodeOtlpRequest(req.SerializeAsString());
  ASSERT_FALSE(too_deep.ok());
  EXPECT_EQ(too_deep.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(too_deep.status().message(),
            "otlp: dictionary.stack_table[12] has more than 8192 location_indices (the stack "
            "depth limit)");
}

TEST(OtlpErrorsTest, DeeplyNestedValuesAreNotRecursedInto) {
  // 10,000 arrays inside each other as the attribute of a second resource: skipped as bytes
  // below the first level (arrays are not series labels), so no stack is spent on them. (The
  // protobuf runtime itself refuses more than 100 levels, so the bytes are made by hand.)
  std::string value;
  for (int i = 0; i < 10'000; ++i) {
    std::string array, any;
    wire::Writer(&array).Bytes(1, value);
    wire::Writer(&any).Bytes(5, array);
    value = std::move(any);
  }
  std::string kv, resource, sample, profile, scope, rp;
  wire::Writer(&kv).Bytes(1, "nested");
  wire::Writer(&kv).Bytes(2, value);
  wire::Writer(&resource).Bytes(1, kv);
  wire::Writer(&sample).Varint(1, 1);
  wire::Writer(&sample).Varint(4, 5);
  wire::Writer(&profile).Bytes(2, sample);
  wire::Writer(&scope).Bytes(2, profile);
  wire::Writer(&rp).Bytes(1, resource);
  wire::Writer(&rp).Bytes(2, scope);
  std::string bytes = ValidRequest().SerializeAsString();
  wire::Writer(&bytes).Bytes(1, rp);  // resource_profiles[1]
  auto r = DecodeOtlpRequest(bytes);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->profiles.size(), 3u);
  EXPECT_EQ(r->profiles[2].where, "resource_profiles[1].scope_profiles[0].profiles[0]");
  EXPECT_TRUE(r->profiles[2].labels.empty());
  EXPECT_EQ(r->profiles[2].profile.Total(0), 5);

  std::string json = R"({"resourceProfiles":[{"resource":{"attributes":[{"key":"x","value":)";
  for (int i = 0; i < 100; ++i) json += R"({"arrayValue":{"values":[)";
  json += "{}";
  for (int i = 0; i < 100; ++i) json += "]}}";
  json += "}]}}]}";
  auto deep = DecodeOtlpJsonRequest(json);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().message(), "otlp json: JSON nested deeper than the limit of 64 levels");
}

// ---- Wire errors and limits: the whole request.

TEST(OtlpErrorsTest, EveryTruncationIsAnErrorOrAcceptedExactlyWhenTheRuntimeAgrees) {
  const std::string bytes = ValidRequest().SerializeAsString();
  int errors = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    const std::string prefix = bytes.substr(0, n);
    Request runtime;
    const bool runtime_ok = runtime.ParseFromString(prefix);
    auto r = DecodeOtlpRequest(prefix);
    EXPECT_EQ(r.ok(), runtime_ok) << "prefix of " << n << " bytes: " << r.status();
    if (!r.ok()) {
      ++errors;
      EXPECT_THAT(r.status().message(), HasSubstr("otlp: malformed request at "));
    }
  }
  EXPECT_GT(errors, static_cast<int>(bytes.size()) / 2);
  auto r = DecodeOtlpRequest(bytes.substr(0, bytes.size() - 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "otlp: malformed request at dictionary: length-delimited field runs past the end "
            "of its message");
}

// Hand-made bytes: request { resource_profiles { scope_profiles { profiles { samples
// { <sample> } } } } }.
std::string WithSample(std::string_view sample) {
  std::string p, sp, rp, req;
  wire::Writer(&p).Bytes(2, sample);
  wire::Writer(&sp).Bytes(2, p);
  wire::Writer(&rp).Bytes(2, sp);
  wire::Writer(&req).Bytes(1, rp);
  return req;
}

TEST(OtlpErrorsTest, WrongWireTypes) {
  std::string sample;
  wire::Writer(&sample).Bytes(1, "x");  // stack_index as length-delimited
  auto r = DecodeOtlpRequest(WithSample(sample));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "otlp: malformed request at resource_profiles[0].scope_profiles[0].profiles[0]"
            ".samples[0]: field stack_index has wire type 2 (length-delimited), want varint");

  sample.clear();
  wire::Writer(&sample).Fixed64(4, 1);  // values as fixed64
  r = DecodeOtlpRequest(WithSample(sample));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(
      r.status().message(),
      HasSubstr("samples[0]: field values has wire type 1 (fixed64), want varint or packed"));

  sample.clear();
  wire::Writer(&sample).Varint(5, 1);  // timestamps as varint
  r = DecodeOtlpRequest(WithSample(sample));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("field timestamps_unix_nano has wire type 0 (varint)"));

  // A group (wire type 3) anywhere: here as an unknown field 3.
  r = DecodeOtlpRequest(std::string("\x1b", 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "otlp: malformed request at request: unsupported wire type (groups are not allowed)");

  // The dictionary as a varint.
  r = DecodeOtlpRequest(std::string("\x10\x01", 2));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "otlp: malformed request at dictionary: field dictionary has wire type 0 (varint), "
            "want length-delimited");
}

TEST(OtlpErrorsTest, HugeCountsAndLengthsHitLimitsNotMemory) {
  // A length of 2^32 - 1 for the dictionary, in a 6-byte request.
  auto r = DecodeOtlpRequest(std::string("\x12\xff\xff\xff\xff\x0f", 6));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("runs past the end of its message"));

  OtlpLimits limits;
  limits.max_table_entries = 1000;
  Request req = ValidRequest();
  const std::string one(1, 's');
  for (int i = 0; i < 1000; ++i) *req.mutable_dictionary()->add_string_table() = one;
  r = DecodeOtlpRequest(req.SerializeAsString(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(), "otlp: dictionary.string_table has more than 1000 entries");

  limits = {};
  limits.max_samples = 7;
  r = DecodeOtlpRequest(ValidRequest().SerializeAsString(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "otlp: the request has more than 7 samples");

  limits = {};
  limits.max_profiles = 1;
  r = DecodeOtlpRequest(ValidRequest().SerializeAsString(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "otlp: the request has more than 1 profiles");

  limits = {};
  limits.max_attributes = 1;
  req = ValidRequest();
  Profile(req, 0)->mutable_samples(0)->add_attribute_indices(1);
  Profile(req, 0)->mutable_samples(0)->add_attribute_indices(1);
  r = DecodeOtlpRequest(req.SerializeAsString(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "otlp: resource_profiles[0].scope_profiles[0].profiles[0].samples[0] has more than 1 "
            "attribute_indices");

  limits = {};
  limits.max_string_bytes = 12;
  req = ValidRequest();
  req.mutable_dictionary()->add_string_table("a string of 23 bytes...");
  r = DecodeOtlpRequest(req.SerializeAsString(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "otlp: dictionary.string_table[11] is a string of 23 bytes, above the limit of 12");

  limits = {};
  limits.max_request_bytes = 100;
  r = DecodeOtlpRequest(ValidRequest().SerializeAsString(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("bytes, above the limit of 100"));
}

TEST(OtlpErrorsTest, ExpansionOfSharedStacksIsBounded) {
  // 20 samples of one 100-deep stack are 2000 stack frames in the model: over a budget of
  // 1000 the request is refused, though it is tiny on the wire.
  Request req = ValidRequest();
  otlp_pb::Stack* deep = req.mutable_dictionary()->add_stack_table();
  for (int i = 0; i < 100; ++i) deep->add_location_indices(1);
  for (int i = 0; i < 20; ++i) {
    otlp_pb::Sample* s = Profile(req, 1)->add_samples();
    s->set_stack_index(12);
    s->add_values(1);
  }
  OtlpLimits limits;
  limits.max_model_entries = 1000;
  auto r = DecodeOtlpRequest(req.SerializeAsString(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(),
            "otlp: the request expands to more than 1000 model entries (stack frames and labels "
            "of samples, and entities of profiles; OTLP shares them by index, the model does "
            "not)");
  limits.max_model_entries = 2100;
  r = DecodeOtlpRequest(req.SerializeAsString(), limits);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->profiles[1].profile.stacks.size(), 4u + 20 * 100 + 2);
}

// Protobuf merges a repeated field that arrives in pieces, here a profile's
// attribute_indices before and after its samples (whose own indices come in between).
TEST(OtlpErrorsTest, RepeatedFieldsInPiecesAreMergedAsTheRuntimeDoes) {
  Request req = ValidRequest();
  otlp_pb::ProfilesDictionary* d = req.mutable_dictionary();
  d->add_string_table("zone");
  d->add_string_table("eu");
  otlp_pb::KeyValueAndUnit* zone = d->add_attribute_table();
  zone->set_key_strindex(11);
  zone->mutable_value()->set_string_value_strindex(12);
  otlp_pb::Profile first, samples, last;
  first.add_attribute_indices(1);
  *samples.mutable_samples() = Profile(req, 1)->samples();
  last.add_attribute_indices(2);
  const std::string profile_bytes = Profile(req, 0)->SerializeAsString() +
                                    first.SerializeAsString() + samples.SerializeAsString() +
                                    last.SerializeAsString();
  Profile(req, 0)->ParseFromString(profile_bytes);  // What the runtime makes of the pieces.
  ASSERT_EQ(Profile(req, 0)->attribute_indices_size(), 2);
  ASSERT_EQ(Profile(req, 0)->samples_size(), 8);
  // The same pieces, as bytes: request { resource_profiles { scope_profiles { profiles } } }.
  std::string scope, rp, bytes;
  wire::Writer(&scope).Bytes(2, profile_bytes);
  wire::Writer(&rp).Bytes(2, scope);
  wire::Writer(&bytes).Bytes(1, rp);
  wire::Writer(&bytes).Bytes(2, d->SerializeAsString());
  auto r = DecodeOtlpRequest(bytes);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->profiles.size(), 1u);
  EXPECT_THAT(r->profiles[0].labels,
              UnorderedElementsAre(Pair("thread.name", "t1"), Pair("zone", "eu")));
  EXPECT_EQ(r->profiles[0].profile.samples.size(), 8u);
  EXPECT_EQ(r->profiles[0].profile.Total(0), 200);
}

// ---- original_payload, build ids, series labels.

TEST(OtlpErrorsTest, OriginalPprofPayloadWithoutSamplesIsTheProfile) {
  auto heap = profile::DecodePprof(testing::Fixture("go/http/leaky.heap.pb.gz"));
  ASSERT_TRUE(heap.ok());
  Request req = ValidRequest();
  otlp_pb::Profile* p = Profile(req, 1);
  p->clear_samples();
  p->set_original_payload_format("pprof");
  p->set_original_payload(profile::EncodePprofGzip(*heap));
  OtlpDecodeResult r = Decode(req);
  ASSERT_EQ(r.profiles.size(), 2u);
  const profile::Profile& q = r.profiles[1].profile;
  ASSERT_EQ(q.sample_types.size(), 4u);
  EXPECT_EQ(q.Total(3), heap->Total(3));
  EXPECT_THAT(r.profiles[1].labels, UnorderedElementsAre(Pair("service_name", "app")));

  p->set_original_payload("not a profile");
  EXPECT_THAT(RefusalOfProfile1(req),
              HasSubstr(Refusal("original_payload (pprof): pprof: malformed")));
}

TEST(OtlpErrorsTest, MappingAttributesGiveBuildIdsAndFlags) {
  Request req = ValidRequest();
  otlp_pb::ProfilesDictionary* d = req.mutable_dictionary();
  auto attr = [&](const char* key, auto set) {
    d->add_string_table(key);
    otlp_pb::KeyValueAndUnit* a = d->add_attribute_table();
    a->set_key_strindex(d->string_table_size() - 1);
    set(a->mutable_value());
    return d->attribute_table_size() - 1;
  };
  otlp_pb::Mapping* m = d->mutable_mapping_table(1);
  m->add_attribute_indices(attr("process.executable.build_id.htlhash",
                                [](common_pb::AnyValue* v) { v->set_string_value("0123"); }));
  m->add_attribute_indices(attr("process.executable.build_id.go",
                                [](common_pb::AnyValue* v) { v->set_string_value("abc/def"); }));
  m->add_attribute_indices(
      attr("pprof.mapping.has_functions", [](common_pb::AnyValue* v) { v->set_bool_value(true); }));
  OtlpDecodeResult r = Decode(req);
  ASSERT_EQ(r.profiles.size(), 2u);
  const profile::Profile& p = r.profiles[0].profile;
  ASSERT_EQ(p.mappings.size(), 1u);
  EXPECT_EQ(p.Str(p.mappings[0].build_id), "abc/def");  // Go's before htlhash
  EXPECT_TRUE(p.mappings[0].has_functions);
  // The flags were sent: none is guessed from the locations (which do have line numbers).
  EXPECT_FALSE(p.mappings[0].has_line_numbers);
}

TEST(OtlpErrorsTest, SeriesLabelNamesAndValues) {
  Request req = ValidRequest();
  auto* attrs = req.mutable_resource_profiles(0)->mutable_resource()->mutable_attributes();
  auto add = [&](const char* key) {
    common_pb::KeyValue* kv = attrs->Add();
    kv->set_key(key);
    return kv->mutable_value();
  };
  add("k8s.pod-name")->set_string_value("p");
  add("9lives")->set_int_value(-9);
  add("flag")->set_bool_value(true);
  add("ratio")->set_double_value(0.25);
  add("raw")->set_bytes_value(std::string("\x01\xff", 2));
  add("list")->mutable_array_value()->add_values()->set_string_value("skipped");
  add("empty")->set_string_value("");
  add("service.name")->set_string_value("second");  // The first one wins.
  OtlpDecodeResult r = Decode(req);
  ASSERT_EQ(r.profiles.size(), 2u);
  EXPECT_THAT(r.profiles[0].labels,
              UnorderedElementsAre(Pair("service_name", "app"), Pair("k8s.pod_name", "p"),
                                   Pair("_lives", "-9"), Pair("flag", "true"),
                                   Pair("ratio", "0.25"), Pair("raw", "01ff")));
}

}  // namespace
}  // namespace hearth::formats
