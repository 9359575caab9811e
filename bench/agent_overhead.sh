#!/usr/bin/env bash
# The agent's overhead, side by side with perf (needs root, linux-perf, a release build):
#
#   the same CPU-bound workload (agent_workload_fp iters: a 5-deep frame-pointer chain of
#   xorshift loops, single-threaded, a fixed amount of work) run with no profiler, under `hearth agent` at 19 and 99 Hz, and under
#   `perf record -F 99 -a -g`, interleaved round by round so drifts of this shared VM hit
#   every configuration alike.
#
# Printed per configuration: median and spread (min..max) of the workload's CPU time
# (user+sys of the workload alone: wall time on this VM is dominated by steal), the ratio
# of medians against the baseline, and for the profilers their own CPU time per second of
# run and peak RSS.
#
#   bench/agent_overhead.sh [ROUNDS=5] [ITERATIONS=6000]   (6000 ≈ 5 s of CPU here)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
iters=${2:-6000}
hearth=build/hearth
workload=build/src/agent/agent_workload_fp
[ "$(id -u)" -eq 0 ] || { echo "agent_overhead: run as root (the agent and perf -a need it)" >&2; exit 1; }
[ -x $hearth ] && [ -x $workload ] || { echo "agent_overhead: build first: ninja -C build hearth agent_workload_fp" >&2; exit 1; }
command -v perf >/dev/null || { echo "agent_overhead: perf is missing (apt-get install linux-perf)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Fixed work (`iters`): a profiler's cost shows as more CPU time for the same work (the
# sampling interrupts, stack walks and cache pollution are charged to the workload).
run_workload() {  # prints user+sys seconds of the workload
  /usr/bin/time -f '%U %S' -o "$tmp/time" $workload iters "$iters" >/dev/null 2>&1
  awk '{printf "%.3f\n", $1 + $2}' "$tmp/time"
}

# Profiler CPU (user+sys, seconds) and peak RSS (KiB) from GNU time.
start_profiler() {  # $1 = name
  case $1 in
    agent19) /usr/bin/time -f '%U %S %M' -o "$tmp/ptime" $hearth agent --frequency 19 --interval 2s \
               --server http://127.0.0.1:9 --metrics-addr off >"$tmp/plog" 2>&1 & ;;
    agent99) /usr/bin/time -f '%U %S %M' -o "$tmp/ptime" $hearth agent --frequency 99 --interval 2s \
               --server http://127.0.0.1:9 --metrics-addr off >"$tmp/plog" 2>&1 & ;;
    perf99)  /usr/bin/time -f '%U %S %M' -o "$tmp/ptime" perf record -F 99 -a -g -o "$tmp/perf.data" \
               >"$tmp/plog" 2>&1 & ;;
  esac
  profiler=$!
  sleep 2  # loaded and attached
}
stop_profiler() {
  # GNU time is the child we know; signal its child (the profiler) so time reports it.
  local child
  child=$(pgrep -P $profiler | head -1)
  kill -INT "$child" 2>/dev/null || true
  wait $profiler 2>/dev/null || true
}

configs=(none agent19 agent99 perf99)
declare -A wl pcpu prss
for r in $(seq "$rounds"); do
  for c in "${configs[@]}"; do
    if [ $c != none ]; then start_profiler $c; fi
    t0=$(date +%s.%N)
    w=$(run_workload)
    t1=$(date +%s.%N)
    sleep 1
    if [ $c != none ]; then
      stop_profiler
      # GNU time puts "Command exited with non-zero status N" first when perf exits so.
      read -r pu ps pm < <(tail -1 "$tmp/ptime") || true
      pcpu[$c]+="$(awk -v u="$pu" -v s="$ps" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", (u + s) / (b - a + 3) * 100}') "
      prss[$c]+="$pm "
    fi
    wl[$c]+="$w "
    echo "round $r $c: workload cpu ${w}s" >&2
  done
done

stats() {  # median min max of the arguments
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {m = NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "%.3f %.3f %.3f", m, a[1], a[NR]}'
}
read -r base _ _ <<< "$(stats ${wl[none]})"
printf '\n%-8s %-28s %-9s %-22s %s\n' config "workload cpu s: median (min..max)" "vs none" "profiler cpu %: median" "peak rss MiB: max"
for c in "${configs[@]}"; do
  read -r m lo hi <<< "$(stats ${wl[$c]})"
  ratio=$(awk -v m="$m" -v b="$base" 'BEGIN {printf "%.4f", m / b}')
  if [ $c = none ]; then
    printf '%-8s %-28s %-9s %-22s %s\n' $c "$m ($lo..$hi)" "1.000" "-" "-"
  else
    read -r pm _ _ <<< "$(stats ${pcpu[$c]})"
    read -r _ _ rmax <<< "$(stats ${prss[$c]})"
    printf '%-8s %-28s %-9.3f %-22.3f %.1f\n' $c "$m ($lo..$hi)" "$ratio" "$pm" "$(awk -v r="$rmax" 'BEGIN {printf "%.1f", r / 1024}')"
  fi
done
# Steady state: the agent at 19 Hz for 60 s on this host as it is (whatever runs on it),
# its own CPU between t=15 s and t=60 s (after start-up: BPF load, kallsyms, first
# symbolization of every running binary) and its RSS, from its /metrics.
metric() { curl -s localhost:17079/metrics | awk -v m="$1" '$1 == m {print $2}'; }
$hearth agent --frequency 19 --interval 10s --server http://127.0.0.1:9 --metrics-addr 127.0.0.1:17079 \
  --duration 62s >"$tmp/steady.log" 2>&1 &
steady=$!
sleep 15
c0=$(metric hearth_agent_cpu_seconds_total)
sleep 45
c1=$(metric hearth_agent_cpu_seconds_total)
rss=$(metric hearth_agent_resident_memory_bytes)
peak=$(metric hearth_agent_max_resident_memory_bytes)
anon=$(metric hearth_agent_anon_memory_bytes)
wait $steady || true
awk -v a="$c0" -v b="$c1" -v r="$rss" -v p="$peak" -v n="$anon" 'BEGIN {
  printf "\nagent19 steady state (t=15..60 s): cpu %.3f%% of one core; rss %.1f MiB (anonymous %.1f MiB), peak %.1f MiB\n",
         (b - a) / 45 * 100, r / 1048576, n / 1048576, p / 1048576 }'

echo
echo "workload: $workload iters $iters (fixed work; its CPU time includes the sampling interrupts it absorbs);"
echo "profiler cpu % = its user+sys over its lifetime (incl. 2 s start-up) per wall second, of one core."
