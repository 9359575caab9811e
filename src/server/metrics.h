#pragma once

// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the
// text exposition format (0.0.4). Thread-safe; cheap enough for every request.
//
//   Counter& c = registry.Counter("hearth_ingest_profiles_total", "Profiles accepted.", {"tenant", "api"});
//   c.Add({"t1", "ingest"}, 1);

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hearth::server {

class MetricFamily {
 public:
  enum class Kind { kCounter, kGauge, kHistogram };
  MetricFamily(std::string name, std::string help, Kind kind, std::vector<std::string> labels,
               std::vector<double> buckets = {});

  // Counters and gauges.
  void Add(const std::vector<std::string>& label_values, double delta);
  void Set(const std::vector<std::string>& label_values, double value);
  // Histograms.
  void Observe(const std::vector<std::string>& label_values, double value);

  void Render(std::string* out) const;
  const std::string& name() const { return name_; }

 private:
  struct Series {
    double value = 0;
    std::vector<uint64_t> bucket_counts;
    double sum = 0;
    uint64_t count = 0;
  };
  Series& At(const std::vector<std::string>& label_values);

  std::string name_, help_;
  Kind kind_;
  std::vector<std::string> labels_;
  std::vector<double> buckets_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, Series> series_;
};

class MetricsRegistry {
 public:
  MetricFamily& Counter(const std::string& name, const std::string& help,
                        std::vector<std::string> labels = {});
  MetricFamily& Gauge(const std::string& name, const std::string& help,
                      std::vector<std::string> labels = {});
  MetricFamily& Histogram(const std::string& name, const std::string& help,
                          std::vector<std::string> labels, std::vector<double> buckets);
  // Called before every render (storage sizes, process RSS ...).
  void OnCollect(std::function<void()> fn);
  // Appends exposition text made elsewhere (a component the server does not depend on,
  // e.g. the scraper's per-target families) to every render. Safe while serving.
  void AddTextSource(std::function<std::string()> fn);
  std::string Render() const;

 private:
  MetricFamily& Get(const std::string& name, const std::string& help, MetricFamily::Kind kind,
                    std::vector<std::string> labels, std::vector<double> buckets);
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<MetricFamily>> families_;
  std::vector<std::function<void()>> collectors_;
  std::vector<std::function<std::string()>> text_sources_;
};

// Latency buckets in seconds, 1 ms .. 30 s.
std::vector<double> LatencyBuckets();

}  // namespace hearth::server
