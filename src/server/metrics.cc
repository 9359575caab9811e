#include "server/metrics.h"

#include <algorithm>
#include <cmath>

#include "base/fmt.h"

namespace hearth::server {
namespace {

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{}", v);
}

std::string LabelString(const std::vector<std::string>& names, const std::vector<std::string>& values,
                        const std::string& extra_name = "", const std::string& extra_value = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += fmt::format("{}=\"{}\"", names[i], Escape(i < values.size() ? values[i] : ""));
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "{" : ",";
    out += fmt::format("{}=\"{}\"", extra_name, extra_value);
  }
  if (!out.empty()) out += "}";
  return out;
}

}  // namespace

MetricFamily::MetricFamily(std::string name, std::string help, Kind kind,
                           std::vector<std::string> labels, std::vector<double> buckets)
    : name_(std::move(name)),
      help_(std::move(help)),
      kind_(kind),
      labels_(std::move(labels)),
      buckets_(std::move(buckets)) {}

MetricFamily::Series& MetricFamily::At(const std::vector<std::string>& label_values) {
  Series& s = series_[label_values];
  if (kind_ == Kind::kHistogram && s.bucket_counts.empty()) s.bucket_counts.assign(buckets_.size(), 0);
  return s;
}

void MetricFamily::Add(const std::vector<std::string>& label_values, double delta) {
  std::lock_guard<std::mutex> lock(mu_);
  At(label_values).value += delta;
}

void MetricFamily::Set(const std::vector<std::string>& label_values, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  At(label_values).value = value;
}

void MetricFamily::Observe(const std::vector<std::string>& label_values, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  Series& s = At(label_values);
  for (size_t i = 0; i < buckets_.size(); ++i) {
    if (value <= buckets_[i]) ++s.bucket_counts[i];
  }
  s.sum += value;
  ++s.count;
}

void MetricFamily::Render(std::string* out) const {
  const char* type = kind_ == Kind::kCounter ? "counter" : kind_ == Kind::kGauge ? "gauge" : "histogram";
  *out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name_, help_, name_, type);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, s] : series_) {
    if (kind_ != Kind::kHistogram) {
      *out += fmt::format("{}{} {}\n", name_, LabelString(labels_, values), FormatValue(s.value));
      continue;
    }
    for (size_t i = 0; i < buckets_.size(); ++i) {
      *out += fmt::format("{}_bucket{} {}\n", name_,
                          LabelString(labels_, values, "le", FormatValue(buckets_[i])), s.bucket_counts[i]);
    }
    *out += fmt::format("{}_bucket{} {}\n", name_, LabelString(labels_, values, "le", "+Inf"), s.count);
    *out += fmt::format("{}_sum{} {}\n", name_, LabelString(labels_, values), FormatValue(s.sum));
    *out += fmt::format("{}_count{} {}\n", name_, LabelString(labels_, values), s.count);
  }
}

MetricFamily& MetricsRegistry::Get(const std::string& name, const std::string& help,
                                   MetricFamily::Kind kind, std::vector<std::string> labels,
                                   std::vector<double> buckets) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& f : families_) {
    if (f->name() == name) return *f;
  }
  families_.push_back(
      std::make_unique<MetricFamily>(name, help, kind, std::move(labels), std::move(buckets)));
  return *families_.back();
}

MetricFamily& MetricsRegistry::Counter(const std::string& name, const std::string& help,
                                       std::vector<std::string> labels) {
  return Get(name, help, MetricFamily::Kind::kCounter, std::move(labels), {});
}
MetricFamily& MetricsRegistry::Gauge(const std::string& name, const std::string& help,
                                     std::vector<std::string> labels) {
  return Get(name, help, MetricFamily::Kind::kGauge, std::move(labels), {});
}
MetricFamily& MetricsRegistry::Histogram(const std::string& name, const std::string& help,
                                         std::vector<std::string> labels,
                                         std::vector<double> buckets) {
  return Get(name, help, MetricFamily::Kind::kHistogram, std::move(labels), std::move(buckets));
}

void MetricsRegistry::OnCollect(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  collectors_.push_back(std::move(fn));
}

void MetricsRegistry::AddTextSource(std::function<std::string()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  text_sources_.push_back(std::move(fn));
}

std::string MetricsRegistry::Render() const {
  std::vector<std::function<void()>> collectors;
  std::vector<std::function<std::string()>> sources;
  {
    std::lock_guard<std::mutex> lock(mu_);
    collectors = collectors_;
    sources = text_sources_;
  }
  for (const auto& c : collectors) c();
  std::string out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& f : families_) f->Render(&out);
  }
  for (const auto& s : sources) out += s();
  return out;
}

std::vector<double> LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

}  // namespace hearth::server
