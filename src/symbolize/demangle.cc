#include "symbolize/demangle.h"

#include <cxxabi.h>

#include <cctype>
#include <cstdlib>
#include <memory>

#include "symbolize/rust_demangle.h"

namespace hearth::symbolize {
namespace {

bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// If an operator name ("operator<<", "operator()", "operator new[]") starts at i, the
// index just past it, else i. Its brackets are part of the name, not a group.
size_t SkipOperatorName(std::string_view s, size_t i) {
  constexpr std::string_view kOp = "operator";
  if (s[i] != 'o' || s.compare(i, kOp.size(), kOp) != 0) return i;  // Cheap test first.
  if (i > 0 && IsIdentChar(s[i - 1])) return i;
  size_t j = i + kOp.size();
  if (j < s.size() && IsIdentChar(s[j])) return i;  // "operators", not an operator.
  // Longest spellings first, so "<<=" wins over "<<" and "<".
  static constexpr std::string_view kSymbols[] = {
      "()", "[]", "<=>", "<<=", ">>=", "->*", "<<", ">>", "<=", ">=", "==", "!=", "&&",
      "||", "++", "--",  "+=",  "-=",  "*=",  "/=", "%=", "&=", "|=", "^=", "->", ",",
      "<",  ">",  "=",   "!",   "~",   "+",   "-",  "*",  "/",  "%",  "&",  "|",  "^"};
  for (std::string_view sym : kSymbols) {
    if (s.compare(j, sym.size(), sym) == 0) return j + sym.size();
  }
  return j;  // Conversion operators, "operator new": the rest reads as ordinary text.
}

// Copies `s` without its top-level <...> groups.
std::string DropTemplateArgs(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  int depth = 0;
  for (size_t i = 0; i < s.size();) {
    if (size_t j = SkipOperatorName(s, i); j != i) {
      if (depth == 0) out.append(s.substr(i, j - i));
      i = j;
      continue;
    }
    const char c = s[i++];
    if (c == '<') {
      ++depth;
    } else if (c == '>' && depth > 0) {
      --depth;
    } else if (depth == 0) {
      out.push_back(c);
    }
  }
  return out;
}

// Positions of top-level characters: outside (...), {...} and <...> groups. Calls
// f(index, is_operator) for each one, for the opening bracket of each top-level group, and
// once for the start of each operator name (whose brackets are then skipped).
template <typename F>
void ForEachTopLevel(std::string_view s, F&& f) {
  int depth = 0;
  for (size_t i = 0; i < s.size();) {
    if (size_t j = SkipOperatorName(s, i); j != i) {
      if (depth == 0) f(i, true);
      i = j;
      continue;
    }
    const char c = s[i];
    if (c == '(' || c == '{' || c == '<') {
      if (depth == 0) f(i, false);
      ++depth;
    } else if ((c == ')' || c == '}' || c == '>') && depth > 0) {
      --depth;
    } else if (depth == 0) {
      f(i, false);
    }
    ++i;
  }
}

// "ns::f(int) const" -> "ns::f": drops the last top-level parameter list when only
// cv/ref qualifiers follow it.
std::string DropParameters(std::string s) {
  size_t open = std::string::npos;
  ForEachTopLevel(s, [&](size_t i, bool is_operator) {
    if (!is_operator && s[i] == '(') open = i;
  });
  if (open == std::string::npos) return s;
  int depth = 0;
  size_t close = open;
  for (; close < s.size(); ++close) {
    if (s[close] == '(') ++depth;
    if (s[close] == ')' && --depth == 0) break;
  }
  if (close == s.size()) return s;
  std::string_view rest = std::string_view(s).substr(close + 1);
  for (bool again = true; again;) {
    again = false;
    for (std::string_view q : {" const", " volatile", " &&", " &", " noexcept"}) {
      if (rest.starts_with(q)) {
        rest.remove_prefix(q.size());
        again = true;
      }
    }
  }
  if (rest.empty()) s.resize(open);
  return s;
}

// "int ns::f" -> "ns::f": a template function's demangling starts with its return type.
// The name begins after the last top-level space that is not inside an operator name.
std::string DropReturnType(std::string s) {
  size_t name_start = 0;
  bool seen_operator = false;
  ForEachTopLevel(s, [&](size_t i, bool is_operator) {
    seen_operator = seen_operator || is_operator;
    if (!seen_operator && s[i] == ' ') name_start = i + 1;
  });
  s.erase(0, name_start);
  return s;
}

// Names the demangler prints with a fixed prefix keep their arguments in pprof's output.
bool IsSpecialName(std::string_view s) {
  static constexpr std::string_view kPrefixes[] = {"vtable for ",
                                                   "VTT for ",
                                                   "typeinfo for ",
                                                   "typeinfo name for ",
                                                   "construction vtable for ",
                                                   "guard variable for ",
                                                   "virtual thunk to ",
                                                   "non-virtual thunk to ",
                                                   "covariant return thunk to ",
                                                   "TLS init function for ",
                                                   "TLS wrapper function for ",
                                                   "reference temporary ",
                                                   "transaction clone for ",
                                                   "non-transaction clone for "};
  for (std::string_view p : kPrefixes) {
    if (s.starts_with(p)) return true;
  }
  return false;
}

}  // namespace

std::optional<DemangleMode> ParseDemangleMode(std::string_view s) {
  if (s == "none") return DemangleMode::kNone;
  if (s == "full") return DemangleMode::kFull;
  if (s == "templates") return DemangleMode::kTemplates;
  if (s.empty() || s == "simple" || s == "simplified") return DemangleMode::kSimplified;
  return std::nullopt;
}

std::optional<std::string> DemangleItanium(std::string_view symbol) {
  if (!symbol.starts_with("_Z")) return std::nullopt;
  const std::string z(symbol);  // __cxa_demangle needs a terminated string.
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> out(
      abi::__cxa_demangle(z.c_str(), nullptr, nullptr, &status), &std::free);
  if (status != 0 || out == nullptr) return std::nullopt;
  return std::string(out.get());
}

std::string SimplifyCppName(std::string_view demangled, bool keep_templates) {
  std::string s(demangled);
  // GCC's clones (".cold", ".part.0", ".isra.0") print as " [clone .part.0]".
  if (size_t clone = s.find(" [clone "); clone != std::string::npos) s.resize(clone);
  if (IsSpecialName(s)) return keep_templates ? s : DropTemplateArgs(s);
  s = DropReturnType(DropParameters(std::move(s)));
  if (!keep_templates) s = DropTemplateArgs(s);
  // "operator< <int>" loses its template arguments but not the space before them.
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string Demangle(std::string_view symbol, DemangleMode mode) {
  // The demanglers recurse on nesting; no real symbol comes near this length.
  constexpr size_t kMaxDemangleBytes = 64 * 1024;
  if (mode == DemangleMode::kNone || symbol.size() > kMaxDemangleBytes) {
    return std::string(symbol);
  }
  // Rust legacy names are valid Itanium names too; try them first so the hash goes.
  if (symbol.starts_with("_ZN") && IsRustLegacy(symbol)) {
    if (auto r = DemangleRustLegacy(symbol)) return *std::move(r);
  }
  if (symbol.starts_with("_R")) {
    if (auto r = DemangleRustV0(symbol)) return *std::move(r);
    return std::string(symbol);
  }
  std::optional<std::string> cpp = DemangleItanium(symbol);
  if (!cpp) return std::string(symbol);
  if (mode == DemangleMode::kFull) return *std::move(cpp);
  return SimplifyCppName(*cpp, mode == DemangleMode::kTemplates);
}

}  // namespace hearth::symbolize
