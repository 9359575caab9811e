// Per-type profiles back to multi-type ones: JoinSampleTypes (the inverse of the encoder's
// split) and OtlpRequestToProfile (what `hearth convert --from otlp` reads).
//
// The join is keyed, not positional: a sample of the result is (stack of locations, labels)
// and gets each input's value for that key in its type's column, 0 where an input has no
// such sample. So it also inverts a split that dropped zero-valued samples per type (ours,
// and the fixture generator's), where samples no longer line up one to one.

#include <algorithm>
#include <map>
#include <tuple>

#include "base/fmt.h"
#include "formats/otlp.h"
#include "profile/builder.h"
#include "profile/merge.h"

namespace hearth::formats {
namespace {

using profile::Profile;

std::string TypeName(const Profile& p, const profile::ValueType& vt) {
  return fmt::format("{}/{}", p.Str(vt.type), p.Str(vt.unit));
}

// Same period type (by name) and period.
absl::Status CheckSamePeriod(const Profile& a, const Profile& b, size_t ia, size_t ib) {
  if (a.Str(a.period_type.type) == b.Str(b.period_type.type) &&
      a.Str(a.period_type.unit) == b.Str(b.period_type.unit) && a.period == b.period) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      fmt::format("otlp: cannot join profiles {} and {}: one has period {} {}, the other {} {}", ia,
                  ib, a.period, TypeName(a, a.period_type), b.period, TypeName(b, b.period_type)));
}

}  // namespace

absl::StatusOr<Profile> JoinSampleTypes(std::vector<Profile> per_type) {
  if (per_type.empty()) return absl::InvalidArgumentError("otlp: no profiles to join");
  if (per_type.size() == 1) return std::move(per_type[0]);

  std::map<std::string, size_t> seen;  // type/unit -> input
  size_t num_types = 0;
  for (size_t k = 0; k < per_type.size(); ++k) {
    const Profile& p = per_type[k];
    if (auto s = CheckSamePeriod(per_type[0], p, 0, k); !s.ok()) return s;
    for (const profile::ValueType& vt : p.sample_types) {
      auto [it, inserted] = seen.emplace(TypeName(p, vt), k);
      if (!inserted) {
        return absl::InvalidArgumentError(
            fmt::format("otlp: cannot join: sample type {} is in profiles {} and {}", it->first,
                        it->second, k));
      }
    }
    num_types += p.sample_types.size();
  }

  profile::ProfileBuilder b;
  Profile& out = b.profile();
  profile::EntityImporter importer(b);
  std::vector<int64_t> values(num_types, 0);
  std::vector<uint32_t> stack;
  std::vector<profile::Label> labels;
  // Every column first: each AddSample takes a value for every sample type.
  for (const Profile& p : per_type) {
    for (const profile::ValueType& vt : p.sample_types) {
      out.sample_types.push_back({b.Str(p.Str(vt.type)), b.Str(p.Str(vt.unit))});
    }
  }
  size_t column = 0;
  for (size_t k = 0; k < per_type.size(); ++k) {
    const Profile& p = per_type[k];
    importer.Bind(p);
    if (k == 0) {
      out.period_type = {importer.Str(p.period_type.type), importer.Str(p.period_type.unit)};
      out.period = p.period;
      out.time_nanos = p.time_nanos;
      for (profile::StrId c : p.comments) out.comments.push_back(importer.Str(c));
    }
    // Time: the earliest; duration: the longest; names: the first that is set.
    if (p.time_nanos != 0 && (out.time_nanos == 0 || p.time_nanos < out.time_nanos)) {
      out.time_nanos = p.time_nanos;
    }
    out.duration_nanos = std::max(out.duration_nanos, p.duration_nanos);
    for (auto [src, dst] :
         {std::pair{p.drop_frames, &out.drop_frames}, std::pair{p.keep_frames, &out.keep_frames},
          std::pair{p.doc_url, &out.doc_url},
          std::pair{p.default_sample_type, &out.default_sample_type}}) {
      if (*dst == 0 && src != 0) *dst = importer.Str(src);
    }

    const size_t n = p.sample_types.size();
    for (const profile::Sample& s : p.samples) {
      stack.clear();
      for (uint32_t loc : p.Stack(s)) stack.push_back(importer.MapLocation(loc));
      labels.clear();
      for (const profile::Label& l : p.Labels(s)) {
        labels.push_back(
            {importer.Str(l.key), importer.Str(l.str), l.num, importer.Str(l.num_unit)});
      }
      auto v = p.Values(s);
      std::copy(v.begin(), v.end(), values.begin() + column);
      b.AddSample(stack, values, labels);
      std::fill(values.begin() + column, values.begin() + column + n, 0);
    }
    column += n;
  }
  return b.Finish();
}

absl::StatusOr<Profile> OtlpRequestToProfile(OtlpDecodeResult result) {
  if (result.rejected_profiles > 0) {
    return absl::InvalidArgumentError(
        fmt::format("otlp: {} of {} profiles refused; the first: {}", result.rejected_profiles,
                    result.rejected_profiles + result.profiles.size(), result.error_message));
  }
  if (result.profiles.empty()) {
    return absl::InvalidArgumentError("otlp: the request holds no profiles");
  }
  // Group by (sample types, period type), in order of first appearance; merge each group
  // (the same type from several resources or scopes), then join the groups.
  std::vector<std::string> keys;
  std::vector<std::vector<const Profile*>> groups;
  for (const OtlpProfile& op : result.profiles) {
    const Profile& p = op.profile;
    std::string key = TypeName(p, p.period_type);
    for (const profile::ValueType& vt : p.sample_types) {
      key += ',';
      key += TypeName(p, vt);
    }
    auto it = std::find(keys.begin(), keys.end(), key);
    if (it == keys.end()) {
      keys.push_back(std::move(key));
      groups.emplace_back();
      it = keys.end() - 1;
    }
    groups[it - keys.begin()].push_back(&p);
  }
  std::vector<Profile> per_type;
  per_type.reserve(groups.size());
  for (const std::vector<const Profile*>& group : groups) {
    if (group.size() == 1) {
      per_type.push_back(*group[0]);
      continue;
    }
    absl::StatusOr<Profile> merged = profile::Merge(group);
    if (!merged.ok()) return merged.status();
    per_type.push_back(*std::move(merged));
  }
  return JoinSampleTypes(std::move(per_type));
}

}  // namespace hearth::formats
