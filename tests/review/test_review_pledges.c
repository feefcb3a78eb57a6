/*
 * Joint and matching pledges in the review, on a data set built for it:
 * C1 is a partnership of mycp (lead) with idac and ilo; C2 an individual
 * pledge of undp that C3 (unicef) matches; C4 (unicef) matches C1; C5 a
 * common pledge of undp and iom; C6 an archived matching pledge of C2.
 * A partner's reports are its part's: they must not make the pledge's
 * own status (the old rule took the latest report of any part), a
 * status change follows on from the same part's previous report, and a
 * report dated after the review's as_of counts for nothing. The summary
 * from arrays and from a source must agree byte for byte, and the CSV
 * table of pledges reads the same from both.
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

#define N_COMS 6
#define N_FUS 6

typedef struct fixture {
  Rectrack__V1__Commitment coms[N_COMS];
  Rectrack__V1__Commitment *com_ptrs[N_COMS];
  char *partners[N_COMS][2];
  char *matched_by[N_COMS][2];
  Rectrack__V1__FollowUp fus[N_FUS];
  Rectrack__V1__FollowUp *fu_ptrs[N_FUS];
  Rectrack__V1__Actor actors[6];
  Rectrack__V1__Actor *actor_ptrs[6];
  rt_review_input_t in;
} fixture_t;

#define IN_PROGRESS RECTRACK__V1__STATUS__STATUS_IN_PROGRESS
#define NOT_STARTED RECTRACK__V1__STATUS__STATUS_NOT_STARTED
#define IMPLEMENTED RECTRACK__V1__STATUS__STATUS_IMPLEMENTED
#define NO_INFORMATION RECTRACK__V1__STATUS__STATUS_NO_INFORMATION

static void follow_up(fixture_t *f, int i, const char *subject,
                      const char *partner, int status, const char *as_of,
                      int review_state) {
  Rectrack__V1__FollowUp *fu = &f->fus[i];
  rectrack__v1__follow_up__init(fu);
  fu->subject_id = (char *)subject;
  fu->subject_type = RECTRACK__V1__SUBJECT_TYPE__SUBJECT_TYPE_COMMITMENT;
  fu->partner_id = (char *)partner;
  fu->status = status;
  fu->as_of = (char *)as_of;
  fu->revision = (uint64_t)(10 + i);
  fu->review_state = review_state;
  f->fu_ptrs[i] = fu;
}

static void build(fixture_t *f) {
  memset(f, 0, sizeof *f);
  static const char *ids[N_COMS] = {"C1", "C2", "C3", "C4", "C5", "C6"};
  static const char *actors[N_COMS] = {"mycp",   "undp", "unicef",
                                       "unicef", "undp", "unicef"};
  static const int types[N_COMS] = {
      RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_PARTNERSHIP,
      RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_UNSPECIFIED,
      RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_MATCHING,
      RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_MATCHING,
      RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_COMMON,
      RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_MATCHING};
  static const char *matches[N_COMS] = {"", "", "C2", "C1", "", "C2"};
  for (int i = 0; i < N_COMS; i++) {
    Rectrack__V1__Commitment *c = &f->coms[i];
    rectrack__v1__commitment__init(c);
    c->id = (char *)ids[i];
    c->title = (char *)"Better remittance data";
    c->actor_id = (char *)actors[i];
    c->pledge_type = types[i];
    c->matches_commitment_id = (char *)matches[i];
    f->com_ptrs[i] = c;
  }
  f->partners[0][0] = (char *)"idac";
  f->partners[0][1] = (char *)"ilo";
  f->coms[0].partner_ids = f->partners[0];
  f->coms[0].n_partner_ids = 2;
  f->partners[4][0] = (char *)"iom";
  f->coms[4].partner_ids = f->partners[4];
  f->coms[4].n_partner_ids = 1;
  f->coms[5].archived = true;
  /* What the server's source fills in (a computed field). */
  f->matched_by[0][0] = (char *)"C4";
  f->coms[0].matched_by = f->matched_by[0];
  f->coms[0].n_matched_by = 1;
  f->matched_by[1][0] = (char *)"C3";
  f->matched_by[1][1] = (char *)"C6";
  f->coms[1].matched_by = f->matched_by[1];
  f->coms[1].n_matched_by = 2;
  int validated = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_VALIDATED;
  int submitted = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_SUBMITTED;
  follow_up(f, 0, "C1", "", IN_PROGRESS, "2024-02-01", validated);
  follow_up(f, 1, "C1", "idac", NOT_STARTED, "2024-01-10", validated);
  follow_up(f, 2, "C1", "idac", IMPLEMENTED, "2024-06-01", validated);
  follow_up(f, 3, "C1", "ilo", IMPLEMENTED, "2025-03-01", validated);
  follow_up(f, 4, "C1", "ilo", NOT_STARTED, "2024-05-01", submitted);
  follow_up(f, 5, "C3", "", NOT_STARTED, "2024-04-01", validated);
  static const char *aids[6] = {"mycp", "idac", "ilo", "undp", "unicef", "iom"};
  static const char *names[6] = {"MYCP", "IDAC",   "ILO",
                                 "UNDP", "UNICEF", "IOM"};
  for (int i = 0; i < 6; i++) {
    rectrack__v1__actor__init(&f->actors[i]);
    f->actors[i].id = (char *)aids[i];
    f->actors[i].name = (char *)names[i];
    f->actor_ptrs[i] = &f->actors[i];
  }
  f->in = (rt_review_input_t){.from_date = "2024-01-01",
                              .to_date = "2024-12-31",
                              .revision = 30,
                              .commitments = f->com_ptrs,
                              .commitment_count = N_COMS,
                              .follow_ups = f->fu_ptrs,
                              .follow_up_count = N_FUS,
                              .actors = f->actor_ptrs,
                              .actor_count = 6};
}

static Rectrack__V1__ReviewSummary *compute(const rt_review_input_t *in) {
  Rectrack__V1__ReviewSummary *s = NULL;
  rt_error_t err = {0};
  assert_int_equal(rt_review_compute(in, &s, &err), 0);
  return s;
}

static const Rectrack__V1__StatusChange *
change_of(const Rectrack__V1__ReviewSummary *s, const char *partner,
          const char *as_of) {
  for (size_t i = 0; i < s->n_changes; i++) {
    const Rectrack__V1__FollowUp *fu = s->changes[i]->follow_up;
    if (fu && strcmp(fu->partner_id, partner) == 0 &&
        strcmp(fu->as_of, as_of) == 0)
      return s->changes[i];
  }
  return NULL;
}

static void test_partner_reports_are_their_parts(void **state) {
  (void)state;
  fixture_t f;
  build(&f);
  Rectrack__V1__ReviewSummary *s = compute(&f.in);
  /* idac's later "implemented" is not C1's: the lead said in progress. */
  const Rectrack__V1__PledgeGroup *c1 = s->pledge_groups[0];
  assert_string_equal(c1->commitment_id, "C1");
  assert_int_equal(c1->pledge_type,
                   RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_PARTNERSHIP);
  assert_int_equal(c1->status, IN_PROGRESS);
  assert_string_equal(c1->last_follow_up_as_of, "2024-02-01");
  assert_int_equal(c1->n_partners, 2);
  assert_string_equal(c1->partners[0]->actor_id, "idac");
  assert_int_equal(c1->partners[0]->status, IMPLEMENTED);
  assert_string_equal(c1->partners[0]->last_follow_up_as_of, "2024-06-01");
  /* ilo's only validated report is dated after as_of; its submission
   * awaits validation: no information, one more pending. */
  assert_string_equal(c1->partners[1]->actor_id, "ilo");
  assert_int_equal(c1->partners[1]->status, NO_INFORMATION);
  assert_string_equal(c1->partners[1]->last_follow_up_as_of, "");
  assert_int_equal(s->pending_count, 1);
  /* C1's status in the by-status figures is the lead's too. */
  int in_progress = 0;
  for (size_t i = 0; i < s->n_by_status; i++)
    if (s->by_status[i]->status == IN_PROGRESS)
      in_progress = s->by_status[i]->count;
  assert_int_equal(in_progress, 1);
  /* idac's change follows on from idac's own earlier report. */
  const Rectrack__V1__StatusChange *ch = change_of(s, "idac", "2024-06-01");
  assert_non_null(ch);
  assert_int_equal(ch->from_status, NOT_STARTED);
  assert_int_equal(ch->to_status, IMPLEMENTED);
  ch = change_of(s, "", "2024-02-01");
  assert_non_null(ch);
  assert_int_equal(ch->from_status, NO_INFORMATION);
  rt_review_summary_free(s);
}

static void test_matching_beside_matched(void **state) {
  (void)state;
  fixture_t f;
  build(&f);
  Rectrack__V1__ReviewSummary *s = compute(&f.in);
  assert_int_equal(s->joint_pledge_count, 2);    /* C1, C5 */
  assert_int_equal(s->matching_pledge_count, 2); /* C3, C4; C6 archived */
  assert_int_equal(s->pledge_group_count, 3);    /* C1, C2, C5 */
  assert_int_equal(s->n_pledge_groups, 3);
  const Rectrack__V1__PledgeGroup *c1 = s->pledge_groups[0],
                                  *c2 = s->pledge_groups[1],
                                  *c5 = s->pledge_groups[2];
  assert_int_equal(c1->n_matched_by, 1);
  assert_string_equal(c1->matched_by[0]->commitment_id, "C4");
  assert_string_equal(c2->commitment_id, "C2");
  assert_int_equal(c2->pledge_type,
                   RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_INDIVIDUAL);
  assert_int_equal(c2->n_partners, 0);
  assert_int_equal(c2->n_matched_by, 1);
  assert_string_equal(c2->matched_by[0]->commitment_id, "C3");
  assert_string_equal(c2->matched_by[0]->actor_id, "unicef");
  assert_int_equal(c2->matched_by[0]->status, NOT_STARTED);
  assert_string_equal(c2->matched_by[0]->last_follow_up_as_of, "2024-04-01");
  assert_string_equal(c5->commitment_id, "C5");
  assert_int_equal(c5->n_partners, 1);
  assert_int_equal(c5->partners[0]->status, NO_INFORMATION);
  rt_review_summary_free(s);
  /* Bounded as the other lists: the first, and the count of all. */
  rt_review_input_t in = f.in;
  in.max_list_items = 1;
  s = compute(&in);
  assert_int_equal(s->n_pledge_groups, 1);
  assert_int_equal(s->pledge_group_count, 3);
  rt_review_summary_free(s);
}

static void test_without_pledges_nothing_listed(void **state) {
  (void)state;
  fixture_t f;
  build(&f);
  for (int i = 0; i < N_COMS; i++) {
    f.coms[i].pledge_type = RECTRACK__V1__PLEDGE_TYPE__PLEDGE_TYPE_INDIVIDUAL;
    f.coms[i].n_partner_ids = 0;
    f.coms[i].matches_commitment_id = (char *)"";
    f.coms[i].n_matched_by = 0;
  }
  Rectrack__V1__ReviewSummary *s = compute(&f.in);
  assert_int_equal(s->pledge_group_count, 0);
  assert_int_equal(s->joint_pledge_count, 0);
  assert_int_equal(s->matching_pledge_count, 0);
  rt_review_summary_free(s);
}

static void test_stream_agrees(void **state) {
  (void)state;
  fixture_t f;
  build(&f);
  const size_t maxima[] = {0, 1};
  for (size_t i = 0; i < 2; i++)
    rt_review_summary_free(review_expect_stream_agrees(&f.in, maxima[i]));
  /* The CSV table of pledges, from arrays and streamed. */
  rt_review_renderer_t *r = NULL;
  rt_error_t err = {0};
  assert_int_equal(
      rt_review_renderer_new(&f.in, NULL, RT_REVIEW_CSV, "pledges", &r, &err),
      0);
  size_t na, nb;
  char *csv_a = review_drain(r, &na);
  review_source_t *src = review_array_source_new(&f.in);
  assert_non_null(src);
  rt_review_stream_input_t sin = {.from_date = f.in.from_date,
                                  .to_date = f.in.to_date,
                                  .revision = f.in.revision,
                                  .source = review_source_get(src)};
  assert_int_equal(
      rt_review_stream_new(&sin, RT_REVIEW_CSV, "pledges", &r, &err), 0);
  char *csv_b = review_drain(r, &nb);
  review_source_free(src);
  assert_string_equal(csv_a, csv_b);
  assert_non_null(strstr(csv_a, "commitment_id,title,pledge_type"));
  assert_non_null(strstr(csv_a, "C1,Better remittance data,partnership,"
                                "mycp,MYCP,in-progress"));
  assert_non_null(strstr(csv_a, "IDAC: Implemented (2024-06-01)"));
  assert_non_null(strstr(csv_a, "C3 UNICEF: Not started (2024-04-01)"));
  assert_null(strstr(csv_a, "C6"));
  free(csv_a);
  free(csv_b);
}

static void test_unknown_csv_table_named(void **state) {
  (void)state;
  fixture_t f;
  build(&f);
  rt_review_renderer_t *r = NULL;
  rt_error_t err = {0};
  assert_int_not_equal(
      rt_review_renderer_new(&f.in, NULL, RT_REVIEW_CSV, "pledge", &r, &err),
      0);
  assert_null(r);
  assert_non_null(strstr(err.message, "pledges"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_partner_reports_are_their_parts),
      cmocka_unit_test(test_matching_beside_matched),
      cmocka_unit_test(test_without_pledges_nothing_listed),
      cmocka_unit_test(test_stream_agrees),
      cmocka_unit_test(test_unknown_csv_table_named),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
