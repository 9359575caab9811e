#pragma once

// Test helpers for the export component: small profiles that say which one they are, and
// a fixture loader.

#include <cstdint>
#include <string>

#include "export/exporter.h"
#include "profile/builder.h"
#include "profile/pprof_codec.h"

namespace hearth::exporter::testing {

// A CPU profile with one sample `main;work` of `value` nanoseconds at time_ns.
inline profile::Profile TinyProfile(int64_t value, int64_t time_ns = 1'700'000'000'000'000'000) {
  profile::ProfileBuilder b;
  profile::Profile& p = b.profile();
  p.sample_types.push_back({b.Str("cpu"), b.Str("nanoseconds")});
  p.period_type = {b.Str("cpu"), b.Str("nanoseconds")};
  p.period = 10'000'000;
  p.time_nanos = time_ns;
  p.duration_nanos = 10'000'000'000;
  const uint32_t stack[] = {b.AddFrame("work"), b.AddFrame("main")};
  const int64_t values[] = {value};
  b.AddSample(stack, values);
  return b.Finish();
}

inline BatchItem TinyItem(std::string service, int64_t value) {
  BatchItem item;
  item.labels = {{"__name__", "process_cpu"}, {"service_name", std::move(service)}};
  item.profile = TinyProfile(value);
  return item;
}

inline Batch TinyBatch(std::string tenant, std::string service, int64_t value) {
  Batch b;
  b.tenant = std::move(tenant);
  b.items.push_back(TinyItem(std::move(service), value));
  return b;
}

inline std::string FixturePath(const std::string& relative) {
  return std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/" + relative;
}

}  // namespace hearth::exporter::testing
