#pragma once

// The byte layer of JFR: one chunk's header, metadata (type table), constant pools and event
// framing, decoded generically from the chunk's own metadata. Nothing here knows what an
// ExecutionSample is; formats/jfr.cc maps events to profiles.
//
//   offset
//   0     +-------------------------------------------+
//         | "FLR\0"  major u16  minor u16             |  header: 68 bytes, big-endian,
//         | chunk size u64 (header included)          |  fixed width
//         | constant pool offset u64 ---------------------------+
//         | metadata offset u64 ----------------------------+   |
//         | start ns u64, duration ns u64             |     |   |
//         | start ticks u64, ticks per second u64     |     |   |
//         | state u8 (0 done, 255 being written), 0,  |     |   |
//         | 0, flags u8 (1: LEB128 ints, 2: final)    |     |   |
//   68    +-------------------------------------------+     |   |
//         | event: size, type id, fields...           |     |   |
//         | checkpoint A (type 1): delta 0  <------------+  |   |
//         | event ...                                 |  |  |   |
//         | checkpoint B (type 1): delta A - B -----------+ <-------+  newest
//         | event ...                                 |     |
//         | metadata (type 0): strings, element tree <------+
//   size  +-------------------------------------------+
//
// Past the header every integer is LEB128 if the flags say so (7 bits per byte, at most 9
// bytes, the 9th carrying 8 bits; a value is the two's complement of its Java type's width),
// else fixed-width big-endian. An event's size counts its own size field. A string is a tag
// byte (0 null, 1 empty, 2 key into the java.lang.String pool, 3 UTF-8, 4 UTF-16 chars,
// 5 Latin-1), then for 3-5 a length and the characters.
//
// Metadata event: size, 0, start, duration, id, N strings, then a tree of elements
// (name, attributes as string-index pairs, children):
//   root > metadata > class{id, name, superType, simpleType} > field{name, class,
//   constantPool, dimension} (+ annotations and settings, ignored here)
// Checkpoint event: size, 1, start, duration, delta to the previous checkpoint (0 ends the
// chain), checkpoint type u8, pool count, then per pool: type id, count, (key, value)...
//
// Values decode into one flat arena of Value; an object's fields and an array's elements are
// contiguous ranges in it, a constant-pool reference is (type, key) resolved on demand.

#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "formats/jfr.h"

namespace hearth::formats::jfr {

inline constexpr size_t kHeaderBytes = 68;
inline constexpr int64_t kMetadataTypeId = 0;
inline constexpr int64_t kCheckpointTypeId = 1;

// absl::Status::message() is Debian's absl::string_view, which {fmt} cannot format.
inline std::string_view Message(const absl::Status& s) {
  return std::string_view(s.message().data(), s.message().size());
}

struct ChunkHeader {
  uint16_t major = 0;
  uint16_t minor = 0;
  uint64_t size = 0;
  uint64_t constant_pool_offset = 0;
  uint64_t metadata_offset = 0;
  int64_t start_ns = 0;
  int64_t duration_ns = 0;
  int64_t start_ticks = 0;
  int64_t ticks_per_second = 0;
  uint8_t state = 0;
  uint8_t flags = 0;
  bool compressed_ints() const { return (flags & 1) != 0; }
};

// A bounds-checked cursor. A read past the end (or a malformed varint) returns 0 and sets a
// sticky failure, so straight-line decoding checks ok() once at the end; every loop checks
// it per iteration.
class Reader {
 public:
  Reader(std::string_view data, bool compressed)
      : p_(reinterpret_cast<const uint8_t*>(data.data())),
        end_(p_ + data.size()),
        begin_(p_),
        compressed_(compressed) {}

  bool ok() const { return ok_; }
  void Fail() {
    ok_ = false;
    p_ = end_;
  }
  size_t pos() const { return static_cast<size_t>(p_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  uint8_t U8() {
    if (p_ == end_) {
      Fail();
      return 0;
    }
    return *p_++;
  }
  uint64_t BigEndian(size_t n) {
    if (remaining() < n) {
      Fail();
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | p_[i];
    p_ += n;
    return v;
  }
  uint64_t Leb128() {
    uint64_t v = 0;
    for (int shift = 0; shift < 56; shift += 7) {
      uint8_t b = U8();
      v |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) return v;
    }
    return v | (uint64_t{U8()} << 56);  // The 9th byte carries all 8 bits.
  }
  // Java-typed integers: LEB128 or fixed width, truncated to the type's width.
  int16_t Short() { return static_cast<int16_t>(compressed_ ? Leb128() : BigEndian(2)); }
  uint16_t Char() { return static_cast<uint16_t>(compressed_ ? Leb128() : BigEndian(2)); }
  int32_t Int() { return static_cast<int32_t>(compressed_ ? Leb128() : BigEndian(4)); }
  int64_t Long() { return static_cast<int64_t>(compressed_ ? Leb128() : BigEndian(8)); }
  // A size or count: an int that must lie in [0, max]; else fails.
  size_t Count(size_t max) {
    int64_t v = compressed_ ? static_cast<int64_t>(Leb128()) : static_cast<int32_t>(BigEndian(4));
    if (v < 0 || static_cast<uint64_t>(v) > max) {
      Fail();
      return 0;
    }
    return static_cast<size_t>(v);
  }
  std::string_view Bytes(size_t n) {
    if (remaining() < n) {
      Fail();
      return {};
    }
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t* begin_;
  bool compressed_;
  bool ok_ = true;
};

// How a type's values are encoded.
enum class Encoding : uint8_t {
  kObject,  // Fields in order.
  kBoolean,
  kByte,
  kChar,
  kShort,
  kInt,
  kLong,
  kFloat,
  kDouble,
  kString,  // java.lang.String: tag byte, then per tag (see DecodeString).
};

struct FieldDef {
  std::string name;
  uint32_t type = 0;  // Index into Metadata::types.
  bool constant_pool = false;
  bool array = false;
};

struct TypeDef {
  int64_t id = 0;
  std::string name;
  std::string super_type;
  Encoding encoding = Encoding::kObject;
  std::vector<FieldDef> fields;
  // Index of the field called `name`, or -1.
  int FieldIndex(std::string_view name) const;
};

struct Metadata {
  std::vector<TypeDef> types;
  absl::flat_hash_map<int64_t, uint32_t> by_id;
  absl::flat_hash_map<std::string, uint32_t> by_name;

  const TypeDef* FindByName(std::string_view name) const;
};

enum class Kind : uint8_t { kNull, kInt, kFloat, kString, kRef, kObject, kArray };

struct Value {
  Kind kind = Kind::kNull;
  uint32_t type = 0;   // Type index (for kRef: the referenced type).
  uint32_t count = 0;  // kObject: fields; kArray: elements; kString: bytes.
  // kInt: the value; kFloat: the double's bits; kRef: the constant's key; kObject, kArray:
  // index of the first child value; kString: offset into the text arena.
  uint64_t bits = 0;

  int64_t AsInt() const { return kind == Kind::kInt ? static_cast<int64_t>(bits) : 0; }
};

// One parsed chunk: header, types and constant pools. Events are decoded on demand into the
// same arena as the constants.
class Chunk {
 public:
  // `data` is the chunk (header included), `index` its position in the file for messages.
  static absl::StatusOr<std::unique_ptr<Chunk>> Open(std::string_view data, size_t index,
                                                     const JfrLimits& limits);

  const ChunkHeader& header() const { return header_; }
  const Metadata& metadata() const { return metadata_; }
  size_t index() const { return index_; }

  // An event in the chunk's event stream (metadata and checkpoints skipped).
  struct Event {
    size_t offset = 0;  // In the chunk.
    uint32_t type = 0;  // Type index.
    std::string_view body;
  };
  // Calls fn for every event in order; stops at fn's first error. `events` counts events
  // across chunks against limits.max_events.
  template <typename Fn>
  absl::Status ForEachEvent(size_t* events, Fn&& fn);

  // Decodes an event body (of a type with fields) into the arena; returns the object.
  absl::StatusOr<Value> DecodeEvent(const Event& e);

  // Event values are released after use, so memory stays at the constant pools' size.
  // Release invalidates what Text() returned for values decoded after the mark.
  struct ArenaMark {
    size_t values = 0;
    size_t text = 0;
  };
  ArenaMark Mark() const;
  void Release(ArenaMark mark);

  // The i-th child of an object or array.
  const Value& Child(const Value& v, size_t i) const { return values_[v.bits + i]; }
  // The field `name` of an object (kNull if absent or v is not an object).
  Value Field(const Value& v, std::string_view name) const;
  // The field at a TypeDef::FieldIndex of v's type (kNull if out of range).
  Value FieldAt(const Value& v, int index) const {
    return v.kind == Kind::kObject && index >= 0 && static_cast<uint32_t>(index) < v.count
               ? values_[v.bits + index]
               : Value{};
  }
  // Follows constant-pool references (a String constant may itself be a reference). kNull
  // for key 0 without a constant (JFR's null); an error for any other missing constant.
  absl::StatusOr<Value> Deref(const Value& v) const;
  std::string_view Text(const Value& v) const {
    return v.kind == Kind::kString ? std::string_view(text_).substr(v.bits, v.count)
                                   : std::string_view();
  }
  const TypeDef& Type(const Value& v) const { return metadata_.types[v.type]; }

  absl::Status Error(std::string_view what) const;

 private:
  Chunk(std::string_view data, size_t index, const JfrLimits& limits)
      : data_(data), index_(index), limits_(limits) {}

  absl::Status ParseHeader();
  absl::Status ParseMetadata();
  absl::Status ParseConstantPools();
  absl::Status ParseCheckpoint(size_t offset, int64_t* delta);
  absl::StatusOr<Reader> EventAt(size_t offset, int64_t expected_type, size_t* size);

  // Decodes one value of `type` (an array of them if `array`, references if `constant_pool`)
  // into values_[slot].
  bool DecodeValue(Reader& r, uint32_t type, bool array, bool constant_pool, size_t depth,
                   size_t slot);
  bool DecodeString(Reader& r, Value* out);
  // Reserves n contiguous values; false if the value budget is spent.
  bool Allocate(size_t n, size_t* first);

  std::string_view data_;
  size_t index_;
  const JfrLimits& limits_;
  ChunkHeader header_;
  Metadata metadata_;
  uint32_t string_type_ = UINT32_MAX;  // java.lang.String, target of string tag 2.
  std::vector<Value> values_;
  std::string text_;
  size_t max_values_ = 0;
  // Why the last DecodeValue failed (empty: ran out of bytes).
  std::string decode_error_;
  // Per type index: constant key -> value index.
  std::vector<absl::flat_hash_map<int64_t, uint32_t>> pools_;
  size_t constants_ = 0;
};

template <typename Fn>
absl::Status Chunk::ForEachEvent(size_t* events, Fn&& fn) {
  size_t offset = kHeaderBytes;
  const size_t end = data_.size();
  while (offset < end) {
    Reader r(data_.substr(offset), header_.compressed_ints());
    size_t size = r.Count(end - offset);
    int64_t type_id = r.Long();
    if (!r.ok() || size < r.pos()) {
      return Error(fmt::format("event at offset {}: bad event header (size {})", offset, size));
    }
    if (++*events > limits_.max_events) {
      return Error(fmt::format("more than the limit of {} events", limits_.max_events));
    }
    if (type_id != kMetadataTypeId && type_id != kCheckpointTypeId) {
      auto it = metadata_.by_id.find(type_id);
      if (it == metadata_.by_id.end()) {
        return Error(
            fmt::format("event at offset {}: type id {} is not in the metadata", offset, type_id));
      }
      Event e{offset, it->second, data_.substr(offset + r.pos(), size - r.pos())};
      if (absl::Status s = fn(e); !s.ok()) return s;
    }
    offset += size;
  }
  return absl::OkStatus();
}

}  // namespace hearth::formats::jfr
