#!/bin/sh
# Runs one libFuzzer target for a bounded time over a copy of its seeds,
# so that the committed corpus is never modified (ctest's fuzz_run_*).
#
#   run_fuzzer.sh FUZZER SECONDS FINDINGS_DIR [--dict FILE] SEED...
#
# SEED: input files or directories of them (missing ones are skipped).
# A crash, leak, sanitizer report or timeout fails the run; libFuzzer's
# report is printed and the input is kept in FINDINGS_DIR as
# <target>-crash-<sha1> (replay it: FUZZER FILE). Prints the executions
# run, from libFuzzer's final statistics.
set -eu
fuzzer=$1
seconds=$2
findings=$3
shift 3
dict=
if [ "${1:-}" = "--dict" ]; then
  dict="-dict=$2"
  shift 2
fi
name=$(basename "$fuzzer")
work=$(mktemp -d "${TMPDIR:-/tmp}/rt-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$findings"
for seed in "$@"; do
  if [ -d "$seed" ]; then
    find "$seed" -maxdepth 1 -type f -exec cp {} "$work/corpus/" \;
  elif [ -f "$seed" ]; then
    cp "$seed" "$work/corpus/"
  fi
done

status=0
# -timeout: one input taking this long is a hang; -rss_limit_mb: the
# server's memory for one connection is bounded well below it.
"$fuzzer" $dict -max_total_time="$seconds" -timeout=30 -rss_limit_mb=3072 \
  -print_final_stats=1 -artifact_prefix="$findings/$name-" \
  "$work/corpus" >"$work/log" 2>&1 || status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
if [ "$status" -ne 0 ]; then
  tail -n 80 "$work/log"
  echo "run_fuzzer: $name FAILED (exit $status) after ${runs:-?} executions;" \
    "inputs kept in $findings"
  exit 1
fi
grep -E '^(INFO: Seed|#[0-9]+ *DONE|stat::)' "$work/log" || true
echo "run_fuzzer: $name ran ${runs:-?} executions in $seconds s, no finding"
