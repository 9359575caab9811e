#pragma once

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of iSCSI, ext4 and
// LevelDB. Uses the SSE4.2 crc32 instruction when the CPU has it, slice-by-8 tables otherwise;
// both give identical results.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hearth::crc32c {

// Returns the CRC-32C of `prefix || data`, where `crc` is the CRC-32C of `prefix`.
// Extend(0, data) is the CRC of data alone.
uint32_t Extend(uint32_t crc, const void* data, size_t n);

inline uint32_t Extend(uint32_t crc, std::string_view data) {
  return Extend(crc, data.data(), data.size());
}
inline uint32_t Value(std::string_view data) { return Extend(0, data); }

// Returns the CRC-32C of `a || b` given crc_a = Value(a), crc_b = Value(b) and len_b = |b|,
// in O(log len_b) without touching the bytes (zlib's crc32_combine, for this polynomial).
// With it, the CRC of any slice of a buffer follows from CRCs of two prefixes:
//   Value(s[i..j)) == Value(s[0..j)) ^ Combine(Value(s[0..i)), 0, j - i)
uint32_t Combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);

namespace internal {
uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n);  // slice-by-8
bool HardwareAvailable();
uint32_t ExtendHardware(uint32_t crc, const void* data, size_t n);  // needs HardwareAvailable()
}  // namespace internal

}  // namespace hearth::crc32c
