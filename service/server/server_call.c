/*
 * server_call: one gRPC call on one HTTP/2 stream, and the rt_call_*
 * functions handlers use.
 *
 * Request side: headers are collected (bounded by max_header_list_bytes),
 * then checked in the order of PROTOCOL-HTTP2: :method POST (else HTTP
 * 405), content-type application/grpc[+proto] (else HTTP 415), a
 * registered :path (else UNIMPLEMENTED), a well-formed grpc-timeout
 * (which arms a uv timer). "te: trailers" is not required: PROTOCOL-HTTP2
 * has clients send it, but servers such as grpc-go accept requests
 * without it (some proxies strip it), and so do we; nghttp2 itself
 * rejects a te with any other value. DATA bytes go through the
 * rt_grpc decoder; compressed messages (grpc-encoding gzip or deflate, as
 * clients configured to compress send them) are decompressed within the
 * size limit. Unary and server-streaming methods get handle() once,
 * after the client half-closed, with exactly one message; bidi methods get
 * handle() per message and a final NULL at half-close. Either way the
 * call is only put on its connection's ready queue while the input is
 * parsed, and handle() runs at its turn (server_conn dispatches it once the
 * buffer was parsed to its end, and for unary and server streaming only
 * while the connection is under its pending bound), so that a stream the
 * client reset in the same packet never reaches a handler.
 *
 * Request headers past max_header_list_bytes make the call fail with
 * RESOURCE_EXHAUSTED; a header list that decodes to HEADER_BOMB_FACTOR
 * times that is a compression bomb, and ends the connection rather than
 * being decoded on. Through a trusted proxy, the last x-forwarded-for
 * entry names the client in the log and in rt_call_peer. The request
 * bytes a connection's calls hold before their handlers take them are
 * bounded too (REQUEST_HOLD_FACTOR): a client cannot park a hundred
 * unfinished 4 MiB messages on one connection.
 *
 * Response side: messages are framed into a per-call queue drained by an
 * nghttp2 data provider, so HTTP/2 flow control paces them; the queued
 * bytes are reported to server_conn, which bounds them per connection and
 * in total. Trailers are submitted by the provider when the queue is empty
 * and the call has ended. A call ended before anything was sent is
 * answered trailers-only (one HEADERS frame with END_STREAM). A response
 * that does not move for the stall timeout is reset (RST_STREAM CANCEL):
 * its trailers could not get through a closed window anyway.
 *
 * Ownership: the call lives until its stream closes (or its connection
 * drops), when server_conn hands it back through the closed event. If
 * that happens while the handler still owns it, the method's cancel()
 * runs first. Nothing here flushes synchronously; see server_conn.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_grpc.h"
#include "rt_log.h"
#include "server_call.h"
#include "server_methods.h"
#include "server_peers.h"

/* A header list decoding to this many times max_header_list_bytes is a
 * compression bomb, not a request with too many headers. */
#define HEADER_BOMB_FACTOR 4
/* Request bytes a connection's calls may hold before their handlers have
 * them (messages arriving, requests waiting for their turn), in messages
 * of max_message_bytes: four of the largest at once, whatever the number
 * of streams. */
#define REQUEST_HOLD_FACTOR 4

/* One framed response message waiting for the data provider. */
typedef struct out_chunk {
  struct out_chunk *next;
  size_t len;
  size_t offset; /* bytes already handed to nghttp2 */
  uint8_t data[];
} out_chunk_t;

/* A bidi request message waiting for its call's turn. */
typedef struct in_message {
  struct in_message *next;
  size_t len;
  uint8_t data[];
} in_message_t;

/* One request header, name and value NUL-terminated in one allocation. */
typedef struct header {
  char *name;
  char *value;
} header_t;

struct rt_call {
  server_stream_t stream;    /* first: the connection's view of the call */
  const rt_method_t *method; /* NULL until routed */
  const char *path;          /* for the log line, "-" until known */

  header_t *headers;
  size_t header_count, header_cap;
  size_t header_bytes; /* HTTP/2 accounting: name + value + 32 */
  int headers_too_big;

  rt_grpc_decoder_t decoder;
  uint8_t *request; /* unary / server streaming: the one message */
  size_t request_len;
  unsigned request_count;
  in_message_t *inbox_head, *inbox_tail; /* bidi: messages not handled */
  int half_close_handled;                /* bidi: handle(NULL) was called */
  size_t request_held; /* bytes counted in conn->request_bytes */
  char *peer; /* "client via proxy" (malloc'd), or NULL: the connection's */

  int handled;          /* handle() was called */
  int holding;          /* counts in its connection's holds */
  int ended;            /* the status is decided */
  int response_started; /* response HEADERS + data provider submitted */
  int remote_closed;    /* the client half-closed */
  int status;           /* final gRPC status, or HTTP status if http_error */
  int http_error;       /* answered with a non-200 :status */
  int stall_reset;      /* reset because its response did not move */
  char *status_message; /* malloc'd or NULL */

  out_chunk_t *out_head, *out_tail;
  void (*drained)(rt_call_t *call);
  int drain_due;

  uv_timer_t *deadline_timer; /* malloc'd, closed and freed on its own */
  uint64_t deadline_ms;
  uint64_t start_ns;
  void *data;
};

#define NV(name, value)                                                        \
  {                                                                            \
    (uint8_t *)(name), (uint8_t *)(value), sizeof(name) - 1, strlen(value),    \
        NGHTTP2_NV_FLAG_NONE                                                   \
  }

static void call_end(rt_call_t *call, int status, const char *message);

/* The call's handler has its request, or the call is over: the bytes it
 * held no longer count against its connection. */
static void release_request(rt_call_t *call) {
  call->stream.conn->request_bytes -= call->request_held;
  call->request_held = 0;
}

static const rt_server_options_t *call_options(const rt_call_t *call) {
  return call->stream.conn->conns->options;
}

static nghttp2_session *call_session(const rt_call_t *call) {
  return call->stream.conn->session;
}

/* ---- a new call: its stream's headers ----------------------------------- *
 * The call_* functions taking a server_stream_t are the events
 * server_conn reports (server_call_events, below). */

static server_stream_t *call_open(server_conn_t *conn, int32_t id) {
  rt_call_t *call = calloc(1, sizeof(*call));

  if (call == NULL)
    return NULL;
  call->stream.conn = conn;
  call->stream.id = id;
  call->path = "-";
  call->start_ns = uv_hrtime();
  rt_grpc_decoder_init(&call->decoder, call_options(call)->max_message_bytes);
  return &call->stream;
}

static int call_header(server_stream_t *stream, const uint8_t *name,
                       size_t name_len, const uint8_t *value,
                       size_t value_len) {
  rt_call_t *call = (rt_call_t *)stream;
  header_t *header;
  char *block;

  /* RFC 9113 section 6.5.2: each field counts name + value + 32. */
  call->header_bytes += name_len + value_len + 32;
  if (call->header_bytes > call_options(call)->max_header_list_bytes)
    call->headers_too_big = 1;
  if (call->header_bytes >
      HEADER_BOMB_FACTOR * call_options(call)->max_header_list_bytes)
    return RT_ETOOBIG;
  if (call->headers_too_big)
    return 0;
  if (call->header_count == call->header_cap) {
    size_t cap = call->header_cap ? call->header_cap * 2 : 16;
    header_t *grown = realloc(call->headers, cap * sizeof(*grown));
    if (grown == NULL)
      return RT_ENOMEM;
    call->headers = grown;
    call->header_cap = cap;
  }
  block = malloc(name_len + value_len + 2);
  if (block == NULL)
    return RT_ENOMEM;
  memcpy(block, name, name_len);
  block[name_len] = '\0';
  memcpy(block + name_len + 1, value, value_len);
  block[name_len + 1 + value_len] = '\0';
  header = &call->headers[call->header_count++];
  header->name = block;
  header->value = block + name_len + 1;
  return 0;
}

static const char *find_header(const rt_call_t *call, const char *name) {
  size_t i;

  for (i = 0; i < call->header_count; i++) {
    if (strcmp(call->headers[i].name, name) == 0)
      return call->headers[i].value;
  }
  return NULL;
}

static const char *find_last_header(const rt_call_t *call, const char *name) {
  size_t i = call->header_count;

  while (i-- > 0) {
    if (strcmp(call->headers[i].name, name) == 0)
      return call->headers[i].value;
  }
  return NULL;
}

/* Through a trusted proxy: the client is the last entry of the last
 * x-forwarded-for field (the one the proxy added; earlier entries are
 * whatever the client claimed). Anything but a bare IP address is
 * ignored. */
static void take_forwarded_peer(rt_call_t *call) {
  const char *forwarded = find_last_header(call, "x-forwarded-for");
  const char *last;
  char address[64];
  size_t len;

  if (!call->stream.conn->trusted_proxy || forwarded == NULL)
    return;
  last = strrchr(forwarded, ',');
  last = last != NULL ? last + 1 : forwarded;
  while (*last == ' ' || *last == '\t')
    last++;
  len = strcspn(last, " \t");
  if (len == 0 || len >= sizeof(address))
    return;
  memcpy(address, last, len);
  address[len] = '\0';
  if (!server_peer_text_is_address(address)) {
    rt_log(RT_LOG_DEBUG, "%s sent an x-forwarded-for that is not an address",
           call->stream.conn->peer);
    return;
  }
  if (asprintf(&call->peer, "%s via %s", address, call->stream.conn->peer) < 0)
    call->peer = NULL;
}

/* ---- responses ---------------------------------------------------------- */

static ssize_t read_response(nghttp2_session *session, int32_t stream_id,
                             uint8_t *buf, size_t length, uint32_t *data_flags,
                             nghttp2_data_source *source, void *user_data);

static int start_response(rt_call_t *call) {
  nghttp2_nv headers[] = {NV(":status", "200"),
                          NV("content-type", "application/grpc"),
                          NV("grpc-accept-encoding", RT_GRPC_ACCEPT_ENCODING)};
  nghttp2_data_provider provider;
  int rv;

  if (call->response_started)
    return 0;
  provider.source.ptr = call;
  provider.read_callback = read_response;
  rv = nghttp2_submit_response(call_session(call), call->stream.id, headers,
                               sizeof(headers) / sizeof(headers[0]), &provider);
  if (rv != 0)
    return RT_ENOMEM;
  call->response_started = 1;
  return 0;
}

/* Fills "grpc-status" (and "grpc-message" when there is one) into nva,
 * returns how many. *encoded must be freed by the caller. */
static size_t status_fields(const rt_call_t *call, nghttp2_nv *nva,
                            char status_text[4], char **encoded) {
  size_t n = 0;

  snprintf(status_text, 4, "%d", call->status);
  nva[n++] = (nghttp2_nv)NV("grpc-status", status_text);
  *encoded = NULL;
  if (call->status_message != NULL &&
      rt_grpc_percent_encode(call->status_message, strlen(call->status_message),
                             encoded) == 0)
    nva[n++] = (nghttp2_nv)NV("grpc-message", *encoded);
  return n;
}

static int submit_trailers(rt_call_t *call) {
  nghttp2_nv nva[2];
  char status_text[4];
  char *encoded;
  size_t n = status_fields(call, nva, status_text, &encoded);
  int rv = nghttp2_submit_trailer(call_session(call), call->stream.id, nva, n);

  free(encoded);
  return rv;
}

/* The whole response in one HEADERS frame with END_STREAM. */
static int submit_trailers_only(rt_call_t *call) {
  nghttp2_nv nva[5] = {NV(":status", "200"),
                       NV("content-type", "application/grpc"),
                       NV("grpc-accept-encoding", RT_GRPC_ACCEPT_ENCODING)};
  char status_text[4];
  char *encoded;
  size_t n = 3 + status_fields(call, nva + 3, status_text, &encoded);
  int rv = nghttp2_submit_response(call_session(call), call->stream.id, nva, n,
                                   NULL);

  free(encoded);
  return rv;
}

/* The data provider: hands queued bytes to nghttp2 as flow control
 * allows; once the queue is empty and the call ended, adds the trailers. */
static ssize_t read_response(nghttp2_session *session, int32_t stream_id,
                             uint8_t *buf, size_t length, uint32_t *data_flags,
                             nghttp2_data_source *source, void *user_data) {
  rt_call_t *call = source->ptr;
  size_t copied = 0;
  (void)session;
  (void)stream_id;
  (void)user_data;

  if (call->stall_reset)
    return NGHTTP2_ERR_DEFERRED; /* the RST_STREAM on its way closes it */
  while (copied < length && call->out_head != NULL) {
    out_chunk_t *chunk = call->out_head;
    size_t take = chunk->len - chunk->offset;
    if (take > length - copied)
      take = length - copied;
    memcpy(buf + copied, chunk->data + chunk->offset, take);
    chunk->offset += take;
    copied += take;
    if (chunk->offset == chunk->len) {
      call->out_head = chunk->next;
      if (call->out_head == NULL)
        call->out_tail = NULL;
      free(chunk);
    }
  }
  server_stream_taken(&call->stream, copied);
  if (call->stream.pending_bytes == 0 && call->drained != NULL)
    call->drain_due = 1;
  if (call->out_head == NULL && call->ended) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    if (submit_trailers(call) != 0)
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return (ssize_t)copied;
  }
  if (copied == 0)
    return NGHTTP2_ERR_DEFERRED;
  return (ssize_t)copied;
}

/* Queues one framed message. Returns 0, RT_ETOOBIG or RT_ENOMEM. */
static int queue_message(rt_call_t *call, const uint8_t *message, size_t len) {
  out_chunk_t *chunk;

  if (len > call_options(call)->max_message_bytes)
    return RT_ETOOBIG;
  chunk = malloc(sizeof(*chunk) + RT_GRPC_PREFIX_LEN + len);
  if (chunk == NULL)
    return RT_ENOMEM;
  chunk->next = NULL;
  chunk->len = RT_GRPC_PREFIX_LEN + len;
  chunk->offset = 0;
  rt_grpc_prefix_encode(chunk->data, len, 0);
  if (len > 0)
    memcpy(chunk->data + RT_GRPC_PREFIX_LEN, message, len);
  if (call->out_tail)
    call->out_tail->next = chunk;
  else
    call->out_head = chunk;
  call->out_tail = chunk;
  server_stream_queued(&call->stream, chunk->len);
  return 0;
}

/* Drops queued messages, except (keep_partial) one already partly sent:
 * cutting it would leave the client a truncated message instead of a
 * status. */
static void discard_output(rt_call_t *call, int keep_partial) {
  out_chunk_t *chunk = call->out_head;
  out_chunk_t *keep = NULL;
  size_t dropped = 0;

  if (keep_partial && chunk != NULL && chunk->offset > 0) {
    keep = chunk;
    chunk = chunk->next;
    keep->next = NULL;
  }
  while (chunk != NULL) {
    out_chunk_t *next = chunk->next;
    dropped += chunk->len - chunk->offset;
    free(chunk);
    chunk = next;
  }
  call->out_head = call->out_tail = keep;
  server_stream_taken(&call->stream, dropped);
}

/* The call no longer holds its connection (rt_call_hold_connection):
 * the calls waiting behind it may start. */
static void release_hold(rt_call_t *call) {
  server_conn_t *conn = call->stream.conn;

  if (!call->holding)
    return;
  call->holding = 0;
  conn->holds--;
  if (conn->ready_count > 0 && !server_conn_over_bound(conn))
    server_conn_want_flush(conn);
}

/* Decides the call's status and schedules what carries it. */
static void call_end(rt_call_t *call, int status, const char *message) {
  if (call->ended)
    return;
  call->ended = 1;
  release_hold(call);
  call->stream.running = 0;
  release_request(call);
  call->status = status;
  if (message != NULL && message[0] != '\0')
    call->status_message = strdup(message);
  if (call->deadline_timer != NULL)
    uv_timer_stop(call->deadline_timer);
  if (call->response_started)
    nghttp2_session_resume_data(call_session(call), call->stream.id);
  else if (submit_trailers_only(call) != 0)
    nghttp2_submit_rst_stream(call_session(call), NGHTTP2_FLAG_NONE,
                              call->stream.id, NGHTTP2_INTERNAL_ERROR);
  server_conn_want_flush(call->stream.conn);
}

/* The transport ends a call: the handler, if it owns it, is cancelled. */
static void call_abort(rt_call_t *call, int status, const char *message) {
  if (call->ended)
    return;
  if (call->handled && call->method->cancel != NULL)
    call->method->cancel(call);
  discard_output(call, 1);
  call_end(call, status, message);
}

/* Answers with a bare HTTP status (the request is not gRPC at all). */
static void call_http_error(rt_call_t *call, int http_status) {
  char status_text[4];
  nghttp2_nv nva[1];

  snprintf(status_text, sizeof(status_text), "%d", http_status);
  nva[0] = (nghttp2_nv)NV(":status", status_text);
  call->ended = 1;
  call->stream.running = 0;
  release_request(call);
  call->http_error = 1;
  call->status = http_status;
  if (nghttp2_submit_response(call_session(call), call->stream.id, nva, 1,
                              NULL) != 0)
    nghttp2_submit_rst_stream(call_session(call), NGHTTP2_FLAG_NONE,
                              call->stream.id, NGHTTP2_INTERNAL_ERROR);
  server_conn_want_flush(call->stream.conn);
}

/* ---- request ------------------------------------------------------------ */

/* A call waiting for its connection's unread responses to drain cannot
 * wait any longer: the server says why it never started. */
static void end_waiting(rt_call_t *call, const char *what) {
  const rt_server_options_t *options = call_options(call);
  char message[300];

  server_conn_unready(&call->stream);
  call->stream.conn->conns->calls_not_started++;
  snprintf(message, sizeof(message),
           "%s: the connection holds %zu bytes of responses its client has "
           "not read (limit %zu per connection, %zu in all)",
           what, call->stream.conn->pending_bytes,
           options->max_pending_bytes_per_connection,
           options->max_pending_bytes);
  call_end(call, RT_GRPC_RESOURCE_EXHAUSTED, message);
}

static void on_deadline(uv_timer_t *timer) {
  rt_call_t *call = timer->data;

  if (call->stream.ready && call->stream.gated && !call->handled)
    end_waiting(call, "the deadline passed before the call could start");
  else
    call_abort(call, RT_GRPC_DEADLINE_EXCEEDED, "deadline exceeded");
}

static int is_grpc_content_type(const char *value) {
  static const char base[] = "application/grpc";
  size_t n = sizeof(base) - 1;

  if (value == NULL || strncasecmp(value, base, n) != 0)
    return 0;
  if (value[n] == '\0' || value[n] == ';')
    return 1;
  return strncasecmp(value + n, "+proto", 6) == 0 &&
         (value[n + 6] == '\0' || value[n + 6] == ';');
}

/* Arms the deadline from grpc-timeout. Returns 0 or RT_EINVAL. */
static int start_deadline(rt_call_t *call, const char *timeout) {
  uv_loop_t *loop = call->stream.conn->conns->loop;
  uint64_t timeout_us, timeout_ms;

  if (rt_grpc_timeout_parse(timeout, strlen(timeout), &timeout_us) != 0)
    return RT_EINVAL;
  timeout_ms = (timeout_us + 999) / 1000;
  call->deadline_ms = uv_now(loop) + timeout_ms;
  call->deadline_timer = malloc(sizeof(*call->deadline_timer));
  if (call->deadline_timer == NULL)
    return RT_ENOMEM;
  uv_timer_init(loop, call->deadline_timer);
  call->deadline_timer->data = call;
  uv_timer_start(call->deadline_timer, on_deadline, timeout_ms, 0);
  return 0;
}

static void call_headers_done(server_stream_t *stream) {
  rt_call_t *call = (rt_call_t *)stream;
  const char *method = find_header(call, ":method");
  const char *path = find_header(call, ":path");
  const char *timeout = find_header(call, "grpc-timeout");
  char message[300];

  if (path != NULL)
    call->path = path;
  take_forwarded_peer(call);
  if (call->headers_too_big) {
    snprintf(message, sizeof(message),
             "request headers exceed the limit of %zu bytes",
             call_options(call)->max_header_list_bytes);
    call_end(call, RT_GRPC_RESOURCE_EXHAUSTED, message);
  } else if (method == NULL || strcmp(method, "POST") != 0) {
    call_http_error(call, 405);
  } else if (!is_grpc_content_type(find_header(call, "content-type"))) {
    call_http_error(call, 415);
  } else if (path == NULL ||
             (call->method = server_methods_find(
                  server_conn_data(call->stream.conn), path)) == NULL) {
    snprintf(message, sizeof(message), "unknown method %.250s",
             path ? path : "");
    call_end(call, RT_GRPC_UNIMPLEMENTED, message);
  } else if (timeout != NULL && start_deadline(call, timeout) != 0) {
    snprintf(message, sizeof(message), "malformed grpc-timeout \"%.32s\"",
             timeout);
    call_end(call, RT_GRPC_INTERNAL, message);
  }
}

/* Compressed messages (PROTOCOL-HTTP2, "Compressed-Flag"): gzip and
 * deflate are decompressed into *plain (which the caller frees), within the
 * message size limit; other encodings get UNIMPLEMENTED, and the
 * grpc-accept-encoding of the answer tells the client what to use.
 * Returns 0 when the message may be delivered, -1 when the call ended. */
static int decompress(rt_call_t *call, const rt_grpc_message_t *msg,
                      uint8_t **plain, size_t *plain_len) {
  const char *encoding = find_header(call, "grpc-encoding");
  size_t limit = call_options(call)->max_message_bytes;
  char message[200];
  int rc;

  *plain = NULL;
  if (!msg->compressed)
    return 0;
  if (encoding == NULL || strcmp(encoding, "identity") == 0) {
    call_abort(call, RT_GRPC_INTERNAL,
               "compressed flag set without a grpc-encoding");
    return -1;
  }
  if (!rt_grpc_encoding_supported(encoding)) {
    snprintf(message, sizeof(message),
             "compression \"%.64s\" is not supported (grpc-accept-encoding: "
             "%s)",
             encoding, RT_GRPC_ACCEPT_ENCODING);
    call_abort(call, RT_GRPC_UNIMPLEMENTED, message);
    return -1;
  }
  rc = rt_grpc_inflate(encoding, msg->data, msg->len, limit, plain, plain_len);
  if (rc == RT_ETOOBIG) {
    snprintf(message, sizeof(message),
             "decompressed request message exceeds the limit of %zu bytes",
             limit);
    call_abort(call, RT_GRPC_RESOURCE_EXHAUSTED, message);
  } else if (rc == RT_ENOMEM) {
    call_abort(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
  } else if (rc != 0) {
    snprintf(message, sizeof(message),
             "request message does not decompress as %.64s", encoding);
    call_abort(call, RT_GRPC_INTERNAL, message);
  }
  return rc == 0 ? 0 : -1;
}

/* Bidi: the message waits in the inbox for the call's turn. */
static void deliver_later(rt_call_t *call, const rt_grpc_message_t *msg) {
  in_message_t *in = malloc(sizeof(*in) + msg->len);

  if (in == NULL) {
    call_abort(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  in->next = NULL;
  in->len = msg->len;
  if (msg->len > 0)
    memcpy(in->data, msg->data, msg->len);
  if (call->inbox_tail)
    call->inbox_tail->next = in;
  else
    call->inbox_head = in;
  call->inbox_tail = in;
  server_conn_ready(&call->stream, 0);
}

static void deliver(rt_call_t *call, const rt_grpc_message_t *msg) {
  if (call->method->type == RT_METHOD_BIDI_STREAMING) {
    deliver_later(call, msg);
    return;
  }
  if (++call->request_count > 1) {
    call_abort(call, RT_GRPC_INTERNAL,
               "more than one request message for a unary or "
               "server-streaming method");
    return;
  }
  call->request = malloc(msg->len > 0 ? msg->len : 1);
  if (call->request == NULL) {
    call_abort(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  if (msg->len > 0)
    memcpy(call->request, msg->data, msg->len);
  call->request_len = msg->len;
}

/* What the call holds of its request before a handler takes it: the
 * message waiting for dispatch, the bidi messages in the inbox, and the
 * room the decoder reserved for a message still arriving (its declared
 * length: the decoder allocates it when the prefix arrives). */
static size_t request_bytes_held(const rt_call_t *call) {
  size_t held = call->request != NULL ? call->request_len : 0;
  const in_message_t *in;

  for (in = call->inbox_head; in != NULL; in = in->next)
    held += in->len;
  if (!rt_grpc_decoder_at_boundary(&call->decoder))
    held += rt_grpc_decoder_declared_len(&call->decoder);
  return held;
}

/* Brings the connection's count of held request bytes up to date; over
 * its bound, the call ends instead (and holds nothing). */
static void count_request(rt_call_t *call) {
  server_conn_t *conn = call->stream.conn;
  size_t limit = REQUEST_HOLD_FACTOR * call_options(call)->max_message_bytes;
  size_t held = call->ended ? 0 : request_bytes_held(call);
  char message[200];

  conn->request_bytes = conn->request_bytes - call->request_held + held;
  call->request_held = held;
  if (call->ended || conn->request_bytes <= limit)
    return;
  snprintf(message, sizeof(message),
           "the requests in progress on this connection hold more than %zu "
           "bytes",
           limit);
  call_abort(call, RT_GRPC_RESOURCE_EXHAUSTED, message);
}

static void call_data(server_stream_t *stream, const uint8_t *data,
                      size_t len) {
  rt_call_t *call = (rt_call_t *)stream;
  rt_grpc_message_t msg;
  uint8_t *plain;
  size_t plain_len;
  char message[200];
  int rc;

  while (!call->ended && call->method != NULL) {
    rc = rt_grpc_decoder_next(&call->decoder, &data, &len, &msg);
    if (rc == 0) {
      count_request(call);
      return;
    }
    if (rc == RT_ETOOBIG) {
      snprintf(message, sizeof(message),
               "request message of %zu bytes exceeds the limit of %zu bytes",
               rt_grpc_decoder_declared_len(&call->decoder),
               call_options(call)->max_message_bytes);
      call_abort(call, RT_GRPC_RESOURCE_EXHAUSTED, message);
      return;
    }
    if (rc < 0) {
      call_abort(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
      return;
    }
    if (decompress(call, &msg, &plain, &plain_len) != 0)
      return;
    if (plain != NULL) {
      msg.data = plain;
      msg.len = plain_len;
    }
    deliver(call, &msg);
    free(plain);
  }
  count_request(call);
}

static void call_remote_end(server_stream_t *stream) {
  rt_call_t *call = (rt_call_t *)stream;

  call->remote_closed = 1;
  if (call->ended || call->method == NULL)
    return;
  if (!rt_grpc_decoder_at_boundary(&call->decoder)) {
    call_abort(call, RT_GRPC_INTERNAL, "request stream ended inside a message");
    return;
  }
  if (call->method->type == RT_METHOD_BIDI_STREAMING) {
    server_conn_ready(&call->stream, 0);
    return;
  }
  if (call->request_count == 0) {
    call_end(call, RT_GRPC_INTERNAL, "no request message");
    return;
  }
  /* Waits for its turn: the rest of this input may reset it, and its
   * connection may hold too many unread responses to take more. */
  server_conn_ready(&call->stream, 1);
}

/* Bidi: hands over the messages that arrived, then the half-close. */
static void dispatch_bidi(rt_call_t *call) {
  while (call->inbox_head != NULL && !call->ended) {
    in_message_t *in = call->inbox_head;
    call->inbox_head = in->next;
    if (call->inbox_head == NULL)
      call->inbox_tail = NULL;
    call->handled = 1;
    call->stream.running = 1;
    call->method->handle(call, in->data, in->len);
    free(in);
  }
  if (call->remote_closed && !call->half_close_handled && !call->ended &&
      call->inbox_head == NULL) {
    call->half_close_handled = 1;
    call->handled = 1;
    call->stream.running = 1;
    call->method->handle(call, NULL, 0);
  }
}

/* The call's turn: its handler runs. */
static void call_dispatch(server_stream_t *stream) {
  rt_call_t *call = (rt_call_t *)stream;

  if (call->ended || call->method == NULL)
    return;
  if (call->method->type == RT_METHOD_BIDI_STREAMING) {
    dispatch_bidi(call);
    count_request(call);
    return;
  }
  if (call->handled || call->request == NULL)
    return;
  call->handled = 1;
  call->stream.running = 1;
  call->method->handle(call, call->request, call->request_len);
  free(call->request);
  call->request = NULL;
  count_request(call);
}

/* Nothing moved for the stall timeout. A call that never started is
 * answered; a response stuck behind a window that stays closed is reset,
 * since its trailers could not pass either. */
static void call_stalled(server_stream_t *stream, int waiting) {
  rt_call_t *call = (rt_call_t *)stream;
  uint64_t stall_s = call_options(call)->stall_timeout_ms / 1000;
  char what[80];

  if (waiting) {
    snprintf(what, sizeof(what), "the call waited %llu s to start",
             (unsigned long long)stall_s);
    end_waiting(call, what);
    return;
  }
  rt_log(RT_LOG_DEBUG,
         "%s: %s left %zu response bytes unread for %llu s: resetting the "
         "stream",
         rt_call_peer(call), call->path, call->stream.pending_bytes,
         (unsigned long long)stall_s);
  if (!call->ended && call->handled && call->method->cancel != NULL)
    call->method->cancel(call);
  if (!call->ended) {
    call->ended = 1;
    call->status = RT_GRPC_CANCELLED;
  }
  call->stream.conn->conns->streams_stalled++;
  call->stall_reset = 1;
  call->stream.running = 0;
  discard_output(call, 0);
  if (call->deadline_timer != NULL)
    uv_timer_stop(call->deadline_timer);
  nghttp2_submit_rst_stream(call_session(call), NGHTTP2_FLAG_NONE,
                            call->stream.id, NGHTTP2_CANCEL);
}

/* ---- end of life -------------------------------------------------------- */

static void free_handle(uv_handle_t *handle) { free(handle); }

static void log_call(rt_call_t *call) {
  double ms = (double)(uv_hrtime() - call->start_ns) / 1e6;
  char status[32];

  if (!rt_log_enabled(RT_LOG_INFO))
    return;
  if (!call->ended)
    snprintf(status, sizeof(status), "CANCELLED");
  else if (call->stall_reset)
    snprintf(status, sizeof(status), "STALLED");
  else if (call->http_error)
    snprintf(status, sizeof(status), "HTTP-%d", call->status);
  else
    snprintf(status, sizeof(status), "%s", rt_grpc_status_name(call->status));
  rt_log(RT_LOG_INFO, "call %.200s %s %.1fms peer %s", call->path, status, ms,
         rt_call_peer((rt_call_t *)call));
}

/* Tells the observer (rt_server_set_call_observer) how the call ended. */
static void observe_call(rt_call_t *call) {
  const server_methods_t *methods = server_conn_data(call->stream.conn);
  if (methods->observe == NULL)
    return;
  int status = call->status;
  if (!call->ended || call->stall_reset)
    status = RT_GRPC_CANCELLED;
  else if (call->http_error)
    status = RT_GRPC_UNIMPLEMENTED;
  methods->observe(call->method, status, uv_hrtime() - call->start_ns,
                   methods->observe_data);
}

/* The stream is gone: cancels the handler if it still owns the call,
 * logs the call, frees it. */
static void call_closed(server_stream_t *stream) {
  rt_call_t *call = (rt_call_t *)stream;
  size_t i;

  if (!call->ended && call->handled && call->method->cancel != NULL)
    call->method->cancel(call);
  release_hold(call);
  release_request(call);
  log_call(call);
  observe_call(call);
  if (call->deadline_timer != NULL)
    uv_close((uv_handle_t *)call->deadline_timer, free_handle);
  discard_output(call, 0);
  while (call->inbox_head != NULL) {
    in_message_t *in = call->inbox_head;
    call->inbox_head = in->next;
    free(in);
  }
  rt_grpc_decoder_free(&call->decoder);
  for (i = 0; i < call->header_count; i++)
    free(call->headers[i].name);
  free(call->headers);
  free(call->request);
  free(call->status_message);
  free(call->peer);
  free(call);
}

/* Fires a pending drained() callback, if any. */
static void call_flushed(server_stream_t *stream) {
  rt_call_t *call = (rt_call_t *)stream;
  void (*drained)(rt_call_t * call) = call->drained;

  if (!call->drain_due || drained == NULL)
    return;
  call->drain_due = 0;
  call->drained = NULL;
  if (!call->ended)
    drained(call);
}

/* What server_conn tells the calls layer. */
const server_stream_events_t server_call_events = {
    .open = call_open,
    .header = call_header,
    .headers_done = call_headers_done,
    .data = call_data,
    .remote_end = call_remote_end,
    .dispatch = call_dispatch,
    .stalled = call_stalled,
    .closed = call_closed,
    .flushed = call_flushed,
};

/* ---- rt_call_*: what handlers use --------------------------------------- */

void *rt_call_method_data(rt_call_t *call) { return call->method->data; }

void rt_call_set_data(rt_call_t *call, void *data) { call->data = data; }

void rt_call_hold_connection(rt_call_t *call) {
  if (call->ended || call->holding)
    return;
  call->holding = 1;
  call->stream.conn->holds++;
}

void *rt_call_data(rt_call_t *call) { return call->data; }

const char *rt_call_peer(rt_call_t *call) {
  return call->peer != NULL ? call->peer : call->stream.conn->peer;
}

const char *rt_call_metadata(rt_call_t *call, const char *key) {
  return find_header(call, key);
}

uint64_t rt_call_deadline_ms(rt_call_t *call) { return call->deadline_ms; }

int rt_call_reply(rt_call_t *call, const uint8_t *message, size_t len) {
  int rc;

  if (call->ended)
    return RT_EINVAL;
  rc = queue_message(call, message, len);
  if (rc == 0)
    rc = start_response(call);
  if (rc != 0) {
    discard_output(call, 1);
    call_end(call, RT_GRPC_INTERNAL,
             rc == RT_ETOOBIG ? "response message exceeds the size limit"
                              : "out of memory");
    return rc;
  }
  call_end(call, RT_GRPC_OK, NULL);
  return 0;
}

void rt_call_fail(rt_call_t *call, rt_grpc_status_t status,
                  const char *message) {
  call_end(call, status == RT_GRPC_OK ? RT_GRPC_UNKNOWN : (int)status, message);
}

int rt_call_send(rt_call_t *call, const uint8_t *message, size_t len) {
  int rc;

  if (call->ended)
    return RT_EINVAL;
  rc = queue_message(call, message, len);
  if (rc != 0)
    return rc;
  rc = start_response(call);
  if (rc != 0)
    return rc;
  nghttp2_session_resume_data(call_session(call), call->stream.id);
  server_conn_want_flush(call->stream.conn);
  return 0;
}

size_t rt_call_pending_bytes(rt_call_t *call) {
  return call->stream.pending_bytes;
}

void rt_call_on_drain(rt_call_t *call, void (*drained)(rt_call_t *call)) {
  call->drained = drained;
  if (call->stream.pending_bytes == 0) {
    call->drain_due = 1;
    server_conn_want_flush(call->stream.conn);
  }
}

void rt_call_finish(rt_call_t *call, rt_grpc_status_t status,
                    const char *message) {
  call_end(call, (int)status, message);
}
