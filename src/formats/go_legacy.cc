#include "formats/go_legacy.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <functional>
#include <string>
#include <vector>

#include "base/strings.h"
#include "formats/go_symbols.h"
#include "formats/legacy_common.h"
#include "formats/legacy_heap.h"
#include "profile/builder.h"

namespace hearth::formats {
namespace {

using legacy::GoStackSymbols;
using legacy::LineReader;
using legacy::RecordSet;

re2::StringPiece Piece(std::string_view s) { return re2::StringPiece(s.data(), s.size()); }
std::string_view View(const re2::StringPiece& s) { return std::string_view(s.data(), s.size()); }

// pprof's contention row (unanchored, leftmost-first like Go's regexp).
const re2::RE2& ContentionSampleRe() {
  static const re2::RE2 re(R"((\d+) *(\d+) @([ x0-9a-f]*))");
  return re;
}

bool IsSpaceOrComment(std::string_view line) {
  line = TrimSpace(line);
  return line.empty() || line.front() == '#';
}

// "<name> profile: total <n>"; returns the name.
bool ParseCountHeader(std::string_view line, std::string_view* name) {
  size_t sp = line.find(' ');
  if (sp == 0 || sp == std::string_view::npos) return false;
  *name = line.substr(0, sp);
  if (name->find('\t') != std::string_view::npos) return false;
  std::string_view rest = line.substr(sp);
  constexpr std::string_view kMiddle = " profile: total ";
  if (!rest.starts_with(kMiddle)) return false;
  rest.remove_prefix(kMiddle.size());
  uint64_t n;
  return !rest.empty() && rest.front() != '+' && ParseInt(rest, &n);
}

bool IsContentionHeader(std::string_view line) {
  return line.starts_with("--- contentionz ") || line.starts_with("--- mutex:") ||
         line.starts_with("--- contention:");
}

// Go's strconv.ParseInt(s, 0, 64): an optional sign, then 0x / 0o / 0b / a leading 0
// (octal) choose the base.
bool ParseGoInt(std::string_view s, int64_t* out) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16, s.remove_prefix(2);
  } else if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
    base = 8, s.remove_prefix(2);
  } else if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
    base = 2, s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8, s.remove_prefix(1);
  }
  uint64_t v;
  if (s.empty() || s.front() == '+' || !ParseInt(s, &v, base)) return false;
  if (v > (negative ? uint64_t{1} << 63 : uint64_t{INT64_MAX})) return false;
  *out = negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

absl::Status LineError(std::string_view what, size_t line_no, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("{}: line {}: {}", what, line_no, why));
}

// The loop shared by count and contention profiles: record lines, each followed by its
// `#` comments, until a line starting with "---" or the end. `parse_record` reads a record
// line into values and addresses. Returns true in *map_follows when a memory map section
// was found after the records (then lines->rest() holds it).
absl::Status ReadRecords(
    LineReader* lines, std::string_view first, std::string_view what, const GoLegacyOptions& o,
    profile::ProfileBuilder& b, RecordSet& records,
    const std::function<absl::Status(std::string_view, size_t, std::vector<int64_t>*,
                                     std::vector<uint64_t>*)>& parse_record,
    bool* map_follows) {
  GoStackSymbols symbols(b);
  std::vector<int64_t> values;
  std::vector<uint64_t> addrs;
  std::vector<profile::Label> labels;
  bool pending = false;
  auto flush = [&] {
    if (!pending) return;
    symbols.EmitFrames(addrs, /*drop_hidden_leaf_frames=*/false, records);
    records.EndRecord(values, labels);
    pending = false;
  };
  std::string_view line = first;
  bool have_line = !first.empty() || lines->line_no() > 0;
  *map_follows = false;
  for (;;) {
    if (!have_line) {
      if (!lines->Next(&line)) break;
      if (line.size() > o.max_line_bytes) {
        return LineError(what, lines->line_no(),
                         fmt::format("longer than the limit of {} bytes", o.max_line_bytes));
      }
    }
    have_line = false;
    std::string_view t = TrimSpace(line);
    if (t.starts_with("---")) {
      // The end of the records. A memory map may follow, here or after other sections.
      *map_follows = legacy::IsMemoryMapSentinel(t);
      while (!*map_follows && lines->Next(&line)) *map_follows = legacy::IsMemoryMapSentinel(line);
      break;
    }
    if (t.empty()) continue;
    if (t.front() == '#') {
      if (!pending) continue;
      if (t.starts_with("# labels:")) {
        if (!legacy::ParseGoLabels(t, b, &labels)) {
          return LineError(what, lines->line_no(),
                           "malformed labels (expected # labels: {\"key\":\"value\", ...})");
        }
      } else {
        symbols.AddComment(t);
      }
      continue;
    }
    flush();
    if (records.records().size() >= o.max_records) {
      return absl::ResourceExhaustedError(fmt::format(
          "{}: line {}: more than the limit of {} records", what, lines->line_no(), o.max_records));
    }
    values.clear();
    addrs.clear();
    labels.clear();
    absl::Status s = parse_record(t, lines->line_no(), &values, &addrs);
    if (!s.ok()) return s;
    pending = true;
  }
  flush();
  return absl::OkStatus();
}

absl::Status ReadMaps(const LineReader& lines, bool map_follows, std::string_view what,
                      const GoLegacyOptions& o, std::vector<legacy::MapEntry>* maps) {
  if (!map_follows) return absl::OkStatus();
  legacy::MapLimits ml{o.max_map_lines, o.max_line_bytes};
  return legacy::ParseMemoryMap(lines.rest(), lines.line_no() + 1, ml, what, maps);
}

absl::StatusOr<profile::Profile> ParseCount(std::string_view data, const GoLegacyOptions& o) {
  LineReader lines(data);
  std::string_view line, name;
  while (lines.Next(&line) && IsSpaceOrComment(line)) {
  }
  if (!ParseCountHeader(line, &name)) {
    return LineError("go count profile", lines.line_no(), "expected \"<name> profile: total <n>\"");
  }
  const std::string what = fmt::format("go {} profile", name);
  profile::ProfileBuilder b;
  profile::Profile& p = b.profile();
  p.period_type = {b.Str(name), b.Str("count")};
  p.period = 1;
  p.sample_types.push_back(p.period_type);
  p.drop_frames = b.Str(legacy::kCpuProfilerDropFrames);  // pprof's default for legacy.

  RecordSet records(1);
  auto parse_record = [&](std::string_view t, size_t line_no, std::vector<int64_t>* values,
                          std::vector<uint64_t>* addrs) -> absl::Status {
    size_t at = t.find(" @");
    int64_t count;
    std::string_view stack = at == std::string_view::npos ? "" : t.substr(at + 2);
    if (at == std::string_view::npos || !ParseInt(t.substr(0, at), &count) ||
        TrimSpace(stack).find_first_not_of("0123456789abcdefx ") != std::string_view::npos) {
      return LineError(what, line_no, "expected \"<count> @ 0x<address> ...\"");
    }
    if (!legacy::ParseHexAddresses(stack, o.max_frames, addrs)) {
      return LineError(what, line_no,
                       fmt::format("more than {} addresses, or one over 64 bits", o.max_frames));
    }
    values->push_back(count);
    return absl::OkStatus();
  };
  bool map_follows;
  absl::Status s = ReadRecords(&lines, {}, what, o, b, records, parse_record, &map_follows);
  if (!s.ok()) return s;
  std::vector<legacy::MapEntry> maps;
  s = ReadMaps(lines, map_follows, what, o, &maps);
  if (!s.ok()) return s;
  legacy::MappedAddresses mapped = legacy::AssignMappings(records, std::move(maps));
  return legacy::EmitProfile(records, mapped, b);
}

absl::StatusOr<profile::Profile> ParseContention(std::string_view data, const GoLegacyOptions& o) {
  LineReader lines(data);
  std::string_view line;
  if (!lines.Next(&line) || !IsContentionHeader(line)) {
    return LineError("go contention profile", 1, "expected \"--- mutex:\" or \"--- contention:\"");
  }
  const std::string what =
      line.starts_with("--- mutex:") ? "go mutex profile" : "go contention profile";
  profile::ProfileBuilder b;
  profile::Profile& p = b.profile();
  p.period_type = {b.Str("contentions"), b.Str("count")};
  p.period = 1;
  p.sample_types.push_back({b.Str("contentions"), b.Str("count")});
  p.sample_types.push_back({b.Str("delay"), b.Str("nanoseconds")});
  p.drop_frames = b.Str(legacy::kLockDropFrames);

  // "key = value" attributes up to the first record.
  int64_t cpu_hz = 0;
  std::string_view first;
  while (lines.Next(&line)) {
    if (line.size() > o.max_line_bytes) {
      return LineError(what, lines.line_no(),
                       fmt::format("longer than the limit of {} bytes", o.max_line_bytes));
    }
    std::string_view t = TrimSpace(line);
    if (IsSpaceOrComment(t)) continue;
    size_t eq = t.find('=');
    if (t.starts_with("---") || eq == std::string_view::npos) {
      first = line;
      break;
    }
    std::string_view key = TrimSpace(t.substr(0, eq)), value = TrimSpace(t.substr(eq + 1));
    int64_t v = 0;
    bool numeric = ParseGoInt(value, &v);
    if (key == "cycles/second" && numeric) {
      cpu_hz = v;
    } else if (key == "sampling period" && numeric) {
      p.period = v;
    } else if (key == "ms since reset" && numeric) {
      p.duration_nanos = static_cast<int64_t>(static_cast<uint64_t>(v) * 1000 * 1000);
    } else if (key != "discarded samples") {
      // "format" and "resolution" mark C++ contentionz profiles, which pprof doesn't read.
      return LineError(what, lines.line_no(), fmt::format("unsupported header \"{}\"", t));
    }
  }
  const int64_t period = p.period;
  RecordSet records(2);
  auto parse_record = [&](std::string_view t, size_t line_no, std::vector<int64_t>* values,
                          std::vector<uint64_t>* addrs) -> absl::Status {
    re2::StringPiece cycles_text, count_text, stack;
    int64_t cycles, count;
    if (!re2::RE2::PartialMatch(Piece(t), ContentionSampleRe(), &cycles_text, &count_text,
                                &stack) ||
        !ParseInt(View(cycles_text), &cycles) || !ParseInt(View(count_text), &count)) {
      return LineError(what, line_no, "expected \"<cycles> <count> @ 0x<address> ...\"");
    }
    if (!legacy::ParseHexAddresses(View(stack), o.max_frames, addrs)) {
      return LineError(what, line_no,
                       fmt::format("more than {} addresses, or one over 64 bits", o.max_frames));
    }
    // Unsample: delays are cycles, turned into nanoseconds, both scaled by the period.
    if (period > 0) {
      if (cpu_hz > 0) {
        double cpu_ghz = static_cast<double>(cpu_hz) / 1e9;
        double ns = static_cast<double>(cycles) * static_cast<double>(period) / cpu_ghz;
        cycles = (ns >= -9223372036854775808.0 && ns < 9223372036854775808.0)
                     ? static_cast<int64_t>(ns)
                     : INT64_MIN;  // Go's out-of-range conversion on amd64.
      }
      count = static_cast<int64_t>(static_cast<uint64_t>(count) * static_cast<uint64_t>(period));
    }
    values->push_back(count);
    values->push_back(cycles);
    return absl::OkStatus();
  };
  bool map_follows = false;
  if (!first.empty()) {
    absl::Status s = ReadRecords(&lines, first, what, o, b, records, parse_record, &map_follows);
    if (!s.ok()) return s;
  }
  std::vector<legacy::MapEntry> maps;
  absl::Status s = ReadMaps(lines, map_follows, what, o, &maps);
  if (!s.ok()) return s;
  legacy::MappedAddresses mapped = legacy::AssignMappings(records, std::move(maps));
  return legacy::EmitProfile(records, mapped, b);
}

}  // namespace

GoLegacyKind DetectGoLegacyKind(std::string_view data) {
  LineReader lines(data.substr(0, 1 << 16));
  std::string_view line;
  if (!lines.Next(&line)) return GoLegacyKind::kUnknown;
  if (line.starts_with("heap profile:") && legacy::IsHeapHeader(line)) return GoLegacyKind::kHeap;
  if (IsContentionHeader(line)) return GoLegacyKind::kContention;
  while (IsSpaceOrComment(line) && lines.Next(&line)) {
  }
  std::string_view name;
  if (ParseCountHeader(line, &name)) return GoLegacyKind::kCount;
  return GoLegacyKind::kUnknown;
}

bool LooksLikeGoLegacy(std::string_view data) {
  return DetectGoLegacyKind(data) != GoLegacyKind::kUnknown;
}

absl::StatusOr<profile::Profile> ParseGoLegacy(std::string_view data, const GoLegacyOptions& o) {
  if (data.size() > o.max_input_bytes) {
    return absl::ResourceExhaustedError(
        fmt::format("go legacy profile: input of {} bytes is over the limit of {}", data.size(),
                    o.max_input_bytes));
  }
  switch (DetectGoLegacyKind(data)) {
    case GoLegacyKind::kHeap:
      return legacy::ParseLegacyHeap(
          data, {o.max_input_bytes, o.max_line_bytes, o.max_frames, o.max_records, o.max_map_lines},
          "go heap profile");
    case GoLegacyKind::kCount: return ParseCount(data, o);
    case GoLegacyKind::kContention: return ParseContention(data, o);
    case GoLegacyKind::kUnknown: break;
  }
  return absl::InvalidArgumentError(
      "go legacy profile: expected \"heap profile: ...\", \"<name> profile: total N\", "
      "\"--- mutex:\" or \"--- contention:\" at the start");
}

}  // namespace hearth::formats
