/*
 * server_conn: each accepted TCP connection gets an nghttp2 server
 * session, and on a TLS listener a TLS session in front of it. Neither
 * does I/O: bytes read by libuv go through server_tls_input (TLS) into
 * nghttp2_session_mem_recv, and a flush pulls frames out with
 * nghttp2_session_mem_send, encrypts them (TLS) and hands them to
 * uv_write. The session callbacks turn stream events into calls of the
 * events table.
 *
 * Limits, and where each is enforced:
 * - Back-pressure on the socket: when more than max_output_buffer_bytes
 *   are queued in uv_write requests (ciphertext, on TLS), the connection
 *   stops reading and stops pulling data from nghttp2; both resume when
 *   writes complete.
 * - Pending response bytes (queued by calls, waiting for the client's
 *   flow-control window): counted per stream, per connection and in total
 *   (server_stream_queued/taken). A gated request (unary or server
 *   streaming) is not dispatched while its connection or the server is
 *   over its bound; it waits on the ready queue, and is woken when bytes
 *   drain.
 * - Time on the loop: one read buffer of input per read, and at most
 *   SERVER_DISPATCH_PER_TURN calls started per turn; a connection with
 *   more waits for the next loop iteration (the flush idle handle), so one
 *   busy client cannot keep the others waiting for long.
 * - The handshake (TLS, the HTTP/2 preface and the client's SETTINGS)
 *   must finish within handshake_timeout_ms; then the same timer is the
 *   idle timeout, which counts a connection whose streams only wait for
 *   an unread window as idle.
 * - Stalls: a sweep timer resets streams whose response has not moved for
 *   stall_timeout_ms, and ends requests that waited that long to start.
 * - Hosts: at most max_connections_per_address per host (server_peers),
 *   trusted proxies exempt; refusals are logged at most once a second.
 * - nghttp2's own flood limits, set in session_new with the reasons.
 *
 * A memory connection (server_conns_attach_memory) is the same
 * connection without its socket: server_conn_receive is its read, and
 * conn_write_raw hands its output to a callback at once. The fuzz harness
 * (tests/fuzz) drives the whole request path through it in process.
 */
#include "server_conn.h"

#include <stdarg.h>
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
static void conn_dispatch(server_conn_t *conn);
static void on_conn_timer(uv_timer_t *timer);

/* ---- logging ------------------------------------------------------------- */

void server_log_limited(server_conns_t *conns, server_log_limit_t *limit,
                        const char *format, ...) {
  uint64_t now = uv_now(conns->loop);
  char line[400];
  va_list ap;

  if (limit->last_ms != 0 && now - limit->last_ms < 1000) {
    limit->suppressed++;
    return;
  }
  va_start(ap, format);
  vsnprintf(line, sizeof(line), format, ap);
  va_end(ap);
  if (limit->suppressed > 0)
    rt_log(RT_LOG_WARN, "%s (and %u more like it in the last second)", line,
           limit->suppressed);
  else
    rt_log(RT_LOG_WARN, "%s", line);
  limit->last_ms = now == 0 ? 1 : now;
  limit->suppressed = 0;
}

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

  server_conn_unready(stream);
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

void server_conn_ready(server_stream_t *stream, int gated) {
  server_conn_t *conn = stream->conn;

  stream->gated = gated;
  if (stream->ready)
    return;
  stream->ready = 1;
  stream->ready_since_ms = uv_now(conn->conns->loop);
  stream->ready_next = NULL;
  stream->ready_prev = conn->ready_tail;
  if (conn->ready_tail)
    conn->ready_tail->ready_next = stream;
  else
    conn->ready_head = stream;
  conn->ready_tail = stream;
  conn->ready_count++;
  /* Inside mem_recv the dispatch follows the whole buffer; otherwise (a
   * call completed by a timer, say) the next turn runs it. */
  if (!conn->busy)
    server_conn_want_flush(conn);
}

void server_conn_unready(server_stream_t *stream) {
  server_conn_t *conn = stream->conn;

  if (!stream->ready)
    return;
  if (stream->ready_prev)
    stream->ready_prev->ready_next = stream->ready_next;
  else
    conn->ready_head = stream->ready_next;
  if (stream->ready_next)
    stream->ready_next->ready_prev = stream->ready_prev;
  else
    conn->ready_tail = stream->ready_prev;
  stream->ready_prev = stream->ready_next = NULL;
  stream->ready = 0;
  conn->ready_count--;
}

int server_conn_over_bound(const server_conn_t *conn) {
  const rt_server_options_t *options = conn->conns->options;

  return conn->holds > 0 ||
         conn->pending_bytes >= options->max_pending_bytes_per_connection ||
         conn->conns->pending_bytes >= options->max_pending_bytes;
}

void server_stream_queued(server_stream_t *stream, size_t len) {
  server_conn_t *conn = stream->conn;

  if (stream->pending_bytes == 0)
    stream->progress_ms = uv_now(conn->conns->loop);
  stream->pending_bytes += len;
  conn->pending_bytes += len;
  conn->conns->pending_bytes += len;
}

/* The server's total fell under its bound: every connection with calls
 * waiting gets a turn. */
static void wake_waiting(server_conns_t *conns) {
  server_conn_t *conn;

  for (conn = conns->list; conn != NULL; conn = conn->next) {
    if (conn->ready_count > 0)
      server_conn_want_flush(conn);
  }
}

void server_stream_taken(server_stream_t *stream, size_t len) {
  server_conn_t *conn = stream->conn;
  server_conns_t *conns = conn->conns;
  const rt_server_options_t *options = conns->options;
  int conn_was_over =
      conn->pending_bytes >= options->max_pending_bytes_per_connection;
  int all_were_over = conns->pending_bytes >= options->max_pending_bytes;

  if (len == 0)
    return;
  stream->pending_bytes -= len;
  conn->pending_bytes -= len;
  conns->pending_bytes -= len;
  stream->progress_ms = uv_now(conns->loop);
  if (conn_was_over && conn->ready_count > 0 && !server_conn_over_bound(conn))
    server_conn_want_flush(conn);
  if (all_were_over && conns->pending_bytes < options->max_pending_bytes)
    wake_waiting(conns);
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

/* Hands data (ownership) to the socket as it is (a memory connection's
 * to its callback, at once). */
static int conn_write_raw(server_conn_t *conn, uint8_t *data, size_t len) {
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

/* Writes the ciphertext TLS has produced (handshake, records, alerts). */
static int conn_write_tls_output(server_conn_t *conn) {
  size_t len;

  while ((len = server_tls_output_len(&conn->tls)) > 0) {
    uint8_t *data = malloc(len);
    if (data == NULL)
      return RT_ENOMEM;
    len = server_tls_take_output(&conn->tls, data, len);
    if (conn_write_raw(conn, data, len) != 0)
      return RT_EIO;
  }
  return 0;
}

/* Hands plaintext data (ownership) to the socket, through TLS if the
 * connection has it: the one place where bytes go out. */
static int conn_write(server_conn_t *conn, uint8_t *data, size_t len) {
  int rc;

  if (conn->tls.ssl == NULL)
    return conn_write_raw(conn, data, len);
  rc = server_tls_encrypt(&conn->tls, data, len);
  free(data);
  return rc == 0 ? conn_write_tls_output(conn) : rc;
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

/* Reads while the output queue is short (back-pressure), the connection
 * has not had its share of this iteration and has no calls left over. */
static void conn_update_reading(server_conn_t *conn) {
  int want =
      !conn->doomed && !conn->input_paused && !conn->backlog &&
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

/* The session has nothing more to say or hear. */
static int session_over(const server_conn_t *conn) {
  return conn->doomed || (!nghttp2_session_want_read(conn->session) &&
                          !nghttp2_session_want_write(conn->session));
}

/* Writes what nghttp2 (and TLS) have to send, tells the streams, closes
 * the connection when the session is over and its output written. */
static void conn_flush(server_conn_t *conn) {
  int rc = 0;

  if (conn->closing || conn->busy)
    return;
  conn->busy = 1;
  if (conn->tls.ssl == NULL || conn->tls.handshake_done)
    rc = conn_pull_output(conn);
  if (rc == 0 && conn->tls.ssl != NULL)
    rc = conn_write_tls_output(conn);
  if (rc != 0) {
    conn->busy = 0;
    server_conn_close(conn);
    return;
  }
  conn_tell_flushed(conn);
  conn->busy = 0;
  if (session_over(conn)) {
    /* TLS ends with close_notify, so that the client can tell the end
     * of the session from a cut connection. */
    if (conn->tls.ssl != NULL && conn->tls.handshake_done &&
        !conn->tls.shutdown_sent) {
      server_tls_shutdown(&conn->tls);
      if (conn_write_tls_output(conn) != 0) {
        server_conn_close(conn);
        return;
      }
    }
    if (conn->output_queued == 0) {
      server_conn_close(conn);
      return;
    }
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

/* A connection's turn: the fairness pause ends, ready calls run, output
 * goes out. */
static void conn_turn(server_conn_t *conn) {
  conn->input_paused = 0;
  conn_dispatch(conn);
  conn_flush(conn);
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
    conn_turn(batch[i]);
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

/* Runs the ready calls this turn allows, in arrival order. A gated call
 * waits while the connection is over its pending bound; the others go on.
 * After each dispatch the scan starts again from the head, since a
 * handler may end other calls of the connection. */
static void conn_dispatch(server_conn_t *conn) {
  unsigned budget = SERVER_DISPATCH_PER_TURN;
  server_stream_t *stream;

  conn->backlog = 0;
  if (conn->closing || conn->doomed || conn->ready_count == 0)
    return;
  conn->busy = 1;
  stream = conn->ready_head;
  while (stream != NULL) {
    if (stream->gated && server_conn_over_bound(conn)) {
      stream = stream->ready_next;
      continue;
    }
    if (budget == 0) {
      conn->backlog = 1;
      break;
    }
    budget--;
    server_conn_unready(stream);
    conn->conns->events->dispatch(stream);
    stream = conn->ready_head;
  }
  conn->busy = 0;
  if (conn->backlog)
    server_conn_want_flush(conn);
}

/* Ends the session from this side: GOAWAY with code, written out before
 * the connection closes; no more input is read. */
static void conn_doom(server_conn_t *conn, uint32_t code) {
  if (conn->doomed)
    return;
  conn->doomed = 1;
  if (conn->session != NULL && conn->h2_ready)
    nghttp2_session_terminate_session(conn->session, code);
}

/* A cleartext HTTP/2 client on the TLS port is told so in its own
 * protocol: a GOAWAY INADEQUATE_SECURITY whose debug data says why, then
 * the connection closes. No SETTINGS before it: a client sees a
 * connection that failed to become HTTP/2 (grpcio then fails the call at
 * once instead of retrying until its deadline), and the rectrack CLI reads
 * the reason. */
static void conn_refuse_h2c(server_conn_t *conn) {
  static const char reason[] = "this port speaks TLS: use https://";
  const size_t payload = 8 + sizeof(reason) - 1;
  uint8_t *goaway = calloc(1, 9 + payload);

  rt_log(RT_LOG_DEBUG,
         "cleartext HTTP/2 from %s on the TLS port: closing the connection",
         conn->peer);
  conn->doomed = 1;
  if (goaway == NULL) {
    server_conn_close(conn);
    return;
  }
  goaway[0] = (uint8_t)(payload >> 16);
  goaway[1] = (uint8_t)(payload >> 8);
  goaway[2] = (uint8_t)payload;
  goaway[3] = NGHTTP2_GOAWAY;
  goaway[9 + 7] = NGHTTP2_INADEQUATE_SECURITY; /* last stream 0, then code */
  memcpy(goaway + 9 + 8, reason, sizeof(reason) - 1);
  if (conn_write_raw(conn, goaway, 9 + payload) != 0)
    server_conn_close(conn);
}

/* Feeds plaintext to nghttp2; returns 0, or -1 when the session failed
 * (the connection is doomed then). */
static int session_input(void *arg, const uint8_t *data, size_t len) {
  server_conn_t *conn = arg;
  ssize_t used = nghttp2_session_mem_recv(conn->session, data, len);

  if (used >= 0)
    return 0;
  if (conn->fatal != NULL) {
    server_log_limited(conn->conns, &conn->conns->log_limit_fatal,
                       "ending the connection from %s: %s", conn->peer,
                       conn->fatal);
    conn_doom(conn, NGHTTP2_ENHANCE_YOUR_CALM);
    return -1;
  }
  if (used == NGHTTP2_ERR_FLOODED || used == NGHTTP2_ERR_TOO_MANY_SETTINGS ||
      used == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS)
    server_log_limited(conn->conns, &conn->conns->log_limit_fatal,
                       "ending the connection from %s: %s", conn->peer,
                       nghttp2_strerror((int)used));
  else if (used == NGHTTP2_ERR_BAD_CLIENT_MAGIC && conn->tls.ssl == NULL &&
           conn->bytes_read <= len && server_tls_looks_like_tls(data, len))
    rt_log(RT_LOG_DEBUG,
           "TLS handshake from %s on the cleartext port: closing the "
           "connection",
           conn->peer);
  else
    rt_log(RT_LOG_DEBUG, "HTTP/2 error from %s: %s", conn->peer,
           nghttp2_strerror((int)used));
  conn_doom(conn, NGHTTP2_PROTOCOL_ERROR);
  return -1;
}

/* Feeds one read of ciphertext through TLS. */
static void tls_input(server_conn_t *conn, const uint8_t *data, size_t len) {
  const char *why = NULL;
  server_tls_result_t result;

  if (!conn->tls.handshake_done && conn->bytes_read == len &&
      server_tls_looks_like_h2c(data, len < 14 ? len : 14)) {
    conn_refuse_h2c(conn);
    return;
  }
  result = server_tls_input(&conn->tls, data, len, conn->conns->plain_buffer,
                            sizeof(conn->conns->plain_buffer), session_input,
                            conn, &why);
  if (result == SERVER_TLS_FAILED) {
    rt_log(RT_LOG_DEBUG, "TLS %s with %s failed: %s",
           conn->tls.handshake_done ? "session" : "handshake", conn->peer, why);
    conn->doomed = 1; /* the alert, if any, goes out first */
  } else if (result == SERVER_TLS_CLOSED) {
    conn_doom(conn, NGHTTP2_NO_ERROR);
  }
}

/* One read's bytes (from the socket, or server_conn_receive) go into the
 * session; then what they completed runs and the answer is flushed. */
static void conn_input(server_conn_t *conn, const uint8_t *data, size_t len) {
  conn->bytes_read += (uint64_t)len;
  if (conn->h2_ready && conn->conns->options->idle_timeout_ms > 0)
    uv_timer_again(&conn->timer);
  conn->busy = 1;
  if (conn->tls.ssl != NULL)
    tls_input(conn, data, len);
  else
    session_input(conn, data, len);
  conn->busy = 0;
  if (conn->closing)
    return;
  /* The whole buffer is parsed: what it completed runs now, except what it
   * also reset. */
  conn_dispatch(conn);
  /* A full buffer means the client has more: it waits for its next turn,
   * after every other connection had one. */
  if (len >= sizeof(conn->conns->read_buffer)) {
    conn->input_paused = 1;
    server_conn_want_flush(conn);
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
  conn_input(conn, (const uint8_t *)buf->base, (size_t)nread);
}

int server_conn_receive(server_conn_t *conn, const uint8_t *bytes, size_t len) {
  if (conn->closing || conn->doomed)
    return RT_EIO;
  if (len > 0)
    conn_input(conn, bytes, len);
  return conn->closing || conn->doomed ? RT_EIO : 0;
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
  int rc;
  (void)flags;

  if (stream == NULL || frame->hd.type != NGHTTP2_HEADERS ||
      frame->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0; /* request trailers carry nothing gRPC uses */
  rc = conn->conns->events->header(stream, name, name_len, value, value_len);
  if (rc == RT_ETOOBIG)
    conn->fatal = "its request headers decode to more than four times the "
                  "header list limit (a compression bomb)";
  return rc == 0 ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
}

/* The client's preface and first SETTINGS arrived: the handshake is
 * done, the timer becomes the idle timeout. */
static void conn_handshake_done(server_conn_t *conn) {
  uint64_t idle = conn->conns->options->idle_timeout_ms;

  conn->h2_ready = 1;
  uv_timer_stop(&conn->timer);
  if (idle > 0)
    uv_timer_start(&conn->timer, on_conn_timer, idle, idle);
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame,
                         void *user_data) {
  server_conn_t *conn = user_data;
  server_stream_t *stream;

  if (frame->hd.type == NGHTTP2_SETTINGS &&
      !(frame->hd.flags & NGHTTP2_FLAG_ACK) && !conn->h2_ready)
    conn_handshake_done(conn);
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
 * sending, it resets the stream with NO_ERROR so the client stops. A
 * GOAWAY with an error that nghttp2 decided on (the reset rate limit, a
 * protocol error) is logged, so that an operator sees who was cut off. */
static int on_frame_send(nghttp2_session *session, const nghttp2_frame *frame,
                         void *user_data) {
  server_conn_t *conn = user_data;

  if (frame->hd.type == NGHTTP2_GOAWAY &&
      frame->goaway.error_code != NGHTTP2_NO_ERROR && conn->fatal == NULL)
    server_log_limited(conn->conns, &conn->conns->log_limit_fatal,
                       "ending the connection from %s: GOAWAY %s", conn->peer,
                       nghttp2_http2_strerror(frame->goaway.error_code));
  if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
      (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
      !nghttp2_session_get_stream_remote_close(session, frame->hd.stream_id))
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                              NGHTTP2_NO_ERROR);
  return 0;
}

static nghttp2_session_callbacks *session_callbacks(void) {
  nghttp2_session_callbacks *callbacks;

  if (nghttp2_session_callbacks_new(&callbacks) != 0)
    return NULL;
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
  return callbacks;
}

/* nghttp2's own limits, each set on purpose:
 * - no_closed_streams: we use no RFC 7540 priorities, so closed streams
 *   need not be kept (a rapid-reset client would otherwise fill them).
 * - max_settings 32: a SETTINGS frame has 7 defined entries; more than 32
 *   is a flood (CVE-2019-9515's shape), not a configuration.
 * - max_outbound_ack 1000: SETTINGS and PING ACKs queued because the
 *   client does not read (CVE-2019-9512); 1000 frames are 17 KB.
 * - max_continuations 8: a 16 KiB header list fits in two 16 KiB frames;
 *   more than 8 CONTINUATION frames is a flood (CVE-2024-28182), and the
 *   header callback ends a block that decodes to a bomb sooner.
 * - stream_reset_rate_limit 1000 burst, 33/s: a reset stream costs its
 *   parsing only (handlers never run for it), so this is about a client
 *   that does nothing else; a legitimate client cancels far fewer calls
 *   than ten times its concurrency, and 33 per second after that. Beyond
 *   it nghttp2 sends GOAWAY and the connection ends. */
static nghttp2_option *session_options(void) {
  nghttp2_option *option;

  if (nghttp2_option_new(&option) != 0)
    return NULL;
  nghttp2_option_set_no_closed_streams(option, 1);
  nghttp2_option_set_max_settings(option, 32);
  nghttp2_option_set_max_outbound_ack(option, 1000);
  nghttp2_option_set_max_continuations(option, 8);
  nghttp2_option_set_stream_reset_rate_limit(option, 1000, 33);
  return option;
}

static int session_new(server_conn_t *conn) {
  const rt_server_options_t *options = conn->conns->options;
  nghttp2_session_callbacks *callbacks = session_callbacks();
  nghttp2_option *option = session_options();
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
       options->max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1024 * 1024},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       (uint32_t)options->max_header_list_bytes},
      {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
  };
  int rv = NGHTTP2_ERR_NOMEM;

  if (callbacks != NULL && option != NULL)
    rv = nghttp2_session_server_new2(&conn->session, callbacks, conn, option);
  nghttp2_session_callbacks_del(callbacks);
  nghttp2_option_del(option);
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

/* 1 when a call of the connection is being worked on, or its output moved
 * within the last idle period: a connection whose streams only wait for a
 * window that stays closed (or whose requests never finish) is idle. */
static int conn_has_active_stream(const server_conn_t *conn, uint64_t now) {
  uint64_t idle = conn->conns->options->idle_timeout_ms;
  const server_stream_t *stream;

  for (stream = conn->streams; stream != NULL; stream = stream->next) {
    if (stream->running)
      return 1;
    if (stream->pending_bytes > 0 && now - stream->progress_ms < idle)
      return 1;
  }
  return 0;
}

static void on_conn_timer(uv_timer_t *timer) {
  server_conn_t *conn = timer->data;

  if (!conn->h2_ready) {
    rt_log(RT_LOG_DEBUG,
           "%s did not finish the %shandshake within %llu ms: closing",
           conn->peer, conn->tls.ssl != NULL ? "TLS and HTTP/2 " : "HTTP/2 ",
           (unsigned long long)conn->conns->options->handshake_timeout_ms);
    server_conn_close(conn);
    return;
  }
  if (conn_has_active_stream(conn, uv_now(conn->conns->loop)))
    return; /* the repeating timer looks again */
  rt_log(RT_LOG_DEBUG, "closing idle connection from %s (%zu calls waiting)",
         conn->peer, conn->stream_count);
  nghttp2_session_terminate_session(conn->session, NGHTTP2_NO_ERROR);
  server_conn_want_flush(conn);
}

static void sweep_stop_if_unused(server_conns_t *conns);

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
  server_tls_close(&conn->tls);
  if (conn->peer_counted)
    server_peers_remove(&conns->peers, &conn->peer_key);
  if (conn->prev)
    conn->prev->next = conn->next;
  else
    conns->list = conn->next;
  if (conn->next)
    conn->next->prev = conn->prev;
  conns->count--;
  conns->closing++;
  sweep_stop_if_unused(conns);
  uv_close((uv_handle_t *)&conn->timer, conn_handle_closed);
  if (conn->memory_output == NULL)
    uv_close((uv_handle_t *)&conn->tcp, conn_handle_closed);
}

void server_conn_goaway(server_conn_t *conn) {
  if (conn->doomed || !conn->h2_ready) {
    /* Nothing to finish: a connection that never became HTTP/2 just goes. */
    conn_doom(conn, NGHTTP2_NO_ERROR);
    server_conn_want_flush(conn);
    return;
  }
  nghttp2_submit_goaway(conn->session, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(conn->session),
                        NGHTTP2_NO_ERROR, NULL, 0);
  server_conn_want_flush(conn);
}

void *server_conn_data(const server_conn_t *conn) {
  return conn->conns->events_data;
}

static int record_peer(server_conn_t *conn, struct sockaddr_storage *peer) {
  int len = sizeof(*peer);

  memset(peer, 0, sizeof(*peer));
  if (uv_tcp_getpeername(&conn->tcp, (struct sockaddr *)peer, &len) != 0) {
    snprintf(conn->peer, sizeof(conn->peer), "?");
    return RT_EIO;
  }
  server_address_format(peer, conn->peer, sizeof(conn->peer));
  return 0;
}

/* Counts the connection for its host, or refuses it. Trusted proxies
 * carry many clients each, so they are not counted. */
static int admit_peer(server_conn_t *conn,
                      const struct sockaddr_storage *peer) {
  server_conns_t *conns = conn->conns;
  uint32_t limit = conns->options->max_connections_per_address;
  int rc;

  conn->trusted_proxy =
      server_networks_match(conns->trusted, conns->trusted_count, peer);
  if (conn->trusted_proxy)
    return 0;
  server_peer_key(peer, &conn->peer_key);
  rc = server_peers_add(&conns->peers, &conn->peer_key, limit);
  if (rc == RT_ETOOBIG)
    conns->connections_refused++;
  if (rc == RT_ETOOBIG)
    server_log_limited(conns, &conns->log_limit_per_address,
                       "per-address connection limit (%u) reached: closing "
                       "a new connection from %s",
                       limit, conn->peer);
  conn->peer_counted = rc == 0;
  return rc;
}

static void on_sweep(uv_timer_t *timer);

static void sweep_start(server_conns_t *conns) {
  uint64_t period = conns->options->stall_timeout_ms / 4;

  if (conns->options->stall_timeout_ms == 0 ||
      uv_is_active((uv_handle_t *)&conns->sweep))
    return;
  period = period < 50 ? 50 : period > 1000 ? 1000 : period;
  uv_timer_start(&conns->sweep, on_sweep, period, period);
}

static void sweep_stop_if_unused(server_conns_t *conns) {
  if (conns->count == 0 && conns->sweep_open)
    uv_timer_stop(&conns->sweep);
}

int server_conns_accept(server_conns_t *conns, uv_stream_t *listener) {
  server_conn_t *conn = calloc(1, sizeof(*conn));
  struct sockaddr_storage peer;
  int rc;

  if (conn == NULL)
    return RT_ENOMEM;
  conn->conns = conns;
  uv_tcp_init(conns->loop, &conn->tcp);
  uv_timer_init(conns->loop, &conn->timer);
  conn->tcp.data = conn->timer.data = conn;
  conn->handles_open = 2;
  conn->next = conns->list;
  if (conns->list)
    conns->list->prev = conn;
  conns->list = conn;
  conns->count++;
  rc = uv_accept(listener, (uv_stream_t *)&conn->tcp) != 0
           ? RT_EIO
           : record_peer(conn, &peer);
  if (rc == 0)
    rc = admit_peer(conn, &peer);
  if (rc == 0)
    rc = session_new(conn);
  if (rc == 0 && conns->tls_ctx != NULL)
    rc = server_tls_open(&conn->tls, conns->tls_ctx);
  if (rc != 0) {
    server_conn_close(conn);
    return rc;
  }
  uv_tcp_nodelay(&conn->tcp, 1);
  uv_timer_start(&conn->timer, on_conn_timer,
                 conns->options->handshake_timeout_ms, 0);
  sweep_start(conns);
  conn_flush(conn); /* our SETTINGS, or (TLS) nothing until the handshake */
  return 0;
}

/* Like server_conns_accept, with no socket: the timer is the only handle,
 * and the connection is cleartext and counted under no address. */
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
  uv_timer_init(conns->loop, &conn->timer);
  conn->timer.data = conn;
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
  uv_timer_start(&conn->timer, on_conn_timer,
                 conns->options->handshake_timeout_ms, 0);
  sweep_start(conns);
  conn_flush(conn); /* our SETTINGS */
  *out = conn;
  return 0;
}

/* ---- the sweep: stalls --------------------------------------------------- */

/* Reports what has not moved for stall_timeout_ms. The events only submit
 * frames: streams close at the next flush, never under this loop. */
static void sweep_conn(server_conn_t *conn, uint64_t now, uint64_t stall) {
  server_stream_t *stream, *next;

  for (stream = conn->streams; stream != NULL; stream = next) {
    next = stream->next;
    if (stream->ready && stream->gated) {
      if (now - stream->ready_since_ms >= stall) {
        server_conn_unready(stream);
        conn->conns->events->stalled(stream, 1);
        server_conn_want_flush(conn);
      }
    } else if (stream->pending_bytes > 0 &&
               now - stream->progress_ms >= stall) {
      conn->conns->events->stalled(stream, 0);
      server_conn_want_flush(conn);
    }
  }
}

static void on_sweep(uv_timer_t *timer) {
  server_conns_t *conns = timer->data;
  uint64_t now = uv_now(conns->loop);
  server_conn_t *conn;

  for (conn = conns->list; conn != NULL; conn = conn->next) {
    if (!conn->closing && !conn->doomed)
      sweep_conn(conn, now, conns->options->stall_timeout_ms);
  }
}

/* ---- the set ------------------------------------------------------------ */

void server_conns_init(server_conns_t *conns, uv_loop_t *loop,
                       const rt_server_options_t *options,
                       const server_stream_events_t *events, void *events_data,
                       void (*released)(void *data), void *released_data,
                       server_network_t *trusted, size_t trusted_count) {
  memset(conns, 0, offsetof(server_conns_t, read_buffer));
  conns->loop = loop;
  conns->options = options;
  conns->events = events;
  conns->events_data = events_data;
  conns->released = released;
  conns->released_data = released_data;
  conns->trusted = trusted;
  conns->trusted_count = trusted_count;
  uv_idle_init(loop, &conns->flush_idle);
  conns->flush_idle.data = conns;
  conns->flush_idle_open = 1;
  uv_timer_init(loop, &conns->sweep);
  conns->sweep.data = conns;
  conns->sweep_open = 1;
}

void server_conns_set_tls(server_conns_t *conns, SSL_CTX *ctx) {
  SSL_CTX_free(conns->tls_ctx);
  conns->tls_ctx = ctx;
}

static void flush_idle_closed(uv_handle_t *handle) {
  server_conns_t *conns = handle->data;

  conns->flush_idle_open = 0;
  conns->released(conns->released_data);
}

static void sweep_closed(uv_handle_t *handle) {
  server_conns_t *conns = handle->data;

  conns->sweep_open = 0;
  conns->released(conns->released_data);
}

void server_conns_close(server_conns_t *conns) {
  while (conns->list != NULL)
    server_conn_close(conns->list);
  if (conns->flush_idle_open &&
      !uv_is_closing((uv_handle_t *)&conns->flush_idle))
    uv_close((uv_handle_t *)&conns->flush_idle, flush_idle_closed);
  if (conns->sweep_open && !uv_is_closing((uv_handle_t *)&conns->sweep))
    uv_close((uv_handle_t *)&conns->sweep, sweep_closed);
  server_conns_set_tls(conns, NULL);
  server_peers_free(&conns->peers);
  free(conns->trusted);
  conns->trusted = NULL;
  conns->trusted_count = 0;
}

int server_conns_released(const server_conns_t *conns) {
  return conns->closing == 0 && !conns->flush_idle_open && !conns->sweep_open;
}
