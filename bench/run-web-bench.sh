#!/usr/bin/env bash
# Web benchmark of rectrackd (not a test): how fast the public pages and
# the JSON API answer while a gRPC write load runs. Builds a Release,
# non-sanitized rectrackd in build-bench, starts it with --http-listen on
# a fresh data directory, imports the demo data set and 1,000 more
# recommendations, then, for each kind of page, runs h2load over
# HTTP/1.1 against it (8 keep-alive connections) with and without a
# concurrent durable gRPC write load (RecordFollowUp, 2 connections x 4
# streams, h2load too), and writes the figures into bench/README.md.
#
#   bench/run-web-bench.sh [SECONDS_PER_RUN]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build_dir=${RT_BENCH_BUILD_DIR:-build-bench}
seconds=${1:-10}
python=/usr/bin/python3

cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DRT_SANITIZE=OFF \
  -DCMAKE_C_FLAGS="${RT_BENCH_CFLAGS:-}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target rectrackd rectrack \
  rt_python_stubs >/dev/null
export PYTHONPATH="$root/$build_dir/gen/python"
client="$python $root/bench/grpc/bench_client.py"

work=$(mktemp -d /tmp/rt-web-bench.XXXXXX)
server_pid=
writer_pid=
cleanup() {
  for pid in $writer_pid $server_pid; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      wait "$pid" || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

"$build_dir/service/rectrackd" --listen 127.0.0.1:0 --data-dir "$work/data" \
  --http-listen 127.0.0.1:0 >"$work/server.log" 2>&1 &
server_pid=$!
addr= web=
for _ in $(seq 1 200); do
  web=$(sed -n 's/^rectrackd http listening on //p' "$work/server.log")
  addr=$(sed -n 's/^rectrackd listening on //p' "$work/server.log")
  [ -n "$addr" ] && break
  sleep 0.05
done
[ -n "$addr" ] && [ -n "$web" ] || {
  cat "$work/server.log"
  echo "no port" >&2
  exit 1
}

RECTRACK_CONFIG=/dev/null "$build_dir/client/rectrack" --server "$addr" \
  import data/demo.json >/dev/null
$client load "$addr" 1000 >/dev/null
$client bodies "$work"

# The write load: durable RecordFollowUp calls for as long as it runs.
start_writes() {
  h2load -D "$1" -c 2 -m 4 --header 'content-type: application/grpc' \
    --header 'te: trailers' -d "$work/record_follow_up.bin" \
    "http://$addr/rectrack.v1.Tracker/RecordFollowUp" >"$work/writes.out" &
  writer_pid=$!
}

# One run: NAME URL...; prints "pages/s p50 p99 ok total".
run_pages() {
  local name=$1
  shift
  local urls=()
  for path in "$@"; do urls+=("http://$web$path"); done
  h2load --h1 -D "$seconds" --warm-up-time=1 -c 8 \
    --log-file="$work/$name.log" "${urls[@]}" >"$work/$name.out"
  local rps lat total
  rps=$(grep -oE '[0-9.]+ req/s' "$work/$name.out" | head -1 | cut -d' ' -f1)
  lat=$($client latency "$work/$name.log")
  total=$(wc -l <"$work/$name.log")
  echo "$rps $lat $total"
}

pages=(overview "/"
  list "/recommendations?sdg=10.c&actor=bgd"
  search "/recommendations?q=remittances&page_size=50"
  record "/recommendations/R12 /commitments/C3 /sdg/10.c /actors/bgd"
  api "/api/v1/recommendations?sdg=10.c&page_size=50 /api/v1/recommendations/R12")
rows=()
total_writes=0
total_write_seconds=0
for ((i = 0; i < ${#pages[@]}; i += 2)); do
  name=${pages[i]}
  # shellcheck disable=SC2206 # the paths are split on purpose
  paths=(${pages[i + 1]})
  read -r quiet_rps quiet_p50 quiet_p99 quiet_ok quiet_n \
    <<<"$(run_pages "$name-quiet" "${paths[@]}")"
  before=$($client follow-ups "$addr")
  start_writes $((seconds + 3))
  sleep 1
  read -r busy_rps busy_p50 busy_p99 busy_ok busy_n \
    <<<"$(run_pages "$name-busy" "${paths[@]}")"
  wait "$writer_pid"
  writer_pid=
  after=$($client follow-ups "$addr")
  writes=$((after - before))
  total_writes=$((total_writes + writes))
  total_write_seconds=$((total_write_seconds + seconds + 3))
  [ "$quiet_ok" = "$quiet_n" ] && [ "$busy_ok" = "$busy_n" ] || {
    echo "$name: not every answer was 200 ($quiet_ok/$quiet_n, $busy_ok/$busy_n)" >&2
    exit 1
  }
  rows+=("| $name | \`${paths[*]}\` | $quiet_rps | $quiet_p99 | $busy_rps | $busy_p50 | $busy_p99 | $((writes / (seconds + 3))) |")
  echo "${rows[-1]}"
done
follow_ups=$($client follow-ups "$addr")
kill -TERM "$server_pid"
wait "$server_pid"
server_pid=

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
date=$(date -u +%Y-%m-%dT%H:%MZ)
load=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "<!-- web-bench:begin (written by bench/run-web-bench.sh) -->"
  echo "## rectrackd web pages under a write load"
  echo
  echo "Produced by \`bench/run-web-bench.sh $seconds\` (Release build, no"
  echo "sanitizers) on $date. Machine: $(nproc) CPUs ($cpu), shared"
  echo "with other work (load average $load at the end); h2load, rectrackd"
  echo "and the data directory on the same host, over loopback. The data:"
  echo "the demo data set and 1,000 more recommendations; the follow-ups"
  echo "written during the runs add to it ($follow_ups follow-ups at the end)."
  echo
  echo "Each kind of page is asked for $seconds s by h2load over HTTP/1.1 on 8"
  echo "keep-alive connections (the paths in turn), once alone and once while"
  echo "a second h2load sends durable gRPC RecordFollowUp calls on 2"
  echo "connections x 4 streams. Every answer was 200. Latencies from"
  echo "h2load's per-request log."
  echo
  echo "| pages | paths | pages/s alone | p99 ms alone | pages/s under writes | p50 ms | p99 ms | writes/s meanwhile |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "What bounds the figures: each page reads one LMDB snapshot, so the"
  echo "writer never blocks a page nor a page the writer; they share the two"
  echo "CPUs with each other and with h2load. The overview shows the review's"
  echo "summary of its revision, computed once by a walk of the records and"
  echo "then served from a cache; under writes every revision is new, so most"
  echo "overviews compute it again. List and record pages read an index page"
  echo "and a few records.
On a machine shared with other work the runs are noisy: a run "alone"
may meet more outside load than the run beside the writes. The
writes/s are durable writes (each committed and synced before it is
answered) competing for the same two CPUs."
  echo "<!-- web-bench:end -->"
} >"$work/section.md"
$python - "$work/section.md" bench/README.md <<'PY'
import os, re, sys
section = open(sys.argv[1]).read()
path = sys.argv[2]
text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
pattern = re.compile(r"<!-- web-bench:begin.*?<!-- web-bench:end -->\n", re.S)
if pattern.search(text):
    text = pattern.sub(lambda m: section, text)
else:
    text = text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
cat "$work/section.md"
