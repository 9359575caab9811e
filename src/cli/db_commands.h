#pragma once

#include <CLI/CLI.hpp>

namespace hearth::cli {

// `hearth db import|query|analyze|verify`: the embedded store, offline (in the spirit of
// `promtool tsdb`).
void AddDbCommands(CLI::App& app, int* exit_code);

}  // namespace hearth::cli
