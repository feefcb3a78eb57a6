/*
 * The blocking gRPC client: one non-blocking TCP socket driven by poll(),
 * an nghttp2 client session fed with nghttp2_session_mem_recv and drained
 * with nghttp2_session_mem_send, and one call (or one batch of unary
 * calls) in flight at a time. Over TLS, the handshake runs on the same
 * poll() loop right after connect, and then every byte to or from the
 * socket passes through the TLS session (rt_client_tls.c) between the
 * socket and nghttp2.
 *
 * Each call submits HEADERS + DATA (the request framed by rt_grpc), then
 * the socket is pumped until nghttp2 reports every stream closed, the
 * deadline passes or the caller's cancel flag rises. Streams the server
 * refused unprocessed (REFUSED_STREAM, GOAWAY) are sent again. Response DATA
 * goes through the shared incremental decoder (rt_grpc_decoder_t) with a 64 MiB
 * limit; messages go to a buffer (unary) or a callback (server streaming). The
 * final status follows grpc/doc/PROTOCOL-HTTP2.md and
 * http-grpc-status-mapping.md: the grpc-status trailer when present
 * (trailers-only included), else the HTTP status, else the RST_STREAM code,
 * else UNKNOWN. A connection that fails, closes, or had a call abandoned
 * mid-way (deadline, cancel) is dropped and re-opened by the next call.
 *
 * A mismatch of TLS and cleartext is caught from the first bytes the
 * server sends: a cleartext client that gets a TLS record, an HTTP/1.x
 * answer, or rectrackd's GOAWAY INADEQUATE_SECURITY says "try https://";
 * a TLS client whose server answers with something that is not a TLS
 * record says "the server does not speak TLS". Both end at once, not at
 * the deadline.
 */
#include "rt_client.h"

#include "rt_client_tls.h"
#include "rt_grpc.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 65536
#define STREAM_WINDOW (16 * 1024 * 1024)

typedef struct metadata {
  char *key;
  char *value;
} metadata_t;

typedef struct call {
  int32_t stream_id;
  uint8_t *body; /* framed request, malloc'd */
  size_t body_len;
  size_t body_sent;
  rt_grpc_decoder_t decoder;
  int http_status;
  bool saw_grpc_status;
  int grpc_status;
  char *bad_grpc_status; /* the value, when it is not a status code */
  char *grpc_message;
  char *content_type;
  bool closed;
  uint32_t rst_error;
  rt_client_message_cb on_message; /* NULL for unary */
  void *data;
  uint8_t *unary_message;
  size_t unary_len;
  size_t message_count;
  int local_code; /* set by the client itself; overrides the rest */
  char *local_message;
  rt_client_failure_t local_failure;
} call_t;

struct rt_client {
  char *host;
  char *port;
  char *target; /* HOST:PORT, without the scheme */
  bool tls;
  bool scheme_given; /* http:// or https:// was written out */
  bool ca_file;      /* tls_ctx verifies against a CA file */
  SSL_CTX *tls_ctx;  /* made by rt_client_use_tls or the first call */
  client_tls_t tls_conn;
  bool server_spoke; /* the server's SETTINGS arrived on this connection */
  uint64_t received; /* bytes received on this connection */
  int fd;
  nghttp2_session *session;
  metadata_t *metadata;
  size_t metadata_count;
  volatile sig_atomic_t *cancel_flag;
  uint8_t *out; /* bytes nghttp2 produced that the socket has not taken */
  size_t out_len;
  size_t out_cap;
  bool broken;    /* the connection must be dropped after this call */
  call_t **calls; /* the calls in flight (one, or a batch) */
  size_t call_count;
};

void rt_client_status_clear(rt_client_status_t *status) {
  free(status->message);
  status->message = NULL;
  status->code = 0;
  status->failure = RT_CLIENT_FAILURE_NONE;
}

const char *rt_client_status_name(int code) {
  return rt_grpc_status_name(code);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *vformat(const char *format, va_list ap) {
  va_list copy;
  va_copy(copy, ap);
  int len = vsnprintf(NULL, 0, format, copy);
  va_end(copy);
  char *text = malloc(len < 0 ? 1 : (size_t)len + 1);
  if (text != NULL)
    vsnprintf(text, len < 0 ? 1 : (size_t)len + 1, format, ap);
  return text;
}

/* Records an outcome decided on this side (first one wins). */
static void set_local(call_t *call, int code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static void set_local(call_t *call, int code, const char *format, ...) {
  if (call->local_code != 0)
    return;
  va_list ap;
  va_start(ap, format);
  call->local_message = vformat(format, ap);
  va_end(ap);
  call->local_code = code;
}

/* Records an outcome for every call still open: the connection failed,
 * for the reason failure says. */
static void fail_open(rt_client_t *client, int code,
                      rt_client_failure_t failure, const char *format, ...)
    __attribute__((format(printf, 4, 5)));
static void fail_open(rt_client_t *client, int code,
                      rt_client_failure_t failure, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  char *message = vformat(format, ap);
  va_end(ap);
  for (size_t i = 0; i < client->call_count; i++) {
    call_t *call = client->calls[i];
    if (call->local_code == 0)
      call->local_failure = failure;
    set_local(call, code, "%s", message ? message : "");
  }
  free(message);
}

/* Splits "host:port" or "[v6]:port". */
static int split_host_port(rt_client_t *client, const char *target) {
  const char *colon = strrchr(target, ':');
  const char *host = target;
  size_t host_len;
  if (strchr(target, '/') != NULL || colon == NULL || colon[1] == '\0')
    return -1;
  if (target[0] == '[') {
    const char *close = strchr(target, ']');
    if (close == NULL || close + 1 != colon)
      return -1;
    host = target + 1;
    host_len = (size_t)(close - host);
  } else {
    host_len = (size_t)(colon - target);
    if (memchr(target, ':', host_len) != NULL)
      return -1; /* a bare IPv6 literal needs brackets */
  }
  if (host_len == 0)
    return -1;
  client->host = strndup(host, host_len);
  client->port = strdup(colon + 1);
  client->target = strdup(target);
  return client->host && client->port && client->target ? 0 : -1;
}

/* The target after an optional http:// or https:// (which decides TLS);
 * https:// without a port means 443, where a TLS front listens. */
static int split_target(rt_client_t *client, const char *target) {
  if (strncmp(target, "https://", 8) == 0) {
    client->tls = client->scheme_given = true;
    target += 8;
  } else if (strncmp(target, "http://", 7) == 0) {
    client->scheme_given = true;
    target += 7;
  } else if (strstr(target, "://") != NULL) {
    return -1;
  }
  size_t len = strlen(target);
  bool has_port = target[0] == '[' ? len > 0 && target[len - 1] != ']'
                                   : strchr(target, ':') != NULL;
  if (!client->tls || has_port || len == 0)
    return split_host_port(client, target);
  char *with_port = NULL;
  if (asprintf(&with_port, "%s:443", target) < 0)
    return -1;
  int rc = split_host_port(client, with_port);
  free(with_port);
  return rc;
}

rt_client_t *rt_client_new(const char *target) {
  rt_client_t *client = calloc(1, sizeof(*client));
  if (client == NULL)
    return NULL;
  client->fd = -1;
  if (split_target(client, target) != 0) {
    rt_client_free(client);
    return NULL;
  }
  return client;
}

static void drop_connection(rt_client_t *client) {
  nghttp2_session_del(client->session);
  client->session = NULL;
  client_tls_close(&client->tls_conn);
  client->server_spoke = false;
  client->received = 0;
  if (client->fd >= 0)
    close(client->fd);
  client->fd = -1;
  client->out_len = 0;
  client->broken = false;
}

void rt_client_free(rt_client_t *client) {
  if (client == NULL)
    return;
  drop_connection(client);
  for (size_t i = 0; i < client->metadata_count; i++) {
    free(client->metadata[i].key);
    free(client->metadata[i].value);
  }
  free(client->metadata);
  free(client->out);
  SSL_CTX_free(client->tls_ctx);
  free(client->host);
  free(client->port);
  free(client->target);
  free(client);
}

int rt_client_add_metadata(rt_client_t *client, const char *key,
                           const char *value) {
  metadata_t *grown =
      realloc(client->metadata, (client->metadata_count + 1) * sizeof(*grown));
  if (grown == NULL)
    return -1;
  client->metadata = grown;
  metadata_t *entry = &client->metadata[client->metadata_count];
  entry->key = strdup(key);
  entry->value = strdup(value);
  if (entry->key == NULL || entry->value == NULL) {
    free(entry->key);
    free(entry->value);
    return -1;
  }
  client->metadata_count++;
  return 0;
}

void rt_client_set_cancel_flag(rt_client_t *client,
                               volatile sig_atomic_t *flag) {
  client->cancel_flag = flag;
}

int rt_client_use_tls(rt_client_t *client, int force, const char *ca_file,
                      char **message) {
  *message = NULL;
  if (force && client->scheme_given && !client->tls) {
    if (asprintf(message, "--tls conflicts with the http:// of %s",
                 client->target) < 0)
      *message = NULL;
    return -1;
  }
  if (force)
    client->tls = true;
  if (!client->tls)
    return 0;
  SSL_CTX_free(client->tls_ctx);
  client->tls_ctx = NULL;
  client->ca_file = ca_file != NULL;
  return client_tls_context_new(&client->tls_ctx, ca_file, message);
}

int rt_client_is_tls(const rt_client_t *client) { return client->tls; }

const char *rt_client_target(const rt_client_t *client) {
  return client->target;
}

/* ---- connecting -------------------------------------------------------- */

/* Waits for a non-blocking connect() on fd; returns 0 or an errno. */
static int wait_connected(int fd, int64_t deadline_ms) {
  for (;;) {
    int timeout = -1;
    if (deadline_ms > 0) {
      int64_t left = deadline_ms - now_ms();
      if (left <= 0)
        return ETIMEDOUT;
      timeout = left > 1000000 ? 1000000 : (int)left;
    }
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int n = poll(&pfd, 1, timeout);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno;
    if (n == 0)
      return ETIMEDOUT;
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0)
      return errno;
    return so_error;
  }
}

static int connect_one(const struct addrinfo *ai, int64_t deadline_ms,
                       int *error) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = errno;
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
  *error = rc == 0 ? 0 : errno;
  if (rc != 0 && errno == EINPROGRESS)
    *error = wait_connected(fd, deadline_ms);
  if (*error != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int open_socket(rt_client_t *client, int64_t deadline_ms) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  struct addrinfo *list = NULL;
  int rc = getaddrinfo(client->host, client->port, &hints, &list);
  if (rc != 0) {
    fail_open(client, 14, RT_CLIENT_FAILURE_CONNECT, "cannot resolve %s: %s",
              client->host, gai_strerror(rc));
    return -1;
  }
  int error = 0;
  for (struct addrinfo *ai = list; ai != NULL && client->fd < 0;
       ai = ai->ai_next)
    client->fd = connect_one(ai, deadline_ms, &error);
  freeaddrinfo(list);
  if (client->fd < 0) {
    if (error == ETIMEDOUT && deadline_ms > 0 && now_ms() >= deadline_ms)
      fail_open(client, 4, RT_CLIENT_FAILURE_NONE,
                "deadline exceeded while connecting to %s", client->target);
    else
      fail_open(client, 14, RT_CLIENT_FAILURE_CONNECT,
                "cannot connect to %s: %s", client->target, strerror(error));
    return -1;
  }
  return 0;
}

/* ---- nghttp2 callbacks ------------------------------------------------- */

static call_t *call_for(rt_client_t *client, int32_t stream_id) {
  for (size_t i = 0; i < client->call_count; i++) {
    if (client->calls[i]->stream_id == stream_id)
      return client->calls[i];
  }
  return NULL;
}

static void take_message(rt_client_t *client, call_t *call,
                         const rt_grpc_message_t *message) {
  call->message_count++;
  if (message->compressed) {
    set_local(call, 13, "server sent a compressed message; none was asked");
  } else if (call->on_message != NULL) {
    if (call->on_message(call->data, message->data, message->len) != 0)
      set_local(call, 1, "cancelled by the client");
  } else if (call->message_count > 1) {
    set_local(call, 13, "server sent more than one message for a unary call");
  } else {
    call->unary_message = malloc(message->len + 1);
    if (call->unary_message == NULL) {
      set_local(call, 8, "out of memory for a %zu-byte response", message->len);
    } else {
      memcpy(call->unary_message, message->data, message->len);
      call->unary_len = message->len;
    }
  }
  if (call->local_code != 0)
    nghttp2_submit_rst_stream(client->session, NGHTTP2_FLAG_NONE,
                              call->stream_id, NGHTTP2_CANCEL);
}

/* "application/grpc", optionally followed by "+proto" or parameters. */
static bool is_grpc_content_type(const char *ct) {
  return ct != NULL && strncmp(ct, "application/grpc", 16) == 0 &&
         (ct[16] == '\0' || ct[16] == '+' || ct[16] == ';');
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags,
                         int32_t stream_id, const uint8_t *data, size_t len,
                         void *user_data) {
  (void)session;
  (void)flags;
  rt_client_t *client = user_data;
  call_t *call = call_for(client, stream_id);
  /* The body of a non-gRPC answer (an HTML error page from a proxy) is not
   * length-prefixed messages: decoding it would turn "HTTP 503" into a
   * bogus size error. The status is decided from the headers instead. */
  if (call != NULL &&
      (call->http_status != 200 || (call->content_type != NULL &&
                                    !is_grpc_content_type(call->content_type))))
    return 0;
  while (call != NULL && call->local_code == 0 && len > 0) {
    rt_grpc_message_t message;
    int rc = rt_grpc_decoder_next(&call->decoder, &data, &len, &message);
    if (rc == 0)
      break;
    if (rc == 1) {
      take_message(client, call, &message);
      continue;
    }
    set_local(call, 8, "response message of %zu bytes exceeds the %u MiB limit",
              rt_grpc_decoder_declared_len(&call->decoder),
              RT_CLIENT_MAX_RECEIVE >> 20);
    nghttp2_submit_rst_stream(client->session, NGHTTP2_FLAG_NONE, stream_id,
                              NGHTTP2_CANCEL);
  }
  return 0;
}

static char *copy_value(const uint8_t *value, size_t len) {
  return strndup((const char *)value, len);
}

/* A grpc-status value is a decimal code 0..16 (PROTOCOL-HTTP2.md). */
static bool is_status_code(const uint8_t *value, size_t len) {
  int code = 0;
  if (len == 0 || len > 2)
    return false;
  for (size_t i = 0; i < len; i++) {
    if (value[i] < '0' || value[i] > '9')
      return false;
    code = code * 10 + (value[i] - '0');
  }
  return code <= 16;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame,
                     const uint8_t *name, size_t name_len, const uint8_t *value,
                     size_t value_len, uint8_t flags, void *user_data) {
  (void)session;
  (void)flags;
  call_t *call = call_for(user_data, frame->hd.stream_id);
  if (call == NULL)
    return 0;
  const char *key = (const char *)name;
  if (name_len == 7 && memcmp(key, ":status", 7) == 0) {
    char text[8] = {0};
    memcpy(text, value, value_len < 7 ? value_len : 7);
    call->http_status = atoi(text);
  } else if (name_len == 11 && memcmp(key, "grpc-status", 11) == 0) {
    call->saw_grpc_status = true;
    call->grpc_status = rt_grpc_status_parse((const char *)value, value_len);
    free(call->bad_grpc_status);
    call->bad_grpc_status = NULL;
    if (!is_status_code(value, value_len))
      call->bad_grpc_status =
          copy_value(value, value_len < 32 ? value_len : 32);
  } else if (name_len == 12 && memcmp(key, "grpc-message", 12) == 0) {
    free(call->grpc_message);
    call->grpc_message = NULL;
    rt_grpc_percent_decode((const char *)value, value_len, &call->grpc_message,
                           NULL);
  } else if (name_len == 12 && memcmp(key, "content-type", 12) == 0) {
    free(call->content_type);
    call->content_type = copy_value(value, value_len);
  }
  return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id,
                           uint32_t error_code, void *user_data) {
  (void)session;
  call_t *call = call_for(user_data, stream_id);
  if (call != NULL) {
    call->closed = true;
    call->rst_error = error_code;
  }
  return 0;
}

static ssize_t read_body(nghttp2_session *session, int32_t stream_id,
                         uint8_t *buf, size_t length, uint32_t *data_flags,
                         nghttp2_data_source *source, void *user_data) {
  (void)session;
  (void)stream_id;
  (void)user_data;
  call_t *call = source->ptr;
  size_t left = call->body_len - call->body_sent;
  size_t n = left < length ? left : length;
  memcpy(buf, call->body + call->body_sent, n);
  call->body_sent += n;
  if (call->body_sent == call->body_len)
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

/* The server's SETTINGS mean it speaks HTTP/2. */
static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame,
                         void *user_data) {
  rt_client_t *client = user_data;
  (void)session;
  if (frame->hd.type == NGHTTP2_SETTINGS)
    client->server_spoke = true;
  return 0;
}

static int open_session(rt_client_t *client) {
  nghttp2_session_callbacks *callbacks = NULL;
  if (nghttp2_session_callbacks_new(&callbacks) != 0)
    goto fail;
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks,
                                                       on_frame_recv);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks,
                                                            on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks,
                                                         on_stream_close);
  int rc = nghttp2_session_client_new(&client->session, callbacks, client);
  nghttp2_session_callbacks_del(callbacks);
  if (rc != 0)
    goto fail;
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
  };
  if (nghttp2_submit_settings(client->session, NGHTTP2_FLAG_NONE, settings,
                              2) != 0 ||
      nghttp2_session_set_local_window_size(client->session, NGHTTP2_FLAG_NONE,
                                            0, STREAM_WINDOW) != 0)
    goto fail;
  return 0;
fail:
  fail_open(client, 13, RT_CLIENT_FAILURE_NONE,
            "cannot set up the HTTP/2 session");
  return -1;
}

/* ---- pumping bytes ------------------------------------------------------ */

/* Room for len more bytes in the output buffer. */
static int reserve_output(rt_client_t *client, size_t len) {
  if (client->out_len + len <= client->out_cap)
    return 0;
  size_t cap = (client->out_len + len) * 2;
  uint8_t *grown = realloc(client->out, cap);
  if (grown == NULL)
    return -1;
  client->out = grown;
  client->out_cap = cap;
  return 0;
}

/* Moves the ciphertext TLS produced into the output buffer. */
static int move_tls_output(rt_client_t *client) {
  size_t len;
  while ((len = client_tls_output_len(&client->tls_conn)) > 0) {
    if (reserve_output(client, len) != 0)
      return -1;
    client->out_len += client_tls_take_output(
        &client->tls_conn, client->out + client->out_len, len);
  }
  return 0;
}

static int queue_output(rt_client_t *client) {
  bool tls = client->tls_conn.ssl != NULL;
  for (;;) {
    const uint8_t *data = NULL;
    ssize_t n = nghttp2_session_mem_send(client->session, &data);
    if (n < 0)
      return -1;
    if (n == 0)
      return tls ? move_tls_output(client) : 0;
    if (tls) {
      if (client_tls_write(&client->tls_conn, data, (size_t)n) != 0)
        return -1;
      continue;
    }
    if (reserve_output(client, (size_t)n) != 0)
      return -1;
    memcpy(client->out + client->out_len, data, (size_t)n);
    client->out_len += (size_t)n;
  }
}

static int write_output(rt_client_t *client) {
  while (client->out_len > 0) {
    ssize_t n = send(client->fd, client->out, client->out_len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return 0;
    if (n < 0)
      return -1;
    memmove(client->out, client->out + n, client->out_len - (size_t)n);
    client->out_len -= (size_t)n;
  }
  return 0;
}

static int session_input(rt_client_t *client, const uint8_t *data, size_t len) {
  ssize_t used = nghttp2_session_mem_recv(client->session, data, len);
  if (used < 0) {
    fail_open(client, 13, RT_CLIENT_FAILURE_NONE, "HTTP/2 error from %s: %s",
              client->target, nghttp2_strerror((int)used));
    return -1;
  }
  return 0;
}

/* rectrackd's answer to cleartext on its TLS port: a GOAWAY
 * INADEQUATE_SECURITY as the first frame, its debug data saying why. */
static bool is_tls_port_goaway(const uint8_t *data, size_t len, size_t *said) {
  if (len < 17 || data[3] != NGHTTP2_GOAWAY || data[13] != 0 || data[14] != 0 ||
      data[15] != 0 || data[16] != NGHTTP2_INADEQUATE_SECURITY)
    return false;
  size_t payload = ((size_t)data[0] << 16) | ((size_t)data[1] << 8) | data[2];
  size_t end = 9 + payload < len ? 9 + payload : len;
  *said = 0;
  while (17 + *said < end && *said < 120 && data[17 + *said] >= 0x20 &&
         data[17 + *said] < 0x7f)
    (*said)++;
  return true;
}

/* The first bytes a cleartext client gets, when they are not HTTP/2: a
 * TLS record (an alert or a ServerHello), an HTTP/1.x answer (nginx's
 * "plain HTTP request was sent to HTTPS port"), or rectrackd's GOAWAY.
 * Returns -1 then. */
static int check_cleartext_answer(rt_client_t *client, const uint8_t *data,
                                  size_t len) {
  size_t said = 0;
  if (is_tls_port_goaway(data, len, &said)) {
    fail_open(client, 14, RT_CLIENT_FAILURE_PROTOCOL,
              "the server at %s did not answer HTTP/2 in cleartext: is it a "
              "TLS port? try https://%s%s%.*s%s",
              client->target, client->target, said ? " (it said: " : "",
              (int)said, (const char *)data + 17, said ? ")" : "");
    return -1;
  }
  if (len >= 2 && (data[0] == 0x15 || data[0] == 0x16) && data[1] == 0x03) {
    fail_open(client, 14, RT_CLIENT_FAILURE_PROTOCOL,
              "the server at %s did not answer HTTP/2: it speaks TLS; try "
              "https://%s",
              client->target, client->target);
    return -1;
  }
  if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
    fail_open(client, 14, RT_CLIENT_FAILURE_PROTOCOL,
              "the server at %s answered HTTP/1.x, not HTTP/2: is it a TLS "
              "port (try https://%s) or not a gRPC server?",
              client->target, client->target);
    return -1;
  }
  return 0;
}

/* Decrypts what arrived and feeds the plaintext to nghttp2. */
static int tls_input(rt_client_t *client, const uint8_t *data, size_t len) {
  uint8_t plain[16384];
  char *message = NULL;
  if (client_tls_feed(&client->tls_conn, data, len) != 0) {
    fail_open(client, 8, RT_CLIENT_FAILURE_NONE, "out of memory");
    return -1;
  }
  for (;;) {
    int n = client_tls_read(&client->tls_conn, plain, sizeof(plain), &message);
    if (n == 0)
      return 0;
    if (n == -1) {
      fail_open(client, 14, RT_CLIENT_FAILURE_CONNECT,
                "connection to %s closed by the server", client->target);
      return -1;
    }
    if (n < 0) {
      fail_open(client, 14, RT_CLIENT_FAILURE_PROTOCOL, "%s from %s",
                message ? message : "TLS error", client->target);
      free(message);
      return -1;
    }
    if (session_input(client, plain, (size_t)n) != 0)
      return -1;
  }
}

static int read_input(rt_client_t *client) {
  uint8_t buffer[READ_CHUNK];
  ssize_t n = recv(client->fd, buffer, sizeof(buffer), 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
    return 0;
  if (n < 0) {
    fail_open(client, 14, RT_CLIENT_FAILURE_CONNECT,
              "connection to %s failed: %s", client->target, strerror(errno));
    return -1;
  }
  if (n == 0) {
    fail_open(client, 14, RT_CLIENT_FAILURE_CONNECT,
              "connection to %s closed by the server%s", client->target,
              client->server_spoke ? "" : " before it answered HTTP/2");
    return -1;
  }
  bool first = client->received == 0;
  client->received += (uint64_t)n;
  if (client->tls_conn.ssl != NULL)
    return tls_input(client, buffer, (size_t)n);
  if (first && check_cleartext_answer(client, buffer, (size_t)n) != 0)
    return -1;
  return session_input(client, buffer, (size_t)n);
}

static int poll_timeout(rt_client_t *client, int64_t deadline_ms) {
  int64_t timeout = -1;
  if (deadline_ms > 0) {
    timeout = deadline_ms - now_ms();
    if (timeout < 0)
      timeout = 0;
  }
  /* A signal that lands just before poll() would not wake it up. */
  if (client->cancel_flag != NULL && (timeout < 0 || timeout > 200))
    timeout = 200;
  return timeout > 1000000 ? 1000000 : (int)timeout;
}

/* True when the calls must be given up now (cancel flag, deadline). */
static bool abandoned(rt_client_t *client, int64_t deadline_ms,
                      int64_t timeout_ms) {
  if (client->cancel_flag != NULL && *client->cancel_flag != 0) {
    fail_open(client, 1, RT_CLIENT_FAILURE_NONE, "cancelled");
    return true;
  }
  if (deadline_ms > 0 && now_ms() >= deadline_ms) {
    fail_open(client, 4, RT_CLIENT_FAILURE_NONE,
              "deadline exceeded after %lld ms waiting for %s",
              (long long)timeout_ms, client->target);
    return true;
  }
  return false;
}

static bool all_closed(const rt_client_t *client) {
  for (size_t i = 0; i < client->call_count; i++) {
    if (!client->calls[i]->closed)
      return false;
  }
  return true;
}

/* Resets every open stream and sends what can be sent without waiting:
 * the connection is about to be dropped. */
static void reset_open_streams(rt_client_t *client) {
  for (size_t i = 0; i < client->call_count; i++) {
    if (!client->calls[i]->closed)
      nghttp2_submit_rst_stream(client->session, NGHTTP2_FLAG_NONE,
                                client->calls[i]->stream_id, NGHTTP2_CANCEL);
  }
  queue_output(client);
  write_output(client);
}

/* Runs the TLS handshake on the socket just connected, under the calls'
 * deadline and cancel flag. Returns 0, or -1 with the open calls failed
 * (a refused certificate, a server that does not speak TLS, ...). */
static int tls_connect(rt_client_t *client, int64_t deadline_ms,
                       int64_t timeout_ms) {
  if (client->tls_ctx == NULL) {
    char *message = NULL;
    if (client_tls_context_new(&client->tls_ctx, NULL, &message) != 0) {
      fail_open(client, 14, RT_CLIENT_FAILURE_NONE, "%s",
                message ? message : "cannot set up TLS");
      free(message);
      return -1;
    }
  }
  if (client_tls_open(&client->tls_conn, client->tls_ctx, client->host,
                      client->ca_file) != 0) {
    fail_open(client, 13, RT_CLIENT_FAILURE_NONE, "cannot set up TLS for %s",
              client->target);
    return -1;
  }
  bool eof = false;
  for (;;) {
    char *message = NULL;
    client_tls_step_t step =
        client_tls_handshake(&client->tls_conn, client->target, eof, &message);
    if (move_tls_output(client) != 0 || write_output(client) != 0) {
      free(message);
      fail_open(client, 14, RT_CLIENT_FAILURE_CONNECT, "cannot send to %s: %s",
                client->target, strerror(errno));
      return -1;
    }
    if (step == CLIENT_TLS_DONE)
      return 0;
    if (step != CLIENT_TLS_WANT) {
      fail_open(client, 14,
                step == CLIENT_TLS_REJECTED ? RT_CLIENT_FAILURE_TLS_VERIFY
                                            : RT_CLIENT_FAILURE_PROTOCOL,
                "%s", message ? message : "TLS handshake failed");
      free(message);
      return -1;
    }
    if (abandoned(client, deadline_ms, timeout_ms))
      return -1;
    struct pollfd pfd = {.fd = client->fd, .events = POLLIN};
    if (client->out_len > 0)
      pfd.events |= POLLOUT;
    int n = poll(&pfd, 1, poll_timeout(client, deadline_ms));
    if (n <= 0 || !(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
      continue;
    uint8_t buffer[READ_CHUNK];
    ssize_t got = recv(client->fd, buffer, sizeof(buffer), 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (got <= 0) {
      eof = true;
      continue;
    }
    if (client_tls_feed(&client->tls_conn, buffer, (size_t)got) != 0) {
      fail_open(client, 8, RT_CLIENT_FAILURE_NONE, "out of memory");
      return -1;
    }
  }
}

/* Drives the connection until every call's stream has closed or the calls
 * have to be given up; returns -1 when the connection is no longer
 * usable (the open calls then carry the reason). */
static int pump(rt_client_t *client, int64_t deadline_ms, int64_t timeout_ms) {
  while (!all_closed(client)) {
    if (abandoned(client, deadline_ms, timeout_ms)) {
      reset_open_streams(client);
      return -1; /* the CLI is about to stop: do not wait any longer */
    }
    if (queue_output(client) != 0 || write_output(client) != 0) {
      fail_open(client, 14, RT_CLIENT_FAILURE_CONNECT, "cannot send to %s: %s",
                client->target, strerror(errno));
      return -1;
    }
    /* Sending our own RST_STREAM (a call ended on this side: message too
     * big, cancelled by its callback) closes the stream right here; poll
     * now and nothing may ever wake us. */
    if (all_closed(client))
      break;
    if (!nghttp2_session_want_read(client->session) && client->out_len == 0) {
      fail_open(client, 14, RT_CLIENT_FAILURE_CONNECT,
                "server %s ended the connection", client->target);
      return -1;
    }
    struct pollfd pfd = {.fd = client->fd, .events = POLLIN};
    if (client->out_len > 0)
      pfd.events |= POLLOUT;
    int n = poll(&pfd, 1, poll_timeout(client, deadline_ms));
    if (n < 0 && errno != EINTR) {
      fail_open(client, 14, RT_CLIENT_FAILURE_NONE, "poll failed: %s",
                strerror(errno));
      return -1;
    }
    if (n > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)) &&
        read_input(client) != 0)
      return -1;
  }
  return queue_output(client) == 0 && write_output(client) == 0 ? 0 : -1;
}

/* ---- one call ------------------------------------------------------------ */

static nghttp2_nv header(const char *name, const char *value) {
  nghttp2_nv nv = {(uint8_t *)name, (uint8_t *)value, strlen(name),
                   strlen(value), NGHTTP2_NV_FLAG_NONE};
  return nv;
}

static int submit(rt_client_t *client, call_t *call, const char *path,
                  int64_t timeout_ms) {
  size_t count = 0;
  char timeout[RT_GRPC_TIMEOUT_BUFSZ];
  nghttp2_nv *nva = calloc(8 + client->metadata_count, sizeof(*nva));
  if (nva == NULL)
    return -1;
  nva[count++] = header(":method", "POST");
  nva[count++] = header(":scheme", client->tls ? "https" : "http");
  nva[count++] = header(":path", path);
  nva[count++] = header(":authority", client->target);
  nva[count++] = header("content-type", "application/grpc");
  nva[count++] = header("te", "trailers");
  nva[count++] = header("user-agent", "rectrack-cli/" RT_VERSION);
  if (timeout_ms > 0) {
    rt_grpc_timeout_format((uint64_t)timeout_ms * 1000, timeout);
    nva[count++] = header("grpc-timeout", timeout);
  }
  for (size_t i = 0; i < client->metadata_count; i++)
    nva[count++] = header(client->metadata[i].key, client->metadata[i].value);
  nghttp2_data_provider provider = {.source.ptr = call,
                                    .read_callback = read_body};
  int32_t id = nghttp2_submit_request(client->session, NULL, nva, count,
                                      &provider, call);
  free(nva);
  if (id < 0) {
    set_local(call, 13, "cannot submit the request: %s", nghttp2_strerror(id));
    return -1;
  }
  call->stream_id = id;
  return 0;
}

/* http-grpc-status-mapping.md */
static int status_for_http(int http_status) {
  switch (http_status) {
  case 400:
    return 13;
  case 401:
    return 16;
  case 403:
    return 7;
  case 404:
    return 12;
  case 429:
  case 502:
  case 503:
  case 504:
    return 14;
  default:
    return 2;
  }
}

/* PROTOCOL-HTTP2.md, "Errors": RST_STREAM codes as seen by a client. */
static int status_for_rst(uint32_t error_code) {
  switch (error_code) {
  case NGHTTP2_REFUSED_STREAM:
    return 14;
  case NGHTTP2_CANCEL:
    return 1;
  case NGHTTP2_ENHANCE_YOUR_CALM:
    return 8;
  case NGHTTP2_INADEQUATE_SECURITY:
    return 7;
  default:
    return 13;
  }
}

static void finish_status(rt_client_t *client, call_t *call,
                          rt_client_status_t *status) {
  const char *ct = call->content_type;
  bool grpc_ct = is_grpc_content_type(ct);
  if (call->local_code == 0 && call->saw_grpc_status &&
      call->grpc_status == 0) {
    if (!rt_grpc_decoder_at_boundary(&call->decoder))
      set_local(call, 13, "response ended in the middle of a message");
    else if (call->on_message == NULL && call->message_count == 0)
      set_local(call, 13, "server sent no response message");
  }
  status->failure = RT_CLIENT_FAILURE_NONE;
  if (call->local_code != 0) {
    status->code = call->local_code;
    status->message = call->local_message;
    status->failure = call->local_failure;
    call->local_message = NULL;
  } else if (call->bad_grpc_status != NULL) {
    status->code = 2;
    if (asprintf(&status->message,
                 "server %s sent a malformed grpc-status '%s'", client->target,
                 call->bad_grpc_status) < 0)
      status->message = NULL;
  } else if (call->saw_grpc_status && (grpc_ct || ct == NULL)) {
    status->code = call->grpc_status;
    status->message = call->grpc_message ? call->grpc_message : strdup("");
    call->grpc_message = NULL;
  } else if (call->http_status != 0 && call->http_status != 200) {
    status->code = status_for_http(call->http_status);
    if (asprintf(&status->message, "server %s answered HTTP %d", client->target,
                 call->http_status) < 0)
      status->message = NULL;
  } else if (call->http_status == 200 && !grpc_ct) {
    status->code = 2;
    if (asprintf(&status->message,
                 "server %s is not a gRPC server (content-type %s)",
                 client->target, ct ? ct : "missing") < 0)
      status->message = NULL;
  } else if (call->rst_error != 0) {
    status->code = status_for_rst(call->rst_error);
    if (asprintf(&status->message, "stream reset by %s: %s", client->target,
                 nghttp2_http2_strerror(call->rst_error)) < 0)
      status->message = NULL;
  } else {
    status->code = 2;
    status->message = strdup("server ended the call without a grpc-status");
  }
  if (status->message == NULL)
    status->message = strdup("");
}

static void call_free(call_t *call) {
  rt_grpc_decoder_free(&call->decoder);
  free(call->body);
  free(call->grpc_message);
  free(call->bad_grpc_status);
  free(call->content_type);
  free(call->unary_message);
  free(call->local_message);
}

/* Frames each request; a request too big to frame ends its call. */
static void frame_requests(call_t **calls, size_t count,
                           const rt_client_request_t *requests) {
  for (size_t i = 0; i < count; i++) {
    rt_grpc_decoder_init(&calls[i]->decoder, RT_CLIENT_MAX_RECEIVE);
    if (rt_grpc_frame_encode(requests[i].request, requests[i].request_len,
                             &calls[i]->body, &calls[i]->body_len) != 0) {
      set_local(calls[i], 8, "request of %zu bytes is too big",
                requests[i].request_len);
      calls[i]->closed = true;
    }
  }
}

/* Runs calls on the connection (opened if needed): every request is sent
 * at once, in order, one stream each, then the connection is pumped until
 * every call has ended. Fills each status. */
static void run_calls(rt_client_t *client, call_t **calls, size_t count,
                      const rt_client_request_t *requests, int64_t timeout_ms) {
  int64_t deadline_ms = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
  client->calls = calls;
  client->call_count = count;
  frame_requests(calls, count, requests);
  /* After a GOAWAY no new stream may start: use a new connection. */
  if (client->fd >= 0 &&
      !nghttp2_session_check_request_allowed(client->session))
    drop_connection(client);
  if (client->fd < 0 &&
      (open_socket(client, deadline_ms) != 0 ||
       (client->tls && tls_connect(client, deadline_ms, timeout_ms) != 0) ||
       open_session(client) != 0)) {
    client->broken = true;
  } else {
    for (size_t i = 0; i < count; i++) {
      if (!calls[i]->closed &&
          submit(client, calls[i], requests[i].path, timeout_ms) != 0)
        calls[i]->closed = true;
    }
    if (pump(client, deadline_ms, timeout_ms) != 0)
      client->broken = true;
  }
  client->calls = NULL;
  client->call_count = 0;
  if (client->broken)
    drop_connection(client);
}

/* A stream the server refused (REFUSED_STREAM, or beyond a GOAWAY's last
 * stream) was not processed (PROTOCOL-HTTP2.md), so it may be sent again
 * as it is. */
static bool refused(const call_t *call) {
  return call->local_code == 0 && call->http_status == 0 &&
         call->rst_error == NGHTTP2_REFUSED_STREAM;
}

/* Sends the refused calls of a batch again, a few rounds at most. */
static void retry_refused(rt_client_t *client, call_t *storage, call_t **calls,
                          const rt_client_request_t *requests, size_t count,
                          int64_t timeout_ms) {
  rt_client_request_t *again = calloc(count + 1, sizeof(*again));
  for (int round = 0; again != NULL && round < 3; round++) {
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
      if (!refused(&storage[i]))
        continue;
      call_free(&storage[i]);
      memset(&storage[i], 0, sizeof(storage[i]));
      calls[n] = &storage[i];
      again[n++] = requests[i];
    }
    if (n == 0)
      break;
    run_calls(client, calls, n, again, timeout_ms);
  }
  free(again);
}

size_t rt_client_unary_batch(rt_client_t *client, rt_client_request_t *requests,
                             size_t count, int64_t timeout_ms) {
  call_t *storage = calloc(count + 1, sizeof(*storage));
  call_t **calls = calloc(count + 1, sizeof(*calls));
  size_t failed = 0;
  for (size_t i = 0; storage != NULL && calls != NULL && i < count; i++)
    calls[i] = &storage[i];
  if (storage != NULL && calls != NULL) {
    run_calls(client, calls, count, requests, timeout_ms);
    retry_refused(client, storage, calls, requests, count, timeout_ms);
  }
  for (size_t i = 0; i < count; i++) {
    rt_client_request_t *r = &requests[i];
    r->response = NULL;
    r->response_len = 0;
    if (storage == NULL || calls == NULL) {
      r->status.code = 8;
      r->status.message = strdup("out of memory");
      r->status.failure = RT_CLIENT_FAILURE_NONE;
    } else {
      finish_status(client, &storage[i], &r->status);
      r->response = r->status.code == 0 ? storage[i].unary_message : NULL;
      r->response_len = r->status.code == 0 ? storage[i].unary_len : 0;
      if (r->status.code == 0)
        storage[i].unary_message = NULL;
      call_free(&storage[i]);
    }
    failed += r->status.code != 0;
  }
  free(calls);
  free(storage);
  return failed;
}

int rt_client_unary(rt_client_t *client, const char *path,
                    const uint8_t *request, size_t request_len,
                    int64_t timeout_ms, uint8_t **response,
                    size_t *response_len, rt_client_status_t *status) {
  rt_client_request_t one = {
      .path = path, .request = request, .request_len = request_len};
  rt_client_unary_batch(client, &one, 1, timeout_ms);
  *response = one.response;
  *response_len = one.response_len;
  *status = one.status;
  return status->code;
}

int rt_client_stream(rt_client_t *client, const char *path,
                     const uint8_t *request, size_t request_len,
                     int64_t timeout_ms, rt_client_message_cb on_message,
                     void *data, rt_client_status_t *status) {
  call_t call = {.on_message = on_message, .data = data};
  call_t *calls[1] = {&call};
  rt_client_request_t one = {
      .path = path, .request = request, .request_len = request_len};
  run_calls(client, calls, 1, &one, timeout_ms);
  finish_status(client, &call, status);
  call_free(&call);
  return status->code;
}
