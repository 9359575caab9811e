#include "scrape/manager.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/hash/hash.h"
#include "base/fmt.h"

namespace hearth::scrape {
namespace {

constexpr size_t kLagWindow = 8192;

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
int64_t WallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

struct Manager::ProfileState {
  ProfileTypeConfig cfg;
  int64_t offset_ns = 0;
  int64_t due_ns = 0;  // steady clock
  bool in_flight = false;
  bool pending = false;  // a windowed scrape due while the previous one ran
  int64_t pending_scheduled_ns = 0;
  int64_t last_end_wall_ns = 0;
  ProfileHealth health;
};

struct Manager::TargetState {
  const ScrapeConfig* job = nullptr;
  Target target;
  std::vector<ProfileState> profiles;
  bool removed = false;
};

struct Manager::JobState {
  ScrapeConfig config;
  std::unique_ptr<FileSdWatcher> file_sd;
  int64_t next_file_check_ns = 0;
  std::map<std::string, std::shared_ptr<TargetState>> targets;
  std::vector<Labels> dropped;
};

bool TargetHealth::up() const {
  return std::all_of(profiles.begin(), profiles.end(), [](const ProfileHealth& p) { return p.up; });
}

std::string TargetHealth::last_error() const {
  for (const ProfileHealth& p : profiles) {
    if (!p.last_error.empty()) return fmt::format("{}: {}", p.name, p.last_error);
  }
  return "";
}

Manager::Manager(ManagerOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<Manager>> Manager::Start(std::vector<ScrapeConfig> configs,
                                                        Sink sink, ManagerOptions options) {
  if (options.max_concurrent_scrapes < 1 || options.max_concurrent_windowed < 1 ||
      options.max_concurrent_failing < 1) {
    return absl::InvalidArgumentError("scrape concurrency must be at least 1");
  }
  std::unique_ptr<Manager> m(new Manager(std::move(options)));
  m->sink_ = std::move(sink);
  m->lags_.assign(kLagWindow, 0);
  const int64_t wall = WallNs();
  for (ScrapeConfig& c : configs) {
    auto job = std::make_unique<JobState>();
    job->config = std::move(c);
    if (!job->config.file_sd_configs.empty())
      job->file_sd = std::make_unique<FileSdWatcher>(job->config.file_sd_configs);
    m->jobs_.push_back(std::move(job));
  }
  {
    std::lock_guard<std::mutex> lock(m->mu_);
    for (auto& job : m->jobs_) {
      if (job->file_sd != nullptr) job->file_sd->Poll(wall);
      m->RefreshTargets(*job, wall);
    }
  }
  m->short_pool_ = std::make_unique<WorkerPool>(m->options_.max_concurrent_scrapes);
  m->window_pool_ = std::make_unique<WorkerPool>(m->options_.max_concurrent_windowed);
  m->failing_pool_ = std::make_unique<WorkerPool>(m->options_.max_concurrent_failing);
  m->scheduler_ = std::thread([p = m.get()] { p->SchedulerLoop(); });
  return m;
}

Manager::~Manager() { Stop(); }

void Manager::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !scheduler_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  canceler_.CancelAll();
  if (short_pool_ != nullptr) short_pool_->Stop();
  if (window_pool_ != nullptr) window_pool_->Stop();
  if (failing_pool_ != nullptr) failing_pool_->Stop();
}

void Manager::RefreshTargets(JobState& job, int64_t wall_ns) {
  std::vector<TargetGroup> groups;
  for (const StaticConfig& s : job.config.static_configs) groups.push_back({s.targets, s.labels});
  if (job.file_sd != nullptr) {
    std::vector<TargetGroup> f = job.file_sd->Groups();
    groups.insert(groups.end(), f.begin(), f.end());
  }
  TargetSet set = BuildTargets(job.config, groups);
  job.dropped = std::move(set.dropped);
  std::map<std::string, std::shared_ptr<TargetState>> next;
  const int64_t steady = SteadyNs();
  const int64_t interval = job.config.interval_ns;
  for (Target& t : set.active) {
    auto old = job.targets.find(t.key);
    if (old != job.targets.end()) {
      old->second->target.discovered = std::move(t.discovered);
      next.emplace(old->first, old->second);
      continue;
    }
    auto ts = std::make_shared<TargetState>();
    ts->job = &job.config;
    for (const ProfileTypeConfig& p : job.config.profiles) {
      if (!p.enabled) continue;
      ProfileState ps;
      ps.cfg = p;
      ps.offset_ns = ScrapeOffsetNs(absl::HashOf(t.hash, p.name), interval);
      ps.due_ns = steady + (NextTickNs(wall_ns, ps.offset_ns, interval) - wall_ns);
      ps.health.name = p.name;
      ts->profiles.push_back(std::move(ps));
    }
    ts->target = std::move(t);
    next.emplace(ts->target.key, std::move(ts));
  }
  for (auto& [key, ts] : job.targets) {
    if (!next.count(key)) ts->removed = true;  // scrapes in flight finish; nothing new starts
  }
  job.targets = std::move(next);
}

WorkerPool* Manager::PoolFor(const ProfileState& p) const {
  if (p.health.scraped && !p.health.up) return failing_pool_.get();
  return p.cfg.delta ? window_pool_.get() : short_pool_.get();
}

void Manager::Submit(const std::shared_ptr<TargetState>& t, size_t i) {
  ProfileState& p = t->profiles[i];
  p.in_flight = true;
  const int64_t scheduled = p.due_ns;
  PoolFor(p)->Submit([this, t, i, scheduled] { RunScrape(t, i, scheduled); });
}

void Manager::SchedulerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    const int64_t now = SteadyNs();
    int64_t next = now + 1'000'000'000;
    for (auto& job : jobs_) {
      if (job->file_sd != nullptr) {
        if (now >= job->next_file_check_ns) {
          job->next_file_check_ns = now + options_.file_sd_check_ns;
          if (job->file_sd->Poll(WallNs())) RefreshTargets(*job, WallNs());
        }
        next = std::min(next, job->next_file_check_ns);
      }
      const int64_t interval = job->config.interval_ns;
      for (auto& [_, t] : job->targets) {
        for (size_t i = 0; i < t->profiles.size(); ++i) {
          ProfileState& p = t->profiles[i];
          if (p.due_ns <= now) {
            if (!p.in_flight) {
              Submit(t, i);
            } else if (p.cfg.delta) {
              p.pending = true;
              p.pending_scheduled_ns = p.due_ns;
            } else {
              ++p.health.missed;
            }
            p.due_ns += interval;
            if (p.due_ns <= now) p.due_ns += ((now - p.due_ns) / interval + 1) * interval;
          }
          next = std::min(next, p.due_ns);
        }
      }
    }
    cv_.wait_for(lock, std::chrono::nanoseconds(std::max<int64_t>(next - SteadyNs(), 0)));
  }
}

void Manager::RecordLag(int64_t lag_ns) {
  lags_[lag_next_] = lag_ns;
  lag_next_ = (lag_next_ + 1) % lags_.size();
  ++lag_count_;
}

void Manager::RunScrape(std::shared_ptr<TargetState> t, size_t i, int64_t scheduled_ns) {
  const int64_t start = SteadyNs();
  const int64_t start_wall = WallNs();
  const int64_t lag = start - scheduled_ns;
  const ScrapeConfig& job = *t->job;
  ProfileTypeConfig cfg;
  int64_t last_end_wall;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cfg = t->profiles[i].cfg;
    last_end_wall = t->profiles[i].last_end_wall_ns;
    RecordLag(lag);
  }

  FetchRequest req;
  req.scheme = t->target.scheme;
  req.address = t->target.address;
  req.headers = job.headers;
  req.max_body_bytes = job.max_body_bytes;
  req.tls = job.tls;
  req.canceler = &canceler_;
  std::string query;
  for (const auto& [k, v] : job.params)
    query += fmt::format("{}{}={}", query.empty() ? "" : "&", UrlEncode(k), UrlEncode(v));
  int64_t seconds = 0;
  if (cfg.delta) {
    // The rest of the interval (whole seconds: Go's handler takes an integer), so the next
    // window starts where this one ends.
    seconds =
        cfg.seconds > 0
            ? cfg.seconds
            : std::max<int64_t>(1, std::llround(static_cast<double>(job.interval_ns - lag) / 1e9));
    query += fmt::format("{}seconds={}", query.empty() ? "" : "&", seconds);
  }
  req.path_and_query = t->target.path_prefix + cfg.path + (query.empty() ? "" : "?" + query);
  req.timeout_ns = job.timeout_ns + seconds * 1'000'000'000;

  absl::Status status;
  int64_t end_wall = 0;
  auto body = Fetch(req);
  end_wall = WallNs();
  if (!body.ok()) {
    status = body.status();
  } else {
    auto decoded = profile::DecodePprof(*body, options_.pprof_limits);
    if (!decoded.ok()) {
      status = absl::InvalidArgumentError(
          fmt::format("not a pprof profile: {}", decoded.status().message()));
    } else {
      ScrapedProfile sp;
      sp.tenant = job.tenant;
      sp.labels = t->target.labels;
      sp.labels.emplace_back("__name__", cfg.name);
      sp.profile = std::move(*decoded);
      sp.pprof = std::move(*body);
      sp.cumulative = !cfg.delta;
      sp.end_ns = end_wall;
      sp.start_ns = cfg.delta ? end_wall - seconds * 1'000'000'000
                              : (last_end_wall > 0 ? last_end_wall : end_wall - job.interval_ns);
      if (sp.profile.time_nanos == 0) sp.profile.time_nanos = cfg.delta ? sp.start_ns : end_wall;
      if (cfg.delta && sp.profile.duration_nanos == 0)
        sp.profile.duration_nanos = sp.end_ns - sp.start_ns;
      status = sink_(std::move(sp));
      if (!status.ok())
        status = absl::Status(status.code(), fmt::format("storing: {}", status.message()));
    }
  }
  const int64_t end = SteadyNs();
  scrapes_total_.fetch_add(1);

  std::lock_guard<std::mutex> lock(mu_);
  ProfileState& p = t->profiles[i];
  ProfileHealth& h = p.health;
  h.url = FetchUrl(req);
  h.scraped = true;
  h.last_scrape_ns = start_wall;
  h.last_duration_s = static_cast<double>(end - start) / 1e9;
  h.last_lag_ns = lag;
  ++h.scrapes;
  if (status.code() == absl::StatusCode::kCancelled && stopping_) {
    p.in_flight = false;
    return;
  }
  h.up = status.ok();
  h.last_error = status.ok() ? "" : std::string(status.message());
  if (!status.ok()) ++h.failures;
  if (status.ok()) p.last_end_wall_ns = end_wall;
  p.in_flight = false;
  if (p.pending && !stopping_ && !t->removed) {
    p.pending = false;
    p.in_flight = true;
    const int64_t scheduled = p.pending_scheduled_ns;
    PoolFor(p)->Submit([this, t, i, scheduled] { RunScrape(t, i, scheduled); });
  }
}

std::vector<TargetHealth> Manager::Targets() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<TargetHealth> out;
  for (const auto& job : jobs_) {
    for (const auto& [_, t] : job->targets) {
      TargetHealth th;
      th.job = job->config.job_name;
      th.scrape_url_base =
          fmt::format("{}://{}{}", t->target.scheme, t->target.address, t->target.path_prefix);
      th.labels = t->target.labels;
      th.discovered = t->target.discovered;
      th.interval_ns = job->config.interval_ns;
      th.timeout_ns = job->config.timeout_ns;
      for (const ProfileState& p : t->profiles) {
        th.profiles.push_back(p.health);
        if (th.profiles.back().url.empty()) {
          th.profiles.back().url = th.scrape_url_base + p.cfg.path;
        }
      }
      out.push_back(std::move(th));
    }
  }
  return out;
}

std::vector<std::string> Manager::JobNames() const {
  std::vector<std::string> out;
  for (const auto& job : jobs_) out.push_back(job->config.job_name);
  return out;
}

std::vector<DroppedTarget> Manager::Dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<DroppedTarget> out;
  for (const auto& job : jobs_) {
    for (const Labels& l : job->dropped) out.push_back({job->config.job_name, l});
  }
  return out;
}

LagStats Manager::Lag() const {
  std::vector<int64_t> v;
  LagStats s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.count = lag_count_;
    const size_t n = std::min<uint64_t>(lag_count_, lags_.size());
    v.assign(lags_.begin(), lags_.begin() + static_cast<ptrdiff_t>(n));
  }
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.p50_ns = v[v.size() / 2];
  s.p99_ns = v[std::min(v.size() - 1, v.size() * 99 / 100)];
  s.max_ns = v.back();
  return s;
}

}  // namespace hearth::scrape
