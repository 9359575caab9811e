#include "formats/perf_script.h"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "base/strings.h"
#include "formats/legacy_common.h"
#include "profile/builder.h"

namespace hearth::formats {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (IsBlank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The fields of an event header line, as views into the input.
struct Header {
  std::string_view comm, pid, tid;
  std::string_view event;  // Without the trailing ':'.
  std::string_view trailing;
  int64_t period = 1;
  int64_t time_ns = 0;
  bool has_time = false;
};

// "123", "-1", "123/456" (pid/tid).
bool ParseTid(std::string_view t, Header* h) {
  auto number = [](std::string_view s) {
    if (s.starts_with('-')) s.remove_prefix(1);
    return AllDigits(s);
  };
  size_t slash = t.find('/');
  if (slash == std::string_view::npos) {
    if (!number(t)) return false;
    h->pid = {};
    h->tid = t;
    return true;
  }
  if (!number(t.substr(0, slash)) || !number(t.substr(slash + 1))) return false;
  h->pid = t.substr(0, slash);
  h->tid = t.substr(slash + 1);
  return true;
}

bool IsCpu(std::string_view t) {
  return t.size() >= 3 && t.front() == '[' && t.back() == ']' &&
         AllDigits(t.substr(1, t.size() - 2));
}

// Digits only, into *out; false if empty, not digits or over 18 digits.
bool ParseDigits(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// "2090.825292:" (seconds since boot; µs, or ns with --ns).
bool ParseTime(std::string_view t, int64_t* ns) {
  if (t.size() < 4 || t.back() != ':') return false;
  t.remove_suffix(1);
  size_t dot = t.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view sec = t.substr(0, dot), frac = t.substr(dot + 1);
  int64_t s = 0, f = 0;
  if (sec.size() > 10 || frac.size() > 9 || !ParseDigits(sec, &s) || !ParseDigits(frac, &f)) {
    return false;
  }
  for (size_t i = frac.size(); i < 9; ++i) f *= 10;
  *ns = s * 1'000'000'000 + f;
  return true;
}

bool IsEventName(std::string_view t) {
  return t.size() >= 2 && t.back() == ':' && t.front() != '[';
}

// Finds "tid [cpu] [time:] [period] event:" after at least one comm token; the comm is what
// precedes it (it may hold spaces). The first position where the whole pattern fits wins.
bool ParseHeader(std::string_view line, bool require_time, Header* h) {
  constexpr size_t kMaxTokens = 40;
  std::array<std::string_view, kMaxTokens> tok;
  size_t n = 0;
  for (size_t i = 0; n < kMaxTokens;) {
    while (i < line.size() && IsBlank(line[i])) ++i;
    if (i >= line.size()) break;
    size_t start = i;
    while (i < line.size() && !IsBlank(line[i])) ++i;
    tok[n++] = line.substr(start, i - start);
  }
  for (size_t s = 1; s < n; ++s) {
    size_t j = s;
    if (!ParseTid(tok[j++], h)) continue;
    if (j < n && IsCpu(tok[j])) ++j;
    h->has_time = j < n && ParseTime(tok[j], &h->time_ns);
    if (h->has_time) ++j;
    if (require_time && !h->has_time) continue;
    h->period = 1;
    if (j < n && ParseDigits(tok[j], &h->period)) ++j;
    if (j >= n || !IsEventName(tok[j])) continue;
    h->comm = TrimRight(std::string_view(tok[0].data(), tok[s].data() - tok[0].data()));
    h->event = tok[j].substr(0, tok[j].size() - 1);
    size_t after = tok[j].data() + tok[j].size() - line.data();
    h->trailing = TrimSpace(line.substr(after));
    return true;
  }
  return false;
}

// One frame line: the text from the address to the end, the address, and whether perf
// marked it "(inlined)".
struct FrameRef {
  std::string_view text;
  uint64_t address = 0;
  uint32_t rest = 0;  // Offset in text of what follows the address.
  bool inlined = false;
};

bool ParseFrame(std::string_view line, FrameRef* f) {
  size_t i = 0;
  while (i < line.size() && IsBlank(line[i])) ++i;
  const size_t start = i;
  uint64_t a = 0;
  for (; i < line.size(); ++i) {
    int v = HexValue(line[i]);
    if (v < 0) break;
    if (i - start == 16) return false;
    a = a << 4 | static_cast<uint64_t>(v);
  }
  if (i == start || (i < line.size() && !IsBlank(line[i]))) return false;
  f->text = TrimRight(line.substr(start));
  f->address = a;
  f->rest = static_cast<uint32_t>(i - start);
  f->inlined = f->text.ends_with("(inlined)");
  return true;
}

// "sym+0x1d (dso)" -> "sym", "dso". The dso is the last balanced (...) group after a
// blank; "+0x<hex>" is perf's offset into the symbol.
void SplitSymbol(std::string_view rest, std::string_view* sym, std::string_view* dso) {
  rest = TrimSpace(rest);
  *sym = rest;
  *dso = {};
  if (!rest.empty() && rest.back() == ')') {
    int depth = 0;
    for (size_t k = rest.size(); k-- > 0;) {
      if (rest[k] == ')') {
        ++depth;
      } else if (rest[k] == '(' && --depth == 0) {
        if (k == 0 || IsBlank(rest[k - 1])) {
          *dso = rest.substr(k + 1, rest.size() - k - 2);
          *sym = TrimRight(rest.substr(0, k));
        }
        break;
      }
    }
  }
  size_t plus = sym->rfind('+');
  if (plus != std::string_view::npos && plus > 0) {
    std::string_view off = sym->substr(plus + 1);
    bool hex = off.size() > 2 && off.starts_with("0x");
    for (size_t k = 2; hex && k < off.size(); ++k) hex = HexValue(off[k]) >= 0;
    if (hex) *sym = sym->substr(0, plus);
  }
}

// perf's event modifiers (":u", ":ppp", ...) are not part of the event's identity.
std::string_view BaseEventName(std::string_view event) {
  size_t colon = event.rfind(':');
  if (colon == std::string_view::npos) return event;
  std::string_view mods = event.substr(colon + 1);
  if (mods.empty() || mods.find_first_not_of("ukhIGHpPSDWebR") != std::string_view::npos) {
    return event;
  }
  return event.substr(0, colon);
}

// A "file.c:123" line (perf script -F +srcline).
bool IsSrcLine(std::string_view t) {
  size_t colon = t.rfind(':');
  return colon != std::string_view::npos && colon > 0 && AllDigits(t.substr(colon + 1)) &&
         t.find_first_of(" \t") == std::string_view::npos;
}

// absl's hash for our std::string_view keys (Debian's absl has its own string_view type,
// so absl::Hash does not take std::string_view; std::hash is much slower).
struct ViewHash {
  size_t operator()(std::string_view s) const {
    return absl::Hash<absl::string_view>()(absl::string_view(s.data(), s.size()));
  }
};
using ViewMap = absl::flat_hash_map<std::string_view, uint32_t, ViewHash>;

class Parser {
 public:
  Parser(std::string_view data, const PerfScriptOptions& o) : data_(data), o_(o) {}

  absl::StatusOr<profile::Profile> Run();

 private:
  absl::Status Error(std::string_view why) const {
    return absl::InvalidArgumentError(fmt::format("perf script: line {}: {}", line_no_, why));
  }
  absl::Status StartEvent(const Header& h);
  void FinishEvent();
  uint32_t LocationFor(size_t first, size_t last);
  uint32_t MappingFor(std::string_view dso);
  profile::StrId CachedStr(std::string_view s, std::string_view* last, profile::StrId* id) {
    if (*id == 0 || s != *last) {
      *last = s;
      *id = b_.Str(s);
    }
    return *id;
  }

  std::string_view data_;
  const PerfScriptOptions& o_;
  profile::ProfileBuilder b_;
  size_t line_no_ = 0;

  // The event being read.
  bool in_event_ = false;
  bool keep_ = false;
  bool header_frame_ = false;  // One-line form: the frame was on the header line.
  Header header_;
  std::vector<FrameRef> frames_;

  std::string event_;  // The event kept.
  bool types_set_ = false;
  size_t events_ = 0, skipped_ = 0;
  int64_t first_ns_ = INT64_MAX, last_ns_ = INT64_MIN;

  // Caches keyed by views into the input, which outlives the parse: the text of a frame
  // (or of a run of inlined frames) -> location, symbol -> function, dso -> mapping.
  ViewMap locations_;
  ViewMap functions_;
  ViewMap mappings_;
  std::vector<uint32_t> stack_;
  std::vector<profile::Line> lines_;
  profile::StrId comm_key_ = 0, pid_key_ = 0, tid_key_ = 0;
  std::string_view last_comm_, last_pid_, last_tid_;
  profile::StrId comm_id_ = 0, pid_id_ = 0, tid_id_ = 0;
};

uint32_t Parser::MappingFor(std::string_view dso) {
  if (dso.empty() || dso == "[unknown]" || dso == "inlined") return profile::kNone;
  auto [it, inserted] = mappings_.try_emplace(dso, 0);
  if (inserted) {
    profile::Mapping m;
    m.memory_start = 0;
    m.memory_limit = UINT64_MAX;  // perf prints dso-relative addresses.
    m.filename = b_.Str(dso);
    it->second = b_.AddMapping(m);
  }
  return it->second;
}

// The location of frames [first, last]: one frame, or inlined frames and the frame they
// were inlined into, all at one address.
uint32_t Parser::LocationFor(size_t first, size_t last) {
  const FrameRef& f0 = frames_[first];
  const FrameRef& fl = frames_[last];
  std::string_view key(f0.text.data(), fl.text.data() + fl.text.size() - f0.text.data());
  auto [it, inserted] = locations_.try_emplace(key, 0);
  if (!inserted) return it->second;
  lines_.clear();
  uint32_t mapping = profile::kNone;
  for (size_t k = first; k <= last; ++k) {
    std::string_view sym, dso;
    SplitSymbol(frames_[k].text.substr(frames_[k].rest), &sym, &dso);
    if (!frames_[k].inlined) mapping = MappingFor(dso);
    if (sym.empty() || sym == "[unknown]") continue;
    auto [fit, fnew] = functions_.try_emplace(sym, 0);
    if (fnew) {
      profile::StrId name = b_.Str(sym);
      fit->second = b_.AddFunction(name, name, 0, 0);
    }
    lines_.push_back({fit->second, 0, 0});
  }
  it->second = b_.AddLocation(mapping, f0.address, lines_);
  return it->second;
}

absl::Status Parser::StartEvent(const Header& h) {
  if (++events_ > o_.max_samples) {
    return absl::ResourceExhaustedError(fmt::format(
        "perf script: line {}: more than the limit of {} samples", line_no_, o_.max_samples));
  }
  in_event_ = true;
  header_ = h;
  frames_.clear();
  if (event_.empty() &&
      (o_.event.empty() || h.event == o_.event || BaseEventName(h.event) == o_.event)) {
    event_ = std::string(h.event);
  }
  keep_ = !event_.empty() &&
          (o_.event.empty() ? h.event == event_
                            : h.event == o_.event || BaseEventName(h.event) == o_.event);
  if (!keep_) {
    ++skipped_;
    return absl::OkStatus();
  }
  if (!types_set_) {
    types_set_ = true;
    profile::Profile& p = b_.profile();
    std::string_view base = BaseEventName(h.event);
    bool clock = base == "cpu-clock" || base == "task-clock";
    p.sample_types.push_back({b_.Str("samples"), b_.Str("count")});
    p.sample_types.push_back(clock ? profile::ValueType{b_.Str("cpu"), b_.Str("nanoseconds")}
                                   : profile::ValueType{b_.Str("events"), b_.Str("count")});
    p.period_type = p.sample_types[1];
    p.period = h.period;
    comm_key_ = b_.Str("comm");
    pid_key_ = b_.Str("pid");
    tid_key_ = b_.Str("tid");
  }
  if (h.has_time) {
    first_ns_ = std::min(first_ns_, h.time_ns);
    last_ns_ = std::max(last_ns_, h.time_ns);
  }
  FrameRef f;
  header_frame_ = !h.trailing.empty() && ParseFrame(h.trailing, &f);
  if (header_frame_) frames_.push_back(f);
  return absl::OkStatus();
}

void Parser::FinishEvent() {
  if (!in_event_) return;
  in_event_ = false;
  if (!keep_) return;
  stack_.clear();
  const size_t n = frames_.size();
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (frames_[j].inlined && j + 1 < n && frames_[j + 1].address == frames_[j].address) ++j;
    stack_.push_back(LocationFor(i, j));
    i = j + 1;
  }
  const Header& h = header_;
  std::array<profile::Label, 3> labels;
  size_t nl = 0;
  labels[nl++] = {comm_key_, CachedStr(h.comm, &last_comm_, &comm_id_), 0, 0};
  if (!h.pid.empty()) labels[nl++] = {pid_key_, CachedStr(h.pid, &last_pid_, &pid_id_), 0, 0};
  labels[nl++] = {tid_key_, CachedStr(h.tid, &last_tid_, &tid_id_), 0, 0};
  const int64_t values[2] = {1, h.period};
  b_.AddSample(stack_, values, {labels.data(), nl});
}

absl::StatusOr<profile::Profile> Parser::Run() {
  if (data_.size() > o_.max_input_bytes) {
    return absl::ResourceExhaustedError(
        fmt::format("perf script: input of {} bytes is over the limit of {}", data_.size(),
                    o_.max_input_bytes));
  }
  const char* p = data_.data();
  const char* const end = p + data_.size();
  Header h;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    const char* line_end = nl == nullptr ? end : nl;
    std::string_view line(p, line_end - p);
    p = nl == nullptr ? end : nl + 1;
    ++line_no_;
    if (line.size() > o_.max_line_bytes) {
      return Error(fmt::format("longer than the limit of {} bytes", o_.max_line_bytes));
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      FinishEvent();
      continue;
    }
    FrameRef f;
    if (IsBlank(line[0])) {
      // The hot path: a frame of the current event.
      if (in_event_ && !header_frame_ && ParseFrame(line, &f)) {
        if (frames_.size() == o_.max_frames) {
          return Error(fmt::format("more than {} frames in one sample", o_.max_frames));
        }
        if (keep_) frames_.push_back(f);
        continue;
      }
      std::string_view t = TrimSpace(line);
      if (t.empty()) {
        FinishEvent();
        continue;
      }
      if (in_event_ && !header_frame_ && IsSrcLine(t)) continue;
    } else if (line[0] == '#') {
      continue;
    }
    // A new event: its header (right-aligned comm in the one-line form).
    if (line.find("PERF_RECORD_") != std::string_view::npos) {
      FinishEvent();  // A side-band record (--show-*-events), not a sample.
      continue;
    }
    if (!ParseHeader(line, /*require_time=*/false, &h)) {
      return Error(in_event_ && !header_frame_
                       ? "expected a frame \"<address> <symbol>[+0x<offset>] (<dso>)\" or a "
                         "blank line"
                       : "expected an event header \"<comm> [<pid>/]<tid> [<cpu>] <time>: "
                         "[<period>] <event>:\"");
    }
    FinishEvent();
    absl::Status s = StartEvent(h);
    if (!s.ok()) return s;
  }
  FinishEvent();
  if (!types_set_) {
    return absl::InvalidArgumentError(
        event_.empty() && !o_.event.empty() && events_ > 0
            ? fmt::format("perf script: no samples of event \"{}\"", o_.event)
            : std::string("perf script: no samples in input"));
  }
  profile::Profile& prof = b_.profile();
  prof.comments.push_back(b_.Str(fmt::format("perf event: {}", event_)));
  if (skipped_ > 0) {
    prof.comments.push_back(b_.Str(fmt::format("skipped {} samples of other events", skipped_)));
  }
  if (first_ns_ <= last_ns_) prof.duration_nanos = last_ns_ - first_ns_;
  profile::Profile out = b_.Finish();
  legacy::MarkSymbolizedMappings(out);
  return out;
}

}  // namespace

absl::StatusOr<profile::Profile> ParsePerfScript(std::string_view data,
                                                 const PerfScriptOptions& o) {
  Parser parser(data, o);
  return parser.Run();
}

bool LooksLikePerfScript(std::string_view data) {
  legacy::LineReader lines(data.substr(0, 1 << 16));
  std::string_view line;
  while (lines.Next(&line)) {
    std::string_view t = TrimSpace(line);
    if (t.empty() || t.front() == '#') continue;
    Header h;
    return ParseHeader(line, /*require_time=*/true, &h);
  }
  return false;
}

}  // namespace hearth::formats
