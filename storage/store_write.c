/*
 * store_write: rt_store_apply and the change log. A batch of ops runs in
 * one LMDB write transaction; each op runs in a child transaction so that
 * a failing op is rolled back alone, and the batch commits once (one fsync
 * for all: group commit). When the map fills up, the whole batch is
 * aborted, the map doubled and the batch retried from the start.
 *
 * Every change is appended to the log under the next global revision; the
 * entry holds the SHA-256 of the previous entry's stored bytes, making the
 * log a hash chain. A request_id is remembered with the revision and op
 * kind of its change, so a repeated request replays the stored result.
 */
#include "rt_validate.h"
#include "store_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int store_fetch_unpacked(store_wctx_t *ctx, rt_entity_t entity, const char *id,
                         const char *field, ProtobufCMessage **out,
                         store_key_t *pk) {
  static const char *names[] = {"", "source", "actor", "recommendation",
                                "commitment"};
  *out = NULL;
  if (store_primary_key(entity, id, pk, NULL) != 0)
    return rt_error_set(ctx->err, RT_EINVAL, field,
                        "%s: '%.80s' is not a valid %s id", field,
                        store_str(id), names[entity]);
  MDB_val data;
  int rc = store_fetch(ctx->txn, store_entity_dbi(ctx->store, entity), pk,
                       &data, ctx->err, "reading a record");
  if (rc == RT_ENOTFOUND)
    return rt_error_set(ctx->err, RT_ENOTFOUND, field,
                        "%s: %s '%.80s' does not exist", field, names[entity],
                        store_str(id));
  if (rc != 0)
    return rc;
  *out = protobuf_c_message_unpack(store_entity_descriptor(entity), NULL,
                                   data.mv_size, data.mv_data);
  if (*out == NULL)
    return rt_error_set(ctx->err, RT_ECORRUPT, NULL,
                        "storage: stored %s '%.80s' does not decode",
                        names[entity], id);
  return 0;
}

int store_set_reply(store_wctx_t *ctx, const ProtobufCMessage *message) {
  free(ctx->op->reply);
  ctx->op->reply = NULL;
  ctx->op->reply_len = 0;
  return store_pack(message, &ctx->op->reply, &ctx->op->reply_len, ctx->err);
}

void store_take_reply(store_wctx_t *ctx, uint8_t **packed, size_t packed_len) {
  free(ctx->op->reply);
  ctx->op->reply = *packed;
  ctx->op->reply_len = packed_len;
  *packed = NULL;
}

int store_check_expected(store_wctx_t *ctx, const char *what, const char *id,
                         uint64_t current) {
  uint64_t expected = ctx->op->expected_revision;
  if (expected == 0 || expected == current)
    return 0;
  char *who = store_principal_at(ctx->txn, ctx->store, current);
  int rc = rt_error_set(ctx->err, RT_ECONFLICT, "expected_revision",
                        "%s%s%.80s is at revision %llu (last changed by "
                        "%.60s), not at the expected revision %llu; reload "
                        "it and retry",
                        what ? what : "", what ? " " : "", id,
                        (unsigned long long)current, who ? who : "unknown",
                        (unsigned long long)expected);
  free(who);
  return rc;
}

int store_next_revision(store_wctx_t *ctx, uint64_t *out) {
  uint64_t revision = 0;
  int rc =
      store_meta_get_u64(ctx->txn, ctx->store, "revision", &revision, ctx->err);
  if (rc != 0)
    return rc;
  *out = revision + 1;
  return 0;
}

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
  const char *request_id = ctx->op->request_id;
  if (request_id == NULL || request_id[0] == '\0')
    return 0;
  uint8_t value[9];
  store_put_u64(value, revision);
  value[8] = (uint8_t)ctx->op->kind;
  MDB_val key = {strlen(request_id), (void *)request_id}, data = {9, value};
  return store_mdb_error(
      mdb_put(ctx->txn, ctx->store->requests, &key, &data, 0), ctx->err,
      "recording the request id");
}

int store_log_append(store_wctx_t *ctx, Rectrack__V1__ChangeEvent *event) {
  uint64_t revision = 0;
  uint8_t hash[crypto_hash_sha256_BYTES];
  int rc = store_next_revision(ctx, &revision);
  if (rc == 0)
    rc = previous_hash(ctx, revision, hash);
  if (rc != 0)
    return rc;
  event->revision = revision;
  event->principal = (char *)ctx->principal;
  event->time_ms = ctx->now_ms;
  event->request_id = (char *)store_str(ctx->op->request_id);
  event->prev_hash.data = hash;
  event->prev_hash.len = sizeof hash;
  uint8_t *packed = NULL;
  size_t packed_len = 0;
  rc = store_pack(&event->base, &packed, &packed_len, ctx->err);
  event->prev_hash.data = NULL;
  event->prev_hash.len = 0;
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
  crypto_hash_sha256(hash, packed, packed_len);
  free(packed);
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

/* ---- replays --------------------------------------------------------- */

/* Loads the log entry at revision (caller frees with free_unpacked). */
static int load_event(store_wctx_t *ctx, uint64_t revision,
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
  *out = rectrack__v1__change_event__unpack(NULL, data.mv_size, data.mv_data);
  if (*out == NULL)
    return rt_error_set(ctx->err, RT_ECORRUPT, NULL,
                        "storage: log entry %llu does not decode",
                        (unsigned long long)revision);
  return 0;
}

static rt_entity_t subject_entity(Rectrack__V1__SubjectType type) {
  switch (type) {
  case RECTRACK__V1__SUBJECT_TYPE__SUBJECT_TYPE_SOURCE:
    return RT_ENTITY_SOURCE;
  case RECTRACK__V1__SUBJECT_TYPE__SUBJECT_TYPE_ACTOR:
    return RT_ENTITY_ACTOR;
  case RECTRACK__V1__SUBJECT_TYPE__SUBJECT_TYPE_RECOMMENDATION:
    return RT_ENTITY_RECOMMENDATION;
  default:
    return RT_ENTITY_COMMITMENT;
  }
}

/* The id of the record an op changes, when the caller names it: slugs of
 * sources and actors, the id of an update, the subject of a follow-up or
 * a measurement. NULL for recommendation and commitment creates, whose id
 * the server assigns. */
static const char *op_subject_id(const rt_write_op_t *op) {
  const ProtobufCMessage *message = op->message;
  if (op->kind == RT_OP_RECORD_FOLLOW_UP)
    return ((const Rectrack__V1__FollowUp *)(const void *)message)->subject_id;
  if (op->kind == RT_OP_RECORD_MEASUREMENT)
    return ((const Rectrack__V1__Measurement *)(const void *)message)
        ->commitment_id;
  if (op->kind == RT_OP_CREATE_RECOMMENDATION ||
      op->kind == RT_OP_CREATE_COMMITMENT)
    return NULL;
  const ProtobufCFieldDescriptor *fd =
      protobuf_c_message_descriptor_get_field_by_name(message->descriptor,
                                                      "id");
  return fd ? *(char *const *)((const char *)message + fd->offset) : NULL;
}

/* Copies the stored bytes of the change's subject into the op's reply. */
static int reply_with_record(store_wctx_t *ctx,
                             const Rectrack__V1__ChangeEvent *event) {
  rt_entity_t entity = subject_entity(event->subject_type);
  store_key_t pk;
  MDB_val data;
  int rc = store_primary_key(entity, event->subject_id, &pk, ctx->err);
  if (rc == 0)
    rc = store_fetch(ctx->txn, store_entity_dbi(ctx->store, entity), &pk, &data,
                     ctx->err, "reading a replayed record");
  if (rc == RT_ENOTFOUND)
    rc = rt_error_set(ctx->err, RT_ECORRUPT, NULL,
                      "storage: %.80s, changed at revision %llu, is missing",
                      store_str(event->subject_id),
                      (unsigned long long)event->revision);
  if (rc == 0 &&
      (ctx->op->reply = malloc(data.mv_size ? data.mv_size : 1)) == NULL)
    rc = rt_error_set(ctx->err, RT_ENOMEM, NULL, "out of memory");
  if (rc == 0) {
    memcpy(ctx->op->reply, data.mv_data, data.mv_size);
    ctx->op->reply_len = data.mv_size;
  }
  return rc;
}

/* Fills the op's reply from the change a request id already made: the
 * follow-up as recorded, or the subject record as it stands now. A
 * request id reused for another record is refused: replaying would answer
 * with a record the caller did not name and silently drop its change. */
static int replay(store_wctx_t *ctx, uint64_t revision) {
  Rectrack__V1__ChangeEvent *event = NULL;
  int rc = load_event(ctx, revision, &event);
  if (rc != 0)
    return rc;
  const char *wanted = op_subject_id(ctx->op);
  if (wanted != NULL && strcmp(wanted, store_str(event->subject_id)) != 0)
    rc =
        rt_error_set(ctx->err, RT_EINVAL, "request_id",
                     "request_id: '%.80s' was already used for a change to "
                     "%.80s, not %.80s; use a new request id",
                     ctx->op->request_id, store_str(event->subject_id), wanted);
  else if (event->follow_up)
    rc = store_set_reply(ctx, &event->follow_up->base);
  else
    rc = reply_with_record(ctx, event);
  protobuf_c_message_free_unpacked(&event->base, NULL);
  if (rc == 0) {
    ctx->op->revision = revision;
    ctx->op->replayed = true;
  }
  return rc;
}

/* Replays the op when its request id was seen: op->replayed says so. */
static int check_request_id(store_wctx_t *ctx) {
  const char *request_id = ctx->op->request_id;
  if (request_id == NULL || request_id[0] == '\0')
    return 0;
  size_t len = strlen(request_id);
  if (len > RT_MAX_SHORT_LEN)
    return rt_error_set(ctx->err, RT_EINVAL, "request_id",
                        "request_id: %zu bytes, at most %d allowed", len,
                        RT_MAX_SHORT_LEN);
  MDB_val key = {len, (void *)request_id}, data;
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
  return replay(ctx, store_get_u64(data.mv_data));
}

/* ---- dispatch -------------------------------------------------------- */

static const ProtobufCMessageDescriptor *op_descriptor(rt_op_kind_t kind) {
  switch (kind) {
  case RT_OP_CREATE_SOURCE:
  case RT_OP_UPDATE_SOURCE:
    return &rectrack__v1__source__descriptor;
  case RT_OP_CREATE_ACTOR:
  case RT_OP_UPDATE_ACTOR:
    return &rectrack__v1__actor__descriptor;
  case RT_OP_CREATE_RECOMMENDATION:
  case RT_OP_UPDATE_RECOMMENDATION:
    return &rectrack__v1__recommendation__descriptor;
  case RT_OP_CREATE_COMMITMENT:
  case RT_OP_UPDATE_COMMITMENT:
    return &rectrack__v1__commitment__descriptor;
  case RT_OP_RECORD_FOLLOW_UP:
    return &rectrack__v1__follow_up__descriptor;
  case RT_OP_RECORD_MEASUREMENT:
    return &rectrack__v1__measurement__descriptor;
  }
  return NULL;
}

static int dispatch(store_wctx_t *ctx) {
  const ProtobufCMessageDescriptor *descriptor = op_descriptor(ctx->op->kind);
  if (descriptor == NULL)
    return rt_error_set(ctx->err, RT_EINVAL, "kind",
                        "kind: %d is not a known write op", ctx->op->kind);
  if (ctx->op->message == NULL || ctx->op->message->descriptor != descriptor)
    return rt_error_set(ctx->err, RT_EINVAL, "message",
                        "message: a %s is required for this op",
                        descriptor->short_name);
  int rc = check_request_id(ctx);
  if (rc != 0 || ctx->op->replayed)
    return rc;
  switch (ctx->op->kind) {
  case RT_OP_CREATE_SOURCE:
    return store_op_create(ctx, RT_ENTITY_SOURCE);
  case RT_OP_UPDATE_SOURCE:
    return store_op_update(ctx, RT_ENTITY_SOURCE);
  case RT_OP_CREATE_ACTOR:
    return store_op_create(ctx, RT_ENTITY_ACTOR);
  case RT_OP_UPDATE_ACTOR:
    return store_op_update(ctx, RT_ENTITY_ACTOR);
  case RT_OP_CREATE_RECOMMENDATION:
    return store_op_create(ctx, RT_ENTITY_RECOMMENDATION);
  case RT_OP_UPDATE_RECOMMENDATION:
    return store_op_update(ctx, RT_ENTITY_RECOMMENDATION);
  case RT_OP_CREATE_COMMITMENT:
    return store_op_create(ctx, RT_ENTITY_COMMITMENT);
  case RT_OP_UPDATE_COMMITMENT:
    return store_op_update(ctx, RT_ENTITY_COMMITMENT);
  case RT_OP_RECORD_FOLLOW_UP:
    return store_op_follow_up(ctx);
  case RT_OP_RECORD_MEASUREMENT:
    return store_op_measurement(ctx);
  }
  return RT_EINVAL;
}

static void reset_op(rt_write_op_t *op) {
  free(op->reply);
  op->reply = NULL;
  op->reply_len = 0;
  op->result = 0;
  op->revision = 0;
  op->replayed = false;
  rt_error_clear(&op->error);
}

/* Runs one op in a child transaction of parent. Returns STORE_EMAPFULL
 * (batch must be retried) or a code for a parent-level failure; the op's
 * own failure is in op->result and returns 0. */
static int run_op(rt_store_t *store, MDB_txn *parent, rt_write_op_t *op) {
  MDB_txn *child = NULL;
  int rc = store_mdb_error(mdb_txn_begin(store->env, parent, 0, &child),
                           &op->error, "starting a child transaction");
  if (rc != 0)
    return rc;
  store_wctx_t ctx = {
      .store = store,
      .txn = child,
      .op = op,
      .principal =
          op->principal && op->principal[0] ? op->principal : "anonymous",
      .now_ms = op->now_ms ? op->now_ms : store_now_ms(),
      .err = &op->error,
  };
  rc = dispatch(&ctx);
  if (rc == 0)
    rc = store_mdb_error(mdb_txn_commit(child), &op->error, "committing an op");
  else
    mdb_txn_abort(child);
  if (rc == STORE_EMAPFULL)
    return rc;
  if (rc != 0) {
    free(op->reply);
    op->reply = NULL;
    op->reply_len = 0;
    op->revision = 0;
    op->replayed = false;
    op->result = rc;
    if (op->error.code == 0)
      rt_error_set(&op->error, rc, NULL, "%s", rt_strerror(rc));
  }
  return 0;
}

/* One attempt at the whole batch. */
static int apply_once(rt_store_t *store, rt_write_op_t *ops, size_t n_ops,
                      rt_error_t *err) {
  MDB_txn *txn = NULL;
  const char *starting = "starting a write transaction";
  int rc =
      store_mdb_error(mdb_txn_begin(store->env, NULL, 0, &txn), err, starting);
  if (rc == STORE_EMAPRESIZED) { /* another process grew the map */
    rc = store_adopt_map_size(store, err);
    if (rc == 0)
      rc = store_mdb_error(mdb_txn_begin(store->env, NULL, 0, &txn), err,
                           starting);
    if (rc == STORE_EMAPRESIZED)
      rc = rt_error_set(err, RT_EBUSY, NULL,
                        "storage: %s: the map keeps being resized by another "
                        "process",
                        starting);
  }
  if (rc != 0)
    return rc;
  for (size_t i = 0; i < n_ops; i++) {
    reset_op(&ops[i]);
    rc = run_op(store, txn, &ops[i]);
    if (rc != 0) {
      mdb_txn_abort(txn);
      if (rc != STORE_EMAPFULL && err)
        *err = ops[i].error;
      return rc;
    }
  }
  return store_mdb_error(mdb_txn_commit(txn), err, "committing the batch");
}

int rt_store_apply(rt_store_t *store, rt_write_op_t *ops, size_t n_ops,
                   rt_error_t *err) {
  rt_error_clear(err);
  int rc;
  while ((rc = apply_once(store, ops, n_ops, err)) == STORE_EMAPFULL) {
    rc = store_grow_map(store, err);
    if (rc != 0)
      break;
  }
  if (rc != 0) {
    for (size_t i = 0; i < n_ops; i++) {
      reset_op(&ops[i]);
      ops[i].result = rc;
      if (err)
        ops[i].error = *err;
      else
        rt_error_set(&ops[i].error, rc, NULL, "%s", rt_strerror(rc));
    }
  }
  return rc;
}

void rt_write_ops_release(rt_write_op_t *ops, size_t n_ops) {
  for (size_t i = 0; i < n_ops; i++) {
    free(ops[i].reply);
    ops[i].reply = NULL;
    ops[i].reply_len = 0;
  }
}
