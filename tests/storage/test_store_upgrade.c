/*
 * Upgrades of data directories written by older builds. Each test copies
 * tests/fixtures/datadir-v1 (written by release 0.1.0, schema 1; its
 * FIXTURE.txt says what it holds) into a fresh directory and opens or
 * upgrades the copy; the committed fixture is never opened in place.
 */
#include "store_fixture.h"

#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef RT_FIXTURE_DIR
#error "RT_FIXTURE_DIR names tests/fixtures"
#endif

/* What the fixture holds (FIXTURE.txt). */
#define V1_REVISION 271
#define V1_RECOMMENDATIONS 73
#define V1_COMMITMENTS 16
#define V1_FOLLOW_UPS 88
#define V1_MEASUREMENTS 20

typedef struct upgrade_fixture {
  char dir[64];
  char *notices[16];
  size_t notice_count;
} upgrade_fixture_t;

static void copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb");
  assert_non_null(in);
  FILE *out = fopen(to, "wb");
  assert_non_null(out);
  char buffer[65536];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, in)) > 0)
    assert_int_equal(fwrite(buffer, 1, n, out), n);
  fclose(in);
  assert_int_equal(fclose(out), 0);
}

static void hash_file(const char *path, uint8_t out[32]) {
  FILE *in = fopen(path, "rb");
  assert_non_null(in);
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  uint8_t buffer[65536];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, in)) > 0)
    crypto_hash_sha256_update(&state, buffer, n);
  fclose(in);
  crypto_hash_sha256_final(&state, out);
}

static int setup(void **state) {
  upgrade_fixture_t *fx = calloc(1, sizeof *fx);
  snprintf(fx->dir, sizeof fx->dir, "/tmp/rt-upgrade-XXXXXX");
  if (mkdtemp(fx->dir) == NULL)
    return -1;
  char data[128];
  snprintf(data, sizeof data, "%s/data.mdb", fx->dir);
  copy_file(RT_FIXTURE_DIR "/datadir-v1/data.mdb", data);
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  upgrade_fixture_t *fx = *state;
  fx_remove_tree(fx->dir);
  for (size_t i = 0; i < fx->notice_count; i++)
    free(fx->notices[i]);
  free(fx);
  return 0;
}

static void remember_notice(const char *line, void *data) {
  upgrade_fixture_t *fx = data;
  if (fx->notice_count < sizeof fx->notices / sizeof fx->notices[0])
    fx->notices[fx->notice_count++] = strdup(line);
}

static rt_store_t *open_store(upgrade_fixture_t *fx) {
  rt_store_options_t options = {.upgrade_notice = remember_notice,
                                .upgrade_notice_data = fx};
  rt_store_t *store = NULL;
  rt_error_t err;
  int rc = rt_store_open(&store, fx->dir, &options, &err);
  if (rc != 0)
    fail_msg("open: %s", err.message);
  return store;
}

static void expect_fixture_counts(rt_store_t *store) {
  rt_store_reader_t *reader = NULL;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  rt_store_counts_t counts;
  assert_int_equal(rt_store_count(reader, &counts, &err), 0);
  assert_int_equal(counts.revision, V1_REVISION);
  assert_int_equal(counts.recommendations, V1_RECOMMENDATIONS);
  assert_int_equal(counts.commitments, V1_COMMITMENTS);
  assert_int_equal(counts.follow_ups, V1_FOLLOW_UPS);
  assert_int_equal(counts.measurements, V1_MEASUREMENTS);
  rt_store_reader_end(reader);
}

static bool notices_mention(const upgrade_fixture_t *fx, const char *text) {
  for (size_t i = 0; i < fx->notice_count; i++)
    if (strstr(fx->notices[i], text) != NULL)
      return true;
  return false;
}

static void test_opening_a_v1_directory_upgrades_it(void **state) {
  upgrade_fixture_t *fx = *state;
  rt_store_t *store = open_store(fx);
  assert_true(notices_mention(fx, "schema 1 -> 2"));
  assert_true(notices_mention(fx, "scoped to the principal"));
  assert_true(notices_mention(fx, "schema 2 -> 3"));
  assert_true(notices_mention(fx, "the 88 follow-ups and 20 measurements "
                                  "recorded so far count as validated"));
  expect_fixture_counts(store);
  fx_expect_sound(store);
  Rectrack__V1__Recommendation *rec = fx_get_recommendation(store, "R72");
  assert_non_null(rec);
  assert_string_equal(rec->title,
                      "Fixture: a recommendation reported on out of order");
  protobuf_c_message_free_unpacked(&rec->base, NULL);
  rt_store_close(store);

  /* Opened again: nothing left to upgrade, nothing to say. */
  for (size_t i = 0; i < fx->notice_count; i++)
    free(fx->notices[i]);
  fx->notice_count = 0;
  store = open_store(fx);
  assert_int_equal(fx->notice_count, 0);
  rt_store_close(store);
}

/* Lists a recommendation page with the given filter applied by set. */
static Rectrack__V1__ListRecommendationsResponse *
list_recs(rt_store_t *store, Rectrack__V1__ListRecommendationsRequest *req) {
  rt_store_reader_t *reader = NULL;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  Rectrack__V1__ListRecommendationsResponse *resp = NULL;
  int rc =
      rt_store_list_recommendations(reader, req, "2026-12-01", &resp, &err);
  if (rc != 0)
    fail_msg("list: %s", err.message);
  rt_store_reader_end(reader);
  return resp;
}

/* Schema 4 builds the indexes every filter walks, and the word index,
 * from the records of the older directory. */
static void test_upgrade_builds_every_index_and_the_word_index(void **state) {
  upgrade_fixture_t *fx = *state;
  rt_store_t *store = open_store(fx);
  assert_true(notices_mention(fx, "schema 3 -> 4"));
  assert_true(notices_mention(fx, "word entries written"));
  fx_expect_sound(store);
  Rectrack__V1__ListRecommendationsRequest req =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  Rectrack__V1__ListRecommendationsResponse *resp = list_recs(store, &req);
  assert_int_equal(resp->total_size, V1_RECOMMENDATIONS - 1); /* R73 */
  assert_false(resp->total_size_is_estimate);
  protobuf_c_message_free_unpacked(&resp->base, NULL);
  req.include_archived = true;
  resp = list_recs(store, &req);
  assert_int_equal(resp->total_size, V1_RECOMMENDATIONS);
  protobuf_c_message_free_unpacked(&resp->base, NULL);
  req.include_archived = false;
  req.query = (char *)"FIXTURE out-of-order";
  resp = list_recs(store, &req);
  assert_int_equal(resp->n_recommendations, 1);
  assert_string_equal(resp->recommendations[0]->id, "R72");
  protobuf_c_message_free_unpacked(&resp->base, NULL);
  rt_store_close(store);
}

/* The fixture's "fixture-shared-id" was sent by sec-a (who got R72) and
 * then by sec-b, whom release 0.1.0 answered with sec-a's R72. */
static void test_request_ids_belong_to_their_principal(void **state) {
  upgrade_fixture_t *fx = *state;
  rt_store_t *store = open_store(fx);
  Rectrack__V1__Recommendation rec = fx_recommendation("Retried by sec-a");
  rec.source_id = "idm-2023-ny";
  rt_write_op_t op = fx_op(RT_OP_CREATE_RECOMMENDATION, &rec);
  op.request_id = "fixture-shared-id";
  op.principal = "sec-a";
  assert_int_equal(fx_apply(store, &op), 0);
  assert_true(op.replayed);
  Rectrack__V1__Recommendation *got =
      rectrack__v1__recommendation__unpack(NULL, op.reply_len, op.reply);
  assert_string_equal(got->id, "R72");
  protobuf_c_message_free_unpacked(&got->base, NULL);
  rt_write_ops_release(&op, 1);

  rt_write_op_t other = fx_op(RT_OP_CREATE_RECOMMENDATION, &rec);
  other.request_id = "fixture-shared-id";
  other.principal = "sec-b";
  assert_int_equal(fx_apply(store, &other), 0);
  assert_false(other.replayed);
  got =
      rectrack__v1__recommendation__unpack(NULL, other.reply_len, other.reply);
  assert_string_equal(got->id, "R74");
  protobuf_c_message_free_unpacked(&got->base, NULL);
  rt_write_ops_release(&other, 1);

  /* sec-b retrying now gets its own record back. */
  rt_write_op_t retry = fx_op(RT_OP_CREATE_RECOMMENDATION, &rec);
  retry.request_id = "fixture-shared-id";
  retry.principal = "sec-b";
  assert_int_equal(fx_apply(store, &retry), 0);
  assert_true(retry.replayed);
  got =
      rectrack__v1__recommendation__unpack(NULL, retry.reply_len, retry.reply);
  assert_string_equal(got->id, "R74");
  protobuf_c_message_free_unpacked(&got->base, NULL);
  rt_write_ops_release(&retry, 1);
  fx_expect_sound(store);
  rt_store_close(store);
}

/* What was recorded before review states existed is official: listed as
 * validated, nothing pending, the statuses as they were; a reporter's
 * submission on an old subject waits for validation like any other. */
static void test_old_history_counts_as_validated(void **state) {
  upgrade_fixture_t *fx = *state;
  rt_store_t *store = open_store(fx);
  rt_store_reader_t *reader = NULL;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  Rectrack__V1__ListFollowUpsRequest all =
      RECTRACK__V1__LIST_FOLLOW_UPS_REQUEST__INIT;
  all.page_size = 1000;
  Rectrack__V1__ListFollowUpsResponse *fups = NULL;
  assert_int_equal(rt_store_list_follow_ups(reader, &all, &fups, &err), 0);
  assert_int_equal(fups->n_follow_ups, V1_FOLLOW_UPS);
  for (size_t i = 0; i < fups->n_follow_ups; i++)
    assert_int_equal(fups->follow_ups[i]->review_state,
                     RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_VALIDATED);
  uint64_t old_revision = fups->follow_ups[0]->revision;
  char *old_subject = strdup(fups->follow_ups[0]->subject_id);
  protobuf_c_message_free_unpacked(&fups->base, NULL);
  Rectrack__V1__ListCommitmentsRequest pending =
      RECTRACK__V1__LIST_COMMITMENTS_REQUEST__INIT;
  pending.pending_validation = true;
  pending.include_archived = true;
  Rectrack__V1__ListCommitmentsResponse *none = NULL;
  assert_int_equal(
      rt_store_list_commitments(reader, &pending, "2025-01-01", &none, &err),
      0);
  assert_int_equal(none->n_commitments, 0);
  protobuf_c_message_free_unpacked(&none->base, NULL);
  rt_store_reader_end(reader);

  /* R72 keeps the status of its latest recorded report. */
  Rectrack__V1__Recommendation *r72 = fx_get_recommendation(store, "R72");
  assert_int_equal(r72->status, RECTRACK__V1__STATUS__STATUS_STALLED);
  assert_int_equal(r72->pending_count, 0);
  assert_int_equal(r72->reported_status,
                   RECTRACK__V1__STATUS__STATUS_UNSPECIFIED);
  protobuf_c_message_free_unpacked(&r72->base, NULL);

  /* C16's actor submits a measurement; it counts once validated. */
  Rectrack__V1__Commitment *c16 = fx_get_commitment(store, "C16");
  double latest = c16->latest_value;
  const char *actors[] = {c16->actor_id};
  Rectrack__V1__Measurement m = RECTRACK__V1__MEASUREMENT__INIT;
  m.commitment_id = "C16";
  m.value = latest + 1;
  m.as_of = "2030-12-31";
  rt_write_op_t op = fx_op(RT_OP_RECORD_MEASUREMENT, &m);
  op.principal = "ministry";
  op.role = RT_WRITE_ROLE_REPORTER;
  op.actors = actors;
  op.n_actors = 1;
  assert_int_equal(fx_apply(store, &op), 0);
  uint64_t submitted = op.revision;
  rt_write_ops_release(&op, 1);
  protobuf_c_message_free_unpacked(&c16->base, NULL);
  c16 = fx_get_commitment(store, "C16");
  assert_true(c16->latest_value == latest);
  assert_int_equal(c16->pending_count, 1);
  protobuf_c_message_free_unpacked(&c16->base, NULL);

  Rectrack__V1__ValidateSubmissionRequest decision =
      RECTRACK__V1__VALIDATE_SUBMISSION_REQUEST__INIT;
  decision.subject_id = "C16";
  decision.revision = submitted;
  decision.decision = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_VALIDATED;
  op = fx_op(RT_OP_VALIDATE_SUBMISSION, &decision);
  assert_int_equal(fx_apply(store, &op), 0);
  rt_write_ops_release(&op, 1);
  c16 = fx_get_commitment(store, "C16");
  assert_true(c16->latest_value == latest + 1);
  assert_int_equal(c16->pending_count, 0);
  protobuf_c_message_free_unpacked(&c16->base, NULL);

  /* An old report has nothing to decide. */
  decision.subject_id = old_subject;
  decision.revision = old_revision;
  op = fx_op(RT_OP_VALIDATE_SUBMISSION, &decision);
  assert_int_equal(fx_apply(store, &op), RT_EPRECOND);
  assert_non_null(strstr(op.error.message, "predates validation"));
  rt_write_ops_release(&op, 1);
  free(old_subject);
  fx_expect_sound(store);
  rt_store_close(store);
}

static void test_dry_run_reports_and_changes_nothing(void **state) {
  upgrade_fixture_t *fx = *state;
  char data[128];
  snprintf(data, sizeof data, "%s/data.mdb", fx->dir);
  uint8_t before[32], after[32];
  hash_file(data, before);

  rt_store_upgrade_report_t report;
  rt_error_t err;
  assert_int_equal(rt_store_upgrade(fx->dir, NULL, true, &report, &err), 0);
  assert_int_equal(report.from_version, 1);
  assert_int_equal(report.to_version, RT_STORE_SCHEMA_VERSION);
  assert_true(report.lines_len >= 1);
  assert_non_null(strstr(report.lines[0], "request ids scoped"));
  rt_store_upgrade_report_free(&report);
  hash_file(data, after);
  assert_memory_equal(before, after, sizeof before);

  /* Still version 1: a build told not to upgrade refuses it, naming the
   * command that would. */
  rt_store_options_t refuse = {.refuse_upgrade = true};
  rt_store_t *store = NULL;
  assert_int_equal(rt_store_open(&store, fx->dir, &refuse, &err), RT_EVERSION);
  assert_null(store);
  assert_non_null(strstr(err.message, "needs an upgrade"));
  assert_non_null(strstr(err.message, "rectrack-admin upgrade"));
}

static void test_upgrade_on_request_then_nothing_to_do(void **state) {
  upgrade_fixture_t *fx = *state;
  rt_store_upgrade_report_t report;
  rt_error_t err;
  assert_int_equal(rt_store_upgrade(fx->dir, NULL, false, &report, &err), 0);
  assert_true(report.lines_len >= 1);
  rt_store_upgrade_report_free(&report);

  rt_store_options_t refuse = {.refuse_upgrade = true};
  rt_store_t *store = NULL;
  assert_int_equal(rt_store_open(&store, fx->dir, &refuse, &err), 0);
  expect_fixture_counts(store);
  fx_expect_sound(store);
  rt_store_close(store);

  assert_int_equal(rt_store_upgrade(fx->dir, NULL, false, &report, &err), 0);
  assert_int_equal(report.from_version, RT_STORE_SCHEMA_VERSION);
  assert_int_equal(report.lines_len, 0);
  rt_store_upgrade_report_free(&report);
}

/* A request id left unscoped, or pointing at another principal's change,
 * is named by the verifier. */
static void test_verify_names_a_request_id_without_its_principal(void **state) {
  upgrade_fixture_t *fx = *state;
  rt_store_close(open_store(fx));
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi requests;
  assert_int_equal(mdb_env_create(&env), 0);
  mdb_env_set_maxdbs(env, 32);
  assert_int_equal(mdb_env_open(env, fx->dir, 0, 0600), 0);
  assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
  assert_int_equal(mdb_dbi_open(txn, "requests", 0, &requests), 0);
  uint8_t value[9] = {0, 0, 0, 0, 0, 0, 0, 1, 1};
  MDB_val key = {14, "unscoped-reqid"}, data = {9, value};
  assert_int_equal(mdb_put(txn, requests, &key, &data, 0), 0);
  MDB_val other = {17, "sec-b\0wrong-owner"};
  assert_int_equal(mdb_put(txn, requests, &other, &data, 0), 0);
  assert_int_equal(mdb_txn_commit(txn), 0);
  mdb_env_close(env);

  rt_store_t *store = open_store(fx);
  rt_verify_report_t report;
  rt_error_t err;
  assert_int_equal(rt_store_verify(store, &report, &err), 0);
  assert_int_equal(report.problem_count, 2);
  bool unscoped = false, foreign = false;
  for (size_t i = 0; i < report.problems_len; i++) {
    unscoped |= strstr(report.problems[i], "not scoped") != NULL;
    foreign |= strstr(report.problems[i], "wrong-owner") != NULL;
  }
  assert_true(unscoped && foreign);
  rt_verify_report_free(&report);
  rt_store_close(store);
}

static void test_upgrading_a_directory_without_data_is_refused(void **state) {
  (void)state;
  rt_store_upgrade_report_t report;
  rt_error_t err;
  assert_int_equal(rt_store_upgrade("/tmp/rt-upgrade-no-such-dir", NULL, false,
                                    &report, &err),
                   RT_ENOTFOUND);
  assert_non_null(strstr(err.message, "holds no rectrack data"));
  rt_store_upgrade_report_free(&report);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_opening_a_v1_directory_upgrades_it,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_request_ids_belong_to_their_principal, setup, teardown),
      cmocka_unit_test_setup_teardown(test_old_history_counts_as_validated,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_dry_run_reports_and_changes_nothing,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_upgrade_on_request_then_nothing_to_do, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_verify_names_a_request_id_without_its_principal, setup,
          teardown),
      cmocka_unit_test(test_upgrading_a_directory_without_data_is_refused),
      cmocka_unit_test_setup_teardown(
          test_upgrade_builds_every_index_and_the_word_index, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
