/*
 * Upgrades of data directories written by older builds. Each test copies
 * a fixture into a fresh directory and opens or upgrades the copy; the
 * committed fixtures are never opened in place. tests/fixtures/datadir-v1
 * was written by release 0.1.0 (schema 1), tests/fixtures/datadir-v3 by
 * the release of schema 3, with reports recorded out of date order; each
 * one's FIXTURE.txt says what it holds.
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

/* What the fixtures hold (FIXTURE.txt). The upgrade to schema 4 appends
 * one log entry per subject whose status the rule changes: R72 in v1;
 * R69, R70, R71, R72 and C16 in v3. */
#define V1_REVISION 271
#define V1_STATUS_CHANGES 1
#define V3_REVISION 277
#define V3_STATUS_CHANGES 5
#define V1_RECOMMENDATIONS 73
#define V1_COMMITMENTS 16
#define V1_FOLLOW_UPS 88
#define V1_MEASUREMENTS 20

typedef struct upgrade_fixture {
  char dir[64];
  int version; /* of the fixture copied */
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

static int setup_version(void **state, int version) {
  upgrade_fixture_t *fx = calloc(1, sizeof *fx);
  snprintf(fx->dir, sizeof fx->dir, "/tmp/rt-upgrade-XXXXXX");
  if (mkdtemp(fx->dir) == NULL)
    return -1;
  fx->version = version;
  char data[128], fixture[256];
  snprintf(data, sizeof data, "%s/data.mdb", fx->dir);
  snprintf(fixture, sizeof fixture, "%s/datadir-v%d/data.mdb", RT_FIXTURE_DIR,
           version);
  copy_file(fixture, data);
  *state = fx;
  return 0;
}

static int setup(void **state) { return setup_version(state, 1); }
static int setup_v3(void **state) { return setup_version(state, 3); }

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
  assert_int_equal(counts.revision, V1_REVISION + V1_STATUS_CHANGES);
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
  assert_true(notices_mention(
      fx, "R72: status stalled -> implemented: the report of 2024-09-01 is "
          "the latest"));
  assert_true(notices_mention(fx, "schema 3 -> 4"));
  assert_true(notices_mention(fx, "schema 4 -> 5"));
  /* A tag outside the reference lists is named, and the record kept. */
  assert_true(notices_mention(fx, "R73 carries SDG target 10.99, which is "
                                  "not an SDG target (targets of goal 10: "));
  assert_true(notices_mention(fx, "correct it with rectrack rec edit R73. "
                                  "(kept as it is)"));
  expect_fixture_counts(store);
  fx_expect_sound(store);
  Rectrack__V1__Recommendation *rec = fx_get_recommendation(store, "R72");
  assert_non_null(rec);
  assert_string_equal(rec->title,
                      "Fixture: a recommendation reported on out of order");
  assert_int_equal(rec->status, RECTRACK__V1__STATUS__STATUS_IMPLEMENTED);
  assert_string_equal(rec->last_follow_up_as_of, "2024-09-01");
  assert_string_equal(rec->updated_by, "rectrack-upgrade");
  assert_int_equal(rec->revision, V1_REVISION + 1);
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

/* Schema 7: an older directory gets the dimension keys database, its
 * measurements keep no dimensions and stay every commitment's overall
 * figure (no series), and disaggregated ones can be recorded at once. */
static void test_upgrade_opens_the_way_to_series(void **state) {
  upgrade_fixture_t *fx = *state;
  rt_store_t *store = open_store(fx);
  assert_true(notices_mention(fx, "schema 6 -> 7: measurements may carry "
                                  "dimensions"));
  rt_store_reader_t *reader = NULL;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  Rectrack__V1__DimensionKey **keys = NULL;
  size_t n_keys = 9;
  assert_int_equal(rt_store_list_dimension_keys(reader, &keys, &n_keys, &err),
                   0);
  assert_int_equal(n_keys, 0);
  /* The first quantified commitment of the fixture. */
  Rectrack__V1__Commitment *com = NULL;
  char id[8];
  for (int i = 1; i <= 40 && com == NULL; i++) {
    snprintf(id, sizeof id, "C%d", i);
    if (rt_store_get_commitment(reader, id, &com, &err) != 0)
      break;
    if (com->indicator == NULL) {
      protobuf_c_message_free_unpacked(&com->base, NULL);
      com = NULL;
    }
  }
  rt_store_reader_end(reader);
  assert_non_null(com);
  assert_int_equal(com->series_count, 0);
  double overall = com->latest_value;
  protobuf_c_message_free_unpacked(&com->base, NULL);
  Rectrack__V1__Dimension corridor = RECTRACK__V1__DIMENSION__INIT;
  corridor.key = (char *)"corridor";
  corridor.value = (char *)"GBR-NGA";
  Rectrack__V1__Dimension *dims[] = {&corridor};
  Rectrack__V1__Measurement m = RECTRACK__V1__MEASUREMENT__INIT;
  m.commitment_id = id;
  m.value = 123.5;
  m.as_of = (char *)"2025-06-30";
  m.dimensions = dims;
  m.n_dimensions = 1;
  rt_write_op_t op = fx_op(RT_OP_RECORD_MEASUREMENT, &m);
  assert_int_equal(fx_apply(store, &op), 0);
  rt_write_ops_release(&op, 1);
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  assert_int_equal(rt_store_get_commitment(reader, id, &com, &err), 0);
  assert_int_equal(com->series_count, 1);
  assert_true(com->latest_value == overall); /* the overall figure stays */
  uint8_t *series = NULL;
  size_t series_len = 0;
  assert_int_equal(rt_store_commitment_computed_packed(reader, id, &series,
                                                       &series_len, &err),
                   0);
  assert_true(series_len > 0);
  Rectrack__V1__Commitment *only =
      rectrack__v1__commitment__unpack(NULL, series_len, series);
  assert_non_null(only);
  assert_int_equal(only->n_series, 1);
  assert_true(only->series[0]->latest_value == 123.5);
  assert_string_equal(only->series[0]->dimensions[0]->value, "GBR-NGA");
  protobuf_c_message_free_unpacked(&only->base, NULL);
  free(series);
  protobuf_c_message_free_unpacked(&com->base, NULL);
  rt_store_reader_end(reader);
  fx_expect_sound(store);
  rt_store_close(store);
}

/* Schema 8: every commitment of an older directory reads, and is listed,
 * as an individual pledge; it can then be made a joint one whose partner
 * reports its own part. */
static void test_upgrade_reads_old_pledges_as_individual(void **state) {
  upgrade_fixture_t *fx = *state;
  rt_store_t *store = open_store(fx);
  assert_true(notices_mention(fx, "schema 7 -> 8: commitments may be common, "
                                  "partnership or matching pledges"));
  rt_store_reader_t *reader = NULL;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  Rectrack__V1__ListCommitmentsRequest req =
      RECTRACK__V1__LIST_COMMITMENTS_REQUEST__INIT;
  req.page_size = 1000;
  Rectrack__V1__ListCommitmentsResponse *all = NULL, *individual = NULL;
  assert_int_equal(
      rt_store_list_commitments(reader, &req, "2025-01-01", &all, &err), 0);
  req.pledge_type = RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_INDIVIDUAL;
  assert_int_equal(
      rt_store_list_commitments(reader, &req, "2025-01-01", &individual, &err),
      0);
  assert_true(all->n_commitments > 0);
  assert_int_equal(individual->n_commitments, all->n_commitments);
  /* A partner for C1: the actor of another commitment. */
  const char *lead = all->commitments[0]->actor_id, *partner = NULL;
  for (size_t i = 1; i < all->n_commitments && partner == NULL; i++)
    if (strcmp(all->commitments[i]->actor_id, lead) != 0)
      partner = all->commitments[i]->actor_id;
  assert_non_null(partner);
  char *partners[] = {(char *)partner};
  Rectrack__V1__Commitment change = RECTRACK__V1__COMMITMENT__INIT;
  change.id = all->commitments[0]->id;
  change.pledge_type = RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_PARTNERSHIP;
  change.partner_ids = partners;
  change.n_partner_ids = 1;
  static const char *const mask[] = {"pledge_type", "partner_ids"};
  rt_write_op_t op = fx_update_op(RT_OP_UPDATE_COMMITMENT, &change, mask, 2);
  rt_store_reader_end(reader);
  assert_int_equal(fx_apply(store, &op), 0);
  rt_write_ops_release(&op, 1);
  Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
  fu.subject_id = change.id;
  fu.partner_id = (char *)partner;
  fu.status = RECTRACK__V1__STATUS__STATUS_IN_PROGRESS;
  fu.as_of = (char *)"2025-06-30";
  op = fx_op(RT_OP_RECORD_FOLLOW_UP, &fu);
  assert_int_equal(fx_apply(store, &op), 0);
  rt_write_ops_release(&op, 1);
  Rectrack__V1__Commitment *com = fx_get_commitment(store, change.id);
  assert_int_equal(com->n_partner_statuses, 1);
  assert_int_equal(com->partner_statuses[0]->status,
                   RECTRACK__V1__STATUS__STATUS_IN_PROGRESS);
  assert_int_equal(com->status, all->commitments[0]->status);
  protobuf_c_message_free_unpacked(&com->base, NULL);
  protobuf_c_message_free_unpacked(&all->base, NULL);
  protobuf_c_message_free_unpacked(&individual->base, NULL);
  fx_expect_sound(store);
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

  /* R72 takes the status of its report with the latest date, recorded
   * before a report of an earlier day. */
  Rectrack__V1__Recommendation *r72 = fx_get_recommendation(store, "R72");
  assert_int_equal(r72->status, RECTRACK__V1__STATUS__STATUS_IMPLEMENTED);
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
  m.as_of = "2025-12-31";
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

/* ---- schema 4 -> 5: the status rule ------------------------------------ */

/* The ids of the active recommendations (commitments when commitments)
 * with status (0: any) that are overdue as of overdue_as_of (NULL: not
 * asked), joined by spaces. */
static void list_ids(rt_store_t *store, bool commitments, int status,
                     const char *overdue_as_of, char *out, size_t size) {
  rt_store_reader_t *reader = NULL;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  Rectrack__V1__Status statuses[1] = {(Rectrack__V1__Status)status};
  size_t used = 0;
  out[0] = '\0';
  if (commitments) {
    Rectrack__V1__ListCommitmentsRequest req =
        RECTRACK__V1__LIST_COMMITMENTS_REQUEST__INIT;
    req.page_size = 1000;
    req.statuses = status ? statuses : NULL;
    req.n_statuses = status ? 1 : 0;
    req.overdue_only = overdue_as_of != NULL;
    req.as_of = (char *)(overdue_as_of ? overdue_as_of : "");
    Rectrack__V1__ListCommitmentsResponse *page = NULL;
    assert_int_equal(
        rt_store_list_commitments(reader, &req, "2025-01-01", &page, &err), 0);
    for (size_t i = 0; i < page->n_commitments; i++)
      used += (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "",
                               page->commitments[i]->id);
    protobuf_c_message_free_unpacked(&page->base, NULL);
  } else {
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
    for (size_t i = 0; i < page->n_recommendations; i++)
      used += (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "",
                               page->recommendations[i]->id);
    protobuf_c_message_free_unpacked(&page->base, NULL);
  }
  rt_store_reader_end(reader);
}

static bool listed(const char *ids, const char *id) {
  size_t len = strlen(id);
  for (const char *p = strstr(ids, id); p != NULL; p = strstr(p + 1, id))
    if ((p == ids || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
      return true;
  return false;
}

static const char *const v3_lines[] = {
    "R69: status stalled -> implemented: the report of 2024-09-01 is the "
    "latest",
    "R70: status not-started -> partially-implemented: the report of "
    "2024-04-01 is the latest",
    "R71: self-reported status not-started -> in-progress: the submission of "
    "2024-08-01 awaiting validation is the latest",
    "R72: status stalled -> implemented: the report of 2024-07-01 is the "
    "latest",
    "C16: status partially-implemented -> implemented: the report of "
    "2024-06-01 is the latest",
    "R73: the follow-up recorded at revision 277 speaks of 2099-01-01, a day "
    "not yet come",
    "schema 3 -> 4: the indexes of",
    "schema 4 -> 5: themes the secretariat adds at run time",
    "schema 4 -> 5: a status is that of the validated report with the latest "
    "date (the later recorded of one day); 4 recommendations and 1 "
    "commitment took a new status",
    "schema 5 -> 6: recommendations may link to others",
    "schema 5 -> 6: 73 recommendations indexed by how specific they are",
    "schema 6 -> 7: measurements may carry dimensions",
    "schema 7 -> 8: commitments may be common, partnership or matching "
    "pledges",
};

typedef struct log_tail {
  size_t entries;
  size_t by_upgrade;
  char subjects[160];
  bool status_named; /* every upgrade entry names "status" or its as_of */
} log_tail_t;

static int visit_tail(const Rectrack__V1__ChangeEvent *event,
                      const uint8_t *packed, size_t packed_len, void *data) {
  (void)packed;
  (void)packed_len;
  log_tail_t *tail = data;
  tail->entries++;
  if (strcmp(event->principal, "rectrack-upgrade") != 0)
    return 0;
  tail->by_upgrade++;
  size_t used = strlen(tail->subjects);
  snprintf(tail->subjects + used, sizeof tail->subjects - used, "%s%s",
           used ? " " : "", event->subject_id);
  bool named = event->n_changed_fields > 0 &&
               event->kind == RECTRACK__V1__CHANGE_KIND__CHANGE_KIND_UPDATED &&
               (event->recommendation != NULL || event->commitment != NULL);
  tail->status_named = (tail->by_upgrade == 1 || tail->status_named) && named;
  return 0;
}

/* Opening a directory of schema 3 works every status out again by the
 * rule: each change named in a sentence, written with its status index
 * entry and a log entry of its own; overdue and lists follow. */
static void test_opening_a_v3_directory_applies_the_status_rule(void **state) {
  upgrade_fixture_t *fx = *state;
  rt_store_t *store = open_store(fx);
  for (size_t i = 0; i < sizeof v3_lines / sizeof v3_lines[0]; i++)
    if (!notices_mention(fx, v3_lines[i]))
      fail_msg("the upgrade did not say: %s", v3_lines[i]);
  assert_false(notices_mention(fx, "schema 1 -> 2"));

  struct {
    const char *id;
    int status;
    const char *as_of;
  } expected[] = {
      {"R69", RECTRACK__V1__STATUS__STATUS_IMPLEMENTED, "2024-09-01"},
      {"R70", RECTRACK__V1__STATUS__STATUS_PARTIALLY_IMPLEMENTED, "2024-04-01"},
      {"R71", RECTRACK__V1__STATUS__STATUS_NO_INFORMATION, ""},
      {"R72", RECTRACK__V1__STATUS__STATUS_IMPLEMENTED, "2024-07-01"},
      {"R73", RECTRACK__V1__STATUS__STATUS_IMPLEMENTED, "2099-01-01"},
  };
  for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
    Rectrack__V1__Recommendation *r =
        fx_get_recommendation(store, expected[i].id);
    assert_int_equal(r->status, expected[i].status);
    assert_string_equal(r->last_follow_up_as_of, expected[i].as_of);
    protobuf_c_message_free_unpacked(&r->base, NULL);
  }
  Rectrack__V1__Recommendation *r71 = fx_get_recommendation(store, "R71");
  assert_int_equal(r71->reported_status,
                   RECTRACK__V1__STATUS__STATUS_IN_PROGRESS);
  assert_string_equal(r71->reported_as_of, "2024-08-01");
  assert_int_equal(r71->pending_count, 2);
  protobuf_c_message_free_unpacked(&r71->base, NULL);
  Rectrack__V1__Commitment *c16 = fx_get_commitment(store, "C16");
  assert_int_equal(c16->status, RECTRACK__V1__STATUS__STATUS_IMPLEMENTED);
  assert_string_equal(c16->updated_by, "rectrack-upgrade");
  protobuf_c_message_free_unpacked(&c16->base, NULL);

  /* The status index and overdue follow the new statuses. */
  char ids[2048];
  list_ids(store, false, RECTRACK__V1__STATUS__STATUS_STALLED, NULL, ids,
           sizeof ids);
  assert_false(listed(ids, "R69"));
  assert_false(listed(ids, "R72"));
  list_ids(store, false, RECTRACK__V1__STATUS__STATUS_IMPLEMENTED, NULL, ids,
           sizeof ids);
  assert_true(listed(ids, "R69") && listed(ids, "R72") && listed(ids, "R73"));
  list_ids(store, false, 0, "2025-01-01", ids, sizeof ids);
  assert_false(listed(ids, "R69")); /* due 2024-06-30, implemented */
  list_ids(store, true, 0, "2025-01-01", ids, sizeof ids);
  assert_false(listed(ids, "C16"));

  /* One log entry per subject changed, appended after the old log. */
  rt_store_reader_t *reader = NULL;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  log_tail_t tail = {0};
  assert_int_equal(
      rt_store_log_scan(reader, V3_REVISION + 1, 0, visit_tail, &tail, &err),
      0);
  rt_store_reader_end(reader);
  assert_int_equal(tail.entries, V3_STATUS_CHANGES);
  assert_int_equal(tail.by_upgrade, V3_STATUS_CHANGES);
  assert_string_equal(tail.subjects, "R69 R70 R71 R72 C16");
  assert_true(tail.status_named);

  /* Sound, with the report dated 2099 named as a notice. */
  rt_verify_report_t report;
  assert_int_equal(rt_store_verify(store, &report, &err), 0);
  assert_int_equal(report.problem_count, 0);
  assert_int_equal(report.notice_count, 1);
  assert_non_null(strstr(report.notices[0], "R73"));
  assert_non_null(strstr(report.notices[0], "2099-01-01"));
  rt_verify_report_free(&report);
  rt_store_close(store);
}

/* The dry run says what the upgrade then does, line for line, and leaves
 * the file as it was. */
static void test_v3_dry_run_reports_what_the_upgrade_does(void **state) {
  upgrade_fixture_t *fx = *state;
  char data[128];
  snprintf(data, sizeof data, "%s/data.mdb", fx->dir);
  uint8_t before[32], after[32];
  hash_file(data, before);
  rt_store_upgrade_report_t dry, real;
  rt_error_t err;
  assert_int_equal(rt_store_upgrade(fx->dir, NULL, true, &dry, &err), 0);
  hash_file(data, after);
  assert_memory_equal(before, after, sizeof before);
  assert_int_equal(dry.from_version, 3);
  assert_int_equal(rt_store_upgrade(fx->dir, NULL, false, &real, &err), 0);
  assert_int_equal(dry.lines_len, real.lines_len);
  assert_int_equal(dry.lines_len, sizeof v3_lines / sizeof v3_lines[0]);
  for (size_t i = 0; i < dry.lines_len; i++)
    assert_string_equal(dry.lines[i], real.lines[i]);
  rt_store_upgrade_report_free(&dry);
  rt_store_upgrade_report_free(&real);
  rt_store_t *store = open_store(fx);
  assert_int_equal(fx->notice_count, 0);
  rt_verify_report_t report;
  assert_int_equal(rt_store_verify(store, &report, &err), 0);
  assert_int_equal(report.problem_count, 0);
  rt_verify_report_free(&report);
  rt_store_close(store);
}

/* After the upgrade a back-dated report leaves the status alone, and one
 * of the latest day decides it. */
static void test_after_the_upgrade_reports_follow_the_rule(void **state) {
  upgrade_fixture_t *fx = *state;
  rt_store_t *store = open_store(fx);
  assert_int_equal(fx_follow_up(store, "R69",
                                RECTRACK__V1__STATUS__STATUS_STALLED,
                                "2024-08-31"),
                   0);
  Rectrack__V1__Recommendation *r = fx_get_recommendation(store, "R69");
  assert_int_equal(r->status, RECTRACK__V1__STATUS__STATUS_IMPLEMENTED);
  protobuf_c_message_free_unpacked(&r->base, NULL);
  assert_int_equal(fx_follow_up(store, "R69",
                                RECTRACK__V1__STATUS__STATUS_STALLED,
                                "2024-09-01"),
                   0);
  r = fx_get_recommendation(store, "R69");
  assert_int_equal(r->status, RECTRACK__V1__STATUS__STATUS_STALLED);
  protobuf_c_message_free_unpacked(&r->base, NULL);
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
      cmocka_unit_test_setup_teardown(
          test_opening_a_v3_directory_applies_the_status_rule, setup_v3,
          teardown),
      cmocka_unit_test_setup_teardown(
          test_v3_dry_run_reports_what_the_upgrade_does, setup_v3, teardown),
      cmocka_unit_test_setup_teardown(
          test_after_the_upgrade_reports_follow_the_rule, setup_v3, teardown),
      cmocka_unit_test(test_upgrading_a_directory_without_data_is_refused),
      cmocka_unit_test_setup_teardown(
          test_upgrade_reads_old_pledges_as_individual, setup, teardown),
      cmocka_unit_test_setup_teardown(test_upgrade_opens_the_way_to_series,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_upgrade_builds_every_index_and_the_word_index, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
