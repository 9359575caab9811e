#include "base/yaml_config.h"

#include <fmt/ranges.h>

#include <algorithm>

#include "base/fmt.h"
#include "base/quantity.h"

namespace hearth::yaml {

std::string Scalar(const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) throw ConfigError{fmt::format("{}: expected a single value", key)};
  return n.as<std::string>();
}

uint64_t Bytes(const YAML::Node& n, const std::string& key) {
  auto v = ParseBytes(Scalar(n, key));
  if (!v.ok()) throw ConfigError{fmt::format("{}: {}", key, v.status().message())};
  return *v;
}

int64_t Duration(const YAML::Node& n, const std::string& key) {
  const std::string s = Scalar(n, key);
  if (s == "0") return 0;
  auto v = ParseDuration(s);
  if (!v.ok()) throw ConfigError{fmt::format("{}: {}", key, v.status().message())};
  if (*v < 0) throw ConfigError{fmt::format("{}: must not be negative", key)};
  return *v;
}

bool Bool(const YAML::Node& n, const std::string& key) {
  const std::string s = Scalar(n, key);
  if (s == "true") return true;
  if (s == "false") return false;
  throw ConfigError{fmt::format("{}: expected true or false, got \"{}\"", key, s)};
}

std::vector<std::string> StringList(const YAML::Node& n, const std::string& key) {
  if (!n.IsSequence()) throw ConfigError{fmt::format("{}: expected a list", key)};
  std::vector<std::string> out;
  for (size_t i = 0; i < n.size(); ++i) out.push_back(Scalar(n[i], fmt::format("{}[{}]", key, i)));
  return out;
}

void CheckKeys(const YAML::Node& n, const std::string& where,
               std::initializer_list<std::string_view> known) {
  // The root has no name: "config: unknown key ..." rather than "config: : unknown key".
  const std::string at = where.empty() ? "" : where + ": ";
  if (!n.IsMap()) throw ConfigError{fmt::format("{}expected a mapping", at)};
  for (const auto& kv : n) {
    const std::string k = kv.first.as<std::string>();
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      throw ConfigError{
          fmt::format("{}unknown key \"{}\" (known: {})", at, k, fmt::join(known, ", "))};
    }
  }
}

absl::Status ParseYamlConfig(std::string_view text, std::string_view section,
                             const std::function<void(const YAML::Node& root)>& read) {
  try {
    read(YAML::Load(std::string(text)));
  } catch (const ConfigError& e) {
    return absl::InvalidArgumentError(fmt::format("config: {}", e.message));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        fmt::format("config: {}{}{}", section, section.empty() ? "" : ": ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace hearth::yaml
