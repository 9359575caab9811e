#include "base/relabel.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "base/fmt.h"
#include "base/md5.h"
#include "base/strings.h"

namespace hearth {
namespace {

using LabelVec = std::vector<std::pair<std::string, std::string>>;

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string_view Get(const LabelVec& l, std::string_view name) {
  for (const auto& [k, v] : l) {
    if (k == name) return v;
  }
  return {};
}

void Set(LabelVec* l, std::string_view name, std::string value) {
  for (auto& [k, v] : *l) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  l->emplace_back(std::string(name), std::move(value));
}

void Del(LabelVec* l, std::string_view name) {
  l->erase(std::remove_if(l->begin(), l->end(), [&](const auto& kv) { return kv.first == name; }),
           l->end());
}

// Full match of `text`; on success `groups` holds $0..$n.
bool Match(const re2::RE2& re, std::string_view text, std::vector<std::string_view>* groups) {
  const int n = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> sp(static_cast<size_t>(n));
  if (!re.Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), re2::RE2::ANCHOR_BOTH,
                sp.data(), n)) {
    return false;
  }
  groups->clear();
  for (const auto& p : sp)
    groups->emplace_back(p.data() == nullptr ? "" : std::string_view(p.data(), p.size()));
  return true;
}

}  // namespace

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), IsNameChar);
}

absl::StatusOr<RelabelAction> ParseRelabelAction(std::string_view name) {
  std::string n(name);
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n == "replace") return RelabelAction::kReplace;
  if (n == "keep") return RelabelAction::kKeep;
  if (n == "drop") return RelabelAction::kDrop;
  if (n == "labelmap") return RelabelAction::kLabelMap;
  if (n == "labeldrop") return RelabelAction::kLabelDrop;
  if (n == "labelkeep") return RelabelAction::kLabelKeep;
  if (n == "lowercase") return RelabelAction::kLowercase;
  if (n == "uppercase") return RelabelAction::kUppercase;
  if (n == "hashmod") return RelabelAction::kHashMod;
  if (n == "keepequal") return RelabelAction::kKeepEqual;
  if (n == "dropequal") return RelabelAction::kDropEqual;
  return absl::InvalidArgumentError(fmt::format(
      "unknown action \"{}\" (replace, keep, drop, labelmap, labeldrop, labelkeep, lowercase, "
      "uppercase, hashmod, keepequal, dropequal)",
      name));
}

absl::Status RelabelRule::Compile() {
  re2::RE2::Options o;
  o.set_log_errors(false);
  auto re = std::make_shared<re2::RE2>(regex, o);
  if (!re->ok()) {
    return absl::InvalidArgumentError(
        fmt::format("regex: bad regular expression \"{}\": {}", regex, re->error()));
  }
  compiled = std::move(re);
  // Actions whose target is a plain label name (replace's may hold $1-style references).
  const bool plain_target =
      action == RelabelAction::kLowercase || action == RelabelAction::kUppercase ||
      action == RelabelAction::kHashMod || action == RelabelAction::kKeepEqual ||
      action == RelabelAction::kDropEqual;
  if ((plain_target || action == RelabelAction::kReplace) && target_label.empty()) {
    return absl::InvalidArgumentError("target_label: required for this action");
  }
  if (plain_target && !IsValidLabelName(target_label)) {
    return absl::InvalidArgumentError(
        fmt::format("target_label: \"{}\" is not a valid label name", target_label));
  }
  if (action == RelabelAction::kHashMod && modulus == 0) {
    return absl::InvalidArgumentError("modulus: hashmod needs a modulus of at least 1");
  }
  if (action != RelabelAction::kHashMod && modulus != 0) {
    return absl::InvalidArgumentError("modulus: only hashmod takes a modulus");
  }
  if ((action == RelabelAction::kKeepEqual || action == RelabelAction::kDropEqual) &&
      (regex != "(.*)" || replacement != "$1" || separator != ";")) {
    return absl::InvalidArgumentError(
        "keepequal and dropequal take only source_labels and target_label");
  }
  if ((action == RelabelAction::kLabelDrop || action == RelabelAction::kLabelKeep) &&
      (!source_labels.empty() || !target_label.empty())) {
    return absl::InvalidArgumentError(
        "labeldrop and labelkeep take only a regex (no source_labels or target_label)");
  }
  return absl::OkStatus();
}

std::string ExpandTemplate(const re2::RE2& re, std::string_view templ,
                           const std::vector<std::string_view>& groups) {
  std::string out;
  for (size_t i = 0; i < templ.size(); ++i) {
    if (templ[i] != '$' || i + 1 == templ.size()) {
      out.push_back(templ[i]);
      continue;
    }
    if (templ[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    std::string_view name;
    size_t next;
    if (templ[i + 1] == '{') {
      size_t close = templ.find('}', i + 2);
      if (close == std::string_view::npos) {  // Go: not a valid reference, copied as is
        out.push_back('$');
        continue;
      }
      name = templ.substr(i + 2, close - i - 2);
      next = close;
      if (name.empty() || !std::all_of(name.begin(), name.end(), IsNameChar)) {
        out.push_back('$');
        continue;
      }
    } else {
      size_t e = i + 1;
      while (e < templ.size() && IsNameChar(templ[e])) ++e;
      if (e == i + 1) {
        out.push_back('$');
        continue;
      }
      name = templ.substr(i + 1, e - i - 1);
      next = e - 1;
    }
    i = next;
    int index = -1;
    if (!ParseInt(name, &index)) {
      const auto& named = re.NamedCapturingGroups();
      auto it = named.find(std::string(name));
      index = it == named.end() ? -1 : it->second;
    }
    if (index >= 0 && static_cast<size_t>(index) < groups.size())
      out += groups[static_cast<size_t>(index)];
  }
  return out;
}

bool Relabel(const std::vector<RelabelRule>& rules, LabelVec* labels) {
  std::vector<std::string_view> groups;
  for (const RelabelRule& r : rules) {
    const re2::RE2& re = *r.compiled;
    std::string value;
    for (size_t i = 0; i < r.source_labels.size(); ++i) {
      if (i > 0) value += r.separator;
      value += Get(*labels, r.source_labels[i]);
    }
    switch (r.action) {
      case RelabelAction::kKeep:
        if (!Match(re, value, &groups)) return false;
        break;
      case RelabelAction::kDrop:
        if (Match(re, value, &groups)) return false;
        break;
      case RelabelAction::kReplace: {
        if (!Match(re, value, &groups)) break;
        std::string target = ExpandTemplate(re, r.target_label, groups);
        if (!IsValidLabelName(target)) break;
        std::string res = ExpandTemplate(re, r.replacement, groups);
        if (res.empty()) {
          Del(labels, target);
        } else {
          Set(labels, target, std::move(res));
        }
        break;
      }
      case RelabelAction::kLowercase:
      case RelabelAction::kUppercase:
        for (char& c : value) {
          c = static_cast<char>(r.action == RelabelAction::kLowercase
                                    ? std::tolower(static_cast<unsigned char>(c))
                                    : std::toupper(static_cast<unsigned char>(c)));
        }
        Set(labels, r.target_label, std::move(value));
        break;
      case RelabelAction::kHashMod: {
        const std::array<uint8_t, 16> h = Md5(value);
        uint64_t low = 0;
        for (int i = 8; i < 16; ++i) low = low << 8 | h[i];
        Set(labels, r.target_label, std::to_string(low % r.modulus));
        break;
      }
      case RelabelAction::kKeepEqual:
        if (value != Get(*labels, r.target_label)) return false;
        break;
      case RelabelAction::kDropEqual:
        if (value == Get(*labels, r.target_label)) return false;
        break;
      case RelabelAction::kLabelMap: {
        LabelVec add;
        for (const auto& [k, v] : *labels) {
          if (Match(re, k, &groups)) add.emplace_back(ExpandTemplate(re, r.replacement, groups), v);
        }
        for (auto& [k, v] : add) {
          if (IsValidLabelName(k)) Set(labels, k, std::move(v));
        }
        break;
      }
      case RelabelAction::kLabelDrop:
      case RelabelAction::kLabelKeep: {
        const bool drop_matching = r.action == RelabelAction::kLabelDrop;
        labels->erase(std::remove_if(labels->begin(), labels->end(),
                                     [&](const auto& kv) {
                                       return Match(re, kv.first, &groups) == drop_matching;
                                     }),
                      labels->end());
        break;
      }
    }
  }
  std::sort(labels->begin(), labels->end());
  return true;
}

RelabelRule ReadRelabelConfig(const YAML::Node& n, const std::string& where) {
  using yaml::Scalar;
  yaml::CheckKeys(n, where,
                  {"source_labels", "separator", "regex", "target_label", "replacement", "action",
                   "modulus"});
  RelabelRule r;
  if (n["source_labels"]) {
    r.source_labels = yaml::StringList(n["source_labels"], where + ".source_labels");
  }
  if (n["separator"]) r.separator = Scalar(n["separator"], where + ".separator");
  if (n["regex"]) r.regex = Scalar(n["regex"], where + ".regex");
  if (n["target_label"]) r.target_label = Scalar(n["target_label"], where + ".target_label");
  if (n["replacement"]) r.replacement = Scalar(n["replacement"], where + ".replacement");
  if (n["modulus"]) {
    const std::string m = Scalar(n["modulus"], where + ".modulus");
    if (!ParseInt(m, &r.modulus)) {
      throw yaml::ConfigError{fmt::format("{}.modulus: \"{}\" is not a whole number", where, m)};
    }
  }
  if (n["action"]) {
    auto a = ParseRelabelAction(Scalar(n["action"], where + ".action"));
    if (!a.ok()) throw yaml::ConfigError{fmt::format("{}.action: {}", where, a.status().message())};
    r.action = *a;
  }
  if (auto s = r.Compile(); !s.ok()) {
    throw yaml::ConfigError{fmt::format("{}: {}", where, s.message())};
  }
  return r;
}

std::vector<RelabelRule> ReadRelabelConfigs(const YAML::Node& n, const std::string& where) {
  std::vector<RelabelRule> rules;
  if (!n || n.IsNull()) return rules;
  if (!n.IsSequence()) throw yaml::ConfigError{where + ": expected a list of rules"};
  for (size_t i = 0; i < n.size(); ++i) {
    rules.push_back(ReadRelabelConfig(n[i], fmt::format("{}[{}]", where, i)));
  }
  return rules;
}

absl::StatusOr<std::vector<RelabelRule>> ParseRelabelConfigs(std::string_view yaml_sequence,
                                                             std::string_view section) {
  std::vector<RelabelRule> rules;
  absl::Status s = yaml::ParseYamlConfig(yaml_sequence, section, [&](const YAML::Node& root) {
    rules = ReadRelabelConfigs(root, std::string(section));
  });
  if (!s.ok()) return s;
  return rules;
}

}  // namespace hearth
