/*
 * review_chart: one of the HTML review's charts on its own, for a page
 * that shows it outside the review document (rectrackd's web pages). The
 * same model and the same SVG as the HTML export, so a chart on a page
 * and in the downloaded review never disagree.
 */
#include "review_internal.h"

#include <stdlib.h>
#include <string.h>

/* Actors beyond this many are left out of the actor chart, as in the
 * HTML review. */
#define MAX_ACTOR_BARS 20

static int draw(rt_review_buf_t *b, const rt_review_model_t *m,
                const Rectrack__V1__ReviewSummary *s, rt_review_chart_t chart,
                const char *commitment_id, rt_error_t *err) {
  rt_review_buf_t scratch = {0};
  switch (chart) {
  case RT_REVIEW_CHART_STATUS:
    rt_review_svg_status_overview(b, s->by_status, s->n_by_status);
    return 0;
  case RT_REVIEW_CHART_THEMES:
    rt_review_svg_status_bars(b, m, s->by_theme, s->n_by_theme, SIZE_MAX,
                              "Status of recommendations by theme",
                              "Number of recommendations", "Theme", false);
    return 0;
  case RT_REVIEW_CHART_ACTORS:
    rt_review_svg_status_bars(b, m, s->by_actor, s->n_by_actor, MAX_ACTOR_BARS,
                              "Status by actor: recommendations the actor "
                              "leads or is addressed by, and commitments it "
                              "made.",
                              "Number of items", "Actor", true);
    return 0;
  case RT_REVIEW_CHART_INDICATOR: {
    const rt_review_item_t *it =
        commitment_id ? rt_review_model_find(m, commitment_id) : NULL;
    if (it == NULL || it->com == NULL || !it->has_indicator)
      return rt_error_set(err, RT_ENOTFOUND, "commitment_id",
                          "commitment %s has no indicator in the review",
                          commitment_id ? commitment_id : "(none)");
    rt_review_svg_indicator(b, &scratch, it, m);
    rt_review_buf_free(&scratch);
    return 0;
  }
  }
  return rt_error_set(err, RT_EINVAL, "chart", "unknown chart %d", (int)chart);
}

int rt_review_chart_svg(const rt_review_input_t *in,
                        const Rectrack__V1__ReviewSummary *summary,
                        rt_review_chart_t chart, const char *commitment_id,
                        char **svg, size_t *len, rt_error_t *err) {
  *svg = NULL;
  *len = 0;
  rt_review_model_t model;
  Rectrack__V1__ReviewSummary *own = NULL;
  rt_review_buf_t b = {0};
  int rc = rt_review_model_init(&model, in, err);
  if (rc != 0)
    return rc;
  if (summary == NULL && chart != RT_REVIEW_CHART_INDICATOR) {
    if ((rc = rt_review_compute(in, &own, err)) != 0)
      goto fail;
    summary = own;
  }
  if ((rc = draw(&b, &model, summary, chart, commitment_id, err)) != 0)
    goto fail;
  if (b.failed || b.data == NULL) {
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory drawing a chart");
    goto fail;
  }
  *svg = b.data;
  *len = b.len;
  rt_review_summary_free(own);
  rt_review_model_close(&model);
  return 0;
fail:
  rt_review_buf_free(&b);
  rt_review_summary_free(own);
  rt_review_model_close(&model);
  return rc;
}
