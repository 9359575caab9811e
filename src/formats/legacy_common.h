#pragma once

// Machinery shared by the readers of the legacy formats that pprof parses itself
// (gperftools CPU and heap profiles, Go's debug=1 text profiles): memory-map sections,
// pprof's mapping heuristics, and turning parsed records into a Profile.
//
//   reader (gperftools.cc, go_legacy.cc, legacy_heap.cc)
//     │  records: address stack (leaf first) + values + labels (+ lines, if symbolized)
//     ▼
//   RecordSet ──► AssignMappings(maps) ──► EmitProfile(ProfileBuilder) ──► Profile
//                   massage (merge split regions, main binary first), one mapping per
//                   address as pprof's remapMappingIDs does, fake mapping for the rest
//
// Internal to src/formats; not a public API.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "profile/builder.h"
#include "profile/profile.h"

namespace hearth::formats::legacy {

// Bounds shared by the legacy readers; each public options struct maps onto this.
struct TextLimits {
  size_t max_input_bytes = size_t{1} << 30;
  size_t max_line_bytes = size_t{1} << 20;
  size_t max_frames = 8192;  // Addresses per record.
  size_t max_records = 10'000'000;
  size_t max_map_lines = 100'000;
};

// One executable region from a memory-map section.
struct MapEntry {
  uint64_t start = 0;
  uint64_t limit = 0;
  uint64_t offset = 0;
  std::string file;
  std::string build_id;
};

struct MapLimits {
  size_t max_lines = 100'000;
  size_t max_line_bytes = size_t{1} << 16;
};

// Parses the lines of a memory-map section, /proc/<pid>/maps or pprof's brief form
// "start-end path (@offset) buildid", with pprof's rules: non-executable regions are
// skipped, unrecognized lines are ignored (an "attr=value" line defines $attr for the lines
// after it), glog prefixes are stripped. `first_line_no` numbers the lines in errors; only
// the limits produce errors, naming `what` (the format).
absl::Status ParseMemoryMap(std::string_view text, size_t first_line_no, const MapLimits& limits,
                            std::string_view what, std::vector<MapEntry>* out);

// Whether a line starts a memory-map section ("--- Memory map: ---", "MAPPED_LIBRARIES:").
bool IsMemoryMapSentinel(std::string_view line);

struct MappedAddresses;

// Records as parsed, before mappings are known. Frames are leaf first; a frame's lines
// (innermost first) are empty for an unsymbolized address.
class RecordSet {
 public:
  struct Frame {
    uint64_t address = 0;
    uint32_t lines_begin = 0;
    uint32_t num_lines = 0;
  };
  struct Record {
    uint32_t frames_begin = 0;
    uint32_t num_frames = 0;
    uint32_t values_begin = 0;
    uint32_t labels_begin = 0;
    uint32_t num_labels = 0;
  };

  explicit RecordSet(size_t num_values) : num_values_(num_values) {}

  // Frames of the record being built; EndRecord closes it.
  void AddFrame(uint64_t address, std::span<const profile::Line> lines = {});
  void EndRecord(std::span<const int64_t> values, std::span<const profile::Label> labels = {});

  size_t num_values() const { return num_values_; }
  std::vector<Record>& records() { return records_; }
  const std::vector<Record>& records() const { return records_; }
  std::span<Frame> Frames(const Record& r) {
    return {frames_.data() + r.frames_begin, r.num_frames};
  }
  std::span<const Frame> Frames(const Record& r) const {
    return {frames_.data() + r.frames_begin, r.num_frames};
  }
  // Removes frame `i` of `r` (O(depth)).
  void RemoveFrame(Record& r, size_t i);
  size_t pending_frames() const { return frames_.size() - pending_begin_; }

 private:
  friend profile::Profile EmitProfile(const RecordSet&, const MappedAddresses&,
                                      profile::ProfileBuilder&);
  size_t num_values_;
  std::vector<Frame> frames_;
  std::vector<profile::Line> lines_;
  std::vector<int64_t> values_;
  std::vector<profile::Label> labels_;
  std::vector<Record> records_;
  size_t pending_begin_ = 0;
};

// The mapping of every address, decided as pprof's ParseMemoryMap does: massage the
// regions (merge split ones, guess the main binary and put it first), drop a leading
// /anon_hugepage, normalize a main binary at 0x400000, then give each address (in
// first-seen order) the first region containing it, extend a region whose first part was
// not reported, or else a fake region covering everything. Address 0 has no mapping.
struct MappedAddresses {
  std::vector<MapEntry> maps;  // After the heuristics, fake region last if needed.
  absl::flat_hash_map<uint64_t, uint32_t> mapping_of;  // address -> index into maps.
};
MappedAddresses AssignMappings(const RecordSet& records, std::vector<MapEntry> maps);

// Adds the referenced mappings (in `mapped.maps` order), locations and samples to `b` and
// finishes the profile, with MarkSymbolizedMappings.
profile::Profile EmitProfile(const RecordSet& records, const MappedAddresses& mapped,
                             profile::ProfileBuilder& b);

// Sets has_functions/has_inline_frames on the mappings all of whose locations have lines,
// and has_filenames/has_line_numbers when their functions also have file names.
void MarkSymbolizedMappings(profile::Profile& p);

// Every "0x<hex>" number in `s` (pprof's rule for address lists). False if one overflows
// 64 bits or there are more than `max` of them.
bool ParseHexAddresses(std::string_view s, size_t max, std::vector<uint64_t>* out);

// Splits `text` into lines, tracking line numbers; a trailing '\r' is dropped.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : rest_(text) {}
  bool Next(std::string_view* line);
  size_t line_no() const { return line_no_; }
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
  size_t line_no_ = 0;
};

// pprof's drop/keep_frames for legacy profiles (addLegacyFrameInfo).
extern const char kCpuProfilerDropFrames[];
extern const char kAllocDropFrames[];
extern const char kAllocKeepFrames[];
extern const char kLockDropFrames[];

}  // namespace hearth::formats::legacy
