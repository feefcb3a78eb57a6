#!/bin/sh
# End-to-end tests of rectrack-admin on a fresh temporary data directory:
#   test_admin.sh ADMIN DEMO_JSON BAD_JSON GROUP DAMAGE_TOOL
# GROUP is one of: load (load the demo, check counts, re-load creates
# nothing, verify, backup), invalid (a bad file loads nothing), usage
# (exit codes and help), damage (verify reports a damaged store), empty
# (show and verify on an empty store), upgrade (a directory of release
# 0.1.0, tests/fixtures/datadir-v1, looked at with --dry-run, upgraded,
# verified). Exits non-zero with a message on the first
# failed check.
set -u

admin=$1
demo=$2
bad=$3
group=$4
damage=$5

work=$(mktemp -d "${TMPDIR:-/tmp}/rectrack-admin-test.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.out "$work"/*.err; do
    [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
  done
  exit 1
}

# run NAME EXPECTED_STATUS ARGS...: runs the admin tool, keeps its output
# in $work/NAME.out and .err, and checks the exit status.
run() {
  name=$1
  expected=$2
  shift 2
  "$admin" "$@" >"$work/$name.out" 2>"$work/$name.err"
  status=$?
  [ "$status" -eq "$expected" ] ||
    fail "$name: exit status $status, expected $expected ($*)"
}

# count NAME KIND: the number show printed for KIND under "Records:".
count() {
  awk -v kind="$2" '/^Records:/ { on = 1; next } on && $1 == kind { print $2; exit }' \
    "$work/$1.out"
}

# column NAME KIND COLUMN: a cell of load's table (2 created, 3 unchanged,
# 4 failed).
column() {
  awk -v kind="$2" -v col="$3" '$1 == kind { print $col; exit }' "$work/$1.out"
}

at_least() {
  [ -n "$1" ] && [ "$1" -ge "$2" ] || fail "$3: got '$1', expected at least $2"
}

test_load() {
  data="$work/data"
  run first 0 load --data-dir "$data" "$demo"
  at_least "$(column first recommendation 2)" 40 "recommendations created"
  for kind in source actor recommendation commitment follow-up measurement; do
    [ "$(column first "$kind" 4)" = 0 ] || fail "first load: $kind failures"
  done
  run show1 0 show --data-dir "$data"
  at_least "$(count show1 actors)" 15 "actors"
  at_least "$(count show1 recommendations)" 40 "recommendations"
  at_least "$(count show1 commitments)" 8 "commitments"
  at_least "$(count show1 follow-ups)" 1 "follow-ups"
  grep -q "^Recommendations by status" "$work/show1.out" || fail "show: no status table"
  grep -q "^Recommendations by theme" "$work/show1.out" || fail "show: no theme table"
  revision=$(awk '/^Revision/ { sub(",", "", $2); print $2; exit }' "$work/show1.out")

  # The same file again by the same principal: every item is recognised,
  # nothing new is written.
  run second 0 load --data-dir "$data" "$demo"
  for kind in source actor recommendation commitment follow-up measurement; do
    [ "$(column second "$kind" 2)" = 0 ] || fail "re-load created ${kind}s"
    [ "$(column second "$kind" 3)" = "$(column first "$kind" 2)" ] ||
      fail "re-load: $kind unchanged count differs from first load's created"
  done
  run show2 0 show --data-dir "$data"
  cmp -s "$work/show1.out" "$work/show2.out" || fail "re-load changed the store"
  [ -n "$revision" ] && [ "$revision" -gt 0 ] || fail "show: bad revision '$revision'"

  run verify 0 verify --data-dir "$data"
  grep -q "is sound" "$work/verify.out" || fail "verify: not reported sound"

  # Request ids belong to the principal that sent them: another principal
  # loading the same file makes its own recommendations (sources and
  # actors, whose ids the file chooses, are found as they are).
  other="$work/other"
  run other_first 0 load --data-dir "$other" "$demo"
  run other_second 0 load --data-dir "$other" "$demo" --principal someone-else
  [ "$(column other_second recommendation 2)" = "$(column other_first recommendation 2)" ] ||
    fail "another principal's load did not create its own recommendations"
  [ "$(column other_second source 2)" = 0 ] || fail "another principal re-created sources"

  run backup 0 backup --data-dir "$data" --to "$work/copy"
  run verify_copy 0 verify --data-dir "$work/copy"
  run show_copy 0 show --data-dir "$work/copy"
  [ "$(count show_copy recommendations)" = "$(count show1 recommendations)" ] ||
    fail "backup holds a different number of recommendations"
  run backup_again 1 backup --data-dir "$data" --to "$work/copy"
}

test_invalid() {
  run bad 1 load --data-dir "$work/data" "$bad"
  grep -q "recommendations\[0\].sdg_targets\[0\]" "$work/bad.err" ||
    fail "bad load: problem path not reported"
  grep -q "47 problems, nothing was loaded" "$work/bad.err" ||
    fail "bad load: problem count not reported"
  [ ! -e "$work/data" ] || fail "bad load created the data directory"
  run missing 1 load --data-dir "$work/data" "$work/no-such.json"
  grep -q "no-such.json" "$work/missing.err" || fail "missing file not named"
}

test_usage() {
  run none 2
  run unknown 2 frobnicate
  run help 0 --help
  grep -q "load" "$work/help.out" || fail "--help does not list load"
  for command in load show verify backup; do
    run "help_$command" 0 "$command" --help
    grep -q "usage: rectrack-admin $command" "$work/help_$command.out" ||
      fail "$command --help"
  done
  run no_dir 2 show
  grep -q -- "--data-dir" "$work/no_dir.err" || fail "missing --data-dir not named"
  run no_file 2 load --data-dir "$work/data"
  run two_files 2 load --data-dir "$work/data" a.json b.json
  run no_to 2 backup --data-dir "$work/data"
  run bad_option 2 verify --data-dir "$work/data" --frob
  run extra_arg 2 verify --data-dir "$work/data" extra
  run to_for_show 2 show --data-dir "$work/data" --to x
  # Only load creates a data directory; the others refuse a wrong path.
  for command in show verify; do
    run "absent_$command" 1 "$command" --data-dir "$work/absent"
    grep -q "holds no rectrack data directory" "$work/absent_$command.err" ||
      fail "$command on a missing directory"
  done
  run absent_backup 1 backup --data-dir "$work/absent" --to "$work/copy"
  [ ! -e "$work/absent" ] || fail "a command created the data directory"
  [ ! -e "$work/copy" ] || fail "backup of nothing created a copy"
}

test_empty() {
  # A store with nothing in it yet (made by loading an empty file).
  printf '{"format": "rectrack-import/1"}\n' >"$work/empty.json"
  run load 0 load --data-dir "$work/data" "$work/empty.json"
  run show 0 show --data-dir "$work/data"
  [ "$(count show recommendations)" = 0 ] || fail "empty store: recommendations"
  run verify 0 verify --data-dir "$work/data"
}

test_damage() {
  run load 0 load --data-dir "$work/data" "$demo"
  run backup 0 backup --data-dir "$work/data" --to "$work/log"
  run backup2 0 backup --data-dir "$work/data" --to "$work/index"
  "$damage" "$work/log" log 5 || fail "could not damage the log"
  run verify_log 1 verify --data-dir "$work/log"
  grep -q "NOT sound" "$work/verify_log.err" || fail "verify: log damage not reported"
  "$damage" "$work/index" index R999999 || fail "could not damage an index"
  run verify_index 1 verify --data-dir "$work/index"
  grep -q "problem: " "$work/verify_index.err" || fail "verify: index damage not listed"
  run verify_intact 0 verify --data-dir "$work/data"
}

test_upgrade() {
  fixture="$(dirname "$demo")/../tests/fixtures/datadir-v1"
  mkdir "$work/old" && cp "$fixture/data.mdb" "$work/old/" ||
    fail "cannot copy the fixture"
  cp "$work/old/data.mdb" "$work/before.mdb"
  run dry 0 upgrade --data-dir "$work/old" --dry-run
  grep -q "schema version 1 -> 8 (dry run: nothing was changed)" "$work/dry.out" ||
    fail "dry run: no plan"
  grep -q "request ids scoped to the principal" "$work/dry.out" ||
    fail "dry run: the request-id step is not reported"
  grep -q "88 follow-ups and 20 measurements recorded so far count as validated" \
    "$work/dry.out" || fail "dry run: the review-state step is not reported"
  grep -q "R72: status stalled -> implemented: the report of 2024-09-01 is the latest" \
    "$work/dry.out" || fail "dry run: R72's new status is not reported"
  grep -q "R73 carries SDG target 10.99, which is not an SDG target" \
    "$work/dry.out" || fail "dry run: R73's tag outside the lists is not named"
  cmp -s "$work/old/data.mdb" "$work/before.mdb" || fail "dry run changed the data"
  run real 0 upgrade --data-dir "$work/old"
  grep -q "schema version 1 -> 8$" "$work/real.out" || fail "upgrade: not reported"
  tail -n +2 "$work/dry.out" >"$work/dry.lines"
  tail -n +2 "$work/real.out" >"$work/real.lines"
  cmp -s "$work/dry.lines" "$work/real.lines" ||
    fail "the dry run said other things than the upgrade did"
  run again 0 upgrade --data-dir "$work/old"
  grep -q "nothing to upgrade" "$work/again.out" || fail "second upgrade did something"
  run verify 0 verify --data-dir "$work/old"
  grep -q "^notice: R73 carries SDG target 10.99, which is not an SDG target" \
    "$work/verify.out" || fail "verify: R73's tag outside the lists not noted"
  run show 0 show --data-dir "$work/old"
  [ "$(count show recommendations)" = 73 ] || fail "upgrade lost recommendations"
  [ "$(count show follow-ups)" = 88 ] || fail "upgrade lost follow-ups"
  run missing 1 upgrade --data-dir "$work/no-such-dir"
  grep -q "holds no rectrack data" "$work/missing.err" || fail "missing dir not named"

  # A directory of schema 3 (tests/fixtures/datadir-v3): each status the
  # rule changes is named, by the dry run as by the upgrade.
  fixture="$(dirname "$demo")/../tests/fixtures/datadir-v3"
  mkdir "$work/v3" && cp "$fixture/data.mdb" "$work/v3/" ||
    fail "cannot copy the v3 fixture"
  run dry3 0 upgrade --data-dir "$work/v3" --dry-run
  for line in \
    "R69: status stalled -> implemented: the report of 2024-09-01 is the latest" \
    "R70: status not-started -> partially-implemented: the report of 2024-04-01 is the latest" \
    "C16: status partially-implemented -> implemented: the report of 2024-06-01 is the latest"; do
    grep -qF "$line" "$work/dry3.out" || fail "dry run: not said: $line"
  done
  run real3 0 upgrade --data-dir "$work/v3"
  tail -n +2 "$work/dry3.out" >"$work/dry3.lines"
  tail -n +2 "$work/real3.out" >"$work/real3.lines"
  cmp -s "$work/dry3.lines" "$work/real3.lines" ||
    fail "v3: the dry run said other things than the upgrade did"
  run verify3 0 verify --data-dir "$work/v3"
  grep -q "is sound" "$work/verify3.out" || fail "v3: not sound after the upgrade"
  grep -q "^notice: The follow-up of R73 recorded at revision 277 speaks of 2099-01-01" \
    "$work/verify3.out" || fail "v3: the report dated 2099 is not noted"
}

case "$group" in
load) test_load ;;
invalid) test_invalid ;;
usage) test_usage ;;
damage) test_damage ;;
empty) test_empty ;;
upgrade) test_upgrade ;;
*) fail "unknown group '$group'" ;;
esac
echo "ok: admin $group"
