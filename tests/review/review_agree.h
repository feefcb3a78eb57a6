/*
 * Checks the review tests share (cmocka): the summary of a data set from
 * its arrays and from an array source over them must pack to the same
 * bytes, and a renderer read to its end.
 */
#ifndef REVIEW_AGREE_H
#define REVIEW_AGREE_H

#include "rt_review.h"

#include <stddef.h>

/* Computes the summary of in (with max_list_items) from the arrays and
 * streamed from review_array_source_new(in), and fails the test unless
 * they are the same bytes. Returns the streamed one, for further checks;
 * the caller frees it with rt_review_summary_free(). */
Rectrack__V1__ReviewSummary *
review_expect_stream_agrees(const rt_review_input_t *in, size_t max_list_items);
/* Reads r to its end and frees it: the document, NUL-terminated (free()),
 * *len its bytes. */
char *review_drain(rt_review_renderer_t *r, size_t *len);

#endif /* REVIEW_AGREE_H */
