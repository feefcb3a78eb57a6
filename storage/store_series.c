/*
 * store_series: the disaggregated series of a commitment (store_series.h).
 *
 * One forward walk of the commitment's measurements, which come in as_of
 * order (ties: revision order), so the last official measurement seen in
 * a series is its latest. A series is found by its signature, the
 * dimensions written "key=value" joined by newlines in key order (values
 * hold no control character, rt_dimensions.h), kept sorted so the reply
 * is in dimension order and a lookup is a binary search.
 */
#include "store_series.h"
#include "store_pledges.h"

#include "store_trajectory.h"

#include "rt_dimensions.h"

#include <stdlib.h>
#include <string.h>

typedef struct series_acc {
  char *signature;
  Rectrack__V1__MeasurementSeries *series;
  const Rectrack__V1__Measurement *latest;
} series_acc_t;

typedef struct series_set {
  series_acc_t *items;
  size_t n, cap;
} series_set_t;

static char *signature_of(store_arena_t *arena,
                          const Rectrack__V1__Measurement *m) {
  size_t len = 1;
  for (size_t i = 0; i < m->n_dimensions; i++)
    len += strlen(store_str(m->dimensions[i]->key)) +
           strlen(store_str(m->dimensions[i]->value)) + 2;
  char *out = store_arena_alloc(arena, len);
  if (out == NULL)
    return NULL;
  out[0] = '\0';
  for (size_t i = 0; i < m->n_dimensions; i++) {
    if (i > 0)
      strcat(out, "\n");
    strcat(out, store_str(m->dimensions[i]->key));
    strcat(out, "=");
    strcat(out, store_str(m->dimensions[i]->value));
  }
  return out;
}

/* The series of m's signature, added in its sorted place if new; NULL
 * when out of memory. */
static series_acc_t *find_or_add(series_set_t *set, store_arena_t *arena,
                                 const Rectrack__V1__Measurement *m) {
  char *signature = signature_of(arena, m);
  if (signature == NULL)
    return NULL;
  size_t lo = 0, hi = set->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int cmp = strcmp(set->items[mid].signature, signature);
    if (cmp == 0)
      return &set->items[mid];
    if (cmp < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (set->n == set->cap) {
    size_t cap = set->cap ? set->cap * 2 : 8;
    series_acc_t *grown = realloc(set->items, cap * sizeof *grown);
    if (grown == NULL)
      return NULL;
    set->items = grown;
    set->cap = cap;
  }
  Rectrack__V1__MeasurementSeries *series =
      store_arena_alloc(arena, sizeof *series);
  if (series == NULL)
    return NULL;
  rectrack__v1__measurement_series__init(series);
  series->dimensions = m->dimensions;
  series->n_dimensions = m->n_dimensions;
  memmove(&set->items[lo + 1], &set->items[lo],
          (set->n - lo) * sizeof *set->items);
  set->items[lo] = (series_acc_t){signature, series, NULL};
  set->n++;
  return &set->items[lo];
}

bool store_series_above(const Rectrack__V1__Indicator *ind, double value) {
  if (ind == NULL || ind->series_ceiling == NULL)
    return false;
  bool decrease =
      ind->direction == RECTRACK__V1__DIRECTION__DIRECTION_DECREASE ||
      (ind->direction == RECTRACK__V1__DIRECTION__DIRECTION_UNSPECIFIED &&
       ind->target_value < ind->baseline_value);
  return rt_series_beyond_ceiling(decrease, ind->series_ceiling->value, value);
}

static int walk(MDB_txn *txn, rt_store_t *store, store_arena_t *arena,
                uint64_t number, series_set_t *set, rt_error_t *err) {
  const char *reading = "reading a commitment's series";
  MDB_cursor *cursor;
  int rc =
      store_mdb_error(mdb_cursor_open(txn, store->meas, &cursor), err, reading);
  if (rc != 0)
    return rc;
  uint8_t prefix[8];
  store_put_u64(prefix, number);
  MDB_val key = {8, prefix}, data;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE), err,
                       reading);
  while (rc == 0 && key.mv_size >= 8 && memcmp(key.mv_data, prefix, 8) == 0) {
    ProtobufCMessage *unpacked = NULL;
    rc = store_unpack(arena, &rectrack__v1__measurement__descriptor,
                      data.mv_data, data.mv_size, &unpacked, err);
    const Rectrack__V1__Measurement *m = (const void *)unpacked;
    if (rc == 0 && m->n_dimensions > 0) {
      series_acc_t *acc = find_or_add(set, arena, m);
      if (acc == NULL) {
        rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
        break;
      }
      acc->series->measurement_count++;
      if (store_review_is_official(m->review_state))
        acc->latest = m;
    }
    if (rc == 0)
      rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_NEXT), err,
                           reading);
  }
  mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc;
}

int store_series_collect(MDB_txn *txn, rt_store_t *store, store_arena_t *arena,
                         uint64_t number, const Rectrack__V1__Indicator *ind,
                         Rectrack__V1__MeasurementSeries ***out, size_t *n,
                         uint32_t *above, rt_error_t *err) {
  *out = NULL;
  *n = 0;
  *above = 0;
  series_set_t set = {0};
  int rc = walk(txn, store, arena, number, &set, err);
  Rectrack__V1__MeasurementSeries **list =
      rc == 0 && set.n > 0 ? store_arena_alloc(arena, set.n * sizeof *list)
                           : NULL;
  if (rc == 0 && set.n > 0 && list == NULL)
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  for (size_t i = 0; rc == 0 && i < set.n; i++) {
    Rectrack__V1__MeasurementSeries *s = set.items[i].series;
    const Rectrack__V1__Measurement *latest = set.items[i].latest;
    s->latest_value = latest ? latest->value : 0;
    s->latest_as_of = latest ? latest->as_of : (char *)"";
    s->trajectory = store_trajectory(ind, latest != NULL, s->latest_value,
                                     s->latest_as_of, &s->progress);
    s->above_ceiling = latest != NULL && store_series_above(ind, latest->value);
    *above += s->above_ceiling ? 1 : 0;
    list[i] = s;
  }
  if (rc == 0) {
    *out = list;
    *n = set.n;
  }
  free(set.items);
  return rc;
}

bool store_dimensions_match(const Rectrack__V1__Measurement *m,
                            Rectrack__V1__Dimension *const *want, size_t n,
                            bool exact) {
  if (exact && m->n_dimensions != n)
    return false;
  for (size_t i = 0; i < n; i++) {
    bool found = false;
    for (size_t j = 0; j < m->n_dimensions && !found; j++)
      found = strcmp(store_str(m->dimensions[j]->key),
                     store_str(want[i]->key)) == 0 &&
              strcmp(store_str(m->dimensions[j]->value),
                     store_str(want[i]->value)) == 0;
    if (!found)
      return false;
  }
  return true;
}

int rt_store_commitment_computed_packed(rt_store_reader_t *reader,
                                        const char *id, uint8_t **out,
                                        size_t *len, rt_error_t *err) {
  *out = NULL;
  *len = 0;
  uint64_t number = store_parse_number_id(id, 'C');
  if (reader == NULL || !reader->active || number == 0)
    return rt_error_set(err, RT_EINVAL, "id",
                        "id: '%.80s' is not a commitment id", store_str(id));
  const void *data;
  size_t data_len;
  int rc =
      rt_store_get_raw(reader, RT_ENTITY_COMMITMENT, id, &data, &data_len, err);
  if (rc != 0)
    return rc;
  store_arena_t arena;
  store_arena_init(&arena);
  ProtobufCMessage *unpacked = NULL;
  rc = store_unpack(&arena, &rectrack__v1__commitment__descriptor, data,
                    data_len, &unpacked, err);
  const Rectrack__V1__Commitment *com = (const void *)unpacked;
  Rectrack__V1__Commitment only = RECTRACK__V1__COMMITMENT__INIT;
  uint32_t above = 0;
  if (rc == 0 && com->series_count > 0)
    rc = store_series_collect(reader->txn, reader->store, &arena, number,
                              com->indicator, &only.series, &only.n_series,
                              &above, err);
  if (rc == 0)
    rc = store_matched_by(reader->txn, reader->store, number, &arena,
                          &only.matched_by, &only.n_matched_by, err);
  if (rc == 0 && (only.n_series > 0 || only.n_matched_by > 0)) {
    *len = protobuf_c_message_get_packed_size(&only.base);
    *out = malloc(*len);
    if (*out == NULL)
      rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
    else
      protobuf_c_message_pack(&only.base, *out);
  }
  if (rc != 0)
    *len = 0;
  store_arena_free(&arena);
  return rc;
}
