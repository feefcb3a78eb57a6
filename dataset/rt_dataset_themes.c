/*
 * rt_dataset_themes: the one check of an import that needs what the
 * writer holds already. A theme is created under its own id, so an import
 * run again, or a file carrying a theme the secretariat added by hand on
 * the receiving side, meets a theme of that id: the same content means it
 * is there already, a different one is a problem the person importing
 * must settle before anything is written, since the records tagged with
 * it would otherwise silently take the other title.
 */
#include "dataset_internal.h"
#include "rt_validate.h"

#include <string.h>

static const char *text_of(const char *s) { return s ? s : ""; }

static const Rectrack__V1__Theme *
find_theme(Rectrack__V1__Theme *const *existing, size_t n, const char *id) {
  for (size_t i = 0; i < n; i++)
    if (existing[i] != NULL && strcmp(text_of(existing[i]->id), id) == 0)
      return existing[i];
  return NULL;
}

/* Reports field of the item at path when wanted and held differ. */
static void compare_field(parser_t *p, const char *path, const char *id,
                          const char *name, const char *wanted,
                          const char *held) {
  if (strcmp(wanted, held) == 0)
    return;
  char field[DATASET_PATH_LEN], quoted_wanted[RT_EXCERPT_SIZE],
      quoted_held[RT_EXCERPT_SIZE];
  bool line = strncmp(path, "line ", 5) == 0;
  snprintf(field, sizeof field, "%s%s%s", path, line ? ": " : ".", name);
  dataset_add_problem(p, field,
                      "theme \"%s\" exists already with the %s \"%s\", not "
                      "\"%s\"; change the file or the theme so that they "
                      "agree",
                      id, name, rt_quote_excerpt(held, quoted_held),
                      rt_quote_excerpt(wanted, quoted_wanted));
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
    compare_field(&p, item->path, wanted->id, "title", text_of(wanted->title),
                  text_of(held->title));
    compare_field(&p, item->path, wanted->id, "source_ref",
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
