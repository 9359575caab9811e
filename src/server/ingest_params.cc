#include "server/ingest_params.h"

#include <cctype>
#include <chrono>

#include "base/fmt.h"
#include "base/proto_wire.h"
#include "base/strings.h"
#include "formats/json_dom.h"
#include "storage/schema.h"

namespace hearth::server {
namespace {

constexpr int64_t kSecondNs = 1'000'000'000;

absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

// Printable form of a byte for "character is not allowed" messages.
std::string CharName(char c) {
  if (std::isprint(static_cast<unsigned char>(c))) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02x}", static_cast<unsigned char>(c));
}

bool IsLabelNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

// Pyroscope's ValidateServiceName: label-name characters plus '-' and '/'.
absl::Status CheckAppName(std::string_view app) {
  if (app.empty()) {
    return Invalid("name: the application name is required, e.g. name=my-app.cpu{env=prod}");
  }
  for (char c : app) {
    if (!IsLabelNameChar(c) && c != '-' && c != '/') {
      return Invalid(fmt::format(
          "name: application name \"{}\" has a character that is not allowed: {} (allowed: "
          "letters, digits and _ . - /)",
          app, CharName(c)));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckLabelName(std::string_view key) {
  if (key.empty()) return Invalid("name: a label has an empty name (labels look like {k=v,k2=v2})");
  for (char c : key) {
    if (!IsLabelNameChar(c)) {
      return Invalid(fmt::format(
          "name: label name \"{}\" has a character that is not allowed: {} (allowed: letters, "
          "digits, _ and .)",
          key, CharName(c)));
    }
  }
  return absl::OkStatus();
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Seconds per offset unit, matched by prefix in Pyroscope's order (so "ms" is minutes there
// too); 0 for an unknown unit.
int64_t UnitSeconds(std::string_view unit) {
  if (unit.starts_with("s")) return 1;
  if (unit.starts_with("mon") || unit.starts_with("M")) return 30 * 86400;
  if (unit.starts_with("min") || unit.starts_with("m")) return 60;
  if (unit.starts_with("h")) return 3600;
  if (unit.starts_with("d")) return 86400;
  if (unit.starts_with("w")) return 7 * 86400;
  if (unit.starts_with("y")) return 365 * 86400;
  return 0;
}

absl::StatusOr<int64_t> ParseOffsetSeconds(std::string_view text, std::string_view offset) {
  int64_t sign = 1;
  if (offset.front() == '-') sign = -1;
  offset.remove_prefix(1);
  if (offset.empty()) return Invalid(fmt::format("time \"{}\": nothing after the sign", text));
  int64_t total = 0;
  while (!offset.empty()) {
    size_t digits = 0;
    while (digits < offset.size() && std::isdigit(static_cast<unsigned char>(offset[digits]))) {
      ++digits;
    }
    size_t letters = digits;
    while (letters < offset.size() && std::isalpha(static_cast<unsigned char>(offset[letters]))) {
      ++letters;
    }
    std::string_view number = offset.substr(0, digits);
    std::string_view unit = offset.substr(digits, letters - digits);
    int64_t n = 0;
    if (number.empty() || number.size() > 9 || !ParseInt(number, &n)) {
      return Invalid(fmt::format(
          "time \"{}\": expected a number and a unit after the sign, like now-1h or now-30m",
          text));
    }
    const int64_t mult = UnitSeconds(unit);
    if (mult == 0) {
      return Invalid(fmt::format(
          "time \"{}\": unknown unit \"{}\" (use s, m/min, h, d, w, mon/M or y)", text, unit));
    }
    // Past ~290 years the result no longer fits in int64 nanoseconds.
    if (__builtin_add_overflow(total, n * mult, &total) || total > INT64_MAX / kSecondNs / 2) {
      return Invalid(fmt::format("time \"{}\": the offset is out of range", text));
    }
    offset.remove_prefix(letters);
  }
  return sign * total;
}

std::string_view StripNs(std::string_view s, std::string* buf) {
  buf->clear();
  for (char c : s) {
    if (c != '_' && c != ',' && c != ' ') buf->push_back(c);
  }
  return *buf;
}

}  // namespace

absl::StatusOr<PyroscopeName> ParsePyroscopeName(std::string_view name) {
  enum class State { kApp, kKey, kValue, kDone };
  PyroscopeName out;
  State state = State::kApp;
  std::string key, value;
  // A trailing '{' ends a name without labels, exactly as Pyroscope appends one.
  auto step = [&](char c) -> absl::Status {
    switch (state) {
      case State::kApp:
        if (c != '{') {
          value.push_back(c);
          break;
        }
        out.app = std::string(TrimSpace(value));
        if (auto s = CheckAppName(out.app); !s.ok()) return s;
        state = State::kKey;
        break;
      case State::kKey:
        if (c == '}') {
          state = State::kDone;
        } else if (c == '=') {
          state = State::kValue;
          value.clear();
        } else {
          key.push_back(c);
        }
        break;
      case State::kValue: {
        if (c != ',' && c != '}') {
          value.push_back(c);
          break;
        }
        // Pyroscope goes back to reading a key even after '}': "a{x=1}y=2}" has y=2.
        state = State::kKey;
        std::string k(TrimSpace(key));
        std::string v(TrimSpace(value));
        key.clear();
        if (k == storage::kNameLabel) {
          if (auto s = CheckAppName(v); !s.ok()) return s;
          out.app = std::move(v);
          break;
        }
        if (auto s = CheckLabelName(k); !s.ok()) return s;
        bool replaced = false;
        for (auto& [ek, ev] : out.labels) {
          if (ek == k) {
            ev = v;
            replaced = true;
          }
        }
        if (!replaced) out.labels.emplace_back(std::move(k), std::move(v));
        break;
      }
      case State::kDone: break;
    }
    return absl::OkStatus();
  };
  for (char c : name) {
    if (auto s = step(c); !s.ok()) return s;
  }
  if (auto s = step('{'); !s.ok()) return s;
  return out;
}

absl::StatusOr<int64_t> ParsePyroscopeTime(std::string_view text, int64_t now_ns) {
  std::string buf;
  std::string_view s = StripNs(TrimSpace(text), &buf);
  if (AllDigits(s)) {
    if (s.size() == 8) {
      using namespace std::chrono;
      int y = 0, m = 0, d = 0;
      (void)ParseInt(s.substr(0, 4), &y);
      (void)ParseInt(s.substr(4, 2), &m);
      (void)ParseInt(s.substr(6, 2), &d);
      const year_month_day date{year{y}, month{static_cast<unsigned>(m)},
                                day{static_cast<unsigned>(d)}};
      // Not a date (20231301): Pyroscope reads the digits as seconds instead.
      if (y > 1900 && date.ok()) {
        return int64_t{sys_days(date).time_since_epoch().count()} * 86400 * kSecondNs;
      }
    }
    int64_t v = 0;
    if (s.size() > 19 || !ParseInt(s, &v)) {
      return Invalid(fmt::format("time \"{}\" is out of range (at most 19 digits: ns)", text));
    }
    switch (s.size()) {
      case 13: return v * 1'000'000;
      case 16: return v * 1'000;
      case 19: return v;
      default:
        if (v > INT64_MAX / kSecondNs) {
          return Invalid(fmt::format(
              "time \"{}\": {} digits are read as seconds, which is out of range (use 13 "
              "digits for ms, 16 for µs, 19 for ns)",
              text, s.size()));
        }
        return v * kSecondNs;
    }
  }
  size_t sign = s.find('+');
  if (sign == std::string_view::npos) sign = s.find('-');
  std::string_view ref = s.substr(0, sign);
  if (!ref.empty() && ref != "now") {
    return Invalid(fmt::format(
        "time \"{}\" is not a unix time (digits: s, ms, µs or ns), YYYYMMDD or now[-+]offset "
        "like now-1h",
        text));
  }
  if (sign == std::string_view::npos) return now_ns;
  auto offset = ParseOffsetSeconds(text, s.substr(sign));
  if (!offset.ok()) return offset.status();
  return now_ns + *offset * kSecondNs;
}

absl::StatusOr<LegacyType> SplitLegacyType(std::string_view app_with_suffix, std::string* app) {
  struct Entry {
    std::string_view suffix;
    LegacyType type;
  };
  static constexpr Entry kTypes[] = {
      {"cpu", {"process_cpu", "samples", "count", true}},
      {"itimer", {"process_cpu", "samples", "count", true}},
      {"wall", {"wall", "samples", "count", true}},
      {"seconds", {"wall", "samples", "count", true}},
      {"nanoseconds", {"wall", "samples", "count", true}},
      {"microseconds", {"wall", "samples", "count", true}},
      {"milliseconds", {"wall", "samples", "count", true}},
      {"inuse_objects", {"memory", "inuse_objects", "count"}},
      {"inuse_space", {"memory", "inuse_space", "bytes"}},
      {"alloc_objects", {"memory", "alloc_objects", "count"}},
      {"alloc_space", {"memory", "alloc_space", "bytes"}},
      {"alloc_in_new_tlab_objects", {"memory", "alloc_in_new_tlab_objects", "count"}},
      {"alloc_in_new_tlab_bytes", {"memory", "alloc_in_new_tlab_bytes", "bytes"}},
      {"alloc_outside_tlab_objects", {"memory", "alloc_outside_tlab_objects", "count"}},
      {"alloc_outside_tlab_bytes", {"memory", "alloc_outside_tlab_bytes", "bytes"}},
      {"live", {"memory", "live", "count"}},
      {"bytes", {"memory", "samples", "bytes"}},
      {"goroutines", {"goroutine", "goroutines", "count"}},
      {"mutex_count", {"mutex", "contentions", "count"}},
      {"mutex_duration", {"mutex", "delay", "nanoseconds"}},
      {"block_count", {"block", "contentions", "count"}},
      {"block_duration", {"block", "delay", "nanoseconds"}},
      {"lock_count", {"block", "contentions", "count"}},
      {"lock_duration", {"block", "delay", "nanoseconds"}},
      {"exceptions", {"exceptions", "samples", "count"}},
  };
  const size_t dot = app_with_suffix.rfind('.');
  if (dot == std::string_view::npos) {
    *app = std::string(app_with_suffix);
    return kTypes[0].type;
  }
  std::string_view suffix = app_with_suffix.substr(dot + 1);
  for (const Entry& e : kTypes) {
    if (e.suffix == suffix) {
      *app = std::string(app_with_suffix.substr(0, dot));
      return e.type;
    }
  }
  std::string known;
  for (const Entry& e : kTypes) known += fmt::format("{}{}", known.empty() ? "" : ", ", e.suffix);
  return Invalid(fmt::format(
      "name: unknown profile type \"{}\" after the last '.' of \"{}\" (known: {}; a name "
      "without a '.' means cpu)",
      suffix, app_with_suffix, known));
}

absl::StatusOr<SampleTypeConfigs> ParseSampleTypeConfig(std::string_view json) {
  simdjson::dom::parser parser;
  auto root = formats::json::Parse(parser, json, size_t{1} << 20, 8, "sample_type_config");
  if (!root.ok()) return Invalid(std::string(root.status().message()));
  simdjson::dom::object types;
  if (root->get(types)) {
    return Invalid(fmt::format("sample_type_config is {}, want an object of sample types",
                               formats::json::Describe(*root)));
  }
  SampleTypeConfigs out;
  for (auto type : types) {
    if (type.value.is_null()) continue;  // Go's json leaves such an entry nil.
    simdjson::dom::object fields;
    if (type.value.get(fields)) {
      return Invalid(fmt::format("sample_type_config[\"{}\"] is {}, want an object", type.key,
                                 formats::json::Describe(type.value)));
    }
    SampleTypeConfig c;
    for (auto field : fields) {
      std::string_view k = field.key;
      std::string* str = k == "units"          ? &c.units
                         : k == "display-name" ? &c.display_name
                         : k == "aggregation"  ? &c.aggregation
                                               : nullptr;
      bool* flag = k == "cumulative" ? &c.cumulative : k == "sampled" ? &c.sampled : nullptr;
      if (field.value.is_null()) continue;
      if (str != nullptr) {
        std::string_view v;
        if (field.value.get(v)) {
          return Invalid(fmt::format("sample_type_config[\"{}\"].{} is {}, want a string", type.key,
                                     k, formats::json::Describe(field.value)));
        }
        *str = std::string(v);
      } else if (flag != nullptr) {
        if (field.value.get(*flag)) {
          return Invalid(fmt::format("sample_type_config[\"{}\"].{} is {}, want true or false",
                                     type.key, k, formats::json::Describe(field.value)));
        }
      }  // Other keys are ignored, as Go's encoding/json does.
    }
    out[std::string(type.key)] = std::move(c);
  }
  return out;
}

const SampleTypeConfigs& DefaultSampleTypeConfigs() {
  auto c = [](std::string units, std::string display, std::string aggregation, bool cumulative,
              bool sampled) {
    return SampleTypeConfig{std::move(units), std::move(display), std::move(aggregation),
                            cumulative, sampled};
  };
  static const SampleTypeConfigs* kDefaults = new SampleTypeConfigs{
      {"samples", c("samples", "cpu", "", false, true)},
      {"inuse_objects", c("objects", "", "average", false, false)},
      {"alloc_objects", c("objects", "", "", true, false)},
      {"inuse_space", c("bytes", "", "average", false, false)},
      {"alloc_space", c("bytes", "", "", true, false)},
      {"goroutine", c("goroutines", "goroutines", "average", false, false)},
      {"contentions", c("lock_samples", "mutex_count", "", true, false)},
      {"delay", c("lock_nanoseconds", "mutex_duration", "", true, false)},
  };
  return *kDefaults;
}

std::string PyroscopeMetricName(const profile::Profile& p, const SampleTypeConfigs& configs) {
  for (const profile::ValueType& t : p.sample_types) {
    if (p.Str(t.type) == "wall") return "wall";
  }
  for (const profile::ValueType& t : p.sample_types) {
    std::string_view st = p.Str(t.type);
    auto c = configs.find(st);
    if (c != configs.end() && !c->second.display_name.empty()) st = c->second.display_name;
    if (st.find("cpu") != std::string_view::npos) return "process_cpu";
    if (st.find("alloc_") != std::string_view::npos ||
        st.find("inuse_") != std::string_view::npos || st == "space" || st == "objects") {
      return "memory";
    }
    if (st.find("mutex_") != std::string_view::npos) return "mutex";
    if (st.find("block_") != std::string_view::npos) return "block";
    if (st.find("goroutines") != std::string_view::npos) return "goroutines";
  }
  // Pyroscope would use the last type's name; a family name is more useful.
  return storage::GuessProfileName(p);
}

absl::Status ApplySampleTypeConfig(const SampleTypeConfigs& configs, profile::Profile& p,
                                   bool* changed, bool* cumulative) {
  // Display names Pyroscope maps back to the standard types (convertMetadata): they name
  // the profile family, not a new sample type.
  static constexpr std::string_view kAliases[] = {
      "cpu",          "wall",           "itimer",      "goroutines",     "goroutine_leak",
      "mutex_count",  "mutex_duration", "block_count", "block_duration", "lock_count",
      "lock_duration"};
  *changed = false;
  *cumulative = false;
  std::vector<size_t> keep;
  std::string have;
  for (size_t i = 0; i < p.sample_types.size(); ++i) {
    std::string_view type = p.Str(p.sample_types[i].type);
    have += fmt::format("{}{}", have.empty() ? "" : ", ", type);
    if (configs.contains(type)) keep.push_back(i);
  }
  if (keep.empty()) {
    return Invalid(
        fmt::format("sample_type_config names none of the profile's sample types ({})", have));
  }
  for (size_t i : keep) {
    profile::ValueType& t = p.sample_types[i];
    const SampleTypeConfig& c = configs.find(p.Str(t.type))->second;
    *cumulative |= c.cumulative;
    if (p.Str(t.unit).empty() && !c.units.empty()) {
      std::string_view u = c.units;
      if (u == "objects" || u == "samples" || u == "goroutines" || u == "lock_samples") {
        u = "count";
      } else if (u == "lock_nanoseconds") {
        u = "nanoseconds";
      }
      t.unit = p.strings.Intern(u);
      *changed = true;
    }
    const std::string& d = c.display_name;
    if (!d.empty() && d != p.Str(t.type) &&
        std::find(std::begin(kAliases), std::end(kAliases), d) == std::end(kAliases)) {
      t.type = p.strings.Intern(d);
      *changed = true;
    }
  }
  if (keep.size() == p.sample_types.size()) return absl::OkStatus();
  // Drop the other columns: the value pool is rewritten with the kept ones.
  std::vector<int64_t> values;
  values.reserve(p.samples.size() * keep.size());
  for (profile::Sample& s : p.samples) {
    const int64_t* old = p.values.data() + s.values_begin;
    s.values_begin = static_cast<uint32_t>(values.size());
    for (size_t i : keep) values.push_back(old[i]);
  }
  std::vector<profile::ValueType> types;
  for (size_t i : keep) types.push_back(p.sample_types[i]);
  p.sample_types = std::move(types);
  p.values = std::move(values);
  bool default_kept = false;
  for (const profile::ValueType& t : p.sample_types)
    default_kept |= t.type == p.default_sample_type;
  if (!default_kept) p.default_sample_type = 0;
  *changed = true;
  return absl::OkStatus();
}

absl::StatusOr<JfrLabelsSnapshot> ParseJfrLabelsSnapshot(std::string_view data) {
  JfrLabelsSnapshot out;
  auto bad = [](const char* why) {
    return Invalid(fmt::format("jfr labels part is not a LabelsSnapshot protobuf: {}", why));
  };
  wire::Reader r(data);
  uint32_t field;
  wire::WireType type;
  while (r.Next(&field, &type)) {
    if ((field != 1 && field != 2) || type != wire::kLen) {
      if (!r.Skip(type)) break;
      continue;
    }
    // A map entry: key = 1, value = 2.
    wire::Reader entry(r.Bytes());
    int64_t key = 0;
    std::string_view value;
    uint32_t f;
    wire::WireType t;
    while (entry.Next(&f, &t)) {
      if (f == 1 && t == wire::kVarint) {
        key = static_cast<int64_t>(entry.Varint());
      } else if (f == 2 && t == wire::kLen) {
        value = entry.Bytes();
      } else if (!entry.Skip(t)) {
        break;
      }
    }
    if (!entry.ok()) return bad(entry.error());
    if (field == 2) {
      out.strings[key] = std::string(value);
      continue;
    }
    // Context { map<int64, int64> labels = 1; }
    std::vector<std::pair<int64_t, int64_t>>& labels = out.contexts[key];
    wire::Reader ctx(value);
    while (ctx.Next(&f, &t)) {
      if (f != 1 || t != wire::kLen) {
        if (!ctx.Skip(t)) break;
        continue;
      }
      wire::Reader kv(ctx.Bytes());
      int64_t k = 0, v = 0;
      while (kv.Next(&f, &t)) {
        if (t == wire::kVarint && (f == 1 || f == 2)) {
          (f == 1 ? k : v) = static_cast<int64_t>(kv.Varint());
        } else if (!kv.Skip(t)) {
          break;
        }
      }
      if (!kv.ok()) return bad(kv.error());
      labels.emplace_back(k, v);
    }
    if (!ctx.ok()) return bad(ctx.error());
  }
  if (!r.ok()) return bad(r.error());
  return out;
}

}  // namespace hearth::server
