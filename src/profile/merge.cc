#include "profile/merge.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status_macros.h"
#include "profile/ops.h"
#include "profile/ops_internal.h"
#include "profile/units.h"

namespace hearth::profile {
namespace {

using internal::ScaleRounded;
using internal::TruncToInt64;

bool IsZero(std::span<const int64_t> values) {
  return std::all_of(values.begin(), values.end(), [](int64_t v) { return v == 0; });
}

std::string TypeString(const Profile& p, const ValueType& t) {
  return fmt::format("{}/{}", p.Str(t.type), p.Str(t.unit));
}

std::string TypesString(const Profile& p) {
  std::string out = "[";
  for (size_t i = 0; i < p.sample_types.size(); ++i) {
    if (i > 0) out += ' ';
    out += TypeString(p, p.sample_types[i]);
  }
  return out + "]";
}

bool SameType(const Profile& a, const ValueType& x, const Profile& b, const ValueType& y) {
  return a.Str(x.type) == b.Str(y.type) && a.Str(x.unit) == b.Str(y.unit);
}

// pprof treats a profile without a period type (nil) as compatible with any; in the model
// that is an empty type and unit.
bool HasPeriodType(const Profile& p) {
  return !p.Str(p.period_type.type).empty() || !p.Str(p.period_type.unit).empty();
}

// Copies one source profile's samples into a builder with pprof's merge order: per sample
// (non-zero ones only), its locations leaf first, each one's mapping before its lines'
// functions, then the sample.
class Translator : public EntityImporter {
 public:
  explicit Translator(ProfileBuilder& b) : EntityImporter(b), b_(b) {}

  // Adds the source's samples. With `ratios` (one per sample type) values are first scaled
  // as pprof's ScaleN would, including dropping the samples it drops.
  void AddSamples(std::span<const double> ratios) {
    const Profile& src = source();
    // pprof keeps the main binary first: the first source mapping seen is mapped before
    // any sample can map another one.
    if (b_.profile().mappings.empty() && !src.mappings.empty()) MapMapping(0);
    const bool scale = !ratios.empty() &&
                       std::any_of(ratios.begin(), ratios.end(), [](double r) { return r != 1; });
    for (const Sample& s : src.samples) {
      std::span<const int64_t> values = src.Values(s);
      if (scale) {
        scaled_.assign(values.begin(), values.end());
        bool keep = false;
        for (size_t i = 0; i < scaled_.size(); ++i) {
          if (ratios[i] == 1) continue;
          scaled_[i] = ScaleRounded(scaled_[i], ratios[i]);
          keep = keep || scaled_[i] != 0;
        }
        if (!keep) continue;
        values = scaled_;
      }
      if (IsZero(values)) continue;
      stack_.clear();
      for (uint32_t loc : src.Stack(s)) stack_.push_back(MapLocation(loc));
      labels_.clear();
      for (const Label& l : src.Labels(s)) {
        Label d;
        if (l.is_string()) {
          d.key = Str(l.key);
          d.str = Str(l.str);
        } else if (l.is_numeric()) {
          d.key = Str(l.key);
          d.num = l.num;
          d.num_unit = Str(l.num_unit);
        } else {
          continue;  // pprof's decoder never keeps a label without a value.
        }
        labels_.push_back(d);
      }
      b_.AddSample(stack_, values, labels_);
    }
  }

 private:
  ProfileBuilder& b_;
  std::vector<uint32_t> stack_;
  std::vector<Label> labels_;
  std::vector<int64_t> scaled_;
};

// The header fields pprof takes from the first input.
void SetFirstHeader(Profile& out, Translator& tr, const Profile& src) {
  out.sample_types.clear();
  for (const ValueType& t : src.sample_types) {
    out.sample_types.push_back({tr.Str(t.type), tr.Str(t.unit)});
  }
  out.period_type = {tr.Str(src.period_type.type), tr.Str(src.period_type.unit)};
  out.drop_frames = tr.Str(src.drop_frames);
  out.keep_frames = tr.Str(src.keep_frames);
}

// Folds one input's header into `out` as pprof's combineHeaders does, quirks included:
// a zero time is replaced by the next one (so "earliest" only among what follows it), and
// a zero period likewise.
void CombineHeader(Profile& out, Translator& tr, const Profile& src, int64_t src_period) {
  if (out.time_nanos == 0 || src.time_nanos < out.time_nanos) out.time_nanos = src.time_nanos;
  out.duration_nanos = static_cast<int64_t>(static_cast<uint64_t>(out.duration_nanos) +
                                            static_cast<uint64_t>(src.duration_nanos));
  if (out.period == 0 || out.period < src_period) out.period = src_period;
  for (StrId c : src.comments) {
    StrId d = tr.Str(c);
    if (std::find(out.comments.begin(), out.comments.end(), d) == out.comments.end()) {
      out.comments.push_back(d);
    }
  }
  if (out.default_sample_type == 0) out.default_sample_type = tr.Str(src.default_sample_type);
  if (out.doc_url == 0) out.doc_url = tr.Str(src.doc_url);
}

Profile MergeCompatible(std::span<const Profile* const> srcs) {
  ProfileBuilder b;
  Translator tr(b);
  Profile& out = b.profile();
  // Input by input, like Merger, so both build identical string tables. (Header fields
  // combine the same whether folded before or between the samples.)
  for (size_t i = 0; i < srcs.size(); ++i) {
    tr.Bind(*srcs[i]);
    if (i == 0) SetFirstHeader(out, tr, *srcs[i]);
    CombineHeader(out, tr, *srcs[i], srcs[i]->period);
    tr.AddSamples({});
  }
  return b.Finish();
}

// pprof's measurement.CommonValueType over one sample type position (or the period type):
// the finest unit wins, the earliest on ties. Returns nullopt when there is at most one
// type (pprof's nil: nothing to reconcile).
struct TypeRef {
  std::string_view type;
  std::string_view unit;
};

absl::StatusOr<std::optional<TypeRef>> CommonValueType(std::span<const TypeRef> ts) {
  if (ts.size() <= 1) return std::nullopt;
  TypeRef min = ts[0];
  for (const TypeRef& t : ts.subspan(1)) {
    if (!CompatibleValueTypes(min.type, min.unit, t.type, t.unit)) {
      return absl::InvalidArgumentError(
          fmt::format("incompatible types: {}/{} {}/{}", min.type, min.unit, t.type, t.unit));
    }
    if (ScaleValue(1, t.unit, min.unit).first < 1) min = t;
  }
  return min;
}

}  // namespace

absl::Status CheckCompatible(const Profile& a, const Profile& b) {
  if (!SameType(a, a.period_type, b, b.period_type)) {
    return absl::InvalidArgumentError(fmt::format("incompatible period types {} and {}",
                                                  TypeString(a, a.period_type),
                                                  TypeString(b, b.period_type)));
  }
  bool same = a.sample_types.size() == b.sample_types.size();
  for (size_t i = 0; same && i < a.sample_types.size(); ++i) {
    same = SameType(a, a.sample_types[i], b, b.sample_types[i]);
  }
  if (!same) {
    return absl::InvalidArgumentError(
        fmt::format("incompatible sample types {} and {}", TypesString(a), TypesString(b)));
  }
  return absl::OkStatus();
}

absl::StatusOr<Profile> Merge(std::span<const Profile* const> srcs) {
  if (srcs.empty()) return absl::InvalidArgumentError("no profiles to merge");
  for (const Profile* s : srcs.subspan(1)) {
    HEARTH_RETURN_IF_ERROR(CheckCompatible(*srcs[0], *s));
  }
  return MergeCompatible(srcs);
}

Profile Compact(const Profile& p) {
  const Profile* one[] = {&p};
  return MergeCompatible(one);
}

absl::Status ScaleToCommonUnits(std::span<Profile* const> profiles) {
  if (profiles.empty()) return absl::OkStatus();
  std::vector<TypeRef> ts;
  for (const Profile* p : profiles) {
    if (HasPeriodType(*p)) ts.push_back({p->Str(p->period_type.type), p->Str(p->period_type.unit)});
  }
  auto period_type = CommonValueType(ts);
  if (!period_type.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("period type: {}", std::string(period_type.status().message())));
  }
  const size_t n = profiles[0]->sample_types.size();
  for (const Profile* p : profiles.subspan(1)) {
    if (p->sample_types.size() != n) {
      return absl::InvalidArgumentError(
          fmt::format("inconsistent samples type count: {} != {}", n, p->sample_types.size()));
    }
  }
  // Strings are copied: interning the new units below may grow the tables they point into.
  std::vector<std::optional<std::pair<std::string, std::string>>> common(n);
  for (size_t i = 0; i < n; ++i) {
    ts.clear();
    for (const Profile* p : profiles) {
      ts.push_back({p->Str(p->sample_types[i].type), p->Str(p->sample_types[i].unit)});
    }
    auto t = CommonValueType(ts);
    if (!t.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("sample types: {}", std::string(t.status().message())));
    }
    if (t->has_value()) common[i].emplace(std::string((*t)->type), std::string((*t)->unit));
  }
  std::optional<std::string> period_unit;
  if (period_type->has_value()) period_unit = std::string((*period_type)->unit);

  std::vector<double> ratios(n);
  for (Profile* p : profiles) {
    if (HasPeriodType(*p) && period_unit) {
      p->period =
          TruncToInt64(ScaleValue(p->period, p->Str(p->period_type.unit), *period_unit).first);
      p->period_type.unit = p->strings.Intern(*period_unit);
    }
    for (size_t i = 0; i < n; ++i) {
      ratios[i] = 1;
      if (!common[i]) continue;
      ratios[i] = ScaleValue(1, p->Str(p->sample_types[i].unit), common[i]->second).first;
      p->sample_types[i].unit = p->strings.Intern(common[i]->second);
    }
    HEARTH_RETURN_IF_ERROR(ScaleN(*p, ratios));
  }
  return absl::OkStatus();
}

Merger::Merger() : builder_(std::make_unique<ProfileBuilder>()) {}
Merger::~Merger() = default;

absl::Status Merger::Add(const Profile& src) {
  // All state lives in the builder's profile: its sample types and period carry the units
  // reconciled so far, its header the combined header.
  Profile& out = builder_->profile();
  Translator tr(*builder_);
  tr.Bind(src);
  if (count_ == 0) {
    SetFirstHeader(out, tr, src);
    CombineHeader(out, tr, src, src.period);
    tr.AddSamples({});
    ++count_;
    return absl::OkStatus();
  }

  // Unit reconciliation (ScaleToCommonUnits, one input at a time). Everything is checked
  // before anything changes, so a rejected input leaves the merge as it was.
  const size_t n = out.sample_types.size();
  if (src.sample_types.size() != n) {
    return absl::InvalidArgumentError(
        fmt::format("inconsistent samples type count: {} != {}", n, src.sample_types.size()));
  }
  const bool out_period = HasPeriodType(out), src_period = HasPeriodType(src);
  std::string_view period_unit = out.Str(out.period_type.unit);
  bool rescale_period = false;  // The source's period unit is finer than the merged one.
  int64_t period = src.period;
  if (out_period && src_period) {
    std::string_view src_unit = src.Str(src.period_type.unit);
    if (!CompatibleValueTypes(out.Str(out.period_type.type), period_unit,
                              src.Str(src.period_type.type), src_unit)) {
      return absl::InvalidArgumentError(fmt::format("period type: incompatible types: {} {}",
                                                    TypeString(out, out.period_type),
                                                    TypeString(src, src.period_type)));
    }
    if (ScaleValue(1, src_unit, period_unit).first < 1) {
      rescale_period = true;
      period_unit = src_unit;
    } else {
      period = TruncToInt64(ScaleValue(src.period, src_unit, period_unit).first);
    }
  }
  std::vector<double> src_ratios(n, 1), out_ratios(n, 1);
  std::vector<std::string_view> units(n);
  for (size_t i = 0; i < n; ++i) {
    const ValueType& o = out.sample_types[i];
    const ValueType& s = src.sample_types[i];
    std::string_view ou = out.Str(o.unit), su = src.Str(s.unit);
    if (!CompatibleValueTypes(out.Str(o.type), ou, src.Str(s.type), su)) {
      return absl::InvalidArgumentError(fmt::format("sample types: incompatible types: {} {}",
                                                    TypeString(out, o), TypeString(src, s)));
    }
    units[i] = ou;
    if (ScaleValue(1, su, ou).first < 1) {
      out_ratios[i] = ScaleValue(1, ou, su).first;
      units[i] = su;
    } else {
      src_ratios[i] = ScaleValue(1, su, ou).first;
    }
  }
  // After scaling, pprof's Merge still wants identical types (e.g. "sample" and "samples"
  // reconcile but do not merge).
  if (out_period != src_period || out.Str(out.period_type.type) != src.Str(src.period_type.type)) {
    return absl::InvalidArgumentError(fmt::format("incompatible period types {} and {}",
                                                  TypeString(out, out.period_type),
                                                  TypeString(src, src.period_type)));
  }
  bool same = true;
  for (size_t i = 0; same && i < n; ++i) {
    same = out.Str(out.sample_types[i].type) == src.Str(src.sample_types[i].type);
  }
  if (!same) {
    return absl::InvalidArgumentError(
        fmt::format("incompatible sample types {} and {}", TypesString(out), TypesString(src)));
  }

  if (rescale_period) {
    std::string unit(period_unit);
    out.period = TruncToInt64(ScaleValue(out.period, out.Str(out.period_type.unit), unit).first);
    out.period_type.unit = builder_->Str(unit);
  }
  if (std::any_of(out_ratios.begin(), out_ratios.end(), [](double r) { return r != 1; })) {
    // Rescales what was merged so far. pprof would drop an input sample whose rescaled
    // values are all zero; here such a merged sample is zeroed instead (its key stays in the
    // builder), so later inputs still add to it and Finish drops it if nothing does.
    for (const Sample& s : out.samples) {
      auto values = out.MutableValues(s);
      bool keep = false;
      for (size_t i = 0; i < n; ++i) {
        if (out_ratios[i] == 1) continue;
        values[i] = ScaleRounded(values[i], out_ratios[i]);
        keep = keep || values[i] != 0;
      }
      if (!keep) std::fill(values.begin(), values.end(), 0);
    }
    for (size_t i = 0; i < n; ++i) {
      if (out_ratios[i] != 1) out.sample_types[i].unit = builder_->Str(std::string(units[i]));
    }
  }
  CombineHeader(out, tr, src, period);
  tr.AddSamples(src_ratios);
  ++count_;
  return absl::OkStatus();
}

absl::StatusOr<Profile> Merger::Finish() {
  if (count_ == 0) return absl::InvalidArgumentError("no profiles to merge");
  count_ = 0;
  return builder_->Finish();
}

absl::StatusOr<Profile> SubtractBase(Profile p, Profile base, BaseMode mode, bool normalize) {
  if (mode == BaseMode::kDiffBase) SetLabel(base, kDiffBaseLabel, "true");
  if (normalize) HEARTH_RETURN_IF_ERROR(Normalize(p, base));
  Scale(base, -1);
  Profile* both[] = {&p, &base};
  HEARTH_RETURN_IF_ERROR(ScaleToCommonUnits(both));
  const Profile* srcs[] = {&p, &base};
  return Merge(srcs);
}

}  // namespace hearth::profile
