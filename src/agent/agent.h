#pragma once
// The agent's loop: process events as they come, and every interval drain the kernel
// aggregates, assemble per-process profiles and hand them to the sink (the exporter, wired
// in src/cli: this library does not know where profiles go).
//
//   ┌────────── Run() ─────────────────────────────────────────────────────────┐
//   │ until stop: PollEvents(≤100 ms)  NEW_PID / EXEC → read /proc/<pid> now     │
//   │                                  FORK → child starts as a copy of parent   │
//   │                                  EXIT → kept until its samples are drained │
//   │             every interval: Drain → Assemble (symbolize) → sink(profiles)  │
//   └──────────────────────────────────────────────────────────────────────────┘
//
// Memory is bounded: at most kMaxProcesses snapshots (exited ones are evicted first), the
// kernel maps have fixed sizes, the symbolizer's caches are LRUs.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "agent/assembler.h"
#include "agent/bpf_sampler.h"
#include "agent/dwarf_unwinder.h"
#include "agent/process_info.h"
#include "agent/service_name.h"
#include "base/relabel.h"
#include "symbolize/local_symbolizer.h"

namespace hearth::agent {

struct AgentOptions {
  SamplerOptions sampler;
  int64_t interval_ns = 10'000'000'000;
  std::string host;                  // the node label; "" = hostname
  std::string proc_root = "/proc";
  LabelSet external_labels;          // added to every profile before relabeling
  std::vector<RelabelRule> relabel_configs;   // applied to every process's labels
  symbolize::LocalSymbolizerOptions symbols;   // kallsyms_path defaults to /proc/kallsyms
  // Switch processes whose frame-pointer walks mostly break (code without frame pointers)
  // to DWARF CFI unwinding of stack copies.
  bool dwarf_auto = true;
  // When the agent's resident memory is above this after a drain, the symbol and unwind
  // caches are dropped (the binaries they map are most of it); 0 = never.
  uint64_t memory_budget_bytes = 40ull << 20;
  // One line per message (rate-limited by the agent); default stderr.
  std::function<void(std::string_view)> log;
};

struct AgentStats {
  SamplerStats kernel;
  uint64_t drains = 0;
  uint64_t profiles = 0;
  uint64_t processes = 0;         // snapshots held
  uint64_t process_read_errors = 0;
  uint64_t unwind_truncated = 0;  // stacks whose walk left the process's code
  uint64_t leaf_callers_recovered = 0;
  uint64_t symbolize_errors = 0;
  uint64_t events = 0;
  uint64_t dwarf_processes = 0;      // processes switched to DWARF unwinding
  uint64_t dwarf_stacks = 0;         // stack copies unwound
  uint64_t dwarf_dropped = 0;        // stack copies dropped (pending table full)
  uint64_t cache_resets = 0;         // symbol caches dropped to stay in the memory budget
};

class Agent {
 public:
  using Sink = std::function<void(std::vector<AgentProfile>)>;

  static absl::StatusOr<std::unique_ptr<Agent>> Open(AgentOptions options, Sink sink);
  ~Agent();

  // Runs until *stop is true (checked at least every 100 ms), then drains once more.
  absl::Status Run(const std::atomic<bool>* stop);
  AgentStats stats() const;
  // Per process: pid, comm, service_name, unwinding method and frames, as JSON lines.
  std::string ProcessesJson() const;

 private:
  Agent() = default;
  void OnEvent(const hearth_event& e);
  void OnStackSample(const hearth_stack_sample& s);
  void ChooseUnwinders();
  void KeepMemoryBudget();
  const ProcessInfo* Lookup(uint32_t pid);
  absl::Status DrainOnce(int64_t start_ns, int64_t end_ns);
  void Log(std::string_view message);

  struct Entry {
    ProcessInfo info;
    bool exited = false;
    bool stale = false;  // exec'd: re-read at next chance
  };

  AgentOptions options_;
  Sink sink_;
  std::string kernel_release_;
  std::unique_ptr<symbolize::LocalSymbolizer> symbolizer_;
  std::unique_ptr<Assembler> assembler_;
  ProcessReader reader_;
  std::unique_ptr<BpfSampler> sampler_;
  std::unique_ptr<DwarfUnwinder> dwarf_;

  mutable std::mutex mu_;  // guards processes_, stats_, assembler_'s unwind stats
  // Node-based: Lookup hands out pointers that must survive later inserts.
  absl::node_hash_map<uint32_t, Entry> processes_;
  AgentStats stats_;
  // DWARF-unwound samples since the last drain, aggregated: key bytes -> index.
  std::vector<RawSample> pending_;
  absl::flat_hash_map<std::string, size_t> pending_index_;
  absl::flat_hash_map<uint32_t, bool> dwarf_pids_;
  int64_t log_window_ns_ = 0;
  int log_count_ = 0;
};

}  // namespace hearth::agent
