#pragma once

// Comparisons shared by the gperftools and Go legacy reader tests.

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "profile/profile.h"

namespace hearth::formats::testing {

// The value vectors of the samples of a `go tool pprof -raw` output, sorted.
inline std::vector<std::vector<int64_t>> RawSampleValues(std::string_view raw) {
  std::vector<std::vector<int64_t>> out;
  bool in_samples = false;
  for (std::string_view line : Split(raw, '\n')) {
    if (line == "Samples:") {
      in_samples = true;
      continue;
    }
    if (line == "Locations") break;
    size_t colon = line.find(':');
    if (!in_samples || !line.starts_with(" ") || colon == std::string_view::npos) continue;
    std::vector<int64_t> values;
    bool numbers = true;
    for (std::string_view v : Split(line.substr(0, colon), ' ')) {
      int64_t x = 0;
      if (v.empty()) continue;
      if (!ParseInt(v, &x)) numbers = false;
      values.push_back(x);
    }
    if (numbers) out.push_back(values);  // Label lines ("bytes:[448]") are not numbers.
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<std::vector<int64_t>> SampleValues(const profile::Profile& p) {
  std::vector<std::vector<int64_t>> out;
  for (const profile::Sample& s : p.samples) {
    auto v = p.Values(s);
    out.emplace_back(v.begin(), v.end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The value of each sample type summed over the samples of a -raw output.
inline std::vector<int64_t> RawTotals(std::string_view raw) {
  std::vector<int64_t> totals;
  for (const auto& v : RawSampleValues(raw)) {
    totals.resize(v.size());
    for (size_t i = 0; i < v.size(); ++i) totals[i] += v[i];
  }
  return totals;
}

inline std::vector<int64_t> Totals(const profile::Profile& p) {
  std::vector<int64_t> totals;
  for (size_t i = 0; i < p.sample_types.size(); ++i) totals.push_back(p.Total(i));
  return totals;
}

// Names of the functions that samples reach.
inline std::set<std::string> FunctionNames(const profile::Profile& p) {
  std::set<std::string> out;
  for (const profile::Sample& s : p.samples) {
    for (uint32_t l : p.Stack(s)) {
      for (const profile::Line& ln : p.Lines(p.locations[l])) {
        out.emplace(p.Str(p.functions[ln.function].name));
      }
    }
  }
  return out;
}

inline std::vector<std::string> SampleTypes(const profile::Profile& p) {
  std::vector<std::string> out;
  for (const profile::ValueType& t : p.sample_types) {
    out.push_back(std::string(p.Str(t.type)) + "/" + std::string(p.Str(t.unit)));
  }
  return out;
}

// Drops the lines that depend on the capture and not on the data ("File:", "Time:").
inline std::string WithoutFileAndTime(std::string_view text) {
  std::string out;
  for (std::string_view line : Split(text, '\n')) {
    if (line.starts_with("File: ") || line.starts_with("Time: ")) continue;
    out.append(line);
    out += '\n';
  }
  while (out.ends_with("\n\n")) out.pop_back();
  return out;
}

// The names column of a -top report (flat-sorted), the first `n` rows.
inline std::vector<std::string> TopNames(std::string_view top, size_t n) {
  std::vector<std::string> out;
  bool rows = false;
  for (std::string_view line : Split(top, '\n')) {
    if (TrimSpace(line).starts_with("flat ")) {
      rows = true;
      continue;
    }
    if (!rows || out.size() == n) continue;
    // flat flat% sum% cum cum% name...
    size_t pos = 0;
    for (int field = 0; field < 5; ++field) {
      pos = line.find_first_not_of(' ', pos);
      pos = line.find(' ', pos);
    }
    if (pos != std::string_view::npos) out.emplace_back(TrimSpace(line.substr(pos)));
  }
  return out;
}

}  // namespace hearth::formats::testing
