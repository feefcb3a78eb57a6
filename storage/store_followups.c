/*
 * store_followups: a follow-up report on a recommendation or commitment.
 * The report is stored under subject + revision and as_of + revision, and
 * sets its subject's status (keeping the old one as previous_status). All
 * of it is written in one child transaction with the subject's new state,
 * its index entries and the log entry, so the subject's status can never
 * disagree with the history it comes from. The reply is the follow-up as
 * recorded.
 */
#include "store_ops.h"

#include <stdlib.h>
#include <string.h>

/* Stores the follow-up under subject+revision and as_of+revision, and
 * makes it the reply. */
static int put_follow_up(store_wctx_t *ctx, const Rectrack__V1__FollowUp *fu,
                         char subject_prefix, const store_key_t *pk) {
  uint8_t key[17], date_key[18];
  key[0] = (uint8_t)subject_prefix;
  memcpy(key + 1, pk->data, 8);
  store_put_u64(key + 9, fu->revision);
  memcpy(date_key, fu->as_of, 10);
  store_put_u64(date_key + 10, fu->revision);
  int rc = store_set_reply(ctx, &fu->base);
  if (rc == 0)
    rc = store_put_history(ctx, ctx->store->fups, key, sizeof key,
                           ctx->op->reply, ctx->op->reply_len);
  if (rc == 0)
    rc = store_put_history(ctx, ctx->store->fup_dates, date_key,
                           sizeof date_key, key, sizeof key);
  return rc;
}

/* Sets the subject's status fields; returns the previous status. */
static Rectrack__V1__Status apply_status(rt_entity_t entity,
                                         ProtobufCMessage *subject,
                                         const Rectrack__V1__FollowUp *fu,
                                         const store_wctx_t *ctx) {
  Rectrack__V1__Status previous;
  if (entity == RT_ENTITY_RECOMMENDATION) {
    Rectrack__V1__Recommendation *r = (void *)subject;
    previous = r->status;
    r->status = fu->status;
    r->last_follow_up_as_of = fu->as_of;
    r->revision = fu->revision;
    r->updated_ms = ctx->now_ms;
    r->updated_by = (char *)ctx->principal;
  } else {
    Rectrack__V1__Commitment *c = (void *)subject;
    previous = c->status;
    c->status = fu->status;
    c->last_follow_up_as_of = fu->as_of;
    c->revision = fu->revision;
    c->updated_ms = ctx->now_ms;
    c->updated_by = (char *)ctx->principal;
  }
  return previous;
}

static int log_follow_up(store_wctx_t *ctx, Rectrack__V1__FollowUp *fu) {
  char *changed[] = {(char *)"status"};
  Rectrack__V1__ChangeEvent event = RECTRACK__V1__CHANGE_EVENT__INIT;
  event.kind = RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_FOLLOW_UP_RECORDED;
  event.subject_id = fu->subject_id;
  event.subject_type = fu->subject_type;
  event.follow_up = fu;
  event.changed_fields = changed;
  event.n_changed_fields = 1;
  return store_log_append(ctx, &event);
}

int store_op_follow_up(store_wctx_t *ctx) {
  Rectrack__V1__FollowUp fu = *(const Rectrack__V1__FollowUp *)ctx->op->message;
  int rc = store_validate_follow_up(&fu, ctx->err);
  if (rc != 0)
    return rc;
  char prefix = fu.subject_id[0];
  rt_entity_t entity = store_subject_of_id(fu.subject_id);
  ProtobufCMessage *subject = NULL;
  store_key_t pk;
  char today[11];
  rc = store_fetch_record(ctx, entity, fu.subject_id, "follow_up.subject_id",
                          &subject, &pk);
  if (rc == 0)
    rc = store_check_reference(ctx->txn, ctx->store, RT_ENTITY_ACTOR,
                               fu.reported_by, "follow_up.reported_by",
                               ctx->err);
  if (rc == 0)
    rc = store_check_expected(
        ctx, NULL, fu.subject_id,
        entity == RT_ENTITY_RECOMMENDATION
            ? ((Rectrack__V1__Recommendation *)(void *)subject)->revision
            : ((Rectrack__V1__Commitment *)(void *)subject)->revision);
  if (rc == 0)
    rc = store_next_revision(ctx, &fu.revision);
  if (rc != 0)
    goto done;
  if (fu.as_of == NULL || fu.as_of[0] == '\0') {
    store_date_of_ms(ctx->now_ms, today);
    fu.as_of = today;
  }
  fu.recorded_by = (char *)ctx->principal;
  fu.recorded_ms = ctx->now_ms;
  fu.subject_type = store_subject_type(entity);
  fu.subject_title = (char *)"";
  /* The unpacked subject is freed field by field: change a shallow copy
   * whose new fields point at borrowed strings. */
  union {
    Rectrack__V1__Recommendation recommendation;
    Rectrack__V1__Commitment commitment;
  } view;
  memcpy(&view, subject, subject->descriptor->sizeof_message);
  fu.previous_status = apply_status(entity, (void *)&view, &fu, ctx);
  rc = store_put_record(ctx, entity, &pk, subject, (void *)&view, 0, false);
  if (rc == 0)
    rc = put_follow_up(ctx, &fu, prefix, &pk);
  if (rc == 0)
    rc = log_follow_up(ctx, &fu);
done:
  if (subject)
    protobuf_c_message_free_unpacked(subject, NULL);
  return rc;
}
