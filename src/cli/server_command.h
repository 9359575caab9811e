#pragma once

#include <CLI/CLI.hpp>

namespace hearth::cli {

// `hearth server [--config FILE] [--data DIR] [--http-addr A] [--grpc-addr A]
// [--otlp-http-addr A]`: runs the ingest and query APIs over the embedded store until
// SIGTERM or SIGINT, then shuts down gracefully (in-flight requests finish, the head is
// flushed). Flags override the config file.
void AddServerCommand(CLI::App& app, int* exit_code);

}  // namespace hearth::cli
