#!/bin/bash
# Tests of rt_reference_gen, the build step that compiles
# data/reference.json into C tables:
#   test_reference_gen.sh GENERATOR REFERENCE_JSON
# The real file compiles; files that break a rule are refused with a
# message naming the JSON path, and leave no output behind.
set -u
gen=$1
reference=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/rt-reference-gen.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# The real list compiles and holds every table.
if "$gen" "$reference" "$work/real.c" 2>"$work/real.err"; then
  for symbol in rt_reference_targets rt_reference_goals \
    rt_reference_objectives rt_reference_themes; do
    grep -q "^const .* $symbol\[\] = {" "$work/real.c" ||
      fail "real: no table $symbol"
  done
  grep -q "rt_reference_target_count = 169;" "$work/real.c" ||
    fail "real: not 169 targets"
else
  fail "real: refused: $(cat "$work/real.err")"
fi

# write_case NAME TARGETS GOAL THEMES [FORMAT] [EXTRA]: a one-goal file.
write_case() {
  cat >"$work/$1.json" <<JSON
{"format": "${5:-rectrack-reference/2}", ${6:-}
 "sdg_goals": [{"goal": $3, "short_title": "No poverty",
   "title": "End poverty", "targets": [$2]}],
 "gcm_objectives": [{"number": 1, "title": "Collect data"}],
 "themes": [$4]}
JSON
}
t() { echo "{\"target\": \"$1\", \"label\": \"A label\"}"; }
theme='{"id": "data", "title": "Data", "source_ref": "001 §4"}'

# expect_refused NAME FRAGMENT: the generator exits 1, says FRAGMENT and
# writes nothing.
expect_refused() {
  if "$gen" "$work/$1.json" "$work/$1.c" 2>"$work/$1.err"; then
    fail "$1: accepted"
  elif ! grep -qF -- "$2" "$work/$1.err"; then
    fail "$1: message lacks '$2': $(cat "$work/$1.err")"
  fi
  [ -e "$work/$1.c" ] && fail "$1: wrote an output file"
  [ -e "$work/$1.c.tmp" ] && fail "$1: left a temporary file"
}

write_case good "$(t 1.1), $(t 1.2), $(t 1.a)" 1 "$theme"
"$gen" "$work/good.json" "$work/good.c" 2>"$work/good.err" ||
  fail "good: refused: $(cat "$work/good.err")"

write_case gap "$(t 1.1), $(t 1.3)" 1 "$theme"
expect_refused gap 'sdg_goals[0].targets[1]: target "1.3" is out of order: expected "1.2" or "1.a"'

write_case number_after_letter "$(t 1.1), $(t 1.a), $(t 1.2)" 1 "$theme"
expect_refused number_after_letter 'target "1.2" is out of order: expected "1.b"'

write_case letter_first "$(t 1.a)" 1 "$theme"
expect_refused letter_first 'target "1.a" is out of order: expected "1.1"'

write_case other_goal "$(t 2.1)" 1 "$theme"
expect_refused other_goal 'expected "1.1"'

write_case goal_number "$(t 2.1)" 2 "$theme"
expect_refused goal_number 'sdg_goals[0]: "goal" must be 1'

write_case unknown_member "$(t 1.1)" 1 "$theme" "" '"colour": "blue",'
expect_refused unknown_member 'unknown member "colour"'

write_case format "$(t 1.1)" 1 "$theme" "rectrack-reference/1"
expect_refused format 'format: must be "rectrack-reference/2"'

write_case duplicate_theme "$(t 1.1)" 1 "$theme, $theme"
expect_refused duplicate_theme 'themes[1]: id "data" is already used by themes[0]'

write_case theme_not_slug "$(t 1.1)" 1 \
  '{"id": "Data Sets", "title": "Data", "source_ref": "001"}'
expect_refused theme_not_slug 'id "Data Sets" is not a slug'

write_case empty_label '{"target": "1.1", "label": ""}' 1 "$theme"
expect_refused empty_label '"label" must be a string of 1..300 bytes'

echo '{"format": ' >"$work/not_json.json"
expect_refused not_json "not_json.json:"

[ "$failures" -eq 0 ] || exit 1
echo "ok: rt_reference_gen"
