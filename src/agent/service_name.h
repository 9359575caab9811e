#pragma once
// The labels of a process's profiles before relabeling, and the default service_name.
//
// service_name, first rule that applies:
//   1. a kernel thread                       -> "kernel"
//   2. a systemd service unit (not user@N)   -> the unit without ".service" ("nginx")
//   3. the executable's file name            -> "postgres" (a container's process too)
//   4. the command name                      -> comm
// relabel_configs can override it (target_label: service_name), e.g. from
// __meta_process_cmdline or __meta_kubernetes_pod_uid.
//
// Labels: service_name, pid, comm, exe, container_id, systemd_unit, host (the node name,
// --node or the hostname), plus inputs for relabeling that are removed afterwards:
// __meta_process_pid, __meta_process_ppid, __meta_process_cmdline, __meta_process_cgroup,
// __meta_process_executable_name, __meta_process_executable_build_id,
// __meta_kubernetes_pod_uid, __meta_system_kernel_release.
#include <string>

#include <optional>
#include <utility>
#include <vector>

#include "agent/process_info.h"
#include "base/relabel.h"

namespace hearth::agent {

using LabelSet = std::vector<std::pair<std::string, std::string>>;

std::string DefaultServiceName(const ProcessInfo& p);

// `host` is the node name; `kernel_release` goes into __meta_system_kernel_release.
LabelSet ProcessLabels(const ProcessInfo& p, const std::string& host,
                       const std::string& kernel_release);

// The labels a process's profiles get: `labels` (a later value of a name wins, so external
// labels appended last override), relabeled by `rules`, then without the `__` inputs
// (except __name__) and empty values; sorted by name. nullopt when a keep/drop rule drops
// the process.
std::optional<LabelSet> FinalLabels(LabelSet labels, const std::vector<RelabelRule>& rules);

}  // namespace hearth::agent
