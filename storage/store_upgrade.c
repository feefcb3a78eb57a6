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
 */
#include "store_upgrade.h"
#include "store_words.h"

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

static int put_index_entries(upgrade_t *up, rt_entity_t entity,
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
  if (rc == 0 &&
      (entity == RT_ENTITY_RECOMMENDATION || entity == RT_ENTITY_COMMITMENT)) {
    store_key_t key = {.len = pk->mv_size};
    memcpy(key.data, pk->mv_data, pk->mv_size);
    rc = store_words_put(up->txn, up->store, entity, record, &key, up->err);
  }
  return rc;
}

/* Empties entity's indexes and indexes each of its records again. */
static int reindex_entity(upgrade_t *up, rt_entity_t entity, size_t *records) {
  const char *rebuilding = "rebuilding an index";
  int rc = store_mdb_error(
      mdb_drop(up->txn, store_entity_index(up->store, entity), 0), up->err,
      rebuilding);
  MDB_cursor *cursor = NULL;
  if (rc == 0)
    rc = store_mdb_error(
        mdb_cursor_open(up->txn, store_entity_dbi(up->store, entity), &cursor),
        up->err, rebuilding);
  MDB_val pk, value;
  if (rc == 0)
    rc = store_mdb_error(mdb_cursor_get(cursor, &pk, &value, MDB_FIRST),
                         up->err, rebuilding);
  while (rc == 0) {
    ProtobufCMessage *record = NULL;
    store_arena_reset(&up->arena);
    rc = store_unpack(&up->arena, store_entity_descriptor(entity),
                      value.mv_data, value.mv_size, &record, up->err);
    if (rc == RT_ECORRUPT) { /* kept as it is; the verifier names it */
      rc = 0;
    } else if (rc == 0) {
      rc = put_index_entries(up, entity, &pk, record);
      (*records)++;
    }
    if (rc == 0)
      rc = store_mdb_error(mdb_cursor_get(cursor, &pk, &value, MDB_NEXT),
                           up->err, rebuilding);
  }
  if (cursor)
    mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc;
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

/* ---- the steps, in order --------------------------------------------- */

static const upgrade_step_t steps[] = {
    {1, scope_request_ids},
    {2, add_review_states},
    {3, index_every_filter},
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
