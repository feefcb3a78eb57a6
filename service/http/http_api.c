/*
 * http_api: the JSON read API under /api/v1/, for partners who want the
 * data without gRPC. Each resource answers what the gRPC call of the same
 * name would (ListRecommendations, GetCommitment, ListFollowUps, ...),
 * with the same filters, in the canonical protobuf JSON mapping
 * (rt_pbjson: lowerCamelCase names, 64-bit integers as strings, enums by
 * name), through the public view of http_public.c: what the web pages do
 * not show, the API does not either.
 */
#include "http_internal.h"

#include "rt_pbjson.h"
#include "rt_reference.h"
#include "rt_review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int http_json_answer(http_request_t *req, json_t *body) {
  if (body == NULL)
    return http_fail(req, RT_ENOMEM, NULL, "out of memory");
  char *text = json_dumps(body, JSON_COMPACT);
  json_decref(body);
  if (text == NULL)
    return http_fail(req, RT_ENOMEM, NULL, "out of memory");
  http_buf_puts(&req->res.body, text);
  http_buf_puts(&req->res.body, "\n");
  free(text);
  req->res.status = 200;
  req->res.content_type = "application/json";
  req->res.etag = true;
  return 0;
}

/* The message as JSON, then freed. */
static int message_answer(http_request_t *req, ProtobufCMessage *message) {
  json_t *body = rt_pbjson_from_message(message);
  protobuf_c_message_free_unpacked(message, NULL);
  return http_json_answer(req, body);
}

int http_api_index(http_request_t *req) {
  static const char *const resources[] = {"recommendations",
                                          "commitments",
                                          "follow-ups",
                                          "measurements",
                                          "actors",
                                          "sources",
                                          "reference/sdg-targets",
                                          "reference/gcm-objectives",
                                          "reference/themes",
                                          "summary"};
  json_t *list = json_array();
  for (size_t i = 0; list && i < sizeof resources / sizeof *resources; i++) {
    char href[160];
    snprintf(href, sizeof href, "%s/api/v1/%s", req->base, resources[i]);
    json_array_append_new(
        list, json_pack("{s:s,s:s}", "name", resources[i], "href", href));
  }
  char revision[24];
  snprintf(revision, sizeof revision, "%llu",
           (unsigned long long)req->revision);
  json_t *body =
      json_pack("{s:s,s:s,s:o}", "revision", revision, "documentation",
                "docs/api.md, \"The JSON read API\"", "resources",
                list ? list : json_array());
  return http_json_answer(req, body);
}

int http_api_recommendations(http_request_t *req) {
  Rectrack__V1__ListRecommendationsRequest request;
  Rectrack__V1__ListRecommendationsResponse *response = NULL;
  http_recommendations_request(req, &request);
  int rc = http_list_recommendations(req, &request, &response);
  return rc ? rc : message_answer(req, &response->base);
}

int http_api_recommendation(http_request_t *req) {
  Rectrack__V1__Recommendation *r = NULL;
  int rc = http_get_recommendation(req, req->id, &r);
  return rc ? rc : message_answer(req, &r->base);
}

int http_api_commitments(http_request_t *req) {
  Rectrack__V1__ListCommitmentsRequest request;
  Rectrack__V1__ListCommitmentsResponse *response = NULL;
  http_commitments_request(req, &request);
  int rc = http_list_commitments(req, &request, &response);
  return rc ? rc : message_answer(req, &response->base);
}

int http_api_commitment(http_request_t *req) {
  Rectrack__V1__Commitment *c = NULL;
  int rc = http_get_commitment(req, req->id, &c);
  return rc ? rc : message_answer(req, &c->base);
}

int http_api_follow_ups(http_request_t *req) {
  const http_params_t *p = &req->params;
  if (p->subject == NULL && (p->from == NULL || p->to == NULL))
    return http_fail(req, RT_EINVAL, "subject",
                     "subject: give subject (R12, C3), or from and to (a "
                     "period of report dates)");
  if (p->subject != NULL && (p->from != NULL || p->to != NULL))
    return http_fail(req, RT_EINVAL, "from",
                     "from: a period is for all reports; leave it out with "
                     "subject");
  if (p->from != NULL && strcmp(p->from, p->to) > 0)
    return http_fail(req, RT_EINVAL, "from", "from: %s is after to (%s)",
                     p->from, p->to);
  Rectrack__V1__ListFollowUpsRequest request =
      RECTRACK__V1__LIST_FOLLOW_UPS_REQUEST__INIT;
  request.subject_id = (char *)(p->subject ? p->subject : "");
  request.from_date = (char *)(p->from ? p->from : "");
  request.to_date = (char *)(p->to ? p->to : "");
  request.page_size = p->page_size;
  request.page_token = (char *)(p->page_token ? p->page_token : "");
  Rectrack__V1__ListFollowUpsResponse *response = NULL;
  int rc = http_list_follow_ups(req, &request, &response);
  return rc ? rc : message_answer(req, &response->base);
}

int http_api_measurements(http_request_t *req) {
  const http_params_t *p = &req->params;
  if (p->commitment == NULL)
    return http_fail(req, RT_EINVAL, "commitment",
                     "commitment: give the commitment (C3) whose "
                     "measurements to list");
  Rectrack__V1__ListMeasurementsRequest request =
      RECTRACK__V1__LIST_MEASUREMENTS_REQUEST__INIT;
  request.commitment_id = (char *)p->commitment;
  request.page_size = p->page_size;
  request.page_token = (char *)(p->page_token ? p->page_token : "");
  Rectrack__V1__ListMeasurementsResponse *response = NULL;
  int rc = http_list_measurements(req, &request, &response);
  return rc ? rc : message_answer(req, &response->base);
}

int http_api_actors(http_request_t *req) {
  Rectrack__V1__ListActorsRequest request =
      RECTRACK__V1__LIST_ACTORS_REQUEST__INIT;
  request.page_size = req->params.page_size;
  request.page_token =
      (char *)(req->params.page_token ? req->params.page_token : "");
  Rectrack__V1__ListActorsResponse *response = NULL;
  int rc = rt_store_list_actors(req->reader, &request, &response, &req->err);
  if (rc == RT_EINVAL)
    snprintf(req->err.field, sizeof req->err.field, "page_token");
  return rc ? rc : message_answer(req, &response->base);
}

int http_api_actor(http_request_t *req) {
  Rectrack__V1__Actor *a = NULL;
  int rc = http_get_actor(req, req->id, &a);
  return rc ? rc : message_answer(req, &a->base);
}

int http_api_sources(http_request_t *req) {
  Rectrack__V1__ListSourcesRequest request =
      RECTRACK__V1__LIST_SOURCES_REQUEST__INIT;
  request.page_size = req->params.page_size;
  request.page_token =
      (char *)(req->params.page_token ? req->params.page_token : "");
  Rectrack__V1__ListSourcesResponse *response = NULL;
  int rc = rt_store_list_sources(req->reader, &request, &response, &req->err);
  if (rc == RT_EINVAL)
    snprintf(req->err.field, sizeof req->err.field, "page_token");
  return rc ? rc : message_answer(req, &response->base);
}

int http_api_source(http_request_t *req) {
  Rectrack__V1__Source *s = NULL;
  int rc = http_get_source(req, req->id, &s);
  return rc ? rc : message_answer(req, &s->base);
}

int http_api_sdg_targets(http_request_t *req) {
  json_t *targets = json_array();
  for (size_t i = 0; targets && i < rt_sdg_target_count(); i++) {
    const rt_sdg_target_t *t = rt_sdg_target_at(i);
    const rt_sdg_goal_t *g = rt_sdg_goal(t->goal);
    json_array_append_new(
        targets,
        json_pack("{s:s,s:i,s:s,s:s}", "code", t->code, "goal", t->goal,
                  "goalTitle", g ? g->short_title : "", "label", t->label));
  }
  return http_json_answer(
      req, json_pack("{s:o}", "sdgTargets", targets ? targets : json_array()));
}

int http_api_gcm_objectives(http_request_t *req) {
  json_t *objectives = json_array();
  for (size_t n = 1; objectives && n <= rt_gcm_objective_count(); n++) {
    const rt_gcm_objective_t *o = rt_gcm_objective((int)n);
    json_array_append_new(objectives, json_pack("{s:i,s:s}", "number",
                                                o->number, "title", o->title));
  }
  return http_json_answer(req,
                          json_pack("{s:o}", "gcmObjectives",
                                    objectives ? objectives : json_array()));
}

int http_api_themes(http_request_t *req) {
  json_t *themes = json_array();
  for (size_t i = 0; themes && i < rt_theme_count(); i++) {
    const rt_theme_t *t = rt_theme_at(i);
    json_array_append_new(
        themes, json_pack("{s:s,s:s}", "id", t->id, "title", t->title));
  }
  size_t n_added;
  Rectrack__V1__Theme *const *added = http_added_themes(req, &n_added);
  for (size_t i = 0; themes && i < n_added; i++)
    json_array_append_new(themes,
                          json_pack("{s:s,s:s}", "id", added[i]->id, "title",
                                    http_theme_title(req, added[i]->id)));
  return http_json_answer(
      req, json_pack("{s:o}", "themes", themes ? themes : json_array()));
}

/* The period of a review: from and to, or the current year to date. */

int http_api_summary(http_request_t *req) {
  char from[11], to[11];
  int rc = http_review_period(req, from, to);
  if (rc != 0)
    return rc;
  Rectrack__V1__ReviewSummary *summary = NULL;
  if ((rc = http_review_summary(req, from, to, &summary)) != 0)
    return rc;
  json_t *body = rt_pbjson_from_message(&summary->base);
  rt_review_summary_free(summary);
  return http_json_answer(req, body);
}
