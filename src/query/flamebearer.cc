#include "query/flamebearer.h"

#include <algorithm>

#include "base/json_writer.h"

namespace hearth::query {
namespace {

void WriteLevels(JsonWriter& w, const std::vector<std::vector<int64_t>>& levels) {
  w.BeginArray();
  for (const std::vector<int64_t>& level : levels) {
    w.BeginArray();
    for (int64_t v : level) w.Int(v);
    w.EndArray();
  }
  w.EndArray();
}

void WriteTimeline(JsonWriter& w, const FlamebearerTimeline& t) {
  w.BeginObject().Key("startTime").Int(t.start_time).Key("samples").BeginArray();
  for (uint64_t v : t.samples) w.Uint(v);
  w.EndArray().Key("durationDelta").Int(t.duration_delta).Key("watermarks").Null().EndObject();
}

void WriteHead(JsonWriter& w, const std::vector<std::string>& names,
               const std::vector<std::vector<int64_t>>& levels, int64_t total, int64_t max_self,
               const FlamebearerMetadata& md) {
  w.BeginObject().Key("version").Int(1).Key("flamebearer").BeginObject().Key("names").BeginArray();
  for (const std::string& n : names) w.String(n);
  w.EndArray().Key("levels");
  WriteLevels(w, levels);
  w.Key("numTicks").Int(total).Key("maxSelf").Int(max_self).EndObject();
  w.Key("metadata").BeginObject();
  w.Key("format").String(md.format).Key("spyName").String(md.spy_name);
  w.Key("sampleRate").Uint(md.sample_rate).Key("units").String(md.units);
  w.Key("name").String(md.name).EndObject();
}

// Go's Duration.Seconds() of the rounded interval table in Pyroscope's calculator.go:
// (upper bound of the interval, rounded value), both in milliseconds.
constexpr std::pair<int64_t, int64_t> kRounding[] = {
    {10, 1},
    {15, 10},
    {35, 20},
    {75, 50},
    {150, 100},
    {350, 200},
    {750, 500},
    {1500, 1000},
    {3500, 2000},
    {7500, 5000},
    {12500, 10000},
    {17500, 15000},
    {25000, 20000},
    {45000, 30000},
    {90000, 60000},
    {210000, 120000},
    {450000, 300000},
    {750000, 600000},
    {1050000, 900000},
    {1500000, 1200000},
    {2700000, 1800000},
    {5400000, 3600000},
    {9000000, 7200000},
    {16200000, 10800000},
    {32400000, 21600000},
    {86400000, 43200000},
    {172800000, 86400000},
    {604800000, 86400000},
    {1814400000, 604800000},
};

}  // namespace

FlamebearerMetadata FlamebearerMetadataFor(const storage::ProfileTypeId& type) {
  FlamebearerMetadata md;
  md.units = type.sample_unit;
  md.name = type.sample_type;
  const std::string& t = type.sample_type;
  if (t == "inuse_objects" || t == "alloc_objects" || t == "goroutine" || t == "samples") {
    md.units = "objects";
  } else if (t == "cpu") {
    md.units = "samples";
    md.sample_rate = 1000000000;
  }
  return md;
}

FlamebearerTimeline NewTimeline(std::span<const TimelinePoint> points, int64_t start_ms,
                                int64_t end_ms, int64_t step_s) {
  FlamebearerTimeline t;
  if (step_s <= 0) return t;
  const int64_t step_ms = step_s * 1000;
  start_ms = start_ms / step_ms * step_ms;
  end_ms = end_ms / step_ms * step_ms;
  t.start_time = start_ms / 1000;
  t.duration_delta = step_s;
  if (start_ms >= end_ms) return t;
  auto slots = [step_s](int64_t from_ms, int64_t to_ms) {
    return (to_ms / 1000 - from_ms / 1000) / step_s;
  };
  const int64_t capacity = slots(start_ms, end_ms);
  auto first = std::find_if(points.begin(), points.end(),
                            [&](const TimelinePoint& p) { return p.ts_ms >= start_ms; });
  auto last =
      std::find_if(first, points.end(), [&](const TimelinePoint& p) { return p.ts_ms >= end_ms; });
  if (first != last) {
    t.samples.resize(static_cast<size_t>(std::max<int64_t>(0, slots(start_ms, first->ts_ms))));
    const TimelinePoint* prev = &*first;
    for (auto it = first; it != last; ++it) {
      const int64_t gap = slots(prev->ts_ms, it->ts_ms) - 1;
      if (gap > 0) t.samples.resize(t.samples.size() + static_cast<size_t>(gap));
      t.samples.push_back(static_cast<uint64_t>(it->value));
      prev = &*it;
    }
  }
  if (static_cast<int64_t>(t.samples.size()) < capacity) {
    t.samples.resize(static_cast<size_t>(capacity));
  }
  return t;
}

double CalcPointInterval(int64_t from_ms, int64_t until_ms) {
  const int64_t interval_ns = (until_ms - from_ms) * 1000000 / 1500;
  if (interval_ns < int64_t{15} * 1000000000) return 15;
  for (const auto& [bound_ms, value_ms] : kRounding) {
    if (interval_ns <= bound_ms * 1000000) return static_cast<double>(value_ms) / 1000;
  }
  // 30 days below two years, else a year.
  if (interval_ns < int64_t{3628800000} * 1000000) return 2592000;
  return 31536000;
}

std::string RenderFlamebearer(const FlameGraph& fg, const FlamebearerMetadata& metadata,
                              const FlamebearerTimeline* timeline,
                              const std::map<std::string, FlamebearerTimeline>* groups) {
  std::string out;
  out.reserve(fg.names.size() * 24 + fg.levels.size() * 64);
  JsonWriter w(&out);
  WriteHead(w, fg.names, fg.levels, fg.total, fg.max_self, metadata);
  w.Key("timeline");
  if (timeline != nullptr) {
    WriteTimeline(w, *timeline);
  } else {
    w.Null();
  }
  w.Key("groups");
  if (groups != nullptr) {
    w.BeginObject();
    for (const auto& [key, t] : *groups) {
      w.Key(key);
      WriteTimeline(w, t);
    }
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("heatmap").Null().EndObject();
  out.push_back('\n');  // Go's json.Encoder ends every value with a newline
  return out;
}

std::string RenderFlamebearerDiff(const FlameGraphDiff& fg, const storage::ProfileTypeId& type) {
  FlamebearerMetadata md = FlamebearerMetadataFor(type);
  md.format = "double";
  std::string out;
  JsonWriter w(&out);
  WriteHead(w, fg.names, fg.levels, fg.total, fg.max_self, md);
  w.Key("timeline").Null().Key("groups").Null().Key("heatmap").Null();
  // omitempty in Go: absent when zero.
  if (fg.left_ticks != 0) w.Key("leftTicks").Int(fg.left_ticks);
  if (fg.right_ticks != 0) w.Key("rightTicks").Int(fg.right_ticks);
  w.EndObject();
  out.push_back('\n');
  return out;
}

}  // namespace hearth::query
