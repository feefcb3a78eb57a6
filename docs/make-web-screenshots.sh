#!/usr/bin/env bash
# Regenerates the screenshots of the public web pages (README.md,
# docs/web.md):
#   docs/web-overview.png        the overview page of the demo data set
#   docs/web-recommendation.png  the page of recommendation R12
# It starts rectrackd with --http-listen on a fresh data directory,
# imports data/demo.json and renders the pages with Debian's headless
# chromium (deploy/install-deps.sh installs it).
# Environment: RT_BUILD_DIR takes rectrackd and rectrack from that build
# tree (default: a Release build into build/, as scripts/demo.sh makes).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

build_dir=${RT_BUILD_DIR:-$root/build}
if [ -z "${RT_BUILD_DIR:-}" ]; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build_dir" -j "$(nproc)" --target rectrackd rectrack \
    >/dev/null
fi

work=$(mktemp -d -t rt-web-screenshot-XXXXXX)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
"$build_dir/service/rectrackd" --listen 127.0.0.1:0 --data-dir "$work/data" \
  --http-listen 127.0.0.1:0 >"$work/out" 2>"$work/log" &
server_pid=$!
address= web=
for _ in $(seq 1 100); do
  address=$(sed -n 's/^rectrackd listening on //p' "$work/out")
  [ -n "$address" ] && break
  sleep 0.1
done
web=$(sed -n 's/^rectrackd http listening on //p' "$work/out")
[ -n "$address" ] && [ -n "$web" ] || {
  cat "$work/log" >&2
  exit 1
}
RECTRACK_CONFIG=/dev/null "$build_dir/client/rectrack" --server "$address" \
  import data/demo.json

shoot() { # PATH SIZE FILE
  chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update \
    --disable-sync --hide-scrollbars --user-data-dir="$work/profile" \
    --window-size="$2" --screenshot="$root/docs/$3" "http://$web$1" \
    2>/dev/null
}
shoot / 1280,1500 web-overview.png
shoot /recommendations/R12 1280,1500 web-recommendation.png
ls -l docs/web-overview.png docs/web-recommendation.png
