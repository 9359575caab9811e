#include "cli/symbolize_command.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/file.h"
#include "cli/load.h"
#include "profile/pprof_codec.h"
#include "symbolize/demangle.h"
#include "symbolize/symbolize_profile.h"

namespace hearth::cli {
namespace {

struct SymbolizeFlags {
  std::string profile;
  std::string output;
  std::vector<std::string> binaries;
  std::vector<std::string> search_paths;
  std::vector<std::string> debug_dirs;
  std::string kallsyms;
  std::string perf_map_dir = "/tmp";
  std::string demangle = "simplified";
  bool no_local_paths = false;
  bool force = false;
  bool no_fallback = false;
  bool verbose = false;
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "hearth symbolize: %s\n", message.c_str());
  return 1;
}

int Run(const SymbolizeFlags& f) {
  auto mode = symbolize::ParseDemangleMode(f.demangle);
  if (!mode) return Fail("--demangle must be none, full, templates or simplified");
  auto p = LoadFile(f.profile, formats::ParseOptions{});
  if (!p.ok()) return Fail(std::string(p.status().message()));

  symbolize::Options o;
  o.local.files.binaries = f.binaries;
  o.local.files.search_paths = f.search_paths;
  if (!f.debug_dirs.empty()) o.local.files.debug_file_directories = f.debug_dirs;
  o.local.files.use_mapping_paths = !f.no_local_paths;
  o.local.kallsyms_path = f.kallsyms;
  o.local.perf_map_dir = f.perf_map_dir;
  o.local.demangle = *mode;
  o.force = f.force;
  o.fallback_names = !f.no_fallback;
  absl::StatusOr<symbolize::Report> report = symbolize::SymbolizeProfile(*p, o);
  if (!report.ok()) return Fail(std::string(report.status().message()));

  // Missing symbols are not an error (the names degrade to module+offset), but say why.
  for (const symbolize::MappingReport& m : report->mappings) {
    if (!m.status.ok()) {
      std::fprintf(stderr, "hearth symbolize: %s: %zu of %zu addresses unnamed: %s\n",
                   m.file.c_str(), m.addresses - m.symbolized, m.addresses,
                   std::string(m.status.message()).c_str());
    } else if (f.verbose) {
      std::fprintf(stderr, "hearth symbolize: %s: %zu of %zu addresses from %s\n", m.file.c_str(),
                   m.symbolized, m.addresses, m.source.c_str());
    }
  }
  const std::string data = profile::EncodePprofGzip(*p);
  if (f.output.empty() || f.output == "-") {
    std::fwrite(data.data(), 1, data.size(), stdout);
    return 0;
  }
  if (absl::Status s = WriteFileAtomic(f.output, data); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  return 0;
}

}  // namespace

void AddSymbolizeCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<SymbolizeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "symbolize",
      "Add function names, files, lines and inline frames to a profile's addresses from "
      "ELF/DWARF files (like `pprof -symbolize=local`) and write it as gzipped pprof");
  cmd->add_option("profile", f->profile, "The profile to symbolize")->required();
  cmd->add_option("-o,--output", f->output, "Write here instead of stdout");
  cmd->add_option("--binary", f->binaries,
                  "A binary or debug file for the mapping with its build id or basename "
                  "(repeatable)")
      ->type_size(1)
      ->allow_extra_args(false);
  cmd->add_option("--search-path", f->search_paths,
                  "Directory searched like $PPROF_BINARY_PATH: DIR/<build-id>/<name>, "
                  "DIR/<name>, DIR/<path> (repeatable)")
      ->type_size(1)
      ->allow_extra_args(false);
  cmd->add_option("--debug-file-directory", f->debug_dirs,
                  "Where separate debug files live: DIR/.build-id/xx/yyyy.debug and "
                  ".gnu_debuglink targets (repeatable; default /usr/lib/debug)")
      ->type_size(1)
      ->allow_extra_args(false);
  cmd->add_option("--kallsyms", f->kallsyms,
                  "Kernel symbols for [kernel.kallsyms] frames (a saved /proc/kallsyms from "
                  "the profiled machine)");
  cmd->add_option("--perf-map-dir", f->perf_map_dir,
                  "Directory of perf-<pid>.map JIT symbol files (default /tmp)");
  cmd->add_option("--demangle", f->demangle,
                  "none, full, templates or simplified (default, like pprof)");
  cmd->add_flag("--no-local-paths", f->no_local_paths,
                "Do not open the paths the profile's mappings name on this machine");
  cmd->add_flag("--force", f->force, "Re-symbolize locations that already have names");
  cmd->add_flag("--no-fallback-names", f->no_fallback,
                "Leave unknown addresses without lines instead of naming them module+0xoffset");
  cmd->add_flag("-v,--verbose", f->verbose, "Report where each mapping's symbols came from");
  cmd->callback([f, exit_code] { *exit_code = Run(*f); });
}

}  // namespace hearth::cli
