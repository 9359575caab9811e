// libFuzzer target for formats::ParsePerfScript. Beyond "no crash, no sanitizer report", every
// input the reader accepts must give a profile that satisfies Validate() and survives a pprof
// encode -> decode round trip unchanged.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "formats/perf_script.h"
#include "profile/pprof_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hearth;
  auto p = formats::ParsePerfScript(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!p.ok()) return 0;
  if (!profile::Validate(*p).ok()) std::abort();
  auto again = profile::DecodePprofUncompressed(profile::EncodePprof(*p));
  if (!again.ok() || !profile::Equal(*p, *again)) std::abort();
  return 0;
}
