#pragma once
// Prometheus-style relabeling (`relabel_configs`) of the labels the agent attaches to a
// process's profiles. Semantics as Prometheus documents them:
//
//   value  = source_labels' values joined by `separator` (";")
//   regex  is fully anchored (RE2), default "(.*)"
//   replace      regex matches value -> target_label := replacement with $1 / ${1} / ${name}
//                expanded (an empty result removes target_label)
//   keep / drop  the whole label set is kept only if / dropped if the regex matches value
//   labelmap     every label whose name matches is copied to the expanded replacement name
//   labeldrop / labelkeep   labels whose names match are removed / only they are kept
//   lowercase / uppercase   target_label := value lower- / upper-cased
//
// hashmod is not supported (an error at parse time). Labels whose names start with "__"
// (the __meta_* inputs) are removed after relabeling, except __name__.
//
// NOTE: src/scrape has its own relabeling written concurrently; the two should be merged
// into one component both can use.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace re2 {
class RE2;
}

namespace hearth::agent {

using LabelSet = std::vector<std::pair<std::string, std::string>>;

enum class RelabelAction { kReplace, kKeep, kDrop, kLabelMap, kLabelDrop, kLabelKeep, kLowercase, kUppercase };

struct RelabelRule {
  std::vector<std::string> source_labels;
  std::string separator = ";";
  std::string regex = "(.*)";
  std::string target_label;
  std::string replacement = "$1";
  RelabelAction action = RelabelAction::kReplace;
};

class Relabeler {
 public:
  // Checks the rules (regexes compile, actions have the fields they need).
  static absl::StatusOr<Relabeler> Create(std::vector<RelabelRule> rules);
  // Parses a YAML sequence of Prometheus relabel_config maps.
  static absl::StatusOr<Relabeler> FromYaml(std::string_view yaml_sequence);

  Relabeler(Relabeler&&) noexcept;
  Relabeler& operator=(Relabeler&&) noexcept;
  ~Relabeler();

  // The relabeled set (sorted by name, "__" labels removed), or nullopt when a keep/drop
  // rule dropped it.
  std::optional<LabelSet> Apply(LabelSet labels) const;
  size_t size() const { return rules_.size(); }

 private:
  Relabeler() = default;
  std::vector<RelabelRule> rules_;
  std::vector<std::unique_ptr<re2::RE2>> regexes_;
};

// Parses one action name ("replace", "labelmap", ...).
absl::StatusOr<RelabelAction> ParseRelabelAction(std::string_view name);

}  // namespace hearth::agent
