#!/usr/bin/env bash
# The scale benchmark (bench/README.md, "Scale"): a generated data set of
# N recommendations (default 200000) with their commitments, follow-ups
# and measurements, loaded with the batched storage API, then every
# figure of the scale targets, printed as Markdown:
#
#   storage: listings (every single filter and none, combinations, text)
#            p50/p99 of page 50, paging to the end, point reads, verify;
#   gRPC:    the same lists over the wire, GetRecommendation alone and
#            while 4 other clients page, summarise and export, the
#            summary (cold and cached) and every export format, with the
#            server's anonymous memory (RssAnon) before, peak and after;
#   import:  a JSON Lines file of N * 0.8 recommendations (about 225 MB
#            at 200000) through rectrack-admin load and rectrack import
#            into an empty server, with their peak anonymous memory.
#
#   bench/run-scale-bench.sh [N] [WORK_DIR]
#
# Runs in a Release build (build-rel). Needs several GB free in WORK_DIR
# (default a new directory under /tmp), which is removed at the end.
set -euo pipefail

n=${1:-200000}
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=build-rel
work=${2:-$(mktemp -d /tmp/rt-scale-bench.XXXXXX)}
python=/usr/bin/python3
server_pid=

cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cd "$root"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target bench_scale rectrackd \
  rectrack rectrack-admin rt_python_stubs >/dev/null
export PYTHONPATH="$root/$build_dir/gen/python"
bench="$root/$build_dir/bench/bench_scale"

echo "## Scale benchmark: $n recommendations"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
df -h "$work" | tail -1 | awk '{print "disk: " $4 " free on " $6}'
echo

echo "### Loading (batched storage API)"
echo
"$bench" load --dir "$work/data" --recommendations "$n"
echo
echo "### Storage alone"
echo
"$bench" query --dir "$work/data" --runs 300 --verify
echo

"$root/$build_dir/service/rectrackd" --listen 127.0.0.1:0 \
  --data-dir "$work/data" --log-level info >"$work/rectrackd.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  address=$(grep -o 'listening on [^ ]*' "$work/rectrackd.log" | head -1 |
    cut -d' ' -f3 || true)
  [ -n "$address" ] && break
  sleep 0.1
done
client="$python $root/bench/grpc/scale_client.py"
echo "### Over gRPC"
echo
$client lists "$address"
echo
$client get-under-load "$address" "$server_pid" 5000
echo
$client summary "$address" "$server_pid" 2024-01-01 2024-12-31
echo
$client export "$address" "$server_pid" 2024-01-01 2024-12-31
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
rm -rf "$work/data"

peak() {
  $python - "$@" <<'PY'
import subprocess, sys, time
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE)
anon = 0
started = time.monotonic()
while p.poll() is None:
    try:
        with open("/proc/%d/status" % p.pid) as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    anon = max(anon, int(line.split()[1]))
    except FileNotFoundError:
        break
    time.sleep(0.05)
err = p.stderr.read().decode()
print("%.1f s, peak RssAnon %.1f MiB%s" % (
    time.monotonic() - started, anon / 1024,
    "" if p.wait() == 0 else ", FAILED: " + err[-500:]))
PY
}

lines=$((n * 4 / 5))
"$bench" lines --out "$work/import.jsonl" --recommendations "$lines"
echo
echo "### Import of a JSON Lines file ($lines recommendations, $(du -m "$work/import.jsonl" | cut -f1) MB, $(wc -l <"$work/import.jsonl") lines)"
echo
echo "- rectrack-admin load: $(peak "$root/$build_dir/admin/rectrack-admin" load --data-dir "$work/loaded" "$work/import.jsonl")"
"$root/$build_dir/service/rectrackd" --listen 127.0.0.1:0 \
  --data-dir "$work/imported" --log-level info >"$work/import.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  address=$(grep -o 'listening on [^ ]*' "$work/import.log" | head -1 |
    cut -d' ' -f3 || true)
  [ -n "$address" ] && break
  sleep 0.1
done
echo "- rectrack import over gRPC into an empty server: $(peak "$root/$build_dir/client/rectrack" --server "$address" import "$work/import.jsonl")"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
echo "- the server's writer: $(grep -o 'writer stopped.*' "$work/import.log")"
