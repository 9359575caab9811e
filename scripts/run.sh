#!/usr/bin/env bash
# The main job: build, then run `hearth server` with embedded storage in ./hearth-data
# (HEARTH_DATA overrides; the bundled Go profiles are imported into a new one), print where
# to push and how to query, and serve until Ctrl-C (which shuts down gracefully).
# As root it also starts `hearth agent` against it, so this machine's processes show up
# within a minute (HEARTH_AGENT=0 turns that off).
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
agent=""
trap 'kill -TERM $agent $server 2>/dev/null; wait $agent $server' INT TERM
for _ in $(seq 100); do
  curl -fs "$url/ready" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { echo "hearth server exited" >&2; exit 1; }
  sleep 0.1
done

# The eBPF agent: every process on this machine, sent to the server every 10 s.
if [ "${HEARTH_AGENT:-1}" != 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    build/hearth agent --server "$url" &
    agent=$!
    agent_msg="hearth agent is profiling this machine (pid $agent): see
  its services             curl '$url/api/v1/label_values?name=service_name&from=now-5m'
  agent metrics            curl localhost:7071/metrics ; curl localhost:7071/processes"
  else
    agent_msg="Not root, so the eBPF agent was not started. To profile this machine:
  sudo $(pwd)/build/hearth agent --server $url"
  fi
fi

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

${agent_msg:-}

Ctrl-C stops the server (it flushes first).
MSG
wait $server
