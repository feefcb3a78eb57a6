/*
 * server_conn: the connections of one server: the TCP socket of each,
 * its nghttp2 session, output batching, back-pressure and the idle
 * timeout. Private to service/server. Calls libuv, nghttp2,
 * server_address and rt_log.
 *
 * This layer knows nothing of gRPC. It knows a request stream only as a
 * server_stream_t, which the layer above (server_call.c) embeds in its
 * own per-stream state, and it reports what happens on streams through
 * the server_stream_events_t it is given: calls point down, events come
 * up through that table, so the two layers never call each other both
 * ways. Bytes cross to the socket in two places only, conn_receive (in,
 * called by conn_on_read and, for a memory connection, by
 * server_conn_receive) and conn_write (out), the seams where an
 * encrypting layer would go.
 *
 * Flushing is never synchronous: server_conn_want_flush puts the
 * connection on a list that an idle handle drains on the next loop
 * iteration, so that nothing the layer above calls can free a stream (or
 * a connection) under its caller, and many replies of one iteration
 * share one write.
 */
#ifndef SERVER_CONN_H
#define SERVER_CONN_H

#include <nghttp2/nghttp2.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "rt_server.h"

#define SERVER_READ_BUFFER 65536

typedef struct server_conn server_conn_t;
typedef struct server_conns server_conns_t;

/* Where a memory connection's output goes (server_conns_attach_memory):
 * len bytes the server would have written to the socket, borrowed for
 * the call. It must not call back into the server. */
typedef void (*server_conn_output_fn)(void *data, const uint8_t *bytes,
                                      size_t len);

/* A request stream as this layer sees it. The layer above allocates it
 * inside its own state (events->open), this layer links it into its
 * connection, and events->closed hands it back, unlinked, to be freed. */
typedef struct server_stream {
  server_conn_t *conn;
  int32_t id;
  struct server_stream *prev, *next; /* the connection's streams */
} server_stream_t;

/* What happens on request streams, told to the layer above. */
typedef struct server_stream_events {
  /* A request's HEADERS begin: returns the new stream with conn and id
   * set, or NULL (out of memory: the connection fails). */
  server_stream_t *(*open)(server_conn_t *conn, int32_t id);
  /* One request header; returns 0 or RT_ENOMEM. */
  int (*header)(server_stream_t *stream, const uint8_t *name, size_t name_len,
                const uint8_t *value, size_t value_len);
  void (*headers_done)(server_stream_t *stream);
  void (*data)(server_stream_t *stream, const uint8_t *data, size_t len);
  /* The client half-closed the stream. */
  void (*remote_end)(server_stream_t *stream);
  /* The stream is gone (closed, reset, or its connection dropped); it is
   * already unlinked, and belongs to the layer above to free. */
  void (*closed)(server_stream_t *stream);
  /* Output of the connection was handed to the socket: the place to run
   * callbacks waiting for a stream's queue to drain. */
  void (*flushed)(server_stream_t *stream);
} server_stream_events_t;

struct server_conn {
  server_conns_t *conns;
  uv_tcp_t tcp;
  uv_timer_t idle_timer;
  nghttp2_session *session;
  char peer[64]; /* "ip:port" of the client */
  server_stream_t *streams;
  size_t stream_count;
  size_t output_queued; /* bytes in uv_write requests not yet completed */
  int reading;
  int busy;         /* inside mem_recv or a flush: do not flush now */
  int flush_wanted; /* on the flush list */
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
  /* Called when a closed connection's memory, or the flush handle, was
   * released (see server_conns_released). */
  void (*released)(void *data);
  void *released_data;

  server_conn_t *list;
  size_t count;   /* open connections */
  size_t closing; /* closed, waiting for libuv's close callbacks */
  server_conn_t *flush_list;
  uv_idle_t flush_idle;
  int flush_idle_open;
  /* One read buffer for every connection: libuv reads one stream at a
   * time and nghttp2 copies what it keeps before the read callback
   * returns. */
  uint8_t read_buffer[SERVER_READ_BUFFER];
};

/* Sets up conns on loop (options and events are borrowed and must
 * outlive it). Cannot fail. */
void server_conns_init(server_conns_t *conns, uv_loop_t *loop,
                       const rt_server_options_t *options,
                       const server_stream_events_t *events, void *events_data,
                       void (*released)(void *data), void *released_data);

/* Accepts a connection from listener and starts its session (the
 * caller checked the connection limit). Returns 0, or a negative code
 * when the connection could not be set up (it is closed again). */
int server_conns_accept(server_conns_t *conns, uv_stream_t *listener);

/* Opens a connection without a socket, for the fuzz harness and tests:
 * bytes handed to server_conn_receive are what a client sent, and what
 * the server would write goes to output(data, ...), synchronously from
 * within receive or a flush. Everything else (session, streams, calls,
 * idle timeout, shutdown) is as for a TCP connection. *out is valid until
 * the loop runs after the connection was closed. The caller checked the
 * connection limit. Returns 0 or RT_ENOMEM. */
int server_conns_attach_memory(server_conns_t *conns,
                               server_conn_output_fn output, void *data,
                               server_conn_t **out);

/* Hands bytes a client sent to a memory connection's session, as a read
 * from the socket would. Returns 0, or RT_EIO when the connection is
 * closed (or was closed by these bytes: a protocol error). */
int server_conn_receive(server_conn_t *conn, const uint8_t *bytes, size_t len);

/* Closes every connection (their streams are closed first) and the flush
 * handle; released() runs as libuv lets go of each. */
void server_conns_close(server_conns_t *conns);

/* 1 once every closed connection and the flush handle were released. */
int server_conns_released(const server_conns_t *conns);

/* The events_data given to server_conns_init. */
void *server_conn_data(const server_conn_t *conn);

/* Asks for the connection's output to be flushed on the next loop
 * iteration. */
void server_conn_want_flush(server_conn_t *conn);

/* Sends GOAWAY (no new streams; the last one processed finishes) and
 * flushes. */
void server_conn_goaway(server_conn_t *conn);

/* Drops the connection: every stream still open is closed (events->closed)
 * and the socket is closed. */
void server_conn_close(server_conn_t *conn);

#endif /* SERVER_CONN_H */
