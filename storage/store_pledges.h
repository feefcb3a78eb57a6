/*
 * store_pledges: joint and matching pledges (private to the storage
 * module). A commitment has a pledge type (individual, common,
 * partnership, matching), partners besides its lead actor, and, when it
 * matches another pledge, that pledge's id. Each partner's part is
 * followed up by the reports that name it (FollowUp.partner_id); the
 * commitment stores one PartnerStatus per partner, worked out by the
 * status rule (store_status.h) from those reports alone, while its own
 * status comes from the reports that name no partner: the lead's, or the
 * pledge's as a whole. Partners and the matched pledge are index entries
 * of the commitment (IDX_PARTNER, IDX_MATCHES), so that "pledges of
 * which phl is a partner" is a listing and "pledges matching C4"
 * (Commitment.matched_by) is read on Get from the index, never stored.
 *
 * Used by the commitment writes (store_records.c), the follow-up writes
 * (store_followups.c, store_submissions.c), the index definition
 * (store_codec.c) and the reads (store_series.c). Functions that can
 * fail return 0 or a negative RT_E* code, listed at each.
 */
#ifndef STORE_PLEDGES_H
#define STORE_PLEDGES_H

#include "store_write.h"

/* Matches links at most this deep are followed looking for a cycle; a
 * longer chain is refused as if it were one. */
#define STORE_MATCH_WALK_MAX 100000

/* The commitment's pledge type as read: UNSPECIFIED (recorded before
 * pledge types) is INDIVIDUAL. */
Rectrack__V1__PledgeType
store_pledge_type(const Rectrack__V1__Commitment *commitment);

/* The type of a new commitment that leaves it UNSPECIFIED: MATCHING when
 * it names a pledge it matches, PARTNERSHIP when it has partners, else
 * INDIVIDUAL. Cannot fail. */
void store_pledge_infer_type(Rectrack__V1__Commitment *commitment);

/* The checks of the pledge fields that need no store: a known type; the
 * partners slugs, at most RT_MAX_LIST_LEN, each once, none the lead
 * actor; partners for COMMON and PARTNERSHIP, none for INDIVIDUAL;
 * matches_commitment_id a commitment id, set for MATCHING and only
 * then. Returns 0 or RT_EINVAL naming the field. */
int store_validate_pledge(const Rectrack__V1__Commitment *commitment,
                          rt_error_t *err);

/* The checks that need the store, in txn: every partner an actor; the
 * matched pledge a commitment other than self (the commitment's number,
 * 0 for a new one), through which no chain of matches leads back to
 * self. Returns 0, RT_EINVAL or RT_ENOTFOUND naming the field,
 * RT_ECORRUPT, RT_ENOMEM or a store_mdb_error code. */
int store_check_pledge_references(MDB_txn *txn, rt_store_t *store,
                                  uint64_t self,
                                  const Rectrack__V1__Commitment *commitment,
                                  rt_error_t *err);

/* Sets commitment->partner_statuses (in the op's arena) from the reports
 * stored under pk for each of its partners. Returns 0, RT_ECORRUPT,
 * RT_ENOMEM or an LMDB code. */
int store_pledge_statuses(store_wctx_t *ctx, const store_key_t *pk,
                          Rectrack__V1__Commitment *commitment);
/* The same for the one part a report or its validation changed: the
 * entry of partner_id in a fresh copy of commitment->partner_statuses
 * (the list may be shared with the record as it was). Nothing for the
 * lead's part ("" or NULL), which no partner's status reads. */
int store_pledge_refresh_part(store_wctx_t *ctx, const store_key_t *pk,
                              Rectrack__V1__Commitment *commitment,
                              const char *partner_id);
/* Whether two versions of a commitment have the same partners, in the
 * same order (their statuses are then still right). */
bool store_pledge_same_partners(const Rectrack__V1__Commitment *a,
                                const Rectrack__V1__Commitment *b);

/* Checks the part a report speaks for: a recommendation's names none; a
 * commitment's names one of its partners, or none. Returns 0 or
 * RT_EINVAL ("follow_up.partner_id: 'ken' is not a partner of C4; its
 * partners are phl, bgd"). */
int store_pledge_check_part(rt_entity_t entity, const ProtobufCMessage *subject,
                            const char *partner_id, rt_error_t *err);

/* The official status of the part partner_id (NULL or "": the whole) of
 * subject (a Recommendation or Commitment of entity), as stored. */
Rectrack__V1__Status store_part_official_status(rt_entity_t entity,
                                                const ProtobufCMessage *subject,
                                                const char *partner_id);

/* Whether partner_ids has statuses for every partner as stored in
 * commitment, agreeing with what the reports under pk make of them, in
 * txn: false, with a sentence in problem (problem_len bytes), when not.
 * Returns 0 or an error code (err set) when the reports cannot be read. */
int store_pledge_verify(MDB_txn *txn, rt_store_t *store, const store_key_t *pk,
                        const Rectrack__V1__Commitment *commitment,
                        store_arena_t *arena, bool *agrees, char *problem,
                        size_t problem_len, rt_error_t *err);

/* The active commitments that match the one numbered number, by id, in
 * txn: *out an array of *n ids, in arena. Returns 0, RT_ENOMEM or a
 * store_mdb_error code. */
int store_matched_by(MDB_txn *txn, rt_store_t *store, uint64_t number,
                     store_arena_t *arena, char ***out, size_t *n,
                     rt_error_t *err);

#endif /* STORE_PLEDGES_H */
