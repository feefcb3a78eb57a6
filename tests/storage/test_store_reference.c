/*
 * The reference lists in the store. A write carrying an SDG target, GCM
 * objective or theme outside the lists, or evidence that is neither an
 * http(s) URL nor a DOI, is refused with the closest valid values. A
 * record written before the lists were enforced is kept as it is, and the
 * verifier names it in a notice, not a problem: tests/fixtures/datadir-v1
 * (release 0.1.0) holds R73, tagged SDG 10.99 and theme "no-such-theme".
 * Each test on it works on a copy in a fresh directory; the committed
 * fixture is never opened in place.
 */
#include "store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef RT_FIXTURE_DIR
#error "RT_FIXTURE_DIR names tests/fixtures"
#endif

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

/* A fixture_t whose store is a copy of datadir-v1, upgraded on open. */
static int setup_v1_copy(void **state) {
  fixture_t *fx = calloc(1, sizeof *fx);
  assert_non_null(fx);
  snprintf(fx->dir, sizeof fx->dir, "/tmp/rt-reference-XXXXXX");
  assert_non_null(mkdtemp(fx->dir));
  char data[128];
  snprintf(data, sizeof data, "%s/data.mdb", fx->dir);
  copy_file(RT_FIXTURE_DIR "/datadir-v1/data.mdb", data);
  rt_error_t err;
  if (rt_store_open(&fx->store, fx->dir, NULL, &err) != 0)
    fail_msg("open: %s", err.message);
  *state = fx;
  return 0;
}

static bool has_notice(const rt_verify_report_t *report, const char *text) {
  for (size_t i = 0; i < report->notices_len; i++)
    if (strcmp(report->notices[i], text) == 0)
      return true;
  return false;
}

static void test_verify_names_a_record_outside_the_lists(void **state) {
  fixture_t *fx = *state;
  rt_verify_report_t report;
  rt_error_t err;
  assert_int_equal(rt_store_verify(fx->store, &report, &err), 0);
  if (report.problem_count != 0)
    fail_msg("not sound: %s", report.problems[0]);
  assert_int_equal(report.notice_count, 2);
  assert_int_equal(report.notices_len, 2);
  assert_true(has_notice(
      &report, "R73 carries SDG target 10.99, which is not an SDG target "
               "(targets of goal 10: 10.1 ... 10.7, 10.a, 10.b, 10.c): "
               "correct it with rectrack rec edit R73."));
  assert_true(has_notice(
      &report, "R73 carries theme \"no-such-theme\", which is not a listed "
               "theme: correct it with rectrack rec edit R73."));
  rt_verify_report_free(&report);
  assert_null(report.notices);
}

static void test_a_record_outside_the_lists_is_kept(void **state) {
  fixture_t *fx = *state;
  fx_expect_sound(fx->store);
  Rectrack__V1__Recommendation *rec = fx_get_recommendation(fx->store, "R73");
  assert_non_null(rec);
  assert_int_equal(rec->n_sdg_targets, 1);
  assert_string_equal(rec->sdg_targets[0], "10.99");
  assert_string_equal(rec->theme, "no-such-theme");
  assert_int_equal(rec->n_gcm_objectives, 1);
  assert_int_equal(rec->gcm_objectives[0], 23);
  assert_true(rec->archived);
  protobuf_c_message_free_unpacked(&rec->base, NULL);

  rt_store_reader_t *reader = NULL;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(fx->store, &reader, &err), 0);
  rt_store_counts_t counts;
  assert_int_equal(rt_store_count(reader, &counts, &err), 0);
  assert_int_equal(counts.recommendations, 73);
  assert_int_equal(counts.commitments, 16);
  rt_store_reader_end(reader);
}

/* The write path refuses what the verifier only notes. */
static void test_new_tags_outside_the_lists_are_refused(void **state) {
  fixture_t *fx = *state;
  struct {
    const char *target, *fragment;
  } bad[] = {
      {"10.99", "\"10.99\" is not an SDG target; targets of goal 10: "
                "10.1 ... 10.7, 10.a, 10.b, 10.c"},
      {"1.z", "targets of goal 1: 1.1 ... 1.5, 1.a, 1.b"},
      {"18.1", "the goals are 1..17"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *sdg[] = {(char *)"10.7", (char *)bad[i].target};
    Rectrack__V1__Recommendation rec = fx_recommendation("Tagged outside");
    rec.sdg_targets = sdg;
    rt_write_op_t op = fx_op(RT_OP_CREATE_RECOMMENDATION, &rec);
    assert_int_equal(fx_apply(fx->store, &op), RT_EINVAL);
    assert_string_equal(op.error.field, "recommendation.sdg_targets[1]");
    if (strstr(op.error.message, bad[i].fragment) == NULL)
      fail_msg("%s: %s", bad[i].target, op.error.message);
    rt_write_ops_release(&op, 1);
  }
  int32_t gcm[] = {24};
  Rectrack__V1__Commitment com = fx_commitment("Tagged outside");
  com.gcm_objectives = gcm;
  com.n_gcm_objectives = 1;
  rt_write_op_t op = fx_op(RT_OP_CREATE_COMMITMENT, &com);
  assert_int_equal(fx_apply(fx->store, &op), RT_EINVAL);
  assert_string_equal(op.error.field, "commitment.gcm_objectives[0]");
  assert_non_null(strstr(op.error.message, "objectives 1..23"));
  rt_write_ops_release(&op, 1);
}

/* Themes and evidence are checked at the same place, on every write. */
static void test_unknown_themes_and_bad_evidence_are_refused(void **state) {
  fixture_t *fx = *state;
  Rectrack__V1__Recommendation rec = fx_recommendation("Themed outside");
  rec.theme = (char *)"remitances";
  rt_write_op_t op = fx_op(RT_OP_CREATE_RECOMMENDATION, &rec);
  assert_int_equal(fx_apply(fx->store, &op), RT_EINVAL);
  assert_string_equal(op.error.field, "recommendation.theme");
  if (strstr(op.error.message, "did you mean \"remittances\"") == NULL)
    fail_msg("%s", op.error.message);
  rt_write_ops_release(&op, 1);

  Rectrack__V1__Recommendation good = fx_recommendation("Themed within");
  good.theme = (char *)"remittances";
  char *id = fx_create_recommendation(fx->store, &good);
  char *evidence[] = {(char *)"https://example.org/report.pdf",
                      (char *)"not a url"};
  Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
  fu.subject_id = id;
  fu.status = RECTRACK__V1__STATUS__STATUS_IN_PROGRESS;
  fu.evidence = evidence;
  fu.n_evidence = 2;
  op = fx_op(RT_OP_RECORD_FOLLOW_UP, &fu);
  assert_int_equal(fx_apply(fx->store, &op), RT_EINVAL);
  assert_string_equal(op.error.field, "follow_up.evidence[1]");
  if (strstr(op.error.message, "not a url") == NULL)
    fail_msg("%s", op.error.message);
  rt_write_ops_release(&op, 1);
  evidence[1] = (char *)"doi:10.1234/migration.2024.5";
  op = fx_op(RT_OP_RECORD_FOLLOW_UP, &fu);
  assert_int_equal(fx_apply(fx->store, &op), 0);
  rt_write_ops_release(&op, 1);
  free(id);
}

static void test_a_store_within_the_lists_has_no_notices(void **state) {
  fixture_t *fx = *state;
  Rectrack__V1__Recommendation rec = fx_recommendation("Tagged within");
  free(fx_create_recommendation(fx->store, &rec));
  rt_verify_report_t report;
  rt_error_t err;
  assert_int_equal(rt_store_verify(fx->store, &report, &err), 0);
  assert_int_equal(report.problem_count, 0);
  assert_int_equal(report.notice_count, 0);
  rt_verify_report_free(&report);
}

/* ---- themes added at run time ------------------------------------------ */

static int add_theme(rt_store_t *store, const char *id, const char *title,
                     const char *request_id, rt_write_op_t *out) {
  Rectrack__V1__Theme theme = RECTRACK__V1__THEME__INIT;
  theme.id = (char *)id;
  theme.title = (char *)title;
  theme.source_ref = (char *)"GFMD 2024, roundtable 2.1";
  rt_write_op_t op = fx_op(RT_OP_CREATE_THEME, &theme);
  op.request_id = request_id;
  int rc = fx_apply(store, &op);
  if (out != NULL)
    *out = op;
  else
    rt_write_ops_release(&op, 1);
  return rc;
}

/* The secretariat adds a theme; records may carry it from then on, a
 * misspelling of it is answered with it, and it is listed and logged. */
static void test_an_added_theme_is_accepted_and_listed(void **state) {
  fixture_t *fx = *state;
  Rectrack__V1__Recommendation rec = fx_recommendation("On labour mobility");
  rec.theme = (char *)"labour-mobility";
  rt_write_op_t op = fx_op(RT_OP_CREATE_RECOMMENDATION, &rec);
  assert_int_equal(fx_apply(fx->store, &op), RT_EINVAL);
  rt_write_ops_release(&op, 1);

  rt_write_op_t added;
  assert_int_equal(add_theme(fx->store, "labour-mobility",
                             "Labour mobility and skills", "theme-1", &added),
                   0);
  Rectrack__V1__Theme *reply =
      rectrack__v1__theme__unpack(NULL, added.reply_len, added.reply);
  assert_non_null(reply);
  assert_true(reply->added);
  assert_int_equal(reply->revision, added.revision);
  assert_string_equal(reply->created_by, "tester");
  assert_string_equal(reply->title, "Labour mobility and skills");
  protobuf_c_message_free_unpacked(&reply->base, NULL);
  uint64_t revision = added.revision;
  rt_write_ops_release(&added, 1);

  char *id = fx_create_recommendation(fx->store, &rec);
  free(id);
  Rectrack__V1__Commitment com = fx_commitment("On labour mobility");
  com.theme = (char *)"labour-mobility";
  free(fx_create_commitment(fx->store, &com));

  rec.theme = (char *)"labour-mobilty";
  op = fx_op(RT_OP_CREATE_RECOMMENDATION, &rec);
  assert_int_equal(fx_apply(fx->store, &op), RT_EINVAL);
  assert_string_equal(op.error.field, "recommendation.theme");
  if (strstr(op.error.message, "did you mean \"labour-mobility\"") == NULL ||
      strstr(op.error.message, "remittances") == NULL)
    fail_msg("%s", op.error.message);
  rt_write_ops_release(&op, 1);

  /* The same request again is answered with the theme, nothing new. */
  assert_int_equal(add_theme(fx->store, "labour-mobility",
                             "Labour mobility and skills", "theme-1", &added),
                   0);
  assert_true(added.replayed);
  assert_int_equal(added.revision, revision);
  rt_write_ops_release(&added, 1);

  rt_store_reader_t *reader = NULL;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(fx->store, &reader, &err), 0);
  Rectrack__V1__Theme **themes = NULL;
  size_t count = 0;
  assert_int_equal(rt_store_list_themes(reader, &themes, &count, &err), 0);
  assert_int_equal(count, 1);
  assert_string_equal(themes[0]->id, "labour-mobility");
  assert_string_equal(themes[0]->source_ref, "GFMD 2024, roundtable 2.1");
  rt_store_themes_free(themes, count);
  rt_store_reader_end(reader);
  fx_expect_sound(fx->store);
}

/* An id taken (compiled or added), a bad id, a missing title; and a
 * reporter may not add themes. */
static void test_a_theme_that_cannot_be_added_is_refused(void **state) {
  fixture_t *fx = *state;
  rt_write_op_t op;
  assert_int_equal(add_theme(fx->store, "remittances", "Money", NULL, &op),
                   RT_EEXIST);
  assert_string_equal(op.error.field, "theme.id");
  assert_non_null(strstr(op.error.message, "is a theme of the reference "
                                           "lists already"));
  rt_write_ops_release(&op, 1);
  assert_int_equal(
      add_theme(fx->store, "climate-mobility", "Climate", NULL, NULL), 0);
  assert_int_equal(add_theme(fx->store, "climate-mobility", "Again", NULL, &op),
                   RT_EEXIST);
  assert_string_equal(op.error.message,
                      "theme 'climate-mobility' already exists");
  rt_write_ops_release(&op, 1);
  assert_int_equal(add_theme(fx->store, "Not A Slug", "Bad", NULL, &op),
                   RT_EINVAL);
  assert_string_equal(op.error.field, "theme.id");
  rt_write_ops_release(&op, 1);
  assert_int_equal(add_theme(fx->store, "no-title", "", NULL, &op), RT_EINVAL);
  assert_string_equal(op.error.field, "theme.title");
  rt_write_ops_release(&op, 1);

  Rectrack__V1__Theme theme = RECTRACK__V1__THEME__INIT;
  theme.id = (char *)"by-a-reporter";
  theme.title = (char *)"Reporter's theme";
  const char *actors[] = {"iom"};
  op = fx_op(RT_OP_CREATE_THEME, &theme);
  op.role = RT_WRITE_ROLE_REPORTER;
  op.actors = actors;
  op.n_actors = 1;
  assert_int_equal(fx_apply(fx->store, &op), RT_EPERM);
  rt_write_ops_release(&op, 1);
  fx_expect_sound(fx->store);
}

/* The verifier accepts the added themes and suggests them. */
static void test_verify_knows_the_added_themes(void **state) {
  fixture_t *fx = *state;
  assert_int_equal(
      add_theme(fx->store, "no-such-themes", "Late theme", NULL, NULL), 0);
  rt_verify_report_t report;
  rt_error_t err;
  assert_int_equal(rt_store_verify(fx->store, &report, &err), 0);
  assert_int_equal(report.problem_count, 0);
  assert_true(has_notice(
      &report, "R73 carries theme \"no-such-theme\", which is not a listed "
               "theme; did you mean \"no-such-themes\"?: correct it with "
               "rectrack rec edit R73."));
  rt_verify_report_free(&report);
  assert_int_equal(
      add_theme(fx->store, "no-such-theme", "Now listed", NULL, NULL), 0);
  assert_int_equal(rt_store_verify(fx->store, &report, &err), 0);
  assert_int_equal(report.problem_count, 0);
  assert_int_equal(report.notice_count, 1); /* SDG 10.99 remains */
  rt_verify_report_free(&report);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_verify_names_a_record_outside_the_lists, setup_v1_copy,
          fx_teardown),
      cmocka_unit_test_setup_teardown(test_a_record_outside_the_lists_is_kept,
                                      setup_v1_copy, fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_new_tags_outside_the_lists_are_refused, setup_v1_copy,
          fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_unknown_themes_and_bad_evidence_are_refused, fx_setup,
          fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_a_store_within_the_lists_has_no_notices, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_an_added_theme_is_accepted_and_listed, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_a_theme_that_cannot_be_added_is_refused, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_verify_knows_the_added_themes,
                                      setup_v1_copy, fx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
