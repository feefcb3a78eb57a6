/*
 * Unit tests of the review module: the summary figures of the fixture data
 * set (review_fixture.c) against answers worked out by hand, the date
 * checks, escaping in every text format, and a 20,000-recommendation
 * review streamed in chunks of at most 64 KiB in every format.
 */
#include "review_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>

#include <math.h>

#define assert_near(a, b) assert_true(fabs((double)(a) - (double)(b)) < 1e-9)

#define STATUS(x) RECTRACK__V1__STATUS__STATUS_##x
#define TRAJ(x) RECTRACK__V1__TRAJECTORY__TRAJECTORY_##x

static Rectrack__V1__ReviewSummary *compute(review_fixture_t *f) {
  Rectrack__V1__ReviewSummary *s = NULL;
  rt_error_t err = {0};
  assert_int_equal(rt_review_compute(&f->in, &s, &err), 0);
  assert_non_null(s);
  return s;
}

static void assert_status_count(Rectrack__V1__StatusCount *c, const char *key,
                                int status, int count) {
  assert_string_equal(c->key, key);
  assert_int_equal(c->status, status);
  assert_int_equal(c->count, count);
}

static void test_counts_by_theme_actor_and_status(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  Rectrack__V1__ReviewSummary *s = compute(&f);
  assert_int_equal(s->recommendation_count, 6); /* R4 archived */
  assert_int_equal(s->commitment_count, 4);     /* C5 archived */
  assert_int_equal(s->revision, 42);
  assert_string_equal(s->as_of, "2024-12-31"); /* defaults to to_date */
  assert_int_equal(s->n_by_theme, 5);
  assert_status_count(s->by_theme[0], REVIEW_FIXTURE_HOSTILE,
                      STATUS(NO_INFORMATION), 1);
  assert_status_count(s->by_theme[1], "data", STATUS(NO_INFORMATION), 1);
  assert_status_count(s->by_theme[2], "data", STATUS(IMPLEMENTED), 1);
  assert_status_count(s->by_theme[3], "health", STATUS(NO_INFORMATION), 1);
  assert_status_count(s->by_theme[4], "remittances", STATUS(IN_PROGRESS), 2);
  assert_int_equal(s->n_by_actor, 6);
  assert_status_count(s->by_actor[0], "bgd", STATUS(NO_INFORMATION), 1);
  assert_status_count(s->by_actor[1], "bgd", STATUS(IN_PROGRESS), 3);
  assert_status_count(s->by_actor[2], "iom", STATUS(NO_INFORMATION), 2);
  assert_status_count(s->by_actor[3], "iom", STATUS(IN_PROGRESS), 1);
  assert_status_count(s->by_actor[4], "iom", STATUS(IMPLEMENTED), 1);
  assert_status_count(s->by_actor[5], "mex", STATUS(NO_INFORMATION), 2);
  assert_int_equal(s->n_by_status, 3);
  assert_status_count(s->by_status[0], "", STATUS(NO_INFORMATION), 6);
  assert_status_count(s->by_status[1], "", STATUS(IN_PROGRESS), 3);
  assert_status_count(s->by_status[2], "", STATUS(IMPLEMENTED), 1);
  rt_review_summary_free(s);
}

static void test_status_changes_in_period(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  Rectrack__V1__ReviewSummary *s = compute(&f);
  /* R10's 2024-05-01 report repeats IN_PROGRESS: not a change. */
  assert_int_equal(s->n_changes, 3);
  assert_string_equal(s->changes[0]->subject_id, "R2");
  assert_int_equal(s->changes[0]->from_status, STATUS(NO_INFORMATION));
  assert_int_equal(s->changes[0]->to_status, STATUS(IMPLEMENTED));
  assert_string_equal(s->changes[1]->subject_id, "R1");
  assert_int_equal(s->changes[1]->from_status, STATUS(NOT_STARTED));
  assert_int_equal(s->changes[1]->to_status, STATUS(IN_PROGRESS));
  assert_string_equal(s->changes[1]->follow_up->note, REVIEW_FIXTURE_HOSTILE);
  assert_int_equal(s->changes[1]->follow_up->previous_status,
                   STATUS(NOT_STARTED));
  assert_string_equal(s->changes[2]->subject_id, "C1");
  assert_int_equal(s->changes[2]->subject_type,
                   RECTRACK__V1__SUBJECT_TYPE__SUBJECT_TYPE_COMMITMENT);
  rt_review_summary_free(s);
}

static void test_overdue_items_and_days(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  Rectrack__V1__ReviewSummary *s = compute(&f);
  const char *ids[] = {"R10", "R3", "R1", "C2"};
  int days[] = {366, 335, 184, 30}; /* 2024 is a leap year */
  assert_int_equal(s->n_overdue, 4);
  for (int i = 0; i < 4; i++) {
    assert_string_equal(s->overdue[i]->subject_id, ids[i]);
    assert_int_equal(s->overdue[i]->days_overdue, days[i]);
  }
  assert_string_equal(s->overdue[3]->lead_actor_id, "iom");
  rt_review_summary_free(s);
}

static void test_overdue_excludes_implemented(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  f.fus[1].status = STATUS(IMPLEMENTED); /* R1 done in March */
  Rectrack__V1__ReviewSummary *s = compute(&f);
  assert_int_equal(s->n_overdue, 3);
  for (size_t i = 0; i < s->n_overdue; i++)
    assert_string_not_equal(s->overdue[i]->subject_id, "R1");
  rt_review_summary_free(s);
}

static void test_indicator_progress_and_trajectory(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  Rectrack__V1__ReviewSummary *s = compute(&f);
  assert_int_equal(s->n_indicators, 4);
  /* C1 remittance cost 6.0 -> 3.0: 4.5 on 2024-01-01, the straight line
   * is at 4.80 then. */
  Rectrack__V1__IndicatorProgress *c1 = s->indicators[0];
  assert_string_equal(c1->commitment_id, "C1");
  assert_near(c1->latest_value, 4.5);
  assert_string_equal(c1->latest_as_of, "2024-01-01");
  assert_near(c1->progress, 0.5);
  assert_int_equal(c1->trajectory, TRAJ(ON_TRACK));
  assert_int_equal(c1->n_measurements, 2);
  assert_string_equal(c1->measurements[0]->as_of, "2022-01-01");
  /* C2 20 -> 60 by 2025: 30 when the line is at 52; the 2025 value is
   * after as_of and does not count. */
  assert_near(s->indicators[1]->latest_value, 30);
  assert_near(s->indicators[1]->progress, 0.25);
  assert_int_equal(s->indicators[1]->trajectory, TRAJ(OFF_TRACK));
  /* C3 10 -> 20, direction from the sign: 25 is past the target. */
  assert_near(s->indicators[2]->progress, 1.5);
  assert_int_equal(s->indicators[2]->trajectory, TRAJ(ACHIEVED));
  assert_int_equal(s->indicators[3]->trajectory, TRAJ(NO_DATA));
  assert_string_equal(s->indicators[3]->latest_as_of, "");
  rt_review_summary_free(s);
}

static void test_trajectory_is_direction_aware(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  f.meas[0].value = 5.0; /* C1 above the 4.80 line: worse for a decrease */
  f.meas[2].value = 55;  /* C2 above the 52 line: better for an increase */
  Rectrack__V1__ReviewSummary *s = compute(&f);
  assert_int_equal(s->indicators[0]->trajectory, TRAJ(OFF_TRACK));
  assert_near(s->indicators[0]->progress, 1.0 / 3.0);
  assert_int_equal(s->indicators[1]->trajectory, TRAJ(ON_TRACK));
  f.meas[0].value = 2.9; /* below the 3.0 target */
  rt_review_summary_free(s);
  s = compute(&f);
  assert_int_equal(s->indicators[0]->trajectory, TRAJ(ACHIEVED));
  rt_review_summary_free(s);
}

static void test_sdg_gcm_and_no_information(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  Rectrack__V1__ReviewSummary *s = compute(&f);
  assert_int_equal(s->n_by_sdg_target, 3);
  assert_string_equal(s->by_sdg_target[0]->key, "10.7");
  assert_int_equal(s->by_sdg_target[0]->implemented, 1);
  assert_string_equal(s->by_sdg_target[1]->key, "10.c");
  assert_int_equal(s->by_sdg_target[1]->count, 2);
  assert_int_equal(s->by_sdg_target[1]->implemented, 0);
  assert_string_equal(s->by_sdg_target[2]->key, "17.18");
  assert_int_equal(s->n_by_gcm_objective, 2);
  assert_string_equal(s->by_gcm_objective[0]->key, "1");
  assert_string_equal(s->by_gcm_objective[1]->key, "20");
  assert_int_equal(s->by_gcm_objective[1]->count, 2); /* C1 lists 20 twice */
  const char *ids[] = {"R3", "R5", "R6", "C2", "C3", "C4"};
  assert_int_equal(s->n_no_information_ids, 6);
  for (int i = 0; i < 6; i++)
    assert_string_equal(s->no_information_ids[i], ids[i]);
  rt_review_summary_free(s);
}

static void test_status_as_of_an_earlier_date(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  f.in.as_of = "2024-02-15"; /* before R1's March report */
  Rectrack__V1__ReviewSummary *s = compute(&f);
  int r1_in_progress = 0;
  for (size_t i = 0; i < s->n_by_theme; i++)
    if (strcmp(s->by_theme[i]->key, "remittances") == 0 &&
        s->by_theme[i]->status == STATUS(IN_PROGRESS))
      r1_in_progress = s->by_theme[i]->count;
  assert_int_equal(r1_in_progress, 1); /* only R10; R1 still NOT_STARTED */
  assert_int_equal(s->indicators[0]->n_measurements, 2);
  rt_review_summary_free(s);
}

static void test_bad_dates_are_rejected(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  Rectrack__V1__ReviewSummary *s = NULL;
  rt_error_t err = {0};
  f.in.to_date = "2024-13-01";
  assert_int_equal(rt_review_compute(&f.in, &s, &err), RT_EINVAL);
  assert_string_equal(err.field, "to_date");
  assert_null(s);
  f.in.to_date = "2024-01-01";
  f.in.from_date = "2024-06-01";
  assert_int_equal(rt_review_compute(&f.in, &s, &err), RT_EINVAL);
  assert_string_equal(err.field, "from_date");
  rt_review_renderer_t *r = NULL;
  review_fixture_init(&f);
  assert_int_equal(
      rt_review_renderer_new(&f.in, NULL, RT_REVIEW_CSV, "x", &r, &err),
      RT_EINVAL);
  assert_string_equal(err.field, "table");
  assert_int_equal(rt_review_renderer_new(&f.in, NULL, (rt_review_format_t)9,
                                          NULL, &r, &err),
                   RT_EINVAL);
  assert_null(r);
}

/* Renders a whole document; checks every chunk's size. */
static char *render(const rt_review_input_t *in, rt_review_format_t format,
                    const char *table, size_t *total, size_t *chunks) {
  rt_review_renderer_t *r = NULL;
  rt_error_t err = {0};
  assert_int_equal(rt_review_renderer_new(in, NULL, format, table, &r, &err),
                   0);
  char *doc = NULL;
  size_t len = 0, cap = 0, count = 0;
  const uint8_t *chunk;
  size_t n;
  int rc;
  while ((rc = rt_review_renderer_next(r, &chunk, &n)) == 1) {
    assert_true(n <= RT_REVIEW_CHUNK_MAX);
    if (n == 0)
      continue;
    if (len + n + 1 > cap) {
      cap = (len + n + 1) * 2;
      doc = realloc(doc, cap);
      assert_non_null(doc);
    }
    memcpy(doc + len, chunk, n);
    len += n;
    count++;
  }
  assert_int_equal(rc, 0);
  rt_review_renderer_free(r);
  if (doc)
    doc[len] = '\0';
  *total = len;
  if (chunks)
    *chunks = count;
  return doc;
}

static void test_hostile_text_is_escaped_in_text_formats(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  size_t len;
  char *html = render(&f.in, RT_REVIEW_HTML, NULL, &len, NULL);
  assert_null(strstr(html, "<script"));
  assert_non_null(strstr(html, "&lt;script&gt;alert(&#39;x&#39;)"));
  assert_non_null(strstr(html, "<svg"));
  free(html);
  char *md = render(&f.in, RT_REVIEW_MARKDOWN, NULL, &len, NULL);
  assert_null(strstr(md, "<script"));
  assert_non_null(strstr(md, "a\\|b"));
  free(md);
  char *csv = render(&f.in, RT_REVIEW_CSV, NULL, &len, NULL);
  assert_non_null(strstr(csv, "\"<script>alert('x')</script> \"\"q\"\", "));
  assert_non_null(strstr(csv, "\r\n"));
  free(csv);
  char *json = render(&f.in, RT_REVIEW_JSON, NULL, &len, NULL);
  assert_non_null(strstr(json, "\\\"q\\\", a|b & c\\n"));
  free(json);
}

static void
test_target_equal_to_baseline_gives_progress_zero_or_one(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  f.indicators[2].baseline_value = 20; /* C3: 20 -> 20, direction unset */
  f.indicators[2].target_value = 20;
  Rectrack__V1__ReviewSummary *s = compute(&f);
  assert_string_equal(s->indicators[2]->commitment_id, "C3");
  assert_near(s->indicators[2]->progress, 1.0); /* 25: reached */
  assert_int_equal(s->indicators[2]->trajectory, TRAJ(ACHIEVED));
  rt_review_summary_free(s);
  f.meas[4].value = 15;
  s = compute(&f);
  assert_near(s->indicators[2]->progress, 0.0);
  assert_int_equal(s->indicators[2]->trajectory, TRAJ(OFF_TRACK));
  rt_review_summary_free(s);
}

static void
test_earlier_as_of_picks_the_measurement_of_that_date(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  f.in.as_of = "2023-01-01"; /* C1's 2024 value is after it */
  Rectrack__V1__ReviewSummary *s = compute(&f);
  assert_string_equal(s->indicators[0]->latest_as_of, "2022-01-01");
  assert_near(s->indicators[0]->latest_value, 5.5);
  assert_near(s->indicators[0]->progress, 1.0 / 6.0);
  /* The line is at about 5.40 on 2022-01-01: 5.5 is behind it. */
  assert_int_equal(s->indicators[0]->trajectory, TRAJ(OFF_TRACK));
  assert_int_equal(s->indicators[0]->n_measurements, 1);
  rt_review_summary_free(s);
}

/* A measurement with dimensions (a corridor's) is a series of its own:
 * the overall figure, its trajectory and its measurement rows come from
 * the measurements without dimensions only, however recent the other. */
static void
test_a_disaggregated_measurement_is_not_the_overall_figure(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  Rectrack__V1__Dimension corridor = RECTRACK__V1__DIMENSION__INIT;
  corridor.key = (char *)"corridor";
  corridor.value = (char *)"GBR-NGA";
  Rectrack__V1__Dimension *dims[] = {&corridor};
  f.meas[0].dimensions = dims; /* C1's 2024 value, 4.5 */
  f.meas[0].n_dimensions = 1;
  Rectrack__V1__ReviewSummary *s = compute(&f);
  assert_string_equal(s->indicators[0]->commitment_id, "C1");
  assert_string_equal(s->indicators[0]->latest_as_of, "2022-01-01");
  assert_near(s->indicators[0]->latest_value, 5.5);
  assert_int_equal(s->indicators[0]->n_measurements, 1);
  rt_review_summary_free(s);
  f.meas[0].n_dimensions = 0;
  s = compute(&f);
  assert_near(s->indicators[0]->latest_value, 4.5);
  assert_int_equal(s->indicators[0]->n_measurements, 2);
  rt_review_summary_free(s);
}

static void test_path_without_both_dates_holds_the_baseline(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  f.meas[0].value = 5.9; /* C1: behind the 4.80 line of 2024-01-01 */
  Rectrack__V1__ReviewSummary *s = compute(&f);
  assert_int_equal(s->indicators[0]->trajectory, TRAJ(OFF_TRACK));
  rt_review_summary_free(s);
  f.indicators[0].target_date = ""; /* no path: the baseline, 6.0 */
  s = compute(&f);
  assert_int_equal(s->indicators[0]->trajectory, TRAJ(ON_TRACK));
  rt_review_summary_free(s);
  f.indicators[0].target_date = "2030-01-01";
  f.indicators[0].baseline_date = "";
  s = compute(&f);
  assert_int_equal(s->indicators[0]->trajectory, TRAJ(ON_TRACK));
  rt_review_summary_free(s);
}

static void test_non_finite_baseline_or_target_gives_no_progress(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  f.indicators[2].target_value = INFINITY; /* C3 */
  f.indicators[0].baseline_value = NAN;    /* C1 */
  Rectrack__V1__ReviewSummary *s = compute(&f);
  assert_int_equal(s->indicators[2]->trajectory, TRAJ(NO_DATA));
  assert_true(isnan(s->indicators[2]->progress));
  assert_near(s->indicators[2]->latest_value, 25);
  assert_int_equal(s->indicators[0]->trajectory, TRAJ(NO_DATA));
  assert_true(isnan(s->indicators[0]->progress));
  rt_review_summary_free(s);
  size_t len;
  char *html = render(&f.in, RT_REVIEW_HTML, NULL, &len, NULL);
  /* No "nan%" in a heading, no NaN coordinate in a chart. */
  assert_null(strstr(html, "nan%"));
  assert_null(strstr(html, "inf%"));
  assert_null(strstr(html, "\"nan"));
  assert_null(strstr(html, "nan,"));
  free(html);
  char *md = render(&f.in, RT_REVIEW_MARKDOWN, NULL, &len, NULL);
  assert_null(strstr(md, "nan%"));
  free(md);
  char *json = render(&f.in, RT_REVIEW_JSON, NULL, &len, NULL);
  assert_non_null(strstr(json, "\"progress\":null"));
  /* No NaN value (titles such as "governance" hold the letters). */
  assert_null(strstr(json, ":nan"));
  assert_null(strstr(json, "NaN"));
  free(json);
  char *xlsx = render(&f.in, RT_REVIEW_XLSX, NULL, &len, NULL);
  assert_memory_equal(xlsx, "PK\x03\x04", 4);
  free(xlsx);
}

static void test_empty_data_set_renders_in_every_format(void **state) {
  (void)state;
  rt_review_input_t in = {.to_date = "2024-12-31"};
  Rectrack__V1__ReviewSummary *s = NULL;
  rt_error_t err = {0};
  assert_int_equal(rt_review_compute(&in, &s, &err), 0);
  assert_int_equal(s->recommendation_count + s->commitment_count, 0);
  assert_int_equal(s->n_by_status + s->n_changes + s->n_overdue, 0);
  assert_int_equal(s->n_indicators + s->n_no_information_ids, 0);
  rt_review_summary_free(s);
  rt_review_format_t formats[] = {RT_REVIEW_HTML, RT_REVIEW_MARKDOWN,
                                  RT_REVIEW_CSV, RT_REVIEW_JSON,
                                  RT_REVIEW_XLSX};
  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
    size_t len = 0;
    char *doc = render(&in, formats[i], NULL, &len, NULL);
    assert_true(len > 0);
    free(doc);
  }
  size_t len;
  char *csv = render(&in, RT_REVIEW_CSV, "measurements", &len, NULL);
  assert_string_equal(csv, "commitment_id,indicator,unit,as_of,value,source,"
                           "note,recorded_by,revision,reported_by,"
                           "reported_by_name,"
                           "validated_by\r\n");
  free(csv);
}

static void test_malformed_as_of_is_rejected_naming_it(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  Rectrack__V1__ReviewSummary *s = NULL;
  rt_error_t err = {0};
  f.in.as_of = "2024-02-30x";
  assert_int_equal(rt_review_compute(&f.in, &s, &err), RT_EINVAL);
  assert_string_equal(err.field, "as_of");
  assert_null(s);
  f.in.as_of = "";
  f.in.from_date = "2024/01/01";
  assert_int_equal(rt_review_compute(&f.in, &s, &err), RT_EINVAL);
  assert_string_equal(err.field, "from_date");
  rt_review_renderer_t *r = NULL;
  f.in.from_date = "2025-01-01"; /* after to_date */
  assert_int_equal(
      rt_review_renderer_new(&f.in, NULL, RT_REVIEW_HTML, NULL, &r, &err),
      RT_EINVAL);
  assert_string_equal(err.field, "from_date");
  assert_null(r);
}

/* Only validated reports and measurements count; a submission awaiting
 * validation is pending and shows as the self-reported status; a
 * returned one counts for nothing. */
/* "No information in the period" is for items still open: one
 * implemented and one withdrawn before the period are closed, not silent.
 * The HTML lists the open ones only. */
static void test_no_information_leaves_closed_items_out(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  f.fus[7].subject_id = (char *)"R3"; /* was on the archived R4 */
  f.fus[7].as_of = (char *)"2023-06-01";
  f.fus[7].status = RECTRACK__V1__STATUS__STATUS_IMPLEMENTED;
  f.fus[5].subject_id = (char *)"C2"; /* was R5's, after the period */
  f.fus[5].as_of = (char *)"2023-02-01";
  f.fus[5].status = RECTRACK__V1__STATUS__STATUS_WITHDRAWN;
  Rectrack__V1__ReviewSummary *s = compute(&f);
  const char *ids[] = {"R5", "R6", "C3", "C4"};
  assert_int_equal(s->n_no_information_ids, 4);
  for (int i = 0; i < 4; i++)
    assert_string_equal(s->no_information_ids[i], ids[i]);
  rt_review_summary_free(s);
  size_t len;
  char *html = render(&f.in, RT_REVIEW_HTML, NULL, &len, NULL);
  const char *section = strstr(html, "id=\"no_information\"");
  assert_non_null(section);
  assert_null(strstr(section, "<td class=\"t\" dir=\"auto\">R3</td>"));
  assert_non_null(strstr(section, "<td class=\"t\" dir=\"auto\">R5</td>"));
  free(html);
}

static void test_only_validated_reports_count(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  /* R1: NOT_STARTED (2023-05-01), then IN_PROGRESS (2024-03-01) now
   * awaiting validation. */
  f.fus[1].review_state = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_SUBMITTED;
  Rectrack__V1__Measurement *c1_latest = NULL;
  for (size_t i = 0; i < sizeof f.meas / sizeof f.meas[0]; i++)
    if (strcmp(f.meas[i].commitment_id, "C1") == 0 &&
        strcmp(f.meas[i].as_of, "2024-01-01") == 0)
      c1_latest = &f.meas[i];
  assert_non_null(c1_latest);
  c1_latest->review_state = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_SUBMITTED;
  Rectrack__V1__ReviewSummary *s = compute(&f);
  assert_int_equal(s->pending_count, 2);
  assert_string_equal(s->indicators[0]->commitment_id, "C1");
  assert_string_equal(s->indicators[0]->latest_as_of, "2022-01-01");
  assert_int_equal(s->indicators[0]->n_measurements, 1);
  for (size_t i = 0; i < s->n_changes; i++)
    assert_string_not_equal(s->changes[i]->subject_id, "R1");
  rt_review_summary_free(s);

  size_t len;
  char *csv = render(&f.in, RT_REVIEW_CSV, NULL, &len, NULL);
  const char *r1 = strstr(csv, "\r\nR1,");
  assert_non_null(r1);
  const char *end = strstr(r1 + 2, "\r\n");
  assert_non_null(end);
  char row[2048];
  snprintf(row, sizeof row, "%.*s", (int)(end - r1), r1);
  assert_non_null(strstr(row, ",not-started,"));
  /* The self-reported status, then the (empty) specificity and lineage
   * columns. */
  const char *tail = ",in-progress,,,,";
  assert_true(strlen(row) > strlen(tail) &&
              strcmp(row + strlen(row) - strlen(tail), tail) == 0);
  free(csv);
  char *md = render(&f.in, RT_REVIEW_MARKDOWN, NULL, &len, NULL);
  assert_non_null(strstr(md, "- Awaiting validation: 2\n"));
  free(md);

  /* Returned: neither official nor pending. */
  f.fus[1].review_state = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_RETURNED;
  c1_latest->review_state = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_RETURNED;
  s = compute(&f);
  assert_int_equal(s->pending_count, 0);
  assert_string_equal(s->indicators[0]->latest_as_of, "2022-01-01");
  rt_review_summary_free(s);
  csv = render(&f.in, RT_REVIEW_CSV, NULL, &len, NULL);
  r1 = strstr(csv, "\r\nR1,");
  end = strstr(r1 + 2, "\r\n");
  assert_true(end[-1] == ','); /* no self-reported status */
  free(csv);
}

static void test_csv_cells_that_look_like_formulas_are_quoted(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  f.recs[1].title = "=HYPERLINK(\"http://x.test\",\"y\")"; /* R2 */
  f.recs[1].text = "+1";
  f.recs[2].title = "@SUM(A1)"; /* R3 */
  f.recs[2].text = "-2";
  f.recs[3].title = "\tTab"; /* R10 */
  f.meas[0].value = 7.0;     /* C1 6 -> 3: progress -1/3 */
  size_t len;
  char *csv = render(&f.in, RT_REVIEW_CSV, NULL, &len, NULL);
  assert_non_null(strstr(csv,
                         ",\"'=HYPERLINK(\"\"http://x.test\"\",\"\"y\"\")\","
                         "'+1,"));
  assert_non_null(strstr(csv, ",'@SUM(A1),'-2,"));
  assert_non_null(strstr(csv, ",'\tTab,"));
  free(csv);
  csv = render(&f.in, RT_REVIEW_CSV, "commitments", &len, NULL);
  assert_non_null(strstr(csv, ",-0.333"));
  assert_null(strstr(csv, "'-0.333"));
  free(csv);
}

static void test_markdown_escapes_code_headings_and_line_breaks(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  f.recs[1].title = "# not a heading\r\nsecond `code` line";
  size_t len;
  char *md = render(&f.in, RT_REVIEW_MARKDOWN, NULL, &len, NULL);
  assert_non_null(
      strstr(md, "| \\# not a heading<br>second \\`code\\` line |"));
  assert_non_null(strstr(md, "\\*\\_\\`\\#"));
  free(md);
}

static void test_xlsx_is_a_zip(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  size_t len;
  char *xlsx = render(&f.in, RT_REVIEW_XLSX, NULL, &len, NULL);
  assert_true(len > 1000);
  assert_memory_equal(xlsx, "PK\x03\x04", 4);
  free(xlsx);
}

static void test_content_type_and_filename(void **state) {
  (void)state;
  char name[96];
  assert_int_equal(rt_review_filename(RT_REVIEW_CSV, "commitments",
                                      "2024-01-01", "2024-12-31", name,
                                      sizeof name),
                   0);
  assert_string_equal(name, "review-commitments-2024-01-01-2024-12-31.csv");
  assert_int_equal(rt_review_filename(RT_REVIEW_HTML, NULL, "../x",
                                      "2024-12-31", name, sizeof name),
                   0);
  assert_string_equal(name, "review-start-2024-12-31.html");
  assert_string_equal(rt_review_content_type(RT_REVIEW_JSON),
                      "application/json");
}

static size_t count_entries(const char *dir) {
  DIR *d = opendir(dir);
  size_t n = 0;
  assert_non_null(d);
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      n++;
  closedir(d);
  return n;
}

static void test_abandoned_and_finished_exports_leave_no_files(void **state) {
  (void)state;
  char dir[] = "/tmp/rt-review-test-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
  setenv("TMPDIR", dir, 1);
  review_fixture_t f;
  review_fixture_init(&f);
  rt_review_format_t formats[] = {RT_REVIEW_XLSX, RT_REVIEW_HTML};
  for (int i = 0; i < 2; i++) {
    rt_review_renderer_t *r = NULL;
    rt_error_t err = {0};
    const uint8_t *chunk;
    size_t len;
    assert_int_equal(
        rt_review_renderer_new(&f.in, NULL, formats[i], NULL, &r, &err), 0);
    assert_int_equal(rt_review_renderer_next(r, &chunk, &len), 1);
    rt_review_renderer_free(r); /* the client went away */
  }
  size_t len;
  free(render(&f.in, RT_REVIEW_XLSX, NULL, &len, NULL));
  assert_int_equal(count_entries(dir), 0);
  if (old) {
    setenv("TMPDIR", old, 1);
    free(old);
  } else {
    unsetenv("TMPDIR");
  }
  rmdir(dir);
}

/* ---- a large review ---- */

#define BIG 20000

typedef struct big_set {
  Rectrack__V1__Recommendation recs[BIG];
  Rectrack__V1__Recommendation *rec_ptrs[BIG];
  Rectrack__V1__FollowUp fus[BIG];
  Rectrack__V1__FollowUp *fu_ptrs[BIG];
  char ids[BIG][16];
  rt_review_input_t in;
} big_set_t;

static big_set_t *big_set_new(void) {
  static char *themes[] = {"data", "remittances", "health", "labour"};
  big_set_t *b = calloc(1, sizeof *b);
  assert_non_null(b);
  for (int i = 0; i < BIG; i++) {
    snprintf(b->ids[i], sizeof b->ids[i], "R%d", i + 1);
    rectrack__v1__recommendation__init(&b->recs[i]);
    b->recs[i].id = b->ids[i];
    b->recs[i].theme = themes[i % 4];
    b->recs[i].title = "A recommendation with a reasonably long title";
    b->recs[i].text = REVIEW_FIXTURE_HOSTILE;
    b->recs[i].due_date = "2024-06-30";
    b->rec_ptrs[i] = &b->recs[i];
    rectrack__v1__follow_up__init(&b->fus[i]);
    b->fus[i].subject_id = b->ids[i];
    b->fus[i].as_of = "2024-03-01";
    b->fus[i].status = 1 + i % 7;
    b->fus[i].note = "Progress reported.";
    b->fu_ptrs[i] = &b->fus[i];
  }
  b->in = (rt_review_input_t){.from_date = "2024-01-01",
                              .to_date = "2024-12-31",
                              .recommendations = b->rec_ptrs,
                              .recommendation_count = BIG,
                              .follow_ups = b->fu_ptrs,
                              .follow_up_count = BIG};
  return b;
}

static void test_large_review_streams_in_small_chunks(void **state) {
  (void)state;
  big_set_t *b = big_set_new();
  rt_review_format_t formats[] = {RT_REVIEW_HTML, RT_REVIEW_MARKDOWN,
                                  RT_REVIEW_CSV, RT_REVIEW_JSON,
                                  RT_REVIEW_XLSX};
  for (size_t i = 0; i < 5; i++) {
    size_t len, chunks;
    char *doc = render(&b->in, formats[i], NULL, &len, &chunks);
    assert_true(len > 1000000 || formats[i] == RT_REVIEW_XLSX);
    assert_true(chunks >= len / RT_REVIEW_CHUNK_MAX);
    if (formats[i] == RT_REVIEW_CSV) {
      size_t lines = 0;
      for (char *p = doc; (p = strstr(p, "\r\n")) != NULL; p += 2)
        lines++;
      /* header + one per row; the LF inside each text is not a CRLF */
      assert_int_equal(lines, 1 + BIG);
    }
    free(doc);
  }
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_counts_by_theme_actor_and_status),
      cmocka_unit_test(test_status_changes_in_period),
      cmocka_unit_test(test_overdue_items_and_days),
      cmocka_unit_test(test_overdue_excludes_implemented),
      cmocka_unit_test(test_indicator_progress_and_trajectory),
      cmocka_unit_test(
          test_a_disaggregated_measurement_is_not_the_overall_figure),
      cmocka_unit_test(test_trajectory_is_direction_aware),
      cmocka_unit_test(test_sdg_gcm_and_no_information),
      cmocka_unit_test(test_no_information_leaves_closed_items_out),
      cmocka_unit_test(test_status_as_of_an_earlier_date),
      cmocka_unit_test(test_bad_dates_are_rejected),
      cmocka_unit_test(test_hostile_text_is_escaped_in_text_formats),
      cmocka_unit_test(test_xlsx_is_a_zip),
      cmocka_unit_test(test_content_type_and_filename),
      cmocka_unit_test(test_abandoned_and_finished_exports_leave_no_files),
      cmocka_unit_test(test_large_review_streams_in_small_chunks),
      cmocka_unit_test(
          test_target_equal_to_baseline_gives_progress_zero_or_one),
      cmocka_unit_test(test_earlier_as_of_picks_the_measurement_of_that_date),
      cmocka_unit_test(test_path_without_both_dates_holds_the_baseline),
      cmocka_unit_test(test_non_finite_baseline_or_target_gives_no_progress),
      cmocka_unit_test(test_empty_data_set_renders_in_every_format),
      cmocka_unit_test(test_malformed_as_of_is_rejected_naming_it),
      cmocka_unit_test(test_only_validated_reports_count),
      cmocka_unit_test(test_csv_cells_that_look_like_formulas_are_quoted),
      cmocka_unit_test(test_markdown_escapes_code_headings_and_line_breaks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
