#pragma once

// Helpers for the JSON format tests: fixture reading and views of a Profile by function
// name, computed straight from the model (no report code), so tests compare numbers that
// come from different paths.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/file.h"
#include "profile/pprof_codec.h"
#include "profile/profile.h"

namespace hearth::formats::testing {

inline std::string Fixture(std::string_view relative) {
  std::string path = std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/" + std::string(relative);
  auto data = ReadFile(path);
  EXPECT_TRUE(data.ok()) << path << ": " << data.status();
  return data.ok() ? *std::move(data) : std::string();
}

// Name of the function of a location's line `k` (innermost first).
inline std::string_view FunctionName(const profile::Profile& p, uint32_t loc, size_t k = 0) {
  auto lines = p.Lines(p.locations[loc]);
  if (k >= lines.size() || lines[k].function == profile::kNone) return "";
  return p.Str(p.functions[lines[k].function].name);
}

// Root-first function names of a sample's stack, inlined lines expanded (outermost first).
inline std::vector<std::string> RootFirstNames(const profile::Profile& p,
                                               const profile::Sample& s) {
  std::vector<std::string> names;
  auto stack = p.Stack(s);
  for (size_t i = stack.size(); i-- > 0;) {
    auto lines = p.Lines(p.locations[stack[i]]);
    for (size_t k = lines.size(); k-- > 0;) names.emplace_back(FunctionName(p, stack[i], k));
  }
  return names;
}

inline std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ";") + n;
  return out;
}

// values[vi] summed per leaf function name (self).
inline std::map<std::string, int64_t> SelfByFunction(const profile::Profile& p, size_t vi) {
  std::map<std::string, int64_t> self;
  for (const profile::Sample& s : p.samples) {
    auto stack = p.Stack(s);
    std::string name = stack.empty() ? "" : std::string(FunctionName(p, stack[0]));
    self[name] += p.Values(s)[vi];
  }
  return self;
}

// values[vi] summed per root-first stack of names, optionally with a label value in front.
inline std::map<std::string, int64_t> ByStack(const profile::Profile& p, size_t vi,
                                              std::string_view label_key = {}) {
  std::map<std::string, int64_t> out;
  for (const profile::Sample& s : p.samples) {
    std::string key = Join(RootFirstNames(p, s));
    if (!label_key.empty()) {
      std::string value = "-";
      for (const profile::Label& l : p.Labels(s)) {
        if (p.Str(l.key) == label_key) value = std::string(p.Str(l.str));
      }
      key = value + "|" + key;
    }
    out[key] += p.Values(s)[vi];
  }
  return out;
}

// Validate() passes and an encode -> decode round trip through pprof is lossless.
inline void ExpectValidAndPprofRoundTrip(const profile::Profile& p) {
  EXPECT_TRUE(profile::Validate(p).ok()) << profile::Validate(p);
  auto again = profile::DecodePprofUncompressed(profile::EncodePprof(p));
  ASSERT_TRUE(again.ok()) << again.status();
  std::string why;
  EXPECT_TRUE(profile::Equal(p, *again, &why)) << why;
}

}  // namespace hearth::formats::testing
