#pragma once

// Test helpers for the profile operations: build a Profile entity by entity (bypassing
// ProfileBuilder, which is under test too), and print samples in one compact line each so
// tests can assert whole results:
//
//   "leaf;mid;root 1,10 {endpoint=/a worker=3 bytes=64[B]}"
//
// A location prints its lines' function names innermost first joined by '+', or its
// address in hex when it has no lines.

#include <fmt/format.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "profile/profile.h"

namespace hearth::profile::optest {

struct TestLabel {
  std::string key;
  std::string str;
  int64_t num = 0;
  std::string unit;
};

inline TestLabel Str(std::string key, std::string value) {
  return {std::move(key), std::move(value), 0, ""};
}
inline TestLabel Num(std::string key, int64_t v, std::string unit = "") {
  return {std::move(key), "", v, std::move(unit)};
}

class TestProfile {
 public:
  TestProfile(std::initializer_list<std::pair<std::string_view, std::string_view>> types) {
    for (auto [t, u] : types) p.sample_types.push_back({S(t), S(u)});
  }

  StrId S(std::string_view s) { return p.strings.Intern(s); }

  uint32_t Mapping(uint64_t start, uint64_t limit, uint64_t offset, std::string_view file,
                   std::string_view build_id = "") {
    profile::Mapping m;
    m.id = p.mappings.size() + 1;
    m.memory_start = start;
    m.memory_limit = limit;
    m.file_offset = offset;
    m.filename = S(file);
    m.build_id = S(build_id);
    m.has_functions = true;
    p.mappings.push_back(m);
    return static_cast<uint32_t>(p.mappings.size() - 1);
  }

  uint32_t Function(std::string_view name, std::string_view file = "", int64_t start_line = 0) {
    profile::Function f;
    f.id = p.functions.size() + 1;
    f.name = S(name);
    f.system_name = S(name);
    f.filename = S(file);
    f.start_line = start_line;
    p.functions.push_back(f);
    return static_cast<uint32_t>(p.functions.size() - 1);
  }

  // lines: (function index, line number), innermost first.
  uint32_t Location(uint32_t mapping, uint64_t address,
                    std::initializer_list<std::pair<uint32_t, int64_t>> lines = {}) {
    profile::Location l;
    l.id = p.locations.size() + 1;
    l.mapping = mapping;
    l.address = address;
    l.lines_begin = static_cast<uint32_t>(p.lines.size());
    for (auto [f, n] : lines) p.lines.push_back({f, n, 0});
    l.num_lines = static_cast<uint32_t>(lines.size());
    p.locations.push_back(l);
    return static_cast<uint32_t>(p.locations.size() - 1);
  }

  // A location with one line of a new-or-existing function with this name (no mapping).
  uint32_t Frame(std::string_view name) {
    StrId id = S(name);
    uint32_t f = kNone;
    for (uint32_t i = 0; i < p.functions.size(); ++i) {
      if (p.functions[i].name == id) f = i;
    }
    if (f == kNone) f = Function(name);
    for (uint32_t i = 0; i < p.locations.size(); ++i) {
      const auto& l = p.locations[i];
      if (l.mapping == kNone && l.num_lines == 1 && p.lines[l.lines_begin].function == f) return i;
    }
    return Location(kNone, 0, {{f, 0}});
  }

  void Sample(std::vector<uint32_t> stack, std::vector<int64_t> values,
              std::vector<TestLabel> labels = {}) {
    std::vector<Label> ls;
    for (const TestLabel& t : labels) {
      Label l;
      l.key = S(t.key);
      l.str = S(t.str);
      l.num = t.num;
      l.num_unit = S(t.unit);
      ls.push_back(l);
    }
    p.AddSample(stack, values, ls);
  }

  // Sample by frame names, leaf first.
  void Stack(std::initializer_list<std::string_view> frames, std::vector<int64_t> values,
             std::vector<TestLabel> labels = {}) {
    std::vector<uint32_t> stack;
    for (std::string_view f : frames) stack.push_back(Frame(f));
    Sample(std::move(stack), std::move(values), std::move(labels));
  }

  Profile p;
};

inline std::string LocationString(const Profile& p, uint32_t loc) {
  const Location& l = p.locations[loc];
  if (l.num_lines == 0) return fmt::format("{:#x}", l.address);
  std::string out;
  for (const Line& ln : p.Lines(l)) {
    if (!out.empty()) out += '+';
    out += ln.function == kNone ? "?" : std::string(p.Str(p.functions[ln.function].name));
  }
  return out;
}

inline std::string SampleString(const Profile& p, const Sample& s) {
  std::string out;
  bool first = true;
  for (uint32_t loc : p.Stack(s)) {
    if (!first) out += ';';
    out += LocationString(p, loc);
    first = false;
  }
  out += ' ';
  first = true;
  for (int64_t v : p.Values(s)) {
    if (!first) out += ',';
    out += std::to_string(v);
    first = false;
  }
  if (s.num_labels > 0) {
    out += " {";
    first = true;
    for (const Label& l : p.Labels(s)) {
      if (!first) out += ' ';
      first = false;
      if (l.is_string()) {
        out += fmt::format("{}={}", p.Str(l.key), p.Str(l.str));
      } else {
        out += fmt::format("{}={}[{}]", p.Str(l.key), l.num, p.Str(l.num_unit));
      }
    }
    out += '}';
  }
  return out;
}

inline std::vector<std::string> Samples(const Profile& p) {
  std::vector<std::string> out;
  for (const Sample& s : p.samples) out.push_back(SampleString(p, s));
  return out;
}

inline std::vector<std::string> FunctionNames(const Profile& p) {
  std::vector<std::string> out;
  for (const auto& f : p.functions) out.emplace_back(p.Str(f.name));
  return out;
}

}  // namespace hearth::profile::optest
