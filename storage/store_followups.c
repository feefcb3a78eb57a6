/*
 * store_followups: the append-only history of a subject. A follow-up report
 * sets its subject's status (keeping the old one as previous_status); a
 * measurement updates a quantified commitment's latest value, progress and
 * trajectory. Both are written in the same child transaction as the
 * subject's new state, the subject's index entries and the log entry, so
 * the derived fields can never disagree with the history they come from.
 *
 * "Latest" measurement means the greatest as_of, ties broken by the newest
 * revision: measurements are keyed commitment + as_of + revision, so it is
 * simply the last key under the commitment's prefix.
 */
#include "rt_validate.h"
#include "store_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Finds the latest measurement of commitment number; *found false when it
 * has none. *out is freed by the caller. */
static int latest_measurement(MDB_txn *txn, rt_store_t *store, uint64_t number,
                              Rectrack__V1__Measurement **out,
                              rt_error_t *err) {
  *out = NULL;
  const char *reading = "reading measurements";
  MDB_cursor *cursor;
  int rc =
      store_mdb_error(mdb_cursor_open(txn, store->meas, &cursor), err, reading);
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
  if (rc == 0 && key.mv_size >= 8 && memcmp(key.mv_data, prefix, 8) == 0) {
    *out = rectrack__v1__measurement__unpack(NULL, data.mv_size, data.mv_data);
    if (*out == NULL)
      rc = rt_error_set(err, RT_ECORRUPT, NULL,
                        "storage: a stored measurement does not decode");
  } else if (rc == 0 || rc == RT_ENOTFOUND) {
    rc = 0; /* no measurement yet */
  }
  mdb_cursor_close(cursor);
  return rc;
}

int store_commitment_recompute(MDB_txn *txn, rt_store_t *store, uint64_t number,
                               Rectrack__V1__Commitment *com,
                               char latest_as_of[11], rt_error_t *err) {
  Rectrack__V1__Measurement *latest = NULL;
  int rc = latest_measurement(txn, store, number, &latest, err);
  if (rc != 0)
    return rc;
  latest_as_of[0] = '\0';
  if (latest) {
    snprintf(latest_as_of, 11, "%s", store_str(latest->as_of));
    com->latest_value = latest->value;
  } else {
    com->latest_value = 0;
  }
  com->latest_as_of = latest_as_of;
  com->trajectory =
      store_trajectory(com->indicator, latest != NULL, com->latest_value,
                       latest_as_of, &com->progress);
  if (latest)
    protobuf_c_message_free_unpacked(&latest->base, NULL);
  return 0;
}

/* Writes a subject record (R or C) back and moves its index entries from
 * the values of old to those of record. */
static int put_subject(store_wctx_t *ctx, rt_entity_t entity,
                       const ProtobufCMessage *old,
                       const ProtobufCMessage *record, const store_key_t *pk,
                       uint8_t **packed, size_t *packed_len) {
  int rc = store_pack(record, packed, packed_len, ctx->err);
  if (rc != 0)
    return rc;
  MDB_val key = {pk->len, (void *)pk->data}, data = {*packed_len, *packed};
  rc = store_mdb_error(
      mdb_put(ctx->txn, store_entity_dbi(ctx->store, entity), &key, &data, 0),
      ctx->err, "writing a record");
  if (rc != 0)
    return rc;
  return store_index_replace(ctx, entity, old, record, pk);
}

static int put_raw(store_wctx_t *ctx, MDB_dbi dbi, const void *key_data,
                   size_t key_len, const void *value, size_t value_len) {
  MDB_val key = {key_len, (void *)key_data}, data = {value_len, (void *)value};
  int rc = store_mdb_error(mdb_put(ctx->txn, dbi, &key, &data, MDB_NOOVERWRITE),
                           ctx->err, "writing history");
  if (rc == RT_EEXIST) /* keys end in the revision, which is new */
    rc = rt_error_set(ctx->err, RT_ECORRUPT, NULL,
                      "storage: the history already holds an entry of this "
                      "revision");
  return rc;
}

/* Stores the follow-up under subject+revision and as_of+revision. */
static int put_follow_up(store_wctx_t *ctx, const Rectrack__V1__FollowUp *fu,
                         char subject_prefix, const store_key_t *pk) {
  uint8_t key[17], date_key[18];
  key[0] = (uint8_t)subject_prefix;
  memcpy(key + 1, pk->data, 8);
  store_put_u64(key + 9, fu->revision);
  memcpy(date_key, fu->as_of, 10);
  store_put_u64(date_key + 10, fu->revision);
  uint8_t *packed = NULL;
  size_t packed_len = 0;
  int rc = store_pack(&fu->base, &packed, &packed_len, ctx->err);
  if (rc == 0)
    rc = put_raw(ctx, ctx->store->fups, key, sizeof key, packed, packed_len);
  if (rc == 0)
    rc = put_raw(ctx, ctx->store->fup_dates, date_key, sizeof date_key, key,
                 sizeof key);
  if (rc == 0)
    store_take_reply(ctx, &packed, packed_len);
  free(packed);
  return rc;
}

static int check_reporter(store_wctx_t *ctx, const char *actor_id) {
  if (actor_id == NULL || actor_id[0] == '\0')
    return 0;
  store_key_t pk;
  MDB_val data;
  int rc = store_primary_key(RT_ENTITY_ACTOR, actor_id, &pk, ctx->err);
  if (rc == 0)
    rc = store_fetch(ctx->txn, ctx->store->actors, &pk, &data, ctx->err,
                     "reading an actor");
  if (rc == RT_ENOTFOUND)
    return rt_error_set(ctx->err, RT_ENOTFOUND, "follow_up.reported_by",
                        "follow_up.reported_by: actor '%.80s' does not exist",
                        actor_id);
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
  rt_entity_t entity =
      prefix == 'R' ? RT_ENTITY_RECOMMENDATION : RT_ENTITY_COMMITMENT;
  ProtobufCMessage *subject = NULL;
  store_key_t pk;
  uint8_t *packed = NULL;
  size_t packed_len = 0;
  char today[11];
  rc = store_fetch_unpacked(ctx, entity, fu.subject_id, "follow_up.subject_id",
                            &subject, &pk);
  if (rc == 0)
    rc = check_reporter(ctx, fu.reported_by);
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
  fu.subject_type = (Rectrack__V1__SubjectType)entity;
  fu.subject_title = (char *)"";
  /* The unpacked subject is freed field by field: change a shallow copy
   * whose new fields point at borrowed strings. */
  union {
    Rectrack__V1__Recommendation recommendation;
    Rectrack__V1__Commitment commitment;
  } view;
  memcpy(&view, subject, subject->descriptor->sizeof_message);
  fu.previous_status = apply_status(entity, (void *)&view, &fu, ctx);
  rc = put_subject(ctx, entity, subject, (void *)&view, &pk, &packed,
                   &packed_len);
  if (rc == 0)
    rc = put_follow_up(ctx, &fu, prefix, &pk);
  if (rc == 0)
    rc = log_follow_up(ctx, &fu);
done:
  free(packed);
  if (subject)
    protobuf_c_message_free_unpacked(subject, NULL);
  return rc;
}

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
    rc = put_raw(ctx, ctx->store->meas, key, sizeof key, packed, packed_len);
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
  uint8_t *packed = NULL;
  size_t packed_len = 0;
  char latest_as_of[11];
  rc = store_fetch_unpacked(ctx, RT_ENTITY_COMMITMENT, m.commitment_id,
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
    rc =
        store_commitment_recompute(ctx->txn, ctx->store, store_get_u64(pk.data),
                                   &view, latest_as_of, ctx->err);
  if (rc != 0)
    goto done;
  view.measurement_count++;
  view.revision = m.revision;
  view.updated_ms = ctx->now_ms;
  view.updated_by = (char *)ctx->principal;
  rc = put_subject(ctx, RT_ENTITY_COMMITMENT, &com->base, &view.base, &pk,
                   &packed, &packed_len);
  if (rc == 0)
    rc = log_measurement(ctx, com->id, &m);
  if (rc == 0)
    store_take_reply(ctx, &packed, packed_len);
done:
  free(packed);
  if (com)
    protobuf_c_message_free_unpacked(&com->base, NULL);
  return rc;
}
