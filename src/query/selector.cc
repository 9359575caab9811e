#include "query/selector.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <cctype>

namespace hearth::query {
namespace {

using storage::Matcher;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<ParsedSelector> Parse() {
    ParsedSelector out;
    SkipSpace();
    if (Peek() != '{') {
      auto type = ParseType();
      if (!type.ok()) return type.status();
      out.type = *type;
      SkipSpace();
    }
    if (Peek() == '{') {
      ++pos_;
      SkipSpace();
      while (Peek() != '}') {
        auto m = ParseMatcher();
        if (!m.ok()) return m.status();
        out.matchers.push_back(std::move(*m));
        SkipSpace();
        if (Peek() == ',') {
          ++pos_;
          SkipSpace();
          continue;
        }
        if (Peek() != '}') return Error("',' or '}' after a matcher");
      }
      ++pos_;
      SkipSpace();
    }
    if (pos_ != text_.size()) return Error("end of selector");
    if (out.type.name.empty() && out.matchers.empty()) {
      return absl::InvalidArgumentError("selector: empty selector (expected a profile type or {…})");
    }
    return out;
  }

 private:
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  static bool IdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
  static bool IdentChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  }

  absl::Status Error(std::string_view expected) const {
    std::string found = pos_ < text_.size() ? fmt::format("'{}'", text_[pos_]) : "end of input";
    return absl::InvalidArgumentError(
        fmt::format("selector: column {}: expected {}, found {}", pos_ + 1, expected, found));
  }

  std::string Ident() {
    size_t start = pos_;
    while (pos_ < text_.size() && IdentChar(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  absl::StatusOr<storage::ProfileTypeId> ParseType() {
    if (!IdentStart(Peek())) return Error("a profile type name or '{'");
    std::vector<std::string> parts = {Ident()};
    while (Peek() == ':') {
      ++pos_;
      if (!IdentStart(Peek())) return Error("a name after ':' in the profile type");
      parts.push_back(Ident());
    }
    if (parts.size() != 1 && parts.size() != 5) {
      return absl::InvalidArgumentError(fmt::format(
          "selector: column {}: a profile type is name or "
          "name:sample_type:sample_unit:period_type:period_unit, got {} parts",
          pos_ + 1, parts.size()));
    }
    storage::ProfileTypeId t;
    t.name = parts[0];
    if (parts.size() == 5) {
      t.sample_type = parts[1];
      t.sample_unit = parts[2];
      t.period_type = parts[3];
      t.period_unit = parts[4];
    }
    return t;
  }

  absl::StatusOr<Matcher> ParseMatcher() {
    if (!IdentStart(Peek())) return Error("a label name");
    Matcher m;
    m.name = Ident();
    SkipSpace();
    if (text_.substr(pos_, 2) == "=~") {
      m.op = Matcher::Op::kRe;
      pos_ += 2;
    } else if (text_.substr(pos_, 2) == "!~") {
      m.op = Matcher::Op::kNre;
      pos_ += 2;
    } else if (text_.substr(pos_, 2) == "!=") {
      m.op = Matcher::Op::kNe;
      pos_ += 2;
    } else if (Peek() == '=') {
      m.op = Matcher::Op::kEq;
      ++pos_;
    } else {
      return Error(fmt::format("'=', '!=', '=~' or '!~' after label name \"{}\"", m.name));
    }
    SkipSpace();
    const size_t value_pos = pos_;
    auto value = ParseString();
    if (!value.ok()) return value.status();
    m.value = std::move(*value);
    if (m.op == Matcher::Op::kRe || m.op == Matcher::Op::kNre) {
      re2::RE2::Options o;
      o.set_log_errors(false);
      re2::RE2 re(m.value, o);
      if (!re.ok()) {
        return absl::InvalidArgumentError(fmt::format(
            "selector: column {}: bad regular expression for \"{}\": {}", value_pos + 1, m.name,
            re.error()));
      }
    }
    return m;
  }

  absl::StatusOr<std::string> ParseString() {
    const char quote = Peek();
    if (quote != '"' && quote != '\'' && quote != '`') return Error("a quoted value");
    const size_t start = pos_++;
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      char c = text_[pos_++];
      if (c == '\\' && quote != '`') {
        if (pos_ >= text_.size()) break;
        char e = text_[pos_++];
        switch (e) {
          case 'n': out.push_back('\n'); break;
          case 't': out.push_back('\t'); break;
          case '\\': case '"': case '\'': out.push_back(e); break;
          default:
            pos_ -= 2;
            return Error("a valid escape (\\\" \\' \\\\ \\n \\t)");
        }
        continue;
      }
      out.push_back(c);
    }
    if (pos_ >= text_.size()) {
      pos_ = start;
      return Error(fmt::format("a closing {} for this value", quote));
    }
    ++pos_;
    return out;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

std::string Quote(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: out.push_back(c);
    }
  }
  return out + "\"";
}

std::string_view OpString(Matcher::Op op) {
  switch (op) {
    case Matcher::Op::kEq: return "=";
    case Matcher::Op::kNe: return "!=";
    case Matcher::Op::kRe: return "=~";
    case Matcher::Op::kNre: return "!~";
  }
  return "=";
}

}  // namespace

absl::StatusOr<ParsedSelector> ParseSelector(std::string_view text) { return Parser(text).Parse(); }

std::string FormatSelector(const ParsedSelector& s) {
  std::string out;
  if (!s.type.name.empty()) {
    out = s.type.sample_type.empty() ? s.type.name : s.type.ToString();
  }
  if (!s.matchers.empty() || out.empty()) {
    out += "{";
    for (size_t i = 0; i < s.matchers.size(); ++i) {
      if (i > 0) out += ", ";
      out += s.matchers[i].name;
      out += OpString(s.matchers[i].op);
      out += Quote(s.matchers[i].value);
    }
    out += "}";
  }
  return out;
}

}  // namespace hearth::query
