#include "bench/synth.h"

#include <fmt/format.h>

#include <algorithm>

namespace hearth::bench {

using profile::Function;
using profile::Label;
using profile::Line;
using profile::Location;
using profile::Mapping;
using profile::Profile;
using profile::Sample;
using profile::StrId;

Profile LargeCpuProfile(uint32_t seed, size_t num_samples) {
  std::mt19937 rng(seed);
  Profile p;
  auto str = [&p](std::string_view s) { return p.strings.Intern(s); };
  p.sample_types.push_back({str("samples"), str("count")});
  p.sample_types.push_back({str("cpu"), str("nanoseconds")});
  p.period_type = {str("cpu"), str("nanoseconds")};
  p.period = 10000000;
  p.time_nanos = 1764142538000000000;
  p.duration_nanos = 240000000000;

  Mapping m;
  m.id = 1;
  m.memory_start = 0x400000;
  m.memory_limit = 0x4000000;
  m.filename = str("/usr/local/bin/large_server");
  m.build_id = str("b6c8a1e0f2d34c5b9a7e6f1d2c3b4a59");
  m.has_functions = m.has_filenames = m.has_line_numbers = true;
  p.mappings.push_back(m);

  const char* namespaces[] = {"storage", "rpc", "net", "absl", "proto2", "util", "search", "base"};
  const char* classes[] = {"Server", "Channel", "Table", "Reader", "Writer", "Arena", "Index"};
  const char* verbs[] = {"Run", "Handle", "Read", "Write", "Lookup", "Merge", "Parse", "Flush"};
  const size_t num_functions = 23000;
  for (size_t i = 0; i < num_functions; ++i) {
    Function f;
    f.id = i + 1;
    std::string name = fmt::format("{}::{}::{}{}<int>(long, {}*)", namespaces[rng() % 8],
                                   classes[rng() % 7], verbs[rng() % 8], i, classes[rng() % 7]);
    f.name = str(name);
    f.system_name = f.name;
    f.filename = str(fmt::format("src/{}/{}_{}.cc", namespaces[i % 8], classes[i % 7], i / 50));
    f.start_line = 10 + rng() % 2000;
    p.functions.push_back(f);
  }
  const size_t num_locations = 23355;
  for (size_t i = 0; i < num_locations; ++i) {
    Location l;
    l.id = i + 1;
    l.mapping = 0;
    l.address = 0x400000 + i * 0x40 + rng() % 0x40;
    l.lines_begin = static_cast<uint32_t>(p.lines.size());
    l.num_lines = 1;
    p.lines.push_back(
        Line{static_cast<uint32_t>(i % num_functions), static_cast<int64_t>(10 + rng() % 5000), 0});
    p.locations.push_back(l);
  }
  StrId k_thread = str("thread"), k_span = str("span_id");
  std::vector<uint32_t> stack;
  for (size_t s = 0; s < num_samples; ++s) {
    size_t depth = 8 + rng() % 33;  // average ~24
    stack.clear();
    for (size_t d = 0; d < depth; ++d) stack.push_back(rng() % num_locations);
    int64_t count = 1 + (rng() % 4 == 0 ? rng() % 3 : 0);
    int64_t values[2] = {count, count * p.period};
    Label labels[2] = {{k_thread, str(fmt::format("worker-{}", rng() % 16)), 0, 0},
                       {k_span, str(fmt::format("{}", 1592590000 + rng() % 5000)), 0, 0}};
    p.AddSample(stack, values, labels);
  }
  return p;
}

Profile Perturb(const Profile& src, std::mt19937_64& rng, int64_t time_shift_ns) {
  Profile p = src;
  p.time_nanos += time_shift_ns;
  std::uniform_real_distribution<double> scale(0.7, 1.3);
  const double factor = scale(rng);
  std::vector<Sample> kept;
  kept.reserve(p.samples.size());
  for (const Sample& s : p.samples) {
    if (rng() % 10 == 0) continue;  // This stack did not occur in this interval.
    kept.push_back(s);
  }
  p.samples = std::move(kept);
  for (const Sample& s : p.samples) {
    auto v = p.MutableValues(s);
    double jitter = factor * scale(rng);
    int64_t first = v.empty() ? 0 : v[0];
    int64_t scaled_first = std::max<int64_t>(1, static_cast<int64_t>(first * jitter + 0.5));
    for (size_t i = 0; i < v.size(); ++i) {
      // Keep the count/time relationship of CPU profiles intact.
      v[i] = first != 0 ? v[i] / first * scaled_first : static_cast<int64_t>(v[i] * jitter);
    }
  }
  // New stacks: a real stack with one frame replaced by another real location. Real
  // services have a bounded set of stacks (a few thousand per binary), so the variants come
  // from a fixed pool of kVariants per source, drawn with a skewed popularity: the same
  // rare stacks come back, as they do in production.
  constexpr uint64_t kVariants = 400;
  const size_t additions = p.samples.size() / 10 + 1;
  // Variants derive from the source's samples (not the thinned copy), so variant v is the
  // same stack every time it is drawn.
  const size_t base_samples = src.samples.size();
  std::vector<uint32_t> stack;
  std::vector<Label> labels;
  std::vector<int64_t> values;
  for (size_t i = 0; i < additions && base_samples > 0 && !p.locations.empty(); ++i) {
    // Squaring a uniform draw favours low variant ids.
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const uint64_t variant = static_cast<uint64_t>(u * u * kVariants);
    std::mt19937_64 vr(variant * 0x9e3779b97f4a7c15ULL + 1);
    const Sample base = src.samples[vr() % base_samples];
    auto st = src.Stack(base);
    stack.assign(st.begin(), st.end());
    if (!stack.empty()) stack[vr() % stack.size()] = static_cast<uint32_t>(vr() % p.locations.size());
    auto lb = src.Labels(base);
    labels.assign(lb.begin(), lb.end());
    for (Label& l : labels) {
      if (l.is_string() && p.Str(l.key) == "span_id") {
        l.str = p.strings.Intern(fmt::format("{}", 1592590000 + rng() % 100000));
      }
    }
    auto vb = src.Values(base);
    values.assign(vb.begin(), vb.end());
    p.AddSample(stack, values, labels);
  }
  return p;
}

}  // namespace hearth::bench
