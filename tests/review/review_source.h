/*
 * Review data sources for the streaming tests (test_review_stream.c):
 *
 *  - an array source: rt_review_source_t over the arrays of an
 *    rt_review_input_t, walking them in the orders a source must give
 *    (recommendations of a theme by id, commitments by id, the period's
 *    follow-ups by as_of then revision), so that a streamed document can
 *    be compared with the one the same arrays give;
 *  - a generated source: N recommendations (and N/4 commitments, each
 *    subject with its follow-ups and measurements) made up record by
 *    record from their number when asked for, never all at once, so that
 *    the memory of a streamed document can be measured against N.
 *
 * Ids must be server-shaped ("R12", "C3"). Everything a source hands out
 * lives until its next release().
 */
#ifndef REVIEW_SOURCE_H
#define REVIEW_SOURCE_H

#include "rt_review.h"

typedef struct review_source review_source_t;

/* A source over in's arrays (borrowed). NULL: out of memory. */
review_source_t *review_array_source_new(const rt_review_input_t *in);
/* A source of n generated recommendations. NULL: out of memory. */
review_source_t *review_generated_source_new(size_t n);
const rt_review_source_t *review_source_get(review_source_t *s);
/* Records handed out and not yet released, at most (generated only). */
size_t review_source_peak_live(const review_source_t *s);
void review_source_free(review_source_t *s);

#endif /* REVIEW_SOURCE_H */
