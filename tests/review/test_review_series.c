/*
 * Disaggregated series in the review, on a data set built for it:
 *  - C1, a remittance cost to bring down (DECREASE) with no corridor to
 *    be above 5 per cent: GBR-NGA (6.1) and FRA-SEN (5.4) are above it,
 *    USA-MEX (4.2) below; a later value (after as_of) and one awaiting
 *    validation count for nothing; the overall figure (no dimension)
 *    stays 6.0;
 *  - C2, a share to raise (INCREASE) with a floor of 60: sex=female (55)
 *    is below it, sex=male (65) not;
 *  - C3, without a ceiling, broken down by five corridors: small
 *    multiples in the HTML.
 * The summary's fields, each format's output, and the same summary and
 * documents from a source as from arrays.
 */
#include "review_agree.h"
#include "review_source.h"
#include "rt_review.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define N_COMS 3
#define N_MEAS 16

typedef struct fixture {
  Rectrack__V1__Commitment coms[N_COMS];
  Rectrack__V1__Commitment *com_ptrs[N_COMS];
  Rectrack__V1__Indicator inds[N_COMS];
  Rectrack__V1__SeriesCeiling ceilings[2];
  Rectrack__V1__Measurement meas[N_MEAS];
  Rectrack__V1__Measurement *meas_ptrs[N_MEAS];
  Rectrack__V1__Dimension dims[N_MEAS];
  Rectrack__V1__Dimension *dim_ptrs[N_MEAS];
  size_t n_meas;
  rt_review_input_t in;
} fixture_t;

static void indicator(fixture_t *f, int i, const char *name, const char *unit,
                      double base, double target, int direction) {
  Rectrack__V1__Indicator *ind = &f->inds[i];
  rectrack__v1__indicator__init(ind);
  ind->name = (char *)name;
  ind->unit = (char *)unit;
  ind->baseline_value = base;
  ind->baseline_date = (char *)"2020-01-01";
  ind->target_value = target;
  ind->target_date = (char *)"2030-01-01";
  ind->direction = direction;
  f->coms[i].indicator = ind;
}

/* A measurement of commitment id; key NULL: the overall figure. */
static Rectrack__V1__Measurement *measure(fixture_t *f, const char *id,
                                          const char *key, const char *value,
                                          double v, const char *as_of) {
  size_t k = f->n_meas++;
  Rectrack__V1__Measurement *m = &f->meas[k];
  rectrack__v1__measurement__init(m);
  m->commitment_id = (char *)id;
  m->value = v;
  m->as_of = (char *)as_of;
  m->revision = k + 1;
  m->review_state = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_VALIDATED;
  if (key != NULL) {
    rectrack__v1__dimension__init(&f->dims[k]);
    f->dims[k].key = (char *)key;
    f->dims[k].value = (char *)value;
    f->dim_ptrs[k] = &f->dims[k];
    m->dimensions = &f->dim_ptrs[k];
    m->n_dimensions = 1;
  }
  f->meas_ptrs[k] = m;
  return m;
}

static void build(fixture_t *f) {
  memset(f, 0, sizeof *f);
  static const char *ids[N_COMS] = {"C1", "C2", "C3"};
  for (int i = 0; i < N_COMS; i++) {
    rectrack__v1__commitment__init(&f->coms[i]);
    f->coms[i].id = (char *)ids[i];
    f->coms[i].title = (char *)"A quantified pledge";
    f->coms[i].actor_id = (char *)"gov";
    f->com_ptrs[i] = &f->coms[i];
  }
  indicator(f, 0, "Remittance cost", "per cent", 7, 3,
            RECTRACK__V1__DIRECTION__DIRECTION_DECREASE);
  indicator(f, 1, "Share with papers", "per cent", 50, 80,
            RECTRACK__V1__DIRECTION__DIRECTION_INCREASE);
  indicator(f, 2, "Cost by corridor", "per cent", 7, 3,
            RECTRACK__V1__DIRECTION__DIRECTION_DECREASE);
  double ceiling[2] = {5, 60};
  for (int i = 0; i < 2; i++) {
    rectrack__v1__series_ceiling__init(&f->ceilings[i]);
    f->ceilings[i].value = ceiling[i];
    f->inds[i].series_ceiling = &f->ceilings[i];
  }
  measure(f, "C1", NULL, NULL, 6.0, "2025-06-30");
  measure(f, "C1", "corridor", "GBR-NGA", 6.5, "2024-01-31");
  measure(f, "C1", "corridor", "GBR-NGA", 6.1, "2025-06-30");
  measure(f, "C1", "corridor", "USA-MEX", 4.2, "2025-06-30");
  measure(f, "C1", "corridor", "FRA-SEN", 5.4, "2025-03-31");
  measure(f, "C1", "corridor", "USA-MEX", 9.9, "2026-03-31"); /* after */
  measure(f, "C1", "corridor", "GBR-GHA", 8.0, "2025-06-30")->review_state =
      RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_SUBMITTED;
  measure(f, "C2", "sex", "female", 55, "2025-06-30");
  measure(f, "C2", "sex", "male", 65, "2025-06-30");
  static const char *corridors[5] = {"ESP-MAR", "ITA-SEN", "GBR-IND", "USA-PHL",
                                     "FRA-MLI"};
  for (int i = 0; i < 5; i++)
    measure(f, "C3", "corridor", corridors[i], 4 + i, "2025-05-31");
  f->in = (rt_review_input_t){.from_date = "2025-01-01",
                              .to_date = "2025-12-31",
                              .revision = 30,
                              .commitments = f->com_ptrs,
                              .commitment_count = N_COMS,
                              .measurements = f->meas_ptrs,
                              .measurement_count = f->n_meas};
}

static const char *C1_SENTENCE =
    "C1: 2 corridors above 5 per cent: FRA-SEN (5.4, 2025-03-31), "
    "GBR-NGA (6.1, 2025-06-30).";
static const char *C2_SENTENCE =
    "C2: 1 series below 60 per cent: sex=female (55, 2025-06-30).";

static void test_summary_reports_series_beyond_the_ceiling(void **state) {
  (void)state;
  fixture_t f;
  build(&f);
  Rectrack__V1__ReviewSummary *s = NULL;
  rt_error_t err = {0};
  assert_int_equal(rt_review_compute(&f.in, &s, &err), 0);
  assert_int_equal(s->series_count, 10); /* 3 + 2 + 5 */
  assert_int_equal(s->series_ceiling_count, 2);
  assert_int_equal(s->series_above_ceiling_count, 3);
  assert_int_equal(s->n_series_ceilings, 2);
  const Rectrack__V1__SeriesCeilingReport *c1 = s->series_ceilings[0];
  assert_string_equal(c1->commitment_id, "C1");
  assert_int_equal(c1->direction, RECTRACK__V1__DIRECTION__DIRECTION_DECREASE);
  assert_int_equal(c1->series_count, 3);
  assert_int_equal(c1->above_count, 2);
  assert_int_equal(c1->n_dimension_keys, 1);
  assert_string_equal(c1->dimension_keys[0], "corridor");
  assert_int_equal(c1->n_above, 2);
  assert_string_equal(c1->above[0]->dimensions[0]->value, "FRA-SEN");
  assert_string_equal(c1->above[1]->dimensions[0]->value, "GBR-NGA");
  assert_true(c1->above[1]->latest_value == 6.1);
  assert_string_equal(c1->above[1]->latest_as_of, "2025-06-30");
  /* 6.1 in mid-2025 is above the straight path from 7 to 3. */
  assert_int_equal(c1->above[1]->trajectory,
                   RECTRACK__V1__TRAJECTORY__TRAJECTORY_OFF_TRACK);
  assert_string_equal(c1->sentence, C1_SENTENCE);
  const Rectrack__V1__SeriesCeilingReport *c2 = s->series_ceilings[1];
  assert_int_equal(c2->direction, RECTRACK__V1__DIRECTION__DIRECTION_INCREASE);
  assert_string_equal(c2->sentence, C2_SENTENCE);
  /* The overall figure is the measurement without dimensions. */
  assert_string_equal(s->indicators[0]->commitment_id, "C1");
  assert_true(s->indicators[0]->latest_value == 6.0);
  assert_int_equal(s->indicators[0]->n_measurements, 1);
  rt_review_summary_free(s);
}

static void test_list_bound_cuts_reports_and_series(void **state) {
  (void)state;
  fixture_t f;
  build(&f);
  f.in.max_list_items = 1;
  Rectrack__V1__ReviewSummary *s = NULL;
  rt_error_t err = {0};
  assert_int_equal(rt_review_compute(&f.in, &s, &err), 0);
  assert_int_equal(s->series_ceiling_count, 2);
  assert_int_equal(s->n_series_ceilings, 1);
  assert_int_equal(s->series_ceilings[0]->above_count, 2);
  assert_int_equal(s->series_ceilings[0]->n_above, 1);
  assert_string_equal(s->series_ceilings[0]->sentence,
                      "C1: 2 corridors above 5 per cent: FRA-SEN (5.4, "
                      "2025-03-31), and 1 more.");
  rt_review_summary_free(s);
}

static char *render(const rt_review_input_t *in, rt_review_format_t format,
                    const char *table, size_t *len) {
  rt_review_renderer_t *r = NULL;
  rt_error_t err = {0};
  assert_int_equal(rt_review_renderer_new(in, NULL, format, table, &r, &err),
                   0);
  return review_drain(r, len);
}

static size_t count_of(const char *doc, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(doc, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

static void test_every_format_carries_the_series(void **state) {
  (void)state;
  fixture_t f;
  build(&f);
  size_t len;
  char *html = render(&f.in, RT_REVIEW_HTML, NULL, &len);
  assert_non_null(strstr(html, C1_SENTENCE));
  assert_non_null(strstr(html, C2_SENTENCE));
  assert_non_null(strstr(html, "id=\"series-charts\""));
  assert_non_null(strstr(html, "<table class=\"t-series\">"));
  /* C1 and C2: a chart per series (5); C3: one grid of small multiples. */
  assert_int_equal(count_of(html, "by series</title>"), 1);
  assert_int_equal(count_of(html, "Small multiples"), 1);
  assert_int_equal(count_of(html, ": above the ceiling</text>"), 2);
  assert_int_equal(count_of(html, "sex=female: below the floor</text>"), 1);
  assert_null(strstr(html, "<script"));
  free(html);

  char *md = render(&f.in, RT_REVIEW_MARKDOWN, NULL, &len);
  assert_non_null(strstr(md, "C1: 2 corridors above 5 per cent"));
  assert_non_null(strstr(md, "## Disaggregated series"));
  assert_non_null(strstr(md, "| C1 | corridor=GBR-NGA | 6.1 | 2025-06-30 | per "
                             "cent | off-track | 5 | **yes** |"));
  free(md);

  char *csv = render(&f.in, RT_REVIEW_CSV, "series", &len);
  assert_true(strncmp(csv,
                      "commitment_id,indicator,dimensions,latest_value,as_of,"
                      "unit,progress,trajectory,measurement_count,ceiling,"
                      "above_ceiling\r\n",
                      strlen("commitment_id,indicator,dimensions,latest_value,"
                             "as_of,unit,progress,trajectory,measurement_count,"
                             "ceiling,above_ceiling\r\n")) == 0);
  assert_int_equal(count_of(csv, "\r\n"), 11); /* header + 10 series */
  assert_non_null(strstr(csv, "C1,Remittance cost,corridor=GBR-NGA,6.1,"
                              "2025-06-30,per cent,"));
  assert_int_equal(count_of(csv, ",true\r\n"), 3);
  assert_int_equal(count_of(csv, ",false\r\n"), 2);
  assert_int_equal(count_of(csv, ",,\r\n"), 5); /* C3: no ceiling */
  free(csv);

  char *json = render(&f.in, RT_REVIEW_JSON, NULL, &len);
  assert_non_null(strstr(json, "\"series_above_ceiling_count\":3"));
  assert_non_null(strstr(json, "\"series_ceilings\":["));
  assert_non_null(strstr(json, "\"dimensions\":{\"corridor\":\"GBR-NGA\"}"));
  assert_non_null(strstr(json, "\"above_ceiling\":true"));
  assert_non_null(strstr(json, "\n\"series\":["));
  free(json);

  char *xlsx = render(&f.in, RT_REVIEW_XLSX, NULL, &len);
  assert_true(len > 4 && memcmp(xlsx, "PK", 2) == 0);
  free(xlsx);
}

static rt_review_stream_input_t stream_input(const rt_review_input_t *in,
                                             review_source_t *src) {
  return (rt_review_stream_input_t){.from_date = in->from_date,
                                    .to_date = in->to_date,
                                    .as_of = in->as_of,
                                    .revision = in->revision,
                                    .source = review_source_get(src)};
}

static void test_stream_agrees_with_arrays(void **state) {
  (void)state;
  fixture_t f;
  build(&f);
  const size_t maxima[] = {0, 1};
  for (size_t i = 0; i < 2; i++) {
    Rectrack__V1__ReviewSummary *b =
        review_expect_stream_agrees(&f.in, maxima[i]);
    assert_int_equal(b->series_above_ceiling_count, 3);
    rt_review_summary_free(b);
  }
  const rt_review_format_t formats[] = {RT_REVIEW_HTML, RT_REVIEW_MARKDOWN,
                                        RT_REVIEW_JSON, RT_REVIEW_CSV};
  for (size_t i = 0; i < 4; i++) {
    const char *table = formats[i] == RT_REVIEW_CSV ? "series" : NULL;
    size_t la, lb;
    char *a = render(&f.in, formats[i], table, &la);
    review_source_t *src = review_array_source_new(&f.in);
    assert_non_null(src);
    rt_review_stream_input_t sin = stream_input(&f.in, src);
    rt_review_renderer_t *r = NULL;
    rt_error_t err = {0};
    assert_int_equal(rt_review_stream_new(&sin, formats[i], table, &r, &err),
                     0);
    char *b = review_drain(r, &lb);
    review_source_free(src);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a);
    free(b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_summary_reports_series_beyond_the_ceiling),
      cmocka_unit_test(test_list_bound_cuts_reports_and_series),
      cmocka_unit_test(test_every_format_carries_the_series),
      cmocka_unit_test(test_stream_agrees_with_arrays),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
