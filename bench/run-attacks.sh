#!/usr/bin/env bash
# The attack catalogue of tests/e2e/attacks at full length (not a test):
# builds a Release, non-sanitized rectrackd in build-bench, runs every
# attack of bench/attacks/run_attacks.py against it for S seconds with an
# honest client and the server's RSS sampled, and writes the figures into
# bench/README.md between the attacks markers.
#
#   bench/run-attacks.sh [--seconds S] [--before REF]
#
# --before REF also builds git REF (exported with git archive into a
# temporary directory, so no worktree or branch is touched) and runs the
# same attacks against it, for a before/after table. Needs 127.0.0.2 on
# the loopback interface (Linux routes all of 127/8 there).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build_dir=${RT_BENCH_BUILD_DIR:-build-bench}
python=/usr/bin/python3
seconds=15
before=
while [ $# -gt 0 ]; do
  case $1 in
  --seconds) seconds=$2; shift 2 ;;
  --before) before=$2; shift 2 ;;
  *) echo "usage: $0 [--seconds S] [--before REF]" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d /tmp/rt-attacks.XXXXXX)
trap 'rm -rf "$work"' EXIT

build() { # source_dir build_dir
  cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DRT_SANITIZE=OFF \
    -DCMAKE_C_FLAGS="${RT_BENCH_CFLAGS:-}" >/dev/null
  cmake --build "$2" -j "$(nproc)" --target rectrackd rt_python_stubs \
    >/dev/null
}

build . "$build_dir"
command="bench/run-attacks.sh --seconds $seconds"
before_json=
if [ -n "$before" ]; then
  command="$command --before $before"
  mkdir "$work/before"
  git archive "$before" | tar -x -C "$work/before"
  build "$work/before" "$work/before/build"
  echo "== before ($before)"
  "$python" bench/attacks/run_attacks.py "$work/before/build" \
    "before ($before)" "$work/before.json" --seconds "$seconds"
  before_json=$work/before.json
fi
echo "== after ($(git rev-parse --short HEAD))"
"$python" bench/attacks/run_attacks.py "$root/$build_dir" \
  "after ($(git rev-parse --short HEAD))" "$work/after.json" \
  --seconds "$seconds"
"$python" bench/attacks/run_attacks.py report bench/README.md "$command" \
  "$work/after.json" $before_json
echo "bench/README.md: attacks section written"
