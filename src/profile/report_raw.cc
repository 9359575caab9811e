// pprof's Profile.String() (the -raw report) and Go's time formatting.

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "profile/report.h"
#include "profile/report_internal.h"
#include "profile/units.h"

namespace hearth::profile {
namespace report_internal {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

// Splits Unix nanoseconds into local calendar time and the sub-second part.
struct tm LocalTime(int64_t nanos, int64_t* frac) {
  int64_t secs = nanos / kNanosPerSecond;
  *frac = nanos % kNanosPerSecond;
  if (*frac < 0) {
    *frac += kNanosPerSecond;
    --secs;
  }
  const time_t t = static_cast<time_t>(secs);
  struct tm tm {};
  localtime_r(&t, &tm);
  return tm;
}

std::string_view ZoneName(const struct tm& tm) {
  return tm.tm_zone != nullptr ? std::string_view(tm.tm_zone) : std::string_view();
}

// Go's "-0700".
std::string ZoneOffset(const struct tm& tm) {
  long offset_min = tm.tm_gmtoff / 60;
  char sign = '+';
  if (offset_min < 0) {
    sign = '-';
    offset_min = -offset_min;
  }
  return fmt::format("{}{:02}{:02}", sign, offset_min / 60, offset_min % 60);
}

}  // namespace

std::string GoTimeString(int64_t nanos) {
  int64_t frac;
  const struct tm tm = LocalTime(nanos, &frac);
  std::string out = fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (frac != 0) {
    // ".999999999": nine digits with trailing zeros (and a bare dot) removed.
    std::string digits = fmt::format("{:09}", frac);
    while (digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  return fmt::format("{} {} {}", out, ZoneOffset(tm), ZoneName(tm));
}

std::string GoHeaderTime(int64_t nanos) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t frac;
  const struct tm tm = LocalTime(nanos, &frac);
  const int hour12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
  return fmt::format("{} {}, {:04} at {}:{:02}{} ({})", kMonths[tm.tm_mon], tm.tm_mday,
                     tm.tm_year + 1900, hour12, tm.tm_min, tm.tm_hour < 12 ? "am" : "pm",
                     ZoneName(tm));
}

}  // namespace report_internal

namespace {

// Go's "%.4v" of a time.Duration: its String() cut to four runes.
std::string ShortDuration(int64_t nanos) {
  std::string s = GoDurationString(nanos);
  size_t runes = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xc0) == 0x80) continue;
    if (runes++ == 4) return s.substr(0, i);
  }
  return s;
}

// The labels of one kind of a sample, sorted by key with values in their original order:
// the shape of pprof's Label / NumLabel maps.
std::vector<const Label*> LabelsByKey(const Profile& p, const Sample& s, bool numeric) {
  std::vector<const Label*> labels;
  for (const Label& l : p.Labels(s)) {
    if (numeric ? l.is_numeric() : l.is_string()) labels.push_back(&l);
  }
  std::stable_sort(labels.begin(), labels.end(),
                   [&p](const Label* a, const Label* b) { return p.Str(a->key) < p.Str(b->key); });
  return labels;
}

// pprof's labelsToString / numLabelsToString: "key:[v1 v2]" per key, sorted as strings.
std::string LabelsString(const Profile& p, const std::vector<const Label*>& labels, bool numeric) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < labels.size();) {
    std::string_view key = p.Str(labels[i]->key);
    size_t end = i;
    bool any_unit = false;
    while (end < labels.size() && p.Str(labels[end]->key) == key) {
      any_unit = any_unit || labels[end]->num_unit != 0;
      ++end;
    }
    std::string part = fmt::format("{}:[", key);
    for (size_t j = i; j < end; ++j) {
      if (j != i) part.push_back(' ');
      const Label& l = *labels[j];
      if (!numeric) {
        part.append(p.Str(l.str));
      } else if (any_unit) {
        // pprof pads a key's units to its values once any value has a unit.
        part.append(fmt::format("{} {}", l.num, p.Str(l.num_unit)));
      } else {
        part.append(fmt::format("{}", l.num));
      }
    }
    part.push_back(']');
    parts.push_back(std::move(part));
    i = end;
  }
  std::sort(parts.begin(), parts.end());
  return fmt::format("{}", fmt::join(parts, " "));
}

void AppendSample(const Profile& p, const Sample& s, std::string& out) {
  for (int64_t v : p.Values(s)) fmt::format_to(std::back_inserter(out), " {:10}", v);
  out.append(": ");
  for (uint32_t loc : p.Stack(s))
    fmt::format_to(std::back_inserter(out), "{} ", p.locations[loc].id);
  out.push_back('\n');
  constexpr std::string_view kLabelIndent = "                ";
  for (bool numeric : {false, true}) {
    std::vector<const Label*> labels = LabelsByKey(p, s, numeric);
    if (labels.empty()) continue;
    out.append(kLabelIndent);
    out.append(LabelsString(p, labels, numeric));
    out.push_back('\n');
  }
}

void AppendLocation(const Profile& p, const Location& loc, std::string& out) {
  std::string head = fmt::format("{:6}: {:#x} ", loc.id, loc.address);
  if (loc.mapping != kNone) head += fmt::format("M={} ", p.mappings[loc.mapping].id);
  if (loc.is_folded) head += "[F] ";
  std::span<const Line> lines = p.Lines(loc);
  if (lines.empty()) {
    out.append(head);
    out.push_back('\n');
    return;
  }
  for (const Line& line : lines) {
    out.append(head);
    if (line.function == kNone) {
      out.append("??");
    } else {
      const Function& fn = p.functions[line.function];
      fmt::format_to(std::back_inserter(out), "{} {}:{} s={}", p.Str(fn.name), p.Str(fn.filename),
                     line.line, fn.start_line);
      if (p.Str(fn.name) != p.Str(fn.system_name)) {
        fmt::format_to(std::back_inserter(out), "({})", p.Str(fn.system_name));
      }
    }
    out.push_back('\n');
    head = "             ";  // Only the first line shows the location's details.
  }
}

}  // namespace

std::string ProfileString(const Profile& p) {
  std::string out;
  auto add = [&out](std::string_view line) {
    out.append(line);
    out.push_back('\n');
  };
  for (StrId c : p.comments) add(fmt::format("Comment: {}", p.Str(c)));
  add(fmt::format("PeriodType: {} {}", p.Str(p.period_type.type), p.Str(p.period_type.unit)));
  add(fmt::format("Period: {}", p.period));
  if (p.time_nanos != 0) add("Time: " + report_internal::GoTimeString(p.time_nanos));
  if (p.duration_nanos != 0) add("Duration: " + ShortDuration(p.duration_nanos));
  add("Samples:");
  std::string types;
  for (const ValueType& t : p.sample_types) {
    std::string_view dflt =
        p.Str(t.type) == p.Str(p.default_sample_type) ? std::string_view("[dflt]") : "";
    fmt::format_to(std::back_inserter(types), "{}/{}{} ", p.Str(t.type), p.Str(t.unit), dflt);
  }
  if (!types.empty()) types.pop_back();
  add(types);
  for (const Sample& s : p.samples) AppendSample(p, s, out);
  add("Locations");
  for (const Location& loc : p.locations) AppendLocation(p, loc, out);
  add("Mappings");
  for (const Mapping& m : p.mappings) {
    std::string bits;
    if (m.has_functions) bits += "[FN]";
    if (m.has_filenames) bits += "[FL]";
    if (m.has_line_numbers) bits += "[LN]";
    if (m.has_inline_frames) bits += "[IN]";
    add(fmt::format("{}: {:#x}/{:#x}/{:#x} {} {} {}", m.id, m.memory_start, m.memory_limit,
                    m.file_offset, p.Str(m.filename), p.Str(m.build_id), bits));
  }
  return out;
}

}  // namespace hearth::profile
