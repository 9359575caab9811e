#include "export/processor.h"

#include <algorithm>
#include <cctype>

#include "base/fmt.h"

namespace hearth::exporter {
namespace {

bool IsLabelName(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  });
}

}  // namespace

absl::StatusOr<ResourceAction::Kind> ParseResourceActionKind(std::string_view name) {
  if (name == "insert") return ResourceAction::Kind::kInsert;
  if (name == "update") return ResourceAction::Kind::kUpdate;
  if (name == "upsert") return ResourceAction::Kind::kUpsert;
  if (name == "delete") return ResourceAction::Kind::kDelete;
  return absl::InvalidArgumentError(
      fmt::format("unknown action \"{}\" (use insert, update, upsert or delete)", name));
}

absl::StatusOr<ResourceProcessor> ResourceProcessor::Create(std::vector<ResourceAction> actions) {
  for (size_t i = 0; i < actions.size(); ++i) {
    const ResourceAction& a = actions[i];
    if (!IsLabelName(a.key)) {
      return absl::InvalidArgumentError(fmt::format(
          "action {}: key \"{}\" is not a label name ([a-zA-Z_][a-zA-Z0-9_.]*)", i, a.key));
    }
    if (a.kind != ResourceAction::Kind::kDelete && a.value.empty()) {
      return absl::InvalidArgumentError(fmt::format("action {} on \"{}\" needs a value", i, a.key));
    }
    if (a.kind == ResourceAction::Kind::kDelete && !a.value.empty()) {
      return absl::InvalidArgumentError(
          fmt::format("action {}: delete of \"{}\" takes no value", i, a.key));
    }
  }
  return ResourceProcessor(std::move(actions));
}

void ResourceProcessor::Apply(Labels& labels) const {
  for (const ResourceAction& a : actions_) {
    auto it =
        std::find_if(labels.begin(), labels.end(), [&](const auto& l) { return l.first == a.key; });
    const bool present = it != labels.end();
    switch (a.kind) {
      case ResourceAction::Kind::kInsert:
        if (!present) labels.emplace_back(a.key, a.value);
        break;
      case ResourceAction::Kind::kUpdate:
        if (present) it->second = a.value;
        break;
      case ResourceAction::Kind::kUpsert:
        if (present) {
          it->second = a.value;
        } else {
          labels.emplace_back(a.key, a.value);
        }
        break;
      case ResourceAction::Kind::kDelete:
        // Labels may repeat a name here (they are not normalized): remove every copy.
        labels.erase(std::remove_if(labels.begin(), labels.end(),
                                    [&](const auto& l) { return l.first == a.key; }),
                     labels.end());
        break;
    }
  }
}

}  // namespace hearth::exporter
