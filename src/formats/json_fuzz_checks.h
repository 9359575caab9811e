#pragma once

// Properties the JSON format fuzzers check on every input a reader accepts. A failed
// property aborts, which libFuzzer reports as a crash with the input saved.

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "profile/call_tree.h"
#include "profile/pprof_codec.h"
#include "profile/profile.h"

namespace hearth::formats::fuzzing {

inline void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "property violated: %s\n", what);
    std::abort();
  }
}

// Validate() passes, and pprof encode -> decode reproduces the profile exactly.
inline void CheckValidAndPprofRoundTrip(const profile::Profile& p) {
  Require(profile::Validate(p).ok(), "Validate");
  auto again = profile::DecodePprofUncompressed(profile::EncodePprof(p));
  Require(again.ok(), "pprof decode of the encoded profile");
  Require(profile::Equal(p, *again), "pprof round trip is Equal");
}

// values[vi] per root-first stack of frame names (profile::FrameName, inlined lines
// expanded), zero values left out.
inline std::map<std::string, int64_t> ByStack(const profile::Profile& p, size_t vi) {
  std::map<std::string, int64_t> out;
  for (const profile::Sample& s : p.samples) {
    if (p.Values(s)[vi] == 0) continue;
    std::string key;
    auto stack = p.Stack(s);
    for (size_t i = stack.size(); i-- > 0;) {
      const profile::Location& loc = p.locations[stack[i]];
      auto lines = p.Lines(loc);
      if (lines.empty()) key += profile::FrameName(p, loc, nullptr) + '\x01';
      for (size_t k = lines.size(); k-- > 0;) key += profile::FrameName(p, loc, &lines[k]) + '\x01';
    }
    out[key] += p.Values(s)[vi];
  }
  return out;
}

}  // namespace hearth::formats::fuzzing
