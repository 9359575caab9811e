// JFR events -> profiles. The chunk layer (jfr_chunk.cc) hands over decoded events and
// constant pools, jfr_symbols.cc resolves stack traces, methods, classes and threads through
// them, and this file feeds one ProfileBuilder per event kind.

#include "formats/jfr.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <span>

#include "absl/container/flat_hash_map.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "formats/jfr_chunk.h"
#include "formats/jfr_symbols.h"
#include "profile/builder.h"

namespace hearth::formats {
namespace {

using jfr::Chunk;
using jfr::ClassInfo;
using jfr::Frame;
using jfr::Kind;
using jfr::kNoStack;
using jfr::MethodInfo;
using jfr::StackInfo;
using jfr::Symbols;
using jfr::Value;

// Where an event's second value comes from.
enum class Weight { kPeriod, kField, kDuration };

struct KindSpec {
  std::string_view kind;
  std::string_view event;
  std::string_view count_type;  // values[0] = 1 per event, unit "count".
  std::string_view value_type;  // values[1].
  std::string_view value_unit;
  std::string_view period_type;
  std::string_view period_unit;
  Weight weight;
  std::string_view weight_field;  // For Weight::kField.
  bool allocation;                // Has an objectClass field.
  bool sampled;                   // A periodic thread sample (thread state applies).
};

// The table in jfr.h; the order is the order of ParseJfr's result.
constexpr KindSpec kKinds[] = {
    {"cpu", "jdk.ExecutionSample", "samples", "cpu", "nanoseconds", "cpu", "nanoseconds",
     Weight::kPeriod, "", false, true},
    {"native", "jdk.NativeMethodSample", "samples", "wall", "nanoseconds", "wall", "nanoseconds",
     Weight::kPeriod, "", false, true},
    {"alloc", "jdk.ObjectAllocationSample", "alloc_samples", "alloc_space", "bytes", "space",
     "bytes", Weight::kField, "weight", true, false},
    {"alloc_in_new_tlab", "jdk.ObjectAllocationInNewTLAB", "alloc_in_new_tlab_objects",
     "alloc_in_new_tlab_bytes", "bytes", "space", "bytes", Weight::kField, "tlabSize", true, false},
    {"alloc_outside_tlab", "jdk.ObjectAllocationOutsideTLAB", "alloc_outside_tlab_objects",
     "alloc_outside_tlab_bytes", "bytes", "space", "bytes", Weight::kField, "allocationSize", true,
     false},
    {"lock", "jdk.JavaMonitorEnter", "contentions", "delay", "nanoseconds", "contentions", "count",
     Weight::kDuration, "", false, false},
    {"park", "jdk.ThreadPark", "contentions", "delay", "nanoseconds", "contentions", "count",
     Weight::kDuration, "", false, false},
};
constexpr size_t kNumKinds = std::size(kKinds);
constexpr size_t kCpu = 0;
constexpr size_t kNative = 1;

absl::Status InField(std::string_view field, const absl::Status& s) {
  return absl::Status(s.code(), fmt::format("field {}: {}", field, jfr::Message(s)));
}

// "10 ms" -> 10'000'000. False for anything else ("off", "everyChunk", "300/s").
bool ParsePeriodNs(std::string_view s, int64_t* ns) {
  s = TrimSpace(s);
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  int64_t n = 0;
  if (!ParseInt(s.substr(0, digits), &n)) return false;
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"ns", 1},
      {"us", 1'000},
      {"ms", 1'000'000},
      {"s", 1'000'000'000},
      {"m", int64_t{60} * 1'000'000'000},
      {"h", int64_t{3600} * 1'000'000'000},
      {"d", int64_t{86400} * 1'000'000'000},
  };
  std::string_view unit = TrimSpace(s.substr(digits));
  for (const auto& [name, scale] : kUnits) {
    if (unit == name && n > 0 && n <= INT64_MAX / scale) {
      *ns = n * scale;
      return true;
    }
  }
  return false;
}

// One output profile under construction, with per-chunk maps from Symbols indices to
// builder indices.
struct KindState {
  const KindSpec* spec = nullptr;
  profile::ProfileBuilder b;
  bool seen = false;
  std::vector<uint32_t> method_fn;    // Method index -> function index (kNone: not yet).
  std::vector<uint32_t> stack_begin;  // Stack index -> range in loc_pool (kNoStack: not yet).
  std::vector<uint32_t> stack_size;
  std::vector<uint32_t> loc_pool;

  void StartChunk() {
    method_fn.clear();
    stack_begin.clear();
    stack_size.clear();
    loc_pool.clear();
  }
};

class Converter {
 public:
  explicit Converter(const JfrOptions& o) : o_(o) {
    for (size_t i = 0; i < kNumKinds; ++i) kinds_[i].spec = &kKinds[i];
  }

  absl::Status AddChunk(Chunk& c, size_t* events) {
    const jfr::Metadata& md = c.metadata();
    std::vector<int> kind_of_type(md.types.size(), -1);
    for (size_t k = 0; k < kNumKinds; ++k) {
      if (const jfr::TypeDef* t = md.FindByName(kKinds[k].event)) {
        kind_of_type[t - md.types.data()] = static_cast<int>(k);
      }
    }
    const jfr::TypeDef* setting = md.FindByName("jdk.ActiveSetting");
    const int64_t setting_type = setting == nullptr ? -1 : setting - md.types.data();
    for (KindState& k : kinds_) k.StartChunk();
    start_ns_ = std::min(start_ns_, c.header().start_ns);
    end_ns_ = std::max(end_ns_, __int128{c.header().start_ns} + c.header().duration_ns);
    ticks_per_second_ = c.header().ticks_per_second;

    Symbols symbols(c, o_.limits);
    return c.ForEachEvent(events, [&](const Chunk::Event& e) -> absl::Status {
      const int kind = kind_of_type[e.type];
      if (kind < 0 && e.type != setting_type) return absl::OkStatus();
      const Chunk::ArenaMark mark = c.Mark();
      absl::StatusOr<Value> event = c.DecodeEvent(e);
      absl::Status s = event.status();
      if (s.ok()) {
        s = kind >= 0 ? AddSample(c, symbols, kinds_[kind], *event) : AddSetting(c, *event);
        if (!s.ok()) {
          s = c.Error(fmt::format("event at offset {} ({}): {}", e.offset, md.types[e.type].name,
                                  jfr::Message(s)));
        }
      }
      c.Release(mark);
      return s;
    });
  }

  std::vector<JfrProfile> Finish() {
    std::vector<JfrProfile> out;
    for (size_t i = 0; i < kNumKinds; ++i) {
      KindState& k = kinds_[i];
      if (!k.seen) continue;
      profile::Profile p = k.b.Finish();
      p.time_nanos = start_ns_;
      p.duration_nanos =
          static_cast<int64_t>(std::clamp<__int128>(end_ns_ - start_ns_, 0, INT64_MAX));
      if (k.spec->weight == Weight::kPeriod) {
        int64_t period = i == kCpu ? kDefaultCpuPeriodNs : kDefaultNativePeriodNs;
        if (setting_period_ns_[i] > 0) period = setting_period_ns_[i];
        if (i == kCpu && o_.cpu_period_ns > 0) period = o_.cpu_period_ns;
        p.period = period;
        // Every sample is count x period; filled in now that all settings have been seen.
        for (const profile::Sample& s : p.samples) {
          auto values = p.MutableValues(s);
          values[1] = static_cast<int64_t>(static_cast<uint64_t>(values[0]) *
                                           static_cast<uint64_t>(period));  // Wraps like Go.
        }
      } else if (k.spec->weight == Weight::kDuration) {
        p.period = 1;
      }
      out.push_back({std::string(k.spec->kind), std::string(k.spec->event), std::move(p)});
    }
    return out;
  }

 private:
  absl::Status AddSetting(const Chunk& c, const Value& event) {
    auto text = [&](std::string_view field) -> std::string_view {
      absl::StatusOr<Value> v = c.Deref(c.Field(event, field));
      return v.ok() ? c.Text(*v) : std::string_view();
    };
    int64_t period = 0;
    if (text("name") != "period" || !ParsePeriodNs(text("value"), &period)) {
      return absl::OkStatus();
    }
    auto it = c.metadata().by_id.find(c.Field(event, "id").AsInt());
    if (it == c.metadata().by_id.end()) return absl::OkStatus();
    for (size_t i : {kCpu, kNative}) {
      // Overlapping recordings sample at the fastest rate any of them asked for.
      if (c.metadata().types[it->second].name == kKinds[i].event &&
          (setting_period_ns_[i] == 0 || period < setting_period_ns_[i])) {
        setting_period_ns_[i] = period;
      }
    }
    return absl::OkStatus();
  }

  absl::Status AddSample(const Chunk& c, Symbols& symbols, KindState& k, const Value& event) {
    profile::ProfileBuilder& b = k.b;
    if (!k.seen) {
      k.seen = true;
      profile::Profile& p = b.profile();
      p.sample_types = {{b.Str(k.spec->count_type), b.Str("count")},
                        {b.Str(k.spec->value_type), b.Str(k.spec->value_unit)}};
      p.period_type = {b.Str(k.spec->period_type), b.Str(k.spec->period_unit)};
    }
    labels_.clear();
    if (o_.thread_labels) {
      std::string_view field = "sampledThread";
      Value thread = c.Field(event, field);
      if (thread.kind == Kind::kNull) thread = c.Field(event, field = "eventThread");
      absl::StatusOr<std::string_view> name = symbols.Thread(thread);
      if (!name.ok()) return InField(field, name.status());
      if (!name->empty()) labels_.push_back({.key = b.Str("thread"), .str = b.Str(*name)});
    }
    if (o_.thread_state_labels && k.spec->sampled) {
      absl::StatusOr<std::string_view> state = symbols.State(c.Field(event, "state"));
      if (!state.ok()) return InField("state", state.status());
      if (!state->empty()) labels_.push_back({.key = b.Str("thread_state"), .str = b.Str(*state)});
    }
    std::string_view class_name;
    if (k.spec->allocation) {
      absl::StatusOr<const ClassInfo*> cls = symbols.Class(c.Field(event, "objectClass"));
      if (!cls.ok()) return InField("objectClass", cls.status());
      if (*cls != nullptr) class_name = (*cls)->name;
      if (!o_.alloc_class_as_frame && !class_name.empty()) {
        labels_.push_back({.key = b.Str("object_class"), .str = b.Str(class_name)});
      }
    }
    std::array<int64_t, 2> values = {1, 0};
    if (k.spec->weight == Weight::kField) {
      values[1] = c.Field(event, k.spec->weight_field).AsInt();
    } else if (k.spec->weight == Weight::kDuration) {
      __int128 ns = static_cast<__int128>(c.Field(event, "duration").AsInt()) * 1'000'000'000 /
                    ticks_per_second_;
      values[1] = static_cast<int64_t>(std::clamp<__int128>(ns, INT64_MIN, INT64_MAX));
    }
    absl::StatusOr<uint32_t> stack = symbols.Stack(c.Field(event, "stackTrace"));
    if (!stack.ok()) return InField("stackTrace", stack.status());
    stack_.clear();
    if (o_.alloc_class_as_frame && !class_name.empty()) {
      stack_.push_back(b.AddFrame(fmt::format("new {}", class_name)));
    }
    std::span<const uint32_t> locations = Locations(symbols, k, *stack);
    stack_.insert(stack_.end(), locations.begin(), locations.end());
    b.AddSample(stack_, values, labels_);
    return absl::OkStatus();
  }

  // The builder locations of a stack, leaf first, built once per stack per chunk.
  std::span<const uint32_t> Locations(const Symbols& symbols, KindState& k, uint32_t stack) {
    if (stack == kNoStack) return {};
    if (stack < k.stack_begin.size() && k.stack_begin[stack] != kNoStack) {
      return {k.loc_pool.data() + k.stack_begin[stack], k.stack_size[stack]};
    }
    const StackInfo& info = symbols.stack(stack);
    const size_t begin = k.loc_pool.size();
    lines_.clear();
    for (const Frame& f : symbols.frames(info)) {
      const MethodInfo& m = symbols.method(f.method);
      if (o_.drop_hidden_frames && m.hidden) continue;
      if (f.method >= k.method_fn.size()) k.method_fn.resize(f.method + 1, profile::kNone);
      uint32_t& fn = k.method_fn[f.method];
      if (fn == profile::kNone) {
        fn = k.b.AddFunction(k.b.Str(m.name), k.b.Str(m.system_name), k.b.Str(m.file), 0);
      }
      lines_.push_back({.function = fn, .line = f.line});
      // An inlined frame shares the location of the frame it was inlined into (next).
      if (o_.merge_inlined_frames && f.inlined) continue;
      k.loc_pool.push_back(k.b.AddLocation(profile::kNone, 0, lines_));
      lines_.clear();
    }
    if (!lines_.empty()) k.loc_pool.push_back(k.b.AddLocation(profile::kNone, 0, lines_));
    if (info.truncated && o_.mark_truncated_stacks) {
      k.loc_pool.push_back(k.b.AddFrame("[truncated]"));
    }
    if (stack >= k.stack_begin.size()) {
      k.stack_begin.resize(stack + 1, kNoStack);
      k.stack_size.resize(stack + 1, 0);
    }
    k.stack_begin[stack] = static_cast<uint32_t>(begin);
    k.stack_size[stack] = static_cast<uint32_t>(k.loc_pool.size() - begin);
    return {k.loc_pool.data() + begin, k.loc_pool.size() - begin};
  }

  const JfrOptions& o_;
  std::array<KindState, kNumKinds> kinds_;
  std::array<int64_t, kNumKinds> setting_period_ns_ = {};
  int64_t start_ns_ = INT64_MAX;
  __int128 end_ns_ = INT64_MIN;  // Header values are untrusted: no overflow.
  int64_t ticks_per_second_ = 1;
  std::vector<profile::Label> labels_;
  std::vector<profile::Line> lines_;
  std::vector<uint32_t> stack_;
};

}  // namespace

std::vector<JfrKind> JfrKinds() {
  std::vector<JfrKind> out;
  for (const KindSpec& k : kKinds) out.push_back({k.kind, k.event});
  return out;
}

bool LooksLikeJfr(std::string_view data) {
  return data.size() >= 4 && data.substr(0, 4) == std::string_view("FLR\0", 4);
}

absl::StatusOr<std::vector<JfrProfile>> ParseJfr(std::string_view data, const JfrOptions& o) {
  std::string inflated;
  if (IsGzip(data)) {
    HEARTH_ASSIGN_OR_RETURN(inflated, GzipDecompress(data, o.limits.decompress));
    data = inflated;
  }
  if (data.size() > o.limits.max_input_bytes) {
    return absl::ResourceExhaustedError(fmt::format("jfr: {} bytes, more than the limit of {}",
                                                    data.size(), o.limits.max_input_bytes));
  }
  if (!LooksLikeJfr(data)) {
    return absl::InvalidArgumentError("jfr: not a JFR recording (no \"FLR\\0\" magic)");
  }
  Converter converter(o);
  size_t offset = 0, index = 0, events = 0;
  while (offset < data.size()) {
    if (index == o.limits.max_chunks) {
      return absl::ResourceExhaustedError(
          fmt::format("jfr: more than the limit of {} chunks", o.limits.max_chunks));
    }
    HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<Chunk> chunk,
                            Chunk::Open(data.substr(offset), index, o.limits));
    HEARTH_RETURN_IF_ERROR(converter.AddChunk(*chunk, &events));
    offset += chunk->header().size;
    ++index;
  }
  return converter.Finish();
}

absl::StatusOr<profile::Profile> ParseJfrProfile(std::string_view data, const JfrOptions& o) {
  std::string kinds, events;
  bool known = o.event.empty();
  for (const KindSpec& k : kKinds) {
    known |= o.event == k.kind || o.event == k.event;
    kinds += fmt::format("{}{}", kinds.empty() ? "" : ", ", k.kind);
    events += fmt::format("{}{}", events.empty() ? "" : ", ", k.event);
  }
  if (!known) {
    return absl::InvalidArgumentError(
        fmt::format("jfr: unknown event kind \"{}\" (one of: {})", o.event, kinds));
  }
  HEARTH_ASSIGN_OR_RETURN(std::vector<JfrProfile> all, ParseJfr(data, o));
  if (all.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("jfr: the recording has no profiling events ({})", events));
  }
  for (JfrProfile& p : all) {
    if (o.event.empty() ? p.kind == kKinds[kCpu].kind : o.event == p.kind || o.event == p.event) {
      return std::move(p.profile);
    }
  }
  if (o.event.empty()) return std::move(all.front().profile);
  std::string present;
  for (const JfrProfile& p : all) {
    present += fmt::format("{}{} ({})", present.empty() ? "" : ", ", p.kind, p.event);
  }
  return absl::NotFoundError(
      fmt::format("jfr: no {} events in the recording; it has {}", o.event, present));
}

}  // namespace hearth::formats
