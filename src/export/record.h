#pragma once

// One queued record: the profiles of one forwarded ingest request. Protobuf wire fields, so
// records written by an older version stay readable when fields are added:
//
//   Record { 1: string tenant;  2: repeated Item items; }
//   Item   { 1: repeated Label labels;  2: bytes pprof;  3: int64 time_ns; }
//   Label  { 1: string name;  2: string value; }
//
// `pprof` is the profile as pprof (gzipped or not; the decoder detects it). `time_ns` stands
// in for the profile's time when it has none, so a replayed record keeps the time the
// profile was stored at, not the time it is finally sent.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "export/exporter.h"

namespace hearth::exporter {

struct ItemRef {
  const Labels* labels = nullptr;
  const profile::Profile* profile = nullptr;
  // The pprof bytes `profile` was decoded from, if the caller has them (saves an encode).
  std::string_view pprof;
  int64_t time_ns = 0;  // used when profile->time_nanos is 0
};

std::string EncodeRecord(std::string_view tenant, std::span<const ItemRef> items);
std::string EncodeRecord(const Batch& batch);
absl::StatusOr<Batch> DecodeRecord(std::string_view bytes);

}  // namespace hearth::exporter
