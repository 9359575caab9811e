// `hearth`: one binary, many subcommands. This file only wires them; each lives in a library.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "cli/agent_command.h"
#include "cli/db_commands.h"
#include "cli/profile_commands.h"
#include "cli/scrape_command.h"
#include "cli/server_command.h"
#include "cli/symbolize_command.h"

namespace {

// `go tool pprof` spells long flags with one dash (-sample_index=x, -base f). Accept that
// by rewriting "-word..." to "--word..." before parsing (single letters stay short flags).
//
// "@FILE" stands for the lines of FILE (one argument per line), for argument lists longer
// than the kernel allows on a command line (merging a day of profiles).
std::vector<std::string> NormalizeArgs(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 1 && a[0] == '@') {
      std::ifstream in(a.substr(1));
      if (!in) {
        std::fprintf(stderr, "hearth: cannot read argument file %s\n", a.c_str() + 1);
        std::exit(1);
      }
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) args.push_back(line);
      }
      continue;
    }
    if (a.size() > 2 && a[0] == '-' && a[1] != '-' &&
        std::isalpha(static_cast<unsigned char>(a[1])) &&
        (std::isalpha(static_cast<unsigned char>(a[2])) || a[2] == '_')) {
      a.insert(0, "-");
    }
    args.push_back(a);
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes them reversed.
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Hearth: continuous profiling. Offline tools read pprof (and folded) files like "
      "`go tool pprof`."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "hearth 0.1.0");
  int exit_code = 0;
  hearth::cli::AddProfileCommands(app, &exit_code);
  hearth::cli::AddDbCommands(app, &exit_code);
  hearth::cli::AddSymbolizeCommand(app, &exit_code);
  hearth::cli::AddServerCommand(app, &exit_code);
  hearth::cli::AddAgentCommand(app, &exit_code);
  hearth::cli::AddScrapeCommand(app, &exit_code);
  std::vector<std::string> args = NormalizeArgs(argc, argv);
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
