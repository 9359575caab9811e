#include "agent/service_name.h"

#include <algorithm>

#include "base/fmt.h"

namespace hearth::agent {
namespace {

std::string_view Basename(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string DefaultServiceName(const ProcessInfo& p) {
  if (p.kernel_thread) return "kernel";
  const std::string& unit = p.cgroup.systemd_unit;
  constexpr std::string_view kSuffix = ".service";
  if (unit.size() > kSuffix.size() && unit.compare(0, 5, "user@") != 0) {
    return unit.substr(0, unit.size() - kSuffix.size());
  }
  if (!p.exe.empty()) return std::string(Basename(p.exe));
  if (!p.comm.empty()) return p.comm;
  return "unknown";
}

LabelSet ProcessLabels(const ProcessInfo& p, const std::string& host,
                       const std::string& kernel_release) {
  LabelSet l;
  auto add = [&](std::string k, std::string v) {
    if (!v.empty()) l.emplace_back(std::move(k), std::move(v));
  };
  add("service_name", DefaultServiceName(p));
  add("pid", std::to_string(p.pid));
  add("comm", p.comm);
  add("exe", p.exe);
  add("container_id", p.cgroup.container_id);
  add("systemd_unit", p.cgroup.systemd_unit);
  add("host", host);
  add("__meta_process_pid", std::to_string(p.pid));
  add("__meta_process_ppid", std::to_string(p.ppid));
  add("__meta_process_cmdline", p.cmdline);
  add("__meta_process_cgroup", p.cgroup.path);
  add("__meta_process_executable_name", std::string(Basename(p.exe)));
  std::string build_id;
  for (const MapEntry& m : p.maps) {
    if (m.path == p.exe) {
      build_id = m.build_id;
      break;
    }
  }
  add("__meta_process_executable_build_id", build_id);
  add("__meta_kubernetes_pod_uid", p.cgroup.pod_uid);
  add("__meta_system_kernel_release", kernel_release);
  return l;
}

std::optional<LabelSet> FinalLabels(LabelSet labels, const std::vector<RelabelRule>& rules) {
  // One value per name, the last one given.
  std::stable_sort(labels.begin(), labels.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  LabelSet unique;
  for (auto& l : labels) {
    if (!unique.empty() && unique.back().first == l.first) {
      unique.back().second = std::move(l.second);
    } else {
      unique.push_back(std::move(l));
    }
  }
  if (!Relabel(rules, &unique)) return std::nullopt;
  std::erase_if(unique, [](const auto& l) {
    return l.second.empty() || (l.first.starts_with("__") && l.first != "__name__");
  });
  return unique;
}

}  // namespace hearth::agent
