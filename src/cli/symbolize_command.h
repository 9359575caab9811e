#pragma once

#include <CLI/CLI.hpp>

namespace hearth::cli {

// `hearth symbolize PROFILE --binary PATH ... [-o OUT]`: fills in function names, files,
// lines and inline frames from local ELF/DWARF files (and kallsyms, perf maps) and writes
// the profile as gzipped pprof. The callback sets *exit_code.
void AddSymbolizeCommand(CLI::App& app, int* exit_code);

}  // namespace hearth::cli
