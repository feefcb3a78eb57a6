#!/usr/bin/env bash
# The main job, on an embedded default: installs the dependencies, builds
# rectrack, starts rectrackd on a fresh data directory, imports the demo
# dataset through the CLI and drives a secretariat session before a review
# meeting (overdue items, a follow-up report, a remittance-cost measurement,
# the changes arriving on a watch), then writes the follow-up review as HTML
# and XLSX. It ends by saying how to start the server again on the same data.
#
# rectrackd also serves its public web pages, the JSON read API and
# /metrics (--http-listen) while the demo runs.
#
# Environment:
#   RT_DEMO_DIR    where the data directory, the logs and the review files go
#                  (default ./demo-run). It must be missing, empty, or a
#                  directory an earlier run of this script made (it holds a
#                  .rectrack-demo marker); anything else is refused, so the
#                  script never deletes what it did not create.
#   RT_DEMO_TODAY  the day the session speaks of (default 2026-11-26).
#   RT_DEMO_BIN_DIR  take rectrackd and rectrack from this directory (for
#                  example /usr/local/bin after `cmake --install`) instead of
#                  installing the dependencies and building into build/.
set -euo pipefail

# Resolve RT_DEMO_DIR against the caller's directory, before moving to the
# root of the checkout.
demo_dir=${RT_DEMO_DIR:-}
if [ -n "$demo_dir" ] && [ "${demo_dir#/}" = "$demo_dir" ]; then
  demo_dir=$PWD/$demo_dir
fi
bin_dir=${RT_DEMO_BIN_DIR:-}
if [ -n "$bin_dir" ] && [ "${bin_dir#/}" = "$bin_dir" ]; then
  bin_dir=$PWD/$bin_dir
fi
cd "$(dirname "$0")/.."
root=$(pwd)
demo_dir=${demo_dir:-$root/demo-run}
today=${RT_DEMO_TODAY:-2026-11-26}
marker=.rectrack-demo
# Everything a run writes into the demo directory, and so everything a
# later run may remove from it.
demo_outputs=(data rectrackd.out rectrackd.log watch.out build.log
  review.html review.xlsx review-pledges.csv)

refuse() {
  printf 'demo: %s\n' "$*" >&2
  exit 2
}

step() {
  if [ -t 1 ]; then
    printf '\n\033[1m== %s\033[0m\n' "$*"
  else
    printf '\n== %s\n' "$*"
  fi
}

# ---- the demo directory: missing, empty, or made by an earlier run
if [ -e "$demo_dir" ] && [ ! -d "$demo_dir" ]; then
  refuse "RT_DEMO_DIR=$demo_dir exists and is not a directory; choose another path."
fi
if [ -d "$demo_dir" ] && [ ! -f "$demo_dir/$marker" ] &&
  [ -n "$(ls -A "$demo_dir")" ]; then
  refuse "RT_DEMO_DIR=$demo_dir is not empty and was not made by scripts/demo.sh" \
    "(no $marker file in it); nothing was changed. Choose a new or empty" \
    "directory, e.g. RT_DEMO_DIR=/tmp/rectrack-demo."
fi
mkdir -p "$demo_dir"
for output in "${demo_outputs[@]}"; do
  rm -rf "${demo_dir:?}/$output"
done
printf '%s\n' "Made by rectrack's scripts/demo.sh, which may remove from this" \
  "directory, on its next run, what it wrote here:" "${demo_outputs[*]}" \
  >"$demo_dir/$marker"

# ---- dependencies and build
if [ -n "$bin_dir" ]; then
  rectrackd=$bin_dir/rectrackd
  cli=$bin_dir/rectrack
else
  step "Installing dependencies"
  ./deploy/install-deps.sh
  build_dir=$root/build
  step "Building rectrackd, rectrack and rectrack-admin (Release, in $build_dir)"
  if ! {
    cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release &&
      cmake --build "$build_dir" -j "$(nproc)" \
        --target rectrackd rectrack rectrack-admin
  } >"$demo_dir/build.log" 2>&1; then
    cat "$demo_dir/build.log" >&2
    refuse "the build failed (output above, also in $demo_dir/build.log)."
  fi
  echo "built (compiler output in $demo_dir/build.log)"
  rectrackd=$build_dir/service/rectrackd
  cli=$build_dir/client/rectrack
fi
for binary in "$rectrackd" "$cli"; do
  [ -x "$binary" ] || refuse "$binary is missing or not executable."
done
rectrack() { "$cli" "$@"; }

# The value of a scalar member of the CLI's JSON output, which has one
# member per line ("progress": 0.0333...,).
json_value() {
  sed -n -E -e "s/^ *\"$1\": *\"([^\"]*)\",?\$/\1/p" \
    -e "s/^ *\"$1\": *([^\",]*),?\$/\1/p" | head -n1
}

# ---- the server
step "Starting rectrackd on a fresh data directory"
"$rectrackd" --listen 127.0.0.1:0 --data-dir "$demo_dir/data" \
  --http-listen 127.0.0.1:0 \
  >"$demo_dir/rectrackd.out" 2>"$demo_dir/rectrackd.log" &
server_pid=$!
watch_pid=""
cleanup() {
  if [ -n "$watch_pid" ]; then kill "$watch_pid" 2>/dev/null || true; fi
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}
trap cleanup EXIT
address=""
for _ in $(seq 1 100); do
  address=$(sed -n 's/^rectrackd listening on \([^ ]*\).*/\1/p' \
    "$demo_dir/rectrackd.out" 2>/dev/null | head -n1)
  [ -n "$address" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$address" ]; then
  cat "$demo_dir/rectrackd.log" >&2
  refuse "rectrackd did not start (its log is above)."
fi
web=$(sed -n 's/^rectrackd http listening on \([^ ]*\).*/\1/p' \
  "$demo_dir/rectrackd.out" | head -n1)
export RECTRACK_SERVER=$address RECTRACK_USER=secretariat
echo "rectrackd is listening on $address; data in $demo_dir/data," \
  "log in $demo_dir/rectrackd.log"
echo "its public web pages, JSON API and /metrics: http://$web/"

step "Importing the demo dataset (data/demo.json)"
rectrack import data/demo.json
step "Importing it again: nothing new is created"
rectrack import data/demo.json

step "Server status"
rectrack status

step "Overdue recommendations and commitments as of $today"
rectrack overdue --as-of "$today"

step "Recommendations on migration data (SDG target 17.18), first 8"
rectrack rec list --sdg 17.18 --limit 8

step "Watching the change log from the next revision on"
next_revision=$(($(rectrack --output json status | json_value revision) + 1))
"$cli" watch --from-revision "$next_revision" --count 2 >"$demo_dir/watch.out" &
watch_pid=$!
echo "rectrack watch --from-revision $next_revision --count 2 runs in the background"

# An overdue recommendation nobody has reported on: the secretariat records
# the news brought to the review meeting.
overdue_rec=$(rectrack --output csv rec list --overdue --as-of "$today" \
  --status no-information --limit 1 | awk -F, 'NR == 2 { print $1 }')
step "Recording a follow-up report on overdue $overdue_rec"
report=$(rectrack --output json follow-up "$overdue_rec" --status in-progress \
  --as-of "$today" --reported-by iom \
  --note "Demo session: work plan adopted at the review meeting")
echo "$overdue_rec: $(json_value previous_status <<<"$report") ->" \
  "$(json_value status <<<"$report") as of $(json_value as_of <<<"$report")," \
  "recorded by $(json_value recorded_by <<<"$report") at revision" \
  "$(json_value revision <<<"$report")"
step "History of $overdue_rec"
rectrack history "$overdue_rec"

remittance=$(rectrack --output csv commit list --sdg 10.c \
  --kind quantified-target | awk -F, 'NR == 2 { print $1 }')
step "Recording a remittance-cost measurement on $remittance"
after=$(rectrack --output json measure "$remittance" --value 5.9 \
  --as-of 2026-09-30 --source "Demo figure for the session" \
  --note "Quarterly reading")
unit=$(json_value unit <<<"$after")
awk -v id="$remittance" -v unit="$unit" \
  -v latest="$(json_value latest_value <<<"$after")" \
  -v as_of="$(json_value latest_as_of <<<"$after")" \
  -v baseline="$(json_value baseline_value <<<"$after")" \
  -v baseline_date="$(json_value baseline_date <<<"$after")" \
  -v target="$(json_value target_value <<<"$after")" \
  -v target_date="$(json_value target_date <<<"$after")" \
  -v progress="$(json_value progress <<<"$after")" \
  -v trajectory="$(json_value trajectory <<<"$after")" \
  'BEGIN {
    printf "%s: %g %s as of %s (baseline %g %s on %s, target %g %s by %s)\n",
      id, latest, unit, as_of, baseline, unit, baseline_date, target, unit,
      target_date
    printf "%s: %.1f %% of the way from baseline to target; trajectory %s\n",
      id, progress * 100, trajectory
  }'
step "Measurements of $remittance"
rectrack history "$remittance" --measurements
step "Quantified remittance-cost commitments"
rectrack commit list --sdg 10.c --kind quantified-target

step "The two changes as the watch saw them"
wait "$watch_pid" || true
watch_pid=""
cat "$demo_dir/watch.out"

joint=$(rectrack --output csv commit list --pledge-type partnership |
  awk -F, 'NR == 2 { print $1 }')
step "A joint pledge: the lead's part and each partner's"
rectrack commit show "$joint"

step "Writing the follow-up review of 2026"
rectrack review --from 2026-01-01 --to "$today" --as-of "$today" \
  --format html -o "$demo_dir/review.html"
rectrack review --from 2026-01-01 --to "$today" --as-of "$today" \
  --format csv --table pledges -o "$demo_dir/review-pledges.csv"
rectrack review --from 2026-01-01 --to "$today" --as-of "$today" \
  --format xlsx -o "$demo_dir/review.xlsx"

step "The public web pages and the JSON read API"
echo "Open http://$web/ in a browser while the demo runs; for example:"
echo "  http://$web/recommendations?sdg=10.c&actor=bgd"
echo "  http://$web/commitments/$remittance"
if command -v curl >/dev/null 2>&1; then
  curl -fsS "http://$web/" |
    sed -n -E 's/.*(Data as of revision <strong>[0-9]+<\/strong>).*/\1/p' |
    sed -E 's/<[^>]+>//g'
  echo "curl http://$web/api/v1/commitments/$remittance:"
  curl -fsS "http://$web/api/v1/commitments/$remittance" | head -c 300
  echo " ..."
fi

step "Keep exploring"
cat <<EOF
The demo server stops now; its data stays in $demo_dir/data.
Open $demo_dir/review.html in a browser (or review.xlsx in a spreadsheet).
Start the server again on the demo data:
  $rectrackd --listen 127.0.0.1:50051 --data-dir $demo_dir/data --http-listen 127.0.0.1:8080
then open http://127.0.0.1:8080/ for the public pages and, in another
terminal, point the CLI at it (RECTRACK_SERVER):
  export RECTRACK_SERVER=127.0.0.1:50051
  $cli overdue --as-of $today
  $cli rec list --theme remittances
  $cli --help
EOF
