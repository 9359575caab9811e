#include "base/yaml_config.h"

#include <gtest/gtest.h>

#include <string>

namespace hearth::yaml {
namespace {

struct Settings {
  std::string name;
  uint64_t size = 0;
  int64_t every_ns = 0;
  bool on = false;
};

absl::Status Read(std::string_view text, Settings* s) {
  return ParseYamlConfig(text, "part", [&](const YAML::Node& root) {
    CheckKeys(root, "", {"name", "size", "every", "on"});
    if (root["name"]) s->name = Scalar(root["name"], "name");
    if (root["size"]) s->size = Bytes(root["size"], "size");
    if (root["every"]) s->every_ns = Duration(root["every"], "every");
    if (root["on"]) s->on = Bool(root["on"], "on");
  });
}

TEST(YamlConfigTest, ReadsValues) {
  Settings s;
  ASSERT_TRUE(Read("name: api\nsize: 2MiB\nevery: 15s\non: true\n", &s).ok());
  EXPECT_EQ(s.name, "api");
  EXPECT_EQ(s.size, 2u << 20);
  EXPECT_EQ(s.every_ns, 15'000'000'000);
  EXPECT_TRUE(s.on);
}

TEST(YamlConfigTest, ErrorsNameTheKey) {
  Settings s;
  EXPECT_EQ(Read("colour: red\n", &s).message(),
            "config: unknown key \"colour\" (known: name, size, every, on)");
  EXPECT_EQ(Read("name: [a, b]\n", &s).message(), "config: name: expected a single value");
  EXPECT_EQ(Read("size: lots\n", &s).message(),
            "config: size: \"lots\" is not a size like 64MiB");
  EXPECT_EQ(Read("every: -5s\n", &s).message(), "config: every: must not be negative");
  EXPECT_EQ(Read("on: yes please\n", &s).message(),
            "config: on: expected true or false, got \"yes please\"");
  EXPECT_EQ(Read("- a\n- b\n", &s).message(), "config: expected a mapping");
  // yaml-cpp's own errors carry the section and the position.
  const std::string bad(Read("name: [unclosed\n", &s).message());
  EXPECT_EQ(bad.rfind("config: part: yaml-cpp: error at line ", 0), 0u) << bad;
}

}  // namespace
}  // namespace hearth::yaml
