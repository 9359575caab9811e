#include "profile/ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "profile/merge.h"
#include "profile/ops_internal.h"

namespace hearth::profile {

void Scale(Profile& p, double ratio) {
  if (ratio == 1) return;
  std::vector<double> ratios(p.sample_types.size(), ratio);
  (void)ScaleN(p, ratios);  // Sizes match by construction.
}

absl::Status ScaleN(Profile& p, std::span<const double> ratios) {
  if (ratios.size() != p.sample_types.size()) {
    return absl::InvalidArgumentError(fmt::format("mismatched scale ratios, got {}, want {}",
                                                  ratios.size(), p.sample_types.size()));
  }
  if (std::all_of(ratios.begin(), ratios.end(), [](double r) { return r == 1; })) {
    return absl::OkStatus();
  }
  size_t kept = 0;
  for (size_t i = 0; i < p.samples.size(); ++i) {
    const Sample s = p.samples[i];
    auto values = p.MutableValues(s);
    // pprof's rule: a sample survives only if a value it actually scaled is non-zero, so a
    // sample whose only non-zero values sit at ratio-1 positions is dropped.
    bool keep = false;
    for (size_t j = 0; j < values.size(); ++j) {
      if (ratios[j] == 1) continue;
      values[j] = internal::ScaleRounded(values[j], ratios[j]);
      keep = keep || values[j] != 0;
    }
    if (keep) p.samples[kept++] = s;
  }
  p.samples.resize(kept);
  return absl::OkStatus();
}

absl::Status Normalize(Profile& p, const Profile& base) {
  if (absl::Status st = CheckCompatible(p, base); !st.ok()) return st;
  const size_t n = p.sample_types.size();
  // Unsigned sums wrap on overflow like Go's int64 ones.
  std::vector<uint64_t> base_sums(n, 0), src_sums(n, 0);
  for (const Sample& s : base.samples) {
    auto v = base.Values(s);
    for (size_t i = 0; i < n; ++i) base_sums[i] += static_cast<uint64_t>(v[i]);
  }
  for (const Sample& s : p.samples) {
    auto v = p.Values(s);
    for (size_t i = 0; i < n; ++i) src_sums[i] += static_cast<uint64_t>(v[i]);
  }
  std::vector<double> ratios(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    if (src_sums[i] != 0) {
      ratios[i] = static_cast<double>(static_cast<int64_t>(base_sums[i])) /
                  static_cast<double>(static_cast<int64_t>(src_sums[i]));
    }
  }
  return ScaleN(p, ratios);
}

void DropZeroSamples(Profile& p) {
  std::erase_if(p.samples, [&p](const Sample& s) {
    auto v = p.Values(s);
    return std::all_of(v.begin(), v.end(), [](int64_t x) { return x == 0; });
  });
}

namespace {

// Rewrites every sample's labels into a fresh pool (no garbage left behind): `keep` picks
// the labels to copy, `extra` (if it is not null) is inserted after the string labels whose
// key id is not greater than its own, so a builder-canonical order stays canonical.
template <typename Keep>
void RewriteLabels(Profile& p, Keep keep, const Label* extra) {
  std::vector<Label> pool;
  pool.reserve(p.labels.size() + (extra ? p.samples.size() : 0));
  for (Sample& s : p.samples) {
    auto old = p.Labels(s);
    auto begin = static_cast<uint32_t>(pool.size());
    bool placed = extra == nullptr;
    for (const Label& l : old) {
      if (!placed && (!l.is_string() || l.key > extra->key)) {
        pool.push_back(*extra);
        placed = true;
      }
      if (keep(l)) pool.push_back(l);
    }
    if (!placed) pool.push_back(*extra);
    s.labels_begin = begin;
    s.num_labels = static_cast<uint32_t>(pool.size() - begin);
  }
  p.labels = std::move(pool);
}

}  // namespace

void SetLabel(Profile& p, std::string_view key, std::string_view value) {
  Label extra;
  extra.key = p.strings.Intern(key);
  extra.str = p.strings.Intern(value);
  // Only string labels are replaced: pprof keeps string and numeric labels in separate
  // maps, and SetLabel touches the string one.
  RewriteLabels(
      p, [&](const Label& l) { return !(l.is_string() && p.Str(l.key) == key); }, &extra);
}

void RemoveLabel(Profile& p, std::string_view key) {
  RewriteLabels(
      p, [&](const Label& l) { return p.Str(l.key) != key; }, nullptr);
}

bool HasLabel(const Profile& p, const Sample& s, std::string_view key, std::string_view value) {
  for (const Label& l : p.Labels(s)) {
    if (l.is_string() && p.Str(l.key) == key && p.Str(l.str) == value) return true;
  }
  return false;
}

absl::flat_hash_map<std::string, std::string> NumLabelUnits(const Profile& p) {
  absl::flat_hash_map<std::string, std::string> units;
  // Keys in first-seen order, so a unit-less key is filled in deterministically.
  std::vector<std::string> keys;
  absl::flat_hash_map<std::string_view, bool> seen;
  for (const Sample& s : p.samples) {
    for (const Label& l : p.Labels(s)) {
      if (!l.is_numeric()) continue;
      std::string_view key = p.Str(l.key);
      if (seen.try_emplace(key, true).second) keys.emplace_back(key);
      std::string_view unit = p.Str(l.num_unit);
      if (unit.empty()) continue;
      units.try_emplace(std::string(key), std::string(unit));  // The first unit wins.
    }
  }
  for (const std::string& key : keys) {
    auto it = units.find(key);
    if (it != units.end() && !it->second.empty()) continue;
    units[key] = (key == "alignment" || key == "request") ? "bytes" : key;
  }
  return units;
}

}  // namespace hearth::profile
