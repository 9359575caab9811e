#!/usr/bin/env bash
# The main job: build, then run `hearth server` with embedded storage in ./hearth-data
# (HEARTH_DATA overrides; the bundled Go profiles are imported into a new one), print where
# to push and how to query, and serve until Ctrl-C (which shuts down gracefully).
#   HEARTH_HTTP_PORT (4040) and HEARTH_GRPC_PORT (4317) move the listeners.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh release >/dev/null
export TZ=UTC
data=${HEARTH_DATA:-./hearth-data}
http_port=${HEARTH_HTTP_PORT:-4040}
grpc_port=${HEARTH_GRPC_PORT:-4317}
url="http://localhost:$http_port"

# Something to look at on the first run: the Go fixtures (CPU, heap, allocs, block, mutex,
# goroutines) imported as if captured now, services named after their programs.
if [ ! -d "$data" ]; then
  build/hearth db import --data "$data" --time now --no-progress \
    testdata/fixtures/go/http/*.pb.gz testdata/fixtures/go/runtime_pprof/*.pb.gz
fi

build/hearth server --data "$data" --http-addr ":$http_port" --grpc-addr ":$grpc_port" --no-otlp-http &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' INT TERM
for _ in $(seq 100); do
  curl -fs "$url/ready" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { echo "hearth server exited" >&2; exit 1; }
  sleep 0.1
done

cpu='process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="cpuburn"}'
cat <<MSG

hearth server is running, data in $data.

Web UI:                    $url/

Push profiles:
  Pyroscope SDKs / Alloy   server address $url    (POST /ingest, push.v1.PusherService/Push)
  Parca agent              --remote-store-address=localhost:$grpc_port --remote-store-insecure
  a pprof file             curl -g --data-binary @cpu.pb.gz '$url/ingest?name=myapp{env=dev}&format=pprof'

Query:
  services                 curl '$url/api/v1/label_values?name=service_name&from=now-1d'
  top functions            curl -G $url/api/v1/merge --data-urlencode 'query=$cpu' -d from=now-1d -d format=top
  pprof for go tool pprof  curl -G $url/api/v1/merge --data-urlencode 'query=$cpu' -d from=now-1d -d format=pprof -o cpu.pb.gz
  Grafana                  add a "Grafana Pyroscope" data source with URL $url
  server metrics           curl $url/metrics

Ctrl-C stops the server (it flushes first).
MSG
wait $server
