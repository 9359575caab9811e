#pragma once

// JIT symbols from a perf map (/tmp/perf-<pid>.map), written by Node --perf-basic-prof,
// perf-map-agent for Java, .NET's DOTNET_PerfMapEnabled, LuaJIT ...:
//
//   START SIZE NAME          hex START and SIZE (optional 0x), NAME to the end of line
//   3ef414c0 398 LazyCompile:~main /app/index.js:1
//
// JITs append as code is (re)compiled, so a later line replaces earlier ones where they
// overlap. The table is built as disjoint, sorted intervals, each with the name of the
// newest line covering it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace hearth::symbolize {

class PerfMap {
 public:
  // Parses a perf map; malformed lines are skipped (JITs write while we read, so the last
  // line may be cut short).
  static PerfMap Parse(std::string_view text);
  static absl::StatusOr<PerfMap> Load(const std::string& path);

  // The name of the JIT code containing `address`.
  std::optional<std::string_view> Lookup(uint64_t address) const;
  size_t size() const { return intervals_.size(); }

 private:
  struct Interval {
    uint64_t start;
    uint64_t end;   // Exclusive.
    uint32_t name;  // Index into names_.
  };
  std::vector<std::string> names_;
  std::vector<Interval> intervals_;  // Sorted, disjoint.
};

}  // namespace hearth::symbolize
