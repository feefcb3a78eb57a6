/*
 * store_upgrade: the upgrade steps, one function per version, and the
 * loop that runs them in order (see store_upgrade.h).
 *
 * Version 2 (release 0.2): request ids are scoped to the principal that
 * sent them. Version 1 keyed the requests database by the request id
 * alone, so a request id one principal chose returned another principal's
 * record. Version 2 keys it by principal, a NUL byte, then the request id
 * (store_request_key); the step takes each entry's principal from the log
 * entry its revision points at.
 *
 * Version 3 (release 0.3): follow-ups and measurements carry a review
 * state, and subjects with submissions awaiting validation carry a
 * pending index key. Nothing is rewritten: what was recorded before has
 * no review state, which reads as validated, and no subject has anything
 * pending. The version still changes, because a build of version 2 would
 * take a submitted report for an official one, and its verifier would
 * call the pending index entries dangling; it now refuses the directory
 * instead.
 *
 * Version 4 (release 0.3): indexes for every filter. The keys of an
 * archived record carry the archived bit, every record is under IDX_ALL,
 * recommendations and commitments are also under the revision of their
 * last change and, while open, their due date, and their words are in the
 * word index (store_words.h). The step empties the four indexes and
 * writes every record's entries again; no record and no log entry
 * changes.
 *
 * Version 5: one rule for status. A subject's status is the
 * status of its validated follow-up with the latest as_of (the later
 * recorded one between two of a day); version 4 took the latest recorded
 * one, so a report that arrived late and spoke of an earlier day became
 * the status. The step works every recommendation's and commitment's
 * status fields out again by the new rule (store_status.h); a record they
 * change is written with its status index entry moved and a log entry of
 * its own (principal "rectrack-upgrade"), and named in the report. A
 * report dated after tomorrow, which version 4 accepted, is kept and
 * named too.
 *
 * Version 6: links between recommendations (store_links.h) and the
 * specificity index (store_specificity.h). A recommendation carries its
 * links, and each link is an entry of the recommendation index under
 * IDX_LINK; no record of version 5 has links, so none is rewritten, but a
 * build of version 5 would drop the links of a record it rewrites, and
 * its verifier would call the link entries unknown: it now refuses the
 * directory instead. The step gives every recommendation its entry under
 * IDX_SPECIFICITY; no record and no log entry changes.
 */
#include "store_upgrade.h"
#include "store_specificity.h"
#include "store_trajectory.h"
#include "store_validate.h"
#include "store_words.h"

#include "rt_enum.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct upgrade {
  rt_store_t *store;
  MDB_txn *txn;
  store_arena_t arena; /* reset per item */
  rt_store_upgrade_report_t *report;
  rt_error_t *err;
} upgrade_t;

typedef struct upgrade_step {
  uint64_t from; /* the step takes version from to from + 1 */
  int (*run)(upgrade_t *up);
} upgrade_step_t;

static int report_line(upgrade_t *up, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static int report_line(upgrade_t *up, const char *format, ...) {
  va_list args;
  va_start(args, format);
  char *line = NULL;
  int len = vasprintf(&line, format, args);
  va_end(args);
  rt_store_upgrade_report_t *report = up->report;
  char **lines =
      len < 0 ? NULL
              : realloc(report->lines, (report->lines_len + 1) * sizeof *lines);
  if (lines == NULL) {
    free(len < 0 ? NULL : line);
    return rt_error_set(up->err, RT_ENOMEM, NULL, "out of memory");
  }
  report->lines = lines;
  report->lines[report->lines_len++] = line;
  return 0;
}

/* ---- 1 -> 2: request ids scoped to their principal -------------------- */

/* Entries are moved in chunks: collecting a chunk and then rewriting it
 * keeps the cursor walk free of the puts and deletes. */
#define SCOPE_CHUNK 4096

typedef struct old_request {
  store_key_t key;
  uint8_t value[9];
} old_request_t;

/* The principal of the change at revision, or NULL (*missing) when the
 * log has no readable entry there. */
static int principal_at(upgrade_t *up, uint64_t revision,
                        const char **principal) {
  *principal = NULL;
  uint8_t key_bytes[8];
  store_put_u64(key_bytes, revision);
  MDB_val key = {8, key_bytes}, data;
  int rc = store_mdb_error(mdb_get(up->txn, up->store->log, &key, &data),
                           up->err, "reading the log");
  if (rc == RT_ENOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  ProtobufCMessage *event = NULL;
  rt_error_t ignored;
  if (store_unpack(&up->arena, &rectrack__v1__change_event__descriptor,
                   data.mv_data, data.mv_size, &event, &ignored) != 0)
    return 0;
  *principal = ((Rectrack__V1__ChangeEvent *)(void *)event)->principal;
  return 0;
}

/* Collects up to SCOPE_CHUNK unscoped entries (keys without a NUL byte)
 * after the key *resume (from the first key when resume->len is 0), and
 * sets *resume to the last one collected. */
static int collect_unscoped(upgrade_t *up, store_key_t *resume,
                            old_request_t *chunk, size_t *n, bool *more) {
  MDB_cursor *cursor = NULL;
  *n = 0;
  *more = false;
  int rc =
      store_mdb_error(mdb_cursor_open(up->txn, up->store->requests, &cursor),
                      up->err, "reading request ids");
  if (rc != 0)
    return rc;
  MDB_val key = {resume->len, resume->data}, data;
  rc = mdb_cursor_get(cursor, &key, &data,
                      resume->len == 0 ? MDB_FIRST : MDB_SET_RANGE);
  while (rc == 0) {
    if (memchr(key.mv_data, 0, key.mv_size) == NULL) {
      if (*n == SCOPE_CHUNK) {
        *more = true;
        break;
      }
      if (key.mv_size > STORE_MAX_KEY || data.mv_size != 9) {
        rc = rt_error_set(up->err, RT_ECORRUPT, NULL,
                          "storage: a request id record is malformed");
        break;
      }
      old_request_t *entry = &chunk[(*n)++];
      memcpy(entry->key.data, key.mv_data, key.mv_size);
      entry->key.len = key.mv_size;
      memcpy(entry->value, data.mv_data, 9);
    }
    rc = mdb_cursor_get(cursor, &key, &data, MDB_NEXT);
  }
  if (rc == MDB_NOTFOUND)
    rc = 0;
  else if (rc > 0)
    rc = store_mdb_error(rc, up->err, "reading request ids");
  mdb_cursor_close(cursor);
  if (*n > 0)
    *resume = chunk[*n - 1].key;
  return rc;
}

static int scope_one(upgrade_t *up, const old_request_t *entry,
                     size_t *orphans) {
  char request_id[STORE_MAX_KEY + 1];
  memcpy(request_id, entry->key.data, entry->key.len);
  request_id[entry->key.len] = '\0';
  const char *principal = NULL;
  store_arena_reset(&up->arena);
  int rc = principal_at(up, store_get_u64(entry->value), &principal);
  if (rc != 0)
    return rc;
  if (principal == NULL) {
    (*orphans)++;
    principal = "anonymous";
  }
  store_key_t scoped;
  if (!store_request_key(principal, request_id, &scoped))
    return rt_error_set(up->err, RT_ECORRUPT, NULL,
                        "storage: request id '%.80s' is too long to scope",
                        request_id);
  MDB_val old_key = {entry->key.len, (void *)entry->key.data};
  MDB_val new_key = {scoped.len, scoped.data};
  MDB_val value = {9, (void *)entry->value};
  rc = store_mdb_error(
      mdb_put(up->txn, up->store->requests, &new_key, &value, 0), up->err,
      "rewriting request ids");
  if (rc == 0)
    rc = store_mdb_error(mdb_del(up->txn, up->store->requests, &old_key, NULL),
                         up->err, "rewriting request ids");
  return rc;
}

static int scope_request_ids(upgrade_t *up) {
  old_request_t *chunk = malloc(SCOPE_CHUNK * sizeof *chunk);
  if (chunk == NULL)
    return rt_error_set(up->err, RT_ENOMEM, NULL, "out of memory");
  size_t moved = 0, orphans = 0, n = 0;
  bool more = true;
  store_key_t resume = {.len = 0};
  int rc = 0;
  while (rc == 0 && more) {
    rc = collect_unscoped(up, &resume, chunk, &n, &more);
    for (size_t i = 0; rc == 0 && i < n; i++)
      rc = scope_one(up, &chunk[i], &orphans);
    moved += rc == 0 ? n : 0;
  }
  free(chunk);
  if (rc == 0)
    rc = report_line(up,
                     "schema 1 -> 2: %zu request id%s scoped to the principal "
                     "that sent %s: a request id chosen by one principal no "
                     "longer returns another principal's record",
                     moved, moved == 1 ? "" : "s", moved == 1 ? "it" : "them");
  if (rc == 0 && orphans > 0)
    rc = report_line(up,
                     "schema 1 -> 2: %zu request id%s pointed at a revision "
                     "without a readable log entry and now belong to "
                     "\"anonymous\"",
                     orphans, orphans == 1 ? "" : "s");
  return rc;
}

/* ---- 2 -> 3: review states ------------------------------------------- */

static int count_entries(upgrade_t *up, MDB_dbi dbi, size_t *out) {
  MDB_stat stat;
  int rc = store_mdb_error(mdb_stat(up->txn, dbi, &stat), up->err,
                           "counting history entries");
  *out = rc == 0 ? (size_t)stat.ms_entries : 0;
  return rc;
}

static int add_review_states(upgrade_t *up) {
  size_t follow_ups = 0, measurements = 0;
  int rc = count_entries(up, up->store->fups, &follow_ups);
  if (rc == 0)
    rc = count_entries(up, up->store->meas, &measurements);
  if (rc == 0)
    rc = report_line(up,
                     "schema 2 -> 3: follow-ups and measurements carry a "
                     "review state; the %zu follow-up%s and %zu "
                     "measurement%s recorded so far count as validated "
                     "(nothing was rewritten)",
                     follow_ups, follow_ups == 1 ? "" : "s", measurements,
                     measurements == 1 ? "" : "s");
  return rc;
}

/* ---- 3 -> 4: indexes for every filter, and the word index ------------- */

/* Puts the record's index entries (store_index_keys) that are missing;
 * the word index is left alone. */
static int put_missing_index_entries(upgrade_t *up, rt_entity_t entity,
                                     const MDB_val *pk,
                                     const ProtobufCMessage *record) {
  store_keyset_t keys = {0};
  int rc = store_index_keys(entity, record, &keys);
  if (rc != 0)
    rc = rt_error_set(up->err, rc, NULL, "storage: cannot index a record");
  MDB_dbi dbi = store_entity_index(up->store, entity);
  for (size_t i = 0; rc == 0 && i < keys.n; i++) {
    MDB_val key = {keys.keys[i].len, keys.keys[i].data}, value = *pk;
    rc = store_mdb_error(mdb_put(up->txn, dbi, &key, &value, MDB_NODUPDATA),
                         up->err, "rebuilding an index");
    if (rc == RT_EEXIST)
      rc = 0;
  }
  store_keyset_free(&keys);
  return rc;
}

static int put_index_entries(upgrade_t *up, rt_entity_t entity,
                             const MDB_val *pk,
                             const ProtobufCMessage *record) {
  int rc = put_missing_index_entries(up, entity, pk, record);
  if (rc == 0 &&
      (entity == RT_ENTITY_RECOMMENDATION || entity == RT_ENTITY_COMMITMENT)) {
    store_key_t key = {.len = pk->mv_size};
    memcpy(key.data, pk->mv_data, pk->mv_size);
    rc = store_words_put(up->txn, up->store, entity, record, &key, up->err);
  }
  return rc;
}

/* Something an upgrade does to one record of an entity. */
typedef int (*record_visit_t)(upgrade_t *up, rt_entity_t entity,
                              const MDB_val *pk,
                              const ProtobufCMessage *record);

/* Calls visit on every record of entity that decodes (one that does not
 * is kept as it is; the verifier names it); *records counts them. */
static int each_record(upgrade_t *up, rt_entity_t entity, const char *what,
                       record_visit_t visit, size_t *records) {
  MDB_cursor *cursor = NULL;
  int rc = store_mdb_error(
      mdb_cursor_open(up->txn, store_entity_dbi(up->store, entity), &cursor),
      up->err, what);
  MDB_val pk, value;
  if (rc == 0)
    rc = store_mdb_error(mdb_cursor_get(cursor, &pk, &value, MDB_FIRST),
                         up->err, what);
  while (rc == 0) {
    ProtobufCMessage *record = NULL;
    store_arena_reset(&up->arena);
    rc = store_unpack(&up->arena, store_entity_descriptor(entity),
                      value.mv_data, value.mv_size, &record, up->err);
    if (rc == RT_ECORRUPT) {
      rc = 0;
    } else if (rc == 0) {
      rc = visit(up, entity, &pk, record);
      (*records)++;
    }
    if (rc == 0)
      rc = store_mdb_error(mdb_cursor_get(cursor, &pk, &value, MDB_NEXT),
                           up->err, what);
  }
  if (cursor)
    mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc;
}

/* Empties entity's indexes and indexes each of its records again. */
static int reindex_entity(upgrade_t *up, rt_entity_t entity, size_t *records) {
  const char *rebuilding = "rebuilding an index";
  int rc = store_mdb_error(
      mdb_drop(up->txn, store_entity_index(up->store, entity), 0), up->err,
      rebuilding);
  if (rc == 0)
    rc = each_record(up, entity, rebuilding, put_index_entries, records);
  return rc;
}

static int index_every_filter(upgrade_t *up) {
  size_t records = 0;
  int rc = 0;
  for (int entity = RT_ENTITY_SOURCE; rc == 0 && entity <= RT_ENTITY_COMMITMENT;
       entity++)
    rc = reindex_entity(up, (rt_entity_t)entity, &records);
  MDB_stat words = {0}, more = {0};
  if (rc == 0)
    rc = store_mdb_error(mdb_stat(up->txn, up->store->rec_words, &words),
                         up->err, "reading the word index");
  if (rc == 0)
    rc = store_mdb_error(mdb_stat(up->txn, up->store->com_words, &more),
                         up->err, "reading the word index");
  if (rc == 0)
    rc = report_line(up,
                     "schema 3 -> 4: the indexes of %zu record%s rebuilt "
                     "(every filter has one; archived records apart) and "
                     "%zu word entr%s written for text search",
                     records, records == 1 ? "" : "s",
                     (size_t)(words.ms_entries + more.ms_entries),
                     words.ms_entries + more.ms_entries == 1 ? "y" : "ies");
  return rc;
}

/* ---- 4 -> 5: one rule for status ---------------------------------------- */

#define UPGRADE_PRINCIPAL "rectrack-upgrade"

static const char *status_slug(int status) {
  const char *slug = rt_enum_slug(&rectrack__v1__status__descriptor, status);
  return slug ? slug : "none";
}

/* The sentence of one subject whose status fields the rule changes:
 * "R72: status stalled -> implemented: the report of 2024-09-01 is the
 * latest". */
static int report_status_change(upgrade_t *up, const char *id,
                                const store_status_fields_t *was,
                                const store_status_fields_t *is) {
  char official[200] = "", reported[200] = "";
  if (was->status != is->status)
    snprintf(official, sizeof official, "status %s -> %s: %s",
             status_slug(was->status), status_slug(is->status),
             is->revision ? "" : "it has no validated report");
  else if (strcmp(was->as_of, is->as_of) != 0)
    snprintf(official, sizeof official,
             "status %s, now as of %s: ", status_slug(is->status), is->as_of);
  if (official[0] != '\0' && is->revision)
    snprintf(official + strlen(official), sizeof official - strlen(official),
             "the report of %s is the latest", is->as_of);
  if (was->reported_status != is->reported_status ||
      strcmp(was->reported_as_of, is->reported_as_of) != 0)
    snprintf(reported, sizeof reported,
             "self-reported status %s -> %s: the submission of %s awaiting "
             "validation is the latest",
             status_slug(was->reported_status),
             status_slug(is->reported_status), is->reported_as_of);
  return report_line(up, "%s: %s%s%s", id, official,
                     official[0] && reported[0] ? "; " : "", reported);
}

/* Names the status fields that differ, for the log entry. */
static size_t changed_status_fields(const store_status_fields_t *was,
                                    const store_status_fields_t *is,
                                    char **changed) {
  size_t n = 0;
  if (was->status != is->status)
    changed[n++] = (char *)"status";
  if (strcmp(was->as_of, is->as_of) != 0)
    changed[n++] = (char *)"last_follow_up_as_of";
  if (was->reported_status != is->reported_status)
    changed[n++] = (char *)"reported_status";
  if (strcmp(was->reported_as_of, is->reported_as_of) != 0)
    changed[n++] = (char *)"reported_as_of";
  return n;
}

/* Writes subject (before, as stored under pk) with the status fields the
 * rule gives, its index entries moved, and logs the change like any
 * other, so that the verifier finds the record as the log left it. */
static int rewrite_status(upgrade_t *up, rt_entity_t entity,
                          const store_key_t *pk, const ProtobufCMessage *before,
                          const store_status_fields_t *was,
                          const store_status_fields_t *is, const char *id) {
  rt_write_op_t op = {.kind = entity == RT_ENTITY_RECOMMENDATION
                                  ? RT_OP_UPDATE_RECOMMENDATION
                                  : RT_OP_UPDATE_COMMITMENT,
                      .principal = UPGRADE_PRINCIPAL};
  store_wctx_t ctx = {.store = up->store,
                      .txn = up->txn,
                      .op = &op,
                      .principal = UPGRADE_PRINCIPAL,
                      .now_ms = store_now_ms(),
                      .arena = &up->arena,
                      .err = up->err};
  ProtobufCMessage *after = store_arena_memdup(
      &up->arena, before, before->descriptor->sizeof_message);
  uint64_t revision = 0;
  int rc = after ? store_next_revision(&ctx, &revision)
                 : rt_error_set(up->err, RT_ENOMEM, NULL, "out of memory");
  if (rc != 0)
    return rc;
  store_set_status_fields(entity, after, is);
  store_stamp_subject(&ctx, entity, after, revision, 0);
  rc = store_put_record(&ctx, entity, pk, before, after, 0, false);
  char *changed[4];
  Rectrack__V1__ChangeEvent event = RECTRACK__V1__CHANGE_EVENT__INIT;
  event.kind = RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_UPDATED;
  event.subject_id = (char *)id;
  event.subject_type = store_subject_type(entity);
  event.changed_fields = changed;
  event.n_changed_fields = changed_status_fields(was, is, changed);
  if (entity == RT_ENTITY_RECOMMENDATION)
    event.recommendation = (void *)after;
  else
    event.commitment = (void *)after;
  if (rc == 0)
    rc = store_log_append(&ctx, &event);
  return rc;
}

/* The record of entity at the first key at or after *pk, unpacked into
 * the arena; *found false past the last one. */
static int next_subject(upgrade_t *up, rt_entity_t entity, store_key_t *pk,
                        ProtobufCMessage **record, bool *found) {
  const char *reading = "reading records";
  MDB_cursor *cursor;
  *found = false;
  int rc = store_mdb_error(
      mdb_cursor_open(up->txn, store_entity_dbi(up->store, entity), &cursor),
      up->err, reading);
  if (rc != 0)
    return rc;
  MDB_val key = {pk->len, pk->data}, data;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE),
                       up->err, reading);
  if (rc == 0 && key.mv_size != 8)
    rc = rt_error_set(up->err, RT_ECORRUPT, NULL,
                      "storage: a %s key is malformed",
                      store_entity_name(entity));
  if (rc == 0) {
    memcpy(pk->data, key.mv_data, 8);
    rc = store_unpack(&up->arena, store_entity_descriptor(entity), data.mv_data,
                      data.mv_size, record, up->err);
    *found = rc == 0;
  }
  mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc;
}

typedef struct tag_notes {
  upgrade_t *up;
  int rc;
} tag_notes_t;

static void note_tag(void *arg, const char *sentence) {
  tag_notes_t *notes = arg;
  if (notes->rc == 0)
    notes->rc = report_line(notes->up, "%s (kept as it is)", sentence);
}

/* Brings the status fields of every record of entity in line with the
 * rule, and names each tag outside the reference lists (the record is
 * kept as it is, for the secretariat to correct); counts the records it
 * changed. Records are visited by key, a cursor at a time, so that the writes
 * never run under an open cursor. */
static int apply_status_rule_to(upgrade_t *up, rt_entity_t entity,
                                size_t *changed) {
  store_key_t pk = {.len = 8};
  store_put_u64(pk.data, 0);
  for (;;) {
    ProtobufCMessage *record = NULL;
    bool found = false;
    store_arena_reset(&up->arena);
    int rc = next_subject(up, entity, &pk, &record, &found);
    if (rc != 0 || !found)
      return rc;
    store_status_fields_t was, is;
    store_status_of_record(entity, record, &was);
    rc = store_status_read(up->txn, up->store, entity, &pk, NULL, &up->arena,
                           &is, up->err);
    char id[32];
    store_describe_key(entity, pk.data, pk.len, id, sizeof id);
    if (rc == 0 && !store_status_agrees(entity, record, &is)) {
      rc = rewrite_status(up, entity, &pk, record, &was, &is, id);
      if (rc == 0)
        rc = report_status_change(up, id, &was, &is);
      (*changed)++;
    }
    if (rc == 0) {
      tag_notes_t notes = {up, 0};
      store_outside_tags(up->txn, up->store, &up->arena, entity, record, id,
                         note_tag, &notes);
      rc = notes.rc;
    }
    if (rc != 0)
      return rc;
    uint64_t number = store_get_u64(pk.data);
    if (number == UINT64_MAX)
      return 0;
    store_put_u64(pk.data, number + 1);
  }
}

/* Names each follow-up and measurement dated after tomorrow. */
static int report_future_dates(upgrade_t *up) {
  char latest[11];
  store_date_of_ms(store_now_ms() + 24 * 3600 * 1000, latest);
  const char *reading = "reading follow-ups by date";
  MDB_cursor *cursor;
  int rc =
      store_mdb_error(mdb_cursor_open(up->txn, up->store->fup_dates, &cursor),
                      up->err, reading);
  if (rc != 0)
    return rc;
  /* Past every key of the latest allowed day: its 10 bytes and 0xff. */
  uint8_t start[11];
  memcpy(start, latest, 10);
  start[10] = 0xff;
  MDB_val key = {sizeof start, start}, data;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE),
                       up->err, reading);
  while (rc == 0 && key.mv_size == 18 && data.mv_size == 17) {
    char id[32];
    const uint8_t *subject = data.mv_data;
    store_describe_key(subject[0] == 'R' ? RT_ENTITY_RECOMMENDATION
                                         : RT_ENTITY_COMMITMENT,
                       subject + 1, 8, id, sizeof id);
    rc = report_line(
        up,
        "%s: the follow-up recorded at revision %llu speaks of "
        "%.10s, a day not yet come; it is kept as recorded, and "
        "new reports dated after tomorrow are refused",
        id,
        (unsigned long long)store_get_u64((const uint8_t *)key.mv_data + 10),
        (const char *)key.mv_data);
    if (rc == 0)
      rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_NEXT),
                           up->err, reading);
  }
  mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc;
}

static int apply_status_rule(upgrade_t *up) {
  size_t recs = 0, coms = 0;
  int rc = apply_status_rule_to(up, RT_ENTITY_RECOMMENDATION, &recs);
  if (rc == 0)
    rc = apply_status_rule_to(up, RT_ENTITY_COMMITMENT, &coms);
  if (rc == 0)
    rc = report_future_dates(up);
  if (rc == 0)
    rc = report_line(up, "schema 4 -> 5: themes the secretariat adds at run "
                         "time (rectrack ref theme add) are kept in a "
                         "database of their own");
  if (rc == 0)
    rc = report_line(up,
                     "schema 4 -> 5: a status is that of the validated report "
                     "with the latest date (the later recorded of one day); "
                     "%zu recommendation%s and %zu commitment%s took a new "
                     "status, each with a log entry by " UPGRADE_PRINCIPAL,
                     recs, recs == 1 ? "" : "s", coms, coms == 1 ? "" : "s");
  return rc;
}

/* ---- 5 -> 6: links between recommendations ----------------------------- */

/* Every recommendation gets its specificity index entry. */
static int rate_every_recommendation(upgrade_t *up, size_t *rated) {
  MDB_cursor *cursor;
  const char *what = "rating every recommendation";
  int rc = store_mdb_error(mdb_cursor_open(up->txn, up->store->recs, &cursor),
                           up->err, what);
  if (rc != 0)
    return rc;
  MDB_val key, data;
  *rated = 0;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_FIRST), up->err,
                       what);
  while (rc == 0) {
    if (key.mv_size == 8) {
      rc = store_specificity_reindex(up->txn, up->store,
                                     store_get_u64(key.mv_data), up->err);
      (*rated)++;
    }
    if (rc == 0)
      rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_NEXT),
                           up->err, what);
  }
  mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc;
}

static int add_links(upgrade_t *up) {
  size_t rated = 0;
  int rc = report_line(up, "schema 5 -> 6: recommendations may link to others "
                           "(echoes, builds-on, supersedes, related), each "
                           "link kept in the recommendation index; no record "
                           "changes");
  if (rc == 0)
    rc = rate_every_recommendation(up, &rated);
  if (rc == 0)
    rc = report_line(up,
                     "schema 5 -> 6: %zu recommendation%s indexed by how "
                     "specific %s (rectrack rec list --specificity low)",
                     rated, rated == 1 ? "" : "s",
                     rated == 1 ? "it is" : "they are");
  return rc;
}

/* ---- 6 -> 7: disaggregated measurements -------------------------------- */

/* The dimension_keys database is created empty when the directory opens;
 * no record changes, since a measurement of before has no dimensions and
 * that is its correct reading: every commitment keeps its overall figure,
 * and has no series. */
static int add_dimension_keys(upgrade_t *up) {
  return report_line(up, "schema 6 -> 7: measurements may carry dimensions "
                         "(corridor=GBR-NGA, sex=female, ...); the dimension "
                         "keys the secretariat adds (rectrack ref dimension "
                         "add) are kept in a database of their own; existing "
                         "measurements have none and stay the overall figure");
}

/* ---- 7 -> 8: joint and matching pledges -------------------------------- */

/* Every commitment gets the index entries it lacks: its pledge type (an
 * older one has none, and reads as INDIVIDUAL); partners and a matched
 * pledge it cannot have yet. The records themselves do not change. */
static int index_pledge_types(upgrade_t *up) {
  size_t indexed = 0;
  int rc = each_record(up, RT_ENTITY_COMMITMENT, "indexing pledge types",
                       put_missing_index_entries, &indexed);
  if (rc == 0)
    rc = report_line(up,
                     "schema 7 -> 8: commitments may be common, partnership "
                     "or matching pledges, with partners reporting their own "
                     "part; %zu commitment%s indexed as individual pledge%s, "
                     "as before",
                     indexed, indexed == 1 ? "" : "s", indexed == 1 ? "" : "s");
  return rc;
}

/* ---- the steps, in order --------------------------------------------- */

static const upgrade_step_t steps[] = {
    {1, scope_request_ids},  {2, add_review_states}, {3, index_every_filter},
    {4, apply_status_rule},  {5, add_links},         {6, add_dimension_keys},
    {7, index_pledge_types},
};

int store_upgrade_run(rt_store_t *store, MDB_txn *txn, uint64_t from,
                      rt_store_upgrade_report_t *report, rt_error_t *err) {
  upgrade_t up = {.store = store, .txn = txn, .report = report, .err = err};
  store_arena_init(&up.arena);
  int rc = 0;
  for (uint64_t version = from; rc == 0 && version < RT_STORE_SCHEMA_VERSION;
       version++) {
    const upgrade_step_t *step = NULL;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
      if (steps[i].from == version)
        step = &steps[i];
    if (step == NULL)
      rc = rt_error_set(err, RT_EVERSION, NULL,
                        "storage: no upgrade from schema version %llu",
                        (unsigned long long)version);
    else
      rc = step->run(&up);
  }
  store_arena_free(&up.arena);
  return rc;
}
