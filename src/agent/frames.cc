#include "agent/frames.h"

namespace hearth::agent {
namespace {

// The length of an FF /r instruction from its ModRM (and SIB) byte, without prefixes.
size_t ModRmLength(uint8_t modrm, uint8_t sib) {
  const int mod = modrm >> 6, rm = modrm & 7;
  size_t len = 2;  // opcode + modrm
  if (mod == 3) return len;
  if (rm == 4) {
    ++len;  // SIB
    if (mod == 0 && (sib & 7) == 5) len += 4;
  }
  if (mod == 0 && rm == 5) len += 4;  // rip-relative
  if (mod == 1) len += 1;
  if (mod == 2) len += 4;
  return len;
}

}  // namespace

bool EndsWithCall(std::span<const uint8_t, 7> b) {
  // E8 rel32: 5 bytes.
  if (b[2] == 0xE8) return true;
  // FF /2 (call r/m64): 2..7 bytes; the ModRM reg field is 2.
  for (size_t len = 2; len <= 7; ++len) {
    const size_t at = 7 - len;
    if (b[at] != 0xFF) continue;
    const uint8_t modrm = b[at + 1];
    if (((modrm >> 3) & 7) != 2) continue;
    const uint8_t sib = at + 2 < 7 ? b[at + 2] : 0;
    if (ModRmLength(modrm, sib) == len) return true;
  }
  return false;
}

UserFrames CleanUserStack(std::span<const uint64_t> raw, uint64_t leaf_ret,
                          std::span<const uint8_t, 7> leaf_code, const ProcessInfo& p) {
  UserFrames out;
  if (raw.empty()) return out;
  out.pcs.push_back(raw[0]);
  if (leaf_ret != 0 && leaf_ret != (raw.size() > 1 ? raw[1] : 0) && p.Find(leaf_ret) != nullptr &&
      EndsWithCall(leaf_code)) {
    out.pcs.push_back(leaf_ret);
    out.leaf_caller_recovered = true;
  }
  for (size_t i = 1; i < raw.size(); ++i) {
    if (p.Find(raw[i]) == nullptr) {
      out.truncated = true;
      break;
    }
    out.pcs.push_back(raw[i]);
  }
  return out;
}

}  // namespace hearth::agent
