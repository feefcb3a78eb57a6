/*
 * store_pledges: joint and matching pledges (store_pledges.h).
 */
#include "store_pledges.h"
#include "rt_validate.h"
#include "store_trajectory.h"
#include "store_validate.h"

#include <stdio.h>
#include <string.h>

Rectrack__V1__PledgeType
store_pledge_type(const Rectrack__V1__Commitment *commitment) {
  if (commitment->pledge_type ==
      RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_UNSPECIFIED)
    return RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_INDIVIDUAL;
  return commitment->pledge_type;
}

void store_pledge_infer_type(Rectrack__V1__Commitment *commitment) {
  if (commitment->pledge_type !=
      RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_UNSPECIFIED)
    return;
  if (commitment->matches_commitment_id && commitment->matches_commitment_id[0])
    commitment->pledge_type = RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_MATCHING;
  else if (commitment->n_partner_ids > 0)
    commitment->pledge_type =
        RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_PARTNERSHIP;
  else
    commitment->pledge_type = RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_INDIVIDUAL;
}

static const char *type_name(Rectrack__V1__PledgeType type) {
  switch (type) {
  case RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_COMMON:
    return "a common";
  case RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_PARTNERSHIP:
    return "a partnership";
  case RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_MATCHING:
    return "a matching";
  default:
    return "an individual";
  }
}

static int check_partners(const Rectrack__V1__Commitment *c, rt_error_t *err) {
  const char *field = "commitment.partner_ids";
  int rc = store_validate_slugs(c->partner_ids, c->n_partner_ids, field, err);
  if (rc != 0)
    return rc;
  char name[48];
  for (size_t i = 0; i < c->n_partner_ids; i++) {
    const char *id = store_str(c->partner_ids[i]);
    snprintf(name, sizeof name, "%s[%zu]", field, i);
    if (strcmp(id, store_str(c->actor_id)) == 0)
      return rt_error_set(err, RT_EINVAL, name,
                          "%s: '%.64s' is the lead actor (actor_id); "
                          "partners are the other actors of the pledge",
                          name, id);
    for (size_t j = 0; j < i; j++)
      if (strcmp(id, store_str(c->partner_ids[j])) == 0)
        return rt_error_set(err, RT_EINVAL, name, "%s: '%.64s' is named twice",
                            name, id);
  }
  return 0;
}

int store_validate_pledge(const Rectrack__V1__Commitment *c, rt_error_t *err) {
  int rc =
      store_validate_enum(&rectrack__v1__pledge_type__descriptor,
                          c->pledge_type, true, "commitment.pledge_type", err);
  if (rc == 0)
    rc = check_partners(c, err);
  if (rc != 0)
    return rc;
  Rectrack__V1__PledgeType type = store_pledge_type(c);
  const char *matches = store_str(c->matches_commitment_id);
  if (type == RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_INDIVIDUAL &&
      c->n_partner_ids > 0)
    return rt_error_set(err, RT_EINVAL, "commitment.partner_ids",
                        "commitment.partner_ids: an individual pledge has no "
                        "partners; make it a common or partnership pledge "
                        "(pledge_type)");
  if ((type == RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_COMMON ||
       type == RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_PARTNERSHIP) &&
      c->n_partner_ids == 0)
    return rt_error_set(err, RT_EINVAL, "commitment.partner_ids",
                        "commitment.partner_ids: %s pledge names at least one "
                        "partner besides its lead actor",
                        type_name(type));
  if (type == RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_MATCHING &&
      matches[0] == '\0')
    return rt_error_set(err, RT_EINVAL, "commitment.matches_commitment_id",
                        "commitment.matches_commitment_id: a matching pledge "
                        "names the pledge it matches");
  if (type != RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_MATCHING &&
      matches[0] != '\0')
    return rt_error_set(err, RT_EINVAL, "commitment.matches_commitment_id",
                        "commitment.matches_commitment_id: only a matching "
                        "pledge matches another; this is %s pledge",
                        type_name(type));
  if (matches[0] != '\0' && store_parse_number_id(matches, 'C') == 0)
    return rt_error_set(err, RT_EINVAL, "commitment.matches_commitment_id",
                        "commitment.matches_commitment_id: '%.80s' is not a "
                        "commitment id (C1, C2, ...)",
                        matches);
  return 0;
}

/* The pledge the commitment numbered number matches (0: none), read in
 * txn with scratch memory. */
static int matched_number(MDB_txn *txn, rt_store_t *store, uint64_t number,
                          store_arena_t *scratch, uint64_t *out,
                          rt_error_t *err) {
  store_key_t key = {.len = 8};
  store_put_u64(key.data, number);
  MDB_val data;
  *out = 0;
  int rc = store_fetch(txn, store->coms, &key, &data, err, "reading a pledge");
  if (rc == RT_ENOTFOUND)
    return 0;
  ProtobufCMessage *unpacked = NULL;
  store_arena_reset(scratch);
  if (rc == 0)
    rc = store_unpack(scratch, &rectrack__v1__commitment__descriptor,
                      data.mv_data, data.mv_size, &unpacked, err);
  if (rc == 0)
    *out = store_parse_number_id(
        ((const Rectrack__V1__Commitment *)(const void *)unpacked)
            ->matches_commitment_id,
        'C');
  return rc;
}

/* Follows the matches from first; a chain that comes back to self (or
 * runs past STORE_MATCH_WALK_MAX) is refused. */
static int check_no_cycle(MDB_txn *txn, rt_store_t *store, uint64_t self,
                          uint64_t first, rt_error_t *err) {
  store_arena_t scratch;
  store_arena_init(&scratch);
  uint64_t at = first;
  int rc = 0;
  size_t steps = 0;
  while (rc == 0 && at != 0 && at != self && steps++ < STORE_MATCH_WALK_MAX)
    rc = matched_number(txn, store, at, &scratch, &at, err);
  store_arena_free(&scratch);
  if (rc == 0 && at != 0)
    rc = rt_error_set(err, RT_EINVAL, "commitment.matches_commitment_id",
                      "commitment.matches_commitment_id: C%llu matches, "
                      "through the pledges it answers, C%llu itself; "
                      "matching pledges cannot form a cycle",
                      (unsigned long long)first, (unsigned long long)self);
  return rc;
}

int store_check_pledge_references(MDB_txn *txn, rt_store_t *store,
                                  uint64_t self,
                                  const Rectrack__V1__Commitment *c,
                                  rt_error_t *err) {
  char name[48];
  for (size_t i = 0; i < c->n_partner_ids; i++) {
    snprintf(name, sizeof name, "commitment.partner_ids[%zu]", i);
    int rc = store_check_reference(txn, store, RT_ENTITY_ACTOR,
                                   c->partner_ids[i], name, err);
    if (rc != 0)
      return rc;
  }
  const char *matches = store_str(c->matches_commitment_id);
  if (matches[0] == '\0')
    return 0;
  uint64_t first = store_parse_number_id(matches, 'C');
  if (first == self)
    return rt_error_set(err, RT_EINVAL, "commitment.matches_commitment_id",
                        "commitment.matches_commitment_id: a pledge cannot "
                        "match itself (%.20s)",
                        matches);
  int rc = store_check_reference(txn, store, RT_ENTITY_COMMITMENT, matches,
                                 "commitment.matches_commitment_id", err);
  if (rc == 0 && self != 0)
    rc = check_no_cycle(txn, store, self, first, err);
  return rc;
}

/* The status rule applied to one partner's reports, into *out. */
static int partner_status(MDB_txn *txn, rt_store_t *store,
                          const store_key_t *pk, const char *partner,
                          store_arena_t *arena,
                          Rectrack__V1__PartnerStatus *out, rt_error_t *err) {
  store_status_fields_t fields;
  int rc = store_status_read(txn, store, RT_ENTITY_COMMITMENT, pk, partner,
                             arena, &fields, err);
  if (rc != 0)
    return rc;
  rectrack__v1__partner_status__init(out);
  out->actor_id = (char *)partner;
  out->status = fields.status;
  out->last_follow_up_as_of = (char *)fields.as_of;
  out->reported_status = fields.reported_status;
  out->reported_as_of = (char *)fields.reported_as_of;
  return 0;
}

int store_pledge_statuses(store_wctx_t *ctx, const store_key_t *pk,
                          Rectrack__V1__Commitment *commitment) {
  size_t n = commitment->n_partner_ids;
  commitment->n_partner_statuses = 0;
  commitment->partner_statuses = NULL;
  if (n == 0)
    return 0;
  Rectrack__V1__PartnerStatus *entries =
      store_arena_alloc(ctx->arena, n * sizeof *entries);
  Rectrack__V1__PartnerStatus **list =
      store_arena_alloc(ctx->arena, n * sizeof *list);
  if (entries == NULL || list == NULL)
    return rt_error_set(ctx->err, RT_ENOMEM, NULL, "out of memory");
  for (size_t i = 0; i < n; i++) {
    int rc =
        partner_status(ctx->txn, ctx->store, pk, commitment->partner_ids[i],
                       ctx->arena, &entries[i], ctx->err);
    if (rc != 0)
      return rc;
    list[i] = &entries[i];
  }
  commitment->partner_statuses = list;
  commitment->n_partner_statuses = n;
  return 0;
}

int store_pledge_refresh_part(store_wctx_t *ctx, const store_key_t *pk,
                              Rectrack__V1__Commitment *commitment,
                              const char *partner_id) {
  const char *part = store_str(partner_id);
  size_t n = commitment->n_partner_statuses;
  if (part[0] == '\0' || n == 0)
    return 0;
  if (n != commitment->n_partner_ids)
    return store_pledge_statuses(ctx, pk, commitment);
  Rectrack__V1__PartnerStatus **list =
      store_arena_alloc(ctx->arena, n * sizeof *list);
  Rectrack__V1__PartnerStatus *fresh =
      store_arena_alloc(ctx->arena, sizeof *fresh);
  if (list == NULL || fresh == NULL)
    return rt_error_set(ctx->err, RT_ENOMEM, NULL, "out of memory");
  memcpy(list, commitment->partner_statuses, n * sizeof *list);
  for (size_t i = 0; i < n; i++) {
    if (strcmp(store_str(commitment->partner_ids[i]), part) != 0)
      continue;
    int rc =
        partner_status(ctx->txn, ctx->store, pk, commitment->partner_ids[i],
                       ctx->arena, fresh, ctx->err);
    if (rc != 0)
      return rc;
    list[i] = fresh;
  }
  commitment->partner_statuses = list;
  return 0;
}

bool store_pledge_same_partners(const Rectrack__V1__Commitment *a,
                                const Rectrack__V1__Commitment *b) {
  if (a->n_partner_ids != b->n_partner_ids ||
      b->n_partner_statuses != b->n_partner_ids)
    return false;
  for (size_t i = 0; i < a->n_partner_ids; i++)
    if (strcmp(store_str(a->partner_ids[i]), store_str(b->partner_ids[i])))
      return false;
  return true;
}

int store_pledge_check_part(rt_entity_t entity, const ProtobufCMessage *subject,
                            const char *partner_id, rt_error_t *err) {
  const char *part = store_str(partner_id);
  if (part[0] == '\0')
    return 0;
  const char *field = "follow_up.partner_id";
  if (entity != RT_ENTITY_COMMITMENT)
    return rt_error_set(
        err, RT_EINVAL, field,
        "%s: only a report on a commitment speaks for one of "
        "its partners; %.20s is a recommendation",
        field,
        store_str(
            ((const Rectrack__V1__Recommendation *)(const void *)subject)->id));
  const Rectrack__V1__Commitment *c = (const void *)subject;
  for (size_t i = 0; i < c->n_partner_ids; i++)
    if (strcmp(part, store_str(c->partner_ids[i])) == 0)
      return 0;
  if (c->n_partner_ids == 0)
    return rt_error_set(err, RT_EINVAL, field,
                        "%s: '%.64s' is not a partner of %.20s, which has no "
                        "partners (%s pledge of %.64s)",
                        field, part, store_str(c->id),
                        type_name(store_pledge_type(c)),
                        store_str(c->actor_id));
  char partners[200];
  store_join_ids(c->partner_ids, c->n_partner_ids, partners, sizeof partners);
  return rt_error_set(err, RT_EINVAL, field,
                      "%s: '%.64s' is not a partner of %.20s; its partners "
                      "are %s",
                      field, part, store_str(c->id), partners);
}

Rectrack__V1__Status store_part_official_status(rt_entity_t entity,
                                                const ProtobufCMessage *subject,
                                                const char *partner_id) {
  const char *part = store_str(partner_id);
  if (entity == RT_ENTITY_COMMITMENT && part[0] != '\0') {
    const Rectrack__V1__Commitment *c = (const void *)subject;
    for (size_t i = 0; i < c->n_partner_statuses; i++)
      if (strcmp(store_str(c->partner_statuses[i]->actor_id), part) == 0)
        return c->partner_statuses[i]->status;
    return RECTRACK__V1__STATUS__STATUS_NO_INFORMATION;
  }
  return store_subject_official_status(entity, subject);
}

static const char *status_name(Rectrack__V1__Status status) {
  const ProtobufCEnumValue *value = protobuf_c_enum_descriptor_get_value(
      &rectrack__v1__status__descriptor, status);
  return value ? value->name : "an unknown status";
}

int store_pledge_verify(MDB_txn *txn, rt_store_t *store, const store_key_t *pk,
                        const Rectrack__V1__Commitment *c, store_arena_t *arena,
                        bool *agrees, char *problem, size_t problem_len,
                        rt_error_t *err) {
  *agrees = true;
  if (c->n_partner_statuses != c->n_partner_ids) {
    *agrees = false;
    snprintf(problem, problem_len,
             "%.20s has %zu partners but stores %zu partner statuses",
             store_str(c->id), c->n_partner_ids, c->n_partner_statuses);
    return 0;
  }
  for (size_t i = 0; i < c->n_partner_ids; i++) {
    Rectrack__V1__PartnerStatus rule;
    int rc =
        partner_status(txn, store, pk, c->partner_ids[i], arena, &rule, err);
    if (rc != 0)
      return rc;
    const Rectrack__V1__PartnerStatus *stored = c->partner_statuses[i];
    if (strcmp(store_str(stored->actor_id), store_str(c->partner_ids[i])) ||
        stored->status != rule.status ||
        strcmp(store_str(stored->last_follow_up_as_of),
               store_str(rule.last_follow_up_as_of)) ||
        stored->reported_status != rule.reported_status ||
        strcmp(store_str(stored->reported_as_of),
               store_str(rule.reported_as_of))) {
      *agrees = false;
      snprintf(problem, problem_len,
               "%.20s stores partner %.64s as %s as of \"%.10s\", but the "
               "reports for that partner make it %s as of \"%.10s\"",
               store_str(c->id), store_str(stored->actor_id),
               status_name(stored->status),
               store_str(stored->last_follow_up_as_of),
               status_name(rule.status), store_str(rule.last_follow_up_as_of));
      return 0;
    }
  }
  return 0;
}

int store_matched_by(MDB_txn *txn, rt_store_t *store, uint64_t number,
                     store_arena_t *arena, char ***out, size_t *n,
                     rt_error_t *err) {
  *out = NULL;
  *n = 0;
  uint8_t key_bytes[9];
  key_bytes[0] = IDX_MATCHES;
  store_put_u64(key_bytes + 1, number);
  const char *reading = "reading the pledges that match one";
  MDB_cursor *cursor;
  int rc = store_mdb_error(mdb_cursor_open(txn, store->com_idx, &cursor), err,
                           reading);
  if (rc != 0)
    return rc;
  MDB_val key = {sizeof key_bytes, key_bytes}, value;
  size_t count = 0;
  rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_SET), err,
                       reading);
  if (rc == 0) {
    rc = store_mdb_error(mdb_cursor_count(cursor, &count), err, reading);
  }
  char **ids = count ? store_arena_alloc(arena, count * sizeof *ids) : NULL;
  if (rc == 0 && count && ids == NULL)
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  while (rc == 0 && *n < count) {
    if (value.mv_size == 8) {
      ids[*n] =
          store_format_number_id(arena, 'C', store_get_u64(value.mv_data));
      if (ids[*n] == NULL) {
        rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
        break;
      }
      (*n)++;
    } else {
      count--;
    }
    if (*n < count)
      rc = store_mdb_error(mdb_cursor_get(cursor, &key, &value, MDB_NEXT_DUP),
                           err, reading);
  }
  mdb_cursor_close(cursor);
  if (rc == RT_ENOTFOUND)
    rc = 0;
  if (rc == 0)
    *out = ids;
  return rc;
}
