#pragma once

// The in-memory profile model: pprof-shaped, flat and interned.
//
// Every entity lives in one vector of the Profile and is referred to by its index in that
// vector (uint32_t), never by pointer. Variable-length parts (a sample's stack, values and
// labels; a location's lines) are [begin, begin + count) ranges into shared pools, so a
// decoded profile is a handful of allocations however many samples it has.
//
//   Profile
//   ├── sample_types[t]                         ValueType{type, unit}  (string ids)
//   ├── samples[s] ──┬─ stacks[stack_begin ..+depth]       location indices, LEAF FIRST
//   │                ├─ values[values_begin ..+T]          T = sample_types.size()
//   │                └─ labels[labels_begin ..+num_labels] Label{key, str | num+num_unit}
//   ├── locations[l] ─┬─ mapping                           index into mappings, or kNone
//   │                 └─ lines[lines_begin ..+num_lines]   Line{function index, line, column},
//   │                                                      innermost (inlined) first
//   ├── functions[f]  {name, system_name, filename, start_line}
//   ├── mappings[m]   {memory range, offset, filename, build id, symbolization flags}
//   └── strings       StringTable; id 0 is always ""
//
// The pprof ids of mappings, locations and functions are kept (so a decode -> encode round
// trip is lossless and `raw` output matches pprof), but nothing inside the model uses them.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace hearth::profile {

// Index into Profile::strings.
using StrId = uint32_t;
// "No mapping" / "no function" in an index field.
inline constexpr uint32_t kNone = UINT32_MAX;

// An append-only string table with an arena. Strings never move once added, so the
// string_views it hands out stay valid for the table's lifetime (and across moves of it).
class StringTable {
 public:
  StringTable();  // Holds "" at id 0.
  StringTable(const StringTable& other);
  StringTable& operator=(const StringTable& other);
  StringTable(StringTable&&) noexcept = default;
  StringTable& operator=(StringTable&&) noexcept = default;

  std::string_view operator[](StrId id) const { return views_[id]; }
  size_t size() const { return views_.size(); }

  // Returns the id of an equal string (the first one, if the table has duplicates) or
  // appends it.
  StrId Intern(std::string_view s);
  // Looks a string up without adding it.
  std::optional<StrId> Find(std::string_view s) const;
  // Appends without looking for duplicates (decoders keep the table exactly as sent).
  StrId Append(std::string_view s);
  // Pre-sizes for `count` strings of `bytes` bytes in total (one arena block).
  void Reserve(size_t count, size_t bytes);
  // Drops every string except "" (id 0).
  void Clear();

  const std::vector<std::string_view>& views() const { return views_; }

 private:
  char* Allocate(size_t n);
  void BuildIndex() const;

  std::vector<std::unique_ptr<char[]>> blocks_;
  char* cursor_ = nullptr;
  size_t left_ = 0;
  std::vector<std::string_view> views_;
  // Built lazily on the first Intern/Find: decoders never pay for it.
  mutable absl::flat_hash_map<std::string_view, StrId> index_;
  mutable size_t indexed_ = 0;  // views_[0, indexed_) are in index_.
};

struct ValueType {
  StrId type = 0;
  StrId unit = 0;
  bool operator==(const ValueType&) const = default;
};

// A sample label. pprof's rule decides the kind: str != 0 makes a string label; otherwise
// num != 0 or num_unit != 0 makes a numeric one; a label with neither is ignored by reports
// (but kept, so a round trip is lossless).
struct Label {
  StrId key = 0;
  StrId str = 0;
  int64_t num = 0;
  StrId num_unit = 0;

  bool is_string() const { return str != 0; }
  bool is_numeric() const { return str == 0 && (num != 0 || num_unit != 0); }
  bool operator==(const Label&) const = default;
};

struct Mapping {
  uint64_t id = 0;
  uint64_t memory_start = 0;
  uint64_t memory_limit = 0;
  uint64_t file_offset = 0;
  StrId filename = 0;
  StrId build_id = 0;
  bool has_functions = false;
  bool has_filenames = false;
  bool has_line_numbers = false;
  bool has_inline_frames = false;
  bool operator==(const Mapping&) const = default;
};

struct Function {
  uint64_t id = 0;
  StrId name = 0;
  StrId system_name = 0;
  StrId filename = 0;
  int64_t start_line = 0;
  bool operator==(const Function&) const = default;
};

struct Line {
  uint32_t function = kNone;  // Index into Profile::functions.
  int64_t line = 0;
  int64_t column = 0;
  bool operator==(const Line&) const = default;
};

// Location field number of Hearth's frame-type extension in pprof (a string table index).
// Far above pprof's own fields (1–5), so a future pprof field does not collide with it.
inline constexpr uint32_t kPprofFrameTypeField = 101;

struct Location {
  uint64_t id = 0;
  uint32_t mapping = kNone;  // Index into Profile::mappings.
  uint64_t address = 0;
  uint32_t lines_begin = 0;  // Profile::lines[lines_begin, lines_begin + num_lines)
  uint32_t num_lines = 0;
  bool is_folded = false;
  // What kind of code the frame runs ("native", "kernel", "go", "jvm", "cpython", "v8js" …:
  // OTLP's `profile.frame.type`); 0 ("") when unknown. pprof has no field for it: Hearth
  // writes it as Location field kPprofFrameTypeField, which other pprof readers skip.
  StrId frame_type = 0;
  bool operator==(const Location&) const = default;
};

struct Sample {
  uint32_t stack_begin = 0;  // Profile::stacks[stack_begin, stack_begin + depth), leaf first.
  uint32_t depth = 0;
  uint32_t values_begin = 0;  // Profile::values[values_begin, + sample_types.size()).
  uint32_t labels_begin = 0;  // Profile::labels[labels_begin, labels_begin + num_labels).
  uint32_t num_labels = 0;
};

struct Profile {
  std::vector<ValueType> sample_types;
  std::vector<Sample> samples;
  std::vector<Mapping> mappings;
  std::vector<Location> locations;
  std::vector<Function> functions;

  // Pools referenced by the ranges above.
  std::vector<Line> lines;
  std::vector<uint32_t> stacks;
  std::vector<int64_t> values;
  std::vector<Label> labels;

  StringTable strings;

  StrId drop_frames = 0;
  StrId keep_frames = 0;
  int64_t time_nanos = 0;
  int64_t duration_nanos = 0;
  ValueType period_type;
  int64_t period = 0;
  std::vector<StrId> comments;
  StrId default_sample_type = 0;
  StrId doc_url = 0;

  std::string_view Str(StrId id) const { return strings[id]; }
  size_t num_values() const { return sample_types.size(); }

  std::span<const uint32_t> Stack(const Sample& s) const {
    return {stacks.data() + s.stack_begin, s.depth};
  }
  std::span<const int64_t> Values(const Sample& s) const {
    return {values.data() + s.values_begin, sample_types.size()};
  }
  std::span<int64_t> MutableValues(const Sample& s) {
    return {values.data() + s.values_begin, sample_types.size()};
  }
  std::span<const Label> Labels(const Sample& s) const {
    return {labels.data() + s.labels_begin, s.num_labels};
  }
  std::span<const Line> Lines(const Location& l) const {
    return {lines.data() + l.lines_begin, l.num_lines};
  }

  // Sum of values[index] over all samples.
  int64_t Total(size_t value_index) const;

  // Appends a sample, copying its parts into the pools. values.size() must equal
  // sample_types.size().
  void AddSample(std::span<const uint32_t> stack, std::span<const int64_t> sample_values,
                 std::span<const Label> sample_labels);
};

// Checks the invariants every producer must keep (pprof's CheckValid, on indices): value
// counts match sample types, indices are in range, string ids are in range, ids are unique
// and nonzero. The message names the offending entity.
absl::Status Validate(const Profile& p);

// Deep equality: every field, table and pool range compared by content. Used by round-trip
// tests; two profiles with the same meaning but different ids or string order are NOT equal.
bool Equal(const Profile& a, const Profile& b, std::string* why = nullptr);

// The index of a sample type as pprof's -sample_index resolves it: "" picks
// default_sample_type if set, else the last type; a number is an index; a name matches a
// type (with an "inuse_" prefix tolerated for legacy heap options).
absl::StatusOr<size_t> SampleIndexByName(const Profile& p, std::string_view name);

}  // namespace hearth::profile
