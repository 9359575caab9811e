// libFuzzer target for the JFR reader. Beyond "no crash, no sanitizer report, no timeout", it
// checks two properties on every input the reader accepts: each profile satisfies
// Validate(), and a pprof encode -> decode reproduces it exactly.
//
// Seed it with the fixture (testdata/fixtures/java/*.jfr); the chunk magic and version must
// survive mutation for anything past the header to be reached.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "formats/jfr.h"
#include "profile/pprof_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hearth;
  formats::JfrOptions o;
  o.limits.decompress.max_output_bytes = 16 << 20;  // Keep each run fast and small.
  o.limits.max_input_bytes = 16 << 20;
  auto profiles = formats::ParseJfr(std::string_view(reinterpret_cast<const char*>(data), size), o);
  if (!profiles.ok()) return 0;
  for (const formats::JfrProfile& p : *profiles) {
    if (!profile::Validate(p.profile).ok()) std::abort();
    auto again = profile::DecodePprofUncompressed(profile::EncodePprof(p.profile));
    if (!again.ok() || !profile::Equal(p.profile, *again)) std::abort();
  }
  return 0;
}
