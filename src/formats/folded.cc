#include "formats/folded.h"

#include <fmt/format.h>

#include <vector>

#include "base/strings.h"
#include "profile/builder.h"
#include "profile/call_tree.h"

namespace hearth::formats {
namespace {

absl::Status LineError(size_t line_no, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("folded: line {}: {}", line_no, why));
}

// Splits "stack count" at the last run of spaces/tabs. False if there is no count.
bool SplitCount(std::string_view line, std::string_view* stack, std::string_view* count) {
  size_t end = line.find_last_not_of(" \t\r");
  if (end == std::string_view::npos) return false;
  line = line.substr(0, end + 1);
  size_t sep = line.find_last_of(" \t");
  if (sep == std::string_view::npos) return false;
  *count = line.substr(sep + 1);
  *stack = TrimSpace(line.substr(0, sep));
  return true;
}

// Counts are integers; flamegraph.pl also accepts decimals, which we round.
bool ParseCount(std::string_view s, int64_t* out) {
  if (ParseInt(s, out)) return true;
  double d;
  if (!ParseDouble(s, &d) || !(d >= -9.2e18 && d <= 9.2e18)) return false;
  *out = static_cast<int64_t>(d < 0 ? d - 0.5 : d + 0.5);
  return true;
}

}  // namespace

absl::StatusOr<profile::Profile> ParseFolded(std::string_view text, const FoldedOptions& o) {
  std::vector<std::string_view> type_unit = Split(o.sample_type, '/');
  if (type_unit.size() != 2 || type_unit[0].empty() || type_unit[1].empty()) {
    return absl::InvalidArgumentError(
        fmt::format("folded: sample type must look like type/unit, got \"{}\"", o.sample_type));
  }
  profile::ProfileBuilder b;
  b.profile().sample_types.push_back({b.Str(type_unit[0]), b.Str(type_unit[1])});
  std::vector<uint32_t> stack;
  size_t line_no = 0, samples = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.size() > o.max_line_bytes) {
      return LineError(line_no, fmt::format("longer than the limit of {} bytes", o.max_line_bytes));
    }
    if (line_no > o.max_lines) {
      return absl::ResourceExhaustedError(
          fmt::format("folded: more than the limit of {} lines", o.max_lines));
    }
    if (TrimSpace(line).empty() || line.front() == '#') continue;
    std::string_view frames, count_text;
    int64_t count;
    if (!SplitCount(line, &frames, &count_text) || !ParseCount(count_text, &count)) {
      return LineError(line_no, "expected \"frame;frame;... count\"");
    }
    if (frames.empty()) return LineError(line_no, "no frames before the count");
    stack.clear();
    for (std::string_view frame : Split(frames, ';')) {
      if (stack.size() == o.max_frames) {
        return LineError(line_no, fmt::format("more than {} frames", o.max_frames));
      }
      stack.push_back(b.AddFrame(frame));
    }
    std::reverse(stack.begin(), stack.end());  // The model is leaf first.
    b.AddSample(stack, {&count, 1});
    ++samples;
  }
  if (samples == 0) return absl::InvalidArgumentError("folded: no samples in input");
  return b.Finish();
}

std::string WriteFolded(const profile::Profile& p, size_t value_index) {
  return profile::CallTree::Build(p, value_index).ToFolded();
}

bool LooksLikeFolded(std::string_view text) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (TrimSpace(line).empty() || line.front() == '#') continue;
    std::string_view stack, count_text;
    int64_t count;
    return SplitCount(line, &stack, &count_text) && !stack.empty() &&
           ParseCount(count_text, &count);
  }
  return false;
}

}  // namespace hearth::formats
