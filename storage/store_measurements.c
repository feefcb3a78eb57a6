/*
 * store_measurements: a measurement appended to a quantified commitment.
 * It is stored under commitment + as_of + revision and, in the same child
 * transaction, the commitment's latest value, progress and trajectory are
 * recomputed from its stored measurements (store_trajectory.c), its index
 * entries moved and the change logged, so the derived fields can never
 * disagree with the history they come from. The reply is the commitment.
 */
#include "store_ops.h"

#include <stdlib.h>
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
  int rc = store_pack(&m->base, &packed, &packed_len, ctx->err);
  if (rc == 0)
    rc = store_put_history(ctx, ctx->store->meas, key, sizeof key, packed,
                           packed_len);
  free(packed);
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
  Rectrack__V1__Commitment *com = NULL;
  store_key_t pk;
  char latest_as_of[11];
  rc = store_fetch_record(ctx, RT_ENTITY_COMMITMENT, m.commitment_id,
                          "measurement.commitment_id",
                          (ProtobufCMessage **)&com, &pk);
  if (rc == 0 && com->indicator == NULL)
    rc = rt_error_set(ctx->err, RT_EPRECOND, "measurement.commitment_id",
                      "measurement.commitment_id: commitment %.80s has no "
                      "indicator; only quantified commitments take "
                      "measurements",
                      m.commitment_id);
  if (rc == 0)
    rc = store_next_revision(ctx, &m.revision);
  if (rc != 0)
    goto done;
  m.recorded_by = (char *)ctx->principal;
  m.recorded_ms = ctx->now_ms;
  /* A shallow copy takes the borrowed strings; com is freed as unpacked. */
  Rectrack__V1__Commitment view = *com;
  rc = put_measurement(ctx, &m, &pk);
  if (rc == 0)
    rc = store_commitment_recompute(ctx, store_get_u64(pk.data), &view,
                                    latest_as_of);
  if (rc != 0)
    goto done;
  view.measurement_count++;
  view.revision = m.revision;
  view.updated_ms = ctx->now_ms;
  view.updated_by = (char *)ctx->principal;
  rc = store_put_record(ctx, RT_ENTITY_COMMITMENT, &pk, &com->base, &view.base,
                        0, true);
  if (rc == 0)
    rc = log_measurement(ctx, com->id, &m);
done:
  if (com)
    protobuf_c_message_free_unpacked(&com->base, NULL);
  return rc;
}
