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
# The two stored profiles hold the busy loop's CPU time (how much depends on how busy the
# machine is, so only a floor of 10 samples), under its own functions.
total=$(echo "$top" | sed -n 's/.*"total":\([0-9]*\).*/\1/p' | head -1)
[ "${total:-0}" -ge 100000000 ] || { echo "FAIL: total $total ns, expected >= 100 ms"; exit 1; }
echo "$top" | grep -q '"name":"main.work"' || { echo "FAIL: main.work not in the top table"; exit 1; }
echo "$top" | grep -qE '"name":"main.(hashBlocks|sortNumbers)"' ||
  { echo "FAIL: neither main.hashBlocks nor main.sortNumbers in the top table"; exit 1; }
kill -TERM $server
wait $server
trap - EXIT
grep -q "hearth server: stopped" "$work/server.log" || { echo "FAIL: no graceful stop"; cat "$work/server.log"; exit 1; }
echo PASS
