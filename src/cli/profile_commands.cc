#include "cli/profile_commands.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/file.h"
#include "cli/load.h"
#include "formats/folded.h"
#include "formats/otlp.h"
#include "formats/speedscope.h"
#include "profile/pprof_codec.h"
#include "profile/report.h"

namespace hearth::cli {
namespace {

using profile::Granularity;
using profile::ReportFormat;
using profile::ReportOptions;

// Everything a pprof-style report command accepts. Flag names follow `go tool pprof`.
struct ReportFlags {
  ReportOptions report;
  LoadOptions load;
  std::string granularity;
  std::string output;
  std::string from;
  std::string jfr_event;
  bool flat = false;
  bool cum = false;
  bool trim = true;
  // Legacy sample-index shortcuts.
  bool inuse_space = false, inuse_objects = false, alloc_space = false, alloc_objects = false;
  bool total_delay = false, contentions = false, mean_delay = false;
  bool g_functions = false, g_filefunctions = false, g_files = false, g_lines = false,
       g_addresses = false;
};

void AddReportFlags(CLI::App* cmd, ReportFlags* f, bool with_sources = true) {
  ReportOptions& r = f->report;
  if (with_sources) {
    cmd->add_option("profiles", f->load.sources, "Profile files (merged, like pprof)")->required();
  }
  cmd->add_option("-o,--output", f->output, "Write to this file instead of stdout");
  cmd->add_option("--from", f->from,
                  "Input format (default: detect): " + formats::FormatNames());
  cmd->add_option("--jfr-event", f->jfr_event,
                  "JFR input: which events (cpu, alloc, lock, ... or a jdk.* event name)");
  cmd->add_option("--sample_index", r.sample_index,
                  "Sample value to report: index or type name (default: the profile's "
                  "default_sample_type, else the last)");
  cmd->add_flag("--mean", r.mean, "Average value per event (value / value[0])");
  cmd->add_option("--divide_by", r.divide_by, "Divide values by this ratio");
  cmd->add_option("--unit", r.unit, "Output unit (minimum, auto, ms, MB, ...)");
  cmd->add_option("--nodecount", r.node_count, "Show at most this many nodes");
  cmd->add_option("--nodefraction", r.node_fraction, "Hide nodes below this fraction of the total");
  cmd->add_option("--edgefraction", r.edge_fraction, "Hide edges below this fraction");
  cmd->add_flag("--trim,!--notrim", f->trim, "Apply nodecount/nodefraction/edgefraction");
  cmd->add_flag("--flat", f->flat, "Sort by flat value (default)");
  cmd->add_flag("--cum", f->cum, "Sort by cumulative value");
  cmd->add_flag("--drop_negative", r.drop_negative, "Ignore negative differences");
  cmd->add_flag("--relative_percentages", r.relative_percentages,
                "Percentages relative to the focused subgraph");
  cmd->add_flag("--compact_labels", r.compact_labels, "Fewer header lines");
  cmd->add_option("--granularity", f->granularity,
                  "functions, filefunctions, files, lines or addresses");
  cmd->add_flag("--functions", f->g_functions, "Aggregate at the function level (default)");
  cmd->add_flag("--filefunctions", f->g_filefunctions, "Aggregate at function and file");
  cmd->add_flag("--files", f->g_files, "Aggregate at the file level");
  cmd->add_flag("--lines", f->g_lines, "Aggregate at the source line level");
  cmd->add_flag("--addresses", f->g_addresses, "Aggregate at the address level");
  cmd->add_flag("--noinlines", r.no_inlines, "Attribute inlined frames to their caller");
  cmd->add_option("--focus", r.focus, "Keep samples with a frame matching this regexp");
  cmd->add_option("--ignore", r.ignore, "Drop samples with a frame matching this regexp");
  cmd->add_option("--hide", r.hide, "Remove frames matching this regexp");
  cmd->add_option("--show", r.show, "Keep only frames matching this regexp");
  cmd->add_option("--show_from", r.show_from, "Drop frames above the first match");
  cmd->add_option("--prune_from", r.prune_from, "Drop frames below the first match");
  cmd->add_option("--tagfocus", r.tag_focus, "Keep samples with matching labels");
  cmd->add_option("--tagignore", r.tag_ignore, "Drop samples with matching labels");
  cmd->add_option("--tagshow", r.tag_show, "Keep only label keys matching this regexp");
  cmd->add_option("--taghide", r.tag_hide, "Remove label keys matching this regexp");
  cmd->add_option("--tagroot", r.tag_root, "Label keys to add as root frames");
  cmd->add_option("--tagleaf", r.tag_leaf, "Label keys to add as leaf frames");
  cmd->add_option("--base", f->load.bases, "Subtract this (cumulative) profile")
      ->type_size(1)
      ->allow_extra_args(false);
  cmd->add_option("--diff_base", f->load.diff_bases, "Compare against this profile")
      ->type_size(1)
      ->allow_extra_args(false);
  cmd->add_flag("--normalize", f->load.normalize, "Scale the source to the base's total");
  cmd->add_flag("--inuse_space", f->inuse_space, "Same as --sample_index=inuse_space");
  cmd->add_flag("--inuse_objects", f->inuse_objects, "Same as --sample_index=inuse_objects");
  cmd->add_flag("--alloc_space", f->alloc_space, "Same as --sample_index=alloc_space");
  cmd->add_flag("--alloc_objects", f->alloc_objects, "Same as --sample_index=alloc_objects");
  cmd->add_flag("--total_delay", f->total_delay, "Same as --sample_index=delay");
  cmd->add_flag("--contentions", f->contentions, "Same as --sample_index=contentions");
  cmd->add_flag("--mean_delay", f->mean_delay, "Same as --mean --sample_index=delay");
}

// Folds the shortcut flags into the report options.
absl::Status Resolve(ReportFlags* f) {
  ReportOptions& r = f->report;
  struct Shortcut {
    bool set;
    const char* index;
  };
  for (const Shortcut& s :
       {Shortcut{f->inuse_space, "inuse_space"}, Shortcut{f->inuse_objects, "inuse_objects"},
        Shortcut{f->alloc_space, "alloc_space"}, Shortcut{f->alloc_objects, "alloc_objects"},
        Shortcut{f->total_delay, "delay"}, Shortcut{f->contentions, "contentions"},
        Shortcut{f->mean_delay, "delay"}}) {
    if (s.set) r.sample_index = s.index;
  }
  if (f->mean_delay) r.mean = true;
  if (f->cum) r.cum_sort = true;
  if (!f->trim) {
    r.node_count = 0;
    r.node_fraction = 0;
    r.edge_fraction = 0;
  }
  std::string g = f->granularity;
  if (f->g_functions) g = "functions";
  if (f->g_filefunctions) g = "filefunctions";
  if (f->g_files) g = "files";
  if (f->g_lines) g = "lines";
  if (f->g_addresses) g = "addresses";
  if (!g.empty()) {
    auto parsed = profile::ParseGranularity(g);
    if (!parsed.ok()) return parsed.status();
    r.granularity = *parsed;
  }
  if (!f->from.empty()) {
    auto format = formats::ParseFormatName(f->from);
    if (!format.ok()) return format.status();
    f->load.parse.format = *format;
  }
  f->load.parse.jfr.event = f->jfr_event;
  return absl::OkStatus();
}

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "hearth: %s\n", std::string(s.message()).c_str());
  return 1;
}

absl::Status WriteOutput(const std::string& path, std::string_view data) {
  if (path.empty() || path == "-") {
    std::fwrite(data.data(), 1, data.size(), stdout);
    return absl::OkStatus();
  }
  return WriteFileAtomic(path, data);
}

int RunReport(ReportFlags& f, ReportFormat format) {
  if (auto s = Resolve(&f); !s.ok()) return Fail(s);
  auto p = LoadSources(f.load);
  if (!p.ok()) return Fail(p.status());
  auto report = profile::GenerateReport(std::move(*p), format, f.report);
  if (!report.ok()) return Fail(report.status());
  for (const std::string& w : report->warnings) std::fprintf(stderr, "%s\n", w.c_str());
  if (auto s = WriteOutput(f.output, report->text); !s.ok()) return Fail(s);
  return 0;
}

// Loads, merges and subtracts like a report, then writes the profile itself (gzipped pprof).
int RunWritePprof(ReportFlags& f) {
  if (auto s = Resolve(&f); !s.ok()) return Fail(s);
  auto p = LoadSources(f.load);
  if (!p.ok()) return Fail(p.status());
  if (auto s = WriteOutput(f.output, profile::EncodePprofGzip(*p)); !s.ok()) return Fail(s);
  return 0;
}

// Loads like a report, then writes speedscope JSON of the selected sample type.
int RunWriteSpeedscope(ReportFlags& f) {
  if (auto s = Resolve(&f); !s.ok()) return Fail(s);
  auto p = LoadSources(f.load);
  if (!p.ok()) return Fail(p.status());
  formats::SpeedscopeWriteOptions o;
  o.sample_index = f.report.sample_index;
  auto json = formats::WriteSpeedscope(*p, o);
  if (!json.ok()) return Fail(json.status());
  if (auto s = WriteOutput(f.output, *json); !s.ok()) return Fail(s);
  return 0;
}

// Loads like a report, then writes an OTLP ExportProfilesServiceRequest (binary) with one
// OTLP Profile per sample type; `resource` holds "key=value" resource attributes.
int RunWriteOtlp(ReportFlags& f, const std::vector<std::string>& resource) {
  std::vector<std::pair<std::string, std::string>> attributes;
  for (const std::string& kv : resource) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Fail(absl::InvalidArgumentError(
          fmt::format("--otlp-resource \"{}\": want key=value, e.g. service.name=api", kv)));
    }
    attributes.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  if (auto s = Resolve(&f); !s.ok()) return Fail(s);
  auto p = LoadSources(f.load);
  if (!p.ok()) return Fail(p.status());
  const std::string request = formats::EncodeOtlpRequest({{std::move(attributes), &*p}});
  if (auto s = WriteOutput(f.output, request); !s.ok()) return Fail(s);
  return 0;
}

void AddReport(CLI::App& app, int* exit_code, const char* name, const char* help,
               ReportFormat format) {
  auto flags = std::make_shared<ReportFlags>();
  CLI::App* cmd = app.add_subcommand(name, help);
  AddReportFlags(cmd, flags.get());
  cmd->callback([flags, format, exit_code] { *exit_code = RunReport(*flags, format); });
}

}  // namespace

void AddProfileCommands(CLI::App& app, int* exit_code) {
  AddReport(app, exit_code, "top",
            "Top functions by flat or cumulative value (the columns of `go tool pprof -top`)",
            ReportFormat::kTop);
  AddReport(app, exit_code, "traces", "Every sample with its labels and stack (pprof -traces)",
            ReportFormat::kTraces);
  AddReport(app, exit_code, "tags", "Label keys and values with their share (pprof -tags)",
            ReportFormat::kTags);
  AddReport(app, exit_code, "raw", "A text dump of the profile (pprof -raw)", ReportFormat::kRaw);

  {
    auto flags = std::make_shared<ReportFlags>();
    CLI::App* cmd = app.add_subcommand(
        "diff", "Compare profiles: `hearth diff BASE NEW...` is `top --diff_base BASE NEW...`");
    auto base = std::make_shared<std::string>();
    cmd->add_option("base", *base, "The baseline profile")->required();
    AddReportFlags(cmd, flags.get());
    cmd->callback([flags, base, exit_code] {
      flags->load.diff_bases.push_back(*base);
      *exit_code = RunReport(*flags, ReportFormat::kTop);
    });
  }
  {
    auto flags = std::make_shared<ReportFlags>();
    CLI::App* cmd = app.add_subcommand(
        "merge", "Merge profiles (and subtract bases) into one gzipped pprof file");
    AddReportFlags(cmd, flags.get());
    cmd->get_option("--output")->required();
    cmd->callback([flags, exit_code] { *exit_code = RunWritePprof(*flags); });
  }
  {
    auto flags = std::make_shared<ReportFlags>();
    auto to = std::make_shared<std::string>();
    auto resource = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = app.add_subcommand(
        "convert",
        "Convert a profile: `hearth convert IN -o OUT [--from F] [--to F]`; reads "
        "every supported format, writes pprof, folded, speedscope or otlp");
    AddReportFlags(cmd, flags.get());
    cmd->add_option("--to", *to,
                    "Output format: pprof, folded, speedscope or otlp (default: from the output "
                    "name: .folded/.txt/.collapsed -> folded, .json -> speedscope, .otlp.pb/.otlp "
                    "-> otlp, else pprof)");
    cmd->add_option("--otlp-resource", *resource,
                    "With --to otlp: a resource attribute key=value (repeatable), e.g. "
                    "service.name=api");
    cmd->callback([flags, to, resource, exit_code] {
      std::string target = *to;
      const std::string& out = flags->output;
      if (target.empty()) {
        if (out.ends_with(".folded") || out.ends_with(".txt") || out.ends_with(".collapsed")) {
          target = "folded";
        } else if (out.ends_with(".json")) {
          target = "speedscope";
        } else if (out.ends_with(".otlp.pb") || out.ends_with(".otlp")) {
          target = "otlp";
        } else {
          target = "pprof";
        }
      }
      if (target == "speedscope") {
        *exit_code = RunWriteSpeedscope(*flags);
        return;
      }
      if (target == "otlp") {
        *exit_code = RunWriteOtlp(*flags, *resource);
        return;
      }
      auto format = formats::ParseFormatName(target);
      if (!format.ok() ||
          (*format != formats::Format::kFolded && *format != formats::Format::kPprof)) {
        *exit_code = Fail(absl::InvalidArgumentError(fmt::format(
            "cannot write \"{}\": --to takes pprof, folded, speedscope or otlp", target)));
        return;
      }
      *exit_code = *format == formats::Format::kFolded ? RunReport(*flags, ReportFormat::kFolded)
                                                       : RunWritePprof(*flags);
    });
  }
}

}  // namespace hearth::cli
