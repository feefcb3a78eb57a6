/*
 * store_write: the primitives an operation is made of, inside the op's
 * child transaction: fetch a record, put a record with its index entries,
 * put a history entry and set the op's reply (revisions and the log are
 * store_log.c's). A record's index entries move with it: a put
 * writes only the index keys that differ from the record as it was, since
 * a follow-up changes one index key (status) of a record that may sit
 * under a dozen large keys, and every untouched key saves dirty pages.
 * See store_write.h for the contract of each function.
 */
#include "store_write.h"
#include "store_words.h"

#include <stdlib.h>
#include <string.h>

int store_fetch_record(store_wctx_t *ctx, rt_entity_t entity, const char *id,
                       const char *field, ProtobufCMessage **out,
                       store_key_t *pk) {
  const char *name = store_entity_name(entity);
  *out = NULL;
  if (store_primary_key(entity, id, pk, NULL) != 0)
    return rt_error_set(ctx->err, RT_EINVAL, field,
                        "%s: '%.80s' is not a valid %s id", field,
                        store_str(id), name);
  MDB_val data;
  int rc = store_fetch(ctx->txn, store_entity_dbi(ctx->store, entity), pk,
                       &data, ctx->err, "reading a record");
  if (rc == RT_ENOTFOUND)
    return rt_error_set(ctx->err, RT_ENOTFOUND, field,
                        "%s: %s '%.80s' does not exist", field, name,
                        store_str(id));
  if (rc != 0)
    return rc;
  rc = store_unpack(ctx->arena, store_entity_descriptor(entity), data.mv_data,
                    data.mv_size, out, ctx->err);
  if (rc == RT_ECORRUPT)
    rt_error_set(ctx->err, RT_ECORRUPT, NULL,
                 "storage: stored %s '%.80s' does not decode", name, id);
  return rc;
}

/* ---- index entries --------------------------------------------------- */

/* Puts (add) or deletes the entries of keys for pk, skipping those in
 * skip (NULL: none). */
static int write_index_keys(store_wctx_t *ctx, MDB_dbi dbi,
                            const store_keyset_t *keys,
                            const store_keyset_t *skip, const store_key_t *pk,
                            bool add) {
  MDB_val data = {pk->len, (void *)pk->data};
  for (size_t i = 0; i < keys->n; i++) {
    const store_key_t *k = &keys->keys[i];
    if (skip && store_keyset_contains(skip, k->data, k->len))
      continue;
    MDB_val key = {k->len, (void *)k->data};
    int rc =
        store_mdb_error(add ? mdb_put(ctx->txn, dbi, &key, &data, MDB_NODUPDATA)
                            : mdb_del(ctx->txn, dbi, &key, &data),
                        ctx->err, "updating an index");
    if (rc != 0 && rc != (add ? RT_EEXIST : RT_ENOTFOUND))
      return rc; /* an entry already as wanted is no failure */
  }
  return 0;
}

/* Moves pk's index entries from the values of old (NULL: a new record)
 * to those of record. */
static int move_index_entries(store_wctx_t *ctx, rt_entity_t entity,
                              const ProtobufCMessage *old,
                              const ProtobufCMessage *record,
                              const store_key_t *pk) {
  store_keyset_t old_keys = {0}, new_keys = {0};
  int rc = old ? store_index_keys(entity, old, &old_keys) : 0;
  if (rc == 0)
    rc = store_index_keys(entity, record, &new_keys);
  if (rc != 0) {
    rc = rt_error_set(ctx->err, rc, NULL, "storage: cannot index record");
    goto done;
  }
  MDB_dbi dbi = store_entity_index(ctx->store, entity);
  rc = write_index_keys(ctx, dbi, &old_keys, &new_keys, pk, false);
  if (rc == 0)
    rc = write_index_keys(ctx, dbi, &new_keys, &old_keys, pk, true);
  if (rc == 0)
    rc = store_words_move(ctx, entity, old, record, pk);
done:
  store_keyset_free(&old_keys);
  store_keyset_free(&new_keys);
  return rc;
}

/* ---- puts ------------------------------------------------------------ */

int store_put_record(store_wctx_t *ctx, rt_entity_t entity,
                     const store_key_t *pk, const ProtobufCMessage *old,
                     const ProtobufCMessage *record, unsigned flags,
                     bool as_reply) {
  /* The reply is the op's to hand out, so malloc'd; else the arena's. */
  uint8_t *packed = NULL;
  size_t packed_len = 0;
  int rc = store_pack(as_reply ? NULL : ctx->arena, record, &packed,
                      &packed_len, ctx->err);
  if (rc != 0)
    return rc;
  MDB_val key = {pk->len, (void *)pk->data}, data = {packed_len, packed};
  rc = store_mdb_error(mdb_put(ctx->txn, store_entity_dbi(ctx->store, entity),
                               &key, &data, flags),
                       ctx->err, "writing a record");
  if (rc == RT_EEXIST) {
    char id[96];
    store_describe_key(entity, pk->data, pk->len, id, sizeof id);
    rt_error_set(ctx->err, RT_EEXIST, "id", "%s '%s' already exists",
                 store_entity_name(entity), id);
  }
  if (rc == 0)
    rc = move_index_entries(ctx, entity, old, record, pk);
  if (as_reply && rc == 0) {
    free(ctx->op->reply);
    ctx->op->reply = packed;
    ctx->op->reply_len = packed_len;
  } else if (as_reply) {
    free(packed);
  }
  return rc;
}

int store_put_history(store_wctx_t *ctx, MDB_dbi dbi, const void *key,
                      size_t key_len, const void *value, size_t value_len) {
  MDB_val k = {key_len, (void *)key}, data = {value_len, (void *)value};
  int rc = store_mdb_error(mdb_put(ctx->txn, dbi, &k, &data, MDB_NOOVERWRITE),
                           ctx->err, "writing history");
  if (rc == RT_EEXIST) /* keys end in the revision, which is new */
    rc = rt_error_set(ctx->err, RT_ECORRUPT, NULL,
                      "storage: the history already holds an entry of this "
                      "revision");
  return rc;
}

int store_replace_history(store_wctx_t *ctx, MDB_dbi dbi, const void *key,
                          size_t key_len, const ProtobufCMessage *value) {
  MDB_val k = {key_len, (void *)key}, data;
  int rc = store_mdb_error(mdb_get(ctx->txn, dbi, &k, &data), ctx->err,
                           "reading history");
  if (rc == RT_ENOTFOUND)
    return rt_error_set(ctx->err, RT_ECORRUPT, NULL,
                        "storage: a history entry to update is missing");
  uint8_t *packed = NULL;
  size_t packed_len = 0;
  if (rc == 0)
    rc = store_pack(ctx->arena, value, &packed, &packed_len, ctx->err);
  if (rc != 0)
    return rc;
  data.mv_size = packed_len;
  data.mv_data = packed;
  return store_mdb_error(mdb_put(ctx->txn, dbi, &k, &data, 0), ctx->err,
                         "writing history");
}

/* ---- replies --------------------------------------------------------- */

int store_set_reply(store_wctx_t *ctx, const ProtobufCMessage *message) {
  free(ctx->op->reply);
  ctx->op->reply = NULL;
  ctx->op->reply_len = 0;
  return store_pack(NULL, message, &ctx->op->reply, &ctx->op->reply_len,
                    ctx->err);
}

int store_copy_reply(store_wctx_t *ctx, const void *data, size_t len) {
  free(ctx->op->reply);
  ctx->op->reply_len = 0;
  ctx->op->reply = malloc(len ? len : 1);
  if (ctx->op->reply == NULL)
    return rt_error_set(ctx->err, RT_ENOMEM, NULL, "out of memory");
  memcpy(ctx->op->reply, data, len);
  ctx->op->reply_len = len;
  return 0;
}

int store_add_reference_entry(store_wctx_t *ctx, MDB_dbi dbi, const char *name,
                              const ProtobufCMessage *message,
                              Rectrack__V1__ChangeEvent *event,
                              const char *what) {
  uint8_t *packed = NULL;
  size_t packed_len = 0;
  int rc = store_pack(ctx->arena, message, &packed, &packed_len, ctx->err);
  if (rc != 0)
    return rc;
  MDB_val key = {strlen(name), (void *)name}, data = {packed_len, packed};
  rc = store_mdb_error(mdb_put(ctx->txn, dbi, &key, &data, MDB_NOOVERWRITE),
                       ctx->err, what);
  if (rc == 0)
    rc = store_log_append(ctx, event);
  if (rc == 0)
    rc = store_copy_reply(ctx, packed, packed_len);
  return rc;
}
