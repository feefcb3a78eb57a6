/*
 * store_links: links between recommendations (private to the storage
 * module). A recommendation stores its own links (Recommendation.links:
 * echoes, builds_on, supersedes, related, each to one other
 * recommendation); each link is also an index entry of the linking
 * record, IDX_LINK + the linked-to number + the kind -> the linking
 * number, written with the record's other entries (store_index_keys).
 * The inverse (Recommendation.linked_from) is never stored: it is read
 * from those entries when a recommendation is returned, so that a link
 * changes one record and one log entry, and the inverse can never
 * disagree with the links. Stands on store_internal.h alone, so that both
 * the writes (the checks) and the reads (the inverse) use it. Functions
 * that can fail return 0 or a negative RT_E* code, listed at each.
 */
#ifndef STORE_LINKS_H
#define STORE_LINKS_H

#include "store_internal.h"

/* Links at most this deep are followed when looking for a supersedes
 * cycle; a chain longer than this is refused as if it were one. */
#define STORE_LINK_WALK_MAX 100000

/* The checks of rec's links that need the store, in txn: each links to
 * an existing recommendation other than self (the number of rec; 0 for
 * a new one, which nothing links to yet), and no supersedes link closes
 * a cycle through the stored supersedes links. Returns 0, RT_EINVAL
 * naming the link ("recommendation.links[1].recommendation_id: R9 does
 * not exist"), RT_ENOMEM, RT_ECORRUPT or a store_mdb_error code. */
int store_check_links(MDB_txn *txn, rt_store_t *store, uint64_t self,
                      const Rectrack__V1__Recommendation *rec, rt_error_t *err);

/* The links other recommendations (archived ones too) make to the one
 * numbered number, in txn, ordered by the linking id then the kind: a
 * malloc'd array of *n malloc'd links (NULL when none), each link's
 * recommendation_id the linking one. In protobuf-c's default allocator,
 * so that they can be attached to an unpacked message and freed with it.
 * Returns 0, RT_ENOMEM or a store_mdb_error code. */
int store_linked_from(MDB_txn *txn, rt_store_t *store, uint64_t number,
                      Rectrack__V1__RecommendationLink ***out, size_t *n,
                      rt_error_t *err);

/* Fills rec->linked_from (unpacked with the default allocator, its
 * linked_from empty) from txn. Same codes as store_linked_from. */
int store_attach_linked_from(MDB_txn *txn, rt_store_t *store,
                             Rectrack__V1__Recommendation *rec,
                             rt_error_t *err);

#endif /* STORE_LINKS_H */
