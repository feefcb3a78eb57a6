/*
 * Joint and matching pledges in the storage engine: the pledge type and
 * its rules, partners and the pledge matched checked against the store,
 * each partner's status from its own reports (the commitment's own from
 * the reports that name no partner), who may report which part, the
 * partner and pledge-type filters, matched_by on Get, and that the
 * verifier finds the store sound after all of it.
 */
#include "store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS(name) RECTRACK__V1__STATUS__STATUS_##name
#define PLEDGE(name) RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_##name

typedef struct who {
  const char *principal;
  rt_write_role_t role;
  const char *const *actors;
  size_t n_actors;
} who_t;

static const char *const bgd_only[] = {"bgd"};
static const char *const phl_only[] = {"phl"};
static const char *const ken_only[] = {"ken"};
static const char *const phl_and_ken[] = {"phl", "ken"};
static const who_t secretariat = {"sec-a", RT_WRITE_ROLE_SECRETARIAT, NULL, 0};
static const who_t moi_bgd = {"moi-bgd", RT_WRITE_ROLE_REPORTER, bgd_only, 1};
static const who_t moi_phl = {"moi-phl", RT_WRITE_ROLE_REPORTER, phl_only, 1};
static const who_t moi_ken = {"moi-ken", RT_WRITE_ROLE_REPORTER, ken_only, 1};
static const who_t both = {"both", RT_WRITE_ROLE_REPORTER, phl_and_ken, 2};

static char *partners_phl_ken[] = {(char *)"phl", (char *)"ken"};

static int setup(void **state) {
  int rc = fx_setup(state);
  fixture_t *fx = *state;
  assert_int_equal(fx_create_actor(fx->store, "phl"), 0);
  assert_int_equal(fx_create_actor(fx->store, "ken"), 0);
  return rc;
}

static rt_write_op_t op_by(const who_t *who, rt_op_kind_t kind,
                           const void *message) {
  rt_write_op_t op = fx_op(kind, message);
  op.principal = who->principal;
  op.role = who->role;
  op.actors = who->actors;
  op.n_actors = who->n_actors;
  return op;
}

/* Creates a commitment; returns the result, the error in *err. */
static int create(fixture_t *fx, const Rectrack__V1__Commitment *com,
                  rt_error_t *err) {
  rt_write_op_t op = fx_op(RT_OP_CREATE_COMMITMENT, com);
  int rc = fx_apply(fx->store, &op);
  *err = op.error;
  rt_write_ops_release(&op, 1);
  return rc;
}

/* C1: a partnership of bgd (lead) with phl and ken. */
static char *create_partnership(fixture_t *fx) {
  Rectrack__V1__Commitment com = fx_commitment("Joint data pledge");
  com.actor_id = "bgd";
  com.pledge_type = PLEDGE(PARTNERSHIP);
  com.partner_ids = partners_phl_ken;
  com.n_partner_ids = 2;
  return fx_create_commitment(fx->store, &com);
}

/* Reports status on subject for part (NULL: the whole) as who. */
static int report(fixture_t *fx, const who_t *who, const char *subject,
                  const char *part, int status, const char *as_of,
                  rt_error_t *err) {
  Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
  fu.subject_id = (char *)subject;
  fu.partner_id = (char *)(part ? part : "");
  fu.status = status;
  fu.as_of = (char *)as_of;
  rt_write_op_t op = op_by(who, RT_OP_RECORD_FOLLOW_UP, &fu);
  int rc = fx_apply(fx->store, &op);
  if (err)
    *err = op.error;
  rt_write_ops_release(&op, 1);
  return rc;
}

static void expect_refused(fixture_t *fx, Rectrack__V1__Commitment *com,
                           int code, const char *field, const char *words) {
  rt_error_t err;
  assert_int_equal(create(fx, com, &err), code);
  if (field)
    assert_string_equal(err.field, field);
  if (strstr(err.message, words) == NULL)
    fail_msg("expected \"%s\" in: %s", words, err.message);
}

static void
test_a_partnership_has_partners_with_their_own_status(void **state) {
  fixture_t *fx = *state;
  char *id = create_partnership(fx);
  Rectrack__V1__Commitment *c = fx_get_commitment(fx->store, id);
  assert_int_equal(c->pledge_type, PLEDGE(PARTNERSHIP));
  assert_int_equal(c->n_partner_statuses, 2);
  assert_string_equal(c->partner_statuses[0]->actor_id, "phl");
  assert_string_equal(c->partner_statuses[1]->actor_id, "ken");
  assert_int_equal(c->partner_statuses[0]->status, STATUS(NO_INFORMATION));
  protobuf_c_message_free_unpacked(&c->base, NULL);
  fx_expect_sound(fx->store);
  free(id);
}

static void test_the_type_is_inferred_and_its_rules_hold(void **state) {
  fixture_t *fx = *state;
  Rectrack__V1__Commitment com = fx_commitment("Inferred");
  com.partner_ids = partners_phl_ken;
  com.n_partner_ids = 2;
  char *id = fx_create_commitment(fx->store, &com);
  Rectrack__V1__Commitment *c = fx_get_commitment(fx->store, id);
  assert_int_equal(c->pledge_type, PLEDGE(PARTNERSHIP));
  protobuf_c_message_free_unpacked(&c->base, NULL);

  Rectrack__V1__Commitment bad = fx_commitment("Individual with partners");
  bad.pledge_type = PLEDGE(INDIVIDUAL);
  bad.partner_ids = partners_phl_ken;
  bad.n_partner_ids = 2;
  expect_refused(fx, &bad, RT_EINVAL, "commitment.partner_ids",
                 "an individual pledge has no partners");
  bad = fx_commitment("Common alone");
  bad.pledge_type = PLEDGE(COMMON);
  expect_refused(fx, &bad, RT_EINVAL, "commitment.partner_ids",
                 "a common pledge names at least one partner");
  char *with_lead[] = {(char *)"phl", (char *)"mex"};
  bad = fx_commitment("Lead as partner");
  bad.partner_ids = with_lead;
  bad.n_partner_ids = 2;
  expect_refused(fx, &bad, RT_EINVAL, "commitment.partner_ids[1]",
                 "is the lead actor");
  char *twice[] = {(char *)"phl", (char *)"phl"};
  bad.partner_ids = twice;
  expect_refused(fx, &bad, RT_EINVAL, "commitment.partner_ids[1]",
                 "named twice");
  char *unknown[] = {(char *)"zzz"};
  bad.partner_ids = unknown;
  bad.n_partner_ids = 1;
  expect_refused(fx, &bad, RT_ENOTFOUND, "commitment.partner_ids[0]", "zzz");
  bad = fx_commitment("Matching nothing");
  bad.pledge_type = PLEDGE(MATCHING);
  expect_refused(fx, &bad, RT_EINVAL, "commitment.matches_commitment_id",
                 "names the pledge it matches");
  bad = fx_commitment("Matches but individual");
  bad.pledge_type = PLEDGE(INDIVIDUAL);
  bad.matches_commitment_id = id;
  expect_refused(fx, &bad, RT_EINVAL, "commitment.matches_commitment_id",
                 "only a matching pledge");
  bad = fx_commitment("Matching a ghost");
  bad.matches_commitment_id = "C99";
  expect_refused(fx, &bad, RT_ENOTFOUND, "commitment.matches_commitment_id",
                 "C99");
  bad.pledge_type = (Rectrack__V1__PledgeType)9;
  expect_refused(fx, &bad, RT_EINVAL, "commitment.pledge_type",
                 "not a known PledgeType");
  free(id);
}

static void test_each_part_has_its_own_status(void **state) {
  fixture_t *fx = *state;
  char *id = create_partnership(fx);
  rt_error_t err;
  assert_int_equal(report(fx, &secretariat, id, "phl", STATUS(IN_PROGRESS),
                          "2025-03-01", &err),
                   0);
  assert_int_equal(report(fx, &secretariat, id, NULL, STATUS(NOT_STARTED),
                          "2025-02-01", &err),
                   0);
  /* A late report for phl, back-dated: phl stays in progress. */
  assert_int_equal(report(fx, &secretariat, id, "phl", STATUS(NOT_STARTED),
                          "2025-01-01", &err),
                   0);
  Rectrack__V1__Commitment *c = fx_get_commitment(fx->store, id);
  assert_int_equal(c->status, STATUS(NOT_STARTED));
  assert_string_equal(c->last_follow_up_as_of, "2025-02-01");
  assert_int_equal(c->partner_statuses[0]->status, STATUS(IN_PROGRESS));
  assert_string_equal(c->partner_statuses[0]->last_follow_up_as_of,
                      "2025-03-01");
  assert_int_equal(c->partner_statuses[1]->status, STATUS(NO_INFORMATION));
  protobuf_c_message_free_unpacked(&c->base, NULL);

  assert_int_equal(report(fx, &secretariat, id, "mex", STATUS(IN_PROGRESS),
                          "2025-03-01", &err),
                   RT_EINVAL);
  assert_string_equal(err.field, "follow_up.partner_id");
  assert_non_null(strstr(err.message, "its partners are phl, ken"));
  Rectrack__V1__Recommendation rec = fx_recommendation("Data");
  char *rid = fx_create_recommendation(fx->store, &rec);
  assert_int_equal(report(fx, &secretariat, rid, "phl", STATUS(IN_PROGRESS),
                          "2025-03-01", &err),
                   RT_EINVAL);
  assert_non_null(strstr(err.message, "is a recommendation"));
  fx_expect_sound(fx->store);
  free(rid);
  free(id);
}

static void test_a_partner_reports_its_own_part_only(void **state) {
  fixture_t *fx = *state;
  char *id = create_partnership(fx);
  rt_error_t err;
  /* phl's reporter: its part, named or not. */
  assert_int_equal(
      report(fx, &moi_phl, id, NULL, STATUS(IN_PROGRESS), "2025-03-01", &err),
      0);
  assert_int_equal(
      report(fx, &moi_phl, id, "phl", STATUS(IMPLEMENTED), "2025-04-01", &err),
      0);
  /* ... but not ken's. */
  assert_int_equal(
      report(fx, &moi_phl, id, "ken", STATUS(IN_PROGRESS), "2025-03-01", &err),
      RT_EPERM);
  assert_non_null(strstr(err.message, "the part of ken"));
  /* A reporter of none of them is refused, naming the partners. */
  Rectrack__V1__Commitment other = fx_commitment("Not theirs");
  other.actor_id = "iom";
  other.partner_ids = partners_phl_ken;
  other.n_partner_ids = 1;
  char *other_id = fx_create_commitment(fx->store, &other);
  assert_int_equal(report(fx, &moi_bgd, other_id, NULL, STATUS(IN_PROGRESS),
                          "2025-03-01", &err),
                   RT_EPERM);
  assert_non_null(strstr(err.message, "with partners phl"));
  /* A reporter of two partners must say which part. */
  assert_int_equal(
      report(fx, &both, id, NULL, STATUS(IN_PROGRESS), "2025-03-01", &err),
      RT_EINVAL);
  assert_string_equal(err.field, "follow_up.partner_id");
  assert_int_equal(
      report(fx, &moi_ken, id, NULL, STATUS(STALLED), "2025-03-01", &err), 0);
  /* The lead's reporter reports any part, and the whole. */
  assert_int_equal(
      report(fx, &moi_bgd, id, "ken", STATUS(IN_PROGRESS), "2025-05-01", &err),
      0);
  assert_int_equal(
      report(fx, &moi_bgd, id, NULL, STATUS(IN_PROGRESS), "2025-05-01", &err),
      0);
  /* Submissions: nothing official yet; the reported status is per part. */
  Rectrack__V1__Commitment *c = fx_get_commitment(fx->store, id);
  assert_int_equal(c->status, STATUS(NO_INFORMATION));
  assert_int_equal(c->reported_status, STATUS(IN_PROGRESS));
  assert_int_equal(c->partner_statuses[0]->status, STATUS(NO_INFORMATION));
  assert_int_equal(c->partner_statuses[0]->reported_status,
                   STATUS(IMPLEMENTED));
  assert_int_equal(c->partner_statuses[1]->reported_status,
                   STATUS(IN_PROGRESS));
  assert_int_equal(c->pending_count, 5);
  protobuf_c_message_free_unpacked(&c->base, NULL);

  fx_expect_sound(fx->store);
  free(other_id);
  free(id);
}

/* Validating a partner's submission moves that partner's status alone. */
static void test_validating_a_part_moves_that_part(void **state) {
  fixture_t *fx = *state;
  char *id = create_partnership(fx);
  Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
  fu.subject_id = id;
  fu.status = STATUS(IMPLEMENTED);
  fu.as_of = (char *)"2025-03-01";
  rt_write_op_t op = op_by(&moi_phl, RT_OP_RECORD_FOLLOW_UP, &fu);
  assert_int_equal(fx_apply(fx->store, &op), 0);
  uint64_t revision = op.revision;
  Rectrack__V1__FollowUp *recorded =
      rectrack__v1__follow_up__unpack(NULL, op.reply_len, op.reply);
  assert_string_equal(recorded->partner_id, "phl");
  assert_int_equal(recorded->previous_status, STATUS(NO_INFORMATION));
  protobuf_c_message_free_unpacked(&recorded->base, NULL);
  rt_write_ops_release(&op, 1);
  Rectrack__V1__ValidateSubmissionRequest decision =
      RECTRACK__V1__VALIDATE_SUBMISSION_REQUEST__INIT;
  decision.subject_id = id;
  decision.revision = revision;
  decision.decision = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_VALIDATED;
  op = op_by(&secretariat, RT_OP_VALIDATE_SUBMISSION, &decision);
  assert_int_equal(fx_apply(fx->store, &op), 0);
  rt_write_ops_release(&op, 1);
  Rectrack__V1__Commitment *c = fx_get_commitment(fx->store, id);
  assert_int_equal(c->status, STATUS(NO_INFORMATION));
  assert_int_equal(c->partner_statuses[0]->status, STATUS(IMPLEMENTED));
  assert_int_equal(c->partner_statuses[0]->reported_status, 0);
  assert_int_equal(c->pending_count, 0);
  protobuf_c_message_free_unpacked(&c->base, NULL);
  /* Dropping ken from the partners drops its status; phl's stays. */
  Rectrack__V1__Commitment change = RECTRACK__V1__COMMITMENT__INIT;
  change.id = id;
  change.partner_ids = partners_phl_ken;
  change.n_partner_ids = 1;
  static const char *const mask[] = {"partner_ids"};
  op = fx_update_op(RT_OP_UPDATE_COMMITMENT, &change, mask, 1);
  assert_int_equal(fx_apply(fx->store, &op), 0);
  rt_write_ops_release(&op, 1);
  c = fx_get_commitment(fx->store, id);
  assert_int_equal(c->pledge_type, PLEDGE(PARTNERSHIP)); /* kept */
  assert_int_equal(c->n_partner_statuses, 1);
  assert_int_equal(c->partner_statuses[0]->status, STATUS(IMPLEMENTED));
  protobuf_c_message_free_unpacked(&c->base, NULL);
  /* ken's part reported while ken is no partner is refused; ken back as
   * a partner starts from no information, and an update that leaves the
   * partners alone keeps every part's status. */
  rt_error_t err;
  assert_int_equal(
      report(fx, &secretariat, id, "ken", STATUS(STALLED), "2025-04-01", &err),
      RT_EINVAL);
  change.n_partner_ids = 2;
  op = fx_update_op(RT_OP_UPDATE_COMMITMENT, &change, mask, 1);
  assert_int_equal(fx_apply(fx->store, &op), 0);
  rt_write_ops_release(&op, 1);
  assert_int_equal(
      report(fx, &secretariat, id, "ken", STATUS(STALLED), "2025-04-01", &err),
      0);
  Rectrack__V1__Commitment retitle = RECTRACK__V1__COMMITMENT__INIT;
  retitle.id = id;
  retitle.title = (char *)"Data on migrant children, revised";
  static const char *const title_mask[] = {"title"};
  op = fx_update_op(RT_OP_UPDATE_COMMITMENT, &retitle, title_mask, 1);
  assert_int_equal(fx_apply(fx->store, &op), 0);
  rt_write_ops_release(&op, 1);
  c = fx_get_commitment(fx->store, id);
  assert_int_equal(c->n_partner_statuses, 2);
  assert_int_equal(c->partner_statuses[0]->status, STATUS(IMPLEMENTED));
  assert_int_equal(c->partner_statuses[1]->status, STATUS(STALLED));
  assert_string_equal(c->partner_statuses[1]->last_follow_up_as_of,
                      "2025-04-01");
  protobuf_c_message_free_unpacked(&c->base, NULL);
  fx_expect_sound(fx->store);
  free(id);
}

/* Lists the ids of commitments with a partner or type filter. */
static void list(fixture_t *fx, const char *partner, int type, char *out,
                 size_t size) {
  rt_store_reader_t *reader = NULL;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(fx->store, &reader, &err), 0);
  Rectrack__V1__ListCommitmentsRequest req =
      RECTRACK__V1__LIST_COMMITMENTS_REQUEST__INIT;
  req.partner_id = (char *)(partner ? partner : "");
  req.pledge_type = type;
  Rectrack__V1__ListCommitmentsResponse *page = NULL;
  int rc = rt_store_list_commitments(reader, &req, "2026-01-01", &page, &err);
  if (rc != 0)
    fail_msg("list: %s", err.message);
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < page->n_commitments; i++)
    used += (size_t)snprintf(out + used, size - used, "%s%s", i ? " " : "",
                             page->commitments[i]->id);
  protobuf_c_message_free_unpacked(&page->base, NULL);
  rt_store_reader_end(reader);
}

static void test_matching_pledges_and_the_filters(void **state) {
  fixture_t *fx = *state;
  char *joint = create_partnership(fx); /* C1 */
  Rectrack__V1__Commitment plain = fx_commitment("Alone");
  char *alone = fx_create_commitment(fx->store, &plain); /* C2 */
  Rectrack__V1__Commitment match = fx_commitment("Funds for the joint pledge");
  match.actor_id = "iom";
  match.matches_commitment_id = joint;
  char *matching = fx_create_commitment(fx->store, &match); /* C3 */
  Rectrack__V1__Commitment *c = fx_get_commitment(fx->store, matching);
  assert_int_equal(c->pledge_type, PLEDGE(MATCHING));
  protobuf_c_message_free_unpacked(&c->base, NULL);

  char ids[64];
  list(fx, "phl", 0, ids, sizeof ids);
  assert_string_equal(ids, "C1");
  list(fx, NULL, PLEDGE(INDIVIDUAL), ids, sizeof ids);
  assert_string_equal(ids, "C2");
  list(fx, NULL, PLEDGE(MATCHING), ids, sizeof ids);
  assert_string_equal(ids, "C3");

  /* matched_by, computed on Get. */
  rt_store_reader_t *reader = NULL;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(fx->store, &reader, &err), 0);
  uint8_t *extra = NULL;
  size_t len = 0;
  assert_int_equal(
      rt_store_commitment_computed_packed(reader, joint, &extra, &len, &err),
      0);
  Rectrack__V1__Commitment *only =
      rectrack__v1__commitment__unpack(NULL, len, extra);
  assert_non_null(only);
  assert_int_equal(only->n_matched_by, 1);
  assert_string_equal(only->matched_by[0], "C3");
  protobuf_c_message_free_unpacked(&only->base, NULL);
  free(extra);
  rt_store_reader_end(reader);

  /* C1 matching C3 would close a cycle; C3 matching itself is refused. */
  Rectrack__V1__Commitment change = RECTRACK__V1__COMMITMENT__INIT;
  change.id = joint;
  change.pledge_type = PLEDGE(MATCHING);
  change.matches_commitment_id = matching;
  static const char *const mask[] = {"pledge_type", "matches_commitment_id",
                                     "partner_ids"};
  rt_write_op_t op = fx_update_op(RT_OP_UPDATE_COMMITMENT, &change, mask, 3);
  assert_int_equal(fx_apply(fx->store, &op), RT_EINVAL);
  assert_non_null(strstr(op.error.message, "cannot form a cycle"));
  rt_write_ops_release(&op, 1);
  change.id = matching;
  change.matches_commitment_id = matching;
  op = fx_update_op(RT_OP_UPDATE_COMMITMENT, &change, mask, 2);
  assert_int_equal(fx_apply(fx->store, &op), RT_EINVAL);
  assert_non_null(strstr(op.error.message, "cannot match itself"));
  rt_write_ops_release(&op, 1);
  /* Server-filled fields sent by a client are not stored. */
  Rectrack__V1__Commitment forged = fx_commitment("Forged");
  char *c2[] = {(char *)"C2"};
  forged.matched_by = c2;
  forged.n_matched_by = 1;
  forged.series_count = 7;
  char *forged_id = fx_create_commitment(fx->store, &forged);
  c = fx_get_commitment(fx->store, forged_id);
  assert_int_equal(c->n_matched_by, 0);
  assert_int_equal(c->series_count, 0);
  protobuf_c_message_free_unpacked(&c->base, NULL);
  fx_expect_sound(fx->store);
  free(forged_id);
  free(joint);
  free(alone);
  free(matching);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_a_partnership_has_partners_with_their_own_status, setup,
          fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_the_type_is_inferred_and_its_rules_hold, setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_each_part_has_its_own_status, setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_a_partner_reports_its_own_part_only,
                                      setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_validating_a_part_moves_that_part,
                                      setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_matching_pledges_and_the_filters,
                                      setup, fx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
