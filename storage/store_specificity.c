/*
 * store_specificity: a recommendation's specificity and the marks it
 * lacks, worked out on read (store_specificity.h), and the one place that
 * attaches every computed field of a recommendation to a record being
 * returned.
 *
 * Whether a commitment with an indicator answers it is the one mark that
 * needs another record: the commitment index holds, under IDX_REC and the
 * recommendation's number, every active commitment answering it (an
 * archived one carries the archived bit, so it does not count), and the
 * first with an indicator ends the walk.
 */
#include "store_specificity.h"
#include "store_links.h"

#include <stdlib.h>
#include <string.h>

static bool given(const char *value) { return value != NULL && value[0]; }

/* Whether an active commitment with an indicator answers recommendation
 * number. */
static int indicator_answers(MDB_txn *txn, rt_store_t *store, uint64_t number,
                             bool *answered, rt_error_t *err) {
  uint8_t key_bytes[9];
  key_bytes[0] = IDX_REC;
  store_put_u64(key_bytes + 1, number);
  *answered = false;
  const char *what = "reading the commitments answering a recommendation";
  MDB_cursor *cursor;
  int rc =
      store_mdb_error(mdb_cursor_open(txn, store->com_idx, &cursor), err, what);
  if (rc != 0)
    return rc;
  store_arena_t arena;
  store_arena_init(&arena);
  MDB_val key = {sizeof key_bytes, key_bytes}, pk;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &pk, MDB_SET_KEY), err,
                       what);
  while (rc == 0 && !*answered) {
    store_key_t com_key = {.len = pk.mv_size};
    MDB_val data;
    if (pk.mv_size > sizeof com_key.data) {
      rc = rt_error_set(err, RT_ECORRUPT, NULL,
                        "storage: a commitment index entry is malformed");
      break;
    }
    memcpy(com_key.data, pk.mv_data, pk.mv_size);
    rc = store_fetch(txn, store->coms, &com_key, &data, err, what);
    Rectrack__V1__Commitment *com = NULL;
    if (rc == 0)
      rc = store_unpack(&arena, &rectrack__v1__commitment__descriptor,
                        data.mv_data, data.mv_size, (ProtobufCMessage **)&com,
                        err);
    if (rc == RT_ENOTFOUND) /* the verifier names a dangling entry */
      rc = 0;
    *answered =
        com != NULL && com->indicator != NULL && given(com->indicator->name);
    store_arena_reset(&arena);
    if (rc == 0 && !*answered)
      rc = store_mdb_error(mdb_cursor_get(cursor, &key, &pk, MDB_NEXT_DUP), err,
                           what);
  }
  store_arena_free(&arena);
  mdb_cursor_close(cursor);
  return rc == RT_ENOTFOUND ? 0 : rc;
}

int store_specificity(MDB_txn *txn, rt_store_t *store,
                      const Rectrack__V1__Recommendation *rec, int *level,
                      int gaps[STORE_SPECIFICITY_MARKS], size_t *n_gaps,
                      rt_error_t *err) {
  bool answered = false;
  uint64_t number = store_parse_number_id(rec->id, 'R');
  int rc = number ? indicator_answers(txn, store, number, &answered, err) : 0;
  if (rc != 0)
    return rc;
  const struct {
    bool met;
    int gap;
  } marks[STORE_SPECIFICITY_MARKS] = {
      {rec->n_addressed_to > 0 && given(rec->lead_actor_id),
       RECTRACK__V1__SPECIFICITY_GAP__SPECIFICITY_GAP_ADDRESSEE},
      {given(rec->due_date),
       RECTRACK__V1__SPECIFICITY_GAP__SPECIFICITY_GAP_DUE_DATE},
      {answered, RECTRACK__V1__SPECIFICITY_GAP__SPECIFICITY_GAP_INDICATOR},
      {rec->n_sdg_targets + rec->n_gcm_objectives > 0,
       RECTRACK__V1__SPECIFICITY_GAP__SPECIFICITY_GAP_TAGS},
  };
  *n_gaps = 0;
  for (size_t i = 0; i < STORE_SPECIFICITY_MARKS; i++)
    if (!marks[i].met)
      gaps[(*n_gaps)++] = marks[i].gap;
  size_t met = STORE_SPECIFICITY_MARKS - *n_gaps;
  *level = met == STORE_SPECIFICITY_MARKS
               ? RECTRACK__V1__SPECIFICITY__SPECIFICITY_HIGH
           : met >= 2 ? RECTRACK__V1__SPECIFICITY__SPECIFICITY_MEDIUM
                      : RECTRACK__V1__SPECIFICITY__SPECIFICITY_LOW;
  return 0;
}

int store_attach_computed(MDB_txn *txn, rt_store_t *store,
                          Rectrack__V1__Recommendation *rec, rt_error_t *err) {
  int gaps[STORE_SPECIFICITY_MARKS], level = 0;
  size_t n_gaps = 0;
  int rc = store_attach_linked_from(txn, store, rec, err);
  if (rc == 0)
    rc = store_specificity(txn, store, rec, &level, gaps, &n_gaps, err);
  if (rc != 0)
    return rc;
  rec->specificity = level;
  free(rec->specificity_gaps);
  rec->specificity_gaps = NULL;
  rec->n_specificity_gaps = 0;
  if (n_gaps == 0)
    return 0;
  rec->specificity_gaps = malloc(n_gaps * sizeof *rec->specificity_gaps);
  if (rec->specificity_gaps == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  for (size_t i = 0; i < n_gaps; i++)
    rec->specificity_gaps[i] = gaps[i];
  rec->n_specificity_gaps = n_gaps;
  return 0;
}
