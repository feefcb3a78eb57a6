/*
 * The known-answer data set of the review tests; see review_fixture.h.
 * Expected figures are worked out in test_review.c next to each check.
 */
#include "review_fixture.h"

#include <stdbool.h>
#include <string.h>

#define S(x) ((char *)(x))
#define H S(REVIEW_FIXTURE_HOSTILE)

static char *r1_to[] = {S("bgd"), S("iom")};
static char *r1_sdg[] = {S("10.c")};
static int32_t r1_gcm[] = {20};
static char *r2_sdg[] = {S("17.18"), S("10.7")};
static int32_t r2_gcm[] = {1};
static char *r3_to[] = {S("mex")};
static char *c1_sdg[] = {S("10.c")};
static int32_t c1_gcm[] = {20, 20};
static char *c1_recs[] = {S("R1")};
static char *fu_evidence[] = {S("https://example.org/a,b"), H};

static void add_rec(review_fixture_t *f, int i, const char *id,
                    const char *theme, const char *lead, const char *due) {
  Rectrack__V1__Recommendation *r = &f->recs[i];
  rectrack__v1__recommendation__init(r);
  r->id = S(id);
  r->theme = S(theme);
  r->title = S(id);
  r->text = S("Text of the recommendation.");
  r->source_id = S("idm-2024");
  r->lead_actor_id = S(lead);
  r->due_date = S(due);
  f->rec_ptrs[i] = r;
}

static void add_fu(review_fixture_t *f, int i, const char *subject,
                   const char *as_of, int status, uint64_t revision) {
  Rectrack__V1__FollowUp *fu = &f->fus[i];
  rectrack__v1__follow_up__init(fu);
  fu->subject_id = S(subject);
  fu->as_of = S(as_of);
  fu->status = status;
  fu->revision = revision;
  fu->reported_by = S("bgd");
  fu->note = S("Reported at the review meeting.");
  f->fu_ptrs[i] = fu;
}

static void add_com(review_fixture_t *f, int i, const char *id,
                    const char *actor, const char *due, double base,
                    double target, int direction) {
  Rectrack__V1__Commitment *c = &f->coms[i];
  Rectrack__V1__Indicator *ind = &f->indicators[i];
  rectrack__v1__commitment__init(c);
  rectrack__v1__indicator__init(ind);
  c->id = S(id);
  c->actor_id = S(actor);
  c->title = S(id);
  c->kind = RECTRACK__V1__COMMITMENT_KIND__COMMITMENT_KIND_QUANTIFIED_TARGET;
  c->due_date = S(due);
  ind->name = S("Indicator");
  ind->unit = S("per cent");
  ind->baseline_value = base;
  ind->baseline_date = S("2020-01-01");
  ind->target_value = target;
  ind->target_date = S("2030-01-01");
  ind->direction = direction;
  c->indicator = ind;
  f->com_ptrs[i] = c;
}

static void add_meas(review_fixture_t *f, int i, const char *commitment,
                     const char *as_of, double value) {
  Rectrack__V1__Measurement *m = &f->meas[i];
  rectrack__v1__measurement__init(m);
  m->commitment_id = S(commitment);
  m->as_of = S(as_of);
  m->value = value;
  m->source = S("World Bank RPW");
  m->revision = (uint64_t)(100 + i);
  f->meas_ptrs[i] = m;
}

static void add_recommendations(review_fixture_t *f) {
  add_rec(f, 0, "R1", "remittances", "bgd", "2024-06-30");
  f->recs[0].title = H;
  f->recs[0].text = H;
  f->recs[0].addressed_to = r1_to;
  f->recs[0].n_addressed_to = 2;
  f->recs[0].sdg_targets = r1_sdg;
  f->recs[0].n_sdg_targets = 1;
  f->recs[0].gcm_objectives = r1_gcm;
  f->recs[0].n_gcm_objectives = 1;
  add_rec(f, 1, "R2", "data", "iom", "2025-06-30");
  f->recs[1].sdg_targets = r2_sdg;
  f->recs[1].n_sdg_targets = 2;
  f->recs[1].gcm_objectives = r2_gcm;
  f->recs[1].n_gcm_objectives = 1;
  add_rec(f, 2, "R3", "data", "", "2024-01-31");
  f->recs[2].addressed_to = r3_to;
  f->recs[2].n_addressed_to = 1;
  add_rec(f, 3, "R10", "remittances", "bgd", "2023-12-31");
  add_rec(f, 4, "R4", "data", "bgd", "2020-01-01");
  f->recs[4].archived = true;
  add_rec(f, 5, "R5", "health", "bgd", "");
  add_rec(f, 6, "R6", REVIEW_FIXTURE_HOSTILE, "", "");
}

static void add_follow_ups(review_fixture_t *f) {
  add_fu(f, 0, "R1", "2023-05-01", RECTRACK__V1__STATUS__STATUS_NOT_STARTED,
         10);
  add_fu(f, 1, "R1", "2024-03-01", RECTRACK__V1__STATUS__STATUS_IN_PROGRESS,
         20);
  f->fus[1].note = H;
  f->fus[1].evidence = fu_evidence;
  f->fus[1].n_evidence = 2;
  add_fu(f, 2, "R2", "2024-02-01", RECTRACK__V1__STATUS__STATUS_IMPLEMENTED,
         15);
  add_fu(f, 3, "R10", "2023-01-01", RECTRACK__V1__STATUS__STATUS_IN_PROGRESS,
         5);
  add_fu(f, 4, "R10", "2024-05-01", RECTRACK__V1__STATUS__STATUS_IN_PROGRESS,
         25);
  add_fu(f, 5, "R5", "2025-02-01", RECTRACK__V1__STATUS__STATUS_IMPLEMENTED,
         40);
  add_fu(f, 6, "C1", "2024-06-01", RECTRACK__V1__STATUS__STATUS_IN_PROGRESS,
         30);
  add_fu(f, 7, "R4", "2024-06-01", RECTRACK__V1__STATUS__STATUS_STALLED, 31);
}

static void add_commitments(review_fixture_t *f) {
  add_com(f, 0, "C1", "bgd", "2030-01-01", 6.0, 3.0,
          RECTRACK__V1__DIRECTION__DIRECTION_DECREASE);
  f->coms[0].title = H;
  f->coms[0].sdg_targets = c1_sdg;
  f->coms[0].n_sdg_targets = 1;
  f->coms[0].gcm_objectives = c1_gcm;
  f->coms[0].n_gcm_objectives = 2;
  f->coms[0].recommendation_ids = c1_recs;
  f->coms[0].n_recommendation_ids = 1;
  add_com(f, 1, "C2", "iom", "2024-12-01", 20, 60,
          RECTRACK__V1__DIRECTION__DIRECTION_INCREASE);
  f->indicators[1].target_date = S("2025-01-01");
  add_com(f, 2, "C3", "mex", "", 10, 20,
          RECTRACK__V1__DIRECTION__DIRECTION_UNSPECIFIED);
  add_com(f, 3, "C4", "iom", "", 1, 2,
          RECTRACK__V1__DIRECTION__DIRECTION_INCREASE);
  add_com(f, 4, "C5", "iom", "2020-01-01", 1, 2,
          RECTRACK__V1__DIRECTION__DIRECTION_INCREASE);
  f->coms[4].archived = true;
  add_meas(f, 0, "C1", "2024-01-01", 4.5);
  add_meas(f, 1, "C1", "2022-01-01", 5.5);
  f->meas[1].note = H;
  f->meas[1].source = H;
  add_meas(f, 2, "C2", "2024-01-01", 30);
  add_meas(f, 3, "C2", "2025-03-01", 70);
  add_meas(f, 4, "C3", "2024-06-01", 25);
  add_meas(f, 5, "C5", "2024-06-01", 2);
}

static void add_actors(review_fixture_t *f) {
  const char *ids[] = {"bgd", "iom", "mex"};
  const char *names[] = {REVIEW_FIXTURE_HOSTILE, "IOM", "Mexico"};
  for (int i = 0; i < 3; i++) {
    rectrack__v1__actor__init(&f->actors[i]);
    f->actors[i].id = S(ids[i]);
    f->actors[i].name = S(names[i]);
    f->actor_ptrs[i] = &f->actors[i];
  }
  rectrack__v1__source__init(&f->source);
  f->source.id = S("idm-2024");
  f->source.title = H;
  f->source.date = S("2024-03-26");
  f->source_ptr = &f->source;
}

void review_fixture_init(review_fixture_t *f) {
  memset(f, 0, sizeof *f);
  add_recommendations(f);
  add_follow_ups(f);
  add_commitments(f);
  add_actors(f);
  f->in = (rt_review_input_t){
      .from_date = "2024-01-01",
      .to_date = "2024-12-31",
      .as_of = "",
      .revision = 42,
      .recommendations = f->rec_ptrs,
      .recommendation_count = 7,
      .commitments = f->com_ptrs,
      .commitment_count = 5,
      .follow_ups = f->fu_ptrs,
      .follow_up_count = 8,
      .measurements = f->meas_ptrs,
      .measurement_count = 6,
      .actors = f->actor_ptrs,
      .actor_count = 3,
      .sources = &f->source_ptr,
      .source_count = 1,
  };
}
