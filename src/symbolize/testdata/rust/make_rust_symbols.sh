#!/usr/bin/env bash
# Regenerates rust_symbols.tsv: real Rust symbols (rustc, v0 and legacy mangling) with the
# demangling a real tool prints: llvm-cxxfilt for v0 (minus its " (.1)" rendering of a
# vendor suffix, which pprof's demangler drops too), binutils c++filt for legacy (minus the
# trailing ::h<hash>, which Hearth drops like pprof and rustfilt do).
# Needs rustc, llvm-cxxfilt-14, c++filt (binutils). Run from this directory.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rustc -C opt-level=0 -C symbol-mangling-version=v0 generics.rs -o "$work/generics_v0"
rustc -C opt-level=0 -C symbol-mangling-version=v0 types.rs -o "$work/types_v0"
rustc -C opt-level=0 generics.rs -o "$work/generics_legacy"
{
  nm "$work/generics_v0" | awk '{print $3}' | grep '^_R' | sort -u | awk 'NR % 3 == 0'
  nm "$work/types_v0" | awk '{print $3}' | grep '^_RINvCs[A-Za-z0-9_]*5types1t' | sort -u
} > "$work/v0"
nm "$work/generics_legacy" | awk '{print $3}' | grep -E '^_ZN.*17h[0-9a-f]{16}E$' | sort -u > "$work/legacy"
{
  while read -r s; do
    printf 'v0\t%s\t%s\n' "$s" "$(llvm-cxxfilt-14 "$s" | sed -E 's/ \(\.[^)]*\)$//')"
  done < "$work/v0"
  while read -r s; do
    printf 'legacy\t%s\t%s\n' "$s" "$(c++filt "$s" | sed -E 's/::h[0-9a-f]{16}$//')"
  done < "$work/legacy"
} > rust_symbols.tsv
