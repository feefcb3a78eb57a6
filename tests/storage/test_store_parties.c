/*
 * Parties and validation in the storage engine: what a reporter may
 * record (its own actors' subjects, reported by one of them), that what
 * it records is submitted and changes nothing official until the
 * secretariat validates it, that a returned submission never counts, the
 * status rule (the latest validated follow-up decides), validated-only
 * measurements for the trajectory, the pending index, decisions replayed
 * from their request id, and that the verifier ties decisions to the log.
 */
#include "store_fixture.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS(name) RECTRACK__V1__STATUS__STATUS_##name
#define REVIEW(name) RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_##name

/* Who makes a change. */
typedef struct who {
  const char *principal;
  rt_write_role_t role;
  const char *const *actors;
  size_t n_actors;
} who_t;

static const char *const bgd_only[] = {"bgd"};
static const char *const phl_and_ken[] = {"phl", "ken"};
static const char *const iom_only[] = {"iom"};
static const char *const with_unknown[] = {"phl", "zzz"};
static const who_t sec_a = {"sec-a", RT_WRITE_ROLE_SECRETARIAT, NULL, 0};
static const who_t sec_b = {"sec-b", RT_WRITE_ROLE_SECRETARIAT, NULL, 0};
static const who_t moi_bgd = {"moi-bgd", RT_WRITE_ROLE_REPORTER, bgd_only, 1};
static const who_t moi_phl = {"moi-phl", RT_WRITE_ROLE_REPORTER, phl_and_ken,
                              2};
static const who_t iom_hq = {"iom-hq", RT_WRITE_ROLE_REPORTER, iom_only, 1};
static const who_t stale = {"stale", RT_WRITE_ROLE_REPORTER, with_unknown, 2};

/* The subjects every test starts from: R1 addressed to bgd and led by
 * iom (fx_recommendation), C1 of bgd with an indicator from 10 down to 2
 * and C2 of mex; actors phl and ken exist besides the fixture's. */
typedef struct world {
  fixture_t *fx;
  char *rec, *com, *other;
} world_t;

static int setup(void **state) {
  int rc = fx_setup(state);
  fixture_t *fx = *state;
  world_t *w = calloc(1, sizeof *w);
  assert_non_null(w);
  w->fx = fx;
  assert_int_equal(fx_create_actor(fx->store, "phl"), 0);
  assert_int_equal(fx_create_actor(fx->store, "ken"), 0);
  Rectrack__V1__Recommendation rec = fx_recommendation("Disaggregate data");
  w->rec = fx_create_recommendation(fx->store, &rec);
  Rectrack__V1__Indicator ind = fx_indicator("cost of remittances", 10, 2);
  Rectrack__V1__Commitment com = fx_commitment("Cheaper remittances");
  com.actor_id = "bgd";
  com.indicator = &ind;
  com.kind = RECTRACK__V1__COMMITMENT_KIND__COMMITMENT_KIND_QUANTIFIED_TARGET;
  w->com = fx_create_commitment(fx->store, &com);
  Rectrack__V1__Commitment other = fx_commitment("Mexico's pledge");
  w->other = fx_create_commitment(fx->store, &other);
  *state = w;
  return rc;
}

static int teardown(void **state) {
  world_t *w = *state;
  void *fx = w->fx;
  free(w->rec);
  free(w->com);
  free(w->other);
  free(w);
  return fx_teardown(&fx);
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

/* Applies op; on success unpacks the reply as desc into *out (when out is
 * not NULL) and returns 0; else copies the error into *err. */
static int run(world_t *w, rt_write_op_t *op,
               const ProtobufCMessageDescriptor *desc, void **out,
               rt_error_t *err) {
  int rc = fx_apply(w->fx->store, op);
  if (err)
    *err = op->error;
  if (rc == 0 && out != NULL) {
    *out = protobuf_c_message_unpack(desc, NULL, op->reply_len, op->reply);
    assert_non_null(*out);
  }
  rt_write_ops_release(op, 1);
  return rc;
}

/* Records a follow-up by who; its revision in *revision (may be NULL). */
static int report(world_t *w, const who_t *who, const char *subject, int status,
                  const char *as_of, const char *reported_by,
                  uint64_t *revision, rt_error_t *err) {
  Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
  fu.subject_id = (char *)subject;
  fu.status = status;
  fu.as_of = (char *)as_of;
  fu.reported_by = (char *)(reported_by ? reported_by : "");
  fu.note = (char *)"reported by the ministry";
  rt_write_op_t op = op_by(who, RT_OP_RECORD_FOLLOW_UP, &fu);
  Rectrack__V1__FollowUp *recorded = NULL;
  int rc = run(w, &op, &rectrack__v1__follow_up__descriptor, (void **)&recorded,
               err);
  if (rc == 0 && revision != NULL)
    *revision = recorded->revision;
  if (recorded)
    protobuf_c_message_free_unpacked(&recorded->base, NULL);
  return rc;
}

static int measure(world_t *w, const who_t *who, const char *commitment,
                   double value, const char *as_of, uint64_t *revision,
                   rt_error_t *err) {
  Rectrack__V1__Measurement m = RECTRACK__V1__MEASUREMENT__INIT;
  m.commitment_id = (char *)commitment;
  m.value = value;
  m.as_of = (char *)as_of;
  rt_write_op_t op = op_by(who, RT_OP_RECORD_MEASUREMENT, &m);
  Rectrack__V1__Commitment *after = NULL;
  int rc =
      run(w, &op, &rectrack__v1__commitment__descriptor, (void **)&after, err);
  if (rc == 0 && revision != NULL)
    *revision = after->revision;
  if (after)
    protobuf_c_message_free_unpacked(&after->base, NULL);
  return rc;
}

/* A decision by who; the response in *out when it is not NULL. */
static int decide(world_t *w, const who_t *who, const char *subject,
                  uint64_t revision, int decision, const char *note,
                  Rectrack__V1__ValidateSubmissionResponse **out,
                  rt_error_t *err) {
  Rectrack__V1__ValidateSubmissionRequest req =
      RECTRACK__V1__VALIDATE_SUBMISSION_REQUEST__INIT;
  req.subject_id = (char *)subject;
  req.revision = revision;
  req.decision = decision;
  req.note = (char *)(note ? note : "");
  rt_write_op_t op = op_by(who, RT_OP_VALIDATE_SUBMISSION, &req);
  void *reply = NULL;
  int rc = run(w, &op, &rectrack__v1__validate_submission_response__descriptor,
               &reply, err);
  if (out != NULL)
    *out = reply;
  else if (reply != NULL)
    protobuf_c_message_free_unpacked(reply, NULL);
  return rc;
}

static void expect_error(int rc, const rt_error_t *err, int code,
                         const char *fragment) {
  assert_int_equal(rc, code);
  if (strstr(err->message, fragment) == NULL)
    fail_msg("\"%s\" does not contain \"%s\"", err->message, fragment);
}

/* The follow-ups of subject, in order (free with
 * protobuf_c_message_free_unpacked). */
static Rectrack__V1__ListFollowUpsResponse *history(world_t *w,
                                                    const char *subject) {
  rt_store_reader_t *reader;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(w->fx->store, &reader, &err), 0);
  Rectrack__V1__ListFollowUpsRequest req =
      RECTRACK__V1__LIST_FOLLOW_UPS_REQUEST__INIT;
  req.subject_id = (char *)subject;
  Rectrack__V1__ListFollowUpsResponse *page = NULL;
  assert_int_equal(rt_store_list_follow_ups(reader, &req, &page, &err), 0);
  rt_store_reader_end(reader);
  return page;
}

/* ---- submissions and validation -------------------------------------- */

static void test_a_submission_leaves_the_official_status_alone(void **state) {
  world_t *w = *state;
  rt_error_t err;
  uint64_t official = 0, submitted = 0;
  assert_int_equal(report(w, &sec_a, w->rec, STATUS(IN_PROGRESS), "2024-01-10",
                          "bgd", &official, &err),
                   0);
  assert_int_equal(report(w, &moi_bgd, w->rec, STATUS(IMPLEMENTED),
                          "2024-06-30", NULL, &submitted, &err),
                   0);
  Rectrack__V1__Recommendation *rec =
      fx_get_recommendation(w->fx->store, w->rec);
  assert_int_equal(rec->status, STATUS(IN_PROGRESS));
  assert_string_equal(rec->last_follow_up_as_of, "2024-01-10");
  assert_int_equal(rec->reported_status, STATUS(IMPLEMENTED));
  assert_string_equal(rec->reported_as_of, "2024-06-30");
  assert_int_equal(rec->pending_count, 1);
  assert_int_equal(rec->revision, submitted);
  assert_string_equal(rec->updated_by, "moi-bgd");
  protobuf_c_message_free_unpacked(&rec->base, NULL);

  Rectrack__V1__ListFollowUpsResponse *page = history(w, w->rec);
  assert_int_equal(page->n_follow_ups, 2);
  const Rectrack__V1__FollowUp *sec = page->follow_ups[0];
  const Rectrack__V1__FollowUp *moi = page->follow_ups[1];
  assert_int_equal(sec->review_state, REVIEW(VALIDATED));
  assert_string_equal(sec->reviewed_by, "sec-a");
  assert_int_equal(sec->review_revision, official);
  assert_int_equal(moi->review_state, REVIEW(SUBMITTED));
  assert_string_equal(moi->reported_by, "bgd"); /* its one actor */
  assert_string_equal(moi->recorded_by, "moi-bgd");
  assert_string_equal(moi->reviewed_by, "");
  assert_int_equal(moi->previous_status, STATUS(IN_PROGRESS));
  protobuf_c_message_free_unpacked(&page->base, NULL);
  fx_expect_sound(w->fx->store);
}

static void test_validation_makes_a_submission_official(void **state) {
  world_t *w = *state;
  rt_error_t err;
  uint64_t submitted = 0;
  assert_int_equal(report(w, &moi_bgd, w->rec, STATUS(IMPLEMENTED),
                          "2024-06-30", "bgd", &submitted, &err),
                   0);
  Rectrack__V1__ValidateSubmissionResponse *reply = NULL;
  assert_int_equal(decide(w, &sec_a, w->rec, submitted, REVIEW(VALIDATED),
                          "Checked against the gazette", &reply, &err),
                   0);
  assert_non_null(reply->follow_up);
  assert_null(reply->measurement);
  assert_int_equal(reply->follow_up->review_state, REVIEW(VALIDATED));
  assert_string_equal(reply->follow_up->reviewed_by, "sec-a");
  assert_string_equal(reply->follow_up->review_note,
                      "Checked against the gazette");
  assert_int_equal(reply->follow_up->revision, submitted);
  uint64_t decided = reply->follow_up->review_revision;
  assert_true(decided > submitted);
  assert_non_null(reply->recommendation);
  assert_int_equal(reply->recommendation->status, STATUS(IMPLEMENTED));
  assert_int_equal(reply->recommendation->revision, decided);
  protobuf_c_message_free_unpacked(&reply->base, NULL);

  Rectrack__V1__Recommendation *rec =
      fx_get_recommendation(w->fx->store, w->rec);
  assert_int_equal(rec->status, STATUS(IMPLEMENTED));
  assert_string_equal(rec->last_follow_up_as_of, "2024-06-30");
  assert_int_equal(rec->reported_status, STATUS(UNSPECIFIED));
  assert_string_equal(rec->reported_as_of, "");
  assert_int_equal(rec->pending_count, 0);
  assert_string_equal(rec->updated_by, "sec-a");
  protobuf_c_message_free_unpacked(&rec->base, NULL);

  Rectrack__V1__ListFollowUpsResponse *page = history(w, w->rec);
  assert_int_equal(page->follow_ups[0]->review_state, REVIEW(VALIDATED));
  assert_int_equal(page->follow_ups[0]->review_revision, decided);
  protobuf_c_message_free_unpacked(&page->base, NULL);

  /* A decision is taken once. */
  expect_error(
      decide(w, &sec_b, w->rec, submitted, REVIEW(RETURNED), "No", NULL, &err),
      &err, RT_EPRECOND, "was already validated by sec-a");
  fx_expect_sound(w->fx->store);
}

static void test_a_returned_submission_never_counts(void **state) {
  world_t *w = *state;
  rt_error_t err;
  uint64_t submitted = 0;
  assert_int_equal(report(w, &sec_a, w->rec, STATUS(IN_PROGRESS), "2024-01-10",
                          NULL, NULL, &err),
                   0);
  assert_int_equal(report(w, &iom_hq, w->rec, STATUS(STALLED), "2024-03-01",
                          NULL, &submitted, &err),
                   0);
  expect_error(
      decide(w, &sec_a, w->rec, submitted, REVIEW(RETURNED), "", NULL, &err),
      &err, RT_EINVAL, "note: say why the submission is returned");
  assert_int_equal(decide(w, &sec_a, w->rec, submitted, REVIEW(RETURNED),
                          "The bill is still in committee", NULL, &err),
                   0);
  Rectrack__V1__Recommendation *rec =
      fx_get_recommendation(w->fx->store, w->rec);
  assert_int_equal(rec->status, STATUS(IN_PROGRESS));
  assert_int_equal(rec->reported_status, STATUS(UNSPECIFIED));
  assert_int_equal(rec->pending_count, 0);
  protobuf_c_message_free_unpacked(&rec->base, NULL);
  expect_error(
      decide(w, &sec_b, w->rec, submitted, REVIEW(VALIDATED), NULL, NULL, &err),
      &err, RT_EPRECOND, "was already returned by sec-a");

  /* A later official report does not bring it back either. */
  assert_int_equal(report(w, &sec_b, w->rec, STATUS(NOT_STARTED), "2024-09-01",
                          NULL, NULL, &err),
                   0);
  rec = fx_get_recommendation(w->fx->store, w->rec);
  assert_int_equal(rec->status, STATUS(NOT_STARTED));
  protobuf_c_message_free_unpacked(&rec->base, NULL);
  Rectrack__V1__ListFollowUpsResponse *page = history(w, w->rec);
  assert_int_equal(page->follow_ups[1]->review_state, REVIEW(RETURNED));
  assert_string_equal(page->follow_ups[1]->review_note,
                      "The bill is still in committee");
  protobuf_c_message_free_unpacked(&page->base, NULL);
  fx_expect_sound(w->fx->store);
}

/* The status is that of the latest validated follow-up: validating an
 * older submission after a newer official report changes nothing. */
static void test_the_latest_validated_follow_up_decides(void **state) {
  world_t *w = *state;
  rt_error_t err;
  uint64_t old_submission = 0, new_submission = 0;
  assert_int_equal(report(w, &moi_bgd, w->rec, STATUS(IMPLEMENTED),
                          "2024-06-30", NULL, &old_submission, &err),
                   0);
  assert_int_equal(report(w, &sec_a, w->rec, STATUS(STALLED), "2024-07-01",
                          NULL, NULL, &err),
                   0);
  assert_int_equal(report(w, &moi_bgd, w->rec, STATUS(PARTIALLY_IMPLEMENTED),
                          "2024-08-01", NULL, &new_submission, &err),
                   0);
  Rectrack__V1__Recommendation *rec =
      fx_get_recommendation(w->fx->store, w->rec);
  assert_int_equal(rec->status, STATUS(STALLED));
  assert_int_equal(rec->reported_status, STATUS(PARTIALLY_IMPLEMENTED));
  assert_int_equal(rec->pending_count, 2);
  protobuf_c_message_free_unpacked(&rec->base, NULL);

  assert_int_equal(decide(w, &sec_a, w->rec, old_submission, REVIEW(VALIDATED),
                          NULL, NULL, &err),
                   0);
  rec = fx_get_recommendation(w->fx->store, w->rec);
  assert_int_equal(rec->status, STATUS(STALLED)); /* recorded later */
  assert_int_equal(rec->reported_status, STATUS(PARTIALLY_IMPLEMENTED));
  assert_int_equal(rec->pending_count, 1);
  protobuf_c_message_free_unpacked(&rec->base, NULL);

  assert_int_equal(decide(w, &sec_a, w->rec, new_submission, REVIEW(VALIDATED),
                          NULL, NULL, &err),
                   0);
  rec = fx_get_recommendation(w->fx->store, w->rec);
  assert_int_equal(rec->status, STATUS(PARTIALLY_IMPLEMENTED));
  assert_string_equal(rec->last_follow_up_as_of, "2024-08-01");
  assert_int_equal(rec->pending_count, 0);
  protobuf_c_message_free_unpacked(&rec->base, NULL);
  fx_expect_sound(w->fx->store);
}

static void test_only_validated_measurements_count(void **state) {
  world_t *w = *state;
  rt_error_t err;
  uint64_t submitted = 0, returned = 0;
  assert_int_equal(measure(w, &sec_a, w->com, 8, "2024-01-01", NULL, &err), 0);
  Rectrack__V1__Commitment *before = fx_get_commitment(w->fx->store, w->com);
  assert_int_equal(
      measure(w, &moi_bgd, w->com, 2, "2025-01-01", &submitted, &err), 0);
  Rectrack__V1__Commitment *c = fx_get_commitment(w->fx->store, w->com);
  assert_true(c->latest_value == 8);
  assert_string_equal(c->latest_as_of, "2024-01-01");
  assert_int_equal(c->trajectory, before->trajectory);
  assert_true(c->progress == before->progress);
  assert_int_equal(c->pending_count, 1);
  assert_int_equal(c->measurement_count, 2);
  protobuf_c_message_free_unpacked(&c->base, NULL);
  protobuf_c_message_free_unpacked(&before->base, NULL);

  Rectrack__V1__ValidateSubmissionResponse *reply = NULL;
  assert_int_equal(decide(w, &sec_a, w->com, submitted, REVIEW(VALIDATED), NULL,
                          &reply, &err),
                   0);
  assert_non_null(reply->measurement);
  assert_int_equal(reply->measurement->review_state, REVIEW(VALIDATED));
  assert_string_equal(reply->measurement->reported_by, "bgd");
  assert_non_null(reply->commitment);
  assert_true(reply->commitment->latest_value == 2);
  assert_int_equal(reply->commitment->trajectory,
                   RECTRACK__V1__TRAJECTORY__TRAJECTORY_ACHIEVED);
  protobuf_c_message_free_unpacked(&reply->base, NULL);

  /* A later measurement, returned: the validated one still stands. */
  assert_int_equal(
      measure(w, &moi_bgd, w->com, 9.5, "2025-06-01", &returned, &err), 0);
  assert_int_equal(decide(w, &sec_b, w->com, returned, REVIEW(RETURNED),
                          "Wrong unit", NULL, &err),
                   0);
  c = fx_get_commitment(w->fx->store, w->com);
  assert_true(c->latest_value == 2);
  assert_string_equal(c->latest_as_of, "2025-01-01");
  assert_int_equal(c->trajectory,
                   RECTRACK__V1__TRAJECTORY__TRAJECTORY_ACHIEVED);
  assert_int_equal(c->pending_count, 0);
  protobuf_c_message_free_unpacked(&c->base, NULL);
  fx_expect_sound(w->fx->store);
}

/* ---- what a reporter may do ------------------------------------------ */

static void test_a_reporter_reports_only_as_its_own_actors(void **state) {
  world_t *w = *state;
  rt_error_t err;
  static char *to_phl[] = {(char *)"phl"};
  Rectrack__V1__Recommendation rec = fx_recommendation("Philippine pledge");
  rec.addressed_to = to_phl;
  rec.lead_actor_id = (char *)"";
  char *phl_rec = fx_create_recommendation(w->fx->store, &rec);
  expect_error(report(w, &moi_phl, phl_rec, STATUS(IMPLEMENTED), "2024-06-30",
                      "bgd", NULL, &err),
               &err, RT_EPERM,
               "reporter moi-phl speaks for phl, ken; it cannot file a report "
               "by bgd");
  assert_string_equal(err.field, "follow_up.reported_by");
  expect_error(report(w, &moi_phl, phl_rec, STATUS(IMPLEMENTED), "2024-06-30",
                      NULL, NULL, &err),
               &err, RT_EINVAL,
               "follow_up.reported_by: reporter moi-phl speaks for phl, ken; "
               "say which of them reports");
  /* ken reports on phl's recommendation: the token speaks for both. */
  assert_int_equal(report(w, &moi_phl, phl_rec, STATUS(IMPLEMENTED),
                          "2024-06-30", "ken", NULL, &err),
                   0);
  free(phl_rec);
  /* The secretariat names any actor, as long as it exists. */
  expect_error(report(w, &sec_a, w->rec, STATUS(IN_PROGRESS), "2024-06-30",
                      "nowhere", NULL, &err),
               &err, RT_ENOTFOUND, "actor 'nowhere' does not exist");
}

static void test_a_reporter_reports_only_on_its_actors_subjects(void **state) {
  world_t *w = *state;
  rt_error_t err;
  char expected[160];
  snprintf(expected, sizeof expected,
           "reporter moi-phl speaks for phl, ken; %s is a commitment of bgd",
           w->com);
  expect_error(measure(w, &moi_phl, w->com, 5, "2024-06-30", NULL, &err), &err,
               RT_EPERM, expected);
  expect_error(report(w, &moi_phl, w->com, STATUS(STALLED), "2024-06-30", "phl",
                      NULL, &err),
               &err, RT_EPERM, expected);
  snprintf(expected, sizeof expected,
           "reporter moi-phl speaks for phl, ken; %s is addressed to bgd and "
           "led by iom",
           w->rec);
  expect_error(report(w, &moi_phl, w->rec, STATUS(STALLED), "2024-06-30", "ken",
                      NULL, &err),
               &err, RT_EPERM, expected);
  snprintf(expected, sizeof expected,
           "reporter moi-bgd speaks for bgd; %s is a commitment of mex",
           w->other);
  expect_error(report(w, &moi_bgd, w->other, STATUS(STALLED), "2024-06-30",
                      NULL, NULL, &err),
               &err, RT_EPERM, expected);
  /* Addressed to bgd, led by iom: both report on it. */
  assert_int_equal(report(w, &moi_bgd, w->rec, STATUS(STALLED), "2024-06-30",
                          NULL, NULL, &err),
                   0);
  assert_int_equal(report(w, &iom_hq, w->rec, STATUS(STALLED), "2024-06-30",
                          NULL, NULL, &err),
                   0);
  fx_expect_sound(w->fx->store);
}

static void test_every_actor_of_a_reporter_must_exist(void **state) {
  world_t *w = *state;
  rt_error_t err;
  expect_error(report(w, &stale, w->rec, STATUS(STALLED), "2024-06-30", "phl",
                      NULL, &err),
               &err, RT_EPRECOND,
               "reporter stale speaks for phl, zzz, but actor zzz does not "
               "exist");
}

static void test_a_reporter_only_records_reports(void **state) {
  world_t *w = *state;
  rt_error_t err;
  Rectrack__V1__Source source = RECTRACK__V1__SOURCE__INIT;
  source.id = "ministry-report";
  source.title = "Report";
  rt_write_op_t op = op_by(&moi_bgd, RT_OP_CREATE_SOURCE, &source);
  expect_error(run(w, &op, NULL, NULL, &err), &err, RT_EPERM,
               "reporter moi-bgd may only record follow-ups and measurements "
               "on the subjects of its actors; creating records is the "
               "secretariat's");
  uint64_t submitted = 0;
  assert_int_equal(report(w, &moi_bgd, w->rec, STATUS(IMPLEMENTED),
                          "2024-06-30", NULL, &submitted, &err),
                   0);
  expect_error(decide(w, &moi_bgd, w->rec, submitted, REVIEW(VALIDATED), NULL,
                      NULL, &err),
               &err, RT_EPERM,
               "validating or returning submissions is the secretariat's");
}

/* A reporter who became secretariat still cannot validate what it
 * submitted. */
static void test_nobody_decides_on_their_own_submission(void **state) {
  world_t *w = *state;
  rt_error_t err;
  uint64_t submitted = 0;
  assert_int_equal(report(w, &moi_bgd, w->rec, STATUS(IMPLEMENTED),
                          "2024-06-30", NULL, &submitted, &err),
                   0);
  const who_t promoted = {"moi-bgd", RT_WRITE_ROLE_SECRETARIAT, NULL, 0};
  char expected[160];
  snprintf(expected, sizeof expected,
           "moi-bgd recorded the follow-up of %s at revision %llu and cannot "
           "decide on its own submission",
           w->rec, (unsigned long long)submitted);
  expect_error(decide(w, &promoted, w->rec, submitted, REVIEW(VALIDATED), NULL,
                      NULL, &err),
               &err, RT_EPERM, expected);
}

static void test_a_decision_names_a_submission(void **state) {
  world_t *w = *state;
  rt_error_t err;
  uint64_t official = 0, submitted = 0;
  assert_int_equal(report(w, &sec_a, w->rec, STATUS(IN_PROGRESS), "2024-01-10",
                          NULL, &official, &err),
                   0);
  assert_int_equal(report(w, &moi_bgd, w->rec, STATUS(IMPLEMENTED),
                          "2024-06-30", NULL, &submitted, &err),
                   0);
  char expected[160];
  snprintf(expected, sizeof expected,
           "revision: %s has no follow-up or measurement recorded at "
           "revision 1",
           w->rec);
  expect_error(
      decide(w, &sec_a, w->rec, 1, REVIEW(VALIDATED), NULL, NULL, &err), &err,
      RT_ENOTFOUND, expected);
  expect_error(decide(w, &sec_a, w->rec, submitted + 100, REVIEW(VALIDATED),
                      NULL, NULL, &err),
               &err, RT_ENOTFOUND, "has no follow-up or measurement");
  expect_error(
      decide(w, &sec_a, w->com, submitted, REVIEW(VALIDATED), NULL, NULL, &err),
      &err, RT_ENOTFOUND, "has no follow-up or measurement");
  expect_error(
      decide(w, &sec_a, w->rec, submitted, REVIEW(SUBMITTED), NULL, NULL, &err),
      &err, RT_EINVAL, "decision: must be REVIEW_STATE_VALIDATED");
  expect_error(
      decide(w, &sec_a, w->rec, 0, REVIEW(VALIDATED), NULL, NULL, &err), &err,
      RT_EINVAL, "revision: the revision");
  expect_error(
      decide(w, &sec_a, "R999", submitted, REVIEW(VALIDATED), NULL, NULL, &err),
      &err, RT_ENOTFOUND, "recommendation 'R999' does not exist");
  snprintf(expected, sizeof expected,
           "was already validated by sec-a as it was recorded, at revision "
           "%llu",
           (unsigned long long)official);
  expect_error(
      decide(w, &sec_b, w->rec, official, REVIEW(RETURNED), "No", NULL, &err),
      &err, RT_EPRECOND, expected);
}

static size_t count_pending(world_t *w, bool commitments) {
  rt_store_reader_t *reader;
  rt_error_t err;
  size_t n = 0;
  assert_int_equal(rt_store_reader_begin(w->fx->store, &reader, &err), 0);
  if (commitments) {
    Rectrack__V1__ListCommitmentsRequest req =
        RECTRACK__V1__LIST_COMMITMENTS_REQUEST__INIT;
    req.pending_validation = true;
    Rectrack__V1__ListCommitmentsResponse *page = NULL;
    assert_int_equal(
        rt_store_list_commitments(reader, &req, "2024-12-31", &page, &err), 0);
    n = page->n_commitments;
    assert_int_equal(page->total_size, (int32_t)n);
    protobuf_c_message_free_unpacked(&page->base, NULL);
  } else {
    Rectrack__V1__ListRecommendationsRequest req =
        RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
    req.pending_validation = true;
    req.actor_id = "bgd";
    Rectrack__V1__ListRecommendationsResponse *page = NULL;
    assert_int_equal(
        rt_store_list_recommendations(reader, &req, "2024-12-31", &page, &err),
        0);
    n = page->n_recommendations;
    protobuf_c_message_free_unpacked(&page->base, NULL);
  }
  rt_store_reader_end(reader);
  return n;
}

static void test_subjects_awaiting_validation_are_listed(void **state) {
  world_t *w = *state;
  rt_error_t err;
  uint64_t follow_up = 0, value = 0;
  Rectrack__V1__Recommendation other = fx_recommendation("Nothing pending");
  char *quiet = fx_create_recommendation(w->fx->store, &other);
  assert_int_equal(count_pending(w, false), 0);
  assert_int_equal(report(w, &moi_bgd, w->rec, STATUS(IMPLEMENTED),
                          "2024-06-30", NULL, &follow_up, &err),
                   0);
  assert_int_equal(measure(w, &moi_bgd, w->com, 5, "2024-06-30", &value, &err),
                   0);
  assert_int_equal(count_pending(w, false), 1);
  assert_int_equal(count_pending(w, true), 1);
  fx_expect_sound(w->fx->store);
  assert_int_equal(
      decide(w, &sec_a, w->rec, follow_up, REVIEW(VALIDATED), NULL, NULL, &err),
      0);
  assert_int_equal(
      decide(w, &sec_a, w->com, value, REVIEW(RETURNED), "Source?", NULL, &err),
      0);
  assert_int_equal(count_pending(w, false), 0);
  assert_int_equal(count_pending(w, true), 0);
  fx_expect_sound(w->fx->store);
  free(quiet);
}

static void test_a_decision_is_replayed_from_its_request_id(void **state) {
  world_t *w = *state;
  rt_error_t err;
  uint64_t submitted = 0;
  assert_int_equal(report(w, &moi_bgd, w->rec, STATUS(IMPLEMENTED),
                          "2024-06-30", NULL, &submitted, &err),
                   0);
  Rectrack__V1__ValidateSubmissionRequest req =
      RECTRACK__V1__VALIDATE_SUBMISSION_REQUEST__INIT;
  req.subject_id = w->rec;
  req.revision = submitted;
  req.decision = REVIEW(VALIDATED);
  uint64_t revisions[2];
  for (int i = 0; i < 2; i++) {
    rt_write_op_t op = op_by(&sec_a, RT_OP_VALIDATE_SUBMISSION, &req);
    op.request_id = "validate-once";
    assert_int_equal(fx_apply(w->fx->store, &op), 0);
    assert_int_equal(op.replayed, i == 1);
    Rectrack__V1__ValidateSubmissionResponse *reply =
        rectrack__v1__validate_submission_response__unpack(NULL, op.reply_len,
                                                           op.reply);
    assert_non_null(reply);
    assert_non_null(reply->follow_up);
    assert_non_null(reply->recommendation);
    revisions[i] = reply->follow_up->review_revision;
    protobuf_c_message_free_unpacked(&reply->base, NULL);
    rt_write_ops_release(&op, 1);
  }
  assert_int_equal(revisions[0], revisions[1]);
}

/* ---- the verifier ------------------------------------------------------ */

/* Rewrites the stored follow-up of subject at revision with fu's review
 * fields, behind the engine's back (the store is closed meanwhile). */
static void forge_review(fixture_t *fx, const char *subject, uint64_t revision,
                         uint64_t claimed) {
  rt_store_close(fx->store);
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi fups;
  assert_int_equal(mdb_env_create(&env), 0);
  mdb_env_set_maxdbs(env, 32);
  assert_int_equal(mdb_env_open(env, fx->dir, 0, 0600), 0);
  assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
  assert_int_equal(mdb_dbi_open(txn, "follow_ups", 0, &fups), 0);
  uint8_t key[17];
  key[0] = (uint8_t)subject[0];
  uint64_t number = strtoull(subject + 1, NULL, 10);
  for (int i = 0; i < 8; i++) {
    key[1 + i] = (uint8_t)(number >> (56 - 8 * i));
    key[9 + i] = (uint8_t)(revision >> (56 - 8 * i));
  }
  MDB_val k = {sizeof key, key}, data;
  assert_int_equal(mdb_get(txn, fups, &k, &data), 0);
  Rectrack__V1__FollowUp *fu =
      rectrack__v1__follow_up__unpack(NULL, data.mv_size, data.mv_data);
  assert_non_null(fu);
  fu->review_state = REVIEW(VALIDATED);
  fu->review_revision = claimed;
  uint8_t packed[1024];
  size_t len = rectrack__v1__follow_up__pack(fu, packed);
  protobuf_c_message_free_unpacked(&fu->base, NULL);
  MDB_val forged = {len, packed};
  assert_int_equal(mdb_put(txn, fups, &k, &forged, 0), 0);
  assert_int_equal(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
  rt_error_t err;
  assert_int_equal(rt_store_open(&fx->store, fx->dir, NULL, &err), 0);
}

static void test_verify_names_a_decision_the_log_does_not_hold(void **state) {
  world_t *w = *state;
  rt_error_t err;
  uint64_t submitted = 0, unrelated = 0;
  assert_int_equal(report(w, &moi_bgd, w->rec, STATUS(IMPLEMENTED),
                          "2024-06-30", NULL, &submitted, &err),
                   0);
  assert_int_equal(report(w, &sec_a, w->rec, STATUS(IN_PROGRESS), "2024-07-01",
                          NULL, &unrelated, &err),
                   0);
  fx_expect_sound(w->fx->store);
  forge_review(w->fx, w->rec, submitted, unrelated);
  rt_verify_report_t verdict;
  assert_int_equal(rt_store_verify(w->fx->store, &verdict, &err), 0);
  /* The forged copy no longer awaits validation, so the subject's stored
   * self-reported status disagrees with its history too. */
  assert_int_equal(verdict.problem_count, 2);
  char expected[160];
  snprintf(expected, sizeof expected,
           "The follow-up recorded at revision %llu says it was decided at "
           "revision %llu, but the log holds no such decision",
           (unsigned long long)submitted, (unsigned long long)unrelated);
  assert_non_null(strstr(verdict.problems[0], expected));
  assert_non_null(strstr(verdict.problems[1], "stores the self-reported "
                                              "status implemented"));
  rt_verify_report_free(&verdict);
}

int main(void) {
#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
      TEST(test_a_submission_leaves_the_official_status_alone),
      TEST(test_validation_makes_a_submission_official),
      TEST(test_a_returned_submission_never_counts),
      TEST(test_the_latest_validated_follow_up_decides),
      TEST(test_only_validated_measurements_count),
      TEST(test_a_reporter_reports_only_as_its_own_actors),
      TEST(test_a_reporter_reports_only_on_its_actors_subjects),
      TEST(test_every_actor_of_a_reporter_must_exist),
      TEST(test_a_reporter_only_records_reports),
      TEST(test_nobody_decides_on_their_own_submission),
      TEST(test_a_decision_names_a_submission),
      TEST(test_subjects_awaiting_validation_are_listed),
      TEST(test_a_decision_is_replayed_from_its_request_id),
      TEST(test_verify_names_a_decision_the_log_does_not_hold),
  };
#undef TEST
  return cmocka_run_group_tests(tests, NULL, NULL);
}
