/*
 * rt_server: rectrackd's gRPC transport, gRPC over HTTP/2 as
 * grpc/doc/PROTOCOL-HTTP2.md specifies it, in cleartext (prior knowledge)
 * or over TLS (ALPN h2), so that stock clients (grpcio, grpcurl,
 * grpc_health_probe, nginx grpc_pass) talk to it.
 *
 * Owns: the TCP listener, the connections, their TLS sessions and nghttp2
 * sessions, the routing of :path to registered methods, request
 * reassembly, limits (what one client may hold of the server's memory and
 * time), deadlines, cancellation and graceful shutdown, and the call
 * contract below (rt_call_*) that the services it serves answer through.
 * Calls libuv, nghttp2, OpenSSL, rt_grpc (framing), rt_log and rt_common.
 * Everything runs on the loop thread of the uv_loop_t it is given.
 *
 * Two parts, for two kinds of user:
 *
 * - Calls (rt_method_t, rt_call_*): what a service's handlers see. The
 *   transport reassembles the request and enforces limits, deadlines and
 *   cancellation; a handler only sees a complete request message and
 *   answers through these functions. A service that is handed calls
 *   (Tracker, Health, Reflection) needs nothing else of this header.
 * - The server (rt_server_*): what the daemon sees. rt_server_new,
 *   rt_server_add_methods (services), rt_server_listen, run the loop,
 *   rt_server_shutdown(grace) when asked to stop, then from the done
 *   callback (or later) rt_server_free; the loop must run once more so
 *   that libuv can close the server's handles.
 *
 * Life of a call: the transport calls the method's handle() with the
 * request once the whole request has arrived, after the input that
 * completed it was parsed to its end, so never for a stream the client
 * reset in the same packet; and not while the connection holds more
 * unread response bytes than max_pending_bytes_per_connection (the call
 * waits for the client to read). The handler ends the call exactly once, now or
 * later from the loop thread: rt_call_reply (unary), or rt_call_send ...
 * rt_call_finish (server streaming), or rt_call_fail (either). If the client
 * cancels (RST_STREAM), the deadline passes, or the connection closes first,
 * the transport calls the method's cancel() (if set) and the call is gone: the
 * handler must drop every pointer to it and never touch it again. After a
 * handler ended the call, cancel() is not called.
 */
#ifndef RT_SERVER_H
#define RT_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "rt_error.h"

/* ---- calls: what handlers see ------------------------------------------- */

typedef struct rt_call rt_call_t;

/* gRPC status codes (grpc/doc/statuscodes.md). */
typedef enum rt_grpc_status {
  RT_GRPC_OK = 0,
  RT_GRPC_CANCELLED = 1,
  RT_GRPC_UNKNOWN = 2,
  RT_GRPC_INVALID_ARGUMENT = 3,
  RT_GRPC_DEADLINE_EXCEEDED = 4,
  RT_GRPC_NOT_FOUND = 5,
  RT_GRPC_ALREADY_EXISTS = 6,
  RT_GRPC_PERMISSION_DENIED = 7,
  RT_GRPC_RESOURCE_EXHAUSTED = 8,
  RT_GRPC_FAILED_PRECONDITION = 9,
  RT_GRPC_ABORTED = 10,
  RT_GRPC_OUT_OF_RANGE = 11,
  RT_GRPC_UNIMPLEMENTED = 12,
  RT_GRPC_INTERNAL = 13,
  RT_GRPC_UNAVAILABLE = 14,
  RT_GRPC_DATA_LOSS = 15,
  RT_GRPC_UNAUTHENTICATED = 16,
} rt_grpc_status_t;

typedef enum rt_method_type {
  RT_METHOD_UNARY = 0,
  RT_METHOD_SERVER_STREAMING = 1,
  /* Bidirectional streaming (added for server reflection): handle() is
   * called once per request message as it arrives, and once more with
   * request == NULL and len == 0 when the client half-closed. The handler
   * answers with rt_call_send and ends the call with rt_call_finish or
   * rt_call_fail whenever it likes (after that, handle() is not called
   * again). */
  RT_METHOD_BIDI_STREAMING = 2,
} rt_method_type_t;

/* A method the server routes to by its :path. */
typedef struct rt_method {
  const char *path; /* "/rectrack.v1.Tracker/GetRecommendation" */
  rt_method_type_t type;
  /* The whole request message (without the 5-byte prefix), borrowed for
   * the duration of the call to handle(). */
  void (*handle)(rt_call_t *call, const uint8_t *request, size_t len);
  /* The call ended before the handler ended it. May be NULL. */
  void (*cancel)(rt_call_t *call);
  void *data; /* the service's context, see rt_call_method_data */
} rt_method_t;

/* The rt_method_t.data of the method this call is for. */
void *rt_call_method_data(rt_call_t *call);

/* A pointer the handler keeps with the call (for cancel()). */
void rt_call_set_data(rt_call_t *call, void *data);
void *rt_call_data(rt_call_t *call);

/* For a handler that answers later, from work done elsewhere (another
 * thread), with an answer that may be large: until the call ends, its
 * connection counts as over its pending bound, so no other call of it
 * that waits on the bound starts meanwhile, just as if the answer were
 * queued already. Then a client that sends many such calls and reads
 * nothing holds one answer, not one per call. Call it before handle()
 * returns. */
void rt_call_hold_connection(rt_call_t *call);

/* The client: "ip:port", or "ip via proxy-ip:port" when the call came
 * through a trusted proxy that named it (x-forwarded-for). Valid while the
 * call lives. */
const char *rt_call_peer(rt_call_t *call);

/* The value of a request header (metadata), lower-case key, or NULL.
 * Valid while the call lives. */
const char *rt_call_metadata(rt_call_t *call, const char *key);

/* The absolute deadline from grpc-timeout, in ms of uv_now(), or 0. */
uint64_t rt_call_deadline_ms(rt_call_t *call);

/* Unary: sends the response message and OK trailers, ends the call.
 * The message is copied. Returns 0 or a negative RT_E* code (then the call
 * was ended with INTERNAL). */
int rt_call_reply(rt_call_t *call, const uint8_t *message, size_t len);

/* Ends the call with a non-OK status and a human message naming what was
 * wrong. Trailers-only when nothing was sent yet. */
void rt_call_fail(rt_call_t *call, rt_grpc_status_t status,
                  const char *message);

/* Streaming: queues one response message (copied). Returns 0, or RT_ETOOBIG
 * when the message exceeds the limit. Use rt_call_pending_bytes and
 * rt_call_on_drain to keep the queue short: a client that stops reading
 * must stall its own stream, not grow the server's memory (its queued
 * bytes count against the connection's max_pending_bytes, and a stream
 * that does not move for stall_timeout_ms is reset). */
int rt_call_send(rt_call_t *call, const uint8_t *message, size_t len);

/* Bytes queued for this call and not yet handed to the connection. */
size_t rt_call_pending_bytes(rt_call_t *call);

/* Asks for drained(call) once the queue is empty (one shot). */
void rt_call_on_drain(rt_call_t *call, void (*drained)(rt_call_t *call));

/* Streaming: ends the call with trailers after the queued messages. */
void rt_call_finish(rt_call_t *call, rt_grpc_status_t status,
                    const char *message);

/* ---- the server: what the daemon sees ----------------------------------- */

typedef struct rt_server rt_server_t;

typedef struct rt_server_options {
  /* Largest request or response message; larger requests end with
   * RESOURCE_EXHAUSTED. A connection's calls may hold four such requests
   * at once before their handlers take them (arriving, or waiting for
   * their turn); a call that would hold more ends RESOURCE_EXHAUSTED.
   * Default 4 MiB. */
  size_t max_message_bytes;
  /* Largest request header list (HTTP/2 size: name + value + 32 per
   * field), advertised in SETTINGS_MAX_HEADER_LIST_SIZE; a request over it
   * ends with RESOURCE_EXHAUSTED, and a header block that decodes to four
   * times as much (a compression bomb) ends the connection. Default
   * 16 KiB. */
  size_t max_header_list_bytes;
  /* SETTINGS_MAX_CONCURRENT_STREAMS per connection. Default 100. */
  uint32_t max_concurrent_streams;
  /* Connections beyond this are closed as soon as accepted. Default 1024. */
  uint32_t max_connections;
  /* Connections from one host (an IPv4 address, an IPv6 /64) beyond this
   * are closed as soon as accepted; trusted proxies are exempt. Default
   * 64. */
  uint32_t max_connections_per_address;
  /* A connection without active calls and without traffic for this long
   * gets a GOAWAY and is closed; calls waiting for a client that does not
   * read do not count as active. 0 = never. Default 300000 (300 s). */
  uint64_t idle_timeout_ms;
  /* A connection must finish its handshake (TLS, then the HTTP/2 preface
   * and SETTINGS) within this long or it is closed. Default 10000. */
  uint64_t handshake_timeout_ms;
  /* A stream whose response has not moved for this long (the client's
   * flow-control window stays closed, or it does not read) is reset with
   * RST_STREAM CANCEL, and a call that waited this long to start is
   * answered RESOURCE_EXHAUSTED. Default 30000 (30 s). */
  uint64_t stall_timeout_ms;
  /* Response bytes queued for a client and not yet taken by its
   * flow-control window, per connection and over all connections: while a
   * connection is over its bound (or the server over the total), no new
   * call of it starts; they wait, or end RESOURCE_EXHAUSTED when they
   * cannot (deadline, stall timeout). Defaults 4 MiB and 256 MiB. */
  size_t max_pending_bytes_per_connection;
  size_t max_pending_bytes;
  /* Output queued to the socket per connection above which the server
   * stops reading from it and stops pulling response data, until writes
   * complete. Default 1 MiB. */
  size_t max_output_buffer_bytes;
  /* PEM files: the certificate (then its chain) and its unencrypted key.
   * Both set: the listener speaks TLS 1.2/1.3 with ALPN h2 only; both NULL:
   * cleartext HTTP/2. Copied by rt_server_new; rt_server_reload_tls reads
   * them again. Default NULL. */
  const char *tls_cert_file;
  const char *tls_key_file;
  /* Comma-separated addresses or networks ("127.0.0.1", "10.0.0.0/8")
   * whose connections are proxies: a call from one is logged with the
   * client address of its last x-forwarded-for entry ("peer 1.2.3.4 via
   * 127.0.0.1:5678"), and they are exempt from the per-address limit.
   * Copied by rt_server_new. Default NULL: nobody is trusted. */
  const char *trusted_proxies;
} rt_server_options_t;

/* Fills options with the defaults above. */
void rt_server_options_init(rt_server_options_t *options);

/* Creates a server on loop. options may be NULL (defaults). With TLS
 * files, the certificate and key are loaded here. *out is freed with
 * rt_server_free. Returns 0, RT_EINVAL (an option is 0 or out of range, or
 * a TLS file is not usable: err names it), RT_EIO (a TLS file cannot be
 * read) or RT_ENOMEM. */
int rt_server_new(rt_server_t **out, uv_loop_t *loop,
                  const rt_server_options_t *options, rt_error_t *err);

/* Registers count methods. The array is copied; the path strings and
 * data pointers are borrowed and must outlive the server. Returns 0,
 * RT_EEXIST (a path is registered twice), RT_EINVAL (a path is not
 * "/package.Service/Method") or RT_ENOMEM. */
int rt_server_add_methods(rt_server_t *server, const rt_method_t *methods,
                          size_t count, rt_error_t *err);

/* The distinct service names of the registered methods
 * ("grpc.health.v1.Health"), in registration order; valid while the
 * server lives. */
size_t rt_server_service_count(const rt_server_t *server);
const char *rt_server_service_name(const rt_server_t *server, size_t index);

/* Checks a trusted_proxies list (see rt_server_options_t). Returns 0 or
 * RT_EINVAL (err names the entry). */
int rt_server_check_networks(const char *text, rt_error_t *err);

/* Reads the TLS certificate and key files again (SIGHUP) and uses them
 * for new connections; open connections keep theirs. A pair that cannot
 * be used leaves the current one in place. Returns 0, RT_EINVAL (not a TLS
 * server, or the new pair is bad: err says why) or RT_EIO. */
int rt_server_reload_tls(rt_server_t *server, rt_error_t *err);

/* 1 when the server's listener speaks TLS. */
int rt_server_is_tls(const rt_server_t *server);

/* Parses "HOST:PORT" ("127.0.0.1:50051", "[::1]:0", "0.0.0.0:8080",
 * "localhost:0") into an address to bind. Returns 0 or RT_EINVAL. */
int rt_server_parse_address(const char *text, struct sockaddr_storage *out,
                            rt_error_t *err);

/* Binds and listens on address (see rt_server_parse_address); port 0
 * picks a free port. Returns 0, RT_EINVAL (bad address) or RT_EIO (bind
 * or listen failed, err says why). */
int rt_server_listen(rt_server_t *server, const char *address, rt_error_t *err);

/* The bound address as "HOST:PORT" ("[::1]:41234" for IPv6), with the
 * real port; "" before rt_server_listen. */
const char *rt_server_address(const rt_server_t *server);
int rt_server_port(const rt_server_t *server);

/* Number of open connections. */
size_t rt_server_connection_count(const rt_server_t *server);

/* What the server holds and what its limits did, for the daemon's
 * metrics. Read on the loop thread. */
typedef struct rt_server_stats {
  size_t connections;           /* open */
  size_t streams;               /* open streams (calls) over every connection */
  size_t pending_bytes;         /* response bytes queued, not yet taken by the
                                   clients' flow-control windows */
  uint64_t connections_refused; /* closed as accepted: a connection limit */
  uint64_t streams_stalled;     /* reset: the response did not move for
                                   stall_timeout_ms */
  uint64_t calls_not_started;   /* ended RESOURCE_EXHAUSTED while waiting
                                   for unread responses to drain */
} rt_server_stats_t;
void rt_server_get_stats(const rt_server_t *server, rt_server_stats_t *out);

/* Told once per call, on the loop thread, when its stream closes: the
 * method it was routed to (NULL: no registered method had its path), its
 * final gRPC status (CANCELLED for a call the client, a stall or the
 * connection cut before it ended; UNIMPLEMENTED for a request that was not
 * gRPC at all) and the time from its headers to its end, in ns. One
 * observer; NULL stops it. */
typedef void (*rt_call_observer_t)(const rt_method_t *method, int status,
                                   uint64_t duration_ns, void *data);
void rt_server_set_call_observer(rt_server_t *server,
                                 rt_call_observer_t observe, void *data);

/* Registers a function called once when rt_server_shutdown starts, before
 * in-flight calls are waited for: the place for Health to turn
 * NOT_SERVING and for services to end their long-lived streams. At most 8
 * hooks. Returns 0 or RT_ENOMEM. */
int rt_server_add_drain_hook(rt_server_t *server, void (*hook)(void *arg),
                             void *arg);

/* 1 once rt_server_shutdown was called. */
int rt_server_is_draining(const rt_server_t *server);

/* Graceful shutdown: stops accepting, runs the drain hooks, sends GOAWAY
 * on every connection and lets in-flight calls finish for up to grace_ms;
 * then cancels the rest and closes every connection. done(server, arg) is
 * called once, from the loop, when the last connection is closed (before
 * this function returns if there was none). Calling it again has no
 * effect. */
void rt_server_shutdown(rt_server_t *server, uint64_t grace_ms,
                        void (*done)(rt_server_t *server, void *arg),
                        void *arg);

/* Closes whatever is still open (connections are dropped without
 * ceremony) and releases the server once libuv has closed its handles, so
 * the loop must run afterwards. NULL is ignored. */
void rt_server_free(rt_server_t *server);

#endif /* RT_SERVER_H */
