// V8 .cpuprofile reader (and Chrome trace-event wrappers of it). Format notes in v8.h.

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "formats/json_dom.h"
#include "formats/v8.h"
#include "formats/v8_tree.h"
#include "profile/builder.h"

namespace hearth::formats {
namespace {

using json::Element;
using simdjson::dom::array;
using simdjson::dom::object;
using v8_internal::kNoNode;
using v8_internal::NodeTree;

constexpr std::string_view kWhat = "cpuprofile";
// A .cpuprofile nests 4 levels; trace files carry other events' arguments, a few more.
constexpr size_t kMaxJsonDepth = 256;
// startTime at or after 2001-09-09 in µs is a Unix time; V8 itself writes a monotonic clock.
constexpr int64_t kUnixEpochThresholdUs = 1'000'000'000'000'000;

template <typename... Args>
absl::Status Invalid(fmt::format_string<Args...> f, Args&&... args) {
  return absl::InvalidArgumentError(
      fmt::format("{}: {}", kWhat, fmt::format(f, std::forward<Args>(args)...)));
}

// One profile's parts. A .cpuprofile has one of each array; a trace spreads them over
// ProfileChunk events, in file order.
struct CpuSource {
  std::vector<array> nodes;
  std::vector<array> samples;
  std::vector<array> deltas;
  std::optional<int64_t> start_us;
  std::optional<int64_t> end_us;
  std::string thread;  // "pid:tid" of the trace event that declared it.
};

// What the sources contribute to the profile header.
struct Header {
  std::optional<int64_t> start_us, end_us;
  int64_t period_ns = 0;
};

// end - start when both are known, end >= start and the difference fits.
std::optional<int64_t> SpanUs(std::optional<int64_t> start, std::optional<int64_t> end) {
  int64_t span;
  if (!start || !end || *end < *start || __builtin_sub_overflow(*end, *start, &span)) {
    return std::nullopt;
  }
  return span;
}

absl::Status ReadTime(Element e, std::string_view field, std::optional<int64_t>* out) {
  int64_t v;
  if (!json::GetRoundedInt(e, &v)) {
    return Invalid("{} is {}, want a number of microseconds", field, json::Describe(e));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status ReadArray(Element e, std::string_view field, std::vector<array>* out) {
  array a;
  if (e.get(a)) return Invalid("{} is {}, want an array", field, json::Describe(e));
  out->push_back(a);
  return absl::OkStatus();
}

class CpuReader {
 public:
  CpuReader(const V8Options& o, profile::ProfileBuilder& b)
      : o_(o), b_(b), budget_(kWhat, o.max_output_frames) {}

  absl::Status Add(const CpuSource& src, std::span<const profile::Label> labels);
  const Header& header() const { return header_; }

 private:
  absl::Status ReadNodes(const CpuSource& src);
  absl::Status Link();
  absl::Status SetParent(uint32_t child, uint32_t parent);
  absl::Status ReadSamples(const CpuSource& src);
  void UseHitCounts(const CpuSource& src);

  const V8Options& o_;
  profile::ProfileBuilder& b_;
  v8_internal::OutputBudget budget_;  // Shared by the sources (threads) of one trace.
  Header header_;
  size_t total_nodes_ = 0;
  size_t total_samples_ = 0;

  // Per source, reset by Add.
  std::optional<NodeTree> tree_;
  absl::flat_hash_map<int64_t, uint32_t> index_;          // node id -> index
  std::vector<std::pair<uint32_t, array>> children_;      // (node, its children ids)
  std::vector<std::pair<uint32_t, int64_t>> parent_ids_;  // (node, its `parent` id)
  std::vector<int64_t> hit_counts_;
  std::vector<int64_t> counts_;   // samples per node
  std::vector<int64_t> time_ns_;  // cpu time per node
};

absl::Status CpuReader::ReadNodes(const CpuSource& src) {
  auto& nodes = tree_->nodes();
  for (const array& a : src.nodes) {
    for (Element e : a) {
      if (++total_nodes_ > o_.max_nodes) {
        return absl::ResourceExhaustedError(
            fmt::format("{}: more than the limit of {} nodes", kWhat, o_.max_nodes));
      }
      object obj;
      if (e.get(obj))
        return Invalid("nodes[{}] is {}, want an object", nodes.size(), json::Describe(e));
      auto index = static_cast<uint32_t>(nodes.size());
      NodeTree::Node& n = nodes.emplace_back();
      hit_counts_.push_back(0);
      bool has_id = false;
      Element call_frame;
      bool has_frame = false;
      for (auto field : obj) {
        std::string_view key = field.key;
        if (key == "id") {
          if (!json::GetInt(field.value, &n.id)) {
            return Invalid("nodes[{}].id is not an integer", index);
          }
          has_id = true;
        } else if (key == "callFrame") {
          call_frame = field.value;
          has_frame = true;
        } else if (key == "children") {
          array children;
          if (field.value.get(children)) {
            return Invalid("nodes[{}].children is {}, want an array", index,
                           json::Describe(field.value));
          }
          children_.emplace_back(index, children);
        } else if (key == "parent") {
          int64_t parent;
          if (!json::GetInt(field.value, &parent)) {
            return Invalid("nodes[{}].parent is not an integer node id", index);
          }
          parent_ids_.emplace_back(index, parent);
        } else if (key == "hitCount") {
          if (!json::GetInt(field.value, &hit_counts_.back()) || hit_counts_.back() < 0) {
            return Invalid("nodes[{}].hitCount is not a non-negative integer", index);
          }
        }
      }
      if (!has_id) return Invalid("nodes[{}] has no id", index);
      if (!has_frame) return Invalid("node {} has no callFrame", n.id);
      if (auto st = v8_internal::ReadCallFrame(call_frame, kWhat, n.id, &n.frame); !st.ok()) {
        return st;
      }
      if (!index_.try_emplace(n.id, index).second) {
        return Invalid("node id {} appears twice in nodes", n.id);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CpuReader::SetParent(uint32_t child, uint32_t parent) {
  auto& nodes = tree_->nodes();
  if (child == parent) return Invalid("node {} is its own parent", nodes[child].id);
  uint32_t& p = nodes[child].parent;
  if (p != kNoNode && p != parent) {
    return Invalid("node {} has two parents, nodes {} and {}", nodes[child].id, nodes[p].id,
                   nodes[parent].id);
  }
  p = parent;
  return absl::OkStatus();
}

absl::Status CpuReader::Link() {
  auto& nodes = tree_->nodes();
  for (const auto& [index, children] : children_) {
    for (Element c : children) {
      int64_t id;
      if (!json::GetInt(c, &id)) {
        return Invalid("node {}: children holds {}, want node ids", nodes[index].id,
                       json::Describe(c));
      }
      auto it = index_.find(id);
      if (it == index_.end())
        return Invalid("node {}: child {} is not in nodes", nodes[index].id, id);
      if (auto st = SetParent(it->second, index); !st.ok()) return st;
    }
  }
  for (const auto& [index, parent_id] : parent_ids_) {
    auto it = index_.find(parent_id);
    if (it == index_.end()) {
      return Invalid("node {}: parent {} is not in nodes", nodes[index].id, parent_id);
    }
    if (auto st = SetParent(index, it->second); !st.ok()) return st;
  }
  return tree_->CheckForest(o_.max_stack_depth);
}

absl::Status CpuReader::ReadSamples(const CpuSource& src) {
  size_t num_samples = 0, num_deltas = 0;
  for (const array& a : src.samples) num_samples += json::Size(a);
  for (const array& a : src.deltas) num_deltas += json::Size(a);
  total_samples_ += num_samples;
  if (total_samples_ > o_.max_samples) {
    return absl::ResourceExhaustedError(
        fmt::format("{}: more than the limit of {} samples", kWhat, o_.max_samples));
  }
  if (num_samples != num_deltas) {
    return Invalid("samples has {} entries but timeDeltas has {}", num_samples, num_deltas);
  }
  // Sample timestamps, made non-decreasing (see v8.h).
  std::vector<int64_t> ts;
  ts.reserve(num_samples);
  int64_t t = src.start_us.value_or(0), high = INT64_MIN;
  for (const array& a : src.deltas) {
    for (Element e : a) {
      int64_t d;
      if (!json::GetRoundedInt(e, &d)) {
        return Invalid("timeDeltas[{}] is {}, want a number", ts.size(), json::Describe(e));
      }
      if (__builtin_add_overflow(t, d, &t)) {
        return Invalid("timeDeltas[{}]: the timestamps overflow", ts.size());
      }
      high = std::max(high, t);
      ts.push_back(high);
    }
  }
  auto weight_ns = [&](size_t i, int64_t* out) {
    int64_t next = i + 1 < ts.size() ? ts[i + 1] : std::max(ts[i], src.end_us.value_or(ts[i]));
    int64_t us;
    if (__builtin_sub_overflow(next, ts[i], &us) || __builtin_mul_overflow(us, 1000, out)) {
      return Invalid("sample {}: the time to the next sample does not fit in 64 bits", i);
    }
    return absl::OkStatus();
  };
  size_t i = 0;
  for (const array& a : src.samples) {
    for (Element e : a) {
      int64_t id;
      if (!json::GetInt(e, &id)) {
        return Invalid("samples[{}] is {}, want a node id", i, json::Describe(e));
      }
      auto it = index_.find(id);
      if (it == index_.end()) return Invalid("samples[{}]: node {} is not in nodes", i, id);
      int64_t w = 0;
      if (auto st = weight_ns(i, &w); !st.ok()) return st;
      counts_[it->second] += 1;
      if (__builtin_add_overflow(time_ns_[it->second], w, &time_ns_[it->second])) {
        return Invalid("node {}: its cpu time does not fit in 64 bits of nanoseconds", id);
      }
      ++i;
    }
  }
  if (header_.period_ns == 0 && ts.size() >= 2) {
    // The sampling interval is not recorded; the median gap between samples estimates it.
    // Unsigned: the timestamps are non-decreasing, so each gap fits in 64 unsigned bits.
    std::vector<uint64_t> gaps(ts.size() - 1);
    for (size_t k = 0; k + 1 < ts.size(); ++k) {
      gaps[k] = static_cast<uint64_t>(ts[k + 1]) - static_cast<uint64_t>(ts[k]);
    }
    std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
    uint64_t median = gaps[gaps.size() / 2];
    header_.period_ns = median > INT64_MAX / 1000 ? 0 : static_cast<int64_t>(median) * 1000;
  }
  return absl::OkStatus();
}

void CpuReader::UseHitCounts(const CpuSource& src) {
  int64_t hits = 0;
  for (int64_t h : hit_counts_) hits = h > INT64_MAX - hits ? INT64_MAX : hits + h;
  int64_t span_us =
      src.start_us && src.end_us && *src.end_us > *src.start_us ? *src.end_us - *src.start_us : 0;
  // Per-hit time, in ns; double keeps huge spans from overflowing.
  double per_hit_ns = hits > 0 ? static_cast<double>(span_us) * 1000.0 / hits : 0;
  for (size_t i = 0; i < hit_counts_.size(); ++i) {
    counts_[i] = hit_counts_[i];
    double ns = per_hit_ns * static_cast<double>(hit_counts_[i]);
    time_ns_[i] = ns < 9.2e18 ? static_cast<int64_t>(ns) : INT64_MAX;
  }
  if (header_.period_ns == 0) header_.period_ns = static_cast<int64_t>(per_hit_ns);
}

absl::Status CpuReader::Add(const CpuSource& src, std::span<const profile::Label> labels) {
  tree_.emplace(kWhat, &budget_);
  index_.clear();
  children_.clear();
  parent_ids_.clear();
  hit_counts_.clear();
  if (auto st = ReadNodes(src); !st.ok()) return st;
  if (auto st = Link(); !st.ok()) return st;
  size_t n = tree_->nodes().size();
  counts_.assign(n, 0);
  time_ns_.assign(n, 0);
  if (!src.samples.empty() || !src.deltas.empty()) {
    if (auto st = ReadSamples(src); !st.ok()) return st;
  } else {
    UseHitCounts(src);
  }
  for (uint32_t i = 0; i < n; ++i) {
    if (counts_[i] == 0 && time_ns_[i] == 0) continue;
    int64_t values[2] = {counts_[i], time_ns_[i]};
    if (auto st = tree_->AddSample(i, b_, values, labels); !st.ok()) return st;
  }
  if (src.start_us && (!header_.start_us || *src.start_us < *header_.start_us)) {
    header_.start_us = src.start_us;
  }
  if (src.end_us && (!header_.end_us || *src.end_us > *header_.end_us)) {
    header_.end_us = src.end_us;
  }
  return absl::OkStatus();
}

// A plain .cpuprofile object (also the `cpuProfile` of a trace's CpuProfile event).
absl::Status ReadProfileObject(object obj, CpuSource* src) {
  bool has_nodes = false;
  for (auto field : obj) {
    std::string_view key = field.key;
    absl::Status st;
    if (key == "nodes") {
      st = ReadArray(field.value, "nodes", &src->nodes);
      has_nodes = true;
    } else if (key == "samples") {
      st = ReadArray(field.value, "samples", &src->samples);
    } else if (key == "timeDeltas") {
      st = ReadArray(field.value, "timeDeltas", &src->deltas);
    } else if (key == "startTime") {
      st = ReadTime(field.value, "startTime", &src->start_us);
    } else if (key == "endTime") {
      st = ReadTime(field.value, "endTime", &src->end_us);
    }
    if (!st.ok()) return st;
  }
  if (!has_nodes) return Invalid("no \"nodes\" array");
  return absl::OkStatus();
}

std::string EventKey(object ev, std::string* thread) {
  auto part = [&](std::string_view k) -> std::string {
    Element e;
    if (ev.at_key(k).get(e)) return "";
    std::string_view s;
    if (!e.get(s)) return std::string(s);
    int64_t v;
    return json::GetInt(e, &v) ? fmt::format("{}", v) : "";
  };
  *thread = fmt::format("{}:{}", part("pid"), part("tid"));
  std::string id = part("id");
  return id.empty() ? *thread : fmt::format("{}/{}", part("pid"), id);
}

// Trace events: Profile opens a profile, ProfileChunk extends it, CpuProfile is a whole
// one. Other events are ignored, except thread_name metadata, which names the threads.
absl::Status ReadTraceEvents(array events, std::vector<CpuSource>* sources,
                             absl::flat_hash_map<std::string, std::string>* thread_names) {
  absl::flat_hash_map<std::string, size_t> by_key;
  auto source = [&](const std::string& key, const std::string& thread) -> CpuSource& {
    auto [it, inserted] = by_key.try_emplace(key, sources->size());
    if (inserted) sources->emplace_back().thread = thread;
    return (*sources)[it->second];
  };
  size_t i = 0;
  for (Element e : events) {
    const size_t index = i++;
    object ev;
    std::string_view name;
    if (e.get(ev) || ev["name"].get(name)) continue;  // Not an event we read.
    // Traces hold many other events; only these four cost more than the name lookup.
    bool is_thread_name = name == "thread_name";
    if (!is_thread_name && name != "Profile" && name != "ProfileChunk" && name != "CpuProfile") {
      continue;
    }
    object args, data;
    if (ev["args"].get(args)) continue;
    std::string thread;
    std::string key = EventKey(ev, &thread);
    if (is_thread_name) {
      std::string_view thread_name;
      if (!args["name"].get(thread_name)) (*thread_names)[thread] = std::string(thread_name);
      continue;
    }
    if (args["data"].get(data)) continue;
    absl::Status st;
    CpuSource& src = source(key, thread);
    if (name == "Profile") {
      Element start;
      if (!data["startTime"].get(start)) st = ReadTime(start, "Profile.startTime", &src.start_us);
    } else if (name == "ProfileChunk") {
      Element v;
      object cpu;
      if (!data["cpuProfile"].get(cpu)) {
        if (st.ok() && !cpu["nodes"].get(v)) st = ReadArray(v, "ProfileChunk.nodes", &src.nodes);
        if (st.ok() && !cpu["samples"].get(v)) {
          st = ReadArray(v, "ProfileChunk.samples", &src.samples);
        }
      }
      if (st.ok() && !data["timeDeltas"].get(v)) {
        st = ReadArray(v, "ProfileChunk.timeDeltas", &src.deltas);
      }
      if (st.ok() && !data["endTime"].get(v)) st = ReadTime(v, "ProfileChunk.endTime", &src.end_us);
    } else {  // CpuProfile: a whole profile in one event.
      object cpu;
      if (data["cpuProfile"].get(cpu)) {
        return Invalid("event {}: CpuProfile without cpuProfile", index);
      }
      st = ReadProfileObject(cpu, &src);
    }
    if (!st.ok()) {
      return absl::Status(st.code(),
                          fmt::format("{} (trace event {})", std::string(st.message()), index));
    }
  }
  if (sources->empty())
    return Invalid("the trace has no Profile, ProfileChunk or CpuProfile events");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<profile::Profile> ParseV8CpuProfile(std::string_view data, const V8Options& o) {
  simdjson::dom::parser parser;
  auto root = json::Parse(parser, data, o.max_input_bytes, kMaxJsonDepth, kWhat);
  if (!root.ok()) return root.status();
  std::vector<CpuSource> sources;
  absl::flat_hash_map<std::string, std::string> thread_names;
  array events;
  object obj;
  if (!root->get(events) ||
      (!root->get(obj) && !obj["traceEvents"].get(events) && obj["nodes"].error())) {
    if (auto st = ReadTraceEvents(events, &sources, &thread_names); !st.ok()) return st;
  } else if (!root->get(obj)) {
    if (auto st = ReadProfileObject(obj, &sources.emplace_back()); !st.ok()) return st;
  } else {
    return Invalid("expected a JSON object with \"nodes\", found {}", json::Describe(*root));
  }

  profile::ProfileBuilder b;
  profile::Profile& p = b.profile();
  p.sample_types.push_back({b.Str("samples"), b.Str("count")});
  p.sample_types.push_back({b.Str("cpu"), b.Str("nanoseconds")});
  p.period_type = {b.Str("cpu"), b.Str("nanoseconds")};
  p.default_sample_type = b.Str("cpu");
  CpuReader reader(o, b);
  for (const CpuSource& src : sources) {
    // Several profiles (threads of a trace) stay apart through a label.
    profile::Label label;
    if (sources.size() > 1) {
      auto it = thread_names.find(src.thread);
      label.key = b.Str("thread");
      label.str = b.Str(it != thread_names.end() ? std::string_view(it->second)
                                                 : std::string_view(src.thread));
    }
    auto labels = sources.size() > 1 ? std::span<const profile::Label>(&label, 1)
                                     : std::span<const profile::Label>();
    if (auto st = reader.Add(src, labels); !st.ok()) return st;
  }
  const Header& h = reader.header();
  p.period = h.period_ns;
  if (std::optional<int64_t> span = SpanUs(h.start_us, h.end_us);
      span && *span <= INT64_MAX / 1000) {
    p.duration_nanos = *span * 1000;
  }
  // V8 stamps profiles with a monotonic clock; only a Unix-looking start is a wall time.
  if (h.start_us && *h.start_us >= kUnixEpochThresholdUs && *h.start_us <= INT64_MAX / 1000) {
    p.time_nanos = *h.start_us * 1000;
  }
  return b.Finish();
}

}  // namespace hearth::formats
