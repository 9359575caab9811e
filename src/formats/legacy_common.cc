#include "formats/legacy_common.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <utility>

#include "base/strings.h"

namespace hearth::formats::legacy {
namespace {

re2::StringPiece Piece(std::string_view s) { return re2::StringPiece(s.data(), s.size()); }
std::string_view View(const re2::StringPiece& s) { return std::string_view(s.data(), s.size()); }

// pprof's two accepted memory-map line shapes. RE2 has Go's regexp semantics, so the
// submatches are exactly the ones pprof sees.
//   /proc maps: start-end perms offset dev inode path
//   brief:      start-end [perms] path (@offset) buildid
constexpr char kHexRange[] = R"(^\s*(?:0x)?([[:xdigit:]]+)[\s-]?\s*(?:0x)?([[:xdigit:]]+):?)";
constexpr char kPerm[] = R"((?:\s+([-rwxp]+))?)";

const re2::RE2& ProcMapsRe() {
  static const re2::RE2 re(std::string(kHexRange) + kPerm +
                           R"((?:\s+([[:xdigit:]]+))?\s+[[:xdigit:]]+:[[:xdigit:]]+\s+[[:digit:]]+)"
                           R"((?:\s+(\S+))?)");
  return re;
}

const re2::RE2& BriefMapsRe() {
  static const re2::RE2 re(std::string(kHexRange) + kPerm +
                           R"((?:\s+(\S+))?(?:\s+\(@([[:xdigit:]]+)\))?(?:\s+([[:xdigit:]]+))?)");
  return re;
}

// A glog prefix ("... file.cc:123] ") in front of a map line.
const re2::RE2& LogPrefixRe() {
  static const re2::RE2 re(R"(^[^\[\]]+:[0-9]+]\s)");
  return re;
}

enum class MapLine { kMapping, kSkipped, kUnrecognized };

MapLine ParseMapLine(std::string_view line, MapEntry* m) {
  re2::StringPiece start, end, perm, offset, file, build_id;
  if (!re2::RE2::PartialMatch(Piece(line), ProcMapsRe(), &start, &end, &perm, &offset, &file) &&
      !re2::RE2::PartialMatch(Piece(line), BriefMapsRe(), &start, &end, &perm, &file, &offset,
                              &build_id)) {
    return MapLine::kUnrecognized;
  }
  if (!perm.empty() && View(perm).find('x') == std::string_view::npos) return MapLine::kSkipped;
  *m = MapEntry();
  if (!ParseInt(View(start), &m->start, 16) || !ParseInt(View(end), &m->limit, 16)) {
    return MapLine::kUnrecognized;
  }
  if (!offset.empty() && !ParseInt(View(offset), &m->offset, 16)) return MapLine::kUnrecognized;
  m->file = std::string(View(file));
  m->build_id = std::string(View(build_id));
  return MapLine::kMapping;
}

// Replaces every "$attr" defined so far, scanning left to right and trying definitions in
// the order they were made (Go's strings.Replacer with several pairs).
std::string ExpandAttrs(std::string_view line,
                        const std::vector<std::pair<std::string, std::string>>& attrs) {
  std::string out;
  size_t i = 0;
  while (i < line.size()) {
    bool replaced = false;
    for (const auto& [name, value] : attrs) {
      if (!name.empty() && line.substr(i).starts_with(name)) {
        out += value;
        i += name.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += line[i++];
  }
  return out;
}

bool AdjacentRegions(const MapEntry& a, const MapEntry& b) {
  if (!a.file.empty() && !b.file.empty() && a.file != b.file) return false;
  if (!a.build_id.empty() && !b.build_id.empty() && a.build_id != b.build_id) return false;
  if (a.limit != b.start) return false;
  if (a.offset != 0 && b.offset != 0 && a.offset + (a.limit - a.start) != b.offset) return false;
  return true;
}

// pprof's test for a shared library: ".so" at the end, or ".so." / ".so_" and a digit.
bool LooksLikeSharedLibrary(std::string_view file) {
  if (file.ends_with(".so")) return true;
  for (size_t i = file.find(".so"); i != std::string_view::npos; i = file.find(".so", i + 1)) {
    size_t k = i + 3;
    if (k + 1 < file.size() && (file[k] == '.' || file[k] == '_') && file[k + 1] >= '0' &&
        file[k + 1] <= '9') {
      return true;
    }
  }
  return false;
}

// pprof's massageMappings: merge a region split in two, then move the first region that
// looks like the main executable (not a library, not "[vdso]"-like) to the front.
void MassageMappings(std::vector<MapEntry>& maps) {
  if (maps.size() > 1) {
    std::vector<MapEntry> merged;
    merged.push_back(std::move(maps[0]));
    for (size_t i = 1; i < maps.size(); ++i) {
      MapEntry& last = merged.back();
      if (AdjacentRegions(last, maps[i])) {
        last.limit = maps[i].limit;
        if (!maps[i].file.empty()) last.file = maps[i].file;
        if (!maps[i].build_id.empty()) last.build_id = maps[i].build_id;
        continue;
      }
      merged.push_back(std::move(maps[i]));
    }
    maps = std::move(merged);
  }
  for (size_t i = 0; i < maps.size(); ++i) {
    std::string file = maps[i].file;
    for (size_t d = file.find("(deleted)"); d != std::string::npos; d = file.find("(deleted)")) {
      file.erase(d, 9);
    }
    std::string_view name = TrimSpace(file);
    if (name.empty() || LooksLikeSharedLibrary(name) || name.front() == '[') continue;
    std::swap(maps[0], maps[i]);
    break;
  }
}

// Finds the region of an address. Real memory maps don't overlap, so a sorted index
// answers in O(log n); the linear scan (first region in list order, pprof's rule) is kept
// for inputs whose regions overlap.
class RegionIndex {
 public:
  explicit RegionIndex(const std::vector<MapEntry>& maps) : maps_(maps) { Rebuild(); }

  void Rebuild() {
    sorted_.clear();
    for (uint32_t i = 0; i < maps_.size(); ++i) sorted_.push_back(i);
    std::sort(sorted_.begin(), sorted_.end(),
              [&](uint32_t a, uint32_t b) { return maps_[a].start < maps_[b].start; });
    disjoint_ = true;
    for (size_t i = 0; i < sorted_.size(); ++i) {
      const MapEntry& m = maps_[sorted_[i]];
      if (m.limit < m.start) disjoint_ = false;
      if (i > 0 && maps_[sorted_[i - 1]].limit > m.start) disjoint_ = false;
    }
  }

  // Index of the region containing `a`, or -1.
  int64_t Find(uint64_t a) const {
    if (!disjoint_) {
      for (size_t i = 0; i < maps_.size(); ++i) {
        if (maps_[i].start <= a && a < maps_[i].limit) return static_cast<int64_t>(i);
      }
      return -1;
    }
    auto it = std::upper_bound(sorted_.begin(), sorted_.end(), a,
                               [&](uint64_t x, uint32_t i) { return x < maps_[i].start; });
    if (it == sorted_.begin()) return -1;
    uint32_t i = *(it - 1);
    return a < maps_[i].limit ? static_cast<int64_t>(i) : -1;
  }

 private:
  const std::vector<MapEntry>& maps_;
  std::vector<uint32_t> sorted_;
  bool disjoint_ = true;
};

}  // namespace

bool IsMemoryMapSentinel(std::string_view line) {
  return line.find("--- Memory map: ---") != std::string_view::npos ||
         line.find("MAPPED_LIBRARIES:") != std::string_view::npos;
}

bool LineReader::Next(std::string_view* line) {
  if (rest_.empty()) return false;
  size_t nl = rest_.find('\n');
  *line = rest_.substr(0, nl);
  rest_.remove_prefix(nl == std::string_view::npos ? rest_.size() : nl + 1);
  if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
  ++line_no_;
  return true;
}

absl::Status ParseMemoryMap(std::string_view text, size_t first_line_no, const MapLimits& limits,
                            std::string_view what, std::vector<MapEntry>* out) {
  std::vector<std::pair<std::string, std::string>> attrs;
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(&line)) {
    size_t line_no = first_line_no + lines.line_no() - 1;
    if (line.size() > limits.max_line_bytes) {
      return absl::InvalidArgumentError(
          fmt::format("{}: line {}: memory map line longer than {} bytes", what, line_no,
                      limits.max_line_bytes));
    }
    if (lines.line_no() > limits.max_lines) {
      return absl::ResourceExhaustedError(fmt::format(
          "{}: line {}: memory map has more than {} lines", what, line_no, limits.max_lines));
    }
    re2::StringPiece rest = Piece(line);
    if (re2::RE2::Consume(&rest, LogPrefixRe())) line = View(rest);
    std::string expanded;
    if (!attrs.empty()) {
      expanded = ExpandAttrs(line, attrs);
      line = expanded;
    }
    MapEntry m;
    switch (ParseMapLine(line, &m)) {
      case MapLine::kMapping: out->push_back(std::move(m)); break;
      case MapLine::kSkipped: break;
      case MapLine::kUnrecognized:
        if (size_t eq = line.find('='); eq != std::string_view::npos) {
          std::string name(1, '$');
          name.append(TrimSpace(line.substr(0, eq)));
          attrs.emplace_back(std::move(name), std::string(TrimSpace(line.substr(eq + 1))));
        }
        break;
    }
  }
  return absl::OkStatus();
}

void RecordSet::AddFrame(uint64_t address, std::span<const profile::Line> lines) {
  Frame f;
  f.address = address;
  f.lines_begin = static_cast<uint32_t>(lines_.size());
  f.num_lines = static_cast<uint32_t>(lines.size());
  lines_.insert(lines_.end(), lines.begin(), lines.end());
  frames_.push_back(f);
}

void RecordSet::EndRecord(std::span<const int64_t> values, std::span<const profile::Label> labels) {
  Record r;
  r.frames_begin = static_cast<uint32_t>(pending_begin_);
  r.num_frames = static_cast<uint32_t>(frames_.size() - pending_begin_);
  r.values_begin = static_cast<uint32_t>(values_.size());
  r.labels_begin = static_cast<uint32_t>(labels_.size());
  r.num_labels = static_cast<uint32_t>(labels.size());
  values_.insert(values_.end(), values.begin(), values.end());
  values_.resize(r.values_begin + num_values_);
  labels_.insert(labels_.end(), labels.begin(), labels.end());
  records_.push_back(r);
  pending_begin_ = frames_.size();
}

void RecordSet::RemoveFrame(Record& r, size_t i) {
  Frame* f = frames_.data() + r.frames_begin;
  // Shift the frames before `i` up by one, so the record just starts one later.
  for (size_t k = i; k > 0; --k) f[k] = f[k - 1];
  ++r.frames_begin;
  --r.num_frames;
}

MappedAddresses AssignMappings(const RecordSet& records, std::vector<MapEntry> maps) {
  MassageMappings(maps);
  if (maps.size() > 1 && maps[0].file.starts_with("/anon_hugepage") &&
      maps[0].limit == maps[1].start) {
    maps.erase(maps.begin());
  }
  // A main binary that starts at the classic non-PIE load address is described with its
  // file offset folded in.
  constexpr uint64_t kExpectedStart = 0x400000;
  if (!maps.empty() && maps[0].start - maps[0].offset == kExpectedStart) {
    maps[0].start = kExpectedStart;
    maps[0].offset = 0;
  }
  MappedAddresses out;
  RegionIndex index(maps);
  int64_t fake = -1;
  for (const RecordSet::Record& r : records.records()) {
    for (const RecordSet::Frame& f : records.Frames(r)) {
      uint64_t a = f.address;
      if (a == 0 || out.mapping_of.contains(a)) continue;
      int64_t found = index.Find(a);
      if (found < 0) {
        // Some handlers leave out the first part of a mapping split in two: extend a region
        // whose file offset says where it must have started.
        for (size_t i = 0; i < maps.size(); ++i) {
          MapEntry& m = maps[i];
          if (m.offset != 0 && m.start - m.offset <= a && a < m.start) {
            m.start -= m.offset;
            m.offset = 0;
            found = static_cast<int64_t>(i);
            index.Rebuild();
            break;
          }
        }
      }
      if (found < 0) {
        if (fake < 0) {
          MapEntry m;
          m.limit = UINT64_MAX;
          fake = static_cast<int64_t>(maps.size());
          maps.push_back(std::move(m));
          index.Rebuild();
        }
        found = fake;
      }
      out.mapping_of.emplace(a, static_cast<uint32_t>(found));
    }
  }
  out.maps = std::move(maps);
  return out;
}

profile::Profile EmitProfile(const RecordSet& records, const MappedAddresses& mapped,
                             profile::ProfileBuilder& b) {
  // Builder index of each referenced region (in list order, so the main binary stays first)
  // and the shift to apply when the builder matched it with an equal earlier region.
  std::vector<bool> used(mapped.maps.size(), false);
  for (const RecordSet::Record& r : records.records()) {
    for (const RecordSet::Frame& f : records.Frames(r)) {
      if (auto it = mapped.mapping_of.find(f.address); it != mapped.mapping_of.end()) {
        used[it->second] = true;
      }
    }
  }
  std::vector<uint32_t> builder_index(mapped.maps.size(), profile::kNone);
  std::vector<uint64_t> shift(mapped.maps.size(), 0);
  for (size_t i = 0; i < mapped.maps.size(); ++i) {
    if (!used[i]) continue;
    const MapEntry& e = mapped.maps[i];
    profile::Mapping m;
    m.memory_start = e.start;
    m.memory_limit = e.limit;
    m.file_offset = e.offset;
    m.filename = b.Str(e.file);
    m.build_id = b.Str(e.build_id);
    uint64_t existing_start = 0;
    builder_index[i] = b.AddMapping(m, &existing_start);
    shift[i] = existing_start - e.start;
  }
  std::vector<uint32_t> stack;
  for (const RecordSet::Record& r : records.records()) {
    stack.clear();
    for (const RecordSet::Frame& f : records.Frames(r)) {
      uint32_t mapping = profile::kNone;
      uint64_t address = f.address;
      if (auto it = mapped.mapping_of.find(f.address); it != mapped.mapping_of.end()) {
        mapping = builder_index[it->second];
        address += shift[it->second];
      }
      stack.push_back(
          b.AddLocation(mapping, address, {records.lines_.data() + f.lines_begin, f.num_lines}));
    }
    b.AddSample(stack, {records.values_.data() + r.values_begin, records.num_values_},
                {records.labels_.data() + r.labels_begin, r.num_labels});
  }
  profile::Profile p = b.Finish();
  MarkSymbolizedMappings(p);
  return p;
}

void MarkSymbolizedMappings(profile::Profile& p) {
  // A mapping counts as symbolized when every one of its locations has lines (and then
  // file names); a partly symbolized one stays unflagged so a symbolizer fills the rest.
  std::vector<uint8_t> has_locations(p.mappings.size(), 0), functions(p.mappings.size(), 1),
      files(p.mappings.size(), 1);
  for (const profile::Location& l : p.locations) {
    if (l.mapping == profile::kNone) continue;
    has_locations[l.mapping] = 1;
    if (l.num_lines == 0) functions[l.mapping] = files[l.mapping] = 0;
    for (const profile::Line& ln : p.Lines(l)) {
      if (p.functions[ln.function].filename == 0) files[l.mapping] = 0;
    }
  }
  for (size_t i = 0; i < p.mappings.size(); ++i) {
    profile::Mapping& m = p.mappings[i];
    m.has_functions = m.has_inline_frames = has_locations[i] && functions[i];
    m.has_filenames = m.has_line_numbers = m.has_functions && files[i];
  }
}

bool ParseHexAddresses(std::string_view s, size_t max, std::vector<uint64_t>* out) {
  size_t i = 0;
  while ((i = s.find("0x", i)) != std::string_view::npos) {
    size_t j = i + 2;
    while (j < s.size() && ((s[j] >= '0' && s[j] <= '9') || (s[j] >= 'a' && s[j] <= 'f'))) ++j;
    if (j == i + 2) {
      i = j;
      continue;
    }
    uint64_t a;
    if (out->size() >= max || !ParseInt(s.substr(i + 2, j - i - 2), &a, 16)) return false;
    out->push_back(a);
    i = j;
  }
  return true;
}

const char kCpuProfilerDropFrames[] =
    "ProfileData::Add|ProfileData::prof_handler|CpuProfiler::prof_handler|"
    "__pthread_sighandler|__restore";

const char kAllocDropFrames[] =
    "calloc|cfree|malloc|free|memalign|do_memalign|(__)?posix_memalign|pvalloc|valloc|realloc|"
    "tcmalloc::.*|tc_calloc|tc_cfree|tc_malloc|tc_free|tc_memalign|tc_posix_memalign|"
    "tc_pvalloc|tc_valloc|tc_realloc|tc_new|tc_delete|tc_newarray|tc_deletearray|"
    "tc_new_nothrow|tc_newarray_nothrow|malloc_zone_malloc|malloc_zone_calloc|"
    "malloc_zone_valloc|malloc_zone_realloc|malloc_zone_memalign|malloc_zone_free|"
    "runtime\\..*|BaseArena::.*|(::)?do_malloc_no_errno|(::)?do_malloc_pages|(::)?do_malloc|"
    "DoSampledAllocation|MallocedMemBlock::MallocedMemBlock|_M_allocate|"
    "__builtin_(vec_)?delete|__builtin_(vec_)?new|__gnu_cxx::new_allocator::allocate|"
    "__libc_malloc|__malloc_alloc_template::allocate|allocate|cpp_alloc|"
    "operator new(\\[\\])?|simple_alloc::allocate";

const char kAllocKeepFrames[] = "runtime\\.panic|runtime\\.reflectcall|runtime\\.call[0-9]*";

const char kLockDropFrames[] =
    "RecordLockProfileData|(base::)?RecordLockProfileData.*|(base::)?SubmitMutexProfileData.*|"
    "(base::)?SubmitSpinLockProfileData.*|(base::Mutex::)?AwaitCommon.*|"
    "(base::Mutex::)?Unlock.*|(base::Mutex::)?UnlockSlow.*|(base::Mutex::)?ReaderUnlock.*|"
    "(base::MutexLock::)?~MutexLock.*|(Mutex::)?AwaitCommon.*|(Mutex::)?Unlock.*|"
    "(Mutex::)?UnlockSlow.*|(Mutex::)?ReaderUnlock.*|(MutexLock::)?~MutexLock.*|"
    "(SpinLock::)?Unlock.*|(SpinLock::)?SlowUnlock.*|(SpinLockHolder::)?~SpinLockHolder.*";

}  // namespace hearth::formats::legacy
