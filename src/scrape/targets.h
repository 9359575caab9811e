#pragma once

// From a job's configuration to the targets it scrapes:
//
//   static_configs ─┐                       per target: __address__, __scheme__, job,
//   file_sd files  ─┴─▶ target groups ──▶   __scrape_interval__, __scrape_timeout__,
//                                            __profile_path_prefix__, group labels, __meta_*
//                                        ──▶ relabel_configs (may drop the target)
//                                        ──▶ instance = __address__ unless set,
//                                            service_name = job unless set, __* removed
//
// file_sd files are Prometheus' format, JSON or YAML: [{"targets": [...], "labels": {...}}].

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "scrape/config.h"

namespace hearth::scrape {

struct TargetGroup {
  std::vector<std::string> targets;
  Labels labels;
};

struct Target {
  std::string key;    // job + final labels + address: the same target across refreshes
  uint64_t hash = 0;  // of key; spreads targets over the interval
  Labels discovered;  // before relabeling (for the targets API)
  Labels labels;      // job, instance, service_name and the rest, sorted
  std::string scheme;
  std::string address;  // host:port
  std::string path_prefix;
};

struct TargetSet {
  std::vector<Target> active;
  std::vector<Labels> dropped;  // discovered labels of targets relabeling dropped
};

TargetSet BuildTargets(const ScrapeConfig& c, const std::vector<TargetGroup>& groups);

// Parses a file_sd document (JSON or YAML).
absl::StatusOr<std::vector<TargetGroup>> ParseFileSd(std::string_view text);

// Watches a job's file_sd files: the globs are expanded and each file re-read when its
// modification time or size changes (checked on every Poll), and all of them every
// refresh_interval. A file that cannot be read or parsed keeps its last good targets.
class FileSdWatcher {
 public:
  explicit FileSdWatcher(std::vector<FileSdConfig> configs) : configs_(std::move(configs)) {}
  // True when the groups changed since the last call (the first call reads everything).
  bool Poll(int64_t now_ns);
  std::vector<TargetGroup> Groups() const;
  // The last read errors, "path: message" (empty when every file parsed).
  std::vector<std::string> errors() const;

 private:
  struct FileState {
    int64_t mtime_ns = -1;
    int64_t size = -1;
    std::vector<TargetGroup> groups;
    std::string error;
  };
  std::vector<FileSdConfig> configs_;
  std::map<std::string, FileState> files_;
  std::vector<int64_t> last_full_ns_;
};

// The offset of a target's scrapes within the interval, [0, interval): a hash, so targets
// spread evenly and a target keeps its phase across restarts (as Prometheus does).
int64_t ScrapeOffsetNs(uint64_t target_hash, int64_t interval_ns);
// The first tick strictly after `now_ns` (wall clock) with that offset.
int64_t NextTickNs(int64_t now_ns, int64_t offset_ns, int64_t interval_ns);

}  // namespace hearth::scrape
