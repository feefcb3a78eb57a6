/*
 * http_charts: the review's charts on the web pages. They are drawn by
 * the review module itself (rt_review_chart_svg), from the same public
 * summary as the page around them (http_summary.c), so a chart on a page
 * and in the downloaded review never disagree and nothing unpublished is
 * drawn. The status and theme charts need nothing but the summary's
 * figures and the names of themes (the compiled lists and the added
 * ones): their review input holds no record at all.
 * Each chart is inline SVG with role="img" and a <title> (its text
 * alternative), followed on the page by a table of the same figures.
 * A chart that cannot be drawn (out of memory) is left out with a note:
 * the table beside it still says everything.
 */
#include "http_internal.h"

#include <stdlib.h>

static void put_chart(http_request_t *req, const rt_review_input_t *in,
                      const Rectrack__V1__ReviewSummary *summary,
                      rt_review_chart_t chart, const char *commitment_id) {
  char *svg = NULL;
  size_t len = 0;
  rt_error_t err = {0};
  if (rt_review_chart_svg(in, summary, chart, commitment_id, &svg, &len,
                          &err) != 0) {
    http_buf_puts(&req->res.body,
                  "<p class=\"muted\">(The chart could not be drawn; the "
                  "table has its figures.)</p>\n");
    return;
  }
  http_buf_append(&req->res.body, svg, len);
  free(svg);
}

/* A chart of the summary's figures: an input of no records, with the
 * summary's period and the added themes for their titles. */
static void summary_chart(http_request_t *req,
                          const Rectrack__V1__ReviewSummary *summary,
                          rt_review_chart_t chart) {
  size_t n_themes;
  Rectrack__V1__Theme *const *themes = http_added_themes(req, &n_themes);
  rt_review_input_t in = {
      .from_date = summary->from_date,
      .to_date = summary->to_date,
      .as_of = summary->as_of,
      .revision = summary->revision,
      .themes = themes,
      .theme_count = n_themes,
  };
  put_chart(req, &in, summary, chart, NULL);
}

void http_chart_status(http_request_t *req,
                       const Rectrack__V1__ReviewSummary *summary) {
  summary_chart(req, summary, RT_REVIEW_CHART_STATUS);
}

void http_chart_themes(http_request_t *req,
                       const Rectrack__V1__ReviewSummary *summary) {
  summary_chart(req, summary, RT_REVIEW_CHART_THEMES);
}

void http_indicator_chart(http_request_t *req,
                          const Rectrack__V1__Commitment *c,
                          Rectrack__V1__Measurement *const *measurements,
                          size_t n) {
  /* The review of the commitment alone, as of today: its measurements
   * against the straight path from baseline to target. */
  Rectrack__V1__Commitment *const one[] = {(Rectrack__V1__Commitment *)c};
  rt_review_input_t in = {
      .to_date = req->today,
      .as_of = req->today,
      .revision = req->revision,
      .commitments = one,
      .commitment_count = 1,
      .measurements = measurements,
      .measurement_count = n,
  };
  put_chart(req, &in, NULL, RT_REVIEW_CHART_INDICATOR, c->id);
}
