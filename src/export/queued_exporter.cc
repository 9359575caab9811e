#include "export/queued_exporter.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "base/fmt.h"
#include "base/rpc_status.h"
#include "export/record.h"

namespace hearth::exporter {
namespace {

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::chrono::steady_clock::time_point SteadyAt(int64_t ns) {
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
}

uint64_t Seed(uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device rd;
  return (uint64_t{rd()} << 32) | rd();
}

std::string Seconds(int64_t ns) { return fmt::format("{:.3g}s", static_cast<double>(ns) / 1e9); }

}  // namespace

absl::StatusOr<std::unique_ptr<QueuedExporter>> QueuedExporter::Open(
    std::unique_ptr<Exporter> exporter, QueuedExporterOptions options) {
  if (exporter == nullptr) return absl::InvalidArgumentError("QueuedExporter: no exporter");
  if (options.max_batch_profiles == 0) options.max_batch_profiles = 1;
  DiskQueueOptions qo;
  qo.env = options.env;
  qo.dir = options.queue_dir;
  qo.max_bytes = options.max_queue_bytes;
  qo.segment_bytes = options.segment_bytes;
  auto queue = DiskQueue::Open(std::move(qo));
  if (!queue.ok()) {
    return absl::Status(queue.status().code(),
                        fmt::format("{}: cannot open its queue in {}: {}", options.name,
                                    options.queue_dir, queue.status().message()));
  }
  std::unique_ptr<QueuedExporter> q(
      new QueuedExporter(std::move(exporter), std::move(options), std::move(*queue)));
  for (const std::string& w : q->queue_->replay_warnings()) q->Log(w);
  if (q->queue_->pending_records() > 0) {
    q->Log(fmt::format("{} queued profiles from before the restart will be sent",
                       q->queue_->pending_weight()));
  }
  return q;
}

QueuedExporter::QueuedExporter(std::unique_ptr<Exporter> exporter, QueuedExporterOptions options,
                               std::unique_ptr<DiskQueue> queue)
    : exporter_(std::move(exporter)),
      options_(std::move(options)),
      queue_(std::move(queue)),
      backoff_(options_.retry, Seed(options_.seed)) {}

QueuedExporter::~QueuedExporter() { Shutdown(0); }

void QueuedExporter::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void QueuedExporter::Shutdown(int64_t timeout_ns) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    drain_deadline_ns_ = SteadyNowNs() + std::max<int64_t>(timeout_ns, 0);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  const uint64_t left = queue_->pending_weight();
  if (left > 0) {
    Log(options_.queue_dir.empty()
            ? fmt::format("stopped with {} profiles unsent (the queue is in memory: they are lost)", left)
            : fmt::format("stopped with {} profiles queued on disk", left));
  }
}

void QueuedExporter::Log(std::string_view message) const {
  if (options_.log) {
    options_.log(message);
  } else {
    LogToStderr(options_.name, message);
  }
}

void QueuedExporter::Fail(std::string_view reason, uint64_t profiles) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failed_.find(reason);
  if (it == failed_.end()) it = failed_.emplace(std::string(reason), 0).first;
  it->second += profiles;
}

absl::Status QueuedExporter::Enqueue(const Batch& batch) {
  if (batch.items.empty()) return absl::OkStatus();
  return EnqueueRecord(EncodeRecord(batch), static_cast<uint32_t>(batch.items.size()));
}

absl::Status QueuedExporter::EnqueueRecord(std::string_view record, uint32_t profiles) {
  absl::Status s = queue_->Append(record, profiles, SteadyNowNs());
  if (!s.ok()) {
    Fail(s.code() == absl::StatusCode::kResourceExhausted ? "queue_full" : "queue_error", profiles);
    return s;
  }
  // Taking the lock orders this append before the drain thread's next look at the queue,
  // or after it is already waiting: either way it is not missed.
  { std::lock_guard<std::mutex> lock(mu_); }
  cv_.notify_one();
  return absl::OkStatus();
}

QueuedExporterStats QueuedExporter::stats() const {
  QueuedExporterStats s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.exported_profiles = exported_profiles_;
    s.exported_batches = exported_batches_;
    for (const auto& [reason, n] : failed_) s.failed_profiles[reason] = n;
  }
  if (const int64_t rejected = exporter_->rejected_profiles(); rejected > 0) {
    s.failed_profiles["rejected"] = static_cast<uint64_t>(rejected);
  }
  s.queue_bytes = queue_->pending_bytes();
  s.queue_profiles = queue_->pending_weight();
  return s;
}

void QueuedExporter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    // Wait for a full batch, for the oldest record's max_delay, or for shutdown.
    bool ready = false;
    const int64_t now = SteadyNowNs();
    const size_t pending = queue_->pending_records();
    if (stopping_) {
      if (pending == 0 || now >= drain_deadline_ns_) return;
      ready = true;  // draining: no more waiting for batches to fill
    } else if (pending > 0) {
      const int64_t stamp = queue_->Head(1).front().stamp;  // 0: replayed, send now
      const int64_t due = stamp == 0 ? 0 : stamp + options_.max_delay_ns;
      ready = queue_->pending_weight() >= options_.max_batch_profiles || now >= due;
      if (!ready) cv_.wait_until(lock, SteadyAt(due));
    } else {
      cv_.wait(lock);
    }
    if (!ready) continue;
    lock.unlock();
    const bool more = SendNext();
    lock.lock();
    if (!more) return;
  }
}

bool QueuedExporter::Sleep(int64_t until_ns) {
  std::unique_lock<std::mutex> lock(mu_);
  while (SteadyNowNs() < until_ns) {
    if (stopping_ && until_ns > drain_deadline_ns_) return false;
    cv_.wait_until(lock, SteadyAt(until_ns));
  }
  return true;
}

bool QueuedExporter::SendNext() {
  // The head records, up to max_batch_profiles (at least one record), of one tenant.
  Batch batch;
  uint64_t last_seq = 0;
  uint64_t profiles = 0;
  for (const DiskQueue::RecordInfo& r : queue_->Head(options_.max_batch_profiles)) {
    if (last_seq != 0 && profiles + r.weight > options_.max_batch_profiles) break;
    absl::StatusOr<Batch> part = [&]() -> absl::StatusOr<Batch> {
      auto bytes = queue_->Read(r);
      if (!bytes.ok()) return bytes.status();
      return DecodeRecord(*bytes);
    }();
    if (!part.ok()) {
      if (last_seq != 0) break;  // send what came before it first
      Log(fmt::format("dropping {} profiles: {}", r.weight, part.status().message()));
      Fail("damaged", r.weight);
      if (absl::Status s = queue_->Ack(r.seq); !s.ok()) Log(fmt::format("queue: {}", s.message()));
      return true;
    }
    if (last_seq != 0 && part->tenant != batch.tenant) break;
    if (last_seq == 0) batch.tenant = part->tenant;
    for (BatchItem& item : part->items) batch.items.push_back(std::move(item));
    last_seq = r.seq;
    profiles += r.weight;
  }
  if (last_seq == 0) return true;

  bool failing = false;
  backoff_.Reset(SteadyNowNs());
  while (true) {
    const absl::Status s = batch.items.empty() ? absl::OkStatus() : exporter_->Export(batch);
    if (s.ok() || !IsRetryable(s)) {
      if (s.ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        exported_profiles_ += batch.items.size();
        ++exported_batches_;
      } else {
        Log(fmt::format("dropping {} profiles of tenant \"{}\", refused by the receiver: {}",
                        batch.items.size(), batch.tenant, s.message()));
        Fail("permanent", batch.items.size());
      }
      if (failing && s.ok()) Log("the receiver is back; sending again");
      if (absl::Status a = queue_->Ack(last_seq); !a.ok()) {
        Log(
            fmt::format("cannot record progress in the queue (after a restart these profiles "
                        "would be sent again): {}",
                        a.message()));
      }
      return true;
    }
    // Items an exporter that sends one by one got through before the error are done.
    const size_t sent = std::min(ItemsSent(s), batch.items.size());
    if (sent > 0) {
      batch.items.erase(batch.items.begin(), batch.items.begin() + static_cast<ptrdiff_t>(sent));
      std::lock_guard<std::mutex> lock(mu_);
      exported_profiles_ += sent;
    }
    Fail("retryable", batch.items.size());
    const int64_t now = SteadyNowNs();
    std::optional<int64_t> delay = backoff_.NextDelay(now, RetryDelay(s).value_or(0));
    if (!failing) {
      Log(fmt::format("sending {} profiles failed, will retry (the queue keeps them): {}",
                      batch.items.size(), s.message()));
      failing = true;
    }
    if (!delay.has_value()) {
      // Out of time for this round: keep the batch (it is still first in the queue) and
      // start over after a pause.
      delay = options_.retry.max_interval_ns;
      Log(fmt::format("still failing after {}; {} profiles stay queued, next try in {}: {}",
                      Seconds(options_.retry.max_elapsed_ns), queue_->pending_weight(),
                      Seconds(*delay), s.message()));
      backoff_.Reset(now + *delay);
    }
    if (!Sleep(now + *delay)) return false;  // shutting down: the batch stays queued
  }
}

}  // namespace hearth::exporter
