/*
 * store_specificity: how specific a recommendation is (private to the
 * storage module). Worked out when a recommendation is read, from the
 * record and the commitments that answer it, and never stored, so it is
 * always current: no write has to remember to recompute it. Four marks
 * count: addressed to someone with a lead actor; a due date; an active
 * commitment with an indicator answering it (the commitment index under
 * IDX_REC); an SDG target or GCM objective. All four: HIGH; two or three:
 * MEDIUM; at most one: LOW (docs/api.md, "Specificity"). Stands on
 * store_internal.h alone. Functions that can fail return 0 or a negative
 * RT_E* code, listed at each.
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

#endif /* STORE_SPECIFICITY_H */
