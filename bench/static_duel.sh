#!/usr/bin/env bash
# static_duel.sh — bench/duel.sh for the static-file servers of cases/static_server.mjs: two servers
# measured at the same time on the same core (the ratio of their throughputs is the ratio of their
# CPU cost per request, with the machine's noise shared by both).
#
#   bash bench/static_duel.sh A B [1k|1m] [SECONDS]
#   bash bench/static_duel.sh node aiots 1k 5
#
# A and B: node | aiots | fastify (aiots from dist/: run `npm run build` first). Both servers serve a
# temporary directory holding a 1 KiB and a 1 MiB file of random bytes; both are pinned to core 0 and
# both `wrk -t1 -c50` to core 1; 3 rounds after a warm-up. The servers are stopped by their process id.
set -euo pipefail
if [[ ${1:-} == "-h" || ${1:-} == "--help" || $# -lt 2 ]]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit $([[ $# -lt 2 && ${1:-} != "-h" && ${1:-} != "--help" ]] && echo 2 || echo 0)
fi
cd "$(dirname "$0")"
A=$1; B=$2; file=${3:-1k}; secs=${4:-5}
NODE=../node_modules/.bin/node; [[ -x $NODE ]] || NODE=node
WRK=${BENCH_WRK:-/usr/bin/wrk}
tmp=$(mktemp -d)
mkdir "$tmp/files"
head -c 1024 /dev/urandom >"$tmp/files/1k.bin"
head -c 1048576 /dev/urandom >"$tmp/files/1m.bin"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
# The servers' stdin is a FIFO this script holds open: they exit when it closes (this script ended).
mkfifo "$tmp/stdin"; exec 3<>"$tmp/stdin"
start() { # impl outfile
  BENCH_STATIC_DIR="$tmp/files" taskset -c 0 "$NODE" cases/static_server.mjs "$1" >"$2" 2>&1 <"$tmp/stdin" &
  pids+=($!)
}
start "$A" "$tmp/a"; start "$B" "$tmp/b"
for _ in $(seq 50); do grep -q PORT "$tmp/a" 2>/dev/null && grep -q PORT "$tmp/b" 2>/dev/null && break; sleep 0.2; done
PA=$(awk '/PORT/{print $2}' "$tmp/a"); PB=$(awk '/PORT/{print $2}' "$tmp/b")
path=/static/$file.bin
taskset -c 1 "$WRK" -t1 -c50 -d2s "http://127.0.0.1:$PA$path" >/dev/null & w=$!
taskset -c 1 "$WRK" -t1 -c50 -d2s "http://127.0.0.1:$PB$path" >/dev/null; wait "$w" # not the servers
for r in 1 2 3; do
  taskset -c 1 "$WRK" -t1 -c50 -d"${secs}s" "http://127.0.0.1:$PA$path" >"$tmp/wa" & w=$!
  taskset -c 1 "$WRK" -t1 -c50 -d"${secs}s" "http://127.0.0.1:$PB$path" >"$tmp/wb"; wait "$w"
  a=$(awk '/Requests\/sec/{print $2}' "$tmp/wa"); b=$(awk '/Requests\/sec/{print $2}' "$tmp/wb")
  echo "round $r $path: $A $a req/s, $B $b req/s, $B/$A = $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", b/a}')"
done
