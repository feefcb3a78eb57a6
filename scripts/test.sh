#!/usr/bin/env bash
# Runs every rectrack test: installs dependencies, builds with
# AddressSanitizer and UndefinedBehaviorSanitizer, runs ctest (unit and
# end-to-end tests). Ends with ctest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${RT_TEST_BUILD_DIR:-build-test}

./deploy/install-deps.sh
cmake -S . -B "$build_dir" -DRT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
# Leaks fail the run; the hash-table-heavy Python client is not ours.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build_dir" --output-on-failure -j 2
