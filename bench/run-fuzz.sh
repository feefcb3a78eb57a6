#!/usr/bin/env bash
# Long fuzzing runs (not a test): builds the libFuzzer targets with clang
# (RT_FUZZ=ON: ASan, UBSan, coverage) in build-fuzz-long, then runs each
# target in turn, on one core, for SECONDS, on a corpus kept between runs
# (seeded from tests/fuzz/corpus), and reports executions, exec/s and
# findings. See bench/README.md, "Fuzzing".
#
#   bench/run-fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 1800); TARGET: request_path, grpc_method,
# dataset (default all three). Environment:
#   RT_FUZZ_BUILD_DIR  the build directory (default build-fuzz-long)
#   RT_FUZZ_WORK       corpora, findings and logs (default
#                      /var/tmp/rectrack-fuzz); never inside the tree
# A finding stops that target's run: its input is kept in
# $RT_FUZZ_WORK/findings and the script exits 1 after the other targets.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-1800}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(request_path grpc_method dataset)
build_dir=${RT_FUZZ_BUILD_DIR:-build-fuzz-long}
work=${RT_FUZZ_WORK:-/var/tmp/rectrack-fuzz}

cmake -S . -B "$build_dir" -DRT_FUZZ=ON -DCMAKE_C_COMPILER=clang \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j "$(nproc)" \
  --target "${targets[@]/#/fuzz_}" >/dev/null

fuzzer_of() {
  case $1 in
  dataset) echo "$build_dir/tests/dataset/fuzz_dataset" ;;
  *) echo "$build_dir/tests/fuzz/fuzz_$1" ;;
  esac
}
seeds_of() {
  case $1 in
  dataset) echo tests/dataset/good.json tests/dataset/bad.json data/demo.json ;;
  *) echo "tests/fuzz/corpus/$1" ;;
  esac
}
dict_of() {
  [ -f "tests/fuzz/$1.dict" ] && echo "-dict=$root/tests/fuzz/$1.dict" || true
}

mkdir -p "$work/findings"
failed=0
summary="$work/summary-$(date -u +%Y%m%dT%H%M%SZ).txt"
printf '%-14s %12s %8s %8s %10s %s\n' target executions seconds exec/s \
  corpus result | tee "$summary"
for target in "${targets[@]}"; do
  corpus="$work/corpus/$target"
  mkdir -p "$corpus"
  for seed in $(seeds_of "$target"); do
    if [ -d "$seed" ]; then cp -n "$seed"/* "$corpus/"; else cp -n "$seed" "$corpus/"; fi
  done
  if [ -d "tests/fuzz/regressions/$target" ]; then
    cp -n "tests/fuzz/regressions/$target"/* "$corpus/"
  fi
  log="$work/$target-$(date -u +%Y%m%dT%H%M%SZ).log"
  status=0
  # -timeout: an input running this long is a hang; -rss_limit_mb: one
  # connection's memory is bounded far below it.
  "$(fuzzer_of "$target")" $(dict_of "$target") -max_total_time="$seconds" \
    -timeout=30 -rss_limit_mb=3072 -print_final_stats=1 \
    -artifact_prefix="$work/findings/$target-" "$corpus" >"$log" 2>&1 ||
    status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  elapsed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
  result="no finding"
  if [ "$status" -ne 0 ]; then
    result="FINDING (exit $status, see $log)"
    failed=1
  fi
  printf '%-14s %12s %8s %8s %10s %s\n' "$target" "${runs:-?}" "${elapsed:-?}" \
    "${rate:-?}" "$(find "$corpus" -type f | wc -l)" "$result" | tee -a "$summary"
done
echo "summary: $summary"
exit $failed
