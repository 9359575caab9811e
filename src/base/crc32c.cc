#include "base/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace hearth::crc32c {
namespace {

constexpr uint32_t kPoly = 0x82F63B78;  // Castagnoli, bit-reflected.

// kTables[0] is the classic byte-at-a-time table; kTables[k][b] is the CRC of byte b followed
// by k zero bytes, which lets slice-by-8 fold eight input bytes per step.
constexpr std::array<std::array<uint32_t, 256>, 8> MakeTables() {
  std::array<std::array<uint32_t, 256>, 8> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[0][i] = c;
  }
  for (int k = 1; k < 8; ++k) {
    for (uint32_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
  }
  return t;
}
constexpr auto kTables = MakeTables();

inline uint64_t LoadLE64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "slice-by-8 assumes little endian");
  return v;
}

// Multiplies two polynomials modulo kPoly (bit 31 is x^0, as in the reflected CRC register).
constexpr uint32_t MultModP(uint32_t a, uint32_t b) {
  uint32_t m = uint32_t{1} << 31;
  uint32_t p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) == 0) break;
    }
    m >>= 1;
    b = (b & 1) ? (b >> 1) ^ kPoly : b >> 1;
  }
  return p;
}

// kX2N[k] = x^(2^k) mod kPoly.
constexpr std::array<uint32_t, 64> MakeX2N() {
  std::array<uint32_t, 64> t{};
  uint32_t p = uint32_t{1} << 30;  // x^1
  for (auto& e : t) {
    e = p;
    p = MultModP(p, p);
  }
  return t;
}
constexpr auto kX2N = MakeX2N();

// x^(n * 2^k) mod kPoly.
uint32_t X2NModP(uint64_t n, unsigned k) {
  uint32_t p = uint32_t{1} << 31;  // x^0
  while (n != 0) {
    if (n & 1) p = MultModP(kX2N[k & 63], p);
    n >>= 1;
    ++k;
  }
  return p;
}

using ExtendFn = uint32_t (*)(uint32_t, const void*, size_t);

ExtendFn Choose() {
  return internal::HardwareAvailable() ? internal::ExtendHardware : internal::ExtendPortable;
}

}  // namespace

namespace internal {

uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
  while (n >= 8) {
    uint64_t w = LoadLE64(p) ^ c;
    c = kTables[7][w & 0xFF] ^ kTables[6][(w >> 8) & 0xFF] ^ kTables[5][(w >> 16) & 0xFF] ^
        kTables[4][(w >> 24) & 0xFF] ^ kTables[3][(w >> 32) & 0xFF] ^ kTables[2][(w >> 40) & 0xFF] ^
        kTables[1][(w >> 48) & 0xFF] ^ kTables[0][w >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xFF];
  return ~c;
}

#if defined(__x86_64__)
bool HardwareAvailable() { return __builtin_cpu_supports("sse4.2"); }

__attribute__((target("sse4.2"))) uint32_t ExtendHardware(uint32_t crc, const void* data,
                                                          size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t c = ~crc;
  while (n >= 8) {
    c = _mm_crc32_u64(c, LoadLE64(p));
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}
#else
bool HardwareAvailable() { return false; }
uint32_t ExtendHardware(uint32_t crc, const void* data, size_t n) {
  return ExtendPortable(crc, data, n);
}
#endif

}  // namespace internal

uint32_t Extend(uint32_t crc, const void* data, size_t n) {
  static const ExtendFn fn = Choose();
  return fn(crc, data, n);
}

uint32_t Combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b) {
  // Appending len_b bytes multiplies the register by x^(8 * len_b); the initial/final
  // inversions of both CRCs cancel, so crc(a||b) = crc_a * x^(8*len_b) + crc_b.
  return MultModP(X2NModP(len_b, 3), crc_a) ^ crc_b;
}

}  // namespace hearth::crc32c
