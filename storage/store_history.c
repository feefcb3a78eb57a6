/*
 * store_history: listings of the append-only history. Follow-ups of one
 * subject are a prefix walk of the follow_ups database (subject key +
 * revision, so revision order); follow-ups of a period walk the as_of
 * index (as_of + revision) between from_date and to_date; measurements of
 * a commitment are a prefix walk of the measurements database (commitment
 * + as_of + revision). Page tokens work as in store_query.c, over the key
 * of the database walked. The change log itself is read in revision order
 * by rt_store_log_scan, for WatchChanges, exports and the verifier.
 * Follow-ups and measurements recorded before review states existed are
 * listed as validated, which is what they count as.
 */
#include "rt_validate.h"
#include "store_query.h"
#include "store_series.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TAG_FOLLOW_UPS = 5, TAG_MEASUREMENTS = 6 };

/* A walk over one database: keys starting with prefix (or, for the date
 * index, whose first 10 bytes are <= upper), from start on. */
typedef struct history_walk {
  MDB_dbi dbi;
  const uint8_t *prefix;
  size_t prefix_len;
  const char *upper; /* YYYY-MM-DD or NULL */
  const uint8_t *start;
  size_t start_len;
  const store_key_t *after; /* from the page token, or NULL */
} history_walk_t;

/* Resolves one walked entry to the message to list; NULL *out skips it. */
typedef int (*history_resolve_fn)(rt_store_reader_t *reader,
                                  const MDB_val *value, const void *data,
                                  ProtobufCMessage **out, rt_error_t *err);

typedef struct history_page {
  ProtobufCMessage **items;
  size_t n, cap;
  store_key_t last;
  bool more;
} history_page_t;

static bool set_date(const char *value) { return value && value[0]; }

static bool in_walk(const history_walk_t *walk, const MDB_val *key) {
  if (walk->prefix_len &&
      (key->mv_size < walk->prefix_len ||
       memcmp(key->mv_data, walk->prefix, walk->prefix_len) != 0))
    return false;
  if (walk->upper &&
      (key->mv_size < 10 || memcmp(key->mv_data, walk->upper, 10) > 0))
    return false;
  return true;
}

static int walk_history(rt_store_reader_t *reader, const history_walk_t *walk,
                        history_resolve_fn resolve, const void *data,
                        history_page_t *page, rt_error_t *err) {
  const char *reading = "reading history";
  MDB_cursor *cursor;
  int rc = store_mdb_error(mdb_cursor_open(reader->txn, walk->dbi, &cursor),
                           err, reading);
  if (rc != 0)
    return rc;
  MDB_val key = {walk->start_len, (void *)walk->start}, value;
  if (walk->after) {
    key.mv_size = walk->after->len;
    key.mv_data = (void *)walk->after->data;
  }
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value,
                                      key.mv_size ? MDB_SET_RANGE : MDB_FIRST),
                       err, reading);
  if (rc == 0 && walk->after &&
      store_key_compare(key.mv_data, key.mv_size, walk->after->data,
                        walk->after->len) == 0)
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_NEXT), err,
                         reading);
  while (rc == 0 && in_walk(walk, &key)) {
    ProtobufCMessage *item = NULL;
    rc = resolve(reader, &value, data, &item, err);
    if (rc != 0)
      break;
    if (item && page->n == page->cap) {
      page->more = true;
      protobuf_c_message_free_unpacked(item, NULL);
      break;
    }
    if (item) {
      page->items[page->n++] = item;
      page->last.len = key.mv_size;
      memcpy(page->last.data, key.mv_data, key.mv_size);
    }
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_NEXT), err,
                         reading);
  }
  mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc; /* the end of the database */
}

static void page_free(history_page_t *page) {
  for (size_t i = 0; i < page->n; i++)
    protobuf_c_message_free_unpacked(page->items[i], NULL);
  free(page->items);
  page->items = NULL;
  page->n = 0;
}

/* Hands a page to a new response of the given type; on failure the page
 * and the token are freed. */
static int wrap_page(const ProtobufCMessageDescriptor *descriptor,
                     history_page_t *page, char *next_token, void **out,
                     rt_error_t *err) {
  if (store_list_response(descriptor, page->items, page->n, 0, false,
                          next_token, out) == 0)
    return 0;
  page_free(page);
  free(next_token);
  return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
}

/* ---- follow-ups ------------------------------------------------------ */

typedef struct follow_up_filter {
  const char *from_date, *to_date;
  bool by_date_index;   /* values are keys into follow_ups */
  store_arena_t *arena; /* for the subjects looked at */
} follow_up_filter_t;

/* Sets fu's subject_title from its subject, looked at in the arena. fu
 * goes to the caller, so the title is malloc'd like the rest of it. */
static int fill_subject_title(rt_store_reader_t *reader, store_arena_t *arena,
                              Rectrack__V1__FollowUp *fu, rt_error_t *err) {
  const void *data;
  size_t len;
  rt_entity_t entity = store_subject_of_id(fu->subject_id);
  rt_error_t ignored;
  if (rt_store_get_raw(reader, entity, fu->subject_id, &data, &len, &ignored) !=
      0)
    return 0; /* the verifier reports a follow-up without subject */
  ProtobufCMessage *subject = NULL;
  int rc = store_unpack(arena, store_entity_descriptor(entity), data, len,
                        &subject, err);
  if (rc != 0)
    return rc;
  const char *title =
      entity == RT_ENTITY_RECOMMENDATION
          ? ((Rectrack__V1__Recommendation *)(void *)subject)->title
          : ((Rectrack__V1__Commitment *)(void *)subject)->title;
  char *copy = store_strdup(title);
  store_arena_reset(arena);
  if (copy == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (fu->subject_title != protobuf_c_empty_string)
    free(fu->subject_title);
  fu->subject_title = copy;
  return 0;
}

static int resolve_follow_up(rt_store_reader_t *reader, const MDB_val *value,
                             const void *data, ProtobufCMessage **out,
                             rt_error_t *err) {
  const follow_up_filter_t *f = data;
  MDB_val stored = *value;
  *out = NULL;
  if (f->by_date_index) {
    int rc = store_mdb_error(
        mdb_get(reader->txn, reader->store->fups, (MDB_val *)value, &stored),
        err, "reading a follow-up");
    if (rc == RT_ENOTFOUND) /* the verifier reports the dangling entry */
      return 0;
    if (rc != 0)
      return rc;
  }
  Rectrack__V1__FollowUp *fu =
      rectrack__v1__follow_up__unpack(NULL, stored.mv_size, stored.mv_data);
  if (fu == NULL)
    return rt_error_set(err, RT_ECORRUPT, NULL,
                        "storage: a stored follow-up does not decode");
  if (store_review_is_official(fu->review_state)) /* older ones: unset */
    fu->review_state = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_VALIDATED;
  if ((set_date(f->from_date) && strcmp(fu->as_of, f->from_date) < 0) ||
      (set_date(f->to_date) && strcmp(fu->as_of, f->to_date) > 0)) {
    protobuf_c_message_free_unpacked(&fu->base, NULL);
    return 0;
  }
  int rc = fill_subject_title(reader, f->arena, fu, err);
  if (rc != 0) {
    protobuf_c_message_free_unpacked(&fu->base, NULL);
    return rc;
  }
  *out = &fu->base;
  return 0;
}

/* Checks page size and token, runs the walk and hands back the page. */
static int run_history(rt_store_reader_t *reader, history_walk_t *walk,
                       history_resolve_fn resolve, const void *data,
                       int32_t page_size, const char *token,
                       const uint8_t digest[32], history_page_t *page,
                       char **next_token, rt_error_t *err) {
  store_position_t at;
  bool has_after = false;
  memset(page, 0, sizeof *page);
  *next_token = NULL;
  int rc = store_page_size(page_size, &page->cap, err);
  if (rc == 0)
    rc = store_token_decode(token, digest, &at, &has_after, err);
  if (rc != 0)
    return rc;
  const store_key_t after = at.pk;
  if (has_after && walk->prefix_len &&
      (after.len < walk->prefix_len ||
       memcmp(after.data, walk->prefix, walk->prefix_len) != 0))
    return rt_error_set(err, RT_EINVAL, "page_token",
                        "page_token: not a token of this query");
  walk->after = has_after ? &after : NULL;
  page->items = calloc(page->cap, sizeof *page->items);
  if (page->items == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  rc = walk_history(reader, walk, resolve, data, page, err);
  store_position_t last = {.driver = 0, .pk = page->last};
  if (rc == 0 && page->more &&
      (*next_token = store_token_encode(digest, &last)) == NULL)
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (rc != 0)
    page_free(page);
  return rc;
}

static int check_follow_up_request(const Rectrack__V1__ListFollowUpsRequest *r,
                                   rt_error_t *err) {
  const char *subject = store_str(r->subject_id);
  if (subject[0] && store_parse_number_id(subject, 'R') == 0 &&
      store_parse_number_id(subject, 'C') == 0)
    return rt_error_set(err, RT_EINVAL, "subject_id",
                        "subject_id: '%.80s' is not a recommendation (R..) "
                        "or commitment (C..) id",
                        subject);
  int rc = rt_validate_optional_date(store_str(r->from_date), "from_date", err);
  if (rc == 0)
    rc = rt_validate_optional_date(store_str(r->to_date), "to_date", err);
  if (rc == 0 && set_date(r->from_date) && set_date(r->to_date) &&
      strcmp(r->from_date, r->to_date) > 0)
    rc = rt_error_set(err, RT_EINVAL, "to_date",
                      "to_date: '%s' is before from_date '%s'", r->to_date,
                      r->from_date);
  return rc;
}

int rt_store_list_follow_ups(rt_store_reader_t *reader,
                             const Rectrack__V1__ListFollowUpsRequest *request,
                             Rectrack__V1__ListFollowUpsResponse **out,
                             rt_error_t *err) {
  *out = NULL;
  if (reader == NULL || !reader->active)
    return rt_error_set(err, RT_EINVAL, NULL, "reader has no open snapshot");
  int rc = check_follow_up_request(request, err);
  if (rc != 0)
    return rc;
  const char *subject = store_str(request->subject_id);
  store_arena_t arena;
  store_arena_init(&arena);
  follow_up_filter_t f = {request->from_date, request->to_date, !subject[0],
                          &arena};
  uint8_t prefix[9];
  history_walk_t walk = {.dbi = reader->store->fups};
  if (subject[0]) {
    prefix[0] = (uint8_t)subject[0];
    store_put_u64(prefix + 1, store_parse_number_id(subject, subject[0]));
    walk.prefix = walk.start = prefix;
    walk.prefix_len = walk.start_len = sizeof prefix;
  } else {
    walk.dbi = reader->store->fup_dates;
    walk.start = (const uint8_t *)store_str(request->from_date);
    walk.start_len = strlen((const char *)walk.start);
    walk.upper = set_date(request->to_date) ? request->to_date : NULL;
  }
  Rectrack__V1__ListFollowUpsRequest copy = *request;
  copy.page_size = 0;
  copy.page_token = (char *)"";
  uint8_t digest[32];
  store_filter_digest(&copy.base, TAG_FOLLOW_UPS, "", digest);
  history_page_t page;
  char *next_token;
  rc = run_history(reader, &walk, resolve_follow_up, &f, request->page_size,
                   request->page_token, digest, &page, &next_token, err);
  store_arena_free(&arena);
  if (rc != 0)
    return rc;
  return wrap_page(&rectrack__v1__list_follow_ups_response__descriptor, &page,
                   next_token, (void **)out, err);
}

/* ---- measurements ---------------------------------------------------- */

static int resolve_measurement(rt_store_reader_t *reader, const MDB_val *value,
                               const void *data, ProtobufCMessage **out,
                               rt_error_t *err) {
  (void)reader;
  const Rectrack__V1__ListMeasurementsRequest *request = data;
  Rectrack__V1__Measurement *m =
      rectrack__v1__measurement__unpack(NULL, value->mv_size, value->mv_data);
  if (m == NULL)
    return rt_error_set(err, RT_ECORRUPT, NULL,
                        "storage: a stored measurement does not decode");
  if ((request->n_dimensions > 0 || request->exact_series) &&
      !store_dimensions_match(m, request->dimensions, request->n_dimensions,
                              request->exact_series)) {
    protobuf_c_message_free_unpacked(&m->base, NULL);
    *out = NULL;
    return 0;
  }
  if (store_review_is_official(m->review_state)) /* older ones: unset */
    m->review_state = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_VALIDATED;
  *out = &m->base;
  return 0;
}

int rt_store_list_measurements(
    rt_store_reader_t *reader,
    const Rectrack__V1__ListMeasurementsRequest *request,
    Rectrack__V1__ListMeasurementsResponse **out, rt_error_t *err) {
  *out = NULL;
  const void *raw;
  size_t raw_len;
  rt_error_t inner;
  int rc = rt_store_get_raw(reader, RT_ENTITY_COMMITMENT,
                            request->commitment_id, &raw, &raw_len, &inner);
  if (rc != 0)
    return rt_error_set(err, rc, "commitment_id", "commitment_id: %s",
                        inner.message);
  store_arena_t arena; /* for the keys' checks only */
  store_arena_init(&arena);
  rc = store_dimensions_known_keys(reader->txn, reader->store, &arena,
                                   request->dimensions, request->n_dimensions,
                                   false, "dimensions", err);
  store_arena_free(&arena);
  if (rc != 0)
    return rc;
  uint8_t prefix[8];
  store_put_u64(prefix, store_parse_number_id(request->commitment_id, 'C'));
  history_walk_t walk = {.dbi = reader->store->meas,
                         .prefix = prefix,
                         .prefix_len = 8,
                         .start = prefix,
                         .start_len = 8};
  Rectrack__V1__ListMeasurementsRequest copy = *request;
  copy.page_size = 0;
  copy.page_token = (char *)"";
  uint8_t digest[32];
  store_filter_digest(&copy.base, TAG_MEASUREMENTS, "", digest);
  history_page_t page;
  char *next_token;
  rc = run_history(reader, &walk, resolve_measurement, request,
                   request->page_size, request->page_token, digest, &page,
                   &next_token, err);
  if (rc != 0)
    return rc;
  return wrap_page(&rectrack__v1__list_measurements_response__descriptor, &page,
                   next_token, (void **)out, err);
}

/* ---- whole-table scans ------------------------------------------------ */

/* The id a history key belongs to: 'R'/'C' + number (follow-ups), or a
 * commitment number (measurements); "" for record tables. */
static void owner_of(char kind, const MDB_val *key, char out[24]) {
  const uint8_t *k = key->mv_data;
  out[0] = '\0';
  if (kind == 'f' && key->mv_size >= 9)
    snprintf(out, 24, "%c%llu", k[0], (unsigned long long)store_get_u64(k + 1));
  else if (kind == 'm' && key->mv_size >= 8)
    snprintf(out, 24, "C%llu", (unsigned long long)store_get_u64(k));
}

/* kind: 'f' follow-ups, 'm' measurements, 0 a record table. */
static int scan_dbi(rt_store_reader_t *reader, MDB_dbi dbi, char kind,
                    rt_store_scan_fn visit, void *data, rt_error_t *err) {
  if (reader == NULL || !reader->active)
    return rt_error_set(err, RT_EINVAL, NULL, "reader has no open snapshot");
  const char *scanning = "scanning a table";
  MDB_cursor *cursor;
  int rc = store_mdb_error(mdb_cursor_open(reader->txn, dbi, &cursor), err,
                           scanning);
  if (rc != 0)
    return rc;
  MDB_val key, value;
  int result = 0;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_FIRST), err,
                       scanning);
  while (rc == 0 && result == 0) {
    char owner[24];
    owner_of(kind, &key, owner);
    result = visit(value.mv_data, value.mv_size, kind ? owner : NULL, data);
    if (result == 0)
      rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_NEXT), err,
                           scanning);
  }
  mdb_cursor_close(cursor);
  if (result != 0)
    return result;
  return rc == RT_ENOTFOUND ? 0 : rc;
}

int rt_store_scan(rt_store_reader_t *reader, rt_entity_t entity,
                  rt_store_scan_fn visit, void *data, rt_error_t *err) {
  if (entity < RT_ENTITY_SOURCE || entity > RT_ENTITY_COMMITMENT)
    return rt_error_set(err, RT_EINVAL, "entity", "entity: %d is not known",
                        (int)entity);
  return scan_dbi(reader, store_entity_dbi(reader->store, entity), 0, visit,
                  data, err);
}

/* The follow-ups database is keyed by 'C' or 'R', the subject's number
 * and the revision: the walk is already grouped by subject. */
int rt_store_scan_follow_ups(rt_store_reader_t *reader, rt_store_scan_fn visit,
                             void *data, rt_error_t *err) {
  return scan_dbi(reader, reader->store->fups, 'f', visit, data, err);
}

int rt_store_scan_measurements(rt_store_reader_t *reader,
                               rt_store_scan_fn visit, void *data,
                               rt_error_t *err) {
  return scan_dbi(reader, reader->store->meas, 'm', visit, data, err);
}

/* ---- the change log -------------------------------------------------- */

int rt_store_log_scan(rt_store_reader_t *reader, uint64_t from_revision,
                      size_t max_count, rt_log_visit_fn visit, void *data,
                      rt_error_t *err) {
  if (reader == NULL || !reader->active)
    return rt_error_set(err, RT_EINVAL, NULL, "reader has no open snapshot");
  const char *reading = "reading the log";
  MDB_cursor *cursor;
  int rc = store_mdb_error(
      mdb_cursor_open(reader->txn, reader->store->log, &cursor), err, reading);
  if (rc != 0)
    return rc;
  uint8_t start[8];
  store_put_u64(start, from_revision);
  MDB_val key = {8, start}, value;
  size_t visited = 0;
  int result = 0;
  /* Each entry is unpacked into the arena, lent to visit, and dropped
   * with the arena's reset: its hash field may point anywhere. */
  store_arena_t arena;
  store_arena_init(&arena);
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE), err,
                       reading);
  while (rc == 0 && (max_count == 0 || visited < max_count)) {
    ProtobufCMessage *unpacked = NULL;
    result = store_unpack(&arena, &rectrack__v1__change_event__descriptor,
                          value.mv_data, value.mv_size, &unpacked, err);
    if (result == RT_ECORRUPT)
      rt_error_set(err, RT_ECORRUPT, NULL,
                   "storage: log entry %" PRIu64 " does not decode",
                   store_get_u64(key.mv_data));
    if (result != 0)
      break;
    Rectrack__V1__ChangeEvent *event = (void *)unpacked;
    uint8_t hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, value.mv_data, value.mv_size);
    event->hash.data = hash;
    event->hash.len = sizeof hash;
    result = visit(event, value.mv_data, value.mv_size, data);
    store_arena_reset(&arena);
    visited++;
    if (result != 0)
      break;
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_NEXT), err,
                         reading);
  }
  store_arena_free(&arena);
  mdb_cursor_close(cursor);
  if (result == 0 && rc != RT_ENOTFOUND) /* not the end of the log */
    result = rc;
  return result;
}
