/*
 * rt_dataset_themes: the one check of an import that needs what the
 * writer holds already. A theme (or dimension key) is created under its
 * own id, so an import run again, or a file carrying one the secretariat
 * added by hand on the receiving side, meets an entry of that id: the
 * same content means it is there already, a different one is a problem
 * the person importing must settle before anything is written, since the
 * records tagged with it would otherwise silently take the other title
 * (or measurements another value rule).
 */
#include "dataset_internal.h"
#include "rt_validate.h"

#include <stdio.h>
#include <string.h>

static const char *text_of(const char *s) { return s ? s : ""; }

static const Rectrack__V1__Theme *
find_theme(Rectrack__V1__Theme *const *existing, size_t n, const char *id) {
  for (size_t i = 0; i < n; i++)
    if (existing[i] != NULL && strcmp(text_of(existing[i]->id), id) == 0)
      return existing[i];
  return NULL;
}

/* Reports field of the item at path when wanted and held differ; what
 * names the kind of entry ("theme"). */
static void compare_field(parser_t *p, const char *path, const char *what,
                          const char *id, const char *name, const char *wanted,
                          const char *held) {
  if (strcmp(wanted, held) == 0)
    return;
  char field[DATASET_PATH_LEN], quoted_wanted[RT_EXCERPT_SIZE],
      quoted_held[RT_EXCERPT_SIZE];
  bool line = strncmp(path, "line ", 5) == 0;
  snprintf(field, sizeof field, "%s%s%s", path, line ? ": " : ".", name);
  dataset_add_problem(p, field,
                      "%s \"%s\" exists already with the %s \"%s\", not "
                      "\"%s\"; change the file or the %s so that they "
                      "agree",
                      what, id, name, rt_quote_excerpt(held, quoted_held),
                      rt_quote_excerpt(wanted, quoted_wanted), what);
}

int rt_dataset_check_existing_themes(const rt_dataset_t *dataset,
                                     Rectrack__V1__Theme *const *existing,
                                     size_t n, rt_dataset_errors_t *errors,
                                     rt_error_t *err) {
  parser_t p = {.errors = errors};
  size_t before = errors->count;
  for (size_t i = 0; dataset != NULL && i < dataset->len && !p.oom; i++) {
    const rt_dataset_item_t *item = &dataset->items[i];
    if (item->kind != RT_DATASET_THEME)
      continue;
    const Rectrack__V1__Theme *wanted = item->request.theme->theme;
    const Rectrack__V1__Theme *held = find_theme(existing, n, wanted->id);
    if (held == NULL)
      continue;
    compare_field(&p, item->path, "theme", wanted->id, "title",
                  text_of(wanted->title), text_of(held->title));
    compare_field(&p, item->path, "theme", wanted->id, "source_ref",
                  text_of(wanted->source_ref), text_of(held->source_ref));
  }
  if (p.oom)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  size_t found = errors->count - before;
  if (found > 0)
    return rt_error_set(
        err, RT_EINVAL, NULL,
        "%zu problem%s with themes held already, first: %s", found,
        found == 1 ? "" : "s",
        before < errors->problems_len ? errors->problems[before].message : "");
  return 0;
}

/* "a, b, c": a list's values as one text, for comparing and naming. */
static void join_values(char *const *values, size_t n, char *out,
                        size_t out_len) {
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < n && used + 1 < out_len; i++) {
    int len = snprintf(out + used, out_len - used, "%s%s", i ? ", " : "",
                       text_of(values[i]));
    if (len < 0)
      break;
    used += (size_t)len < out_len - used ? (size_t)len : out_len - used - 1;
  }
}

int rt_dataset_check_existing_dimension_keys(
    const rt_dataset_t *dataset, Rectrack__V1__DimensionKey *const *existing,
    size_t n, rt_dataset_errors_t *errors, rt_error_t *err) {
  parser_t p = {.errors = errors};
  size_t before = errors->count;
  for (size_t i = 0; dataset != NULL && i < dataset->len && !p.oom; i++) {
    const rt_dataset_item_t *item = &dataset->items[i];
    if (item->kind != RT_DATASET_DIMENSION_KEY)
      continue;
    const Rectrack__V1__DimensionKey *wanted =
        item->request.dimension_key->dimension_key;
    const Rectrack__V1__DimensionKey *held = NULL;
    for (size_t k = 0; k < n && held == NULL; k++)
      if (existing[k] != NULL &&
          strcmp(text_of(existing[k]->key), text_of(wanted->key)) == 0)
        held = existing[k];
    if (held == NULL)
      continue;
    const char *what = "dimension key", *key = text_of(wanted->key);
    compare_field(&p, item->path, what, key, "title", text_of(wanted->title),
                  text_of(held->title));
    compare_field(&p, item->path, what, key, "value_rule",
                  text_of(wanted->value_rule), text_of(held->value_rule));
    char wanted_values[512], held_values[512];
    join_values(wanted->values, wanted->n_values, wanted_values,
                sizeof wanted_values);
    join_values(held->values, held->n_values, held_values, sizeof held_values);
    compare_field(&p, item->path, what, key, "values", wanted_values,
                  held_values);
    compare_field(&p, item->path, what, key, "source_ref",
                  text_of(wanted->source_ref), text_of(held->source_ref));
  }
  if (p.oom)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  size_t found = errors->count - before;
  if (found > 0)
    return rt_error_set(
        err, RT_EINVAL, NULL,
        "%zu problem%s with dimension keys held already, first: %s", found,
        found == 1 ? "" : "s",
        before < errors->problems_len ? errors->problems[before].message : "");
  return 0;
}
