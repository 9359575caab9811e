#pragma once

// Varint-framed records outside protobuf: the storage files (blocks, pages, WAL payloads)
// write plain sequences of varints, zigzag-encoded signed values and length-prefixed strings.
// One writer and one bounded reader for all of them.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/proto_wire.h"

namespace hearth::varint {

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

inline void PutU(std::string* out, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}
inline void PutS(std::string* out, int64_t v) { PutU(out, ZigZag(v)); }
inline void PutStr(std::string* out, std::string_view s) {
  PutU(out, s.size());
  out->append(s);
}

// A cursor over such a sequence. Every read returns false (and stays failed) on truncated
// or overlong input; lengths are checked against what is left, so nothing allocates more
// than the input holds.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool U(uint64_t* v) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(in_.data());
    const uint8_t* q = ok_ ? wire::ReadVarint(p, p + in_.size(), v) : nullptr;
    if (q == nullptr) return ok_ = false;
    in_.remove_prefix(q - p);
    return true;
  }
  bool U32(uint32_t* v) {
    uint64_t x;
    if (!U(&x) || x > UINT32_MAX) return ok_ = false;
    *v = static_cast<uint32_t>(x);
    return true;
  }
  bool S(int64_t* v) {
    uint64_t u;
    if (!U(&u)) return false;
    *v = UnZigZag(u);
    return true;
  }
  bool Str(std::string* s) {
    std::string_view v;
    if (!StrView(&v)) return false;
    s->assign(v);
    return true;
  }
  bool StrView(std::string_view* s) {
    uint64_t n;
    if (!U(&n) || n > in_.size()) return ok_ = false;
    *s = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  // The rest of the input, consumed.
  std::string_view Rest() {
    std::string_view r = in_;
    in_ = {};
    return r;
  }
  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }
  size_t remaining() const { return in_.size(); }

 private:
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace hearth::varint
