#include "agent/process_info.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "base/fmt.h"
#include "base/strings.h"
#include "symbolize/elf_file.h"

namespace hearth::agent {
namespace {

constexpr size_t kMaxBuildIds = 65536;
constexpr size_t kMaxProcFileBytes = 16 << 20;

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

bool ReadSmallFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->clear();
  char buf[65536];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    out->append(buf, static_cast<size_t>(in.gcount()));
    if (out->size() > kMaxProcFileBytes) break;
  }
  return true;
}

bool ParseHex(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 16) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!IsHex(c)) return false;
    v = v * 16 + static_cast<uint64_t>(std::isdigit(static_cast<unsigned char>(c))
                                           ? c - '0'
                                           : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
  }
  *out = v;
  return true;
}

}  // namespace

const MapEntry* ProcessInfo::Find(uint64_t addr) const {
  auto it = std::upper_bound(maps.begin(), maps.end(), addr,
                             [](uint64_t a, const MapEntry& m) { return a < m.start; });
  if (it == maps.begin()) return nullptr;
  --it;
  return addr < it->end ? &*it : nullptr;
}

std::vector<MapEntry> ParseMaps(std::string_view text) {
  // 55d0c0a00000-55d0c0a21000 r-xp 00002000 fd:01 1234   /usr/bin/foo
  std::vector<MapEntry> out;
  for (std::string_view line : Split(text, '\n')) {
    std::vector<std::string_view> f;
    size_t pos = 0;
    for (int i = 0; i < 5; ++i) {
      while (pos < line.size() && line[pos] == ' ') ++pos;
      size_t end = line.find(' ', pos);
      if (end == std::string_view::npos) end = line.size();
      f.push_back(line.substr(pos, end - pos));
      pos = end;
    }
    if (f[4].empty()) continue;
    std::string_view path = TrimSpace(pos < line.size() ? line.substr(pos) : std::string_view());
    size_t dash = f[0].find('-');
    MapEntry m;
    if (dash == std::string_view::npos || !ParseHex(f[0].substr(0, dash), &m.start) ||
        !ParseHex(f[0].substr(dash + 1), &m.end) || !ParseHex(f[2], &m.offset) ||
        m.end <= m.start || f[1].size() < 3) {
      continue;
    }
    if (f[1][2] != 'x') continue;
    int64_t inode = 0;
    if (ParseInt(f[4], &inode) && inode > 0) m.inode = static_cast<uint64_t>(inode);
    m.path = std::string(path);
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(),
            [](const MapEntry& a, const MapEntry& b) { return a.start < b.start; });
  return out;
}

std::string FindContainerId(std::string_view s) {
  for (size_t i = 0; i + 64 <= s.size(); ++i) {
    if (i > 0 && IsHex(s[i - 1])) continue;
    size_t n = 0;
    while (i + n < s.size() && IsHex(s[i + n])) ++n;
    if (n == 64) return std::string(s.substr(i, 64));
    i += n;
  }
  return "";
}

CgroupInfo ParseCgroup(std::string_view text) {
  // v2: "0::/system.slice/docker-<id>.scope"; v1: "12:name=systemd:/..." and others.
  CgroupInfo c;
  std::string_view fallback;
  for (std::string_view line : Split(text, '\n')) {
    size_t a = line.find(':');
    size_t b = a == std::string_view::npos ? a : line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    std::string_view controllers = line.substr(a + 1, b - a - 1);
    std::string_view path = TrimSpace(line.substr(b + 1));
    if (line.substr(0, a) == "0" && controllers.empty()) {
      c.path = std::string(path);
    } else if (controllers == "name=systemd" && c.path.empty()) {
      c.path = std::string(path);
    } else if (fallback.empty() && path != "/") {
      fallback = path;
    }
  }
  if (c.path.empty() || c.path == "/") {
    if (!fallback.empty()) c.path = std::string(fallback);
  }
  // Per path component, the last one that says something wins (the innermost cgroup).
  for (std::string_view comp : Split(c.path, '/')) {
    if (comp.empty()) continue;
    if (std::string id = FindContainerId(comp); !id.empty()) c.container_id = id;
    if (comp.size() > 8 && comp.substr(comp.size() - 8) == ".service" &&
        comp.substr(0, 5) != "user@") {
      c.systemd_unit = std::string(comp);
    }
    // "pod<uid>" (cgroupfs driver) or "kubepods-burstable-pod<uid with _>.slice" (systemd).
    size_t p = comp.rfind("pod");
    if (comp.find("kubepods") != std::string_view::npos || comp.substr(0, 3) == "pod") {
      if (p != std::string_view::npos && comp.size() >= p + 3 + 36) {
        std::string uid(comp.substr(p + 3, 36));
        std::replace(uid.begin(), uid.end(), '_', '-');
        bool ok = std::all_of(uid.begin(), uid.end(), [](char ch) { return IsHex(ch) || ch == '-'; });
        if (ok) c.pod_uid = uid;
      }
    }
  }
  return c;
}

absl::StatusOr<ProcessInfo> ProcessReader::Read(uint32_t pid) {
  const std::string dir = fmt::format("{}/{}", proc_root_, pid);
  ProcessInfo info;
  info.pid = pid;
  std::string stat;
  if (!ReadSmallFile(dir + "/stat", &stat) || stat.empty()) {
    return absl::NotFoundError(fmt::format("process {} is gone", pid));
  }
  // "pid (comm) S ppid ...": comm may contain spaces and parentheses; it ends at the last ')'.
  size_t open = stat.find('('), close = stat.rfind(')');
  if (open != std::string::npos && close != std::string::npos && close > open) {
    info.comm = stat.substr(open + 1, close - open - 1);
    std::vector<std::string_view> rest = Split(std::string_view(stat).substr(close + 1), ' ');
    // rest[0] is "" (the space after ')'), rest[1] the state, rest[2] the ppid.
    int64_t ppid = 0;
    if (rest.size() > 2 && ParseInt(rest[2], &ppid)) info.ppid = static_cast<uint32_t>(ppid);
    // flags (field 9 of stat) has PF_KTHREAD 0x00200000 for kernel threads.
    int64_t flags = 0;
    if (rest.size() > 7 && ParseInt(rest[7], &flags)) info.kernel_thread = (flags & 0x00200000) != 0;
  }
  char buf[4096];
  ssize_t n = readlink((dir + "/exe").c_str(), buf, sizeof(buf) - 1);
  if (n > 0) {
    info.exe.assign(buf, static_cast<size_t>(n));
    constexpr std::string_view kDeleted = " (deleted)";
    if (info.exe.size() > kDeleted.size() &&
        info.exe.compare(info.exe.size() - kDeleted.size(), kDeleted.size(), kDeleted) == 0) {
      info.exe.resize(info.exe.size() - kDeleted.size());
    }
  }
  std::string text;
  if (ReadSmallFile(dir + "/cmdline", &text)) {
    while (!text.empty() && text.back() == '\0') text.pop_back();
    std::replace(text.begin(), text.end(), '\0', ' ');
    info.cmdline = text.substr(0, 4096);
  }
  if (ReadSmallFile(dir + "/cgroup", &text)) info.cgroup = ParseCgroup(text);
  if (auto s = RefreshMaps(&info); !s.ok()) return s;
  return info;
}

absl::Status ProcessReader::RefreshMaps(ProcessInfo* info) {
  std::string text;
  if (!ReadSmallFile(fmt::format("{}/{}/maps", proc_root_, info->pid), &text)) {
    return absl::NotFoundError(fmt::format("process {} is gone", info->pid));
  }
  std::vector<MapEntry> maps = ParseMaps(text);
  // No executable mapping left: the process is exiting (a zombie has none) or in the middle
  // of an exec (which marks it for a fresh Read anyway). Its samples still to be assembled
  // need the mappings it ran with: keep what we had.
  if (maps.empty() && !info->maps.empty()) return absl::OkStatus();
  for (MapEntry& m : maps) m.build_id = BuildId(info->pid, m);
  info->maps = std::move(maps);
  return absl::OkStatus();
}

std::string ProcessReader::BuildId(uint32_t pid, const MapEntry& m) {
  if (m.path.empty() || m.path[0] != '/') return "";
  std::string key = fmt::format("{}:{}", m.inode, m.path);
  if (auto it = build_ids_.find(key); it != build_ids_.end()) return it->second;
  if (build_ids_.size() >= kMaxBuildIds) build_ids_.clear();
  std::string id;
  auto elf = symbolize::ElfFile::Open(fmt::format("{}/{}/root{}", proc_root_, pid, m.path));
  if (elf.ok()) id = (*elf)->build_id();
  build_ids_[key] = id;
  return id;
}

}  // namespace hearth::agent
