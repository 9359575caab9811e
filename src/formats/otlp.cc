// OTLP Profiles, binary: ExportProfilesServiceRequest bytes -> RawRequest, by hand on the
// wire format. One pass, depth first, no recursion deeper than the schema (AnyValue arrays
// are read one level down; anything nested deeper is skipped as bytes). Every repeated
// field is counted against its limit as it is read, so memory stays proportional to the
// input and bounded by the limits; indices are only stored here and checked in Convert.
//
// A field with the wrong wire type is an error (the protobuf runtime would keep it as an
// unknown field and silently lose the data); unknown fields are skipped.

#include "formats/otlp.h"

#include <bit>

#include "base/fmt.h"
#include "base/proto_wire.h"
#include "formats/otlp_internal.h"

namespace hearth::formats {
namespace {

using namespace otlp_internal;  // NOLINT: the field numbers and raw entries.
using wire::Reader;
using wire::WireType;

std::string_view WireTypeName(WireType t) {
  switch (t) {
    case wire::kVarint: return "varint";
    case wire::kFixed64: return "fixed64";
    case wire::kLen: return "length-delimited";
    case wire::kStartGroup: return "start-group";
    case wire::kEndGroup: return "end-group";
    case wire::kFixed32: return "fixed32";
  }
  return "invalid";
}

// Every parser returns false after recording the first error (error_), so they chain with &&.
class WireDecoder {
 public:
  WireDecoder(const OtlpLimits& limits, RawRequest* out) : limits_(limits), out_(*out) {}

  absl::Status Run(std::string_view data) {
    const bool ok = Fields(data, [&](Reader& r, uint32_t f, WireType t) {
      switch (f) {
        case field::kResourceProfiles:
          return Sub(r, t, "resource_profiles", static_cast<int64_t>(out_.resources.size()),
                     [&](std::string_view b) { return ResourceProfiles(b); });
        case field::kDictionary:
          return Sub(r, t, "dictionary", -1, [&](std::string_view b) { return Dictionary(b); });
        default: return Skip(r, t);
      }
    });
    return ok ? absl::OkStatus() : error_;
  }

 private:
  // ---- Errors.

  bool Malformed(std::string_view why) {
    return Fail(absl::InvalidArgumentError(
        fmt::format("otlp: malformed request at {}: {}", path_.ToString(), why)));
  }
  bool WrongType(const char* name, WireType got, std::string_view want) {
    return Fail(absl::InvalidArgumentError(
        fmt::format("otlp: malformed request at {}: field {} has wire type {} ({}), want {}",
                    path_.ToString(), name, static_cast<int>(got), WireTypeName(got), want)));
  }
  bool TooMany(std::string_view what, size_t limit) {
    return Fail(absl::ResourceExhaustedError(
        fmt::format("otlp: {} has more than {} {}", path_.ToString(), limit, what)));
  }
  bool TooLong(std::string_view where, size_t size) {
    return Fail(absl::ResourceExhaustedError(
        fmt::format("otlp: {} is a string of {} bytes, above the limit of {}", where, size,
                    limits_.max_string_bytes)));
  }
  bool Fail(absl::Status s) {
    if (error_.ok()) error_ = std::move(s);
    return false;
  }

  // ---- Fields of the current message.

  // Calls fn(reader, field, wire type) for every field of a message, then checks its framing.
  template <typename Fn>
  bool Fields(std::string_view bytes, Fn&& fn) {
    Reader r(bytes);
    uint32_t f;
    WireType t;
    while (r.Next(&f, &t)) {
      if (!fn(r, f, t)) return false;
    }
    if (!r.ok()) return Malformed(r.error());
    return true;
  }

  // A sub-message field (entry `index` of a repeated one, or -1), parsed under its path step.
  template <typename Parse>
  bool Sub(Reader& r, WireType t, const char* name, int64_t index, Parse&& parse) {
    Step step(path_, name, index);
    std::string_view b;
    return Message(r, t, name, &b) && parse(b);
  }

  bool Skip(Reader& r, WireType t) {
    if (!r.Skip(t)) return Malformed(r.error());
    return true;
  }
  bool Message(Reader& r, WireType t, const char* name, std::string_view* out) {
    if (t != wire::kLen) return WrongType(name, t, "length-delimited");
    *out = r.Bytes();
    if (!r.ok()) return Malformed(r.error());
    return true;
  }
  bool String(Reader& r, WireType t, const char* name, std::string_view* out) {
    if (!Message(r, t, name, out)) return false;
    if (out->size() > limits_.max_string_bytes) {
      return TooLong(fmt::format("{}.{}", path_.ToString(), name), out->size());
    }
    return true;
  }
  bool Varint(Reader& r, WireType t, const char* name, uint64_t* out) {
    if (t != wire::kVarint) return WrongType(name, t, "varint");
    *out = r.Varint();
    if (!r.ok()) return Malformed(r.error());
    return true;
  }
  // int32 fields take the low 32 bits of the varint, as the protobuf runtime does.
  bool Int32(Reader& r, WireType t, const char* name, int32_t* out) {
    uint64_t v = 0;
    if (!Varint(r, t, name, &v)) return false;
    *out = static_cast<int32_t>(v);
    return true;
  }
  bool Int64(Reader& r, WireType t, const char* name, int64_t* out) {
    uint64_t v = 0;
    if (!Varint(r, t, name, &v)) return false;
    *out = static_cast<int64_t>(v);
    return true;
  }
  bool Fixed64(Reader& r, WireType t, const char* name, uint64_t* out) {
    if (t != wire::kFixed64) return WrongType(name, t, "fixed64");
    *out = r.Fixed64();
    if (!r.ok()) return Malformed(r.error());
    return true;
  }

  // A repeated int32 (packed or not) appended to `into`, which may hold at most `limit`.
  bool Indices(Reader& r, WireType t, const char* name, std::vector<int32_t>* into, size_t limit,
               std::string_view what) {
    if (t != wire::kVarint && t != wire::kLen) return WrongType(name, t, "varint or packed");
    bool too_many = false;
    bool ok = wire::ForEachVarint(r, t, [&](uint64_t v) {
      if (into->size() == limit) {
        too_many = true;
        return false;
      }
      into->push_back(static_cast<int32_t>(v));
      return true;
    });
    if (too_many) return TooMany(what, limit);
    if (!ok) return Malformed(r.error());
    return true;
  }
  bool AttributeIndices(Reader& r, WireType t, std::vector<int32_t>* into) {
    return Indices(r, t, "attribute_indices", into, limits_.max_attributes, "attribute_indices");
  }

  // ---- Messages, outermost first.

  bool ResourceProfiles(std::string_view bytes) {
    ResourceEntry res;
    res.scopes.begin = static_cast<uint32_t>(out_.scopes.size());
    resource_attributes_.clear();
    const bool ok = Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      switch (f) {
        case field::kResource:
          return Sub(r, t, "resource", -1, [&](std::string_view b) { return Resource(b); });
        case field::kScopeProfiles:
          return Sub(r, t, "scope_profiles", res.scopes.size++,
                     [&](std::string_view b) { return ScopeProfiles(b); });
        default: return Skip(r, t);
      }
    });
    if (!ok) return false;
    res.attributes = AppendRange(out_.key_values, resource_attributes_);
    out_.resources.push_back(res);
    return true;
  }

  bool Resource(std::string_view bytes) {
    return Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      if (f != field::kResourceAttributes) return Skip(r, t);
      return KeyValue(r, t, &resource_attributes_);
    });
  }

  // A KeyValue field `attributes`, appended to `into`.
  bool KeyValue(Reader& r, WireType t, std::vector<Attribute>* into) {
    if (into->size() == limits_.max_attributes) {
      return TooMany("attributes", limits_.max_attributes);
    }
    Attribute a;
    const bool ok = Sub(r, t, "attributes", static_cast<int64_t>(into->size()),
                        [&](std::string_view b) { return KeyValueFields(b, &a); });
    if (ok) into->push_back(a);
    return ok;
  }

  bool KeyValueFields(std::string_view bytes, Attribute* a) {
    return Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      switch (f) {
        case field::kKvKey: return String(r, t, "key", &a->key);
        case field::kKvValue: return Value(r, t, "value", &a->value);
        case field::kKvKeyStrindex: return Int32(r, t, "key_strindex", &a->key_strindex);
        default: return Skip(r, t);
      }
    });
  }

  // An AnyValue field. Its array elements are kept, one level down; below that, arrays and
  // maps are recorded by kind only and their bytes skipped.
  bool Value(Reader& r, WireType t, const char* name, AnyValue* v) {
    return Sub(r, t, name, -1, [&](std::string_view b) { return ValueFields(b, v, true); });
  }

  bool ValueFields(std::string_view bytes, AnyValue* v, bool top) {
    using Kind = AnyValue::Kind;
    return Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      uint64_t u = 0;
      std::string_view b;
      switch (f) {
        case field::kStringValue:
          v->kind = Kind::kString;
          return String(r, t, "string_value", &v->s);
        case field::kBoolValue:
          v->kind = Kind::kBool;
          if (!Varint(r, t, "bool_value", &u)) return false;
          v->b = u != 0;
          return true;
        case field::kIntValue: v->kind = Kind::kInt; return Int64(r, t, "int_value", &v->i);
        case field::kDoubleValue:
          v->kind = Kind::kDouble;
          if (!Fixed64(r, t, "double_value", &u)) return false;
          v->d = std::bit_cast<double>(u);
          return true;
        case field::kArrayValue:
          if (v->kind != Kind::kArray) v->elements = {};
          v->kind = Kind::kArray;
          return Message(r, t, "array_value", &b) && (!top || Array(b, v));
        case field::kKvlistValue: v->kind = Kind::kKvList; return Message(r, t, "kvlist_value", &b);
        case field::kBytesValue: v->kind = Kind::kBytes; return Message(r, t, "bytes_value", &v->s);
        case field::kStringValueStrindex:
          v->kind = Kind::kStrindex;
          return Int32(r, t, "string_value_strindex", &v->strindex);
        default: return Skip(r, t);
      }
    });
  }

  bool Array(std::string_view bytes, AnyValue* v) {
    return Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      if (f != field::kArrayValues) return Skip(r, t);
      if (v->elements.size == limits_.max_attributes) {
        return TooMany("array_value elements", limits_.max_attributes);
      }
      AnyValue e;
      std::string_view b;
      if (!Message(r, t, "array_value.values", &b) || !ValueFields(b, &e, false)) return false;
      ExtendRange(out_.array_values, v->elements);
      out_.array_values.push_back(e);
      ++v->elements.size;
      return true;
    });
  }

  bool ScopeProfiles(std::string_view bytes) {
    ScopeEntry scope;
    scope.profiles.begin = static_cast<uint32_t>(out_.profiles.size());
    scope_attributes_.clear();
    const bool ok = Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      switch (f) {
        case field::kScope:
          return Sub(r, t, "scope", -1, [&](std::string_view b) { return Scope(b, &scope); });
        case field::kProfiles:
          if (out_.profiles.size() == limits_.max_profiles) {
            return Fail(absl::ResourceExhaustedError(
                fmt::format("otlp: the request has more than {} profiles", limits_.max_profiles)));
          }
          return Sub(r, t, "profiles", scope.profiles.size++,
                     [&](std::string_view b) { return Profile(b); });
        default: return Skip(r, t);
      }
    });
    if (!ok) return false;
    scope.attributes = AppendRange(out_.key_values, scope_attributes_);
    out_.scopes.push_back(scope);
    return true;
  }

  bool Scope(std::string_view bytes, ScopeEntry* scope) {
    return Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      switch (f) {
        case field::kScopeName: return String(r, t, "name", &scope->name);
        case field::kScopeVersion: return String(r, t, "version", &scope->version);
        case field::kScopeAttributes: return KeyValue(r, t, &scope_attributes_);
        default: return Skip(r, t);
      }
    });
  }

  bool ValueType(Reader& r, WireType t, const char* name, ValueTypeRef* vt) {
    return Sub(r, t, name, -1, [&](std::string_view b) { return ValueTypeFields(b, vt); });
  }

  bool ValueTypeFields(std::string_view bytes, ValueTypeRef* vt) {
    return Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      switch (f) {
        case field::kTypeStrindex: return Int32(r, t, "type_strindex", &vt->type);
        case field::kUnitStrindex: return Int32(r, t, "unit_strindex", &vt->unit);
        default: return Skip(r, t);
      }
    });
  }

  bool Profile(std::string_view bytes) {
    ProfileEntry p;
    p.samples.begin = static_cast<uint32_t>(out_.samples.size());
    profile_attributes_.clear();
    std::string_view profile_id;
    const bool ok = Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      switch (f) {
        case field::kSampleType: return ValueType(r, t, "sample_type", &p.sample_type);
        case field::kSamples:
          if (out_.samples.size() == limits_.max_samples) {
            return Fail(absl::ResourceExhaustedError(
                fmt::format("otlp: the request has more than {} samples", limits_.max_samples)));
          }
          return Sub(r, t, "samples", p.samples.size++,
                     [&](std::string_view b) { return Sample(b); });
        case field::kTimeUnixNano: return Fixed64(r, t, "time_unix_nano", &p.time_unix_nano);
        case field::kDurationNano: return Varint(r, t, "duration_nano", &p.duration_nano);
        case field::kPeriodType:
          p.has_period_type = true;
          return ValueType(r, t, "period_type", &p.period_type);
        case field::kPeriod: return Int64(r, t, "period", &p.period);
        case field::kProfileId: return Message(r, t, "profile_id", &profile_id);
        case field::kOriginalPayloadFormat:
          return String(r, t, "original_payload_format", &p.original_payload_format);
        case field::kOriginalPayload: return Message(r, t, "original_payload", &p.original_payload);
        case field::kProfileAttributeIndices: return AttributeIndices(r, t, &profile_attributes_);
        default: return Skip(r, t);
      }
    });
    if (!ok) return false;
    p.attributes = AppendRange(out_.indices, profile_attributes_);
    out_.profiles.push_back(p);
    return true;
  }

  bool Sample(std::string_view bytes) {
    SampleEntry s;
    entry_indices_.clear();
    const bool ok = Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      switch (f) {
        case field::kStackIndex: return Int32(r, t, "stack_index", &s.stack);
        case field::kSampleAttributeIndices: return AttributeIndices(r, t, &entry_indices_);
        case field::kLinkIndex: return Int32(r, t, "link_index", &s.link);
        case field::kValues: return Values(r, t, &s);
        case field::kTimestampsUnixNano: return Timestamps(r, t, &s);
        default: return Skip(r, t);
      }
    });
    if (!ok) return false;
    s.attributes = AppendRange(out_.indices, entry_indices_);
    out_.samples.push_back(s);
    return true;
  }

  // Only the count and sum of values are kept (see SampleEntry).
  bool Values(Reader& r, WireType t, SampleEntry* s) {
    if (t != wire::kVarint && t != wire::kLen) return WrongType("values", t, "varint or packed");
    const bool ok = wire::ForEachVarint(r, t, [&](uint64_t v) {
      s->sum_overflows |=
          __builtin_add_overflow(s->value_sum, static_cast<int64_t>(v), &s->value_sum);
      ++s->num_values;
      return true;
    });
    if (!ok) return Malformed(r.error());
    return true;
  }

  bool Timestamps(Reader& r, WireType t, SampleEntry* s) {
    if (t == wire::kFixed64) {
      r.Fixed64();
      ++s->num_timestamps;
    } else if (t == wire::kLen) {
      std::string_view packed = r.Bytes();
      if (r.ok() && packed.size() % 8 != 0) {
        return Malformed(
            fmt::format("packed timestamps_unix_nano of {} bytes is not a whole number of fixed64s",
                        packed.size()));
      }
      s->num_timestamps += static_cast<uint32_t>(packed.size() / 8);
    } else {
      return WrongType("timestamps_unix_nano", t, "fixed64 or packed");
    }
    if (!r.ok()) return Malformed(r.error());
    return true;
  }

  // ---- The dictionary.

  // One entry of the table `name` (which holds `size` so far), parsed under its path step.
  template <typename Parse>
  bool Entry(Reader& r, WireType t, const char* name, size_t size, Parse&& parse) {
    if (size == limits_.max_table_entries) {
      return Fail(absl::ResourceExhaustedError(fmt::format(
          "otlp: dictionary.{} has more than {} entries", name, limits_.max_table_entries)));
    }
    return Sub(r, t, name, static_cast<int64_t>(size), parse);
  }

  bool Dictionary(std::string_view bytes) {
    return Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      switch (f) {
        case field::kMappingTable:
          return Entry(r, t, "mapping_table", out_.mappings.size(),
                       [&](std::string_view b) { return Mapping(b); });
        case field::kLocationTable:
          return Entry(r, t, "location_table", out_.locations.size(),
                       [&](std::string_view b) { return Location(b); });
        case field::kFunctionTable:
          return Entry(r, t, "function_table", out_.functions.size(),
                       [&](std::string_view b) { return Function(b); });
        case field::kLinkTable:
          return Entry(r, t, "link_table", out_.links.size(),
                       [&](std::string_view b) { return Link(b); });
        case field::kStringTable:
          return Entry(r, t, "string_table", out_.strings.size(), [&](std::string_view b) {
            if (b.size() > limits_.max_string_bytes) return TooLong(path_.ToString(), b.size());
            out_.strings.push_back(b);
            return true;
          });
        case field::kAttributeTable:
          return Entry(r, t, "attribute_table", out_.attributes.size(),
                       [&](std::string_view b) { return KeyValueAndUnit(b); });
        case field::kStackTable:
          return Entry(r, t, "stack_table", out_.stacks.size(),
                       [&](std::string_view b) { return Stack(b); });
        default: return Skip(r, t);
      }
    });
  }

  bool Mapping(std::string_view bytes) {
    MappingEntry m;
    entry_indices_.clear();
    const bool ok = Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      switch (f) {
        case field::kMemoryStart: return Varint(r, t, "memory_start", &m.memory_start);
        case field::kMemoryLimit: return Varint(r, t, "memory_limit", &m.memory_limit);
        case field::kFileOffset: return Varint(r, t, "file_offset", &m.file_offset);
        case field::kMappingFilenameStrindex: return Int32(r, t, "filename_strindex", &m.filename);
        case field::kMappingAttributeIndices: return AttributeIndices(r, t, &entry_indices_);
        default: return Skip(r, t);
      }
    });
    if (!ok) return false;
    m.attributes = AppendRange(out_.indices, entry_indices_);
    out_.mappings.push_back(m);
    return true;
  }

  bool Location(std::string_view bytes) {
    LocationEntry loc;
    entry_indices_.clear();
    lines_.clear();
    const bool ok = Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      switch (f) {
        case field::kMappingIndex: return Int32(r, t, "mapping_index", &loc.mapping);
        case field::kAddress: return Varint(r, t, "address", &loc.address);
        case field::kLines:
          // Inlined frames are part of the stack: the stack depth limit bounds them too.
          if (lines_.size() == limits_.max_stack_depth) {
            return TooMany("lines", limits_.max_stack_depth);
          }
          return Sub(r, t, "lines", static_cast<int64_t>(lines_.size()),
                     [&](std::string_view b) { return Line(b); });
        case field::kLocationAttributeIndices: return AttributeIndices(r, t, &entry_indices_);
        default: return Skip(r, t);
      }
    });
    if (!ok) return false;
    loc.lines = AppendRange(out_.lines, lines_);
    loc.attributes = AppendRange(out_.indices, entry_indices_);
    out_.locations.push_back(loc);
    return true;
  }

  bool Line(std::string_view bytes) {
    LineEntry line;
    const bool ok = Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      switch (f) {
        case field::kFunctionIndex: return Int32(r, t, "function_index", &line.function);
        case field::kLine: return Int64(r, t, "line", &line.line);
        case field::kColumn: return Int64(r, t, "column", &line.column);
        default: return Skip(r, t);
      }
    });
    if (ok) lines_.push_back(line);
    return ok;
  }

  bool Function(std::string_view bytes) {
    FunctionEntry fn;
    const bool ok = Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      switch (f) {
        case field::kNameStrindex: return Int32(r, t, "name_strindex", &fn.name);
        case field::kSystemNameStrindex:
          return Int32(r, t, "system_name_strindex", &fn.system_name);
        case field::kFilenameStrindex: return Int32(r, t, "filename_strindex", &fn.filename);
        case field::kStartLine: return Int64(r, t, "start_line", &fn.start_line);
        default: return Skip(r, t);
      }
    });
    if (ok) out_.functions.push_back(fn);
    return ok;
  }

  bool Link(std::string_view bytes) {
    LinkEntry link;
    const bool ok = Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      switch (f) {
        case field::kTraceId: return Message(r, t, "trace_id", &link.trace_id);
        case field::kSpanId: return Message(r, t, "span_id", &link.span_id);
        default: return Skip(r, t);
      }
    });
    if (ok) out_.links.push_back(link);
    return ok;
  }

  bool KeyValueAndUnit(std::string_view bytes) {
    Attribute a;
    const bool ok = Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      switch (f) {
        case field::kKvuKeyStrindex: return Int32(r, t, "key_strindex", &a.key_strindex);
        case field::kKvuValue: return Value(r, t, "value", &a.value);
        case field::kKvuUnitStrindex: return Int32(r, t, "unit_strindex", &a.unit_strindex);
        default: return Skip(r, t);
      }
    });
    if (ok) out_.attributes.push_back(a);
    return ok;
  }

  bool Stack(std::string_view bytes) {
    entry_indices_.clear();
    const bool ok = Fields(bytes, [&](Reader& r, uint32_t f, WireType t) {
      if (f != field::kLocationIndices) return Skip(r, t);
      return Indices(r, t, "location_indices", &entry_indices_, limits_.max_stack_depth,
                     "location_indices (the stack depth limit)");
    });
    if (ok) out_.stacks.push_back(AppendRange(out_.indices, entry_indices_));
    return ok;
  }

  const OtlpLimits& limits_;
  RawRequest& out_;
  Path path_;
  absl::Status error_;
  // The repeated parts of the message being read (see AppendRange). Messages that use the
  // same scratch vector never contain each other.
  std::vector<Attribute> resource_attributes_, scope_attributes_;
  std::vector<int32_t> profile_attributes_, entry_indices_;
  std::vector<LineEntry> lines_;
};

}  // namespace

bool LooksLikeOtlp(std::string_view data) {
  Reader r(data);
  uint32_t f;
  WireType t;
  bool dictionary = false;
  while (r.Next(&f, &t)) {
    if ((f != field::kResourceProfiles && f != field::kDictionary) || t != wire::kLen) {
      return false;
    }
    dictionary |= f == field::kDictionary;
    r.Bytes();
  }
  return r.ok() && dictionary;
}

absl::StatusOr<OtlpDecodeResult> DecodeOtlpRequest(std::string_view bytes,
                                                   const OtlpLimits& limits) {
  if (bytes.size() > limits.max_request_bytes) {
    return absl::ResourceExhaustedError(
        fmt::format("otlp: request is {} bytes, above the limit of {}", bytes.size(),
                    limits.max_request_bytes));
  }
  otlp_internal::RawRequest raw;
  if (absl::Status s = WireDecoder(limits, &raw).Run(bytes); !s.ok()) return s;
  return otlp_internal::Convert(raw, limits, "otlp");
}

}  // namespace hearth::formats
