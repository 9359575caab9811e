#include "agent/assembler.h"

#include <map>
#include <memory>
#include <optional>

#include <unistd.h>

#include "base/fmt.h"
#include "profile/builder.h"
#include "symbolize/symbolize_profile.h"

namespace hearth::agent {
namespace {

constexpr std::string_view kKernelPath = "[kernel.kallsyms]";
constexpr size_t kMaxUnwindReports = 16384;

struct Building {
  std::unique_ptr<profile::ProfileBuilder> builder;
  std::optional<std::string> perf_map;  // "" if the process has none; unset: not looked yet
  const ProcessInfo* process = nullptr;
  uint32_t kernel_mapping = profile::kNone;
  absl::flat_hash_map<const MapEntry*, uint32_t> mappings;
};

// Anonymous executable memory is JIT code: when the process writes a perf map (Node with
// --perf-basic-prof, Java with a perf-map agent), the mapping is named after it so the
// symbolizer reads names from it.
std::string MappingName(const ProcessInfo& p, const MapEntry& m, std::optional<std::string>* perf_map) {
  const bool anonymous = m.path.empty() || m.path.rfind("[anon", 0) == 0 || m.path == "//anon";
  if (!anonymous) return m.path;
  if (!perf_map->has_value()) {
    std::string path = fmt::format("/tmp/perf-{}.map", p.pid);
    *perf_map = access(path.c_str(), R_OK) == 0 ? path : "";
  }
  return (*perf_map)->empty() ? "//anon" : **perf_map;
}

void SetHeader(profile::ProfileBuilder& b, uint32_t kind, const AssembleOptions& o) {
  profile::Profile& p = b.profile();
  if (kind == HEARTH_KIND_CPU) {
    p.sample_types = {{b.Str("samples"), b.Str("count")}, {b.Str("cpu"), b.Str("nanoseconds")}};
    p.period_type = {b.Str("cpu"), b.Str("nanoseconds")};
    p.period = 1'000'000'000 / std::max(1, o.frequency_hz);
  } else {
    p.sample_types = {{b.Str("off_cpu"), b.Str("nanoseconds")}};
    p.period_type = {b.Str("off_cpu"), b.Str("nanoseconds")};
    p.period = 1;
  }
  p.time_nanos = o.time_ns;
  p.duration_nanos = o.duration_ns;
}

}  // namespace

std::vector<AgentProfile> Assembler::Assemble(const std::vector<RawSample>& samples,
                                              const AssembleOptions& options,
                                              const ProcessLookup& process,
                                              const LabelLookup& labels) {
  // (pid, kind) -> profile under construction; ordered so output order is stable.
  std::map<std::pair<uint32_t, uint32_t>, Building> building;
  std::vector<uint32_t> stack;
  // Unwinding reports outlive their processes (for /processes) but are bounded.
  if (unwind_.size() > kMaxUnwindReports) unwind_.clear();
  for (const RawSample& s : samples) {
    Building& b = building[{s.key.pid, s.key.kind}];
    if (!b.builder) {
      b.builder = std::make_unique<profile::ProfileBuilder>();
      b.process = process(s.key.pid);
      SetHeader(*b.builder, s.key.kind, options);
    }
    profile::ProfileBuilder& pb = *b.builder;
    const ProcessInfo& info = *b.process;
    UnwindStats& us = unwind_[s.key.pid];
    ++us.stacks;
    stack.clear();
    // Kernel frames (leaf-most), then user frames.
    if (!s.kernel.empty() && b.kernel_mapping == profile::kNone) {
      profile::Mapping m;
      m.filename = pb.Str(kKernelPath);
      b.kernel_mapping = pb.AddMapping(m);
    }
    for (size_t i = 0; i < s.kernel.size(); ++i) {
      uint64_t pc = i == 0 ? s.kernel[i] : s.kernel[i] - 1;
      stack.push_back(pb.AddLocation(b.kernel_mapping, pc, {}));
    }
    us.kernel_frames += s.kernel.size();
    UserFrames uf;
    if (s.key.user_stack_id == HEARTH_DWARF_STACK_ID) {
      uf.pcs = s.user;  // unwound with CFI already: exact, nothing to check or recover
    } else if (info.maps.empty()) {
      uf.pcs = s.user;  // nothing to check against (process unknown)
    } else {
      uf = CleanUserStack(s.user, s.key.leaf_ret, std::span<const uint8_t, 7>(s.key.leaf_code, 7),
                          info);
    }
    us.frames += uf.pcs.size();
    us.leaf_callers_recovered += uf.leaf_caller_recovered;
    us.truncated += uf.truncated;
    // The interrupted pc is exact only for the innermost frame of the whole stack; when
    // the sample hit in the kernel, the user stack's first pc is a syscall return point.
    for (size_t i = 0; i < uf.pcs.size(); ++i) {
      const uint64_t pc = (i == 0 && s.kernel.empty()) ? uf.pcs[i] : uf.pcs[i] - 1;
      const MapEntry* me = info.Find(pc);
      uint32_t mapping = profile::kNone;
      if (me) {
        auto [it, inserted] = b.mappings.try_emplace(me, 0);
        if (inserted) {
          profile::Mapping m;
          m.memory_start = me->start;
          m.memory_limit = me->end;
          m.file_offset = me->offset;
          m.filename = pb.Str(MappingName(info, *me, &b.perf_map));
          m.build_id = pb.Str(me->build_id);
          it->second = pb.AddMapping(m);
        }
        mapping = it->second;
      }
      stack.push_back(pb.AddLocation(mapping, pc, {}));
    }
    if (stack.empty()) continue;
    profile::Label thread[2] = {};
    thread[0].key = pb.Str("thread_id");
    thread[0].str = pb.Str(std::to_string(s.key.tid));
    std::string_view comm(s.key.comm, strnlen(s.key.comm, sizeof(s.key.comm)));
    thread[1].key = pb.Str("thread_name");
    thread[1].str = pb.Str(comm.empty() ? "?" : comm);
    if (s.key.kind == HEARTH_KIND_CPU) {
      const int64_t values[2] = {static_cast<int64_t>(s.value.count),
                                 static_cast<int64_t>(s.value.count) * pb.profile().period};
      pb.AddSample(stack, values, thread);
    } else {
      const uint32_t pct = options.offcpu_sample_pct ? options.offcpu_sample_pct : 100;
      const int64_t values[1] = {static_cast<int64_t>(s.value.value_ns * 100 / pct)};
      pb.AddSample(stack, values, thread);
    }
  }

  std::vector<AgentProfile> out;
  symbolize::Options sym_options;
  for (auto& [key, b] : building) {
    std::optional<LabelSet> l = labels(*b.process);
    if (!l) continue;  // relabeling dropped the process
    AgentProfile ap;
    ap.profile = b.builder->Finish();
    if (ap.profile.samples.empty()) continue;
    auto report = symbolize::SymbolizeProfile(ap.profile, *symbolizer_, sym_options);
    if (!report.ok()) {
      ++symbolize_errors_;
      continue;
    }
    ap.labels = std::move(*l);
    ap.labels.emplace_back("__name__", key.second == HEARTH_KIND_CPU ? "process_cpu" : "off_cpu");
    out.push_back(std::move(ap));
  }
  return out;
}

}  // namespace hearth::agent
