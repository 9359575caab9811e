#include "agent/frames.h"

#include <cstring>

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

// A fake process with code at [0x1000, 0x3000), and code bytes a sample might carry.
ProcessInfo Process() {
  ProcessInfo p;
  p.maps.push_back({0x1000, 0x3000, 0, 1, "/bin/x", ""});
  return p;
}
constexpr uint8_t kAfterCall[7] = {0x90, 0x90, 0xE8, 1, 2, 3, 4};  // ends with call rel32
constexpr uint8_t kPlain[7] = {0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90};

TEST(CleanUserStack, RecoversTheLeafCaller) {
  const uint64_t raw[] = {0x1100, 0x2500};
  UserFrames u = CleanUserStack(raw, 0x2005, kAfterCall, Process());
  EXPECT_TRUE(u.leaf_caller_recovered);
  EXPECT_EQ(u.pcs, (std::vector<uint64_t>{0x1100, 0x2005, 0x2500}));
}

TEST(CleanUserStack, RejectsNonReturnAddresses) {
  const ProcessInfo p = Process();
  const uint64_t raw[] = {0x1100, 0x2500};
  // Not after a call instruction.
  EXPECT_FALSE(CleanUserStack(raw, 0x2105, kPlain, p).leaf_caller_recovered);
  // A stack address (saved %rbp of a frame-owning leaf): not code, whatever precedes it.
  EXPECT_FALSE(CleanUserStack(raw, 0x7ffc0000, kAfterCall, p).leaf_caller_recovered);
  // Already the next frame (the leaf had a frame after all).
  const uint64_t raw2[] = {0x1100, 0x2005};
  UserFrames u = CleanUserStack(raw2, 0x2005, kAfterCall, p);
  EXPECT_FALSE(u.leaf_caller_recovered);
  EXPECT_EQ(u.pcs.size(), 2u);
}

TEST(CleanUserStack, CutsWalksThatLeaveTheCode) {
  const uint64_t raw[] = {0x1100, 0x2500, 0xdeadbeef, 0x1200};
  UserFrames u = CleanUserStack(raw, 0, kPlain, Process());
  EXPECT_TRUE(u.truncated);
  EXPECT_EQ(u.pcs, (std::vector<uint64_t>{0x1100, 0x2500}));
}

}  // namespace
}  // namespace hearth::agent
