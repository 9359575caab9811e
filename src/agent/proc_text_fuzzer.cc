// libFuzzer target: the text the agent reads from other processes — /proc/<pid>/maps,
// /proc/<pid>/cgroup and /tmp/perf-<pid>.map, which any process can write (a JIT, or a
// hostile one). The same bytes go to every parser; the results are checked for the
// invariants the agent relies on.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/process_info.h"
#include "symbolize/perf_map.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  hearth::agent::ProcessInfo p;
  p.maps = hearth::agent::ParseMaps(text);
  for (size_t i = 0; i < p.maps.size(); ++i) {
    if (p.maps[i].start >= p.maps[i].end) std::abort();  // empty or inverted ranges kept
    if (i > 0 && p.maps[i - 1].start > p.maps[i].start) std::abort();  // not sorted
    if (p.Find(p.maps[i].start) == nullptr) std::abort();  // its own start not found
  }
  (void)p.Find(0);
  (void)p.Find(~uint64_t{0});

  const hearth::agent::CgroupInfo c = hearth::agent::ParseCgroup(text);
  if (!c.container_id.empty() && c.container_id.size() != 64) std::abort();
  const std::string id = hearth::agent::FindContainerId(text);
  if (!id.empty() && (id.size() != 64 || text.find(id) == std::string_view::npos)) std::abort();

  const hearth::symbolize::PerfMap m = hearth::symbolize::PerfMap::Parse(text);
  for (uint64_t a : {uint64_t{0}, uint64_t{0x1000}, uint64_t{0x7f0000000000}, ~uint64_t{0}}) {
    (void)m.Lookup(a);
  }
  return 0;
}
