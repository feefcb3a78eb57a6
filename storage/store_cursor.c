/*
 * store_cursor: walks of one snapshot that the caller advances record by
 * record (rt_store.h, "Cursors"), for the review, which renders its
 * document as it reads instead of reading the data set first. Each walk
 * is one LMDB cursor over a primary table, an index key or the follow-ups'
 * date index, in the order the table or index keeps: ids as numbers,
 * dates then revisions. The bytes handed out point into the snapshot
 * (zero-copy), so a walk costs no memory of its own whatever it walks.
 * Also here: the distinct themes of the theme index with their counts,
 * and the follow-ups of one subject and the measurements of one
 * commitment, by key prefix.
 */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum cursor_kind {
  WALK_RECORDS, /* a primary table, every key */
  WALK_INDEX,   /* the duplicates of one index key -> primary keys */
  WALK_PERIOD,  /* the follow-ups' date index, from..to */
  WALK_DUE,     /* the due-date keys of an index, before a date */
} cursor_kind_t;

struct rt_store_cursor {
  rt_store_reader_t *reader;
  cursor_kind_t kind;
  MDB_dbi dbi;     /* walked: primary table or index */
  MDB_dbi records; /* WALK_INDEX, WALK_PERIOD: where the records are */
  MDB_cursor *cursor;
  bool started, ended;
  store_key_t key; /* WALK_INDEX: the index key; WALK_PERIOD: from;
                      WALK_DUE: the tag */
  char to[11];     /* WALK_PERIOD: upper bound of as_of; WALK_DUE: the
                      date due dates are before */
};

static int need_snapshot(rt_store_reader_t *reader, rt_error_t *err) {
  if (reader == NULL || !reader->active)
    return rt_error_set(err, RT_EINVAL, NULL, "reader has no open snapshot");
  return 0;
}

static int cursor_new(rt_store_reader_t *reader, cursor_kind_t kind,
                      MDB_dbi dbi, rt_store_cursor_t **out, rt_error_t *err) {
  *out = NULL;
  int rc = need_snapshot(reader, err);
  if (rc != 0)
    return rc;
  rt_store_cursor_t *c = calloc(1, sizeof *c);
  if (c == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  c->reader = reader;
  c->kind = kind;
  c->dbi = dbi;
  rc = store_mdb_error(mdb_cursor_open(reader->txn, dbi, &c->cursor), err,
                       "opening a cursor");
  if (rc != 0) {
    free(c);
    return rc;
  }
  *out = c;
  return 0;
}

static bool is_record_entity(rt_entity_t entity) {
  return entity >= RT_ENTITY_SOURCE && entity <= RT_ENTITY_COMMITMENT;
}

int rt_store_cursor_records(rt_store_reader_t *reader, rt_entity_t entity,
                            rt_store_cursor_t **out, rt_error_t *err) {
  *out = NULL;
  if (!is_record_entity(entity))
    return rt_error_set(err, RT_EINVAL, "entity", "entity: %d is not known",
                        (int)entity);
  return cursor_new(reader, WALK_RECORDS,
                    store_entity_dbi(reader->store, entity), out, err);
}

int rt_store_cursor_theme(rt_store_reader_t *reader, rt_entity_t entity,
                          const char *theme, rt_store_cursor_t **out,
                          rt_error_t *err) {
  *out = NULL;
  if (entity != RT_ENTITY_RECOMMENDATION && entity != RT_ENTITY_COMMITMENT)
    return rt_error_set(err, RT_EINVAL, "entity",
                        "entity: themes are kept for recommendations and "
                        "commitments only");
  size_t len = theme ? strlen(theme) : 0;
  if (len == 0 || len + 1 > STORE_MAX_KEY)
    return rt_error_set(err, RT_EINVAL, "theme", "theme must be 1 to %d bytes",
                        STORE_MAX_KEY - 1);
  rt_store_t *store = reader->store;
  int rc = cursor_new(reader, WALK_INDEX,
                      entity == RT_ENTITY_RECOMMENDATION ? store->rec_idx
                                                         : store->com_idx,
                      out, err);
  if (rc != 0)
    return rc;
  rt_store_cursor_t *c = *out;
  c->records = store_entity_dbi(store, entity);
  c->key.data[0] = IDX_THEME;
  memcpy(c->key.data + 1, theme, len);
  c->key.len = len + 1;
  return 0;
}

int rt_store_cursor_period(rt_store_reader_t *reader, const char *from_date,
                           const char *to_date, rt_store_cursor_t **out,
                           rt_error_t *err) {
  *out = NULL;
  const char *from = from_date ? from_date : "";
  if (to_date == NULL || strlen(to_date) != 10 ||
      (from[0] && strlen(from) != 10))
    return rt_error_set(err, RT_EINVAL, to_date ? "from_date" : "to_date",
                        "the period needs dates YYYY-MM-DD");
  int rc = cursor_new(reader, WALK_PERIOD, reader->store->fup_dates, out, err);
  if (rc != 0)
    return rc;
  rt_store_cursor_t *c = *out;
  c->records = reader->store->fups;
  memcpy(c->key.data, from, strlen(from));
  c->key.len = strlen(from);
  memcpy(c->to, to_date, 11);
  return 0;
}

int rt_store_cursor_due(rt_store_reader_t *reader, rt_entity_t entity,
                        const char *before, rt_store_cursor_t **out,
                        rt_error_t *err) {
  *out = NULL;
  if (entity != RT_ENTITY_RECOMMENDATION && entity != RT_ENTITY_COMMITMENT)
    return rt_error_set(err, RT_EINVAL, "entity",
                        "entity: due dates are kept for recommendations and "
                        "commitments only");
  if (before == NULL || strlen(before) != 10)
    return rt_error_set(err, RT_EINVAL, "before",
                        "before must be a date YYYY-MM-DD");
  rt_store_t *store = reader ? reader->store : NULL;
  int rc =
      cursor_new(reader, WALK_DUE,
                 store && entity == RT_ENTITY_RECOMMENDATION ? store->rec_idx
                 : store                                     ? store->com_idx
                                                             : 0,
                 out, err);
  if (rc != 0)
    return rc;
  rt_store_cursor_t *c = *out;
  c->records = store_entity_dbi(store, entity);
  c->key.data[0] = IDX_DUE;
  c->key.len = 1;
  memcpy(c->to, before, 11);
  return 0;
}

/* Positions the walk on its next entry: 0, RT_ENOTFOUND at its end. */
static int advance(rt_store_cursor_t *c, MDB_val *key, MDB_val *value,
                   rt_error_t *err) {
  const char *walking = "walking for the review";
  MDB_cursor_op op;
  if (!c->started) {
    c->started = true;
    *key = (MDB_val){c->key.len, c->key.data};
    op = c->kind == WALK_RECORDS || c->key.len == 0 ? MDB_FIRST
         : c->kind == WALK_INDEX                    ? MDB_SET_KEY
                                                    : MDB_SET_RANGE;
    /* MDB_SET_RANGE on a dupsort index: the first duplicate of the first
     * key at or after ours. */
  } else {
    op = c->kind == WALK_INDEX ? MDB_NEXT_DUP : MDB_NEXT;
  }
  int rc =
      store_mdb_error(mdb_cursor_get(c->cursor, key, value, op), err, walking);
  if (rc == 0 && op == MDB_SET_KEY) /* the stored key, not ours */
    rc = store_mdb_error(mdb_cursor_get(c->cursor, key, value, MDB_GET_CURRENT),
                         err, walking);
  if (rc == 0 && c->kind == WALK_PERIOD &&
      (key->mv_size < 10 || memcmp(key->mv_data, c->to, 10) > 0))
    rc = RT_ENOTFOUND;
  if (rc == 0 && c->kind == WALK_DUE &&
      (key->mv_size != 11 || ((const uint8_t *)key->mv_data)[0] != IDX_DUE ||
       memcmp((const uint8_t *)key->mv_data + 1, c->to, 10) >= 0))
    rc = RT_ENOTFOUND;
  return rc;
}

int rt_store_cursor_next(rt_store_cursor_t *c, const void **packed, size_t *len,
                         char owner[24], rt_error_t *err) {
  *packed = NULL;
  *len = 0;
  owner[0] = '\0';
  if (c->ended)
    return 0;
  MDB_val key, value;
  int rc = advance(c, &key, &value, err);
  if (rc == RT_ENOTFOUND) {
    c->ended = true;
    return 0;
  }
  if (rc != 0)
    return rc;
  if (c->kind != WALK_RECORDS) {
    /* The index holds the record's primary key (the follow-ups' date
     * index: its key in the follow-ups table). */
    MDB_val primary = value;
    rc = store_mdb_error(mdb_get(c->reader->txn, c->records, &primary, &value),
                         err, "reading a record for the review");
    if (rc == RT_ENOTFOUND) /* the verifier reports the dangling entry */
      return rt_store_cursor_next(c, packed, len, owner, err);
    if (rc != 0)
      return rc;
    if (c->kind == WALK_PERIOD && primary.mv_size >= 9) {
      const uint8_t *k = primary.mv_data;
      snprintf(owner, 24, "%c%llu", k[0],
               (unsigned long long)store_get_u64(k + 1));
    } else if (c->kind == WALK_DUE) {
      memcpy(owner, (const uint8_t *)key.mv_data + 1, 10);
      owner[10] = '\0';
    }
  }
  *packed = value.mv_data;
  *len = value.mv_size;
  return 1;
}

void rt_store_cursor_close(rt_store_cursor_t *c) {
  if (c == NULL)
    return;
  mdb_cursor_close(c->cursor);
  free(c);
}

int rt_store_themes(rt_store_reader_t *reader, rt_entity_t entity,
                    rt_store_theme_fn visit, void *data, size_t *without,
                    rt_error_t *err) {
  *without = 0;
  if (entity != RT_ENTITY_RECOMMENDATION && entity != RT_ENTITY_COMMITMENT)
    return rt_error_set(err, RT_EINVAL, "entity",
                        "entity: themes are kept for recommendations and "
                        "commitments only");
  int rc = need_snapshot(reader, err);
  if (rc != 0)
    return rc;
  const char *reading = "reading the theme index";
  MDB_cursor *cursor;
  MDB_dbi dbi = entity == RT_ENTITY_RECOMMENDATION ? reader->store->rec_idx
                                                   : reader->store->com_idx;
  rc =
      store_mdb_error(mdb_cursor_open(reader->txn, dbi, &cursor), err, reading);
  if (rc != 0)
    return rc;
  /* Every active record is under IDX_ALL once, and under at most one
   * theme: the difference is the count of those without one. */
  uint8_t all = IDX_ALL, tag = IDX_THEME;
  MDB_val key = {1, &all}, value;
  size_t active = 0, themed = 0;
  size_t count = 0;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_SET_KEY), err,
                       reading);
  if (rc == 0)
    rc = store_mdb_error(mdb_cursor_count(cursor, &count), err, reading);
  if (rc == 0)
    active = count;
  else if (rc == RT_ENOTFOUND)
    rc = 0;
  key = (MDB_val){1, &tag};
  if (rc == 0)
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE),
                         err, reading);
  int result = 0;
  while (rc == 0 && result == 0 && key.mv_size > 1 &&
         ((const uint8_t *)key.mv_data)[0] == IDX_THEME) {
    char theme[STORE_MAX_KEY];
    memcpy(theme, (const uint8_t *)key.mv_data + 1, key.mv_size - 1);
    theme[key.mv_size - 1] = '\0';
    rc = store_mdb_error(mdb_cursor_count(cursor, &count), err, reading);
    if (rc != 0)
      break;
    themed += count;
    result = visit(theme, count, data);
    if (result == 0)
      rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_NEXT_NODUP),
                           err, reading);
  }
  mdb_cursor_close(cursor);
  if (result != 0)
    return result;
  if (rc != 0 && rc != RT_ENOTFOUND)
    return rc;
  *without = active > themed ? active - themed : 0;
  return 0;
}

/* Calls visit for each entry of dbi whose key starts with prefix. */
static int scan_prefix(rt_store_reader_t *reader, MDB_dbi dbi,
                       const uint8_t *prefix, size_t prefix_len,
                       const char *owner, rt_store_scan_fn visit, void *data,
                       rt_error_t *err) {
  int rc = need_snapshot(reader, err);
  if (rc != 0)
    return rc;
  const char *reading = "reading a subject's history";
  MDB_cursor *cursor;
  rc =
      store_mdb_error(mdb_cursor_open(reader->txn, dbi, &cursor), err, reading);
  if (rc != 0)
    return rc;
  MDB_val key = {prefix_len, (void *)prefix}, value;
  int result = 0;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE), err,
                       reading);
  while (rc == 0 && result == 0 && key.mv_size >= prefix_len &&
         memcmp(key.mv_data, prefix, prefix_len) == 0) {
    result = visit(value.mv_data, value.mv_size, owner, data);
    if (result == 0)
      rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_NEXT), err,
                           reading);
  }
  mdb_cursor_close(cursor);
  if (result != 0)
    return result;
  return rc == RT_ENOTFOUND ? 0 : rc;
}

int rt_store_scan_subject_follow_ups(rt_store_reader_t *reader,
                                     const char *subject_id,
                                     rt_store_scan_fn visit, void *data,
                                     rt_error_t *err) {
  char prefix_char = subject_id && subject_id[0] == 'C' ? 'C' : 'R';
  uint64_t number = store_parse_number_id(subject_id, prefix_char);
  if (number == 0)
    return rt_error_set(err, RT_EINVAL, "subject_id",
                        "subject_id must be a recommendation or commitment "
                        "id (R12, C3), got \"%.40s\"",
                        subject_id ? subject_id : "");
  uint8_t prefix[9];
  prefix[0] = (uint8_t)prefix_char;
  store_put_u64(prefix + 1, number);
  return scan_prefix(reader, reader->store->fups, prefix, sizeof prefix,
                     subject_id, visit, data, err);
}

int rt_store_scan_commitment_measurements(rt_store_reader_t *reader,
                                          const char *commitment_id,
                                          rt_store_scan_fn visit, void *data,
                                          rt_error_t *err) {
  uint64_t number = store_parse_number_id(commitment_id, 'C');
  if (number == 0)
    return rt_error_set(err, RT_EINVAL, "commitment_id",
                        "commitment_id must be a commitment id (C3), got "
                        "\"%.40s\"",
                        commitment_id ? commitment_id : "");
  uint8_t prefix[8];
  store_put_u64(prefix, number);
  return scan_prefix(reader, reader->store->meas, prefix, sizeof prefix,
                     commitment_id, visit, data, err);
}
