// speedscope reader. The format, and how it maps onto the model, is described in
// speedscope.h; the writer is in speedscope_write.cc.

#include "formats/speedscope.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "formats/json_dom.h"
#include "profile/builder.h"

namespace hearth::formats {
namespace {

using json::Element;
using simdjson::dom::array;
using simdjson::dom::object;

constexpr std::string_view kWhat = "speedscope";
constexpr size_t kMaxJsonDepth = 64;  // The format nests 5 levels.
constexpr uint32_t kUnset = UINT32_MAX;

template <typename... Args>
absl::Status Invalid(fmt::format_string<Args...> f, Args&&... args) {
  return absl::InvalidArgumentError(
      fmt::format("{}: {}", kWhat, fmt::format(f, std::forward<Args>(args)...)));
}

struct SampleUnit {
  std::string_view type;
  std::string_view unit;
  double scale;  // File units -> model units.
  bool operator==(const SampleUnit& o) const { return type == o.type && unit == o.unit; }
};

std::optional<SampleUnit> UnitOf(std::string_view unit, std::string_view time_type) {
  if (unit == "none") return SampleUnit{"samples", "count", 1};
  if (unit == "bytes") return SampleUnit{"space", "bytes", 1};
  if (unit == "nanoseconds") return SampleUnit{time_type, "nanoseconds", 1};
  if (unit == "microseconds") return SampleUnit{time_type, "nanoseconds", 1e3};
  if (unit == "milliseconds") return SampleUnit{time_type, "nanoseconds", 1e6};
  if (unit == "seconds") return SampleUnit{time_type, "nanoseconds", 1e9};
  return std::nullopt;
}

struct Frame {
  std::string_view name, file;
  int64_t line = 0, col = 0;
  uint32_t location = kUnset;  // Created on first use.
};

class Reader {
 public:
  Reader(const SpeedscopeOptions& o, profile::ProfileBuilder& b) : o_(o), b_(b) {}

  absl::Status ReadFrames(Element shared);
  absl::Status ReadProfile(size_t index, object prof, const SampleUnit& unit,
                           std::span<const profile::Label> labels);

 private:
  absl::Status Sampled(size_t index, object prof, const SampleUnit& unit,
                       std::span<const profile::Label> labels);
  absl::Status Evented(size_t index, object prof, const SampleUnit& unit,
                       std::span<const profile::Label> labels);
  // Reads a frame index; `field` and `i` only name the place in an error.
  absl::Status FrameIndex(Element e, size_t profile, std::string_view field, size_t i,
                          uint32_t* out);
  absl::Status Weight(double w, const SampleUnit& unit, size_t profile, std::string_view where,
                      size_t i, int64_t* out);
  absl::Status CountSamples(size_t n);
  absl::Status Emit(std::span<const profile::Label> labels, int64_t value);
  uint32_t Location(uint32_t frame);

  const SpeedscopeOptions& o_;
  profile::ProfileBuilder& b_;
  std::vector<Frame> frames_;
  size_t samples_ = 0;
  size_t output_frames_ = 0;
  // The total weight stays within int64, so no per-stack sum in the builder can wrap.
  int64_t total_ = 0;
  std::vector<uint32_t> stack_;  // Leaf first, location indices.
};

absl::Status Reader::ReadFrames(Element shared) {
  object obj;
  array frames;
  Element e;
  if (shared.get(obj)) return Invalid("shared is {}, want an object", json::Describe(shared));
  if (obj["frames"].get(e)) return Invalid("shared has no frames");
  if (e.get(frames)) return Invalid("shared.frames is {}, want an array", json::Describe(e));
  if (json::Size(frames) > o_.max_frames) {
    return absl::ResourceExhaustedError(
        fmt::format("{}: more than the limit of {} frames", kWhat, o_.max_frames));
  }
  for (Element f : frames) {
    size_t i = frames_.size();
    Frame& frame = frames_.emplace_back();
    object fo;
    if (f.get(fo)) return Invalid("frames[{}] is {}, want an object", i, json::Describe(f));
    bool has_name = false;
    for (auto field : fo) {
      std::string_view key = field.key;
      if (key == "name" || key == "file") {
        std::string_view s;
        if (field.value.get(s)) {
          return Invalid("frames[{}].{} is {}, want a string", i, key, json::Describe(field.value));
        }
        (key == "name" ? frame.name : frame.file) = s;
        has_name |= key == "name";
      } else if (key == "line" || key == "col") {
        int64_t v;
        if (!json::GetRoundedInt(field.value, &v)) {
          return Invalid("frames[{}].{} is {}, want a number", i, key, json::Describe(field.value));
        }
        (key == "line" ? frame.line : frame.col) = v < 0 ? 0 : v;  // Unknown.
      }
    }
    if (!has_name) return Invalid("frames[{}] has no name", i);
  }
  return absl::OkStatus();
}

uint32_t Reader::Location(uint32_t frame) {
  Frame& f = frames_[frame];
  if (f.location == kUnset) {
    profile::StrId name = b_.Str(f.name);
    profile::Line ln;
    ln.function = b_.AddFunction(name, name, b_.Str(f.file), f.line);
    ln.line = f.line;
    ln.column = f.col;
    f.location = b_.AddLocation(profile::kNone, 0, std::span<const profile::Line>(&ln, 1));
  }
  return f.location;
}

absl::Status Reader::FrameIndex(Element e, size_t profile, std::string_view field, size_t i,
                                uint32_t* out) {
  int64_t v;
  if (!json::GetInt(e, &v)) {
    return Invalid("profiles[{}].{}[{}]: a frame index is {}, want an integer", profile, field, i,
                   json::Describe(e));
  }
  if (v < 0 || static_cast<uint64_t>(v) >= frames_.size()) {
    return Invalid("profiles[{}].{}[{}]: frame {} is not in shared.frames ({} frames)", profile,
                   field, i, v, frames_.size());
  }
  *out = static_cast<uint32_t>(v);
  return absl::OkStatus();
}

absl::Status Reader::Weight(double w, const SampleUnit& unit, size_t profile,
                            std::string_view where, size_t i, int64_t* out) {
  double v = std::nearbyint(w * unit.scale);
  if (!(v >= 0 && v < 9.2e18)) {
    return Invalid("profiles[{}].{}[{}]: weight {} is negative or too large", profile, where, i, w);
  }
  *out = static_cast<int64_t>(v);
  return absl::OkStatus();
}

absl::Status Reader::CountSamples(size_t n) {
  samples_ += n;
  if (samples_ > o_.max_samples) {
    return absl::ResourceExhaustedError(fmt::format(
        "{}: more than the limit of {} samples and events in total", kWhat, o_.max_samples));
  }
  return absl::OkStatus();
}

absl::Status Reader::Emit(std::span<const profile::Label> labels, int64_t value) {
  output_frames_ += stack_.size();
  if (output_frames_ > o_.max_output_frames) {
    return absl::ResourceExhaustedError(fmt::format(
        "{}: the stacks exceed the limit of {} frames in total", kWhat, o_.max_output_frames));
  }
  if (__builtin_add_overflow(total_, value, &total_)) {
    return Invalid("the weights add up to more than 64 bits can hold");
  }
  b_.AddSample(stack_, std::span<const int64_t>(&value, 1), labels);
  return absl::OkStatus();
}

absl::Status Reader::Sampled(size_t index, object prof, const SampleUnit& unit,
                             std::span<const profile::Label> labels) {
  Element e;
  array samples, weights;
  if (prof["samples"].get(e) || e.get(samples)) {
    return Invalid("profiles[{}]: a sampled profile needs a samples array", index);
  }
  if (prof["weights"].get(e) || e.get(weights)) {
    return Invalid("profiles[{}]: a sampled profile needs a weights array", index);
  }
  if (json::Size(samples) != json::Size(weights)) {
    return Invalid("profiles[{}]: {} samples but {} weights", index, json::Size(samples),
                   json::Size(weights));
  }
  if (auto st = CountSamples(json::Size(samples)); !st.ok()) return st;
  auto w_it = weights.begin();
  size_t i = 0;
  for (Element s : samples) {
    array frames;
    if (s.get(frames)) {
      return Invalid("profiles[{}].samples[{}] is {}, want an array of frame indices", index, i,
                     json::Describe(s));
    }
    if (json::Size(frames) > o_.max_stack_depth) {
      return Invalid("profiles[{}].samples[{}] is deeper than the limit of {} frames", index, i,
                     o_.max_stack_depth);
    }
    stack_.clear();
    for (Element f : frames) {
      uint32_t frame;
      if (auto st = FrameIndex(f, index, "samples", i, &frame); !st.ok()) return st;
      stack_.push_back(Location(frame));
    }
    std::reverse(stack_.begin(), stack_.end());  // Root first in the file, leaf first here.
    double w;
    int64_t value;
    if (!json::GetNumber(*w_it, &w)) {
      return Invalid("profiles[{}].weights[{}] is {}, want a number", index, i,
                     json::Describe(*w_it));
    }
    if (auto st = Weight(w, unit, index, "weights", i, &value); !st.ok()) return st;
    if (auto st = Emit(labels, value); !st.ok()) return st;
    ++w_it;
    ++i;
  }
  return absl::OkStatus();
}

// Evented profiles are replayed over a trie of the stacks seen, so each event is O(1) and
// each distinct stack is built once at the end:
//
//   node 0 (nothing open) ─O f0─▶ node 1 {f0} ─O f3─▶ node 2 {f0,f3}
//                                      └──────O f1─▶ node 3 {f0,f1}
//
// The time between two events is added to the node open in between.
absl::Status Reader::Evented(size_t index, object prof, const SampleUnit& unit,
                             std::span<const profile::Label> labels) {
  Element e;
  array events;
  if (prof["events"].get(e) || e.get(events)) {
    return Invalid("profiles[{}]: an evented profile needs an events array", index);
  }
  if (auto st = CountSamples(json::Size(events)); !st.ok()) return st;
  struct Node {
    uint32_t parent;
    uint32_t frame;
    uint32_t depth;
    double weight = 0;
  };
  std::vector<Node> nodes = {{0, 0, 0}};
  absl::flat_hash_map<uint64_t, uint32_t> children;  // parent << 32 | frame -> node
  uint32_t cur = 0;
  double last_at = 0;
  size_t i = 0;
  for (Element ev : events) {
    object obj;
    std::string_view type;
    double at;
    uint32_t frame;
    if (ev.get(obj)) {
      return Invalid("profiles[{}].events[{}] is {}, want an object", index, i, json::Describe(ev));
    }
    if (obj["type"].get(type) || (type != "O" && type != "C")) {
      return Invalid("profiles[{}].events[{}].type must be \"O\" or \"C\"", index, i);
    }
    if (obj["at"].get(e) || !json::GetNumber(e, &at) || !std::isfinite(at)) {
      return Invalid("profiles[{}].events[{}].at is missing or not a number", index, i);
    }
    if (obj["frame"].get(e)) return Invalid("profiles[{}].events[{}] has no frame", index, i);
    if (auto st = FrameIndex(e, index, "events", i, &frame); !st.ok()) return st;
    if (i > 0 && at < last_at) {
      return Invalid("profiles[{}].events[{}].at = {} is before the previous event's {}", index, i,
                     at, last_at);
    }
    if (cur != 0) nodes[cur].weight += at - last_at;
    last_at = at;
    if (type == "O") {
      if (nodes[cur].depth == o_.max_stack_depth) {
        return Invalid("profiles[{}].events[{}]: more than {} frames open", index, i,
                       o_.max_stack_depth);
      }
      auto [it, inserted] =
          children.try_emplace(uint64_t{cur} << 32 | frame, static_cast<uint32_t>(nodes.size()));
      if (inserted) nodes.push_back({cur, frame, nodes[cur].depth + 1});
      cur = it->second;
    } else {
      if (cur == 0) {
        return Invalid("profiles[{}].events[{}] closes frame {} but no frame is open", index, i,
                       frame);
      }
      if (nodes[cur].frame != frame) {
        return Invalid("profiles[{}].events[{}] closes frame {} but frame {} is open", index, i,
                       frame, nodes[cur].frame);
      }
      cur = nodes[cur].parent;
    }
    ++i;
  }
  if (cur != 0) {
    return Invalid("profiles[{}]: {} frames are still open after the last event (unbalanced)",
                   index, nodes[cur].depth);
  }
  for (uint32_t n = 1; n < nodes.size(); ++n) {
    int64_t value;
    if (auto st = Weight(nodes[n].weight, unit, index, "stack time of events", n, &value);
        !st.ok()) {
      return st;
    }
    if (value == 0) continue;
    stack_.clear();
    for (uint32_t k = n; k != 0; k = nodes[k].parent) stack_.push_back(Location(nodes[k].frame));
    if (auto st = Emit(labels, value); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadProfile(size_t index, object prof, const SampleUnit& unit,
                                 std::span<const profile::Label> labels) {
  std::string_view type;
  if (prof["type"].get(type)) return Invalid("profiles[{}] has no type", index);
  if (type == "sampled") return Sampled(index, prof, unit, labels);
  if (type == "evented") return Evented(index, prof, unit, labels);
  return Invalid("profiles[{}].type is \"{}\", want \"sampled\" or \"evented\"", index, type);
}

}  // namespace

absl::StatusOr<profile::Profile> ParseSpeedscope(std::string_view data,
                                                 const SpeedscopeOptions& o) {
  simdjson::dom::parser parser;
  auto root = json::Parse(parser, data, o.max_input_bytes, kMaxJsonDepth, kWhat);
  if (!root.ok()) return root.status();
  object file;
  if (root->get(file)) return Invalid("expected a JSON object, found {}", json::Describe(*root));
  Element e;
  array profiles;
  if (file["profiles"].get(e) || e.get(profiles)) return Invalid("no profiles array");
  const size_t num_profiles = json::Size(profiles);
  if (num_profiles > o.max_profiles) {
    return absl::ResourceExhaustedError(
        fmt::format("{}: more than the limit of {} profiles", kWhat, o.max_profiles));
  }
  if (num_profiles == 0) return Invalid("the file has no profiles");
  if (o.profile_index >= 0 && static_cast<size_t>(o.profile_index) >= num_profiles) {
    return Invalid("profile index {} is out of range: the file has {} profiles", o.profile_index,
                   num_profiles);
  }
  if (file["shared"].get(e)) return Invalid("no shared frame table");

  profile::ProfileBuilder b;
  Reader reader(o, b);
  if (auto st = reader.ReadFrames(e); !st.ok()) return st;

  // The profiles to read, and their common sample type.
  struct Selected {
    size_t index;
    object obj;
    std::string_view name;
    SampleUnit unit;  // Same type and unit for all; the scale is each profile's own.
  };
  std::vector<Selected> selected;
  std::optional<SampleUnit> unit;
  std::string_view first_unit;
  int64_t duration_ns = 0;
  size_t index = 0;
  for (Element pe : profiles) {
    if (o.profile_index >= 0 && index != static_cast<size_t>(o.profile_index)) {
      ++index;
      continue;
    }
    object prof;
    std::string_view unit_name, name;
    if (pe.get(prof)) {
      return Invalid("profiles[{}] is {}, want an object", index, json::Describe(pe));
    }
    if (prof["unit"].get(unit_name)) return Invalid("profiles[{}] has no unit", index);
    std::optional<SampleUnit> u = UnitOf(unit_name, o.time_type);
    if (!u) return Invalid("profiles[{}].unit \"{}\" is not a speedscope unit", index, unit_name);
    if (unit && !(*u == *unit)) {
      return Invalid(
          "profiles[{}] is in {} but the first profile is in {}; read one with profile_index",
          index, unit_name, first_unit);
    }
    if (!unit) first_unit = unit_name;
    unit = u;
    if (prof["name"].get(name)) name = {};  // Optional.
    // startValue/endValue only give the duration; a missing or odd one gives none.
    double start = 0, end = 0;
    if (prof["startValue"].get(e) || !json::GetNumber(e, &start)) start = 0;
    if (prof["endValue"].get(e) || !json::GetNumber(e, &end)) end = start;
    double span = (end - start) * u->scale;
    if (u->unit == "nanoseconds" && span > 0 && span < 9.2e18) {
      duration_ns = std::max(duration_ns, static_cast<int64_t>(span));
    }
    selected.push_back({index, prof, name, *u});
    ++index;
  }
  profile::Profile& p = b.profile();
  if (unit) {
    p.sample_types.push_back({b.Str(unit->type), b.Str(unit->unit)});
    p.period_type = p.sample_types[0];
    p.default_sample_type = p.sample_types[0].type;
  }
  p.duration_nanos = duration_ns;
  bool label = selected.size() > 1 && !o.profile_label.empty();
  for (const Selected& s : selected) {
    profile::Label l;
    if (label) {
      l.key = b.Str(o.profile_label);
      l.str = s.name.empty() ? b.Str(fmt::format("profile {}", s.index)) : b.Str(s.name);
    }
    auto labels =
        label ? std::span<const profile::Label>(&l, 1) : std::span<const profile::Label>();
    if (auto st = reader.ReadProfile(s.index, s.obj, s.unit, labels); !st.ok()) return st;
  }
  return b.Finish();
}

bool LooksLikeSpeedscope(std::string_view data) {
  if (!json::StartsWithJson(data, '{')) return false;
  // "$schema" may sit after a large frame table in hand-made files: look through the input.
  constexpr std::string_view kKey = "\"$schema\"";
  for (size_t pos = data.find(kKey); pos != std::string_view::npos;
       pos = data.find(kKey, pos + 1)) {
    std::string_view rest = data.substr(pos + kKey.size(), 16 + kSpeedscopeSchema.size());
    size_t colon = rest.find(':');
    if (colon != std::string_view::npos && rest.find(kSpeedscopeSchema) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace hearth::formats
