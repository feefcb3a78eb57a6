#!/usr/bin/env bash
# Regenerates the screenshots of the follow-up review (README.md, docs/review.md):
#   docs/review-screenshot.png         the top of the demo review's HTML as a
#                                      browser shows it (1280 px wide)
#   docs/review-screenshot-tables.png  the printed review (A4 landscape, the
#                                      HTML's print CSS) at the page where
#                                      the recommendation tables (with
#                                      SDG targets and GCM objectives) start
# It runs the demo (scripts/demo.sh: builds, starts rectrackd on a fresh data
# directory, loads data/demo.json, records a session, writes review.html),
# then renders the HTML with Debian's headless chromium, offline.
#
# chromium and poppler-utils are installed here if missing (not by
# deploy/install-deps.sh: only these screenshots need them).
# Environment: RT_DEMO_DIR (default: a new temporary directory) receives the
# demo's files and the PDF. RT_REVIEW_HTML=FILE skips the demo and takes
# that review (e.g. one written with another build directory).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

demo_dir=${RT_DEMO_DIR:-$(mktemp -d -t rt-screenshot-XXXXXX)}
if [ -n "${RT_REVIEW_HTML:-}" ]; then
  mkdir -p "$demo_dir"
  html=$(cd "$(dirname "$RT_REVIEW_HTML")" && pwd)/$(basename "$RT_REVIEW_HTML")
else
  RT_DEMO_DIR=$demo_dir ./scripts/demo.sh
  html=$demo_dir/review.html
fi
[ -s "$html" ] || { echo "the demo wrote no $html" >&2; exit 1; }

profile=$(mktemp -d -t rt-chromium-XXXXXX)
trap 'rm -rf "$profile"' EXIT
browse() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$profile" \
    "$@" "file://$html" 2>/dev/null
}

# The top of the report: key figures, status overview, the theme and actor
# charts and the first quantified-target charts (remittance costs).
browse --window-size=1280,2900 --screenshot="$root/docs/review-screenshot.png"

# The printed report, and the page on which the tables begin.
browse --no-pdf-header-footer --print-to-pdf="$demo_dir/review.pdf"
pages=$(pdfinfo "$demo_dir/review.pdf" | awk '/^Pages:/ {print $2}')
page=1
for p in $(seq 1 "$pages"); do
  if pdftotext -f "$p" -l "$p" "$demo_dir/review.pdf" - |
    grep -q "^Theme: "; then
    page=$p
    break
  fi
done
pdftoppm -f "$page" -l "$page" -r 110 -png -singlefile "$demo_dir/review.pdf" \
  "$root/docs/review-screenshot-tables"

ls -l docs/review-screenshot.png docs/review-screenshot-tables.png
echo "Printed review: $demo_dir/review.pdf ($pages pages; tables from page $page)"
