/*
 * rt_client: a small blocking gRPC client over HTTP/2, in cleartext (prior
 * knowledge) or over TLS (ALPN h2, the server's certificate verified), for
 * the rectrack CLI.
 *
 * Owns: one TCP connection, its TLS session and its nghttp2 client
 * session, the request headers (grpc-timeout, authorization, custom
 * metadata) and the mapping of whatever happens to a call (trailers, HTTP
 * errors, RST_STREAM, a lost connection, a refused certificate, a passed
 * deadline) to a gRPC status code and message, as gRPC's PROTOCOL-HTTP2
 * and http-grpc-status-mapping documents specify. Calls nghttp2, OpenSSL
 * (rt_client_tls.c), the shared gRPC framing code (grpc/rt_grpc.h) and the
 * socket API; knows nothing of rectrack's messages.
 *
 * One call, or one batch of unary calls, at a time; every function blocks
 * (poll()) until the calls end. The connection is opened by the first call
 * and re-opened by a later call when it failed or the server sent GOAWAY.
 */
#ifndef RT_CLIENT_H
#define RT_CLIENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define RT_CLIENT_MAX_RECEIVE (64u * 1024u * 1024u)

typedef struct rt_client rt_client_t;

/* Why a call failed on this side, when it did: what a user should look at
 * first. */
typedef enum rt_client_failure {
  RT_CLIENT_FAILURE_NONE = 0,    /* the server answered, or a local limit */
  RT_CLIENT_FAILURE_CONNECT = 1, /* no connection: refused, unreachable, lost */
  RT_CLIENT_FAILURE_TLS_VERIFY = 2, /* the server's certificate was refused */
  RT_CLIENT_FAILURE_PROTOCOL = 3,   /* TLS against cleartext, or the reverse,
                                       or not an HTTP/2 server */
} rt_client_failure_t;

/* The outcome of a call: a gRPC status code (0 = OK) and the server's
 * grpc-message, percent-decoded, or a message the client made up
 * ("cannot connect to 127.0.0.1:1: Connection refused"). A connection
 * that could not be made (TLS included) is UNAVAILABLE (14). */
typedef struct rt_client_status {
  int code;
  char *message; /* malloc'd, never NULL after a call; rt_client_status_clear */
  rt_client_failure_t failure;
} rt_client_status_t;

void rt_client_status_clear(rt_client_status_t *status);

/* Creates a client for target "HOST:PORT" or "http://HOST:PORT"
 * (cleartext), or "https://HOST:PORT" (TLS, verified against the system
 * trust store unless rt_client_use_tls says otherwise; "https://HOST"
 * means port 443); "[::1]:50051" for
 * IPv6 literals, host names resolved with getaddrinfo. No I/O happens
 * here. Returns NULL when target is malformed (no port, another scheme, a
 * path after the port) or memory runs out. */
rt_client_t *rt_client_new(const char *target);

/* TLS settings. force: speak TLS to a bare HOST:PORT too (it is an error
 * with an explicit http://). ca_file: PEM CA certificates to verify the
 * server against instead of the system trust store; NULL for the store;
 * ignored on a cleartext client. Reads ca_file now. Returns 0, or -1 with
 * *message (malloc'd, caller frees) naming the problem. */
int rt_client_use_tls(rt_client_t *client, int force, const char *ca_file,
                      char **message);

/* 1 when calls go over TLS. */
int rt_client_is_tls(const rt_client_t *client);

/* "HOST:PORT" of the target, without the scheme. */
const char *rt_client_target(const rt_client_t *client);

/* Closes the connection and frees the client. NULL is accepted. */
void rt_client_free(rt_client_t *client);

/* Adds metadata sent with every call (lower-case key, e.g.
 * "authorization", "x-rectrack-user"). Both strings are copied.
 * Returns 0 or -1 when out of memory. */
int rt_client_add_metadata(rt_client_t *client, const char *key,
                           const char *value);

/* When set, a call in progress is cancelled (RST_STREAM CANCEL) as soon as
 * *flag becomes non-zero, e.g. from a SIGINT handler; the call ends with
 * CANCELLED. */
void rt_client_set_cancel_flag(rt_client_t *client,
                               volatile sig_atomic_t *flag);

/* Unary call to path ("/rectrack.v1.Tracker/GetSource") with the request
 * message bytes. timeout_ms 0 means no deadline. On OK, *response holds
 * the response message (malloc'd, caller frees; may be empty with a
 * non-NULL pointer) and returns 0. Otherwise returns the non-zero status
 * code, *response is NULL. status is filled in every case. */
int rt_client_unary(rt_client_t *client, const char *path,
                    const uint8_t *request, size_t request_len,
                    int64_t timeout_ms, uint8_t **response,
                    size_t *response_len, rt_client_status_t *status);

/* One call of a batch: path and request in, response and status out. */
typedef struct rt_client_request {
  const char *path;
  const uint8_t *request;
  size_t request_len;
  uint8_t *response; /* on OK: malloc'd (caller frees), else NULL */
  size_t response_len;
  rt_client_status_t status; /* always filled; rt_client_status_clear */
} rt_client_request_t;

/* Runs count unary calls at once: all requests are sent on the connection
 * in order (one HTTP/2 stream each), then it waits until every one has
 * ended. The server's writer then commits them together instead of one
 * fsync each. timeout_ms bounds the whole batch; keep count well under
 * the server's concurrent-stream limit (100 by default). Returns how many
 * did not end OK. */
size_t rt_client_unary_batch(rt_client_t *client, rt_client_request_t *requests,
                             size_t count, int64_t timeout_ms);

/* Called for each response message of a server-streaming call; the bytes
 * are borrowed. Return 0 to go on, non-zero to cancel the call (it then
 * ends with CANCELLED). */
typedef int (*rt_client_message_cb)(void *data, const uint8_t *message,
                                    size_t len);

/* Server-streaming call. Returns the final status code (0 = OK) and fills
 * status. */
int rt_client_stream(rt_client_t *client, const char *path,
                     const uint8_t *request, size_t request_len,
                     int64_t timeout_ms, rt_client_message_cb on_message,
                     void *data, rt_client_status_t *status);

/* "OK", "NOT_FOUND", ... for a gRPC status code. */
const char *rt_client_status_name(int code);

#endif /* RT_CLIENT_H */
