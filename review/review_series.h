/*
 * review_series: the disaggregated series of the review, private to
 * review/ (docs/review.md, "Disaggregated measurements").
 *
 * A measurement with dimensions (corridor=GBR-NGA, sex=female, ...)
 * belongs to the series of exactly that set of dimensions, never to the
 * overall figure. For each active commitment with an indicator, the
 * validated measurements with dimensions dated up to the review's as_of
 * make its series: each with its latest value and date, its trajectory
 * by the overall figure's rule (rt_review_trajectory_of), and whether the
 * latest value is beyond the indicator's series_ceiling by the store's
 * rule (rt_series_beyond_ceiling). The model borrows the measurements
 * and owns the series' names.
 */
#ifndef REVIEW_SERIES_H
#define REVIEW_SERIES_H

#include "review_internal.h"

struct rt_review_series {
  const rt_review_item_t *item; /* the commitment */
  /* Its dimensions in key order (pointers into its first measurement). */
  const Rectrack__V1__Dimension **dimensions;
  size_t n_dimensions;
  char *name;  /* "corridor=GBR-NGA;sex=female": the CSV column */
  char *label; /* "GBR-NGA", "age=15-24 sex=female": what people read */
  size_t meas_first, meas_count; /* in model.series_measurements */
  double latest_value;
  const char *latest_as_of;
  double progress; /* NaN without a target to measure against */
  int trajectory;
  bool has_ceiling;   /* the indicator has a series_ceiling */
  bool above_ceiling; /* latest value beyond it */
};

/* Works out m's series from m->in (after the model's items are
 * evaluated). 0 or RT_ENOMEM. */
int rt_review_series_build(rt_review_model_t *m);
void rt_review_series_free(rt_review_model_t *m);

/* Fills the summary's fields 35-38 from m: a report per commitment with
 * a ceiling (at most max_items, 0: all; each with at most max_items of
 * its series beyond it). 0 or RT_ENOMEM. */
int rt_review_series_summarise(Rectrack__V1__ReviewSummary *s,
                               const rt_review_model_t *m, size_t max_items);

/* Drops the series of report r beyond the first max_items (0: none
 * dropped) and writes its sentence again. 0 or RT_ENOMEM. */
int rt_review_series_report_trim(Rectrack__V1__SeriesCeilingReport *r,
                                 size_t max_items);

/* The label people read of a series with these dimensions: a corridor's
 * value alone, any other key as key=value, joined by spaces. */
void rt_review_series_label(Rectrack__V1__Dimension *const *dims, size_t n,
                            rt_review_buf_t *out);

/* The report's sentence in plain text ("C7: 3 corridors above 5 per cent:
 * GBR-NGA (6.1, 2025-06-30), ..."), as SeriesCeilingReport.sentence
 * carries it. */
void rt_review_series_sentence(const Rectrack__V1__SeriesCeilingReport *r,
                               rt_review_buf_t *out);

#endif /* REVIEW_SERIES_H */
