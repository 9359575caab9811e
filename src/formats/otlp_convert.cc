// RawRequest -> model profiles: the one place that checks OTLP indices and applies the
// mapping rules of otlp.h.
//
// Each OTLP Profile is converted on its own into its own model Profile, importing only the
// dictionary entries it uses, each once (memos keyed by dictionary index, cleared in O(1)
// between profiles). Checking is lazy in the same way: an entry is checked when a profile
// first uses it, so a bad entry refuses exactly the profiles that use it, and the message
// names the profile's sample and the entry:
//
//   resource_profiles[0].scope_profiles[0].profiles[1]: samples[3]: location_table[7]
//       .mapping_index 9 is out of range (mapping_table has 6 entries)
//
// Index 0 of every table is the zero entry (checked once per request), so it is always in
// range, even in an empty table: string 0 is "", mapping and function 0 are "none", link 0
// is "no link", stack 0 is the empty stack and location 0 a location with nothing known.

#include <algorithm>
#include <numeric>
#include <optional>

#include "base/fmt.h"
#include "base/status_macros.h"
#include "formats/otlp_internal.h"
#include "profile/pprof_codec.h"

namespace hearth::formats::otlp_internal {
namespace {

using profile::kNone;
using profile::Label;
using profile::StrId;

bool InRange(int32_t i, size_t table_size) {
  return i == 0 || (i > 0 && static_cast<size_t>(i) < table_size);
}

// Table sizes as messages state them: at least 1, since the zero entry is implied.
size_t Entries(size_t table_size) { return std::max<size_t>(table_size, 1); }

absl::Status OutOfRange(std::string_view field, int64_t i, std::string_view table, size_t n) {
  return absl::InvalidArgumentError(
      fmt::format("{} {} is out of range ({} has {} entries)", field, i, table, Entries(n)));
}

absl::Status Prefixed(std::string_view prefix, const absl::Status& s) {
  return absl::Status(s.code(), fmt::format("{}: {}", prefix, s.message()));
}

bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

// A label name for a series: service.name -> service_name; otherwise the key with every
// character outside [a-zA-Z0-9_.] (and a leading digit or '.') replaced by '_'.
std::string SeriesLabelName(std::string_view key) {
  if (key == key::kServiceName) return "service_name";
  std::string out(key);
  for (size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool later = (c >= '0' && c <= '9') || c == '.';
    if (!letter && !(i > 0 && later)) out[i] = '_';
  }
  return out;
}

// A memo keyed by dictionary index that is cleared in O(1) (one epoch per profile).
class Memo {
 public:
  void Resize(size_t n) {
    values_.assign(n, 0);
    epochs_.assign(n, 0);
  }
  void Clear() { ++epoch_; }
  bool Get(size_t i, uint32_t* v) const {
    if (epochs_[i] != epoch_) return false;
    *v = values_[i];
    return true;
  }
  void Set(size_t i, uint32_t v) {
    epochs_[i] = epoch_;
    values_[i] = v;
  }

 private:
  std::vector<uint32_t> values_, epochs_;
  uint32_t epoch_ = 1;
};

struct Span {
  uint32_t begin = 0;
  uint32_t size = 0;
};

const LocationEntry kZeroLocation;
const LinkEntry kZeroLink;
const Attribute kZeroAttribute;

// The dictionary's zero entries: the spec's MUST, and what makes "index 0 = unset" safe.
// A sender that forgot them would have every index off by one, so this refuses the request.
absl::Status CheckZeroEntries(const RawRequest& req, std::string_view what) {
  auto bad = [&](std::string_view table, std::string_view message) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: dictionary.{}[0] must be the zero {} (index 0 means \"unset\"), but it has fields "
        "set",
        what, table, message));
  };
  if (!req.strings.empty() && !req.strings[0].empty()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: dictionary.string_table[0] is \"{}\"; it must be the empty string", what,
                    req.strings[0].substr(0, 64)));
  }
  if (!req.mappings.empty()) {
    const MappingEntry& m = req.mappings[0];
    if (m.memory_start != 0 || m.memory_limit != 0 || m.file_offset != 0 || m.filename != 0 ||
        m.attributes.size != 0) {
      return bad("mapping_table", "Mapping");
    }
  }
  if (!req.locations.empty()) {
    const LocationEntry& l = req.locations[0];
    if (l.mapping != 0 || l.address != 0 || l.lines.size != 0 || l.attributes.size != 0) {
      return bad("location_table", "Location");
    }
  }
  if (!req.functions.empty()) {
    const FunctionEntry& f = req.functions[0];
    if (f.name != 0 || f.system_name != 0 || f.filename != 0 || f.start_line != 0) {
      return bad("function_table", "Function");
    }
  }
  if (!req.links.empty() && !(AllZero(req.links[0].trace_id) && AllZero(req.links[0].span_id))) {
    return bad("link_table", "Link");
  }
  if (!req.attributes.empty()) {
    const Attribute& a = req.attributes[0];
    if (a.key_strindex != 0 || a.unit_strindex != 0 || a.value.kind != AnyValue::Kind::kUnset) {
      return bad("attribute_table", "KeyValueAndUnit");
    }
  }
  if (!req.stacks.empty() && req.stacks[0].size != 0) return bad("stack_table", "Stack");
  return absl::OkStatus();
}

class Converter {
 public:
  Converter(const RawRequest& req, const OtlpLimits& limits) : req_(req), limits_(limits) {
    strings_.Resize(Entries(req.strings.size()));
    mappings_.Resize(Entries(req.mappings.size()));
    locations_.Resize(Entries(req.locations.size()));
    functions_.Resize(Entries(req.functions.size()));
    links_.Resize(Entries(req.links.size()));
    attributes_.Resize(Entries(req.attributes.size()));
    stacks_.Resize(Entries(req.stacks.size()));
  }

  absl::StatusOr<OtlpDecodeResult> Run(std::string_view what) {
    OtlpDecodeResult result;
    result.profiles.reserve(req_.profiles.size());
    for (size_t ri = 0; ri < req_.resources.size(); ++ri) {
      const ResourceEntry& res = req_.resources[ri];
      for (size_t si = 0; si < res.scopes.size; ++si) {
        const ScopeEntry& scope = req_.scopes[res.scopes.begin + si];
        for (size_t pi = 0; pi < scope.profiles.size; ++pi) {
          OtlpProfile out;
          out.where =
              fmt::format("resource_profiles[{}].scope_profiles[{}].profiles[{}]", ri, si, pi);
          absl::Status s =
              ConvertProfile(res, scope, req_.profiles[scope.profiles.begin + pi], &out);
          if (exhausted_) {
            return absl::ResourceExhaustedError(fmt::format(
                "{}: the request expands to more than {} model entries (stack frames and "
                "labels of samples, and entities of profiles; OTLP shares them by index, the "
                "model does not)",
                what, limits_.max_model_entries));
          }
          if (s.ok()) {
            result.profiles.push_back(std::move(out));
            continue;
          }
          ++result.rejected_profiles;
          if (result.error_message.empty()) {
            result.error_message = fmt::format("{}: {}", out.where, s.message());
          }
        }
      }
    }
    return result;
  }

 private:
  // ---- The expansion budget (OtlpLimits::max_model_entries).

  bool Spend(size_t n) {
    if (n > budget_) {
      exhausted_ = true;
      return false;
    }
    budget_ -= n;
    return true;
  }
  // What a step returns when the budget is gone; Run makes it the request's error.
  static absl::Status Exhausted() { return absl::ResourceExhaustedError("model entry budget"); }

  // ---- Strings and attribute values.

  // string_table[i] as this profile's StrId; i must be in range.
  StrId Str(int32_t i) {
    if (i == 0) return 0;
    uint32_t id = 0;
    if (strings_.Get(i, &id)) return id;
    id = p_->strings.Intern(req_.strings[i]);
    strings_.Set(i, id);
    return id;
  }

  template <typename Field>
  absl::Status CheckStr(int32_t i, Field field) {
    if (InRange(i, req_.strings.size())) return absl::OkStatus();
    return OutOfRange(field(), i, "string_table", req_.strings.size());
  }

  // Checks the string references of a value (and of its array elements).
  template <typename Field>
  absl::Status CheckValue(const AnyValue& v, Field field) {
    if (v.kind == AnyValue::Kind::kStrindex) {
      return CheckStr(v.strindex, [&] { return field() + ".string_value_strindex"; });
    }
    if (v.kind != AnyValue::Kind::kArray) return absl::OkStatus();
    for (uint32_t j = 0; j < v.elements.size; ++j) {
      const AnyValue& e = req_.array_values[v.elements.begin + j];
      if (e.kind != AnyValue::Kind::kStrindex) continue;
      if (!InRange(e.strindex, req_.strings.size())) {
        return OutOfRange(
            fmt::format("{}.array_value.values[{}].string_value_strindex", field(), j), e.strindex,
            "string_table", req_.strings.size());
      }
    }
    return absl::OkStatus();
  }

  // A scalar value as text (a series label value); nullopt for arrays, maps and unset.
  std::optional<std::string> ValueText(const AnyValue& v) {
    switch (v.kind) {
      case AnyValue::Kind::kString: return std::string(v.s);
      case AnyValue::Kind::kStrindex:
        return std::string(req_.strings.empty() || v.strindex == 0 ? std::string_view()
                                                                   : req_.strings[v.strindex]);
      case AnyValue::Kind::kBool: return std::string(v.b ? "true" : "false");
      case AnyValue::Kind::kInt: return fmt::format("{}", v.i);
      case AnyValue::Kind::kDouble: return fmt::format("{}", v.d);
      case AnyValue::Kind::kBytes: return Hex(v.s);
      case AnyValue::Kind::kUnset:
      case AnyValue::Kind::kArray:
      case AnyValue::Kind::kKvList: break;
    }
    return std::nullopt;
  }

  // Appends the sample labels of one attribute value: strings (and bools, doubles, bytes as
  // text) become string labels, ints numeric labels with the attribute's unit, arrays one
  // label per scalar element; maps and unset values none.
  void AppendLabels(StrId key, const AnyValue& v, StrId unit, std::vector<Label>* out) {
    switch (v.kind) {
      case AnyValue::Kind::kInt: out->push_back({key, 0, v.i, unit}); return;
      case AnyValue::Kind::kStrindex: out->push_back({key, Str(v.strindex), 0, 0}); return;
      case AnyValue::Kind::kArray:
        for (uint32_t j = 0; j < v.elements.size; ++j) {
          const AnyValue& e = req_.array_values[v.elements.begin + j];
          if (e.kind != AnyValue::Kind::kArray) AppendLabels(key, e, unit, out);
        }
        return;
      default: break;
    }
    if (std::optional<std::string> text = ValueText(v)) {
      out->push_back({key, p_->strings.Intern(*text), 0, 0});
    }
  }

  // attribute_table[i], checked (i must be in range).
  absl::Status CheckAttribute(int32_t i, const Attribute** out) {
    const Attribute& a =
        static_cast<size_t>(i) < req_.attributes.size() ? req_.attributes[i] : kZeroAttribute;
    HEARTH_RETURN_IF_ERROR(CheckStr(
        a.key_strindex, [&] { return fmt::format("attribute_table[{}].key_strindex", i); }));
    HEARTH_RETURN_IF_ERROR(CheckStr(
        a.unit_strindex, [&] { return fmt::format("attribute_table[{}].unit_strindex", i); }));
    HEARTH_RETURN_IF_ERROR(
        CheckValue(a.value, [&] { return fmt::format("attribute_table[{}].value", i); }));
    *out = &a;
    return absl::OkStatus();
  }

  std::string_view Key(const Attribute& a) const {
    return a.key_strindex == 0 ? std::string_view() : req_.strings[a.key_strindex];
  }

  // Checks the attribute_indices of an entity: calls fn(index, attribute) for each.
  template <typename Field, typename Fn>
  absl::Status ForEachAttribute(Range r, Field field, Fn&& fn) {
    for (uint32_t j = 0; j < r.size; ++j) {
      const int32_t i = req_.indices[r.begin + j];
      if (!InRange(i, req_.attributes.size())) {
        const std::string f = field();
        return OutOfRange(fmt::format("{}{}attribute_indices[{}]", f, f.empty() ? "" : ".", j), i,
                          "attribute_table", req_.attributes.size());
      }
      const Attribute* a = nullptr;
      HEARTH_RETURN_IF_ERROR(CheckAttribute(i, &a));
      fn(i, *a);
    }
    return absl::OkStatus();
  }

  // ---- Series labels and header attributes.

  void AddSeriesLabel(std::string_view key, const AnyValue& v, OtlpProfile* out) {
    if (key.empty()) return;
    std::optional<std::string> text = ValueText(v);
    if (!text || text->empty()) return;
    std::string name = SeriesLabelName(key);
    for (const auto& [k, existing] : out->labels) {
      if (k == name) return;  // The first occurrence wins: resource, then scope, then profile.
    }
    out->labels.emplace_back(std::move(name), std::move(*text));
  }

  // Resource and scope attributes (KeyValue: an inline key or key_strindex).
  absl::Status KeyValues(Range r, std::string_view where, OtlpProfile* out) {
    for (uint32_t j = 0; j < r.size; ++j) {
      const Attribute& a = req_.key_values[r.begin + j];
      auto field = [&] { return fmt::format("{}.attributes[{}]", where, j); };
      HEARTH_RETURN_IF_ERROR(CheckStr(a.key_strindex, [&] { return field() + ".key_strindex"; }));
      HEARTH_RETURN_IF_ERROR(CheckValue(a.value, [&] { return field() + ".value"; }));
      std::string_view key = !a.key.empty() ? a.key : Key(a);
      if (key == key::kDefaultSampleType) {
        if (std::optional<std::string> text = ValueText(a.value)) {
          p_->default_sample_type = p_->strings.Intern(*text);
        }
        continue;
      }
      AddSeriesLabel(key, a.value, out);
    }
    return absl::OkStatus();
  }

  // Profile attributes: pprof header fields, or series labels.
  absl::Status ProfileAttributes(const ProfileEntry& pe, OtlpProfile* out) {
    return ForEachAttribute(
        pe.attributes, [] { return std::string(); },
        [&](int32_t, const Attribute& a) {
          const std::string_view k = Key(a);
          std::optional<std::string> text = ValueText(a.value);
          if (k == key::kComment) {
            std::vector<Label> comments;
            AppendLabels(0, a.value, 0, &comments);
            for (const Label& l : comments) {
              if (l.str != 0) p_->comments.push_back(l.str);
            }
          } else if (k == key::kDropFrames) {
            if (text) p_->drop_frames = p_->strings.Intern(*text);
          } else if (k == key::kKeepFrames) {
            if (text) p_->keep_frames = p_->strings.Intern(*text);
          } else if (k == key::kDocUrl) {
            if (text) p_->doc_url = p_->strings.Intern(*text);
          } else {
            AddSeriesLabel(k, a.value, out);
          }
        });
  }

  // ---- Dictionary entities.

  absl::Status Function(int32_t i, uint32_t* out) {
    if (i == 0) {
      *out = kNone;
      return absl::OkStatus();
    }
    if (functions_.Get(i, out)) return absl::OkStatus();
    if (!Spend(1)) return Exhausted();
    const FunctionEntry& e = req_.functions[i];
    for (const auto& field :
         {std::pair{e.name, "name_strindex"}, std::pair{e.system_name, "system_name_strindex"},
          std::pair{e.filename, "filename_strindex"}}) {
      HEARTH_RETURN_IF_ERROR(CheckStr(
          field.first, [&] { return fmt::format("function_table[{}].{}", i, field.second); }));
    }
    profile::Function f;
    f.id = p_->functions.size() + 1;
    f.name = Str(e.name);
    f.system_name = Str(e.system_name);
    f.filename = Str(e.filename);
    f.start_line = e.start_line;
    *out = static_cast<uint32_t>(p_->functions.size());
    p_->functions.push_back(f);
    functions_.Set(i, *out);
    return absl::OkStatus();
  }

  absl::Status Mapping(int32_t i, uint32_t* out) {
    if (i == 0) {
      *out = kNone;
      return absl::OkStatus();
    }
    if (mappings_.Get(i, out)) return absl::OkStatus();
    if (!Spend(1)) return Exhausted();
    const MappingEntry& e = req_.mappings[i];
    HEARTH_RETURN_IF_ERROR(CheckStr(
        e.filename, [&] { return fmt::format("mapping_table[{}].filename_strindex", i); }));
    profile::Mapping m;
    m.id = p_->mappings.size() + 1;
    m.memory_start = e.memory_start;
    m.memory_limit = e.memory_limit;
    m.file_offset = e.file_offset;
    m.filename = Str(e.filename);
    // Build ids by preference: GNU, Go, htlhash, the deprecated "profiling".
    std::optional<std::string> build_ids[4];
    bool has_flags = false;
    HEARTH_RETURN_IF_ERROR(ForEachAttribute(
        e.attributes, [&] { return fmt::format("mapping_table[{}]", i); },
        [&](int32_t, const Attribute& a) {
          const std::string_view k = Key(a);
          const bool flag = a.value.kind == AnyValue::Kind::kBool && a.value.b;
          if (k == key::kBuildIdGnu) build_ids[0] = ValueText(a.value);
          if (k == key::kBuildIdGo) build_ids[1] = ValueText(a.value);
          if (k == key::kBuildIdHtlhash) build_ids[2] = ValueText(a.value);
          if (k == key::kBuildIdProfiling) build_ids[3] = ValueText(a.value);
          if (k == key::kHasFunctions) m.has_functions = flag;
          if (k == key::kHasFilenames) m.has_filenames = flag;
          if (k == key::kHasLineNumbers) m.has_line_numbers = flag;
          if (k == key::kHasInlineFrames) m.has_inline_frames = flag;
          has_flags |= k == key::kHasFunctions || k == key::kHasFilenames ||
                       k == key::kHasLineNumbers || k == key::kHasInlineFrames;
        }));
    for (const std::optional<std::string>& id : build_ids) {
      if (id && !id->empty()) {
        m.build_id = p_->strings.Intern(*id);
        break;
      }
    }
    *out = static_cast<uint32_t>(p_->mappings.size());
    p_->mappings.push_back(m);
    mapping_dict_index_.push_back(i);
    mapping_has_flags_.push_back(has_flags);
    mappings_.Set(i, *out);
    return absl::OkStatus();
  }

  absl::Status Location(int32_t i, uint32_t* out) {
    if (locations_.Get(i, out)) return absl::OkStatus();
    const LocationEntry& e =
        static_cast<size_t>(i) < req_.locations.size() ? req_.locations[i] : kZeroLocation;
    if (!Spend(1 + size_t{e.lines.size})) return Exhausted();
    profile::Location loc;
    if (!InRange(e.mapping, req_.mappings.size())) {
      return OutOfRange(fmt::format("location_table[{}].mapping_index", i), e.mapping,
                        "mapping_table", req_.mappings.size());
    }
    HEARTH_RETURN_IF_ERROR(Mapping(e.mapping, &loc.mapping));
    loc.address = e.address;
    // Functions first: their lines go to the pool after, contiguously.
    line_functions_.clear();
    for (uint32_t j = 0; j < e.lines.size; ++j) {
      const LineEntry& line = req_.lines[e.lines.begin + j];
      if (!InRange(line.function, req_.functions.size())) {
        return OutOfRange(fmt::format("location_table[{}].lines[{}].function_index", i, j),
                          line.function, "function_table", req_.functions.size());
      }
      uint32_t fn = 0;
      HEARTH_RETURN_IF_ERROR(Function(line.function, &fn));
      line_functions_.push_back(fn);
    }
    HEARTH_RETURN_IF_ERROR(ForEachAttribute(
        e.attributes, [&] { return fmt::format("location_table[{}]", i); },
        [&](int32_t, const Attribute& a) {
          const std::string_view k = Key(a);
          if (k == key::kIsFolded) {
            loc.is_folded = a.value.kind == AnyValue::Kind::kBool && a.value.b;
          } else if (k == key::kFrameType) {
            if (std::optional<std::string> text = ValueText(a.value)) {
              loc.frame_type = p_->strings.Intern(*text);
            }
          }
        }));
    loc.lines_begin = static_cast<uint32_t>(p_->lines.size());
    loc.num_lines = e.lines.size;
    for (uint32_t j = 0; j < e.lines.size; ++j) {
      const LineEntry& line = req_.lines[e.lines.begin + j];
      p_->lines.push_back({line_functions_[j], line.line, line.column});
    }
    loc.id = p_->locations.size() + 1;
    *out = static_cast<uint32_t>(p_->locations.size());
    p_->locations.push_back(loc);
    locations_.Set(i, *out);
    return absl::OkStatus();
  }

  // stack_table[i] as a span of stack_pool_ (model location indices, leaf first).
  absl::Status Stack(int32_t i, Span* out) {
    uint32_t memo = 0;
    if (stacks_.Get(i, &memo)) {
      *out = stack_spans_[memo];
      return absl::OkStatus();
    }
    const Range r = static_cast<size_t>(i) < req_.stacks.size() ? req_.stacks[i] : Range{};
    Span span{static_cast<uint32_t>(stack_pool_.size()), r.size};
    for (uint32_t j = 0; j < r.size; ++j) {
      const int32_t li = req_.indices[r.begin + j];
      if (!InRange(li, req_.locations.size())) {
        return OutOfRange(fmt::format("stack_table[{}].location_indices[{}]", i, j), li,
                          "location_table", req_.locations.size());
      }
      uint32_t loc = 0;
      HEARTH_RETURN_IF_ERROR(Location(li, &loc));
      stack_pool_.push_back(loc);
    }
    stacks_.Set(i, static_cast<uint32_t>(stack_spans_.size()));
    stack_spans_.push_back(span);
    *out = span;
    return absl::OkStatus();
  }

  // The sample labels of attribute_table[i], as a span of label_pool_.
  absl::Status AttributeLabels(int32_t i, Span* out) {
    uint32_t memo = 0;
    if (attributes_.Get(i, &memo)) {
      *out = label_spans_[memo];
      return absl::OkStatus();
    }
    const Attribute* a = nullptr;
    HEARTH_RETURN_IF_ERROR(CheckAttribute(i, &a));
    Span span{static_cast<uint32_t>(label_pool_.size()), 0};
    if (a->key_strindex != 0) {
      AppendLabels(Str(a->key_strindex), a->value, Str(a->unit_strindex), &label_pool_);
    }
    span.size = static_cast<uint32_t>(label_pool_.size()) - span.begin;
    attributes_.Set(i, static_cast<uint32_t>(label_spans_.size()));
    label_spans_.push_back(span);
    *out = span;
    return absl::OkStatus();
  }

  // link_table[i] as labels trace_id / span_id (lowercase hex; all-zero ids left out).
  absl::Status LinkLabels(int32_t i, Span* out) {
    uint32_t memo = 0;
    if (links_.Get(i, &memo)) {
      *out = label_spans_[memo];
      return absl::OkStatus();
    }
    const LinkEntry& e = static_cast<size_t>(i) < req_.links.size() ? req_.links[i] : kZeroLink;
    if (!e.trace_id.empty() && e.trace_id.size() != 16) {
      return absl::InvalidArgumentError(
          fmt::format("link_table[{}].trace_id is {} bytes, want 16", i, e.trace_id.size()));
    }
    if (!e.span_id.empty() && e.span_id.size() != 8) {
      return absl::InvalidArgumentError(
          fmt::format("link_table[{}].span_id is {} bytes, want 8", i, e.span_id.size()));
    }
    Span span{static_cast<uint32_t>(label_pool_.size()), 0};
    if (!AllZero(e.trace_id)) {
      label_pool_.push_back(
          {p_->strings.Intern(key::kTraceIdLabel), p_->strings.Intern(Hex(e.trace_id)), 0, 0});
    }
    if (!AllZero(e.span_id)) {
      label_pool_.push_back(
          {p_->strings.Intern(key::kSpanIdLabel), p_->strings.Intern(Hex(e.span_id)), 0, 0});
    }
    span.size = static_cast<uint32_t>(label_pool_.size()) - span.begin;
    links_.Set(i, static_cast<uint32_t>(label_spans_.size()));
    label_spans_.push_back(span);
    *out = span;
    return absl::OkStatus();
  }

  // ---- Profiles and samples.

  absl::Status Sample(const SampleEntry& s, size_t k) {
    auto where = [&] { return fmt::format("samples[{}]", k); };
    int64_t value = 0;
    if (s.num_values > 0) {
      if (s.num_timestamps > 0 && s.num_timestamps != s.num_values) {
        return absl::InvalidArgumentError(
            fmt::format("{} has {} values but {} timestamps_unix_nano (want as many of each)",
                        where(), s.num_values, s.num_timestamps));
      }
      if (s.sum_overflows) {
        return absl::InvalidArgumentError(
            fmt::format("{}.values: their sum overflows a 64-bit integer", where()));
      }
      value = s.value_sum;
    } else if (s.num_timestamps > 0) {
      value = s.num_timestamps;  // Each timestamp is one event.
    } else {
      return absl::InvalidArgumentError(
          fmt::format("{} has neither values nor timestamps_unix_nano", where()));
    }

    if (!InRange(s.stack, req_.stacks.size())) {
      return OutOfRange(where() + ".stack_index", s.stack, "stack_table", req_.stacks.size());
    }
    Span stack;
    if (auto st = Stack(s.stack, &stack); !st.ok()) return Prefixed(where(), st);
    if (!Spend(stack.size)) return Exhausted();

    sample_labels_.clear();
    for (uint32_t j = 0; j < s.attributes.size; ++j) {
      const int32_t ai = req_.indices[s.attributes.begin + j];
      if (!InRange(ai, req_.attributes.size())) {
        return OutOfRange(fmt::format("{}.attribute_indices[{}]", where(), j), ai,
                          "attribute_table", req_.attributes.size());
      }
      Span labels;
      if (auto st = AttributeLabels(ai, &labels); !st.ok()) return Prefixed(where(), st);
      sample_labels_.insert(sample_labels_.end(), label_pool_.begin() + labels.begin,
                            label_pool_.begin() + labels.begin + labels.size);
    }
    if (!InRange(s.link, req_.links.size())) {
      return OutOfRange(where() + ".link_index", s.link, "link_table", req_.links.size());
    }
    if (s.link != 0) {
      Span labels;
      if (auto st = LinkLabels(s.link, &labels); !st.ok()) return Prefixed(where(), st);
      sample_labels_.insert(sample_labels_.end(), label_pool_.begin() + labels.begin,
                            label_pool_.begin() + labels.begin + labels.size);
    }
    if (!Spend(sample_labels_.size())) return Exhausted();
    p_->AddSample({stack_pool_.data() + stack.begin, stack.size}, {&value, 1}, sample_labels_);
    return absl::OkStatus();
  }

  absl::Status ValueType(const ValueTypeRef& vt, const char* name, profile::ValueType* out) {
    HEARTH_RETURN_IF_ERROR(
        CheckStr(vt.type, [&] { return fmt::format("{}.type_strindex", name); }));
    HEARTH_RETURN_IF_ERROR(
        CheckStr(vt.unit, [&] { return fmt::format("{}.unit_strindex", name); }));
    *out = {Str(vt.type), Str(vt.unit)};
    return absl::OkStatus();
  }

  void StartProfile(profile::Profile* p) {
    p_ = p;
    for (Memo* m :
         {&strings_, &mappings_, &locations_, &functions_, &links_, &attributes_, &stacks_}) {
      m->Clear();
    }
    stack_pool_.clear();
    stack_spans_.clear();
    label_pool_.clear();
    label_spans_.clear();
    mapping_dict_index_.clear();
    mapping_has_flags_.clear();
  }

  absl::Status ConvertProfile(const ResourceEntry& res, const ScopeEntry& scope,
                              const ProfileEntry& pe, OtlpProfile* out) {
    StartProfile(&out->profile);
    profile::Profile& p = out->profile;
    HEARTH_RETURN_IF_ERROR(KeyValues(res.attributes, "resource", out));
    HEARTH_RETURN_IF_ERROR(KeyValues(scope.attributes, "scope", out));
    HEARTH_RETURN_IF_ERROR(ProfileAttributes(pe, out));
    profile::ValueType sample_type, period_type;
    HEARTH_RETURN_IF_ERROR(ValueType(pe.sample_type, "sample_type", &sample_type));
    HEARTH_RETURN_IF_ERROR(ValueType(pe.period_type, "period_type", &period_type));

    if (pe.samples.size == 0 && pe.original_payload_format == "pprof" &&
        !pe.original_payload.empty()) {
      return OriginalPayload(pe, out);
    }

    p.sample_types.push_back(sample_type);
    p.period_type = period_type;
    p.period = pe.period;
    p.time_nanos = static_cast<int64_t>(pe.time_unix_nano);
    p.duration_nanos = static_cast<int64_t>(pe.duration_nano);
    p.samples.reserve(pe.samples.size);
    p.values.reserve(pe.samples.size);
    for (uint32_t k = 0; k < pe.samples.size; ++k) {
      HEARTH_RETURN_IF_ERROR(Sample(req_.samples[pe.samples.begin + k], k));
    }
    DeriveMappingFlags();
    SortMappings();
    return absl::OkStatus();
  }

  // A profile sent only as its original pprof bytes.
  absl::Status OriginalPayload(const ProfileEntry& pe, OtlpProfile* out) {
    absl::StatusOr<profile::Profile> p =
        profile::DecodePprof(pe.original_payload, limits_.original_payload);
    if (!p.ok()) return Prefixed("original_payload (pprof)", p.status());
    if (!Spend(p->stacks.size() + p->labels.size() + p->lines.size() + p->locations.size() +
               p->functions.size() + p->mappings.size())) {
      return Exhausted();
    }
    if (p->time_nanos == 0) p->time_nanos = static_cast<int64_t>(pe.time_unix_nano);
    if (p->duration_nanos == 0) p->duration_nanos = static_cast<int64_t>(pe.duration_nano);
    out->profile = *std::move(p);
    return absl::OkStatus();
  }

  // Mappings without pprof.mapping.has_* attributes get the flags their locations show (as
  // Pyroscope does), so pprof does not try to symbolize what is already symbolized.
  void DeriveMappingFlags() {
    profile::Profile& p = *p_;
    for (const profile::Location& loc : p.locations) {
      if (loc.mapping == kNone || mapping_has_flags_[loc.mapping]) continue;
      profile::Mapping& m = p.mappings[loc.mapping];
      for (const profile::Line& line : p.Lines(loc)) {
        if (line.function == kNone) continue;
        const profile::Function& f = p.functions[line.function];
        m.has_functions |= f.name != 0;
        m.has_filenames |= f.filename != 0;
        m.has_line_numbers |= line.line != 0;
      }
      m.has_inline_frames |= loc.num_lines > 1;
    }
  }

  // Mappings in dictionary order, not first-use order: pprof takes mappings[0] as the main
  // binary (its "File:" and "Build ID:"), and senders put it first.
  void SortMappings() {
    profile::Profile& p = *p_;
    const size_t n = p.mappings.size();
    if (std::is_sorted(mapping_dict_index_.begin(), mapping_dict_index_.end())) return;
    std::vector<uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return mapping_dict_index_[a] < mapping_dict_index_[b];
    });
    std::vector<uint32_t> new_index(n);
    std::vector<profile::Mapping> sorted(n);
    for (size_t k = 0; k < n; ++k) {
      new_index[order[k]] = static_cast<uint32_t>(k);
      sorted[k] = p.mappings[order[k]];
      sorted[k].id = k + 1;
    }
    p.mappings = std::move(sorted);
    for (profile::Location& loc : p.locations) {
      if (loc.mapping != kNone) loc.mapping = new_index[loc.mapping];
    }
  }

  const RawRequest& req_;
  const OtlpLimits& limits_;
  size_t budget_ = limits_.max_model_entries;
  bool exhausted_ = false;
  profile::Profile* p_ = nullptr;
  Memo strings_, mappings_, locations_, functions_, links_, attributes_, stacks_;
  // Per profile: imported stacks and attribute/link labels, by memo value.
  std::vector<uint32_t> stack_pool_;
  std::vector<Span> stack_spans_;
  std::vector<Label> label_pool_;
  std::vector<Span> label_spans_;
  std::vector<int32_t> mapping_dict_index_;  // per model mapping
  std::vector<bool> mapping_has_flags_;      // per model mapping
  // Scratch.
  std::vector<uint32_t> line_functions_;
  std::vector<Label> sample_labels_;
};

}  // namespace

std::string Path::ToString() const {
  std::string out;
  for (const Step& s : steps_) {
    if (!out.empty()) out += '.';
    out += s.name;
    if (s.index >= 0) out += fmt::format("[{}]", s.index);
  }
  return out.empty() ? "request" : out;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<uint8_t>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 15];
  }
  return out;
}

absl::StatusOr<OtlpDecodeResult> Convert(const RawRequest& req, const OtlpLimits& limits,
                                         std::string_view what) {
  HEARTH_RETURN_IF_ERROR(CheckZeroEntries(req, what));
  return Converter(req, limits).Run(what);
}

}  // namespace hearth::formats::otlp_internal
