#include "server/delta.h"

#include <algorithm>
#include <list>
#include <mutex>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "base/fmt.h"

namespace hearth::server {
namespace {

using Clock = std::chrono::steady_clock;

// Series keys are spread over shards so concurrent requests for different series rarely
// wait on each other. Small trackers use one shard so max_series is an exact, global LRU.
constexpr size_t kShards = 16;
constexpr size_t kMinSeriesForSharding = 4096;

// What one series remembers of its previous profile:
//
//   index: sample key ─▶ slot        values: [slot * k .. slot * k + k)   k = cumulative columns
//
// A sample key is a hash of the stack by content (function names, files and lines, or
// addresses for unsymbolized frames) plus the sample's labels. Location ids are not used:
// two scrapes of one process may number the same frame differently.
struct SeriesState {
  std::string key;
  uint64_t schema_hash = 0;  // sample types + cumulative columns: a change re-bases
  int64_t time_nanos = 0;
  Clock::time_point last_seen;
  absl::flat_hash_map<uint64_t, uint32_t> index;
  std::vector<int64_t> values;
};

// Least recently seen at the back. The map's keys point into the list nodes, which never
// move, so an entry is one list node plus one map slot.
struct Shard {
  std::mutex mu;
  std::list<SeriesState> lru;
  absl::flat_hash_map<std::string_view, std::list<SeriesState>::iterator> by_key;
  size_t capacity = 0;

  void Erase(std::list<SeriesState>::iterator it) {
    by_key.erase(it->key);
    lru.erase(it);
  }
  // Drops series idle for longer than `ttl`, oldest first, and any beyond capacity.
  void Trim(Clock::time_point now, std::chrono::seconds ttl, size_t reserve) {
    while (!lru.empty() && (lru.size() + reserve > capacity || now - lru.back().last_seen > ttl)) {
      Erase(std::prev(lru.end()));
    }
  }
};

uint64_t LocationHash(const profile::Profile& p, const profile::Location& loc) {
  if (loc.num_lines == 0) return absl::HashOf(uint8_t{0}, loc.address);
  uint64_t h = absl::HashOf(uint8_t{1}, loc.num_lines);
  for (const profile::Line& line : p.Lines(loc)) {
    if (line.function == profile::kNone) {
      h = absl::HashOf(h, line.line);
      continue;
    }
    const profile::Function& f = p.functions[line.function];
    h = absl::HashOf(h, p.Str(f.name), p.Str(f.system_name), p.Str(f.filename), line.line);
  }
  return h;
}

uint64_t LabelsHash(const profile::Profile& p, const profile::Sample& s) {
  // A sum of per-label hashes does not depend on the order the producer wrote them in.
  uint64_t h = 0;
  for (const profile::Label& l : p.Labels(s)) {
    h += absl::HashOf(p.Str(l.key), p.Str(l.str), l.num, p.Str(l.num_unit));
  }
  return h;
}

uint64_t SchemaHash(const profile::Profile& p, const std::vector<size_t>& cols) {
  uint64_t h = absl::HashOf(p.sample_types.size());
  for (const profile::ValueType& t : p.sample_types) {
    h = absl::HashOf(h, p.Str(t.type), p.Str(t.unit));
  }
  for (size_t c : cols) h = absl::HashOf(h, c);
  return h;
}

}  // namespace

std::string DeltaSeriesKey(std::string_view tenant, const storage::Labels& labels) {
  return fmt::format("{}\x1f{}", tenant, storage::LabelsString(labels));
}

std::vector<size_t> CumulativeValueIndices(const profile::Profile& p) {
  // Go's block and mutex profiles (and JFR lock/park, converted) have the period type
  // "contentions"; there contentions/delay count up since the rate was set.
  const bool contention_family = p.Str(p.period_type.type) == "contentions";
  std::vector<size_t> out;
  for (size_t i = 0; i < p.sample_types.size(); ++i) {
    std::string_view type = p.Str(p.sample_types[i].type);
    if (type == "alloc_objects" || type == "alloc_space" ||
        (contention_family && (type == "contentions" || type == "delay"))) {
      out.push_back(i);
    }
  }
  return out;
}

struct DeltaTracker::State {
  std::vector<Shard> shards;
  Shard& For(const std::string& key) {
    return shards.size() == 1 ? shards[0] : shards[absl::HashOf(key) % shards.size()];
  }
};

DeltaTracker::DeltaTracker(DeltaOptions options)
    : options_(options), state_(std::make_unique<State>()) {
  const size_t n = options_.max_series >= kMinSeriesForSharding ? kShards : 1;
  state_->shards = std::vector<Shard>(n);
  for (Shard& s : state_->shards) s.capacity = std::max<size_t>(1, options_.max_series / n);
}

DeltaTracker::~DeltaTracker() = default;

size_t DeltaTracker::tracked_series() const {
  size_t n = 0;
  for (Shard& s : state_->shards) {
    std::lock_guard<std::mutex> lock(s.mu);
    n += s.lru.size();
  }
  return n;
}

profile::Profile DeltaTracker::ToDelta(const std::string& series_key, profile::Profile p,
                                       bool* baseline) {
  *baseline = false;
  const std::vector<size_t> cols = CumulativeValueIndices(p);
  if (cols.empty()) return p;
  const size_t k = cols.size();

  // Current values per sample key, summed over samples that share a key. `owner[s]` is the
  // slot of sample s if it is the first with its key (it then carries the slot's delta), or
  // UINT32_MAX for a later duplicate (its cumulative columns become 0, so totals hold).
  std::vector<uint64_t> loc_hash(p.locations.size());
  for (size_t i = 0; i < p.locations.size(); ++i) loc_hash[i] = LocationHash(p, p.locations[i]);
  absl::flat_hash_map<uint64_t, uint32_t> index;
  index.reserve(p.samples.size());
  std::vector<int64_t> current;
  current.reserve(p.samples.size() * k);
  std::vector<uint32_t> owner(p.samples.size());
  for (size_t s = 0; s < p.samples.size(); ++s) {
    const profile::Sample& sample = p.samples[s];
    uint64_t h = absl::HashOf(sample.depth, LabelsHash(p, sample));
    for (uint32_t loc : p.Stack(sample)) h = absl::HashOf(h, loc_hash[loc]);
    const auto values = p.Values(sample);
    auto [it, inserted] = index.try_emplace(h, static_cast<uint32_t>(index.size()));
    owner[s] = inserted ? it->second : UINT32_MAX;
    if (inserted) {
      for (size_t c : cols) current.push_back(values[c]);
    } else {
      for (size_t j = 0; j < k; ++j) current[size_t{it->second} * k + j] += values[cols[j]];
    }
  }

  // Against the previous profile: deltas per slot, or a (re)baseline.
  const uint64_t schema_hash = SchemaHash(p, cols);
  const auto now = Clock::now();
  std::vector<int64_t> deltas;
  int64_t previous_time = 0;
  {
    Shard& shard = state_->For(series_key);
    std::lock_guard<std::mutex> lock(shard.mu);
    // Forget idle series first (this one included: what it remembers may predate a restart
    // we never saw).
    shard.Trim(now, options_.idle_ttl, 0);
    auto found = shard.by_key.find(std::string_view(series_key));
    std::list<SeriesState>::iterator st;
    bool fresh = found == shard.by_key.end();
    if (!fresh && found->second->schema_hash != schema_hash) {
      shard.Erase(found->second);
      fresh = true;
    }
    if (!fresh) st = found->second;
    if (fresh) {
      shard.Trim(now, options_.idle_ttl, 1);
      shard.lru.emplace_front();
      st = shard.lru.begin();
      st->key = series_key;
      shard.by_key.emplace(std::string_view(st->key), st);
      *baseline = true;
    } else {
      shard.lru.splice(shard.lru.begin(), shard.lru, st);
      deltas.resize(current.size());
      for (const auto& [h, slot] : index) {
        auto prev = st->index.find(h);
        for (size_t j = 0; j < k; ++j) {
          const int64_t before = prev == st->index.end() ? 0 : st->values[prev->second * k + j];
          const int64_t now_value = current[size_t{slot} * k + j];
          // A running total that went down: the process restarted (or the counters were
          // reset), so this profile starts a new baseline.
          if (now_value < before) *baseline = true;
          deltas[size_t{slot} * k + j] = now_value - before;
        }
        if (*baseline) break;
      }
      previous_time = st->time_nanos;
    }
    st->schema_hash = schema_hash;
    st->time_nanos = p.time_nanos;
    st->last_seen = now;
    st->index = std::move(index);
    st->values = std::move(current);
  }

  for (size_t s = 0; s < p.samples.size(); ++s) {
    auto values = p.MutableValues(p.samples[s]);
    for (size_t j = 0; j < k; ++j) {
      values[cols[j]] = *baseline || owner[s] == UINT32_MAX ? 0 : deltas[size_t{owner[s]} * k + j];
    }
  }
  // The values now cover the time since the previous profile.
  if (!*baseline && previous_time > 0 && p.time_nanos > previous_time) {
    p.duration_nanos = p.time_nanos - previous_time;
  }
  return p;
}

}  // namespace hearth::server
