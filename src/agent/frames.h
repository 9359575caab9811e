#pragma once
// From the raw user stack the kernel walked (frame pointers) to the frames we report.
//
// 1. Validation: a frame-pointer walk through code built without frame pointers follows
//    whatever is in %rbp and returns junk. The walk is cut at the first address that is
//    in no executable mapping of the process (the leaf itself is always kept).
// 2. Leaf-caller recovery: a leaf function that never sets up a frame (compiled without
//    frame pointers, or -momit-leaf-frame-pointer, or sampled before its `push %rbp`)
//    leaves %rbp pointing at its caller's frame, so the walk skips the caller:
//
//        stack (grows down)       walk from %rbp sees:  leaf pc, caller's caller, ...
//        [sp]   ret → caller      <- read by BPF as leaf_ret, with the 7 bytes before it
//        ...    caller's frame
//
//    The 8 bytes at %sp are the return address into the caller exactly when the leaf has
//    pushed nothing. We accept them as the caller's frame when (a) they lie in an
//    executable mapping, (b) the bytes before them decode as a call instruction (E8 rel32
//    or FF /2 in any addressing form), and (c) they are not already the next frame.
//    A frame-owning leaf has its saved %rbp (a stack address) at [sp], which fails (a).
#include <cstdint>
#include <span>
#include <vector>

#include "agent/process_info.h"

namespace hearth::agent {

// Whether the bytes just before a return address (`before` = the 7 bytes preceding it,
// oldest first) end with an x86-64 call instruction.
bool EndsWithCall(std::span<const uint8_t, 7> before);

struct UserFrames {
  std::vector<uint64_t> pcs;        // innermost first, as sampled (return addresses as is)
  bool leaf_caller_recovered = false;
  bool truncated = false;           // the walk went out of the process's code
};

// `leaf_code`: the 7 bytes of code before leaf_ret, as read at sample time.
UserFrames CleanUserStack(std::span<const uint64_t> raw, uint64_t leaf_ret,
                          std::span<const uint8_t, 7> leaf_code, const ProcessInfo& p);

}  // namespace hearth::agent
