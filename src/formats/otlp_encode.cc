// OTLP Profiles encoding: model profiles -> one ExportProfilesServiceRequest.
//
//   request
//   ├── resource_profiles[i]   one per input: resource attributes from OtlpProfileIn.resource
//   │   └── scope_profiles[0]  scope "hearth" (+ pprof.scope.default_sample_type)
//   │       └── profiles[t]    one per sample type t of the input, samples with value != 0
//   └── dictionary             shared by all: every table deduplicated by content
//
// Each dictionary entry is encoded once into its own bytes and deduplicated by those bytes,
// so equal entries (from several inputs, or several sample types) share one index. Fields
// are written in field-number order with minimal lengths and packed repeated scalars, which
// is also what the protobuf runtime writes: re-serializing our output gives the same bytes.

#include <algorithm>
#include <deque>
#include <span>

#include "absl/container/flat_hash_map.h"
#include "base/fmt.h"
#include "base/proto_wire.h"
#include "formats/otlp.h"
#include "formats/otlp_internal.h"

namespace hearth::formats {
namespace {

using namespace otlp_internal;  // NOLINT: the field numbers.
using profile::kNone;
using profile::Label;
using profile::Profile;
using profile::StrId;
using wire::Writer;

// The instrumentation scope we write.
constexpr std::string_view kScopeName = "hearth";

// A dictionary table: entries deduplicated by their encoded bytes; entry 0 is the zero entry.
class Table {
 public:
  explicit Table(std::string_view zero = {}) { Add(zero); }
  int32_t Add(std::string_view bytes) {
    auto it = index_.find(bytes);
    if (it != index_.end()) return it->second;
    const auto i = static_cast<int32_t>(entries_.size());
    entries_.emplace_back(bytes);
    index_.emplace(entries_.back(), i);  // deque elements never move
    return i;
  }
  void WriteTo(Writer& w, uint32_t field) const {
    for (const std::string& e : entries_) w.Bytes(field, e);
  }

 private:
  std::deque<std::string> entries_;
  absl::flat_hash_map<std::string_view, int32_t> index_;
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsHex(std::string_view s) {
  if (s.empty() || s.size() % 2 != 0) return false;
  for (char c : s) {
    if (HexDigit(c) < 0) return false;
  }
  return true;
}

// `hex_digits` hex digits, not all zero, as bytes; empty when it is not such an id.
std::string IdBytes(std::string_view s, size_t hex_digits) {
  if (s.size() != hex_digits || !IsHex(s)) return {};
  std::string out(hex_digits / 2, '\0');
  bool zero = true;
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<char>(HexDigit(s[2 * i]) << 4 | HexDigit(s[2 * i + 1]));
    zero &= out[i] == 0;
  }
  return zero ? std::string() : out;
}

class Encoder {
 public:
  std::string Run(const std::vector<OtlpProfileIn>& in) {
    std::string out;
    Writer w(&out);
    for (const OtlpProfileIn& input : in) {
      if (input.profile == nullptr) continue;
      w.Bytes(field::kResourceProfiles, ResourceProfiles(input));
    }
    std::string dict;
    Writer d(&dict);
    mappings_.WriteTo(d, field::kMappingTable);
    locations_.WriteTo(d, field::kLocationTable);
    functions_.WriteTo(d, field::kFunctionTable);
    links_.WriteTo(d, field::kLinkTable);
    strings_.WriteTo(d, field::kStringTable);
    attributes_.WriteTo(d, field::kAttributeTable);
    stacks_.WriteTo(d, field::kStackTable);
    w.Bytes(field::kDictionary, dict);
    return out;
  }

 private:
  // Per-sample parts shared by every sample type's Profile.
  struct SampleRefs {
    int32_t stack = 0;
    int32_t link = 0;
    uint32_t attributes_begin = 0;
    uint32_t num_attributes = 0;
  };

  // The zero Link as the spec recommends: fixed-length zero ids, not empty ones.
  static std::string ZeroLink() {
    std::string b;
    Writer w(&b);
    w.Bytes(field::kTraceId, std::string(16, '\0'));
    w.Bytes(field::kSpanId, std::string(8, '\0'));
    return b;
  }

  int32_t Str(std::string_view s) { return strings_.Add(s); }
  // A model string as a dictionary index, memoized per input profile.
  int32_t Ref(StrId id) {
    if (id == 0) return 0;
    int32_t& i = str_index_[id];
    if (i < 0) i = Str(p_->Str(id));
    return i;
  }

  // AnyValue messages.
  static std::string StringValue(std::string_view s) {
    std::string v;
    Writer(&v).Bytes(field::kStringValue, s);
    return v;
  }
  static std::string IntValue(int64_t i) {
    std::string v;
    Writer(&v).Varint(field::kIntValue, static_cast<uint64_t>(i));  // 0 too: a oneof has presence
    return v;
  }
  static std::string BoolValue(bool b) {
    std::string v;
    Writer(&v).Varint(field::kBoolValue, b ? 1 : 0);  // false too: a oneof has presence
    return v;
  }
  static std::string ArrayValue(const std::vector<std::string>& elements) {
    std::string array;
    Writer a(&array);
    for (const std::string& e : elements) a.Bytes(field::kArrayValues, e);
    std::string v;
    Writer(&v).Bytes(field::kArrayValue, array);
    return v;
  }

  // A KeyValueAndUnit in the attribute table.
  int32_t Attribute(std::string_view key, const std::string& value, int32_t unit = 0) {
    std::string kv;
    Writer w(&kv);
    w.VarintOpt(field::kKvuKeyStrindex, static_cast<uint64_t>(Str(key)));
    w.Bytes(field::kKvuValue, value);
    w.VarintOpt(field::kKvuUnitStrindex, static_cast<uint64_t>(unit));
    return attributes_.Add(kv);
  }

  // A KeyValue with an inline key (resource and scope attributes).
  static void KeyValue(Writer& w, uint32_t field_number, std::string_view key,
                       const std::string& value) {
    std::string kv;
    Writer k(&kv);
    k.Bytes(field::kKvKey, key);
    k.Bytes(field::kKvValue, value);
    w.Bytes(field_number, kv);
  }

  int32_t MappingEntry(const profile::Mapping& m) {
    indices_.clear();
    if (m.build_id != 0) {
      // pprof does not say what kind of build id it holds: hex is a GNU build id, anything
      // else (Go's "action/content" ids) a Go one.
      const std::string_view id = p_->Str(m.build_id);
      indices_.push_back(
          Attribute(IsHex(id) ? key::kBuildIdGnu : key::kBuildIdGo, StringValue(id)));
    }
    // Always all four, so a decoder needs no guessing.
    indices_.push_back(Attribute(key::kHasFunctions, BoolValue(m.has_functions)));
    indices_.push_back(Attribute(key::kHasFilenames, BoolValue(m.has_filenames)));
    indices_.push_back(Attribute(key::kHasLineNumbers, BoolValue(m.has_line_numbers)));
    indices_.push_back(Attribute(key::kHasInlineFrames, BoolValue(m.has_inline_frames)));
    std::string b;
    Writer w(&b);
    w.VarintOpt(field::kMemoryStart, m.memory_start);
    w.VarintOpt(field::kMemoryLimit, m.memory_limit);
    w.VarintOpt(field::kFileOffset, m.file_offset);
    w.VarintOpt(field::kMappingFilenameStrindex, static_cast<uint64_t>(Ref(m.filename)));
    w.PackedVarints(field::kMappingAttributeIndices, indices_.begin(), indices_.end());
    return mappings_.Add(b);
  }

  int32_t FunctionEntry(const profile::Function& f) {
    std::string b;
    Writer w(&b);
    w.VarintOpt(field::kNameStrindex, static_cast<uint64_t>(Ref(f.name)));
    w.VarintOpt(field::kSystemNameStrindex, static_cast<uint64_t>(Ref(f.system_name)));
    w.VarintOpt(field::kFilenameStrindex, static_cast<uint64_t>(Ref(f.filename)));
    w.VarintOpt(field::kStartLine, static_cast<uint64_t>(f.start_line));
    return functions_.Add(b);
  }

  int32_t LocationEntry(const profile::Location& l) {
    std::string b;
    Writer w(&b);
    if (l.mapping != kNone) {
      w.VarintOpt(field::kMappingIndex, static_cast<uint64_t>(mapping_index_[l.mapping]));
    }
    w.VarintOpt(field::kAddress, l.address);
    for (const profile::Line& line : p_->Lines(l)) {
      std::string lb;
      Writer lw(&lb);
      if (line.function != kNone) {
        lw.VarintOpt(field::kFunctionIndex, static_cast<uint64_t>(function_index_[line.function]));
      }
      lw.VarintOpt(field::kLine, static_cast<uint64_t>(line.line));
      lw.VarintOpt(field::kColumn, static_cast<uint64_t>(line.column));
      w.Bytes(field::kLines, lb);
    }
    int32_t attributes[2];
    int n = 0;
    if (l.is_folded) attributes[n++] = Attribute(key::kIsFolded, BoolValue(true));
    if (l.frame_type != 0) {
      attributes[n++] = Attribute(key::kFrameType, StringValue(p_->Str(l.frame_type)));
    }
    w.PackedVarints(field::kLocationAttributeIndices, attributes, attributes + n);
    return locations_.Add(b);
  }

  // A label's value: a string, else an int (numeric labels, and labels that are neither).
  std::string LabelValue(const Label& l) {
    return l.is_string() ? StringValue(p_->Str(l.str)) : IntValue(l.num);
  }

  // The Link of a sample (0 for none) and its attribute indices (appended to
  // sample_attributes_). Labels trace_id/span_id holding one hex id each become the Link;
  // the other labels become attributes, one per key: several values of a key an array.
  int32_t SampleLabels(std::span<const Label> labels) {
    const StrId trace_key = trace_key_, span_key = span_key_;
    int trace_count = 0, span_count = 0;
    std::string trace, span;
    for (const Label& l : labels) {
      if (l.key == trace_key) {
        ++trace_count;
        if (l.is_string()) trace = IdBytes(p_->Str(l.str), 32);
      } else if (l.key == span_key) {
        ++span_count;
        if (l.is_string()) span = IdBytes(p_->Str(l.str), 16);
      }
    }
    // Both must convert (if present) for the pair to become a Link, so nothing is lost.
    const bool link = trace_count <= 1 && span_count <= 1 && (trace_count + span_count > 0) &&
                      (trace_count == 0 || !trace.empty()) && (span_count == 0 || !span.empty());
    int32_t link_index = 0;
    if (link) {
      std::string b;
      Writer w(&b);
      w.Bytes(field::kTraceId, trace.empty() ? std::string(16, '\0') : trace);
      w.Bytes(field::kSpanId, span.empty() ? std::string(8, '\0') : span);
      link_index = links_.Add(b);
    }

    keys_.clear();
    for (const Label& l : labels) {
      if (link && (l.key == trace_key || l.key == span_key)) continue;
      if (std::find(keys_.begin(), keys_.end(), l.key) == keys_.end()) keys_.push_back(l.key);
    }
    for (StrId key : keys_) {
      elements_.clear();
      StrId unit = 0;
      for (const Label& l : labels) {
        if (l.key != key) continue;
        elements_.push_back(LabelValue(l));
        if (!l.is_string() && unit == 0) unit = l.num_unit;
      }
      const std::string value = elements_.size() == 1 ? elements_[0] : ArrayValue(elements_);
      sample_attributes_.push_back(Attribute(p_->Str(key), value, Ref(unit)));
    }
    return link_index;
  }

  // The pprof header fields OTLP has no field for, as profile attributes.
  void HeaderAttributes() {
    profile_attributes_.clear();
    if (!p_->comments.empty()) {
      std::vector<std::string> comments;
      for (StrId c : p_->comments) comments.push_back(StringValue(p_->Str(c)));
      profile_attributes_.push_back(Attribute(key::kComment, ArrayValue(comments)));
    }
    for (auto [id, k] :
         {std::pair{p_->drop_frames, key::kDropFrames},
          std::pair{p_->keep_frames, key::kKeepFrames}, std::pair{p_->doc_url, key::kDocUrl}}) {
      if (id != 0) profile_attributes_.push_back(Attribute(k, StringValue(p_->Str(id))));
    }
  }

  static void ValueType(Writer& w, uint32_t field_number, int32_t type, int32_t unit) {
    std::string b;
    Writer v(&b);
    v.VarintOpt(field::kTypeStrindex, static_cast<uint64_t>(type));
    v.VarintOpt(field::kUnitStrindex, static_cast<uint64_t>(unit));
    w.Bytes(field_number, b);
  }

  std::string ProfileMessage(size_t t) {
    const Profile& p = *p_;
    std::string b;
    Writer w(&b);
    const profile::ValueType& st = p.sample_types[t];
    ValueType(w, field::kSampleType, Ref(st.type), Ref(st.unit));
    std::string sb;
    for (size_t k = 0; k < p.samples.size(); ++k) {
      const int64_t value = p.Values(p.samples[k])[t];
      if (value == 0) continue;
      const SampleRefs& refs = sample_refs_[k];
      sb.clear();
      Writer s(&sb);
      s.VarintOpt(field::kStackIndex, static_cast<uint64_t>(refs.stack));
      const int32_t* attrs = sample_attributes_.data() + refs.attributes_begin;
      s.PackedVarints(field::kSampleAttributeIndices, attrs, attrs + refs.num_attributes);
      s.VarintOpt(field::kLinkIndex, static_cast<uint64_t>(refs.link));
      s.PackedVarints(field::kValues, &value, &value + 1);
      w.Bytes(field::kSamples, sb);
    }
    if (p.time_nanos != 0) w.Fixed64(field::kTimeUnixNano, static_cast<uint64_t>(p.time_nanos));
    w.VarintOpt(field::kDurationNano, static_cast<uint64_t>(p.duration_nanos));
    if (p.period_type.type != 0 || p.period_type.unit != 0) {
      ValueType(w, field::kPeriodType, Ref(p.period_type.type), Ref(p.period_type.unit));
    }
    w.VarintOpt(field::kPeriod, static_cast<uint64_t>(p.period));
    w.PackedVarints(field::kProfileAttributeIndices, profile_attributes_.begin(),
                    profile_attributes_.end());
    return b;
  }

  std::string ResourceProfiles(const OtlpProfileIn& input) {
    p_ = input.profile;
    const Profile& p = *p_;
    str_index_.assign(p.strings.size(), -1);
    trace_key_ = p.strings.Find(key::kTraceIdLabel).value_or(kNone);
    span_key_ = p.strings.Find(key::kSpanIdLabel).value_or(kNone);

    // Dictionary entries, in model order (so mappings[0], the main binary, comes first).
    mapping_index_.resize(p.mappings.size());
    for (size_t i = 0; i < p.mappings.size(); ++i) mapping_index_[i] = MappingEntry(p.mappings[i]);
    function_index_.resize(p.functions.size());
    for (size_t i = 0; i < p.functions.size(); ++i) {
      function_index_[i] = FunctionEntry(p.functions[i]);
    }
    location_index_.resize(p.locations.size());
    for (size_t i = 0; i < p.locations.size(); ++i) {
      location_index_[i] = LocationEntry(p.locations[i]);
    }
    sample_refs_.clear();
    sample_attributes_.clear();
    for (const profile::Sample& s : p.samples) {
      SampleRefs refs;
      stack_.clear();
      for (uint32_t loc : p.Stack(s)) stack_.push_back(location_index_[loc]);
      entry_.clear();
      Writer(&entry_).PackedVarints(field::kLocationIndices, stack_.begin(), stack_.end());
      refs.stack = stacks_.Add(entry_);
      refs.attributes_begin = static_cast<uint32_t>(sample_attributes_.size());
      refs.link = SampleLabels(p.Labels(s));
      refs.num_attributes =
          static_cast<uint32_t>(sample_attributes_.size()) - refs.attributes_begin;
      sample_refs_.push_back(refs);
    }
    HeaderAttributes();

    std::string scope;
    Writer sw(&scope);
    {
      std::string is;
      Writer iw(&is);
      iw.Bytes(field::kScopeName, kScopeName);
      if (p.default_sample_type != 0) {
        KeyValue(iw, field::kScopeAttributes, key::kDefaultSampleType,
                 StringValue(p.Str(p.default_sample_type)));
      }
      sw.Bytes(field::kScope, is);
    }
    for (size_t t = 0; t < p.sample_types.size(); ++t)
      sw.Bytes(field::kProfiles, ProfileMessage(t));

    std::string rp;
    Writer rw(&rp);
    {
      std::string resource;
      Writer res(&resource);
      for (const auto& [k, v] : input.resource) {
        KeyValue(res, field::kResourceAttributes, k, StringValue(v));
      }
      rw.Bytes(field::kResource, resource);
    }
    rw.Bytes(field::kScopeProfiles, scope);
    return rp;
  }

  Table mappings_, locations_, functions_, strings_, attributes_, stacks_;
  Table links_{ZeroLink()};
  // Per input profile.
  const Profile* p_ = nullptr;
  StrId trace_key_ = kNone, span_key_ = kNone;  // kNone: no such label key
  std::vector<int32_t> str_index_;              // model StrId -> string_table index, -1 = not yet
  std::vector<int32_t> mapping_index_, function_index_, location_index_;
  std::vector<SampleRefs> sample_refs_;
  std::vector<int32_t> sample_attributes_;
  std::vector<int32_t> profile_attributes_;
  // Scratch.
  std::vector<int32_t> indices_, stack_;
  std::string entry_;
  std::vector<StrId> keys_;
  std::vector<std::string> elements_;
};

}  // namespace

std::string EncodeOtlpRequest(const std::vector<OtlpProfileIn>& in) { return Encoder().Run(in); }

}  // namespace hearth::formats
