/*
 * rt_server: the listener, the connections and the HTTP/2 engine.
 *
 * Each accepted TCP connection gets an nghttp2 server session. nghttp2
 * does no I/O: bytes read by libuv go into nghttp2_session_mem_recv, and
 * a flush pulls frames out with nghttp2_session_mem_send into a buffer
 * handed to uv_write. Session callbacks turn stream events into calls
 * (rt_server_call.c).
 *
 * Flushing is never done from inside an rt_call_* function: they only put
 * the connection on the server's flush list, which an idle handle drains
 * on the next loop iteration. That way no handler can ever see a call (or
 * a connection) freed under it, and many replies in one iteration share
 * one write.
 *
 * Back-pressure: when more than max_output_buffer_bytes are queued in
 * uv_write requests, the connection stops reading and stops pulling data
 * from nghttp2 (so response data providers are not called); both resume
 * when writes complete. A client that stops reading therefore stalls only
 * its own connection, and the server's memory for it stays bounded.
 */
#include "rt_server.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_log.h"
#include "server_int.h"

/* A uv_write request and the bytes it owns. */
typedef struct write_req {
  uv_write_t req;
  rt_conn_t *conn;
  size_t len;
  uint8_t *data;
} write_req_t;

/* Flushes in batches of about this many bytes per uv_write. */
#define WRITE_BATCH (64 * 1024)

static void conn_close(rt_conn_t *conn);
static void conn_flush(rt_conn_t *conn);
static void server_check_done(rt_server_t *server);
static void server_handle_closed(uv_handle_t *handle);
static void server_release(rt_server_t *server);

/* ---- options and registration ------------------------------------------ */

void rt_server_options_init(rt_server_options_t *options) {
  options->max_message_bytes = RT_GRPC_DEFAULT_MAX_MESSAGE;
  options->max_header_list_bytes = 16 * 1024;
  options->max_concurrent_streams = 100;
  options->max_connections = 1024;
  options->idle_timeout_ms = 300000;
  options->max_output_buffer_bytes = 1024 * 1024;
}

static int check_options(const rt_server_options_t *options, rt_error_t *err) {
  if (options->max_message_bytes == 0 ||
      options->max_message_bytes > UINT32_MAX)
    return rt_error_set(err, RT_EINVAL, "max_message_bytes",
                        "max_message_bytes must be between 1 and %u",
                        (unsigned)UINT32_MAX);
  if (options->max_header_list_bytes < 1024)
    return rt_error_set(err, RT_EINVAL, "max_header_list_bytes",
                        "max_header_list_bytes must be at least 1024");
  if (options->max_concurrent_streams == 0 ||
      options->max_concurrent_streams > (1u << 31) - 1)
    return rt_error_set(err, RT_EINVAL, "max_concurrent_streams",
                        "max_concurrent_streams must be at least 1");
  if (options->max_connections == 0)
    return rt_error_set(err, RT_EINVAL, "max_connections",
                        "max_connections must be at least 1");
  if (options->max_output_buffer_bytes < 16 * 1024)
    return rt_error_set(err, RT_EINVAL, "max_output_buffer_bytes",
                        "max_output_buffer_bytes must be at least 16384");
  return 0;
}

int rt_server_new(rt_server_t **out, uv_loop_t *loop,
                  const rt_server_options_t *options, rt_error_t *err) {
  rt_server_t *server;
  int rc;

  *out = NULL;
  server = calloc(1, sizeof(*server));
  if (server == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (options != NULL)
    server->options = *options;
  else
    rt_server_options_init(&server->options);
  rc = check_options(&server->options, err);
  if (rc != 0)
    goto fail;
  server->loop = loop;
  server->port = -1;
  uv_idle_init(loop, &server->flush_idle);
  uv_timer_init(loop, &server->grace_timer);
  server->flush_idle.data = server;
  server->grace_timer.data = server;
  server->handles_open = 2;
  *out = server;
  return 0;
fail:
  free(server);
  return rc;
}

/* The service part of "/package.Service/Method", or 0 if malformed. */
static size_t service_name_len(const char *path) {
  const char *slash;

  if (path == NULL || path[0] != '/')
    return 0;
  slash = strchr(path + 1, '/');
  if (slash == NULL || slash == path + 1 || slash[1] == '\0' ||
      strchr(slash + 1, '/') != NULL)
    return 0;
  return (size_t)(slash - path - 1);
}

static int add_service_name(rt_server_t *server, const char *path, size_t len) {
  char **grown;
  size_t i;

  for (i = 0; i < server->service_count; i++) {
    if (strlen(server->services[i]) == len &&
        memcmp(server->services[i], path + 1, len) == 0)
      return 0;
  }
  grown = realloc(server->services,
                  (server->service_count + 1) * sizeof(*server->services));
  if (grown == NULL)
    return RT_ENOMEM;
  server->services = grown;
  grown[server->service_count] = strndup(path + 1, len);
  if (grown[server->service_count] == NULL)
    return RT_ENOMEM;
  server->service_count++;
  return 0;
}

int rt_server_add_methods(rt_server_t *server, const rt_method_t *methods,
                          size_t count, rt_error_t *err) {
  rt_method_t *grown;
  size_t i, j;

  for (i = 0; i < count; i++) {
    if (service_name_len(methods[i].path) == 0 || methods[i].handle == NULL)
      return rt_error_set(err, RT_EINVAL, "path",
                          "method path \"%s\" is not /package.Service/Method",
                          methods[i].path ? methods[i].path : "(null)");
    for (j = 0; j < server->method_count; j++) {
      if (strcmp(server->methods[j].path, methods[i].path) == 0)
        return rt_error_set(err, RT_EEXIST, "path",
                            "method %s is registered twice", methods[i].path);
    }
  }
  grown =
      realloc(server->methods, (server->method_count + count) * sizeof(*grown));
  if (grown == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  server->methods = grown;
  for (i = 0; i < count; i++) {
    if (add_service_name(server, methods[i].path,
                         service_name_len(methods[i].path)) != 0)
      return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
    server->methods[server->method_count++] = methods[i];
  }
  return 0;
}

size_t rt_server_service_count(const rt_server_t *server) {
  return server->service_count;
}

const char *rt_server_service_name(const rt_server_t *server, size_t index) {
  return index < server->service_count ? server->services[index] : NULL;
}

const rt_method_t *rt_server_find_method(const rt_server_t *server,
                                         const char *path) {
  size_t i;

  for (i = 0; i < server->method_count; i++) {
    if (strcmp(server->methods[i].path, path) == 0)
      return &server->methods[i];
  }
  return NULL;
}

/* ---- addresses ---------------------------------------------------------- */

int rt_server_parse_address(const char *text, struct sockaddr_storage *out,
                            rt_error_t *err) {
  const char *colon = strrchr(text, ':');
  char host[256];
  size_t host_len;
  char *end;
  long port;
  struct addrinfo hints, *found = NULL;

  if (colon == NULL || colon[1] == '\0')
    goto bad;
  port = strtol(colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535)
    goto bad;
  host_len = (size_t)(colon - text);
  if (host_len >= 2 && text[0] == '[' && text[host_len - 1] == ']') {
    text++;
    host_len -= 2;
  } else if (memchr(text, ':', host_len) != NULL) {
    goto bad; /* IPv6 without brackets is ambiguous */
  }
  if (host_len == 0 || host_len >= sizeof(host))
    goto bad;
  memcpy(host, text, host_len);
  host[host_len] = '\0';
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  if (getaddrinfo(host, NULL, &hints, &found) != 0 || found == NULL)
    return rt_error_set(err, RT_EINVAL, "listen", "cannot resolve host \"%s\"",
                        host);
  memset(out, 0, sizeof(*out));
  memcpy(out, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (out->ss_family == AF_INET)
    ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
  else
    ((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
  return 0;
bad:
  return rt_error_set(err, RT_EINVAL, "listen",
                      "address \"%s\" is not HOST:PORT (IPv6 as [::1]:PORT)",
                      text);
}

/* Formats addr as "ip:port" or "[ip6]:port" into out. */
static void format_address(const struct sockaddr_storage *addr, char *out,
                           size_t out_len) {
  char ip[INET6_ADDRSTRLEN] = "?";

  if (addr->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
    uv_ip6_name(in6, ip, sizeof(ip));
    snprintf(out, out_len, "[%s]:%u", ip, ntohs(in6->sin6_port));
  } else {
    const struct sockaddr_in *in4 = (const struct sockaddr_in *)addr;
    uv_ip4_name(in4, ip, sizeof(ip));
    snprintf(out, out_len, "%s:%u", ip, ntohs(in4->sin_port));
  }
}

const char *rt_server_address(const rt_server_t *server) {
  return server->address;
}

int rt_server_port(const rt_server_t *server) { return server->port; }

size_t rt_server_connection_count(const rt_server_t *server) {
  return server->conn_count;
}

/* ---- I/O ---------------------------------------------------------------- */

static void free_handle(uv_handle_t *handle) { free(handle); }

static void conn_handle_closed(uv_handle_t *handle) {
  rt_conn_t *conn = handle->data;
  rt_server_t *server = conn->server;

  if (--conn->handles_open > 0)
    return;
  free(conn);
  server->closing_conns--;
  server_check_done(server);
  server_release(server);
}

static void on_write(uv_write_t *req, int status) {
  write_req_t *write = (write_req_t *)req;
  rt_conn_t *conn = write->conn;

  conn->output_queued -= write->len;
  free(write->data);
  free(write);
  if (conn->closing)
    return;
  if (status < 0) {
    rt_log(RT_LOG_DEBUG, "write to %s failed: %s", conn->peer,
           uv_strerror(status));
    conn_close(conn);
    return;
  }
  conn_flush(conn);
}

/* Hands data (ownership) to libuv. */
static int conn_write(rt_conn_t *conn, uint8_t *data, size_t len) {
  write_req_t *write = malloc(sizeof(*write));
  uv_buf_t buf = uv_buf_init((char *)data, (unsigned)len);
  int rc;

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
static int conn_pull_output(rt_conn_t *conn) {
  size_t limit = conn->server->options.max_output_buffer_bytes;
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
  rt_conn_t *conn = handle->data;
  (void)suggested;
  *buf = uv_buf_init((char *)conn->server->read_buffer,
                     sizeof(conn->server->read_buffer));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

/* Reads only while the output queue is short (back-pressure). */
static void conn_update_reading(rt_conn_t *conn) {
  int want =
      conn->output_queued < conn->server->options.max_output_buffer_bytes;

  if (want && !conn->reading) {
    if (uv_read_start((uv_stream_t *)&conn->tcp, on_alloc, on_read) == 0)
      conn->reading = 1;
  } else if (!want && conn->reading) {
    uv_read_stop((uv_stream_t *)&conn->tcp);
    conn->reading = 0;
  }
}

static void conn_fire_drains(rt_conn_t *conn) {
  rt_call_t *call;

  for (call = conn->calls; call != NULL; call = call->next)
    rt_server_call_fire_drain(call);
}

/* Writes what nghttp2 has to send, runs drained() callbacks, closes the
 * connection when the session is over. */
static void conn_flush(rt_conn_t *conn) {
  if (conn->closing || conn->busy)
    return;
  conn->busy = 1;
  if (conn_pull_output(conn) != 0) {
    conn->busy = 0;
    conn_close(conn);
    return;
  }
  conn_fire_drains(conn);
  conn->busy = 0;
  if (!nghttp2_session_want_read(conn->session) &&
      !nghttp2_session_want_write(conn->session) && conn->output_queued == 0) {
    conn_close(conn);
    return;
  }
  conn_update_reading(conn);
}

static void flush_list_remove(rt_conn_t *conn) {
  rt_server_t *server = conn->server;

  if (!conn->flush_wanted)
    return;
  if (conn->flush_prev)
    conn->flush_prev->flush_next = conn->flush_next;
  else
    server->flush_list = conn->flush_next;
  if (conn->flush_next)
    conn->flush_next->flush_prev = conn->flush_prev;
  conn->flush_prev = conn->flush_next = NULL;
  conn->flush_wanted = 0;
}

static void on_flush_idle(uv_idle_t *idle) {
  rt_server_t *server = idle->data;

  rt_conn_t *batch[64];
  size_t count = 0, i;

  /* Connections that ask again while we flush wait for the next loop
   * iteration, so that one busy stream cannot starve the others. */
  while (server->flush_list != NULL && count < 64) {
    batch[count] = server->flush_list;
    flush_list_remove(batch[count]);
    count++;
  }
  for (i = 0; i < count; i++)
    conn_flush(batch[i]);
  if (server->flush_list == NULL)
    uv_idle_stop(idle);
}

void rt_server_conn_want_flush(rt_conn_t *conn) {
  rt_server_t *server = conn->server;

  if (conn->closing || conn->flush_wanted)
    return;
  conn->flush_wanted = 1;
  conn->flush_prev = NULL;
  conn->flush_next = server->flush_list;
  if (server->flush_list)
    server->flush_list->flush_prev = conn;
  server->flush_list = conn;
  uv_idle_start(&server->flush_idle, on_flush_idle);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  rt_conn_t *conn = stream->data;
  ssize_t used;

  if (nread == 0)
    return;
  if (nread < 0) {
    if (nread != UV_EOF)
      rt_log(RT_LOG_DEBUG, "read from %s failed: %s", conn->peer,
             uv_strerror((int)nread));
    conn_close(conn);
    return;
  }
  if (conn->server->options.idle_timeout_ms > 0)
    uv_timer_again(&conn->idle_timer);
  conn->busy = 1;
  used = nghttp2_session_mem_recv(conn->session, (const uint8_t *)buf->base,
                                  (size_t)nread);
  conn->busy = 0;
  if (used < 0) {
    rt_log(RT_LOG_DEBUG, "HTTP/2 error from %s: %s", conn->peer,
           nghttp2_strerror((int)used));
    conn_close(conn);
    return;
  }
  conn_flush(conn);
}

/* ---- nghttp2 session callbacks ------------------------------------------ */

static rt_call_t *stream_call(nghttp2_session *session, int32_t stream_id) {
  return nghttp2_session_get_stream_user_data(session, stream_id);
}

static int on_begin_headers(nghttp2_session *session,
                            const nghttp2_frame *frame, void *user_data) {
  rt_conn_t *conn = user_data;
  rt_call_t *call;

  if (frame->hd.type != NGHTTP2_HEADERS ||
      frame->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0;
  call = rt_server_call_new(conn, frame->hd.stream_id);
  if (call == NULL)
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, call);
  return 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame,
                     const uint8_t *name, size_t name_len, const uint8_t *value,
                     size_t value_len, uint8_t flags, void *user_data) {
  rt_call_t *call = stream_call(session, frame->hd.stream_id);
  (void)flags;
  (void)user_data;
  if (call == NULL || frame->hd.type != NGHTTP2_HEADERS ||
      frame->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0; /* request trailers carry nothing gRPC uses */
  if (rt_server_call_add_header(call, name, name_len, value, value_len) != 0)
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame,
                         void *user_data) {
  rt_call_t *call;
  (void)user_data;

  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
    return 0;
  call = stream_call(session, frame->hd.stream_id);
  if (call == NULL)
    return 0;
  if (frame->hd.type == NGHTTP2_HEADERS &&
      frame->headers.cat == NGHTTP2_HCAT_REQUEST)
    rt_server_call_headers_done(call);
  if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
    rt_server_call_remote_end(call);
  return 0;
}

static int on_data_chunk_recv(nghttp2_session *session, uint8_t flags,
                              int32_t stream_id, const uint8_t *data,
                              size_t len, void *user_data) {
  rt_call_t *call = stream_call(session, stream_id);
  (void)flags;
  (void)user_data;
  if (call != NULL)
    rt_server_call_data(call, data, len);
  return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id,
                           uint32_t error_code, void *user_data) {
  rt_call_t *call = stream_call(session, stream_id);
  (void)user_data;
  if (call == NULL)
    return 0;
  nghttp2_session_set_stream_user_data(session, stream_id, NULL);
  rt_server_call_closed(call, error_code != NGHTTP2_NO_ERROR);
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

static int session_new(rt_conn_t *conn) {
  const rt_server_options_t *options = &conn->server->options;
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
  rt_conn_t *conn = timer->data;

  if (conn->call_count > 0)
    return; /* uv_timer_again on the next read re-arms it */
  rt_log(RT_LOG_DEBUG, "closing idle connection from %s", conn->peer);
  nghttp2_session_terminate_session(conn->session, NGHTTP2_NO_ERROR);
  rt_server_conn_want_flush(conn);
}

/* Drops the connection: every call still open is cancelled and freed. */
static void conn_close(rt_conn_t *conn) {
  rt_server_t *server = conn->server;

  if (conn->closing)
    return;
  conn->closing = 1;
  flush_list_remove(conn);
  while (conn->calls != NULL)
    rt_server_call_closed(conn->calls, 1);
  nghttp2_session_del(conn->session);
  conn->session = NULL;
  if (conn->prev)
    conn->prev->next = conn->next;
  else
    server->conns = conn->next;
  if (conn->next)
    conn->next->prev = conn->prev;
  server->conn_count--;
  server->closing_conns++;
  uv_close((uv_handle_t *)&conn->idle_timer, conn_handle_closed);
  uv_close((uv_handle_t *)&conn->tcp, conn_handle_closed);
}

static void record_peer(rt_conn_t *conn) {
  struct sockaddr_storage peer;
  int len = sizeof(peer);

  if (uv_tcp_getpeername(&conn->tcp, (struct sockaddr *)&peer, &len) == 0)
    format_address(&peer, conn->peer, sizeof(conn->peer));
  else
    snprintf(conn->peer, sizeof(conn->peer), "?");
}

static void reject_connection(rt_server_t *server, uv_stream_t *listener) {
  uv_tcp_t *tcp = malloc(sizeof(*tcp));

  if (tcp == NULL)
    return;
  uv_tcp_init(server->loop, tcp);
  if (uv_accept(listener, (uv_stream_t *)tcp) == 0)
    rt_log(RT_LOG_WARN,
           "connection limit (%u) reached: closing new "
           "connection",
           server->options.max_connections);
  uv_close((uv_handle_t *)tcp, free_handle);
}

static void on_connection(uv_stream_t *listener, int status) {
  rt_server_t *server = listener->data;
  rt_conn_t *conn;

  if (status < 0 || server->draining)
    return;
  if (server->conn_count >= server->options.max_connections) {
    reject_connection(server, listener);
    return;
  }
  conn = calloc(1, sizeof(*conn));
  if (conn == NULL)
    return;
  conn->server = server;
  uv_tcp_init(server->loop, &conn->tcp);
  uv_timer_init(server->loop, &conn->idle_timer);
  conn->tcp.data = conn->idle_timer.data = conn;
  conn->handles_open = 2;
  conn->next = server->conns;
  if (server->conns)
    server->conns->prev = conn;
  server->conns = conn;
  server->conn_count++;
  if (uv_accept(listener, (uv_stream_t *)&conn->tcp) != 0 ||
      session_new(conn) != 0) {
    conn_close(conn);
    return;
  }
  uv_tcp_nodelay(&conn->tcp, 1);
  record_peer(conn);
  if (server->options.idle_timeout_ms > 0)
    uv_timer_start(&conn->idle_timer, on_idle_timeout,
                   server->options.idle_timeout_ms,
                   server->options.idle_timeout_ms);
  conn_flush(conn); /* our SETTINGS */
}

int rt_server_listen(rt_server_t *server, const char *address,
                     rt_error_t *err) {
  struct sockaddr_storage addr;
  int len = sizeof(addr);
  int rc;

  rc = rt_server_parse_address(address, &addr, err);
  if (rc != 0)
    return rc;
  if (server->listener_open)
    return rt_error_set(err, RT_EINVAL, "listen", "already listening");
  uv_tcp_init(server->loop, &server->listener);
  server->listener.data = server;
  server->listener_open = 1;
  server->handles_open++;
  rc = uv_tcp_bind(&server->listener, (const struct sockaddr *)&addr, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&server->listener, 511, on_connection);
  if (rc == 0)
    rc = uv_tcp_getsockname(&server->listener, (struct sockaddr *)&addr, &len);
  if (rc != 0)
    return rt_error_set(err, RT_EIO, "listen", "cannot listen on %s: %s",
                        address, uv_strerror(rc));
  format_address(&addr, server->address, sizeof(server->address));
  server->port = ntohs(addr.ss_family == AF_INET6
                           ? ((struct sockaddr_in6 *)&addr)->sin6_port
                           : ((struct sockaddr_in *)&addr)->sin_port);
  return 0;
}

/* ---- shutdown ----------------------------------------------------------- */

int rt_server_add_drain_hook(rt_server_t *server, void (*hook)(void *arg),
                             void *arg) {
  if (server->drain_hook_count >= RT_SERVER_MAX_DRAIN_HOOKS)
    return RT_ENOMEM;
  server->drain_hooks[server->drain_hook_count].hook = hook;
  server->drain_hooks[server->drain_hook_count].arg = arg;
  server->drain_hook_count++;
  return 0;
}

int rt_server_is_draining(const rt_server_t *server) {
  return server->draining;
}

static void server_check_done(rt_server_t *server) {
  if (!server->draining || server->done_called || server->conn_count > 0)
    return;
  server->done_called = 1;
  uv_timer_stop(&server->grace_timer);
  if (server->done != NULL)
    server->done(server, server->done_arg);
}

/* Grace is over: the remaining connections are dropped, which cancels
 * their calls (the handlers' cancel() runs). */
static void on_grace_expired(uv_timer_t *timer) {
  rt_server_t *server = timer->data;
  rt_conn_t *conn, *next;

  for (conn = server->conns; conn != NULL; conn = next) {
    next = conn->next;
    rt_log(RT_LOG_INFO, "shutdown grace expired: closing %s with %zu calls",
           conn->peer, conn->call_count);
    conn_close(conn);
  }
  server_check_done(server);
}

void rt_server_shutdown(rt_server_t *server, uint64_t grace_ms,
                        void (*done)(rt_server_t *server, void *arg),
                        void *arg) {
  rt_conn_t *conn;
  size_t i;

  if (server->draining)
    return;
  server->draining = 1;
  server->done = done;
  server->done_arg = arg;
  if (server->listener_open) {
    server->listener_open = 0;
    uv_close((uv_handle_t *)&server->listener, server_handle_closed);
  }
  for (i = 0; i < server->drain_hook_count; i++)
    server->drain_hooks[i].hook(server->drain_hooks[i].arg);
  for (conn = server->conns; conn != NULL; conn = conn->next) {
    nghttp2_submit_goaway(
        conn->session, NGHTTP2_FLAG_NONE,
        nghttp2_session_get_last_proc_stream_id(conn->session),
        NGHTTP2_NO_ERROR, NULL, 0);
    rt_server_conn_want_flush(conn);
  }
  uv_timer_start(&server->grace_timer, on_grace_expired, grace_ms, 0);
  server_check_done(server);
}

/* Frees the server once rt_server_free was called and libuv closed the
 * server's handles and every connection's. */
static void server_release(rt_server_t *server) {
  size_t i;

  if (!server->freeing || server->handles_open > 0 || server->closing_conns > 0)
    return;
  for (i = 0; i < server->service_count; i++)
    free(server->services[i]);
  free(server->services);
  free(server->methods);
  free(server);
}

static void server_handle_closed(uv_handle_t *handle) {
  rt_server_t *server = handle->data;

  server->handles_open--;
  server_release(server);
}

void rt_server_free(rt_server_t *server) {
  if (server == NULL)
    return;
  server->freeing = 1;
  server->done = NULL;
  while (server->conns != NULL)
    conn_close(server->conns);
  if (server->listener_open) {
    server->listener_open = 0;
    uv_close((uv_handle_t *)&server->listener, server_handle_closed);
  }
  uv_close((uv_handle_t *)&server->flush_idle, server_handle_closed);
  uv_close((uv_handle_t *)&server->grace_timer, server_handle_closed);
}
