/*
 * rt_tracker_review_stub: GetReviewSummary and ExportReview when rectrackd
 * is built without the review module (no rt_review target): both answer
 * UNIMPLEMENTED, so the rest of the Tracker service still builds and runs.
 * service/tracker.cmake picks this file or rt_tracker_review.c.
 */
#include "rt_tracker_internal.h"

static void handle_get_review_summary(rt_call_t *call, const uint8_t *request,
                                      size_t len) {
  (void)request;
  (void)len;
  rt_call_fail(call, RT_GRPC_UNIMPLEMENTED,
               "GetReviewSummary is not available yet");
}

static void handle_export_review(rt_call_t *call, const uint8_t *request,
                                 size_t len) {
  (void)request;
  (void)len;
  rt_call_fail(call, RT_GRPC_UNIMPLEMENTED,
               "ExportReview is not available yet");
}

const rt_method_t rt_tracker_review_methods[] = {
    {"/rectrack.v1.Tracker/GetReviewSummary", RT_METHOD_UNARY,
     handle_get_review_summary, NULL, NULL},
    {"/rectrack.v1.Tracker/ExportReview", RT_METHOD_SERVER_STREAMING,
     handle_export_review, NULL, NULL},
};
const size_t rt_tracker_review_method_count =
    sizeof rt_tracker_review_methods / sizeof rt_tracker_review_methods[0];
