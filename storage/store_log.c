/*
 * store_log: revisions and the change log as the writer sees them. Every
 * change is appended under the next global revision (meta's "revision"
 * counter is the newest one), and an update names the revision it
 * expects; the entry holds the SHA-256 of
 * the previous entry's stored bytes, making the log a hash chain, and
 * meta's log_head keeps the newest entry's hash, which no later prev_hash
 * covers. A request_id is remembered with the revision and op kind of its
 * change, so that a repeated request can be answered from the log
 * (store_replay.c). Readers scan the log through rt_store_log_scan
 * (store_history.c). See store_write.h for the contract of each function.
 */
#include "rt_validate.h"
#include "store_write.h"

#include <sodium.h>
#include <string.h>

/* ---- revisions ------------------------------------------------------- */

int store_next_revision(store_wctx_t *ctx, uint64_t *out) {
  uint64_t revision = 0;
  int rc =
      store_meta_get_u64(ctx->txn, ctx->store, "revision", &revision, ctx->err);
  if (rc != 0)
    return rc;
  *out = revision + 1;
  return 0;
}

int store_check_expected(store_wctx_t *ctx, const char *what, const char *id,
                         uint64_t current) {
  uint64_t expected = ctx->op->expected_revision;
  if (expected == 0 || expected == current)
    return 0;
  return rt_error_set(
      ctx->err, RT_ECONFLICT, "expected_revision",
      "%s%s%.80s is at revision %llu (last changed by "
      "%.60s), not at the expected revision %llu; reload "
      "it and retry",
      what ? what : "", what ? " " : "", id, (unsigned long long)current,
      store_principal_at(ctx, current), (unsigned long long)expected);
}

/* ---- appending ------------------------------------------------------- */

static int previous_hash(store_wctx_t *ctx, uint64_t revision,
                         uint8_t hash[crypto_hash_sha256_BYTES]) {
  memset(hash, 0, crypto_hash_sha256_BYTES);
  if (revision <= 1)
    return 0;
  /* meta's log_head is the hash of the newest entry, written with it: no
   * need to read and hash that entry again. */
  MDB_val head_key = {8, "log_head"}, head;
  int rc =
      store_mdb_error(mdb_get(ctx->txn, ctx->store->meta, &head_key, &head),
                      ctx->err, "reading the log head");
  if (rc == 0 && head.mv_size == crypto_hash_sha256_BYTES) {
    memcpy(hash, head.mv_data, crypto_hash_sha256_BYTES);
    return 0;
  }
  if (rc != 0 && rc != RT_ENOTFOUND)
    return rc;
  uint8_t key_bytes[8];
  store_put_u64(key_bytes, revision - 1);
  MDB_val key = {8, key_bytes}, data;
  rc = store_mdb_error(mdb_get(ctx->txn, ctx->store->log, &key, &data),
                       ctx->err, "reading the log");
  if (rc == RT_ENOTFOUND)
    return rt_error_set(ctx->err, RT_ECORRUPT, NULL,
                        "storage: log entry %llu is missing",
                        (unsigned long long)(revision - 1));
  if (rc != 0)
    return rc;
  crypto_hash_sha256(hash, data.mv_data, data.mv_size);
  return 0;
}

static int remember_request(store_wctx_t *ctx, uint64_t revision) {
  store_key_t key_bytes;
  if (!store_request_key(ctx->principal, ctx->op->request_id, &key_bytes))
    return 0;
  uint8_t value[9];
  store_put_u64(value, revision);
  value[8] = (uint8_t)ctx->op->kind;
  MDB_val key = {key_bytes.len, key_bytes.data}, data = {9, value};
  return store_mdb_error(
      mdb_put(ctx->txn, ctx->store->requests, &key, &data, 0), ctx->err,
      "recording the request id");
}

int store_log_append(store_wctx_t *ctx, Rectrack__V1__ChangeEvent *event) {
  uint64_t revision = 0;
  uint8_t *prev_hash = store_arena_alloc(ctx->arena, crypto_hash_sha256_BYTES);
  if (prev_hash == NULL)
    return rt_error_set(ctx->err, RT_ENOMEM, NULL, "out of memory");
  int rc = store_next_revision(ctx, &revision);
  if (rc == 0)
    rc = previous_hash(ctx, revision, prev_hash);
  if (rc != 0)
    return rc;
  event->revision = revision;
  event->principal = (char *)ctx->principal;
  event->time_ms = ctx->now_ms;
  event->request_id = (char *)store_str(ctx->op->request_id);
  event->prev_hash.data = prev_hash;
  event->prev_hash.len = crypto_hash_sha256_BYTES;
  uint8_t *packed = NULL;
  size_t packed_len = 0;
  rc = store_pack(ctx->arena, &event->base, &packed, &packed_len, ctx->err);
  if (rc != 0)
    return rc;
  uint8_t key_bytes[8];
  store_put_u64(key_bytes, revision);
  MDB_val key = {8, key_bytes}, data = {packed_len, packed};
  const char *appending = "appending to the log";
  rc = store_mdb_error(
      mdb_put(ctx->txn, ctx->store->log, &key, &data, MDB_APPEND), ctx->err,
      appending);
  /* The head hash lets the verifier notice an altered newest entry, which
   * no later prev_hash covers. */
  uint8_t hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, packed, packed_len);
  MDB_val head_key = {8, "log_head"}, head = {sizeof hash, hash};
  if (rc == 0)
    rc = store_mdb_error(
        mdb_put(ctx->txn, ctx->store->meta, &head_key, &head, 0), ctx->err,
        appending);
  if (rc == 0)
    rc = store_meta_put_u64(ctx->txn, ctx->store, "revision", revision,
                            ctx->err);
  if (rc == RT_EEXIST) /* MDB_APPEND: a key at or past revision exists */
    rc = rt_error_set(ctx->err, RT_ECORRUPT, NULL,
                      "storage: the log already holds revision %llu",
                      (unsigned long long)revision);
  if (rc != 0)
    return rc;
  ctx->op->revision = revision;
  return remember_request(ctx, revision);
}

/* ---- reading entries back -------------------------------------------- */

int store_log_entry(store_wctx_t *ctx, uint64_t revision,
                    Rectrack__V1__ChangeEvent **out) {
  uint8_t key_bytes[8];
  store_put_u64(key_bytes, revision);
  MDB_val key = {8, key_bytes}, data;
  int rc = store_mdb_error(mdb_get(ctx->txn, ctx->store->log, &key, &data),
                           ctx->err, "reading the log");
  if (rc == RT_ENOTFOUND)
    return rt_error_set(ctx->err, RT_ECORRUPT, NULL,
                        "storage: log entry %llu is missing",
                        (unsigned long long)revision);
  if (rc != 0)
    return rc;
  ProtobufCMessage *event = NULL;
  rc = store_unpack(ctx->arena, &rectrack__v1__change_event__descriptor,
                    data.mv_data, data.mv_size, &event, ctx->err);
  if (rc == RT_ECORRUPT)
    rt_error_set(ctx->err, RT_ECORRUPT, NULL,
                 "storage: log entry %llu does not decode",
                 (unsigned long long)revision);
  *out = (Rectrack__V1__ChangeEvent *)(void *)event;
  return rc;
}

const char *store_principal_at(store_wctx_t *ctx, uint64_t revision) {
  rt_error_t ignored; /* an entry that cannot be read names "unknown" */
  store_wctx_t quiet = *ctx;
  quiet.err = &ignored;
  Rectrack__V1__ChangeEvent *event = NULL;
  if (store_log_entry(&quiet, revision, &event) != 0 ||
      event->principal == NULL)
    return "unknown";
  return event->principal;
}

int store_request_find(store_wctx_t *ctx, bool *seen, uint64_t *revision) {
  const char *request_id = ctx->op->request_id;
  *seen = false;
  *revision = 0;
  if (request_id == NULL || request_id[0] == '\0')
    return 0;
  size_t len = strlen(request_id);
  if (len > RT_MAX_SHORT_LEN)
    return rt_error_set(ctx->err, RT_EINVAL, "request_id",
                        "request_id: %zu bytes, at most %d allowed", len,
                        RT_MAX_SHORT_LEN);
  store_key_t key_bytes;
  store_request_key(ctx->principal, request_id, &key_bytes);
  MDB_val key = {key_bytes.len, key_bytes.data}, data;
  int rc = store_mdb_error(mdb_get(ctx->txn, ctx->store->requests, &key, &data),
                           ctx->err, "reading request ids");
  if (rc == RT_ENOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  if (data.mv_size != 9)
    return rt_error_set(ctx->err, RT_ECORRUPT, NULL,
                        "storage: request id record is malformed");
  if (((const uint8_t *)data.mv_data)[8] != (uint8_t)ctx->op->kind)
    return rt_error_set(ctx->err, RT_EINVAL, "request_id",
                        "request_id: '%.80s' was already used for a different "
                        "kind of change",
                        request_id);
  *seen = true;
  *revision = store_get_u64(data.mv_data);
  return 0;
}
