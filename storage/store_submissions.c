/*
 * store_submissions: the secretariat's decision on a reporter's follow-up
 * or measurement (VALIDATE_SUBMISSION). The request names the subject and
 * the revision the submission was recorded at; the log entry of that
 * revision says which it is (follow-up or measurement) and where it is
 * stored. A submission is decided once: its stored copy takes the review
 * fields (state, who, when, note, the decision's revision), the subject's
 * derived fields are worked out again by the one rule that owns each
 * (store_trajectory.h) with one submission fewer pending, and the log
 * entry holds the submission as decided and the subject after it, so that
 * the verifier can tie both to the chain. Nobody decides on what they
 * recorded themselves: a reporter who became secretariat cannot validate
 * its own report.
 */
#include "store_ops.h"

#include <stdio.h>
#include <string.h>

/* The submission a decision is about, and where its review fields are. */
typedef struct submission {
  Rectrack__V1__FollowUp *follow_up;      /* one of these is set: the */
  Rectrack__V1__Measurement *measurement; /* stored copy, in the arena */
  MDB_dbi dbi;
  uint8_t key[26];
  size_t key_len;
  Rectrack__V1__ReviewState *state;
  char **reviewed_by;
  int64_t *reviewed_ms;
  char **review_note;
  uint64_t *review_revision;
  const char *recorded_by;
  const char *what; /* "follow-up", "measurement" */
} submission_t;

static void point_at_follow_up(submission_t *s, Rectrack__V1__FollowUp *fu) {
  s->follow_up = fu;
  s->state = &fu->review_state;
  s->reviewed_by = &fu->reviewed_by;
  s->reviewed_ms = &fu->reviewed_ms;
  s->review_note = &fu->review_note;
  s->review_revision = &fu->review_revision;
  s->recorded_by = store_str(fu->recorded_by);
  s->what = "follow-up";
}

static void point_at_measurement(submission_t *s,
                                 Rectrack__V1__Measurement *m) {
  s->measurement = m;
  s->state = &m->review_state;
  s->reviewed_by = &m->reviewed_by;
  s->reviewed_ms = &m->reviewed_ms;
  s->review_note = &m->review_note;
  s->review_revision = &m->review_revision;
  s->recorded_by = store_str(m->recorded_by);
  s->what = "measurement";
}

static int no_submission(store_wctx_t *ctx,
                         const Rectrack__V1__ValidateSubmissionRequest *req) {
  return rt_error_set(ctx->err, RT_ENOTFOUND, "revision",
                      "revision: %.20s has no follow-up or measurement "
                      "recorded at revision %llu",
                      req->subject_id, (unsigned long long)req->revision);
}

/* Finds the submission from the log entry at its revision and loads its
 * stored copy (pk: the subject's key). */
static int find_submission(store_wctx_t *ctx,
                           const Rectrack__V1__ValidateSubmissionRequest *req,
                           const store_key_t *pk, submission_t *out) {
  uint64_t newest = 0;
  int rc =
      store_meta_get_u64(ctx->txn, ctx->store, "revision", &newest, ctx->err);
  if (rc != 0)
    return rc;
  if (req->revision > newest)
    return no_submission(ctx, req);
  Rectrack__V1__ChangeEvent *event = NULL;
  rc = store_log_entry(ctx, req->revision, &event);
  if (rc != 0)
    return rc;
  bool is_follow_up =
      event->kind ==
          RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_FOLLOW_UP_RECORDED &&
      event->follow_up != NULL;
  bool is_measurement =
      event->kind ==
          RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_MEASUREMENT_RECORDED &&
      event->measurement != NULL;
  if (strcmp(store_str(event->subject_id), req->subject_id) != 0 ||
      (!is_follow_up && !is_measurement))
    return no_submission(ctx, req);
  memset(out, 0, sizeof *out);
  if (is_follow_up) {
    out->dbi = ctx->store->fups;
    out->key[0] = (uint8_t)req->subject_id[0];
    memcpy(out->key + 1, pk->data, 8);
    store_put_u64(out->key + 9, req->revision);
    out->key_len = 17;
  } else {
    out->dbi = ctx->store->meas;
    memcpy(out->key, pk->data, 8);
    memset(out->key + 8, 0, 10);
    memcpy(out->key + 8, store_str(event->measurement->as_of),
           strnlen(store_str(event->measurement->as_of), 10));
    store_put_u64(out->key + 18, req->revision);
    out->key_len = 26;
  }
  MDB_val key = {out->key_len, out->key}, data;
  rc = store_mdb_error(mdb_get(ctx->txn, out->dbi, &key, &data), ctx->err,
                       "reading history");
  if (rc == RT_ENOTFOUND)
    return rt_error_set(ctx->err, RT_ECORRUPT, NULL,
                        "storage: the %s of %.20s recorded at revision %llu "
                        "is missing from the stored history",
                        is_follow_up ? "follow-up" : "measurement",
                        req->subject_id, (unsigned long long)req->revision);
  ProtobufCMessage *stored = NULL;
  if (rc == 0)
    rc = store_unpack(ctx->arena,
                      is_follow_up ? &rectrack__v1__follow_up__descriptor
                                   : &rectrack__v1__measurement__descriptor,
                      data.mv_data, data.mv_size, &stored, ctx->err);
  if (rc != 0)
    return rc;
  if (is_follow_up)
    point_at_follow_up(out, (Rectrack__V1__FollowUp *)(void *)stored);
  else
    point_at_measurement(out, (Rectrack__V1__Measurement *)(void *)stored);
  return 0;
}

/* Only a submission awaiting a decision can get one, and not from the
 * principal who recorded it. */
static int check_undecided(store_wctx_t *ctx,
                           const Rectrack__V1__ValidateSubmissionRequest *req,
                           const submission_t *s) {
  unsigned long long revision = (unsigned long long)req->revision;
  if (*s->state == RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_UNSPECIFIED)
    return rt_error_set(ctx->err, RT_EPRECOND, "revision",
                        "the %s of %.20s recorded at revision %llu predates "
                        "validation and counts as validated; there is "
                        "nothing to decide",
                        s->what, req->subject_id, revision);
  if (*s->state != RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_SUBMITTED) {
    bool at_once = *s->review_revision == req->revision;
    return rt_error_set(
        ctx->err, RT_EPRECOND, "revision",
        "the %s of %.20s recorded at revision %llu was already %s by "
        "%.64s %s%llu; a decision is taken once",
        s->what, req->subject_id, revision,
        *s->state == RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_RETURNED
            ? "returned"
            : "validated",
        store_str(*s->reviewed_by),
        at_once ? "as it was recorded, at revision " : "at revision ",
        (unsigned long long)*s->review_revision);
  }
  if (strcmp(s->recorded_by, ctx->principal) == 0)
    return rt_error_set(ctx->err, RT_EPERM, NULL,
                        "%.64s recorded the %s of %.20s at revision %llu and "
                        "cannot decide on its own submission; someone else "
                        "of the secretariat validates or returns it",
                        ctx->principal, s->what, req->subject_id, revision);
  return 0;
}

/* Works the subject's derived fields out again, now that the submission
 * is decided; names what changed in changed[*n_changed]. */
static int recompute_subject(store_wctx_t *ctx, rt_entity_t entity,
                             const store_key_t *pk, const submission_t *s,
                             const ProtobufCMessage *before,
                             ProtobufCMessage *after, char **changed,
                             size_t *n_changed) {
  changed[(*n_changed)++] = (char *)"review_state";
  changed[(*n_changed)++] = (char *)"pending_count";
  if (s->follow_up != NULL) {
    store_status_fields_t fields;
    int rc = store_refresh_status(ctx, entity, pk, after,
                                  s->follow_up->partner_id, &fields);
    if (rc != 0)
      return rc;
    if (store_subject_official_status(entity, before) != fields.status)
      changed[(*n_changed)++] = (char *)"status";
    return 0;
  }
  const Rectrack__V1__Commitment *was = (const void *)before;
  Rectrack__V1__Commitment *is = (void *)after;
  int rc = store_commitment_recompute(ctx, store_get_u64(pk->data), is);
  if (rc != 0)
    return rc;
  if (was->latest_value != is->latest_value ||
      strcmp(store_str(was->latest_as_of), store_str(is->latest_as_of)) != 0)
    changed[(*n_changed)++] = (char *)"latest_value";
  if (was->trajectory != is->trajectory)
    changed[(*n_changed)++] = (char *)"trajectory";
  return 0;
}

static int log_decision(store_wctx_t *ctx,
                        const Rectrack__V1__ValidateSubmissionRequest *req,
                        rt_entity_t entity, const submission_t *s,
                        ProtobufCMessage *after, char **changed,
                        size_t n_changed) {
  Rectrack__V1__ChangeEvent event = RECTRACK__V1__CHANGE_EVENT__INIT;
  event.kind =
      req->decision == RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_RETURNED
          ? RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_SUBMISSION_RETURNED
          : RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_SUBMISSION_VALIDATED;
  event.subject_id = req->subject_id;
  event.subject_type = store_subject_type(entity);
  event.follow_up = s->follow_up;
  event.measurement = s->measurement;
  if (entity == RT_ENTITY_RECOMMENDATION)
    event.recommendation = (void *)after;
  else
    event.commitment = (void *)after;
  event.changed_fields = changed;
  event.n_changed_fields = n_changed;
  return store_log_append(ctx, &event);
}

static int reply_decision(store_wctx_t *ctx, rt_entity_t entity,
                          const submission_t *s, ProtobufCMessage *after) {
  Rectrack__V1__ValidateSubmissionResponse reply =
      RECTRACK__V1__VALIDATE_SUBMISSION_RESPONSE__INIT;
  reply.follow_up = s->follow_up;
  reply.measurement = s->measurement;
  if (entity == RT_ENTITY_RECOMMENDATION)
    reply.recommendation = (void *)after;
  else
    reply.commitment = (void *)after;
  return store_set_reply(ctx, &reply.base);
}

int store_op_validate(store_wctx_t *ctx) {
  const Rectrack__V1__ValidateSubmissionRequest *req =
      (const void *)ctx->op->message;
  int rc = store_validate_decision(req, ctx->err);
  if (rc != 0)
    return rc;
  rt_entity_t entity = store_subject_of_id(req->subject_id);
  ProtobufCMessage *before = NULL;
  store_key_t pk;
  submission_t s;
  uint64_t revision = 0;
  rc = store_fetch_record(ctx, entity, req->subject_id, "subject_id", &before,
                          &pk);
  if (rc == 0)
    rc = find_submission(ctx, req, &pk, &s);
  if (rc == 0)
    rc = check_undecided(ctx, req, &s);
  if (rc == 0)
    rc = store_next_revision(ctx, &revision);
  if (rc != 0)
    return rc;
  *s.state = req->decision;
  *s.reviewed_by = (char *)ctx->principal;
  *s.reviewed_ms = ctx->now_ms;
  *s.review_note = (char *)store_str(req->note);
  *s.review_revision = revision;
  rc = store_replace_history(ctx, s.dbi, s.key, s.key_len,
                             s.follow_up ? &s.follow_up->base
                                         : &s.measurement->base);
  ProtobufCMessage *after = store_arena_memdup(
      ctx->arena, before, before->descriptor->sizeof_message);
  if (rc == 0 && after == NULL)
    rc = rt_error_set(ctx->err, RT_ENOMEM, NULL, "out of memory");
  char *changed[6];
  size_t n_changed = 0;
  if (rc == 0)
    rc = recompute_subject(ctx, entity, &pk, &s, before, after, changed,
                           &n_changed);
  if (rc != 0)
    return rc;
  store_stamp_subject(ctx, entity, after, revision, -1);
  rc = store_put_record(ctx, entity, &pk, before, after, 0, false);
  if (rc == 0)
    rc = log_decision(ctx, req, entity, &s, after, changed, n_changed);
  if (rc == 0)
    rc = reply_decision(ctx, entity, &s, after);
  return rc;
}
