#!/usr/bin/env bash
# The web pages built on the review at scale (bench/README.md, "Web pages
# at scale"): a generated data set of N recommendations (default 200000,
# bench_scale load), a Release rectrackd with its HTTP listener, then the
# overview (the first view of the revision, computed; the second, from
# the summary cache) and the downloads of one year in every format, each
# with its time and the server's anonymous memory (RssAnon: the heap, not
# the data file's pages that LMDB maps) before it and at its peak.
#
#   bench/run-web-scale-bench.sh [N] [WORK_DIR]
#
# Needs a few GB free in WORK_DIR (default a new directory under /tmp),
# which is removed at the end.
set -euo pipefail

n=${1:-200000}
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=build-rel
work=${2:-$(mktemp -d /tmp/rt-web-scale-bench.XXXXXX)}
server_pid=

cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cd "$root"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target bench_scale rectrackd \
  >/dev/null

echo "## Web pages at scale: $n recommendations"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$root/$build_dir/bench/bench_scale" load --dir "$work/data" \
  --recommendations "$n" >/dev/null

"$root/$build_dir/service/rectrackd" --listen 127.0.0.1:0 \
  --http-listen 127.0.0.1:0 --data-dir "$work/data" --log-level info \
  >"$work/rectrackd.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  grep -q "rectrackd http listening on" "$work/rectrackd.log" && break
  sleep 0.1
done
address=$(sed -n 's/^rectrackd http listening on //p' "$work/rectrackd.log")

/usr/bin/python3 - "$server_pid" "$address" <<'PY'
import http.client, re, sys, threading, time

pid, address = int(sys.argv[1]), sys.argv[2]
host, port = address.rsplit(":", 1)
MIB = 1024 * 1024
PERIOD = "from=2024-01-01&to=2024-12-31"


def rss_anon():
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


def get(path):
    before = rss_anon()
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_anon())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    start = time.monotonic()
    c = http.client.HTTPConnection(host, int(port), timeout=3600)
    c.request("GET", path)
    r = c.getresponse()
    size = 0
    while True:
        piece = r.read(1 << 16)
        if not piece:
            break
        size += len(piece)
    took = time.monotonic() - start
    c.close()
    done.set()
    sampler.join()
    return r.status, size, took, before, peak[0]


def cache():
    c = http.client.HTTPConnection(host, int(port), timeout=60)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    c.close()
    return [int(m) for m in re.findall(
        r"^rectrack_http_review_cache_(?:hits|misses)_total (\d+)$", text,
        re.M)]


print("| answer | status | bytes | time | RssAnon before | peak growth |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
paths = [("overview, first view", "/"), ("overview, again", "/"),
         ("/sdg", "/sdg")]
paths += [(name, "/downloads/%s%s%s" % (name, "&" if "?" in name else "?",
                                        PERIOD))
          for name in ("review.html", "review.md", "review.json",
                       "review.xlsx", "review.csv?table=recommendations",
                       "review.csv?table=follow-ups")]
for label, path in paths:
    status, size, took, before, peak = get(path)
    print("| %s | %d | %d | %.2f s | %.1f MiB | +%.1f MiB |" % (
        label, status, size, took, before / MIB, (peak - before) / MIB),
        flush=True)
hits, misses = cache()
print()
print("summary cache: %d hits, %d misses" % (hits, misses))
PY
