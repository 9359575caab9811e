// The kernel/user ABI of the agent's BPF program (profiler.bpf.c). Included by both the
// BPF object (with vmlinux.h types) and user space (with <linux/types.h>), so it uses only
// fixed-width kernel types.
//
//   perf_event (cpu-clock, one per CPU)         tp_btf sched_switch (--off-cpu)
//        │  pid, tid, comm, kernel + user stack ids         │ blocked time per stack
//        ▼                                                  ▼
//   counts[active] : agg_key ──► agg_value   (two HASH maps; user space flips `active`,
//   stacks[active] : stack id ──► u64[127]    waits, then drains and clears the other)
//
//   tp_btf sched_process_{exec,exit,fork} + "first sample of a pid" ──► events (RINGBUF)
//
//   pids in dwarf_pids (binaries without frame pointers, chosen by user space): instead of
//   a frame-pointer walk, the sample carries registers + a copy of the top of the user
//   stack + the kernel stack ──► stack_samples (RINGBUF), unwound in user space with
//   DWARF CFI (dwarf_unwinder.h).
#pragma once

#define HEARTH_MAX_STACK_DEPTH 127
#define HEARTH_COMM_LEN 16
#define HEARTH_MAX_COUNTS 16384   // aggregation entries per buffer
#define HEARTH_MAX_STACKS 16384   // stack-map entries per buffer
#define HEARTH_MAX_PIDS 16384     // known_pids LRU
#define HEARTH_MAX_OFFCPU 16384   // threads switched out and being timed
#define HEARTH_EVENTS_BYTES (256 * 1024)
#define HEARTH_MAX_DWARF_PIDS 4096
#define HEARTH_STACK_COPY 8192                      // bytes of user stack copied per sample
#define HEARTH_STACK_SAMPLES_BYTES (4 * 1024 * 1024)
// user_stack_id of aggregated entries whose user stack was unwound with DWARF CFI.
#define HEARTH_DWARF_STACK_ID (-100)

enum hearth_sample_kind {
  HEARTH_KIND_CPU = 0,     // one perf_event sample
  HEARTH_KIND_OFF_CPU = 1, // a blocked interval (value in nanoseconds)
};

// One aggregation bucket. Stack ids index the stacks map of the same buffer; a negative
// id means that stack was unavailable (no user stack for kernel threads, -EFAULT ...).
struct hearth_agg_key {
  __u32 pid;  // tgid
  __u32 tid;
  __s32 user_stack_id;
  __s32 kern_stack_id;
  // The 8 bytes at the user stack pointer: the return address into the caller when the
  // sampled leaf has no frame of its own (see leaf-caller recovery in frames.h), and the
  // 7 bytes of code before that address (read at sample time, while the process surely
  // lives; all zero if unreadable). leaf_code[7] is padding, always 0.
  __u64 leaf_ret;
  __u8 leaf_code[8];
  __u32 kind;  // enum hearth_sample_kind
  __u32 pad;
  char comm[HEARTH_COMM_LEN];
};

struct hearth_agg_value {
  __u64 count;     // samples (cpu) or blocked intervals (off-cpu)
  __u64 value_ns;  // off-cpu: total blocked nanoseconds
};

enum hearth_event_type {
  HEARTH_EVENT_EXEC = 1,
  HEARTH_EVENT_EXIT = 2,
  HEARTH_EVENT_FORK = 3,
  HEARTH_EVENT_NEW_PID = 4,  // first sample seen of a process (read its /proc now)
};

struct hearth_event {
  __u32 type;  // enum hearth_event_type
  __u32 pid;
  __u32 ppid;  // FORK: the parent
  __u32 pad;
  char comm[HEARTH_COMM_LEN];
};

// One sample of a dwarf_pids process (see above).
struct hearth_stack_sample {
  __u32 pid;
  __u32 tid;
  __u64 ip;
  __u64 sp;
  __u64 bp;
  __u32 kstack_bytes;  // bytes of kstack used (8 per frame)
  __u32 stack_bytes;   // bytes of stack copied from sp
  char comm[HEARTH_COMM_LEN];
  __u64 kstack[HEARTH_MAX_STACK_DEPTH];
  __u8 stack[HEARTH_STACK_COPY];
};

// Indices into the `stats` per-CPU array.
enum hearth_stat {
  HEARTH_STAT_SAMPLES = 0,
  HEARTH_STAT_LOST_COUNTS = 1,     // aggregation map full
  HEARTH_STAT_LOST_KSTACK = 2,     // kernel stack id failed
  HEARTH_STAT_LOST_USTACK = 3,     // user stack id failed
  HEARTH_STAT_LOST_EVENTS = 4,     // ring buffer full
  HEARTH_STAT_OFFCPU = 5,          // off-cpu intervals recorded
  HEARTH_STAT_STACK_SAMPLES = 6,   // stack copies sent for DWARF unwinding
  HEARTH_STAT_LOST_STACK_SAMPLES = 7,  // stack_samples full: fell back to frame pointers
  HEARTH_STAT_MAX = 8,
};
