/*
 * store_measurements: a measurement appended to a quantified commitment.
 * It is stored under commitment + as_of + revision and, in the same child
 * transaction, the commitment's latest value, progress and trajectory are
 * recomputed from its official measurements (store_trajectory.c), its
 * index entries moved and the change logged, so the derived fields can
 * never disagree with the history they come from. The secretariat's
 * measurement is validated at once; a reporter's, after the checks of
 * store_parties.h, is submitted: it is kept and counted as pending, and
 * changes nothing the commitment shows until the secretariat validates it
 * (store_submissions.c). The reply is the commitment.
 */
#include "store_ops.h"

#include <string.h>

static int put_measurement(store_wctx_t *ctx,
                           const Rectrack__V1__Measurement *m,
                           const store_key_t *pk) {
  uint8_t key[26];
  memcpy(key, pk->data, 8);
  memcpy(key + 8, m->as_of, 10);
  store_put_u64(key + 18, m->revision);
  uint8_t *packed = NULL;
  size_t packed_len = 0;
  int rc = store_pack(ctx->arena, &m->base, &packed, &packed_len, ctx->err);
  if (rc == 0)
    rc = store_put_history(ctx, ctx->store->meas, key, sizeof key, packed,
                           packed_len);
  return rc;
}

static int log_measurement(store_wctx_t *ctx, char *commitment_id,
                           Rectrack__V1__Measurement *m) {
  char *changed[] = {(char *)"measurements"};
  Rectrack__V1__ChangeEvent event = RECTRACK__V1__CHANGE_EVENT__INIT;
  event.kind = RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_MEASUREMENT_RECORDED;
  event.subject_id = commitment_id;
  event.subject_type = RECTRACK__V1__SUBJECT_TYPE__SUBJECT_TYPE_COMMITMENT;
  event.measurement = m;
  event.changed_fields = changed;
  event.n_changed_fields = 1;
  return store_log_append(ctx, &event);
}

/* The review fields of a new measurement, as for a follow-up: the
 * secretariat's is validated by itself at its own revision; a reporter's
 * awaits a decision. */
static void set_review(store_wctx_t *ctx, Rectrack__V1__Measurement *m) {
  m->reviewed_by = (char *)"";
  m->reviewed_ms = 0;
  m->review_note = (char *)"";
  m->review_revision = 0;
  m->review_state = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_SUBMITTED;
  if (!store_parties_is_secretariat(ctx))
    return;
  m->review_state = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_VALIDATED;
  m->reviewed_by = (char *)ctx->principal;
  m->reviewed_ms = ctx->now_ms;
  m->review_revision = m->revision;
}

/* Checks the measurement, its commitment and who may file it; fetches
 * the commitment into *before. */
static int check_measurement(store_wctx_t *ctx, Rectrack__V1__Measurement *m,
                             Rectrack__V1__Commitment **before,
                             store_key_t *pk) {
  ProtobufCMessage *stored = NULL;
  int rc = store_validate_measurement(m, ctx->err);
  if (rc == 0)
    rc = store_dimensions_check(ctx, m);
  if (rc == 0)
    rc = store_validate_not_future(m->as_of, ctx->now_ms, "measurement.as_of",
                                   ctx->err);
  if (rc == 0)
    rc = store_fetch_record(ctx, RT_ENTITY_COMMITMENT, m->commitment_id,
                            "measurement.commitment_id", &stored, pk);
  *before = (void *)stored;
  if (rc == 0 && (*before)->indicator == NULL)
    rc = rt_error_set(ctx->err, RT_EPRECOND, "measurement.commitment_id",
                      "measurement.commitment_id: commitment %.80s has no "
                      "indicator; only quantified commitments take "
                      "measurements",
                      m->commitment_id);
  if (rc == 0)
    rc = store_parties_check_actors(ctx);
  if (rc == 0)
    rc = store_parties_check_subject(ctx, RT_ENTITY_COMMITMENT, stored, NULL);
  if (rc == 0)
    rc = store_parties_check_reported_by(ctx, &m->reported_by,
                                         "measurement.reported_by");
  return rc;
}

int store_op_measurement(store_wctx_t *ctx) {
  Rectrack__V1__Measurement m =
      *(const Rectrack__V1__Measurement *)ctx->op->message;
  Rectrack__V1__Commitment *before = NULL;
  store_key_t pk;
  int rc = check_measurement(ctx, &m, &before, &pk);
  if (rc == 0)
    rc = store_next_revision(ctx, &m.revision);
  if (rc != 0)
    return rc;
  m.recorded_by = (char *)ctx->principal;
  m.recorded_ms = ctx->now_ms;
  set_review(ctx, &m);
  /* The commitment as it will be; before stays as it was, for its index
   * entries. Both live in the op's arena. */
  Rectrack__V1__Commitment *after =
      store_arena_memdup(ctx->arena, before, sizeof *before);
  if (after == NULL)
    return rt_error_set(ctx->err, RT_ENOMEM, NULL, "out of memory");
  rc = put_measurement(ctx, &m, &pk);
  if (rc == 0)
    rc = store_commitment_recompute(ctx, store_get_u64(pk.data), after);
  if (rc != 0)
    return rc;
  after->measurement_count++;
  store_stamp_subject(ctx, RT_ENTITY_COMMITMENT, &after->base, m.revision,
                      store_parties_is_secretariat(ctx) ? 0 : 1);
  rc = store_put_record(ctx, RT_ENTITY_COMMITMENT, &pk, &before->base,
                        &after->base, 0, true);
  if (rc == 0)
    rc = log_measurement(ctx, before->id, &m);
  return rc;
}
