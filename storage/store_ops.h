/*
 * store_ops: the write operations, one per kind of change, each run by
 * store_apply.c inside the op's child transaction. An operation checks
 * its input (store_validate.h), reads and writes through the primitives
 * (store_write.h) and appends the change to the log; it never calls
 * another operation or the dispatcher. Not a public header.
 *
 *   store_records.c       create and update of the four record kinds
 *   store_followups.c     follow-up reports and the status they set
 *   store_measurements.c  measurements of quantified commitments
 *   store_submissions.c   the secretariat's decision on a reporter's
 *                         follow-up or measurement
 *   store_themes.c        themes the secretariat adds at run time
 *   store_replay.c        repeated request ids, answered from the log
 *
 * Errors: each returns 0 or a negative RT_E* code with ctx->err set; on
 * failure the dispatcher rolls the op's child transaction back. "An LMDB
 * code" means any code store_mdb_error returns, STORE_EMAPFULL included.
 * On success the op's reply and revision are set.
 */
#ifndef RT_STORE_OPS_H
#define RT_STORE_OPS_H

#include "store_parties.h"
#include "store_trajectory.h"
#include "store_validate.h"
#include "store_write.h"

/* Creates a record of entity from the op's message: sources and actors
 * under their slug, recommendations and commitments under the next R/C
 * number. Returns 0, RT_EINVAL (a field, named), RT_ENOTFOUND (a record
 * it refers to), RT_EEXIST (the slug is taken), RT_ETOOBIG, RT_ENOMEM or
 * an LMDB code. */
int store_op_create(store_wctx_t *ctx, rt_entity_t entity);

/* Replaces the fields of the op's update mask (every mutable field when
 * the mask is empty); no change writes nothing and replies with the
 * record. Returns 0, RT_EINVAL (a mask entry or field, named),
 * RT_ENOTFOUND (the record, or one it refers to), RT_ECONFLICT (expected
 * revision), RT_ETOOBIG, RT_ENOMEM or an LMDB code. */
int store_op_update(store_wctx_t *ctx, rt_entity_t entity);

/* Records a follow-up (validated when the secretariat records it,
 * submitted when a reporter does) and works its subject's status fields
 * out again (the subject's status before is kept as previous_status).
 * Returns 0, RT_EINVAL, RT_ENOTFOUND (the subject or the reporting
 * actor), RT_ECONFLICT, RT_EPERM and RT_EPRECOND (store_parties.h),
 * RT_ENOMEM or an LMDB code. */
int store_op_follow_up(store_wctx_t *ctx);

/* Records a measurement of a quantified commitment (validated or
 * submitted, as a follow-up) and recomputes the commitment's latest
 * value, progress and trajectory. Returns 0, RT_EINVAL, RT_ENOTFOUND (the
 * commitment or the reporting actor), RT_EPRECOND (it has no indicator;
 * store_parties.h), RT_EPERM, RT_ECORRUPT, RT_ENOMEM or an LMDB code. */
int store_op_measurement(store_wctx_t *ctx);

/* The secretariat's decision (validate or return) on the submission the
 * op's ValidateSubmissionRequest names, with the subject's derived fields
 * worked out again; the reply is a ValidateSubmissionResponse. Returns 0,
 * RT_EINVAL (a field, named), RT_ENOTFOUND (no such subject, or no
 * follow-up or measurement of it at that revision), RT_EPRECOND (decided
 * already, or validated when recorded), RT_EPERM (a reporter; the
 * principal who recorded it), RT_ECORRUPT, RT_ENOMEM or an LMDB code. */
int store_op_validate(store_wctx_t *ctx);

/* Adds the op's Theme to the themes records may be tagged with. The
 * reply is the theme as stored (added, revision, created_ms, created_by
 * filled). Returns 0, RT_EINVAL (a field, named), RT_EEXIST (the id is a
 * compiled theme's or an added one's), RT_ENOMEM or an LMDB code. */
int store_op_create_theme(store_wctx_t *ctx);

/* Adds the op's DimensionKey to the keys measurements may carry
 * (store_dimensions.c). The reply is the key as stored. Returns 0,
 * RT_EINVAL (a field, named: key, title, value_rule, values), RT_EEXIST
 * (a compiled or added key of that name), RT_ENOMEM or an LMDB code. */
int store_op_create_dimension_key(store_wctx_t *ctx);

/* Checks the dimensions of the measurement m about to be recorded: each
 * key compiled or added, at most once, each value valid under its key's
 * rule; and puts them in key order (the array is replaced by one in the
 * op's arena). Returns 0 or RT_EINVAL naming the dimension. */
int store_dimensions_check(store_wctx_t *ctx, Rectrack__V1__Measurement *m);

/* When the op's request id was used before, answers the op from the
 * change it made and sets op->replayed; writes nothing either way.
 * Returns 0 (replayed or not), RT_EINVAL (the id is too long, or was used
 * for another kind of op or another record), RT_ECORRUPT, RT_ENOMEM or an
 * LMDB code. */
int store_op_replay(store_wctx_t *ctx);

#endif /* RT_STORE_OPS_H */
