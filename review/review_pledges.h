/*
 * Private to review/: joint and matching pledges in the review. A tally
 * keeps a small copy of each active pledge that is joint (common or
 * partnership), matching, or matched, with the status of every part as of
 * the review's date; rt_review_pledges_summarise() then groups each
 * matching pledge beside the pledge it answers and fills the summary's
 * pledge fields (30-33). Both summary paths use it: the model of arrays
 * adds each commitment, a stream each commitment's window as it passes,
 * so memory is bounded by those pledges, never by all records.
 */
#ifndef RT_REVIEW_PLEDGES_H
#define RT_REVIEW_PLEDGES_H

#include "review_internal.h"

typedef struct rt_review_pledge_entry rt_review_pledge_entry_t;

typedef struct rt_review_pledges {
  rt_review_pledge_entry_t *entries;
  size_t n, cap;
  bool failed; /* out of memory on an add */
} rt_review_pledges_t;

/* Notes commitment it of model m when it takes part in a joint or
 * matching pledge; anything else is left out. Copies what it keeps. */
void rt_review_pledges_add(rt_review_pledges_t *t, const rt_review_model_t *m,
                           const rt_review_item_t *it);
/* Fills s->pledge_groups (at most max_groups, 0: all), pledge_group_count,
 * joint_pledge_count and matching_pledge_count. 0 or RT_ENOMEM. */
int rt_review_pledges_summarise(Rectrack__V1__ReviewSummary *s,
                                rt_review_pledges_t *t, size_t max_groups);
void rt_review_pledges_free(rt_review_pledges_t *t);
/* The sentence over the pledges table: how many joint and matching
 * pledges there are and how their parts are read; appended to b (plain
 * text, for the format to escape). */
void rt_review_pledges_headline(const Rectrack__V1__ReviewSummary *s,
                                rt_review_buf_t *b);

#endif /* RT_REVIEW_PLEDGES_H */
