/*
 * store_dimensions: the dimension keys the secretariat adds at run time,
 * and the checks of a measurement's dimensions against every key known.
 * As for themes (store_themes.c): the compiled keys (common/rt_dimensions.h,
 * from data/reference.json) come first and are never stored; an added key
 * is stored under its name in the dimension_keys database, never changed
 * or removed afterwards, and its creation is logged (subject type
 * DIMENSION_KEY, the key as the entry's snapshot) so that the verifier
 * can tie each stored key to the chained log.
 */
#include "rt_dimensions.h"
#include "rt_validate.h"
#include "store_ops.h"
#include "store_series.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_key(store_wctx_t *ctx, const Rectrack__V1__DimensionKey *k) {
  int rc = rt_dimension_check_key_name(store_str(k->key), "dimension_key.key",
                                       ctx->err);
  if (rc == 0)
    rc = rt_validate_text(store_str(k->title), RT_MAX_SHORT_LEN, true,
                          "dimension_key.title", ctx->err);
  if (rc == 0)
    rc = rt_validate_text(store_str(k->source_ref), RT_MAX_SHORT_LEN, false,
                          "dimension_key.source_ref", ctx->err);
  if (rc == 0)
    rc = rt_dimension_check_rule(store_str(k->value_rule),
                                 (const char *const *)k->values, k->n_values,
                                 "dimension_key", ctx->err);
  if (rc != 0)
    return rc;
  const rt_dimension_key_t *compiled = rt_dimension_key(k->key);
  if (compiled != NULL)
    return rt_error_set(ctx->err, RT_EEXIST, "dimension_key.key",
                        "dimension_key.key: \"%s\" is a dimension key of the "
                        "reference lists already (\"%.80s\")",
                        k->key, compiled->title);
  return 0;
}

int store_op_create_dimension_key(store_wctx_t *ctx) {
  const Rectrack__V1__DimensionKey *input = (const void *)ctx->op->message;
  int rc = check_key(ctx, input);
  uint64_t revision = 0;
  if (rc == 0)
    rc = store_next_revision(ctx, &revision);
  if (rc != 0)
    return rc;
  Rectrack__V1__DimensionKey k = *input;
  k.added = true;
  k.revision = revision;
  k.created_ms = ctx->now_ms;
  k.created_by = (char *)ctx->principal;
  k.source_ref = (char *)store_str(k.source_ref);
  Rectrack__V1__ChangeEvent event = RECTRACK__V1__CHANGE_EVENT__INIT;
  event.kind = RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_CREATED;
  event.subject_id = k.key;
  event.subject_type = RECTRACK__V1__SUBJECT_TYPE__SUBJECT_TYPE_DIMENSION_KEY;
  event.dimension_key = &k;
  rc = store_add_reference_entry(ctx, ctx->store->dim_keys, k.key, &k.base,
                                 &event, "writing a dimension key");
  if (rc == RT_EEXIST)
    return rt_error_set(ctx->err, RT_EEXIST, "dimension_key.key",
                        "dimension_key.key: \"%s\" already exists", k.key);
  return rc;
}

/* The key named name as an rt_dimension_key_t: the compiled one, or a
 * view of the added one (unpacked into arena); *out NULL when neither. */
static int find_key(MDB_txn *txn, rt_store_t *store, store_arena_t *arena,
                    const char *name, rt_dimension_key_t *view,
                    const rt_dimension_key_t **out, rt_error_t *err) {
  *out = rt_dimension_key(name);
  size_t len = strlen(store_str(name));
  if (*out != NULL || len == 0 || len > RT_DIMENSION_KEY_MAX)
    return 0;
  MDB_val key = {len, (void *)name}, data;
  int rc = store_mdb_error(mdb_get(txn, store->dim_keys, &key, &data), err,
                           "looking a dimension key up");
  if (rc == RT_ENOTFOUND)
    return 0;
  ProtobufCMessage *unpacked = NULL;
  if (rc == 0)
    rc = store_unpack(arena, &rectrack__v1__dimension_key__descriptor,
                      data.mv_data, data.mv_size, &unpacked, err);
  if (rc != 0)
    return rc;
  const Rectrack__V1__DimensionKey *k = (const void *)unpacked;
  view->key = store_str(k->key);
  view->title = store_str(k->title);
  view->value_rule = store_str(k->value_rule);
  view->source_ref = store_str(k->source_ref);
  view->values = (const char *const *)k->values;
  view->value_count = k->n_values;
  *out = view;
  return 0;
}

static int compare_dimensions(const void *a, const void *b) {
  const Rectrack__V1__Dimension *x = *(Rectrack__V1__Dimension *const *)a;
  const Rectrack__V1__Dimension *y = *(Rectrack__V1__Dimension *const *)b;
  return strcmp(store_str(x->key), store_str(y->key));
}

int store_dimensions_known_keys(MDB_txn *txn, rt_store_t *store,
                                store_arena_t *arena,
                                Rectrack__V1__Dimension **dims, size_t n,
                                bool check_values, const char *list,
                                rt_error_t *err) {
  if (n > RT_DIMENSION_MAX_PER_MEASUREMENT)
    return rt_error_set(err, RT_EINVAL, list,
                        "%s: %zu dimensions; at most %d, one per key", list, n,
                        RT_DIMENSION_MAX_PER_MEASUREMENT);
  for (size_t i = 0; i < n; i++) {
    char field[48];
    snprintf(field, sizeof field, "%s[%zu]", list, i);
    const char *name = store_str(dims[i]->key);
    int rc = rt_dimension_check_key_name(name, field, err);
    rt_dimension_key_t view;
    const rt_dimension_key_t *key = NULL;
    if (rc == 0)
      rc = find_key(txn, store, arena, name, &view, &key, err);
    if (rc == 0 && key == NULL)
      rc = rt_error_set(err, RT_EINVAL, field,
                        "%s: \"%s\" is not a dimension key (rectrack ref "
                        "dimensions lists them; the secretariat adds one "
                        "with rectrack ref dimension add)",
                        field, name);
    if (rc == 0 && check_values)
      rc = rt_dimension_check_value(key, store_str(dims[i]->value), field, err);
    for (size_t j = 0; rc == 0 && j < i; j++)
      if (strcmp(name, store_str(dims[j]->key)) == 0)
        rc = rt_error_set(err, RT_EINVAL, field,
                          "%s: key \"%s\" is given twice; a measurement has "
                          "at most one value per key",
                          field, name);
    if (rc != 0)
      return rc;
  }
  return 0;
}

int store_dimensions_check(store_wctx_t *ctx, Rectrack__V1__Measurement *m) {
  if (m->n_dimensions == 0)
    return 0;
  int rc = store_dimensions_known_keys(ctx->txn, ctx->store, ctx->arena,
                                       m->dimensions, m->n_dimensions, true,
                                       "measurement.dimensions", ctx->err);
  if (rc != 0)
    return rc;
  Rectrack__V1__Dimension **sorted = store_arena_memdup(
      ctx->arena, m->dimensions, m->n_dimensions * sizeof *m->dimensions);
  if (sorted == NULL)
    return rt_error_set(ctx->err, RT_ENOMEM, NULL, "out of memory");
  qsort(sorted, m->n_dimensions, sizeof *sorted, compare_dimensions);
  m->dimensions = sorted;
  return 0;
}

void rt_store_dimension_keys_free(Rectrack__V1__DimensionKey **keys,
                                  size_t count) {
  for (size_t i = 0; keys != NULL && i < count; i++)
    if (keys[i] != NULL)
      protobuf_c_message_free_unpacked(&keys[i]->base, NULL);
  free(keys);
}

int rt_store_list_dimension_keys(rt_store_reader_t *reader,
                                 Rectrack__V1__DimensionKey ***out,
                                 size_t *count, rt_error_t *err) {
  *out = NULL;
  *count = 0;
  const char *reading = "reading dimension keys";
  MDB_stat stat;
  MDB_cursor *cursor = NULL;
  int rc = store_mdb_error(
      mdb_stat(reader->txn, reader->store->dim_keys, &stat), err, reading);
  if (rc == 0 && stat.ms_entries == 0)
    return 0;
  Rectrack__V1__DimensionKey **keys =
      rc == 0 ? calloc(stat.ms_entries, sizeof *keys) : NULL;
  if (rc == 0 && keys == NULL)
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (rc == 0)
    rc = store_mdb_error(
        mdb_cursor_open(reader->txn, reader->store->dim_keys, &cursor), err,
        reading);
  MDB_val key, data;
  if (rc == 0)
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_FIRST), err,
                         reading);
  size_t n = 0;
  while (rc == 0 && n < stat.ms_entries) {
    keys[n] =
        rectrack__v1__dimension_key__unpack(NULL, data.mv_size, data.mv_data);
    if (keys[n] == NULL) {
      rc = rt_error_set(err, RT_ECORRUPT, NULL,
                        "storage: a stored dimension key does not decode");
      break;
    }
    n++;
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_NEXT), err,
                         reading);
  }
  if (cursor != NULL)
    mdb_cursor_close(cursor);
  if (rc == RT_ENOTFOUND)
    rc = 0;
  if (rc != 0) {
    rt_store_dimension_keys_free(keys, n);
    return rc;
  }
  *out = keys;
  *count = n;
  return 0;
}
