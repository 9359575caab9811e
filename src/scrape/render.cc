// The scraper's status for people and programs: the targets API (Prometheus' shape), an
// HTML page and metrics text.

#include <ctime>

#include "base/fmt.h"
#include "base/json_writer.h"
#include "scrape/manager.h"

namespace hearth::scrape {
namespace {

std::string Rfc3339(int64_t ns) {
  if (ns == 0) return "0001-01-01T00:00:00Z";  // Prometheus' zero time: never scraped
  time_t secs = static_cast<time_t>(ns / 1'000'000'000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (ns / 1'000'000) % 1000);
}

std::string Seconds(int64_t ns) {
  if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  return fmt::format("{}ms", ns / 1'000'000);
}

void LabelsObject(JsonWriter& w, const Labels& l) {
  w.BeginObject();
  for (const auto& [k, v] : l) w.Key(k).String(v);
  w.EndObject();
}

std::string_view Get(const Labels& l, std::string_view name) {
  for (const auto& [k, v] : l) {
    if (k == name) return v;
  }
  return {};
}

std::string Escape(std::string_view s) {  // a Prometheus label value
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string Html(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

const char* Health(const ProfileHealth& p) { return !p.scraped ? "unknown" : p.up ? "up" : "down"; }

}  // namespace

std::string Manager::TargetsJson() const {
  const std::vector<TargetHealth> targets = Targets();
  const std::vector<DroppedTarget> dropped = Dropped();
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("status").String("success").Key("data").BeginObject();
  w.Key("activeTargets").BeginArray();
  for (const TargetHealth& t : targets) {
    w.BeginObject();
    w.Key("discoveredLabels");
    LabelsObject(w, t.discovered);
    w.Key("labels");
    LabelsObject(w, t.labels);
    w.Key("scrapePool").String(t.job);
    w.Key("scrapeUrl").String(t.scrape_url_base);
    bool any = false;
    int64_t last = 0;
    double duration = 0;
    for (const ProfileHealth& p : t.profiles) {
      any |= p.scraped;
      if (p.last_scrape_ns > last) {
        last = p.last_scrape_ns;
        duration = p.last_duration_s;
      }
    }
    w.Key("health").String(!any ? "unknown" : t.up() ? "up" : "down");
    w.Key("lastError").String(t.last_error());
    w.Key("lastScrape").String(Rfc3339(last));
    w.Key("lastScrapeDuration").Double(duration);
    w.Key("scrapeInterval").String(Seconds(t.interval_ns));
    w.Key("scrapeTimeout").String(Seconds(t.timeout_ns));
    w.Key("profiles").BeginArray();
    for (const ProfileHealth& p : t.profiles) {
      w.BeginObject();
      w.Key("name").String(p.name);
      w.Key("scrapeUrl").String(p.url);
      w.Key("health").String(Health(p));
      w.Key("up").Int(p.up ? 1 : 0);
      w.Key("lastError").String(p.last_error);
      w.Key("lastScrape").String(Rfc3339(p.last_scrape_ns));
      w.Key("lastScrapeDuration").Double(p.last_duration_s);
      w.Key("lastScheduleLag").Double(static_cast<double>(p.last_lag_ns) / 1e9);
      w.Key("scrapes").Uint(p.scrapes);
      w.Key("failures").Uint(p.failures);
      w.Key("missed").Uint(p.missed);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("droppedTargets").BeginArray();
  for (const DroppedTarget& d : dropped) {
    w.BeginObject().Key("scrapePool").String(d.job).Key("discoveredLabels");
    LabelsObject(w, d.discovered);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject().EndObject();
  return out;
}

std::string Manager::TargetsHtml() const {
  const std::vector<TargetHealth> targets = Targets();
  std::string out =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>Hearth scrape targets</title>"
      "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:left}"
      ".up{color:#080}.down{color:#b00}.unknown{color:#888}</style></head><body>"
      "<h1>Scrape "
      "targets</h1><table><tr><th>job</th><th>endpoint</th><th>profile</th><th>state</th>"
      "<th>labels</th><th>last scrape</th><th>duration</th><th>error</th></tr>\n";
  for (const TargetHealth& t : targets) {
    std::string labels;
    for (const auto& [k, v] : t.labels) labels += fmt::format("{}=\"{}\" ", k, v);
    for (const ProfileHealth& p : t.profiles) {
      out += fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}</td><td "
          "class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{:.3f}s</td>"
          "<td>{}</td></tr>\n",
          Html(t.job), Html(p.url), Html(p.name), Health(p), Health(p), Html(labels),
          Rfc3339(p.last_scrape_ns), p.last_duration_s, Html(p.last_error));
    }
  }
  out += "</table><p>JSON: <a href=\"api/v1/targets\">/api/v1/targets</a></p></body></html>\n";
  return out;
}

std::string Manager::MetricsText() const {
  const std::vector<TargetHealth> targets = Targets();
  const std::vector<DroppedTarget> dropped = Dropped();
  const LagStats lag = Lag();
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  auto per_profile = [&](const char* name, const char* type, const char* help, auto value) {
    family(name, type, help);
    for (const TargetHealth& t : targets) {
      for (const ProfileHealth& p : t.profiles) {
        out +=
            fmt::format("{}{{job=\"{}\",instance=\"{}\",profile=\"{}\"}} {}\n", name, Escape(t.job),
                        Escape(Get(t.labels, "instance")), Escape(p.name), value(p));
      }
    }
  };
  per_profile("hearth_scrape_up", "gauge",
              "1 if the last scrape of the target's profile type succeeded, else 0.",
              [](const ProfileHealth& p) { return p.up ? 1 : 0; });
  per_profile("hearth_scrape_last_duration_seconds", "gauge", "Duration of the last scrape.",
              [](const ProfileHealth& p) { return fmt::format("{:.6f}", p.last_duration_s); });
  per_profile("hearth_scrape_last_timestamp_seconds", "gauge",
              "Start of the last scrape, Unix seconds.", [](const ProfileHealth& p) {
                return fmt::format("{:.3f}", static_cast<double>(p.last_scrape_ns) / 1e9);
              });
  per_profile("hearth_scrape_scrapes_total", "counter", "Scrapes done.",
              [](const ProfileHealth& p) { return p.scrapes; });
  per_profile(
      "hearth_scrape_failures_total", "counter",
      "Scrapes that failed (unreachable, timeout, HTTP error, bad profile, refused by storage).",
      [](const ProfileHealth& p) { return p.failures; });
  per_profile("hearth_scrape_missed_total", "counter",
              "Ticks skipped because the previous scrape still ran.",
              [](const ProfileHealth& p) { return p.missed; });
  std::map<std::string, std::pair<int, int>> per_job;
  for (const std::string& job : JobNames()) per_job[job] = {0, 0};
  for (const TargetHealth& t : targets) ++per_job[t.job].first;
  for (const DroppedTarget& d : dropped) ++per_job[d.job].second;
  family("hearth_scrape_targets", "gauge", "Active targets, by job.");
  for (const auto& [job, n] : per_job)
    out += fmt::format("hearth_scrape_targets{{job=\"{}\"}} {}\n", Escape(job), n.first);
  family("hearth_scrape_dropped_targets", "gauge", "Targets dropped by relabeling, by job.");
  for (const auto& [job, n] : per_job)
    out += fmt::format("hearth_scrape_dropped_targets{{job=\"{}\"}} {}\n", Escape(job), n.second);
  family("hearth_scrape_schedule_lag_seconds", "summary",
         "Scrape start minus its scheduled time, over the recent scrapes.");
  out += fmt::format("hearth_scrape_schedule_lag_seconds{{quantile=\"0.5\"}} {:.6f}\n",
                     static_cast<double>(lag.p50_ns) / 1e9);
  out += fmt::format("hearth_scrape_schedule_lag_seconds{{quantile=\"0.99\"}} {:.6f}\n",
                     static_cast<double>(lag.p99_ns) / 1e9);
  out += fmt::format("hearth_scrape_schedule_lag_seconds_count {}\n", lag.count);
  return out;
}

}  // namespace hearth::scrape
