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
  for (size_t i = 0; i < rec->n_linked_from; i++) /* never stored; anyway */
    protobuf_c_message_free_unpacked(&rec->linked_from[i]->base, NULL);
  free(rec->linked_from);
  rec->linked_from = NULL;
  rec->n_linked_from = 0;
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

int store_computed_bytes(MDB_txn *txn, rt_store_t *store, const void *packed,
                         size_t len, uint8_t **out, size_t *out_len,
                         rt_error_t *err) {
  *out = NULL;
  *out_len = 0;
  Rectrack__V1__Recommendation *rec =
      rectrack__v1__recommendation__unpack(NULL, len, packed);
  if (rec == NULL)
    return rt_error_set(err, RT_ECORRUPT, NULL,
                        "storage: a stored recommendation does not decode");
  /* Cleared first, so that what is attached is only what is computed. */
  int rc = store_attach_computed(txn, store, rec, err);
  if (rc == 0) {
    /* Only the computed fields are set, so the packed message is exactly
     * those fields' bytes. */
    Rectrack__V1__Recommendation only = RECTRACK__V1__RECOMMENDATION__INIT;
    only.linked_from = rec->linked_from;
    only.n_linked_from = rec->n_linked_from;
    only.specificity = rec->specificity;
    only.specificity_gaps = rec->specificity_gaps;
    only.n_specificity_gaps = rec->n_specificity_gaps;
    *out_len = protobuf_c_message_get_packed_size(&only.base);
    *out = malloc(*out_len ? *out_len : 1);
    if (*out == NULL) {
      *out_len = 0;
      rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
    } else {
      protobuf_c_message_pack(&only.base, *out);
    }
  }
  protobuf_c_message_free_unpacked(&rec->base, NULL);
  return rc;
}

int store_reply_add_computed(MDB_txn *txn, rt_store_t *store, uint8_t **reply,
                             size_t *reply_len, rt_error_t *err) {
  uint8_t *extra = NULL;
  size_t extra_len = 0;
  int rc = store_computed_bytes(txn, store, *reply, *reply_len, &extra,
                                &extra_len, err);
  uint8_t *grown = rc == 0 ? realloc(*reply, *reply_len + extra_len + 1) : NULL;
  if (rc == 0 && grown == NULL)
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (rc == 0) {
    memcpy(grown + *reply_len, extra, extra_len);
    *reply = grown;
    *reply_len += extra_len;
  }
  free(extra);
  return rc;
}

/* ---- the index --------------------------------------------------------- */

void store_specificity_key(int level, bool archived, store_key_t *key) {
  key->data[0] = IDX_SPECIFICITY | (archived ? IDX_ARCHIVED : 0);
  key->data[1] = (uint8_t)level;
  key->len = 2;
}

int store_specificity_reindex(MDB_txn *txn, rt_store_t *store, uint64_t number,
                              rt_error_t *err) {
  uint8_t pk_bytes[8];
  store_put_u64(pk_bytes, number);
  store_key_t pk = {.len = 8};
  memcpy(pk.data, pk_bytes, 8);
  store_arena_t arena;
  store_arena_init(&arena);
  MDB_val data;
  Rectrack__V1__Recommendation *rec = NULL;
  int rc = store_fetch(txn, store->recs, &pk, &data, err,
                       "reading a recommendation to rate");
  if (rc == 0)
    rc = store_unpack(&arena, &rectrack__v1__recommendation__descriptor,
                      data.mv_data, data.mv_size, (ProtobufCMessage **)&rec,
                      err);
  if (rc == RT_ENOTFOUND)
    rc = 0;
  int level = 0, gaps[STORE_SPECIFICITY_MARKS];
  size_t n_gaps;
  if (rc == 0 && rec != NULL)
    rc = store_specificity(txn, store, rec, &level, gaps, &n_gaps, err);
  store_key_t wanted = {.len = 0};
  if (rc == 0 && rec != NULL)
    store_specificity_key(level, rec->archived, &wanted);
  const char *what = "moving a specificity index entry";
  for (int archived = 0; rc == 0 && archived < 2; archived++)
    for (int other = 1; rc == 0 && other <= 3; other++) {
      store_key_t key;
      store_specificity_key(other, archived, &key);
      if (key.len == wanted.len && memcmp(key.data, wanted.data, key.len) == 0)
        continue;
      MDB_val k = {key.len, key.data}, v = {8, pk_bytes};
      rc = store_mdb_error(mdb_del(txn, store->rec_idx, &k, &v), err, what);
      if (rc == RT_ENOTFOUND)
        rc = 0;
    }
  if (rc == 0 && wanted.len > 0) {
    MDB_val k = {wanted.len, wanted.data}, v = {8, pk_bytes};
    rc = store_mdb_error(mdb_put(txn, store->rec_idx, &k, &v, 0), err, what);
  }
  store_arena_free(&arena);
  return rc;
}
