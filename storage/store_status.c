/*
 * store_status: the status rule (store_status.h). The follow-ups of a
 * subject are one prefix of the follow_ups database (subject key, then
 * the revision), so the history is read whole each time a status is
 * worked out: that keeps "latest" one comparison, store_status_is_later,
 * whatever order the reports were recorded in. The review applies the
 * same order to the history it is given (review/review_model.c sorts by
 * as_of, then revision), so the stored status and the review's status as
 * of today agree.
 */
#include "store_status.h"

#include <stdio.h>
#include <string.h>

bool store_status_is_later(const char *as_of, uint64_t revision,
                           const char *other_as_of, uint64_t other_revision) {
  int c = strcmp(store_str(as_of), store_str(other_as_of));
  return c > 0 || (c == 0 && revision > other_revision);
}

/* What the rule looks at in one follow-up. */
typedef struct follow_up_ref {
  bool found;
  Rectrack__V1__Status status;
  char as_of[11];
  uint64_t revision;
} follow_up_ref_t;

static void keep_if_later(follow_up_ref_t *best,
                          const Rectrack__V1__FollowUp *fu) {
  if (best->found && !store_status_is_later(fu->as_of, fu->revision,
                                            best->as_of, best->revision))
    return;
  best->found = true;
  best->status = fu->status;
  best->revision = fu->revision;
  snprintf(best->as_of, sizeof best->as_of, "%s", store_str(fu->as_of));
}

/* Reads the follow-ups under prefix (subject key, 9 bytes) that speak
 * for part (a partner id; "" the pledge as a whole) into official and
 * reported, each unpacked into scratch and reset after it. */
static int scan_follow_ups(MDB_txn *txn, rt_store_t *store,
                           const uint8_t prefix[9], const char *part,
                           store_arena_t *scratch, follow_up_ref_t *official,
                           follow_up_ref_t *reported, rt_error_t *err) {
  const char *reading = "reading follow-ups";
  MDB_cursor *cursor;
  int rc =
      store_mdb_error(mdb_cursor_open(txn, store->fups, &cursor), err, reading);
  if (rc != 0)
    return rc;
  MDB_val key = {9, (void *)prefix}, data;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE), err,
                       reading);
  while (rc == 0 && key.mv_size == 17 && memcmp(key.mv_data, prefix, 9) == 0) {
    ProtobufCMessage *unpacked = NULL;
    store_arena_reset(scratch);
    rc = store_unpack(scratch, &rectrack__v1__follow_up__descriptor,
                      data.mv_data, data.mv_size, &unpacked, err);
    if (rc != 0)
      break;
    const Rectrack__V1__FollowUp *fu = (const void *)unpacked;
    if (strcmp(store_str(fu->partner_id), part) != 0)
      ; /* another part of a joint pledge */
    else if (store_review_is_official(fu->review_state))
      keep_if_later(official, fu);
    else if (fu->review_state ==
             RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_SUBMITTED)
      keep_if_later(reported, fu);
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_NEXT), err,
                         reading);
  }
  mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc; /* the end of the database */
}

int store_status_read(MDB_txn *txn, rt_store_t *store, rt_entity_t entity,
                      const store_key_t *pk, const char *partner_id,
                      store_arena_t *arena, store_status_fields_t *out,
                      rt_error_t *err) {
  uint8_t prefix[9];
  prefix[0] = entity == RT_ENTITY_RECOMMENDATION ? 'R' : 'C';
  memcpy(prefix + 1, pk->data, 8);
  follow_up_ref_t official = {0}, reported = {0};
  store_arena_t scratch;
  store_arena_init(&scratch);
  int rc = scan_follow_ups(txn, store, prefix, store_str(partner_id), &scratch,
                           &official, &reported, err);
  store_arena_free(&scratch);
  if (rc != 0)
    return rc;
  out->status = official.found ? official.status
                               : RECTRACK__V1__STATUS__STATUS_NO_INFORMATION;
  out->revision = official.revision;
  out->reported_status = reported.found
                             ? reported.status
                             : RECTRACK__V1__STATUS__STATUS_UNSPECIFIED;
  out->reported_revision = reported.revision;
  out->as_of = store_arena_strdup(arena, official.as_of);
  out->reported_as_of = store_arena_strdup(arena, reported.as_of);
  if (out->as_of == NULL || out->reported_as_of == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  return 0;
}

void store_status_of_record(rt_entity_t entity, const ProtobufCMessage *subject,
                            store_status_fields_t *out) {
  memset(out, 0, sizeof *out);
  if (entity == RT_ENTITY_RECOMMENDATION) {
    const Rectrack__V1__Recommendation *r = (const void *)subject;
    out->status = r->status;
    out->as_of = store_str(r->last_follow_up_as_of);
    out->reported_status = r->reported_status;
    out->reported_as_of = store_str(r->reported_as_of);
  } else {
    const Rectrack__V1__Commitment *c = (const void *)subject;
    out->status = c->status;
    out->as_of = store_str(c->last_follow_up_as_of);
    out->reported_status = c->reported_status;
    out->reported_as_of = store_str(c->reported_as_of);
  }
}

bool store_status_agrees(rt_entity_t entity, const ProtobufCMessage *subject,
                         const store_status_fields_t *fields) {
  store_status_fields_t stored;
  store_status_of_record(entity, subject, &stored);
  return stored.status == fields->status &&
         strcmp(stored.as_of, store_str(fields->as_of)) == 0 &&
         stored.reported_status == fields->reported_status &&
         strcmp(stored.reported_as_of, store_str(fields->reported_as_of)) == 0;
}
