/*
 * http_routes: the URL space of the HTTP listener, in one table, and the
 * small resources that are no page: /healthz, /metrics and the
 * stylesheet.
 *
 * Pages and API resources mirror each other: /recommendations/R12 and
 * /api/v1/recommendations/R12 show the same record, with the same query
 * parameters on their lists. A path is stable: what it names never moves.
 * Each route says which query parameters it takes (anything else is
 * 400), whether it reads the store (a snapshot is opened for it) and the
 * label its answers are counted under in /metrics.
 */
#include "http_internal.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

static int serve_healthz(http_request_t *req);
static int serve_metrics(http_request_t *req);
static int serve_static(http_request_t *req);

#define PAGE(path, id, page, params, handler)                                  \
  { path, id, false, true, true, page, params, handler }
#define API(path, id, page, params, handler)                                   \
  { path, id, true, true, true, page, params, handler }

static const http_route_t routes[] = {
    PAGE("/", false, "overview", 0, http_page_overview),
    PAGE("/recommendations", false, "recommendations", HTTP_P_LIST,
         http_page_recommendations),
    PAGE("/recommendations/", true, "recommendation", 0,
         http_page_recommendation),
    PAGE("/commitments", false, "commitments",
         HTTP_P_LIST | HTTP_P_RECOMMENDATION, http_page_commitments),
    PAGE("/commitments/", true, "commitment", 0, http_page_commitment),
    PAGE("/sdg", false, "sdg_targets", 0, http_page_sdg_index),
    PAGE("/sdg/", true, "sdg_target", 0, http_page_sdg),
    PAGE("/gcm", false, "gcm_objectives", 0, http_page_gcm_index),
    PAGE("/gcm/", true, "gcm_objective", 0, http_page_gcm),
    PAGE("/themes/", true, "theme", 0, http_page_theme),
    PAGE("/actors", false, "actors", 0, http_page_actors),
    PAGE("/actors/", true, "actor", 0, http_page_actor),
    PAGE("/sources", false, "sources", 0, http_page_sources),
    PAGE("/sources/", true, "source", 0, http_page_source),
    PAGE("/downloads", false, "downloads", HTTP_P_PERIOD, http_page_downloads),
    PAGE("/downloads/", true, "download", HTTP_P_PERIOD | HTTP_P_TABLE,
         http_page_download),
    {"/static/", true, false, false, false, "static", 0, serve_static},
    {"/healthz", false, false, true, false, "healthz", 0, serve_healthz},
    {"/metrics", false, false, true, false, "metrics", 0, serve_metrics},
    API("/api/v1", false, "api_index", 0, http_api_index),
    API("/api/v1/recommendations", false, "api_recommendations", HTTP_P_LIST,
        http_api_recommendations),
    API("/api/v1/recommendations/", true, "api_recommendation", 0,
        http_api_recommendation),
    API("/api/v1/commitments", false, "api_commitments",
        HTTP_P_LIST | HTTP_P_RECOMMENDATION, http_api_commitments),
    API("/api/v1/commitments/", true, "api_commitment", 0, http_api_commitment),
    API("/api/v1/follow-ups", false, "api_follow_ups",
        HTTP_P_SUBJECT | HTTP_P_PERIOD | HTTP_P_PAGE, http_api_follow_ups),
    API("/api/v1/measurements", false, "api_measurements",
        HTTP_P_COMMITMENT | HTTP_P_PAGE, http_api_measurements),
    API("/api/v1/actors", false, "api_actors", HTTP_P_PAGE, http_api_actors),
    API("/api/v1/actors/", true, "api_actor", 0, http_api_actor),
    API("/api/v1/sources", false, "api_sources", HTTP_P_PAGE, http_api_sources),
    API("/api/v1/sources/", true, "api_source", 0, http_api_source),
    API("/api/v1/reference/sdg-targets", false, "api_sdg_targets", 0,
        http_api_sdg_targets),
    API("/api/v1/reference/gcm-objectives", false, "api_gcm_objectives", 0,
        http_api_gcm_objectives),
    API("/api/v1/reference/themes", false, "api_themes", 0, http_api_themes),
    API("/api/v1/summary", false, "api_summary", HTTP_P_PERIOD,
        http_api_summary),
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

const http_route_t *http_routes(size_t *n) {
  *n = N_ROUTES;
  return routes;
}

const http_route_t *http_route_find(const char *path, const char **id) {
  *id = NULL;
  for (size_t i = 0; i < N_ROUTES; i++) {
    const http_route_t *r = &routes[i];
    size_t len = strlen(r->path);
    if (!r->id) {
      if (strcmp(path, r->path) == 0 ||
          (len > 1 && strncmp(path, r->path, len) == 0 &&
           strcmp(path + len, "/") == 0 && strcmp(r->path, "/api/v1") == 0))
        return r;
      continue;
    }
    if (strncmp(path, r->path, len) != 0)
      continue;
    const char *rest = path + len;
    if (rest[0] == '\0' || strchr(rest, '/') != NULL)
      continue;
    *id = rest;
    return r;
  }
  return NULL;
}

/* ---- small resources ------------------------------------------------- */

static int serve_healthz(http_request_t *req) {
  http_buf_printf(&req->res.body, "ok revision %llu\n",
                  (unsigned long long)req->revision);
  req->res.status = 200;
  req->res.content_type = "text/plain; charset=utf-8";
  req->res.cache = "no-store";
  return 0;
}

static int serve_metrics(http_request_t *req) {
  rt_metrics_t *metrics = http_metrics(req);
  if (metrics == NULL)
    return http_fail(req, RT_ENOTFOUND, NULL, "there is no page /metrics");
  http_note_revision(req->http, req->revision);
  char *text = NULL;
  size_t len = 0;
  if (rt_metrics_render(metrics, &text, &len) != 0)
    return http_fail(req, RT_ENOMEM, NULL, "out of memory");
  http_buf_append(&req->res.body, text, len);
  free(text);
  req->res.status = 200;
  req->res.content_type = "text/plain; version=0.0.4; charset=utf-8";
  req->res.cache = "no-store";
  return 0;
}

static int serve_static(http_request_t *req) {
  if (strcmp(req->id, "style.css") != 0)
    return http_fail(req, RT_ENOTFOUND, NULL, "there is no file /static/%s",
                     "(that name)");
  http_buf_append(&req->res.body, http_stylesheet, http_stylesheet_len);
  req->res.status = 200;
  req->res.content_type = "text/css; charset=utf-8";
  req->res.cache = "public, max-age=3600";
  req->res.etag = true;
  return 0;
}
