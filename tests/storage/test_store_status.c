/*
 * The status rule: a subject's status is the status of its validated
 * follow-up with the latest as_of, and between two of one day the later
 * recorded one. Each test records reports in every order and checks that
 * the stored status, the status index (a list filtered by status) and
 * overdue agree with the rule each time, and that the verifier finds the
 * store sound. Reports dated after tomorrow are refused.
 */
#include "store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS(name) RECTRACK__V1__STATUS__STATUS_##name

static rt_store_t *store_of(void **state) {
  return ((fixture_t *)*state)->store;
}

typedef struct report {
  int status;
  const char *as_of;
} report_t;

/* Whether the list of recommendations with status (due or not, as of
 * overdue_as_of when set) holds id. */
static bool listed(rt_store_t *store, const char *id, int status,
                   const char *overdue_as_of) {
  rt_store_reader_t *reader = NULL;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  Rectrack__V1__Status statuses[1] = {(Rectrack__V1__Status)status};
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  req.page_size = 1000;
  req.statuses = status ? statuses : NULL;
  req.n_statuses = status ? 1 : 0;
  req.overdue_only = overdue_as_of != NULL;
  req.as_of = (char *)(overdue_as_of ? overdue_as_of : "");
  Rectrack__V1__ListRecommendationsResponse *page = NULL;
  assert_int_equal(
      rt_store_list_recommendations(reader, &req, "2025-01-01", &page, &err),
      0);
  bool found = false;
  for (size_t i = 0; i < page->n_recommendations; i++)
    found |= strcmp(page->recommendations[i]->id, id) == 0;
  protobuf_c_message_free_unpacked(&page->base, NULL);
  rt_store_reader_end(reader);
  return found;
}

/* The stored status, the status index and overdue all say status, as of
 * as_of. */
static void expect_status(rt_store_t *store, const char *id, int status,
                          const char *as_of) {
  Rectrack__V1__Recommendation *rec = fx_get_recommendation(store, id);
  assert_non_null(rec);
  if ((int)rec->status != status ||
      strcmp(rec->last_follow_up_as_of, as_of) != 0)
    fail_msg("%s: status %d as of %s, expected %d as of %s", id, rec->status,
             rec->last_follow_up_as_of, status, as_of);
  bool closed = status == STATUS(IMPLEMENTED) || status == STATUS(WITHDRAWN);
  bool due = rec->due_date[0] != '\0';
  protobuf_c_message_free_unpacked(&rec->base, NULL);
  for (int other = STATUS(NO_INFORMATION); other <= STATUS(WITHDRAWN); other++)
    if (listed(store, id, other, NULL) != (other == status))
      fail_msg("%s: the status index %s it under status %d", id,
               other == status ? "does not list" : "lists", other);
  if (due)
    assert_int_equal(listed(store, id, 0, "2025-01-01"), !closed);
}

static char *new_recommendation(rt_store_t *store, const char *title) {
  Rectrack__V1__Recommendation rec = fx_recommendation(title);
  rec.due_date = (char *)"2024-06-30";
  return fx_create_recommendation(store, &rec);
}

/* Records reports[order[0]], reports[order[1]], ... on a new
 * recommendation and checks the rule after each. */
static void record_in_order(rt_store_t *store, const report_t *reports,
                            const size_t *order, size_t n) {
  char *id = new_recommendation(store, "Reported out of order");
  report_t latest = {STATUS(NO_INFORMATION), ""};
  for (size_t k = 0; k < n; k++) {
    size_t i = order[k];
    assert_int_equal(
        fx_follow_up(store, id, reports[i].status, reports[i].as_of), 0);
    /* The later as_of wins; on one day the later recorded, this one. */
    if (strcmp(reports[i].as_of, latest.as_of) >= 0)
      latest = reports[i];
    expect_status(store, id, latest.status, latest.as_of);
  }
  free(id);
}

/* Every permutation of n (at most 4) indexes, in turn. */
static void for_each_order(rt_store_t *store, const report_t *reports,
                           size_t n) {
  size_t order[4] = {0, 1, 2, 3}, count = 0;
  /* Heap's algorithm, iterative. */
  size_t c[4] = {0};
  record_in_order(store, reports, order, n);
  count++;
  for (size_t i = 1; i < n;) {
    if (c[i] < i) {
      size_t j = i % 2 == 0 ? 0 : c[i];
      size_t t = order[j];
      order[j] = order[i];
      order[i] = t;
      record_in_order(store, reports, order, n);
      count++;
      c[i]++;
      i = 1;
    } else {
      c[i] = 0;
      i++;
    }
  }
  assert_true(count >= n);
}

static void
test_reports_in_every_order_give_the_latest_dated_status(void **state) {
  rt_store_t *store = store_of(state);
  const report_t reports[] = {{STATUS(IN_PROGRESS), "2024-03-01"},
                              {STATUS(STALLED), "2024-05-01"},
                              {STATUS(IMPLEMENTED), "2024-09-01"}};
  for_each_order(store, reports, 3);
  fx_expect_sound(store);
}

/* Two reports of one day: the later recorded wins, whatever comes
 * before or after them of other days. */
static void test_on_one_day_the_later_recorded_report_wins(void **state) {
  rt_store_t *store = store_of(state);
  const report_t reports[] = {{STATUS(NOT_STARTED), "2024-01-15"},
                              {STATUS(IN_PROGRESS), "2024-04-01"},
                              {STATUS(PARTIALLY_IMPLEMENTED), "2024-04-01"},
                              {STATUS(WITHDRAWN), "2024-04-01"}};
  for_each_order(store, reports, 4);
  fx_expect_sound(store);
}

/* A late report of an earlier day goes into the history in its place:
 * the history by date lists it there, and the status stays. */
static void
test_back_dated_report_takes_its_place_in_the_history(void **state) {
  rt_store_t *store = store_of(state);
  char *id = new_recommendation(store, "A ministry's old report arrives");
  assert_int_equal(fx_follow_up(store, id, STATUS(IMPLEMENTED), "2024-09-01"),
                   0);
  assert_int_equal(fx_follow_up(store, id, STATUS(STALLED), "2024-05-01"), 0);
  expect_status(store, id, STATUS(IMPLEMENTED), "2024-09-01");

  rt_store_reader_t *reader = NULL;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  Rectrack__V1__ListFollowUpsRequest period =
      RECTRACK__V1__LIST_FOLLOW_UPS_REQUEST__INIT;
  period.from_date = "2024-01-01";
  period.to_date = "2024-12-31";
  Rectrack__V1__ListFollowUpsResponse *page = NULL;
  assert_int_equal(rt_store_list_follow_ups(reader, &period, &page, &err), 0);
  assert_int_equal(page->n_follow_ups, 2);
  assert_string_equal(page->follow_ups[0]->as_of, "2024-05-01");
  assert_string_equal(page->follow_ups[1]->as_of, "2024-09-01");
  /* The late report names the status it found when it was recorded. */
  assert_int_equal(page->follow_ups[0]->previous_status, STATUS(IMPLEMENTED));
  protobuf_c_message_free_unpacked(&page->base, NULL);
  rt_store_reader_end(reader);
  fx_expect_sound(store);
  free(id);
}

/* The same rule for submissions awaiting validation (the self-reported
 * status) and for validated ones, whatever order they are decided in. */
static void test_submissions_follow_the_rule(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("Reported by iom");
  const char *to[] = {"iom"};
  rec.addressed_to = (char **)to;
  rec.n_addressed_to = 1;
  char *id = fx_create_recommendation(store, &rec);
  const char *actors[] = {"iom"};
  uint64_t revisions[2];
  const report_t reports[] = {{STATUS(IMPLEMENTED), "2024-07-01"},
                              {STATUS(STALLED), "2024-03-01"}};
  for (size_t i = 0; i < 2; i++) {
    Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
    fu.subject_id = id;
    fu.status = reports[i].status;
    fu.as_of = (char *)reports[i].as_of;
    rt_write_op_t op = fx_op(RT_OP_RECORD_FOLLOW_UP, &fu);
    op.principal = "ministry";
    op.role = RT_WRITE_ROLE_REPORTER;
    op.actors = actors;
    op.n_actors = 1;
    assert_int_equal(fx_apply(store, &op), 0);
    revisions[i] = op.revision;
    rt_write_ops_release(&op, 1);
  }
  Rectrack__V1__Recommendation *got = fx_get_recommendation(store, id);
  assert_int_equal(got->status, STATUS(NO_INFORMATION));
  assert_int_equal(got->reported_status, STATUS(IMPLEMENTED));
  assert_string_equal(got->reported_as_of, "2024-07-01");
  protobuf_c_message_free_unpacked(&got->base, NULL);
  /* Validated, the earlier dated one last: the later dated one decides. */
  for (int i = 0; i < 2; i++) {
    Rectrack__V1__ValidateSubmissionRequest decision =
        RECTRACK__V1__VALIDATE_SUBMISSION_REQUEST__INIT;
    decision.subject_id = id;
    decision.revision = revisions[i];
    decision.decision = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_VALIDATED;
    rt_write_op_t op = fx_op(RT_OP_VALIDATE_SUBMISSION, &decision);
    assert_int_equal(fx_apply(store, &op), 0);
    rt_write_ops_release(&op, 1);
  }
  expect_status(store, id, STATUS(IMPLEMENTED), "2024-07-01");
  got = fx_get_recommendation(store, id);
  assert_int_equal(got->reported_status, STATUS(UNSPECIFIED));
  protobuf_c_message_free_unpacked(&got->base, NULL);
  fx_expect_sound(store);
  free(id);
}

/* 2024-06-15 at noon, UTC. */
#define JUNE_15_NOON 1718452800000LL

static int report_at(rt_store_t *store, const char *id, const char *as_of,
                     rt_error_t *err) {
  Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
  fu.subject_id = (char *)id;
  fu.status = STATUS(IN_PROGRESS);
  fu.as_of = (char *)as_of;
  rt_write_op_t op = fx_op(RT_OP_RECORD_FOLLOW_UP, &fu);
  op.now_ms = JUNE_15_NOON;
  int rc = fx_apply(store, &op);
  *err = op.error;
  rt_write_ops_release(&op, 1);
  return rc;
}

static int measure_at(rt_store_t *store, const char *id, const char *as_of,
                      rt_error_t *err) {
  Rectrack__V1__Measurement m = RECTRACK__V1__MEASUREMENT__INIT;
  m.commitment_id = (char *)id;
  m.value = 5.0;
  m.as_of = (char *)as_of;
  rt_write_op_t op = fx_op(RT_OP_RECORD_MEASUREMENT, &m);
  op.now_ms = JUNE_15_NOON;
  int rc = fx_apply(store, &op);
  *err = op.error;
  rt_write_ops_release(&op, 1);
  return rc;
}

/* A report may speak of a day up to tomorrow (UTC), one day of grace for
 * the time zones ahead of UTC; a later one is refused, naming the field. */
static void test_a_report_dated_after_tomorrow_is_refused(void **state) {
  rt_store_t *store = store_of(state);
  char *rec = new_recommendation(store, "Reported ahead of time");
  rt_error_t err;
  assert_int_equal(report_at(store, rec, "2024-06-15", &err), 0);
  assert_int_equal(report_at(store, rec, "2024-06-16", &err), 0);
  assert_int_equal(report_at(store, rec, "2024-06-17", &err), RT_EINVAL);
  assert_string_equal(err.field, "follow_up.as_of");
  assert_string_equal(err.message,
                      "follow_up.as_of: 2024-06-17 is in the future (today "
                      "is 2024-06-15, UTC; a report may speak of a day up to "
                      "2024-06-16)");
  assert_int_equal(report_at(store, rec, "2099-01-01", &err), RT_EINVAL);

  Rectrack__V1__Indicator ind = fx_indicator("remittance cost", 6.0, 3.0);
  Rectrack__V1__Commitment com = fx_commitment("Measured ahead of time");
  com.kind = RECTRACK__V1__COMMITMENT_KIND__COMMITMENT_KIND_QUANTIFIED_TARGET;
  com.indicator = &ind;
  char *c = fx_create_commitment(store, &com);
  assert_int_equal(measure_at(store, c, "2024-06-16", &err), 0);
  assert_int_equal(measure_at(store, c, "2024-06-17", &err), RT_EINVAL);
  assert_string_equal(err.field, "measurement.as_of");
  assert_non_null(strstr(err.message, "measurement.as_of: 2024-06-17 is in "
                                      "the future"));
  fx_expect_sound(store);
  free(rec);
  free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_reports_in_every_order_give_the_latest_dated_status, fx_setup,
          fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_on_one_day_the_later_recorded_report_wins, fx_setup,
          fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_back_dated_report_takes_its_place_in_the_history, fx_setup,
          fx_teardown),
      cmocka_unit_test_setup_teardown(test_submissions_follow_the_rule,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_a_report_dated_after_tomorrow_is_refused, fx_setup, fx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
