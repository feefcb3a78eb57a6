/*
 * The review rendered from a source (rt_review_stream_new): the streamed
 * document equals, byte for byte, the one the arrays of the same data set
 * give, on the known-answer fixture and on randomised data sets (fixed
 * seeds) with archived records, submissions awaiting validation, returned
 * ones, records without a theme and several periods; and its memory does
 * not grow with the data set: the heap's peak while rendering every
 * format of 1,000 and of 8,000 generated recommendations is the same
 * within a bound far below what the larger data set would take.
 */
#include "review_fixture.h"
#include "review_source.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#if defined(__SANITIZE_ADDRESS__)
/* From the sanitizer runtime (its header is not always installed). */
size_t __sanitizer_get_current_allocated_bytes(void);
static size_t heap_in_use(void) {
  return __sanitizer_get_current_allocated_bytes();
}
#else
#include <malloc.h>
static size_t heap_in_use(void) { return mallinfo2().uordblks; }
#endif

/* Reads a renderer to its end; *peak (optional) the heap's largest
 * growth over `base` seen between chunks. */
static char *drain(rt_review_renderer_t *r, size_t *len, size_t base,
                   size_t *peak) {
  char *doc = NULL;
  size_t cap = 0;
  const uint8_t *chunk;
  size_t n;
  int rc;
  *len = 0;
  while ((rc = rt_review_renderer_next(r, &chunk, &n)) == 1) {
    assert_true(n <= RT_REVIEW_CHUNK_MAX);
    if (n == 0)
      continue; /* XLSX: the workbook is being built */
    if (peak != NULL) {
      size_t now = heap_in_use();
      if (now > base && now - base > *peak)
        *peak = now - base;
      continue; /* the document itself is not kept */
    }
    if (*len + n + 1 > cap) {
      cap = (*len + n + 1) * 2;
      doc = realloc(doc, cap);
      assert_non_null(doc);
    }
    memcpy(doc + *len, chunk, n);
    *len += n;
  }
  assert_int_equal(rc, 0);
  if (doc != NULL)
    doc[*len] = '\0';
  rt_review_renderer_free(r);
  return doc;
}

static char *render_arrays(const rt_review_input_t *in,
                           rt_review_format_t format, const char *table,
                           size_t *len) {
  rt_review_renderer_t *r = NULL;
  rt_error_t err = {0};
  assert_int_equal(rt_review_renderer_new(in, NULL, format, table, &r, &err),
                   0);
  return drain(r, len, 0, NULL);
}

static char *render_stream(const rt_review_input_t *in,
                           rt_review_format_t format, const char *table,
                           size_t *len) {
  review_source_t *s = review_array_source_new(in);
  assert_non_null(s);
  rt_review_stream_input_t sin = {.from_date = in->from_date,
                                  .to_date = in->to_date,
                                  .as_of = in->as_of,
                                  .revision = in->revision,
                                  .source = review_source_get(s)};
  rt_review_renderer_t *r = NULL;
  rt_error_t err = {0};
  assert_int_equal(rt_review_stream_new(&sin, format, table, &r, &err), 0);
  char *doc = drain(r, len, 0, NULL);
  review_source_free(s);
  return doc;
}

static const struct {
  rt_review_format_t format;
  const char *table;
} documents[] = {
    {RT_REVIEW_CSV, "recommendations"},
    {RT_REVIEW_CSV, "commitments"},
    {RT_REVIEW_CSV, "follow-ups"},
    {RT_REVIEW_CSV, "measurements"},
    {RT_REVIEW_MARKDOWN, NULL},
    {RT_REVIEW_HTML, NULL},
    {RT_REVIEW_JSON, NULL},
    {RT_REVIEW_XLSX, NULL},
};

static void expect_same_documents(const rt_review_input_t *in) {
  for (size_t d = 0; d < sizeof documents / sizeof documents[0]; d++) {
    size_t a_len, b_len;
    char *a = NULL, *b = NULL;
    /* A workbook carries the time it was made (its properties, and each
     * part's time in the zip): the two are compared when they were made
     * within one second, tried again otherwise. */
    bool same_second = false;
    for (int attempt = 0; attempt < 20 && !same_second; attempt++) {
      free(a);
      free(b);
      time_t started = time(NULL);
      a = render_arrays(in, documents[d].format, documents[d].table, &a_len);
      b = render_stream(in, documents[d].format, documents[d].table, &b_len);
      same_second =
          documents[d].format != RT_REVIEW_XLSX || time(NULL) == started;
    }
    if (!same_second) {
      print_message("note: every workbook pair straddled a second; "
                    "compared by length only\n");
      assert_int_equal(a_len, b_len);
    } else if (a_len != b_len || memcmp(a, b, a_len) != 0) {
      size_t at = 0;
      while (at < a_len && at < b_len && a[at] == b[at])
        at++;
      fail_msg("format %d %s (%s..%s as of %s): streamed %zu bytes differ "
               "from the arrays' %zu at byte %zu:\n--- arrays\n%.400s\n--- "
               "streamed\n%.400s",
               (int)documents[d].format,
               documents[d].table ? documents[d].table : "", in->from_date,
               in->to_date, in->as_of, b_len, a_len, at,
               a + (at > 200 ? at - 200 : 0), b + (at > 200 ? at - 200 : 0));
    }
    assert_true(a_len > 0);
    free(a);
    free(b);
  }
}

/* The summary from a source equals the arrays' (packed bytes), with
 * lists cut at several lengths. */
static void expect_same_summaries(const rt_review_input_t *in) {
  const size_t maxima[] = {0, 1, 3, 100};
  for (size_t i = 0; i < sizeof maxima / sizeof maxima[0]; i++) {
    rt_review_input_t cut = *in;
    cut.max_list_items = maxima[i];
    Rectrack__V1__ReviewSummary *a = NULL, *b = NULL;
    rt_error_t err = {0};
    assert_int_equal(rt_review_compute(&cut, &a, &err), 0);
    review_source_t *s = review_array_source_new(in);
    assert_non_null(s);
    rt_review_stream_input_t sin = {.from_date = in->from_date,
                                    .to_date = in->to_date,
                                    .as_of = in->as_of,
                                    .revision = in->revision,
                                    .source = review_source_get(s)};
    assert_int_equal(rt_review_compute_stream(&sin, maxima[i], &b, &err), 0);
    review_source_free(s);
    size_t a_len = protobuf_c_message_get_packed_size(&a->base);
    size_t b_len = protobuf_c_message_get_packed_size(&b->base);
    uint8_t *pa = malloc(a_len + 1), *pb = malloc(b_len + 1);
    assert_non_null(pa);
    assert_non_null(pb);
    protobuf_c_message_pack(&a->base, pa);
    protobuf_c_message_pack(&b->base, pb);
    if (a_len != b_len || memcmp(pa, pb, a_len) != 0)
      fail_msg("summary (lists of %zu): %zu bytes from the source, %zu from "
               "the arrays; changes %zu/%zu, overdue %zu/%zu, indicators "
               "%zu/%zu, ids %zu/%zu, by_actor %zu/%zu",
               maxima[i], b_len, a_len, b->n_changes, a->n_changes,
               b->n_overdue, a->n_overdue, b->n_indicators, a->n_indicators,
               b->n_no_information_ids, a->n_no_information_ids, b->n_by_actor,
               a->n_by_actor);
    free(pa);
    free(pb);
    rt_review_summary_free(a);
    rt_review_summary_free(b);
  }
}

/* A renderer freed halfway through its document (a client that walks
 * away) frees everything, the current subject's window included. */
static void expect_clean_abandon(const rt_review_input_t *in) {
  for (size_t d = 0; d < sizeof documents / sizeof documents[0]; d++)
    for (int pieces = 0; pieces < 3; pieces++) {
      review_source_t *s = review_array_source_new(in);
      assert_non_null(s);
      rt_review_stream_input_t sin = {.from_date = in->from_date,
                                      .to_date = in->to_date,
                                      .as_of = in->as_of,
                                      .source = review_source_get(s)};
      rt_review_renderer_t *r = NULL;
      rt_error_t err = {0};
      assert_int_equal(rt_review_stream_new(&sin, documents[d].format,
                                            documents[d].table, &r, &err),
                       0);
      const uint8_t *chunk;
      size_t len;
      for (int i = 0; i < pieces; i++)
        assert_true(rt_review_renderer_next(r, &chunk, &len) >= 0);
      rt_review_renderer_free(r);
      review_source_free(s);
    }
}

static void test_fixture_streams_as_the_arrays_render(void **state) {
  (void)state;
  review_fixture_t f;
  review_fixture_init(&f);
  expect_same_documents(&f.in);
  expect_same_summaries(&f.in);
  expect_clean_abandon(&f.in);
  f.in.from_date = "";
  f.in.as_of = "2024-06-30";
  expect_same_documents(&f.in);
  expect_same_summaries(&f.in);
}

/* ---- randomised data sets -------------------------------------------- */

enum { RAND_RECS = 240, RAND_COMS = 90, RAND_FUS = 900, RAND_MEAS = 300 };

typedef struct rand_set {
  Rectrack__V1__Recommendation recs[RAND_RECS], *rec_ptrs[RAND_RECS];
  Rectrack__V1__Commitment coms[RAND_COMS], *com_ptrs[RAND_COMS];
  Rectrack__V1__Indicator indicators[RAND_COMS];
  Rectrack__V1__FollowUp fus[RAND_FUS], *fu_ptrs[RAND_FUS];
  Rectrack__V1__Measurement meas[RAND_MEAS], *meas_ptrs[RAND_MEAS];
  char ids[RAND_RECS + RAND_COMS][16];
  char dates[RAND_FUS + RAND_MEAS][11];
  char dues[RAND_RECS + RAND_COMS][11];
  Rectrack__V1__Actor actors[2], *actor_ptrs[2];
  Rectrack__V1__Source sources[2], *source_ptrs[2];
  Rectrack__V1__Theme theme, *theme_ptr;
  rt_review_input_t in;
} rand_set_t;

static uint64_t rng;
static unsigned rnd(unsigned n) {
  rng = rng * 6364136223846793005ull + 1442695040888963407ull;
  return (unsigned)((rng >> 33) % n);
}

static void random_date(char out[11]) {
  snprintf(out, 11, "%04u-%02u-%02u", 2021 + rnd(5), 1 + rnd(12), 1 + rnd(28));
}

static const char *const themes[] = {
    "",       "data",       "labour-migration", "remittances",
    "return", "diaspora10", "diaspora9"};
static char *sdgs[] = {(char *)"10.7", (char *)"10.c", (char *)"8.8"};
static int32_t gcms[] = {1, 19, 20};
static const char *const states_text[] = {"Reported at the meeting.",
                                          "=cmd|' /C calc'!A0", "a, \"b\"\nc"};

static void build_random(rand_set_t *d, uint64_t seed) {
  memset(d, 0, sizeof *d);
  rng = seed;
  for (size_t i = 0; i < RAND_RECS; i++) {
    Rectrack__V1__Recommendation *r = &d->recs[i];
    rectrack__v1__recommendation__init(r);
    /* ids in no particular order, with gaps */
    snprintf(d->ids[i], 16, "R%zu", 1 + (i * 7919) % 1000);
    r->id = d->ids[i];
    r->title = (char *)states_text[rnd(3)];
    r->theme = (char *)themes[rnd(7)];
    r->archived = rnd(20) == 0;
    if (rnd(3)) {
      random_date(d->dues[i]);
      r->due_date = d->dues[i];
    }
    r->lead_actor_id = (char *)"iom";
    r->source_id = (char *)(rnd(3) ? "gfmd-2023" : rnd(2) ? "idm-2024" : "");
    r->sdg_targets = sdgs;
    r->n_sdg_targets = rnd(4);
    r->gcm_objectives = gcms;
    r->n_gcm_objectives = rnd(4);
    d->rec_ptrs[i] = r;
  }
  for (size_t i = 0; i < RAND_COMS; i++) {
    Rectrack__V1__Commitment *c = &d->coms[i];
    rectrack__v1__commitment__init(c);
    snprintf(d->ids[RAND_RECS + i], 16, "C%zu", 1 + (i * 104729) % 500);
    c->id = d->ids[RAND_RECS + i];
    c->title = (char *)states_text[rnd(3)];
    c->actor_id = (char *)"bgd";
    c->archived = rnd(15) == 0;
    if (rnd(2)) {
      random_date(d->dues[RAND_RECS + i]);
      c->due_date = d->dues[RAND_RECS + i];
    }
    if (rnd(2)) {
      Rectrack__V1__Indicator *ind = &d->indicators[i];
      rectrack__v1__indicator__init(ind);
      ind->name = (char *)"Reached";
      ind->unit = (char *)"%";
      ind->baseline_value = rnd(50);
      ind->baseline_date = (char *)"2021-01-01";
      ind->target_value = rnd(100);
      ind->target_date = (char *)"2026-01-01";
      ind->direction = (int)rnd(3);
      c->indicator = ind;
    }
    d->com_ptrs[i] = c;
  }
  /* Revisions are unique, as the store's are, in an order of their own. */
  for (size_t i = 0; i < RAND_FUS; i++) {
    Rectrack__V1__FollowUp *fu = &d->fus[i];
    rectrack__v1__follow_up__init(fu);
    unsigned pick = rnd(RAND_RECS + RAND_COMS);
    fu->subject_id = d->ids[pick];
    random_date(d->dates[i]);
    fu->as_of = d->dates[i];
    fu->status = (int)rnd(7);
    fu->revision = 1 + (i * 7877) % 100003;
    fu->review_state = (int)rnd(4);
    fu->note = (char *)states_text[rnd(3)];
    fu->reported_by = (char *)"bgd";
    d->fu_ptrs[i] = fu;
  }
  for (size_t i = 0; i < RAND_MEAS; i++) {
    Rectrack__V1__Measurement *m = &d->meas[i];
    rectrack__v1__measurement__init(m);
    m->commitment_id = d->ids[RAND_RECS + rnd(RAND_COMS)];
    random_date(d->dates[RAND_FUS + i]);
    m->as_of = d->dates[RAND_FUS + i];
    m->value = rnd(120);
    m->revision = 200000 + (i * 31) % 7919;
    m->review_state = (int)rnd(4);
    d->meas_ptrs[i] = m;
  }
  static const char *const actor_ids[] = {"iom", "bgd"};
  static const char *const actor_names[] = {"IOM", "Bangladesh"};
  for (size_t i = 0; i < 2; i++) {
    rectrack__v1__actor__init(&d->actors[i]);
    d->actors[i].id = (char *)actor_ids[i];
    d->actors[i].name = (char *)actor_names[i];
    d->actor_ptrs[i] = &d->actors[i];
  }
  static const char *const source_ids[] = {"idm-2024", "gfmd-2023"};
  for (size_t i = 0; i < 2; i++) {
    rectrack__v1__source__init(&d->sources[i]);
    d->sources[i].id = (char *)source_ids[i];
    d->sources[i].title = (char *)(i ? "GFMD summit" : "");
    d->sources[i].date = (char *)(i ? "2023-01-24" : "");
    d->source_ptrs[i] = &d->sources[i];
  }
  rectrack__v1__theme__init(&d->theme);
  d->theme.id = (char *)"diaspora9"; /* added at run time: its title */
  d->theme.title = (char *)"Diaspora, ninth round";
  d->theme_ptr = &d->theme;
  d->in = (rt_review_input_t){
      .actors = d->actor_ptrs,
      .actor_count = 2,
      .sources = d->source_ptrs,
      .source_count = 2,
      .themes = &d->theme_ptr,
      .theme_count = 1,
      .from_date = "2023-01-01",
      .to_date = "2023-12-31",
      .revision = 42,
      .recommendations = d->rec_ptrs,
      .recommendation_count = RAND_RECS,
      .commitments = d->com_ptrs,
      .commitment_count = RAND_COMS,
      .follow_ups = d->fu_ptrs,
      .follow_up_count = RAND_FUS,
      .measurements = d->meas_ptrs,
      .measurement_count = RAND_MEAS,
  };
}

static void test_random_data_sets_stream_as_the_arrays_render(void **state) {
  (void)state;
  static rand_set_t d;
  const struct {
    const char *from, *to, *as_of;
  } periods[] = {{"2023-01-01", "2023-12-31", ""},
                 {"", "2024-06-30", "2022-03-31"},
                 {"2021-01-01", "2025-12-31", "2026-01-01"}};
  for (uint64_t seed = 1; seed <= 6; seed++) {
    build_random(&d, seed * 7777);
    const size_t p = seed % 3;
    d.in.from_date = periods[p].from;
    d.in.to_date = periods[p].to;
    d.in.as_of = periods[p].as_of;
    expect_same_documents(&d.in);
    expect_same_summaries(&d.in);
    if (seed == 1)
      expect_clean_abandon(&d.in);
  }
}

/* ---- memory ---------------------------------------------------------- */

/* The heap's peak growth while the four CSV tables of n generated
 * recommendations are rendered; the output is dropped chunk by chunk. */
static size_t peak_for(size_t n, size_t *bytes) {
  size_t peak = 0;
  *bytes = 0;
  for (size_t t = 0; t < sizeof documents / sizeof documents[0]; t++) {
    review_source_t *s = review_generated_source_new(n);
    assert_non_null(s);
    rt_review_stream_input_t in = {.from_date = "2024-01-01",
                                   .to_date = "2024-12-31",
                                   .source = review_source_get(s)};
    size_t base = heap_in_use();
    rt_review_renderer_t *r = NULL;
    rt_error_t err = {0};
    assert_int_equal(rt_review_stream_new(&in, documents[t].format,
                                          documents[t].table, &r, &err),
                     0);
    /* Count what the renderer hands out, without keeping it. */
    const uint8_t *chunk;
    size_t len;
    int rc;
    while ((rc = rt_review_renderer_next(r, &chunk, &len)) == 1) {
      *bytes += len;
      size_t now = heap_in_use();
      if (now > base && now - base > peak)
        peak = now - base;
    }
    assert_int_equal(rc, 0);
    rt_review_renderer_free(r);
    assert_true(review_source_peak_live(s) <= 8);
    review_source_free(s);
  }
  return peak;
}

static void test_streamed_memory_does_not_grow_with_the_data_set(void **st) {
  (void)st;
  size_t small_bytes, large_bytes;
  size_t small = peak_for(1000, &small_bytes);
  size_t large = peak_for(8000, &large_bytes);
  /* The larger data set gives eight times the document... */
  assert_true(large_bytes > 7 * small_bytes);
  /* ...in the same memory: the output of one step, one subject's model
   * and the workbook writer's buffers, never the records (the 8,000
   * recommendations with their reports are some megabytes). */
  print_message("peak heap growth: %zu bytes at 1,000 recommendations "
                "(%zu bytes out), %zu at 8,000 (%zu bytes out)\n",
                small, small_bytes, large, large_bytes);
  assert_true(large < 2 * 1024 * 1024);
  assert_true(large < small + 64 * 1024);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixture_streams_as_the_arrays_render),
      cmocka_unit_test(test_random_data_sets_stream_as_the_arrays_render),
      cmocka_unit_test(test_streamed_memory_does_not_grow_with_the_data_set),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
