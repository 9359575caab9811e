// Compaction and retention.
//
// Compaction merges the blocks of one tenant and resolution that fall in the same aligned
// window (a day of raw data, a week of 1m rollups, 30 days of 1h rollups) into one block:
// symbols re-interned once, stack trees merged, rows re-rolled so one bucket is one row.
// The new block lists the ids it replaces; it is published before the old files are
// deleted, and recovery deletes leftovers of a compaction that crashed in between.

#include "base/fmt.h"

#include <map>

#include "base/status_macros.h"
#include "storage/engine.h"
#include "storage/engine_internal.h"

namespace hearth::storage {
namespace {

int64_t WindowOf(Resolution r, const CompactionOptions& o) {
  switch (r) {
    case Resolution::kRaw: return o.raw_window_ns;
    case Resolution::kMinute: return o.minute_window_ns;
    case Resolution::kHour: return o.hour_window_ns;
  }
  return o.raw_window_ns;
}

int64_t FloorTo(int64_t t, int64_t r) {
  int64_t q = t / r * r;
  return q > t ? q - r : q;
}

}  // namespace

absl::Status Engine::Compact() {
  if (!options_.compaction.enabled) return absl::OkStatus();
  std::lock_guard<std::mutex> maintenance(maintenance_mu_);
  const int64_t now = env_->NowNanos();
  struct Job {
    std::string tenant;
    Resolution res;
    std::vector<std::shared_ptr<Block>> blocks;
  };
  std::vector<Job> jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, t] : tenants_) {
      for (Resolution r : {Resolution::kRaw, Resolution::kMinute, Resolution::kHour}) {
        const int64_t window = WindowOf(r, options_.compaction);
        std::map<int64_t, std::vector<std::shared_ptr<Block>>> by_window;
        for (const auto& b : t->blocks[static_cast<int>(r)]) {
          const int64_t w = FloorTo(b->min_ts(), window);
          if (b->max_ts() >= w + window) continue;  // spans windows: leave it alone
          by_window[w].push_back(b);
        }
        for (auto& [w, blocks] : by_window) {
          const bool closed = w + window + options_.head_max_age_ns <= now;
          if (blocks.size() >= 2 &&
              (closed || blocks.size() >= options_.compaction.max_blocks_per_open_window)) {
            jobs.push_back({name, r, std::move(blocks)});
          }
        }
      }
    }
  }
  for (Job& job : jobs) {
    if (auto s = CompactWindow(job.tenant, job.res, std::move(job.blocks)); !s.ok()) {
      return absl::Status(s.code(), fmt::format("compaction of {} {} blocks failed: {}",
                                                job.tenant, ResolutionName(job.res), s.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status Engine::CompactWindow(const std::string& tenant, Resolution res,
                                   std::vector<std::shared_ptr<Block>> blocks) {
  profile::ProfileBuilder builder;
  profile::EntityImporter importer(builder);
  StackTree tree;
  struct OutSeries {
    Labels labels;
    SeriesSchema schema;
    RowBatch rows;
  };
  std::vector<OutSeries> series;
  std::map<std::pair<Labels, uint64_t>, size_t> series_index;
  BlockMeta meta;
  meta.id = NewBlockId();
  meta.tenant = tenant;
  meta.resolution = res;
  meta.created_ns = env_->NowNanos();
  std::vector<uint32_t> node_map;
  std::vector<RowBatch::SampleIn> samples;
  for (const auto& b : blocks) {
    meta.level = std::max(meta.level, b->meta().level + 1);
    meta.sources.push_back(b->meta().id);
    HEARTH_ASSIGN_OR_RETURN(RowSource::SymbolsView view, b->Symbols());
    importer.Bind(*view.entities);
    // Parents come before children, so one pass maps every node.
    node_map.assign(view.tree->size(), 0);
    for (uint32_t n = 1; n < view.tree->size(); ++n) {
      node_map[n] = tree.Insert(node_map[view.tree->parent(n)],
                                importer.MapLocation(view.tree->location(n)));
    }
    for (size_t s = 0; s < b->num_series(); ++s) {
      auto key = std::make_pair(b->labels(s), HashSchema(b->schema(s)));
      auto [it, inserted] = series_index.try_emplace(key, series.size());
      if (inserted) {
        OutSeries o;
        o.labels = b->labels(s);
        o.schema = b->schema(s);
        o.rows.num_values = static_cast<uint32_t>(o.schema.sample_types.size());
        series.push_back(std::move(o));
      }
      OutSeries& out = series[it->second];
      RowBatch rows;
      rows.num_values = out.rows.num_values;
      HEARTH_RETURN_IF_ERROR(b->ReadRows(s, INT64_MIN, INT64_MAX, true, &rows));
      for (size_t r = 0; r < rows.rows(); ++r) {
        samples.clear();
        for (uint32_t i = rows.row_begin(r); i < rows.row_end[r]; ++i) {
          if (rows.nodes[i] >= node_map.size()) {
            return absl::DataLossError(fmt::format("{}: stack node outside the tree", b->path()));
          }
          RowBatch::SampleIn in{node_map[rows.nodes[i]], rows.values.data() + size_t{i} * rows.num_values};
          if (!rows.spans.empty() && rows.spans[i] != 0) in.span = importer.Str(rows.spans[i]);
          if (!rows.traces.empty() && rows.traces[i] != 0) in.trace = importer.Str(rows.traces[i]);
          samples.push_back(in);
        }
        out.rows.AppendRow(rows.ts[r], rows.duration[r], samples);
      }
    }
  }
  std::vector<RowBatch> final_rows(series.size());
  std::vector<BlockSeriesIn> in;
  for (size_t s = 0; s < series.size(); ++s) {
    final_rows[s] = SortedByTime(series[s].rows);
    if (res != Resolution::kRaw) final_rows[s] = Rollup(final_rows[s], ResolutionNs(res));
    if (final_rows[s].rows() == 0) continue;
    in.push_back({&series[s].labels, &series[s].schema, &final_rows[s]});
  }
  const std::string dir = ResolutionDir(tenant, res);
  meta.min_ts = INT64_MAX;
  meta.max_ts = INT64_MIN;
  for (const auto& b : blocks) {
    meta.min_ts = std::min(meta.min_ts, b->min_ts());
    meta.max_ts = std::max(meta.max_ts, b->max_ts());
  }
  const std::string path = dir + "/" + BlockFileName(meta);
  HEARTH_RETURN_IF_ERROR(
      WriteBlock(env_, path, meta, builder.profile(), tree, in, options_.block).status());
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<Block> block, Block::Open(env_, path));
  {
    std::lock_guard<std::mutex> lock(mu_);
    Tenant& t = *tenants_[tenant];
    auto& list = t.blocks[static_cast<int>(res)];
    for (const auto& old : blocks) list.erase(std::remove(list.begin(), list.end(), old), list.end());
    t.AddBlock(std::move(block));
  }
  for (const auto& old : blocks) HEARTH_RETURN_IF_ERROR(env_->DeleteFile(old->path()));
  ++compactions_;
  return absl::OkStatus();
}

absl::Status Engine::ApplyRetention() {
  std::lock_guard<std::mutex> maintenance(maintenance_mu_);
  const int64_t now = env_->NowNanos();
  const RetentionOptions& ro = options_.retention;
  const int64_t max_age[3] = {ro.raw_ns, ro.minute_ns, ro.hour_ns};
  std::vector<std::shared_ptr<Block>> doomed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t total = 0;
    for (const auto& [_, t] : tenants_) {
      for (int r = 0; r < 3; ++r) {
        auto& list = t->blocks[r];
        for (auto it = list.begin(); it != list.end();) {
          if (max_age[r] > 0 && (*it)->max_ts() < now - max_age[r]) {
            doomed.push_back(*it);
            it = list.erase(it);
          } else {
            total += (*it)->file_bytes();
            ++it;
          }
        }
      }
    }
    // By total size: oldest raw first, then minute, then hour rollups.
    for (int r = 0; r < 3 && ro.max_total_bytes > 0 && total > ro.max_total_bytes; ++r) {
      std::vector<std::pair<Tenant*, std::shared_ptr<Block>>> candidates;
      for (const auto& [_, t] : tenants_) {
        for (const auto& b : t->blocks[r]) candidates.emplace_back(t.get(), b);
      }
      std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
        return a.second->max_ts() < b.second->max_ts();
      });
      for (auto& [t, b] : candidates) {
        if (total <= ro.max_total_bytes) break;
        auto& list = t->blocks[r];
        list.erase(std::remove(list.begin(), list.end(), b), list.end());
        total -= b->file_bytes();
        doomed.push_back(b);
      }
    }
  }
  for (const auto& b : doomed) {
    HEARTH_RETURN_IF_ERROR(env_->DeleteFile(b->path()));
    ++retention_deletions_;
  }
  return absl::OkStatus();
}

}  // namespace hearth::storage
