/*
 * store_apply: rt_store_apply, the top floor of the write path. A batch of
 * ops runs in one LMDB write transaction; each op runs in a child
 * transaction so that a failing op is rolled back alone, and the batch
 * commits once (one fsync for all: group commit). When the map fills up,
 * the whole batch is aborted, the map doubled and the batch retried from
 * the start. Each op is checked for its message type and for what its
 * principal may do (a reporter records follow-ups and measurements only),
 * answered from the log when its request id was seen (store_op_replay),
 * and otherwise handed to the operation of its kind (store_ops.h). The op's
 * memory is an arena reset when its child transaction ends (store_internal.h).
 */
#include "store_ops.h"
#include "store_specificity.h"

#include <stdlib.h>

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
  case RT_OP_VALIDATE_SUBMISSION:
    return &rectrack__v1__validate_submission_request__descriptor;
  case RT_OP_CREATE_THEME:
    return &rectrack__v1__theme__descriptor;
  case RT_OP_CREATE_DIMENSION_KEY:
    return &rectrack__v1__dimension_key__descriptor;
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
  int rc = store_parties_check_kind(ctx);
  if (rc == 0)
    rc = store_op_replay(ctx);
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
  case RT_OP_VALIDATE_SUBMISSION:
    return store_op_validate(ctx);
  case RT_OP_CREATE_THEME:
    return store_op_create_theme(ctx);
  case RT_OP_CREATE_DIMENSION_KEY:
    return store_op_create_dimension_key(ctx);
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

/* Runs one op in a child transaction of parent, with arena as its memory
 * until the child transaction ends. Returns STORE_EMAPFULL (batch must be
 * retried) or a code for a parent-level failure; the op's own failure is
 * in op->result and returns 0. */
static int run_op(rt_store_t *store, MDB_txn *parent, store_arena_t *arena,
                  rt_write_op_t *op) {
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
      .arena = arena,
      .err = &op->error,
  };
  rc = dispatch(&ctx);
  /* A recommendation's reply carries its computed fields, as a Get does. */
  if (rc == 0 && op->reply != NULL &&
      (op->kind == RT_OP_CREATE_RECOMMENDATION ||
       op->kind == RT_OP_UPDATE_RECOMMENDATION))
    rc = store_reply_add_computed(child, store, &op->reply, &op->reply_len,
                                  &op->error);
  if (rc == 0)
    rc = store_mdb_error(mdb_txn_commit(child), &op->error, "committing an op");
  else
    mdb_txn_abort(child);
  store_arena_reset(arena); /* the op's memory ends with its transaction */
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
                      store_arena_t *arena, rt_error_t *err) {
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
    rc = run_op(store, txn, arena, &ops[i]);
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
  store_arena_t arena; /* one for the batch, reset after each op */
  store_arena_init(&arena);
  int rc;
  while ((rc = apply_once(store, ops, n_ops, &arena, err)) == STORE_EMAPFULL) {
    rc = store_grow_map(store, err);
    if (rc != 0)
      break;
    rt_error_clear(err); /* a full map that grew is no error */
  }
  store_arena_free(&arena);
  if (rc == 0)
    store_grow_map_early(store); /* room for writes during a long snapshot */
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
