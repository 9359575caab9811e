#include "storage/rows.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "base/varint.h"

namespace hearth::storage {
namespace {

// Appends varints to a string.
class VarintWriter {
 public:
  explicit VarintWriter(std::string* out) : out_(out) {}
  void U(uint64_t v) { varint::PutU(out_, v); }
  void S(int64_t v) { varint::PutS(out_, v); }

 private:
  std::string* out_;
};

using VarintReader = varint::Reader;

uint64_t Gcd(uint64_t a, uint64_t b) {
  while (b != 0) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(fmt::format("page: corrupt {}", what));
}

}  // namespace

size_t RowBatch::MemoryBytes() const {
  return (ts.capacity() + duration.capacity() + totals.capacity() + values.capacity()) * 8 +
         (row_end.capacity() + nodes.capacity() + spans.capacity() + traces.capacity()) * 4 +
         flags.capacity();
}

void RowBatch::Clear() {
  ts.clear();
  duration.clear();
  row_end.clear();
  totals.clear();
  flags.clear();
  nodes.clear();
  values.clear();
  spans.clear();
  traces.clear();
}

void RowBatch::AppendRow(int64_t row_ts, int64_t row_duration, std::vector<SampleIn>& in) {
  std::stable_sort(in.begin(), in.end(),
                   [](const SampleIn& a, const SampleIn& b) { return a.node < b.node; });
  const size_t before = nodes.size();
  bool any_span = false, any_trace = false;
  for (const SampleIn& s : in) {
    any_span |= s.span != 0;
    any_trace |= s.trace != 0;
  }
  // Span/trace columns exist for all samples once any sample has one.
  const bool keep_spans = any_span || !spans.empty();
  const bool keep_traces = any_trace || !traces.empty();
  if (keep_spans) spans.resize(before, 0);
  if (keep_traces) traces.resize(before, 0);
  totals.resize(totals.size() + num_values, 0);
  int64_t* row_totals = totals.data() + totals.size() - num_values;
  for (const SampleIn& s : in) {
    nodes.push_back(s.node);
    for (uint32_t k = 0; k < num_values; ++k) {
      values.push_back(s.values[k]);
      row_totals[k] += s.values[k];
    }
    if (keep_spans) spans.push_back(s.span);
    if (keep_traces) traces.push_back(s.trace);
  }
  ts.push_back(row_ts);
  duration.push_back(row_duration);
  row_end.push_back(static_cast<uint32_t>(nodes.size()));
  flags.push_back((any_span ? kRowHasSpans : 0) | (any_trace ? kRowHasTraces : 0));
}

void RowBatch::AppendRowFrom(const RowBatch& o, size_t r) {
  const uint32_t b = o.row_begin(r), e = o.row_end[r];
  const size_t before = nodes.size();
  const bool keep_spans = !o.spans.empty() || !spans.empty();
  const bool keep_traces = !o.traces.empty() || !traces.empty();
  if (keep_spans) spans.resize(before, 0);
  if (keep_traces) traces.resize(before, 0);
  nodes.insert(nodes.end(), o.nodes.begin() + b, o.nodes.begin() + e);
  values.insert(values.end(), o.values.begin() + size_t{b} * num_values,
                o.values.begin() + size_t{e} * num_values);
  if (keep_spans) {
    if (o.spans.empty()) {
      spans.resize(nodes.size(), 0);
    } else {
      spans.insert(spans.end(), o.spans.begin() + b, o.spans.begin() + e);
    }
  }
  if (keep_traces) {
    if (o.traces.empty()) {
      traces.resize(nodes.size(), 0);
    } else {
      traces.insert(traces.end(), o.traces.begin() + b, o.traces.begin() + e);
    }
  }
  ts.push_back(o.ts[r]);
  duration.push_back(o.duration[r]);
  totals.insert(totals.end(), o.totals.begin() + r * num_values,
                o.totals.begin() + (r + 1) * num_values);
  row_end.push_back(static_cast<uint32_t>(nodes.size()));
  flags.push_back(o.flags[r]);
}

void RowBatch::CopyFrom(const RowBatch& o, bool with_samples) {
  ts = o.ts;
  duration = o.duration;
  totals = o.totals;
  flags = o.flags;
  if (with_samples) {
    row_end = o.row_end;
    nodes = o.nodes;
    values = o.values;
    spans = o.spans;
    traces = o.traces;
  } else {
    row_end.assign(o.rows(), 0);
    nodes.clear();
    values.clear();
    spans.clear();
    traces.clear();
  }
}

void RowBatch::AppendRowMetaFrom(const RowBatch& o, size_t r) {
  ts.push_back(o.ts[r]);
  duration.push_back(o.duration[r]);
  row_end.push_back(row_end.empty() ? 0 : row_end.back());
  totals.insert(totals.end(), o.totals.begin() + r * o.num_values,
                o.totals.begin() + (r + 1) * o.num_values);
  flags.push_back(o.flags[r]);
}

RowBatch SortedByTime(const RowBatch& in) {
  std::vector<uint32_t> order(in.rows());
  std::iota(order.begin(), order.end(), 0);
  if (std::is_sorted(in.ts.begin(), in.ts.end())) return in;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return in.ts[a] < in.ts[b]; });
  RowBatch out;
  out.num_values = in.num_values;
  for (uint32_t r : order) out.AppendRowFrom(in, r);
  return out;
}

RowBatch Rollup(const RowBatch& in, int64_t bucket_ns) {
  RowBatch out;
  out.num_values = in.num_values;
  const uint32_t k = in.num_values;
  struct Entry {
    uint32_t node;
    uint32_t sample;
  };
  std::vector<Entry> entries;
  std::vector<int64_t> merged;
  size_t r = 0;
  while (r < in.rows()) {
    // Euclidean floor, so negative timestamps bucket correctly too.
    int64_t bucket = in.ts[r] / bucket_ns * bucket_ns;
    if (in.ts[r] < bucket) bucket -= bucket_ns;
    size_t end = r;
    int64_t dur = 0;
    entries.clear();
    while (end < in.rows() && in.ts[end] >= bucket && in.ts[end] < bucket + bucket_ns) {
      dur += in.duration[end];
      for (uint32_t s = in.row_begin(end); s < in.row_end[end]; ++s) entries.push_back({in.nodes[s], s});
      ++end;
    }
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.node < b.node; });
    std::vector<int64_t> row_totals(k, 0);
    const size_t first_sample = out.nodes.size();
    for (size_t i = 0; i < entries.size();) {
      uint32_t node = entries[i].node;
      merged.assign(k, 0);
      for (; i < entries.size() && entries[i].node == node; ++i) {
        const int64_t* v = in.values.data() + size_t{entries[i].sample} * k;
        for (uint32_t j = 0; j < k; ++j) merged[j] += v[j];
      }
      if (std::all_of(merged.begin(), merged.end(), [](int64_t v) { return v == 0; })) continue;
      out.nodes.push_back(node);
      for (uint32_t j = 0; j < k; ++j) {
        out.values.push_back(merged[j]);
        row_totals[j] += merged[j];
      }
    }
    if (out.nodes.size() > first_sample || dur != 0) {
      out.ts.push_back(bucket);
      out.duration.push_back(dur);
      out.row_end.push_back(static_cast<uint32_t>(out.nodes.size()));
      out.totals.insert(out.totals.end(), row_totals.begin(), row_totals.end());
      out.flags.push_back(0);
    }
    r = end;
  }
  return out;
}

std::string EncodePageMeta(const RowBatch& b, size_t begin, size_t end) {
  std::string out;
  VarintWriter w(&out);
  w.U(end - begin);
  int64_t prev = 0, prev_delta = 0;
  for (size_t r = begin; r < end; ++r) {
    if (r == begin) {
      w.S(b.ts[r]);
    } else {
      int64_t delta = b.ts[r] - prev;
      w.S(delta - prev_delta);
      prev_delta = delta;
    }
    prev = b.ts[r];
  }
  int64_t prev_dur = 0;
  for (size_t r = begin; r < end; ++r) {
    w.S(b.duration[r] - prev_dur);
    prev_dur = b.duration[r];
  }
  for (size_t r = begin; r < end; ++r) w.U(b.row_end[r] - b.row_begin(r));
  for (size_t i = begin * b.num_values; i < end * b.num_values; ++i) w.S(b.totals[i]);
  for (size_t r = begin; r < end; ++r) w.U(b.flags[r]);
  return out;
}

std::string EncodePageSamples(const RowBatch& b, size_t begin, size_t end) {
  std::string out;
  VarintWriter w(&out);
  const uint32_t k = b.num_values;
  for (size_t r = begin; r < end; ++r) {
    const uint32_t s0 = b.row_begin(r), s1 = b.row_end[r];
    uint32_t prev = 0;
    for (uint32_t s = s0; s < s1; ++s) {
      w.U(b.nodes[s] - prev);
      prev = b.nodes[s];
    }
    for (uint32_t j = 0; j < k; ++j) {
      uint64_t g = 0;
      for (uint32_t s = s0; s < s1; ++s) {
        int64_t v = b.values[size_t{s} * k + j];
        g = Gcd(g, v < 0 ? uint64_t(0) - static_cast<uint64_t>(v) : static_cast<uint64_t>(v));
      }
      w.U(g);
      if (g == 0) continue;  // all zero
      for (uint32_t s = s0; s < s1; ++s) {
        w.S(b.values[size_t{s} * k + j] / static_cast<int64_t>(g));
      }
    }
    if (b.flags[r] & kRowHasSpans) {
      for (uint32_t s = s0; s < s1; ++s) w.U(b.spans[s]);
    }
    if (b.flags[r] & kRowHasTraces) {
      for (uint32_t s = s0; s < s1; ++s) w.U(b.traces[s]);
    }
  }
  return out;
}

absl::Status DecodePageMeta(std::string_view data, RowBatch* out) {
  VarintReader r(data);
  uint64_t n;
  if (!r.U(&n) || n > data.size()) return Corrupt("row count");
  const uint32_t k = out->num_values;
  if (n * (k + 4) > data.size() + 4) return Corrupt("row count larger than the page");
  out->ts.resize(n);
  out->duration.resize(n);
  out->row_end.resize(n);
  out->totals.resize(n * k);
  int64_t prev = 0, prev_delta = 0;
  for (uint64_t i = 0; i < n; ++i) {
    int64_t v;
    if (!r.S(&v)) return Corrupt("timestamps");
    if (i == 0) {
      out->ts[i] = v;
    } else {
      prev_delta += v;
      out->ts[i] = prev + prev_delta;
    }
    prev = out->ts[i];
  }
  int64_t dur = 0;
  for (uint64_t i = 0; i < n; ++i) {
    int64_t v;
    if (!r.S(&v)) return Corrupt("durations");
    dur += v;
    out->duration[i] = dur;
  }
  uint64_t total = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t c;
    if (!r.U(&c) || c > (uint64_t{1} << 31) || total + c > (uint64_t{1} << 31)) {
      return Corrupt("samples per row");
    }
    total += c;
    out->row_end[i] = static_cast<uint32_t>(total);
  }
  for (uint64_t i = 0; i < n * k; ++i) {
    if (!r.S(&out->totals[i])) return Corrupt("totals");
  }
  out->flags.resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t f;
    if (!r.U(&f) || f > (kRowHasSpans | kRowHasTraces)) return Corrupt("row flags");
    out->flags[i] = static_cast<uint8_t>(f);
  }
  if (!r.done()) return Corrupt("trailing bytes in page meta");
  return absl::OkStatus();
}

absl::Status DecodePageSamples(std::string_view data, RowBatch* out) {
  VarintReader r(data);
  const uint32_t k = out->num_values;
  const size_t n = out->rows();
  const size_t total = n == 0 ? 0 : out->row_end.back();
  // Each sample takes at least one byte per node delta: a page cannot hold more samples
  // than bytes, which bounds the allocation below.
  if (total > data.size()) return Corrupt("sample count larger than the page");
  out->nodes.resize(total);
  out->values.assign(total * k, 0);
  bool any_span = false, any_trace = false;
  for (uint8_t f : out->flags) {
    any_span |= (f & kRowHasSpans) != 0;
    any_trace |= (f & kRowHasTraces) != 0;
  }
  out->spans.assign(any_span ? total : 0, 0);
  out->traces.assign(any_trace ? total : 0, 0);
  for (size_t row = 0; row < n; ++row) {
    const uint32_t s0 = out->row_begin(row), s1 = out->row_end[row];
    uint64_t node = 0;
    for (uint32_t s = s0; s < s1; ++s) {
      uint64_t d;
      if (!r.U(&d)) return Corrupt("nodes");
      node += d;
      if (node > UINT32_MAX) return Corrupt("node id");
      out->nodes[s] = static_cast<uint32_t>(node);
    }
    for (uint32_t j = 0; j < k; ++j) {
      uint64_t g;
      if (!r.U(&g)) return Corrupt("value gcd");
      if (g == 0) continue;
      for (uint32_t s = s0; s < s1; ++s) {
        int64_t v;
        if (!r.S(&v)) return Corrupt("values");
        out->values[size_t{s} * k + j] = v * static_cast<int64_t>(g);
      }
    }
    if (out->flags[row] & kRowHasSpans) {
      for (uint32_t s = s0; s < s1; ++s) {
        uint64_t v;
        if (!r.U(&v) || v > UINT32_MAX) return Corrupt("span ids");
        out->spans[s] = static_cast<uint32_t>(v);
      }
    }
    if (out->flags[row] & kRowHasTraces) {
      for (uint32_t s = s0; s < s1; ++s) {
        uint64_t v;
        if (!r.U(&v) || v > UINT32_MAX) return Corrupt("trace ids");
        out->traces[s] = static_cast<uint32_t>(v);
      }
    }
  }
  if (!r.done()) return Corrupt("trailing bytes in page samples");
  return absl::OkStatus();
}

}  // namespace hearth::storage
