/*
 * Lines of follow-up and the specificity summary in the review, on a
 * data set built for it: R1 (IDM 2016) echoed by R2 (IDM 2023), which R3
 * supersedes, is one line counted once under R3; R4 builds on R1 and R5
 * is related to it, so both stay apart; R6 is archived and echoes R5, so
 * it joins nothing. The summary from arrays and from a source must agree
 * byte for byte, the folded and superseded ones are neither overdue nor
 * without information, and the specificity counts name the ids.
 */
#include "review_agree.h"
#include "rt_review.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define N_RECS 6

typedef struct fixture {
  Rectrack__V1__Recommendation recs[N_RECS];
  Rectrack__V1__Recommendation *rec_ptrs[N_RECS];
  Rectrack__V1__RecommendationLink links[N_RECS];
  Rectrack__V1__RecommendationLink *link_ptrs[N_RECS];
  Rectrack__V1__SpecificityGap gaps[N_RECS][4];
  Rectrack__V1__Source sources[2];
  Rectrack__V1__Source *source_ptrs[2];
  Rectrack__V1__FollowUp fus[1];
  Rectrack__V1__FollowUp *fu_ptrs[1];
  rt_review_input_t in;
} fixture_t;

static void link(fixture_t *f, int from, int kind, const char *to) {
  Rectrack__V1__RecommendationLink *l = &f->links[from];
  rectrack__v1__recommendation_link__init(l);
  l->kind = kind;
  l->recommendation_id = (char *)to;
  f->link_ptrs[from] = l;
  f->recs[from].links = &f->link_ptrs[from];
  f->recs[from].n_links = 1;
}

static void build(fixture_t *f) {
  memset(f, 0, sizeof *f);
  static const char *ids[N_RECS] = {"R1", "R2", "R3", "R4", "R5", "R6"};
  static const char *srcs[N_RECS] = {"idm-2016", "idm-2023", "idm-2023",
                                     "idm-2023", "idm-2023", "idm-2023"};
  static const char *refs[N_RECS] = {"2", "4.5 #2", "§5", "", "", ""};
  for (int i = 0; i < N_RECS; i++) {
    Rectrack__V1__Recommendation *r = &f->recs[i];
    rectrack__v1__recommendation__init(r);
    r->id = (char *)ids[i];
    r->title = (char *)"Better migration data";
    r->source_id = (char *)srcs[i];
    r->source_ref = (char *)refs[i];
    r->theme = (char *)"data";
    r->due_date = (char *)(i < 3 ? "2020-01-01" : "");
    /* R1-R3 lack an addressee; R4-R6 a due date too: R4 and R5 (R6 is
     * archived) have neither. */
    r->specificity = i < 3 ? RECTRACK__V1__SPECIFICITY__SPECIFICITY_MEDIUM
                           : RECTRACK__V1__SPECIFICITY__SPECIFICITY_LOW;
    f->gaps[i][0] = RECTRACK__V1__SPECIFICITY_GAP__SPECIFICITY_GAP_ADDRESSEE;
    r->n_specificity_gaps = 1;
    if (i >= 3) {
      f->gaps[i][1] = RECTRACK__V1__SPECIFICITY_GAP__SPECIFICITY_GAP_DUE_DATE;
      r->n_specificity_gaps = 2;
    }
    r->specificity_gaps = f->gaps[i];
    f->rec_ptrs[i] = r;
  }
  f->recs[5].archived = true;
  link(f, 1, RECTRACK__V1__LINK_KIND__LINK_KIND_ECHOES, "R1");
  link(f, 2, RECTRACK__V1__LINK_KIND__LINK_KIND_SUPERSEDES, "R2");
  link(f, 3, RECTRACK__V1__LINK_KIND__LINK_KIND_BUILDS_ON, "R1");
  link(f, 4, RECTRACK__V1__LINK_KIND__LINK_KIND_RELATED, "R1");
  link(f, 5, RECTRACK__V1__LINK_KIND__LINK_KIND_ECHOES, "R5");
  static const char *sids[2] = {"idm-2016", "idm-2023"};
  static const char *titles[2] = {"IDM 2016 workshop", "IDM 2023"};
  static const char *dates[2] = {"2016-04-11", "2023-05-17"};
  for (int i = 0; i < 2; i++) {
    rectrack__v1__source__init(&f->sources[i]);
    f->sources[i].id = (char *)sids[i];
    f->sources[i].title = (char *)titles[i];
    f->sources[i].date = (char *)dates[i];
    f->source_ptrs[i] = &f->sources[i];
  }
  /* R3, the latest, is in progress; R1 was reported implemented long ago,
   * which must not count (it is folded). */
  rectrack__v1__follow_up__init(&f->fus[0]);
  f->fus[0].subject_id = (char *)"R3";
  f->fus[0].subject_type =
      RECTRACK__V1__SUBJECT_TYPE__SUBJECT_TYPE_RECOMMENDATION;
  f->fus[0].status = RECTRACK__V1__STATUS__STATUS_IN_PROGRESS;
  f->fus[0].as_of = (char *)"2024-03-01";
  f->fus[0].revision = 10;
  f->fu_ptrs[0] = &f->fus[0];
  f->in = (rt_review_input_t){.from_date = "2024-01-01",
                              .to_date = "2024-12-31",
                              .revision = 20,
                              .recommendations = f->rec_ptrs,
                              .recommendation_count = N_RECS,
                              .follow_ups = f->fu_ptrs,
                              .follow_up_count = 1,
                              .sources = f->source_ptrs,
                              .source_count = 2};
}

static int32_t status_total(const Rectrack__V1__ReviewSummary *s) {
  int32_t n = 0;
  for (size_t i = 0; i < s->n_by_status; i++)
    n += s->by_status[i]->count;
  return n;
}

static bool has_id(char **ids, size_t n, const char *id) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(ids[i], id) == 0)
      return true;
  return false;
}

static void test_line_counted_once(void **state) {
  (void)state;
  fixture_t f;
  build(&f);
  Rectrack__V1__ReviewSummary *s = NULL;
  rt_error_t err = {0};
  assert_int_equal(rt_review_compute(&f.in, &s, &err), 0);
  assert_int_equal(s->recommendation_count, 5); /* R6 archived */
  assert_int_equal(s->line_count, 1);
  assert_int_equal(s->folded_count, 2);
  assert_int_equal(s->superseded_count, 1);
  assert_int_equal(s->counted_recommendation_count, 3);
  assert_int_equal(status_total(s), 3); /* R3 for the line, R4, R5 */
  /* Overdue: only R3 (R1 and R2 are folded into it, R2 superseded). */
  assert_int_equal(s->overdue_count, 1);
  assert_string_equal(s->overdue[0]->subject_id, "R3");
  /* No information: R4 and R5; not R1, R2 (folded), not R3 (reported). */
  assert_int_equal(s->no_information_count, 2);
  assert_false(has_id(s->no_information_ids, s->n_no_information_ids, "R1"));
  assert_false(has_id(s->no_information_ids, s->n_no_information_ids, "R2"));
  assert_int_equal(s->n_lines, 1);
  const Rectrack__V1__LineOfFollowUp *l = s->lines[0];
  assert_string_equal(l->latest_id, "R3");
  assert_int_equal(l->status, RECTRACK__V1__STATUS__STATUS_IN_PROGRESS);
  assert_int_equal(l->n_recommendation_ids, 3);
  assert_string_equal(l->recommendation_ids[0], "R1");
  assert_string_equal(l->recommendation_ids[1], "R2");
  assert_string_equal(l->recommendation_ids[2], "R3");
  assert_string_equal(l->lineage,
                      "R1 first made at IDM 2016 workshop (2016-04-11) §2; "
                      "R2 echoed at IDM 2023 (2023-05-17) §4.5 #2; "
                      "R3 superseded at IDM 2023 (2023-05-17) §5");
  rt_review_summary_free(s);
}

static void test_specificity_summary(void **state) {
  (void)state;
  fixture_t f;
  build(&f);
  Rectrack__V1__ReviewSummary *s = NULL;
  rt_error_t err = {0};
  assert_int_equal(rt_review_compute(&f.in, &s, &err), 0);
  /* Counted: R3 (medium), R4 and R5 (low). */
  assert_int_equal(s->n_by_specificity, 2);
  assert_int_equal(s->by_specificity[0]->specificity,
                   RECTRACK__V1__SPECIFICITY__SPECIFICITY_LOW);
  assert_int_equal(s->by_specificity[0]->count, 2);
  assert_int_equal(s->by_specificity[1]->count, 1);
  assert_int_equal(s->n_by_specificity_gap, 5);
  const Rectrack__V1__SpecificityGapCount *addressee = s->by_specificity_gap[0];
  assert_int_equal(addressee->count, 3);
  assert_int_equal(addressee->n_recommendation_ids, 3);
  const Rectrack__V1__SpecificityGapCount *both = s->by_specificity_gap[4];
  assert_int_equal(both->n_gaps, 2);
  assert_int_equal(both->count, 2);
  assert_string_equal(both->recommendation_ids[0], "R4");
  assert_string_equal(both->recommendation_ids[1], "R5");
  assert_int_equal(s->by_specificity_gap[2]->count, 0); /* indicator */
  rt_review_summary_free(s);
}

/* The same records without their links: each counts, as before lines. */
static void test_without_links_all_count(void **state) {
  (void)state;
  fixture_t f;
  build(&f);
  for (int i = 0; i < N_RECS; i++)
    f.recs[i].n_links = 0;
  Rectrack__V1__ReviewSummary *s = NULL;
  rt_error_t err = {0};
  assert_int_equal(rt_review_compute(&f.in, &s, &err), 0);
  assert_int_equal(s->line_count, 0);
  assert_int_equal(status_total(s), 5);
  assert_int_equal(s->overdue_count, 3);
  assert_int_equal(s->counted_recommendation_count, 5);
  rt_review_summary_free(s);
}

static void test_stream_agrees(void **state) {
  (void)state;
  fixture_t f;
  build(&f);
  const size_t maxima[] = {0, 1};
  for (size_t i = 0; i < 2; i++) {
    Rectrack__V1__ReviewSummary *b =
        review_expect_stream_agrees(&f.in, maxima[i]);
    assert_int_equal(b->line_count, 1);
    rt_review_summary_free(b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_line_counted_once),
      cmocka_unit_test(test_specificity_summary),
      cmocka_unit_test(test_without_links_all_count),
      cmocka_unit_test(test_stream_agrees),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
