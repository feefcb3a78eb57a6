/*
 * review_source: the review's data source (rt_review_source_t) over one
 * read snapshot of the store, for a summary computed or a document
 * rendered as it reads (rt_review_compute_stream, rt_review_stream_new).
 * Walks are storage cursors (rt_store_cursor_*): recommendations through
 * the theme index, commitments and recommendations without a theme
 * through their tables, the period's follow-ups through the date index; a
 * subject's follow-ups and measurements by key prefix. What it hands out
 * is unpacked into memory of its own that release() frees, so it holds
 * one subject's records at a time.
 *
 * Two views of the same snapshot:
 *  - REVIEW_SOURCE_ALL: every record, as the Tracker's review calls see
 *    them (the review itself skips archived records and weighs
 *    submissions);
 *  - REVIEW_SOURCE_PUBLIC: what the public web pages may show
 *    (docs/web.md, "What is public"): commitments kept unpublished never
 *    appear, in any walk or as the subject of a report; only official
 *    follow-ups and measurements (rt_store_review_is_official) are handed
 *    out, and only those of public subjects; the fields that speak of
 *    submissions (reported status and date, pending count) and of who
 *    recorded or reviewed a record are cleared.
 *
 * Used by service/tracker (gRPC) and service/http (web pages). Calls
 * rt_store and rt_review's types only. The source borrows reader, whose
 * snapshot must stay open while the source is used (an export holds it
 * for the whole document). One thread at a time, like the reader.
 */
#ifndef REVIEW_SOURCE_H
#define REVIEW_SOURCE_H

#include "rt_review.h"
#include "rt_store.h"

typedef struct review_source review_source_t;

typedef enum review_source_view {
  REVIEW_SOURCE_ALL = 0,
  REVIEW_SOURCE_PUBLIC = 1,
} review_source_view_t;

/* A source over reader's snapshot in view: *out and its
 * rt_review_source_t (review_source_get). Returns 0 or RT_ENOMEM. */
int review_source_new(rt_store_reader_t *reader, review_source_view_t view,
                      review_source_t **out);
const rt_review_source_t *review_source_get(review_source_t *source);
/* The storage error behind the last failed callback ("" when none). */
const rt_error_t *review_source_error(review_source_t *source);
/* Closes its cursors and frees its memory. NULL is a no-op. */
void review_source_free(review_source_t *source);

/* The public view of one record, in place: clears the fields about
 * submissions awaiting validation and about who recorded a record (a
 * principal of the tokens file). For records unpacked with protobuf-c's
 * default allocator or with the source's own (strings it held are freed
 * by the first, forgotten by the second: pass owned = false then). */
void review_source_public_recommendation(Rectrack__V1__Recommendation *r,
                                         bool owned);
void review_source_public_commitment(Rectrack__V1__Commitment *c, bool owned);
void review_source_public_follow_up(Rectrack__V1__FollowUp *f, bool owned);
void review_source_public_measurement(Rectrack__V1__Measurement *m, bool owned);

#endif /* REVIEW_SOURCE_H */
