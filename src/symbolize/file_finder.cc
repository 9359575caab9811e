#include "symbolize/file_finder.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace hearth::symbolize {
namespace {

namespace fs = std::filesystem;

bool IsHexId(std::string_view id) {
  return id.size() >= 4 && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A path from a profile must not climb out of the directory it is joined to.
bool IsSafeRelative(std::string_view p) {
  for (std::string_view part : {std::string_view("/../"), std::string_view("\\")}) {
    if (p.find(part) != std::string_view::npos) return false;
  }
  return !(p == ".." || p.starts_with("../") || p.ends_with("/.."));
}

std::string Join(std::string_view dir, std::string_view rest) {
  std::string out(dir);
  while (!out.empty() && out.back() == '/') out.pop_back();
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  out.push_back('/');
  out.append(rest);
  return out;
}

std::string Dirname(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

}  // namespace

std::string_view Basename(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

FileFinder::FileFinder(FinderOptions options) : options_(std::move(options)) {
  for (const std::string& path : options_.binaries) {
    Override o;
    o.path = path;
    o.basename = std::string(Basename(path));
    // The build id decides the match, so read it once now. An unreadable override is kept:
    // opening it later reports the problem against the module that wanted it.
    if (auto f = ElfFile::Open(path); f.ok()) o.build_id = (*f)->build_id();
    overrides_.push_back(std::move(o));
  }
}

std::vector<std::string> FileFinder::BuildIdPaths(std::string_view build_id) const {
  std::vector<std::string> out;
  if (!IsHexId(build_id)) return out;
  for (const std::string& dir : options_.debug_file_directories) {
    const std::string base =
        fmt::format("{}/.build-id/{}/{}", dir, build_id.substr(0, 2), build_id.substr(2));
    out.push_back(base + ".debug");
  }
  return out;
}

std::vector<std::string> FileFinder::BinaryCandidates(const Module& m) const {
  std::vector<std::string> out;
  const std::string_view base = Basename(m.path);
  const bool has_id = IsHexId(m.build_id);
  if (has_id) {
    for (const Override& o : overrides_) {
      if (o.build_id == m.build_id) out.push_back(o.path);
    }
  }
  for (const Override& o : overrides_) {
    if (!base.empty() && o.basename == base) out.push_back(o.path);
  }
  const bool safe_path = !m.path.empty() && IsSafeRelative(m.path);
  for (const std::string& dir : options_.search_paths) {
    if (has_id) {
      if (!base.empty()) out.push_back(Join(dir, fmt::format("{}/{}", m.build_id, base)));
      std::error_code ec;
      const fs::path id_dir = Join(dir, m.build_id);
      for (fs::directory_iterator it(id_dir, ec), end; !ec && it != end; it.increment(ec)) {
        out.push_back(it->path().string());
      }
      if (safe_path) out.push_back(Join(Join(dir, m.path), m.build_id));
    }
    if (!base.empty() && base != "." && base != "..") out.push_back(Join(dir, base));
    if (safe_path) out.push_back(Join(dir, m.path));
  }
  // The mapped file itself before a separate debug file found by build id: the debug file
  // has the symbols but not the code (its sections are NOBITS), so it is the binary only
  // when the real one is not here; FindDebugFile pairs them otherwise.
  if (options_.use_mapping_paths && m.path.starts_with("/")) out.push_back(m.path);
  if (has_id) {
    for (std::string& p : BuildIdPaths(m.build_id)) out.push_back(std::move(p));
  }
  // First occurrence wins.
  std::vector<std::string> unique;
  for (std::string& p : out) {
    if (std::find(unique.begin(), unique.end(), p) == unique.end()) unique.push_back(std::move(p));
  }
  return unique;
}

absl::StatusOr<std::unique_ptr<ElfFile>> FileFinder::FindBinary(const Module& m) const {
  std::vector<std::string> problems;
  for (const std::string& path : BinaryCandidates(m)) {
    absl::StatusOr<std::unique_ptr<ElfFile>> f = ElfFile::Open(path);
    if (!f.ok()) {
      if (!absl::IsNotFound(f.status())) problems.emplace_back(f.status().message());
      continue;
    }
    if (!m.build_id.empty() && (*f)->build_id() != m.build_id) {
      problems.push_back(fmt::format("{}: build id {} does not match the profile's {}", path,
                                     (*f)->build_id().empty() ? "(none)" : (*f)->build_id(),
                                     m.build_id));
      continue;
    }
    return f;
  }
  std::string msg = fmt::format("no file found for {}{}", m.path.empty() ? "(unnamed)" : m.path,
                                m.build_id.empty() ? "" : " (build id " + m.build_id + ")");
  for (const std::string& p : problems) msg += "; " + p;
  return absl::NotFoundError(msg);
}

std::unique_ptr<ElfFile> FileFinder::FindDebugFile(const ElfFile& binary) const {
  for (const std::string& path : BuildIdPaths(binary.build_id())) {
    if (path == binary.path()) continue;
    auto f = ElfFile::Open(path);
    if (f.ok() && (*f)->build_id() == binary.build_id()) return *std::move(f);
  }
  const std::string& link = binary.debuglink();
  if (link.empty() || link.find('/') != std::string::npos) return nullptr;
  std::error_code ec;
  std::string dir = fs::absolute(fs::path(Dirname(binary.path())), ec).lexically_normal().string();
  if (ec) dir = Dirname(binary.path());
  std::vector<std::string> candidates = {Join(dir, link), Join(Join(dir, ".debug"), link)};
  for (const std::string& debug_dir : options_.debug_file_directories) {
    candidates.push_back(Join(Join(debug_dir, dir), link));
  }
  for (const std::string& path : candidates) {
    if (path == binary.path()) continue;
    auto f = ElfFile::Open(path);
    if (!f.ok()) continue;
    if (!binary.build_id().empty() || !(*f)->build_id().empty()) {
      if ((*f)->build_id() == binary.build_id()) return *std::move(f);
      continue;
    }
    // No build ids to compare: the CRC recorded in the link decides.
    auto crc = FileCrc32(path);
    if (crc.ok() && *crc == binary.debuglink_crc()) return *std::move(f);
  }
  return nullptr;
}

std::unique_ptr<ElfFile> FileFinder::FindAltFile(std::string_view name, std::string_view build_id,
                                                 const std::string& debug_path) const {
  std::vector<std::string> candidates = BuildIdPaths(build_id);
  if (!name.empty()) {
    candidates.push_back(name.starts_with("/") ? std::string(name)
                                               : Join(Dirname(debug_path), name));
  }
  for (const std::string& path : candidates) {
    auto f = ElfFile::Open(path);
    if (f.ok() && (*f)->build_id() == build_id) return *std::move(f);
  }
  return nullptr;
}

}  // namespace hearth::symbolize
