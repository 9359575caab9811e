#pragma once
// User-space unwinding with DWARF CFI (.eh_frame / .debug_frame, elfutils libdwfl) for
// processes whose code has no frame pointers (Debian's libc, most distro binaries).
//
//   BPF: ip, sp, bp + the top HEARTH_STACK_COPY bytes of the stack from sp
//     ──► DwarfUnwinder::Unwind(process, sample)
//           Dwfl per process (modules = its executable mappings at their load bias; cached
//           until its mappings change)  ──► dwfl_getthread_frames with our callbacks:
//             set_initial_registers: rip, rsp, rbp (the rest unknown: CFI restores what
//                                    callers saved)
//             memory_read:           the stack copy only (reads outside it end the walk)
//     ──► pcs, innermost first, as the frame-pointer path reports them
//
// A walk ends where the copy ends, at an address in no module, or where CFI is missing.
#include <cstdint>
#include <list>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "agent/bpf_sampler.h"
#include "agent/process_info.h"

namespace hearth::agent {

class DwarfUnwinder {
 public:
  explicit DwarfUnwinder(std::string proc_root = "/proc", size_t max_processes = 32);
  ~DwarfUnwinder();
  DwarfUnwinder(const DwarfUnwinder&) = delete;
  DwarfUnwinder& operator=(const DwarfUnwinder&) = delete;

  // Frames innermost first (at least the sampled pc when it is a user address).
  std::vector<uint64_t> Unwind(const ProcessInfo& p, const hearth_stack_sample& s);
  void Forget(uint32_t pid);
  void Clear();

 private:
  struct Session;
  Session* SessionFor(const ProcessInfo& p);
  std::string proc_root_;
  size_t max_processes_;
  absl::flat_hash_map<uint32_t, std::unique_ptr<Session>> sessions_;
};

}  // namespace hearth::agent
