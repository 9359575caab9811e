#pragma once
// The kernel half of the agent, from user space: loads the CO-RE program (bpf/profiler.bpf.c
// through its bpftool skeleton), opens one cpu-clock perf event per online CPU with the
// program attached, attaches the exec/exit/fork (and optionally sched_switch) BTF
// tracepoints, and drains what the kernel aggregated.
//
// Draining never races with the program writing (double buffering, see bpf/profiler.h):
//
//   active = 0 ── program writes counts0/stacks0
//   Drain(): active = 1 ── program writes counts1/stacks1
//            wait for programs that read `active` before the flip to finish (a BPF program
//            runs to completion in microseconds; we wait kFlipGraceMs)
//            read + delete every counts0 entry, resolve its stack ids in stacks0, clear
//            stacks0.          next Drain() flips back to 0 and drains 1.
//
// Everything (skeleton, links, perf fds, ring buffer) is released by the destructor, so
// returning from main or an exception-free early exit detaches cleanly.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <linux/types.h>

#include "absl/status/statusor.h"
#include "agent/bpf/profiler.h"

struct hearth_profiler;  // the skeleton (profiler.skel.h)
struct ring_buffer;
struct bpf_link;

namespace hearth::agent {

struct SamplerOptions {
  int frequency_hz = 19;
  // Off-CPU: percentage (1..100) of blocking switches timed; 0 = off.
  uint32_t offcpu_sample_pct = 0;
  uint64_t offcpu_min_ns = 1'000'000;
  uint32_t self_pid = 0;  // never sampled; 0 = getpid()
};

// One aggregated bucket with its stacks resolved: addresses, innermost first.
struct RawSample {
  hearth_agg_key key;
  hearth_agg_value value;
  std::vector<uint64_t> user;    // empty if unavailable
  std::vector<uint64_t> kernel;  // empty if unavailable
};

struct SamplerStats {
  uint64_t samples = 0;
  uint64_t lost_counts = 0;
  uint64_t lost_kernel_stacks = 0;
  uint64_t lost_user_stacks = 0;
  uint64_t lost_events = 0;
  uint64_t offcpu_intervals = 0;
  uint64_t stack_samples = 0;
  uint64_t lost_stack_samples = 0;
};

class BpfSampler {
 public:
  using EventCallback = std::function<void(const hearth_event&)>;
  using StackSampleCallback = std::function<void(const hearth_stack_sample&)>;

  // Fails with a message a user can act on: PermissionDenied when not root,
  // FailedPrecondition when the kernel lacks BTF or the program does not load.
  static absl::StatusOr<std::unique_ptr<BpfSampler>> Open(const SamplerOptions& options,
                                                          EventCallback on_event,
                                                          StackSampleCallback on_stack_sample = {});
  ~BpfSampler();
  BpfSampler(const BpfSampler&) = delete;
  BpfSampler& operator=(const BpfSampler&) = delete;

  // Switches a process to sending stack copies (DWARF unwinding) or back to frame pointers.
  absl::Status SetDwarf(uint32_t pid, bool on);
  // Delivers pending process events and stack samples to the callbacks; waits up to
  // timeout_ms for one.
  absl::Status PollEvents(int timeout_ms);
  // Flips buffers and returns everything aggregated since the previous Drain.
  absl::StatusOr<std::vector<RawSample>> Drain();
  // Totals since Open, summed over CPUs.
  SamplerStats stats() const;
  int num_cpus() const { return static_cast<int>(perf_fds_.size()); }

 private:
  BpfSampler() = default;
  absl::Status Load(const SamplerOptions& options);
  absl::Status AttachPerfEvents(int frequency_hz);

  hearth_profiler* skel_ = nullptr;
  ring_buffer* ring_ = nullptr;
  std::vector<int> perf_fds_;
  std::vector<::bpf_link*> links_;
  EventCallback on_event_;
  StackSampleCallback on_stack_sample_;
  uint32_t active_ = 0;
};

// Why this machine cannot run the agent, or OK: root, BTF, perf events.
absl::Status CheckPrerequisites();

}  // namespace hearth::agent
