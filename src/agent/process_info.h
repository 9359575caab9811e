#pragma once
// What the agent knows about a process, read from /proc/<pid> while it is alive: its
// executable, command line, cgroup (container id, systemd unit, Kubernetes pod uid) and
// executable mappings with build ids. Samples of a process are symbolized against the
// snapshot taken when it was first seen (or re-read when a sampled address falls outside
// it), so a process that has exited by drain time is still symbolized.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace hearth::agent {

// One executable mapping of /proc/<pid>/maps.
struct MapEntry {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t offset = 0;
  uint64_t inode = 0;
  std::string path;      // as the process sees it; "[vdso]", "" for anonymous memory
  std::string build_id;  // lower-case hex, "" if none or unreadable
};

struct CgroupInfo {
  std::string path;          // the unified (v2) path, else the systemd (v1) one
  std::string container_id;  // 64 hex digits (docker, containerd, cri-o, podman)
  std::string systemd_unit;  // "nginx.service"
  std::string pod_uid;       // Kubernetes pod uid, dashes restored
};

struct ProcessInfo {
  uint32_t pid = 0;
  uint32_t ppid = 0;
  std::string comm;
  std::string exe;      // /proc/<pid>/exe target; "" for kernel threads
  std::string cmdline;  // arguments joined by spaces
  CgroupInfo cgroup;
  std::vector<MapEntry> maps;  // executable mappings, sorted by start
  bool kernel_thread = false;

  // The mapping containing addr, or nullptr.
  const MapEntry* Find(uint64_t addr) const;
};

// Parses /proc/<pid>/maps text, keeping executable mappings. Malformed lines are skipped.
std::vector<MapEntry> ParseMaps(std::string_view text);
// Parses /proc/<pid>/cgroup text (v1 or v2).
CgroupInfo ParseCgroup(std::string_view text);
// The first 64-hex-digit run in `s` bounded by non-hex characters, or "".
std::string FindContainerId(std::string_view s);

// Reads /proc/<pid> under proc_root ("/proc"). Build ids are read from the mapped files
// (through /proc/<pid>/root, so containers' files are found) and cached by the reader.
class ProcessReader {
 public:
  explicit ProcessReader(std::string proc_root = "/proc") : proc_root_(std::move(proc_root)) {}
  // NotFound when the process is gone.
  absl::StatusOr<ProcessInfo> Read(uint32_t pid);
  // Re-reads only the mappings (after a sample outside the known ones).
  absl::Status RefreshMaps(ProcessInfo* info);
  const std::string& proc_root() const { return proc_root_; }

 private:
  std::string BuildId(uint32_t pid, const MapEntry& m);
  std::string proc_root_;
  // (inode, path) -> build id; bounded (cleared when it grows past kMaxBuildIds).
  absl::flat_hash_map<std::string, std::string> build_ids_;
};

}  // namespace hearth::agent
