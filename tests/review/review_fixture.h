/*
 * A small review data set with known answers, shared by the unit tests
 * (test_review.c) and the program that writes every export for the Python
 * checker (render_fixture.c). Period 2024-01-01..2024-12-31, as of
 * 2024-12-31. REVIEW_FIXTURE_HOSTILE is put into titles, texts, notes, a
 * theme, an actor name and a measurement source, so that every format
 * must escape it.
 */
#ifndef REVIEW_FIXTURE_H
#define REVIEW_FIXTURE_H

#include "rt_review.h"

#define REVIEW_FIXTURE_HOSTILE                                                 \
  "<script>alert('x')</script> \"q\", a|b & c\n"                               \
  "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a *_`#"

typedef struct review_fixture {
  Rectrack__V1__Recommendation recs[7];
  Rectrack__V1__Recommendation *rec_ptrs[7];
  Rectrack__V1__Commitment coms[5];
  Rectrack__V1__Commitment *com_ptrs[5];
  Rectrack__V1__Indicator indicators[5];
  Rectrack__V1__FollowUp fus[8];
  Rectrack__V1__FollowUp *fu_ptrs[8];
  Rectrack__V1__Measurement meas[6];
  Rectrack__V1__Measurement *meas_ptrs[6];
  Rectrack__V1__Actor actors[3];
  Rectrack__V1__Actor *actor_ptrs[3];
  Rectrack__V1__Source source;
  Rectrack__V1__Source *source_ptr;
  rt_review_input_t in;
} review_fixture_t;

/* Fills f; everything lives inside f (strings are literals). */
void review_fixture_init(review_fixture_t *f);

#endif /* REVIEW_FIXTURE_H */
