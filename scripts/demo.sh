#!/usr/bin/env bash
# The main job: installs dependencies, builds rectrack, starts rectrackd on a
# fresh data directory, loads the demo dataset through the CLI and drives a
# secretariat session (overdue items, follow-ups, a remittance-cost
# measurement, a history, a change arriving on a watch), then writes the
# follow-up review as HTML and XLSX.
#
# Environment: RT_DEMO_DIR (default ./demo-run) receives the data directory,
# the server log and the review files. RT_DEMO_TODAY (default 2026-11-26)
# is the "today" the session speaks of.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
demo_dir=${RT_DEMO_DIR:-$root/demo-run}
today=${RT_DEMO_TODAY:-2026-11-26}
build_dir=$root/build

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Installing dependencies"
./deploy/install-deps.sh

step "Building (Release)"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target rectrackd rectrack rectrack-admin

rm -rf "$demo_dir"
mkdir -p "$demo_dir"
rectrackd=$build_dir/service/rectrackd
rectrack() { "$build_dir/client/rectrack" "$@"; }

step "Starting rectrackd on a fresh data directory"
"$rectrackd" --listen 127.0.0.1:0 --data-dir "$demo_dir/data" \
  >"$demo_dir/rectrackd.out" 2>"$demo_dir/rectrackd.log" &
server_pid=$!
watch_pid=""
cleanup() {
  [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null || true
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  grep -q 'listening on' "$demo_dir/rectrackd.out" 2>/dev/null && break
  sleep 0.1
done
address=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$demo_dir/rectrackd.out" | head -n1)
[ -n "$address" ] || { echo "rectrackd did not start:"; cat "$demo_dir/rectrackd.log"; exit 1; }
export RECTRACK_SERVER=$address RECTRACK_USER=secretariat
echo "rectrackd listening on $address (log: $demo_dir/rectrackd.log)"
rectrack status

step "Importing the demo dataset (data/demo.json)"
rectrack import data/demo.json
step "Importing it again: nothing new is created"
rectrack import data/demo.json

step "Overdue recommendations and commitments as of $today"
rectrack overdue --as-of "$today"

step "Recommendations on migration data (SDG 17.18)"
rectrack rec list --sdg 17.18 --limit 8

step "Watching for changes from the next revision on"
next_revision=$(( $(rectrack --output json status | sed -n 's/.*"revision": *\([0-9]*\).*/\1/p' | head -n1) + 1 ))
rectrack watch --from-revision "$next_revision" --count 2 >"$demo_dir/watch.out" &
watch_pid=$!

# An overdue recommendation nobody has reported on yet: the secretariat
# records the news brought to the review meeting.
overdue_rec=$(rectrack --output csv rec list --overdue --as-of "$today" \
  --status no-information --limit 1 | awk -F, 'NR==2 {print $1}')
step "Recording a follow-up on overdue $overdue_rec"
rectrack follow-up "$overdue_rec" --status in-progress --as-of "$today" \
  --reported-by iom --note "Demo session: work plan adopted at the review meeting"

remittance=$(rectrack --output csv commit list --sdg 10.c --kind quantified-target | awk -F, 'NR==2 {print $1}')
step "Recording a remittance-cost measurement on $remittance"
rectrack measure "$remittance" --value 5.9 --as-of 2026-09-30 \
  --source "Demo figure for the session" --note "Quarterly reading"

step "History of $overdue_rec"
rectrack history "$overdue_rec"
step "Commitment $remittance after the measurement"
rectrack commit show "$remittance"

step "The changes as the watch saw them"
wait "$watch_pid" || true
watch_pid=""
cat "$demo_dir/watch.out"

step "Writing the follow-up review"
rectrack review --from 2026-01-01 --to "$today" --as-of "$today" --format html -o "$demo_dir/review.html"
rectrack review --from 2026-01-01 --to "$today" --as-of "$today" --format xlsx -o "$demo_dir/review.xlsx"

step "Done"
echo "Review (HTML): $demo_dir/review.html"
echo "Review (XLSX): $demo_dir/review.xlsx"
echo "Data directory: $demo_dir/data   Server log: $demo_dir/rectrackd.log"
