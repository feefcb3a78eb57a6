/*
 * store_measurements: a measurement appended to a quantified commitment.
 * It is stored under commitment + as_of + revision and, in the same child
 * transaction, the commitment's latest value, progress and trajectory are
 * recomputed from its stored measurements (store_trajectory.c), its index
 * entries moved and the change logged, so the derived fields can never
 * disagree with the history they come from. The reply is the commitment.
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

int store_op_measurement(store_wctx_t *ctx) {
  Rectrack__V1__Measurement m =
      *(const Rectrack__V1__Measurement *)ctx->op->message;
  int rc = store_validate_measurement(&m, ctx->err);
  if (rc != 0)
    return rc;
  ProtobufCMessage *stored = NULL;
  store_key_t pk;
  rc = store_fetch_record(ctx, RT_ENTITY_COMMITMENT, m.commitment_id,
                          "measurement.commitment_id", &stored, &pk);
  Rectrack__V1__Commitment *before = (void *)stored;
  if (rc == 0 && before->indicator == NULL)
    rc = rt_error_set(ctx->err, RT_EPRECOND, "measurement.commitment_id",
                      "measurement.commitment_id: commitment %.80s has no "
                      "indicator; only quantified commitments take "
                      "measurements",
                      m.commitment_id);
  if (rc == 0)
    rc = store_next_revision(ctx, &m.revision);
  if (rc != 0)
    return rc;
  m.recorded_by = (char *)ctx->principal;
  m.recorded_ms = ctx->now_ms;
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
  after->revision = m.revision;
  after->updated_ms = ctx->now_ms;
  after->updated_by = (char *)ctx->principal;
  rc = store_put_record(ctx, RT_ENTITY_COMMITMENT, &pk, &before->base,
                        &after->base, 0, true);
  if (rc == 0)
    rc = log_measurement(ctx, before->id, &m);
  return rc;
}
