#include "storage/engine.h"

#include <malloc.h>

#include <algorithm>
#include <random>
#include <set>

#include "base/fmt.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "storage/engine_internal.h"
#include "storage/wal_record.h"

namespace hearth::storage {

namespace {

constexpr std::string_view kFlushedFile = "FLUSHED";

absl::Status ValidateTenant(const std::string& tenant) {
  if (tenant.empty() || tenant.size() > 256) {
    return absl::InvalidArgumentError("tenant id must be 1 to 256 characters");
  }
  return absl::OkStatus();
}

// Tenant ids become directory names: keep [A-Za-z0-9._-], escape the rest as %XX.
std::string EscapeTenant(const std::string& tenant) {
  std::string out;
  for (unsigned char c : tenant) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '-') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  if (out == "." || out == "..") out = fmt::format("%{:02X}", out[0]) + out.substr(1);
  return out;
}

std::string UnescapeTenant(std::string_view dir) {
  std::string out;
  for (size_t i = 0; i < dir.size(); ++i) {
    unsigned v;
    if (dir[i] == '%' && i + 2 < dir.size() && ParseInt(dir.substr(i + 1, 2), &v, 16)) {
      out.push_back(static_cast<char>(v));
      i += 2;
    } else {
      out.push_back(dir[i]);
    }
  }
  return out;
}

int64_t FloorTo(int64_t t, int64_t r) {
  int64_t q = t / r * r;
  return q > t ? q - r : q;
}
int64_t CeilTo(int64_t t, int64_t r) {
  int64_t f = FloorTo(t, r);
  return f == t ? t : f + r;
}

}  // namespace

Engine::Engine(EngineOptions options) : options_(std::move(options)), env_(options_.env) {}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(EngineOptions options) {
  if (options.env == nullptr) return absl::InvalidArgumentError("engine: no Env given");
  if (options.dir.empty()) return absl::InvalidArgumentError("engine: no data directory given");
  std::unique_ptr<Engine> e(new Engine(std::move(options)));
  // The data directory may have just been created: make its own entry durable too.
  HEARTH_RETURN_IF_ERROR(e->env_->CreateDirs(e->options_.dir));
  const size_t slash = e->options_.dir.find_last_of('/');
  HEARTH_RETURN_IF_ERROR(e->env_->SyncDir(
      slash == std::string::npos ? "." : (slash == 0 ? "/" : e->options_.dir.substr(0, slash))));
  HEARTH_RETURN_IF_ERROR(e->EnsureDurableDir(e->options_.dir + "/blocks"));
  HEARTH_RETURN_IF_ERROR(e->Recover());
  if (e->options_.background) {
    e->background_ = std::thread([raw = e.get()] { raw->BackgroundLoop(); });
  }
  return e;
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lock(bg_mu_);
    stop_ = true;
  }
  bg_cv_.notify_all();
  if (background_.joinable()) background_.join();
}

absl::Status Engine::Close() {
  {
    std::lock_guard<std::mutex> lock(bg_mu_);
    stop_ = true;
  }
  bg_cv_.notify_all();
  if (background_.joinable()) background_.join();
  return Flush();
}

absl::Status Engine::EnsureDurableDir(const std::string& dir) {
  if (durable_dirs_.contains(dir)) return absl::OkStatus();
  HEARTH_RETURN_IF_ERROR(env_->CreateDirs(dir));
  // Sync every parent from the directory itself up to the data directory.
  std::string d = dir;
  while (d.size() > options_.dir.size()) {
    size_t slash = d.rfind('/');
    if (slash == std::string::npos) break;
    d.resize(slash);
    HEARTH_RETURN_IF_ERROR(env_->SyncDir(d.empty() ? "/" : d));
  }
  durable_dirs_.insert(dir);
  return absl::OkStatus();
}

std::string Engine::TenantDir(const std::string& tenant) const {
  return options_.dir + "/blocks/" + EscapeTenant(tenant);
}

std::string Engine::ResolutionDir(const std::string& tenant, Resolution r) const {
  return TenantDir(tenant) + "/" + std::string(ResolutionName(r));
}

uint64_t Engine::NewBlockId() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  return (static_cast<uint64_t>(env_->NowNanos()) << 16) ^ rng() ^ ++block_id_counter_;
}

Engine::Tenant& Engine::TenantFor(const std::string& tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<Tenant>& t = tenants_[tenant];
  if (t == nullptr) t = std::make_unique<Tenant>();
  return *t;
}

// --- Recovery ----------------------------------------------------------------------------

absl::Status Engine::Recover() {
  const std::string flushed_path = options_.dir + "/" + std::string(kFlushedFile);
  if (env_->FileExists(flushed_path)) {
    HEARTH_ASSIGN_OR_RETURN(std::string text, env_->ReadFile(flushed_path, 64));
    if (!ParseInt(TrimSpace(text), &flushed_seq_)) {
      return absl::DataLossError(fmt::format("{}: not a sequence number", flushed_path));
    }
  }

  // Blocks.
  std::vector<std::pair<std::string, std::shared_ptr<Block>>> opened;
  HEARTH_ASSIGN_OR_RETURN(std::vector<std::string> tenant_dirs,
                          env_->ListDir(options_.dir + "/blocks"));
  for (const std::string& td : tenant_dirs) {
    const std::string tenant = UnescapeTenant(td);
    for (Resolution r : {Resolution::kRaw, Resolution::kMinute, Resolution::kHour}) {
      const std::string dir = options_.dir + "/blocks/" + td + "/" + std::string(ResolutionName(r));
      if (!env_->FileExists(dir)) continue;
      HEARTH_ASSIGN_OR_RETURN(std::vector<std::string> files, env_->ListDir(dir));
      for (const std::string& f : files) {
        const std::string path = dir + "/" + f;
        if (f.ends_with(".tmp")) {  // A write that never completed.
          (void)env_->DeleteFile(path);
          recovery_.discarded_blocks.push_back(path);
          continue;
        }
        if (!f.ends_with(".hblk")) continue;
        auto block = Block::Open(env_, path);
        if (!block.ok()) {
          recovery_.corrupt_blocks.push_back(std::string(block.status().message()));
          continue;
        }
        if ((*block)->meta().level == 0 && (*block)->meta().wal_seq > flushed_seq_) {
          // Written by a flush that did not finish; the WAL still holds its data.
          HEARTH_RETURN_IF_ERROR(env_->DeleteFile(path));
          recovery_.discarded_blocks.push_back(path);
          continue;
        }
        opened.emplace_back(tenant, std::shared_ptr<Block>(std::move(*block)));
      }
    }
  }
  std::set<uint64_t> replaced;
  for (const auto& [_, b] : opened) replaced.insert(b->meta().sources.begin(), b->meta().sources.end());
  for (auto& [tenant, b] : opened) {
    if (replaced.contains(b->meta().id)) {  // A compaction finished but did not clean up.
      HEARTH_RETURN_IF_ERROR(env_->DeleteFile(b->path()));
      recovery_.discarded_blocks.push_back(b->path());
      continue;
    }
    TenantFor(tenant).AddBlock(std::move(b));
  }

  // WAL.
  const std::string wal_dir = options_.dir + "/wal";
  HEARTH_ASSIGN_OR_RETURN(wal_, Wal::Open(env_, wal_dir, options_.wal));
  HEARTH_RETURN_IF_ERROR(wal_->DeleteSegmentsBefore(flushed_seq_));
  HEARTH_ASSIGN_OR_RETURN(
      recovery_.wal,
      Wal::Replay(env_, wal_dir, options_.wal, [this](uint8_t type, std::string_view payload) {
        if (type != kWalAppendRecord) {
          recovery_.replay_errors.push_back(fmt::format("unknown WAL record type {}", type));
          return absl::OkStatus();
        }
        if (auto s = ApplyRecord(payload); !s.ok()) {
          recovery_.replay_errors.push_back(std::string(s.message()));
        } else {
          ++recovery_.replayed_profiles;
        }
        return absl::OkStatus();
      }));
  return absl::OkStatus();
}

absl::Status Engine::ApplyRecord(std::string_view payload) {
  HEARTH_ASSIGN_OR_RETURN(DecodedAppend rec, DecodeAppendRecord(payload));
  Tenant& t = TenantFor(rec.tenant);
  std::unique_lock<std::shared_mutex> lock(t.mu);
  const int64_t before = static_cast<int64_t>(t.head->MemoryBytes());
  HEARTH_RETURN_IF_ERROR(t.head->Append(rec.labels, rec.profile, rec.ts_ns).status());
  head_bytes_ += static_cast<int64_t>(t.head->MemoryBytes()) - before;
  int64_t expected = 0;
  oldest_head_append_ns_.compare_exchange_strong(expected, env_->NowNanos());
  return absl::OkStatus();
}

// --- Append ------------------------------------------------------------------------------

absl::Status Engine::Append(const std::string& tenant, std::span<const AppendRequest> batch) {
  HEARTH_RETURN_IF_ERROR(ValidateTenant(tenant));
  const int64_t hard_limit =
      static_cast<int64_t>(options_.head_max_bytes * options_.hard_limit_factor);
  if (head_bytes_.load() > hard_limit) {
    ++rejected_appends_;
    bg_cv_.notify_all();
    return absl::ResourceExhaustedError(fmt::format(
        "storage: the in-memory head holds {} bytes, above its limit of {}: flushing to disk "
        "is behind (or failing); retry later",
        head_bytes_.load(), hard_limit));
  }
  const int64_t now = env_->NowNanos();
  std::vector<std::string> records;
  records.reserve(batch.size());
  for (const AppendRequest& r : batch) {
    if (r.profile == nullptr) return absl::InvalidArgumentError("append without a profile");
    if (!LabelValue(r.labels, kNameLabel).has_value()) {
      return absl::InvalidArgumentError("series labels must include __name__ (the profile type)");
    }
    if (!std::is_sorted(r.labels.begin(), r.labels.end())) {
      return absl::InvalidArgumentError("series labels must be sorted (NormalizeLabels)");
    }
    if (r.profile->sample_types.empty()) {
      return absl::InvalidArgumentError("profile has no sample types");
    }
    records.push_back(
        EncodeAppendRecord(tenant, r.labels, r.ts_ns != 0 ? r.ts_ns : now, *r.profile, r.pprof));
  }
  std::vector<std::string_view> views(records.begin(), records.end());

  std::shared_lock<std::shared_mutex> append_lock(append_mu_);
  HEARTH_RETURN_IF_ERROR(wal_->Append(kWalAppendRecord, views));
  Tenant& t = TenantFor(tenant);
  std::unique_lock<std::shared_mutex> lock(t.mu);
  const int64_t before = static_cast<int64_t>(t.head->MemoryBytes());
  uint64_t samples = 0;
  for (const AppendRequest& r : batch) {
    auto stats = t.head->Append(r.labels, *r.profile, r.ts_ns != 0 ? r.ts_ns : now);
    // Validated above, so this can only be an internal inconsistency; the WAL has the
    // record and replay will report it.
    if (!stats.ok()) return stats.status();
    samples += stats->samples;
  }
  const int64_t grown = static_cast<int64_t>(t.head->MemoryBytes()) - before;
  lock.unlock();
  head_bytes_ += grown;
  int64_t expected = 0;
  oldest_head_append_ns_.compare_exchange_strong(expected, now);
  ++appends_;
  appended_profiles_ += batch.size();
  appended_samples_ += samples;
  if (head_bytes_.load() > static_cast<int64_t>(options_.head_max_bytes)) bg_cv_.notify_all();
  return absl::OkStatus();
}

// --- Flush -------------------------------------------------------------------------------

absl::Status Engine::WriteHeadBlocks(const std::string& tenant, const Head& head,
                                     uint64_t wal_seq, std::vector<std::shared_ptr<Block>>* out,
                                     std::vector<std::string>* written) {
  std::vector<RowBatch> sorted(head.num_series());
  for (size_t s = 0; s < head.num_series(); ++s) sorted[s] = SortedByTime(head.rows(s));
  for (Resolution res : {Resolution::kRaw, Resolution::kMinute, Resolution::kHour}) {
    std::vector<RowBatch> rolled;
    if (res != Resolution::kRaw) {
      rolled.resize(sorted.size());
      for (size_t s = 0; s < sorted.size(); ++s) rolled[s] = Rollup(sorted[s], ResolutionNs(res));
    }
    const std::vector<RowBatch>& rows = res == Resolution::kRaw ? sorted : rolled;
    std::vector<BlockSeriesIn> in;
    for (size_t s = 0; s < head.num_series(); ++s) {
      if (rows[s].rows() == 0) continue;
      in.push_back({&head.labels(s), &head.schema(s), &rows[s]});
    }
    if (in.empty()) continue;
    BlockMeta meta;
    meta.id = NewBlockId();
    meta.tenant = tenant;
    meta.resolution = res;
    meta.level = 0;
    meta.wal_seq = wal_seq;
    meta.created_ns = env_->NowNanos();
    meta.min_ts = head.min_ts();
    meta.max_ts = head.max_ts();
    const std::string dir = ResolutionDir(tenant, res);
    HEARTH_RETURN_IF_ERROR(EnsureDurableDir(dir));
    const std::string path = dir + "/" + BlockFileName(meta);
    written->push_back(path);
    HEARTH_RETURN_IF_ERROR(WriteBlock(env_, path, meta, head.symbols().entities(),
                                      head.symbols().tree(), in, options_.block)
                               .status());
    HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<Block> block, Block::Open(env_, path));
    out->push_back(std::move(block));
  }
  return absl::OkStatus();
}

absl::Status Engine::Flush() {
  std::lock_guard<std::mutex> maintenance(maintenance_mu_);
  // 1. Swap every non-empty head for a fresh one and rotate the WAL, atomically with
  //    respect to appends.
  std::vector<std::pair<std::string, std::shared_ptr<Head>>> to_flush;
  uint64_t seq;
  {
    std::unique_lock<std::shared_mutex> appends(append_mu_);
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, t] : tenants_) {
      std::unique_lock<std::shared_mutex> head_lock(t->mu);
      if (!t->head->empty()) {
        t->flushing.push_back(t->head);
        t->head = std::make_shared<Head>();
      }
      // Heads left over from a failed flush are retried too.
      for (const auto& h : t->flushing) to_flush.emplace_back(name, h);
    }
    if (to_flush.empty()) return absl::OkStatus();
    HEARTH_ASSIGN_OR_RETURN(seq, wal_->Rotate());
    head_bytes_ = 0;
    oldest_head_append_ns_ = 0;
  }
  // 2. Write their blocks (no locks: the flushing heads are immutable now).
  std::vector<std::pair<std::string, std::shared_ptr<Block>>> new_blocks;
  std::vector<std::string> written;
  absl::Status status;
  for (const auto& [tenant, head] : to_flush) {
    std::vector<std::shared_ptr<Block>> blocks;
    status = WriteHeadBlocks(tenant, *head, seq, &blocks, &written);
    if (!status.ok()) break;
    for (auto& b : blocks) new_blocks.emplace_back(tenant, std::move(b));
  }
  // 3. Make the flush durable as a whole, then publish.
  if (status.ok()) {
    status = WriteFileDurably(env_, options_.dir + "/" + std::string(kFlushedFile),
                              fmt::format("{}\n", seq));
  }
  if (!status.ok()) {
    for (const std::string& path : written) (void)env_->DeleteFile(path);
    // The heads stay in `flushing` (still queryable, retried next time), and so does their
    // memory.
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, t] : tenants_) {
      for (const auto& h : t->flushing) head_bytes_ += static_cast<int64_t>(h->MemoryBytes());
    }
    return absl::Status(status.code(), fmt::format("flush failed: {}", status.message()));
  }
  flushed_seq_ = seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [tenant, block] : new_blocks) tenants_[tenant]->AddBlock(std::move(block));
    for (const auto& [tenant, head] : to_flush) {
      auto& f = tenants_[tenant]->flushing;
      f.erase(std::remove(f.begin(), f.end(), head), f.end());
    }
  }
  ++flushes_;
  // The flushed heads were most of the process's memory: free them now and hand the pages
  // back to the system (glibc keeps freed arena memory otherwise, so RSS would stay at its
  // high-water mark).
  to_flush.clear();
  new_blocks.clear();
  malloc_trim(0);
  return wal_->DeleteSegmentsBefore(seq);
}

// --- Queries -----------------------------------------------------------------------------

absl::StatusOr<Engine::Snapshot> Engine::SnapshotOf(const std::string& tenant) const {
  HEARTH_RETURN_IF_ERROR(ValidateTenant(tenant));
  Snapshot snap;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return snap;
  Tenant& t = *it->second;
  snap.tenant = &t;
  snap.head = t.head;
  snap.flushing = t.flushing;
  snap.blocks = t.blocks;
  return snap;
}

std::vector<SourceRange> Engine::Plan(const Snapshot& snap, const SelectRequest& req,
                                      bool series_query) const {
  const int64_t from = req.range.from_ns, to = req.range.to_ns;
  std::vector<SourceRange> out;
  if (from >= to) return out;
  // Which resolutions may answer: merges always may; a time series only if its buckets
  // line up with the rollup's.
  auto usable = [&](Resolution r) {
    if (!req.use_rollups) return r == Resolution::kRaw;
    if (!series_query || r == Resolution::kRaw) return true;
    const int64_t n = ResolutionNs(r);
    return req.step_ns % n == 0 && FloorTo(from, n) == from;
  };
  struct Segment {
    Resolution res;
    int64_t lo, hi;
  };
  std::vector<Segment> segs;
  auto split = [&](int64_t lo, int64_t hi, auto&& self, int level) -> void {
    if (lo >= hi) return;
    static constexpr Resolution kOrder[] = {Resolution::kHour, Resolution::kMinute};
    for (int i = level; i < 2; ++i) {
      Resolution r = kOrder[i];
      if (!usable(r)) continue;
      const int64_t n = ResolutionNs(r);
      int64_t a = CeilTo(lo, n), b = FloorTo(hi, n);
      if (a >= b) continue;
      segs.push_back({r, a, b});
      self(lo, a, self, i + 1);
      self(b, hi, self, i + 1);
      return;
    }
    segs.push_back({Resolution::kRaw, lo, hi});
  };
  split(from, to, split, 0);

  // Old raw data may have been deleted by retention while its rollups remain: read the
  // enclosing minutes (or hours) from the rollups instead.
  const int64_t now = env_->NowNanos();
  for (Segment& s : segs) {
    if (s.res == Resolution::kRaw && options_.retention.raw_ns > 0 &&
        s.hi <= now - options_.retention.raw_ns) {
      s = {Resolution::kMinute, FloorTo(s.lo, kMinuteNs), CeilTo(s.hi, kMinuteNs)};
    }
    if (s.res == Resolution::kMinute && options_.retention.minute_ns > 0 &&
        s.hi <= now - options_.retention.minute_ns) {
      s = {Resolution::kHour, FloorTo(s.lo, kHourNs), CeilTo(s.hi, kHourNs)};
    }
  }
  for (const Segment& s : segs) {
    for (const auto& b : snap.blocks[static_cast<int>(s.res)]) {
      if (b->max_ts() < s.lo || b->min_ts() >= s.hi) continue;
      out.push_back({b.get(), s.lo, s.hi});
    }
  }
  // The heads hold unflushed raw data only.
  for (const auto& h : snap.flushing) out.push_back({h.get(), from, to});
  if (snap.head != nullptr) {
    out.push_back({snap.head.get(), from, to, snap.tenant != nullptr ? &snap.tenant->mu : nullptr});
  }
  return out;
}

absl::StatusOr<MergeResult> Engine::SelectMerge(const SelectRequest& req) {
  HEARTH_ASSIGN_OR_RETURN(Snapshot snap, SnapshotOf(req.tenant));
  std::vector<SourceRange> sources = Plan(snap, req, false);
  auto result = ExecuteMerge(req, sources);  // locks the active head only while reading it
  TrimSymbolCache();
  return result;
}

absl::StatusOr<SeriesQueryResult> Engine::SelectSeries(const SelectRequest& req) {
  HEARTH_ASSIGN_OR_RETURN(Snapshot snap, SnapshotOf(req.tenant));
  std::vector<SourceRange> sources = Plan(snap, req, true);
  return ExecuteSeries(req, sources);
}

namespace {

// Calls fn(source, series) for every series of the snapshot matching the query.
template <typename Fn>
absl::Status ForEachMatchingSeries(const std::vector<const RowSource*>& sources,
                                   const LabelQuery& q, Fn&& fn) {
  HEARTH_ASSIGN_OR_RETURN(Selector sel, Selector::Compile(q.matchers));
  for (const RowSource* src : sources) {
    if (src->max_ts() < q.range.from_ns || src->min_ts() >= q.range.to_ns) continue;
    for (uint32_t s : src->postings().Select(sel, static_cast<uint32_t>(src->num_series()))) {
      auto [lo, hi] = src->series_time_range(s);
      if (hi < q.range.from_ns || lo >= q.range.to_ns) continue;
      fn(*src, s);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Labels>> Engine::Series(const LabelQuery& q) {
  HEARTH_ASSIGN_OR_RETURN(Snapshot snap, SnapshotOf(q.tenant));
  std::shared_lock<std::shared_mutex> head_lock;
  if (snap.tenant != nullptr) head_lock = std::shared_lock<std::shared_mutex>(snap.tenant->mu);
  std::set<Labels> seen;
  HEARTH_RETURN_IF_ERROR(ForEachMatchingSeries(snap.Sources(), q, [&](const RowSource& src, size_t s) {
    seen.insert(src.labels(s));
  }));
  return std::vector<Labels>(seen.begin(), seen.end());
}

absl::StatusOr<std::vector<std::string>> Engine::LabelNames(const LabelQuery& q) {
  HEARTH_ASSIGN_OR_RETURN(std::vector<Labels> series, Series(q));
  std::set<std::string> names;
  for (const Labels& l : series) {
    for (const auto& [k, _] : l) names.insert(k);
  }
  return std::vector<std::string>(names.begin(), names.end());
}

absl::StatusOr<std::vector<std::string>> Engine::LabelValues(const LabelQuery& q,
                                                             const std::string& name) {
  HEARTH_ASSIGN_OR_RETURN(std::vector<Labels> series, Series(q));
  std::set<std::string> values;
  for (const Labels& l : series) {
    if (auto v = LabelValue(l, name); v.has_value()) values.insert(std::string(*v));
  }
  return std::vector<std::string>(values.begin(), values.end());
}

absl::StatusOr<std::vector<ProfileTypeId>> Engine::ProfileTypes(const LabelQuery& q) {
  HEARTH_ASSIGN_OR_RETURN(Snapshot snap, SnapshotOf(q.tenant));
  std::shared_lock<std::shared_mutex> head_lock;
  if (snap.tenant != nullptr) head_lock = std::shared_lock<std::shared_mutex>(snap.tenant->mu);
  std::set<std::string> seen;
  std::vector<ProfileTypeId> out;
  HEARTH_RETURN_IF_ERROR(ForEachMatchingSeries(snap.Sources(), q, [&](const RowSource& src, size_t s) {
    auto name = LabelValue(src.labels(s), kNameLabel);
    for (ProfileTypeId& id : ProfileTypeIds(name.value_or(""), src.schema(s))) {
      if (seen.insert(id.ToString()).second) out.push_back(std::move(id));
    }
  }));
  std::sort(out.begin(), out.end(),
            [](const ProfileTypeId& a, const ProfileTypeId& b) { return a.ToString() < b.ToString(); });
  return out;
}

void Engine::TrimSymbolCache() const {
  std::vector<std::shared_ptr<Block>> blocks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [_, t] : tenants_) {
      for (const auto& list : t->blocks) blocks.insert(blocks.end(), list.begin(), list.end());
    }
  }
  size_t total = 0;
  for (const auto& b : blocks) total += b->SymbolBytes();
  if (total <= options_.symbol_cache_bytes) return;
  // Oldest data first: recent blocks are the ones queries keep coming back to.
  std::sort(blocks.begin(), blocks.end(),
            [](const auto& a, const auto& b) { return a->max_ts() < b->max_ts(); });
  for (const auto& b : blocks) {
    if (total <= options_.symbol_cache_bytes) break;
    total -= b->SymbolBytes();
    b->DropSymbols();
  }
}

// --- Introspection -----------------------------------------------------------------------

EngineStats Engine::stats() const {
  EngineStats s;
  s.appends = appends_;
  s.appended_profiles = appended_profiles_;
  s.appended_samples = appended_samples_;
  s.rejected_appends = rejected_appends_;
  s.flushes = flushes_;
  s.compactions = compactions_;
  s.retention_deletions = retention_deletions_;
  s.head_bytes = static_cast<uint64_t>(std::max<int64_t>(0, head_bytes_.load()));
  s.corrupt_blocks = recovery_.corrupt_blocks.size();
  s.wal_bytes = wal_->bytes_written();
  s.wal_syncs = wal_->syncs();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [_, t] : tenants_) {
    std::shared_lock<std::shared_mutex> head_lock(t->mu);
    s.head_series += t->head->num_series();
    for (int r = 0; r < 3; ++r) {
      s.blocks[r] += t->blocks[r].size();
      for (const auto& b : t->blocks[r]) s.block_bytes[r] += b->file_bytes();
    }
  }
  return s;
}

std::vector<BlockInfo> Engine::Blocks() const {
  std::vector<BlockInfo> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [_, t] : tenants_) {
    for (const auto& list : t->blocks) {
      for (const auto& b : list) out.push_back({b->path(), b->meta(), b->file_bytes(), b->sizes()});
    }
  }
  return out;
}

std::vector<std::string> Engine::Tenants() const {
  std::vector<std::string> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, _] : tenants_) out.push_back(name);
  return out;
}

std::vector<std::string> Engine::Verify() const {
  std::vector<std::string> bad = recovery_.corrupt_blocks;
  std::vector<std::shared_ptr<Block>> blocks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [_, t] : tenants_) {
      for (const auto& list : t->blocks) blocks.insert(blocks.end(), list.begin(), list.end());
    }
  }
  for (const auto& b : blocks) {
    if (auto s = b->Verify(); !s.ok()) bad.push_back(std::string(s.message()));
  }
  return bad;
}

void Engine::BackgroundLoop() {
  std::unique_lock<std::mutex> lock(bg_mu_);
  while (!stop_) {
    bg_cv_.wait_for(lock, std::chrono::nanoseconds(options_.background_interval_ns));
    if (stop_) break;
    lock.unlock();
    const int64_t now = env_->NowNanos();
    const int64_t oldest = oldest_head_append_ns_.load();
    const bool big = head_bytes_.load() > static_cast<int64_t>(options_.head_max_bytes);
    const bool old = oldest != 0 && now - oldest > options_.head_max_age_ns;
    // Errors are retried on the next tick; they surface through stats and Append errors.
    if (big || old) (void)Flush();
    (void)Compact();
    (void)ApplyRetention();
    lock.lock();
  }
}

}  // namespace hearth::storage
