#pragma once

// Resolving a chunk's constants into the symbols a profile needs: stack traces (frames of
// method, line, inlined?), methods and classes (Java-spelled names), thread names and
// states. Each constant key is resolved once per chunk, on first use, and copied out of the
// chunk's arena (events are released after use; these outlive them).
//
//   jdk.types.StackTrace{truncated, frames[]}
//     frames[i] = jdk.types.StackFrame{method, lineNumber, type -> FrameType{description}}
//       method  = jdk.types.Method{type -> java.lang.Class, name, descriptor, hidden}
//         class = java.lang.Class{name, package -> Package{name}, hidden[, sourceFile]}
//   java.lang.Thread{osName, javaName, ...}      names are jdk.types.Symbol{string} or String
//
// Fields are looked up by name in the chunk's own metadata, so JDK versions that add,
// drop or reorder fields decode alike; a missing field reads as null.

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "formats/jfr.h"
#include "formats/jfr_chunk.h"

namespace hearth::formats::jfr {

inline constexpr uint32_t kNoStack = UINT32_MAX;

// The Java spelling of a JVM class name: packages dotted ("java/util/HashMap$Node" ->
// "java.util.HashMap$Node"), arrays as in source ("[[I" -> "int[][]"). Only the package
// prefix is rewritten when the package is known, because hidden classes carry a '/' of
// their own ("Foo$$Lambda$14/0x0000000800c03000").
std::string JavaClassName(std::string_view raw, std::string_view package, bool hidden);

struct MethodInfo {
  std::string name;         // "java.util.HashMap.put"
  std::string system_name;  // name + descriptor
  std::string file;
  bool hidden = false;
};

struct ClassInfo {
  std::string name;
  std::string file;
  bool hidden = false;
};

struct Frame {
  uint32_t method = 0;  // Index into Symbols' methods.
  int64_t line = 0;
  bool inlined = false;
};

struct StackInfo {
  uint32_t frames_begin = 0;
  uint32_t num_frames = 0;
  bool truncated = false;
};

class Symbols {
 public:
  Symbols(const Chunk& c, const JfrLimits& limits) : c_(c), limits_(limits) {}

  // Index of the stack trace (see stack()), or kNoStack for a null one.
  absl::StatusOr<uint32_t> Stack(const Value& v);
  // The thread's Java name (else its OS name); "" for a null thread. Views live as long as
  // this Symbols.
  absl::StatusOr<std::string_view> Thread(const Value& v);
  // A thread state's name ("STATE_RUNNABLE"); "" for null.
  absl::StatusOr<std::string_view> State(const Value& v);
  // nullptr for a null class.
  absl::StatusOr<const ClassInfo*> Class(const Value& v);

  const StackInfo& stack(uint32_t i) const { return stacks_[i]; }
  std::span<const Frame> frames(const StackInfo& s) const {
    return {frames_.data() + s.frames_begin, s.num_frames};
  }
  const MethodInfo& method(uint32_t i) const { return methods_[i]; }

 private:
  absl::StatusOr<std::string> Text(const Value& v);
  template <typename Compute>
  absl::StatusOr<std::string_view> Cached(absl::flat_hash_map<uint64_t, uint32_t>* cache,
                                          const Value& v, Compute compute);
  absl::StatusOr<bool> IsInlined(const Value& v);
  absl::StatusOr<uint32_t> Method(const Value& v);

  const Chunk& c_;
  const JfrLimits& limits_;
  absl::flat_hash_map<uint64_t, uint32_t> stack_by_key_, method_by_key_, class_by_key_,
      thread_by_key_, state_by_key_;
  absl::flat_hash_map<uint64_t, bool> inlined_by_key_;
  std::vector<StackInfo> stacks_;
  std::vector<Frame> frames_;
  std::vector<MethodInfo> methods_;
  std::deque<ClassInfo> classes_;  // Deques: views and pointers handed out stay valid.
  std::deque<std::string> strings_;
};

}  // namespace hearth::formats::jfr
