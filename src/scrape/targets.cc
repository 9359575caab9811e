#include "scrape/targets.h"

#include <glob.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "absl/hash/hash.h"
#include "base/file.h"
#include "base/fmt.h"

namespace hearth::scrape {
namespace {

std::string FormatSeconds(int64_t ns) {
  if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  return fmt::format("{}ms", ns / 1'000'000);
}

void SetDefault(Labels* l, std::string_view name, std::string value) {
  for (const auto& [k, v] : *l) {
    if (k == name) return;
  }
  l->emplace_back(std::string(name), std::move(value));
}

std::string_view Get(const Labels& l, std::string_view name) {
  for (const auto& [k, v] : l) {
    if (k == name) return v;
  }
  return {};
}

}  // namespace

TargetSet BuildTargets(const ScrapeConfig& c, const std::vector<TargetGroup>& groups) {
  TargetSet out;
  std::vector<std::string> seen;
  for (const TargetGroup& g : groups) {
    for (const std::string& address : g.targets) {
      Labels l = g.labels;
      l.emplace_back("__address__", address);
      SetDefault(&l, "job", c.job_name);
      SetDefault(&l, "__scheme__", c.scheme);
      SetDefault(&l, "__scrape_interval__", FormatSeconds(c.interval_ns));
      SetDefault(&l, "__scrape_timeout__", FormatSeconds(c.timeout_ns));
      SetDefault(&l, "__profile_path_prefix__", c.path_prefix);
      std::sort(l.begin(), l.end());
      Labels discovered = l;
      if (!Relabel(c.relabel_configs, &l) || Get(l, "__address__").empty()) {
        out.dropped.push_back(std::move(discovered));
        continue;
      }
      Target t;
      t.address = std::string(Get(l, "__address__"));
      t.scheme = std::string(Get(l, "__scheme__"));
      if (t.scheme != "https") t.scheme = "http";
      t.path_prefix = std::string(Get(l, "__profile_path_prefix__"));
      while (!t.path_prefix.empty() && t.path_prefix.back() == '/') t.path_prefix.pop_back();
      SetDefault(&l, "instance", t.address);
      SetDefault(&l, "service_name", std::string(Get(l, "job")));
      l.erase(std::remove_if(
                  l.begin(), l.end(),
                  [](const auto& kv) { return kv.first.starts_with("__") || kv.second.empty(); }),
              l.end());
      std::sort(l.begin(), l.end());
      t.key = c.job_name + '\x1f' + t.scheme + "://" + t.address + t.path_prefix;
      for (const auto& [k, v] : l) t.key += fmt::format("\x1f{}={}", k, v);
      // Two groups naming the same target (same final labels) scrape it once.
      if (std::find(seen.begin(), seen.end(), t.key) != seen.end()) continue;
      seen.push_back(t.key);
      t.hash = absl::HashOf(t.key);
      t.discovered = std::move(discovered);
      t.labels = std::move(l);
      out.active.push_back(std::move(t));
    }
  }
  return out;
}

absl::StatusOr<std::vector<TargetGroup>> ParseFileSd(std::string_view text) {
  std::vector<TargetGroup> out;
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (!root || root.IsNull()) return out;
    if (!root.IsSequence())
      return absl::InvalidArgumentError("expected a list of {targets, labels} groups");
    for (size_t i = 0; i < root.size(); ++i) {
      const YAML::Node g = root[i];
      if (!g.IsMap())
        return absl::InvalidArgumentError(fmt::format("group {}: expected a mapping", i));
      TargetGroup tg;
      for (const auto& kv : g) {
        const std::string k = kv.first.as<std::string>();
        if (k == "targets") {
          if (!kv.second.IsSequence())
            return absl::InvalidArgumentError(fmt::format("group {}: targets: expected a list", i));
          for (const auto& t : kv.second) {
            if (!t.IsScalar())
              return absl::InvalidArgumentError(
                  fmt::format("group {}: targets: expected strings", i));
            tg.targets.push_back(t.as<std::string>());
          }
        } else if (k == "labels") {
          if (!kv.second.IsMap())
            return absl::InvalidArgumentError(
                fmt::format("group {}: labels: expected a mapping", i));
          for (const auto& l : kv.second) {
            const std::string name = l.first.as<std::string>();
            if (!IsValidLabelName(name) || !l.second.IsScalar()) {
              return absl::InvalidArgumentError(
                  fmt::format("group {}: labels: bad label \"{}\"", i, name));
            }
            tg.labels.emplace_back(name, l.second.as<std::string>());
          }
        } else {
          return absl::InvalidArgumentError(fmt::format("group {}: unknown key \"{}\"", i, k));
        }
      }
      out.push_back(std::move(tg));
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
  return out;
}

bool FileSdWatcher::Poll(int64_t now_ns) {
  if (last_full_ns_.size() != configs_.size()) last_full_ns_.assign(configs_.size(), INT64_MIN);
  bool changed = false;
  std::map<std::string, FileState> next;
  for (size_t ci = 0; ci < configs_.size(); ++ci) {
    const bool full = last_full_ns_[ci] == INT64_MIN ||
                      now_ns - last_full_ns_[ci] >= configs_[ci].refresh_interval_ns;
    if (full) last_full_ns_[ci] = now_ns;
    for (const std::string& pattern : configs_[ci].files) {
      glob_t g{};
      if (glob(pattern.c_str(), 0, nullptr, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; ++i) {
          const std::string path = g.gl_pathv[i];
          if (next.count(path)) continue;
          struct stat st {};
          if (stat(path.c_str(), &st) != 0) continue;
          const int64_t mtime = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
          auto old = files_.find(path);
          FileState fs;
          if (old != files_.end()) fs = old->second;
          if (old == files_.end() || full || fs.mtime_ns != mtime || fs.size != st.st_size) {
            fs.mtime_ns = mtime;
            fs.size = st.st_size;
            auto text = ReadFile(path, 16 << 20);
            absl::StatusOr<std::vector<TargetGroup>> groups =
                text.ok() ? ParseFileSd(*text)
                          : absl::StatusOr<std::vector<TargetGroup>>(text.status());
            if (groups.ok()) {
              for (TargetGroup& tg : *groups) tg.labels.emplace_back("__meta_filepath", path);
              // Compare by content: a touched file with the same targets changes nothing.
              auto key = [](const std::vector<TargetGroup>& v) {
                std::string k;
                for (const auto& tg : v) {
                  for (const auto& t : tg.targets) k += t + ",";
                  for (const auto& [a, b] : tg.labels) k += a + "=" + b + ",";
                  k += ";";
                }
                return k;
              };
              if (old == files_.end() || key(fs.groups) != key(*groups)) changed = true;
              fs.groups = std::move(*groups);
              fs.error.clear();
            } else {
              fs.error = std::string(groups.status().message());
            }
          }
          next.emplace(path, std::move(fs));
        }
      }
      globfree(&g);
    }
  }
  for (const auto& [path, _] : files_) {
    if (!next.count(path)) changed = true;  // a file went away
  }
  files_ = std::move(next);
  return changed;
}

std::vector<TargetGroup> FileSdWatcher::Groups() const {
  std::vector<TargetGroup> out;
  for (const auto& [_, fs] : files_) out.insert(out.end(), fs.groups.begin(), fs.groups.end());
  return out;
}

std::vector<std::string> FileSdWatcher::errors() const {
  std::vector<std::string> out;
  for (const auto& [path, fs] : files_) {
    if (!fs.error.empty()) out.push_back(fmt::format("{}: {}", path, fs.error));
  }
  return out;
}

int64_t ScrapeOffsetNs(uint64_t target_hash, int64_t interval_ns) {
  return static_cast<int64_t>(target_hash % static_cast<uint64_t>(interval_ns));
}

int64_t NextTickNs(int64_t now_ns, int64_t offset_ns, int64_t interval_ns) {
  const int64_t phase = ((now_ns - offset_ns) % interval_ns + interval_ns) % interval_ns;
  return now_ns - phase + interval_ns;
}

}  // namespace hearth::scrape
