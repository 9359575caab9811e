#pragma once

// ProfileBuilder assembles a Profile while de-duplicating as pprof's merge does, so every
// producer (merge, format converters, storage read path) gets a compact profile for free:
//
//   strings    interned by content
//   mappings   key = (size rounded up to 4 KiB, file_offset, build_id if set else filename)
//   functions  key = (name, system_name, filename, start_line)
//   locations  key = (mapping, address - mapping.memory_start, lines, is_folded)
//   samples    key = (stack, labels); values of equal keys are summed element-wise
//
// Ids are assigned densely (1..N) in first-seen order. Sample labels are stored in a
// canonical order (string labels before numeric ones, then by key id, values in the order
// given) so the same label set always hashes the same.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "profile/profile.h"

namespace hearth::profile {

class ProfileBuilder {
 public:
  ProfileBuilder();
  ProfileBuilder(const ProfileBuilder&) = delete;
  ProfileBuilder& operator=(const ProfileBuilder&) = delete;

  // The profile under construction. Header fields (sample_types, period, time, comments ...)
  // are set directly on it; entity tables must only be changed through the Add* calls.
  Profile& profile() { return p_; }

  StrId Str(std::string_view s) { return p_.strings.Intern(s); }

  // Each returns the index of an equal existing entity or of a new one. The id fields of the
  // arguments are ignored. AddMapping also reports, through `existing_start`, the
  // memory_start of the matched mapping so callers can shift addresses (ASLR).
  uint32_t AddMapping(const Mapping& m, uint64_t* existing_start = nullptr);
  uint32_t AddFunction(StrId name, StrId system_name, StrId filename, int64_t start_line);
  uint32_t AddLocation(uint32_t mapping, uint64_t address, std::span<const Line> lines,
                       bool is_folded = false);
  // A one-line location for a symbolized frame with no mapping or address (the common case
  // for text formats).
  uint32_t AddFrame(std::string_view function_name, std::string_view filename = {},
                    int64_t line = 0);

  // Adds values to the sample with this stack (leaf first) and labels, creating it if new.
  // values.size() must equal profile().sample_types.size(). Returns the sample index.
  uint32_t AddSample(std::span<const uint32_t> stack, std::span<const int64_t> values,
                     std::span<const Label> labels = {});

  // Moves the profile out: samples whose values are all zero are dropped, pools compacted.
  Profile Finish();

 private:
  struct SampleRef;
  struct SampleHash;
  struct SampleEq;
  struct LocationKey;

  Profile p_;
  absl::flat_hash_map<std::tuple<uint64_t, uint64_t, StrId>, uint32_t> mapping_index_;
  absl::flat_hash_map<std::tuple<StrId, StrId, StrId, int64_t>, uint32_t> function_index_;
  // Location key bytes -> index. Keys are serialized (mapping, offset, folded, lines...).
  absl::flat_hash_map<std::string, uint32_t> location_index_;
  absl::flat_hash_map<std::string_view, uint32_t> frame_index_;  // AddFrame cache
  std::vector<uint64_t> sample_hashes_;
  // Sample indices, hashed by (stack, labels) through sample_hashes_.
  absl::flat_hash_set<uint32_t, SampleHash, SampleEq> sample_index_;
  std::vector<Label> scratch_labels_;
};

}  // namespace hearth::profile
