#!/usr/bin/env bash
# Crash soak of rectrackd (not a test; tests/e2e/crash runs 32 cycles of
# the same in the tests): builds a Release, non-sanitized rectrackd and
# rectrack-admin in build-bench, then runs CYCLES kill cycles of
# concurrent writers, SIGKILL at a random moment, verify, restart and
# check (tests/e2e/crash/crashsoak.py), and writes the figures into
# bench/README.md ("Crash soak").
#
#   bench/run-crash-soak.sh [CYCLES] [crash_soak.py options]
#
# CYCLES defaults to 110; options: --seed S (replay a run), --writers W,
# --window K (calls in flight per writer), --kill-after MIN MAX (seconds
# after the cycle's first acknowledgment). Exits 1 if anything was lost.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build_dir=${RT_BENCH_BUILD_DIR:-build-bench}
cycles=${1:-110}
shift || true

# RT_BENCH_CFLAGS: extra compiler flags for this build only (see
# run-grpc-bench.sh).
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DRT_SANITIZE=OFF \
  -DCMAKE_C_FLAGS="${RT_BENCH_CFLAGS:-}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" \
  --target rectrackd rectrack-admin rt_python_stubs >/dev/null
export RT_BUILD_DIR="$root/$build_dir"
export PYTHONPATH="$root/tests/e2e:$root/tests/e2e/crash:$root/$build_dir/gen/python"
export PYTHONDONTWRITEBYTECODE=1
/usr/bin/python3 bench/crash/crash_soak.py --cycles "$cycles" \
  --readme bench/README.md "$@"
