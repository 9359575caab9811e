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
#include <tuple>
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
  const Profile& profile() const { return p_; }

  StrId Str(std::string_view s) { return p_.strings.Intern(s); }

  // Each returns the index of an equal existing entity or of a new one. The id fields of the
  // arguments are ignored. AddMapping also reports, through `existing_start`, the
  // memory_start of the matched mapping so callers can shift addresses (ASLR).
  uint32_t AddMapping(const Mapping& m, uint64_t* existing_start = nullptr);
  uint32_t AddFunction(StrId name, StrId system_name, StrId filename, int64_t start_line);
  uint32_t AddLocation(uint32_t mapping, uint64_t address, std::span<const Line> lines,
                       bool is_folded = false, StrId frame_type = 0);
  // A one-line location for a symbolized frame with no mapping or address (the common case
  // for text formats). The function's system_name is its name, its start_line 0.
  uint32_t AddFrame(std::string_view function_name, std::string_view filename = {},
                    int64_t line = 0);

  // Adds values to the sample with this stack (leaf first) and labels, creating it if new.
  // values.size() must equal profile().sample_types.size(). Returns the sample index.
  // Labels that are neither string nor numeric (see Label) are dropped, as pprof's decoder
  // drops them.
  uint32_t AddSample(std::span<const uint32_t> stack, std::span<const int64_t> values,
                     std::span<const Label> labels = {});

  // Moves the profile out: samples whose values are all zero are dropped, pools compacted.
  // As in pprof, dropping such samples means a second merge pass (Compact), so entities
  // only they referenced disappear too and ids are renumbered. The builder is empty again
  // afterwards.
  Profile Finish();

 private:
  // Samples and locations are stored in flat_hash_sets of their index in p_, with the
  // 64-bit hash of their key kept beside them (sample_hashes_, location_hashes_) so a
  // rehash never re-reads the pools. A lookup probes with a *Probe (transparent lookup):
  // nothing is built or allocated to ask "do we have this one already?".
  struct SampleProbe {
    uint64_t hash;
    std::span<const uint32_t> stack;
    std::span<const Label> labels;
  };
  struct SampleHash {
    using is_transparent = void;
    const ProfileBuilder* b;
    size_t operator()(uint32_t index) const { return b->sample_hashes_[index]; }
    size_t operator()(const SampleProbe& k) const { return k.hash; }
  };
  struct SampleEq {
    using is_transparent = void;
    const ProfileBuilder* b;
    bool operator()(uint32_t x, uint32_t y) const { return x == y; }
    bool operator()(uint32_t x, const SampleProbe& k) const { return b->SampleMatches(x, k); }
    bool operator()(const SampleProbe& k, uint32_t x) const { return b->SampleMatches(x, k); }
  };
  struct LocationProbe {
    uint64_t hash;
    uint32_t mapping;
    uint64_t offset;  // address - memory_start of the mapping (ASLR-independent).
    bool is_folded;
    StrId frame_type;
    std::span<const Line> lines;
  };
  struct LocationHash {
    using is_transparent = void;
    const ProfileBuilder* b;
    size_t operator()(uint32_t index) const { return b->location_hashes_[index]; }
    size_t operator()(const LocationProbe& k) const { return k.hash; }
  };
  struct LocationEq {
    using is_transparent = void;
    const ProfileBuilder* b;
    bool operator()(uint32_t x, uint32_t y) const { return x == y; }
    bool operator()(uint32_t x, const LocationProbe& k) const { return b->LocationMatches(x, k); }
    bool operator()(const LocationProbe& k, uint32_t x) const { return b->LocationMatches(x, k); }
  };

  bool SampleMatches(uint32_t index, const SampleProbe& k) const;
  bool LocationMatches(uint32_t index, const LocationProbe& k) const;
  uint64_t LocationOffset(uint32_t mapping, uint64_t address) const;
  void Reset();

  Profile p_;
  // (size rounded up to 4 KiB, file_offset, build_id or filename) -> mapping index.
  absl::flat_hash_map<std::tuple<uint64_t, uint64_t, StrId>, uint32_t> mapping_index_;
  // (name, system_name, filename, start_line) -> function index.
  absl::flat_hash_map<std::tuple<StrId, StrId, StrId, int64_t>, uint32_t> function_index_;
  std::vector<uint64_t> location_hashes_;
  absl::flat_hash_set<uint32_t, LocationHash, LocationEq> location_index_;
  // AddFrame cache: (name, filename, line) -> location index.
  absl::flat_hash_map<std::tuple<StrId, StrId, int64_t>, uint32_t> frame_index_;
  std::vector<uint64_t> sample_hashes_;
  absl::flat_hash_set<uint32_t, SampleHash, SampleEq> sample_index_;
  // Reused buffers, so steady-state adds do not allocate.
  std::vector<Label> scratch_labels_;
  std::vector<Line> scratch_lines_;
  std::vector<uint32_t> scratch_stack_;
};

// Maps the entities of one source profile into a builder: source index -> destination
// index, memoized, so each string/mapping/function/location costs one lookup per source
// however often it is used. Addresses are shifted when a mapping matched one loaded at
// another address (ASLR), as pprof's merge does. Used by merge and by the storage engine.
class EntityImporter {
 public:
  explicit EntityImporter(ProfileBuilder& b) : b_(b) {}

  // Starts importing from `src` (which must outlive the following calls).
  void Bind(const Profile& src);
  const Profile& source() const { return *src_; }

  StrId Str(StrId id) {
    StrId& d = strings_[id];
    if (d == kNone) d = b_.Str(src_->Str(id));
    return d;
  }
  uint32_t MapLocation(uint32_t i) {
    uint32_t d = locations_[i];
    return d != kNone ? d : MapLocationSlow(i);
  }
  uint32_t MapFunction(uint32_t i);
  struct MapInfo {
    uint32_t index = kNone;  // kNone: not mapped yet.
    uint64_t delta = 0;      // Added to source addresses (mod 2^64).
  };
  MapInfo MapMapping(uint32_t i);

 private:
  uint32_t MapLocationSlow(uint32_t i);

  ProfileBuilder& b_;
  const Profile* src_ = nullptr;
  std::vector<StrId> strings_;
  std::vector<MapInfo> mappings_;
  std::vector<uint32_t> functions_;
  std::vector<uint32_t> locations_;
  std::vector<Line> lines_;
};

}  // namespace hearth::profile
