#pragma once

// A query-API test bed: a real storage::Engine in a temp dir filled with fixture profiles
// through Backend::Append, the query routes and RPC methods registered on it, and helpers to
// call them without sockets, parse JSON, and run `go tool pprof` on what they return.
//
//   tenant "t1":    process_cpu{service_name="cpuburn"}   go/http/cpuburn.profile.10s
//                   process_cpu{service_name="cpuburn3"}  go/http/cpuburn.profile.3s
//                   memory{service_name="leaky"}          go/http/leaky.heap
//                   process_cpu{service_name="spans"}     synthetic, with span_id labels
//   tenant "other": process_cpu{service_name="intruder"}  go/http/cpuburn.profile.3s

#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/env.h"
#include "profile/profile.h"
#include "server/query_common.h"
#include "server/tenancy.h"
#include "storage/engine.h"
#include "storage/test_util.h"

namespace hearth::server::testing {

inline constexpr int64_t kSec = 1000000000;
inline constexpr int64_t kMsNs = 1000000;

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};
// Runs a shell command, capturing stdout and stderr.
CommandResult RunCommand(const std::string& cmd);
// The rows of a `go tool pprof -top` output (the lines after the column header).
std::vector<std::string> TopRows(const std::string& top_output);
// `go tool pprof -top` of pprof bytes (gzipped or not), through a temp file.
CommandResult GoPprofTop(const std::string& pprof_bytes);
// A reference output under testdata/fixtures/go/pprof_text.
std::string Reference(const std::string& name);

class QueryApiTest : public ::testing::Test {
 protected:
  QueryApiTest();
  ~QueryApiTest() override;

  // An HTTP route, called directly. params are the query string.
  HttpResponse Http(const std::string& method, const std::string& path,
                    const std::multimap<std::string, std::string>& params,
                    const std::multimap<std::string, std::string>& headers = {},
                    const std::string& body = "");
  HttpResponse Get(const std::string& path, const std::multimap<std::string, std::string>& params,
                   const std::string& tenant = "t1") {
    return Http("GET", path, params, {{"x-scope-orgid", tenant}});
  }
  // An RPC method with a protojson body, as Connect JSON sends it.
  absl::StatusOr<std::string> RpcJson(const std::string& path, const std::string& json,
                                      const std::string& tenant = "t1");
  // An RPC method with a protobuf body.
  absl::StatusOr<std::string> RpcProto(const std::string& path, const std::string& body,
                                       const std::string& tenant = "t1");
  template <typename Resp, typename Req>
  absl::StatusOr<Resp> Call(const std::string& path, const Req& req,
                            const std::string& tenant = "t1") {
    auto out = RpcProto(path, req.SerializeAsString(), tenant);
    if (!out.ok()) return out.status();
    Resp resp;
    if (!resp.ParseFromString(*out)) return absl::InternalError("response does not parse");
    return resp;
  }

  // Parses JSON into the fixture's parser (valid until the next Parse).
  simdjson::dom::element Parse(const std::string& json);

  // The fixtures as loaded, and their times.
  const profile::Profile& cpu10() const { return cpu10_; }
  const profile::Profile& heap() const { return heap_; }
  int64_t t0_ns() const { return t0_ns_; }  // earliest fixture time
  std::string From() const;                 // t0 - 1 min, unix seconds
  std::string Until() const;                // t0 + 1 min, unix seconds
  int64_t FromMs() const { return (t0_ns_ - 60 * kSec) / kMsNs; }
  int64_t UntilMs() const { return (t0_ns_ + 60 * kSec) / kMsNs; }

  std::unique_ptr<Env> posix_;
  std::unique_ptr<storage::testing::ClockEnv> env_;
  storage::testing::TempDir dir_;
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<Tenancy> tenancy_;
  MetricsRegistry metrics_;
  RpcRegistry rpc_;
  ServerParts parts_;
  QueryEnv qenv_;
  std::map<std::string, HttpHandler> routes_;  // "GET /path"
  simdjson::dom::parser parser_;
  profile::Profile cpu10_, cpu3_, heap_, spans_;
  int64_t t0_ns_ = 0;
};

}  // namespace hearth::server::testing
