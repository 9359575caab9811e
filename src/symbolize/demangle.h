#pragma once

// Symbol demangling: Itanium C++ (through the C++ runtime's abi::__cxa_demangle), Rust
// legacy (`_ZN...17h<hash>E`, the hash dropped) and Rust v0 (`_R...`, rust_demangle.h).
// Anything else (C, Go, already demangled names) is returned unchanged.

#include <optional>
#include <string>
#include <string_view>

namespace hearth::symbolize {

// How much of a demangled name to keep. Simplified is what `go tool pprof` shows by default
// (its symbolizer demangles with NoParams and NoTemplateParams): "ns::Cls::method".
enum class DemangleMode {
  kNone,        // The symbol as written in the binary.
  kFull,        // "ns::Cls<int>::method(char const*) const"
  kTemplates,   // "ns::Cls<int>::method": no parameters, no return type.
  kSimplified,  // "ns::Cls::method": also no template arguments.
};

// Parses "none", "full", "templates", "simplified" (pprof's -symbolize=demangle names:
// "" and "simple" mean simplified).
std::optional<DemangleMode> ParseDemangleMode(std::string_view s);

// Demangles a symbol per `mode`. Rust names are never simplified beyond dropping the hash
// (pprof's demangler does not simplify them either).
std::string Demangle(std::string_view symbol, DemangleMode mode);

// Full Itanium demangling, nullopt if `symbol` is not a valid "_Z" name.
std::optional<std::string> DemangleItanium(std::string_view symbol);

// Shortens demangled C++ the way pprof's NoParams (+ NoTemplateParams unless
// keep_templates) options print it: drops " [clone .cold]" suffixes, the parameter list
// and the qualifiers after it, a leading return type, and <template arguments>. Operator
// names keep their brackets ("operator<<", "operator()"), "{lambda(int)#1}" and
// "(anonymous namespace)" stay whole.
std::string SimplifyCppName(std::string_view demangled, bool keep_templates);

}  // namespace hearth::symbolize
