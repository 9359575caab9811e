// Rust legacy demangling (see rust_demangle.h): an Itanium-shaped `_ZN...E` path whose
// last element is the `17h<hash>` we drop, with `$LT$`-style escapes inside elements.

#include <vector>

#include "symbolize/rust_demangle.h"
#include "symbolize/rust_demangle_util.h"

namespace hearth::symbolize {

using rust_internal::AppendUtf8;
using rust_internal::HexValue;
using rust_internal::IsDigit;
using rust_internal::IsHex;

bool IsRustLegacy(std::string_view symbol) {
  if (!symbol.starts_with("_ZN")) return false;
  // "E" closes the path; anything after it is a vendor suffix (".llvm.123").
  const size_t end = symbol.find("E.");
  if (end != std::string_view::npos) symbol = symbol.substr(0, end + 1);
  if (symbol.size() < 3 + 20 || symbol.back() != 'E') return false;
  const std::string_view hash = symbol.substr(symbol.size() - 20, 19);
  if (!hash.starts_with("17h")) return false;
  for (char c : hash.substr(3)) {
    if (!IsHex(c)) return false;
  }
  return true;
}

std::optional<std::string> DemangleRustLegacy(std::string_view symbol) {
  if (!IsRustLegacy(symbol)) return std::nullopt;
  std::string_view s = symbol.substr(3);
  std::string out;
  std::vector<std::string_view> elements;
  while (!s.empty() && s.front() != 'E') {
    if (!IsDigit(s.front())) return std::nullopt;
    size_t len = 0;
    while (!s.empty() && IsDigit(s.front())) {
      len = len * 10 + (s.front() - '0');
      if (len > symbol.size()) return std::nullopt;
      s.remove_prefix(1);
    }
    if (len > s.size()) return std::nullopt;
    elements.push_back(s.substr(0, len));
    s.remove_prefix(len);
  }
  if (elements.size() < 2) return std::nullopt;
  elements.pop_back();  // h<hash>
  for (std::string_view e : elements) {
    if (!out.empty()) out.append("::");
    if (e.starts_with("_$")) e.remove_prefix(1);
    while (!e.empty()) {
      if (e.starts_with("..")) {
        out.append("::");
        e.remove_prefix(2);
        continue;
      }
      if (e.front() != '$') {
        out.push_back(e.front());
        e.remove_prefix(1);
        continue;
      }
      const size_t close = e.find('$', 1);
      if (close == std::string_view::npos) return std::nullopt;
      const std::string_view code = e.substr(1, close - 1);
      static constexpr std::pair<std::string_view, char> kEscapes[] = {
          {"SP", '@'}, {"BP", '*'}, {"RF", '&'}, {"LT", '<'},
          {"GT", '>'}, {"LP", '('}, {"RP", ')'}, {"C", ','}};
      bool done = false;
      for (const auto& [name, c] : kEscapes) {
        if (code == name) {
          out.push_back(c);
          done = true;
        }
      }
      if (!done) {
        if (code.size() < 2 || code.front() != 'u') return std::nullopt;
        uint32_t cp = 0;
        for (char c : code.substr(1)) {
          if (!IsHex(c) || cp > 0x10ffff) return std::nullopt;
          cp = cp * 16 + HexValue(c);
        }
        if (cp > 0x10ffff) return std::nullopt;
        AppendUtf8(cp, &out);
      }
      e.remove_prefix(close + 1);
    }
  }
  return out;
}

}  // namespace hearth::symbolize
