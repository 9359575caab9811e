// pprof decoding. Three cheap passes over the top-level message:
//
//   1. count      sizes every table (and the string bytes) so each vector is allocated once
//                 and every limit is checked before any real work;
//   2. entities   strings, mappings, functions, locations — building id -> index maps;
//   3. samples    stacks resolved through the location map as they are read.
//
// Samples usually precede locations on the wire (Go writes them first), which is why they
// get their own pass: resolving ids inline avoids a fix-up walk over every stack.

#include <fmt/format.h>

#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "base/proto_wire.h"
#include "profile/id_index.h"
#include "profile/pprof_codec.h"

namespace hearth::profile {
namespace {

using wire::CountVarints;
using wire::ForEachVarint;
using wire::ForEachVarintField;
using wire::Reader;
using wire::WireType;

// Field numbers of perftools.profiles.Profile and its messages.
namespace f {
constexpr uint32_t kSampleType = 1, kSample = 2, kMapping = 3, kLocation = 4, kFunction = 5,
                   kStringTable = 6, kDropFrames = 7, kKeepFrames = 8, kTimeNanos = 9,
                   kDurationNanos = 10, kPeriodType = 11, kPeriod = 12, kComment = 13,
                   kDefaultSampleType = 14, kDocUrl = 15;
}  // namespace f

absl::Status Malformed(std::string_view where, const char* why) {
  return absl::InvalidArgumentError(fmt::format("pprof: malformed {}: {}", where, why));
}

absl::Status TooMany(std::string_view what, size_t count, size_t limit) {
  return absl::ResourceExhaustedError(
      fmt::format("pprof: {} count {} exceeds the limit of {}", what, count, limit));
}

class Decoder {
 public:
  Decoder(std::string_view data, const PprofLimits& limits) : data_(data), limits_(limits) {}

  absl::StatusOr<Profile> Run() {
    if (auto s = Count(); !s.ok()) return s;
    if (auto s = DecodeEntities(); !s.ok()) return s;
    if (auto s = DecodeSamples(); !s.ok()) return s;
    return std::move(p_);
  }

 private:
  struct Counts {
    size_t sample_types = 0, samples = 0, mappings = 0, locations = 0, functions = 0, strings = 0,
           string_bytes = 0, comments = 0, time_fields = 0, sample_bytes = 0;
  };
  // The bytes of each repeated message, recorded by the counting pass so the later passes
  // go straight to them instead of re-scanning the whole message.
  struct Spans {
    std::vector<std::string_view> samples, mappings, locations, functions, strings;
  };

  absl::Status Count() {
    Reader r(data_);
    uint32_t field;
    WireType type;
    while (r.Next(&field, &type)) {
      switch (field) {
        case f::kSampleType:
          ++c_.sample_types;
          r.Skip(type);
          break;
        case f::kSample:
          if (type != wire::kLen) return Malformed("Sample", "not a length-delimited field");
          spans_.samples.push_back(r.Bytes());
          c_.sample_bytes += spans_.samples.back().size();
          break;
        case f::kMapping:
          if (type != wire::kLen) return Malformed("Mapping", "not a length-delimited field");
          spans_.mappings.push_back(r.Bytes());
          break;
        case f::kLocation:
          if (type != wire::kLen) return Malformed("Location", "not a length-delimited field");
          spans_.locations.push_back(r.Bytes());
          break;
        case f::kFunction:
          if (type != wire::kLen) return Malformed("Function", "not a length-delimited field");
          spans_.functions.push_back(r.Bytes());
          break;
        case f::kStringTable: {
          if (type != wire::kLen) return Malformed("string_table", "not a length-delimited field");
          std::string_view s = r.Bytes();
          spans_.strings.push_back(s);
          if (s.size() > limits_.max_string_bytes) {
            return absl::ResourceExhaustedError(
                fmt::format("pprof: string_table[{}] is {} bytes, above the limit of {}",
                            c_.strings, s.size(), limits_.max_string_bytes));
          }
          ++c_.strings;
          c_.string_bytes += s.size();
          break;
        }
        case f::kComment: c_.comments += CountVarints(r, type); break;
        case f::kTimeNanos:
          ++c_.time_fields;
          r.Skip(type);
          break;
        default: r.Skip(type); break;
      }
    }
    if (!r.ok()) return Malformed("Profile", r.error());
    c_.samples = spans_.samples.size();
    c_.mappings = spans_.mappings.size();
    c_.locations = spans_.locations.size();
    c_.functions = spans_.functions.size();
    if (c_.time_fields > 1) {
      return absl::InvalidArgumentError(
          "pprof: concatenated profiles detected (time_nanos appears more than once)");
    }
    if (c_.samples > limits_.max_samples) return TooMany("Sample", c_.samples, limits_.max_samples);
    if (c_.locations > limits_.max_locations) {
      return TooMany("Location", c_.locations, limits_.max_locations);
    }
    if (c_.functions > limits_.max_functions) {
      return TooMany("Function", c_.functions, limits_.max_functions);
    }
    if (c_.mappings > limits_.max_mappings)
      return TooMany("Mapping", c_.mappings, limits_.max_mappings);
    if (c_.strings > limits_.max_strings)
      return TooMany("string_table", c_.strings, limits_.max_strings);
    if (c_.samples > 0 && c_.sample_types == 0) {
      return absl::InvalidArgumentError(fmt::format(
          "pprof: profile has {} samples but no sample_type to say what they count", c_.samples));
    }
    if (c_.sample_types > limits_.max_sample_types) {
      return TooMany("sample_type", c_.sample_types, limits_.max_sample_types);
    }
    if (c_.strings == 0) {
      // An empty profile (no fields at all) is valid protobuf and means "no data".
      if (data_.empty()) return absl::InvalidArgumentError("pprof: empty input");
    }
    return absl::OkStatus();
  }

  // A string index as read from the wire (int64), validated against the table size.
  bool Str(uint64_t raw, StrId* out) {
    if (raw >= num_strings_) return false;
    *out = static_cast<StrId>(raw);
    return true;
  }

  absl::Status BadString(std::string_view where, uint64_t raw) {
    return absl::InvalidArgumentError(
        fmt::format("pprof: {}: string index {} is out of range (string_table has {} entries)",
                    where, static_cast<int64_t>(raw), num_strings_));
  }

  absl::Status DecodeEntities() {
    p_.strings.Clear();
    p_.strings.Reserve(c_.strings, c_.string_bytes);
    p_.sample_types.reserve(c_.sample_types);
    p_.mappings.reserve(c_.mappings);
    p_.functions.reserve(c_.functions);
    p_.locations.reserve(c_.locations);
    p_.comments.reserve(c_.comments);
    p_.samples.reserve(c_.samples);
    num_strings_ = c_.strings == 0 ? 1 : c_.strings;

    // Strings first: every other entity refers to them.
    if (!spans_.strings.empty() && !spans_.strings[0].empty()) {
      return absl::InvalidArgumentError("pprof: string_table[0] must be ''");
    }
    for (size_t i = 1; i < spans_.strings.size(); ++i) p_.strings.Append(spans_.strings[i]);

    mapping_ids_.emplace(c_.mappings);
    function_ids_.emplace(c_.functions);
    location_ids_.emplace(c_.locations);
    // Mappings and functions before locations, which refer to them.
    for (std::string_view bytes : spans_.mappings) {
      if (auto s = DecodeMapping(bytes); !s.ok()) return s;
    }
    for (std::string_view bytes : spans_.functions) {
      if (auto s = DecodeFunction(bytes); !s.ok()) return s;
    }
    p_.lines.reserve(c_.locations + c_.locations / 4);
    for (std::string_view bytes : spans_.locations) {
      if (auto s = DecodeLocation(bytes); !s.ok()) return s;
    }

    // The scalar header fields and sample types.
    Reader r(data_);
    uint32_t field;
    WireType type;
    while (r.Next(&field, &type)) {
      if (field <= f::kDocUrl && field != f::kComment && type != ExpectedType(field)) {
        return Malformed(fmt::format("Profile field {}", field), "unexpected wire type");
      }
      absl::Status s;
      switch (field) {
        case f::kSampleType:
          s = DecodeValueType(r.Bytes(), "sample_type", &p_.sample_types.emplace_back());
          break;
        case f::kDropFrames: s = HeaderString(r, type, "drop_frames", &p_.drop_frames); break;
        case f::kKeepFrames: s = HeaderString(r, type, "keep_frames", &p_.keep_frames); break;
        case f::kTimeNanos: p_.time_nanos = static_cast<int64_t>(r.Varint()); break;
        case f::kDurationNanos: p_.duration_nanos = static_cast<int64_t>(r.Varint()); break;
        case f::kPeriodType: s = DecodeValueType(r.Bytes(), "period_type", &p_.period_type); break;
        case f::kPeriod: p_.period = static_cast<int64_t>(r.Varint()); break;
        case f::kComment: {
          bool ok = ForEachVarint(r, type, [&](uint64_t v) {
            StrId id;
            if (!Str(v, &id)) {
              s = BadString("comment", v);
              return false;
            }
            p_.comments.push_back(id);
            return true;
          });
          if (!ok && s.ok()) s = Malformed("comment", r.error());
          break;
        }
        case f::kDefaultSampleType:
          s = HeaderString(r, type, "default_sample_type", &p_.default_sample_type);
          break;
        case f::kDocUrl: s = HeaderString(r, type, "doc_url", &p_.doc_url); break;
        default: r.Skip(type); break;
      }
      if (!s.ok()) return s;
    }
    if (!r.ok()) return Malformed("Profile", r.error());
    return absl::OkStatus();
  }

  static WireType ExpectedType(uint32_t field) {
    switch (field) {
      case f::kSampleType:
      case f::kSample:
      case f::kMapping:
      case f::kLocation:
      case f::kFunction:
      case f::kStringTable:
      case f::kPeriodType: return wire::kLen;
      default: return wire::kVarint;
    }
  }

  absl::Status HeaderString(Reader& r, WireType type, const char* name, StrId* out) {
    if (type != wire::kVarint) return Malformed(name, "expected a varint");
    uint64_t v = r.Varint();
    if (!r.ok()) return Malformed(name, r.error());
    if (!Str(v, out)) return BadString(name, v);
    return absl::OkStatus();
  }

  absl::Status DecodeValueType(std::string_view bytes, const char* where, ValueType* out) {
    uint64_t type = 0, unit = 0;
    if (const char* err = ForEachVarintField(bytes, [&](uint32_t field, uint64_t v) {
          if (field == 1) type = v;
          if (field == 2) unit = v;
        })) {
      return Malformed(where, err);
    }
    if (!Str(type, &out->type)) return BadString(where, type);
    if (!Str(unit, &out->unit)) return BadString(where, unit);
    return absl::OkStatus();
  }

  absl::Status DecodeMapping(std::string_view bytes) {
    Mapping m;
    uint64_t filename = 0, build_id = 0;
    if (const char* err = ForEachVarintField(bytes, [&](uint32_t field, uint64_t v) {
          switch (field) {
            case 1: m.id = v; break;
            case 2: m.memory_start = v; break;
            case 3: m.memory_limit = v; break;
            case 4: m.file_offset = v; break;
            case 5: filename = v; break;
            case 6: build_id = v; break;
            case 7: m.has_functions = v != 0; break;
            case 8: m.has_filenames = v != 0; break;
            case 9: m.has_line_numbers = v != 0; break;
            case 10: m.has_inline_frames = v != 0; break;
            default: break;
          }
        })) {
      return Malformed("Mapping", err);
    }
    std::string where = fmt::format("Mapping id {}", m.id);
    if (!Str(filename, &m.filename)) return BadString(where + " filename", filename);
    if (!Str(build_id, &m.build_id)) return BadString(where + " build_id", build_id);
    if (!mapping_ids_->Insert(m.id, static_cast<uint32_t>(p_.mappings.size()))) {
      return absl::InvalidArgumentError(m.id == 0
                                            ? "pprof: Mapping with reserved id 0"
                                            : fmt::format("pprof: duplicate Mapping id {}", m.id));
    }
    p_.mappings.push_back(m);
    return absl::OkStatus();
  }

  absl::Status DecodeFunction(std::string_view bytes) {
    Function fn;
    uint64_t name = 0, system_name = 0, filename = 0;
    if (const char* err = ForEachVarintField(bytes, [&](uint32_t field, uint64_t v) {
          switch (field) {
            case 1: fn.id = v; break;
            case 2: name = v; break;
            case 3: system_name = v; break;
            case 4: filename = v; break;
            case 5: fn.start_line = static_cast<int64_t>(v); break;
            default: break;
          }
        })) {
      return Malformed("Function", err);
    }
    if (!Str(name, &fn.name)) return BadString(fmt::format("Function id {} name", fn.id), name);
    if (!Str(system_name, &fn.system_name)) {
      return BadString(fmt::format("Function id {} system_name", fn.id), system_name);
    }
    if (!Str(filename, &fn.filename)) {
      return BadString(fmt::format("Function id {} filename", fn.id), filename);
    }
    if (!function_ids_->Insert(fn.id, static_cast<uint32_t>(p_.functions.size()))) {
      return absl::InvalidArgumentError(
          fn.id == 0 ? "pprof: Function with reserved id 0"
                     : fmt::format("pprof: duplicate Function id {}", fn.id));
    }
    p_.functions.push_back(fn);
    return absl::OkStatus();
  }

  absl::Status DecodeLocation(std::string_view bytes) {
    Location loc;
    loc.lines_begin = static_cast<uint32_t>(p_.lines.size());
    Reader r(bytes);
    uint32_t field;
    WireType type;
    uint64_t mapping_id = 0, frame_type = 0;
    while (r.Next(&field, &type)) {
      if (field == 4 && type == wire::kLen) {
        if (loc.num_lines == limits_.max_lines_per_location) {
          return absl::ResourceExhaustedError(
              fmt::format("pprof: Location id {} has more than {} lines (inlined frames)", loc.id,
                          limits_.max_lines_per_location));
        }
        if (auto s = DecodeLine(r.Bytes(), loc.id); !s.ok()) return s;
        ++loc.num_lines;
        continue;
      }
      if (type != wire::kVarint) {
        r.Skip(type);
        continue;
      }
      uint64_t v = r.Varint();
      switch (field) {
        case 1: loc.id = v; break;
        case 2: mapping_id = v; break;
        case 3: loc.address = v; break;
        case 5: loc.is_folded = v != 0; break;
        case kPprofFrameTypeField: frame_type = v; break;
        default: break;
      }
    }
    if (!r.ok()) return Malformed(fmt::format("Location id {}", loc.id), r.error());
    if (!Str(frame_type, &loc.frame_type)) {
      return BadString(fmt::format("Location id {} frame type", loc.id), frame_type);
    }
    if (mapping_id != 0) {
      loc.mapping = mapping_ids_->Find(mapping_id);
      if (loc.mapping == kNone) {
        return absl::InvalidArgumentError(
            fmt::format("pprof: Location id {} refers to mapping_id {}, which has no Mapping",
                        loc.id, mapping_id));
      }
    }
    if (!location_ids_->Insert(loc.id, static_cast<uint32_t>(p_.locations.size()))) {
      return absl::InvalidArgumentError(
          loc.id == 0 ? "pprof: Location with reserved id 0"
                      : fmt::format("pprof: duplicate Location id {}", loc.id));
    }
    p_.locations.push_back(loc);
    return absl::OkStatus();
  }

  absl::Status DecodeLine(std::string_view bytes, uint64_t location_id) {
    Line line;
    uint64_t function_id = 0;
    if (const char* err = ForEachVarintField(bytes, [&](uint32_t field, uint64_t v) {
          switch (field) {
            case 1: function_id = v; break;
            case 2: line.line = static_cast<int64_t>(v); break;
            case 3: line.column = static_cast<int64_t>(v); break;
            default: break;
          }
        })) {
      return Malformed(fmt::format("Line of Location id {}", location_id), err);
    }
    if (function_id != 0) {
      line.function = function_ids_->Find(function_id);
      if (line.function == kNone) {
        return absl::InvalidArgumentError(fmt::format(
            "pprof: Location id {} has a Line with function_id {}, which has no Function",
            location_id, function_id));
      }
    }
    p_.lines.push_back(line);
    return absl::OkStatus();
  }

  absl::Status DecodeSamples() {
    const size_t num_types = p_.sample_types.size();
    // Every stack entry and value takes at least one byte on the wire; typical profiles use
    // about two bytes per location id, so this reserves close to the final size.
    p_.stacks.reserve(c_.sample_bytes / 2);
    p_.values.reserve(c_.samples * num_types);
    for (std::string_view bytes : spans_.samples) {
      if (auto s = DecodeSample(bytes, num_types); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status DecodeSample(std::string_view bytes, size_t num_types) {
    const size_t index = p_.samples.size();
    Sample s;
    s.stack_begin = static_cast<uint32_t>(p_.stacks.size());
    s.values_begin = static_cast<uint32_t>(p_.values.size());
    s.labels_begin = static_cast<uint32_t>(p_.labels.size());
    Reader r(bytes);
    uint32_t field;
    WireType type;
    absl::Status error;
    while (r.Next(&field, &type)) {
      switch (field) {
        case 1: {
          if (type == wire::kLen) {
            if (auto st = AppendPackedStack(r, index, s.stack_begin); !st.ok()) return st;
            break;
          }
          bool ok = ForEachVarint(r, type, [&](uint64_t id) {
            uint32_t loc = location_ids_->Find(id);
            if (loc == kNone) {
              error = absl::InvalidArgumentError(fmt::format(
                  "pprof: Sample #{} refers to location_id {}, which has no Location", index, id));
              return false;
            }
            if (p_.stacks.size() - s.stack_begin == limits_.max_stack_depth) {
              error = absl::ResourceExhaustedError(
                  fmt::format("pprof: Sample #{} location_id: stack depth exceeds the limit of {}",
                              index, limits_.max_stack_depth));
              return false;
            }
            p_.stacks.push_back(loc);
            return true;
          });
          if (!ok)
            return error.ok() ? Malformed(fmt::format("Sample #{}", index), r.error()) : error;
          break;
        }
        case 2: {
          bool ok = ForEachVarint(r, type, [&](uint64_t v) {
            if (p_.values.size() - s.values_begin == num_types) return false;
            p_.values.push_back(static_cast<int64_t>(v));
            return true;
          });
          if (!ok) {
            if (!r.ok()) return Malformed(fmt::format("Sample #{}", index), r.error());
            return ValueCountError(index, num_types + 1, num_types);
          }
          break;
        }
        case 3: {
          if (type != wire::kLen)
            return Malformed(fmt::format("Sample #{} label", index), "not a message");
          if (s.num_labels == limits_.max_labels_per_sample) {
            return absl::ResourceExhaustedError(fmt::format(
                "pprof: Sample #{} has more than {} labels", index, limits_.max_labels_per_sample));
          }
          if (auto st = DecodeLabel(r.Bytes(), index); !st.ok()) return st;
          ++s.num_labels;
          break;
        }
        default: r.Skip(type); break;
      }
    }
    if (!r.ok()) return Malformed(fmt::format("Sample #{}", index), r.error());
    s.depth = static_cast<uint32_t>(p_.stacks.size() - s.stack_begin);
    size_t got = p_.values.size() - s.values_begin;
    if (got != num_types) return ValueCountError(index, got, num_types);
    p_.samples.push_back(s);
    return absl::OkStatus();
  }

  // The hot loop of the whole decoder: a packed run of location ids, resolved to indices
  // straight into the stack pool.
  absl::Status AppendPackedStack(Reader& r, size_t index, uint32_t stack_begin) {
    std::string_view packed = r.Bytes();
    if (!r.ok()) return Malformed(fmt::format("Sample #{}", index), r.error());
    size_t n = 0;
    for (char c : packed) n += static_cast<uint8_t>(c) < 0x80;
    const size_t old = p_.stacks.size();
    if (old - stack_begin + n > limits_.max_stack_depth) {
      return absl::ResourceExhaustedError(
          fmt::format("pprof: Sample #{} location_id: stack depth exceeds the limit of {}", index,
                      limits_.max_stack_depth));
    }
    p_.stacks.resize(old + n);
    uint32_t* out = p_.stacks.data() + old;
    const uint8_t* p = reinterpret_cast<const uint8_t*>(packed.data());
    const uint8_t* end = p + packed.size();
    const IdIndex& ids = *location_ids_;
    // Locals, so the loop keeps them in registers rather than reloading after each store.
    const uint32_t* dense = ids.dense_data();
    const size_t dense_size = ids.dense_size();
    while (p < end) {
      uint64_t id;
      p = wire::ReadVarint(p, end, &id);
      if (p == nullptr)
        return Malformed(fmt::format("Sample #{}", index), "truncated varint in location_id");
      uint32_t loc = id < dense_size ? dense[id] : ids.FindSparse(id);
      if (loc == kNone) {
        return absl::InvalidArgumentError(fmt::format(
            "pprof: Sample #{} refers to location_id {}, which has no Location", index, id));
      }
      *out++ = loc;
    }
    return absl::OkStatus();
  }

  absl::Status ValueCountError(size_t index, size_t got, size_t want) {
    if (want == 0) {
      return absl::InvalidArgumentError(fmt::format(
          "pprof: Sample #{} has values but the profile declares no sample_type", index));
    }
    return absl::InvalidArgumentError(
        fmt::format("pprof: Sample #{} has {}{} values but the profile declares {} sample types",
                    index, got > want ? "more than " : "", got > want ? want : got, want));
  }

  absl::Status DecodeLabel(std::string_view bytes, size_t sample_index) {
    Label l;
    uint64_t key = 0, str = 0, unit = 0;
    if (const char* err = ForEachVarintField(bytes, [&](uint32_t field, uint64_t v) {
          switch (field) {
            case 1: key = v; break;
            case 2: str = v; break;
            case 3: l.num = static_cast<int64_t>(v); break;
            case 4: unit = v; break;
            default: break;
          }
        })) {
      return Malformed(fmt::format("Sample #{} label", sample_index), err);
    }
    if (!Str(key, &l.key)) return BadString(fmt::format("Sample #{} label key", sample_index), key);
    if (!Str(str, &l.str)) return BadString(fmt::format("Sample #{} label str", sample_index), str);
    if (!Str(unit, &l.num_unit)) {
      return BadString(fmt::format("Sample #{} label num_unit", sample_index), unit);
    }
    p_.labels.push_back(l);
    return absl::OkStatus();
  }

  std::string_view data_;
  const PprofLimits& limits_;
  Counts c_;
  Spans spans_;
  size_t num_strings_ = 1;
  Profile p_;
  std::optional<IdIndex> mapping_ids_, function_ids_, location_ids_;
};

}  // namespace

absl::StatusOr<Profile> DecodePprofUncompressed(std::string_view data, const PprofLimits& limits) {
  if (data.size() > limits.max_input_bytes) {
    return absl::ResourceExhaustedError(fmt::format(
        "pprof: input is {} bytes, above the limit of {}", data.size(), limits.max_input_bytes));
  }
  if (data.empty()) return absl::InvalidArgumentError("pprof: empty input");
  return Decoder(data, limits).Run();
}

absl::StatusOr<Profile> DecodePprof(std::string_view data, const PprofLimits& limits) {
  if (data.size() > limits.max_input_bytes) {
    return absl::ResourceExhaustedError(fmt::format(
        "pprof: input is {} bytes, above the limit of {}", data.size(), limits.max_input_bytes));
  }
  if (!IsGzip(data)) return DecodePprofUncompressed(data, limits);
  absl::StatusOr<std::string> raw = GzipDecompress(data, limits.decompress);
  if (!raw.ok()) {
    return absl::Status(raw.status().code(),
                        "pprof: decompressing profile: " + std::string(raw.status().message()));
  }
  return Decoder(*raw, limits).Run();
}

}  // namespace hearth::profile
