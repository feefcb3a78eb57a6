/*
 * http_charts: the review's charts on the web pages (temporary: filled in
 * once the review exposes them).
 */
#include "http_internal.h"

#include "rt_review.h"

void http_chart_status(http_request_t *req,
                       const Rectrack__V1__ReviewSummary *summary);
void http_chart_themes(http_request_t *req, const rt_review_input_t *in,
                       const Rectrack__V1__ReviewSummary *summary);
void http_indicator_chart(http_request_t *req,
                          const Rectrack__V1__Commitment *c,
                          Rectrack__V1__Measurement *const *measurements,
                          size_t n);

void http_chart_status(http_request_t *req,
                       const Rectrack__V1__ReviewSummary *summary) {
  (void)req;
  (void)summary;
}
void http_chart_themes(http_request_t *req, const rt_review_input_t *in,
                       const Rectrack__V1__ReviewSummary *summary) {
  (void)req;
  (void)in;
  (void)summary;
}
void http_indicator_chart(http_request_t *req,
                          const Rectrack__V1__Commitment *c,
                          Rectrack__V1__Measurement *const *measurements,
                          size_t n) {
  (void)req;
  (void)c;
  (void)measurements;
  (void)n;
}
