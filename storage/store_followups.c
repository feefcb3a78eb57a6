/*
 * store_followups: a follow-up report on a recommendation or commitment.
 * The report is stored under subject + revision and as_of + revision.
 * The secretariat's report is validated at once; a reporter's is
 * submitted, after the checks of store_parties.h, and waits for the
 * secretariat (store_submissions.c). A report may speak of any day up to
 * tomorrow (UTC), none later. Either way the subject's status fields are
 * worked out again by the status rule (store_status.h) from its
 * follow-ups, the new one included: a report dated before the latest one
 * takes its place in the history and leaves the status as it was. The
 * subject's count of pending submissions moves. All of it is written in one
 * child transaction with the subject's new state, its index entries and the log
 * entry, so the subject's status can never disagree with the history it comes
 * from. The reply is the follow-up as recorded.
 */
#include "store_ops.h"
#include "store_pledges.h"

#include <string.h>

/* Stores the follow-up under subject+revision and as_of+revision, and
 * makes it the reply. */
static int put_follow_up(store_wctx_t *ctx, const Rectrack__V1__FollowUp *fu,
                         const store_key_t *pk) {
  uint8_t key[17], date_key[18];
  key[0] = (uint8_t)fu->subject_id[0]; /* R or C */
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

/* The review fields of a new report: the secretariat's is validated by
 * itself at its own revision; a reporter's awaits a decision. */
static void set_review(store_wctx_t *ctx, Rectrack__V1__FollowUp *fu) {
  fu->reviewed_by = (char *)"";
  fu->reviewed_ms = 0;
  fu->review_note = (char *)"";
  fu->review_revision = 0;
  fu->review_state = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_SUBMITTED;
  if (!store_parties_is_secretariat(ctx))
    return;
  fu->review_state = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_VALIDATED;
  fu->reviewed_by = (char *)ctx->principal;
  fu->reviewed_ms = ctx->now_ms;
  fu->review_revision = fu->revision;
}

/* Checks the report, its subject and who may file it; fetches the
 * subject into *before. */
static int check_follow_up(store_wctx_t *ctx, Rectrack__V1__FollowUp *fu,
                           rt_entity_t entity, ProtobufCMessage **before,
                           store_key_t *pk) {
  int rc = store_validate_follow_up(fu, ctx->err);
  if (rc == 0)
    rc = store_validate_not_future(fu->as_of, ctx->now_ms, "follow_up.as_of",
                                   ctx->err);
  if (rc == 0)
    rc = store_fetch_record(ctx, entity, fu->subject_id, "follow_up.subject_id",
                            before, pk);
  if (rc == 0)
    rc = store_parties_check_actors(ctx);
  if (rc == 0)
    store_parties_default_part(ctx, entity, *before, &fu->partner_id);
  if (rc == 0)
    rc = store_pledge_check_part(entity, *before, fu->partner_id, ctx->err);
  if (rc == 0)
    rc = store_parties_check_subject(ctx, entity, *before, fu->partner_id);
  if (rc == 0)
    rc = store_parties_check_reported_by(ctx, &fu->reported_by,
                                         "follow_up.reported_by");
  if (rc == 0)
    rc = store_check_expected(ctx, NULL, fu->subject_id,
                              store_record_revision(entity, *before));
  return rc;
}

int store_op_follow_up(store_wctx_t *ctx) {
  Rectrack__V1__FollowUp fu = *(const Rectrack__V1__FollowUp *)ctx->op->message;
  rt_entity_t entity = store_subject_of_id(fu.subject_id);
  ProtobufCMessage *before = NULL;
  store_key_t pk;
  int rc = check_follow_up(ctx, &fu, entity, &before, &pk);
  if (rc == 0)
    rc = store_next_revision(ctx, &fu.revision);
  if (rc != 0)
    return rc;
  char today[11];
  if (fu.as_of == NULL || fu.as_of[0] == '\0') {
    store_date_of_ms(ctx->now_ms, today);
    fu.as_of = today;
  }
  fu.recorded_by = (char *)ctx->principal;
  fu.recorded_ms = ctx->now_ms;
  fu.subject_type = store_subject_type(entity);
  fu.subject_title = (char *)"";
  fu.previous_status =
      store_part_official_status(entity, before, fu.partner_id);
  set_review(ctx, &fu);
  /* The subject as it will be; before stays as it was, for its index
   * entries. Both live in the op's arena. */
  ProtobufCMessage *after = store_arena_memdup(
      ctx->arena, before, before->descriptor->sizeof_message);
  if (after == NULL)
    return rt_error_set(ctx->err, RT_ENOMEM, NULL, "out of memory");
  store_status_fields_t fields;
  rc = put_follow_up(ctx, &fu, &pk);
  if (rc == 0)
    rc = store_refresh_status(ctx, entity, &pk, after, fu.partner_id, &fields);
  if (rc != 0)
    return rc;
  store_stamp_subject(ctx, entity, after, fu.revision,
                      store_parties_is_secretariat(ctx) ? 0 : 1);
  rc = store_put_record(ctx, entity, &pk, before, after, 0, false);
  if (rc == 0)
    rc = log_follow_up(ctx, &fu);
  return rc;
}
