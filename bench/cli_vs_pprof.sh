#!/usr/bin/env bash
# `hearth top` vs `go tool pprof -top`, side by side on the same inputs:
#   1. one real profile (the 10 s Go CPU profile),
#   2. 1,000 real-shaped profiles merged (perturbed copies of the real Go CPU profiles).
# Prints the median wall time and peak RSS of each over RUNS runs, and the ratios.
#
#   bench/cli_vs_pprof.sh [RUNS]        (needs a release build: make build)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
hearth=build/hearth
gen=build/bench/gen_profiles
[ -x "$hearth" ] && [ -x "$gen" ] || { echo "build first: make build" >&2; exit 1; }
command -v go >/dev/null || { echo "needs go (golang-go)" >&2; exit 1; }
export TZ=UTC

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fx=testdata/fixtures/go
"$gen" --out "$work/many" --count 1000 --seed 7 \
  $fx/http/cpuburn.profile.10s.pb.gz $fx/http/cpuburn.profile.3s.pb.gz \
  $fx/runtime_pprof/cpuburn.cpu.3s.pb.gz

# Median of "seconds kilobytes" over $runs runs: wall time from bash's microsecond clock,
# peak RSS from GNU time.
measure() {
  local out=$1; shift
  : > "$out"
  for _ in $(seq "$runs"); do
    local start=$EPOCHREALTIME
    /usr/bin/time -f "%M" -o "$work/t" "$@" > "$work/stdout" 2>/dev/null
    local end=$EPOCHREALTIME
    echo "$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.4f", b - a}') $(cat "$work/t")" >> "$out"
  done
  sort -n "$out" | awk '{t[NR]=$1; m[NR]=$2} END {n=int((NR+1)/2); printf "%s %s\n", t[n], m[n]}'
}

row() {
  local name=$1; shift
  local h p
  h=$(measure "$work/h" "$hearth" top "$@")
  p=$(measure "$work/p" go tool pprof -top "$@")
  # Same output, or the comparison means nothing.
  "$hearth" top "$@" > "$work/h.out"; go tool pprof -top "$@" > "$work/p.out" 2>/dev/null
  local same=yes
  cmp -s "$work/h.out" "$work/p.out" || same=NO
  read -r ht hm <<<"$h"; read -r pt pm <<<"$p"
  awk -v n="$name" -v ht="$ht" -v hm="$hm" -v pt="$pt" -v pm="$pm" -v same="$same" 'BEGIN {
    printf "%-36s %8.4fs %7.1fMB | %8.4fs %7.1fMB | %6.1fx faster %5.1fx less memory | same output: %s\n",
      n, ht, hm/1024, pt, pm/1024, (ht > 0 ? pt/ht : 0), (hm > 0 ? pm/hm : 0), same }'
}

printf "%-36s %19s | %19s |\n" "input (median of $runs runs)" "hearth top" "go tool pprof -top"
row "1 profile (cpuburn 10s, 10 KB gz)" $fx/http/cpuburn.profile.10s.pb.gz
row "1,000 profiles merged ($(du -sh "$work/many" | cut -f1))" "$work"/many/*.pb.gz
