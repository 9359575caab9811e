#include "cli/load.h"

#include <fmt/format.h>

#include "base/file.h"
#include "profile/filter.h"
#include "profile/merge.h"
#include "profile/report.h"

namespace hearth::cli {

absl::StatusOr<profile::Profile> LoadFile(const std::string& path,
                                          const formats::ParseOptions& parse) {
  auto data = ReadFile(path, parse.pprof.max_input_bytes);
  if (!data.ok()) return data.status();
  auto p = formats::ParseProfile(*data, parse);
  if (!p.ok()) {
    return absl::Status(p.status().code(),
                        fmt::format("{}: {}", path, std::string(p.status().message())));
  }
  return p;
}

absl::StatusOr<profile::Profile> LoadAndMerge(const std::vector<std::string>& paths,
                                              const formats::ParseOptions& parse) {
  profile::Merger merger;
  for (const std::string& path : paths) {
    auto p = LoadFile(path, parse);
    if (!p.ok()) return p.status();
    profile::AddFakeMapping(*p);  // pprof gives mapping-less profiles one before merging.
    if (auto s = merger.Add(*p); !s.ok()) {
      return absl::Status(s.code(), fmt::format("{}: {}", path, std::string(s.message())));
    }
  }
  return merger.Finish();
}

absl::StatusOr<profile::Profile> LoadSources(const LoadOptions& o) {
  if (o.sources.empty()) return absl::InvalidArgumentError("no profile given");
  if (!o.bases.empty() && !o.diff_bases.empty()) {
    return absl::InvalidArgumentError("-base and -diff_base are mutually exclusive");
  }
  auto p = LoadAndMerge(o.sources, o.parse);
  if (!p.ok()) return p.status();
  const bool diff = !o.diff_bases.empty();
  const std::vector<std::string>& base_paths = diff ? o.diff_bases : o.bases;
  if (!base_paths.empty()) {
    auto base = LoadAndMerge(base_paths, o.parse);
    if (!base.ok()) return base.status();
    p = profile::SubtractBase(std::move(*p), std::move(*base),
                              diff ? profile::BaseMode::kDiffBase : profile::BaseMode::kBase,
                              o.normalize);
    if (!p.ok()) return p.status();
  } else if (o.normalize) {
    return absl::InvalidArgumentError("-normalize needs -base or -diff_base");
  }
  profile::SimplifyFunctionNames(*p);
  if (auto s = profile::RemoveUninteresting(*p); !s.ok()) return s;
  return p;
}

}  // namespace hearth::cli
