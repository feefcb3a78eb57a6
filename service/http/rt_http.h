/*
 * rt_http: rectrackd's HTTP/1.1 listener for people and tools: the public
 * web pages, the JSON read API under /api/v1/, /metrics and /healthz.
 *
 * Owns: a GNU libmicrohttpd daemon with its own threads (a small pool,
 * each polling its share of the connections), the routing of GET paths to
 * pages and API resources, the parsing and checking of query parameters,
 * the response headers (Content-Security-Policy, nosniff, ETag and 304,
 * Cache-Control, CORS on the API), its bounds (connections in all and per
 * address, request bytes, timeouts, concurrent downloads), its TLS
 * certificate (GnuTLS, through libmicrohttpd) and the rule of what the
 * public may see: recommendations, their validated follow-ups and the
 * published commitments with their validated measurements; never a
 * submission awaiting validation, a returned one, or an unpublished
 * commitment, in any page, list, count, chart or download.
 *
 * Calls: rt_store (read snapshots only: it never writes), rt_review (the
 * overview's figures and charts, the downloads, streamed) over the public
 * view of rt_review_source (service/review_source), rt_metrics (renders the
 * registry it is given and counts its own requests), rt_pbjson and
 * rt_enum (the API's JSON and the labels), rt_reference (titles of SDG
 * targets, GCM objectives and themes), the service's RT_E* -> gRPC table
 * (tracker_status.h), rt_log and libmicrohttpd. It knows nothing of gRPC
 * connections: the daemon hands it the store and the registry.
 *
 * Threads: rt_http_new starts the daemon's threads; requests are answered
 * on them, each through a read snapshot taken from a pool (one reader per
 * thread, MDB_NOTLS, reset as soon as the answer is built, so that map
 * growth is never held up by an idle reader). rt_http_reload_tls and
 * rt_http_free run on the caller's thread (the daemon's loop).
 */
#ifndef RT_HTTP_H
#define RT_HTTP_H

#include "rt_error.h"
#include "rt_metrics.h"
#include "rt_store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct rt_http rt_http_t;

typedef struct rt_http_options {
  const char *listen; /* "HOST:PORT"; port 0 picks a free one. Required. */
  /* Where the pages live behind a proxy ("/tracker"): links carry it,
   * and a request path that starts with it is served without it. NULL or
   * "": the root. Must start with '/' and not end with one. */
  const char *base_path;
  /* PEM files of the certificate (then its chain) and its key: both set,
   * the listener speaks HTTPS (GnuTLS); both NULL, plain HTTP. */
  const char *tls_cert_file;
  const char *tls_key_file;
  unsigned threads;                     /* 0: 4 */
  unsigned max_connections;             /* 0: 256 */
  unsigned max_connections_per_address; /* 0: 32 */
  unsigned timeout_s;                   /* idle connection, 0: 30 */
  size_t max_request_bytes; /* request line and headers, 0: 32 KiB */
  unsigned max_downloads;   /* review downloads at once, 0: 2 */
  /* Counters and gauges of the HTTP listener go into metrics, and
   * /metrics renders all of it. Borrowed; NULL: no /metrics. */
  rt_metrics_t *metrics;
  /* The store read by every request (borrowed; outlives the listener). */
  rt_store_t *store;
} rt_http_options_t;

/* Checks a base path (see rt_http_options_t). Returns 0 or RT_EINVAL. */
int rt_http_check_base_path(const char *base_path, rt_error_t *err);

/* Registers the listener's series in options->metrics, loads the TLS pair,
 * binds options->listen and starts the threads. *out is freed with
 * rt_http_free. Returns 0, RT_EINVAL (bad address, base path or option;
 * err names it), RT_EIO (a TLS file cannot be read or used, or the
 * address cannot be bound: err says why) or RT_ENOMEM. */
int rt_http_new(rt_http_t **out, const rt_http_options_t *options,
                rt_error_t *err);

/* The bound address as "HOST:PORT" with the real port. */
const char *rt_http_address(const rt_http_t *http);

/* 1 when the listener speaks HTTPS. */
int rt_http_is_tls(const rt_http_t *http);

/* Reads the certificate and key files again (SIGHUP): new TLS handshakes
 * use the new pair, and a pair that cannot be used leaves the one in
 * force. Returns 0, RT_EINVAL (not HTTPS, or a bad pair: err says why) or
 * RT_EIO. */
int rt_http_reload_tls(rt_http_t *http, rt_error_t *err);

/* Stops accepting, lets the requests being answered finish (a download
 * in progress is cut), joins the threads, releases the readers and frees
 * the listener. Call before the store is closed. NULL is a no-op. */
void rt_http_free(rt_http_t *http);

#endif /* RT_HTTP_H */
