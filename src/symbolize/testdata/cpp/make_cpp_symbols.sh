#!/usr/bin/env bash
# Regenerates cpp_symbols.tsv: mangled C++ names (the gperftools fixture binary, a sample of
# libstdc++'s exports, and GCC clone suffixes) with what `go tool pprof` (Go 1.19) makes of
# them: its vendored github.com/ianlancetaylor/demangle with the symbolizer's options
# (simplified: NoParams+NoTemplateParams; templates: NoParams; full: NoClones).
# Columns: mangled, simplified, templates, full. Needs Go 1.19 and binutils nm.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/demangle" "$work/src/dm"
cp /usr/lib/go-1.19/src/cmd/vendor/github.com/ianlancetaylor/demangle/*.go "$work/src/demangle/"
cp "$here/pprof_demangle.go" "$work/src/dm/main.go"
(cd "$work/src/dm" && GO111MODULE=off GOPATH="$work" go build -o "$work/dm" .)
{
  nm "$root/testdata/fixtures/gperftools/bin/gperf_workload" | awk '$3 ~ /^_Z/ {print $3}'
  nm -D /usr/lib/x86_64-linux-gnu/libstdc++.so.6 | awk '$2 ~ /[TW]/ && $3 ~ /^_Z/ {print $3}' |
    sed 's/@.*//' | sort -u | awk 'NR % 40 == 0'
  printf '%s\n' _Z3fooi.constprop.0 _Z3fooi.part.0 _Z3fooi.cold _ZN12_GLOBAL__N_11fEi \
    _ZZ4mainENKUliE_clEi _ZNSolsEPFRSt8ios_baseS0_E _ZN3foo3barIiEEvT_
} | sort -u > "$work/names"
"$work/dm" < "$work/names" > "$here/cpp_symbols.tsv"
