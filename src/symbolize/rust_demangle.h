#pragma once

// Rust symbol demangling, written from the mangling specifications:
//
//   legacy  _ZN 3std 2rt 10lang_start 17h0123456789abcdef E
//           Itanium-shaped path whose last element is a 16-hex-digit hash, with `$LT$`,
//           `$u7b$`-style escapes and `..` for `::` inside elements. The hash is dropped.
//   v0      _R [version] <path> [<instantiating-crate>] [.suffix]   (RFC 2603)
//           paths (C crate, N nested, M/X/Y impls, I generic args, B backrefs), types,
//           const generics (integers, bool, char), closures `{closure#0}`, shims,
//           punycode identifiers. Output follows rustc-demangle's alternate format (no
//           crate hashes), which is also what llvm-cxxfilt prints.
//
// Both return nullopt for input they cannot fully parse; callers keep the mangled name.
// Limits: structured const generics (arrays, tuples, ADTs, &str) are not decoded (the
// whole name is then left mangled); backref chains deeper than 256 are rejected.

#include <optional>
#include <string>
#include <string_view>

namespace hearth::symbolize {

// True for names that look like Rust legacy mangling (ends in 17h<16 hex>E).
bool IsRustLegacy(std::string_view symbol);

std::optional<std::string> DemangleRustLegacy(std::string_view symbol);
std::optional<std::string> DemangleRustV0(std::string_view symbol);

}  // namespace hearth::symbolize
