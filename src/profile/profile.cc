#include "profile/profile.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "base/strings.h"

namespace hearth::profile {
namespace {
constexpr size_t kBlockBytes = 64 << 10;
}  // namespace

StringTable::StringTable() { views_.emplace_back(); }

StringTable::StringTable(const StringTable& other) { *this = other; }

StringTable& StringTable::operator=(const StringTable& other) {
  if (this == &other) return *this;
  blocks_.clear();
  cursor_ = nullptr;
  left_ = 0;
  views_.clear();
  index_.clear();
  indexed_ = 0;
  size_t bytes = 0;
  for (std::string_view v : other.views_) bytes += v.size();
  Reserve(other.views_.size(), bytes);
  for (std::string_view v : other.views_) Append(v);
  return *this;
}

char* StringTable::Allocate(size_t n) {
  if (n > left_) {
    size_t size = std::max(n, kBlockBytes);
    blocks_.push_back(std::make_unique<char[]>(size));
    cursor_ = blocks_.back().get();
    left_ = size;
  }
  char* p = cursor_;
  cursor_ += n;
  left_ -= n;
  return p;
}

void StringTable::Reserve(size_t count, size_t bytes) {
  views_.reserve(count);
  if (bytes > left_) {
    blocks_.push_back(std::make_unique<char[]>(bytes));
    cursor_ = blocks_.back().get();
    left_ = bytes;
  }
}

StrId StringTable::Append(std::string_view s) {
  if (views_.empty()) {
    views_.emplace_back();
    if (s.empty()) return 0;
  }
  if (s.empty()) {
    views_.emplace_back();
  } else {
    char* p = Allocate(s.size());
    std::memcpy(p, s.data(), s.size());
    views_.emplace_back(p, s.size());
  }
  return static_cast<StrId>(views_.size() - 1);
}

void StringTable::BuildIndex() const {
  for (; indexed_ < views_.size(); ++indexed_) {
    index_.try_emplace(views_[indexed_], static_cast<StrId>(indexed_));
  }
}

std::optional<StrId> StringTable::Find(std::string_view s) const {
  BuildIndex();
  auto it = index_.find(s);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

StrId StringTable::Intern(std::string_view s) {
  BuildIndex();
  auto it = index_.find(s);
  if (it != index_.end()) return it->second;
  StrId id = Append(s);
  index_.emplace(views_[id], id);
  indexed_ = views_.size();
  return id;
}

void StringTable::Clear() {
  blocks_.clear();
  cursor_ = nullptr;
  left_ = 0;
  views_.assign(1, std::string_view());
  index_.clear();
  indexed_ = 0;
}

int64_t Profile::Total(size_t value_index) const {
  // Wraps on overflow (hostile inputs can hold any int64), as pprof's Go arithmetic does.
  uint64_t total = 0;
  for (const Sample& s : samples) total += static_cast<uint64_t>(values[s.values_begin + value_index]);
  return static_cast<int64_t>(total);
}

void Profile::AddSample(std::span<const uint32_t> stack, std::span<const int64_t> sample_values,
                        std::span<const Label> sample_labels) {
  Sample s;
  s.stack_begin = static_cast<uint32_t>(stacks.size());
  s.depth = static_cast<uint32_t>(stack.size());
  s.values_begin = static_cast<uint32_t>(values.size());
  s.labels_begin = static_cast<uint32_t>(labels.size());
  s.num_labels = static_cast<uint32_t>(sample_labels.size());
  stacks.insert(stacks.end(), stack.begin(), stack.end());
  values.insert(values.end(), sample_values.begin(), sample_values.end());
  labels.insert(labels.end(), sample_labels.begin(), sample_labels.end());
  samples.push_back(s);
}

absl::Status Validate(const Profile& p) {
  const size_t nstr = p.strings.size();
  auto bad_str = [nstr](StrId id) { return id >= nstr; };
  if (nstr == 0 || !p.strings[0].empty()) {
    return absl::InvalidArgumentError("string_table[0] must be the empty string");
  }
  if (p.sample_types.empty() && !p.samples.empty()) {
    return absl::InvalidArgumentError("profile has samples but no sample_type");
  }
  for (size_t i = 0; i < p.sample_types.size(); ++i) {
    if (bad_str(p.sample_types[i].type) || bad_str(p.sample_types[i].unit)) {
      return absl::InvalidArgumentError(
          fmt::format("sample_type[{}]: string index out of range", i));
    }
  }
  const size_t nv = p.sample_types.size();
  for (size_t i = 0; i < p.samples.size(); ++i) {
    const Sample& s = p.samples[i];
    if (uint64_t{s.stack_begin} + s.depth > p.stacks.size() ||
        uint64_t{s.values_begin} + nv > p.values.size() ||
        uint64_t{s.labels_begin} + s.num_labels > p.labels.size()) {
      return absl::InvalidArgumentError(fmt::format("sample[{}]: range outside its pool", i));
    }
    for (uint32_t loc : p.Stack(s)) {
      if (loc >= p.locations.size()) {
        return absl::InvalidArgumentError(
            fmt::format("sample[{}]: location index {} out of range", i, loc));
      }
    }
    for (const Label& l : p.Labels(s)) {
      if (bad_str(l.key) || bad_str(l.str) || bad_str(l.num_unit)) {
        return absl::InvalidArgumentError(
            fmt::format("sample[{}]: label string index out of range", i));
      }
    }
  }
  absl::flat_hash_set<uint64_t> ids;
  for (size_t i = 0; i < p.mappings.size(); ++i) {
    const Mapping& m = p.mappings[i];
    if (m.id == 0)
      return absl::InvalidArgumentError(fmt::format("mapping[{}] has reserved id 0", i));
    if (!ids.insert(m.id).second) {
      return absl::InvalidArgumentError(fmt::format("duplicate mapping id {}", m.id));
    }
    if (bad_str(m.filename) || bad_str(m.build_id)) {
      return absl::InvalidArgumentError(
          fmt::format("mapping id {}: string index out of range", m.id));
    }
  }
  ids.clear();
  for (size_t i = 0; i < p.functions.size(); ++i) {
    const Function& f = p.functions[i];
    if (f.id == 0)
      return absl::InvalidArgumentError(fmt::format("function[{}] has reserved id 0", i));
    if (!ids.insert(f.id).second) {
      return absl::InvalidArgumentError(fmt::format("duplicate function id {}", f.id));
    }
    if (bad_str(f.name) || bad_str(f.system_name) || bad_str(f.filename)) {
      return absl::InvalidArgumentError(
          fmt::format("function id {}: string index out of range", f.id));
    }
  }
  ids.clear();
  for (size_t i = 0; i < p.locations.size(); ++i) {
    const Location& l = p.locations[i];
    if (l.id == 0)
      return absl::InvalidArgumentError(fmt::format("location[{}] has reserved id 0", i));
    if (!ids.insert(l.id).second) {
      return absl::InvalidArgumentError(fmt::format("duplicate location id {}", l.id));
    }
    if (l.mapping != kNone && l.mapping >= p.mappings.size()) {
      return absl::InvalidArgumentError(
          fmt::format("location id {}: mapping index out of range", l.id));
    }
    if (uint64_t{l.lines_begin} + l.num_lines > p.lines.size()) {
      return absl::InvalidArgumentError(
          fmt::format("location id {}: lines outside their pool", l.id));
    }
    for (const Line& ln : p.Lines(l)) {
      if (ln.function != kNone && ln.function >= p.functions.size()) {
        return absl::InvalidArgumentError(
            fmt::format("location id {}: function index out of range", l.id));
      }
    }
  }
  for (StrId id : {p.drop_frames, p.keep_frames, p.period_type.type, p.period_type.unit,
                   p.default_sample_type, p.doc_url}) {
    if (bad_str(id)) return absl::InvalidArgumentError("profile header: string index out of range");
  }
  for (StrId id : p.comments) {
    if (bad_str(id)) return absl::InvalidArgumentError("comment: string index out of range");
  }
  return absl::OkStatus();
}

namespace {

template <typename T>
bool SameVector(const std::vector<T>& a, const std::vector<T>& b, const char* what,
                std::string* why) {
  if (a.size() != b.size()) {
    if (why) *why = fmt::format("{}: {} vs {} entries", what, a.size(), b.size());
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(a[i] == b[i])) {
      if (why) *why = fmt::format("{}[{}] differs", what, i);
      return false;
    }
  }
  return true;
}

}  // namespace

bool Equal(const Profile& a, const Profile& b, std::string* why) {
  if (!SameVector(a.strings.views(), b.strings.views(), "strings", why)) return false;
  if (!SameVector(a.sample_types, b.sample_types, "sample_types", why)) return false;
  if (!SameVector(a.mappings, b.mappings, "mappings", why)) return false;
  if (!SameVector(a.functions, b.functions, "functions", why)) return false;
  if (a.locations.size() != b.locations.size()) {
    if (why) *why = "locations: different counts";
    return false;
  }
  for (size_t i = 0; i < a.locations.size(); ++i) {
    const Location& x = a.locations[i];
    const Location& y = b.locations[i];
    auto lx = a.Lines(x);
    auto ly = b.Lines(y);
    if (x.id != y.id || x.mapping != y.mapping || x.address != y.address ||
        x.is_folded != y.is_folded || a.Str(x.frame_type) != b.Str(y.frame_type) ||
        !std::equal(lx.begin(), lx.end(), ly.begin(), ly.end())) {
      if (why) *why = fmt::format("location[{}] differs", i);
      return false;
    }
  }
  if (a.samples.size() != b.samples.size()) {
    if (why) *why = fmt::format("samples: {} vs {}", a.samples.size(), b.samples.size());
    return false;
  }
  for (size_t i = 0; i < a.samples.size(); ++i) {
    const Sample& x = a.samples[i];
    const Sample& y = b.samples[i];
    auto sx = a.Stack(x), sy = b.Stack(y);
    auto vx = a.Values(x), vy = b.Values(y);
    auto lx = a.Labels(x), ly = b.Labels(y);
    if (!std::equal(sx.begin(), sx.end(), sy.begin(), sy.end()) ||
        !std::equal(vx.begin(), vx.end(), vy.begin(), vy.end()) ||
        !std::equal(lx.begin(), lx.end(), ly.begin(), ly.end())) {
      if (why) *why = fmt::format("sample[{}] differs", i);
      return false;
    }
  }
  if (a.drop_frames != b.drop_frames || a.keep_frames != b.keep_frames ||
      a.time_nanos != b.time_nanos || a.duration_nanos != b.duration_nanos ||
      !(a.period_type == b.period_type) || a.period != b.period || a.comments != b.comments ||
      a.default_sample_type != b.default_sample_type || a.doc_url != b.doc_url) {
    if (why) *why = "profile header differs";
    return false;
  }
  return true;
}

absl::StatusOr<size_t> SampleIndexByName(const Profile& p, std::string_view name) {
  if (p.sample_types.empty()) return absl::InvalidArgumentError("profile has no sample types");
  auto type_names = [&p] {
    std::vector<std::string_view> names;
    for (const ValueType& t : p.sample_types) names.push_back(p.Str(t.type));
    return fmt::format("{}", fmt::join(names, " "));
  };
  if (name.empty()) {
    if (p.default_sample_type != 0) {
      for (size_t i = 0; i < p.sample_types.size(); ++i) {
        if (p.Str(p.sample_types[i].type) == p.Str(p.default_sample_type)) return i;
      }
    }
    return p.sample_types.size() - 1;
  }
  int index;
  if (ParseInt(name, &index)) {
    if (index < 0 || static_cast<size_t>(index) >= p.sample_types.size()) {
      return absl::InvalidArgumentError(fmt::format("sample_index {} is outside the range [0..{}]",
                                                    name, p.sample_types.size() - 1));
    }
    return static_cast<size_t>(index);
  }
  std::string_view no_inuse = name;
  if (no_inuse.starts_with("inuse_")) no_inuse.remove_prefix(6);
  for (size_t i = 0; i < p.sample_types.size(); ++i) {
    std::string_view t = p.Str(p.sample_types[i].type);
    if (t == name || t == no_inuse) return i;
  }
  return absl::InvalidArgumentError(
      fmt::format("sample_index \"{}\" must be one of: [{}]", name, type_names()));
}

}  // namespace hearth::profile
