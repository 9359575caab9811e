#!/usr/bin/env bash
# Format conversion and symbolization throughput, side by side with the peer tools:
#
#   1. perf: a large perf.data recorded here (perf_workload, -F 999 -g).
#        peer:   perf script report stackcollapse -i perf.data        (perf's own folding)
#        hearth: hearth convert perf-script.txt -o out.folded         (on `perf script` text)
#      Throughput is the perf script text size divided by each tool's time; the peer also
#      decodes perf.data, so its row shows `perf script` alone too.
#   2. gperftools: a large CPU profile of gperf_workload (CPUPROFILE_FREQUENCY=1000).
#        peer:   google-pprof --text BINARY PROFILE                   (parse + symbolize + report)
#        hearth: hearth symbolize PROFILE --binary BINARY | hearth top (the same three steps)
#   3. folded: a large folded file (the Go fixture's stacks repeated with varied counts).
#        hearth convert big.folded -o out.pb.gz (no peer converts folded to pprof).
#
#   bench/formats_vs_peers.sh [SECONDS]   (needs `make build`; installs linux-perf and
#                                         google-perftools if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
hearth=build/hearth
[ -x "$hearth" ] || { echo "build first: make build" >&2; exit 1; }
for pkg in linux-perf google-perftools; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || {
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get install -y -qq "$pkg" >/dev/null
  }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Best wall time of 3 runs of a command line (stdout discarded).
best() {
  local best=999999
  for _ in 1 2 3; do
    local s=$EPOCHREALTIME
    bash -c "$1" > /dev/null 2>&1
    local e=$EPOCHREALTIME
    best=$(awk -v a="$s" -v b="$e" -v c="$best" 'BEGIN { d = b - a; print (d < c ? d : c) }')
  done
  echo "$best"
}
row() {  # name bytes seconds
  awk -v n="$1" -v b="$2" -v t="$3" 'BEGIN { printf "  %-58s %8.3f s  %8.1f MB/s\n", n, t, b / t / 1e6 }'
}

echo "== perf (perf_workload, ${secs} s at 999 Hz with call graphs)"
perf record --no-bpf-event -q -F 999 -g -o "$work/perf.data" \
  testdata/fixtures/perf/perf_workload "$secs" > /dev/null 2>&1
perf script -i "$work/perf.data" > "$work/perf-script.txt" 2>/dev/null
bytes=$(stat -c %s "$work/perf-script.txt")
echo "  perf script text: $((bytes / 1048576)) MB"
t_script=$(best "perf script -i $work/perf.data")
t_collapse=$(best "perf script report stackcollapse -i $work/perf.data")
t_hearth=$(best "$hearth convert --from perf-script --sample_index=samples $work/perf-script.txt -o $work/out.folded")
row "perf script (decode perf.data to text)" "$bytes" "$t_script"
row "perf script report stackcollapse (perf.data -> folded)" "$bytes" "$t_collapse"
row "hearth convert (perf script text -> folded)" "$bytes" "$t_hearth"
awk -v a="$t_collapse" -v b="$t_hearth" 'BEGIN { printf "  hearth is %.1fx faster than perf stackcollapse\n", a / b }'
# Same answer: the total sample count of both folded outputs.
perf script report stackcollapse -i "$work/perf.data" 2>/dev/null > "$work/peer.folded"
awk '{ s += $NF } END { printf "  samples: perf %.0f, ", s }' "$work/peer.folded"
awk '{ s += $NF } END { printf "hearth %.0f\n", s }' "$work/out.folded"

echo "== gperftools (gperf_workload, ${secs} s at 1000 Hz)"
bin=testdata/fixtures/gperftools/bin/gperf_workload
CPUPROFILE="$work/cpu.prof" CPUPROFILE_FREQUENCY=1000 "$bin" "$secs" > /dev/null 2>&1 || true
bytes=$(stat -c %s "$work/cpu.prof")
echo "  profile: $((bytes / 1024)) KB"
t_pprof=$(best "google-pprof --text $bin $work/cpu.prof")
t_hearth=$(best "$hearth symbolize $work/cpu.prof --binary $bin -o $work/sym.pb.gz && $hearth top $work/sym.pb.gz")
row "google-pprof --text (parse, symbolize, report)" "$bytes" "$t_pprof"
row "hearth symbolize + hearth top" "$bytes" "$t_hearth"
awk -v a="$t_pprof" -v b="$t_hearth" 'BEGIN { printf "  hearth is %.1fx faster than google-pprof\n", a / b }'

echo "== folded (Go fixture stacks x 20000 lines)"
awk 'BEGIN { srand(3) } { lines[NR] = $0 } END {
  for (i = 0; i < 20000; i++) { split(lines[1 + i % NR], f, " "); n = split(lines[1 + i % NR], w, " ");
    stack = substr(lines[1 + i % NR], 1, length(lines[1 + i % NR]) - length(w[n]) - 1);
    printf "%s;variant%d %d\n", stack, i % 997, 1 + int(rand() * 50) } }' \
  testdata/fixtures/folded/go.cpuburn.profile.10s.samples.folded > "$work/big.folded"
bytes=$(stat -c %s "$work/big.folded")
t_hearth=$(best "$hearth convert $work/big.folded -o $work/folded.pb.gz")
row "hearth convert (folded -> pprof, $((bytes / 1048576)) MB)" "$bytes" "$t_hearth"
