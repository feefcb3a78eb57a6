#!/usr/bin/env bash
# Runs every rectrack test: installs dependencies, fuzzes each libFuzzer
# target for a bounded time in a clang build of its own (install-deps.sh
# installs clang; a finding, or a missing compiler, fails the run), then
# builds with AddressSanitizer and UndefinedBehaviorSanitizer and runs
# ctest (unit and end-to-end tests). Ends with that ctest's summary line,
# the one that counts every test of the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${RT_TEST_BUILD_DIR:-build-test}

./deploy/install-deps.sh
# Leaks fail the run, and so does any sanitizer finding.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Bounded fuzzing (docs/development.md, "Fuzzing"): each target for
# RT_TEST_FUZZ_SECONDS (default 60) over a copy of its seeds, two at a
# time. RT_TEST_FUZZ_SECONDS=0 skips the step, and says so.
fuzz_seconds=${RT_TEST_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" = 0 ]; then
  echo "test.sh: fuzzing skipped (RT_TEST_FUZZ_SECONDS=0)"
else
  fuzz_dir=${build_dir}-fuzz
  cmake -S . -B "$fuzz_dir" -DRT_FUZZ=ON -DCMAKE_C_COMPILER=clang \
    -DRT_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
  cmake --build "$fuzz_dir" -j "$(nproc)" \
    --target fuzz_request_path fuzz_grpc_method fuzz_dataset
  ctest --test-dir "$fuzz_dir" -L fuzz --output-on-failure -j 2
fi

cmake -S . -B "$build_dir" -DRT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
ctest --test-dir "$build_dir" --output-on-failure -j 2
