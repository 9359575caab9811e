#include "storage/schema.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>

#include "absl/hash/hash.h"
#include "base/strings.h"

namespace hearth::storage {

absl::Status NormalizeLabels(Labels& labels) {
  std::sort(labels.begin(), labels.end());
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].first.empty()) return absl::InvalidArgumentError("empty label name");
    if (i > 0 && labels[i].first == labels[i - 1].first) {
      return absl::InvalidArgumentError(fmt::format("duplicate label name \"{}\"", labels[i].first));
    }
  }
  return absl::OkStatus();
}

std::optional<std::string_view> LabelValue(const Labels& labels, std::string_view name) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const auto& l, std::string_view n) { return l.first < n; });
  if (it == labels.end() || it->first != name) return std::nullopt;
  return it->second;
}

std::string LabelsString(const Labels& labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    out += labels[i].first;
    out += "=\"";
    for (char c : labels[i].second) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

uint64_t HashLabels(const Labels& labels) {
  uint64_t h = labels.size();
  for (const auto& [k, v] : labels) {
    h = absl::HashOf(h, std::string_view(k), std::string_view(v));
  }
  return h;
}

SeriesSchema SchemaOf(const profile::Profile& p) {
  SeriesSchema s;
  for (const profile::ValueType& t : p.sample_types) {
    s.sample_types.push_back({std::string(p.Str(t.type)), std::string(p.Str(t.unit))});
  }
  s.period_type = {std::string(p.Str(p.period_type.type)), std::string(p.Str(p.period_type.unit))};
  s.period = p.period;
  if (p.default_sample_type != 0) {
    for (size_t i = 0; i < p.sample_types.size(); ++i) {
      if (p.Str(p.sample_types[i].type) == p.Str(p.default_sample_type)) {
        s.default_index = static_cast<int>(i);
      }
    }
  }
  return s;
}

uint64_t HashSchema(const SeriesSchema& s) {
  uint64_t h = absl::HashOf(s.period, s.default_index, std::string_view(s.period_type.type),
                            std::string_view(s.period_type.unit));
  for (const ValueTypeDesc& t : s.sample_types) {
    h = absl::HashOf(h, std::string_view(t.type), std::string_view(t.unit));
  }
  return h;
}

std::string ProfileTypeId::ToString() const {
  return fmt::format("{}:{}:{}:{}:{}", name, sample_type, sample_unit, period_type, period_unit);
}

absl::StatusOr<ProfileTypeId> ParseProfileTypeId(std::string_view id) {
  std::vector<std::string_view> parts = Split(id, ':');
  ProfileTypeId out;
  if (parts.size() == 1 && !parts[0].empty()) {
    out.name = std::string(parts[0]);
    return out;
  }
  if (parts.size() != 5 || parts[0].empty() || parts[1].empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "profile type \"{}\" must be name or name:sample_type:sample_unit:period_type:period_unit",
        id));
  }
  out.name = std::string(parts[0]);
  out.sample_type = std::string(parts[1]);
  out.sample_unit = std::string(parts[2]);
  out.period_type = std::string(parts[3]);
  out.period_unit = std::string(parts[4]);
  return out;
}

std::vector<ProfileTypeId> ProfileTypeIds(std::string_view name, const SeriesSchema& schema) {
  std::vector<ProfileTypeId> out;
  for (const ValueTypeDesc& t : schema.sample_types) {
    out.push_back({std::string(name), t.type, t.unit, schema.period_type.type,
                   schema.period_type.unit});
  }
  return out;
}

std::string GuessProfileName(const profile::Profile& p) {
  bool cpu = false, wall = false, alloc = false, inuse = false, goroutine = false,
       contentions = false;
  for (const profile::ValueType& t : p.sample_types) {
    std::string_view type = p.Str(t.type);
    cpu |= type == "cpu";
    wall |= type == "wall";
    alloc |= type.starts_with("alloc_");
    inuse |= type.starts_with("inuse_") || type == "space" || type == "objects";
    goroutine |= type == "goroutine" || type == "goroutines";
    contentions |= type == "contentions" || type == "delay";
  }
  std::string_view period_type = p.Str(p.period_type.type);
  if (wall) return "wall";
  if (cpu) return "process_cpu";
  if (alloc || inuse) return "memory";
  if (goroutine) return "goroutine";
  if (contentions) return period_type == "contentions" ? "mutex" : "block";
  if (!p.sample_types.empty() && p.Str(p.sample_types[0].type) == "threadcreate") {
    return "threadcreate";
  }
  return "profile";
}

absl::StatusOr<Selector> Selector::Compile(std::vector<Matcher> matchers) {
  Selector s;
  for (const Matcher& m : matchers) {
    if (m.name.empty()) return absl::InvalidArgumentError("matcher with an empty label name");
    std::unique_ptr<re2::RE2> re;
    if (m.op == Matcher::Op::kRe || m.op == Matcher::Op::kNre) {
      re2::RE2::Options o;
      o.set_log_errors(false);
      re = std::make_unique<re2::RE2>("^(?:" + m.value + ")$", o);
      if (!re->ok()) {
        return absl::InvalidArgumentError(
            fmt::format("bad regexp for label {}: {}", m.name, re->error()));
      }
    }
    s.regexps_.push_back(std::move(re));
  }
  s.matchers_ = std::move(matchers);
  return s;
}

Selector::Selector(Selector&&) noexcept = default;
Selector& Selector::operator=(Selector&&) noexcept = default;
Selector::~Selector() = default;

bool Selector::MatchesValue(size_t i, std::string_view value) const {
  const Matcher& m = matchers_[i];
  switch (m.op) {
    case Matcher::Op::kEq: return value == m.value;
    case Matcher::Op::kNe: return value != m.value;
    case Matcher::Op::kRe: return re2::RE2::FullMatch(value, *regexps_[i]);
    case Matcher::Op::kNre: return !re2::RE2::FullMatch(value, *regexps_[i]);
  }
  return false;
}

bool Selector::Matches(const Labels& labels) const {
  for (size_t i = 0; i < matchers_.size(); ++i) {
    std::optional<std::string_view> v = LabelValue(labels, matchers_[i].name);
    if (!MatchesValue(i, v.value_or(""))) return false;
  }
  return true;
}

int64_t ResolutionNs(Resolution r) {
  switch (r) {
    case Resolution::kRaw: return 0;
    case Resolution::kMinute: return kMinuteNs;
    case Resolution::kHour: return kHourNs;
  }
  return 0;
}

std::string_view ResolutionName(Resolution r) {
  switch (r) {
    case Resolution::kRaw: return "raw";
    case Resolution::kMinute: return "1m";
    case Resolution::kHour: return "1h";
  }
  return "?";
}

bool IsSampleLevelLabel(std::string_view key) {
  return key == kSpanIdLabel || key == kTraceIdLabel || key == "span id" || key == "trace id" ||
         key == "local root span id" || key == "profile_id";
}

}  // namespace hearth::storage
