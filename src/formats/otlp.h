#pragma once

// OTLP Profiles (opentelemetry-proto v1.11.0, package v1development) <-> the profile model.
//
// Summary of the mapping (decode = OTLP -> model, encode = model -> OTLP):
//   * one OTLP Profile <-> one model Profile with ONE sample type; encode writes one OTLP
//     Profile per sample type (zero-valued samples left out), all sharing one deduplicated
//     dictionary; JoinSampleTypes puts the per-type profiles back together;
//   * a sample's value is the sum of its values, or (timestamps only) the number of its
//     timestamps; per-sample timestamps are not kept;
//   * sample attributes <-> pprof labels: strings (bools, doubles and bytes as text) ->
//     string labels, ints -> numeric labels with the attribute's unit, arrays -> one label per
//     element (encode writes several values of one key as an array); a Link <-> labels
//     `trace_id` (32 hex digits) and `span_id` (16 hex digits), lowercase; encode makes a Link
//     only of labels that are such ids, others stay attributes;
//   * series labels (OtlpProfile::labels) from resource, scope and profile attributes, the
//     first of a key winning: `service.name` -> `service_name`, others sanitized as below;
//   * mappings, locations (lines innermost first = inlined frames, addresses), functions as
//     they are (decode: those the profile uses, mappings in dictionary order); build ids <->
//     `process.executable.build_id.{gnu,go,htlhash,profiling}`; pprof-only fields <->
//     `pprof.*` attributes (mapping has_* flags, else derived from the locations; location
//     is_folded; profile comment/drop_frames/keep_frames/doc_url; scope default_sample_type);
//   * `original_payload_format` "pprof" with no samples: the payload is the profile.
// CLI: `hearth convert --from otlp IN.pb -o OUT.pb.gz` (binary or JSON, also detected by
// content; every profile of the request merged per type, then joined into one multi-type
// pprof; resource attributes are dropped) and `hearth convert IN --to otlp -o OUT.otlp.pb
// [--otlp-resource service.name=api ...]` (the extension .otlp.pb / .otlp picks --to otlp).
//
// Decoding is by hand on the wire format, like the pprof codec: bounded (sizes, counts,
// stack depth, table sizes), every index validated against its dictionary table (index 0 is
// the zero entry of each table, which must be the zero value). A profile with a bad index is
// refused alone (it counts towards `rejected_profiles`, with a message naming it) and the
// rest of the request is kept; a request that cannot be parsed at all, breaks a limit, or
// has a dictionary whose entry 0 is not the zero value, is an error.
//
// Series labels in detail:
//   * keys are kept as they are when they are valid label names ([a-zA-Z_][a-zA-Z0-9_.]*),
//     other characters replaced by '_'; values formatted (ints in decimal, doubles shortest,
//     bools true/false, bytes hex; arrays, maps and empty values skipped);
//   * the `pprof.*` keys above are read into the profile, not turned into labels;
//   * location attribute `profile.frame.type` becomes Location::frame_type (and back).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "profile/pprof_codec.h"
#include "profile/profile.h"

namespace hearth::formats {

struct OtlpLimits {
  size_t max_request_bytes = size_t{64} << 20;  // after any transport decompression
  size_t max_profiles = 10'000;                 // per request
  size_t max_table_entries = 10'000'000;        // per dictionary table
  size_t max_samples = 20'000'000;              // per request
  size_t max_stack_depth = 8192;                // locations per stack, lines per location
  size_t max_attributes = 1024;  // per resource / scope / profile / sample / location /
                                 // mapping, and elements per array value
  size_t max_string_bytes = size_t{1} << 20;  // one string
  size_t max_json_depth = 64;
  // OTLP shares stacks, attribute lists and dictionary entries by index; the model gives each
  // sample its own stack and labels, and each profile its own entities. This bounds the
  // expansion over a whole request: stack frames + labels of all samples, plus the
  // locations, lines, functions and mappings each profile imports.
  size_t max_model_entries = size_t{64} << 20;
  profile::PprofLimits original_payload;  // for original_payload in pprof format
};

struct OtlpProfile {
  // Series labels from resource, scope and profile attributes (unsorted, as mapped above).
  std::vector<std::pair<std::string, std::string>> labels;
  profile::Profile profile;
  // Where it was in the request, for messages:
  // "resource_profiles[0].scope_profiles[1].profiles[2]".
  std::string where;
};

struct OtlpDecodeResult {
  std::vector<OtlpProfile> profiles;
  // Profiles refused one by one (for ExportProfilesPartialSuccess).
  int64_t rejected_profiles = 0;
  // The first refusal's message, naming the profile and the field, e.g.
  // "resource_profiles[0].scope_profiles[0].profiles[1]: samples[3].stack_index 99 is out of
  // range (stack_table has 12 entries)".
  std::string error_message;
};

// A binary ExportProfilesServiceRequest.
absl::StatusOr<OtlpDecodeResult> DecodeOtlpRequest(std::string_view bytes,
                                                   const OtlpLimits& limits = {});
// The same request in OTLP/JSON: lowerCamelCase or snake_case keys, 64-bit integers as
// strings or numbers, trace/span/profile ids in hex. (v1.11.0 profiles have no enums.)
absl::StatusOr<OtlpDecodeResult> DecodeOtlpJsonRequest(std::string_view json,
                                                       const OtlpLimits& limits = {});

// What one profile becomes on the way out: resource attributes (service.name etc.), and
// the profile (every sample type becomes its own OTLP Profile; all share one deduplicated
// dictionary). Sample labels `trace_id`/`span_id` become links; other string and numeric
// labels become sample attributes.
struct OtlpProfileIn {
  std::vector<std::pair<std::string, std::string>> resource;  // e.g. {"service.name", "api"}
  const profile::Profile* profile = nullptr;
};

// Encodes an ExportProfilesServiceRequest (binary). Lossless for everything pprof can
// express except sample order and duplicate samples (summed by a join): decoding the result
// and joining back the per-type profiles of one input gives an equal `go tool pprof -top`
// for every sample type. `profile` must satisfy profile::Validate.
std::string EncodeOtlpRequest(const std::vector<OtlpProfileIn>& in);

// The per-type profiles of one pprof profile joined back into one multi-type profile (the
// inverse of the encoder's split). Samples are matched by (stack, labels); a sample missing
// from one input counts 0 there. Errors when two inputs have the same sample type or their
// period type or period differ. Time is the earliest, duration the longest.
absl::StatusOr<profile::Profile> JoinSampleTypes(std::vector<profile::Profile> per_type);

// Content sniffing for format detection. Binary: a well-formed protobuf whose top level has
// only fields 1 and 2, length-delimited, with a dictionary (field 2) — a pprof profile
// always has a string_table (field 6). JSON: an object with a "resourceProfiles" (or
// "resource_profiles") key.
bool LooksLikeOtlp(std::string_view data);
bool LooksLikeOtlpJson(std::string_view data);

// The whole request as one profile (`hearth convert --from otlp`): profiles with the same
// sample and period types (several resources or scopes) are merged, then the types joined.
// Series labels are dropped. Any refused profile, or none at all, is an error.
absl::StatusOr<profile::Profile> OtlpRequestToProfile(OtlpDecodeResult result);

}  // namespace hearth::formats
