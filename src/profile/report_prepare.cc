// The steps `go tool pprof` applies to a profile between decoding and reporting.

#include <cxxabi.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <optional>

#include "base/status_macros.h"
#include "profile/filter.h"
#include "profile/merge.h"
#include "profile/report.h"

namespace hearth::profile {
namespace {

// pprof's removeMatching: drops every outermost start..end group; on an unbalanced end it
// gives up and returns what it has so far.
std::string RemoveMatching(std::string name, char start, char end) {
  const char delims[] = {start, end, '\0'};
  int nesting = 0;
  size_t first = 0;
  size_t current = 0;
  for (size_t i = name.find_first_of(delims, current); i != std::string::npos;
       i = name.find_first_of(delims, current)) {
    current = i;
    if (name[current] == start) {
      if (++nesting == 1) first = current;
    } else {
      if (--nesting < 0) return name;
      if (nesting == 0) {
        name.erase(first, current + 1 - first);
        current = first;  // Go: current = first - 1, then current++.
        continue;
      }
    }
    ++current;
  }
  return name;
}

bool LooksLikeDemangledCpp(std::string_view name) {
  if (name.find(".<") != std::string_view::npos) return false;   // Java "Class.<init>"
  if (name.find("]).") != std::string_view::npos) return false;  // Go "pkg.(*T[...]).M"
  return name.find_first_of("<>[]") != std::string_view::npos ||
         name.find("::") != std::string_view::npos;
}

std::string Simplify(std::string name) {
  return RemoveMatching(RemoveMatching(std::move(name), '(', ')'), '<', '>');
}

// Demangler output, simplified the way Go's demangler prints with NoParams and
// NoTemplateParams: no template arguments, no parameter list or qualifiers after it, no
// return type. Brackets that are part of an operator's name ("operator<<", "operator()")
// don't count as brackets.
class DemangledName {
 public:
  explicit DemangledName(std::string s) : s_(std::move(s)) {}

  std::string Simplified() && {
    // Special names keep their parameters in Go's output.
    static constexpr std::string_view kSpecial[] = {"transaction clone for ",
                                                    "non-transaction clone for ",
                                                    "non-virtual thunk to ",
                                                    "virtual thunk to ",
                                                    "covariant return thunk to ",
                                                    "typeinfo for ",
                                                    "typeinfo name for ",
                                                    "guard variable for ",
                                                    "vtable for ",
                                                    "VTT for ",
                                                    "construction vtable for ",
                                                    "TLS init function for ",
                                                    "TLS wrapper function for ",
                                                    "reference temporary "};
    bool special = false;
    for (std::string_view prefix : kSpecial) special = special || s_.starts_with(prefix);
    if (size_t clone = s_.find(" [clone "); clone != std::string::npos) s_.resize(clone);
    RemoveGroups('<', '>');
    if (!special) {
      RemoveParameters();
      StripReturnType();
    }
    // "operator< <int>(...)" keeps the space that separated its template arguments.
    while (!s_.empty() && s_.back() == ' ') s_.pop_back();
    return std::move(s_);
  }

 private:
  static bool IsIdent(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

  // If an operator name starts at i, the index just past it; else i.
  size_t SkipOperator(size_t i) const {
    constexpr std::string_view kOperator = "operator";
    if (s_.compare(i, kOperator.size(), kOperator) != 0) return i;
    if (i > 0 && IsIdent(s_[i - 1])) return i;
    size_t j = i + kOperator.size();
    if (j < s_.size() && IsIdent(s_[j])) return i;
    // Longest spellings first.
    static constexpr std::string_view kSymbols[] = {
        "()", "[]", "<=>", "<<=", ">>=", "->*", "<<", ">>", "<=", ">=", "==", "!=", "&&",
        "||", "++", "--",  "+=",  "-=",  "*=",  "/=", "%=", "&=", "|=", "^=", "->", ",",
        "<",  ">",  "=",   "!",   "~",   "+",   "-",  "*",  "/",  "%",  "&",  "|",  "^"};
    for (std::string_view sym : kSymbols) {
      if (s_.compare(j, sym.size(), sym) == 0) return j + sym.size();
    }
    return j;
  }

  // Removes every top-level open..close group.
  void RemoveGroups(char open, char close) {
    std::string out;
    int depth = 0;
    for (size_t i = 0; i < s_.size();) {
      if (size_t j = SkipOperator(i); j != i) {
        if (depth == 0) out.append(s_, i, j - i);
        i = j;
        continue;
      }
      const char c = s_[i++];
      if (c == open) {
        ++depth;
      } else if (c == close && depth > 0) {
        --depth;
      } else if (depth == 0) {
        out.push_back(c);
      }
    }
    s_ = std::move(out);
  }

  // Calls f(begin, end) for each top-level character or operator name, outside (...) and
  // {...} groups.
  template <typename F>
  void ForEachTopLevel(F&& f) const {
    int depth = 0;
    for (size_t i = 0; i < s_.size();) {
      if (size_t j = SkipOperator(i); j != i) {
        if (depth == 0) f(i, j);
        i = j;
        continue;
      }
      const char c = s_[i];
      if (c == '(' || c == '{') {
        if (depth == 0) f(i, i + 1);
        ++depth;
      } else if ((c == ')' || c == '}') && depth > 0) {
        --depth;
      } else if (depth == 0) {
        f(i, i + 1);
      }
      ++i;
    }
  }

  // Drops the last top-level "(...)" when only qualifiers follow it.
  void RemoveParameters() {
    size_t last_open = std::string::npos;
    ForEachTopLevel([&](size_t i, size_t) {
      if (s_[i] == '(') last_open = i;
    });
    if (last_open == std::string::npos) return;
    int depth = 0;
    size_t close = last_open;
    for (; close < s_.size(); ++close) {
      if (s_[close] == '(') ++depth;
      if (s_[close] == ')' && --depth == 0) break;
    }
    if (close == s_.size()) return;
    std::string_view rest = std::string_view(s_).substr(close + 1);
    for (std::string_view q : {" const", " volatile", " &&", " &", " noexcept"}) {
      while (rest.starts_with(q)) rest.remove_prefix(q.size());
    }
    if (rest.empty()) s_.resize(last_open);
  }

  // "int ns::f" -> "ns::f": the name starts after the last top-level space (before an
  // "operator" keyword, whose name may itself contain spaces).
  void StripReturnType() {
    size_t name_start = 0;
    bool after_operator = false;
    ForEachTopLevel([&](size_t i, size_t j) {
      if (after_operator) return;
      if (j - i > 1 || s_.compare(i, 8, "operator") == 0) {
        if (s_.compare(i, 8, "operator") == 0) after_operator = true;
        return;
      }
      if (s_[i] == ' ') name_start = i + 1;
    });
    s_.erase(0, name_start);
  }

  std::string s_;
};

// Itanium C++ names through the runtime's demangler; nullopt when not demangleable.
std::optional<std::string> DemangleCpp(const std::string& name) {
  if (!name.starts_with("_Z")) return std::nullopt;
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> out(
      abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status), &std::free);
  if (status != 0 || out == nullptr) return std::nullopt;
  return DemangledName(out.get()).Simplified();
}

}  // namespace

void AddFakeMapping(Profile& p) {
  if (!p.mappings.empty()) return;
  Mapping fake;
  fake.id = 1;
  p.mappings.push_back(fake);
  for (Location& loc : p.locations) loc.mapping = 0;
}

void SimplifyFunctionNames(Profile& p) {
  for (Function& fn : p.functions) {
    const std::string_view name = p.Str(fn.name);
    const std::string_view system_name = p.Str(fn.system_name);
    if (!name.empty() && name != system_name) continue;  // Already demangled.
    std::string simplified(system_name);
    if (std::optional<std::string> d = DemangleCpp(simplified)) {
      simplified = *std::move(d);
    } else if (LooksLikeDemangledCpp(simplified)) {
      simplified = Simplify(std::move(simplified));
    }
    if (simplified != name) fn.name = p.strings.Intern(simplified);
  }
}

absl::StatusOr<Profile> PrepareLikePprof(Profile p) {
  AddFakeMapping(p);
  Profile compact = Compact(p);
  SimplifyFunctionNames(compact);
  HEARTH_RETURN_IF_ERROR(RemoveUninteresting(compact));
  return compact;
}

}  // namespace hearth::profile
