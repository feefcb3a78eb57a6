/*
 * store_specificity: how specific a recommendation is (private to the
 * storage module). Worked out when a recommendation is read, from the
 * record and the commitments that answer it, and never stored, so it is
 * always current when read. Four marks
 * count: addressed to someone with a lead actor; a due date; an active
 * commitment with an indicator answering it (the commitment index under
 * IDX_REC); an SDG target or GCM objective. All four: HIGH; two or three:
 * MEDIUM; at most one: LOW (docs/api.md, "Specificity"). The rating's
 * index entry, which the list filter walks, is kept by the writes (below).
 * Stands on store_internal.h alone. Functions that can fail return 0 or a
 * negative RT_E* code, listed at each.
 */
#ifndef STORE_SPECIFICITY_H
#define STORE_SPECIFICITY_H

#include "store_internal.h"

#define STORE_SPECIFICITY_MARKS 4

/* The rating of rec in txn: *level a Specificity, gaps[0..*n_gaps) the
 * SpecificityGap values it lacks, in value order. Returns 0, RT_ECORRUPT
 * (an answering commitment does not decode), RT_ENOMEM or a
 * store_mdb_error code. */
int store_specificity(MDB_txn *txn, rt_store_t *store,
                      const Rectrack__V1__Recommendation *rec, int *level,
                      int gaps[STORE_SPECIFICITY_MARKS], size_t *n_gaps,
                      rt_error_t *err);

/* Fills rec's computed fields, linked_from (store_links.h), specificity
 * and specificity_gaps, in protobuf-c's default allocator, so that they
 * are freed with rec (unpacked with the default allocator, those fields
 * empty). Same codes as store_specificity. */
int store_attach_computed(MDB_txn *txn, rt_store_t *store,
                          Rectrack__V1__Recommendation *rec, rt_error_t *err);

/* The computed fields of the recommendation packed (len bytes, as
 * stored) as protobuf wire bytes to append to it: linked_from,
 * specificity and specificity_gaps, worked out in txn. *out is malloc'd
 * (the caller frees it). Returns 0, RT_ECORRUPT (packed does not decode),
 * RT_ENOMEM or a store_mdb_error code; then *out is NULL. */
int store_computed_bytes(MDB_txn *txn, rt_store_t *store, const void *packed,
                         size_t len, uint8_t **out, size_t *out_len,
                         rt_error_t *err);

/* Appends the computed fields to *reply (a packed recommendation,
 * malloc'd, *reply_len bytes; realloc'd here), so that what a create or
 * an update answers is what a Get of the record answers. Same codes; on
 * failure the reply is left as it was. */
int store_reply_add_computed(MDB_txn *txn, rt_store_t *store, uint8_t **reply,
                             size_t *reply_len, rt_error_t *err);

/* The specificity index entry a recommendation rated level has: tag
 * IDX_SPECIFICITY (with the archived bit when archived) + 1 byte level. */
void store_specificity_key(int level, bool archived, store_key_t *key);

/* The specificity index: one entry per recommendation in the
 * recommendation index, kept by the writes that can change a rating (a
 * recommendation's create and update, a commitment's create and update,
 * for each recommendation it answers before and after) rather than by
 * store_index_keys, since the rating is not the record's alone. Moves the
 * entry of recommendation number to its rating now, in txn: removes it
 * from every other level and archived bit and writes the one it should
 * have (a recommendation that does not exist keeps none). Returns 0,
 * RT_ENOMEM, RT_ECORRUPT or a store_mdb_error code (STORE_EMAPFULL among
 * them). */
int store_specificity_reindex(MDB_txn *txn, rt_store_t *store, uint64_t number,
                              rt_error_t *err);

#endif /* STORE_SPECIFICITY_H */
