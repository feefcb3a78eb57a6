/*
 * server_conn: the connections of one server: the TCP socket of each,
 * its TLS session (server_tls) on a TLS listener, its nghttp2 session,
 * output batching, back-pressure, and what one client may hold of the
 * server: pending response bytes, time on the loop, connections per host,
 * and the handshake, idle and stall timeouts. Private to service/server.
 * Calls libuv, nghttp2, server_tls, server_peers, server_address and
 * rt_log.
 *
 * This layer knows nothing of gRPC. It knows a request stream only as a
 * server_stream_t, which the layer above (server_call.c) embeds in its
 * own per-stream state, and it reports what happens on streams through
 * the server_stream_events_t it is given: calls point down, events come
 * up through that table, so the two layers never call each other both
 * ways. Bytes cross to the socket in two places only, conn_input (in,
 * called by conn_on_read and, for a memory connection, by
 * server_conn_receive) and conn_write (out), where TLS wraps them.
 *
 * A memory connection (server_conns_attach_memory) is a cleartext
 * connection without its socket, for the fuzz harness and in-process
 * tests: its input is pushed in by server_conn_receive, one call as one
 * read, and its output goes to a callback at once, so it is never
 * back-pressured; everything else (session, turns, limits, timers,
 * shutdown) is the TCP connection's.
 *
 * Work is done in turns. A read feeds at most one buffer (64 KiB) to the
 * session; the requests it completed are put on the connection's ready
 * queue (server_conn_ready) and run only after the whole buffer was
 * parsed, so a stream reset in the same buffer never runs; at most
 * SERVER_DISPATCH_PER_TURN are run per turn, and a connection with more
 * to do (or a full buffer) waits for the next loop iteration while the
 * others get theirs.
 *
 * Flushing is never synchronous: server_conn_want_flush puts the
 * connection on a list that an idle handle drains on the next loop
 * iteration (that is the connection's next turn), so that nothing the
 * layer above calls can free a stream (or a connection) under its caller,
 * and many replies of one iteration share one write.
 */
#ifndef SERVER_CONN_H
#define SERVER_CONN_H

#include <nghttp2/nghttp2.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "rt_server.h"
#include "server_peers.h"
#include "server_tls.h"

#define SERVER_READ_BUFFER 65536
#define SERVER_PLAIN_BUFFER 16384
/* Calls started per connection per turn: enough that a client batching
 * its calls is not slowed, few enough that the others wait one turn at
 * most for a handful of handlers. */
#define SERVER_DISPATCH_PER_TURN 16

typedef struct server_conn server_conn_t;
typedef struct server_conns server_conns_t;

/* Where a memory connection's output goes (server_conns_attach_memory):
 * len bytes the server would have written to the socket, borrowed for
 * the call. It must not call back into the server. */
typedef void (*server_conn_output_fn)(void *data, const uint8_t *bytes,
                                      size_t len);

/* A request stream as this layer sees it. The layer above allocates it
 * inside its own state (events->open), this layer links it into its
 * connection, and events->closed hands it back, unlinked, to be freed.
 * The layer above sets gated and running and reports pending output
 * (server_stream_queued, server_stream_taken); the rest is this layer's. */
typedef struct server_stream {
  server_conn_t *conn;
  int32_t id;
  struct server_stream *prev, *next; /* the connection's streams */
  /* The ready queue: requests waiting for their turn (server_conn_ready). */
  struct server_stream *ready_prev, *ready_next;
  int ready;
  int gated;   /* waits while its connection is over its pending bound */
  int running; /* a handler owns the call: the connection is not idle */
  uint64_t ready_since_ms;
  size_t pending_bytes; /* response bytes queued, not taken by nghttp2 */
  uint64_t progress_ms; /* when they last moved (or began to wait) */
} server_stream_t;

/* What happens on request streams, told to the layer above. */
typedef struct server_stream_events {
  /* A request's HEADERS begin: returns the new stream with conn and id
   * set, or NULL (out of memory: the connection fails). */
  server_stream_t *(*open)(server_conn_t *conn, int32_t id);
  /* One request header; returns 0, RT_ENOMEM, or RT_ETOOBIG when the
   * header list has grown past any reason (the connection is ended with
   * GOAWAY ENHANCE_YOUR_CALM instead of decoding the rest). */
  int (*header)(server_stream_t *stream, const uint8_t *name, size_t name_len,
                const uint8_t *value, size_t value_len);
  void (*headers_done)(server_stream_t *stream);
  void (*data)(server_stream_t *stream, const uint8_t *data, size_t len);
  /* The client half-closed the stream. */
  void (*remote_end)(server_stream_t *stream);
  /* The stream's turn came (it was put on the ready queue and is still
   * open): run what it holds. */
  void (*dispatch)(server_stream_t *stream);
  /* Nothing moved for stall_timeout_ms: the stream's response is stuck
   * (waiting = 0), or its request waited that long on the ready queue
   * (waiting = 1; it is off the queue now). */
  void (*stalled)(server_stream_t *stream, int waiting);
  /* The stream is gone (closed, reset, or its connection dropped); it is
   * already unlinked, and belongs to the layer above to free. */
  void (*closed)(server_stream_t *stream);
  /* Output of the connection was handed to the socket: the place to run
   * callbacks waiting for a stream's queue to drain. */
  void (*flushed)(server_stream_t *stream);
} server_stream_events_t;

/* Rate-limited logging of a repeated event (one line per second). */
typedef struct server_log_limit {
  uint64_t last_ms;
  unsigned suppressed;
} server_log_limit_t;

struct server_conn {
  server_conns_t *conns;
  uv_tcp_t tcp;
  uv_timer_t timer; /* the handshake timeout, then the idle timeout */
  nghttp2_session *session;
  server_tls_t tls; /* tls.ssl is NULL on a cleartext listener */
  char peer[64];    /* "ip:port" of the client (or its proxy) */
  server_peer_key_t peer_key;
  int peer_counted;  /* in the per-address table */
  int trusted_proxy; /* its calls may name the client (x-forwarded-for) */
  server_stream_t *streams;
  size_t stream_count;
  server_stream_t *ready_head, *ready_tail;
  size_t ready_count;
  size_t pending_bytes; /* sum of its streams' pending_bytes */
  unsigned holds;       /* calls holding it (rt_call_hold_connection) */
  size_t request_bytes; /* request bytes its calls hold (the layer above's) */
  size_t output_queued; /* bytes in uv_write requests not yet completed */
  uint64_t bytes_read;
  const char *fatal; /* why this side ends the session, for the log */
  int reading;
  int busy;         /* inside mem_recv, a dispatch or a flush */
  int flush_wanted; /* on the flush list: a turn next iteration */
  int input_paused; /* read a full buffer: wait for the next turn */
  int backlog;      /* ready calls left over for the next turn */
  int h2_ready;     /* the client's preface and SETTINGS arrived */
  int doomed;       /* write what is queued, then close */
  int closing;
  int handles_open;
  /* Set on a memory connection (no socket, tcp unused): its output goes
   * here, its input comes from server_conn_receive. */
  server_conn_output_fn memory_output;
  void *memory_output_data;
  server_conn_t *prev, *next;             /* every connection */
  server_conn_t *flush_prev, *flush_next; /* the flush list */
};

/* Every connection of one server, and what they share. */
struct server_conns {
  uv_loop_t *loop;
  const rt_server_options_t *options; /* borrowed from the server */
  const server_stream_events_t *events;
  void *events_data; /* the layer above's context, see server_conn_data */
  /* Called when a closed connection's memory, or one of the shared
   * handles, was released (see server_conns_released). */
  void (*released)(void *data);
  void *released_data;

  SSL_CTX *tls_ctx; /* NULL: cleartext; owned (server_conns_set_tls) */
  server_network_t *trusted;
  size_t trusted_count;
  server_peers_t peers;

  server_conn_t *list;
  size_t count;         /* open connections */
  size_t closing;       /* closed, waiting for libuv's close callbacks */
  size_t pending_bytes; /* over every connection */
  /* What the limits did (rt_server_stats_t). */
  uint64_t connections_refused, streams_stalled, calls_not_started;
  server_conn_t *flush_list;
  uv_idle_t flush_idle;
  int flush_idle_open;
  uv_timer_t sweep; /* stall checks, while there are connections */
  int sweep_open;
  server_log_limit_t log_limit_per_address, log_limit_fatal;
  /* One read buffer for every connection: libuv reads one stream at a
   * time and nghttp2 copies what it keeps before the read callback
   * returns; the plaintext buffer is TLS's, on the same terms. */
  uint8_t read_buffer[SERVER_READ_BUFFER];
  uint8_t plain_buffer[SERVER_PLAIN_BUFFER];
};

/* Sets up conns on loop (options and events are borrowed and must
 * outlive it). trusted (count networks) is taken over and freed by
 * server_conns_close. Cannot fail. */
void server_conns_init(server_conns_t *conns, uv_loop_t *loop,
                       const rt_server_options_t *options,
                       const server_stream_events_t *events, void *events_data,
                       void (*released)(void *data), void *released_data,
                       server_network_t *trusted, size_t trusted_count);

/* Makes new connections speak TLS with ctx (taken over; the previous one
 * is released, connections using it keep it until they close). */
void server_conns_set_tls(server_conns_t *conns, SSL_CTX *ctx);

/* Accepts a connection from listener and starts its session (the
 * caller checked the global connection limit; the per-address one is
 * checked here). Returns 0, or a negative code when the connection could
 * not be set up or was refused (it is closed again). */
int server_conns_accept(server_conns_t *conns, uv_stream_t *listener);

/* Opens a connection without a socket, for the fuzz harness and tests:
 * bytes handed to server_conn_receive are what a client sent, and what
 * the server would write goes to output(data, ...), synchronously from
 * within receive or a turn. It is cleartext, whatever the listener, and
 * counted under no address. *out is valid until the loop runs after the
 * connection was closed. The caller checked the global connection limit.
 * Returns 0 or RT_ENOMEM. */
int server_conns_attach_memory(server_conns_t *conns,
                               server_conn_output_fn output, void *data,
                               server_conn_t **out);

/* Hands bytes a client sent to a memory connection, as one read from the
 * socket would (so at most SERVER_READ_BUFFER of them make one turn).
 * Returns 0, or RT_EIO when the connection is closed or ending (these
 * bytes ended it: a protocol error, or the end of its session). */
int server_conn_receive(server_conn_t *conn, const uint8_t *bytes, size_t len);

/* Closes every connection (their streams are closed first) and the shared
 * handles; released() runs as libuv lets go of each. */
void server_conns_close(server_conns_t *conns);

/* 1 once every closed connection and the shared handles were released. */
int server_conns_released(const server_conns_t *conns);

/* Logs a line at warn level at most once a second, counting the ones it
 * drops and saying how many in the next. */
void server_log_limited(server_conns_t *conns, server_log_limit_t *limit,
                        const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* The events_data given to server_conns_init. */
void *server_conn_data(const server_conn_t *conn);

/* Asks for a turn of the connection on the next loop iteration: ready
 * calls run, output is flushed. */
void server_conn_want_flush(server_conn_t *conn);

/* Puts the stream on its connection's ready queue (once): events->dispatch
 * runs in the connection's next turn after the current input, if the
 * stream is still open then and, when gated, the connection is under its
 * pending bound. */
void server_conn_ready(server_stream_t *stream, int gated);

/* Takes the stream off the ready queue, if it is on it. */
void server_conn_unready(server_stream_t *stream);

/* 1 when the stream's connection (or the server) holds more pending
 * response bytes than its bound. */
int server_conn_over_bound(const server_conn_t *conn);

/* Response bytes were queued on the stream (len), or taken from its queue
 * by nghttp2 or dropped (server_stream_taken). */
void server_stream_queued(server_stream_t *stream, size_t len);
void server_stream_taken(server_stream_t *stream, size_t len);

/* Sends GOAWAY (no new streams; the last one processed finishes) and
 * flushes. */
void server_conn_goaway(server_conn_t *conn);

/* Drops the connection: every stream still open is closed (events->closed)
 * and the socket is closed. */
void server_conn_close(server_conn_t *conn);

#endif /* SERVER_CONN_H */
