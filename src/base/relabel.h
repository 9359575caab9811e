#pragma once

// Prometheus relabeling of a target's labels (relabel_configs), same semantics:
//
//   value  = join(source_labels' values, separator)        separator default ";"
//   regex  = fully anchored RE2, default "(.*)"
//   replace   if regex matches value: target_label (expanded) = replacement (expanded,
//             default "$1"); an empty result deletes the label, an invalid name does nothing
//   keep/drop keep only / drop targets whose value matches
//   labelmap  every label whose *name* matches: copy its value to the name replacement gives
//   labeldrop / labelkeep  remove labels whose name matches / does not match
//   lowercase / uppercase  target_label = value in lower / upper case
//   hashmod   target_label = (last 8 bytes of MD5(value), big endian) % modulus: shards
//             targets across scrapers, same numbers as Prometheus
//   keepequal / dropequal  keep only / drop targets whose value equals target_label's
//
// Expansion follows Go's regexp.Expand: $1, ${1}, $name, ${name}, $$ for '$'; a group that
// does not exist expands to "".

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "base/yaml_config.h"

namespace re2 {
class RE2;
}

namespace hearth {

enum class RelabelAction {
  kReplace,
  kKeep,
  kDrop,
  kLabelMap,
  kLabelDrop,
  kLabelKeep,
  kLowercase,
  kUppercase,
  kHashMod,
  kKeepEqual,
  kDropEqual
};

struct RelabelRule {
  std::vector<std::string> source_labels;
  std::string separator = ";";
  std::string regex = "(.*)";
  std::string target_label;
  std::string replacement = "$1";
  RelabelAction action = RelabelAction::kReplace;
  uint64_t modulus = 0;  // hashmod
  std::shared_ptr<const re2::RE2> compiled;  // set by Compile

  // Checks the fields for the action and compiles the regex; errors say which field.
  absl::Status Compile();
};

absl::StatusOr<RelabelAction> ParseRelabelAction(std::string_view name);

// Applies the rules in order. Returns false when a keep/drop rule dropped the target (the
// labels are then unspecified). Labels are kept sorted by name, one value per name.
bool Relabel(const std::vector<RelabelRule>& rules,
             std::vector<std::pair<std::string, std::string>>* labels);

// Go regexp.Expand of `templ` with the groups of the last match.
std::string ExpandTemplate(const re2::RE2& re, std::string_view templ,
                           const std::vector<std::string_view>& groups);

// [a-zA-Z_][a-zA-Z0-9_]* (Prometheus label names).
bool IsValidLabelName(std::string_view name);

// One relabel_config mapping, compiled; throws yaml::ConfigError naming `where` (for readers
// of bigger config files, inside yaml::ParseYamlConfig).
RelabelRule ReadRelabelConfig(const YAML::Node& n, const std::string& where);
// A sequence of them (null: none), `where` naming the list ("scrape_configs[0].relabel_configs").
std::vector<RelabelRule> ReadRelabelConfigs(const YAML::Node& n, const std::string& where);
// A YAML sequence of relabel_config mappings (e.g. a `relabel_configs:` section handed over
// as its own text); "" or null is no rules.
absl::StatusOr<std::vector<RelabelRule>> ParseRelabelConfigs(std::string_view yaml_sequence,
                                                             std::string_view section);

}  // namespace hearth
