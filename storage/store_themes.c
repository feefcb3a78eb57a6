/*
 * store_themes: the thematic areas the secretariat adds at run time, so
 * that a new dialogue's themes need no release. The compiled themes
 * (common/rt_reference.h, from data/reference.json) come first and are
 * never stored; an added theme is stored under its slug in the themes
 * database, never changed or removed afterwards, and its creation is
 * logged like any change (subject type THEME, the theme as the entry's
 * snapshot), so that the verifier can tie each stored theme to the
 * chained log. Validation of records then accepts both lists
 * (store_validate.c). rt_store_list_themes reads the added ones back.
 */
#include "rt_reference.h"
#include "rt_validate.h"
#include "store_ops.h"

#include <stdlib.h>
#include <string.h>

static int check_theme(store_wctx_t *ctx, const Rectrack__V1__Theme *theme) {
  int rc = rt_validate_slug(store_str(theme->id), "theme.id", ctx->err);
  if (rc == 0)
    rc = rt_validate_text(store_str(theme->title), RT_MAX_SHORT_LEN, true,
                          "theme.title", ctx->err);
  if (rc == 0)
    rc = rt_validate_text(store_str(theme->source_ref), RT_MAX_SHORT_LEN, false,
                          "theme.source_ref", ctx->err);
  if (rc != 0)
    return rc;
  const rt_theme_t *compiled = rt_theme(theme->id);
  if (compiled != NULL)
    return rt_error_set(ctx->err, RT_EEXIST, "theme.id",
                        "theme.id: \"%s\" is a theme of the reference lists "
                        "already (\"%.80s\")",
                        theme->id, compiled->title);
  return 0;
}

int store_op_create_theme(store_wctx_t *ctx) {
  const Rectrack__V1__Theme *input = (const void *)ctx->op->message;
  int rc = check_theme(ctx, input);
  uint64_t revision = 0;
  if (rc == 0)
    rc = store_next_revision(ctx, &revision);
  if (rc != 0)
    return rc;
  Rectrack__V1__Theme theme = *input;
  theme.added = true;
  theme.revision = revision;
  theme.created_ms = ctx->now_ms;
  theme.created_by = (char *)ctx->principal;
  theme.source_ref = (char *)store_str(theme.source_ref);
  Rectrack__V1__ChangeEvent event = RECTRACK__V1__CHANGE_EVENT__INIT;
  event.kind = RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_CREATED;
  event.subject_id = theme.id;
  event.subject_type = RECTRACK__V1__SUBJECT_TYPE__SUBJECT_TYPE_THEME;
  event.theme = &theme;
  rc = store_add_reference_entry(ctx, ctx->store->themes, theme.id, &theme.base,
                                 &event, "writing a theme");
  if (rc == RT_EEXIST)
    return rt_error_set(ctx->err, RT_EEXIST, "theme.id",
                        "theme '%s' already exists", theme.id);
  return rc;
}

void rt_store_themes_free(Rectrack__V1__Theme **themes, size_t count) {
  for (size_t i = 0; themes != NULL && i < count; i++)
    if (themes[i] != NULL)
      protobuf_c_message_free_unpacked(&themes[i]->base, NULL);
  free(themes);
}

int rt_store_list_themes(rt_store_reader_t *reader, Rectrack__V1__Theme ***out,
                         size_t *count, rt_error_t *err) {
  *out = NULL;
  *count = 0;
  const char *reading = "reading themes";
  MDB_stat stat;
  MDB_cursor *cursor = NULL;
  int rc = store_mdb_error(mdb_stat(reader->txn, reader->store->themes, &stat),
                           err, reading);
  if (rc == 0 && stat.ms_entries == 0)
    return 0;
  Rectrack__V1__Theme **themes =
      rc == 0 ? calloc(stat.ms_entries, sizeof *themes) : NULL;
  if (rc == 0 && themes == NULL)
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (rc == 0)
    rc = store_mdb_error(
        mdb_cursor_open(reader->txn, reader->store->themes, &cursor), err,
        reading);
  MDB_val key, data;
  if (rc == 0)
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_FIRST), err,
                         reading);
  size_t n = 0;
  while (rc == 0 && n < stat.ms_entries) {
    themes[n] = rectrack__v1__theme__unpack(NULL, data.mv_size, data.mv_data);
    if (themes[n] == NULL) {
      rc = rt_error_set(err, RT_ECORRUPT, NULL,
                        "storage: a stored theme does not decode");
      break;
    }
    n++;
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_NEXT), err,
                         reading);
  }
  if (cursor != NULL)
    mdb_cursor_close(cursor);
  if (rc == RT_ENOTFOUND)
    rc = 0; /* the end of the database */
  if (rc != 0) {
    rt_store_themes_free(themes, n);
    return rc;
  }
  *out = themes;
  *count = n;
  return 0;
}
