/*
 * rt_reference: lookups in the reference tables rt_reference_gen compiled
 * from data/reference.json, and the short lists of valid values an error
 * message offers instead of a bad one.
 *
 * The tables are small (17 goals, 169 targets, 23 objectives, a few dozen
 * themes at most), so a target is found by going to its goal's slice and
 * comparing codes, a theme by a linear scan: nothing to sort or index,
 * and nothing that could disagree with the file's order, which is the
 * order lists are shown in.
 */
#include "rt_reference.h"
#include "rt_reference_tables.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- SDGs ------------------------------------------------------------ */

size_t rt_sdg_goal_count(void) { return rt_reference_goal_count; }

const rt_sdg_goal_t *rt_sdg_goal(int number) {
  if (number < 1 || (size_t)number > rt_reference_goal_count)
    return NULL;
  return &rt_reference_goals[number - 1];
}

const rt_sdg_goal_t *rt_sdg_goal_of(const char *code) {
  if (code == NULL || code[0] < '1' || code[0] > '9')
    return NULL; /* no leading zero: "01.1" names no goal */
  int number = code[0] - '0';
  size_t used = 1;
  if (code[1] >= '0' && code[1] <= '9') {
    number = number * 10 + (code[1] - '0');
    used = 2;
  }
  if (code[used] != '.')
    return NULL;
  return rt_sdg_goal(number);
}

size_t rt_sdg_target_count(void) { return rt_reference_target_count; }

const rt_sdg_target_t *rt_sdg_target_at(size_t index) {
  return index < rt_reference_target_count ? &rt_reference_targets[index]
                                           : NULL;
}

const rt_sdg_target_t *rt_sdg_target(const char *code) {
  const rt_sdg_goal_t *goal = rt_sdg_goal_of(code);
  for (size_t i = 0; goal != NULL && i < goal->target_count; i++)
    if (strcmp(goal->targets[i].code, code) == 0)
      return &goal->targets[i];
  return NULL;
}

/* Appends item to the list in out (used bytes of size taken), after
 * ", " unless it is the first; false when it does not fit, leaving out
 * as it was. */
static bool append_item(char *out, size_t size, size_t *used,
                        const char *item) {
  size_t separator = *used > 0 ? 2 : 0, len = strlen(item);
  if (*used + separator + len + 1 > size)
    return false;
  memcpy(out + *used, ", ", separator);
  memcpy(out + *used + separator, item, len + 1);
  *used += separator + len;
  return true;
}

/* Ends a list that does not fit in out: drops whole items from its end
 * (used bytes long) until ", ..." fits after the last one kept. */
static void mark_cut(char *out, size_t size, size_t used) {
  static const char more[] = ", ...";
  while (used > 0 && used + sizeof more > size) {
    size_t i = used - 1;
    while (i > 0 && !(out[i - 1] == ',' && out[i] == ' '))
      i--;
    used = i > 0 ? i - 1 : 0;
  }
  if (used > 0)
    memcpy(out + used, more, sizeof more);
  else if (size >= sizeof more - 2)
    memcpy(out, more + 2, sizeof more - 2);
  else
    out[0] = '\0';
}

static bool is_lettered(const rt_sdg_target_t *target) {
  const char *dot = strchr(target->code, '.');
  return dot != NULL && dot[1] >= 'a' && dot[1] <= 'z';
}

const char *rt_sdg_goal_targets_text(const rt_sdg_goal_t *goal, char *out,
                                     size_t size) {
  if (size == 0)
    return out;
  out[0] = '\0';
  size_t used = 0, numbered = 0;
  while (numbered < goal->target_count &&
         !is_lettered(&goal->targets[numbered]))
    numbered++;
  char range[64];
  if (numbered == 1)
    snprintf(range, sizeof range, "%s", goal->targets[0].code);
  else if (numbered > 1)
    snprintf(range, sizeof range, "%s ... %s", goal->targets[0].code,
             goal->targets[numbered - 1].code);
  bool fits = numbered == 0 || append_item(out, size, &used, range);
  for (size_t i = numbered; fits && i < goal->target_count; i++)
    fits = append_item(out, size, &used, goal->targets[i].code);
  if (!fits)
    mark_cut(out, size, used);
  return out;
}

/* ---- GCM objectives -------------------------------------------------- */

size_t rt_gcm_objective_count(void) { return rt_reference_objective_count; }

const rt_gcm_objective_t *rt_gcm_objective(int number) {
  if (number < 1 || (size_t)number > rt_reference_objective_count)
    return NULL;
  return &rt_reference_objectives[number - 1];
}

/* ---- themes ---------------------------------------------------------- */

size_t rt_theme_count(void) { return rt_reference_theme_count; }

const rt_theme_t *rt_theme_at(size_t index) {
  return index < rt_reference_theme_count ? &rt_reference_themes[index] : NULL;
}

const rt_theme_t *rt_theme(const char *id) {
  for (size_t i = 0; id != NULL && i < rt_reference_theme_count; i++)
    if (strcmp(rt_reference_themes[i].id, id) == 0)
      return &rt_reference_themes[i];
  return NULL;
}

/* Longest word the suggestion looks at: theme ids are slugs of at most 64
 * characters, so anything longer is not a misspelt one. */
#define NEAREST_MAX 64

static char fold(char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

/* Levenshtein distance of a and b (both at most NEAREST_MAX bytes), ASCII
 * case ignored, with one row of the table at a time. */
static size_t edit_distance(const char *a, size_t a_len, const char *b,
                            size_t b_len) {
  size_t row[NEAREST_MAX + 1];
  for (size_t j = 0; j <= b_len; j++)
    row[j] = j;
  for (size_t i = 1; i <= a_len; i++) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b_len; j++) {
      size_t above = row[j];
      size_t cost = fold(a[i - 1]) == fold(b[j - 1]) ? 0 : 1;
      size_t best = diagonal + cost;
      if (above + 1 < best)
        best = above + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diagonal = above;
    }
  }
  return row[b_len];
}

const char *rt_theme_nearest(const char *value, const char *const *added,
                             size_t added_count) {
  size_t len = value ? strlen(value) : 0;
  if (len == 0 || len > NEAREST_MAX)
    return NULL;
  const char *best = NULL;
  size_t best_distance = 0;
  size_t total = rt_reference_theme_count + added_count;
  for (size_t i = 0; i < total; i++) {
    const char *id = i < rt_reference_theme_count
                         ? rt_reference_themes[i].id
                         : added[i - rt_reference_theme_count];
    size_t id_len = id ? strlen(id) : 0;
    if (id_len == 0 || id_len > NEAREST_MAX)
      continue;
    size_t distance = edit_distance(value, len, id, id_len);
    size_t longer = len > id_len ? len : id_len;
    if (distance <= 2 && distance * 3 < longer &&
        (best == NULL || distance < best_distance)) {
      best = id;
      best_distance = distance;
    }
  }
  return best;
}

const char *rt_theme_ids_text(const char *const *added, size_t added_count,
                              char *out, size_t size) {
  if (size == 0)
    return out;
  out[0] = '\0';
  size_t used = 0;
  size_t total = rt_reference_theme_count + added_count;
  for (size_t i = 0; i < total; i++) {
    const char *id = i < rt_reference_theme_count
                         ? rt_reference_themes[i].id
                         : added[i - rt_reference_theme_count];
    if (id != NULL && !append_item(out, size, &used, id)) {
      mark_cut(out, size, used);
      break;
    }
  }
  return out;
}
