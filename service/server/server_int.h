/*
 * server_int: private structures shared by rt_server.c (listener,
 * connections, HTTP/2 session and I/O) and server_call.c (one gRPC
 * call: request checks, reassembly, response queue, deadline). Not for
 * use outside the transport.
 */
#ifndef RT_SERVER_INT_H
#define RT_SERVER_INT_H

#include <nghttp2/nghttp2.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "rt_call.h"
#include "rt_grpc.h"
#include "rt_server.h"

#define RT_SERVER_MAX_DRAIN_HOOKS 8
#define RT_SERVER_READ_BUFFER 65536

typedef struct rt_conn rt_conn_t;

/* One framed response message waiting for the data provider. */
typedef struct rt_out_chunk {
  struct rt_out_chunk *next;
  size_t len;
  size_t offset; /* bytes already handed to nghttp2 */
  uint8_t data[];
} rt_out_chunk_t;

/* One request header, name and value NUL-terminated in one allocation. */
typedef struct rt_header {
  char *name;
  char *value;
} rt_header_t;

struct rt_call {
  rt_conn_t *conn;
  int32_t stream_id;
  struct rt_call *prev, *next; /* the connection's calls */
  const rt_method_t *method;   /* NULL until routed */
  const char *path;            /* for the log line, "-" until known */

  rt_header_t *headers;
  size_t header_count, header_cap;
  size_t header_bytes; /* HTTP/2 accounting: name + value + 32 */
  int headers_too_big;

  rt_grpc_decoder_t decoder;
  uint8_t *request; /* unary / server streaming: the one message */
  size_t request_len;
  unsigned request_count;

  int handled;          /* handle() was called */
  int ended;            /* the status is decided */
  int response_started; /* response HEADERS + data provider submitted */
  int remote_closed;    /* the client half-closed */
  int status;           /* final gRPC status, or HTTP status if http_error */
  int http_error;       /* answered with a non-200 :status */
  char *status_message; /* malloc'd or NULL */

  rt_out_chunk_t *out_head, *out_tail;
  size_t pending_bytes;
  void (*drained)(rt_call_t *call);
  int drain_due;

  uv_timer_t *deadline_timer; /* malloc'd, closed and freed on its own */
  uint64_t deadline_ms;
  uint64_t start_ns;
  void *data;
};

struct rt_conn {
  rt_server_t *server;
  uv_tcp_t tcp;
  uv_timer_t idle_timer;
  nghttp2_session *session;
  char peer[64];
  rt_call_t *calls;
  size_t call_count;
  size_t output_queued; /* bytes in uv_write requests not yet completed */
  int reading;
  int busy;         /* inside mem_recv or a flush: do not flush now */
  int flush_wanted; /* on the server's flush list */
  int closing;
  int handles_open;
  rt_conn_t *prev, *next;             /* the server's connections */
  rt_conn_t *flush_prev, *flush_next; /* the server's flush list */
};

typedef struct rt_drain_hook {
  void (*hook)(void *arg);
  void *arg;
} rt_drain_hook_t;

struct rt_server {
  uv_loop_t *loop;
  rt_server_options_t options;
  rt_method_t *methods;
  size_t method_count;
  char **services;
  size_t service_count;

  uv_tcp_t listener;
  int listener_open;
  /* One read buffer for every connection: libuv reads one stream at a
   * time and nghttp2 copies what it keeps before on_read returns. */
  uint8_t read_buffer[RT_SERVER_READ_BUFFER];
  char address[80];
  int port;

  rt_conn_t *conns;
  size_t conn_count;
  size_t closing_conns; /* closed, waiting for libuv's close callbacks */
  rt_conn_t *flush_list;
  uv_idle_t flush_idle;
  uv_timer_t grace_timer;

  rt_drain_hook_t drain_hooks[RT_SERVER_MAX_DRAIN_HOOKS];
  size_t drain_hook_count;
  int draining;
  int done_called;
  void (*done)(rt_server_t *server, void *arg);
  void *done_arg;
  int freeing;
  int handles_open;
};

/* rt_server.c: asks for the connection's output to be flushed on the next
 * loop iteration (never synchronously, so that no rt_call_* function can
 * free a call under its caller). */
void rt_server_conn_want_flush(rt_conn_t *conn);

/* rt_server_call.c: the connection's hooks into a call. */
rt_call_t *rt_server_call_new(rt_conn_t *conn, int32_t stream_id);
int rt_server_call_add_header(rt_call_t *call, const uint8_t *name,
                              size_t name_len, const uint8_t *value,
                              size_t value_len);
void rt_server_call_headers_done(rt_call_t *call);
void rt_server_call_data(rt_call_t *call, const uint8_t *data, size_t len);
void rt_server_call_remote_end(rt_call_t *call);
/* The stream is gone (closed, reset, or its connection dropped): cancels
 * the handler if it still owns the call, logs the call, frees it. */
void rt_server_call_closed(rt_call_t *call, int reset);
/* Fires a pending drained() callback, if any. */
void rt_server_call_fire_drain(rt_call_t *call);

/* rt_server.c: the registered method for :path, or NULL. */
const rt_method_t *rt_server_find_method(const rt_server_t *server,
                                         const char *path);

#endif /* RT_SERVER_INT_H */
