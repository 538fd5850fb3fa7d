#!/usr/bin/env bash
# duel.sh — two HTTP servers measured at the same time, on the same core: the ratio of their
# throughputs is the ratio of their CPU cost per request, with the machine's noise (steal, frequency,
# neighbours) shared by both. On this project's shared 2-core VM, back-to-back wrk runs of one
# server swing ±50 %; a duel's ratio moves by a few percent.
#
#   bash bench/duel.sh A B [PATH] [SECONDS]
#   bash bench/duel.sh node aiots /json 5
#
# A and B: node | node-floor | aiots | fastify | hono | express (cases/http_server.mjs, aiots from
# dist/: run `npm run build` first) or aiohttp-asyncio | aiohttp-uvloop (cases/http_server.py under
# /usr/bin/python3; a CPython process competes differently for the core, so read those as indicative).
# Both servers are pinned to core 0 and both `wrk -t1 -c50` to core 1; 3 rounds after a warm-up.
set -euo pipefail
if [[ ${1:-} == "-h" || ${1:-} == "--help" || $# -lt 2 ]]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit $([[ $# -lt 2 && ${1:-} != "-h" && ${1:-} != "--help" ]] && echo 2 || echo 0)
fi
cd "$(dirname "$0")"
A=$1; B=$2; path=${3:-/}; secs=${4:-5}
NODE=../node_modules/.bin/node; [[ -x $NODE ]] || NODE=node
WRK=${BENCH_WRK:-/usr/bin/wrk}
tmp=$(mktemp -d)
start() { # impl outfile
  if [[ $1 == aiohttp-* ]]; then (sleep $((secs * 4 + 15)) | taskset -c 0 /usr/bin/python3 cases/http_server.py "${1#aiohttp-}" >"$2" 2>&1 &)
  else (sleep $((secs * 4 + 15)) | taskset -c 0 "$NODE" cases/http_server.mjs "$1" >"$2" 2>&1 &); fi
}
start "$A" "$tmp/a"; start "$B" "$tmp/b"
for _ in $(seq 50); do grep -q PORT "$tmp/a" 2>/dev/null && grep -q PORT "$tmp/b" 2>/dev/null && break; sleep 0.2; done
PA=$(awk '/PORT/{print $2}' "$tmp/a"); PB=$(awk '/PORT/{print $2}' "$tmp/b")
taskset -c 1 "$WRK" -t1 -c50 -d2s "http://127.0.0.1:$PA$path" >/dev/null & taskset -c 1 "$WRK" -t1 -c50 -d2s "http://127.0.0.1:$PB$path" >/dev/null; wait
for r in 1 2 3; do
  taskset -c 1 "$WRK" -t1 -c50 -d"${secs}s" "http://127.0.0.1:$PA$path" >"$tmp/wa" &
  taskset -c 1 "$WRK" -t1 -c50 -d"${secs}s" "http://127.0.0.1:$PB$path" >"$tmp/wb"; wait
  a=$(awk '/Requests\/sec/{print $2}' "$tmp/wa"); b=$(awk '/Requests\/sec/{print $2}' "$tmp/wb")
  echo "round $r $path: $A $a req/s, $B $b req/s, $B/$A = $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", b/a}')"
done
pkill -f "cases/http_server.mjs $A" 2>/dev/null || true; pkill -f "cases/http_server.mjs $B" 2>/dev/null || true
pkill -f "cases/http_server.py" 2>/dev/null || true
rm -rf "$tmp"
