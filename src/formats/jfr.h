#pragma once

// JDK Flight Recorder (.jfr) recordings -> profiles.
//
// A recording is a sequence of self-describing chunks (layout in formats/jfr_chunk.h). The
// reader builds each chunk's type table from its metadata event, decodes the constant pools
// with it, then maps the profiling events to one Profile per kind:
//
//   kind                event                            sample types = value per event
//   cpu                 jdk.ExecutionSample              samples/count = 1,
//                                                        cpu/nanoseconds = period
//   native              jdk.NativeMethodSample           samples/count = 1,
//                                                        wall/nanoseconds = period
//   alloc               jdk.ObjectAllocationSample       alloc_samples/count = 1,
//                                                        alloc_space/bytes = weight
//   alloc_in_new_tlab   jdk.ObjectAllocationInNewTLAB    alloc_in_new_tlab_objects/count = 1,
//                                                        alloc_in_new_tlab_bytes/bytes = tlabSize
//   alloc_outside_tlab  jdk.ObjectAllocationOutsideTLAB  alloc_outside_tlab_objects/count = 1,
//                                                        alloc_outside_tlab_bytes/bytes =
//                                                          allocationSize
//   lock                jdk.JavaMonitorEnter             contentions/count = 1,
//                                                        delay/nanoseconds = duration
//   park                jdk.ThreadPark                   contentions/count = 1,
//                                                        delay/nanoseconds = duration
//
// The TLAB byte values follow Pyroscope/async-profiler: a new-TLAB event stands for the whole
// TLAB it opened. The CPU/native period is the recording's own setting (jdk.ActiveSetting
// "period" of that event, the smallest if several recordings overlapped), else
// kDefaultCpuPeriodNs / kDefaultNativePeriodNs.
//
// Frames: function name = dotted class name + "." + method name ("java.util.HashMap.put"),
// system name = name + JVM descriptor (tells overloads apart), line = the frame's line number.
// JFR has no source file in JDK 17-21 metadata; a class field named "sourceFile" is used when a
// writer provides one. Stacks are leaf first as in the model. A run of JFR "Inlined" frames is
// folded into the location of the compiled frame they were inlined into (one pprof location,
// several lines, innermost first), as pprof represents inlining. A stack JFR flags as
// truncated gets a root frame "[truncated]" (Pyroscope's name for it). An event without a
// stack trace is kept with an empty stack, so totals still equal the recording's.
//
// Labels: "thread" (Java thread name, else OS thread name) on every sample; "thread_state"
// on cpu/native samples if asked; allocation samples carry "object_class" (or, if asked, the
// class becomes the leaf frame "new <class>").

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/compress.h"
#include "profile/profile.h"

namespace hearth::formats {

// 10 ms: async-profiler's default interval, Pyroscope's default 100 Hz and the JDK's
// profile.jfc. (default.jfc uses 20 ms, but a JDK recording always carries its setting.)
inline constexpr int64_t kDefaultCpuPeriodNs = 10'000'000;
// 20 ms: jdk.NativeMethodSample in both JDK .jfc files.
inline constexpr int64_t kDefaultNativePeriodNs = 20'000'000;

// Caps on untrusted input. Every violation is an error naming the chunk and the limit.
struct JfrLimits {
  size_t max_input_bytes = size_t{1} << 30;  // After gunzip.
  DecompressLimits decompress{.max_output_bytes = size_t{1} << 30, .max_ratio = 250};
  size_t max_chunks = 10'000;
  size_t max_metadata_bytes = size_t{32} << 20;
  size_t max_metadata_depth = 32;  // Element nesting (real files: 5).
  size_t max_types = 100'000;
  size_t max_fields_per_type = 4096;
  size_t max_checkpoints = 1'000'000;  // Per chunk.
  size_t max_constants = 50'000'000;   // Per chunk.
  size_t max_value_depth = 32;         // Inline object nesting (real files: 3).
  size_t max_array_length = size_t{1} << 20;
  size_t max_string_bytes = size_t{1} << 20;  // One string.
  size_t max_stack_depth = 8192;              // JFR's own cap is 2048.
  size_t max_events = 200'000'000;            // Per recording.
  // Decoded values (constants and event fields) per byte of chunk. Real data needs ~2; the
  // cap stops metadata whose types expand zero bytes into huge value trees.
  size_t max_values_per_byte = 8;
};

struct JfrOptions {
  // Which profile ParseJfrProfile returns: a kind ("cpu", "alloc", ...) or a JFR event name
  // ("jdk.ExecutionSample"). Empty: cpu if the recording has it, else the first kind found.
  std::string event;
  // Overrides the CPU sampling period (0 = the recording's setting, else the default).
  int64_t cpu_period_ns = 0;
  bool thread_labels = true;
  bool thread_state_labels = false;
  // Allocation events: the object class as the leaf frame "new <class>" instead of the
  // "object_class" label.
  bool alloc_class_as_frame = false;
  // Fold JFR "Inlined" frames into their caller's location (see above); false keeps one
  // location per JFR frame.
  bool merge_inlined_frames = true;
  bool mark_truncated_stacks = true;
  // Drop frames of hidden methods/classes (lambda forms, generated lambda classes), as
  // `jfr print` does.
  bool drop_hidden_frames = false;
  JfrLimits limits;
};

struct JfrProfile {
  std::string kind;   // "cpu", "alloc", ... (table above)
  std::string event;  // "jdk.ExecutionSample", ...
  profile::Profile profile;
};

// One profile per kind of profiling event present, in the table's order (none: empty). Input
// may be gzip-compressed.
absl::StatusOr<std::vector<JfrProfile>> ParseJfr(std::string_view data, const JfrOptions& o = {});

// The profile selected by o.event (see JfrOptions::event); an error lists the kinds present
// if the requested one is not.
absl::StatusOr<profile::Profile> ParseJfrProfile(std::string_view data, const JfrOptions& o = {});

// Kind names and their JFR events, for help texts and option checking.
struct JfrKind {
  std::string_view kind;
  std::string_view event;
};
std::vector<JfrKind> JfrKinds();

// True if the data starts with a JFR chunk magic ("FLR\0").
bool LooksLikeJfr(std::string_view data);

}  // namespace hearth::formats
