#pragma once

// Test-only JFR writer: builds small chunks with a chosen type table, constant pools and
// events, in compressed (LEB128) or fixed-width integers, so tests can state exactly what a
// recording contains and corrupt one part of it at a time. Layout as in formats/jfr_chunk.h.
//
// Event sizes are written as 4-byte padded LEB128 and checkpoint deltas as 9-byte padded
// LEB128 (both legal encodings, and what HotSpot does for sizes), so a test can patch a
// delta in place (PatchDelta) to make a cyclic constant-pool chain.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::formats::jfr::testing {

// Field values of one event or constant, encoded as the chunk will read them.
class Bytes {
 public:
  explicit Bytes(bool compressed = true) : compressed_(compressed) {}

  Bytes& U8(uint8_t v) {
    data_.push_back(static_cast<char>(v));
    return *this;
  }
  Bytes& Boolean(bool v) { return U8(v ? 1 : 0); }
  Bytes& Int(int32_t v) {
    return compressed_ ? Leb(static_cast<uint32_t>(v)) : BigEndian(static_cast<uint32_t>(v), 4);
  }
  Bytes& Long(int64_t v) {
    return compressed_ ? Leb(static_cast<uint64_t>(v)) : BigEndian(static_cast<uint64_t>(v), 8);
  }
  Bytes& Char(uint16_t v) { return compressed_ ? Leb(v) : BigEndian(v, 2); }
  // A java.lang.String, UTF-8 encoded (tag 3).
  Bytes& Str(std::string_view s) {
    U8(3).Int(static_cast<int32_t>(s.size()));
    data_.append(s);
    return *this;
  }
  Bytes& Latin1(std::string_view s) {
    U8(5).Int(static_cast<int32_t>(s.size()));
    data_.append(s);
    return *this;
  }
  Bytes& Utf16(const std::vector<uint16_t>& chars) {
    U8(4).Int(static_cast<int32_t>(chars.size()));
    for (uint16_t c : chars) Char(c);
    return *this;
  }
  Bytes& NullStr() { return U8(0); }
  // A reference into the java.lang.String constant pool (tag 2).
  Bytes& StrRef(int64_t key) { return U8(2).Long(key); }
  Bytes& Raw(std::string_view s) {
    data_.append(s);
    return *this;
  }
  Bytes& Leb(uint64_t v) {
    while (v >= 0x80) {
      U8(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    return U8(static_cast<uint8_t>(v));
  }
  // LEB128 padded to `n` bytes (n <= 8), or the full 9-byte form for n == 9.
  Bytes& PaddedLeb(uint64_t v, int n) {
    for (int i = 0; i < n - 1 && i < 8; ++i) {
      U8(static_cast<uint8_t>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    return U8(static_cast<uint8_t>(n == 9 ? v : v & 0x7f));
  }
  Bytes& BigEndian(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) U8(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }

  const std::string& data() const { return data_; }
  bool compressed() const { return compressed_; }

 private:
  bool compressed_;
  std::string data_;
};

struct FieldSpec {
  std::string name;
  int64_t type_id = 0;
  bool constant_pool = false;
  bool array = false;
};

struct TypeSpec {
  int64_t id = 0;
  std::string name;
  std::vector<FieldSpec> fields;
};

// Type ids of StandardTypes() (the JDK's numbering differs; only consistency matters).
enum TypeId : int64_t {
  kLong = 1,
  kInt = 2,
  kBoolean = 3,
  kString = 4,
  kThread = 10,
  kSymbol = 11,
  kPackage = 12,
  kClass = 13,
  kMethod = 14,
  kFrameType = 15,
  kStackFrame = 16,
  kStackTrace = 17,
  kThreadState = 18,
  kExecutionSample = 100,
  kActiveSetting = 101,
  kAllocationSample = 102,
  kMonitorEnter = 103,
};

// The JDK 17 shapes of the types a profile needs.
inline std::vector<TypeSpec> StandardTypes() {
  return {
      {kLong, "long", {}},
      {kInt, "int", {}},
      {kBoolean, "boolean", {}},
      {kString, "java.lang.String", {}},
      {kThread,
       "java.lang.Thread",
       {{"osName", kString},
        {"osThreadId", kLong},
        {"javaName", kString},
        {"javaThreadId", kLong}}},
      {kSymbol, "jdk.types.Symbol", {{"string", kString}}},
      {kPackage, "jdk.types.Package", {{"name", kSymbol, true}}},
      {kClass,
       "java.lang.Class",
       {{"name", kSymbol, true}, {"package", kPackage, true}, {"hidden", kBoolean}}},
      {kMethod,
       "jdk.types.Method",
       {{"type", kClass, true},
        {"name", kSymbol, true},
        {"descriptor", kSymbol, true},
        {"hidden", kBoolean}}},
      {kFrameType, "jdk.types.FrameType", {{"description", kString}}},
      {kStackFrame,
       "jdk.types.StackFrame",
       {{"method", kMethod, true}, {"lineNumber", kInt}, {"type", kFrameType, true}}},
      {kStackTrace,
       "jdk.types.StackTrace",
       {{"truncated", kBoolean}, {"frames", kStackFrame, false, true}}},
      {kThreadState, "jdk.types.ThreadState", {{"name", kString}}},
      {kExecutionSample,
       "jdk.ExecutionSample",
       {{"startTime", kLong},
        {"sampledThread", kThread, true},
        {"stackTrace", kStackTrace, true},
        {"state", kThreadState, true}}},
      {kActiveSetting,
       "jdk.ActiveSetting",
       {{"startTime", kLong}, {"id", kLong}, {"name", kString}, {"value", kString}}},
      {kAllocationSample,
       "jdk.ObjectAllocationSample",
       {{"startTime", kLong},
        {"eventThread", kThread, true},
        {"stackTrace", kStackTrace, true},
        {"objectClass", kClass, true},
        {"weight", kLong}}},
      {kMonitorEnter,
       "jdk.JavaMonitorEnter",
       {{"startTime", kLong},
        {"duration", kLong},
        {"eventThread", kThread, true},
        {"stackTrace", kStackTrace, true}}},
  };
}

// One pool of a checkpoint: type id and (key, encoded value) pairs.
struct Pool {
  int64_t type_id = 0;
  std::vector<std::pair<int64_t, std::string>> constants;
  int32_t claimed_count = -1;  // If >= 0, the count written instead of constants.size().
};

class ChunkWriter {
 public:
  explicit ChunkWriter(std::vector<TypeSpec> types = StandardTypes(), bool compressed = true)
      : types_(std::move(types)), compressed_(compressed) {
    body_.assign(68, '\0');  // Header, written by Finish.
  }

  Bytes NewBytes() const { return Bytes(compressed_); }

  // Appends an event; returns its offset.
  size_t Event(int64_t type_id, const Bytes& fields) {
    Bytes b(compressed_);
    b.Long(type_id).Raw(fields.data());
    return Append(b.data());
  }

  // Appends a checkpoint chained to the previous one; returns its offset.
  size_t Checkpoint(const std::vector<Pool>& pools) {
    Bytes b(compressed_);
    b.Long(1).Long(0).Long(0);
    size_t delta_at = b.data().size();
    // 0 ends the chain; patched below once this checkpoint's offset is known.
    if (compressed_) {
      b.PaddedLeb(0, 9);
    } else {
      b.BigEndian(0, 8);
    }
    b.U8(0).Int(static_cast<int32_t>(pools.size()));
    for (const Pool& p : pools) {
      b.Long(p.type_id).Int(p.claimed_count >= 0 ? p.claimed_count
                                                 : static_cast<int32_t>(p.constants.size()));
      for (const auto& [key, value] : p.constants) b.Long(key).Raw(value);
    }
    size_t offset = Append(b.data());
    delta_offsets_.push_back(offset + kSizeBytes + delta_at);
    if (!checkpoints_.empty()) {
      PatchDeltaAt(checkpoints_.size(),
                   static_cast<int64_t>(checkpoints_.back()) - static_cast<int64_t>(offset));
    }
    checkpoints_.push_back(offset);
    return offset;
  }

  // Rewrites checkpoint i's delta (i in creation order) in place.
  void PatchDelta(size_t i, int64_t delta) { PatchDeltaAt(i, delta); }
  const std::vector<size_t>& checkpoints() const { return checkpoints_; }

  // Appends the metadata event and fills in the header. Header fields may be patched by the
  // test afterwards (offsets as in jfr_chunk.h).
  std::string Finish() {
    size_t metadata = Append(Metadata());
    Bytes h(false);
    h.Raw(std::string_view("FLR\0", 4)).BigEndian(2, 2).BigEndian(1, 2);
    h.BigEndian(body_.size(), 8);
    h.BigEndian(checkpoints_.empty() ? 0 : checkpoints_.back(), 8);
    h.BigEndian(metadata, 8);
    h.BigEndian(1'700'000'000'000'000'000, 8);  // Start, ns since the epoch.
    h.BigEndian(5'000'000'000, 8);              // Duration.
    h.BigEndian(1000, 8);                       // Start ticks.
    h.BigEndian(1'000'000'000, 8);              // Ticks per second.
    h.U8(0).U8(0).U8(0).U8(compressed_ ? 1 : 0);
    std::string out = body_;
    out.replace(0, 68, h.data());
    return out;
  }

 private:
  static constexpr size_t kSizeBytes = 4;

  size_t Append(const std::string& event) {
    size_t offset = body_.size();
    Bytes size(compressed_);
    uint64_t total = event.size() + kSizeBytes;
    if (compressed_) {
      size.PaddedLeb(total, 4);
    } else {
      size.BigEndian(total, 4);
    }
    body_ += size.data();
    body_ += event;
    return offset;
  }

  void PatchDeltaAt(size_t i, int64_t delta) {
    Bytes d(compressed_);
    if (compressed_) {
      d.PaddedLeb(static_cast<uint64_t>(delta), 9);
    } else {
      d.BigEndian(static_cast<uint64_t>(delta), 8);
    }
    body_.replace(delta_offsets_[i], d.data().size(), d.data());
  }

  // The metadata event: string table, then root > metadata > class > field elements.
  std::string Metadata() {
    std::map<std::string, int32_t> index;
    std::vector<std::string> strings;
    auto str = [&](const std::string& s) {
      auto [it, added] = index.emplace(s, static_cast<int32_t>(strings.size()));
      if (added) strings.push_back(s);
      return it->second;
    };
    Bytes tree(compressed_);
    using Attrs = std::vector<std::pair<std::string, std::string>>;
    auto element = [&](const std::string& name, const Attrs& attrs, int32_t children) {
      tree.Int(str(name)).Int(static_cast<int32_t>(attrs.size()));
      for (const auto& [k, v] : attrs) tree.Int(str(k)).Int(str(v));
      tree.Int(children);
    };
    element("root", {}, 2);
    element("metadata", {}, static_cast<int32_t>(types_.size()));
    for (const TypeSpec& t : types_) {
      element("class", {{"id", std::to_string(t.id)}, {"name", t.name}},
              static_cast<int32_t>(t.fields.size()));
      for (const FieldSpec& f : t.fields) {
        Attrs attrs = {{"name", f.name}, {"class", std::to_string(f.type_id)}};
        if (f.constant_pool) attrs.push_back({"constantPool", "true"});
        if (f.array) attrs.push_back({"dimension", "1"});
        element("field", attrs, 0);
      }
    }
    element("region", {{"locale", "en_US"}}, 0);
    Bytes b(compressed_);
    b.Long(0).Long(0).Long(0).Long(1).Int(static_cast<int32_t>(strings.size()));
    for (const std::string& s : strings) b.Str(s);
    b.Raw(tree.data());
    return b.data();
  }

  std::vector<TypeSpec> types_;
  bool compressed_;
  std::string body_;
  std::vector<size_t> checkpoints_;
  std::vector<size_t> delta_offsets_;  // Absolute offsets of each checkpoint's delta.
};

}  // namespace hearth::formats::jfr::testing
