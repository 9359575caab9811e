#include "formats/legacy_heap.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <cmath>
#include <string>
#include <vector>

#include "base/strings.h"
#include "formats/go_symbols.h"
#include "profile/builder.h"

namespace hearth::formats::legacy {
namespace {

re2::StringPiece Piece(std::string_view s) { return re2::StringPiece(s.data(), s.size()); }
std::string_view View(const re2::StringPiece& s) { return std::string_view(s.data(), s.size()); }

// pprof's patterns; RE2 matches them with Go's semantics (unanchored, leftmost-first).
const re2::RE2& HeapHeaderRe() {
  static const re2::RE2 re(
      R"(heap profile: *(\d+): *(\d+) *\[ *(\d+): *(\d+) *\] *@ *(heap[_a-z0-9]*)/?(\d*))");
  return re;
}
const re2::RE2& GrowthHeaderRe() {
  static const re2::RE2 re(R"(heap profile: *(\d+): *(\d+) *\[ *(\d+): *(\d+) *\] @ growthz?)");
  return re;
}
const re2::RE2& FragmentationHeaderRe() {
  static const re2::RE2 re(
      R"(heap profile: *(\d+): *(\d+) *\[ *(\d+): *(\d+) *\] @ fragmentationz?)");
  return re;
}
const re2::RE2& HeapSampleRe() {
  static const re2::RE2 re(R"((-?\d+): *(-?\d+) *\[ *(\d+): *(\d+) *] @([ x0-9a-f]*))");
  return re;
}

// Go's int64(float64) on amd64: truncation, and the "integer indefinite" value when the
// result does not fit (C++ leaves that undefined).
int64_t GoFloatToInt(double v) {
  if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<int64_t>(v);
}

// Go's int64 division (wraps for MinInt64 / -1 instead of trapping).
int64_t GoDivide(int64_t a, int64_t b) {
  return (b == -1) ? static_cast<int64_t>(0 - static_cast<uint64_t>(a)) : a / b;
}

// A sampled allocation of average size S was recorded with probability 1 - exp(-S/rate);
// dividing by it estimates the unsampled count and size.
void ScaleHeapSample(int64_t* count, int64_t* size, int64_t rate) {
  if (*count == 0 || *size == 0) {
    *count = *size = 0;
    return;
  }
  if (rate <= 1) return;  // Everything was recorded, or the rate is unknown.
  double avg = static_cast<double>(*size) / static_cast<double>(*count);
  double scale = 1 / (1 - std::exp(-avg / static_cast<double>(rate)));
  *count = GoFloatToInt(static_cast<double>(*count) * scale);
  *size = GoFloatToInt(static_cast<double>(*size) * scale);
}

struct Header {
  bool v2_sampling = false;
  int64_t period = 0;
  bool has_alloc = false;
};

// Parses the first line; false if it is not a heap header pprof knows.
bool ParseHeader(std::string_view line, Header* h) {
  re2::StringPiece n[4], sampler, rate;
  if (re2::RE2::PartialMatch(Piece(line), HeapHeaderRe(), &n[0], &n[1], &n[2], &n[3], &sampler,
                             &rate)) {
    if (!rate.empty() && !ParseInt(View(rate), &h->period)) return false;
    // The alloc totals are real when they differ from the inuse ones (string comparison, as
    // pprof does) and are not just zero.
    h->has_alloc = (n[2] != n[0] && View(n[2]) != "0") || (n[3] != n[1] && View(n[3]) != "0");
    std::string_view s = View(sampler);
    if (s == "heapz_v2" || s == "heap_v2") {
      h->v2_sampling = true;
    } else if (s == "heapprofile") {
      h->period = 1;
    } else if (s == "heap") {
      h->v2_sampling = true;  // Go prints twice its MemProfileRate.
      h->period /= 2;
    } else {
      return false;
    }
    return true;
  }
  if (re2::RE2::PartialMatch(Piece(line), GrowthHeaderRe()) ||
      re2::RE2::PartialMatch(Piece(line), FragmentationHeaderRe())) {
    h->period = 1;
    return true;
  }
  return false;
}

}  // namespace

bool IsHeapHeader(std::string_view first_line) {
  Header h;
  return first_line.find("heap profile:") != std::string_view::npos && ParseHeader(first_line, &h);
}

absl::StatusOr<profile::Profile> ParseLegacyHeap(std::string_view data, const TextLimits& limits,
                                                 std::string_view what) {
  if (data.size() > limits.max_input_bytes) {
    return absl::ResourceExhaustedError(fmt::format("{}: input of {} bytes is over the limit of {}",
                                                    what, data.size(), limits.max_input_bytes));
  }
  LineReader lines(data);
  std::string_view line;
  Header h;
  if (!lines.Next(&line) || line.size() > limits.max_line_bytes || !ParseHeader(line, &h)) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: line 1: expected a header like \"heap profile: N: N [N: N] @ heapprofile\"", what));
  }
  profile::ProfileBuilder b;
  profile::Profile& p = b.profile();
  p.period_type = {b.Str("space"), b.Str("bytes")};
  p.period = h.period;
  for (std::string_view t :
       h.has_alloc ? std::vector<std::string_view>{"alloc_objects/count", "alloc_space/bytes",
                                                   "inuse_objects/count", "inuse_space/bytes"}
                   : std::vector<std::string_view>{"objects/count", "space/bytes"}) {
    size_t slash = t.find('/');
    p.sample_types.push_back({b.Str(t.substr(0, slash)), b.Str(t.substr(slash + 1))});
  }
  p.drop_frames = b.Str(kAllocDropFrames);
  p.keep_frames = b.Str(kAllocKeepFrames);

  RecordSet records(p.sample_types.size());
  GoStackSymbols symbols(b);
  const profile::StrId bytes_key = b.Str("bytes");
  std::vector<uint64_t> addrs;
  std::vector<int64_t> values;
  profile::Label bytes_label;
  bool pending = false;
  auto flush = [&] {
    if (!pending) return;
    symbols.EmitFrames(addrs, /*drop_hidden_leaf_frames=*/true, records);
    records.EndRecord(values, {&bytes_label, 1});
    pending = false;
  };

  bool has_map = false;
  while (lines.Next(&line)) {
    if (line.size() > limits.max_line_bytes) {
      return absl::InvalidArgumentError(
          fmt::format("{}: line {}: longer than the limit of {} bytes", what, lines.line_no(),
                      limits.max_line_bytes));
    }
    line = TrimSpace(line);
    if (line.empty()) continue;
    if (line.front() == '#') {
      if (pending) symbols.AddComment(line);
      continue;
    }
    if (IsMemoryMapSentinel(line)) {
      has_map = true;
      break;
    }
    flush();
    if (records.records().size() >= limits.max_records) {
      return absl::ResourceExhaustedError(
          fmt::format("{}: line {}: more than the limit of {} samples", what, lines.line_no(),
                      limits.max_records));
    }
    re2::StringPiece n[4], stack;
    if (!re2::RE2::PartialMatch(Piece(line), HeapSampleRe(), &n[0], &n[1], &n[2], &n[3], &stack)) {
      return absl::InvalidArgumentError(fmt::format(
          "{}: line {}: expected a sample like \"<inuse count>: <inuse bytes> [<alloc count>: "
          "<alloc bytes>] @ 0x...\"",
          what, lines.line_no()));
    }
    values.clear();
    int64_t blocksize = 0;
    // Alloc values first, so that inuse_space stays the default (last) sample type.
    for (int pair : h.has_alloc ? std::vector<int>{2, 0} : std::vector<int>{0}) {
      int64_t count, size;
      if (!ParseInt(View(n[pair]), &count) || !ParseInt(View(n[pair + 1]), &size)) {
        return absl::InvalidArgumentError(
            fmt::format("{}: line {}: sample value out of range", what, lines.line_no()));
      }
      std::string_view kind = pair == 2 ? "allocation" : "inuse";
      if (count == 0 && size != 0) {
        return absl::InvalidArgumentError(
            fmt::format("{}: line {}: {} count is 0 but {} bytes is {}", what, lines.line_no(),
                        kind, kind, size));
      }
      if (count != 0) {
        blocksize = GoDivide(size, count);
        if (h.v2_sampling) ScaleHeapSample(&count, &size, h.period);
      }
      values.push_back(count);
      values.push_back(size);
    }
    addrs.clear();
    if (!ParseHexAddresses(View(stack), limits.max_frames, &addrs)) {
      return absl::InvalidArgumentError(
          fmt::format("{}: line {}: more than {} addresses, or an address over 64 bits", what,
                      lines.line_no(), limits.max_frames));
    }
    bytes_label = profile::Label{bytes_key, 0, blocksize, 0};
    pending = true;
  }
  flush();

  std::vector<MapEntry> maps;
  if (has_map) {
    MapLimits ml{limits.max_map_lines, limits.max_line_bytes};
    absl::Status s = ParseMemoryMap(lines.rest(), lines.line_no() + 1, ml, what, &maps);
    if (!s.ok()) return s;
  }
  MappedAddresses mapped = AssignMappings(records, std::move(maps));
  return EmitProfile(records, mapped, b);
}

}  // namespace hearth::formats::legacy
