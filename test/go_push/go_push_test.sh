#!/usr/bin/env bash
# The README's Go program (examples/go_push, standard library only) pushes two CPU profiles
# to a real `hearth server`; its own functions must then lead the top table queried back.
#   test/go_push/go_push_test.sh HEARTH_BINARY WORK_DIR
set -euo pipefail
hearth=$1
work=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$work" && mkdir -p "$work"
export GOCACHE="$work/gocache" GOPATH="$work/gopath" GOFLAGS=-mod=mod GO111MODULE=off

"$hearth" server --data "$work/data" --http-addr 127.0.0.1:0 --grpc-addr 127.0.0.1:0 \
  --no-otlp-http 2>"$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*http :\([0-9]*\),.*/\1/p' "$work/server.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "server did not start:"; cat "$work/server.log"; exit 1; }
url="http://127.0.0.1:$port"

go run "$src/examples/go_push/main.go" -server "$url" -app go-example -period 3s -rounds 2

query='process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="go-example",env="dev"}'
top=$(curl -fsS -G "$url/api/v1/merge" --data-urlencode "query=$query" \
  --data-urlencode from=now-5m --data-urlencode until=now+1m --data-urlencode format=top)
echo "$top" | head -c 600; echo
# The two stored profiles hold ~6 s of CPU, and the busy loop's functions carry it.
total=$(echo "$top" | sed -n 's/.*"total":\([0-9]*\).*/\1/p' | head -1)
[ "${total:-0}" -gt 3000000000 ] || { echo "FAIL: total $total ns, expected > 3 s"; exit 1; }
for fn in main.hashBlocks main.sortNumbers main.work; do
  echo "$top" | grep -q "\"name\":\"$fn\"" || { echo "FAIL: $fn not in the top table"; exit 1; }
done
kill -TERM $server
wait $server
trap - EXIT
grep -q "hearth server: stopped" "$work/server.log" || { echo "FAIL: no graceful stop"; cat "$work/server.log"; exit 1; }
echo PASS
