#include "server/query_test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "base/file.h"
#include "base/fmt.h"
#include "base/strings.h"
#include "profile/builder.h"

namespace hearth::server::testing {
namespace {

namespace fs = std::filesystem;

std::string TempPath(std::string_view what) {
  static int counter = 0;
  return fs::temp_directory_path() /
         fmt::format("hearth_query_{}_{}_{}", getpid(), ++counter, what);
}

// A small CPU profile whose samples carry span ids, for span-filtered merges.
profile::Profile SpanProfile(int64_t time_ns) {
  profile::ProfileBuilder b;
  profile::Profile& p = b.profile();
  p.sample_types.push_back({b.Str("cpu"), b.Str("nanoseconds")});
  p.period_type = {b.Str("cpu"), b.Str("nanoseconds")};
  p.period = 10000000;
  const uint32_t main = b.AddFrame("main.main");
  const uint32_t a = b.AddFrame("main.handleA");
  const uint32_t bb = b.AddFrame("main.handleB");
  const profile::Label span_a{b.Str("span_id"), b.Str("00000000000000aa")};
  const profile::Label span_b{b.Str("span_id"), b.Str("00000000000000bb")};
  const int64_t va = 30000000, vb = 70000000, vnone = 5000000;
  b.AddSample(std::vector<uint32_t>{a, main}, {&va, 1}, {&span_a, 1});
  b.AddSample(std::vector<uint32_t>{bb, main}, {&vb, 1}, {&span_b, 1});
  b.AddSample(std::vector<uint32_t>{main}, {&vnone, 1});
  profile::Profile out = b.Finish();
  out.time_nanos = time_ns;
  out.duration_nanos = 10 * kSec;
  return out;
}

storage::Labels LabelsOf(std::string name, std::string service) {
  storage::Labels l = {{"__name__", std::move(name)}, {"service_name", std::move(service)}};
  EXPECT_TRUE(storage::NormalizeLabels(l).ok());
  return l;
}

}  // namespace

CommandResult RunCommand(const std::string& cmd) {
  const std::string err_file = TempPath("stderr");
  CommandResult r;
  FILE* pipe = popen((cmd + " 2>" + err_file).c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto err = ReadFile(err_file);
  if (err.ok()) r.err = *err;
  fs::remove(err_file);
  return r;
}

std::vector<std::string> TopRows(const std::string& top_output) {
  std::vector<std::string> rows;
  bool in_rows = false;
  for (std::string_view line : Split(top_output, '\n')) {
    if (in_rows && !line.empty()) rows.emplace_back(line);
    if (line.find("flat  flat%   sum%") != std::string_view::npos) in_rows = true;
  }
  return rows;
}

CommandResult GoPprofTop(const std::string& pprof_bytes) {
  const std::string path = TempPath("profile.pb.gz");
  EXPECT_TRUE(WriteFileAtomic(path, pprof_bytes).ok());
  CommandResult r = RunCommand("go tool pprof -top " + path);
  fs::remove(path);
  return r;
}

std::string Reference(const std::string& name) {
  auto data = ReadFile(storage::testing::FixturePath("go/pprof_text/" + name));
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? *data : "";
}

QueryApiTest::QueryApiTest() : posix_(NewPosixEnv()) {
  cpu10_ = storage::testing::LoadFixture("go/http/cpuburn.profile.10s.pb.gz");
  cpu3_ = storage::testing::LoadFixture("go/http/cpuburn.profile.3s.pb.gz");
  heap_ = storage::testing::LoadFixture("go/http/leaky.heap.pb.gz");
  t0_ns_ = std::min({cpu10_.time_nanos, cpu3_.time_nanos, heap_.time_nanos});
  spans_ = SpanProfile(t0_ns_);
  env_ = std::make_unique<storage::testing::ClockEnv>(posix_.get(), t0_ns_ + 30 * 60 * kSec);

  storage::EngineOptions o;
  o.dir = dir_.path();
  o.env = env_.get();
  o.background = false;
  auto engine = storage::Engine::Open(o);
  EXPECT_TRUE(engine.ok()) << engine.status();
  engine_ = std::move(*engine);
  std::vector<storage::AppendRequest> t1 = {
      {LabelsOf("process_cpu", "cpuburn"), &cpu10_, 0, {}},
      {LabelsOf("process_cpu", "cpuburn3"), &cpu3_, 0, {}},
      {LabelsOf("memory", "leaky"), &heap_, 0, {}},
      {LabelsOf("process_cpu", "spans"), &spans_, 0, {}},
  };
  EXPECT_TRUE(engine_->Append("t1", t1).ok());
  std::vector<storage::AppendRequest> other = {
      {LabelsOf("process_cpu", "intruder"), &cpu3_, 0, {}}};
  EXPECT_TRUE(engine_->Append("other", other).ok());

  tenancy_ = std::make_unique<Tenancy>(TenancyOptions{});
  parts_.env = env_.get();
  parts_.tenancy = tenancy_.get();
  parts_.metrics = &metrics_;
  parts_.backend = engine_.get();
  parts_.rpc = &rpc_;
  qenv_ = MakeQueryEnv(parts_);
  for (QueryRoute& r : QueryRoutes(qenv_)) routes_[r.method + " " + r.path] = std::move(r.handler);
  RegisterQueryRpcs(qenv_, rpc_);
}

QueryApiTest::~QueryApiTest() {
  if (engine_ != nullptr) {
    EXPECT_TRUE(engine_->Close().ok());
  }
}

HttpResponse QueryApiTest::Http(const std::string& method, const std::string& path,
                                const std::multimap<std::string, std::string>& params,
                                const std::multimap<std::string, std::string>& headers,
                                const std::string& body) {
  auto it = routes_.find(method + " " + path);
  if (it == routes_.end()) return HttpResponse::Text(404, "no route " + method + " " + path);
  HttpRequest req;
  req.method = method;
  req.path = path;
  req.params = params;
  req.headers = headers;
  req.body = body;
  return it->second(req);
}

absl::StatusOr<std::string> QueryApiTest::RpcJson(const std::string& path, const std::string& json,
                                                  const std::string& tenant) {
  const RpcRegistry::Method* m = rpc_.Find(path);
  if (m == nullptr) return absl::NotFoundError("no method " + path);
  return m->json(CallContext{tenant, "test", "connect+json"}, json);
}

absl::StatusOr<std::string> QueryApiTest::RpcProto(const std::string& path, const std::string& body,
                                                   const std::string& tenant) {
  const RpcRegistry::Method* m = rpc_.Find(path);
  if (m == nullptr) return absl::NotFoundError("no method " + path);
  return m->proto(CallContext{tenant, "test", "connect+proto"}, body);
}

simdjson::dom::element QueryApiTest::Parse(const std::string& json) {
  simdjson::dom::element e;
  auto err = parser_.parse(json).get(e);
  EXPECT_EQ(err, simdjson::SUCCESS) << json.substr(0, 500);
  return e;
}

std::string QueryApiTest::From() const { return std::to_string(t0_ns_ / kSec - 60); }
std::string QueryApiTest::Until() const { return std::to_string(t0_ns_ / kSec + 60); }

}  // namespace hearth::server::testing
