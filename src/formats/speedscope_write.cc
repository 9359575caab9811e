// speedscope writer. The mapping from the model is described in speedscope.h.

#include <fmt/format.h>

#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/json_writer.h"
#include "formats/speedscope.h"
#include "profile/call_tree.h"

namespace hearth::formats {
namespace {

using profile::Location;
using profile::Profile;

// speedscope's unit for a pprof unit; "none" when it has no such unit.
std::string_view SpeedscopeUnit(std::string_view unit) {
  for (std::string_view u : {"nanoseconds", "microseconds", "milliseconds", "seconds", "bytes"}) {
    if (unit == u) return u;
  }
  return "none";
}

// The shared frame table, built from the locations once: loc_frames_ holds each location's
// frames outermost first (the order a root-first stack meets them).
class FrameTable {
 public:
  explicit FrameTable(const Profile& p) : p_(p) {
    loc_begin_.reserve(p.locations.size() + 1);
    for (const Location& loc : p.locations) {
      loc_begin_.push_back(static_cast<uint32_t>(loc_frames_.size()));
      auto lines = p.Lines(loc);
      if (lines.empty()) Add(loc, nullptr);
      for (size_t i = lines.size(); i-- > 0;) Add(loc, &lines[i]);
    }
    loc_begin_.push_back(static_cast<uint32_t>(loc_frames_.size()));
  }

  // Appends the root-first frames of a leaf-first stack of locations.
  void AppendStack(std::span<const uint32_t> stack, std::vector<uint32_t>* out) const {
    for (size_t i = stack.size(); i-- > 0;) {
      uint32_t loc = stack[i];
      out->insert(out->end(), loc_frames_.begin() + loc_begin_[loc],
                  loc_frames_.begin() + loc_begin_[loc + 1]);
    }
  }

  void Write(JsonWriter& w) const {
    w.BeginArray();
    for (const Frame& f : frames_) {
      w.BeginObject().Key("name").String(f.name);
      if (f.file != 0) w.Key("file").String(p_.Str(f.file));
      if (f.line > 0) w.Key("line").Int(f.line);
      w.EndObject();
    }
    w.EndArray();
  }

 private:
  struct Frame {
    std::string name;
    profile::StrId file = 0;
    int64_t line = 0;
  };

  void Add(const Location& loc, const profile::Line* line) {
    Frame f;
    f.name = profile::FrameName(p_, loc, line);
    if (line != nullptr && line->function != profile::kNone) {
      const profile::Function& fn = p_.functions[line->function];
      f.file = fn.filename;
      f.line = fn.start_line;
    }
    auto [it, inserted] = index_.try_emplace(std::make_tuple(f.name, f.file, f.line),
                                             static_cast<uint32_t>(frames_.size()));
    if (inserted) frames_.push_back(std::move(f));
    loc_frames_.push_back(it->second);
  }

  const Profile& p_;
  std::vector<Frame> frames_;
  absl::flat_hash_map<std::tuple<std::string, profile::StrId, int64_t>, uint32_t> index_;
  std::vector<uint32_t> loc_begin_;
  std::vector<uint32_t> loc_frames_;
};

// The string value of label `key` on a sample, or nullopt.
std::optional<profile::StrId> LabelValue(const Profile& p, const profile::Sample& s,
                                         profile::StrId key) {
  for (const profile::Label& l : p.Labels(s)) {
    if (l.key == key && l.is_string()) return l.str;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::string> WriteSpeedscope(const Profile& p, const SpeedscopeWriteOptions& o) {
  auto value_index = profile::SampleIndexByName(p, o.sample_index);
  if (!value_index.ok()) return value_index.status();
  const size_t vi = *value_index;
  for (size_t i = 0; i < p.samples.size(); ++i) {
    if (p.Values(p.samples[i])[vi] < 0) {
      return absl::InvalidArgumentError(fmt::format(
          "speedscope: sample {} has a negative value ({}), which speedscope cannot draw", i,
          p.Values(p.samples[i])[vi]));
    }
  }
  const profile::ValueType& type = p.sample_types[vi];

  // Group samples into profiles: one group, or one per value of the label.
  std::vector<std::vector<uint32_t>> groups;
  std::vector<std::string> group_names;
  if (o.group_by_label.empty()) {
    groups.emplace_back(p.samples.size());
    for (uint32_t i = 0; i < p.samples.size(); ++i) groups[0][i] = i;
    group_names.push_back(o.name.empty() ? std::string(p.Str(type.type)) : o.name);
  } else {
    // A key the string table lacks matches no sample: everything lands in "(no key)".
    std::optional<profile::StrId> key = p.strings.Find(o.group_by_label);
    absl::flat_hash_map<profile::StrId, size_t> group_of;  // kNone: label absent.
    for (uint32_t i = 0; i < p.samples.size(); ++i) {
      std::optional<profile::StrId> v;
      if (key) v = LabelValue(p, p.samples[i], *key);
      auto [it, inserted] = group_of.try_emplace(v.value_or(profile::kNone), groups.size());
      if (inserted) {
        groups.emplace_back();
        group_names.push_back(v ? std::string(p.Str(*v))
                                : fmt::format("(no {})", o.group_by_label));
      }
      groups[it->second].push_back(i);
    }
  }

  FrameTable frames(p);
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("$schema").String(kSpeedscopeSchema);
  w.Key("exporter").String("hearth");
  if (!o.name.empty()) w.Key("name").String(o.name);
  w.Key("activeProfileIndex").Int(0);
  w.Key("shared").BeginObject().Key("frames");
  frames.Write(w);
  w.EndObject();
  w.Key("profiles").BeginArray();
  std::vector<uint32_t> stack;
  for (size_t g = 0; g < groups.size(); ++g) {
    int64_t total = 0;
    for (uint32_t s : groups[g]) {
      // Wraps like the model's own sums rather than overflowing.
      total = static_cast<int64_t>(static_cast<uint64_t>(total) +
                                   static_cast<uint64_t>(p.Values(p.samples[s])[vi]));
    }
    w.BeginObject();
    w.Key("type").String("sampled");
    w.Key("name").String(group_names[g]);
    w.Key("unit").String(SpeedscopeUnit(p.Str(type.unit)));
    w.Key("startValue").Int(0);
    w.Key("endValue").Int(total);
    w.Key("samples").BeginArray();
    for (uint32_t s : groups[g]) {
      stack.clear();
      frames.AppendStack(p.Stack(p.samples[s]), &stack);
      w.BeginArray();
      for (uint32_t f : stack) w.Uint(f);
      w.EndArray();
    }
    w.EndArray();
    w.Key("weights").BeginArray();
    for (uint32_t s : groups[g]) w.Int(p.Values(p.samples[s])[vi]);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out;
}

}  // namespace hearth::formats
