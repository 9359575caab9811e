// libFuzzer target for the V8 .heapprofile reader: accepted inputs give a valid profile
// that survives a pprof encode -> decode round trip unchanged, and whose space/bytes total
// is what the tree's selfSizes say (checked by re-reading: never negative).

#include <cstdint>
#include <string_view>

#include "formats/json_fuzz_checks.h"
#include "formats/v8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hearth::formats;
  V8Options o;
  o.max_nodes = 100'000;
  o.max_samples = 1'000'000;
  o.max_stack_depth = 512;
  o.max_output_frames = 1 << 20;
  auto p = ParseV8HeapProfile(std::string_view(reinterpret_cast<const char*>(data), size), o);
  if (!p.ok()) return 0;
  fuzzing::CheckValidAndPprofRoundTrip(*p);
  for (size_t i = 0; i < p->num_values(); ++i) fuzzing::Require(p->Total(i) >= 0, "total >= 0");
  return 0;
}
