#include "agent/bpf_sampler.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "base/fmt.h"
#include "profiler.skel.h"

namespace hearth::agent {
namespace {

// How long a program that read `active` just before the flip may still be writing to the
// old buffer. A perf_event program runs for microseconds with preemption disabled.
constexpr int kFlipGraceMs = 5;

std::string Errno(int err) { return std::strerror(err < 0 ? -err : err); }

int LibbpfQuiet(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_WARN) return vfprintf(stderr, format, args);
  return 0;
}

int OnRingEvent(void* ctx, void* data, size_t size) {
  if (size < sizeof(hearth_event)) return 0;
  hearth_event e;
  std::memcpy(&e, data, sizeof(e));
  auto* cb = static_cast<BpfSampler::EventCallback*>(ctx);
  if (*cb) (*cb)(e);
  return 0;
}

int OnStackSample(void* ctx, void* data, size_t size) {
  if (size < sizeof(hearth_stack_sample)) return 0;
  auto* cb = static_cast<BpfSampler::StackSampleCallback*>(ctx);
  // Used in place: the record stays valid until this callback returns.
  if (*cb) (*cb)(*static_cast<const hearth_stack_sample*>(data));
  return 0;
}

}  // namespace

absl::Status CheckPrerequisites() {
  if (geteuid() != 0) {
    return absl::PermissionDeniedError(
        "hearth agent must run as root (it loads BPF programs and opens system-wide perf "
        "events); try: sudo hearth agent ...");
  }
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    return absl::FailedPreconditionError(
        "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): hearth agent needs a "
        "kernel built with CONFIG_DEBUG_INFO_BTF=y (5.8 or newer)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<BpfSampler>> BpfSampler::Open(const SamplerOptions& options,
                                                             EventCallback on_event,
                                                             StackSampleCallback on_stack_sample) {
  if (auto s = CheckPrerequisites(); !s.ok()) return s;
  if (options.frequency_hz < 1 || options.frequency_hz > 1000) {
    return absl::InvalidArgumentError(
        fmt::format("frequency {} Hz is out of range 1..1000", options.frequency_hz));
  }
  if (options.offcpu_sample_pct > 100) {
    return absl::InvalidArgumentError("off-CPU sample percentage must be 0..100");
  }
  std::unique_ptr<BpfSampler> s(new BpfSampler());
  s->on_event_ = std::move(on_event);
  s->on_stack_sample_ = std::move(on_stack_sample);
  if (auto st = s->Load(options); !st.ok()) return st;
  if (auto st = s->AttachPerfEvents(options.frequency_hz); !st.ok()) return st;
  return s;
}

absl::Status BpfSampler::Load(const SamplerOptions& options) {
  libbpf_set_print(LibbpfQuiet);
  skel_ = hearth_profiler__open();
  if (!skel_) {
    return absl::FailedPreconditionError(
        fmt::format("cannot open the BPF program: {}", Errno(errno)));
  }
  skel_->rodata->self_pid = options.self_pid ? options.self_pid : getpid();
  skel_->rodata->offcpu_sample_pct = options.offcpu_sample_pct;
  skel_->rodata->offcpu_min_ns = options.offcpu_min_ns;
  if (options.offcpu_sample_pct == 0) {
    bpf_program__set_autoload(skel_->progs.hearth_switch, false);
  }
  if (int err = hearth_profiler__load(skel_); err != 0) {
    return absl::FailedPreconditionError(fmt::format(
        "the kernel refused the BPF program ({}); hearth agent needs BTF, BPF ring buffers, "
        "tp_btf tracepoints and perf_event programs (Linux 5.8+)",
        Errno(err)));
  }
  if (int err = hearth_profiler__attach(skel_); err != 0) {
    return absl::FailedPreconditionError(
        fmt::format("cannot attach the exec/exit/sched tracepoints: {}", Errno(err)));
  }
  ring_ = ring_buffer__new(bpf_map__fd(skel_->maps.events), OnRingEvent, &on_event_, nullptr);
  if (!ring_ || ring_buffer__add(ring_, bpf_map__fd(skel_->maps.stack_samples), OnStackSample,
                                 &on_stack_sample_) != 0) {
    return absl::FailedPreconditionError(
        fmt::format("cannot open the BPF ring buffers: {}", Errno(errno)));
  }
  return absl::OkStatus();
}

absl::Status BpfSampler::AttachPerfEvents(int frequency_hz) {
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return absl::InternalError("cannot count CPUs");
  for (int cpu = 0; cpu < ncpu; ++cpu) {
    perf_event_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.freq = 1;
    attr.sample_freq = frequency_hz;
    int fd = static_cast<int>(syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
    if (fd < 0) {
      if (errno == ENODEV) continue;  // possible but offline CPU
      return absl::FailedPreconditionError(
          fmt::format("perf_event_open(cpu-clock, cpu {}): {}", cpu, Errno(errno)));
    }
    perf_fds_.push_back(fd);
    bpf_link* link = bpf_program__attach_perf_event(skel_->progs.hearth_sample, fd);
    if (!link) {
      return absl::FailedPreconditionError(
          fmt::format("cannot attach the sampler to cpu {}: {}", cpu, Errno(errno)));
    }
    links_.push_back(link);
  }
  if (perf_fds_.empty()) return absl::FailedPreconditionError("no online CPU to sample");
  return absl::OkStatus();
}

BpfSampler::~BpfSampler() {
  for (bpf_link* l : links_) bpf_link__destroy(l);
  for (int fd : perf_fds_) close(fd);
  if (ring_) ring_buffer__free(ring_);
  if (skel_) hearth_profiler__destroy(skel_);
}

absl::Status BpfSampler::SetDwarf(uint32_t pid, bool on) {
  int fd = bpf_map__fd(skel_->maps.dwarf_pids);
  uint8_t one = 1;
  int err = on ? bpf_map_update_elem(fd, &pid, &one, BPF_ANY) : bpf_map_delete_elem(fd, &pid);
  if (err != 0 && !(errno == ENOENT && !on)) {
    return absl::ResourceExhaustedError(
        fmt::format("cannot switch process {} to DWARF unwinding: {}", pid, Errno(errno)));
  }
  return absl::OkStatus();
}

absl::Status BpfSampler::PollEvents(int timeout_ms) {
  int n = ring_buffer__poll(ring_, timeout_ms);
  if (n < 0 && n != -EINTR) {
    return absl::InternalError(fmt::format("ring buffer poll: {}", Errno(n)));
  }
  return absl::OkStatus();
}

namespace {

// Reads a stack-map entry: the addresses up to the first zero.
std::vector<uint64_t> ReadStack(int map_fd, int32_t id) {
  std::vector<uint64_t> out;
  if (id < 0) return out;
  uint64_t ips[HEARTH_MAX_STACK_DEPTH] = {};
  uint32_t key = static_cast<uint32_t>(id);
  if (bpf_map_lookup_elem(map_fd, &key, ips) != 0) return out;
  for (uint64_t ip : ips) {
    if (ip == 0) break;
    out.push_back(ip);
  }
  return out;
}

void ClearMap(int map_fd, size_t key_size) {
  // Collect first, then delete: deleting while iterating restarts the walk.
  std::vector<char> keys;
  std::vector<char> next(key_size);
  const void* prev = nullptr;
  while (bpf_map_get_next_key(map_fd, prev, next.data()) == 0) {
    keys.insert(keys.end(), next.begin(), next.end());
    prev = keys.data() + keys.size() - key_size;
  }
  for (size_t off = 0; off < keys.size(); off += key_size) {
    bpf_map_delete_elem(map_fd, keys.data() + off);
  }
}

}  // namespace

absl::StatusOr<std::vector<RawSample>> BpfSampler::Drain() {
  uint32_t draining = active_;
  active_ ^= 1;
  skel_->bss->active = active_;
  std::this_thread::sleep_for(std::chrono::milliseconds(kFlipGraceMs));

  int counts_fd = bpf_map__fd(draining ? skel_->maps.counts1 : skel_->maps.counts0);
  int stacks_fd = bpf_map__fd(draining ? skel_->maps.stacks1 : skel_->maps.stacks0);
  std::vector<RawSample> out;
  hearth_agg_key key, next;
  bool first = true;
  while (bpf_map_get_next_key(counts_fd, first ? nullptr : &key, &next) == 0) {
    first = false;
    key = next;
    RawSample s;
    s.key = key;
    if (bpf_map_lookup_elem(counts_fd, &key, &s.value) != 0) continue;
    out.push_back(std::move(s));
  }
  for (RawSample& s : out) {
    s.user = ReadStack(stacks_fd, s.key.user_stack_id);
    s.kernel = ReadStack(stacks_fd, s.key.kern_stack_id);
  }
  ClearMap(counts_fd, sizeof(hearth_agg_key));
  ClearMap(stacks_fd, sizeof(uint32_t));
  return out;
}

SamplerStats BpfSampler::stats() const {
  SamplerStats st;
  int ncpu = libbpf_num_possible_cpus();
  int fd = bpf_map__fd(skel_->maps.stats);
  std::vector<uint64_t> per_cpu(ncpu > 0 ? ncpu : 1);
  auto sum = [&](uint32_t index) {
    uint64_t total = 0;
    if (bpf_map_lookup_elem(fd, &index, per_cpu.data()) == 0) {
      for (uint64_t v : per_cpu) total += v;
    }
    return total;
  };
  st.samples = sum(HEARTH_STAT_SAMPLES);
  st.lost_counts = sum(HEARTH_STAT_LOST_COUNTS);
  st.lost_kernel_stacks = sum(HEARTH_STAT_LOST_KSTACK);
  st.lost_user_stacks = sum(HEARTH_STAT_LOST_USTACK);
  st.lost_events = sum(HEARTH_STAT_LOST_EVENTS);
  st.offcpu_intervals = sum(HEARTH_STAT_OFFCPU);
  st.stack_samples = sum(HEARTH_STAT_STACK_SAMPLES);
  st.lost_stack_samples = sum(HEARTH_STAT_LOST_STACK_SAMPLES);
  return st;
}

}  // namespace hearth::agent
