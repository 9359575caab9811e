#pragma once

// V8's JSON profiles (Node `--cpu-prof` / `--heap-prof`, Chrome DevTools, the inspector
// protocol's Profiler.Profile and HeapProfiler.SamplingHeapProfile).
//
// .cpuprofile: a flat node table plus a sample sequence
//
//   {"nodes": [{"id": 1, "callFrame": {functionName, scriptId, url, lineNumber, columnNumber},
//               "hitCount": 0, "children": [2, 3], "positionTicks": [...]}, ...],
//    "startTime": µs, "endTime": µs,
//    "samples": [nodeId, ...], "timeDeltas": [µs, ...]}          samples[i] <-> timeDeltas[i]
//
//   nodes form a tree through `children` (or `parent` links, which some producers write);
//   sample i is the stack from the root to node samples[i], taken at
//   startTime + timeDeltas[0] + ... + timeDeltas[i].
//
//   -> sample types samples/count and cpu/nanoseconds; period type cpu/nanoseconds.
//      A sample's cpu time is the time to the next sample (pprof/speedscope convention).
//      Deltas can be negative (V8 records samples slightly out of order): timestamps are made
//      non-decreasing with a running maximum, which keeps the total equal to the span of the
//      samples. The LAST sample is weighted with the time from it to endTime (0 if endTime
//      is earlier), so the total cpu time is endTime - (startTime + timeDeltas[0]): the
//      profiled span minus the gap before the first sample.
//      Without `samples`, each node's hitCount is its sample count and the cpu time is
//      estimated as hitCount * (endTime - startTime) / (sum of hitCounts).
//   Chrome trace-event files (a JSON array of events, or {"traceEvents": [...]}) are also
//   accepted: `Profile` events open a profile, `ProfileChunk` events append nodes (with
//   `parent` links), samples and timeDeltas, `CpuProfile` events carry a whole profile.
//   Several profiles (threads) in one trace are read together, each sample labelled
//   `thread` = the thread's name (or "pid:tid").
//
// .heapprofile: a nested tree plus (newer V8) the individual samples
//
//   {"head": {"callFrame": {...}, "selfSize": bytes, "id": 1, "children": [{...}, ...]},
//    "samples": [{"size": bytes, "nodeId": 5, "ordinal": 12}, ...]}
//
//   -> sample types objects/count (only when `samples` is present: the number of sampled
//      allocations at the node) and space/bytes (the node's selfSize, which is what DevTools
//      and speedscope show); period type space/bytes. Samples whose nodeId is not in the tree
//      (V8 writes some) are not attributed; a profile comment says how many and how large.
//
// Frames, for both: the function name ("(anonymous)" when empty, as Node's tools print
// it), file = url, line = lineNumber + 1 and column = columnNumber + 1 (V8 counts from 0;
// absent or -1 becomes 0). The tree's root "(root)" is not a frame; "(program)", "(idle)",
// "(garbage collector)" and the like are kept as frames.
//
// Reading is bounded: input bytes, nodes, samples, stack depth (which also bounds the JSON
// nesting of heap profiles) and the total size of the stacks produced. Errors name the field
// and node id. Cycles in the node graph and nodes with two parents are errors. Trees are
// walked iteratively, so no input can exhaust the C++ stack.

#include <cstddef>
#include <string_view>

#include "absl/status/statusor.h"
#include "profile/profile.h"

namespace hearth::formats {

struct V8Options {
  size_t max_input_bytes = size_t{512} << 20;
  size_t max_nodes = 5'000'000;
  size_t max_samples = 100'000'000;
  // Frames from the root to a leaf; bounds recursion-heavy trees and the JSON nesting of
  // .heapprofile files (two JSON levels per tree level).
  size_t max_stack_depth = 4096;
  // Sum of stack depths over the samples of the result (the size of its stack pool).
  size_t max_output_frames = size_t{64} << 20;
};

// Reads a .cpuprofile (or a Chrome trace holding Profile/ProfileChunk events).
absl::StatusOr<profile::Profile> ParseV8CpuProfile(std::string_view data, const V8Options& o = {});

// Reads a .heapprofile (sampling heap profile).
absl::StatusOr<profile::Profile> ParseV8HeapProfile(std::string_view data, const V8Options& o = {});

// Cheap content sniffing, no parse. A .cpuprofile is an object with "nodes" and
// "callFrame" keys near its start, or a trace-event file with profile chunks; a .heapprofile
// is an object with "head" and "selfSize" keys near its start. Neither matches speedscope.
bool LooksLikeV8CpuProfile(std::string_view data);
bool LooksLikeV8HeapProfile(std::string_view data);

}  // namespace hearth::formats
