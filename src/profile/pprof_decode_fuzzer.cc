// libFuzzer target for the pprof decoder. Beyond "no crash, no sanitizer report", it checks
// two properties on every input the decoder accepts: the profile satisfies Validate(), and
// encode -> decode reproduces it exactly.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "profile/pprof_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hearth::profile;
  PprofLimits limits;
  limits.decompress.max_output_bytes = 64 << 20;  // Keep each run fast and small.
  auto p = DecodePprof(std::string_view(reinterpret_cast<const char*>(data), size), limits);
  if (!p.ok()) return 0;
  if (!Validate(*p).ok()) std::abort();
  auto again = DecodePprofUncompressed(EncodePprof(*p));
  if (!again.ok() || !Equal(*p, *again)) std::abort();
  return 0;
}
