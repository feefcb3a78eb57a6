/*
 * store_validate: the checks a record passes before a write. Field checks
 * use the rules of common/rt_validate and need nothing but the message;
 * reference checks look every id a record names up in a transaction.
 * Both stand on store_internal.h alone, so that reads check their filters
 * with the same functions (store_validate_enum) without standing on the
 * write floors. Errors name the field path ("recommendation.sdg_targets[1]")
 * and the value. Server-owned fields are not checked: the writer
 * overwrites them. Not a public header.
 */
#ifndef RT_STORE_VALIDATE_H
#define RT_STORE_VALIDATE_H

#include "store_internal.h"

/* Field checks. Each returns 0 or RT_EINVAL naming the first bad field. */
int store_validate_source(const Rectrack__V1__Source *source, rt_error_t *err);
int store_validate_actor(const Rectrack__V1__Actor *actor, rt_error_t *err);
int store_validate_recommendation(const Rectrack__V1__Recommendation *rec,
                                  rt_error_t *err);
int store_validate_commitment(const Rectrack__V1__Commitment *com,
                              rt_error_t *err);
int store_validate_follow_up(const Rectrack__V1__FollowUp *follow_up,
                             rt_error_t *err);
int store_validate_measurement(const Rectrack__V1__Measurement *measurement,
                               rt_error_t *err);
/* A report's date (value, YYYY-MM-DD, already a valid date) must not be
 * later than the day after now_ms (UTC): a report speaks of a day that
 * has begun somewhere on Earth. Returns 0 or RT_EINVAL naming field. */
int store_validate_not_future(const char *value, int64_t now_ms,
                              const char *field, rt_error_t *err);
/* A decision on a submission: the subject id, the revision, VALIDATED or
 * RETURNED, a note (required to return). */
int store_validate_decision(
    const Rectrack__V1__ValidateSubmissionRequest *decision, rt_error_t *err);
/* Each of values is a slug (field[i] named when not), at most
 * RT_MAX_LIST_LEN of them. Returns 0 or RT_EINVAL. */
int store_validate_slugs(char *const *values, size_t n, const char *field,
                         rt_error_t *err);
/* value is one of descriptor's (0 only when allow_unspecified). Returns 0
 * or RT_EINVAL naming field. */
int store_validate_enum(const ProtobufCEnumDescriptor *descriptor, int value,
                        bool allow_unspecified, const char *field,
                        rt_error_t *err);

/* Reference checks in txn: every id a record (a message of entity's
 * type) names exists, and its theme is a compiled one or one added at
 * run time. Returns 0, RT_EINVAL (not an id; a theme outside both lists,
 * with the themes and the nearest one), RT_ENOTFOUND ("field: actor 'x'
 * does not exist") or a store_mdb_error code. */
int store_check_references(MDB_txn *txn, rt_store_t *store, rt_entity_t entity,
                           const ProtobufCMessage *record, rt_error_t *err);
/* The same for one id in field; an empty or NULL id is not checked. */
int store_check_reference(MDB_txn *txn, rt_store_t *store, rt_entity_t entity,
                          const char *id, const char *field, rt_error_t *err);

/* Whether id names a theme records may carry: a compiled one
 * (rt_reference.h) or one added at run time (the themes database), in
 * txn. Returns 0 with *known set, or a store_mdb_error code. */
int store_theme_known(MDB_txn *txn, rt_store_t *store, const char *id,
                      bool *known, rt_error_t *err);

/* The ids of the first max themes added at run time, in id order, copied
 * into arena: *ids (an arena array) and *n. Returns 0, RT_ENOMEM or a
 * store_mdb_error code. */
int store_added_theme_ids(MDB_txn *txn, rt_store_t *store, store_arena_t *arena,
                          size_t max, const char ***ids, size_t *n,
                          rt_error_t *err);

/* Calls say(arg, sentence) once for each SDG target, GCM objective and
 * theme of record (a Recommendation or Commitment of entity, whose id is
 * id) outside the reference lists and the themes added in txn, with the
 * closest valid values and the command that corrects it ("R73 carries SDG
 * target 10.99, which is not an SDG target (targets of goal 10: ...):
 * correct it with rectrack rec edit R73."). Such records were stored
 * before the lists were enforced; the verifier and the upgrade name them.
 * Scratch memory comes from arena. Other entities: nothing is said. */
void store_outside_tags(MDB_txn *txn, rt_store_t *store, store_arena_t *arena,
                        rt_entity_t entity, const ProtobufCMessage *record,
                        const char *id,
                        void (*say)(void *arg, const char *sentence),
                        void *arg);

#endif /* RT_STORE_VALIDATE_H */
