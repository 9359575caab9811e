#!/usr/bin/env bash
# Every benchmark, in the order the README's performance table lists them.
#   bench/run_all.sh            (after `make build`; the service-week run takes ~10 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
build/bench/pprof_decode_benchmark --benchmark_min_time=0.5 2>&1 | tail -6
build/bench/otlp_codec_benchmark --benchmark_min_time=0.5 2>&1 | tail -10
bench/cli_vs_pprof.sh 5
build/bench/storage_bench --instances 3 --days 7 --queries 20
bench/formats_vs_peers.sh 40
build/bench/wal_benchmark --benchmark_counters_tabular=true
build/bench/server_load --hearth build/hearth --seconds 90 --connections 8
# Prometheus (apt-get install prometheus) scrapes as many /metrics side by side, if installed.
build/bench/scrape_bench --targets 200 --interval 10 --seconds 60 \
  $(command -v prometheus >/dev/null && echo --prometheus "$(command -v prometheus)")
node bench/ui_flamegraph_bench.mjs --runs 7
