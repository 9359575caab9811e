// libFuzzer target for the OTLP Profiles decoders (binary and JSON; every input is tried as
// both). Beyond "no crash, no sanitizer report, no timeout", on every profile a decoder
// accepts it checks that:
//   - the profile satisfies Validate() and survives a pprof encode -> decode unchanged;
//   - encoding it as OTLP and decoding that gives, per sample type, a profile with the same
//     total and the same value for every root-first stack of frame names, with nothing
//     refused; and joining those per-type profiles back gives the same again.
//
// Seeds: testdata/fuzz/otlp/ (small requests in both encodings); the fixtures in
// testdata/fixtures/otlp are good extra seeds.

#include <cstdint>
#include <string_view>

#include "formats/json_fuzz_checks.h"
#include "formats/otlp.h"

namespace {

using namespace hearth;  // NOLINT
using formats::fuzzing::ByStack;
using formats::fuzzing::Require;

void CheckAccepted(const formats::OtlpDecodeResult& result, const formats::OtlpLimits& limits) {
  for (const formats::OtlpProfile& op : result.profiles) {
    const profile::Profile& p = op.profile;
    formats::fuzzing::CheckValidAndPprofRoundTrip(p);
    auto again = formats::DecodeOtlpRequest(formats::EncodeOtlpRequest({{op.labels, &p}}), limits);
    Require(again.ok(), "decoding our own encoding");
    Require(again->rejected_profiles == 0, "our own encoding has no refused profile");
    Require(again->profiles.size() == p.sample_types.size(), "one OTLP profile per sample type");
    std::vector<profile::Profile> per_type;
    for (size_t t = 0; t < p.sample_types.size(); ++t) {
      const profile::Profile& q = again->profiles[t].profile;
      Require(q.Total(0) == p.Total(t), "OTLP round trip keeps the total");
      Require(ByStack(q, 0) == ByStack(p, t), "OTLP round trip keeps every stack's value");
      per_type.push_back(q);
    }
    if (per_type.empty()) continue;
    auto joined = formats::JoinSampleTypes(std::move(per_type));
    Require(joined.ok(), "joining the per-type profiles of one profile");
    Require(profile::Validate(*joined).ok(), "the joined profile is valid");
    for (size_t t = 0; t < p.sample_types.size(); ++t) {
      Require(ByStack(*joined, t) == ByStack(p, t), "the join keeps every stack's value");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  formats::OtlpLimits limits;  // Small limits keep each run fast.
  limits.max_request_bytes = 1 << 20;
  limits.max_profiles = 64;
  limits.max_table_entries = 100'000;
  limits.max_samples = 100'000;
  limits.max_stack_depth = 256;
  limits.max_attributes = 64;
  limits.original_payload.max_input_bytes = 1 << 20;
  limits.original_payload.decompress.max_output_bytes = 4 << 20;
  if (auto r = formats::DecodeOtlpRequest(input, limits); r.ok()) CheckAccepted(*r, limits);
  if (auto r = formats::DecodeOtlpJsonRequest(input, limits); r.ok()) CheckAccepted(*r, limits);
  return 0;
}
