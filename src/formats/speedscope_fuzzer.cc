// libFuzzer target for the speedscope reader and writer. On every accepted input:
//   - the profile is valid and survives a pprof encode -> decode round trip unchanged;
//   - writing it as speedscope and reading that back keeps the total and the value of
//     every root-first stack of frame names.

#include <cstdint>
#include <string_view>

#include "formats/json_fuzz_checks.h"
#include "formats/speedscope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hearth::formats;
  SpeedscopeOptions o;  // Small limits keep each run fast.
  o.max_frames = 100'000;
  o.max_profiles = 1000;
  o.max_samples = 1'000'000;
  o.max_stack_depth = 512;
  o.max_output_frames = 1 << 20;
  auto p = ParseSpeedscope(std::string_view(reinterpret_cast<const char*>(data), size), o);
  if (!p.ok()) return 0;
  fuzzing::CheckValidAndPprofRoundTrip(*p);
  if (p->sample_types.empty()) return 0;
  auto json = WriteSpeedscope(*p);
  fuzzing::Require(json.ok(), "WriteSpeedscope of an accepted profile");
  auto back = ParseSpeedscope(*json, o);
  fuzzing::Require(back.ok(), "ParseSpeedscope of our own output");
  fuzzing::Require(back->Total(0) == p->Total(0), "speedscope round trip keeps the total");
  fuzzing::Require(fuzzing::ByStack(*back, 0) == fuzzing::ByStack(*p, 0),
                   "speedscope round trip keeps every stack's value");
  return 0;
}
