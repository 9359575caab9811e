#include "agent/agent.h"

#include <malloc.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "base/fmt.h"
#include "base/json_writer.h"
#include "agent/service_name.h"

namespace hearth::agent {
namespace {

constexpr size_t kMaxProcesses = 32768;
constexpr int kMaxLogsPerMinute = 20;
constexpr size_t kMaxPending = 65536;
constexpr size_t kMaxDwarfPids = 1024;
// A process is switched to DWARF unwinding when at least half of its first
// kDwarfMinStacks (or more) frame-pointer walks left its code.
constexpr uint64_t kDwarfMinStacks = 8;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Agent>> Agent::Open(AgentOptions options, Sink sink) {
  std::unique_ptr<Agent> a(new Agent());
  if (options.interval_ns < 1'000'000'000 / 10) {
    return absl::InvalidArgumentError("interval must be at least 100ms");
  }
  if (options.host.empty()) {
    char name[256] = {};
    gethostname(name, sizeof(name) - 1);
    options.host = name;
  }
  if (options.symbols.kallsyms_path.empty()) options.symbols.kallsyms_path = "/proc/kallsyms";
  // Open ELF files dominate the agent's memory; a host's hot binaries are few.
  options.symbols.max_open_files = std::min<size_t>(options.symbols.max_open_files, 8);
  // Names come from the binaries' own .symtab/.dynsym: separate debug files (libc6-dbg's
  // DWARF is tens of MiB) would keep the agent above its memory budget, and every budget
  // reset also drops the DWARF unwinding state of processes without frame pointers.
  options.symbols.files.debug_file_directories.clear();
  utsname u;
  if (uname(&u) == 0) a->kernel_release_ = u.release;
  a->options_ = std::move(options);
  a->sink_ = std::move(sink);
  a->reader_ = ProcessReader(a->options_.proc_root);
  a->symbolizer_ = std::make_unique<symbolize::LocalSymbolizer>(a->options_.symbols);
  a->assembler_ = std::make_unique<Assembler>(a->symbolizer_.get());
  Agent* self = a.get();
  a->dwarf_ = std::make_unique<DwarfUnwinder>(a->options_.proc_root);
  auto sampler = BpfSampler::Open(
      a->options_.sampler, [self](const hearth_event& e) { self->OnEvent(e); },
      [self](const hearth_stack_sample& s) { self->OnStackSample(s); });
  if (!sampler.ok()) return sampler.status();
  a->sampler_ = std::move(*sampler);
  return a;
}

Agent::~Agent() = default;

void Agent::Log(std::string_view message) {
  // At most kMaxLogsPerMinute lines a minute: a broken receiver must not flood the journal.
  int64_t now = NowNs();
  if (now - log_window_ns_ > 60'000'000'000) {
    if (log_count_ > kMaxLogsPerMinute) {
      std::string m = fmt::format("hearth agent: {} messages suppressed", log_count_ - kMaxLogsPerMinute);
      options_.log ? options_.log(m) : void(std::fprintf(stderr, "%s\n", m.c_str()));
    }
    log_window_ns_ = now;
    log_count_ = 0;
  }
  if (++log_count_ > kMaxLogsPerMinute) return;
  if (options_.log) {
    options_.log(message);
  } else {
    std::fprintf(stderr, "hearth agent: %.*s\n", static_cast<int>(message.size()), message.data());
  }
}

void Agent::OnEvent(const hearth_event& e) {
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.events;
  switch (e.type) {
    case HEARTH_EVENT_EXEC: {
      // The new image's libraries are not mapped yet: read it at its first sample
      // (NEW_PID; exec made the kernel forget the pid) or at the next drain.
      Entry& entry = processes_[e.pid];
      entry.info.pid = e.pid;
      entry.stale = true;
      entry.exited = false;
      break;
    }
    case HEARTH_EVENT_NEW_PID: {
      auto it = processes_.find(e.pid);
      // A task is still sampled for a moment after its exit event (the rest of do_exit),
      // which makes the kernel announce it again: there is nothing new to read.
      if (it != processes_.end() && it->second.exited) break;
      if (it != processes_.end() && !it->second.stale && !it->second.info.maps.empty()) {
        // Known already (e.g. a fork's copy of its parent): refresh the mappings only.
        (void)reader_.RefreshMaps(&it->second.info);
        break;
      }
      auto info = reader_.Read(e.pid);
      if (!info.ok()) {
        ++stats_.process_read_errors;
        break;
      }
      if (it == processes_.end() && processes_.size() >= kMaxProcesses) {
        for (auto i = processes_.begin(); i != processes_.end();) {
          if (i->second.exited) {
            processes_.erase(i++);
          } else {
            ++i;
          }
        }
        if (processes_.size() >= kMaxProcesses) break;
      }
      Entry& entry = processes_[e.pid];
      entry.info = std::move(*info);
      entry.stale = false;
      entry.exited = false;
      break;
    }
    case HEARTH_EVENT_FORK: {
      // The child shares the parent's image until it execs: copy the snapshot so a child
      // that exits before we read it is still symbolized.
      auto parent = processes_.find(e.ppid);
      if (parent == processes_.end() || processes_.size() >= kMaxProcesses) break;
      Entry child = parent->second;
      child.info.pid = e.pid;
      child.info.ppid = e.ppid;
      child.exited = false;
      processes_[e.pid] = std::move(child);
      break;
    }
    case HEARTH_EVENT_EXIT: {
      auto it = processes_.find(e.pid);
      if (it != processes_.end()) it->second.exited = true;
      if (dwarf_pids_.erase(e.pid) > 0) {
        (void)sampler_->SetDwarf(e.pid, false);
        dwarf_->Forget(e.pid);
      }
      break;
    }
    default:
      break;
  }
}

void Agent::OnStackSample(const hearth_stack_sample& s) {
  std::lock_guard<std::mutex> lock(mu_);
  const ProcessInfo* p = Lookup(s.pid);
  Entry& entry = processes_[s.pid];
  if (!entry.exited && p->Find(s.ip) == nullptr && s.ip < (uint64_t{1} << 47)) {
    (void)reader_.RefreshMaps(&entry.info);
  }
  // Unwound now, while the process (and its files) are surely there.
  std::vector<uint64_t> user = dwarf_->Unwind(*p, s);
  const size_t kframes = std::min<size_t>(s.kstack_bytes / 8, HEARTH_MAX_STACK_DEPTH);
  std::string key;
  key.append(reinterpret_cast<const char*>(&s.pid), 8);  // pid, tid
  key.append(s.comm, HEARTH_COMM_LEN);
  key.append(reinterpret_cast<const char*>(user.data()), user.size() * 8);
  key.push_back('|');
  key.append(reinterpret_cast<const char*>(s.kstack), kframes * 8);
  ++stats_.dwarf_stacks;
  auto it = pending_index_.find(key);
  if (it != pending_index_.end()) {
    pending_[it->second].value.count++;
    return;
  }
  if (pending_.size() >= kMaxPending) {
    ++stats_.dwarf_dropped;
    return;
  }
  RawSample r;
  std::memset(&r.key, 0, sizeof(r.key));
  std::memset(&r.value, 0, sizeof(r.value));
  r.key.pid = s.pid;
  r.key.tid = s.tid;
  r.key.kind = HEARTH_KIND_CPU;
  r.key.user_stack_id = HEARTH_DWARF_STACK_ID;
  r.key.kern_stack_id = -1;
  std::memcpy(r.key.comm, s.comm, HEARTH_COMM_LEN);
  r.value.count = 1;
  r.user = std::move(user);
  r.kernel.assign(s.kstack, s.kstack + kframes);
  pending_index_[key] = pending_.size();
  pending_.push_back(std::move(r));
}

void Agent::ChooseUnwinders() {
  if (!options_.dwarf_auto) return;
  for (auto& [pid, us] : assembler_->unwind_stats()) {
    if (us.method != "frame_pointer" || us.stacks < kDwarfMinStacks || us.truncated * 2 < us.stacks) {
      continue;
    }
    auto it = processes_.find(pid);
    if (it == processes_.end() || it->second.exited || dwarf_pids_.size() >= kMaxDwarfPids) continue;
    if (auto s = sampler_->SetDwarf(pid, true); !s.ok()) {
      Log(s.ToString());
      continue;
    }
    dwarf_pids_[pid] = true;
    assembler_->unwind_stats(pid).method = "dwarf";
  }
  stats_.dwarf_processes = dwarf_pids_.size();
}

void Agent::KeepMemoryBudget() {
  // Symbolizing a drain's worth of new binaries allocates and frees a lot; hand it back.
  malloc_trim(0);
  if (options_.memory_budget_bytes == 0) return;
  int64_t pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  if (static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) <=
      options_.memory_budget_bytes) {
    return;
  }
  // Over budget: drop the opened binaries (mapped files and their indexes). Results already
  // built hold their own strings, so nothing points into what is dropped.
  std::lock_guard<std::mutex> lock(mu_);
  symbolizer_ = std::make_unique<symbolize::LocalSymbolizer>(options_.symbols);
  assembler_->set_symbolizer(symbolizer_.get());
  dwarf_->Clear();
  ++stats_.cache_resets;
  malloc_trim(0);
}

const ProcessInfo* Agent::Lookup(uint32_t pid) {
  auto it = processes_.find(pid);
  if (it == processes_.end() || it->second.stale) {
    auto info = reader_.Read(pid);
    Entry e;
    if (info.ok()) {
      e.info = std::move(*info);
    } else {
      e.info.pid = pid;
      e.exited = true;
      ++stats_.process_read_errors;
    }
    it = processes_.insert_or_assign(pid, std::move(e)).first;
  }
  return &it->second.info;
}

absl::Status Agent::DrainOnce(int64_t start_ns, int64_t end_ns) {
  // Processes that exited before the flip have all their samples in the buffer drained
  // now; they are forgotten after it. Later exits wait for the next drain.
  std::vector<uint32_t> exited;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [pid, e] : processes_) {
      if (e.exited) exited.push_back(pid);
    }
  }
  auto samples = sampler_->Drain();
  if (!samples.ok()) return samples.status();
  std::vector<AgentProfile> profiles;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (RawSample& r : pending_) samples->push_back(std::move(r));
    pending_.clear();
    pending_index_.clear();
    // Re-read the mappings of live processes with user addresses outside the ones known
    // (libraries loaded since), once per process; fill in the comm of processes we never
    // managed to read.
    absl::flat_hash_map<uint32_t, bool> refreshed;
    for (const RawSample& s : *samples) {
      const ProcessInfo* p = Lookup(s.key.pid);
      Entry& entry = processes_[s.key.pid];
      if (p->comm.empty()) {
        entry.info.comm.assign(s.key.comm, strnlen(s.key.comm, sizeof(s.key.comm)));
      }
      if (entry.exited || refreshed.contains(s.key.pid)) continue;
      // The leaf is always a real address (deeper frames of a walk through code without
      // frame pointers may be junk and prove nothing).
      if (!s.user.empty() && p->Find(s.user[0]) == nullptr) {
        refreshed[s.key.pid] = true;
        (void)reader_.RefreshMaps(&entry.info);
      }
    }
    AssembleOptions ao;
    ao.frequency_hz = options_.sampler.frequency_hz;
    ao.offcpu_sample_pct = options_.sampler.offcpu_sample_pct;
    ao.time_ns = start_ns;
    ao.duration_ns = end_ns - start_ns;
    auto lookup = [this](uint32_t pid) { return Lookup(pid); };
    auto labels = [this](const ProcessInfo& p) -> std::optional<LabelSet> {
      LabelSet l = ProcessLabels(p, options_.host, kernel_release_);
      for (const auto& [k, v] : options_.external_labels) l.emplace_back(k, v);
      return FinalLabels(std::move(l), options_.relabel_configs);
    };
    profiles = assembler_->Assemble(*samples, ao, lookup, labels);
    stats_.drains++;
    stats_.profiles += profiles.size();
    stats_.symbolize_errors = assembler_->symbolize_errors();
    uint64_t truncated = 0, recovered = 0;
    for (const auto& [pid, us] : assembler_->unwind_stats()) {
      truncated += us.truncated;
      recovered += us.leaf_callers_recovered;
    }
    stats_.unwind_truncated = truncated;
    stats_.leaf_callers_recovered = recovered;
    for (uint32_t pid : exited) {
      auto it = processes_.find(pid);
      if (it != processes_.end() && it->second.exited) {
        processes_.erase(it);
      }
    }
    ChooseUnwinders();
    stats_.processes = processes_.size();
  }
  KeepMemoryBudget();
  if (!profiles.empty() && sink_) sink_(std::move(profiles));
  return absl::OkStatus();
}

absl::Status Agent::Run(const std::atomic<bool>* stop) {
  int64_t start = NowNs();
  auto next = std::chrono::steady_clock::now() + std::chrono::nanoseconds(options_.interval_ns);
  while (!stop->load()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= next) {
      // What the rings hold belongs to this interval (stack copies for DWARF unwinding,
      // process events): take it first.
      if (auto s = sampler_->PollEvents(0); !s.ok()) Log(s.ToString());
      int64_t end = NowNs();
      if (auto s = DrainOnce(start, end); !s.ok()) Log(s.ToString());
      start = end;
      next += std::chrono::nanoseconds(options_.interval_ns);
      // A drain that took longer than the interval (an overloaded machine) must not start
      // the next one at once: back to back, the rings would never be read and would fill.
      now = std::chrono::steady_clock::now();
      if (next <= now) next = now + std::chrono::nanoseconds(options_.interval_ns);
    }
    int wait_ms = static_cast<int>(
        std::min<int64_t>(100, std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count() + 1));
    if (auto s = sampler_->PollEvents(wait_ms); !s.ok()) Log(s.ToString());
  }
  (void)sampler_->PollEvents(0);
  return DrainOnce(start, NowNs());
}

AgentStats Agent::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  AgentStats s = stats_;
  s.kernel = sampler_->stats();
  return s;
}

std::string Agent::ProcessesJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  for (const auto& [pid, us] : assembler_->unwind_stats()) {
    auto it = processes_.find(pid);
    w.BeginObject();
    w.Key("pid").Uint(pid);
    w.Key("comm").String(it == processes_.end() ? "" : it->second.info.comm);
    w.Key("service_name").String(it == processes_.end() ? "" : DefaultServiceName(it->second.info));
    w.Key("unwind_method").String(us.method);
    w.Key("stacks").Uint(us.stacks);
    w.Key("user_frames").Uint(us.frames);
    w.Key("kernel_frames").Uint(us.kernel_frames);
    w.Key("leaf_callers_recovered").Uint(us.leaf_callers_recovered);
    w.Key("truncated").Uint(us.truncated);
    w.EndObject();
  }
  w.EndArray();
  out += "\n";
  return out;
}

}  // namespace hearth::agent
