#include "profile/builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/hash/hash.h"
#include "profile/merge.h"

namespace hearth::profile {
namespace {

// Crashes on a broken caller contract (an impossible state, not bad input).
void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "ProfileBuilder: %s\n", what);
    std::abort();
  }
}

// One round of a multiply-xorshift combiner; Finalize (splitmix64's) spreads the result
// over all 64 bits, since absl's tables take their control bits from the low bits.
inline uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v;
  h *= 0x9e3779b97f4a7c15ULL;
  return h ^ (h >> 32);
}

inline uint64_t Finalize(uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

uint64_t HashSample(std::span<const uint32_t> stack, std::span<const Label> labels) {
  // Location indices are plain bytes: absl hashes the whole range in one pass.
  uint64_t h = absl::Hash<absl::Span<const uint32_t>>()(
      absl::Span<const uint32_t>(stack.data(), stack.size()));
  h = Mix(h, labels.size());
  for (const Label& l : labels) {
    h = Mix(h, uint64_t{l.key} | uint64_t{l.str} << 32);
    h = Mix(h, static_cast<uint64_t>(l.num));
    h = Mix(h, l.num_unit);
  }
  return Finalize(h);
}

uint64_t HashLocation(uint32_t mapping, uint64_t offset, bool is_folded, StrId frame_type,
                      std::span<const Line> lines) {
  uint64_t h = Mix(0, uint64_t{mapping} | uint64_t{is_folded} << 32);
  h = Mix(h, frame_type);
  h = Mix(h, offset);
  h = Mix(h, lines.size());
  for (const Line& ln : lines) {
    h = Mix(h, ln.function);
    h = Mix(h, static_cast<uint64_t>(ln.line));
    h = Mix(h, static_cast<uint64_t>(ln.column));
  }
  return Finalize(h);
}

// pprof rounds mapping sizes up to 4 KiB so that a binary mapped with slightly different
// limits in two processes still merges.
uint64_t RoundedMappingSize(const Mapping& m) {
  constexpr uint64_t kRounding = 0x1000;
  uint64_t size = m.memory_limit - m.memory_start;
  size = size + kRounding - 1;
  return size - size % kRounding;
}

bool IsZero(std::span<const int64_t> values) {
  return std::all_of(values.begin(), values.end(), [](int64_t v) { return v == 0; });
}

// The canonical label order: string labels, then numeric ones; by key id within each; the
// sort is stable, so several values of one key keep the order they came in.
bool LabelBefore(const Label& a, const Label& b) {
  bool an = !a.is_string(), bn = !b.is_string();
  if (an != bn) return bn;
  return a.key < b.key;
}

template <typename T>
bool Aliases(std::span<const T> s, const std::vector<T>& pool) {
  return !s.empty() && !pool.empty() && s.data() >= pool.data() &&
         s.data() < pool.data() + pool.size();
}

}  // namespace

ProfileBuilder::ProfileBuilder()
    : location_index_(0, LocationHash{this}, LocationEq{this}),
      sample_index_(0, SampleHash{this}, SampleEq{this}) {}

void ProfileBuilder::Reset() {
  p_ = Profile();
  mapping_index_.clear();
  function_index_.clear();
  location_hashes_.clear();
  location_index_.clear();
  frame_index_.clear();
  sample_hashes_.clear();
  sample_index_.clear();
}

uint32_t ProfileBuilder::AddMapping(const Mapping& m, uint64_t* existing_start) {
  StrId name = m.build_id != 0 ? m.build_id : m.filename;
  auto [it, inserted] =
      mapping_index_.try_emplace(std::make_tuple(RoundedMappingSize(m), m.file_offset, name),
                                 static_cast<uint32_t>(p_.mappings.size()));
  if (inserted) {
    Mapping copy = m;
    copy.id = p_.mappings.size() + 1;
    p_.mappings.push_back(copy);
  }
  if (existing_start != nullptr) *existing_start = p_.mappings[it->second].memory_start;
  return it->second;
}

uint32_t ProfileBuilder::AddFunction(StrId name, StrId system_name, StrId filename,
                                     int64_t start_line) {
  auto [it, inserted] =
      function_index_.try_emplace(std::make_tuple(name, system_name, filename, start_line),
                                  static_cast<uint32_t>(p_.functions.size()));
  if (inserted) {
    Function f;
    f.id = p_.functions.size() + 1;
    f.name = name;
    f.system_name = system_name;
    f.filename = filename;
    f.start_line = start_line;
    p_.functions.push_back(f);
  }
  return it->second;
}

uint64_t ProfileBuilder::LocationOffset(uint32_t mapping, uint64_t address) const {
  return mapping == kNone ? address : address - p_.mappings[mapping].memory_start;
}

bool ProfileBuilder::LocationMatches(uint32_t index, const LocationProbe& k) const {
  const Location& l = p_.locations[index];
  if (l.mapping != k.mapping || l.is_folded != k.is_folded || l.frame_type != k.frame_type ||
      LocationOffset(l.mapping, l.address) != k.offset) {
    return false;
  }
  auto lines = p_.Lines(l);
  return std::equal(lines.begin(), lines.end(), k.lines.begin(), k.lines.end());
}

uint32_t ProfileBuilder::AddLocation(uint32_t mapping, uint64_t address,
                                     std::span<const Line> lines, bool is_folded,
                                     StrId frame_type) {
  Check(mapping == kNone || mapping < p_.mappings.size(), "AddLocation: bad mapping index");
  if (Aliases(lines, p_.lines)) {
    scratch_lines_.assign(lines.begin(), lines.end());
    lines = scratch_lines_;
  }
  Check(frame_type < p_.strings.size(), "AddLocation: bad frame type string");
  LocationProbe probe{0, mapping, LocationOffset(mapping, address), is_folded, frame_type, lines};
  probe.hash = HashLocation(mapping, probe.offset, is_folded, frame_type, lines);
  auto it = location_index_.find(probe);
  if (it != location_index_.end()) return *it;

  Location l;
  l.id = p_.locations.size() + 1;
  l.mapping = mapping;
  l.address = address;
  l.lines_begin = static_cast<uint32_t>(p_.lines.size());
  l.num_lines = static_cast<uint32_t>(lines.size());
  l.is_folded = is_folded;
  l.frame_type = frame_type;
  p_.lines.insert(p_.lines.end(), lines.begin(), lines.end());
  auto index = static_cast<uint32_t>(p_.locations.size());
  p_.locations.push_back(l);
  location_hashes_.push_back(probe.hash);
  location_index_.insert(index);
  return index;
}

uint32_t ProfileBuilder::AddFrame(std::string_view function_name, std::string_view filename,
                                  int64_t line) {
  StrId name = Str(function_name);
  StrId file = Str(filename);
  auto [it, inserted] = frame_index_.try_emplace(std::make_tuple(name, file, line), 0);
  if (inserted) {
    Line ln;
    ln.function = AddFunction(name, name, file, 0);
    ln.line = line;
    it->second = AddLocation(kNone, 0, std::span<const Line>(&ln, 1));
  }
  return it->second;
}

bool ProfileBuilder::SampleMatches(uint32_t index, const SampleProbe& k) const {
  const Sample& s = p_.samples[index];
  auto stack = p_.Stack(s);
  auto labels = p_.Labels(s);
  return std::equal(stack.begin(), stack.end(), k.stack.begin(), k.stack.end()) &&
         std::equal(labels.begin(), labels.end(), k.labels.begin(), k.labels.end());
}

uint32_t ProfileBuilder::AddSample(std::span<const uint32_t> stack, std::span<const int64_t> values,
                                   std::span<const Label> labels) {
  Check(values.size() == p_.sample_types.size(), "AddSample: values do not match sample types");
  if (Aliases(stack, p_.stacks)) {
    scratch_stack_.assign(stack.begin(), stack.end());
    stack = scratch_stack_;
  }
  scratch_labels_.clear();
  for (const Label& l : labels) {
    if (l.is_string() || l.is_numeric()) scratch_labels_.push_back(l);
  }
  if (scratch_labels_.size() > 1) {
    if (scratch_labels_.size() <= 16) {
      // Insertion sort: stable, and no allocation for the usual handful of labels.
      for (size_t i = 1; i < scratch_labels_.size(); ++i) {
        Label x = scratch_labels_[i];
        size_t j = i;
        for (; j > 0 && LabelBefore(x, scratch_labels_[j - 1]); --j) {
          scratch_labels_[j] = scratch_labels_[j - 1];
        }
        scratch_labels_[j] = x;
      }
    } else {
      std::stable_sort(scratch_labels_.begin(), scratch_labels_.end(), LabelBefore);
    }
  }
  SampleProbe probe{HashSample(stack, scratch_labels_), stack, scratch_labels_};
  auto it = sample_index_.find(probe);
  if (it != sample_index_.end()) {
    auto sum = p_.MutableValues(p_.samples[*it]);
    for (size_t i = 0; i < values.size(); ++i) {
      // Wraps on overflow like Go's int64 instead of being undefined.
      sum[i] =
          static_cast<int64_t>(static_cast<uint64_t>(sum[i]) + static_cast<uint64_t>(values[i]));
    }
    return *it;
  }
  auto index = static_cast<uint32_t>(p_.samples.size());
  p_.AddSample(stack, values, scratch_labels_);
  sample_hashes_.push_back(probe.hash);
  sample_index_.insert(index);
  return index;
}

Profile ProfileBuilder::Finish() {
  bool has_zero = false;
  for (const Sample& s : p_.samples) {
    if (IsZero(p_.Values(s))) {
      has_zero = true;
      break;
    }
  }
  Profile out = std::move(p_);
  Reset();
  if (has_zero) return Compact(out);
  return out;
}

void EntityImporter::Bind(const Profile& src) {
  src_ = &src;
  strings_.assign(src.strings.size(), kNone);
  if (!strings_.empty()) strings_[0] = 0;
  mappings_.assign(src.mappings.size(), MapInfo{});
  functions_.assign(src.functions.size(), kNone);
  locations_.assign(src.locations.size(), kNone);
}

EntityImporter::MapInfo EntityImporter::MapMapping(uint32_t i) {
  MapInfo& mi = mappings_[i];
  if (mi.index != kNone) return mi;
  const Mapping& m = src_->mappings[i];
  Mapping d = m;
  d.filename = Str(m.filename);
  d.build_id = Str(m.build_id);
  uint64_t start = 0;
  mi.index = b_.AddMapping(d, &start);
  mi.delta = start - m.memory_start;
  return mi;
}

uint32_t EntityImporter::MapFunction(uint32_t i) {
  uint32_t& d = functions_[i];
  if (d != kNone) return d;
  const Function& f = src_->functions[i];
  d = b_.AddFunction(Str(f.name), Str(f.system_name), Str(f.filename), f.start_line);
  return d;
}

uint32_t EntityImporter::MapLocationSlow(uint32_t i) {
  const Location& l = src_->locations[i];
  MapInfo mi;
  if (l.mapping != kNone) mi = MapMapping(l.mapping);
  lines_.clear();
  for (const Line& ln : src_->Lines(l)) {
    Line d = ln;
    if (ln.function != kNone) d.function = MapFunction(ln.function);
    lines_.push_back(d);
  }
  uint32_t d =
      b_.AddLocation(mi.index, l.address + mi.delta, lines_, l.is_folded, Str(l.frame_type));
  locations_[i] = d;
  return d;
}

}  // namespace hearth::profile
