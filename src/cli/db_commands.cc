#include "cli/db_commands.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/file.h"
#include "base/fmt.h"
#include "base/quantity.h"
#include "base/strings.h"
#include "cli/load.h"
#include "formats/detect.h"
#include "profile/call_tree.h"
#include "profile/filter.h"
#include "profile/pprof_codec.h"
#include "profile/report.h"
#include "query/selector.h"
#include "query/time.h"
#include "storage/engine.h"

namespace hearth::cli {
namespace {

using storage::Engine;
using storage::Labels;

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "hearth db: %s\n", std::string(s.message()).c_str());
  return 1;
}

struct DbFlags {
  std::string data = "./hearth-data";
  std::string tenant = "anonymous";
};

void AddDbFlags(CLI::App* cmd, DbFlags* f) {
  cmd->add_option("--data", f->data, "Data directory of the embedded store")
      ->capture_default_str();
  cmd->add_option("--tenant", f->tenant, "Tenant (X-Scope-OrgID)")->capture_default_str();
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(const DbFlags& f, Env* env) {
  storage::EngineOptions o;
  o.dir = f.data;
  o.env = env;
  o.background = false;
  return Engine::Open(std::move(o));
}

// --- import ------------------------------------------------------------------------------

struct ImportFlags {
  DbFlags db;
  std::vector<std::string> files;
  std::vector<std::string> labels;
  std::string name, service, time, from;
  size_t batch = 64;
  bool progress = false, no_progress = false;
};

// A one-line progress bar on stderr: [=======>      ] 512/1000  2310 profiles/s
class Progress {
 public:
  Progress(size_t total, bool enabled) : total_(total), enabled_(enabled) {}
  void Update(size_t done) {
    if (!enabled_) return;
    const double secs = Elapsed();
    const int width = 30;
    const int filled = total_ == 0 ? width : static_cast<int>(width * done / total_);
    std::string bar(filled, '=');
    if (filled < width) bar += '>' + std::string(width - filled - 1, ' ');
    std::fprintf(stderr, "\r[%s] %zu/%zu  %.0f profiles/s", bar.c_str(), done, total_,
                 secs > 0 ? done / secs : 0.0);
    std::fflush(stderr);
  }
  void Done() {
    if (enabled_) std::fprintf(stderr, "\n");
  }
  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  size_t total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

std::string DefaultService(const profile::Profile& p, const std::string& path) {
  if (!p.mappings.empty()) {
    std::string_view file = p.Str(p.mappings[0].filename);
    if (!file.empty() && file.front() != '[') {
      return std::filesystem::path(std::string(file)).filename().string();
    }
  }
  std::string stem = std::filesystem::path(path).filename().string();
  return stem.substr(0, stem.find('.'));
}

int RunImport(ImportFlags& f) {
  std::unique_ptr<Env> env = NewPosixEnv();
  Labels fixed;
  for (const std::string& kv : f.labels) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Fail(absl::InvalidArgumentError(fmt::format("--label {}: expected name=value", kv)));
    }
    fixed.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  // Sorted (LabelValue searches), duplicates reported as errors.
  if (auto s = storage::NormalizeLabels(fixed); !s.ok()) return Fail(s);
  int64_t fixed_time = 0;
  if (!f.time.empty()) {
    auto t = query::ParseTime(f.time, env->NowNanos());
    if (!t.ok()) return Fail(t.status());
    fixed_time = *t;
  }
  formats::ParseOptions parse;
  if (!f.from.empty()) {
    auto fmt_ = formats::ParseFormatName(f.from);
    if (!fmt_.ok()) return Fail(fmt_.status());
    parse.format = *fmt_;
  }
  auto engine = OpenEngine(f.db, env.get());
  if (!engine.ok()) return Fail(engine.status());
  Progress progress(f.files.size(), f.progress || (!f.no_progress && isatty(STDERR_FILENO)));

  // Profiles and their labels, appended in batches (one fsync per batch).
  std::vector<profile::Profile> profiles;
  std::vector<Labels> labels;
  uint64_t samples = 0;
  size_t done = 0;
  auto flush_batch = [&]() -> absl::Status {
    std::vector<storage::AppendRequest> batch;
    for (size_t i = 0; i < profiles.size(); ++i) batch.push_back({labels[i], &profiles[i], 0, {}});
    auto s = (*engine)->Append(f.db.tenant, batch);
    profiles.clear();
    labels.clear();
    return s;
  };
  for (const std::string& path : f.files) {
    auto p = LoadFile(path, parse);
    if (!p.ok()) return Fail(p.status());
    samples += p->samples.size();
    // Labels and time from flags, else from the profile, else from the file.
    Labels l = fixed;
    if (!storage::LabelValue(fixed, storage::kNameLabel).has_value()) {
      l.emplace_back(std::string(storage::kNameLabel), storage::GuessProfileName(*p));
    }
    if (!storage::LabelValue(fixed, storage::kServiceNameLabel).has_value()) {
      l.emplace_back(std::string(storage::kServiceNameLabel), DefaultService(*p, path));
    }
    if (auto s = storage::NormalizeLabels(l); !s.ok()) return Fail(s);
    if (fixed_time != 0) {
      p->time_nanos = fixed_time;
    } else if (p->time_nanos == 0) {
      struct stat st;
      if (::stat(path.c_str(), &st) == 0) {
        p->time_nanos = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
      }
    }
    profiles.push_back(std::move(*p));
    labels.push_back(std::move(l));
    if (profiles.size() >= f.batch) {
      if (auto s = flush_batch(); !s.ok()) return Fail(s);
    }
    progress.Update(++done);
  }
  if (!profiles.empty()) {
    if (auto s = flush_batch(); !s.ok()) return Fail(s);
  }
  progress.Done();
  if (auto s = (*engine)->Close(); !s.ok()) return Fail(s);
  const double secs = progress.Elapsed();
  std::printf("imported %zu profiles (%llu samples) in %.2fs (%.0f profiles/s) into %s\n", done,
              static_cast<unsigned long long>(samples), secs, secs > 0 ? done / secs : 0.0,
              f.db.data.c_str());
  return 0;
}

// --- query -------------------------------------------------------------------------------

struct QueryFlags {
  DbFlags db;
  std::string selector, from = "now-1h", to = "now", format = "top", step = "1m", output;
  std::vector<std::string> group_by, span_ids;
  bool no_rollups = false;
  int nodecount = -1;
  profile::FrameFilters frames;
};

int RunQuery(QueryFlags& f) {
  std::unique_ptr<Env> env = NewPosixEnv();
  auto sel = query::ParseSelector(f.selector);
  if (!sel.ok()) return Fail(sel.status());
  if (sel->type.name.empty()) {
    return Fail(absl::InvalidArgumentError(
        "the selector needs a profile type, e.g. process_cpu{...} (see `hearth db analyze`)"));
  }
  const int64_t now = env->NowNanos();
  auto from = query::ParseTime(f.from, now);
  if (!from.ok()) return Fail(from.status());
  auto to = query::ParseTime(f.to, now);
  if (!to.ok()) return Fail(to.status());
  if (*from >= *to) return Fail(absl::InvalidArgumentError("--from must be before --to"));
  storage::SelectRequest req;
  req.tenant = f.db.tenant;
  req.type = sel->type;
  req.matchers = sel->matchers;
  req.range = {*from, *to};
  req.group_by = f.group_by;
  req.span_ids = f.span_ids;
  req.use_rollups = !f.no_rollups;
  auto engine = OpenEngine(f.db, env.get());
  if (!engine.ok()) return Fail(engine.status());

  std::string out;
  if (f.format == "series") {
    auto step = ParseDuration(f.step);
    if (!step.ok()) return Fail(step.status());
    req.step_ns = *step;
    auto r = (*engine)->SelectSeries(req);
    if (!r.ok()) return Fail(r.status());
    for (const auto& w : r->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    for (const auto& s : r->series) {
      out += storage::LabelsString(s.group) + "\n";
      for (const auto& pt : s.points) {
        time_t secs = pt.ts_ns / 1000000000;
        struct tm tm;
        gmtime_r(&secs, &tm);
        char buf[32];
        std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
        out += fmt::format("  {} {}\n", buf, pt.value);
      }
    }
  } else {
    auto r = (*engine)->SelectMerge(req);
    if (!r.ok()) return Fail(r.status());
    for (const auto& w : r->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    for (auto& g : r->groups) {
      if (!f.group_by.empty()) out += storage::LabelsString(g.group) + "\n";
      // The top report filters like pprof (percentages of the whole profile); the others
      // get the filtered profile.
      if (f.format != "top" && !f.frames.empty()) {
        std::vector<std::string> notes;
        if (auto s = profile::ApplyFrameFilters(g.profile, f.frames, &notes); !s.ok()) return Fail(s);
        for (const auto& n : notes) std::fprintf(stderr, "%s\n", n.c_str());
      }
      if (f.format == "pprof") {
        if (r->groups.size() > 1) {
          return Fail(absl::InvalidArgumentError("--format pprof writes one profile: drop --group-by"));
        }
        out = profile::EncodePprofGzip(g.profile);
      } else if (f.format == "folded") {
        out += profile::CallTree::Build(g.profile, 0).ToFolded();
      } else if (f.format == "top") {
        profile::ReportOptions ro;
        ro.node_count = f.nodecount;
        ro.focus = f.frames.focus;
        ro.ignore = f.frames.ignore;
        ro.hide = f.frames.hide;
        ro.show = f.frames.show;
        ro.show_from = f.frames.show_from;
        ro.prune_from = f.frames.prune_from;
        auto prepared = profile::PrepareLikePprof(std::move(g.profile));
        if (!prepared.ok()) return Fail(prepared.status());
        auto rep = profile::GenerateReport(std::move(*prepared), profile::ReportFormat::kTop, ro);
        if (!rep.ok()) return Fail(rep.status());
        for (const auto& w : rep->warnings) std::fprintf(stderr, "%s\n", w.c_str());
        out += rep->text;
      } else {
        return Fail(absl::InvalidArgumentError(
            fmt::format("unknown --format {} (top, folded, pprof, series)", f.format)));
      }
    }
    std::fprintf(stderr, "read %llu rows (%llu from rollups), %llu samples, %llu series\n",
                 static_cast<unsigned long long>(r->stats.rows),
                 static_cast<unsigned long long>(r->stats.rollup_rows),
                 static_cast<unsigned long long>(r->stats.samples),
                 static_cast<unsigned long long>(r->stats.series));
  }
  if (f.output.empty() || f.output == "-") {
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  auto s = WriteFileAtomic(f.output, out);
  return s.ok() ? 0 : Fail(s);
}

// --- analyze / verify --------------------------------------------------------------------

std::string Bytes(uint64_t b) {
  if (b >= (uint64_t{1} << 30)) return fmt::format("{:.1f} GiB", b / double(uint64_t{1} << 30));
  if (b >= (1 << 20)) return fmt::format("{:.1f} MiB", b / double(1 << 20));
  if (b >= (1 << 10)) return fmt::format("{:.1f} KiB", b / double(1 << 10));
  return fmt::format("{} B", b);
}

int RunAnalyze(const DbFlags& f) {
  std::unique_ptr<Env> env = NewPosixEnv();
  auto engine = OpenEngine(f, env.get());
  if (!engine.ok()) return Fail(engine.status());
  const auto blocks = (*engine)->Blocks();
  std::string out = fmt::format("data directory: {}\n\n", f.data);
  out += fmt::format("{:<10} {:>7} {:>10} {:>9} {:>10} {:>12} {:>10} {:>10}\n", "resolution",
                     "blocks", "bytes", "series", "rows", "samples", "B/row", "B/sample");
  uint64_t total = 0, symbols = 0, raw_rows = 0, raw_bytes = 0;
  for (int r = 0; r < 3; ++r) {
    uint64_t n = 0, bytes = 0, series = 0, rows = 0, samples = 0;
    for (const auto& b : blocks) {
      if (static_cast<int>(b.meta.resolution) != r) continue;
      ++n;
      bytes += b.file_bytes;
      series += b.meta.num_series;
      rows += b.meta.num_rows;
      samples += b.meta.num_samples;
      symbols += b.sizes.symbols + b.sizes.tree;
    }
    total += bytes;
    if (r == 0) {
      raw_rows = rows;
      raw_bytes = bytes;
    }
    out += fmt::format("{:<10} {:>7} {:>10} {:>9} {:>10} {:>12} {:>10.1f} {:>10.2f}\n",
                       storage::ResolutionName(static_cast<storage::Resolution>(r)), n,
                       Bytes(bytes), series, rows, samples, rows ? double(bytes) / rows : 0.0,
                       samples ? double(bytes) / samples : 0.0);
  }
  const auto st = (*engine)->stats();
  out += fmt::format("\ntotal on disk: {} in {} blocks; symbols and stack trees: {} ({:.1f}%)\n",
                     Bytes(total), blocks.size(), Bytes(symbols),
                     total ? 100.0 * symbols / total : 0.0);
  if (raw_rows > 0) {
    out += fmt::format("raw: {:.0f} bytes per stored series-row (one profile of one label set)\n",
                       double(raw_bytes) / raw_rows);
  }
  out += fmt::format("head (not yet flushed): {} series, {} replayed profiles\n", st.head_series,
                     (*engine)->recovery().replayed_profiles);
  out += fmt::format("tenants: {}\n", fmt::join((*engine)->Tenants(), ", "));
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int RunVerify(const DbFlags& f) {
  std::unique_ptr<Env> env = NewPosixEnv();
  auto engine = OpenEngine(f, env.get());
  if (!engine.ok()) return Fail(engine.status());
  const auto& rec = (*engine)->recovery();
  int problems = 0;
  for (const auto& d : rec.wal.damage) {
    std::printf("WAL damage: %s offset %llu: %llu bytes skipped (%s)\n", d.segment.c_str(),
                static_cast<unsigned long long>(d.offset), static_cast<unsigned long long>(d.bytes),
                d.reason.c_str());
    ++problems;
  }
  for (const auto& e : rec.replay_errors) {
    std::printf("WAL record not applied: %s\n", e.c_str());
    ++problems;
  }
  for (const auto& bad : (*engine)->Verify()) {
    std::printf("damaged block: %s\n", bad.c_str());
    ++problems;
  }
  const size_t blocks = (*engine)->Blocks().size();
  if (problems == 0) {
    std::printf("ok: %zu blocks and %llu WAL records verified\n", blocks,
                static_cast<unsigned long long>(rec.wal.records));
    return 0;
  }
  std::printf("%d problem(s) found\n", problems);
  return 1;
}

}  // namespace

void AddDbCommands(CLI::App& app, int* exit_code) {
  CLI::App* db = app.add_subcommand("db", "The embedded store, offline: import, query, analyze, verify");
  db->require_subcommand(1);
  {
    auto f = std::make_shared<ImportFlags>();
    CLI::App* cmd = db->add_subcommand(
        "import", "Backfill profiles (pprof or any supported format) into the store");
    AddDbFlags(cmd, &f->db);
    cmd->add_option("files", f->files, "Profile files")->required();
    cmd->add_option("--label", f->labels, "Series label name=value (repeatable)");
    cmd->add_option("--name", f->name, "Profile type name (__name__); default: guessed");
    cmd->add_option("--service", f->service, "service_name; default: the binary or file name");
    cmd->add_option("--time", f->time, "Timestamp for every profile (default: its own, else the file's mtime)");
    cmd->add_option("--from", f->from, "Input format (default: detect)");
    cmd->add_option("--batch", f->batch, "Profiles per durable batch")->capture_default_str();
    cmd->add_flag("--progress", f->progress, "Show a progress bar even when stderr is not a terminal");
    cmd->add_flag("--no-progress", f->no_progress, "Never show a progress bar");
    cmd->callback([f, exit_code] {
      if (!f->service.empty()) f->labels.push_back("service_name=" + f->service);
      if (!f->name.empty()) f->labels.push_back("__name__=" + f->name);
      *exit_code = RunImport(*f);
    });
  }
  {
    auto f = std::make_shared<QueryFlags>();
    CLI::App* cmd = db->add_subcommand("query", "Query the store: selector + time range -> report");
    AddDbFlags(cmd, &f->db);
    cmd->add_option("selector", f->selector,
                    "e.g. 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"api\"}'")
        ->required();
    cmd->add_option("--from", f->from, "Start (now-1h, RFC 3339, unix time)")->capture_default_str();
    cmd->add_option("--to", f->to, "End")->capture_default_str();
    cmd->add_option("--format", f->format, "top, folded, pprof or series")->capture_default_str();
    cmd->add_option("--step", f->step, "Bucket width for --format series")->capture_default_str();
    cmd->add_option("--group-by", f->group_by, "Label names to group by")->delimiter(',');
    cmd->add_option("--span-id", f->span_ids, "Only samples of these span ids");
    cmd->add_option("--nodecount", f->nodecount, "Rows of the top report (default all)");
    cmd->add_option("--focus", f->frames.focus, "Keep samples with a frame matching this regexp");
    cmd->add_option("--ignore", f->frames.ignore, "Drop samples with a frame matching this regexp");
    cmd->add_option("--hide", f->frames.hide, "Remove frames matching this regexp");
    cmd->add_option("--show", f->frames.show, "Keep only frames matching this regexp");
    cmd->add_option("--show_from", f->frames.show_from, "Drop frames above the first match");
    cmd->add_option("--prune_from", f->frames.prune_from, "Drop frames below the first match");
    cmd->add_flag("--no-rollups", f->no_rollups, "Read raw rows only");
    cmd->add_option("-o,--output", f->output, "Write to a file (pprof is gzipped)");
    cmd->callback([f, exit_code] { *exit_code = RunQuery(*f); });
  }
  {
    auto f = std::make_shared<DbFlags>();
    CLI::App* cmd = db->add_subcommand("analyze", "Blocks, series, bytes per profile and per sample");
    AddDbFlags(cmd, f.get());
    cmd->callback([f, exit_code] { *exit_code = RunAnalyze(*f); });
  }
  {
    auto f = std::make_shared<DbFlags>();
    CLI::App* cmd = db->add_subcommand("verify", "Check every block and the WAL; exit 1 on damage");
    AddDbFlags(cmd, f.get());
    cmd->callback([f, exit_code] { *exit_code = RunVerify(*f); });
  }
}

}  // namespace hearth::cli
