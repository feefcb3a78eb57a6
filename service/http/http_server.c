/*
 * http_server: the libmicrohttpd daemon of the HTTP listener and the life
 * of one request, from the bytes libmicrohttpd parsed to the answer it
 * sends.
 *
 * libmicrohttpd runs a small pool of threads, each polling (epoll) its
 * share of the connections, and calls on_request on them. Its own bounds
 * are set here: connections in all and per address, the memory of one
 * connection (the request line and headers must fit: a longer URL is 414,
 * longer headers 431, answered by libmicrohttpd), the idle timeout, and
 * strict parsing of what clients send.
 *
 * A request: only GET and HEAD (anything else is 405 with Allow); the base
 * path is taken off; a path with a "." or ".." segment, a control
 * character or bytes that are not UTF-8 is 400; a path no route has is
 * 404; the query parameters are checked (http_query.c); a snapshot is
 * taken when the route reads the store; the handler fills the answer or
 * fails with an RT_E* code, which goes through the service's one table to
 * a gRPC status (tracker_status.h) and from there to an HTTP status (the
 * mapping Google's API guides give, below), as an HTML page or JSON as
 * the route speaks. Every answer carries the security headers
 * (Content-Security-Policy without inline script or style, nosniff, no
 * framing, same-origin referrers), Cache-Control, and on success an ETag
 * made of the revision, the date and the URL: If-None-Match with it is
 * answered 304. The API adds Access-Control-Allow-Origin: *.
 *
 * Every answer is counted by route ("page") and status, and timed.
 */
#include "http_internal.h"

#include "rt_grpc.h"
#include "rt_log.h"
#include "rt_validate.h"
#include "tracker_status.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define DEFAULT_THREADS 4
#define DEFAULT_MAX_CONNECTIONS 256
#define DEFAULT_MAX_PER_ADDRESS 32
#define DEFAULT_TIMEOUT_S 30
#define DEFAULT_MAX_REQUEST_BYTES (256u << 10)
#define DEFAULT_MAX_DOWNLOADS 2

/* The statuses counted by name; any other falls under "other". */
static const int counted_statuses[] = {200, 304, 400, 404, 405, 429, 500, 503};
#define N_COUNTED (sizeof counted_statuses / sizeof counted_statuses[0])

/* The series of one page label. */
typedef struct page_series {
  const char *page;
  rt_counter_t *by_status[N_COUNTED + 1];
} page_series_t;

/* Latency is timed by kind of answer, not by page: a histogram per page
 * would be most of a scrape. */
enum { KIND_PAGE, KIND_API, KIND_DOWNLOAD, KIND_OTHER, N_KINDS };
static const char *const kind_names[N_KINDS] = {"page", "api", "download",
                                                "other"};

struct rt_http {
  struct MHD_Daemon *daemon;
  rt_store_t *store;
  rt_metrics_t *metrics;
  char *base_path; /* "" or "/tracker" */
  char address[80];
  unsigned max_downloads;
  unsigned timeout_s; /* of an idle connection */
  atomic_uint downloads;
  http_reader_pool_t pool;
  http_summary_cache_t summaries;
  bool summaries_ready;
  page_series_t *pages; /* one per distinct page label, then "unknown" */
  size_t n_pages;
  rt_histogram_t *seconds[N_KINDS];
  rt_gauge_t *open_connections;
  rt_gauge_t *active_downloads;
  rt_gauge_t *store_revision; /* set from the snapshot of each scrape */
  struct http_tls *tls;       /* NULL: plain HTTP */
};

http_reader_pool_t *http_pool(rt_http_t *http) { return &http->pool; }
http_summary_cache_t *http_summary_cache(rt_http_t *http) {
  return &http->summaries;
}
rt_metrics_t *http_metrics(http_request_t *req) { return req->http->metrics; }
rt_store_t *http_store(http_request_t *req) { return req->http->store; }

int http_fail(http_request_t *req, int code, const char *field,
              const char *format, ...) {
  va_list args;
  va_start(args, format);
  char message[sizeof req->err.message];
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  return rt_error_set(&req->err, code, field, "%s", message);
}

const char *http_header(http_request_t *req, const char *name) {
  return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

bool http_download_begin(rt_http_t *http) {
  unsigned now = atomic_load(&http->downloads);
  do {
    if (now >= http->max_downloads)
      return false;
  } while (!atomic_compare_exchange_weak(&http->downloads, &now, now + 1));
  rt_gauge_add(http->active_downloads, 1);
  return true;
}

unsigned http_idle_timeout(rt_http_t *http) { return http->timeout_s; }

void http_download_end(rt_http_t *http) {
  atomic_fetch_sub(&http->downloads, 1);
  rt_gauge_add(http->active_downloads, -1);
}

/* ---- statuses -------------------------------------------------------- */

/* gRPC status -> HTTP status, as Google's API design guide maps them. */
static int http_status_of(rt_grpc_status_t status) {
  switch (status) {
  case RT_GRPC_OK:
    return 200;
  case RT_GRPC_CANCELLED:
    return 499;
  case RT_GRPC_INVALID_ARGUMENT:
  case RT_GRPC_FAILED_PRECONDITION:
  case RT_GRPC_OUT_OF_RANGE:
    return 400;
  case RT_GRPC_DEADLINE_EXCEEDED:
    return 504;
  case RT_GRPC_NOT_FOUND:
    return 404;
  case RT_GRPC_ALREADY_EXISTS:
  case RT_GRPC_ABORTED:
    return 409;
  case RT_GRPC_PERMISSION_DENIED:
    return 403;
  case RT_GRPC_UNAUTHENTICATED:
    return 401;
  case RT_GRPC_RESOURCE_EXHAUSTED:
    return 429;
  case RT_GRPC_UNIMPLEMENTED:
    return 501;
  case RT_GRPC_UNAVAILABLE:
    return 503;
  default:
    return 500;
  }
}

/* An error answer for code (RT_E*) with req->err, as the route speaks. */
static void answer_error(http_request_t *req, int code) {
  rt_grpc_status_t grpc = rt_status_from_error(code);
  int status = http_status_of(grpc);
  const char *name = rt_grpc_status_name(grpc);
  const char *message = rt_status_message(code, &req->err);
  if (grpc == RT_GRPC_INTERNAL) {
    rt_log(RT_LOG_ERROR, "http %s: %s", req->path, message);
    message = "the server could not answer; the error is in its log";
  }
  http_buf_free(&req->res.body);
  req->res =
      (http_response_t){.status = status, .retry_after = req->res.retry_after};
  if (req->format == HTTP_FORMAT_JSON) {
    json_t *error = json_pack("{s:{s:i,s:s,s:s}}", "error", "code", status,
                              "status", name, "message", message);
    if (error != NULL && req->err.field[0] != '\0' &&
        grpc == RT_GRPC_INVALID_ARGUMENT)
      json_object_set_new(json_object_get(error, "error"), "field",
                          json_string(req->err.field));
    char *text = error ? json_dumps(error, JSON_COMPACT) : NULL;
    json_decref(error);
    http_buf_puts(&req->res.body, text ? text : "{}");
    http_buf_puts(&req->res.body, "\n");
    free(text);
    req->res.content_type = "application/json";
  } else {
    /* The message is often err.message itself: copying it onto itself
     * would be undefined (and glibc empties it). */
    if (message != req->err.message)
      snprintf(req->err.message, sizeof req->err.message, "%s", message);
    http_error_page(req, status, name);
    req->res.content_type = "text/html; charset=utf-8";
  }
  req->res.status = status;
  req->res.cache = "no-store";
  req->res.etag = false;
}

/* ---- metrics --------------------------------------------------------- */

static page_series_t *series_of(rt_http_t *http, const char *page) {
  for (size_t i = 0; i < http->n_pages; i++)
    if (strcmp(http->pages[i].page, page) == 0)
      return &http->pages[i];
  return &http->pages[http->n_pages - 1]; /* "unknown" */
}

static void count_answer(http_request_t *req, const char *page, int status,
                         double seconds) {
  rt_http_t *http = req->http;
  if (http->pages == NULL)
    return;
  page_series_t *s = series_of(http, page);
  size_t slot = N_COUNTED;
  for (size_t i = 0; i < N_COUNTED; i++)
    if (counted_statuses[i] == status)
      slot = i;
  rt_counter_add(s->by_status[slot], 1);
  const http_route_t *r = req->route;
  int kind =
      r == NULL || !r->store ? KIND_OTHER
      : r->api               ? KIND_API
      : req->res.stream      ? KIND_DOWNLOAD
      : strcmp(r->page, "healthz") == 0 || strcmp(r->page, "metrics") == 0
          ? KIND_OTHER
          : KIND_PAGE;
  rt_histogram_observe(http->seconds[kind], seconds);
}

static double read_map_bytes(void *store) {
  return (double)rt_store_map_size(store);
}

static double read_used_bytes(void *store) {
  return (double)rt_store_used_bytes(store);
}

static int register_series(rt_http_t *http) {
  size_t n_routes;
  const http_route_t *routes = http_routes(&n_routes);
  http->pages = calloc(n_routes + 1, sizeof *http->pages);
  if (http->pages == NULL)
    return RT_ENOMEM;
  for (size_t r = 0; r <= n_routes; r++) {
    const char *page = r < n_routes ? routes[r].page : "unknown";
    bool seen = false;
    for (size_t i = 0; i < http->n_pages; i++)
      seen = seen || strcmp(http->pages[i].page, page) == 0;
    if (seen)
      continue;
    page_series_t *s = &http->pages[http->n_pages++];
    s->page = page;
    char labels[96];
    for (size_t i = 0; i <= N_COUNTED; i++) {
      if (i < N_COUNTED)
        snprintf(labels, sizeof labels, "page=\"%s\",code=\"%d\"", page,
                 counted_statuses[i]);
      else
        snprintf(labels, sizeof labels, "page=\"%s\",code=\"other\"", page);
      s->by_status[i] = rt_metrics_counter(
          http->metrics, "rectrack_http_requests_total",
          "HTTP requests answered, by page and status code.", labels);
      if (s->by_status[i] == NULL)
        return RT_ENOMEM;
    }
  }
  for (int k = 0; k < N_KINDS; k++) {
    char labels[48];
    snprintf(labels, sizeof labels, "kind=\"%s\"", kind_names[k]);
    http->seconds[k] = rt_metrics_histogram(
        http->metrics, "rectrack_http_request_duration_seconds",
        "Time to build an HTTP answer (a download: to start it), by kind: "
        "page, api, download, other.",
        labels, rt_metrics_latency_bounds, rt_metrics_latency_bounds_len);
    if (http->seconds[k] == NULL)
      return RT_ENOMEM;
  }
  http->open_connections =
      rt_metrics_gauge(http->metrics, "rectrack_http_connections",
                       "HTTP connections open.", NULL);
  http->active_downloads = rt_metrics_gauge(
      http->metrics, "rectrack_export_jobs",
      "Review exports being rendered and sent, by the interface that "
      "asked.",
      "via=\"http\"");
  http->store_revision =
      rt_metrics_gauge(http->metrics, "rectrack_store_revision",
                       "The revision of the newest change in the store.", NULL);
  rt_gauge_t *map = rt_metrics_gauge_fn(
      http->metrics, "rectrack_store_map_bytes",
      "Size of the store's memory map (it grows by doubling).", NULL,
      read_map_bytes, http->store);
  rt_gauge_t *used = rt_metrics_gauge_fn(
      http->metrics, "rectrack_store_used_bytes",
      "Bytes of the store's map in use (what the data file needs).", NULL,
      read_used_bytes, http->store);
  return http->open_connections && http->active_downloads &&
                 http->store_revision && map && used
             ? 0
             : RT_ENOMEM;
}

void http_note_revision(rt_http_t *http, uint64_t revision) {
  rt_gauge_set(http->store_revision, (double)revision);
}

/* ---- the answer ------------------------------------------------------ */

static uint64_t fnv1a(uint64_t h, const char *data, size_t len) {
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)data[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

static enum MHD_Result hash_arg(void *cls, enum MHD_ValueKind kind,
                                const char *key, size_t key_size,
                                const char *value, size_t value_size) {
  uint64_t *h = cls;
  (void)kind;
  *h = fnv1a(*h, "&", 1);
  *h = fnv1a(*h, key, key_size);
  *h = fnv1a(*h, "=", 1);
  if (value != NULL)
    *h = fnv1a(*h, value, value_size);
  return MHD_YES;
}

/* "r<revision>-<date>-<hash of base, path and query>", quoted. */
static void make_etag(http_request_t *req, char *out, size_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  h = fnv1a(h, req->base, strlen(req->base));
  h = fnv1a(h, req->path, strlen(req->path));
  MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, hash_arg, &h);
  snprintf(out, size, "\"r%llu-%.4s%.2s%.2s-%016llx\"",
           (unsigned long long)req->revision, req->today, req->today + 5,
           req->today + 8, (unsigned long long)h);
}

/* If-None-Match: a list of entity tags (weak ones compare too, RFC 9110
 * section 13.1.2), or "*". */
static bool etag_matches(const char *header, const char *etag) {
  if (header == NULL)
    return false;
  size_t etag_len = strlen(etag);
  const char *p = header;
  while (*p != '\0') {
    while (*p == ' ' || *p == ',' || *p == '\t')
      p++;
    if (*p == '*')
      return true;
    if (p[0] == 'W' && p[1] == '/')
      p += 2;
    if (strncmp(p, etag, etag_len) == 0 &&
        (p[etag_len] == '\0' || p[etag_len] == ',' || p[etag_len] == ' '))
      return true;
    while (*p != '\0' && *p != ',')
      p++;
  }
  return false;
}

static void add_common_headers(http_request_t *req, struct MHD_Response *r) {
  MHD_add_response_header(r, "Content-Security-Policy", http_csp);
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(r, "X-Frame-Options", "DENY");
  MHD_add_response_header(r, "Referrer-Policy", "same-origin");
  /* Over HTTPS only: a browser that saw it asks for HTTPS from then on
   * (a year; subdomains are not this listener's to speak for). */
  if (req->http->tls != NULL)
    MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
  MHD_add_response_header(r, "Cache-Control",
                          req->res.cache ? req->res.cache : "no-cache");
  if (req->route != NULL && req->route->api) {
    MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(r, "Access-Control-Expose-Headers", "ETag");
  }
  if (req->res.content_type != NULL)
    MHD_add_response_header(r, "Content-Type", req->res.content_type);
  if (req->res.filename[0] != '\0') {
    char disposition[200];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"",
             req->res.filename);
    MHD_add_response_header(r, "Content-Disposition", disposition);
  }
  if (req->res.retry_after > 0) {
    char seconds[16];
    snprintf(seconds, sizeof seconds, "%u", req->res.retry_after);
    MHD_add_response_header(r, "Retry-After", seconds);
  }
}

/* Sends req->res; returns what libmicrohttpd said. */
static enum MHD_Result send_answer(http_request_t *req) {
  struct MHD_Response *response = req->res.stream;
  char etag[96] = "";
  if (req->res.etag && req->res.status == 304) {
    make_etag(req, etag, sizeof etag); /* not_modified: no body built */
  } else if (req->res.etag && req->res.status == 200) {
    make_etag(req, etag, sizeof etag);
    if (etag_matches(http_header(req, "If-None-Match"), etag)) {
      if (response != NULL)
        MHD_destroy_response(response);
      response = NULL;
      http_buf_free(&req->res.body);
      req->res.status = 304;
      req->res.content_type = NULL;
      req->res.filename[0] = '\0';
    }
  }
  if (response == NULL) {
    if (req->res.body.failed) {
      http_buf_free(&req->res.body);
      http_fail(req, RT_ENOMEM, NULL, "out of memory");
      answer_error(req, RT_ENOMEM);
      etag[0] = '\0';
    }
    size_t len = 0;
    char *body = http_buf_take(&req->res.body, &len);
    /* HEAD is answered as GET: libmicrohttpd sends the headers of the
     * whole answer (its Content-Length) and leaves the body out. */
    if (req->res.status == 304) {
      free(body);
      body = NULL;
      len = 0;
    }
    response =
        MHD_create_response_from_buffer_with_free_callback(len, body, free);
    if (response == NULL) {
      free(body);
      return MHD_NO;
    }
  }
  add_common_headers(req, response);
  if (etag[0] != '\0')
    MHD_add_response_header(response, "ETag", etag);
  if (req->res.status == 405)
    MHD_add_response_header(response, "Allow", "GET, HEAD");
  enum MHD_Result rc =
      MHD_queue_response(req->conn, (unsigned)req->res.status, response);
  MHD_destroy_response(response);
  return rc;
}

/* ---- one request ----------------------------------------------------- */

/* A path the router may see: UTF-8, no control characters, no "." or
 * ".." segment. */
static int check_path(http_request_t *req) {
  const char *path = req->path;
  size_t len = strlen(path);
  if (len > 1024)
    return http_fail(req, RT_EINVAL, "path", "path: longer than 1024 bytes");
  if (!rt_utf8_is_valid(path, len))
    return http_fail(req, RT_EINVAL, "path",
                     "path: not well-formed UTF-8 text");
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f || path[i] == '\\')
      return http_fail(req, RT_EINVAL, "path",
                       "path: holds a control character or a backslash");
  for (const char *seg = path; seg != NULL; seg = strchr(seg + 1, '/')) {
    const char *start = seg + 1;
    size_t n = strcspn(start, "/");
    if ((n == 1 && start[0] == '.') ||
        (n == 2 && start[0] == '.' && start[1] == '.'))
      return http_fail(req, RT_EINVAL, "path",
                       "path: a '.' or '..' segment is not allowed");
  }
  return 0;
}

/* The path without the base path (a proxy may pass it or strip it). */
static const char *strip_base(const rt_http_t *http, const char *url) {
  size_t n = strlen(http->base_path);
  if (n > 0 && strncmp(url, http->base_path, n) == 0 &&
      (url[n] == '/' || url[n] == '\0'))
    return url[n] == '\0' ? "/" : url + n;
  return url;
}

/* JSON for the API, and for a page request that asks for JSON only. */
static http_format_t format_of(http_request_t *req, const char *path) {
  if (strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0)
    return HTTP_FORMAT_JSON;
  const char *accept = http_header(req, "Accept");
  if (accept != NULL && strstr(accept, "application/json") != NULL &&
      strstr(accept, "text/html") == NULL)
    return HTTP_FORMAT_JSON;
  return HTTP_FORMAT_HTML;
}

static void today_utc(char out[11]) {
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(out, 11, "%Y-%m-%d", &tm);
}

/* A conditional GET whose tag is the one this answer would have: the
 * same revision, day and URL give the same answer, so it is 304 without
 * building it. ("*" is left to the answer: it matches only an answer
 * that exists.) */
static bool not_modified(http_request_t *req) {
  const char *header = http_header(req, "If-None-Match");
  if (header == NULL || strchr(header, '*') != NULL)
    return false;
  char etag[96];
  make_etag(req, etag, sizeof etag);
  return etag_matches(header, etag);
}

/* Routes, checks and runs the handler; returns 0 or an RT_E* code. */
static int run_request(http_request_t *req, const char *method) {
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    http_fail(req, RT_EINVAL, "method",
              "method: %.16s is not allowed here "
              "(GET or HEAD)",
              method);
    return 405;
  }
  int rc = check_path(req);
  if (rc != 0)
    return rc;
  req->route = http_route_find(req->path, &req->id);
  if (req->route == NULL) {
    char excerpt[RT_EXCERPT_SIZE];
    return http_fail(req, RT_ENOTFOUND, NULL, "there is no page %s",
                     rt_quote_excerpt(req->path, excerpt));
  }
  if ((rc = http_query_parse(req, req->route->params)) != 0)
    return rc;
  if (req->route->store && (rc = http_read_begin(req)) != 0)
    return rc;
  if ((rc = http_check_theme(req)) != 0)
    return rc;
  if (req->route->tagged && not_modified(req)) {
    req->res.status = 304;
    req->res.etag = true;
    req->res.cache = "no-cache";
    return 0;
  }
  rc = req->route->handle(req);
  http_read_end(req);
  return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  rt_http_t *http = cls;
  (void)version;
  (void)upload;
  static int headers_seen;
  bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
  /* A GET is answered on the second call: an answer queued on the first
   * (headers only) makes libmicrohttpd close the connection, which would
   * cost every page a new TCP connection. Another method is answered at
   * once, and its body is never read (the connection closes). */
  if (*con_cls == NULL && get) {
    *con_cls = &headers_seen;
    return MHD_YES;
  }
  if (*upload_size != 0) {
    *upload_size = 0; /* a GET with a body: ignored, then answered */
    return MHD_YES;
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  http_request_t req = {.http = http, .conn = conn, .base = http->base_path};
  req.path = strip_base(http, url);
  req.head = strcmp(method, "HEAD") == 0;
  req.format = format_of(&req, req.path);
  today_utc(req.today);
  int rc = run_request(&req, method);
  if (rc == 405) {
    answer_error(&req, RT_EINVAL);
    req.res.status = 405;
    if (req.format == HTTP_FORMAT_JSON) {
      http_buf_free(&req.res.body);
      http_buf_printf(&req.res.body,
                      "{\"error\":{\"code\":405,\"status\":"
                      "\"UNIMPLEMENTED\",\"message\":\"%s\"}}\n",
                      "only GET and HEAD are answered here");
    }
  } else if (rc != 0) {
    answer_error(&req, rc);
  } else if (req.res.status == 0) {
    http_fail(&req, RT_EIO, NULL, "the handler gave no answer");
    answer_error(&req, RT_EIO);
  }
  http_read_end(&req);
  enum MHD_Result result = send_answer(&req);
  clock_gettime(CLOCK_MONOTONIC, &end);
  double seconds = (double)(end.tv_sec - start.tv_sec) +
                   (double)(end.tv_nsec - start.tv_nsec) / 1e9;
  count_answer(&req, req.route ? req.route->page : "unknown", req.res.status,
               seconds);
  if (rt_log_enabled(RT_LOG_DEBUG))
    rt_log(RT_LOG_DEBUG, "http %s %.200s %d %.1fms", method, url,
           req.res.status, seconds * 1e3);
  return result;
}

/* The kernel's send buffer of one connection (Linux doubles it): what a
 * client that does not read pins in kernel memory, beside the answer's
 * chunk libmicrohttpd holds. Fixed, not autotuned up to megabytes, so
 * that a slow reader holds its download slot while its download is
 * unsent rather than parked in the kernel; ample for pages. */
#define SEND_BUFFER_BYTES (32 << 10)

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
  rt_http_t *http = cls;
  (void)socket_context;
  if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int bytes = SEND_BUFFER_BYTES;
    if (info != NULL)
      (void)setsockopt(info->connect_fd, SOL_SOCKET, SO_SNDBUF, &bytes,
                       sizeof bytes);
  }
  rt_gauge_add(http->open_connections,
               toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

static void on_mhd_log(void *cls, const char *format, va_list args) {
  (void)cls;
  char line[512];
  vsnprintf(line, sizeof line, format, args);
  size_t n = strlen(line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    line[--n] = '\0';
  rt_log(RT_LOG_DEBUG, "http: %s", line);
}

/* ---- the daemon ------------------------------------------------------ */

int rt_http_check_base_path(const char *base, rt_error_t *err) {
  if (base == NULL || base[0] == '\0')
    return 0;
  size_t len = strlen(base);
  bool ok = base[0] == '/' && base[len - 1] != '/' && len <= 100;
  for (size_t i = 1; ok && i < len; i++) {
    char c = base[i];
    ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
         (c == '/' && base[i - 1] != '/');
  }
  if (!ok)
    return rt_error_set(err, RT_EINVAL, "http-base-path",
                        "--http-base-path: '%.100s' is not a path prefix "
                        "(like /tracker: starts with '/', does not end with "
                        "one, letters, digits, - _ . and /)",
                        base);
  return 0;
}

/* "HOST:PORT" to a socket address. */
static int parse_listen(const char *text, struct sockaddr_storage *out,
                        socklen_t *out_len, rt_error_t *err) {
  char host[256];
  const char *colon = text ? strrchr(text, ':') : NULL;
  if (colon == NULL || colon == text || colon[1] == '\0')
    return rt_error_set(err, RT_EINVAL, "http-listen",
                        "--http-listen: '%.100s' is not HOST:PORT",
                        text ? text : "");
  size_t host_len = (size_t)(colon - text);
  const char *h = text;
  if (text[0] == '[' && host_len >= 2 && text[host_len - 1] == ']') {
    h = text + 1;
    host_len -= 2;
  }
  if (host_len >= sizeof host)
    return rt_error_set(err, RT_EINVAL, "http-listen",
                        "--http-listen: the host is too long");
  memcpy(host, h, host_len);
  host[host_len] = '\0';
  char *end = NULL;
  long port = strtol(colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535)
    return rt_error_set(err, RT_EINVAL, "http-listen",
                        "--http-listen: '%.20s' is not a port (0-65535)",
                        colon + 1);
  struct addrinfo hints = {.ai_family = AF_UNSPEC,
                           .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *found = NULL;
  int gai = getaddrinfo(host, colon + 1, &hints, &found);
  if (gai != 0 || found == NULL)
    return rt_error_set(err, RT_EINVAL, "http-listen",
                        "--http-listen: cannot resolve '%.100s': %s", host,
                        gai_strerror(gai));
  memcpy(out, found->ai_addr, found->ai_addrlen);
  *out_len = found->ai_addrlen;
  freeaddrinfo(found);
  return 0;
}

static void format_address(rt_http_t *http, const struct sockaddr_storage *addr,
                           int port) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (addr->ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, host,
              sizeof host);
    snprintf(http->address, sizeof http->address, "[%s]:%d", host, port);
  } else {
    inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, host,
              sizeof host);
    snprintf(http->address, sizeof http->address, "%s:%d", host, port);
  }
}

static int start_daemon(rt_http_t *http, const rt_http_options_t *o,
                        rt_error_t *err) {
  struct sockaddr_storage addr;
  socklen_t addr_len = 0;
  int rc = parse_listen(o->listen, &addr, &addr_len, err);
  if (rc != 0)
    return rc;
  unsigned threads = o->threads ? o->threads : DEFAULT_THREADS;
  unsigned flags =
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
  if (addr.ss_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  if (http->tls != NULL)
    flags |= MHD_USE_TLS;
  struct MHD_OptionItem options[] = {
      {MHD_OPTION_SOCK_ADDR, 0, &addr},
      {MHD_OPTION_THREAD_POOL_SIZE, threads, NULL},
      {MHD_OPTION_CONNECTION_LIMIT,
       o->max_connections ? o->max_connections : DEFAULT_MAX_CONNECTIONS, NULL},
      {MHD_OPTION_PER_IP_CONNECTION_LIMIT,
       o->max_connections_per_address ? o->max_connections_per_address
                                      : DEFAULT_MAX_PER_ADDRESS,
       NULL},
      {MHD_OPTION_CONNECTION_TIMEOUT,
       o->timeout_s ? o->timeout_s : DEFAULT_TIMEOUT_S, NULL},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT,
       (intptr_t)(o->max_request_bytes ? o->max_request_bytes
                                       : DEFAULT_MAX_REQUEST_BYTES),
       NULL},
      {MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL},
      {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, http},
      {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, http},
      {http->tls ? MHD_OPTION_HTTPS_CERT_CALLBACK : MHD_OPTION_END, 0,
       http->tls ? http_tls_callback() : NULL},
      {MHD_OPTION_END, 0, NULL},
  };
  http->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, http,
                                  MHD_OPTION_ARRAY, options, MHD_OPTION_END);
  if (http->daemon == NULL)
    return rt_error_set(err, RT_EIO, "http-listen",
                        "--http-listen: cannot listen on %.100s (address in "
                        "use, or not an address of this machine)",
                        o->listen);
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(http->daemon, MHD_DAEMON_INFO_BIND_PORT);
  format_address(http, &addr, info ? info->port : 0);
  return 0;
}

int rt_http_new(rt_http_t **out, const rt_http_options_t *options,
                rt_error_t *err) {
  *out = NULL;
  int rc = rt_http_check_base_path(options->base_path, err);
  if (rc != 0)
    return rc;
  if ((options->tls_cert_file == NULL) != (options->tls_key_file == NULL))
    return rt_error_set(err, RT_EINVAL, "tls-cert",
                        "--tls-cert and --tls-key go together");
  rt_http_t *http = calloc(1, sizeof *http);
  if (http == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  http->store = options->store;
  http->metrics = options->metrics;
  http->max_downloads =
      options->max_downloads ? options->max_downloads : DEFAULT_MAX_DOWNLOADS;
  http->timeout_s = options->timeout_s ? options->timeout_s : DEFAULT_TIMEOUT_S;
  http->base_path = strdup(options->base_path ? options->base_path : "");
  unsigned threads = options->threads ? options->threads : DEFAULT_THREADS;
  if (http->base_path == NULL ||
      http_reader_pool_init(&http->pool, options->store, threads) != 0) {
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
    goto fail;
  }
  if (http->metrics != NULL && (rc = register_series(http)) != 0) {
    rt_error_set(err, rc, NULL, "cannot register the HTTP metrics");
    goto fail;
  }
  if ((rc = http_summary_cache_init(&http->summaries, http->metrics)) != 0) {
    rt_error_set(err, rc, NULL, "cannot register the HTTP metrics");
    goto fail;
  }
  http->summaries_ready = true;
  if (options->tls_cert_file != NULL &&
      (rc = http_tls_new(&http->tls, options->tls_cert_file,
                         options->tls_key_file, err)) != 0)
    goto fail;
  if ((rc = start_daemon(http, options, err)) != 0)
    goto fail;
  *out = http;
  return 0;

fail:
  rt_http_free(http);
  return rc;
}

const char *rt_http_address(const rt_http_t *http) { return http->address; }

int rt_http_is_tls(const rt_http_t *http) { return http->tls != NULL; }

int rt_http_reload_tls(rt_http_t *http, rt_error_t *err) {
  if (http->tls == NULL)
    return rt_error_set(err, RT_EINVAL, NULL,
                        "the HTTP listener does not speak TLS");
  return http_tls_reload(http->tls, err);
}

void rt_http_free(rt_http_t *http) {
  if (http == NULL)
    return;
  if (http->daemon != NULL) {
    MHD_quiesce_daemon(http->daemon);
    MHD_stop_daemon(http->daemon);
  }
  http_tls_free(http->tls);
  if (http->summaries_ready)
    http_summary_cache_close(&http->summaries);
  http_reader_pool_close(&http->pool);
  free(http->pages);
  free(http->base_path);
  free(http);
}
