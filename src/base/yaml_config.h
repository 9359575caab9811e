#pragma once

// Reading YAML config files (yaml-cpp) with errors that name the key: "storage.retention.raw:
// bad duration \"5x\": unknown unit \"x\"". Parsers throw ConfigError from these helpers and
// catch it (and yaml-cpp's own exceptions) at their boundary with ParseYamlConfig, so no
// exception crosses an API. A separate library (hearth::base_yaml): only config readers link
// yaml-cpp.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace hearth::yaml {

struct ConfigError {
  std::string message;
};

// A scalar's text; anything else is an error naming `key`.
std::string Scalar(const YAML::Node& n, const std::string& key);
// "256MiB" (base/quantity.h).
uint64_t Bytes(const YAML::Node& n, const std::string& key);
// "15s", "90d", or 0; never negative.
int64_t Duration(const YAML::Node& n, const std::string& key);
bool Bool(const YAML::Node& n, const std::string& key);
// A list of scalars.
std::vector<std::string> StringList(const YAML::Node& n, const std::string& key);
// `n` must be a mapping whose keys are all in `known`; the error lists them.
void CheckKeys(const YAML::Node& n, const std::string& where,
               std::initializer_list<std::string_view> known);

// Loads `text` and runs `read` on its root, turning a ConfigError into InvalidArgument
// "config: <message>" and a yaml-cpp exception into "config: <section>: <what>" (`section`
// names a part of a bigger file that was handed over as its own text).
absl::Status ParseYamlConfig(std::string_view text, std::string_view section,
                             const std::function<void(const YAML::Node& root)>& read);

}  // namespace hearth::yaml
