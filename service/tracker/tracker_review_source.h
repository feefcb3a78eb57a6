/*
 * tracker_review_source: the review's data source (rt_review_source_t)
 * over one read snapshot of the store, for an export rendered as it reads
 * (rt_review_stream_new). Walks are storage cursors (rt_store_cursor_*):
 * recommendations through the theme index, commitments and recommendations
 * without a theme through their tables, the period's follow-ups through
 * the date index; a subject's follow-ups and measurements by key prefix.
 * What it hands out is unpacked into an arena of its own that release()
 * frees, so it holds one subject's records at a time. Private to
 * service/tracker; calls rt_store and rt_review's types only.
 *
 * The source borrows reader, whose snapshot must stay open while the
 * source is used (the export holds it for the whole document). One thread
 * at a time, like the reader.
 */
#ifndef TRACKER_REVIEW_SOURCE_H
#define TRACKER_REVIEW_SOURCE_H

#include "rt_review.h"
#include "rt_store.h"

typedef struct tracker_review_source tracker_review_source_t;

/* A source over reader's snapshot: *out and its rt_review_source_t
 * (tracker_review_source_get). Returns 0 or RT_ENOMEM. */
int tracker_review_source_new(rt_store_reader_t *reader,
                              tracker_review_source_t **out);
const rt_review_source_t *
tracker_review_source_get(tracker_review_source_t *source);
/* The storage error behind the last failed callback ("" when none). */
const rt_error_t *tracker_review_source_error(tracker_review_source_t *source);
/* Closes its cursor and frees its memory. NULL is a no-op. */
void tracker_review_source_free(tracker_review_source_t *source);

#endif /* TRACKER_REVIEW_SOURCE_H */
