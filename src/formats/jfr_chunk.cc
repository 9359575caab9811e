#include "formats/jfr_chunk.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "base/status_macros.h"

namespace hearth::formats::jfr {
namespace {

// How many references a String constant may chain through (real files: 0).
constexpr int kMaxRefHops = 8;

void AppendUtf8(uint32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3f)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3f)));
  }
}

// String encodings (the tag byte before every java.lang.String value).
enum StringTag : uint8_t {
  kTagNull = 0,
  kTagEmpty = 1,
  kTagConstant = 2,  // A key into the java.lang.String constant pool.
  kTagUtf8 = 3,
  kTagUtf16 = 4,  // Java chars (each an encoded `char`).
  kTagLatin1 = 5,
};

// Reads an inline string (tags 0, 1, 3, 4, 5) onto `out`. Returns the tag; on tag 2 sets *key.
// False on malformed input, with *why set when it is not just "ran out of bytes".
bool ReadString(Reader& r, size_t max_bytes, std::string* out, uint8_t* tag, int64_t* key,
                std::string* why) {
  *tag = r.U8();
  switch (*tag) {
    case kTagNull:
    case kTagEmpty: return r.ok();
    case kTagConstant: *key = r.Long(); return r.ok();
    case kTagUtf8:
    case kTagLatin1:
    case kTagUtf16: {
      // Every char takes at least one byte, so the length is bounded by what is left.
      size_t n = r.Count(std::min(max_bytes, r.remaining()));
      if (!r.ok()) {
        *why = fmt::format("string longer than the limit of {} bytes or than its event", max_bytes);
        return false;
      }
      if (*tag == kTagUtf8) {
        out->append(r.Bytes(n));
      } else if (*tag == kTagLatin1) {
        for (unsigned char c : r.Bytes(n)) AppendUtf8(c, out);
      } else {
        uint32_t high = 0;  // A pending high surrogate.
        for (size_t i = 0; i < n && r.ok(); ++i) {
          uint32_t c = r.Char();
          if (high != 0 && c >= 0xdc00 && c <= 0xdfff) {
            AppendUtf8(0x10000 + ((high - 0xd800) << 10) + (c - 0xdc00), out);
            high = 0;
            continue;
          }
          if (high != 0) AppendUtf8(0xfffd, out);
          high = 0;
          if (c >= 0xd800 && c <= 0xdbff) {
            high = c;
          } else {
            AppendUtf8(c >= 0xdc00 && c <= 0xdfff ? 0xfffd : c, out);
          }
        }
        if (high != 0) AppendUtf8(0xfffd, out);
      }
      return r.ok();
    }
    default:
      *why = fmt::format("unknown string encoding {}", *tag);
      r.Fail();
      return false;
  }
}

Encoding EncodingOf(std::string_view type_name) {
  static constexpr std::pair<std::string_view, Encoding> kPrimitives[] = {
      {"boolean", Encoding::kBoolean},
      {"byte", Encoding::kByte},
      {"char", Encoding::kChar},
      {"short", Encoding::kShort},
      {"int", Encoding::kInt},
      {"long", Encoding::kLong},
      {"float", Encoding::kFloat},
      {"double", Encoding::kDouble},
      {"java.lang.String", Encoding::kString},
  };
  for (const auto& [name, encoding] : kPrimitives) {
    if (name == type_name) return encoding;
  }
  return Encoding::kObject;
}

// Streams the metadata element tree into a Metadata. Recursion is bounded by
// max_metadata_depth and every element consumes at least three bytes, so the walk ends.
class MetadataParser {
 public:
  MetadataParser(Reader& r, const std::vector<std::string>& strings, const JfrLimits& limits,
                 Metadata* md)
      : r_(r), strings_(strings), limits_(limits), md_(md) {}

  absl::Status Parse() {
    if (!Element(0, -1, false)) {
      return absl::InvalidArgumentError(
          fmt::format("metadata: {}", why_.empty() ? "truncated element tree" : why_));
    }
    return Resolve();
  }

 private:
  bool Fail(std::string why) {
    if (why_.empty()) why_ = std::move(why);
    r_.Fail();
    return false;
  }
  bool String(std::string_view* out) {
    size_t i = r_.Count(strings_.empty() ? 0 : strings_.size() - 1);
    if (!r_.ok() || strings_.empty()) return Fail("string index out of range");
    *out = strings_[i];
    return true;
  }
  static bool ParseId(std::string_view s, int64_t* out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && p == s.data() + s.size();
  }

  // `cls` is the index of the enclosing class element's type (-1 outside a class);
  // `class_child` says this element is directly under it (only those can be fields).
  bool Element(size_t depth, int64_t cls, bool class_child) {
    if (depth > limits_.max_metadata_depth) {
      return Fail(fmt::format("elements nested deeper than {}", limits_.max_metadata_depth));
    }
    std::string_view name;
    if (!String(&name)) return false;
    size_t num_attrs = r_.Count(r_.remaining() / 2);
    // Attributes are used before the children are read, so one buffer serves every level.
    attrs_.resize(r_.ok() ? num_attrs : 0);
    for (auto& [k, v] : attrs_) {
      if (!String(&k) || !String(&v)) return false;
    }
    auto attr = [&](std::string_view key) -> std::string_view {
      for (const auto& [k, v] : attrs_) {
        if (k == key) return v;
      }
      return {};
    };
    int64_t self = cls;
    if (name == "class" && cls < 0) {
      if (md_->types.size() == limits_.max_types) {
        return Fail(fmt::format("more than the limit of {} types", limits_.max_types));
      }
      TypeDef t;
      if (!ParseId(attr("id"), &t.id)) return Fail("class without a numeric id");
      t.name = attr("name");
      t.super_type = attr("superType");
      if (!md_->by_id.emplace(t.id, md_->types.size()).second) {
        return Fail(fmt::format("type id {} defined twice", t.id));
      }
      self = static_cast<int64_t>(md_->types.size());
      md_->types.push_back(std::move(t));
      field_type_ids_.emplace_back();
    } else if (name == "field" && class_child) {
      TypeDef& t = md_->types[cls];
      if (t.fields.size() == limits_.max_fields_per_type) {
        return Fail(fmt::format("type {} has more than the limit of {} fields", t.name,
                                limits_.max_fields_per_type));
      }
      FieldDef f;
      f.name = attr("name");
      int64_t type_id = 0, dimension = 0;
      if (!ParseId(attr("class"), &type_id)) {
        return Fail(fmt::format("field {}.{} has no numeric class", t.name, f.name));
      }
      std::string_view dim = attr("dimension");
      if (!dim.empty() && (!ParseId(dim, &dimension) || dimension < 0 || dimension > 1)) {
        return Fail(
            fmt::format("field {}.{} has unsupported dimension \"{}\"", t.name, f.name, dim));
      }
      f.array = dimension == 1;
      f.constant_pool = attr("constantPool") == "true";
      t.fields.push_back(std::move(f));
      field_type_ids_[cls].push_back(type_id);
    }
    size_t num_children = r_.Count(r_.remaining() / 3);
    for (size_t i = 0; i < num_children && r_.ok(); ++i) {
      if (!Element(depth + 1, self, self >= 0 && self != cls)) return false;
    }
    return r_.ok();
  }

  absl::Status Resolve() {
    for (size_t i = 0; i < md_->types.size(); ++i) {
      TypeDef& t = md_->types[i];
      t.encoding = EncodingOf(t.name);
      if (t.encoding != Encoding::kObject) t.fields.clear();
      for (size_t f = 0; f < t.fields.size(); ++f) {
        auto it = md_->by_id.find(field_type_ids_[i][f]);
        if (it == md_->by_id.end()) {
          return absl::InvalidArgumentError(
              fmt::format("metadata: field {}.{} refers to unknown type id {}", t.name,
                          t.fields[f].name, field_type_ids_[i][f]));
        }
        t.fields[f].type = it->second;
      }
      md_->by_name.emplace(t.name, static_cast<uint32_t>(i));
    }
    return absl::OkStatus();
  }

  Reader& r_;
  const std::vector<std::string>& strings_;
  const JfrLimits& limits_;
  Metadata* md_;
  std::vector<std::vector<int64_t>> field_type_ids_;  // Parallel to types[i].fields.
  std::vector<std::pair<std::string_view, std::string_view>> attrs_;
  std::string why_;
};

}  // namespace

int TypeDef::FieldIndex(std::string_view field_name) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == field_name) return static_cast<int>(i);
  }
  return -1;
}

const TypeDef* Metadata::FindByName(std::string_view name) const {
  auto it = by_name.find(std::string(name));
  return it == by_name.end() ? nullptr : &types[it->second];
}

absl::Status Chunk::Error(std::string_view what) const {
  return absl::InvalidArgumentError(fmt::format("jfr: chunk {}: {}", index_, what));
}

absl::StatusOr<std::unique_ptr<Chunk>> Chunk::Open(std::string_view data, size_t index,
                                                   const JfrLimits& limits) {
  std::unique_ptr<Chunk> c(new Chunk(data, index, limits));
  HEARTH_RETURN_IF_ERROR(c->ParseHeader());
  c->data_ = data.substr(0, c->header_.size);
  c->max_values_ = limits.max_values_per_byte * c->data_.size() + 4096;
  // Constants take about one value per 2-3 bytes of checkpoint; start near that.
  c->values_.reserve(std::min(c->max_values_, c->data_.size() / 4 + 64));
  HEARTH_RETURN_IF_ERROR(c->ParseMetadata());
  HEARTH_RETURN_IF_ERROR(c->ParseConstantPools());
  return c;
}

absl::Status Chunk::ParseHeader() {
  if (data_.size() < kHeaderBytes) {
    return Error(
        fmt::format("{} bytes, shorter than the {}-byte chunk header", data_.size(), kHeaderBytes));
  }
  if (data_.substr(0, 4) != std::string_view("FLR\0", 4)) return Error("bad magic, not FLR\\0");
  Reader r(data_.substr(4, kHeaderBytes - 4), /*compressed=*/false);
  ChunkHeader& h = header_;
  h.major = static_cast<uint16_t>(r.BigEndian(2));
  h.minor = static_cast<uint16_t>(r.BigEndian(2));
  h.size = r.BigEndian(8);
  h.constant_pool_offset = r.BigEndian(8);
  h.metadata_offset = r.BigEndian(8);
  h.start_ns = static_cast<int64_t>(r.BigEndian(8));
  h.duration_ns = static_cast<int64_t>(r.BigEndian(8));
  h.start_ticks = static_cast<int64_t>(r.BigEndian(8));
  h.ticks_per_second = static_cast<int64_t>(r.BigEndian(8));
  h.state = r.U8();
  r.BigEndian(2);
  h.flags = r.U8();
  if (h.major != 2) {
    return Error(
        fmt::format("unsupported format version {}.{} (JDK 11+ writes 2.x)", h.major, h.minor));
  }
  if (h.state == 255) return Error("the chunk is still being written (header state 255)");
  if (h.size < kHeaderBytes || h.size > data_.size()) {
    return Error(fmt::format("chunk size {} outside [{}, {}] (truncated file?)", h.size,
                             kHeaderBytes, data_.size()));
  }
  if (h.metadata_offset < kHeaderBytes || h.metadata_offset >= h.size) {
    return Error(
        fmt::format("metadata offset {} outside the chunk (size {})", h.metadata_offset, h.size));
  }
  if (h.constant_pool_offset != 0 &&
      (h.constant_pool_offset < kHeaderBytes || h.constant_pool_offset >= h.size)) {
    return Error(fmt::format("constant pool offset {} outside the chunk (size {})",
                             h.constant_pool_offset, h.size));
  }
  if (h.ticks_per_second <= 0) {
    return Error(fmt::format("ticks per second is {}", h.ticks_per_second));
  }
  return absl::OkStatus();
}

absl::StatusOr<Reader> Chunk::EventAt(size_t offset, int64_t expected_type, size_t* size) {
  const char* what = expected_type == kMetadataTypeId ? "metadata" : "checkpoint";
  if (offset < kHeaderBytes || offset >= data_.size()) {
    return Error(fmt::format("{} offset {} outside the chunk", what, offset));
  }
  Reader r(data_.substr(offset), header_.compressed_ints());
  *size = r.Count(data_.size() - offset);
  int64_t type = r.Long();
  if (!r.ok() || *size < r.pos()) {
    return Error(fmt::format("{} event at offset {}: bad event header", what, offset));
  }
  if (type != expected_type) {
    return Error(
        fmt::format("expected a {} event at offset {}, found type {}", what, offset, type));
  }
  return Reader(data_.substr(offset + r.pos(), *size - r.pos()), header_.compressed_ints());
}

absl::Status Chunk::ParseMetadata() {
  size_t offset = header_.metadata_offset, size = 0;
  HEARTH_ASSIGN_OR_RETURN(Reader r, EventAt(offset, kMetadataTypeId, &size));
  if (size > limits_.max_metadata_bytes) {
    return Error(fmt::format("metadata of {} bytes, more than the limit of {}", size,
                             limits_.max_metadata_bytes));
  }
  r.Long();  // Start time.
  r.Long();  // Duration.
  r.Long();  // Metadata id.
  size_t num_strings = r.Count(r.remaining());
  std::vector<std::string> strings(r.ok() ? num_strings : 0);
  for (size_t i = 0; i < strings.size() && r.ok(); ++i) {
    uint8_t tag;
    int64_t key;
    std::string why;
    if (!ReadString(r, limits_.max_string_bytes, &strings[i], &tag, &key, &why) ||
        tag == kTagConstant) {
      return Error(fmt::format("metadata string {}: {}", i,
                               tag == kTagConstant ? "refers to a constant pool"
                               : why.empty()       ? "truncated"
                                                   : why));
    }
  }
  if (!r.ok()) return Error("metadata: truncated string table");
  MetadataParser parser(r, strings, limits_, &metadata_);
  if (absl::Status s = parser.Parse(); !s.ok()) return Error(Message(s));
  if (const TypeDef* t = metadata_.FindByName("java.lang.String")) {
    string_type_ = static_cast<uint32_t>(t - metadata_.types.data());
  }
  pools_.resize(metadata_.types.size());
  return absl::OkStatus();
}

absl::Status Chunk::ParseConstantPools() {
  // Walk backwards from the newest checkpoint; a visited set turns a cyclic chain of deltas
  // into an error instead of an endless loop.
  absl::flat_hash_set<uint64_t> visited;
  uint64_t offset = header_.constant_pool_offset;
  while (offset != 0) {
    if (!visited.insert(offset).second) {
      return Error(fmt::format("constant pool chain loops back to offset {}", offset));
    }
    if (visited.size() > limits_.max_checkpoints) {
      return Error(fmt::format("more than the limit of {} checkpoints", limits_.max_checkpoints));
    }
    int64_t delta = 0;
    HEARTH_RETURN_IF_ERROR(ParseCheckpoint(offset, &delta));
    if (delta == 0) break;
    // Unsigned wrap-around is fine: anything outside the chunk is rejected by EventAt.
    offset += static_cast<uint64_t>(delta);
    if (offset == 0) offset = 1;  // Not the "no pool" marker: let EventAt reject it.
  }
  return absl::OkStatus();
}

absl::Status Chunk::ParseCheckpoint(size_t offset, int64_t* delta) {
  size_t size = 0;
  HEARTH_ASSIGN_OR_RETURN(Reader r, EventAt(offset, kCheckpointTypeId, &size));
  r.Long();  // Start time.
  r.Long();  // Duration.
  *delta = r.Long();
  r.U8();  // Checkpoint type (flush, chunk header, statics, thread): all decode alike.
  size_t num_pools = r.Count(r.remaining());
  if (!r.ok()) return Error(fmt::format("checkpoint at offset {}: truncated header", offset));
  for (size_t i = 0; i < num_pools; ++i) {
    int64_t type_id = r.Long();
    size_t count = r.Count(r.remaining());  // Every constant has at least a key byte.
    if (!r.ok())
      return Error(fmt::format(
          "checkpoint at offset {}: truncated pool header (or a count beyond the checkpoint)",
          offset));
    auto it = metadata_.by_id.find(type_id);
    if (it == metadata_.by_id.end()) {
      return Error(
          fmt::format("checkpoint at offset {}: pool of unknown type id {}", offset, type_id));
    }
    const uint32_t type = it->second;
    for (size_t j = 0; j < count; ++j) {
      if (++constants_ > limits_.max_constants) {
        return Error(fmt::format("more than the limit of {} constants", limits_.max_constants));
      }
      int64_t key = r.Long();
      size_t slot = 0;
      decode_error_.clear();
      if (!Allocate(1, &slot) || !DecodeValue(r, type, false, false, 0, slot)) {
        return Error(fmt::format("checkpoint at offset {}: constant {} of {}: {}", offset, key,
                                 metadata_.types[type].name,
                                 decode_error_.empty() ? "truncated" : decode_error_));
      }
      // The walk goes newest first; a key repeated in an older checkpoint keeps the newest.
      pools_[type].try_emplace(key, static_cast<uint32_t>(slot));
    }
  }
  return absl::OkStatus();
}

bool Chunk::Allocate(size_t n, size_t* first) {
  if (n > max_values_ - values_.size()) {
    decode_error_ =
        fmt::format("more than {} decoded values for a {}-byte chunk (limit {} per byte)",
                    max_values_, data_.size(), limits_.max_values_per_byte);
    return false;
  }
  *first = values_.size();
  values_.resize(values_.size() + n);
  return true;
}

bool Chunk::DecodeString(Reader& r, Value* out) {
  uint8_t tag = 0;
  int64_t key = 0;
  size_t begin = text_.size();
  if (!ReadString(r, limits_.max_string_bytes, &text_, &tag, &key, &decode_error_)) return false;
  out->type = string_type_;
  if (tag == kTagNull) {
    out->kind = Kind::kNull;
  } else if (tag == kTagConstant) {
    if (string_type_ == UINT32_MAX) {
      decode_error_ = "string constant reference, but no java.lang.String type";
      return false;
    }
    out->kind = Kind::kRef;
    out->bits = static_cast<uint64_t>(key);
  } else {
    out->kind = Kind::kString;
    out->bits = begin;
    out->count = static_cast<uint32_t>(text_.size() - begin);
  }
  return true;
}

bool Chunk::DecodeValue(Reader& r, uint32_t type, bool array, bool constant_pool, size_t depth,
                        size_t slot) {
  const TypeDef& t = metadata_.types[type];
  if (depth > limits_.max_value_depth) {
    decode_error_ = fmt::format("values of {} nested deeper than {} (recursive type?)", t.name,
                                limits_.max_value_depth);
    return false;
  }
  Value v;
  v.type = type;
  if (array) {
    size_t n = r.Count(std::min(limits_.max_array_length, r.remaining()));
    size_t first = 0;
    if (!r.ok()) {
      decode_error_ = fmt::format("array of {} longer than the limit of {} or than its event",
                                  t.name, limits_.max_array_length);
      return false;
    }
    if (!Allocate(n, &first)) return false;
    for (size_t i = 0; i < n; ++i) {
      if (!DecodeValue(r, type, false, constant_pool, depth + 1, first + i)) return false;
    }
    v = Value{Kind::kArray, type, static_cast<uint32_t>(n), first};
  } else if (constant_pool) {
    v = Value{Kind::kRef, type, 0, static_cast<uint64_t>(r.Long())};
  } else {
    switch (t.encoding) {
      case Encoding::kObject: {
        size_t first = 0;
        if (!Allocate(t.fields.size(), &first)) return false;
        for (size_t i = 0; i < t.fields.size(); ++i) {
          const FieldDef& f = t.fields[i];
          if (!DecodeValue(r, f.type, f.array, f.constant_pool, depth + 1, first + i)) {
            return false;
          }
        }
        v = Value{Kind::kObject, type, static_cast<uint32_t>(t.fields.size()), first};
        break;
      }
      case Encoding::kBoolean:
      case Encoding::kByte:
        v.kind = Kind::kInt;
        v.bits = static_cast<uint64_t>(int64_t{static_cast<int8_t>(r.U8())});
        break;
      case Encoding::kChar:
        v.kind = Kind::kInt;
        v.bits = r.Char();
        break;
      case Encoding::kShort:
        v.kind = Kind::kInt;
        v.bits = static_cast<uint64_t>(int64_t{r.Short()});
        break;
      case Encoding::kInt:
        v.kind = Kind::kInt;
        v.bits = static_cast<uint64_t>(int64_t{r.Int()});
        break;
      case Encoding::kLong:
        v.kind = Kind::kInt;
        v.bits = static_cast<uint64_t>(r.Long());
        break;
      case Encoding::kFloat:
        v.kind = Kind::kFloat;
        v.bits = std::bit_cast<uint64_t>(
            double{std::bit_cast<float>(static_cast<uint32_t>(r.BigEndian(4)))});
        break;
      case Encoding::kDouble:
        v.kind = Kind::kFloat;
        v.bits = r.BigEndian(8);
        break;
      case Encoding::kString:
        if (!DecodeString(r, &v)) return false;
        break;
    }
  }
  values_[slot] = v;
  return r.ok();
}

absl::StatusOr<Value> Chunk::DecodeEvent(const Event& e) {
  Reader r(e.body, header_.compressed_ints());
  size_t slot = 0;
  decode_error_.clear();
  if (!Allocate(1, &slot) || !DecodeValue(r, e.type, false, false, 0, slot)) {
    return Error(fmt::format("event at offset {} ({}): {}", e.offset, metadata_.types[e.type].name,
                             decode_error_.empty() ? "truncated" : decode_error_));
  }
  return values_[slot];
}

Chunk::ArenaMark Chunk::Mark() const { return {values_.size(), text_.size()}; }

void Chunk::Release(ArenaMark mark) {
  values_.resize(mark.values);
  text_.resize(mark.text);
}

Value Chunk::Field(const Value& v, std::string_view name) const {
  return v.kind == Kind::kObject ? FieldAt(v, metadata_.types[v.type].FieldIndex(name)) : Value{};
}

absl::StatusOr<Value> Chunk::Deref(const Value& v) const {
  Value cur = v;
  for (int hop = 0; hop < kMaxRefHops; ++hop) {
    if (cur.kind != Kind::kRef) return cur;
    const auto& pool = pools_[cur.type];
    auto it = pool.find(static_cast<int64_t>(cur.bits));
    if (it == pool.end()) {
      if (cur.bits == 0) return Value{};  // Writers use key 0 for null.
      return absl::InvalidArgumentError(fmt::format("constant {} of {} is missing",
                                                    static_cast<int64_t>(cur.bits),
                                                    metadata_.types[cur.type].name));
    }
    cur = values_[it->second];
  }
  return absl::InvalidArgumentError(
      fmt::format("constant {} of {} refers through more than {} constants",
                  static_cast<int64_t>(v.bits), metadata_.types[v.type].name, kMaxRefHops));
}

}  // namespace hearth::formats::jfr
