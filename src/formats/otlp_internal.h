#pragma once

// What the binary and the JSON OTLP decoders share: the v1.11.0 field numbers, and a flat
// transcription of a request ("raw request") that both fill and one converter turns into
// model profiles. Keeping the conversion in one place is what makes a binary request and
// its JSON form decode to Equal() profiles, with the same refusals and messages.
//
//   wire bytes ──(otlp.cc)──┐
//                           ├──> RawRequest ──(otlp_convert.cc)──> OtlpDecodeResult
//   JSON text ──(otlp_json.cc)┘
//
// A RawRequest holds indices exactly as sent (int32, possibly negative or out of range):
// the decoders check only structure and limits, the converter checks every index.
// Repeated parts are [begin, begin + size) ranges into shared pools, as in the model.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "formats/otlp.h"

namespace hearth::formats::otlp_internal {

// Field numbers of opentelemetry-proto v1.11.0 (profiles v1development, common v1).
namespace field {
// ExportProfilesServiceRequest (= ProfilesData)
inline constexpr uint32_t kResourceProfiles = 1, kDictionary = 2;
// ResourceProfiles
inline constexpr uint32_t kResource = 1, kScopeProfiles = 2, kSchemaUrl = 3;
// Resource
inline constexpr uint32_t kResourceAttributes = 1;
// ScopeProfiles
inline constexpr uint32_t kScope = 1, kProfiles = 2;
// InstrumentationScope
inline constexpr uint32_t kScopeName = 1, kScopeVersion = 2, kScopeAttributes = 3;
// KeyValue
inline constexpr uint32_t kKvKey = 1, kKvValue = 2, kKvKeyStrindex = 3;
// AnyValue (a oneof)
inline constexpr uint32_t kStringValue = 1, kBoolValue = 2, kIntValue = 3, kDoubleValue = 4,
                          kArrayValue = 5, kKvlistValue = 6, kBytesValue = 7,
                          kStringValueStrindex = 8;
// ArrayValue
inline constexpr uint32_t kArrayValues = 1;
// ProfilesDictionary
inline constexpr uint32_t kMappingTable = 1, kLocationTable = 2, kFunctionTable = 3, kLinkTable = 4,
                          kStringTable = 5, kAttributeTable = 6, kStackTable = 7;
// Profile
inline constexpr uint32_t kSampleType = 1, kSamples = 2, kTimeUnixNano = 3, kDurationNano = 4,
                          kPeriodType = 5, kPeriod = 6, kProfileId = 7, kDroppedAttributesCount = 8,
                          kOriginalPayloadFormat = 9, kOriginalPayload = 10,
                          kProfileAttributeIndices = 11;
// ValueType
inline constexpr uint32_t kTypeStrindex = 1, kUnitStrindex = 2;
// Sample
inline constexpr uint32_t kStackIndex = 1, kSampleAttributeIndices = 2, kLinkIndex = 3, kValues = 4,
                          kTimestampsUnixNano = 5;
// Link
inline constexpr uint32_t kTraceId = 1, kSpanId = 2;
// Stack
inline constexpr uint32_t kLocationIndices = 1;
// Location
inline constexpr uint32_t kMappingIndex = 1, kAddress = 2, kLines = 3,
                          kLocationAttributeIndices = 4;
// Line
inline constexpr uint32_t kFunctionIndex = 1, kLine = 2, kColumn = 3;
// Function
inline constexpr uint32_t kNameStrindex = 1, kSystemNameStrindex = 2, kFilenameStrindex = 3,
                          kStartLine = 4;
// Mapping
inline constexpr uint32_t kMemoryStart = 1, kMemoryLimit = 2, kFileOffset = 3,
                          kMappingFilenameStrindex = 4, kMappingAttributeIndices = 5;
// KeyValueAndUnit
inline constexpr uint32_t kKvuKeyStrindex = 1, kKvuValue = 2, kKvuUnitStrindex = 3;
}  // namespace field

// Attribute keys with a meaning to the codec (semantic conventions and the pprof.* names
// for pprof concepts OTLP has no field for).
namespace key {
inline constexpr std::string_view kServiceName = "service.name";
inline constexpr std::string_view kBuildIdGnu = "process.executable.build_id.gnu";
inline constexpr std::string_view kBuildIdGo = "process.executable.build_id.go";
inline constexpr std::string_view kBuildIdHtlhash = "process.executable.build_id.htlhash";
inline constexpr std::string_view kBuildIdProfiling = "process.executable.build_id.profiling";
inline constexpr std::string_view kComment = "pprof.profile.comment";
inline constexpr std::string_view kDropFrames = "pprof.profile.drop_frames";
inline constexpr std::string_view kKeepFrames = "pprof.profile.keep_frames";
inline constexpr std::string_view kDocUrl = "pprof.profile.doc_url";
inline constexpr std::string_view kDefaultSampleType = "pprof.scope.default_sample_type";
inline constexpr std::string_view kHasFunctions = "pprof.mapping.has_functions";
inline constexpr std::string_view kHasFilenames = "pprof.mapping.has_filenames";
inline constexpr std::string_view kHasLineNumbers = "pprof.mapping.has_line_numbers";
inline constexpr std::string_view kHasInlineFrames = "pprof.mapping.has_inline_frames";
inline constexpr std::string_view kIsFolded = "pprof.location.is_folded";
inline constexpr std::string_view kFrameType = "profile.frame.type";
// Sample labels a Link becomes (and the encoder turns back into a Link).
inline constexpr std::string_view kTraceIdLabel = "trace_id";
inline constexpr std::string_view kSpanIdLabel = "span_id";
}  // namespace key

struct Range {
  uint32_t begin = 0;
  uint32_t size = 0;
};

// One attribute value. Arrays keep one level: their elements are in RawRequest::array_values,
// and an element that is itself an array or a map keeps only its kind (the codec maps no
// nested values, so it never needs them, and nothing recurses on input).
struct AnyValue {
  enum class Kind : uint8_t {
    kUnset,
    kString,
    kStrindex,
    kBool,
    kInt,
    kDouble,
    kBytes,
    kArray,
    kKvList,
  };
  Kind kind = Kind::kUnset;
  bool b = false;
  int32_t strindex = 0;
  int64_t i = 0;
  double d = 0;
  std::string_view s;  // kString, kBytes
  Range elements;      // kArray
};

// A KeyValue (key or key_strindex; resource and scope attributes) or a KeyValueAndUnit
// (key_strindex and unit_strindex; the dictionary's attribute_table).
struct Attribute {
  std::string_view key;
  int32_t key_strindex = 0;
  int32_t unit_strindex = 0;
  AnyValue value;
};

struct ValueTypeRef {
  int32_t type = 0;
  int32_t unit = 0;
};

struct MappingEntry {
  uint64_t memory_start = 0;
  uint64_t memory_limit = 0;
  uint64_t file_offset = 0;
  int32_t filename = 0;
  Range attributes;  // into indices
};

struct LineEntry {
  int32_t function = 0;
  int64_t line = 0;
  int64_t column = 0;
};

struct LocationEntry {
  int32_t mapping = 0;
  uint64_t address = 0;
  Range lines;       // into lines
  Range attributes;  // into indices
};

struct FunctionEntry {
  int32_t name = 0;
  int32_t system_name = 0;
  int32_t filename = 0;
  int64_t start_line = 0;
};

struct LinkEntry {
  std::string_view trace_id;
  std::string_view span_id;
};

// Values and timestamps are not kept, only what the model needs of them: their counts and
// the sum of the values (a sample becomes one model value).
struct SampleEntry {
  int32_t stack = 0;
  int32_t link = 0;
  Range attributes;  // into indices
  uint32_t num_values = 0;
  uint32_t num_timestamps = 0;
  int64_t value_sum = 0;
  bool sum_overflows = false;
};

struct ProfileEntry {
  ValueTypeRef sample_type;
  ValueTypeRef period_type;
  bool has_period_type = false;
  Range samples;  // into samples
  uint64_t time_unix_nano = 0;
  uint64_t duration_nano = 0;
  int64_t period = 0;
  std::string_view original_payload_format;
  std::string_view original_payload;
  Range attributes;  // into indices
};

struct ScopeEntry {
  std::string_view name;
  std::string_view version;
  Range attributes;  // into key_values
  Range profiles;    // into profiles
};

struct ResourceEntry {
  Range attributes;  // into key_values
  Range scopes;      // into scopes
};

struct RawRequest {
  std::vector<ResourceEntry> resources;
  std::vector<ScopeEntry> scopes;
  std::vector<ProfileEntry> profiles;
  std::vector<SampleEntry> samples;
  std::vector<Attribute> key_values;  // resource and scope attributes
  std::vector<AnyValue> array_values;

  // The dictionary.
  std::vector<MappingEntry> mappings;
  std::vector<LocationEntry> locations;
  std::vector<LineEntry> lines;
  std::vector<FunctionEntry> functions;
  std::vector<LinkEntry> links;
  std::vector<std::string_view> strings;
  std::vector<Attribute> attributes;
  std::vector<Range> stacks;  // into indices

  // Every repeated int32 index (stack location_indices, attribute_indices).
  std::vector<int32_t> indices;
  // Bytes the JSON decoder had to decode (hex ids, base64); string_views above point here,
  // into the input, or into the JSON parser, which all outlive the conversion.
  std::deque<std::string> owned;
};

// Appends `items` to `pool` and returns where they went. Decoders collect the repeated
// parts of a message in a scratch vector and append them once at its end, so a repeated field
// split around other fields (protobuf merges them; JSON may repeat a key) stays contiguous
// without ever moving what is already in the pool.
template <typename T>
Range AppendRange(std::vector<T>& pool, const std::vector<T>& items) {
  Range r{static_cast<uint32_t>(pool.size()), static_cast<uint32_t>(items.size())};
  pool.insert(pool.end(), items.begin(), items.end());
  return r;
}

// Appends to `pool` as part of `r`, for a range that nothing else appends to meanwhile (an
// array value's elements: between two array_value fields of one value nothing else adds
// to the pool). Should that ever not hold, r is moved to the end first, so it stays correct.
template <typename T>
void ExtendRange(std::vector<T>& pool, Range& r) {
  if (r.size == 0) {
    r.begin = static_cast<uint32_t>(pool.size());
  } else if (r.begin + r.size != pool.size()) {
    const std::vector<T> copy(pool.begin() + r.begin, pool.begin() + r.begin + r.size);
    r = AppendRange(pool, copy);
  }
}

// Where a decoder is, for error messages:
// "resource_profiles[0].scope_profiles[1].profiles[2].samples[7]".
class Path {
 public:
  void Push(const char* name, int64_t index = -1) { steps_.push_back({name, index}); }
  void Pop() { steps_.pop_back(); }
  std::string ToString() const;

 private:
  struct Step {
    const char* name;
    int64_t index;
  };
  std::vector<Step> steps_;
};

// Pushes a path step for the lifetime of a scope.
class Step {
 public:
  Step(Path& p, const char* name, int64_t index = -1) : p_(p) { p_.Push(name, index); }
  ~Step() { p_.Pop(); }
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;

 private:
  Path& p_;
};

// Checks the dictionary's zero entries and converts every profile; refusals are counted in
// the result. `what` prefixes request-level errors ("otlp", "otlp json").
absl::StatusOr<OtlpDecodeResult> Convert(const RawRequest& req, const OtlpLimits& limits,
                                         std::string_view what);

// Lowercase hex of bytes.
std::string Hex(std::string_view bytes);

}  // namespace hearth::formats::otlp_internal
