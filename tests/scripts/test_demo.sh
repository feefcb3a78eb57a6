#!/usr/bin/env bash
# Tests of scripts/demo.sh:
#   test_demo.sh DEMO_SH GROUP RECTRACKD RECTRACK
# GROUP dir_safety: RT_DEMO_DIR naming a non-empty directory the demo did
# not make, or a regular file, is refused on stderr with a non-zero exit
# before anything else runs, and the directory or file is left exactly as
# it was (names, sizes, contents, modification times).
# GROUP run: the whole session against RECTRACKD and RECTRACK (through
# RT_DEMO_BIN_DIR, so nothing is installed or built) in a new directory:
# it marks the directory, writes the review, shows values a person reads,
# ends with the restart command; a second run into the same directory
# succeeds and keeps a file the user put there.
set -u

demo=$1
group=$2
rectrackd=$3
rectrack=$4

work=$(mktemp -d "${TMPDIR:-/tmp}/rectrack-demo-test.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.out "$work"/*.err; do
    [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
  done
  exit 1
}

# A listing that changes if anything in the tree is added, removed,
# rewritten or touched.
snapshot() {
  (cd "$1" && find . -printf '%p %y %s %T@\n' | sort &&
    find . -type f -exec sha256sum {} + | sort)
}

# run NAME DIR: runs the demo with RT_DEMO_DIR=DIR, output in NAME.out/.err.
run() {
  RT_DEMO_DIR=$2 RT_DEMO_BIN_DIR=$work/bin "$demo" >"$work/$1.out" \
    2>"$work/$1.err"
}

mkdir -p "$work/bin"
ln -s "$rectrackd" "$work/bin/rectrackd"
ln -s "$rectrack" "$work/bin/rectrack"

case $group in
dir_safety)
  foreign=$work/foreign
  mkdir -p "$foreign/data"
  echo "field notes" >"$foreign/notes.txt"
  echo "not a store" >"$foreign/data/data.mdb"
  snapshot "$foreign" >"$work/before.lst"
  run foreign "$foreign" && fail "a foreign non-empty directory was accepted"
  grep -q "not made by scripts/demo.sh" "$work/foreign.err" ||
    fail "the refusal does not say why"
  snapshot "$foreign" | cmp -s - "$work/before.lst" ||
    fail "the foreign directory was changed"
  [ -s "$work/foreign.out" ] && fail "the demo ran something before refusing"

  echo "a file" >"$work/plain"
  run plain "$work/plain" && fail "a regular file was accepted as RT_DEMO_DIR"
  grep -q "is not a directory" "$work/plain.err" ||
    fail "the refusal of a file does not say why"
  [ "$(cat "$work/plain")" = "a file" ] || fail "the file was changed"
  ;;
run)
  dir=$work/demo
  run first "$dir" || fail "the demo failed"
  [ -f "$dir/.rectrack-demo" ] || fail "no marker in the demo directory"
  [ -s "$dir/review.html" ] || fail "no review.html"
  [ -s "$dir/review.xlsx" ] || fail "no review.xlsx"
  # The joint pledge's parts, in the session and in the review's table.
  grep -Eq "^  [a-z-]+ +partner  " "$work/first.out" ||
    fail "commit show did not list a joint pledge's partners"
  grep -q '^commitment_id,title,pledge_type,' "$dir/review-pledges.csv" ||
    fail "no pledges table in review-pledges.csv"
  grep -q ',partnership,' "$dir/review-pledges.csv" ||
    fail "the review lists no partnership"
  grep -Eq "its public web pages, JSON API and /metrics: http://127\.0\.0\.1:[0-9]+/" \
    "$work/first.out" || fail "the web pages are not on in the demo"
  if command -v curl >/dev/null 2>&1; then
    grep -Eq "^Data as of revision [0-9]+" "$work/first.out" ||
      fail "the overview page did not answer"
    grep -q '^{"id":"C[0-9]*",' "$work/first.out" ||
      fail "the JSON API did not answer"
  fi
  grep -q "Imported data/demo.json: 0 created, 270 already present" \
    "$work/first.out" || fail "the second import created something"
  grep -Eq "^C[0-9]+: [0-9.]+ % of the way from baseline to target" \
    "$work/first.out" || fail "progress is not shown as a percentage"
  grep -Eq '(^|[^0-9])1[0-9]{12}([^0-9]|$)' "$work/first.out" &&
    fail "an instant is shown in milliseconds"
  grep -q "$work/bin/rectrackd --listen 127.0.0.1:50051 --data-dir $dir/data" \
    "$work/first.out" || fail "no restart command at the end"
  grep -q "export RECTRACK_SERVER=" "$work/first.out" ||
    fail "no word on how to point the CLI at the server"

  echo "mine" >"$dir/mine.txt"
  run second "$dir" || fail "a second run into the demo directory failed"
  [ "$(cat "$dir/mine.txt")" = "mine" ] ||
    fail "the second run removed a file the demo did not write"
  ;;
*)
  fail "unknown group $group"
  ;;
esac
echo "ok: demo $group"
