#!/usr/bin/env bash
# The main job as it exists today: build `hearth`, show it on real profiles, import them into
# an embedded store and query it back. (This grows into the server + agent + UI as they land.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh release >/dev/null
export TZ=UTC
fx=testdata/fixtures/go
profile=$fx/http/cpuburn.profile.10s.pb.gz
echo "\$ hearth top $profile | head -12"
build/hearth top "$profile" | head -12
data=${HEARTH_DATA:-./hearth-data}
echo
echo "\$ hearth db import --data $data --no-progress $fx/http/*.pb.gz $fx/runtime_pprof/*.pb.gz"
build/hearth db import --data "$data" --no-progress $fx/http/*.pb.gz $fx/runtime_pprof/*.pb.gz
echo
echo "\$ hearth db query --data $data 'process_cpu{service_name=\"cpuburn\"}' --from 2026-11-26T07:00:00Z --to 2026-11-26T08:00:00Z --nodecount 10"
build/hearth db query --data "$data" 'process_cpu{service_name="cpuburn"}' \
  --from 2026-11-26T07:00:00Z --to 2026-11-26T08:00:00Z --nodecount 10
echo
echo "hearth is built at build/hearth; the store is in $data. Try: build/hearth --help"
