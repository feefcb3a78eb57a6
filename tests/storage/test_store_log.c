/*
 * The change log and derived state: one hash-chained entry per committed
 * change with who, when, what and a snapshot; batches where one op fails
 * alone; trajectories and progress of decreasing and increasing targets;
 * "latest" measurement by as_of rather than by recording order.
 */
#include "store_fixture.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rt_store_t *store_of(void **state) {
  return ((fixture_t *)*state)->store;
}

typedef struct collected {
  size_t n;
  uint64_t revisions[64];
  int kinds[64];
  char subjects[64][16];
  char principals[64][16];
  char changed[64][32];
  uint8_t prev_hash[64][32];
  uint8_t hash[64][32];
  bool has_snapshot[64];
} collected_t;

static int collect(const Rectrack__V1__ChangeEvent *event,
                   const uint8_t *packed, size_t packed_len, void *data) {
  collected_t *c = data;
  size_t i = c->n++;
  c->revisions[i] = event->revision;
  c->kinds[i] = event->kind;
  snprintf(c->subjects[i], 16, "%s", event->subject_id);
  snprintf(c->principals[i], 16, "%s", event->principal);
  snprintf(c->changed[i], 32, "%s",
           event->n_changed_fields ? event->changed_fields[0] : "");
  assert_int_equal(event->prev_hash.len, 32);
  memcpy(c->prev_hash[i], event->prev_hash.data, 32);
  assert_int_equal(event->hash.len, 32);
  uint8_t expected[32];
  crypto_hash_sha256(expected, packed, packed_len);
  assert_memory_equal(event->hash.data, expected, 32);
  memcpy(c->hash[i], event->hash.data, 32);
  c->has_snapshot[i] = event->source || event->actor || event->recommendation ||
                       event->commitment || event->follow_up ||
                       event->measurement;
  return 0;
}

static void scan(rt_store_t *store, uint64_t from, size_t max,
                 collected_t *out) {
  rt_store_reader_t *reader;
  rt_error_t err;
  memset(out, 0, sizeof *out);
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  assert_int_equal(rt_store_log_scan(reader, from, max, collect, out, &err), 0);
  rt_store_reader_end(reader);
}

static void test_every_change_is_logged_and_chained(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("Logged");
  char *id = fx_create_recommendation(store, &rec);
  Rectrack__V1__Recommendation change = RECTRACK__V1__RECOMMENDATION__INIT;
  change.id = id;
  change.title = (char *)"Logged again";
  const char *mask[] = {"title"};
  rt_write_op_t op =
      fx_update_op(RT_OP_UPDATE_RECOMMENDATION, &change, mask, 1);
  op.principal = "alice";
  assert_int_equal(fx_apply(store, &op), 0);
  rt_write_ops_release(&op, 1);
  assert_int_equal(fx_follow_up(store, id,
                                RECTRACK__V1__STATUS__STATUS_IN_PROGRESS,
                                "2024-01-01"),
                   0);
  collected_t log;
  scan(store, 0, 0, &log);
  /* 3 actors + 1 source from the fixture, then create, update, follow-up */
  assert_int_equal(log.n, 7);
  uint8_t zero[32] = {0};
  assert_memory_equal(log.prev_hash[0], zero, 32);
  for (size_t i = 0; i < log.n; i++) {
    assert_int_equal(log.revisions[i], i + 1);
    assert_true(log.has_snapshot[i]);
    if (i > 0)
      assert_memory_equal(log.prev_hash[i], log.hash[i - 1], 32);
  }
  assert_int_equal(log.kinds[4],
                   RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_CREATED);
  assert_string_equal(log.subjects[4], "R1");
  assert_int_equal(log.kinds[5],
                   RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_UPDATED);
  assert_string_equal(log.principals[5], "alice");
  assert_string_equal(log.changed[5], "title");
  assert_int_equal(log.kinds[6],
                   RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_FOLLOW_UP_RECORDED);
  Rectrack__V1__Recommendation *got = fx_get_recommendation(store, id);
  assert_int_equal(got->revision, 7); /* the revision of its last change */
  protobuf_c_message_free_unpacked(&got->base, NULL);
  scan(store, 6, 1, &log);
  assert_int_equal(log.n, 1);
  assert_int_equal(log.revisions[0], 6);
  free(id);
}

static void test_replayed_request_adds_no_log_entry(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
  Rectrack__V1__Recommendation rec = fx_recommendation("Replay");
  char *id = fx_create_recommendation(store, &rec);
  fu.subject_id = id;
  fu.status = RECTRACK__V1__STATUS__STATUS_STALLED;
  for (int i = 0; i < 2; i++) {
    rt_write_op_t op = fx_op(RT_OP_RECORD_FOLLOW_UP, &fu);
    op.request_id = "fu-1";
    assert_int_equal(fx_apply(store, &op), 0);
    assert_int_equal(op.replayed, i == 1);
    Rectrack__V1__FollowUp *got =
        rectrack__v1__follow_up__unpack(NULL, op.reply_len, op.reply);
    assert_int_equal(got->revision, 6);
    protobuf_c_message_free_unpacked(&got->base, NULL);
    rt_write_ops_release(&op, 1);
  }
  collected_t log;
  scan(store, 0, 0, &log);
  assert_int_equal(log.n, 6);
  free(id);
}

static void
test_request_id_reused_for_another_subject_is_rejected(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("First");
  char *first = fx_create_recommendation(store, &rec);
  char *second = fx_create_recommendation(store, &rec);
  Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
  fu.subject_id = first;
  fu.status = RECTRACK__V1__STATUS__STATUS_IN_PROGRESS;
  rt_write_op_t op = fx_op(RT_OP_RECORD_FOLLOW_UP, &fu);
  op.request_id = "report-7";
  assert_int_equal(fx_apply(store, &op), 0);
  rt_write_ops_release(&op, 1);
  /* The same request id on another subject: not a retry of the first
   * report, so answering with it would drop this one silently. */
  fu.subject_id = second;
  fu.status = RECTRACK__V1__STATUS__STATUS_STALLED;
  op = fx_op(RT_OP_RECORD_FOLLOW_UP, &fu);
  op.request_id = "report-7";
  assert_int_equal(fx_apply(store, &op), RT_EINVAL);
  assert_string_equal(op.error.field, "request_id");
  assert_non_null(strstr(op.error.message, first));
  assert_false(op.replayed);
  assert_null(op.reply);
  rt_write_ops_release(&op, 1);
  Rectrack__V1__Recommendation *got = fx_get_recommendation(store, second);
  assert_int_equal(got->status, RECTRACK__V1__STATUS__STATUS_NO_INFORMATION);
  protobuf_c_message_free_unpacked(&got->base, NULL);
  /* A source create reusing a request id for another slug, likewise. */
  Rectrack__V1__Source src = RECTRACK__V1__SOURCE__INIT;
  src.id = (char *)"gfmd-2024";
  src.title = (char *)"GFMD summit";
  src.kind = RECTRACK__V1__SOURCE_KIND__SOURCE_KIND_CONFERENCE;
  op = fx_op(RT_OP_CREATE_SOURCE, &src);
  op.request_id = "src-1";
  assert_int_equal(fx_apply(store, &op), 0);
  rt_write_ops_release(&op, 1);
  src.id = (char *)"gfmd-2025";
  op = fx_op(RT_OP_CREATE_SOURCE, &src);
  op.request_id = "src-1";
  assert_int_equal(fx_apply(store, &op), RT_EINVAL);
  rt_write_ops_release(&op, 1);
  free(first);
  free(second);
}

static void test_batch_with_one_bad_op_commits_the_others(void **state) {
  rt_store_t *store = store_of(state);
  Rectrack__V1__Recommendation good = fx_recommendation("Good one");
  Rectrack__V1__Recommendation bad = fx_recommendation("Bad one");
  bad.due_date = (char *)"not-a-date";
  Rectrack__V1__Recommendation also_good = fx_recommendation("Good two");
  rt_write_op_t ops[3] = {fx_op(RT_OP_CREATE_RECOMMENDATION, &good),
                          fx_op(RT_OP_CREATE_RECOMMENDATION, &bad),
                          fx_op(RT_OP_CREATE_RECOMMENDATION, &also_good)};
  rt_error_t err;
  assert_int_equal(rt_store_apply(store, ops, 3, &err), 0);
  assert_int_equal(ops[0].result, 0);
  assert_int_equal(ops[1].result, RT_EINVAL);
  assert_string_equal(ops[1].error.field, "recommendation.due_date");
  assert_null(ops[1].reply);
  assert_int_equal(ops[2].result, 0);
  assert_int_equal(ops[2].revision, ops[0].revision + 1);
  Rectrack__V1__Recommendation *second = rectrack__v1__recommendation__unpack(
      NULL, ops[2].reply_len, ops[2].reply);
  assert_string_equal(second->id, "R2"); /* the failed op used no id */
  protobuf_c_message_free_unpacked(&second->base, NULL);
  rt_write_ops_release(ops, 3);
  rt_write_ops_release(ops, 3);
}

static char *create_indicator_commitment(rt_store_t *store, double baseline,
                                         double target, int direction) {
  Rectrack__V1__Indicator ind = fx_indicator("indicator", baseline, target);
  ind.unit = (char *)"per cent";
  ind.direction = direction;
  Rectrack__V1__Commitment com = fx_commitment("Quantified");
  com.kind = RECTRACK__V1__COMMITMENT_KIND__COMMITMENT_KIND_QUANTIFIED_TARGET;
  com.indicator = &ind;
  return fx_create_commitment(store, &com);
}

static void expect_state(rt_store_t *store, const char *id, int trajectory,
                         double progress, double latest, uint32_t count) {
  Rectrack__V1__Commitment *c = fx_get_commitment(store, id);
  assert_non_null(c);
  assert_int_equal(c->trajectory, trajectory);
  assert_float_equal(c->progress, progress, 1e-9);
  assert_float_equal(c->latest_value, latest, 1e-9);
  assert_int_equal(c->measurement_count, count);
  protobuf_c_message_free_unpacked(&c->base, NULL);
}

/* Remittance cost 6.0 -> 3.0 by 2030: lower is better. Half-way in time
 * (2025-01-01, 1827 of 3653 days) the straight line is at about 4.5. */
static void test_trajectory_of_a_decreasing_target(void **state) {
  rt_store_t *store = store_of(state);
  char *id = create_indicator_commitment(
      store, 6.0, 3.0, RECTRACK__V1__DIRECTION__DIRECTION_DECREASE);
  expect_state(store, id, RECTRACK__V1__TRAJECTORY__TRAJECTORY_NO_DATA, 0, 0,
               0);
  assert_int_equal(fx_measure(store, id, 4.2, "2025-01-01"), 0);
  expect_state(store, id, RECTRACK__V1__TRAJECTORY__TRAJECTORY_ON_TRACK, 0.6,
               4.2, 1);
  assert_int_equal(fx_measure(store, id, 5.4, "2027-01-01"), 0);
  expect_state(store, id, RECTRACK__V1__TRAJECTORY__TRAJECTORY_OFF_TRACK, 0.2,
               5.4, 2);
  assert_int_equal(fx_measure(store, id, 2.9, "2029-06-30"), 0);
  expect_state(store, id, RECTRACK__V1__TRAJECTORY__TRAJECTORY_ACHIEVED,
               (2.9 - 6.0) / (3.0 - 6.0), 2.9, 3);
  free(id);
}

static void test_trajectory_of_an_increasing_target(void **state) {
  rt_store_t *store = store_of(state);
  char *id = create_indicator_commitment(
      store, 10.0, 50.0, RECTRACK__V1__DIRECTION__DIRECTION_UNSPECIFIED);
  assert_int_equal(fx_measure(store, id, 20.0, "2025-01-01"), 0);
  expect_state(store, id, RECTRACK__V1__TRAJECTORY__TRAJECTORY_OFF_TRACK, 0.25,
               20.0, 1);
  assert_int_equal(fx_measure(store, id, 40.0, "2026-01-01"), 0);
  expect_state(store, id, RECTRACK__V1__TRAJECTORY__TRAJECTORY_ON_TRACK, 0.75,
               40.0, 2);
  assert_int_equal(fx_measure(store, id, 50.0, "2026-06-01"), 0);
  expect_state(store, id, RECTRACK__V1__TRAJECTORY__TRAJECTORY_ACHIEVED, 1.0,
               50.0, 3);
  free(id);
}

static void test_late_older_measurement_does_not_replace_latest(void **state) {
  rt_store_t *store = store_of(state);
  char *id = create_indicator_commitment(
      store, 6.0, 3.0, RECTRACK__V1__DIRECTION__DIRECTION_DECREASE);
  assert_int_equal(fx_measure(store, id, 4.0, "2026-01-01"), 0);
  assert_int_equal(fx_measure(store, id, 5.9, "2021-01-01"), 0);
  Rectrack__V1__Commitment *c = fx_get_commitment(store, id);
  assert_float_equal(c->latest_value, 4.0, 1e-9);
  assert_string_equal(c->latest_as_of, "2026-01-01");
  assert_int_equal(c->measurement_count, 2);
  protobuf_c_message_free_unpacked(&c->base, NULL);
  /* Same as_of twice: the newer recording wins. */
  assert_int_equal(fx_measure(store, id, 3.9, "2026-01-01"), 0);
  c = fx_get_commitment(store, id);
  assert_float_equal(c->latest_value, 3.9, 1e-9);
  protobuf_c_message_free_unpacked(&c->base, NULL);
  free(id);
}

static void test_indicator_update_recomputes_trajectory(void **state) {
  rt_store_t *store = store_of(state);
  char *id = create_indicator_commitment(
      store, 6.0, 3.0, RECTRACK__V1__DIRECTION__DIRECTION_DECREASE);
  assert_int_equal(fx_measure(store, id, 4.0, "2026-01-01"), 0);
  Rectrack__V1__Indicator ind = fx_indicator("indicator", 6.0, 4.0);
  Rectrack__V1__Commitment change = RECTRACK__V1__COMMITMENT__INIT;
  change.id = id;
  change.indicator = &ind;
  const char *mask[] = {"indicator"};
  rt_write_op_t op = fx_update_op(RT_OP_UPDATE_COMMITMENT, &change, mask, 1);
  assert_int_equal(fx_apply(store, &op), 0);
  rt_write_ops_release(&op, 1);
  expect_state(store, id, RECTRACK__V1__TRAJECTORY__TRAJECTORY_ACHIEVED, 1.0,
               4.0, 1);
  free(id);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_every_change_is_logged_and_chained),
      T(test_replayed_request_adds_no_log_entry),
      T(test_request_id_reused_for_another_subject_is_rejected),
      T(test_batch_with_one_bad_op_commits_the_others),
      T(test_trajectory_of_a_decreasing_target),
      T(test_trajectory_of_an_increasing_target),
      T(test_late_older_measurement_does_not_replace_latest),
      T(test_indicator_update_recomputes_trajectory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
