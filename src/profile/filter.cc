#include "profile/filter.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <optional>
#include <tuple>
#include <string>
#include <vector>

#include "base/strings.h"
#include "profile/units.h"

namespace hearth::profile {
namespace {

re2::StringPiece Piece(std::string_view s) { return re2::StringPiece(s.data(), s.size()); }

// Go's MatchString: unanchored.
bool Matches(const re2::RE2& re, std::string_view s) {
  return re2::RE2::PartialMatch(Piece(s), re);
}

// Memoized regexp matches over a profile's strings and functions: many locations share a
// function and many functions a file, so each distinct string is matched once.
class Matcher {
 public:
  Matcher(const Profile& p, const re2::RE2& re)
      : p_(p), re_(re), strings_(p.strings.size(), kUnknown) {}

  bool String(StrId id) {
    if (id >= strings_.size()) return Matches(re_, p_.Str(id));
    int8_t& m = strings_[id];
    if (m == kUnknown) m = Matches(re_, p_.Str(id)) ? 1 : 0;
    return m == 1;
  }

  // A line's function matches on its name or its file name.
  bool Function(uint32_t f) {
    if (f == kNone) return false;
    const profile::Function& fn = p_.functions[f];
    return String(fn.name) || String(fn.filename);
  }

  bool Mapping(uint32_t m) { return m != kNone && String(p_.mappings[m].filename); }

  // pprof's Location.matchesName.
  bool Location(const profile::Location& l) {
    for (const Line& ln : p_.Lines(l)) {
      if (Function(ln.function)) return true;
    }
    return Mapping(l.mapping);
  }

 private:
  static constexpr int8_t kUnknown = -1;
  const Profile& p_;
  const re2::RE2& re_;
  std::vector<int8_t> strings_;
};

// Points location `loc` at the lines of its range whose `keep` entry is set. A contiguous
// run is kept in place; otherwise the kept lines are copied to the end of the pool (the old
// range becomes garbage for Compact).
void KeepLines(Profile& p, uint32_t loc, const std::vector<char>& keep) {
  Location& l = p.locations[loc];
  uint32_t first = l.num_lines, last = 0, count = 0;
  for (uint32_t i = 0; i < l.num_lines; ++i) {
    if (!keep[i]) continue;
    first = std::min(first, i);
    last = i;
    ++count;
  }
  if (count == 0) {
    l.num_lines = 0;
    return;
  }
  if (last - first + 1 == count) {
    l.lines_begin += first;
    l.num_lines = count;
    return;
  }
  auto begin = static_cast<uint32_t>(p.lines.size());
  for (uint32_t i = 0; i < l.num_lines; ++i) {
    // By index: push_back may reallocate the pool being read.
    if (keep[i]) p.lines.push_back(p.lines[l.lines_begin + i]);
  }
  l.lines_begin = begin;
  l.num_lines = count;
}

// pprof's simplifyFunc: drops a leading '.' (PPC64 ELFv1) and an argument list, i.e.
// everything from the first '(' that does not start "(anonymous namespace)" or belong to
// "operator()".
std::string_view SimplifyFunc(std::string_view name) {
  static constexpr std::string_view kReserved[] = {"(anonymous namespace)", "operator()"};
  if (name.starts_with('.')) name.remove_prefix(1);
  for (size_t i = 0; i < name.size();) {
    bool reserved = false;
    for (std::string_view r : kReserved) {
      if (name.substr(i).starts_with(r)) {
        i += r.size();
        reserved = true;
        break;
      }
    }
    if (reserved) continue;
    if (name[i] == '(') return name.substr(0, i);
    ++i;
  }
  return name;
}

// Memoized "does the simplified name of function f match" for the pruning filters.
class FunctionNameMatcher {
 public:
  FunctionNameMatcher(const Profile& p, const re2::RE2& re)
      : p_(p), re_(re), memo_(p.functions.size(), -1) {}
  // False for a missing function or an empty name, which pruning never matches.
  bool operator()(uint32_t f) {
    if (f == kNone) return false;
    int8_t& m = memo_[f];
    if (m < 0) {
      std::string_view name = p_.Str(p_.functions[f].name);
      m = !name.empty() && Matches(re_, SimplifyFunc(name));
    }
    return m == 1;
  }

 private:
  const Profile& p_;
  const re2::RE2& re_;
  std::vector<int8_t> memo_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<re2::RE2>> CompileRegexp(std::string_view option,
                                                        std::string_view pattern) {
  if (pattern.empty()) return nullptr;
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(Piece(pattern), options);
  if (!re->ok()) {
    return absl::InvalidArgumentError(fmt::format("parsing {} regexp: {}", option, re->error()));
  }
  return re;
}

absl::Status ApplyFrameFilters(Profile& p, const FrameFilters& f,
                               std::vector<std::string>* warnings) {
  std::unique_ptr<re2::RE2> focus, ignore, hide, show, show_from, prune_from;
  for (auto [option, pattern, out] :
       {std::tuple{"focus", &f.focus, &focus}, std::tuple{"ignore", &f.ignore, &ignore},
        std::tuple{"hide", &f.hide, &hide}, std::tuple{"show", &f.show, &show},
        std::tuple{"show_from", &f.show_from, &show_from},
        std::tuple{"prune_from", &f.prune_from, &prune_from}}) {
    auto re = CompileRegexp(option, *pattern);  // null for an empty pattern
    if (!re.ok()) return re.status();
    *out = std::move(*re);
  }
  auto warn_unless = [warnings](bool matched, std::string_view option) {
    if (!matched) warnings->push_back(fmt::format("{} expression matched no samples", option));
  };
  if (!focus && !ignore && !hide && !show) {
    std::erase_if(p.samples, [](const Sample& s) { return s.depth == 0; });
  } else {
    NameFilterResult r = FilterSamplesByName(p, focus.get(), ignore.get(), hide.get(), show.get());
    warn_unless(!focus || r.focus_matched, "Focus");
    warn_unless(!ignore || r.ignore_matched, "Ignore");
    warn_unless(!hide || r.hide_matched, "Hide");
    warn_unless(!show || r.show_matched, "Show");
  }
  if (show_from) warn_unless(ShowFrom(p, *show_from), "ShowFrom");
  if (prune_from) PruneFrom(p, *prune_from);
  return absl::OkStatus();
}

NameFilterResult FilterSamplesByName(Profile& p, const re2::RE2* focus, const re2::RE2* ignore,
                                     const re2::RE2* hide, const re2::RE2* show) {
  NameFilterResult r;
  enum : uint8_t { kNeither, kFocused, kIgnored };
  std::vector<uint8_t> state(p.locations.size(), kNeither);
  std::vector<char> hidden(p.locations.size(), 0);
  bool any_hidden = false;
  std::optional<Matcher> focus_m, ignore_m, hide_m, show_m;
  if (focus) focus_m.emplace(p, *focus);
  if (ignore) ignore_m.emplace(p, *ignore);
  if (hide) hide_m.emplace(p, *hide);
  if (show) show_m.emplace(p, *show);
  std::vector<char> keep;

  for (uint32_t i = 0; i < p.locations.size(); ++i) {
    const Location& l = p.locations[i];
    if (ignore_m && ignore_m->Location(l)) {
      r.ignore_matched = true;
      state[i] = kIgnored;
    } else if (!focus_m || focus_m->Location(l)) {
      r.focus_matched = true;
      state[i] = kFocused;
    }
    if (hide_m && hide_m->Location(l)) {
      r.hide_matched = true;
      // A matching mapping hides the whole location; otherwise the matching lines go.
      bool whole = hide_m->Mapping(l.mapping);
      keep.assign(l.num_lines, 0);
      for (uint32_t j = 0; j < l.num_lines && !whole; ++j) {
        keep[j] = !hide_m->Function(p.lines[l.lines_begin + j].function);
      }
      KeepLines(p, i, keep);
      if (p.locations[i].num_lines == 0) hidden[i] = any_hidden = true;
    }
    if (show_m) {
      // Lines without a function are always shown; a matching mapping shows them all.
      const Location& cur = p.locations[i];
      bool whole = show_m->Mapping(cur.mapping);
      keep.assign(cur.num_lines, 0);
      for (uint32_t j = 0; j < cur.num_lines; ++j) {
        uint32_t f = p.lines[cur.lines_begin + j].function;
        keep[j] = whole || f == kNone || show_m->Function(f);
      }
      KeepLines(p, i, keep);
      if (p.locations[i].num_lines == 0) {
        hidden[i] = any_hidden = true;
      } else {
        r.show_matched = true;
      }
    }
  }

  std::vector<uint32_t> stacks;
  if (any_hidden) stacks.reserve(p.stacks.size());
  size_t kept = 0;
  for (size_t i = 0; i < p.samples.size(); ++i) {
    Sample s = p.samples[i];
    // At least one focused location and no ignored one; an empty stack has no focus.
    bool focused = false, ignored = false;
    for (uint32_t loc : p.Stack(s)) {
      if (state[loc] == kIgnored) {
        ignored = true;
        break;
      }
      focused = focused || state[loc] == kFocused;
    }
    if (!focused || ignored) continue;
    if (any_hidden) {
      auto begin = static_cast<uint32_t>(stacks.size());
      for (uint32_t loc : p.Stack(s)) {
        if (!hidden[loc]) stacks.push_back(loc);
      }
      if (stacks.size() == begin) continue;  // Nothing left to show.
      s.stack_begin = begin;
      s.depth = static_cast<uint32_t>(stacks.size() - begin);
    }
    p.samples[kept++] = s;
  }
  p.samples.resize(kept);
  if (any_hidden) p.stacks = std::move(stacks);
  return r;
}

bool ShowFrom(Profile& p, const re2::RE2& re) {
  Matcher m(p, re);
  std::vector<char> matched(p.locations.size(), 0);
  bool any = false;
  for (uint32_t i = 0; i < p.locations.size(); ++i) {
    Location& l = p.locations[i];
    if (m.Mapping(l.mapping)) {
      matched[i] = any = true;
      continue;
    }
    // Keep the lines up to the outermost matching one (lines are innermost first).
    for (uint32_t j = l.num_lines; j-- > 0;) {
      if (m.Function(p.lines[l.lines_begin + j].function)) {
        l.num_lines = j + 1;
        matched[i] = any = true;
        break;
      }
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < p.samples.size(); ++i) {
    Sample s = p.samples[i];
    auto stack = p.Stack(s);
    for (uint32_t d = s.depth; d-- > 0;) {
      if (matched[stack[d]]) {
        s.depth = d + 1;  // Drop everything rootward of the rootmost match.
        p.samples[kept++] = s;
        break;
      }
    }
  }
  p.samples.resize(kept);
  return any;
}

void PruneFrom(Profile& p, const re2::RE2& re) {
  FunctionNameMatcher m(p, re);
  std::vector<char> prune_beneath(p.locations.size(), 0);
  for (uint32_t i = 0; i < p.locations.size(); ++i) {
    Location& l = p.locations[i];
    for (uint32_t j = 0; j < l.num_lines; ++j) {
      if (m(p.lines[l.lines_begin + j].function)) {
        prune_beneath[i] = 1;
        l.lines_begin += j;  // Drop the lines inlined into the match.
        l.num_lines -= j;
        break;
      }
    }
  }
  for (Sample& s : p.samples) {
    auto stack = p.Stack(s);
    for (uint32_t d = 0; d < s.depth; ++d) {
      if (prune_beneath[stack[d]]) {
        s.stack_begin += d;
        s.depth -= d;
        break;
      }
    }
  }
}

void Prune(Profile& p, const re2::RE2& drop, const re2::RE2* keep) {
  FunctionNameMatcher drop_m(p, drop);
  std::optional<FunctionNameMatcher> keep_m;
  if (keep) keep_m.emplace(p, *keep);
  enum : uint8_t { kKeep, kPruneBeneath, kPrune };
  std::vector<uint8_t> action(p.locations.size(), kKeep);
  for (uint32_t i = 0; i < p.locations.size(); ++i) {
    Location& l = p.locations[i];
    // The outermost line that should be dropped (and not kept).
    int j = static_cast<int>(l.num_lines) - 1;
    for (; j >= 0; --j) {
      uint32_t f = p.lines[l.lines_begin + j].function;
      if (drop_m(f) && !(keep_m && (*keep_m)(f))) break;
    }
    if (j < 0) continue;
    if (j == static_cast<int>(l.num_lines) - 1) {
      action[i] = kPrune;  // Its outermost frame matches: the whole location goes.
    } else {
      action[i] = kPruneBeneath;
      l.lines_begin += j + 1;  // Keep the callers of the match.
      l.num_lines -= j + 1;
    }
  }
  for (Sample& s : p.samples) {
    // From the root towards the leaf; nothing is pruned before the first user frame, so a
    // stack made only of matching frames stays whole.
    auto stack = p.Stack(s);
    bool found_user = false;
    for (uint32_t d = s.depth; d-- > 0;) {
      uint8_t a = action[stack[d]];
      if (a == kKeep) {
        found_user = true;
        continue;
      }
      if (!found_user) continue;
      uint32_t cut = a == kPrune ? d + 1 : d;
      s.stack_begin += cut;
      s.depth -= cut;
      break;
    }
  }
}

absl::Status RemoveUninteresting(Profile& p) {
  std::string_view drop_frames = p.Str(p.drop_frames);
  if (drop_frames.empty()) return absl::OkStatus();
  re2::RE2::Options options;
  options.set_log_errors(false);
  re2::RE2 drop(fmt::format("^({})$", drop_frames), options);
  if (!drop.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("failed to compile regexp {}: {}", drop_frames, drop.error()));
  }
  std::unique_ptr<re2::RE2> keep;
  std::string_view keep_frames = p.Str(p.keep_frames);
  if (!keep_frames.empty()) {
    keep = std::make_unique<re2::RE2>(fmt::format("^({})$", keep_frames), options);
    if (!keep->ok()) {
      return absl::InvalidArgumentError(
          fmt::format("failed to compile regexp {}: {}", keep_frames, keep->error()));
    }
  }
  Prune(p, drop, keep.get());
  return absl::OkStatus();
}

namespace {

// pprof's parseTagFilterRange: "32kb", ":64kb", "4mb:", "12kb:64mb". Returns nullopt when
// the expression is not a range (it is then a regexp).
struct NumRange {
  enum Kind { kEqual, kAtLeast, kAtMost, kBetween } kind = kEqual;
  double lo = 0, hi = 0;
  std::string unit;  // The canonical unit both bounds were scaled to ("" if unknown).

  bool Contains(int64_t v, std::string_view from_unit) const {
    auto [sv, su] = ScaleValue(v, from_unit, unit);
    if (su != unit) return false;
    switch (kind) {
      case kEqual:
        return sv == lo;
      case kAtLeast:
        return sv >= lo;
      case kAtMost:
        return sv <= lo;
      case kBetween:
        return sv >= lo && sv <= hi;
    }
    return false;
  }
};

absl::StatusOr<std::optional<NumRange>> ParseTagFilterRange(std::string_view option,
                                                            std::string_view filter) {
  // Compiled per call: tag filters are compiled once per query, not per sample.
  const re2::RE2 range_rx("(([+-]?[[:digit:]]+)([[:alpha:]]+)?)");
  struct Match {
    std::string_view whole, number, unit;
  };
  std::vector<Match> ranges;
  re2::StringPiece input = Piece(filter);
  re2::StringPiece whole, number, unit;
  while (ranges.size() < 2 && re2::RE2::FindAndConsume(&input, range_rx, &whole, &number, &unit)) {
    ranges.push_back({std::string_view(whole.data(), whole.size()),
                      std::string_view(number.data(), number.size()),
                      std::string_view(unit.data(), unit.size())});
  }
  if (ranges.empty()) return std::nullopt;
  auto parse = [&](std::string_view digits, int64_t* v) -> absl::Status {
    if (ParseInt(digits, v)) return absl::OkStatus();
    return absl::InvalidArgumentError(
        fmt::format("parsing {} range: integer {} out of range", option, digits));
  };
  int64_t v = 0;
  if (absl::Status st = parse(ranges[0].number, &v); !st.ok()) return st;
  NumRange r;
  auto [lo, lo_unit] = ScaleValue(v, ranges[0].unit, ranges[0].unit);
  r.lo = lo;
  r.unit = lo_unit;
  const std::string match(ranges[0].whole);
  if (ranges.size() == 1) {
    if (filter == match) {
      r.kind = NumRange::kEqual;
    } else if (filter == match + ":") {
      r.kind = NumRange::kAtLeast;
    } else if (filter == ":" + match) {
      r.kind = NumRange::kAtMost;
    } else {
      return std::nullopt;
    }
    return r;
  }
  if (filter != fmt::format("{}:{}", ranges[0].whole, ranges[1].whole)) return std::nullopt;
  if (absl::Status st = parse(ranges[1].number, &v); !st.ok()) return st;
  auto [hi, hi_unit] = ScaleValue(v, ranges[1].unit, r.unit);
  if (hi_unit != r.unit) return std::nullopt;
  r.kind = NumRange::kBetween;
  r.hi = hi;
  return r;
}

using RegexpList = std::vector<std::unique_ptr<re2::RE2>>;

}  // namespace

absl::StatusOr<TagMatch> CompileTagFilter(
    std::string_view option, std::string_view expr,
    const absl::flat_hash_map<std::string, std::string>& num_label_units) {
  if (expr.empty()) return TagMatch();
  std::string want_key;
  std::string_view value = expr;
  if (size_t eq = expr.find('='); eq != std::string_view::npos) {
    want_key = std::string(expr.substr(0, eq));
    value = expr.substr(eq + 1);
  }

  auto range = ParseTagFilterRange(option, value);
  if (!range.ok()) return range.status();
  if (range->has_value()) {
    auto units =
        std::make_shared<const absl::flat_hash_map<std::string, std::string>>(num_label_units);
    NumRange r = **range;
    return TagMatch([units, r, want_key](const Profile& p, const Sample& s) {
      for (const Label& l : p.Labels(s)) {
        if (!l.is_numeric()) continue;
        std::string_view key = p.Str(l.key);
        if (!want_key.empty() && key != want_key) continue;
        // The unit the whole profile uses for this key (NumLabelUnits), not the label's.
        auto it = units->find(absl::string_view(key.data(), key.size()));
        std::string_view unit = it == units->end() ? std::string_view() : it->second;
        if (r.Contains(l.num, unit)) return true;
      }
      return false;
    });
  }

  auto rxs = std::make_shared<RegexpList>();
  for (std::string_view part : Split(value, ',')) {
    auto re = CompileRegexp(option, part);
    if (!re.ok()) return re.status();
    if (*re == nullptr) {
      // An empty alternative matches everything, as Go's empty regexp does.
      re = std::make_unique<re2::RE2>("");
    }
    rxs->push_back(*std::move(re));
  }
  if (want_key.empty()) {
    // Every regexp must match some "key:value" of the sample's string labels.
    return TagMatch([rxs](const Profile& p, const Sample& s) {
      std::string kv;
      for (const auto& rx : *rxs) {
        bool found = false;
        for (const Label& l : p.Labels(s)) {
          if (!l.is_string()) continue;
          kv.assign(p.Str(l.key));
          kv += ':';
          kv += p.Str(l.str);
          if (Matches(*rx, kv)) {
            found = true;
            break;
          }
        }
        if (!found) return false;
      }
      return true;
    });
  }
  return TagMatch([rxs, want_key](const Profile& p, const Sample& s) {
    for (const Label& l : p.Labels(s)) {
      if (!l.is_string() || p.Str(l.key) != want_key) continue;
      for (const auto& rx : *rxs) {
        if (Matches(*rx, p.Str(l.str))) return true;
      }
    }
    return false;
  });
}

void FilterSamplesByTag(Profile& p, const TagMatch& focus, const TagMatch& ignore,
                        bool* focus_matched, bool* ignore_matched) {
  bool fm = false, im = false;
  size_t kept = 0;
  for (size_t i = 0; i < p.samples.size(); ++i) {
    const Sample s = p.samples[i];
    bool focused = !focus || focus(p, s);
    bool ignored = ignore && ignore(p, s);
    fm = fm || focused;
    im = im || ignored;
    if (focused && !ignored) p.samples[kept++] = s;
  }
  p.samples.resize(kept);
  if (focus_matched) *focus_matched = fm;
  if (ignore_matched) *ignore_matched = im;
}

void FilterTagsByName(Profile& p, const re2::RE2* show, const re2::RE2* hide) {
  if (show == nullptr && hide == nullptr) return;
  std::vector<int8_t> remove(p.strings.size(), -1);  // Memo per key string id.
  auto removed = [&](StrId key) {
    int8_t& r = remove[key];
    if (r < 0) {
      std::string_view name = p.Str(key);
      bool shown = show == nullptr || Matches(*show, name);
      bool hidden = hide != nullptr && Matches(*hide, name);
      r = !shown || hidden;
    }
    return r == 1;
  };
  std::vector<Label> pool;
  pool.reserve(p.labels.size());
  for (Sample& s : p.samples) {
    auto begin = static_cast<uint32_t>(pool.size());
    for (const Label& l : p.Labels(s)) {
      if (!removed(l.key)) pool.push_back(l);
    }
    s.labels_begin = begin;
    s.num_labels = static_cast<uint32_t>(pool.size() - begin);
  }
  p.labels = std::move(pool);
}

namespace {

// pprof's formatLabelValues: the sample's string values for `key`, then its numeric ones
// formatted with their unit at the "minimum" output unit (pprof's default -unit).
std::string LabelValues(const Profile& p, const Sample& s, std::string_view key) {
  std::string out;
  bool first = true;
  auto add = [&out, &first](std::string_view v) {
    if (!first) out += ',';
    out += v;
    first = false;
  };
  for (const Label& l : p.Labels(s)) {
    if (l.is_string() && p.Str(l.key) == key) add(p.Str(l.str));
  }
  for (const Label& l : p.Labels(s)) {
    if (l.is_numeric() && p.Str(l.key) == key) {
      add(ScaledLabel(l.num, p.Str(l.num_unit), "minimum"));
    }
  }
  return out;
}

}  // namespace

void AddLabelFrames(Profile& p, std::span<const std::string> root_keys,
                    std::span<const std::string> leaf_keys) {
  std::vector<std::string_view> roots, leaves;
  for (const std::string& k : root_keys) {
    if (!k.empty()) roots.push_back(k);
  }
  for (const std::string& k : leaf_keys) {
    if (!k.empty()) leaves.push_back(k);
  }
  if (roots.empty() && leaves.empty()) return;

  uint64_t next_location_id = 1, next_function_id = 1;
  for (const Location& l : p.locations) next_location_id = std::max(next_location_id, l.id + 1);
  for (const Function& f : p.functions) next_function_id = std::max(next_function_id, f.id + 1);

  // One pseudo frame per (values, key): function name = the values joined by ',', file
  // name = the key. Every sample gets one frame per key, empty-named if it lacks the label.
  absl::flat_hash_map<std::pair<StrId, StrId>, uint32_t> frames;
  auto frame = [&](std::string_view values, std::string_view key) {
    StrId name = p.strings.Intern(values), file = p.strings.Intern(key);
    auto [it, inserted] = frames.try_emplace(std::make_pair(name, file), 0);
    if (inserted) {
      Function f;
      f.id = next_function_id++;
      f.name = name;
      f.filename = file;
      p.functions.push_back(f);
      Location l;
      l.id = next_location_id++;
      l.lines_begin = static_cast<uint32_t>(p.lines.size());
      l.num_lines = 1;
      p.lines.push_back({static_cast<uint32_t>(p.functions.size() - 1), 0, 0});
      p.locations.push_back(l);
      it->second = static_cast<uint32_t>(p.locations.size() - 1);
    }
    return it->second;
  };

  std::vector<uint32_t> stacks;
  stacks.reserve(p.stacks.size() + p.samples.size() * (roots.size() + leaves.size()));
  std::vector<uint32_t> root_frames;
  for (Sample& s : p.samples) {
    auto begin = static_cast<uint32_t>(stacks.size());
    // Keys are walked last to first, so the first root key ends up as the root and the
    // last leaf key as the leaf.
    root_frames.clear();
    for (size_t i = roots.size(); i-- > 0;) {
      root_frames.push_back(frame(LabelValues(p, s, roots[i]), roots[i]));
    }
    for (size_t i = leaves.size(); i-- > 0;) {
      stacks.push_back(frame(LabelValues(p, s, leaves[i]), leaves[i]));
    }
    for (uint32_t loc : p.Stack(s)) stacks.push_back(loc);
    stacks.insert(stacks.end(), root_frames.begin(), root_frames.end());
    s.stack_begin = begin;
    s.depth = static_cast<uint32_t>(stacks.size() - begin);
  }
  p.stacks = std::move(stacks);
}

}  // namespace hearth::profile
