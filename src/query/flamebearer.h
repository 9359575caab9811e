#pragma once

// The legacy "flamebearer" JSON of Pyroscope's /pyroscope/render and /pyroscope/render-diff
// (grafana/pyroscope pkg/og/structs/flamebearer, written by pkg/querier/http.go), field for
// field and in Go's field order:
//
//   {"version":1,
//    "flamebearer":{"names":[...],"levels":[[x,total,self,name,...],...],"numTicks":N,"maxSelf":M},
//    "metadata":{"format":"single","spyName":"","sampleRate":100,"units":"bytes","name":"inuse_space"},
//    "timeline":{"startTime":s,"samples":[...],"durationDelta":step_s,"watermarks":null},
//    "groups":null | {"<label value>": timeline, ...},
//    "heatmap":null}
//
// render-diff sends format "double", 7-number levels, timeline null and leftTicks/rightTicks.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "query/flamegraph.h"
#include "storage/schema.h"

namespace hearth::query {

struct FlamebearerMetadata {
  std::string format = "single";
  std::string spy_name;
  uint32_t sample_rate = 100;
  std::string units;
  std::string name;
};

// Pyroscope's ExportToFlamebearer: units are the sample unit, except object-count types
// ("objects") and cpu ("samples" at a sample rate of 1e9); name is the sample type.
FlamebearerMetadata FlamebearerMetadataFor(const storage::ProfileTypeId& type);

struct FlamebearerTimeline {
  int64_t start_time = 0;  // seconds
  std::vector<uint64_t> samples;
  int64_t duration_delta = 0;  // seconds
};

struct TimelinePoint {
  int64_t ts_ms;
  double value;
};

// Pyroscope's timeline.New: one sample per step from start to end (both snapped down to a
// step boundary), zero where the series has no point. `points` sorted by time.
FlamebearerTimeline NewTimeline(std::span<const TimelinePoint> points, int64_t start_ms,
                                int64_t end_ms, int64_t step_s);

// Pyroscope's timeline.CalcPointInterval: (until - from) / 1500, at least 15 s, rounded to a
// Grafana-style interval. Seconds.
double CalcPointInterval(int64_t from_ms, int64_t until_ms);

// The /render body. `groups` may be null (JSON null), as may `timeline`.
std::string RenderFlamebearer(const FlameGraph& fg, const FlamebearerMetadata& metadata,
                              const FlamebearerTimeline* timeline,
                              const std::map<std::string, FlamebearerTimeline>* groups);

// The /render-diff body (format "double").
std::string RenderFlamebearerDiff(const FlameGraphDiff& fg, const storage::ProfileTypeId& type);

}  // namespace hearth::query
