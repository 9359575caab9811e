#pragma once

#include <CLI/CLI.hpp>

namespace hearth::cli {

// The offline pprof-style tools: top, traces, tags, raw, merge, diff, convert.
// Each subcommand's callback sets *exit_code.
void AddProfileCommands(CLI::App& app, int* exit_code);

}  // namespace hearth::cli
