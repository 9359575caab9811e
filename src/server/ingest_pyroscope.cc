// Pyroscope's legacy `POST /ingest` (what the language SDKs call).
//
//   body                        format param        becomes
//   multipart/form-data         (none) or pprof     pprof from part `profile`, optional
//                                                   `sample_type_config` JSON
//   multipart/form-data         jfr                 JFR from part `jfr`, optional `labels`
//   raw pprof (gzip or not)     pprof, or detected  pprof
//   raw JFR / speedscope        jfr / speedscope    one profile per JFR event kind / one
//   text                        folded (default),   counts typed by the name's suffix
//                               groups, lines       (app.cpu, app.alloc_space, ...)
//
// Series labels, as Pyroscope's createLabels / ingest adapter: __name__ (the profile family),
// service_name (the app name, unless the labels have one; text and JFR uploads then keep
// the app as app_name), pyroscope_spy (spyName, default "unknown"), and the name's labels.
// Pyroscope marks every /ingest series __delta__="false": clients send deltas (godeltaprof),
// so values are stored as sent unless a sample_type_config marks a type cumulative.

#include <algorithm>
#include <chrono>

#include "base/compress.h"
#include "base/fmt.h"
#include "base/strings.h"
#include "formats/detect.h"
#include "formats/speedscope.h"
#include "profile/builder.h"
#include "server/ingest_api.h"
#include "server/ingest_params.h"

namespace hearth::server {
namespace {

constexpr int64_t kSecondNs = 1'000'000'000;
// Pyroscope's default sampleRate (types.DefaultSampleRate).
constexpr uint32_t kDefaultSampleRate = 100;

struct IngestQuery {
  PyroscopeName name;
  int64_t from_ns = 0;
  int64_t until_ns = 0;
  std::string spy_name = "unknown";
  uint32_t sample_rate = kDefaultSampleRate;
  bool sample_rate_given = false;
  std::string format;
};

absl::StatusOr<IngestQuery> ParseQuery(const HttpRequest& req, int64_t now_ns) {
  IngestQuery q;
  auto name = ParsePyroscopeName(req.Param("name"));
  if (!name.ok()) return name.status();
  q.name = std::move(*name);
  for (auto [param, out] : {std::pair{"from", &q.from_ns}, std::pair{"until", &q.until_ns}}) {
    std::string_view text = req.Param(param);
    if (text.empty()) {
      *out = now_ns;
      continue;
    }
    auto t = ParsePyroscopeTime(text, now_ns);
    if (!t.ok()) {
      return absl::InvalidArgumentError(fmt::format("{}: {}", param, t.status().message()));
    }
    *out = *t;
  }
  if (std::string_view rate = req.Param("sampleRate"); !rate.empty()) {
    if (!ParseInt(rate, &q.sample_rate)) {
      return absl::InvalidArgumentError(fmt::format(
          "sampleRate \"{}\" is not a non-negative integer (samples per second; default {})", rate,
          kDefaultSampleRate));
    }
    q.sample_rate_given = true;
  }
  if (std::string_view spy = req.Param("spyName"); !spy.empty()) q.spy_name = std::string(spy);
  q.format = std::string(req.Param("format"));
  // `units` and `aggregationType` are accepted and not stored, as in Pyroscope (the type
  // comes from the profile or the name's suffix; Hearth picks sum or average at query time).
  return q;
}

bool HasLabel(const IngestQuery& q, std::string_view key) {
  for (const auto& [k, v] : q.name.labels) {
    if (k == key && !v.empty()) return true;
  }
  return false;
}

// `app_name_too`: text and JFR uploads keep the app as app_name when the labels carry
// their own service_name; pprof uploads don't (Pyroscope's two code paths differ so).
storage::Labels SeriesLabels(const IngestQuery& q, std::string_view metric, std::string_view app,
                             bool app_name_too) {
  storage::Labels labels;
  labels.reserve(q.name.labels.size() + 4);
  labels.emplace_back(std::string(storage::kNameLabel), std::string(metric));
  labels.emplace_back("pyroscope_spy", q.spy_name);
  for (const auto& [k, v] : q.name.labels) {
    // Reserved names are not the client's to set; an empty value is no label at all.
    if (k.starts_with("__") || v.empty() || k == "pyroscope_spy") continue;
    labels.emplace_back(k, v);
  }
  if (!HasLabel(q, storage::kServiceNameLabel)) {
    labels.emplace_back(std::string(storage::kServiceNameLabel), std::string(app));
  } else if (app_name_too && !HasLabel(q, "app_name")) {
    labels.emplace_back("app_name", std::string(app));
  }
  return labels;
}

// Decompresses a gzipped text body (a pprof body is left to the pprof decoder).
absl::StatusOr<std::string_view> Inflate(std::string_view body, const TenantLimits& limits,
                                         std::string* storage) {
  if (!IsGzip(body)) return body;
  DecompressLimits d;
  d.max_output_bytes = static_cast<size_t>(limits.max_decompressed_profile_bytes);
  auto out = GzipDecompress(body, d);
  if (!out.ok()) return out.status();
  *storage = std::move(*out);
  return std::string_view(*storage);
}

// --- pprof -----------------------------------------------------------------------------

// `inflated`, if not empty, is `raw` already gunzipped (to recognize the format).
absl::StatusOr<IngestItem> PprofItem(const IngestQuery& q, std::string_view raw,
                                     std::string_view inflated, const SampleTypeConfigs* uploaded,
                                     const TenantLimits& limits) {
  if (raw.empty()) return absl::InvalidArgumentError("the pprof profile is empty");
  auto p = inflated.empty() ? profile::DecodePprof(raw, PprofLimitsFor(limits))
                            : profile::DecodePprofUncompressed(inflated, PprofLimitsFor(limits));
  if (!p.ok()) return p.status();
  IngestItem item;
  item.profile = std::move(*p);
  profile::Profile& prof = item.profile;
  const std::string metric =
      PyroscopeMetricName(prof, uploaded != nullptr ? *uploaded : DefaultSampleTypeConfigs());
  bool changed = false;
  if (uploaded != nullptr) {
    auto s = ApplySampleTypeConfig(*uploaded, prof, &changed, &item.cumulative);
    if (!s.ok()) return s;
  }
  // Old pyspy/rbspy/pyroscope-rs wrote microseconds (or nothing) as time_nanos: a 1970
  // time means "no time", and the upload's `from` stands in (Pyroscope's fixTime).
  constexpr int64_t k1971Ns = int64_t{365} * 86400 * kSecondNs;
  if (prof.time_nanos > 0 && prof.time_nanos < k1971Ns) {
    prof.time_nanos = q.from_ns;
    changed = true;
  }
  item.ts_ns = q.from_ns;  // used when the profile has no time
  item.labels = SeriesLabels(q, metric, q.name.app, false);
  // The WAL keeps the bytes as sent only while they still decode to exactly this profile.
  if (!changed) item.pprof = std::string(raw);
  return item;
}

absl::StatusOr<std::vector<IngestItem>> PprofMultipart(const IngestQuery& q,
                                                       const std::vector<HttpPart>& form,
                                                       const TenantLimits& limits) {
  const HttpPart* profile_part = nullptr;
  const HttpPart* config_part = nullptr;
  std::string names;
  for (const HttpPart& part : form) {
    names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", part.name);
    if (part.name == "profile" && profile_part == nullptr) profile_part = &part;
    if (part.name == "sample_type_config" && config_part == nullptr) config_part = &part;
    if (part.name == "prev_profile") {
      return absl::InvalidArgumentError(
          "multipart part \"prev_profile\" is not supported (the client computes deltas since "
          "pyroscope-go 1.0); update the client");
    }
  }
  if (profile_part == nullptr) {
    return absl::InvalidArgumentError(fmt::format(
        "multipart upload has no \"profile\" part (parts: {})", names.empty() ? "none" : names));
  }
  SampleTypeConfigs config;
  if (config_part != nullptr) {
    auto c = ParseSampleTypeConfig(config_part->content);
    if (!c.ok()) return c.status();
    config = std::move(*c);
  }
  auto item =
      PprofItem(q, profile_part->content, "", config_part != nullptr ? &config : nullptr, limits);
  if (!item.ok()) return item.status();
  std::vector<IngestItem> items;
  items.push_back(std::move(*item));
  return items;
}

// --- text formats ----------------------------------------------------------------------

// Pyroscope's `lines`: one stack per line (root first, ';' between frames), each line one
// sample; identical lines add up.
absl::StatusOr<profile::Profile> ParseLines(std::string_view text, const LegacyType& type) {
  const formats::FoldedOptions limits;
  profile::ProfileBuilder b;
  b.profile().sample_types.push_back({b.Str(type.type), b.Str(type.unit)});
  std::vector<uint32_t> stack;
  const int64_t one = 1;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (++line_no > limits.max_lines) {
      return absl::InvalidArgumentError(
          fmt::format("lines: more than the limit of {} lines", limits.max_lines));
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.size() > limits.max_line_bytes) {
      return absl::InvalidArgumentError(
          fmt::format("lines: line {} is longer than {} bytes", line_no, limits.max_line_bytes));
    }
    stack.clear();
    for (std::string_view frame : Split(line, ';')) {
      if (stack.size() == limits.max_frames) {
        return absl::InvalidArgumentError(
            fmt::format("lines: line {} has more than {} frames", line_no, limits.max_frames));
      }
      stack.push_back(b.AddFrame(frame));
    }
    std::reverse(stack.begin(), stack.end());  // leaf first
    b.AddSample(stack, {&one, 1});
  }
  return b.Finish();
}

// Types a text profile's single count column and, for cpu/wall, turns samples at
// `sampleRate` Hz into nanoseconds (Pyroscope's ingest adapter: period = 1e9 / rate).
absl::Status ApplyLegacyType(const IngestQuery& q, const LegacyType& type, profile::Profile& p) {
  p.time_nanos = q.from_ns;
  p.duration_nanos = q.until_ns > q.from_ns ? q.until_ns - q.from_ns : 0;
  if (!type.time_sampled || q.sample_rate == 0 || p.Str(p.sample_types[0].unit) != "count") {
    return absl::OkStatus();
  }
  const int64_t period = kSecondNs / q.sample_rate;
  for (int64_t& v : p.values) {
    if (__builtin_mul_overflow(v, period, &v)) {
      return absl::InvalidArgumentError(
          fmt::format("a count times the sampling period ({} ns at sampleRate={}) is out of range",
                      period, q.sample_rate));
    }
  }
  p.sample_types[0] = {p.strings.Intern(type.metric == "wall" ? "wall" : "cpu"),
                       p.strings.Intern("nanoseconds")};
  p.period_type = {p.strings.Intern("cpu"), p.strings.Intern("nanoseconds")};
  p.period = period;
  return absl::OkStatus();
}

enum class TextFormat { kFolded, kLines, kSpeedscope };

absl::StatusOr<std::vector<IngestItem>> TextItems(const IngestQuery& q, TextFormat format,
                                                  std::string_view data,
                                                  const TenantLimits& limits) {
  std::vector<IngestItem> items;
  std::string app;
  auto type = SplitLegacyType(q.name.app, &app);
  if (!type.ok()) return type.status();
  // Pyroscope drops text uploads labelled with a profile_id (old per-span profiles).
  if (HasLabel(q, "profile_id")) return items;
  if (TrimSpace(data).empty()) return items;  // an idle app: nothing sampled
  if (data.size() > limits.max_decompressed_profile_bytes) {
    return absl::ResourceExhaustedError(
        fmt::format("the profile is {} bytes, above the limit of {} bytes", data.size(),
                    limits.max_decompressed_profile_bytes));
  }
  absl::StatusOr<profile::Profile> p;
  std::string_view metric = type->metric;
  switch (format) {
    case TextFormat::kFolded: {
      formats::FoldedOptions o;
      o.sample_type = fmt::format("{}/{}", type->type, type->unit);
      p = formats::ParseFolded(data, o);
      break;
    }
    case TextFormat::kLines: p = ParseLines(data, *type); break;
    case TextFormat::kSpeedscope: {
      formats::SpeedscopeOptions o;
      o.max_input_bytes = static_cast<size_t>(limits.max_decompressed_profile_bytes);
      o.profile_label = "profile_name";  // as Pyroscope labels each speedscope profile
      o.time_type = metric == "wall" ? "wall" : "cpu";
      p = formats::ParseSpeedscope(data, o);
      if (!p.ok()) break;
      // Weights in bytes or time say what they are, whatever the name's suffix.
      std::string_view unit = p->Str(p->sample_types[0].unit);
      if (unit == "bytes") metric = "memory";
      if (unit == "nanoseconds" && !type->time_sampled) metric = "wall";
      break;
    }
  }
  if (!p.ok()) return p.status();
  if (auto s = ApplyLegacyType(q, *type, *p); !s.ok()) return s;
  IngestItem item;
  item.profile = std::move(*p);
  item.labels = SeriesLabels(q, metric, app, true);
  item.ts_ns = q.from_ns;
  items.push_back(std::move(item));
  return items;
}

// --- JFR -------------------------------------------------------------------------------

absl::StatusOr<std::vector<IngestItem>> JfrItems(const IngestQuery& q, std::string_view jfr,
                                                 std::string_view labels_part,
                                                 const TenantLimits& limits) {
  if (!labels_part.empty()) {
    // Context labels need each event's contextId, which formats::ParseJfr does not read
    // yet: the snapshot is checked (a broken one is an error, as in Pyroscope) and unused.
    std::string buf;
    auto raw = Inflate(labels_part, limits, &buf);
    if (!raw.ok()) return raw.status();
    if (auto s = ParseJfrLabelsSnapshot(*raw); !s.ok()) return s.status();
  }
  formats::JfrOptions o;
  const size_t cap = static_cast<size_t>(limits.max_decompressed_profile_bytes);
  o.limits.max_input_bytes = cap;
  o.limits.decompress.max_output_bytes = cap;
  // A label per Java thread would make a series per thread.
  o.thread_labels = false;
  // Pyroscope scales execution samples by the upload's sampleRate; without one, the
  // recording's own period is more accurate than a guess.
  if (q.sample_rate_given && q.sample_rate > 0) o.cpu_period_ns = kSecondNs / q.sample_rate;
  auto profiles = formats::ParseJfr(jfr, o);
  if (!profiles.ok()) return profiles.status();
  std::vector<IngestItem> items;
  for (formats::JfrProfile& jp : *profiles) {
    // jfr-parser's families: execution samples are cpu, native-method samples wall,
    // allocations memory, monitor enters mutex and parks block (period type = family).
    std::string_view metric = jp.kind == "cpu"      ? "process_cpu"
                              : jp.kind == "native" ? "wall"
                              : jp.kind == "lock"   ? "mutex"
                              : jp.kind == "park"   ? "block"
                                                    : "memory";
    profile::Profile& p = jp.profile;
    if (p.samples.empty()) continue;
    if (jp.kind == "lock" || jp.kind == "park") {
      p.period_type = {p.strings.Intern(metric), p.strings.Intern("count")};
    }
    IngestItem item;
    item.profile = std::move(p);
    item.labels = SeriesLabels(q, metric, q.name.app, true);
    item.ts_ns = q.from_ns;
    items.push_back(std::move(item));
  }
  return items;
}

absl::StatusOr<std::vector<IngestItem>> JfrMultipart(const IngestQuery& q,
                                                     const std::vector<HttpPart>& form,
                                                     const TenantLimits& limits) {
  const HttpPart* jfr = nullptr;
  const HttpPart* labels = nullptr;
  for (const HttpPart& part : form) {
    if (part.name == "jfr" && jfr == nullptr) jfr = &part;
    if (part.name == "labels" && labels == nullptr) labels = &part;
  }
  if (jfr == nullptr) return absl::InvalidArgumentError("multipart JFR upload has no \"jfr\" part");
  return JfrItems(q, jfr->content, labels == nullptr ? "" : labels->content, limits);
}

// --- dispatch --------------------------------------------------------------------------

absl::StatusOr<std::vector<IngestItem>> DecodeBody(const IngestQuery& q, const HttpRequest& req,
                                                   const TenantLimits& limits) {
  const std::string_view content_type = req.Header("content-type");
  std::string_view format = q.format;
  if (format == "trie" || format == "tree" || content_type.starts_with("binary/octet-stream+")) {
    return absl::InvalidArgumentError(
        "the trie and tree formats of the old Pyroscope agent are not supported; send pprof, "
        "folded, lines, jfr or speedscope");
  }
  if (content_type.find("multipart/form-data") != std::string_view::npos) {
    auto form = ParseMultipart(content_type, req.body);
    if (!form.ok()) return form.status();
    const bool has_jfr =
        std::any_of(form->begin(), form->end(), [](const HttpPart& p) { return p.name == "jfr"; });
    if (format == "jfr" || (format.empty() && has_jfr)) return JfrMultipart(q, *form, limits);
    if (format.empty() || format == "pprof") return PprofMultipart(q, *form, limits);
    return absl::InvalidArgumentError(fmt::format(
        "format={} cannot be sent as multipart/form-data (only pprof and jfr can)", format));
  }
  std::string inflated;
  if (format.empty()) {
    // Pyroscope reads a body without `format` as folded text; pprof, JFR and speedscope
    // are recognized by their content first.
    auto data = Inflate(req.body, limits, &inflated);
    if (!data.ok()) return data.status();
    if (TrimSpace(*data).empty())
      format = "folded";  // nothing sampled
    else if (formats::LooksLikeJfr(*data))
      format = "jfr";
    else if (formats::LooksLikeSpeedscope(*data))
      format = "speedscope";
    else if (!formats::LooksLikeFolded(*data) &&
             formats::DetectFormat(*data) == formats::Format::kPprof) {
      format = "pprof";
    } else {
      format = "folded";
    }
  }
  if (format == "pprof") {
    auto item = PprofItem(q, req.body, inflated, nullptr, limits);
    if (!item.ok()) return item.status();
    std::vector<IngestItem> items;
    items.push_back(std::move(*item));
    return items;
  }
  if (format == "jfr") return JfrItems(q, req.body, "", limits);
  TextFormat text;
  if (format == "folded" || format == "groups" || format == "collapsed") {
    text = TextFormat::kFolded;
  } else if (format == "lines") {
    text = TextFormat::kLines;
  } else if (format == "speedscope") {
    text = TextFormat::kSpeedscope;
  } else {
    return absl::InvalidArgumentError(fmt::format(
        "unknown format \"{}\" (known: pprof, folded, lines, jfr, speedscope)", format));
  }
  std::string_view data = req.body;
  if (inflated.empty()) {
    auto d = Inflate(req.body, limits, &inflated);
    if (!d.ok()) return d.status();
    data = *d;
  } else {
    data = inflated;
  }
  return TextItems(q, text, data, limits);
}

HttpResponse TooLarge(std::string message) {
  return HttpResponse::Text(413, std::move(message) + "\n");
}

}  // namespace

HttpResponse HandlePyroscopeIngest(const ServerParts& parts, const HttpRequest& req) {
  auto refuse = [&](const std::string& tenant, std::string_view reason, absl::Status s) {
    (void)parts.ingest->Reject(tenant, "ingest", reason, s);
    // Decoders answer ResourceExhausted for their size caps: the body is too large, which
    // retrying cannot fix (429 would invite it).
    if (absl::IsResourceExhausted(s)) return TooLarge(std::string(s.message()));
    return HttpResponse::Error(s);
  };
  auto tenant = TenantOf(parts, req);
  // The tenant is not known: counted under "", so bad ids cannot grow the metrics.
  if (!tenant.ok()) return refuse("", "unauthorized", tenant.status());
  const TenantLimits& limits = parts.limits->For(*tenant);
  uint64_t sent = req.body.size();
  if (std::string_view cl = req.Header("content-length"); !cl.empty()) (void)ParseInt(cl, &sent);
  if (sent > limits.max_body_bytes) {
    return refuse(*tenant, "body_too_large",
                  absl::ResourceExhaustedError(
                      fmt::format("request body of {} bytes is above the limit of {} bytes", sent,
                                  limits.max_body_bytes)));
  }
  const int64_t now_ns = parts.env != nullptr
                             ? parts.env->NowNanos()
                             : std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  auto query = ParseQuery(req, now_ns);
  if (!query.ok()) return refuse(*tenant, "invalid_request", query.status());
  auto items = DecodeBody(*query, req, limits);
  if (!items.ok()) {
    return refuse(*tenant,
                  absl::IsResourceExhausted(items.status()) ? "body_too_large" : "invalid_profile",
                  items.status());
  }
  if (items->empty()) return HttpResponse::Text(200, "");
  auto result = parts.ingest->Ingest(*tenant, "ingest", std::move(*items), req.body.size());
  if (!result.ok()) return HttpResponse::Error(result.status());
  return HttpResponse::Text(200, "");
}

}  // namespace hearth::server
