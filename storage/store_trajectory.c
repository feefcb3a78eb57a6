/*
 * store_trajectory: the derived fields of a subject (store_trajectory.h).
 *
 * Status: a subject's official status is the status of its latest
 * official follow-up (validated, or recorded before review states
 * existed), where "latest" is the one rule of follow_up_is_later; a
 * submitted follow-up is the subject's self-reported status until the
 * secretariat decides on it, and a returned one counts for nothing. The
 * follow-ups of a subject are one prefix of the follow_ups database, read
 * whole each time the status is worked out, so that the rule stays one
 * function however "latest" is defined.
 *
 * Trajectory: a quantified commitment's latest measurement is its official
 * measurement with the greatest as_of, ties broken by the newest revision:
 * measurements are keyed commitment + as_of + revision, so it is the last
 * official one under the commitment's prefix, found walking backwards.
 * Progress is the share of the way from baseline to target; the
 * trajectory compares the latest value with the straight line from
 * baseline to target at its date.
 */
#include "store_trajectory.h"

#include "rt_validate.h"

#include <math.h>
#include <stdio.h>
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
    if (rc == 0 && store_review_is_official(m->review_state)) {
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
  return 0;
}

/* ---- status ---------------------------------------------------------- */

/* What the status rule looks at in one follow-up. */
typedef struct follow_up_ref {
  bool found;
  Rectrack__V1__Status status;
  char as_of[11];
  uint64_t revision;
} follow_up_ref_t;

/* Whether follow-up a is later than b (which may be none yet): the one
 * definition of "latest" for a subject's status. The latest recorded:
 * the higher revision. */
static bool follow_up_is_later(const follow_up_ref_t *a,
                               const follow_up_ref_t *b) {
  return !b->found || a->revision > b->revision;
}

static void keep_if_later(follow_up_ref_t *best,
                          const Rectrack__V1__FollowUp *fu) {
  follow_up_ref_t candidate = {
      .found = true, .status = fu->status, .revision = fu->revision};
  snprintf(candidate.as_of, sizeof candidate.as_of, "%s", store_str(fu->as_of));
  if (follow_up_is_later(&candidate, best))
    *best = candidate;
}

/* Reads the follow-ups under prefix (subject key, 9 bytes) into official
 * and reported. Each is unpacked into scratch, reset after it, so a long
 * history takes no more memory than one report. */
static int scan_follow_ups(store_wctx_t *ctx, const uint8_t prefix[9],
                           store_arena_t *scratch, follow_up_ref_t *official,
                           follow_up_ref_t *reported) {
  const char *reading = "reading follow-ups";
  MDB_cursor *cursor;
  int rc = store_mdb_error(mdb_cursor_open(ctx->txn, ctx->store->fups, &cursor),
                           ctx->err, reading);
  if (rc != 0)
    return rc;
  MDB_val key = {9, (void *)prefix}, data;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE),
                       ctx->err, reading);
  while (rc == 0 && key.mv_size == 17 && memcmp(key.mv_data, prefix, 9) == 0) {
    ProtobufCMessage *unpacked = NULL;
    store_arena_reset(scratch);
    rc = store_unpack(scratch, &rectrack__v1__follow_up__descriptor,
                      data.mv_data, data.mv_size, &unpacked, ctx->err);
    if (rc != 0)
      break;
    const Rectrack__V1__FollowUp *fu = (const void *)unpacked;
    if (store_review_is_official(fu->review_state))
      keep_if_later(official, fu);
    else if (fu->review_state ==
             RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_SUBMITTED)
      keep_if_later(reported, fu);
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_NEXT),
                         ctx->err, reading);
  }
  mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc; /* the end of the database */
}

int store_subject_status(store_wctx_t *ctx, rt_entity_t entity,
                         const store_key_t *pk, store_status_fields_t *out) {
  uint8_t prefix[9];
  prefix[0] = entity == RT_ENTITY_RECOMMENDATION ? 'R' : 'C';
  memcpy(prefix + 1, pk->data, 8);
  follow_up_ref_t official = {0}, reported = {0};
  store_arena_t scratch;
  store_arena_init(&scratch);
  int rc = scan_follow_ups(ctx, prefix, &scratch, &official, &reported);
  store_arena_free(&scratch);
  if (rc != 0)
    return rc;
  out->status = official.found ? official.status
                               : RECTRACK__V1__STATUS__STATUS_NO_INFORMATION;
  out->reported_status = reported.found
                             ? reported.status
                             : RECTRACK__V1__STATUS__STATUS_UNSPECIFIED;
  out->as_of = store_arena_strdup(ctx->arena, official.as_of);
  out->reported_as_of = store_arena_strdup(ctx->arena, reported.as_of);
  if (out->as_of == NULL || out->reported_as_of == NULL)
    return rt_error_set(ctx->err, RT_ENOMEM, NULL, "out of memory");
  return 0;
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
