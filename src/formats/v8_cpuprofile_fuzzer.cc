// libFuzzer target for the V8 .cpuprofile reader (and its trace-event form). Beyond "no
// crash, no sanitizer report": every accepted input gives a valid profile that survives a
// pprof encode -> decode round trip unchanged.

#include <cstdint>
#include <string_view>

#include "formats/json_fuzz_checks.h"
#include "formats/v8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hearth::formats;
  V8Options o;  // Small limits keep each run fast.
  o.max_nodes = 100'000;
  o.max_samples = 1'000'000;
  o.max_stack_depth = 512;
  o.max_output_frames = 1 << 20;
  auto p = ParseV8CpuProfile(std::string_view(reinterpret_cast<const char*>(data), size), o);
  if (!p.ok()) return 0;
  fuzzing::CheckValidAndPprofRoundTrip(*p);
  return 0;
}
