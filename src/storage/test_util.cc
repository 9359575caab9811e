#include "storage/test_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <random>

#include "base/file.h"
#include "profile/pprof_codec.h"

namespace hearth::storage::testing {

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("hearth_storage_" + std::to_string(getpid()) + "_" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string FixturePath(const std::string& relative) {
  return std::string(HEARTH_SOURCE_DIR) + "/testdata/fixtures/" + relative;
}

profile::Profile LoadFixture(const std::string& relative) {
  auto data = ReadFile(FixturePath(relative));
  EXPECT_TRUE(data.ok()) << data.status();
  auto p = profile::DecodePprof(*data);
  EXPECT_TRUE(p.ok()) << p.status();
  return std::move(*p);
}

}  // namespace hearth::storage::testing
