/*
 * test_review_source: the review's data source over a store
 * (service/review_source), in its two views. A store holds a
 * recommendation with an official follow-up and a reporter's submission
 * awaiting validation, a published commitment with a measurement, and an
 * unpublished one with an official follow-up. The whole view counts them
 * all as the Tracker's review does; the public view computes the figures
 * and renders a document from which the unpublished commitment, its
 * report, the submission and the principals' names are absent, as
 * docs/web.md ("What is public") says.
 */
#include "review_source.h"
#include "store_fixture.h"

#include <stdlib.h>
#include <string.h>

#define STATUS(x) RECTRACK__V1__STATUS__STATUS_##x

typedef struct world {
  fixture_t *fx;
  char *rec, *published, *hidden;
} world_t;

static const char *const bgd_only[] = {"bgd"};

static int setup(void **state) {
  int rc = fx_setup(state);
  fixture_t *fx = *state;
  world_t *w = calloc(1, sizeof *w);
  assert_non_null(w);
  w->fx = fx;
  Rectrack__V1__Recommendation rec = fx_recommendation("Disaggregate data");
  w->rec = fx_create_recommendation(fx->store, &rec);
  Rectrack__V1__Indicator ind = fx_indicator("cost of remittances", 10, 2);
  Rectrack__V1__Commitment com = fx_commitment("Cheaper remittances");
  com.indicator = &ind;
  com.kind = RECTRACK__V1__COMMITMENT_KIND__COMMITMENT_KIND_QUANTIFIED_TARGET;
  w->published = fx_create_commitment(fx->store, &com);
  Rectrack__V1__Commitment hidden = fx_commitment("Secret negotiation");
  hidden.publication = RECTRACK__V1__PUBLICATION__PUBLICATION_UNPUBLISHED;
  w->hidden = fx_create_commitment(fx->store, &hidden);
  assert_int_equal(
      fx_follow_up(fx->store, w->rec, STATUS(IN_PROGRESS), "2024-03-01"), 0);
  assert_int_equal(
      fx_follow_up(fx->store, w->hidden, STATUS(IMPLEMENTED), "2024-04-01"), 0);
  assert_int_equal(fx_measure(fx->store, w->published, 6, "2024-05-01"), 0);
  /* A reporter of bgd submits; it awaits validation. */
  Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
  fu.subject_id = w->rec;
  fu.status = STATUS(IMPLEMENTED);
  fu.as_of = (char *)"2024-06-30";
  fu.note = (char *)"submitted by the ministry";
  rt_write_op_t op = fx_op(RT_OP_RECORD_FOLLOW_UP, &fu);
  op.principal = "moi-bgd";
  op.role = RT_WRITE_ROLE_REPORTER;
  op.actors = bgd_only;
  op.n_actors = 1;
  assert_int_equal(fx_apply(fx->store, &op), 0);
  rt_write_ops_release(&op, 1);
  *state = w;
  return rc;
}

static int teardown(void **state) {
  world_t *w = *state;
  void *fx = w->fx;
  free(w->rec);
  free(w->published);
  free(w->hidden);
  free(w);
  return fx_teardown(&fx);
}

static Rectrack__V1__ReviewSummary *summary_of(world_t *w,
                                               review_source_view_t view) {
  rt_store_reader_t *reader = NULL;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(w->fx->store, &reader, &err), 0);
  review_source_t *source = NULL;
  assert_int_equal(review_source_new(reader, view, &source), 0);
  rt_review_stream_input_t in = {.from_date = "2024-01-01",
                                 .to_date = "2024-12-31",
                                 .revision = rt_store_revision(reader),
                                 .source = review_source_get(source)};
  Rectrack__V1__ReviewSummary *s = NULL;
  assert_int_equal(rt_review_compute_stream(&in, 0, &s, &err), 0);
  review_source_free(source);
  rt_store_reader_end(reader);
  return s;
}

/* The whole document of format, rendered from the view (NUL-ended). */
static char *document_of(world_t *w, review_source_view_t view,
                         rt_review_format_t format, const char *table) {
  rt_store_reader_t *reader = NULL;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(w->fx->store, &reader, &err), 0);
  review_source_t *source = NULL;
  assert_int_equal(review_source_new(reader, view, &source), 0);
  rt_review_stream_input_t in = {.from_date = "2024-01-01",
                                 .to_date = "2024-12-31",
                                 .revision = rt_store_revision(reader),
                                 .source = review_source_get(source)};
  rt_review_renderer_t *r = NULL;
  assert_int_equal(rt_review_stream_new(&in, format, table, &r, &err), 0);
  char *doc = NULL;
  size_t len = 0;
  const uint8_t *chunk;
  size_t n;
  int rc;
  while ((rc = rt_review_renderer_next(r, &chunk, &n)) == 1) {
    doc = realloc(doc, len + n + 1);
    assert_non_null(doc);
    memcpy(doc + len, chunk, n);
    len += n;
  }
  assert_int_equal(rc, 0);
  rt_review_renderer_free(r);
  review_source_free(source);
  rt_store_reader_end(reader);
  doc = realloc(doc, len + 1);
  doc[len] = '\0';
  return doc;
}

static void test_the_whole_view_counts_everything(void **state) {
  world_t *w = *state;
  Rectrack__V1__ReviewSummary *s = summary_of(w, REVIEW_SOURCE_ALL);
  assert_int_equal(s->recommendation_count, 1);
  assert_int_equal(s->commitment_count, 2);
  assert_int_equal(s->pending_count, 1);
  assert_int_equal(s->change_count, 2);
  rt_review_summary_free(s);
}

static void test_the_public_view_shows_only_what_is_public(void **state) {
  world_t *w = *state;
  Rectrack__V1__ReviewSummary *s = summary_of(w, REVIEW_SOURCE_PUBLIC);
  assert_int_equal(s->recommendation_count, 1);
  assert_int_equal(s->commitment_count, 1);
  assert_int_equal(s->pending_count, 0);
  assert_int_equal(s->change_count, 1);
  assert_string_equal(s->changes[0]->subject_id, w->rec);
  assert_int_equal(s->indicator_count, 1);
  assert_string_equal(s->indicators[0]->commitment_id, w->published);
  for (size_t i = 0; i < s->n_by_status; i++)
    assert_int_not_equal(s->by_status[i]->status, STATUS(IMPLEMENTED));
  rt_review_summary_free(s);
}

static void test_public_documents_leak_nothing(void **state) {
  world_t *w = *state;
  static const struct {
    rt_review_format_t format;
    const char *table;
  } docs[] = {
      {RT_REVIEW_HTML, NULL},        {RT_REVIEW_MARKDOWN, NULL},
      {RT_REVIEW_JSON, NULL},        {RT_REVIEW_CSV, "commitments"},
      {RT_REVIEW_CSV, "follow-ups"}, {RT_REVIEW_CSV, "recommendations"}};
  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
    char *all =
        document_of(w, REVIEW_SOURCE_ALL, docs[i].format, docs[i].table);
    char *pub =
        document_of(w, REVIEW_SOURCE_PUBLIC, docs[i].format, docs[i].table);
    /* The whole view has them, so their absence below means something. */
    if (docs[i].format != RT_REVIEW_CSV ||
        strcmp(docs[i].table, "commitments") == 0)
      assert_non_null(strstr(all, "Secret negotiation"));
    assert_null(strstr(pub, "Secret negotiation"));
    assert_null(strstr(pub, w->hidden));
    assert_null(strstr(pub, "submitted by the ministry"));
    assert_null(strstr(pub, "moi-bgd"));
    if (docs[i].format != RT_REVIEW_CSV)
      assert_non_null(strstr(pub, "Cheaper remittances"));
    free(all);
    free(pub);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_the_whole_view_counts_everything,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_the_public_view_shows_only_what_is_public, setup, teardown),
      cmocka_unit_test_setup_teardown(test_public_documents_leak_nothing, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
