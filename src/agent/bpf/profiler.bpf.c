// SPDX-License-Identifier: GPL-2.0
// Hearth's sampler: see profiler.h for the maps and how user space drains them.
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "profiler.h"

char LICENSE[] SEC("license") = "GPL";

// Set before load (const volatile = .rodata).
const volatile __u32 self_pid = 0;          // the agent: never sampled
const volatile __u32 offcpu_sample_pct = 0; // 0 = off-CPU off; else % of switches timed
const volatile __u64 offcpu_min_ns = 0;     // shorter blocked intervals are not recorded

// Flipped by user space before each drain (.bss, writable from the skeleton).
volatile __u32 active = 0;

struct stack_map {
  __uint(type, BPF_MAP_TYPE_STACK_TRACE);
  __uint(max_entries, HEARTH_MAX_STACKS);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, HEARTH_MAX_STACK_DEPTH * sizeof(__u64));
};
struct stack_map stacks0 SEC(".maps");
struct stack_map stacks1 SEC(".maps");

struct counts_map {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, HEARTH_MAX_COUNTS);
  __type(key, struct hearth_agg_key);
  __type(value, struct hearth_agg_value);
};
struct counts_map counts0 SEC(".maps");
struct counts_map counts1 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, HEARTH_MAX_PIDS);
  __type(key, __u32);
  __type(value, __u8);
} known_pids SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, HEARTH_EVENTS_BYTES);
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, HEARTH_MAX_DWARF_PIDS);
  __type(key, __u32);
  __type(value, __u8);
} dwarf_pids SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, HEARTH_STACK_SAMPLES_BYTES);
} stack_samples SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, HEARTH_STAT_MAX);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

// A thread switched out while blocked: when, and the stacks it blocked in (ids into the
// stack map of the buffer that was active then, recorded with the buffer index).
struct offcpu_start {
  __u64 ts_ns;
  __u64 leaf_ret;
  __u8 leaf_code[8];
  __s32 user_stack_id;
  __s32 kern_stack_id;
  __u32 pid;
  __u32 buffer;
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, HEARTH_MAX_OFFCPU);
  __type(key, __u32);  // tid
  __type(value, struct offcpu_start);
} offcpu_starts SEC(".maps");

// task_struct.flags: the task is exiting (include/linux/sched.h; not in vmlinux.h).
static const __u32 kPfExiting = 0x00000004;

static __always_inline void count_stat(__u32 index) {
  __u64* v = bpf_map_lookup_elem(&stats, &index);
  if (v) *v += 1;
}

static __always_inline void emit_event(__u32 type, __u32 pid, __u32 ppid, const char* comm) {
  struct hearth_event* e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    count_stat(HEARTH_STAT_LOST_EVENTS);
    return;
  }
  e->type = type;
  e->pid = pid;
  e->ppid = ppid;
  e->pad = 0;
  __builtin_memcpy(e->comm, comm, HEARTH_COMM_LEN);
  bpf_ringbuf_submit(e, 0);
}

// The 8 bytes at the interrupted user stack pointer and the 7 bytes of code before the
// address they hold (zeros for kernel threads or on fault). Reading the code here rather
// than at drain time works after the process exits and whatever its mount namespace.
static __always_inline __u64 read_leaf(struct task_struct* task, __u8 code[8]) {
  __builtin_memset(code, 0, 8);
  if (!BPF_CORE_READ(task, mm)) return 0;
  struct pt_regs* regs = (struct pt_regs*)bpf_task_pt_regs(task);
  if (!regs) return 0;
  __u64 sp = BPF_CORE_READ(regs, sp);
  __u64 ret = 0;
  if (!sp || bpf_probe_read_user(&ret, sizeof(ret), (void*)sp) != 0) return 0;
  if (ret >= 7 && bpf_probe_read_user(code, 7, (void*)(ret - 7)) != 0) {
    __builtin_memset(code, 0, 8);
  }
  return ret;
}

static __always_inline void add_to_counts(__u32 buffer, struct hearth_agg_key* key,
                                          __u64 value_ns) {
  void* map = buffer ? (void*)&counts1 : (void*)&counts0;
  struct hearth_agg_value* v = bpf_map_lookup_elem(map, key);
  if (v) {
    __sync_fetch_and_add(&v->count, 1);
    __sync_fetch_and_add(&v->value_ns, value_ns);
    return;
  }
  struct hearth_agg_value init = {.count = 1, .value_ns = value_ns};
  if (bpf_map_update_elem(map, key, &init, BPF_NOEXIST) != 0) {
    // Either another CPU inserted it first (then add to it) or the map is full.
    v = bpf_map_lookup_elem(map, key);
    if (v) {
      __sync_fetch_and_add(&v->count, 1);
      __sync_fetch_and_add(&v->value_ns, value_ns);
    } else {
      count_stat(HEARTH_STAT_LOST_COUNTS);
    }
  }
}

static __always_inline __s32 stack_id(void* ctx, __u32 buffer, __u64 flags, __u32 lost_stat) {
  void* map = buffer ? (void*)&stacks1 : (void*)&stacks0;
  long id = bpf_get_stackid(ctx, map, flags);
  // -EFAULT: no such stack (a kernel stack of a sample taken in user mode). Anything else
  // (-ENOMEM: the stack map is full) loses the stack.
  if (id < 0 && id != -14) count_stat(lost_stat);
  return (__s32)id;
}

// The stacks of `task` (the current task) into `buffer`'s stack map, and what leaf-caller
// recovery needs; kernel threads have no user stack (-1).
static __always_inline void capture_stacks(void* ctx, struct task_struct* task, __u32 buffer,
                                           __s32* kern_stack_id, __s32* user_stack_id,
                                           __u64* leaf_ret, __u8 leaf_code[8]) {
  *kern_stack_id = stack_id(ctx, buffer, 0, HEARTH_STAT_LOST_KSTACK);
  if (BPF_CORE_READ(task, mm)) {
    *user_stack_id = stack_id(ctx, buffer, BPF_F_USER_STACK, HEARTH_STAT_LOST_USTACK);
    *leaf_ret = read_leaf(task, leaf_code);
  } else {
    *user_stack_id = -1;
  }
}

// For a dwarf_pids process: registers, kernel stack and a copy of the top of the user stack
// to user space. False if it could not be sent (the caller falls back to frame pointers).
static __always_inline bool send_stack_sample(void* ctx, struct task_struct* task, __u32 pid,
                                              __u32 tid) {
  struct pt_regs* regs = (struct pt_regs*)bpf_task_pt_regs(task);
  if (!regs) return false;
  struct hearth_stack_sample* e = bpf_ringbuf_reserve(&stack_samples, sizeof(*e), 0);
  if (!e) {
    count_stat(HEARTH_STAT_LOST_STACK_SAMPLES);
    return false;
  }
  e->pid = pid;
  e->tid = tid;
  e->ip = BPF_CORE_READ(regs, ip);
  e->sp = BPF_CORE_READ(regs, sp);
  e->bp = BPF_CORE_READ(regs, bp);
  bpf_get_current_comm(e->comm, sizeof(e->comm));
  long k = bpf_get_stack(ctx, e->kstack, sizeof(e->kstack), 0);
  e->kstack_bytes = k > 0 ? (__u32)k : 0;
  // The copy may run past the top of the stack mapping: retry smaller.
  e->stack_bytes = 0;
  if (bpf_probe_read_user(e->stack, HEARTH_STACK_COPY, (void*)e->sp) == 0) {
    e->stack_bytes = HEARTH_STACK_COPY;
  } else if (bpf_probe_read_user(e->stack, HEARTH_STACK_COPY / 4, (void*)e->sp) == 0) {
    e->stack_bytes = HEARTH_STACK_COPY / 4;
  } else if (bpf_probe_read_user(e->stack, 512, (void*)e->sp) == 0) {
    e->stack_bytes = 512;
  }
  bpf_ringbuf_submit(e, 0);
  count_stat(HEARTH_STAT_STACK_SAMPLES);
  return true;
}

SEC("perf_event")
int hearth_sample(struct bpf_perf_event_data* ctx) {
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 pid = pid_tgid >> 32;
  __u32 tid = (__u32)pid_tgid;
  if (pid == 0 || pid == self_pid) return 0;  // idle, or ourselves
  count_stat(HEARTH_STAT_SAMPLES);

  struct task_struct* task = bpf_get_current_task_btf();
  bool sent = false;
  if (bpf_map_lookup_elem(&dwarf_pids, &pid) && BPF_CORE_READ(task, mm)) {
    sent = send_stack_sample(ctx, task, pid, tid);
  }

  struct hearth_agg_key key = {};
  key.pid = pid;
  key.tid = tid;
  key.kind = HEARTH_KIND_CPU;
  bpf_get_current_comm(key.comm, sizeof(key.comm));

  __u32 buffer = active & 1;
  if (sent) goto known;
  capture_stacks(ctx, task, buffer, &key.kern_stack_id, &key.user_stack_id, &key.leaf_ret,
                 key.leaf_code);
  add_to_counts(buffer, &key, 0);

known:
  // An exiting task is still sampled for the rest of do_exit, after its exit event: it is
  // not announced again (there is nothing new to read about it).
  if (!(BPF_CORE_READ(task, flags) & kPfExiting) && !bpf_map_lookup_elem(&known_pids, &pid)) {
    __u8 one = 1;
    bpf_map_update_elem(&known_pids, &pid, &one, BPF_ANY);
    emit_event(HEARTH_EVENT_NEW_PID, pid, 0, key.comm);
  }
  return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(hearth_exec, struct task_struct* p, pid_t old_pid, struct linux_binprm* bprm) {
  __u32 pid = BPF_CORE_READ(p, tgid);
  bpf_map_delete_elem(&known_pids, &pid);  // the next sample re-reports the new image
  char comm[HEARTH_COMM_LEN];
  bpf_get_current_comm(comm, sizeof(comm));
  emit_event(HEARTH_EVENT_EXEC, pid, 0, comm);
  return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(hearth_exit, struct task_struct* p) {
  __u32 pid = BPF_CORE_READ(p, tgid);
  __u32 tid = BPF_CORE_READ(p, pid);
  bpf_map_delete_elem(&offcpu_starts, &tid);
  if (pid != tid) return 0;  // a thread, not the process
  bpf_map_delete_elem(&known_pids, &pid);
  char comm[HEARTH_COMM_LEN];
  bpf_get_current_comm(comm, sizeof(comm));
  emit_event(HEARTH_EVENT_EXIT, pid, 0, comm);
  return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(hearth_fork, struct task_struct* parent, struct task_struct* child) {
  __u32 ppid = BPF_CORE_READ(parent, tgid);
  __u32 pid = BPF_CORE_READ(child, tgid);
  if (pid == ppid) return 0;  // a new thread
  char comm[HEARTH_COMM_LEN];
  bpf_get_current_comm(comm, sizeof(comm));
  emit_event(HEARTH_EVENT_FORK, pid, ppid, comm);
  return 0;
}

// Off-CPU: `prev` blocks (record when and where), `next` resumes (record how long).
// Involuntary switches (prev_state == 0, preempted while runnable) are CPU contention,
// not blocking, and are skipped. A random offcpu_sample_pct% of blocks are timed; user
// space scales the totals back up.
SEC("tp_btf/sched_switch")
int BPF_PROG(hearth_switch, bool preempt, struct task_struct* prev, struct task_struct* next,
             unsigned int prev_state) {
  if (offcpu_sample_pct == 0) return 0;
  __u64 now = bpf_ktime_get_ns();
  __u32 prev_pid = BPF_CORE_READ(prev, tgid);
  __u32 prev_tid = BPF_CORE_READ(prev, pid);
  if (prev_pid != 0 && prev_pid != self_pid && prev_state != 0 &&
      bpf_get_prandom_u32() % 100 < offcpu_sample_pct) {
    __u32 buffer = active & 1;
    struct offcpu_start s = {};
    s.ts_ns = now;
    s.pid = prev_pid;
    s.buffer = buffer;
    capture_stacks(ctx, prev, buffer, &s.kern_stack_id, &s.user_stack_id, &s.leaf_ret,
                   s.leaf_code);
    bpf_map_update_elem(&offcpu_starts, &prev_tid, &s, BPF_ANY);
  }

  __u32 next_tid = BPF_CORE_READ(next, pid);
  struct offcpu_start* s = bpf_map_lookup_elem(&offcpu_starts, &next_tid);
  if (!s) return 0;
  struct offcpu_start start = *s;
  bpf_map_delete_elem(&offcpu_starts, &next_tid);
  // Stack ids are only valid in the buffer they were taken in; if user space flipped
  // buffers meanwhile, the interval is dropped rather than pointing at the wrong stacks.
  if (start.buffer != (active & 1)) return 0;
  __u64 delta = now - start.ts_ns;
  if (delta < offcpu_min_ns) return 0;
  struct hearth_agg_key key = {};
  key.pid = start.pid;
  key.tid = next_tid;
  key.kind = HEARTH_KIND_OFF_CPU;
  key.user_stack_id = start.user_stack_id;
  key.kern_stack_id = start.kern_stack_id;
  key.leaf_ret = start.leaf_ret;
  __builtin_memcpy(key.leaf_code, start.leaf_code, sizeof(key.leaf_code));
  BPF_CORE_READ_STR_INTO(&key.comm, next, comm);
  add_to_counts(start.buffer, &key, delta);
  count_stat(HEARTH_STAT_OFFCPU);
  return 0;
}
