#include "storage/head.h"

#include <fmt/format.h>

#include <algorithm>

#include "absl/hash/hash.h"

namespace hearth::storage {
namespace {

enum class LabelRole { kSeries, kSpan, kTrace, kDrop };

LabelRole RoleOf(std::string_view key) {
  if (key == kSpanIdLabel || key == "span id") return LabelRole::kSpan;
  if (key == kTraceIdLabel || key == "trace id") return LabelRole::kTrace;
  if (IsSampleLevelLabel(key)) return LabelRole::kDrop;  // other per-request ids
  return LabelRole::kSeries;
}

// The series-level string labels of a sample, as (key, value) string ids of the source
// profile, sorted by key string (ids of different profiles are not comparable).
struct SampleLabelKey {
  std::vector<std::pair<profile::StrId, profile::StrId>> pairs;
  uint64_t hash = 0;
};

}  // namespace

size_t Head::FindOrAddSeries(Labels labels, const SeriesSchema& schema, uint64_t schema_hash,
                             bool* created) {
  uint64_t h = absl::HashOf(HashLabels(labels), schema_hash);
  std::vector<uint32_t>& candidates = series_index_[h];
  for (uint32_t c : candidates) {
    if (series_[c].labels == labels && series_[c].schema == schema) return c;
  }
  *created = true;
  for (const auto& [k, v] : labels) label_bytes_ += k.size() + v.size() + 64;
  Series s;
  s.labels = std::move(labels);
  s.schema = schema;
  s.rows.num_values = static_cast<uint32_t>(schema.sample_types.size());
  postings_.Add(static_cast<uint32_t>(series_.size()), s.labels);
  series_.push_back(std::move(s));
  candidates.push_back(static_cast<uint32_t>(series_.size() - 1));
  return series_.size() - 1;
}

absl::StatusOr<AppendStats> Head::Append(const Labels& labels, const profile::Profile& p,
                                         int64_t ts_ns) {
  if (p.sample_types.empty()) return absl::InvalidArgumentError("profile has no sample types");
  const SeriesSchema schema = SchemaOf(p);
  const uint64_t schema_hash = HashSchema(schema);
  const int64_t ts = p.time_nanos != 0 ? p.time_nanos : ts_ns;

  // Group samples by their series-level labels.
  std::vector<SampleLabelKey> groups;
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> group_index;
  std::vector<uint32_t> sample_group(p.samples.size());
  std::vector<uint32_t> sample_span(p.samples.size(), 0), sample_trace(p.samples.size(), 0);
  symbols_.Bind(p);
  SampleLabelKey key;
  for (size_t i = 0; i < p.samples.size(); ++i) {
    key.pairs.clear();
    for (const profile::Label& l : p.Labels(p.samples[i])) {
      if (!l.is_string()) continue;  // Numeric labels (heap "bytes") are not kept.
      switch (RoleOf(p.Str(l.key))) {
        case LabelRole::kSeries: key.pairs.emplace_back(l.key, l.str); break;
        case LabelRole::kSpan: sample_span[i] = symbols_.Str(p.Str(l.str)); break;
        case LabelRole::kTrace: sample_trace[i] = symbols_.Str(p.Str(l.str)); break;
        case LabelRole::kDrop: break;
      }
    }
    std::sort(key.pairs.begin(), key.pairs.end(), [&p](const auto& a, const auto& b) {
      return p.Str(a.first) < p.Str(b.first);
    });
    key.hash = key.pairs.size();
    for (const auto& [k, v] : key.pairs) {
      key.hash = absl::HashOf(key.hash, p.Str(k), p.Str(v));
    }
    std::vector<uint32_t>& candidates = group_index[key.hash];
    uint32_t g = UINT32_MAX;
    for (uint32_t c : candidates) {
      if (groups[c].pairs.size() == key.pairs.size() &&
          std::equal(key.pairs.begin(), key.pairs.end(), groups[c].pairs.begin(),
                     [&p](const auto& a, const auto& b) {
                       return p.Str(a.first) == p.Str(b.first) &&
                              p.Str(a.second) == p.Str(b.second);
                     })) {
        g = c;
        break;
      }
    }
    if (g == UINT32_MAX) {
      g = static_cast<uint32_t>(groups.size());
      groups.push_back(key);
      candidates.push_back(g);
    }
    sample_group[i] = g;
  }

  // Samples in group order (a counting sort), so each group's row is built in one pass.
  std::vector<uint32_t> group_begin(groups.size() + 1, 0);
  for (uint32_t g : sample_group) ++group_begin[g + 1];
  for (size_t g = 0; g < groups.size(); ++g) group_begin[g + 1] += group_begin[g];
  std::vector<uint32_t> order(p.samples.size());
  {
    std::vector<uint32_t> next(group_begin.begin(), group_begin.end() - 1);
    for (uint32_t i = 0; i < p.samples.size(); ++i) order[next[sample_group[i]]++] = i;
  }

  AppendStats stats;
  std::vector<RowBatch::SampleIn> samples;
  for (uint32_t g = 0; g < groups.size(); ++g) {
    Labels series_labels = labels;
    for (const auto& [k, v] : groups[g].pairs) {
      // A sample label never overrides a label the producer gave the whole profile.
      if (LabelValue(labels, p.Str(k)).has_value()) continue;
      series_labels.emplace_back(std::string(p.Str(k)), std::string(p.Str(v)));
    }
    std::sort(series_labels.begin(), series_labels.end());
    bool created = false;
    size_t s = FindOrAddSeries(std::move(series_labels), schema, schema_hash, &created);
    samples.clear();
    for (uint32_t o = group_begin[g]; o < group_begin[g + 1]; ++o) {
      const uint32_t i = order[o];
      const profile::Sample& ps = p.samples[i];
      uint32_t node = symbols_.AddStack(p.Stack(ps));
      samples.push_back({node, p.values.data() + ps.values_begin, sample_span[i], sample_trace[i]});
    }
    const size_t before = series_[s].rows.MemoryBytes();
    series_[s].rows.AppendRow(ts, p.duration_nanos, samples);
    row_bytes_ += series_[s].rows.MemoryBytes() - before;
    series_[s].min_ts = std::min(series_[s].min_ts, ts);
    series_[s].max_ts = std::max(series_[s].max_ts, ts);
    ++stats.series;
    stats.samples += static_cast<uint32_t>(samples.size());
    stats.new_series += created;
  }
  if (!p.samples.empty()) {
    min_ts_ = std::min(min_ts_, ts);
    max_ts_ = std::max(max_ts_, ts);
  }
  return stats;
}

size_t Head::MemoryBytes() const {
  return symbols_.MemoryBytes() + label_bytes_ + postings_.MemoryBytes() +
         series_.capacity() * sizeof(Series) + row_bytes_;
}

absl::Status Head::ReadRows(size_t series, int64_t lo, int64_t hi, bool with_samples,
                            RowBatch* out) const {
  const Series& ser = series_[series];
  const RowBatch& b = ser.rows;
  if (ser.min_ts >= lo && ser.max_ts < hi && out->rows() == 0 && b.rows() > 0) {
    // The whole series (the usual case for recent data): bulk copies, not row by row.
    out->CopyFrom(b, with_samples);
    return absl::OkStatus();
  }
  for (size_t r = 0; r < b.rows(); ++r) {
    if (b.ts[r] < lo || b.ts[r] >= hi) continue;
    if (with_samples) {
      out->AppendRowFrom(b, r);
    } else {
      out->AppendRowMetaFrom(b, r);
    }
  }
  return absl::OkStatus();
}

}  // namespace hearth::storage
