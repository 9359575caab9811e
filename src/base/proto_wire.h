#pragma once

// Protocol-buffer wire format, by hand: a bounded reader over a byte span and an appending
// writer. Used by every hand-written codec (pprof, OTLP, Pyroscope push, ...), so nothing on a
// hot path depends on generated classes.
//
//   message := (tag value)*      tag := varint(field_number << 3 | wire_type)
//   wire_type 0 varint | 1 fixed64 | 2 length-delimited | 5 fixed32   (3/4 groups: rejected)

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace hearth::wire {

enum WireType : uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLen = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// Decodes one varint starting at p. Returns the position after it, or nullptr when the varint
// is truncated or longer than 10 bytes.
inline const uint8_t* ReadVarintSlow(const uint8_t* p, const uint8_t* end, uint64_t* out) {
  uint64_t result = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (p >= end) return nullptr;
    uint64_t byte = *p++;
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *out = result;
      return p;
    }
  }
  return nullptr;
}

inline const uint8_t* ReadVarint(const uint8_t* p, const uint8_t* end, uint64_t* out) {
  if (end - p < 10) [[unlikely]] {
    return ReadVarintSlow(p, end, out);
  }
  // At least 10 bytes are readable: no bounds checks inside the unrolled loop.
  uint64_t b = p[0];
  if (b < 0x80) {
    *out = b;
    return p + 1;
  }
  uint64_t r = b - 0x80;
  for (int i = 1; i < 10; ++i) {
    b = p[i];
    r += b << (7 * i);
    if (b < 0x80) {
      *out = r;
      return p + i + 1;
    }
    r -= uint64_t{0x80} << (7 * i);
  }
  return nullptr;
}

inline int VarintSize(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// A cursor over one message. Errors are sticky: after the first malformed byte every call
// returns false/0 and error() says what went wrong, so callers check once per message.
class Reader {
 public:
  Reader() = default;
  explicit Reader(std::string_view data)
      : p_(reinterpret_cast<const uint8_t*>(data.data())), end_(p_ + data.size()) {}
  Reader(const uint8_t* begin, const uint8_t* end) : p_(begin), end_(end) {}

  // Reads the next tag. Returns false at the end of the message or on error.
  bool Next(uint32_t* field, WireType* type) {
    if (p_ >= end_ || error_) return false;
    uint64_t tag;
    const uint8_t* q = ReadVarint(p_, end_, &tag);
    if (q == nullptr) return Fail("truncated or overlong tag varint");
    p_ = q;
    *field = static_cast<uint32_t>(tag >> 3);
    *type = static_cast<WireType>(tag & 7);
    if (tag >> 3 == 0 || tag >> 3 > 0x1fffffff) return Fail("invalid field number 0");
    return true;
  }

  uint64_t Varint() {
    uint64_t v = 0;
    const uint8_t* q = ReadVarint(p_, end_, &v);
    if (q == nullptr) {
      Fail("truncated or overlong varint");
      return 0;
    }
    p_ = q;
    return v;
  }

  uint64_t Fixed64() {
    if (end_ - p_ < 8) {
      Fail("truncated fixed64");
      return 0;
    }
    uint64_t v;
    std::memcpy(&v, p_, 8);
    p_ += 8;
    return v;
  }

  uint32_t Fixed32() {
    if (end_ - p_ < 4) {
      Fail("truncated fixed32");
      return 0;
    }
    uint32_t v;
    std::memcpy(&v, p_, 4);
    p_ += 4;
    return v;
  }

  // A length-delimited payload (bytes, string, sub-message or packed repeated field).
  std::string_view Bytes() {
    uint64_t n = Varint();
    if (error_) return {};
    if (n > static_cast<uint64_t>(end_ - p_)) {
      Fail("length-delimited field runs past the end of its message");
      return {};
    }
    std::string_view out(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return out;
  }

  // Skips a value of an unknown field. Groups are rejected (proto3 never writes them).
  bool Skip(WireType type) {
    switch (type) {
      case kVarint: Varint(); break;
      case kFixed64: Fixed64(); break;
      case kLen: Bytes(); break;
      case kFixed32: Fixed32(); break;
      default: return Fail("unsupported wire type (groups are not allowed)");
    }
    return !error_;
  }

  bool Fail(const char* why) {
    if (error_ == nullptr) error_ = why;
    p_ = end_;
    return false;
  }

  bool ok() const { return error_ == nullptr; }
  const char* error() const { return error_; }
  size_t remaining() const { return end_ - p_; }
  const uint8_t* position() const { return p_; }

 private:
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  const char* error_ = nullptr;
};

// Reads a repeated varint field that may be packed (kLen) or not (kVarint) and calls
// fn(value) for each element. Returns false on malformed input (r carries the error).
template <typename Fn>
bool ForEachVarint(Reader& r, WireType type, Fn&& fn) {
  if (type == kVarint) {
    uint64_t v = r.Varint();
    if (!r.ok()) return false;
    return fn(v);
  }
  if (type != kLen) return r.Fail("repeated integer field with a non-integer wire type");
  std::string_view packed = r.Bytes();
  if (!r.ok()) return false;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(packed.data());
  const uint8_t* end = p + packed.size();
  while (p < end) {
    uint64_t v;
    p = ReadVarint(p, end, &v);
    if (p == nullptr) return r.Fail("truncated varint in a packed field");
    if (!fn(v)) return false;
  }
  return true;
}

// Calls fn(field, value) for every varint field of a message and skips the others (all
// fields of ValueType, Mapping, Function, Line and Label are varints). Returns the wire
// error, or nullptr.
template <typename Fn>
const char* ForEachVarintField(std::string_view bytes, Fn&& fn) {
  Reader r(bytes);
  uint32_t field;
  WireType type;
  while (r.Next(&field, &type)) {
    if (type == kVarint) {
      fn(field, r.Varint());
    } else {
      r.Skip(type);
    }
  }
  return r.error();
}

// Counts the elements of a repeated varint field (packed or not) without decoding values.
inline uint64_t CountVarints(Reader& r, WireType type) {
  if (type == kVarint) {
    r.Varint();
    return 1;
  }
  if (type != kLen) {
    r.Fail("repeated integer field with a non-integer wire type");
    return 0;
  }
  std::string_view packed = r.Bytes();
  uint64_t n = 0;
  for (char c : packed) n += (static_cast<uint8_t>(c) < 0x80);
  return n;
}

// Appends protobuf fields to a std::string.
class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}

  void RawVarint(uint64_t v) {
    if (v < 0x80) {  // tags and most indices: one byte
      out_->push_back(static_cast<char>(v));
      return;
    }
    char buf[10];
    int n = 0;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    out_->append(buf, n);
  }
  void Tag(uint32_t field, WireType type) { RawVarint((uint64_t{field} << 3) | type); }

  void Varint(uint32_t field, uint64_t v) {
    Tag(field, kVarint);
    RawVarint(v);
  }
  // Proto3 semantics: a zero scalar is the default and is not written.
  void VarintOpt(uint32_t field, uint64_t v) {
    if (v != 0) Varint(field, v);
  }
  void Bool(uint32_t field, bool v) {
    if (v) Varint(field, 1);
  }
  void Fixed64(uint32_t field, uint64_t v) {
    Tag(field, kFixed64);
    out_->append(reinterpret_cast<const char*>(&v), 8);
  }
  void Bytes(uint32_t field, std::string_view v) {
    Tag(field, kLen);
    RawVarint(v.size());
    out_->append(v.data(), v.size());
  }

  // Length-delimited sub-message written in place: call Begin, write the body, then End.
  // The length prefix is reserved with a fixed-width padded varint that End back-patches, so
  // nested messages need no second buffer.
  size_t BeginMessage(uint32_t field) {
    Tag(field, kLen);
    size_t at = out_->size();
    out_->append(kLenBytes, '\0');
    return at;
  }
  void EndMessage(size_t at) {
    uint64_t len = out_->size() - at - kLenBytes;
    char* p = out_->data() + at;
    for (int i = 0; i < kLenBytes; ++i) {
      uint8_t b = len & 0x7f;
      len >>= 7;
      p[i] = static_cast<char>(i + 1 < kLenBytes ? (b | 0x80) : b);
    }
  }

  template <typename It>
  void PackedVarints(uint32_t field, It begin, It end) {
    if (begin == end) return;
    size_t n = 0;
    for (It it = begin; it != end; ++it) n += VarintSize(static_cast<uint64_t>(*it));
    Tag(field, kLen);
    RawVarint(n);
    for (It it = begin; it != end; ++it) RawVarint(static_cast<uint64_t>(*it));
  }

  std::string* out() { return out_; }

 private:
  // 5 bytes hold lengths below 2^35: every message we write is far smaller.
  static constexpr int kLenBytes = 5;
  std::string* out_;
};

}  // namespace hearth::wire
