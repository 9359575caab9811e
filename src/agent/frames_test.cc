#include "agent/frames.h"

#include <cstring>
#include <map>

#include "gtest/gtest.h"

namespace hearth::agent {
namespace {

bool Call(std::initializer_list<uint8_t> tail) {
  uint8_t b[7] = {0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90};
  std::memcpy(b + 7 - tail.size(), tail.begin(), tail.size());
  return EndsWithCall(std::span<const uint8_t, 7>(b, 7));
}

TEST(EndsWithCall, Encodings) {
  EXPECT_TRUE(Call({0xE8, 1, 2, 3, 4}));                 // call rel32
  EXPECT_TRUE(Call({0xFF, 0xD0}));                       // call *%rax
  EXPECT_TRUE(Call({0x41, 0xFF, 0xD3}));                 // call *%r11
  EXPECT_TRUE(Call({0xFF, 0x15, 1, 2, 3, 4}));           // call *disp32(%rip)
  EXPECT_TRUE(Call({0xFF, 0x50, 0x08}));                 // call *8(%rax)
  EXPECT_TRUE(Call({0xFF, 0x14, 0x24}));                 // call *(%rsp): SIB, no disp
  EXPECT_TRUE(Call({0xFF, 0x94, 0x24, 1, 2, 3, 4}));     // call *disp32(%rsp)
  EXPECT_FALSE(Call({0x90}));
  EXPECT_FALSE(Call({0xFF, 0xE0}));                      // jmp *%rax (/4)
  EXPECT_FALSE(Call({0xFF, 0x50}));                      // length mismatch: disp8 missing
}

// A fake process: code at [0x1000, 0x3000) where 0x2005 follows `call rel32` and 0x2105
// follows plain bytes.
struct Fake {
  ProcessInfo p;
  std::map<uint64_t, uint8_t> code;
  Fake() {
    p.maps.push_back({0x1000, 0x3000, 0, 1, "/bin/x", ""});
    for (uint64_t a = 0x1000; a < 0x3000; ++a) code[a] = 0x90;
    code[0x2000] = 0xE8;
  }
  CodeReader reader() {
    return [this](const ProcessInfo&, uint64_t addr, uint8_t* out, size_t n) {
      for (size_t i = 0; i < n; ++i) {
        auto it = code.find(addr + i);
        if (it == code.end()) return false;
        out[i] = it->second;
      }
      return true;
    };
  }
};

TEST(CleanUserStack, RecoversTheLeafCaller) {
  Fake f;
  const uint64_t raw[] = {0x1100, 0x2500};
  UserFrames u = CleanUserStack(raw, 0x2005, f.p, f.reader());
  EXPECT_TRUE(u.leaf_caller_recovered);
  EXPECT_EQ(u.pcs, (std::vector<uint64_t>{0x1100, 0x2005, 0x2500}));
}

TEST(CleanUserStack, RejectsNonReturnAddresses) {
  Fake f;
  const uint64_t raw[] = {0x1100, 0x2500};
  // Not after a call instruction.
  EXPECT_FALSE(CleanUserStack(raw, 0x2105, f.p, f.reader()).leaf_caller_recovered);
  // A stack address (saved %rbp of a frame-owning leaf): not code.
  EXPECT_FALSE(CleanUserStack(raw, 0x7ffc0000, f.p, f.reader()).leaf_caller_recovered);
  // Already the next frame (the leaf had a frame after all).
  const uint64_t raw2[] = {0x1100, 0x2005};
  UserFrames u = CleanUserStack(raw2, 0x2005, f.p, f.reader());
  EXPECT_FALSE(u.leaf_caller_recovered);
  EXPECT_EQ(u.pcs.size(), 2u);
}

TEST(CleanUserStack, CutsWalksThatLeaveTheCode) {
  Fake f;
  const uint64_t raw[] = {0x1100, 0x2500, 0xdeadbeef, 0x1200};
  UserFrames u = CleanUserStack(raw, 0, f.p, f.reader());
  EXPECT_TRUE(u.truncated);
  EXPECT_EQ(u.pcs, (std::vector<uint64_t>{0x1100, 0x2500}));
}

}  // namespace
}  // namespace hearth::agent
