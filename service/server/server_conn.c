/*
 * server_conn: each accepted TCP connection gets an nghttp2 server
 * session. nghttp2 does no I/O: bytes read by libuv go into
 * nghttp2_session_mem_recv, and a flush pulls frames out with
 * nghttp2_session_mem_send into a buffer handed to uv_write. The session
 * callbacks turn stream events into calls of the events table.
 *
 * Back-pressure: when more than max_output_buffer_bytes are queued in
 * uv_write requests, the connection stops reading and stops pulling data
 * from nghttp2 (so response data providers are not called); both resume
 * when writes complete. A client that stops reading therefore stalls only
 * its own connection, and the server's memory for it stays bounded.
 *
 * A memory connection (server_conns_attach_memory) is the same
 * connection without its socket: its input is pushed in by
 * server_conn_receive and conn_write hands its output to a callback at
 * once, so it is never back-pressured. The fuzz harness (tests/fuzz)
 * drives the whole request path through it in process.
 */
#include "server_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_log.h"
#include "server_address.h"

/* A uv_write request and the bytes it owns. */
typedef struct write_req {
  uv_write_t req;
  server_conn_t *conn;
  size_t len;
  uint8_t *data;
} write_req_t;

/* Flushes in batches of about this many bytes per uv_write. */
#define WRITE_BATCH (64 * 1024)

static void conn_flush(server_conn_t *conn);

/* ---- streams ------------------------------------------------------------ */

static void stream_link(server_conn_t *conn, server_stream_t *stream) {
  stream->prev = NULL;
  stream->next = conn->streams;
  if (conn->streams)
    conn->streams->prev = stream;
  conn->streams = stream;
  conn->stream_count++;
}

static void stream_unlink(server_stream_t *stream) {
  server_conn_t *conn = stream->conn;

  if (stream->prev)
    stream->prev->next = stream->next;
  else
    conn->streams = stream->next;
  if (stream->next)
    stream->next->prev = stream->prev;
  stream->prev = stream->next = NULL;
  conn->stream_count--;
}

/* Unlinks the stream and hands it back to the layer above. */
static void stream_close(server_stream_t *stream) {
  server_conns_t *conns = stream->conn->conns;

  stream_unlink(stream);
  conns->events->closed(stream);
}

/* ---- I/O ---------------------------------------------------------------- */

static void conn_handle_closed(uv_handle_t *handle) {
  server_conn_t *conn = handle->data;
  server_conns_t *conns = conn->conns;

  if (--conn->handles_open > 0)
    return;
  free(conn);
  conns->closing--;
  conns->released(conns->released_data);
}

static void on_write(uv_write_t *req, int status) {
  write_req_t *write = (write_req_t *)req;
  server_conn_t *conn = write->conn;

  conn->output_queued -= write->len;
  free(write->data);
  free(write);
  if (conn->closing)
    return;
  if (status < 0) {
    rt_log(RT_LOG_DEBUG, "write to %s failed: %s", conn->peer,
           uv_strerror(status));
    server_conn_close(conn);
    return;
  }
  conn_flush(conn);
}

/* Hands data (ownership) to the socket. */
static int conn_write(server_conn_t *conn, uint8_t *data, size_t len) {
  write_req_t *write;
  uv_buf_t buf = uv_buf_init((char *)data, (unsigned)len);
  int rc;

  if (conn->memory_output != NULL) {
    conn->memory_output(conn->memory_output_data, data, len);
    free(data);
    return 0;
  }
  write = malloc(sizeof(*write));
  if (write == NULL) {
    free(data);
    return RT_ENOMEM;
  }
  write->conn = conn;
  write->len = len;
  write->data = data;
  rc = uv_write(&write->req, (uv_stream_t *)&conn->tcp, &buf, 1, on_write);
  if (rc < 0) {
    free(data);
    free(write);
    return RT_EIO;
  }
  conn->output_queued += len;
  return 0;
}

/* Pulls frames from nghttp2 into batches and writes them, while the
 * queued output stays under the limit. Returns 0 or a negative code. */
static int conn_pull_output(server_conn_t *conn) {
  size_t limit = conn->conns->options->max_output_buffer_bytes;
  uint8_t *batch = NULL;
  size_t batch_len = 0, batch_cap = 0;

  while (conn->output_queued + batch_len < limit) {
    const uint8_t *frames;
    ssize_t n = nghttp2_session_mem_send(conn->session, &frames);
    if (n < 0) {
      free(batch);
      return RT_EIO;
    }
    if (n == 0)
      break;
    if (batch_len + (size_t)n > batch_cap) {
      size_t cap = batch_len + (size_t)n;
      uint8_t *grown;
      cap = cap < WRITE_BATCH ? WRITE_BATCH : cap;
      grown = realloc(batch, cap);
      if (grown == NULL) {
        free(batch);
        return RT_ENOMEM;
      }
      batch = grown;
      batch_cap = cap;
    }
    memcpy(batch + batch_len, frames, (size_t)n);
    batch_len += (size_t)n;
    if (batch_len >= WRITE_BATCH) {
      if (conn_write(conn, batch, batch_len) != 0)
        return RT_EIO;
      batch = NULL;
      batch_len = batch_cap = 0;
    }
  }
  if (batch_len > 0)
    return conn_write(conn, batch, batch_len);
  free(batch);
  return 0;
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  server_conn_t *conn = handle->data;
  (void)suggested;
  *buf = uv_buf_init((char *)conn->conns->read_buffer,
                     sizeof(conn->conns->read_buffer));
}

static void conn_on_read(uv_stream_t *stream, ssize_t nread,
                         const uv_buf_t *buf);

/* Reads only while the output queue is short (back-pressure). */
static void conn_update_reading(server_conn_t *conn) {
  int want =
      conn->output_queued < conn->conns->options->max_output_buffer_bytes;

  if (conn->memory_output != NULL)
    return; /* no socket: its input is pushed (server_conn_receive) */
  if (want && !conn->reading) {
    if (uv_read_start((uv_stream_t *)&conn->tcp, on_alloc, conn_on_read) == 0)
      conn->reading = 1;
  } else if (!want && conn->reading) {
    uv_read_stop((uv_stream_t *)&conn->tcp);
    conn->reading = 0;
  }
}

static void conn_tell_flushed(server_conn_t *conn) {
  server_stream_t *stream;

  for (stream = conn->streams; stream != NULL; stream = stream->next)
    conn->conns->events->flushed(stream);
}

/* Writes what nghttp2 has to send, tells the streams, closes the
 * connection when the session is over. */
static void conn_flush(server_conn_t *conn) {
  if (conn->closing || conn->busy)
    return;
  conn->busy = 1;
  if (conn_pull_output(conn) != 0) {
    conn->busy = 0;
    server_conn_close(conn);
    return;
  }
  conn_tell_flushed(conn);
  conn->busy = 0;
  if (!nghttp2_session_want_read(conn->session) &&
      !nghttp2_session_want_write(conn->session) && conn->output_queued == 0) {
    server_conn_close(conn);
    return;
  }
  conn_update_reading(conn);
}

static void flush_list_remove(server_conn_t *conn) {
  server_conns_t *conns = conn->conns;

  if (!conn->flush_wanted)
    return;
  if (conn->flush_prev)
    conn->flush_prev->flush_next = conn->flush_next;
  else
    conns->flush_list = conn->flush_next;
  if (conn->flush_next)
    conn->flush_next->flush_prev = conn->flush_prev;
  conn->flush_prev = conn->flush_next = NULL;
  conn->flush_wanted = 0;
}

static void on_flush_idle(uv_idle_t *idle) {
  server_conns_t *conns = idle->data;
  server_conn_t *batch[64];
  size_t count = 0, i;

  /* Connections that ask again while we flush wait for the next loop
   * iteration, so that one busy stream cannot starve the others. */
  while (conns->flush_list != NULL && count < 64) {
    batch[count] = conns->flush_list;
    flush_list_remove(batch[count]);
    count++;
  }
  for (i = 0; i < count; i++)
    conn_flush(batch[i]);
  if (conns->flush_list == NULL)
    uv_idle_stop(idle);
}

void server_conn_want_flush(server_conn_t *conn) {
  server_conns_t *conns = conn->conns;

  if (conn->closing || conn->flush_wanted)
    return;
  conn->flush_wanted = 1;
  conn->flush_prev = NULL;
  conn->flush_next = conns->flush_list;
  if (conns->flush_list)
    conns->flush_list->flush_prev = conn;
  conns->flush_list = conn;
  uv_idle_start(&conns->flush_idle, on_flush_idle);
}

/* Bytes the client sent (from the socket, or server_conn_receive) go
 * into the session; then what it answers is flushed. */
static void conn_receive(server_conn_t *conn, const uint8_t *bytes,
                         size_t len) {
  ssize_t used;

  if (conn->conns->options->idle_timeout_ms > 0)
    uv_timer_again(&conn->idle_timer);
  conn->busy = 1;
  used = nghttp2_session_mem_recv(conn->session, bytes, len);
  conn->busy = 0;
  if (used < 0) {
    rt_log(RT_LOG_DEBUG, "HTTP/2 error from %s: %s", conn->peer,
           nghttp2_strerror((int)used));
    server_conn_close(conn);
    return;
  }
  conn_flush(conn);
}

static void conn_on_read(uv_stream_t *stream, ssize_t nread,
                         const uv_buf_t *buf) {
  server_conn_t *conn = stream->data;

  if (nread == 0)
    return;
  if (nread < 0) {
    if (nread != UV_EOF)
      rt_log(RT_LOG_DEBUG, "read from %s failed: %s", conn->peer,
             uv_strerror((int)nread));
    server_conn_close(conn);
    return;
  }
  conn_receive(conn, (const uint8_t *)buf->base, (size_t)nread);
}

int server_conn_receive(server_conn_t *conn, const uint8_t *bytes, size_t len) {
  if (conn->closing)
    return RT_EIO;
  if (len > 0)
    conn_receive(conn, bytes, len);
  return conn->closing ? RT_EIO : 0;
}

/* ---- nghttp2 session callbacks ------------------------------------------ */

static server_stream_t *find_stream(nghttp2_session *session,
                                    int32_t stream_id) {
  return nghttp2_session_get_stream_user_data(session, stream_id);
}

static int on_begin_headers(nghttp2_session *session,
                            const nghttp2_frame *frame, void *user_data) {
  server_conn_t *conn = user_data;
  server_stream_t *stream;

  if (frame->hd.type != NGHTTP2_HEADERS ||
      frame->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0;
  stream = conn->conns->events->open(conn, frame->hd.stream_id);
  if (stream == NULL)
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  stream_link(conn, stream);
  nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, stream);
  return 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame,
                     const uint8_t *name, size_t name_len, const uint8_t *value,
                     size_t value_len, uint8_t flags, void *user_data) {
  server_conn_t *conn = user_data;
  server_stream_t *stream = find_stream(session, frame->hd.stream_id);
  (void)flags;

  if (stream == NULL || frame->hd.type != NGHTTP2_HEADERS ||
      frame->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0; /* request trailers carry nothing gRPC uses */
  if (conn->conns->events->header(stream, name, name_len, value, value_len) !=
      0)
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame,
                         void *user_data) {
  server_conn_t *conn = user_data;
  server_stream_t *stream;

  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
    return 0;
  stream = find_stream(session, frame->hd.stream_id);
  if (stream == NULL)
    return 0;
  if (frame->hd.type == NGHTTP2_HEADERS &&
      frame->headers.cat == NGHTTP2_HCAT_REQUEST)
    conn->conns->events->headers_done(stream);
  if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
    conn->conns->events->remote_end(stream);
  return 0;
}

static int on_data_chunk_recv(nghttp2_session *session, uint8_t flags,
                              int32_t stream_id, const uint8_t *data,
                              size_t len, void *user_data) {
  server_conn_t *conn = user_data;
  server_stream_t *stream = find_stream(session, stream_id);
  (void)flags;

  if (stream != NULL)
    conn->conns->events->data(stream, data, len);
  return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id,
                           uint32_t error_code, void *user_data) {
  server_stream_t *stream = find_stream(session, stream_id);
  (void)error_code;
  (void)user_data;

  if (stream == NULL)
    return 0;
  nghttp2_session_set_stream_user_data(session, stream_id, NULL);
  stream_close(stream);
  return 0;
}

/* PROTOCOL-HTTP2: when the server ends a stream before the client finished
 * sending, it resets the stream with NO_ERROR so the client stops. */
static int on_frame_send(nghttp2_session *session, const nghttp2_frame *frame,
                         void *user_data) {
  (void)user_data;
  if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
      (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
      !nghttp2_session_get_stream_remote_close(session, frame->hd.stream_id))
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                              NGHTTP2_NO_ERROR);
  return 0;
}

static int session_new(server_conn_t *conn) {
  const rt_server_options_t *options = conn->conns->options;
  nghttp2_session_callbacks *callbacks;
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
       options->max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1024 * 1024},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       (uint32_t)options->max_header_list_bytes},
  };
  int rv;

  if (nghttp2_session_callbacks_new(&callbacks) != 0)
    return RT_ENOMEM;
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks,
                                                          on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks,
                                                       on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks,
                                                            on_data_chunk_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks,
                                                         on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks,
                                                       on_frame_send);
  rv = nghttp2_session_server_new(&conn->session, callbacks, conn);
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0)
    return RT_ENOMEM;
  rv = nghttp2_submit_settings(conn->session, NGHTTP2_FLAG_NONE, settings,
                               sizeof(settings) / sizeof(settings[0]));
  if (rv == 0)
    rv = nghttp2_session_set_local_window_size(conn->session, NGHTTP2_FLAG_NONE,
                                               0, 4 * 1024 * 1024);
  return rv == 0 ? 0 : RT_ENOMEM;
}

/* ---- connections -------------------------------------------------------- */

static void on_idle_timeout(uv_timer_t *timer) {
  server_conn_t *conn = timer->data;

  if (conn->stream_count > 0)
    return; /* uv_timer_again on the next read re-arms it */
  rt_log(RT_LOG_DEBUG, "closing idle connection from %s", conn->peer);
  nghttp2_session_terminate_session(conn->session, NGHTTP2_NO_ERROR);
  server_conn_want_flush(conn);
}

void server_conn_close(server_conn_t *conn) {
  server_conns_t *conns = conn->conns;

  if (conn->closing)
    return;
  conn->closing = 1;
  flush_list_remove(conn);
  while (conn->streams != NULL)
    stream_close(conn->streams);
  nghttp2_session_del(conn->session);
  conn->session = NULL;
  if (conn->prev)
    conn->prev->next = conn->next;
  else
    conns->list = conn->next;
  if (conn->next)
    conn->next->prev = conn->prev;
  conns->count--;
  conns->closing++;
  uv_close((uv_handle_t *)&conn->idle_timer, conn_handle_closed);
  if (conn->memory_output == NULL)
    uv_close((uv_handle_t *)&conn->tcp, conn_handle_closed);
}

void server_conn_goaway(server_conn_t *conn) {
  nghttp2_submit_goaway(conn->session, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(conn->session),
                        NGHTTP2_NO_ERROR, NULL, 0);
  server_conn_want_flush(conn);
}

void *server_conn_data(const server_conn_t *conn) {
  return conn->conns->events_data;
}

static void record_peer(server_conn_t *conn) {
  struct sockaddr_storage peer;
  int len = sizeof(peer);

  if (uv_tcp_getpeername(&conn->tcp, (struct sockaddr *)&peer, &len) == 0)
    server_address_format(&peer, conn->peer, sizeof(conn->peer));
  else
    snprintf(conn->peer, sizeof(conn->peer), "?");
}

int server_conns_accept(server_conns_t *conns, uv_stream_t *listener) {
  server_conn_t *conn = calloc(1, sizeof(*conn));
  int rc;

  if (conn == NULL)
    return RT_ENOMEM;
  conn->conns = conns;
  uv_tcp_init(conns->loop, &conn->tcp);
  uv_timer_init(conns->loop, &conn->idle_timer);
  conn->tcp.data = conn->idle_timer.data = conn;
  conn->handles_open = 2;
  conn->next = conns->list;
  if (conns->list)
    conns->list->prev = conn;
  conns->list = conn;
  conns->count++;
  rc = uv_accept(listener, (uv_stream_t *)&conn->tcp) != 0 ? RT_EIO
                                                           : session_new(conn);
  if (rc != 0) {
    server_conn_close(conn);
    return rc;
  }
  uv_tcp_nodelay(&conn->tcp, 1);
  record_peer(conn);
  if (conns->options->idle_timeout_ms > 0)
    uv_timer_start(&conn->idle_timer, on_idle_timeout,
                   conns->options->idle_timeout_ms,
                   conns->options->idle_timeout_ms);
  conn_flush(conn); /* our SETTINGS */
  return 0;
}

/* Like server_conns_accept, with no socket: only the idle timer is a
 * handle, and conn_write hands the output to the callback. */
int server_conns_attach_memory(server_conns_t *conns,
                               server_conn_output_fn output, void *data,
                               server_conn_t **out) {
  server_conn_t *conn = calloc(1, sizeof(*conn));
  int rc;

  *out = NULL;
  if (conn == NULL)
    return RT_ENOMEM;
  conn->conns = conns;
  conn->memory_output = output;
  conn->memory_output_data = data;
  uv_timer_init(conns->loop, &conn->idle_timer);
  conn->idle_timer.data = conn;
  conn->handles_open = 1;
  conn->next = conns->list;
  if (conns->list)
    conns->list->prev = conn;
  conns->list = conn;
  conns->count++;
  snprintf(conn->peer, sizeof(conn->peer), "memory");
  rc = session_new(conn);
  if (rc != 0) {
    server_conn_close(conn);
    return rc;
  }
  if (conns->options->idle_timeout_ms > 0)
    uv_timer_start(&conn->idle_timer, on_idle_timeout,
                   conns->options->idle_timeout_ms,
                   conns->options->idle_timeout_ms);
  conn_flush(conn); /* our SETTINGS */
  *out = conn;
  return 0;
}

/* ---- the set ------------------------------------------------------------ */

void server_conns_init(server_conns_t *conns, uv_loop_t *loop,
                       const rt_server_options_t *options,
                       const server_stream_events_t *events, void *events_data,
                       void (*released)(void *data), void *released_data) {
  memset(conns, 0, offsetof(server_conns_t, read_buffer));
  conns->loop = loop;
  conns->options = options;
  conns->events = events;
  conns->events_data = events_data;
  conns->released = released;
  conns->released_data = released_data;
  uv_idle_init(loop, &conns->flush_idle);
  conns->flush_idle.data = conns;
  conns->flush_idle_open = 1;
}

static void flush_idle_closed(uv_handle_t *handle) {
  server_conns_t *conns = handle->data;

  conns->flush_idle_open = 0;
  conns->released(conns->released_data);
}

void server_conns_close(server_conns_t *conns) {
  while (conns->list != NULL)
    server_conn_close(conns->list);
  if (conns->flush_idle_open &&
      !uv_is_closing((uv_handle_t *)&conns->flush_idle))
    uv_close((uv_handle_t *)&conns->flush_idle, flush_idle_closed);
}

int server_conns_released(const server_conns_t *conns) {
  return conns->closing == 0 && !conns->flush_idle_open;
}
