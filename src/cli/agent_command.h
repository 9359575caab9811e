#pragma once
// `hearth agent`: the eBPF profiler of every process on this host (src/agent), exporting to
// a Hearth server or any OTLP / Pyroscope endpoint (src/export).
#include <CLI/CLI.hpp>

namespace hearth::cli {

void AddAgentCommand(CLI::App& app, int* exit_code);

}  // namespace hearth::cli
