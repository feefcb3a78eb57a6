/*
 * store_trajectory: the derived fields of a subject, each computed from
 * its history in one place. A recommendation's or commitment's official
 * status and the self-reported status awaiting validation come from its
 * follow-ups (store_subject_status); a quantified commitment's latest
 * value, progress and trajectory from its validated measurements
 * (store_commitment_recompute). Used by the operations that change either
 * (store_followups.c, store_measurements.c, store_submissions.c,
 * store_records.c on an indicator update); stands on the write
 * primitives. Not a public header.
 */
#ifndef RT_STORE_TRAJECTORY_H
#define RT_STORE_TRAJECTORY_H

#include "store_status.h"
#include "store_write.h"

/* The trajectory of an indicator given its latest measurement (has_latest
 * false: NO_DATA; ind NULL: UNSPECIFIED), and in *progress the share of
 * the way from baseline to target. Cannot fail. */
Rectrack__V1__Trajectory store_trajectory(const Rectrack__V1__Indicator *ind,
                                          bool has_latest, double latest,
                                          const char *latest_as_of,
                                          double *progress);

/* Sets latest_value, latest_as_of, progress and trajectory of com (stored
 * as commitment number) from its official measurements (validated, or
 * recorded before review states existed) in the op's transaction: a
 * submitted or returned one never counts. com->latest_as_of points into
 * the op's arena afterwards. Returns 0, RT_ECORRUPT (a measurement does
 * not decode), RT_ENOMEM or an LMDB code. */
int store_commitment_recompute(store_wctx_t *ctx, uint64_t number,
                               Rectrack__V1__Commitment *com);

/* The status rule (store_status.h) applied to the subject stored under pk
 * (entity: a recommendation or commitment) in the op's transaction: fills
 * *out, whose strings point into the op's arena. Returns 0, RT_ECORRUPT
 * (a follow-up does not decode), RT_ENOMEM or an LMDB code. */
int store_subject_status(store_wctx_t *ctx, rt_entity_t entity,
                         const store_key_t *pk, store_status_fields_t *out);

/* The status fields of the subject stored under pk worked out again and
 * written into after (its new state, in the op's arena), after a report
 * on the part partner_id names ("" or NULL: the lead's); for a joint
 * pledge, that partner's status too (store_pledges.h). *fields gets the
 * subject's own. Returns as store_subject_status. */
int store_refresh_status(store_wctx_t *ctx, rt_entity_t entity,
                         const store_key_t *pk, ProtobufCMessage *after,
                         const char *partner_id, store_status_fields_t *fields);

/* Writes fields into subject (a Recommendation or Commitment of entity):
 * status, last_follow_up_as_of, reported_status, reported_as_of. The
 * strings are assigned, not copied. */
void store_set_status_fields(rt_entity_t entity, ProtobufCMessage *subject,
                             const store_status_fields_t *fields);

/* The official status of subject (a Recommendation or Commitment of
 * entity) as stored. */
Rectrack__V1__Status
store_subject_official_status(rt_entity_t entity,
                              const ProtobufCMessage *subject);

/* Stamps a change of subject (a Recommendation or Commitment of entity)
 * by the op: revision, updated_ms, updated_by, and pending_delta (+1 a
 * submission recorded, -1 one decided, 0 neither) added to its
 * pending_count, which never goes below 0. */
void store_stamp_subject(const store_wctx_t *ctx, rt_entity_t entity,
                         ProtobufCMessage *subject, uint64_t revision,
                         int pending_delta);

#endif /* RT_STORE_TRAJECTORY_H */
