/*
 * http_internal: what the files of the HTTP listener share (private to
 * service/http). One request is one http_request_t, built by http_server.c
 * from libmicrohttpd's connection, routed to one handler of the table in
 * http_routes.c, answered by filling req->res (or returning an RT_E* code
 * with req->err, which the server turns into an error page or JSON), and
 * sent by the server with the headers every answer carries.
 *
 *   http_buf.c     a growable byte buffer with HTML, URL and JSON escaping
 *   http_query.c   the query parameters: parsed, checked, named in errors
 *   http_public.c  the public view: snapshots from the reader pool, and the
 *                  rule of what may be shown (official reports, published
 *                  commitments); the review reads the public view of
 *                  service/review_source
 *   http_summary.c the review's summary over the public view, cached by
 *                  revision and period
 *   http_html.c    the page frame (head, navigation, data time, footer),
 *                  the shared pieces of pages, the stylesheet
 *   http_pages.c   the HTML pages of records and lists
 *   http_pledges.c a commitment's pledge (type, lead, partners, matches)
 *                  and its disaggregated series
 *   http_overview.c  the overview and downloads pages, the downloads
 *   http_api.c     the JSON read API
 *   http_routes.c  the route table, /healthz and /metrics
 *   http_server.c  the daemon, limits, headers, ETags, errors
 */
#ifndef HTTP_INTERNAL_H
#define HTTP_INTERNAL_H

#include "rt_buf.h"
#include "rt_http.h"
#include "rt_review.h"
#include "rt_validate.h"

#include "rectrack/v1/resources.pb-c.h"
#include "rectrack/v1/tracker.pb-c.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>

struct MHD_Connection;
struct MHD_Response;

/* ---- the answer buffer (common/rt_buf.h; URLs in http_buf.c) --------- */

/* After a failed allocation a buffer stays failed (and keeps what it
 * had), so that writers need not check every append. */
typedef rt_buf_t http_buf_t;

static inline void http_buf_append(http_buf_t *b, const void *data,
                                   size_t len) {
  rt_buf_append(b, data, len);
}
static inline void http_buf_puts(http_buf_t *b, const char *text) {
  rt_buf_puts(b, text);
}
#define http_buf_printf rt_buf_printf
/* text with & < > " ' as character references: safe in element content
 * and in quoted attribute values. NULL is "". */
static inline void http_buf_html(http_buf_t *b, const char *text) {
  rt_buf_put_html(b, text);
}
/* text percent-encoded for a query value or a path segment (everything
 * but unreserved characters). */
void http_buf_url(http_buf_t *b, const char *text);
/* Takes the bytes: *data (malloc'd, the caller frees) and *len. */
static inline char *http_buf_take(http_buf_t *b, size_t *len) {
  return rt_buf_take(b, len);
}
static inline void http_buf_free(http_buf_t *b) { rt_buf_free(b); }

/* ---- http_tls.c --------------------------------------------------------- */

/* The certificate and key in force for HTTPS (see http_tls.c). */
struct http_tls;
int http_tls_new(struct http_tls **out, const char *cert_file,
                 const char *key_file, rt_error_t *err);
int http_tls_reload(struct http_tls *tls, rt_error_t *err);
/* The gnutls_certificate_retrieve_function2 to hand libmicrohttpd. */
void *http_tls_callback(void);
void http_tls_free(struct http_tls *tls);

/* ---- http_query.c ------------------------------------------------------ */

/* The query parameters a route may take (bits of http_route_t.params). */
enum {
  HTTP_P_SDG = 1u << 0,
  HTTP_P_GCM = 1u << 1,
  HTTP_P_THEME = 1u << 2,
  HTTP_P_ACTOR = 1u << 3,
  HTTP_P_SOURCE = 1u << 4,
  HTTP_P_STATUS = 1u << 5,
  HTTP_P_Q = 1u << 6,
  HTTP_P_PAGE = 1u << 7, /* page_size and page_token */
  HTTP_P_OVERDUE = 1u << 8,
  HTTP_P_SUBJECT = 1u << 9,         /* follow-ups: subject */
  HTTP_P_COMMITMENT = 1u << 10,     /* measurements: commitment */
  HTTP_P_PERIOD = 1u << 11,         /* from, to */
  HTTP_P_TABLE = 1u << 12,          /* downloads: CSV table */
  HTTP_P_RECOMMENDATION = 1u << 13, /* commitments answering one */
  HTTP_P_KIND = 1u << 14,           /* actor or source kind */
};
#define HTTP_P_LIST                                                            \
  (HTTP_P_SDG | HTTP_P_GCM | HTTP_P_THEME | HTTP_P_ACTOR | HTTP_P_SOURCE |     \
   HTTP_P_STATUS | HTTP_P_Q | HTTP_P_PAGE | HTTP_P_OVERDUE)

#define HTTP_MAX_STATUSES 8

/* The checked parameters of one request; strings point into the
 * connection's memory (valid while the request is answered). */
typedef struct http_params {
  unsigned given; /* HTTP_P_* bits of the parameters present */
  const char *sdg, *theme, *actor, *source, *q, *page_token;
  const char *subject, *commitment, *recommendation, *from, *to, *table;
  int gcm;
  int kind;
  Rectrack__V1__Status statuses[HTTP_MAX_STATUSES];
  size_t n_statuses;
  int32_t page_size;
  bool overdue;
} http_params_t;

/* Bounds on what a query string may hold. */
#define HTTP_MAX_QUERY_BYTES 2048 /* all names and values together */
#define HTTP_MAX_VALUE_BYTES 512  /* one value (a page token is ~100) */
#define HTTP_MAX_Q_BYTES 200      /* the text search */

typedef struct http_request http_request_t;

/* Parses and checks the query parameters of req's connection against
 * allowed (HTTP_P_* bits) into req->params. Returns 0 or RT_EINVAL with
 * req->err naming the parameter ("sdg: '10.99' is not an SDG target
 * ..."): an unknown parameter, one the route does not take, one given
 * twice (status may repeat), a value too long, not UTF-8, with control
 * characters, or not a value of its kind. */
int http_query_parse(http_request_t *req, unsigned allowed);

/* Appends the list parameters of p (not the page token) as a query
 * string ("?sdg=10.c&actor=bgd"), or nothing when none is set. with_token
 * adds page_token=token. */
void http_query_append(http_buf_t *b, const http_params_t *p,
                       const char *token);

/* ---- requests ---------------------------------------------------------- */

typedef enum http_format { HTTP_FORMAT_HTML, HTTP_FORMAT_JSON } http_format_t;

typedef struct http_response {
  int status; /* HTTP status; 0 until a handler answered */
  http_buf_t body;
  const char *content_type; /* static string */
  const char *cache;        /* Cache-Control; NULL: "no-cache" */
  bool etag;                /* send an ETag (and answer If-None-Match) */
  /* A streamed body (downloads): the response is built by the handler;
   * the server adds the common headers and queues it. */
  struct MHD_Response *stream;
  char filename[128];   /* Content-Disposition: attachment, when set */
  unsigned retry_after; /* 429: seconds */
} http_response_t;

typedef struct http_route http_route_t;

struct http_request {
  rt_http_t *http;
  struct MHD_Connection *conn;
  const char *path; /* after the base path, "/recommendations/R12" */
  const char *id;   /* the path's last segment for an id route */
  const char *base; /* the base path, "" or "/tracker" */
  const http_route_t *route;
  bool head; /* HEAD: the answer's body is never read */
  http_format_t format;
  http_params_t params;
  /* The snapshot, from http_read_begin until the server ends it. */
  rt_store_reader_t *reader;
  /* The themes the secretariat added, read from the snapshot on first use
   * (http_theme_title) and freed by http_read_end. */
  Rectrack__V1__Theme **added_themes;
  size_t n_added_themes;
  bool added_themes_read;
  uint64_t revision;
  int64_t revision_ms; /* when the revision was committed; 0: empty store */
  char today[11];      /* UTC date of the request */
  http_response_t res;
  rt_error_t err;
};

/* ---- http_routes.c ----------------------------------------------------- */

typedef int (*http_handler_t)(http_request_t *req);

struct http_route {
  const char *path; /* "/recommendations", or with id: "/recommendations/" */
  bool id;          /* the path ends in one segment: the record's id */
  bool api;         /* JSON, CORS */
  bool store;       /* reads the store (a snapshot is opened first) */
  /* Its answer is the same for the same revision, day and URL: it has an
   * ETag, and a matching If-None-Match is 304 before the handler runs. */
  bool tagged;
  const char *page; /* label of the metrics ("recommendation") */
  unsigned params;  /* HTTP_P_* it takes */
  http_handler_t handle;
};

/* The route for path (after the base path) and *id the id segment, or
 * NULL (404). */
const http_route_t *http_route_find(const char *path, const char **id);
/* Every route, for registering the metrics (count in *n). */
const http_route_t *http_routes(size_t *n);

/* ---- http_server.c: what handlers use ------------------------------------ */

/* Sets the store revision gauge (from a /metrics snapshot). */
void http_note_revision(rt_http_t *http, uint64_t revision);
/* A request header, or NULL. */
const char *http_header(http_request_t *req, const char *name);
/* The registry (may be NULL). */
rt_metrics_t *http_metrics(http_request_t *req);
rt_store_t *http_store(http_request_t *req);
/* Takes one of the concurrent download slots; false: all are busy (the
 * caller answers 429). http_download_end gives it back. */
bool http_download_begin(rt_http_t *http);
void http_download_end(rt_http_t *http);
/* --http-timeout: seconds an idle connection is kept. */
unsigned http_idle_timeout(rt_http_t *http);

/* Sets an error detail on req->err and returns code (like
 * rt_error_set). */
int http_fail(http_request_t *req, int code, const char *field,
              const char *format, ...) __attribute__((format(printf, 4, 5)));

/* ---- http_public.c ------------------------------------------------------ */

/* Takes a reader of the pool and renews it: req->reader, ->revision and
 * ->revision_ms are set. Returns 0 or the store's error. */
int http_read_begin(http_request_t *req);
/* Resets req->reader and gives it back (no-op when none). */
void http_read_end(http_request_t *req);
/* The title of theme id, compiled in or added by the secretariat, or
 * NULL when there is no such theme (borrowed: valid until
 * http_read_end). Needs the snapshot for an added one. */
const char *http_theme_title(http_request_t *req, const char *id);
/* The ?theme= parameter, if any, against the compiled and the added
 * themes: 0, or RT_EINVAL naming the parameter and the valid themes. */
int http_check_theme(http_request_t *req);
/* The themes added at run time (count in *n), or NULL when there is none
 * or they cannot be read (borrowed, as http_theme_title). */
Rectrack__V1__Theme *const *http_added_themes(http_request_t *req, size_t *n);

/* A pool of readers, one per listener thread. */
typedef struct http_reader_pool {
  pthread_mutex_t lock;
  rt_store_t *store;
  rt_store_reader_t **free_readers;
  size_t n_free, cap;
} http_reader_pool_t;
int http_reader_pool_init(http_reader_pool_t *pool, rt_store_t *store,
                          size_t cap);
void http_reader_pool_close(http_reader_pool_t *pool);
/* The listener's pool (http_server.c). */
http_reader_pool_t *http_pool(rt_http_t *http);

/* The public view of one record: NOT_FOUND for what does not exist or may
 * not be shown (an unpublished commitment), with the draft fields
 * (reported status, pending count) cleared. *out is freed with
 * protobuf_c_message_free_unpacked. */
int http_get_recommendation(http_request_t *req, const char *id,
                            Rectrack__V1__Recommendation **out);
int http_get_commitment(http_request_t *req, const char *id,
                        Rectrack__V1__Commitment **out);
int http_get_actor(http_request_t *req, const char *id,
                   Rectrack__V1__Actor **out);
int http_get_source(http_request_t *req, const char *id,
                    Rectrack__V1__Source **out);

/* Clear what a public reader may not see of records it may see: reports
 * awaiting validation, and who wrote what (principals of the tokens
 * file). */
void http_public_recommendation(Rectrack__V1__Recommendation *r);
void http_public_commitment(Rectrack__V1__Commitment *c);
void http_public_follow_up(Rectrack__V1__FollowUp *f);
void http_public_measurement(Rectrack__V1__Measurement *m);

/* Lists through the storage engine with the public filters added (only
 * published commitments) and the draft fields cleared on every record.
 * *out as rt_store_list_*. */
int http_list_recommendations(http_request_t *req,
                              Rectrack__V1__ListRecommendationsRequest *request,
                              Rectrack__V1__ListRecommendationsResponse **out);
int http_list_commitments(http_request_t *req,
                          Rectrack__V1__ListCommitmentsRequest *request,
                          Rectrack__V1__ListCommitmentsResponse **out);
/* Follow-ups (of one public subject, or of a period) and measurements of
 * a published commitment: only the official ones; a subject that may not
 * be shown is NOT_FOUND; in a period listing, the reports on subjects
 * that may not be shown are left out. */
int http_list_follow_ups(http_request_t *req,
                         Rectrack__V1__ListFollowUpsRequest *request,
                         Rectrack__V1__ListFollowUpsResponse **out);
int http_list_measurements(http_request_t *req,
                           Rectrack__V1__ListMeasurementsRequest *request,
                           Rectrack__V1__ListMeasurementsResponse **out);

/* The list requests for req->params (the same filters on pages and in the
 * API). */
void http_recommendations_request(const http_request_t *req,
                                  Rectrack__V1__ListRecommendationsRequest *r);
void http_commitments_request(const http_request_t *req,
                              Rectrack__V1__ListCommitmentsRequest *r);

/* Takes req->reader away from the request, for a download that holds its
 * snapshot while it renders; give it back with http_reader_give_back
 * (any thread). */
rt_store_reader_t *http_reader_take(http_request_t *req);
void http_reader_give_back(rt_http_t *http, rt_store_reader_t *reader);

/* The name of an actor ("Bangladesh"), or its id when it has none or is
 * unknown; into out. */
const char *http_actor_name(http_request_t *req, const char *id, char *out,
                            size_t size);

/* ---- http_pledges.c ----------------------------------------------------- */

/* The pledge type's label ("Partnership"; "Individual" for a commitment
 * recorded before pledge types). Static storage. */
const char *http_pledge_label(const Rectrack__V1__Commitment *c);
/* Inside a <dl class="facts">: the pledge type, the lead actor, the
 * pledge c matches and those matching it, as links. */
void http_pledge_facts(http_request_t *req, const Rectrack__V1__Commitment *c);
/* The partners of a joint pledge and where each one's part stands;
 * nothing when it has none. */
void http_partners_section(http_request_t *req,
                           const Rectrack__V1__Commitment *c);
/* A series' dimensions as text ("corridor GBR-NGA, sex female"), escaped;
 * nothing for the overall figure. */
void http_dimensions_text(http_buf_t *b, Rectrack__V1__Dimension *const *dims,
                          size_t n);
/* The disaggregated series of c (its computed series) as a table, those
 * beyond the indicator's series_ceiling said in words; nothing when it
 * has none. */
void http_series_section(http_request_t *req,
                         const Rectrack__V1__Commitment *c);

/* ---- http_html.c -------------------------------------------------------- */

/* Opens a page: doctype, head (title, stylesheet), the site's header and
 * navigation (current marks the section), <main>, the h1. */
void http_page_begin(http_request_t *req, const char *title,
                     const char *current);
/* Closes <main> and adds the footer: the revision and time of the data,
 * the page's stable URL. Sets the response (200, text/html, ETag). */
void http_page_end(http_request_t *req);
/* Appends base + path to the body (a link target). */
void http_href(http_request_t *req, const char *path);
/* A link to actor id's page, its text the actor's name ("none" when id
 * is empty); http_pages.c. */
void http_actor_link(http_request_t *req, const char *id);
/* Opens one fact of a record page's list: <dt>term</dt><dd>; the caller
 * writes the value and closes the </dd>. */
void http_fact(http_buf_t *b, const char *term);
/* <a href="base/prefix/escaped-id">text</a> */
void http_link(http_request_t *req, const char *prefix, const char *id,
               const char *text);
/* A status badge linking to the list of that status. */
void http_status_badge(http_request_t *req, const char *list, int status);
/* The tags of a record: SDG targets, GCM objectives, theme, each with
 * its title and a link to its page. */
void http_tags(http_request_t *req, char *const *sdg, size_t n_sdg,
               const int32_t *gcm, size_t n_gcm, const char *theme);
/* The error page for code and req->err (status set by the server). */
void http_error_page(http_request_t *req, int http_status,
                     const char *status_name);
/* "YYYY-MM-DD HH:MM UTC" of ms into out. */
const char *http_time_text(int64_t ms, char *out, size_t size);
/* The stylesheet and its hash-free CSP source. */
extern const char http_stylesheet[];
extern const size_t http_stylesheet_len;
/* The Content-Security-Policy of every answer. */
extern const char http_csp[];

/* ---- http_charts.c, http_overview.c ------------------------------------- */

/* The review's charts (inline SVG), appended to the body: all items by
 * status and recommendations by theme, drawn from a summary of the public
 * view (their names: the compiled reference lists and req's added
 * themes), and one commitment's indicator against its path, from its
 * validated measurements. */
void http_chart_status(http_request_t *req,
                       const Rectrack__V1__ReviewSummary *summary);
void http_chart_themes(http_request_t *req,
                       const Rectrack__V1__ReviewSummary *summary);
void http_indicator_chart(http_request_t *req,
                          const Rectrack__V1__Commitment *c,
                          Rectrack__V1__Measurement *const *measurements,
                          size_t n);
/* The review period of a request: from (default 1 January of to's year)
 * and to (default today), checked from <= to; 0 or 400 naming "from". */
int http_review_period(http_request_t *req, char from[11], char to[11]);

/* ---- http_summary.c ------------------------------------------------------ */

/* The summary lists (changes, overdue, indicators, no information, the
 * actors of by_actor) hold at most this many entries, as GetReviewSummary's
 * do; their *_count fields count them all. */
#define HTTP_SUMMARY_LIST_MAX 100
/* Summaries kept, by revision and period. */
#define HTTP_SUMMARY_CACHE 8

/* The summaries of the public view already computed, packed, keyed by
 * revision and period (from, to: to is today's date unless asked, so the
 * day is part of the key). Any thread; a lookup holds the lock for a
 * copy of the packed bytes, never while a summary is computed (two
 * requests missing at once both compute, and the second replaces the
 * first's entry). */
typedef struct http_summary_cache {
  pthread_mutex_t lock;
  struct http_cached_summary {
    uint64_t revision;
    char from[11], to[11];
    uint8_t *packed; /* NULL: empty slot */
    size_t len;
    uint64_t used; /* clock of the last use, for eviction */
  } entries[HTTP_SUMMARY_CACHE];
  uint64_t clock;
  rt_counter_t *hits, *misses; /* rectrack_http_review_cache_*_total */
} http_summary_cache_t;

int http_summary_cache_init(http_summary_cache_t *cache, rt_metrics_t *metrics);
void http_summary_cache_close(http_summary_cache_t *cache);
http_summary_cache_t *http_summary_cache(rt_http_t *http);

/* The review of from..to (as of to) over the public view of req's
 * snapshot: from the cache when this revision and period were computed
 * before, else computed by rt_review_compute_stream and kept. *out is
 * the caller's (rt_review_summary_free). 0, RT_EINVAL (dates), RT_ENOMEM
 * or the store's error, with req->err set. */
int http_review_summary(http_request_t *req, const char *from, const char *to,
                        Rectrack__V1__ReviewSummary **out);

/* ---- handlers ----------------------------------------------------------- */

int http_page_overview(http_request_t *req);
int http_page_downloads(http_request_t *req);
int http_page_download(http_request_t *req);
int http_page_recommendations(http_request_t *req);
int http_page_recommendation(http_request_t *req);
int http_page_commitments(http_request_t *req);
int http_page_commitment(http_request_t *req);
int http_page_sdg(http_request_t *req);
int http_page_sdg_index(http_request_t *req);
int http_page_gcm(http_request_t *req);
int http_page_gcm_index(http_request_t *req);
int http_page_actor(http_request_t *req);
int http_page_actors(http_request_t *req);
int http_page_source(http_request_t *req);
int http_page_sources(http_request_t *req);
int http_page_theme(http_request_t *req);

int http_api_index(http_request_t *req);
int http_api_recommendations(http_request_t *req);
int http_api_recommendation(http_request_t *req);
int http_api_commitments(http_request_t *req);
int http_api_commitment(http_request_t *req);
int http_api_follow_ups(http_request_t *req);
int http_api_measurements(http_request_t *req);
int http_api_actors(http_request_t *req);
int http_api_actor(http_request_t *req);
int http_api_sources(http_request_t *req);
int http_api_source(http_request_t *req);
int http_api_sdg_targets(http_request_t *req);
int http_api_gcm_objectives(http_request_t *req);
int http_api_themes(http_request_t *req);
int http_api_summary(http_request_t *req);

/* Sets a JSON body (json_decref'd here) as the 200 answer. */
int http_json_answer(http_request_t *req, json_t *body);

#endif /* HTTP_INTERNAL_H */
