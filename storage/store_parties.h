/*
 * store_parties: who may record what, checked inside the write. A
 * reporter (rt_write_op_t.role RT_WRITE_ROLE_REPORTER) speaks for the
 * actors of its op: it records follow-ups and measurements only, reported
 * by one of them, on their subjects (a recommendation addressed to or led
 * by one of them, a commitment of one of them). The checks read the
 * subject in the op's own transaction, so no write in between can make a
 * subject someone else's after it was checked. Used by the operations
 * (store_followups.c, store_measurements.c, store_submissions.c) and the
 * dispatcher (store_apply.c); stands on the write primitives and the
 * reference checks. Not a public header.
 *
 * Errors: RT_EPERM and RT_EPRECOND messages name the role, the principal,
 * its actors and the subject; RT_EINVAL names the field.
 */
#ifndef RT_STORE_PARTIES_H
#define RT_STORE_PARTIES_H

#include "store_validate.h"
#include "store_write.h"

/* Whether the op's principal speaks for the secretariat (may do
 * anything, and its reports are validated at once). */
bool store_parties_is_secretariat(const store_wctx_t *ctx);

/* A reporter may only record follow-ups and measurements: 0 for those
 * kinds or for the secretariat, else RT_EPERM ("reporter moi-phl may
 * record follow-ups and measurements only; ValidateSubmission is the
 * secretariat's"). */
int store_parties_check_kind(store_wctx_t *ctx);

/* The checks of a report, in the order the operations run them:
 * store_parties_check_actors, store_parties_check_subject, then
 * store_parties_check_reported_by. */

/* For a reporter, every one of its actors must exist: RT_EPRECOND naming
 * the one that does not (or an LMDB code). Always 0 for the
 * secretariat. */
int store_parties_check_actors(store_wctx_t *ctx);

/* Who reports, in *reported_by (a field of the op's message copy, in
 * the op's arena or the caller's message; field names it for messages).
 * For the secretariat: an actor id that must exist when set. For a
 * reporter: an empty reported_by becomes its actor when it has one
 * (RT_EINVAL when it has several: say which), and a reported_by that is
 * not one of its actors is RT_EPERM. Returns 0, RT_EINVAL, RT_ENOTFOUND
 * (secretariat: no such actor), RT_EPERM or an LMDB code. */
int store_parties_check_reported_by(store_wctx_t *ctx, char **reported_by,
                                    const char *field);

/* For a reporter, subject (a Recommendation or Commitment of entity) must
 * be one of its actors': RT_EPERM ("reporter moi-phl speaks for phl; C4 is
 * a commitment of bgd") otherwise. A joint pledge's lead reports on any
 * part of it; a partner only on its own part, partner_id (NULL or "":
 * the pledge as a whole, which is the lead's; always NULL for a
 * measurement, which is the lead's too). Always 0 for the secretariat. */
int store_parties_check_subject(store_wctx_t *ctx, rt_entity_t entity,
                                const ProtobufCMessage *subject,
                                const char *partner_id);

/* A reporter that is not a commitment's lead and speaks for exactly one
 * of its partners reports that partner's part: an empty *partner_id
 * (a field of the op's message copy) is set to it. Does nothing for the
 * secretariat, for a recommendation, or when *partner_id is set. */
void store_parties_default_part(store_wctx_t *ctx, rt_entity_t entity,
                                const ProtobufCMessage *subject,
                                char **partner_id);

#endif /* RT_STORE_PARTIES_H */
