#include "formats/jfr_symbols.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/status_macros.h"

namespace hearth::formats::jfr {

std::string JavaClassName(std::string_view raw, std::string_view package, bool hidden) {
  auto dotted = [](std::string_view s) {
    std::string out(s);
    std::replace(out.begin(), out.end(), '/', '.');
    return out;
  };
  if (!raw.empty() && raw.front() == '[') {
    size_t dims = raw.find_first_not_of('[');
    if (dims == std::string_view::npos) return std::string(raw);
    std::string_view elem = raw.substr(dims);
    static constexpr std::pair<char, std::string_view> kPrimitives[] = {
        {'B', "byte"}, {'C', "char"}, {'D', "double"}, {'F', "float"},
        {'I', "int"},  {'J', "long"}, {'S', "short"},  {'Z', "boolean"},
    };
    std::string out;
    for (const auto& [code, name] : kPrimitives) {
      if (elem.size() == 1 && elem[0] == code) out = name;
    }
    if (out.empty()) {
      out = elem.size() > 2 && elem.front() == 'L' && elem.back() == ';'
                ? dotted(elem.substr(1, elem.size() - 2))
                : std::string(elem);
    }
    for (size_t i = 0; i < dims; ++i) out += "[]";
    return out;
  }
  if (!package.empty() && raw.size() > package.size() && raw.starts_with(package) &&
      raw[package.size()] == '/') {
    return dotted(package) + "." + std::string(raw.substr(package.size() + 1));
  }
  return hidden ? std::string(raw) : dotted(raw);
}

// A string value, or a jdk.types.Symbol (an object whose field "string" holds it), as a
// copy; "" for null.
absl::StatusOr<std::string> Symbols::Text(const Value& v) {
  HEARTH_ASSIGN_OR_RETURN(Value s, c_.Deref(v));
  if (s.kind == Kind::kObject) {
    HEARTH_ASSIGN_OR_RETURN(s, c_.Deref(c_.Field(s, "string")));
  }
  return std::string(c_.Text(s));
}

// Resolves v with `compute` (object -> string) once per constant key.
template <typename Compute>
absl::StatusOr<std::string_view> Symbols::Cached(absl::flat_hash_map<uint64_t, uint32_t>* cache,
                                                 const Value& v, Compute compute) {
  auto it = cache->find(v.bits);
  if (v.kind == Kind::kRef && it != cache->end()) return strings_[it->second];
  HEARTH_ASSIGN_OR_RETURN(Value obj, c_.Deref(v));
  std::string s;
  if (obj.kind == Kind::kObject) {
    HEARTH_ASSIGN_OR_RETURN(s, compute(obj));
  }
  strings_.push_back(std::move(s));  // A deque: earlier views stay valid.
  if (v.kind == Kind::kRef) cache->emplace(v.bits, strings_.size() - 1);
  return strings_.back();
}

// True for JFR's "Inlined" frame type (a jdk.types.FrameType or a plain string).
absl::StatusOr<bool> Symbols::IsInlined(const Value& v) {
  auto cached = inlined_by_key_.find(v.bits);
  if (v.kind == Kind::kRef && cached != inlined_by_key_.end()) return cached->second;
  HEARTH_ASSIGN_OR_RETURN(Value type, c_.Deref(v));
  if (type.kind == Kind::kObject) {
    HEARTH_ASSIGN_OR_RETURN(type, c_.Deref(c_.Field(type, "description")));
  }
  const bool inlined = c_.Text(type) == "Inlined";
  if (v.kind == Kind::kRef) inlined_by_key_.emplace(v.bits, inlined);
  return inlined;
}

absl::StatusOr<uint32_t> Symbols::Method(const Value& v) {
  auto cached = method_by_key_.find(v.bits);
  if (v.kind == Kind::kRef && cached != method_by_key_.end()) return cached->second;
  HEARTH_ASSIGN_OR_RETURN(Value m, c_.Deref(v));
  MethodInfo info;
  if (m.kind == Kind::kObject) {
    HEARTH_ASSIGN_OR_RETURN(const ClassInfo* cls, Class(c_.Field(m, "type")));
    HEARTH_ASSIGN_OR_RETURN(std::string name, Text(c_.Field(m, "name")));
    HEARTH_ASSIGN_OR_RETURN(std::string descriptor, Text(c_.Field(m, "descriptor")));
    info.name = cls == nullptr || cls->name.empty() ? name : cls->name + "." + name;
    info.system_name = info.name + descriptor;
    info.file = cls == nullptr ? "" : cls->file;
    info.hidden = c_.Field(m, "hidden").AsInt() != 0 || (cls != nullptr && cls->hidden);
  }
  if (info.name.empty()) info.name = info.system_name = "[unknown]";
  methods_.push_back(std::move(info));
  uint32_t index = static_cast<uint32_t>(methods_.size() - 1);
  if (v.kind == Kind::kRef) method_by_key_.emplace(v.bits, index);
  return index;
}

absl::StatusOr<uint32_t> Symbols::Stack(const Value& v) {
  auto cached = stack_by_key_.find(v.bits);
  if (v.kind == Kind::kRef && cached != stack_by_key_.end()) return cached->second;
  HEARTH_ASSIGN_OR_RETURN(Value st, c_.Deref(v));
  uint32_t index = kNoStack;
  if (st.kind == Kind::kObject) {
    Value frames = c_.Field(st, "frames");
    size_t n = frames.kind == Kind::kArray ? frames.count : 0;
    if (n > limits_.max_stack_depth) {
      return absl::InvalidArgumentError(fmt::format(
          "stack trace of {} frames, more than the limit of {}", n, limits_.max_stack_depth));
    }
    StackInfo info{static_cast<uint32_t>(frames_.size()), static_cast<uint32_t>(n),
                   c_.Field(st, "truncated").AsInt() != 0};
    // Every frame has the array's type: look its fields up once.
    const TypeDef* frame_type = n == 0 ? nullptr : &c_.Type(frames);
    const int method = n == 0 ? -1 : frame_type->FieldIndex("method");
    const int line = n == 0 ? -1 : frame_type->FieldIndex("lineNumber");
    const int type = n == 0 ? -1 : frame_type->FieldIndex("type");
    for (size_t i = 0; i < n; ++i) {
      HEARTH_ASSIGN_OR_RETURN(Value f, c_.Deref(c_.Child(frames, i)));
      if (f.kind != Kind::kObject || f.type != frames.type) {
        return absl::InvalidArgumentError(fmt::format("frame {} is not a {}", i, frame_type->name));
      }
      Frame frame;
      HEARTH_ASSIGN_OR_RETURN(frame.method, Method(c_.FieldAt(f, method)));
      frame.line = std::max<int64_t>(0, c_.FieldAt(f, line).AsInt());
      HEARTH_ASSIGN_OR_RETURN(frame.inlined, IsInlined(c_.FieldAt(f, type)));
      frames_.push_back(frame);
    }
    index = static_cast<uint32_t>(stacks_.size());
    stacks_.push_back(info);
  } else if (st.kind != Kind::kNull) {
    return absl::InvalidArgumentError("not a stack trace object");
  }
  if (v.kind == Kind::kRef) stack_by_key_.emplace(v.bits, index);
  return index;
}

absl::StatusOr<std::string_view> Symbols::Thread(const Value& v) {
  return Cached(&thread_by_key_, v, [&](const Value& t) -> absl::StatusOr<std::string> {
    HEARTH_ASSIGN_OR_RETURN(std::string name, Text(c_.Field(t, "javaName")));
    if (name.empty()) return Text(c_.Field(t, "osName"));
    return name;
  });
}

absl::StatusOr<std::string_view> Symbols::State(const Value& v) {
  return Cached(&state_by_key_, v, [&](const Value& s) { return Text(c_.Field(s, "name")); });
}

absl::StatusOr<const ClassInfo*> Symbols::Class(const Value& v) {
  auto cached = class_by_key_.find(v.bits);
  if (v.kind == Kind::kRef && cached != class_by_key_.end()) return &classes_[cached->second];
  HEARTH_ASSIGN_OR_RETURN(Value cls, c_.Deref(v));
  if (cls.kind != Kind::kObject) return nullptr;
  ClassInfo info;
  info.hidden = c_.Field(cls, "hidden").AsInt() != 0;
  HEARTH_ASSIGN_OR_RETURN(std::string raw, Text(c_.Field(cls, "name")));
  HEARTH_ASSIGN_OR_RETURN(Value package, c_.Deref(c_.Field(cls, "package")));
  HEARTH_ASSIGN_OR_RETURN(std::string package_name, Text(c_.Field(package, "name")));
  HEARTH_ASSIGN_OR_RETURN(info.file, Text(c_.Field(cls, "sourceFile")));
  info.name = JavaClassName(raw, package_name, info.hidden);
  classes_.push_back(std::move(info));
  if (v.kind == Kind::kRef) class_by_key_.emplace(v.bits, classes_.size() - 1);
  return &classes_.back();
}

}  // namespace hearth::formats::jfr
