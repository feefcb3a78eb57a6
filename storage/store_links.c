/*
 * store_links: the checks a recommendation's links pass against the
 * store, and the inverse read from the link index (store_links.h).
 *
 * A supersedes cycle is looked for by walking, from each recommendation
 * a new supersedes link points at, the stored supersedes links: only the
 * record being written changes in the op, so a cycle exists exactly when
 * that walk comes back to it. The stored links hold no cycle (every
 * write was checked), so the walk ends; it is still bounded, so that a
 * damaged directory cannot make a write run for ever.
 */
#include "store_links.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Numbers to visit and visited, as growing arrays of the walk. */
typedef struct number_list {
  uint64_t *values;
  size_t n, cap;
} number_list_t;

static int number_list_push(number_list_t *list, uint64_t value) {
  if (list->n == list->cap) {
    size_t cap = list->cap ? list->cap * 2 : 16;
    uint64_t *values = realloc(list->values, cap * sizeof *values);
    if (values == NULL)
      return RT_ENOMEM;
    list->values = values;
    list->cap = cap;
  }
  list->values[list->n++] = value;
  return 0;
}

static bool number_list_has(const number_list_t *list, uint64_t value) {
  for (size_t i = 0; i < list->n; i++)
    if (list->values[i] == value)
      return true;
  return false;
}

/* Fetches recommendation number into arena; *out NULL when absent. */
static int fetch_recommendation(MDB_txn *txn, rt_store_t *store,
                                store_arena_t *arena, uint64_t number,
                                Rectrack__V1__Recommendation **out,
                                rt_error_t *err) {
  store_key_t key;
  store_put_u64(key.data, number);
  key.len = 8;
  MDB_val data;
  *out = NULL;
  int rc = store_fetch(txn, store->recs, &key, &data, err,
                       "reading a linked recommendation");
  if (rc == RT_ENOTFOUND)
    return 0;
  if (rc == 0)
    rc =
        store_unpack(arena, &rectrack__v1__recommendation__descriptor,
                     data.mv_data, data.mv_size, (ProtobufCMessage **)out, err);
  return rc;
}

/* Whether the stored supersedes links lead from start back to self. */
static int supersedes_reach(MDB_txn *txn, rt_store_t *store, uint64_t start,
                            uint64_t self, bool *reached, rt_error_t *err) {
  number_list_t to_visit = {0}, seen = {0};
  store_arena_t arena;
  store_arena_init(&arena);
  *reached = false;
  int rc = number_list_push(&to_visit, start);
  while (rc == 0 && to_visit.n > 0 && !*reached) {
    uint64_t number = to_visit.values[--to_visit.n];
    if (number == self) {
      *reached = true;
      break;
    }
    if (number_list_has(&seen, number))
      continue;
    if (seen.n >= STORE_LINK_WALK_MAX) {
      *reached = true; /* too long to tell: refused like a cycle */
      break;
    }
    rc = number_list_push(&seen, number);
    Rectrack__V1__Recommendation *rec = NULL;
    if (rc == 0)
      rc = fetch_recommendation(txn, store, &arena, number, &rec, err);
    for (size_t i = 0; rc == 0 && rec != NULL && i < rec->n_links; i++)
      if (rec->links[i]->kind == RECTRACK__V1__LINK_KIND__LINK_KIND_SUPERSEDES)
        rc = number_list_push(
            &to_visit,
            store_parse_number_id(rec->links[i]->recommendation_id, 'R'));
    store_arena_reset(&arena);
  }
  if (rc == RT_ENOMEM)
    rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  store_arena_free(&arena);
  free(to_visit.values);
  free(seen.values);
  return rc;
}

int store_check_links(MDB_txn *txn, rt_store_t *store, uint64_t self,
                      const Rectrack__V1__Recommendation *rec,
                      rt_error_t *err) {
  char field[96];
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < rec->n_links; i++) {
    const Rectrack__V1__RecommendationLink *link = rec->links[i];
    const char *target_id = store_str(link->recommendation_id);
    uint64_t target = store_parse_number_id(target_id, 'R');
    snprintf(field, sizeof field, "recommendation.links[%zu].recommendation_id",
             i);
    if (target == self)
      return rt_error_set(err, RT_EINVAL, field,
                          "%s: a recommendation cannot link to itself (%s)",
                          field, target_id);
    store_key_t key;
    store_put_u64(key.data, target);
    key.len = 8;
    MDB_val data;
    rc = store_fetch(txn, store->recs, &key, &data, err,
                     "checking a linked recommendation");
    if (rc == RT_ENOTFOUND)
      return rt_error_set(err, RT_EINVAL, field,
                          "%s: recommendation '%.80s' does not exist", field,
                          target_id);
    bool cycle = false;
    if (rc == 0 && self != 0 &&
        link->kind == RECTRACK__V1__LINK_KIND__LINK_KIND_SUPERSEDES)
      rc = supersedes_reach(txn, store, target, self, &cycle, err);
    if (rc == 0 && cycle)
      return rt_error_set(err, RT_EINVAL, field,
                          "%s: R%llu superseding %s would close a cycle (%s "
                          "already supersedes R%llu, directly or through "
                          "others)",
                          field, (unsigned long long)self, target_id, target_id,
                          (unsigned long long)self);
  }
  return rc;
}

/* ---- the inverse ----------------------------------------------------- */

typedef struct inverse {
  Rectrack__V1__RecommendationLink **links;
  size_t n, cap;
} inverse_t;

static void inverse_free(inverse_t *inv) {
  for (size_t i = 0; i < inv->n; i++) {
    free(inv->links[i]->recommendation_id);
    free(inv->links[i]);
  }
  free(inv->links);
}

static int inverse_add(inverse_t *inv, uint64_t from, int kind) {
  if (inv->n == inv->cap) {
    size_t cap = inv->cap ? inv->cap * 2 : 8;
    Rectrack__V1__RecommendationLink **links =
        realloc(inv->links, cap * sizeof *links);
    if (links == NULL)
      return RT_ENOMEM;
    inv->links = links;
    inv->cap = cap;
  }
  Rectrack__V1__RecommendationLink *link = malloc(sizeof *link);
  char *id = malloc(24);
  if (link == NULL || id == NULL) {
    free(link);
    free(id);
    return RT_ENOMEM;
  }
  rectrack__v1__recommendation_link__init(link);
  snprintf(id, 24, "R%llu", (unsigned long long)from);
  link->recommendation_id = id;
  link->kind = kind;
  inv->links[inv->n++] = link;
  return 0;
}

static int compare_links(const void *a, const void *b) {
  const Rectrack__V1__RecommendationLink *x =
      *(const Rectrack__V1__RecommendationLink *const *)a;
  const Rectrack__V1__RecommendationLink *y =
      *(const Rectrack__V1__RecommendationLink *const *)b;
  uint64_t nx = store_parse_number_id(x->recommendation_id, 'R');
  uint64_t ny = store_parse_number_id(y->recommendation_id, 'R');
  if (nx != ny)
    return nx < ny ? -1 : 1;
  return (int)x->kind - (int)y->kind;
}

/* Adds the entries under tag + number (every kind) to inv. */
static int scan_link_entries(MDB_cursor *cursor, uint8_t tag, uint64_t number,
                             inverse_t *inv, rt_error_t *err) {
  uint8_t prefix[9];
  prefix[0] = tag;
  store_put_u64(prefix + 1, number);
  MDB_val key = {sizeof prefix, prefix}, data;
  const char *what = "reading the link index";
  int rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE),
                           err, what);
  while (rc == 0 && key.mv_size == 10 &&
         memcmp(key.mv_data, prefix, sizeof prefix) == 0 && data.mv_size == 8) {
    rc = inverse_add(inv, store_get_u64(data.mv_data),
                     ((const uint8_t *)key.mv_data)[9]);
    if (rc != 0)
      return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_NEXT), err,
                         what);
  }
  return rc == RT_ENOTFOUND ? 0 : rc;
}

int store_linked_from(MDB_txn *txn, rt_store_t *store, uint64_t number,
                      Rectrack__V1__RecommendationLink ***out, size_t *n,
                      rt_error_t *err) {
  *out = NULL;
  *n = 0;
  MDB_cursor *cursor;
  int rc = store_mdb_error(mdb_cursor_open(txn, store->rec_idx, &cursor), err,
                           "reading the link index");
  if (rc != 0)
    return rc;
  inverse_t inv = {0};
  rc = scan_link_entries(cursor, IDX_LINK, number, &inv, err);
  if (rc == 0)
    rc = scan_link_entries(cursor, IDX_LINK | IDX_ARCHIVED, number, &inv, err);
  mdb_cursor_close(cursor);
  if (rc != 0) {
    inverse_free(&inv);
    return rc;
  }
  if (inv.n > 1)
    qsort(inv.links, inv.n, sizeof *inv.links, compare_links);
  *out = inv.links;
  *n = inv.n;
  return 0;
}

int store_attach_linked_from(MDB_txn *txn, rt_store_t *store,
                             Rectrack__V1__Recommendation *rec,
                             rt_error_t *err) {
  uint64_t number = store_parse_number_id(rec->id, 'R');
  if (number == 0 || rec->n_linked_from > 0)
    return 0;
  return store_linked_from(txn, store, number, &rec->linked_from,
                           &rec->n_linked_from, err);
}

static int compare_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* The review's lines of follow-up (rt_store.h): one walk of the active
 * link entries, keeping both ends of each echoes or supersedes link. */
int rt_store_line_members(rt_store_reader_t *reader, uint64_t **out, size_t *n,
                          rt_error_t *err) {
  *out = NULL;
  *n = 0;
  MDB_cursor *cursor;
  const char *what = "reading the link index";
  int rc = store_mdb_error(
      mdb_cursor_open(reader->txn, reader->store->rec_idx, &cursor), err, what);
  if (rc != 0)
    return rc;
  uint8_t prefix[1] = {IDX_LINK};
  MDB_val key = {sizeof prefix, prefix}, data;
  uint64_t *numbers = NULL;
  size_t count = 0, cap = 0;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE), err,
                       what);
  while (rc == 0 && key.mv_size == 10 &&
         ((const uint8_t *)key.mv_data)[0] == IDX_LINK && data.mv_size == 8) {
    int kind = ((const uint8_t *)key.mv_data)[9];
    if (kind == RECTRACK__V1__LINK_KIND__LINK_KIND_ECHOES ||
        kind == RECTRACK__V1__LINK_KIND__LINK_KIND_SUPERSEDES) {
      if (count + 2 > cap) {
        cap = cap ? 2 * cap : 64;
        uint64_t *bigger = realloc(numbers, cap * sizeof *bigger);
        if (bigger == NULL) {
          rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
          break;
        }
        numbers = bigger;
      }
      numbers[count++] = store_get_u64((const uint8_t *)key.mv_data + 1);
      numbers[count++] = store_get_u64(data.mv_data);
    }
    rc = store_mdb_error(mdb_cursor_get(cursor, &key, &data, MDB_NEXT), err,
                         what);
  }
  mdb_cursor_close(cursor);
  if (rc != 0 && rc != RT_ENOTFOUND) {
    free(numbers);
    return rc;
  }
  if (count > 1)
    qsort(numbers, count, sizeof *numbers, compare_u64);
  size_t kept = 0;
  for (size_t i = 0; i < count; i++)
    if (kept == 0 || numbers[kept - 1] != numbers[i])
      numbers[kept++] = numbers[i];
  *out = numbers;
  *n = kept;
  return 0;
}
