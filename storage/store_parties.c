/*
 * store_parties: the reporter's limits, checked in the op's transaction
 * (store_parties.h). A refusal names who asked, whom they speak for and
 * whose the subject is, so that the person reading it knows at once
 * whether the token or the request is wrong: "reporter moi-phl speaks for
 * phl; C4 is a commitment of bgd".
 */
#include "store_parties.h"

#include <stdio.h>
#include <string.h>

bool store_parties_is_secretariat(const store_wctx_t *ctx) {
  return ctx->op->role != RT_WRITE_ROLE_REPORTER;
}

/* "phl, ken" (ids truncated to fit out). */
static void reporter_actors(const store_wctx_t *ctx, char *out,
                            size_t out_len) {
  store_join_ids((char *const *)ctx->op->actors, ctx->op->n_actors, out,
                 out_len);
}

static bool speaks_for(const store_wctx_t *ctx, const char *actor_id) {
  for (size_t i = 0; i < ctx->op->n_actors; i++)
    if (strcmp(store_str(ctx->op->actors[i]), store_str(actor_id)) == 0)
      return true;
  return false;
}

static const char *kind_phrase(rt_op_kind_t kind) {
  switch (kind) {
  case RT_OP_CREATE_SOURCE:
  case RT_OP_CREATE_ACTOR:
  case RT_OP_CREATE_RECOMMENDATION:
  case RT_OP_CREATE_COMMITMENT:
  case RT_OP_CREATE_THEME:
  case RT_OP_CREATE_DIMENSION_KEY:
    return "creating records";
  case RT_OP_VALIDATE_SUBMISSION:
    return "validating or returning submissions";
  default:
    return "changing records";
  }
}

int store_parties_check_kind(store_wctx_t *ctx) {
  rt_op_kind_t kind = ctx->op->kind;
  if (store_parties_is_secretariat(ctx) || kind == RT_OP_RECORD_FOLLOW_UP ||
      kind == RT_OP_RECORD_MEASUREMENT)
    return 0;
  return rt_error_set(ctx->err, RT_EPERM, NULL,
                      "reporter %.64s may only record follow-ups and "
                      "measurements on the subjects of its actors; %s is "
                      "the secretariat's",
                      ctx->principal, kind_phrase(kind));
}

/* Every actor a reporter speaks for must exist when it reports: a tokens
 * file may name an actor the secretariat has not created yet (or one
 * misspelt), which is the server's state, not the caller's mistake. */
int store_parties_check_actors(store_wctx_t *ctx) {
  if (store_parties_is_secretariat(ctx))
    return 0;
  char actors[160];
  for (size_t i = 0; i < ctx->op->n_actors; i++) {
    const char *id = ctx->op->actors[i];
    rt_error_t ignored;
    int rc = store_check_reference(ctx->txn, ctx->store, RT_ENTITY_ACTOR, id,
                                   "actor", &ignored);
    if (rc == RT_ENOTFOUND || rc == RT_EINVAL) {
      reporter_actors(ctx, actors, sizeof actors);
      return rt_error_set(ctx->err, RT_EPRECOND, NULL,
                          "reporter %.64s speaks for %s, but actor %.64s "
                          "does not exist: the secretariat must create it "
                          "(or the tokens file name another)",
                          ctx->principal, actors, store_str(id));
    }
    if (rc != 0)
      return rt_error_set(ctx->err, rc, NULL, "%s", ignored.message);
  }
  if (ctx->op->n_actors == 0)
    return rt_error_set(ctx->err, RT_EPERM, NULL,
                        "reporter %.64s speaks for no actor, so may record "
                        "nothing",
                        ctx->principal);
  return 0;
}

int store_parties_check_reported_by(store_wctx_t *ctx, char **reported_by,
                                    const char *field) {
  if (store_parties_is_secretariat(ctx))
    return store_check_reference(ctx->txn, ctx->store, RT_ENTITY_ACTOR,
                                 *reported_by, field, ctx->err);
  char actors[160];
  reporter_actors(ctx, actors, sizeof actors);
  if (*reported_by == NULL || (*reported_by)[0] == '\0') {
    if (ctx->op->n_actors > 1)
      return rt_error_set(ctx->err, RT_EINVAL, field,
                          "%s: reporter %.64s speaks for %s; say which of "
                          "them reports",
                          field, ctx->principal, actors);
    *reported_by = (char *)ctx->op->actors[0];
    return 0;
  }
  if (!speaks_for(ctx, *reported_by))
    return rt_error_set(ctx->err, RT_EPERM, field,
                        "reporter %.64s speaks for %s; it cannot file a "
                        "report by %.64s",
                        ctx->principal, actors, *reported_by);
  return 0;
}

/* Whose a recommendation is, for the refusal: "addressed to bgd, iom and
 * led by iom". */
static void describe_recommendation(const Rectrack__V1__Recommendation *r,
                                    char *out, size_t out_len) {
  char addressed[100]; /* with the lead, fits the caller's 200 */
  store_join_ids(r->addressed_to, r->n_addressed_to, addressed,
                 sizeof addressed);
  bool lead = r->lead_actor_id != NULL && r->lead_actor_id[0] != '\0';
  if (r->n_addressed_to > 0 && lead)
    snprintf(out, out_len, "addressed to %s and led by %.64s", addressed,
             r->lead_actor_id);
  else if (r->n_addressed_to > 0)
    snprintf(out, out_len, "addressed to %s", addressed);
  else if (lead)
    snprintf(out, out_len, "led by %.64s", r->lead_actor_id);
  else
    snprintf(out, out_len, "addressed to no actor");
}

/* Whether the reporter speaks for one of the commitment's partners;
 * *which gets it when it speaks for exactly one. */
static size_t partners_spoken_for(const store_wctx_t *ctx,
                                  const Rectrack__V1__Commitment *c,
                                  const char **which) {
  size_t n = 0;
  for (size_t i = 0; i < c->n_partner_ids; i++)
    if (speaks_for(ctx, c->partner_ids[i])) {
      *which = c->partner_ids[i];
      n++;
    }
  return n;
}

void store_parties_default_part(store_wctx_t *ctx, rt_entity_t entity,
                                const ProtobufCMessage *subject,
                                char **partner_id) {
  if (store_parties_is_secretariat(ctx) || entity != RT_ENTITY_COMMITMENT ||
      (*partner_id != NULL && (*partner_id)[0] != '\0'))
    return;
  const Rectrack__V1__Commitment *c = (const void *)subject;
  const char *which = NULL;
  if (!speaks_for(ctx, c->actor_id) && partners_spoken_for(ctx, c, &which) == 1)
    *partner_id = (char *)which;
}

/* The refusal of a report on commitment c by a reporter that is not its
 * lead's, for part (a partner id, or "" for the whole pledge). */
static int refuse_part(store_wctx_t *ctx, const Rectrack__V1__Commitment *c,
                       const char *part) {
  char actors[160], partners[160];
  reporter_actors(ctx, actors, sizeof actors);
  if (c->n_partner_ids == 0)
    return rt_error_set(ctx->err, RT_EPERM, NULL,
                        "reporter %.64s speaks for %s; %.20s is a commitment "
                        "of %.64s",
                        ctx->principal, actors, store_str(c->id),
                        store_str(c->actor_id));
  store_join_ids(c->partner_ids, c->n_partner_ids, partners, sizeof partners);
  const char *which = NULL;
  if (partners_spoken_for(ctx, c, &which) == 0)
    return rt_error_set(ctx->err, RT_EPERM, NULL,
                        "reporter %.64s speaks for %s; %.20s is a pledge of "
                        "%.64s with partners %s",
                        ctx->principal, actors, store_str(c->id),
                        store_str(c->actor_id), partners);
  if (part[0] == '\0')
    return rt_error_set(ctx->err, RT_EINVAL, "follow_up.partner_id",
                        "follow_up.partner_id: reporter %.64s speaks for "
                        "more than one partner of %.20s (%s); say which "
                        "part it reports",
                        ctx->principal, store_str(c->id), actors);
  return rt_error_set(ctx->err, RT_EPERM, NULL,
                      "reporter %.64s speaks for %s; the part of %.64s in "
                      "%.20s is that partner's to report (or the lead's, "
                      "%.64s)",
                      ctx->principal, actors, part, store_str(c->id),
                      store_str(c->actor_id));
}

int store_parties_check_subject(store_wctx_t *ctx, rt_entity_t entity,
                                const ProtobufCMessage *subject,
                                const char *partner_id) {
  if (store_parties_is_secretariat(ctx))
    return 0;
  char actors[160], whose[200];
  reporter_actors(ctx, actors, sizeof actors);
  if (entity == RT_ENTITY_COMMITMENT) {
    const Rectrack__V1__Commitment *c = (const void *)subject;
    const char *part = store_str(partner_id);
    if (speaks_for(ctx, c->actor_id) || (part[0] && speaks_for(ctx, part)))
      return 0;
    return refuse_part(ctx, c, part);
  }
  const Rectrack__V1__Recommendation *r = (const void *)subject;
  if (speaks_for(ctx, r->lead_actor_id))
    return 0;
  for (size_t i = 0; i < r->n_addressed_to; i++)
    if (speaks_for(ctx, r->addressed_to[i]))
      return 0;
  describe_recommendation(r, whose, sizeof whose);
  return rt_error_set(ctx->err, RT_EPERM, NULL,
                      "reporter %.64s speaks for %s; %.20s is %s",
                      ctx->principal, actors, store_str(r->id), whose);
}
