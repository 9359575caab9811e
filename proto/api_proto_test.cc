// Pins the wire and protojson facts of the API envelopes: JSON key spellings, int64-as-string,
// and field numbers checked byte for byte against hand-built encodings. If one of these fails
// after an edit to a .proto file, existing Pyroscope/Parca clients would break too.

#include <gmock/gmock.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/compress.h"
#include "base/file.h"
#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb.h"
#include "parca/profilestore/v1alpha1/profilestore.pb.h"
#include "parca/query/v1alpha1/query.pb.h"
#include "pyroscope/google/v1/profile.pb.h"
#include "pyroscope/push/v1/push.pb.h"
#include "pyroscope/querier/v1/querier.pb.h"
#include "pyroscope/types/v1/types.pb.h"

namespace hearth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  auto status = google::protobuf::util::MessageToJsonString(m, &out);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return out;
}

// Expected encodings are spelled with these two helpers so each field number is visible.
std::string RawVarint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

std::string VarintField(uint32_t field, uint64_t v) { return RawVarint(field << 3) + RawVarint(v); }

std::string LenField(uint32_t field, std::string_view payload) {
  return RawVarint((field << 3) | 2) + RawVarint(payload.size()) + std::string(payload);
}

TEST(PyroscopeJsonTest, SelectMergeStacktracesRequestUsesUpstreamKeys) {
  querier::v1::SelectMergeStacktracesRequest req;
  req.set_profile_typeid("process_cpu:cpu:nanoseconds:cpu:nanoseconds");
  req.set_label_selector("{service_name=\"my_service\"}");
  req.set_start(1676282400000);
  req.set_end(1676289600000);
  req.set_max_nodes(16384);
  req.set_format(querier::v1::PROFILE_FORMAT_TREE);

  std::string json = ToJson(req);
  EXPECT_THAT(json, HasSubstr(R"("profileTypeID":"process_cpu:cpu:nanoseconds:cpu:nanoseconds")"));
  EXPECT_THAT(json, HasSubstr(R"("labelSelector":"{service_name=\"my_service\"}")"));
  EXPECT_THAT(json, HasSubstr(R"("start":"1676282400000")"));
  EXPECT_THAT(json, HasSubstr(R"("end":"1676289600000")"));
  EXPECT_THAT(json, HasSubstr(R"("maxNodes":"16384")"));
  EXPECT_THAT(json, HasSubstr(R"("format":"PROFILE_FORMAT_TREE")"));
}

TEST(PyroscopeJsonTest, OptionalMaxNodesIsAbsentUntilSet) {
  querier::v1::SelectMergeStacktracesRequest req;
  EXPECT_FALSE(req.has_max_nodes());
  EXPECT_THAT(ToJson(req), Not(HasSubstr("maxNodes")));
  // Explicit presence: zero is sent when set, unlike a plain proto3 scalar.
  req.set_max_nodes(0);
  EXPECT_EQ(req.SerializeAsString(), VarintField(5, 0));
}

TEST(PyroscopeJsonTest, ParsesDocumentedPushExample) {
  // The request shape from Pyroscope's HTTP API docs; "aGVsbG8=" is base64 for "hello".
  const std::string json = R"({"series":[{"labels":[{"name":"__name__","value":"process_cpu"},)"
                           R"({"name":"service_name","value":"my_service"}],)"
                           R"("samples":[{"ID":"x","rawProfile":"aGVsbG8="}]}]})";
  push::v1::PushRequest req;
  auto status = google::protobuf::util::JsonStringToMessage(json, &req);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(req.series_size(), 1);
  const push::v1::RawProfileSeries& series = req.series(0);
  ASSERT_EQ(series.labels_size(), 2);
  EXPECT_EQ(series.labels(0).name(), "__name__");
  EXPECT_EQ(series.labels(0).value(), "process_cpu");
  EXPECT_EQ(series.labels(1).name(), "service_name");
  EXPECT_EQ(series.labels(1).value(), "my_service");
  ASSERT_EQ(series.samples_size(), 1);
  EXPECT_EQ(series.samples(0).id(), "x");
  EXPECT_EQ(series.samples(0).raw_profile(), "hello");
}

TEST(PyroscopeJsonTest, FlameGraphInt64sAreStringsAndDiffTicksKeepTheirCase) {
  querier::v1::SelectMergeStacktracesResponse resp;
  querier::v1::FlameGraph* fg = resp.mutable_flamegraph();
  fg->add_names("total");
  querier::v1::Level* root = fg->add_levels();
  for (int64_t v : {int64_t{0}, int64_t{11100000000}, int64_t{0}, int64_t{0}}) {
    root->add_values(v);
  }
  fg->set_total(11100000000);
  std::string fg_json = ToJson(resp);
  // The shape of Pyroscope's UI fixtures: 4 values per node, int64 as JSON strings.
  EXPECT_THAT(fg_json, HasSubstr(R"("levels":[{"values":["0","11100000000","0","0"]}])"));
  EXPECT_THAT(fg_json, HasSubstr(R"("total":"11100000000")"));

  querier::v1::DiffResponse diff;
  diff.mutable_flamegraph()->set_leftticks(3);
  diff.mutable_flamegraph()->set_rightticks(4);
  std::string json = ToJson(diff);
  EXPECT_THAT(json, HasSubstr(R"("leftTicks":"3")"));
  EXPECT_THAT(json, HasSubstr(R"("rightTicks":"4")"));
}

TEST(PyroscopeJsonTest, SeriesPointsCarryMillisAndExemplars) {
  querier::v1::SelectSeriesResponse resp;
  types::v1::Point* p = resp.add_series()->add_points();
  p->set_value(1.5);
  p->set_timestamp(1779729327372);
  p->add_exemplars()->set_profile_id("7c9e6679");
  std::string json = ToJson(resp);
  EXPECT_THAT(json, HasSubstr(R"("value":1.5)"));
  EXPECT_THAT(json, HasSubstr(R"("timestamp":"1779729327372")"));
  EXPECT_THAT(json, HasSubstr(R"("exemplars":[{"profileId":"7c9e6679"}])"));
}

TEST(PyroscopeWireTest, FieldNumbers) {
  push::v1::RawSample sample;
  sample.set_raw_profile("P");
  sample.set_id("u");
  EXPECT_EQ(sample.SerializeAsString(), LenField(1, "P") + LenField(2, "u"));

  push::v1::RawProfileSeries series;
  series.add_annotations()->set_key("k");
  EXPECT_EQ(series.SerializeAsString(), LenField(3, LenField(1, "k")));

  types::v1::Point point;
  point.add_exemplars()->set_value(7);
  EXPECT_EQ(point.SerializeAsString(), LenField(4, VarintField(4, 7)));

  querier::v1::SelectSeriesRequest ss;
  ss.set_step(1.0);  // double: wire type 1, little-endian 0x3ff0000000000000
  ss.set_limit(5);
  ss.set_exemplar_type(types::v1::EXEMPLAR_TYPE_INDIVIDUAL);
  EXPECT_EQ(ss.SerializeAsString(), RawVarint((6 << 3) | 1) +
                                        std::string("\0\0\0\0\0\0\xf0\x3f", 8) + VarintField(9, 5) +
                                        VarintField(10, 2));

  querier::v1::SelectMergeSpanProfileRequest span;
  span.add_span_selector("9a517183f26a089d");
  span.set_start(1);
  EXPECT_EQ(span.SerializeAsString(), LenField(3, "9a517183f26a089d") + VarintField(4, 1));

  querier::v1::SelectMergeStacktracesResponse resp;
  resp.mutable_pprof()->mutable_profile()->set_period(10);
  EXPECT_EQ(resp.SerializeAsString(), LenField(5, LenField(1, VarintField(12, 10))));
}

TEST(GoogleV1ProfileTest, RoundTripsRealGoCpuProfile) {
  auto gz = ReadFile(std::string(HEARTH_SOURCE_DIR) +
                     "/testdata/fixtures/go/http/cpuburn.profile.10s.pb.gz");
  ASSERT_TRUE(gz.ok()) << gz.status();
  auto raw = GzipDecompress(*gz);
  ASSERT_TRUE(raw.ok()) << raw.status();

  google::v1::Profile profile;
  ASSERT_TRUE(profile.ParseFromString(*raw));
  EXPECT_EQ(profile.sample_size(), 354);
  EXPECT_EQ(profile.period(), 10000000);
  EXPECT_EQ(profile.duration_nanos(), 10226431994);
  ASSERT_EQ(profile.sample_type_size(), 2);
  EXPECT_EQ(profile.string_table(profile.sample_type(1).type()), "cpu");
  EXPECT_EQ(profile.string_table(profile.sample_type(1).unit()), "nanoseconds");
  // Every field the Go runtime writes is known to the schema.
  EXPECT_TRUE(profile.GetReflection()->GetUnknownFields(profile).empty());

  google::v1::Profile again;
  ASSERT_TRUE(again.ParseFromString(profile.SerializeAsString()));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(profile, again));
}

TEST(ParcaWireTest, WriteRawRequestFieldNumbers) {
  parca::profilestore::v1alpha1::WriteRawRequest req;
  req.set_normalized(true);
  auto* series = req.add_series();
  auto* label = series->mutable_labels()->add_labels();
  label->set_name("__name__");
  label->set_value("x");
  auto* sample = series->add_samples();
  sample->set_raw_profile("P");
  auto* exe = sample->add_executable_info();
  exe->set_elf_type(3);
  exe->mutable_load_segment()->set_offset(4);
  exe->mutable_load_segment()->set_vaddr(5);

  const std::string label_set = LenField(1, LenField(1, "__name__") + LenField(2, "x"));
  const std::string exe_info =
      VarintField(1, 3) + LenField(2, VarintField(1, 4) + VarintField(2, 5));
  const std::string raw_sample = LenField(1, "P") + LenField(2, exe_info);
  EXPECT_EQ(req.SerializeAsString(),
            LenField(2, LenField(1, label_set) + LenField(2, raw_sample)) + VarintField(3, 1));
}

TEST(ParcaWireTest, QueryRangeRequestFieldNumbers) {
  parca::query::v1alpha1::QueryRangeRequest req;
  req.set_query("process_cpu:samples:count:cpu:nanoseconds:delta{}");
  req.mutable_start()->set_seconds(1);
  req.mutable_end()->set_seconds(2);
  req.set_limit(7);
  req.mutable_step()->set_seconds(15);
  req.add_sum_by("comm");
  EXPECT_EQ(req.SerializeAsString(),
            LenField(1, "process_cpu:samples:count:cpu:nanoseconds:delta{}") +
                LenField(2, VarintField(1, 1)) + LenField(3, VarintField(1, 2)) +
                VarintField(4, 7) + LenField(5, VarintField(1, 15)) + LenField(6, "comm"));
}

TEST(ParcaWireTest, QueryRequestAndResponseFieldNumbers) {
  parca::query::v1alpha1::QueryRequest req;
  req.set_mode(parca::query::v1alpha1::QueryRequest::MODE_MERGE);
  req.mutable_merge()->set_query("q");
  req.set_report_type(parca::query::v1alpha1::QueryRequest::REPORT_TYPE_TOP);
  req.set_invert_call_stack(false);  // optional: presence is encoded even for false
  EXPECT_EQ(req.SerializeAsString(), VarintField(1, 2) + LenField(3, LenField(1, "q")) +
                                         VarintField(5, 2) + VarintField(11, 0));

  parca::query::v1alpha1::QueryResponse resp;
  resp.set_pprof("gz");
  resp.set_total(100);
  resp.set_filtered(3);
  EXPECT_EQ(resp.SerializeAsString(), LenField(6, "gz") + VarintField(9, 100) + VarintField(10, 3));

  parca::query::v1alpha1::QueryResponse top_resp;
  auto* node = top_resp.mutable_top()->add_list();
  node->set_flat(1);
  node->mutable_meta()->mutable_function()->set_name("main");
  node->mutable_meta()->mutable_location()->set_address(0x10);
  const std::string meta = LenField(1, VarintField(2, 0x10)) + LenField(3, LenField(3, "main"));
  EXPECT_EQ(top_resp.SerializeAsString(),
            LenField(7, LenField(1, LenField(1, meta) + VarintField(3, 1))));
}

TEST(ParcaJsonTest, QueryRequestUsesEnumNamesAndRfc3339Times) {
  parca::query::v1alpha1::QueryRequest req;
  req.set_mode(parca::query::v1alpha1::QueryRequest::MODE_DIFF);
  auto* a = req.mutable_diff()->mutable_a();
  a->set_mode(parca::query::v1alpha1::ProfileDiffSelection::MODE_MERGE);
  a->mutable_merge()->mutable_start()->set_seconds(1700000000);
  req.set_report_type(parca::query::v1alpha1::QueryRequest::REPORT_TYPE_FLAMEGRAPH_ARROW);
  std::string json = ToJson(req);
  EXPECT_THAT(json, HasSubstr(R"("mode":"MODE_DIFF")"));
  EXPECT_THAT(json, HasSubstr(R"("start":"2023-11-14T22:13:20Z")"));
  EXPECT_THAT(json, HasSubstr(R"("reportType":"REPORT_TYPE_FLAMEGRAPH_ARROW")"));
}

// OTLP Profiles v1.11.0: the numbers that changed between releases (Sample in v1.10.0,
// Profile in v1.9.0, the dictionary in v1.7.0, the *_strindex fields in v1.10.0). A sender
// of another version is misread silently, so each is pinned byte for byte.
namespace otlp_pb = opentelemetry::proto::profiles::v1development;
namespace otlp_collector = opentelemetry::proto::collector::profiles::v1development;

std::string RawFixed64(uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}

std::string Fixed64Field(uint32_t field, uint64_t v) {
  return RawVarint((field << 3) | 1) + RawFixed64(v);
}

TEST(OtlpWireTest, SampleAndProfileFieldNumbers) {
  otlp_pb::Sample sample;
  sample.set_stack_index(1);
  sample.add_attribute_indices(2);
  sample.set_link_index(3);
  sample.add_values(4);
  sample.add_timestamps_unix_nano(5);
  EXPECT_EQ(sample.SerializeAsString(), VarintField(1, 1) + LenField(2, RawVarint(2)) +
                                            VarintField(3, 3) + LenField(4, RawVarint(4)) +
                                            LenField(5, RawFixed64(5)));

  otlp_pb::Profile p;
  p.mutable_sample_type()->set_type_strindex(1);
  p.set_time_unix_nano(7);
  p.set_duration_nano(8);
  p.set_period(6);
  p.set_profile_id("id");
  p.set_dropped_attributes_count(2);
  p.set_original_payload_format("pprof");
  p.set_original_payload("P");
  p.add_attribute_indices(9);
  EXPECT_EQ(p.SerializeAsString(), LenField(1, VarintField(1, 1)) + Fixed64Field(3, 7) +
                                       VarintField(4, 8) + VarintField(6, 6) + LenField(7, "id") +
                                       VarintField(8, 2) + LenField(9, "pprof") +
                                       LenField(10, "P") + LenField(11, RawVarint(9)));
}

TEST(OtlpWireTest, DictionaryRequestAndStrindexFieldNumbers) {
  otlp_collector::ExportProfilesServiceRequest req;
  otlp_pb::ProfilesDictionary* d = req.mutable_dictionary();
  d->add_mapping_table()->set_filename_strindex(1);
  d->add_location_table()->set_mapping_index(1);
  d->add_function_table()->set_name_strindex(1);
  d->add_link_table()->set_span_id("s");
  d->add_string_table("x");
  d->add_attribute_table()->set_unit_strindex(1);
  d->add_stack_table()->add_location_indices(1);
  req.add_resource_profiles()->set_schema_url("u");
  EXPECT_EQ(req.SerializeAsString(),
            LenField(1, LenField(3, "u")) +
                LenField(2, LenField(1, VarintField(4, 1)) + LenField(2, VarintField(1, 1)) +
                                LenField(3, VarintField(1, 1)) + LenField(4, LenField(2, "s")) +
                                LenField(5, "x") + LenField(6, VarintField(3, 1)) +
                                LenField(7, LenField(1, RawVarint(1)))));

  opentelemetry::proto::common::v1::KeyValue kv;
  kv.set_key_strindex(3);
  kv.mutable_value()->set_string_value_strindex(4);
  EXPECT_EQ(kv.SerializeAsString(), LenField(2, VarintField(8, 4)) + VarintField(3, 3));

  otlp_collector::ExportProfilesServiceResponse resp;
  resp.mutable_partial_success()->set_rejected_profiles(2);
  resp.mutable_partial_success()->set_error_message("e");
  EXPECT_EQ(resp.SerializeAsString(), LenField(1, VarintField(1, 2) + LenField(2, "e")));
  // The gRPC method path comes from these names.
  const google::protobuf::ServiceDescriptor* service =
      otlp_collector::ExportProfilesServiceRequest::descriptor()->file()->service(0);
  EXPECT_EQ(service->method(0)->full_name(),
            "opentelemetry.proto.collector.profiles.v1development.ProfilesService.Export");
}

TEST(OtlpJsonTest, KeysAreLowerCamelCase) {
  otlp_pb::Sample sample;
  sample.set_stack_index(1);
  sample.add_timestamps_unix_nano(1700000000000000000);
  std::string json = ToJson(sample);
  EXPECT_THAT(json, HasSubstr(R"("stackIndex":1)"));
  EXPECT_THAT(json, HasSubstr(R"("timestampsUnixNano":["1700000000000000000"])"));
}

}  // namespace
}  // namespace hearth
