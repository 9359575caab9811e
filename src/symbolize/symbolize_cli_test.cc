// End-to-end: the real `hearth symbolize` on the gperftools fixture, then `hearth top` on
// its output. (Kept here rather than in cli/ because it exercises this component.)

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "base/file.h"
#include "profile/pprof_codec.h"

namespace hearth::symbolize {
namespace {

const std::string kHearth = std::string(HEARTH_BINARY_DIR) + "/hearth";
const std::string kGperf = std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/gperftools/";

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

Result RunHearth(const std::string& args) {
  const std::string err_file =
      std::filesystem::temp_directory_path() / ("hearth_symbolize_cli_" + std::to_string(getpid()));
  Result r;
  FILE* pipe = popen((kHearth + " " + args + " 2>" + err_file).c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 65536> buf;
  for (size_t n; (n = fread(buf.data(), 1, buf.size(), pipe)) > 0;) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (auto err = ReadFile(err_file); err.ok()) r.err = *err;
  std::filesystem::remove(err_file);
  return r;
}

TEST(SymbolizeCliTest, SymbolizesGperftoolsProfile) {
  const std::string out = std::filesystem::temp_directory_path() /
                          ("hearth_symbolized_" + std::to_string(getpid()) + ".pb.gz");
  Result r =
      RunHearth("symbolize " + kGperf + "go_pprof/gperf_workload.cpu.converted.pb.gz --binary " +
                kGperf + "bin/gperf_workload --no-local-paths -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Libraries without files are reported, not fatal.
  EXPECT_NE(r.err.find("libm.so.6: 13 of 13 addresses unnamed"), std::string::npos) << r.err;
  auto data = ReadFile(out);
  ASSERT_TRUE(data.ok()) << data.status();
  auto p = profile::DecodePprof(*data);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->mappings[0].has_functions);

  // google-pprof --text: "116 47.7% 47.7% 116 47.7% fib", "89 36.6% ... checksum".
  Result top = RunHearth("top " + out);
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_NE(top.out.find("     1.16s 47.74% 47.74%      1.16s 47.74%  fib\n"), std::string::npos)
      << top.out;
  EXPECT_NE(top.out.find("     0.89s 36.63% 84.36%      0.89s 36.63%  checksum\n"),
            std::string::npos)
      << top.out;
  EXPECT_NE(top.out.find("         0     0% "), std::string::npos);
  EXPECT_NE(top.out.find("1.50s 61.73%  handleCheckout\n"), std::string::npos) << top.out;
  std::filesystem::remove(out);
}

TEST(SymbolizeCliTest, Errors) {
  Result r = RunHearth("symbolize /nonexistent/profile.pb.gz");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/nonexistent/profile.pb.gz"), std::string::npos) << r.err;
  r = RunHearth("symbolize " + kGperf +
                "go_pprof/gperf_workload.cpu.converted.pb.gz --demangle=odd");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--demangle"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hearth::symbolize
