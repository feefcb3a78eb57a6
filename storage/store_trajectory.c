/*
 * store_trajectory: the derived fields of a subject (store_trajectory.h).
 *
 * Status: the rule itself is store_status.c's (the validated follow-up
 * with the latest as_of, the later recorded one between two of a day);
 * here it is applied in the op's transaction and its result written into
 * the subject.
 *
 * Trajectory: a quantified commitment's latest measurement is its official
 * measurement with the greatest as_of, ties broken by the newest revision:
 * measurements are keyed commitment + as_of + revision, so it is the last
 * official one under the commitment's prefix, found walking backwards.
 * Measurements with dimensions are left to their series (store_series.c),
 * whose counts are set here too. Progress is the share of the way from baseline
 * to target; the trajectory compares the latest value with the straight line
 * from baseline to target at its date.
 */
#include "store_trajectory.h"
#include "store_pledges.h"

#include "store_series.h"

#include "rt_validate.h"

#include <math.h>
#include <string.h>

Rectrack__V1__Trajectory store_trajectory(const Rectrack__V1__Indicator *ind,
                                          bool has_latest, double latest,
                                          const char *latest_as_of,
                                          double *progress) {
  *progress = 0;
  if (ind == NULL)
    return RECTRACK__V1__TRAJECTORY__TRAJECTORY_UNSPECIFIED;
  if (!has_latest)
    return RECTRACK__V1__TRAJECTORY__TRAJECTORY_NO_DATA;
  bool decrease =
      ind->direction == RECTRACK__V1__DIRECTION__DIRECTION_DECREASE ||
      (ind->direction == RECTRACK__V1__DIRECTION__DIRECTION_UNSPECIFIED &&
       ind->target_value < ind->baseline_value);
  double span = ind->target_value - ind->baseline_value;
  bool reached =
      decrease ? latest <= ind->target_value : latest >= ind->target_value;
  *progress =
      span != 0 ? (latest - ind->baseline_value) / span : (reached ? 1.0 : 0.0);
  if (reached)
    return RECTRACK__V1__TRAJECTORY__TRAJECTORY_ACHIEVED;
  long base_day, target_day, latest_day;
  if (rt_date_to_days(store_str(ind->baseline_date), &base_day) != 0 ||
      rt_date_to_days(store_str(ind->target_date), &target_day) != 0 ||
      rt_date_to_days(store_str(latest_as_of), &latest_day) != 0 ||
      target_day <= base_day)
    return RECTRACK__V1__TRAJECTORY__TRAJECTORY_OFF_TRACK;
  double fraction =
      (double)(latest_day - base_day) / (double)(target_day - base_day);
  fraction = fraction < 0 ? 0 : fraction > 1 ? 1 : fraction;
  double expected = ind->baseline_value + span * fraction;
  double slack = 1e-9 * fmax(1.0, fabs(expected));
  bool on_track =
      decrease ? latest <= expected + slack : latest >= expected - slack;
  return on_track ? RECTRACK__V1__TRAJECTORY__TRAJECTORY_ON_TRACK
                  : RECTRACK__V1__TRAJECTORY__TRAJECTORY_OFF_TRACK;
}

/* Finds the latest official measurement of commitment number, walking
 * back from the last key under its prefix past submitted and returned
 * ones, and unpacks it into the op's arena; *out stays NULL when there is
 * none. */
static int latest_measurement(store_wctx_t *ctx, uint64_t number,
                              Rectrack__V1__Measurement **out) {
  *out = NULL;
  const char *reading = "reading measurements";
  rt_error_t *err = ctx->err;
  MDB_cursor *cursor;
  int rc = store_mdb_error(mdb_cursor_open(ctx->txn, ctx->store->meas, &cursor),
                           err, reading);
  if (rc != 0)
    return rc;
  uint8_t prefix[9];
  store_put_u64(prefix, number);
  prefix[8] = 0xff; /* after every as_of under this commitment */
  MDB_val key = {9, prefix}, data;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE), err,
                       reading);
  /* The entry before the first one past the prefix, or the last one. */
  MDB_cursor_op step = rc == 0 ? MDB_PREV : MDB_LAST;
  if (rc == 0 || rc == RT_ENOTFOUND)
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, step), err,
                         reading);
  while (rc == 0 && key.mv_size >= 8 && memcmp(key.mv_data, prefix, 8) == 0) {
    ProtobufCMessage *unpacked = NULL;
    rc = store_unpack(ctx->arena, &rectrack__v1__measurement__descriptor,
                      data.mv_data, data.mv_size, &unpacked, err);
    Rectrack__V1__Measurement *m =
        (Rectrack__V1__Measurement *)(void *)unpacked;
    /* A measurement with dimensions belongs to a series, not to the
     * overall figure (store_series.h). */
    if (rc == 0 && m->n_dimensions == 0 &&
        store_review_is_official(m->review_state)) {
      *out = m;
      break;
    }
    if (rc == 0)
      rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_PREV), err,
                           reading);
  }
  if (rc == RT_ENOTFOUND)
    rc = 0; /* no official measurement (yet) */
  mdb_cursor_close(cursor);
  return rc;
}

int store_commitment_recompute(store_wctx_t *ctx, uint64_t number,
                               Rectrack__V1__Commitment *com) {
  Rectrack__V1__Measurement *latest = NULL;
  int rc = latest_measurement(ctx, number, &latest);
  if (rc != 0)
    return rc;
  com->latest_value = latest ? latest->value : 0;
  com->latest_as_of = latest ? latest->as_of : (char *)"";
  com->trajectory =
      store_trajectory(com->indicator, latest != NULL, com->latest_value,
                       com->latest_as_of, &com->progress);
  Rectrack__V1__MeasurementSeries **series = NULL;
  size_t n = 0;
  rc = store_series_collect(ctx->txn, ctx->store, ctx->arena, number,
                            com->indicator, &series, &n,
                            &com->series_above_ceiling_count, ctx->err);
  com->series_count = (uint32_t)n;
  return rc;
}

/* ---- status ---------------------------------------------------------- */

int store_subject_status(store_wctx_t *ctx, rt_entity_t entity,
                         const store_key_t *pk, store_status_fields_t *out) {
  return store_status_read(ctx->txn, ctx->store, entity, pk, NULL, ctx->arena,
                           out, ctx->err);
}

int store_refresh_status(store_wctx_t *ctx, rt_entity_t entity,
                         const store_key_t *pk, ProtobufCMessage *after,
                         const char *partner_id,
                         store_status_fields_t *fields) {
  int rc = store_subject_status(ctx, entity, pk, fields);
  if (rc != 0)
    return rc;
  store_set_status_fields(entity, after, fields);
  if (entity != RT_ENTITY_COMMITMENT)
    return 0;
  return store_pledge_refresh_part(ctx, pk, (void *)after, partner_id);
}

void store_set_status_fields(rt_entity_t entity, ProtobufCMessage *subject,
                             const store_status_fields_t *fields) {
  if (entity == RT_ENTITY_RECOMMENDATION) {
    Rectrack__V1__Recommendation *r = (void *)subject;
    r->status = fields->status;
    r->last_follow_up_as_of = (char *)fields->as_of;
    r->reported_status = fields->reported_status;
    r->reported_as_of = (char *)fields->reported_as_of;
  } else {
    Rectrack__V1__Commitment *c = (void *)subject;
    c->status = fields->status;
    c->last_follow_up_as_of = (char *)fields->as_of;
    c->reported_status = fields->reported_status;
    c->reported_as_of = (char *)fields->reported_as_of;
  }
}

Rectrack__V1__Status
store_subject_official_status(rt_entity_t entity,
                              const ProtobufCMessage *subject) {
  if (entity == RT_ENTITY_RECOMMENDATION)
    return ((const Rectrack__V1__Recommendation *)(const void *)subject)
        ->status;
  return ((const Rectrack__V1__Commitment *)(const void *)subject)->status;
}

/* count + delta, kept at 0 or above. */
static uint32_t moved_count(uint32_t count, int delta) {
  if (delta < 0 && count < (uint32_t)-delta)
    return 0;
  return (uint32_t)((int64_t)count + delta);
}

void store_stamp_subject(const store_wctx_t *ctx, rt_entity_t entity,
                         ProtobufCMessage *subject, uint64_t revision,
                         int pending_delta) {
  if (entity == RT_ENTITY_RECOMMENDATION) {
    Rectrack__V1__Recommendation *r = (void *)subject;
    r->revision = revision;
    r->updated_ms = ctx->now_ms;
    r->updated_by = (char *)ctx->principal;
    r->pending_count = moved_count(r->pending_count, pending_delta);
  } else {
    Rectrack__V1__Commitment *c = (void *)subject;
    c->revision = revision;
    c->updated_ms = ctx->now_ms;
    c->updated_by = (char *)ctx->principal;
    c->pending_count = moved_count(c->pending_count, pending_delta);
  }
}
