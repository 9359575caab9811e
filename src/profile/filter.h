#pragma once

// Sample and frame filters with pprof's semantics (google/pprof profile/filter.go, prune.go,
// internal/driver/driver_focus.go). Regular expressions use RE2 syntax, which is Go's, and
// match anywhere in the string (like Go's MatchString) unless anchored.
//
// A location "matches" a regexp when any of its lines' function name or file name matches,
// or its mapping's file name does.

#include <re2/re2.h>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "profile/profile.h"

namespace hearth::profile {

// Compiles a Go/RE2 regexp; the error names the option (`focus`, `hide`, ...). An empty
// pattern gives nullptr, which every filter below reads as "option not set" (pprof's rule
// for an empty flag), rather than a regexp that matches everything.
absl::StatusOr<std::unique_ptr<re2::RE2>> CompileRegexp(std::string_view option,
                                                        std::string_view pattern);

struct NameFilterResult {
  bool focus_matched = false;
  bool ignore_matched = false;
  bool hide_matched = false;
  bool show_matched = false;
};

// pprof FilterSamplesByName: keep samples with >= 1 focused location and no ignored one
// (ignore wins per location); hide removes matching lines, show keeps only matching lines;
// locations left without lines leave the stack; samples left without locations are dropped.
// Any regexp may be null.
NameFilterResult FilterSamplesByName(Profile& p, const re2::RE2* focus, const re2::RE2* ignore,
                                     const re2::RE2* hide, const re2::RE2* show);

// pprof ShowFrom: cut each stack above its highest (rootmost) matching location, keeping
// lines up to the outermost matching one; samples without a match are dropped.
bool ShowFrom(Profile& p, const re2::RE2& re);

// pprof PruneFrom: cut each stack below (leafward of) its lowest matching location.
void PruneFrom(Profile& p, const re2::RE2& re);

// pprof's frame options as its driver applies them: focus, ignore, hide and show
// (FilterSamplesByName), then show_from, then prune_from. An empty string is "not set".
struct FrameFilters {
  std::string focus, ignore, hide, show, show_from, prune_from;
  bool empty() const {
    return focus.empty() && ignore.empty() && hide.empty() && show.empty() && show_from.empty() &&
           prune_from.empty();
  }
};

// Applies `f` to `p`. A bad regexp is an error naming the option ("parsing focus regexp:
// ..."); `warnings` gets pprof's note for each option that matched nothing ("Focus
// expression matched no samples"). As in pprof, samples left without frames are dropped,
// also when no name filter is set.
absl::Status ApplyFrameFilters(Profile& p, const FrameFilters& f,
                               std::vector<std::string>* warnings);

// pprof Prune / RemoveUninteresting (drop_frames / keep_frames of the profile).
void Prune(Profile& p, const re2::RE2& drop, const re2::RE2* keep);
absl::Status RemoveUninteresting(Profile& p);

// A sample predicate compiled from a -tagfocus / -tagignore expression:
//   "regex[,regex...]"      every regex must match some "key:value" of the sample's labels
//   "key=regex[,regex...]"  some value of `key` matches some regex
//   "32kb", ":64kb", "4mb:", "12kb:64mb", optionally "key=" first: numeric label ranges with
//   pprof's unit conversion.
// An empty expression gives an empty TagMatch (no filter).
using TagMatch = std::function<bool(const Profile&, const Sample&)>;
absl::StatusOr<TagMatch> CompileTagFilter(
    std::string_view option, std::string_view expr,
    const absl::flat_hash_map<std::string, std::string>& num_label_units);

// pprof FilterSamplesByTag: keep focus(s) && !ignore(s). Either may be empty.
void FilterSamplesByTag(Profile& p, const TagMatch& focus, const TagMatch& ignore,
                        bool* focus_matched = nullptr, bool* ignore_matched = nullptr);

// pprof FilterTagsByName (-tagshow / -taghide): removes label keys.
void FilterTagsByName(Profile& p, const re2::RE2* show, const re2::RE2* hide);

// pprof -tagroot / -tagleaf: adds pseudo frames at the root / leaf of each sample's stack,
// one per key (the first root key becomes the root, the last leaf key the leaf). As in
// pprof, a frame's function name is the sample's values for the key joined by ','
// (numeric ones formatted with their unit, e.g. "64kB") and its file name is the key; a
// sample without the label gets a frame with an empty name. Empty keys are skipped.
void AddLabelFrames(Profile& p, std::span<const std::string> root_keys,
                    std::span<const std::string> leaf_keys);

}  // namespace hearth::profile
