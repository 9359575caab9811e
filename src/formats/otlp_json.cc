// OTLP Profiles, JSON: an ExportProfilesServiceRequest in OTLP/JSON -> RawRequest, then the
// same conversion as the binary form (otlp_convert.cc).
//
// OTLP/JSON is proto3 JSON with three deviations, all accepted here:
//   - keys are lowerCamelCase; we also take the proto names (snake_case), comparing keys
//     with '_' ignored and ASCII case folded, so "stackIndex" = "stack_index";
//   - trace and span ids are hex, not base64 (so is profileId as the Collector writes it;
//     base64 is accepted for it too);
//   - 64-bit integers are decimal strings; numbers are accepted as well (and for int32
//     fields, strings as well as numbers).
// null means "absent"; unknown keys are ignored. The schema has no enums any more (the last,
// AggregationTemporality, went in v1.9.0). Nesting is bounded by the parser's depth limit;
// as in the binary decoder, only one level of AnyValue arrays is kept.

#include <cmath>

#include "base/fmt.h"
#include "base/strings.h"
#include "formats/json_dom.h"
#include "formats/otlp.h"
#include "formats/otlp_internal.h"

namespace hearth::formats {
namespace {

using namespace otlp_internal;  // NOLINT: the raw entries.
using json::Element;
using simdjson::dom::array;
using simdjson::dom::element_type;
using simdjson::dom::object;

// Key equality with '_' ignored and ASCII case folded: "resource_profiles" = "resourceProfiles".
bool KeyIs(std::string_view key, std::string_view name) {
  size_t i = 0, j = 0;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  while (true) {
    while (i < key.size() && key[i] == '_') ++i;
    while (j < name.size() && name[j] == '_') ++j;
    if (i == key.size() || j == name.size()) return i == key.size() && j == name.size();
    if (lower(key[i]) != lower(name[j])) return false;
    ++i;
    ++j;
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool DecodeHex(std::string_view s, std::string* out) {
  if (s.size() % 2 != 0) return false;
  out->resize(s.size() / 2);
  for (size_t i = 0; i < out->size(); ++i) {
    const int hi = HexValue(s[2 * i]), lo = HexValue(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<char>(hi << 4 | lo);
  }
  return true;
}

// A member's key. Is(name) compares it the OTLP/JSON way and remembers `name`, which the
// value getters then put on the path (in the spelling of the spec, whatever was sent).
class Key {
 public:
  explicit Key(std::string_view key) : key_(key) {}
  bool Is(const char* name) {
    if (!KeyIs(key_, name)) return false;
    name_ = name;
    return true;
  }
  const char* name() const { return name_; }

 private:
  std::string_view key_;
  const char* name_ = "";
};

// Every parser returns false after recording the first error (error_), so they chain with &&.
class JsonDecoder {
 public:
  JsonDecoder(const OtlpLimits& limits, RawRequest* out) : limits_(limits), out_(*out) {}

  absl::Status Run(Element root) {
    const bool ok = Members(root, [&](Key& k, Element v) {
      if (k.Is("resourceProfiles")) {
        return ForEach(k, v, SIZE_MAX, "", [&](Element e) { return ResourceProfiles(e); });
      }
      if (k.Is("dictionary")) {
        Step step(path_, k.name());
        return Dictionary(v);
      }
      return true;
    });
    return ok ? absl::OkStatus() : error_;
  }

 private:
  // ---- Errors.

  bool Fail(absl::Status s) {
    if (error_.ok()) error_ = std::move(s);
    return false;
  }
  bool Bad(std::string_view why) {
    return Fail(
        absl::InvalidArgumentError(fmt::format("otlp json: {}: {}", path_.ToString(), why)));
  }
  bool Want(Element e, std::string_view want) {
    return Bad(fmt::format("is {}, want {}", json::Describe(e), want));
  }
  bool TooMany(std::string_view what, size_t limit) {
    return Fail(absl::ResourceExhaustedError(
        fmt::format("otlp json: {} has more than {} {}", path_.ToString(), limit, what)));
  }

  // ---- Objects and arrays.

  // Calls fn(key, value) for each member of the object `e` that is not null.
  template <typename Fn>
  bool Members(Element e, Fn&& fn) {
    object o;
    if (e.get(o)) return Want(e, "an object");
    for (const simdjson::dom::key_value_pair& m : o) {
      if (m.value.is_null()) continue;
      Key k(m.key);
      if (!fn(k, m.value)) return false;
    }
    return true;
  }

  // Calls fn(element) for each element of the array `e` (the member `k`), under the path
  // step name[i]. With the `already` elements collected before (a key repeated in one
  // object), more than `limit` elements is an error ("has more than <limit> <what>").
  template <typename Fn>
  bool ForEach(const Key& k, Element e, size_t limit, std::string_view what, Fn&& fn,
               size_t already = 0) {
    array a;
    if (e.get(a)) {
      Step step(path_, k.name());
      return Want(e, "an array");
    }
    if (already + json::Size(a) > limit) {
      Step step(path_, k.name());
      return TooMany(what, limit);
    }
    int64_t i = 0;
    for (Element x : a) {
      Step step(path_, k.name(), i++);
      if (!fn(x)) return false;
    }
    return true;
  }

  // A member's object value, parsed under its path step.
  template <typename Parse>
  bool Sub(const Key& k, Element v, Parse&& parse) {
    Step step(path_, k.name());
    return parse(v);
  }

  // ---- Scalars. The (Key, Element) forms read a member under its path step; the Element
  // forms read an array element, whose step is already on the path.

  // Integers: JSON numbers (integral) or decimal strings.
  bool Int64(Element e, int64_t* out) {
    if (e.type() == element_type::STRING) {
      std::string_view s;
      if (!e.get(s) && ParseInt(s, out)) return true;
      return Bad(fmt::format("\"{}\" is not an integer", s.substr(0, 64)));
    }
    if (json::GetInt(e, out)) return true;
    return Want(e, "an integer (a number or a decimal string)");
  }
  bool Uint64(Element e, uint64_t* out) {
    if (e.type() == element_type::STRING) {
      std::string_view s;
      if (!e.get(s) && ParseInt(s, out)) return true;
      return Bad(fmt::format("\"{}\" is not an unsigned 64-bit integer", s.substr(0, 64)));
    }
    if (e.type() == element_type::UINT64) return !e.get(*out) || Want(e, "an unsigned integer");
    int64_t v = 0;
    if (json::GetInt(e, &v) && v >= 0) {
      *out = static_cast<uint64_t>(v);
      return true;
    }
    return Want(e, "an unsigned integer (a number or a decimal string)");
  }
  bool Int32(Element e, int32_t* out) {
    int64_t v = 0;
    if (!Int64(e, &v)) return false;
    if (v < INT32_MIN || v > INT32_MAX) return Bad(fmt::format("{} is not a 32-bit integer", v));
    *out = static_cast<int32_t>(v);
    return true;
  }
  bool Double(Element e, double* out) {
    if (e.type() != element_type::STRING) {
      return json::GetNumber(e, out) || Want(e, "a number");
    }
    std::string_view s;
    if (e.get(s)) return Want(e, "a number");
    if (s == "NaN") {
      *out = std::nan("");
    } else if (s == "Infinity") {
      *out = HUGE_VAL;
    } else if (s == "-Infinity") {
      *out = -HUGE_VAL;
    } else if (!ParseDouble(s, out)) {
      return Bad(fmt::format("\"{}\" is not a number", s.substr(0, 64)));
    }
    return true;
  }
  bool String(Element e, std::string_view* out) {
    if (e.get(*out)) return Want(e, "a string");
    if (out->size() > limits_.max_string_bytes) {
      return Fail(absl::ResourceExhaustedError(
          fmt::format("otlp json: {} is a string of {} bytes, above the limit of {}",
                      path_.ToString(), out->size(), limits_.max_string_bytes)));
    }
    return true;
  }
  bool Hex(Element e, std::string_view* out) {
    std::string_view s;
    if (!String(e, &s)) return false;
    std::string bytes;
    if (!DecodeHex(s, &bytes)) {
      return Bad(fmt::format("\"{}\" is not a hex string", s.substr(0, 64)));
    }
    *out = out_.owned.emplace_back(std::move(bytes));
    return true;
  }
  bool Base64(Element e, std::string_view* out) {
    std::string_view s;
    if (e.get(s)) return Want(e, "a base64 string");
    std::string bytes;
    if (!Base64Decode(s, &bytes)) return Bad(fmt::format("\"{}\" is not base64", s.substr(0, 64)));
    *out = out_.owned.emplace_back(std::move(bytes));
    return true;
  }

  // Member forms.
  template <typename T>
  bool Read(const Key& k, Element v, T* out, bool (JsonDecoder::*read)(Element, T*)) {
    Step step(path_, k.name());
    return (this->*read)(v, out);
  }
  bool Int32(const Key& k, Element v, int32_t* out) { return Read(k, v, out, &JsonDecoder::Int32); }
  bool Int64(const Key& k, Element v, int64_t* out) { return Read(k, v, out, &JsonDecoder::Int64); }
  bool Uint64(const Key& k, Element v, uint64_t* out) {
    return Read(k, v, out, &JsonDecoder::Uint64);
  }
  bool String(const Key& k, Element v, std::string_view* out) {
    return Read(k, v, out, &JsonDecoder::String);
  }

  // A repeated int32 appended to `into`, which may hold at most `limit`.
  bool Indices(const Key& k, Element v, std::vector<int32_t>* into, size_t limit,
               std::string_view what) {
    return ForEach(
        k, v, limit, what,
        [&](Element x) {
          int32_t i = 0;
          if (!Int32(x, &i)) return false;
          into->push_back(i);
          return true;
        },
        into->size());
  }
  bool AttributeIndices(const Key& k, Element v, std::vector<int32_t>* into) {
    return Indices(k, v, into, limits_.max_attributes, "attribute indices");
  }

  // ---- Messages.

  bool ResourceProfiles(Element e) {
    ResourceEntry res;
    res.scopes.begin = static_cast<uint32_t>(out_.scopes.size());
    resource_attributes_.clear();
    const bool ok = Members(e, [&](Key& k, Element v) {
      if (k.Is("resource")) return Sub(k, v, [&](Element x) { return Resource(x); });
      if (k.Is("scopeProfiles")) {
        return ForEach(k, v, SIZE_MAX, "", [&](Element x) {
          ++res.scopes.size;
          return ScopeProfiles(x);
        });
      }
      return true;
    });
    if (!ok) return false;
    res.attributes = AppendRange(out_.key_values, resource_attributes_);
    out_.resources.push_back(res);
    return true;
  }

  bool Resource(Element e) {
    return Members(e, [&](Key& k, Element v) {
      return !k.Is("attributes") || KeyValues(k, v, &resource_attributes_);
    });
  }

  // KeyValues appended to `into`.
  bool KeyValues(const Key& k, Element v, std::vector<Attribute>* into) {
    return ForEach(
        k, v, limits_.max_attributes, "attributes",
        [&](Element x) {
          Attribute a;
          const bool ok = Members(x, [&](Key& kk, Element vv) {
            if (kk.Is("key")) return String(kk, vv, &a.key);
            if (kk.Is("value"))
              return Sub(kk, vv, [&](Element y) { return Value(y, &a.value, true); });
            if (kk.Is("keyStrindex")) return Int32(kk, vv, &a.key_strindex);
            return true;
          });
          if (ok) into->push_back(a);
          return ok;
        },
        into->size());
  }

  // An AnyValue. Its array elements are kept, one level down; below that, arrays and maps are
  // recorded by kind only.
  bool Value(Element e, AnyValue* v, bool top) {
    using Kind = AnyValue::Kind;
    return Members(e, [&](Key& k, Element x) {
      if (k.Is("stringValue")) {
        v->kind = Kind::kString;
        return String(k, x, &v->s);
      }
      if (k.Is("boolValue")) {
        v->kind = Kind::kBool;
        return Read(k, x, &v->b, &JsonDecoder::Bool);
      }
      if (k.Is("intValue")) {
        v->kind = Kind::kInt;
        return Int64(k, x, &v->i);
      }
      if (k.Is("doubleValue")) {
        v->kind = Kind::kDouble;
        return Read(k, x, &v->d, &JsonDecoder::Double);
      }
      if (k.Is("arrayValue")) {
        v->kind = Kind::kArray;
        v->elements = {};
        return !top || Sub(k, x, [&](Element y) { return Array(y, v); });
      }
      if (k.Is("kvlistValue")) {
        v->kind = Kind::kKvList;
        return true;
      }
      if (k.Is("bytesValue")) {
        v->kind = Kind::kBytes;
        return Read(k, x, &v->s, &JsonDecoder::Base64);
      }
      if (k.Is("stringValueStrindex")) {
        v->kind = Kind::kStrindex;
        return Int32(k, x, &v->strindex);
      }
      return true;
    });
  }
  bool Bool(Element e, bool* out) { return !e.get(*out) || Want(e, "true or false"); }

  bool Array(Element e, AnyValue* v) {
    return Members(e, [&](Key& k, Element x) {
      if (!k.Is("values")) return true;
      return ForEach(
          k, x, limits_.max_attributes, "array elements",
          [&](Element y) {
            AnyValue element;
            if (!Value(y, &element, false)) return false;
            ExtendRange(out_.array_values, v->elements);
            out_.array_values.push_back(element);
            ++v->elements.size;
            return true;
          },
          v->elements.size);
    });
  }

  bool ScopeProfiles(Element e) {
    ScopeEntry scope;
    scope.profiles.begin = static_cast<uint32_t>(out_.profiles.size());
    scope_attributes_.clear();
    const bool ok = Members(e, [&](Key& k, Element v) {
      if (k.Is("scope")) return Sub(k, v, [&](Element x) { return Scope(x, &scope); });
      if (k.Is("profiles")) {
        return ForEach(k, v, SIZE_MAX, "", [&](Element x) {
          if (out_.profiles.size() == limits_.max_profiles) {
            return Fail(absl::ResourceExhaustedError(fmt::format(
                "otlp json: the request has more than {} profiles", limits_.max_profiles)));
          }
          ++scope.profiles.size;
          return Profile(x);
        });
      }
      return true;
    });
    if (!ok) return false;
    scope.attributes = AppendRange(out_.key_values, scope_attributes_);
    out_.scopes.push_back(scope);
    return true;
  }

  bool Scope(Element e, ScopeEntry* scope) {
    return Members(e, [&](Key& k, Element v) {
      if (k.Is("name")) return String(k, v, &scope->name);
      if (k.Is("version")) return String(k, v, &scope->version);
      if (k.Is("attributes")) return KeyValues(k, v, &scope_attributes_);
      return true;
    });
  }

  bool ValueType(const Key& k, Element e, ValueTypeRef* vt) {
    return Sub(k, e, [&](Element x) {
      return Members(x, [&](Key& kk, Element v) {
        if (kk.Is("typeStrindex")) return Int32(kk, v, &vt->type);
        if (kk.Is("unitStrindex")) return Int32(kk, v, &vt->unit);
        return true;
      });
    });
  }

  bool Profile(Element e) {
    ProfileEntry p;
    p.samples.begin = static_cast<uint32_t>(out_.samples.size());
    profile_attributes_.clear();
    const bool ok = Members(e, [&](Key& k, Element v) {
      if (k.Is("sampleType")) return ValueType(k, v, &p.sample_type);
      if (k.Is("samples")) {
        return ForEach(k, v, SIZE_MAX, "", [&](Element x) {
          if (out_.samples.size() == limits_.max_samples) {
            return Fail(absl::ResourceExhaustedError(fmt::format(
                "otlp json: the request has more than {} samples", limits_.max_samples)));
          }
          ++p.samples.size;
          return Sample(x);
        });
      }
      if (k.Is("timeUnixNano")) return Uint64(k, v, &p.time_unix_nano);
      if (k.Is("durationNano")) return Uint64(k, v, &p.duration_nano);
      if (k.Is("periodType")) {
        p.has_period_type = true;
        return ValueType(k, v, &p.period_type);
      }
      if (k.Is("period")) return Int64(k, v, &p.period);
      if (k.Is("profileId")) return Sub(k, v, [&](Element x) { return ProfileId(x); });
      if (k.Is("originalPayloadFormat")) return String(k, v, &p.original_payload_format);
      if (k.Is("originalPayload")) return Read(k, v, &p.original_payload, &JsonDecoder::Base64);
      if (k.Is("attributeIndices")) return AttributeIndices(k, v, &profile_attributes_);
      return true;
    });
    if (!ok) return false;
    p.attributes = AppendRange(out_.indices, profile_attributes_);
    out_.profiles.push_back(p);
    return true;
  }

  // Not kept, but checked: hex as the Collector writes it, or proto3 JSON's base64.
  bool ProfileId(Element e) {
    std::string_view s;
    if (!String(e, &s)) return false;
    std::string bytes;
    if (DecodeHex(s, &bytes) || Base64Decode(s, &bytes)) return true;
    return Bad(fmt::format("\"{}\" is neither hex nor base64", s.substr(0, 64)));
  }

  bool Sample(Element e) {
    SampleEntry s;
    entry_indices_.clear();
    const bool ok = Members(e, [&](Key& k, Element v) {
      if (k.Is("stackIndex")) return Int32(k, v, &s.stack);
      if (k.Is("attributeIndices")) return AttributeIndices(k, v, &entry_indices_);
      if (k.Is("linkIndex")) return Int32(k, v, &s.link);
      if (k.Is("values")) {
        // Only the count and sum of values are kept (see SampleEntry).
        return ForEach(k, v, SIZE_MAX, "", [&](Element x) {
          int64_t value = 0;
          if (!Int64(x, &value)) return false;
          s.sum_overflows |= __builtin_add_overflow(s.value_sum, value, &s.value_sum);
          ++s.num_values;
          return true;
        });
      }
      if (k.Is("timestampsUnixNano")) {
        return ForEach(k, v, SIZE_MAX, "", [&](Element x) {
          uint64_t ts = 0;
          if (!Uint64(x, &ts)) return false;
          ++s.num_timestamps;
          return true;
        });
      }
      return true;
    });
    if (!ok) return false;
    s.attributes = AppendRange(out_.indices, entry_indices_);
    out_.samples.push_back(s);
    return true;
  }

  // ---- The dictionary.

  // The entries of the table `k`, each parsed by parse(element).
  template <typename Parse>
  bool Table(const Key& k, Element v, size_t size, Parse&& parse) {
    return ForEach(k, v, limits_.max_table_entries, "entries", parse, size);
  }

  bool Dictionary(Element e) {
    return Members(e, [&](Key& k, Element v) {
      if (k.Is("mappingTable")) {
        return Table(k, v, out_.mappings.size(), [&](Element x) { return Mapping(x); });
      }
      if (k.Is("locationTable")) {
        return Table(k, v, out_.locations.size(), [&](Element x) { return Location(x); });
      }
      if (k.Is("functionTable")) {
        return Table(k, v, out_.functions.size(), [&](Element x) { return Function(x); });
      }
      if (k.Is("linkTable")) {
        return Table(k, v, out_.links.size(), [&](Element x) { return Link(x); });
      }
      if (k.Is("stringTable")) {
        return Table(k, v, out_.strings.size(), [&](Element x) {
          std::string_view s;
          if (!String(x, &s)) return false;
          out_.strings.push_back(s);
          return true;
        });
      }
      if (k.Is("attributeTable")) {
        return Table(k, v, out_.attributes.size(), [&](Element x) { return KeyValueAndUnit(x); });
      }
      if (k.Is("stackTable")) {
        return Table(k, v, out_.stacks.size(), [&](Element x) { return Stack(x); });
      }
      return true;
    });
  }

  bool Mapping(Element e) {
    MappingEntry m;
    entry_indices_.clear();
    const bool ok = Members(e, [&](Key& k, Element v) {
      if (k.Is("memoryStart")) return Uint64(k, v, &m.memory_start);
      if (k.Is("memoryLimit")) return Uint64(k, v, &m.memory_limit);
      if (k.Is("fileOffset")) return Uint64(k, v, &m.file_offset);
      if (k.Is("filenameStrindex")) return Int32(k, v, &m.filename);
      if (k.Is("attributeIndices")) return AttributeIndices(k, v, &entry_indices_);
      return true;
    });
    if (!ok) return false;
    m.attributes = AppendRange(out_.indices, entry_indices_);
    out_.mappings.push_back(m);
    return true;
  }

  bool Location(Element e) {
    LocationEntry loc;
    entry_indices_.clear();
    lines_.clear();
    const bool ok = Members(e, [&](Key& k, Element v) {
      if (k.Is("mappingIndex")) return Int32(k, v, &loc.mapping);
      if (k.Is("address")) return Uint64(k, v, &loc.address);
      if (k.Is("lines")) {
        // Inlined frames are part of the stack: the stack depth limit bounds them too.
        return ForEach(
            k, v, limits_.max_stack_depth, "lines", [&](Element x) { return Line(x); },
            lines_.size());
      }
      if (k.Is("attributeIndices")) return AttributeIndices(k, v, &entry_indices_);
      return true;
    });
    if (!ok) return false;
    loc.lines = AppendRange(out_.lines, lines_);
    loc.attributes = AppendRange(out_.indices, entry_indices_);
    out_.locations.push_back(loc);
    return true;
  }

  bool Line(Element e) {
    LineEntry line;
    const bool ok = Members(e, [&](Key& k, Element v) {
      if (k.Is("functionIndex")) return Int32(k, v, &line.function);
      if (k.Is("line")) return Int64(k, v, &line.line);
      if (k.Is("column")) return Int64(k, v, &line.column);
      return true;
    });
    if (ok) lines_.push_back(line);
    return ok;
  }

  bool Function(Element e) {
    FunctionEntry f;
    const bool ok = Members(e, [&](Key& k, Element v) {
      if (k.Is("nameStrindex")) return Int32(k, v, &f.name);
      if (k.Is("systemNameStrindex")) return Int32(k, v, &f.system_name);
      if (k.Is("filenameStrindex")) return Int32(k, v, &f.filename);
      if (k.Is("startLine")) return Int64(k, v, &f.start_line);
      return true;
    });
    if (ok) out_.functions.push_back(f);
    return ok;
  }

  bool Link(Element e) {
    LinkEntry link;
    const bool ok = Members(e, [&](Key& k, Element v) {
      if (k.Is("traceId")) return Read(k, v, &link.trace_id, &JsonDecoder::Hex);
      if (k.Is("spanId")) return Read(k, v, &link.span_id, &JsonDecoder::Hex);
      return true;
    });
    if (ok) out_.links.push_back(link);
    return ok;
  }

  bool KeyValueAndUnit(Element e) {
    Attribute a;
    const bool ok = Members(e, [&](Key& k, Element v) {
      if (k.Is("keyStrindex")) return Int32(k, v, &a.key_strindex);
      if (k.Is("value")) return Sub(k, v, [&](Element x) { return Value(x, &a.value, true); });
      if (k.Is("unitStrindex")) return Int32(k, v, &a.unit_strindex);
      return true;
    });
    if (ok) out_.attributes.push_back(a);
    return ok;
  }

  bool Stack(Element e) {
    entry_indices_.clear();
    const bool ok = Members(e, [&](Key& k, Element v) {
      if (!k.Is("locationIndices")) return true;
      return Indices(k, v, &entry_indices_, limits_.max_stack_depth,
                     "location indices (the stack depth limit)");
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

bool LooksLikeOtlpJson(std::string_view data) {
  return json::StartsWithJson(data, '{') &&
         (json::HasKey(data, "resourceProfiles") || json::HasKey(data, "resource_profiles"));
}

absl::StatusOr<OtlpDecodeResult> DecodeOtlpJsonRequest(std::string_view json,
                                                       const OtlpLimits& limits) {
  simdjson::dom::parser parser;
  absl::StatusOr<Element> root =
      json::Parse(parser, json, limits.max_request_bytes, limits.max_json_depth, "otlp json");
  if (!root.ok()) return root.status();
  otlp_internal::RawRequest raw;
  if (absl::Status s = JsonDecoder(limits, &raw).Run(*root); !s.ok()) return s;
  return otlp_internal::Convert(raw, limits, "otlp json");
}

}  // namespace hearth::formats
