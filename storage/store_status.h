/*
 * store_status: the status rule, the one place that says which follow-up
 * decides a subject's status. A subject's (official) status is the
 * status of its validated follow-up with the latest as_of; between two of
 * the same as_of, the later recorded one (the higher revision) wins. A
 * follow-up recorded before review states existed counts as validated; a
 * submitted one is the subject's self-reported status by the same rule;
 * a returned one counts for nothing. So a report that arrives late and
 * speaks of an earlier day goes into the history in its place and leaves
 * the status alone. A joint pledge's reports each speak for one part
 * (FollowUp.partner_id): the rule is applied to each part's reports
 * alone, the commitment's own status being that of the reports that name
 * no partner (store_pledges.h).
 *
 * Stands on store_internal.h only, so that the write path (through
 * store_trajectory.h), the upgrade of an older directory and the verifier
 * all apply the same function to the same history. Not a public header.
 */
#ifndef RT_STORE_STATUS_H
#define RT_STORE_STATUS_H

#include "store_internal.h"

/* A subject's status fields as its follow-ups decide them. */
typedef struct store_status_fields {
  /* Official: the status and as_of of the deciding follow-up, and the
   * revision it was recorded at; NO_INFORMATION, "" and 0 when there is
   * none. */
  Rectrack__V1__Status status;
  const char *as_of;
  uint64_t revision;
  /* Self-reported: the deciding submission awaiting validation;
   * UNSPECIFIED, "" and 0 when none awaits. */
  Rectrack__V1__Status reported_status;
  const char *reported_as_of;
  uint64_t reported_revision;
} store_status_fields_t;

/* Whether a follow-up dated as_of and recorded at revision is later,
 * for the status rule, than one dated other_as_of recorded at
 * other_revision: a later as_of, or the same as_of recorded later. */
bool store_status_is_later(const char *as_of, uint64_t revision,
                           const char *other_as_of, uint64_t other_revision);

/* Applies the rule to the follow-ups of the subject stored under pk
 * (entity: a recommendation or commitment; pk its primary key) in txn
 * that speak for partner_id (NULL or "": those that name no partner) and
 * fills *out; its strings are copied into arena. Each follow-up is
 * unpacked into scratch memory of its own, so a long history takes no
 * more memory than one report. Returns 0, RT_ECORRUPT (a follow-up does
 * not decode), RT_ENOMEM or an LMDB code, with err set. */
int store_status_read(MDB_txn *txn, rt_store_t *store, rt_entity_t entity,
                      const store_key_t *pk, const char *partner_id,
                      store_arena_t *arena, store_status_fields_t *out,
                      rt_error_t *err);

/* The status fields stored in subject (a Recommendation or Commitment of
 * entity); the strings point into subject, the revisions are 0. */
void store_status_of_record(rt_entity_t entity, const ProtobufCMessage *subject,
                            store_status_fields_t *out);

/* Whether subject (a Recommendation or Commitment of entity) stores the
 * status fields in fields. */
bool store_status_agrees(rt_entity_t entity, const ProtobufCMessage *subject,
                         const store_status_fields_t *fields);

#endif /* RT_STORE_STATUS_H */
