#include "agent/dwarf_unwinder.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "agent/process_info.h"
#include "gtest/gtest.h"

namespace hearth::agent {
namespace {

// Captures this thread's registers and the top of its stack the way the BPF program does,
// three frames down: Outer -> Middle -> Capture.
uint64_t g_ret_into_middle = 0;
uint64_t g_ret_into_outer = 0;

// The stack copy reads above sp into live frames (and ASan redzones): byte by byte,
// uninstrumented.
__attribute__((no_sanitize_address, noinline)) void CopyStack(uint8_t* out, const uint8_t* from,
                                                              size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<const volatile uint8_t*>(from)[i];
}

__attribute__((noinline)) void Capture(hearth_stack_sample* s, size_t stack_bytes) {
  uint64_t ip, sp, bp;
  asm volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2" : "=r"(ip), "=r"(sp), "=r"(bp));
  s->ip = ip;
  s->sp = sp;
  s->bp = bp;
  s->stack_bytes = static_cast<uint32_t>(stack_bytes);
  CopyStack(s->stack, reinterpret_cast<const uint8_t*>(sp), stack_bytes);
  g_ret_into_middle = reinterpret_cast<uint64_t>(__builtin_return_address(0));
}

__attribute__((noinline)) void Middle(hearth_stack_sample* s, size_t n) {
  Capture(s, n);
  g_ret_into_outer = reinterpret_cast<uint64_t>(__builtin_return_address(0));
  asm volatile("" ::: "memory");  // not a tail call
}

__attribute__((noinline)) void Outer(hearth_stack_sample* s, size_t n) {
  Middle(s, n);
  asm volatile("" ::: "memory");
}

// How much stack there is above `sp` (the [stack] mapping's end).
size_t StackAbove(uint64_t sp) {
  FILE* f = std::fopen("/proc/self/maps", "r");
  char line[512];
  while (f && std::fgets(line, sizeof(line), f)) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line, "%lx-%lx", &lo, &hi) == 2 && sp >= lo && sp < hi) {
      std::fclose(f);
      return hi - sp;
    }
  }
  if (f) std::fclose(f);
  return 0;
}

TEST(DwarfUnwinder, UnwindsACopiedStackWithCfi) {
  auto s = std::make_unique<hearth_stack_sample>();
  std::memset(s.get(), 0, sizeof(*s));
  s->pid = static_cast<uint32_t>(getpid());
  s->tid = static_cast<uint32_t>(gettid());
  uint64_t here;
  asm volatile("mov %%rsp, %0" : "=r"(here));
  const size_t n = std::min<size_t>(HEARTH_STACK_COPY, StackAbove(here) - 4096);
  Outer(s.get(), n);

  ProcessReader reader;
  auto p = reader.Read(s->pid);
  ASSERT_TRUE(p.ok()) << p.status();
  DwarfUnwinder unwinder;
  std::vector<uint64_t> pcs = unwinder.Unwind(*p, *s);
  ASSERT_GE(pcs.size(), 3u);
  EXPECT_EQ(pcs[0], s->ip);
  EXPECT_EQ(pcs[1], g_ret_into_middle);
  EXPECT_EQ(pcs[2], g_ret_into_outer);
}

TEST(DwarfUnwinder, StopsWhereTheCopyEnds) {
  auto s = std::make_unique<hearth_stack_sample>();
  std::memset(s.get(), 0, sizeof(*s));
  s->pid = static_cast<uint32_t>(getpid());
  s->tid = static_cast<uint32_t>(gettid());
  Outer(s.get(), 8);
  s->stack_bytes = 0;  // nothing readable: only the sampled pc, maybe one CFI step
  ProcessReader reader;
  auto p = reader.Read(s->pid);
  ASSERT_TRUE(p.ok());
  DwarfUnwinder unwinder;
  std::vector<uint64_t> pcs = unwinder.Unwind(*p, *s);
  ASSERT_FALSE(pcs.empty());
  EXPECT_EQ(pcs[0], s->ip);
  EXPECT_LE(pcs.size(), 2u);
}

TEST(DwarfUnwinder, KernelAddressesGiveNothing) {
  auto s = std::make_unique<hearth_stack_sample>();
  std::memset(s.get(), 0, sizeof(*s));
  s->pid = static_cast<uint32_t>(getpid());
  s->ip = 0xffffffff81000000ull;
  ProcessInfo p;
  p.pid = s->pid;
  DwarfUnwinder unwinder;
  EXPECT_TRUE(unwinder.Unwind(p, *s).empty());
}

}  // namespace
}  // namespace hearth::agent
