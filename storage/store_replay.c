/*
 * store_replay: a request repeated with the same request_id is answered
 * from the change it made the first time, and writes nothing: the reply
 * is the follow-up as recorded, the decision on a submission as taken, the
 * theme as created, or the subject record as it stands now.
 * The request ids and the log entries they point at are written by
 * store_log_append (store_log.c); this operation only reads them.
 */
#include "store_ops.h"

#include <string.h>

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
  if (op->kind == RT_OP_VALIDATE_SUBMISSION)
    return ((const Rectrack__V1__ValidateSubmissionRequest *)(const void *)
                message)
        ->subject_id;
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
  rt_entity_t entity = store_subject_entity(event->subject_type);
  store_key_t pk;
  MDB_val data;
  int rc = store_primary_key(entity, event->subject_id, &pk, ctx->err);
  if (rc == 0)
    rc = store_fetch(ctx->txn, store_entity_dbi(ctx->store, entity), &pk, &data,
                     ctx->err, "reading a replayed record");
  if (rc == RT_ENOTFOUND)
    return rt_error_set(ctx->err, RT_ECORRUPT, NULL,
                        "storage: %.80s, changed at revision %llu, is missing",
                        store_str(event->subject_id),
                        (unsigned long long)event->revision);
  return rc ? rc : store_copy_reply(ctx, data.mv_data, data.mv_size);
}

/* A decision's reply, from its log entry: the submission as decided and
 * the subject as the decision left it (it may have changed since). */
static int reply_with_decision(store_wctx_t *ctx,
                               const Rectrack__V1__ChangeEvent *event) {
  Rectrack__V1__ValidateSubmissionResponse reply =
      RECTRACK__V1__VALIDATE_SUBMISSION_RESPONSE__INIT;
  reply.follow_up = event->follow_up;
  reply.measurement = event->measurement;
  reply.recommendation = event->recommendation;
  reply.commitment = event->commitment;
  return store_set_reply(ctx, &reply.base);
}

/* A request id reused for another record is refused: replaying would
 * answer with a record the caller did not name and silently drop its
 * change. */
int store_op_replay(store_wctx_t *ctx) {
  bool seen = false;
  uint64_t revision = 0;
  int rc = store_request_find(ctx, &seen, &revision);
  if (rc != 0 || !seen)
    return rc;
  Rectrack__V1__ChangeEvent *event = NULL;
  rc = store_log_entry(ctx, revision, &event);
  if (rc != 0)
    return rc;
  const char *wanted = op_subject_id(ctx->op);
  if (wanted != NULL && strcmp(wanted, store_str(event->subject_id)) != 0)
    rc =
        rt_error_set(ctx->err, RT_EINVAL, "request_id",
                     "request_id: '%.80s' was already used for a change to "
                     "%.80s, not %.80s; use a new request id",
                     ctx->op->request_id, store_str(event->subject_id), wanted);
  else if (ctx->op->kind == RT_OP_VALIDATE_SUBMISSION)
    rc = reply_with_decision(ctx, event);
  else if (event->follow_up)
    rc = store_set_reply(ctx, &event->follow_up->base);
  else if (event->theme) /* a theme never changes after its creation */
    rc = store_set_reply(ctx, &event->theme->base);
  else if (event->dimension_key) /* nor does a dimension key */
    rc = store_set_reply(ctx, &event->dimension_key->base);
  else
    rc = reply_with_record(ctx, event);
  if (rc == 0) {
    ctx->op->revision = revision;
    ctx->op->replayed = true;
  }
  return rc;
}
