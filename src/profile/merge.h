#pragma once

// Merging profiles with pprof's semantics (google/pprof profile.Merge):
//  - inputs must be compatible: identical period type and identical sample types (type and
//    unit, same order); otherwise an error naming both;
//  - header: time = earliest (pprof's rule: min, where a zero resets), duration = sum,
//    period = max, comments de-duplicated in order, default_sample_type and doc_url = first
//    non-empty, drop/keep frames and period type from the first input;
//  - mappings, functions, locations and samples de-duplicated (see builder.h); addresses are
//    shifted when a mapping matched one loaded at another address;
//  - samples whose values are all zero are dropped.
// Unit differences (ms vs ns, kB vs B) are reconciled first by ScaleToCommonUnits, as the
// pprof command line does before merging.

#include <memory>
#include <span>

#include "absl/status/statusor.h"
#include "profile/builder.h"
#include "profile/profile.h"

namespace hearth::profile {

absl::StatusOr<Profile> Merge(std::span<const Profile* const> srcs);

// Merge of one profile: garbage-collects unreferenced entities, sums duplicate samples,
// drops zero samples and renumbers ids densely in first-seen order. This is what pprof does
// to every profile it loads, so reports on a compacted profile match pprof's ordering.
Profile Compact(const Profile& p);

// Incremental merge for many inputs: memory stays proportional to the merged result, not
// to the inputs. Add() in order gives the same result as ScaleToCommonUnits + Merge() of
// all inputs: when a new input uses a finer but compatible unit (ns vs ms), the values
// merged so far are rescaled to it.
class Merger {
 public:
  Merger();
  ~Merger();
  absl::Status Add(const Profile& src);
  int count() const { return count_; }
  // Finishes the merge. Returns an error when nothing was added.
  absl::StatusOr<Profile> Finish();

 private:
  std::unique_ptr<ProfileBuilder> builder_;
  int count_ = 0;
};

// Error unless the two profiles can be merged (identical period type and sample types).
absl::Status CheckCompatible(const Profile& a, const Profile& b);

// pprof's measurement.ScaleProfiles: for each sample type position (and the period type),
// finds the finest unit among the inputs (ns < us < ms < s; B < kB < ...) and rescales
// every profile's values to it. Types whose names differ only by a trailing 's' are
// compatible. Errors when sample type counts differ or units are incompatible.
absl::Status ScaleToCommonUnits(std::span<Profile* const> profiles);

// pprof's -base / -diff_base: with kDiffBase the base samples get label pprof::base=true;
// with `normalize` p is first scaled so its totals equal the base's (Normalize); then the
// base is negated and merged into p.
enum class BaseMode { kBase, kDiffBase };
absl::StatusOr<Profile> SubtractBase(Profile p, Profile base, BaseMode mode, bool normalize);

}  // namespace hearth::profile
