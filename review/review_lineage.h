/*
 * review_lineage: lines of follow-up and the specificity summary, private
 * to review/ (docs/review.md, "Lines of follow-up" and "Specificity").
 *
 * A line of follow-up is a set of active recommendations joined by
 * echoes or supersedes links (in either direction, through any number of
 * them); builds_on and related links take a recommendation further or
 * point aside and never join a line. A line is counted once in the
 * review's figures, under its latest recommendation: the one no other
 * member echoes or supersedes (several such: the highest id, the one
 * recorded last; none, in an echo cycle: the highest id of the line).
 * The others are "folded": left out of the status counts, overdue and
 * no information, while their rows stay in the tables with the lineage.
 *
 * The lineage is built from the recommendations that make or receive such
 * a link (any superset will do: the rest is dropped), so that a streamed
 * review keeps only those, never all records. It copies what it keeps.
 */
#ifndef REVIEW_LINEAGE_H
#define REVIEW_LINEAGE_H

#include "review_internal.h"

/* A gap list of the specificity summary names at most this many ids. */
#define RT_REVIEW_GAP_IDS 20

/* Builds the lines of the active recommendations among recs[0..n).
 * Returns 0 with *out (free with rt_review_lineage_free) or RT_ENOMEM. */
int rt_review_lineage_build(const Rectrack__V1__Recommendation *const *recs,
                            size_t n, rt_review_lineage_t **out);
void rt_review_lineage_free(rt_review_lineage_t *l);

/* Sets the folded and superseded flags of the model's recommendations
 * from m->lineage (folded ones are not overdue), and records the status of
 * each line's latest recommendation met. */
void rt_review_lineage_mark(rt_review_model_t *m);

/* Replaces a model's own lineage by l (borrowed), then marks its items:
 * the stream's windows, whose own lineage of one record has no line. */
void rt_review_model_use_lineage(rt_review_model_t *m, rt_review_lineage_t *l);

/* The lineage of recommendation id in words (see LineOfFollowUp.lineage),
 * with m's sources, appended to out; nothing when id is in no line.
 * *latest_id (may be NULL) is set to the id the line is counted under. */
void rt_review_lineage_text_of(const rt_review_model_t *m,
                               const rt_review_lineage_t *l, const char *id,
                               rt_review_buf_t *out, const char **latest_id);

/* The specificity of the counted recommendations, in the review's order. */
typedef struct rt_review_spec_tally {
  int32_t levels[4];
  int32_t gaps[6]; /* by SpecificityGap 1..4; [5]: addressee and due date */
  char *ids[6][RT_REVIEW_GAP_IDS];
  size_t n_ids[6];
  bool failed;
} rt_review_spec_tally_t;

/* Adds one item (a recommendation; folded ones are not counted). */
void rt_review_spec_tally_add(rt_review_spec_tally_t *t,
                              const rt_review_item_t *it);
void rt_review_spec_tally_free(rt_review_spec_tally_t *t);

/* Fills the summary's fields 22-28 from the tally (whose ids it takes),
 * the lineage (lines described with m's sources; at most max_lines, 0:
 * all) and the number of active recommendations. 0 or RT_ENOMEM. */
int rt_review_lineage_summarise(Rectrack__V1__ReviewSummary *s,
                                const rt_review_model_t *m,
                                const rt_review_lineage_t *l,
                                rt_review_spec_tally_t *t, size_t rec_count,
                                size_t max_lines);

/* The headline sentences (plain text) of the lines and of the
 * recommendations without addressee and due date, appended to out;
 * nothing when there is neither. */
void rt_review_lineage_headline(const Rectrack__V1__ReviewSummary *s,
                                rt_review_buf_t *out);

#endif /* REVIEW_LINEAGE_H */
