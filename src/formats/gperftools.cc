#include "formats/gperftools.h"

#include <fmt/format.h>

#include <cstring>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "formats/legacy_common.h"
#include "formats/legacy_heap.h"
#include "profile/builder.h"

namespace hearth::formats {
namespace {

using legacy::RecordSet;

// One of the four word encodings a CPU profile may use.
struct WordReader {
  size_t size;  // 4 or 8
  bool big_endian;

  uint64_t At(const unsigned char* p) const {
    uint64_t v = 0;
    for (size_t i = 0; i < size; ++i) {
      size_t k = big_endian ? i : size - 1 - i;
      v = v << 8 | p[k];
    }
    return v;
  }
};

constexpr WordReader kEncodings[] = {{4, false}, {4, true}, {8, false}, {8, true}};

enum class Header { kNone, kCpp, kJava };

// Finds the encoding whose first five words are 0, 3, 0 (C++) or 1 (Java), period > 0, 0.
Header ReadHeader(std::string_view data, WordReader* reader, uint64_t* period_us) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  for (const WordReader& r : kEncodings) {
    if (data.size() < 5 * r.size) continue;
    uint64_t w[5];
    for (size_t i = 0; i < 5; ++i) w[i] = r.At(p + i * r.size);
    if (w[0] != 0 || w[1] != 3 || w[3] == 0 || w[4] != 0 || w[2] > 1) continue;
    *reader = r;
    *period_us = w[3];
    return w[2] == 0 ? Header::kCpp : Header::kJava;
  }
  return Header::kNone;
}

absl::Status RecordError(size_t record, size_t offset, std::string_view why) {
  return absl::InvalidArgumentError(
      fmt::format("gperftools cpu: record {} (byte {}): {}", record, offset, why));
}

// pprof's clean-up of the signal handler's traces: when (almost) every sample has the same
// address second, that frame was pushed by the handler, not the program.
void RemoveSignalHandlerFrame(RecordSet& records) {
  constexpr int kMaxIterations = 2;
  constexpr size_t kSimilarSamples = 32;  // Allow one odd sample per this many.
  const size_t n = records.records().size();
  const size_t margin = n / kSimilarSamples;
  for (int iter = 0; iter < kMaxIterations; ++iter) {
    absl::flat_hash_map<uint64_t, size_t> count;
    for (const RecordSet::Record& r : records.records()) {
      if (r.num_frames > 1) ++count[records.Frames(r)[1].address];
    }
    for (const auto& [address, c] : count) {
      if (c + margin < n) continue;
      for (RecordSet::Record& r : records.records()) {
        if (r.num_frames > 1 && records.Frames(r)[1].address == address) records.RemoveFrame(r, 1);
      }
      break;  // At most one address can be this common.
    }
  }
}

// The unwinder may report the leaf twice: once from the signal context and once, adjusted
// by -1 like a return address, from the stack.
void RemoveDuplicatedLeaf(RecordSet& records) {
  for (RecordSet::Record& r : records.records()) {
    auto f = records.Frames(r);
    if (f.size() > 1 && f[0].address == f[1].address + 1) records.RemoveFrame(r, 1);
  }
}

}  // namespace

bool LooksLikeGperftoolsCpu(std::string_view data) {
  WordReader r;
  uint64_t period;
  return ReadHeader(data, &r, &period) == Header::kCpp;
}

bool LooksLikeGperftoolsHeap(std::string_view data) {
  std::string_view first = data.substr(0, std::min(data.find('\n'), size_t{4096}));
  return legacy::IsHeapHeader(first);
}

bool LooksLikeGperftools(std::string_view data) {
  return LooksLikeGperftoolsCpu(data) || LooksLikeGperftoolsHeap(data);
}

absl::StatusOr<profile::Profile> ParseGperftoolsCpu(std::string_view data,
                                                    const GperftoolsOptions& o) {
  if (data.size() > o.max_input_bytes) {
    return absl::ResourceExhaustedError(
        fmt::format("gperftools cpu: input of {} bytes is over the limit of {}", data.size(),
                    o.max_input_bytes));
  }
  WordReader w;
  uint64_t period_us = 0;
  switch (ReadHeader(data, &w, &period_us)) {
    case Header::kNone:
      return absl::InvalidArgumentError(
          "gperftools cpu: no profile header (words 0, 3, 0, <period>, 0 of 4 or 8 bytes)");
    case Header::kJava:
      return absl::UnimplementedError("gperftools cpu: Java CPU profiles are not supported");
    case Header::kCpp: break;
  }
  // pprof keeps the period in a signed 64-bit field, in nanoseconds.
  const int64_t period_ns = static_cast<int64_t>(period_us * 1000);

  profile::ProfileBuilder b;
  profile::Profile& p = b.profile();
  p.period_type = {b.Str("cpu"), b.Str("nanoseconds")};
  p.period = period_ns;
  p.sample_types.push_back({b.Str("samples"), b.Str("count")});
  p.sample_types.push_back({b.Str("cpu"), b.Str("nanoseconds")});
  p.drop_frames = b.Str(legacy::kCpuProfilerDropFrames);

  RecordSet records(2);
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  size_t pos = 5 * w.size;
  const size_t words = data.size() / w.size;
  size_t record = 0;
  while (pos < data.size()) {
    ++record;
    const size_t start = pos;
    if (pos + 2 * w.size > data.size())
      return RecordError(record, start, "truncated record header");
    uint64_t count = w.At(bytes + pos);
    uint64_t npcs = w.At(bytes + pos + w.size);
    pos += 2 * w.size;
    if (npcs > words || pos + npcs * w.size > data.size()) {
      return RecordError(record, start,
                         fmt::format("{} addresses announced, more than the input holds", npcs));
    }
    if (count == 0 && npcs == 1 && w.At(bytes + pos) == 0) {
      pos += w.size;  // The trailer; the memory map follows.
      break;
    }
    if (npcs > o.max_frames) {
      return RecordError(record, start,
                         fmt::format("{} addresses, over the limit of {}", npcs, o.max_frames));
    }
    if (records.records().size() >= o.max_records) {
      return absl::ResourceExhaustedError(fmt::format(
          "gperftools cpu: record {}: more than the limit of {} records", record, o.max_records));
    }
    for (uint64_t i = 0; i < npcs; ++i) {
      uint64_t pc = w.At(bytes + pos + i * w.size);
      records.AddFrame(i == 0 ? pc : pc - 1);  // Callers hold return addresses.
    }
    pos += npcs * w.size;
    // Go's int64 arithmetic wraps; so does this.
    int64_t values[2] = {static_cast<int64_t>(count),
                         static_cast<int64_t>(count * static_cast<uint64_t>(period_ns))};
    records.EndRecord(values);
  }
  RemoveSignalHandlerFrame(records);

  std::vector<legacy::MapEntry> maps;
  if (pos < data.size()) {
    std::string_view text = data.substr(pos);
    legacy::MapLimits ml{o.max_map_lines, o.max_line_bytes};
    absl::Status s = legacy::ParseMemoryMap(text, 1, ml, "gperftools cpu (memory map)", &maps);
    if (!s.ok()) return s;
  }
  // Mappings are assigned before the duplicated leaves go, as pprof does: it matters only
  // for which regions a location-less address could still extend.
  legacy::MappedAddresses mapped = legacy::AssignMappings(records, std::move(maps));
  RemoveDuplicatedLeaf(records);
  return legacy::EmitProfile(records, mapped, b);
}

absl::StatusOr<profile::Profile> ParseGperftoolsHeap(std::string_view data,
                                                     const GperftoolsOptions& o) {
  legacy::TextLimits limits{o.max_input_bytes, o.max_line_bytes, o.max_frames, o.max_records,
                            o.max_map_lines};
  return legacy::ParseLegacyHeap(data, limits, "gperftools heap");
}

absl::StatusOr<profile::Profile> ParseGperftools(std::string_view data,
                                                 const GperftoolsOptions& o) {
  if (LooksLikeGperftoolsCpu(data)) return ParseGperftoolsCpu(data, o);
  if (LooksLikeGperftoolsHeap(data)) return ParseGperftoolsHeap(data, o);
  return absl::InvalidArgumentError(
      "gperftools: neither a CPU profile header nor a \"heap profile:\" line");
}

}  // namespace hearth::formats
