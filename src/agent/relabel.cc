#include "agent/relabel.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "base/fmt.h"
#include "re2/re2.h"

namespace hearth::agent {
namespace {

std::string Get(const std::map<std::string, std::string, std::less<>>& m, std::string_view k) {
  auto it = m.find(k);
  return it == m.end() ? std::string() : it->second;
}

// Expands $1, ${1}, ${name} and $$ in `tmpl` from the groups of the last match.
std::string Expand(std::string_view tmpl, const re2::RE2& re, const std::vector<re2::StringPiece>& groups) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    if (c != '$' || i + 1 >= tmpl.size()) {
      out += c;
      continue;
    }
    if (tmpl[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    std::string name;
    size_t j = i + 1;
    if (tmpl[j] == '{') {
      size_t end = tmpl.find('}', j);
      if (end == std::string_view::npos) {
        out += c;
        continue;
      }
      name = std::string(tmpl.substr(j + 1, end - j - 1));
      j = end + 1;
    } else {
      while (j < tmpl.size() && (std::isalnum(static_cast<unsigned char>(tmpl[j])) || tmpl[j] == '_')) {
        name += tmpl[j++];
      }
      if (name.empty()) {
        out += c;
        continue;
      }
    }
    int index = -1;
    if (std::all_of(name.begin(), name.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); })) {
      index = std::stoi(name.substr(0, 6));
    } else {
      auto named = re.NamedCapturingGroups();
      if (auto it = named.find(name); it != named.end()) index = it->second;
    }
    if (index >= 0 && static_cast<size_t>(index) < groups.size()) {
      out.append(groups[index].data(), groups[index].size());
    }
    i = j - 1;
  }
  return out;
}

bool Match(const re2::RE2& re, std::string_view value, std::vector<re2::StringPiece>* groups) {
  groups->assign(1 + re.NumberOfCapturingGroups(), re2::StringPiece());
  return re.Match(re2::StringPiece(value.data(), value.size()), 0, value.size(), re2::RE2::ANCHOR_BOTH,
                  groups->data(), static_cast<int>(groups->size()));
}

}  // namespace

absl::StatusOr<RelabelAction> ParseRelabelAction(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (n == "replace") return RelabelAction::kReplace;
  if (n == "keep") return RelabelAction::kKeep;
  if (n == "drop") return RelabelAction::kDrop;
  if (n == "labelmap") return RelabelAction::kLabelMap;
  if (n == "labeldrop") return RelabelAction::kLabelDrop;
  if (n == "labelkeep") return RelabelAction::kLabelKeep;
  if (n == "lowercase") return RelabelAction::kLowercase;
  if (n == "uppercase") return RelabelAction::kUppercase;
  return absl::InvalidArgumentError(fmt::format(
      "relabel_configs: unknown action \"{}\" (supported: replace, keep, drop, labelmap, labeldrop, "
      "labelkeep, lowercase, uppercase)",
      name));
}

Relabeler::Relabeler(Relabeler&&) noexcept = default;
Relabeler& Relabeler::operator=(Relabeler&&) noexcept = default;
Relabeler::~Relabeler() = default;

absl::StatusOr<Relabeler> Relabeler::Create(std::vector<RelabelRule> rules) {
  Relabeler r;
  for (size_t i = 0; i < rules.size(); ++i) {
    const RelabelRule& rule = rules[i];
    auto re = std::make_unique<re2::RE2>(rule.regex, re2::RE2::Quiet);
    if (!re->ok()) {
      return absl::InvalidArgumentError(
          fmt::format("relabel_configs[{}]: bad regex \"{}\": {}", i, rule.regex, re->error()));
    }
    bool needs_target = rule.action == RelabelAction::kReplace ||
                        rule.action == RelabelAction::kLowercase ||
                        rule.action == RelabelAction::kUppercase;
    if (needs_target && rule.target_label.empty()) {
      return absl::InvalidArgumentError(
          fmt::format("relabel_configs[{}]: this action needs target_label", i));
    }
    r.regexes_.push_back(std::move(re));
  }
  r.rules_ = std::move(rules);
  return r;
}

absl::StatusOr<Relabeler> Relabeler::FromYaml(std::string_view yaml_sequence) {
  std::vector<RelabelRule> rules;
  try {
    YAML::Node root = YAML::Load(std::string(yaml_sequence));
    if (!root || root.IsNull()) return Create({});
    if (!root.IsSequence()) return absl::InvalidArgumentError("relabel_configs must be a list");
    for (size_t i = 0; i < root.size(); ++i) {
      const YAML::Node n = root[i];
      if (!n.IsMap()) return absl::InvalidArgumentError(fmt::format("relabel_configs[{}] must be a map", i));
      RelabelRule rule;
      for (auto it = n.begin(); it != n.end(); ++it) {
        const std::string key = it->first.as<std::string>();
        const YAML::Node value = it->second;
        if (key == "source_labels") {
          if (!value.IsSequence()) {
            return absl::InvalidArgumentError(fmt::format("relabel_configs[{}]: source_labels must be a list", i));
          }
          for (size_t j = 0; j < value.size(); ++j) rule.source_labels.push_back(value[j].as<std::string>());
        } else if (key == "separator") {
          rule.separator = value.as<std::string>();
        } else if (key == "regex") {
          rule.regex = value.as<std::string>();
        } else if (key == "target_label") {
          rule.target_label = value.as<std::string>();
        } else if (key == "replacement") {
          rule.replacement = value.as<std::string>();
        } else if (key == "action") {
          auto a = ParseRelabelAction(value.as<std::string>());
          if (!a.ok()) return a.status();
          rule.action = *a;
        } else {
          return absl::InvalidArgumentError(fmt::format("relabel_configs[{}]: unknown key \"{}\"", i, key));
        }
      }
      rules.push_back(std::move(rule));
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(fmt::format("relabel_configs: {}", e.what()));
  }
  return Create(std::move(rules));
}

std::optional<LabelSet> Relabeler::Apply(LabelSet labels) const {
  std::map<std::string, std::string, std::less<>> m;
  for (auto& [k, v] : labels) m[k] = std::move(v);
  std::vector<re2::StringPiece> groups;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const RelabelRule& rule = rules_[i];
    const re2::RE2& re = *regexes_[i];
    std::string value;
    for (size_t j = 0; j < rule.source_labels.size(); ++j) {
      if (j > 0) value += rule.separator;
      value += Get(m, rule.source_labels[j]);
    }
    switch (rule.action) {
      case RelabelAction::kReplace: {
        if (!Match(re, value, &groups)) break;
        std::string target = Expand(rule.target_label, re, groups);
        std::string result = Expand(rule.replacement, re, groups);
        if (target.empty()) break;
        if (result.empty()) {
          m.erase(target);
        } else {
          m[target] = result;
        }
        break;
      }
      case RelabelAction::kKeep:
        if (!Match(re, value, &groups)) return std::nullopt;
        break;
      case RelabelAction::kDrop:
        if (Match(re, value, &groups)) return std::nullopt;
        break;
      case RelabelAction::kLabelMap: {
        std::map<std::string, std::string, std::less<>> add;
        for (const auto& [k, v] : m) {
          if (Match(re, k, &groups)) add[Expand(rule.replacement, re, groups)] = v;
        }
        for (auto& [k, v] : add) {
          if (!k.empty()) m[k] = v;
        }
        break;
      }
      case RelabelAction::kLabelDrop:
      case RelabelAction::kLabelKeep: {
        bool drop_matching = rule.action == RelabelAction::kLabelDrop;
        for (auto it = m.begin(); it != m.end();) {
          bool matches = Match(re, it->first, &groups);
          it = matches == drop_matching ? m.erase(it) : std::next(it);
        }
        break;
      }
      case RelabelAction::kLowercase:
      case RelabelAction::kUppercase: {
        bool lower = rule.action == RelabelAction::kLowercase;
        for (char& c : value) {
          c = static_cast<char>(lower ? std::tolower(static_cast<unsigned char>(c))
                                      : std::toupper(static_cast<unsigned char>(c)));
        }
        m[rule.target_label] = value;
        break;
      }
    }
  }
  LabelSet out;
  for (auto& [k, v] : m) {
    if (k.size() >= 2 && k[0] == '_' && k[1] == '_' && k != "__name__") continue;
    if (v.empty()) continue;
    out.emplace_back(k, std::move(v));
  }
  return out;
}

}  // namespace hearth::agent
