#pragma once
// Drained kernel aggregates -> one symbolized pprof-shaped profile per process and kind:
//
//   RawSample {pid, tid, comm, kernel pcs, user pcs, leaf_ret, count | blocked ns}
//      │  user pcs cleaned (frames.h), kernel pcs first (leaf-most), return addresses - 1
//      ▼
//   ProfileBuilder per (pid, kind): mappings from the process's /proc snapshot,
//   "[kernel.kallsyms]" for kernel frames; sample labels thread_id, thread_name
//      │
//      ▼  SymbolizeProfile with the agent's long-lived LocalSymbolizer (caches per build id)
//   AgentProfile {labels (relabeled), profile}
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "agent/bpf_sampler.h"
#include "agent/frames.h"
#include "agent/process_info.h"
#include "agent/service_name.h"
#include "profile/profile.h"
#include "symbolize/symbolizer.h"

namespace hearth::agent {

struct AgentProfile {
  LabelSet labels;  // includes __name__ ("process_cpu" or "off_cpu")
  profile::Profile profile;
};

// How one process's stacks were unwound, cumulative.
struct UnwindStats {
  std::string method = "frame_pointer";  // or "dwarf" once switched
  uint64_t stacks = 0;           // aggregated stacks (distinct) seen
  uint64_t frames = 0;           // user frames kept, over those stacks
  uint64_t kernel_frames = 0;
  uint64_t leaf_callers_recovered = 0;
  uint64_t truncated = 0;        // walks cut because they left the process's code
};

struct AssembleOptions {
  int frequency_hz = 19;
  uint32_t offcpu_sample_pct = 0;
  int64_t time_ns = 0;      // start of the interval
  int64_t duration_ns = 0;  // its length
};

class Assembler {
 public:
  // `process` returns the snapshot for a pid (never null: unknown processes get a minimal
  // one); `labels` the relabeled labels of a process, or nullopt when relabeling drops it.
  using ProcessLookup = std::function<const ProcessInfo*(uint32_t pid)>;
  using LabelLookup = std::function<std::optional<LabelSet>(const ProcessInfo&)>;

  explicit Assembler(symbolize::Symbolizer* symbolizer) : symbolizer_(symbolizer) {}

  std::vector<AgentProfile> Assemble(const std::vector<RawSample>& samples,
                                     const AssembleOptions& options, const ProcessLookup& process,
                                     const LabelLookup& labels);

  void set_symbolizer(symbolize::Symbolizer* symbolizer) { symbolizer_ = symbolizer; }
  const absl::flat_hash_map<uint32_t, UnwindStats>& unwind_stats() const { return unwind_; }
  UnwindStats& unwind_stats(uint32_t pid) { return unwind_[pid]; }
  void Forget(uint32_t pid) { unwind_.erase(pid); }
  uint64_t symbolize_errors() const { return symbolize_errors_; }

 private:
  symbolize::Symbolizer* symbolizer_;
  absl::flat_hash_map<uint32_t, UnwindStats> unwind_;
  uint64_t symbolize_errors_ = 0;
};

}  // namespace hearth::agent
