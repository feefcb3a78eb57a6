/*
 * server: the server as the daemon sees it: options, the method table,
 * the listener and its connection limit, graceful shutdown and release.
 *
 * It sits on top of the module: connections (server_conn) carry the
 * HTTP/2 sessions and tell the calls layer (server_call) what happens on
 * their streams, and the calls route each request through the method
 * table (server_methods) held here. Nothing below calls back into this
 * file except through the released() callback it registers, which tells
 * it when libuv has let go of a connection, so that shutdown and free can
 * finish. It also owns the TLS files: the context made from them at start
 * and on each reload is handed to the connections (server_tls).
 */
#include "rt_server.h"
#include "rt_server_memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_grpc.h"
#include "rt_log.h"
#include "server_address.h"
#include "server_call.h"
#include "server_conn.h"
#include "server_methods.h"
#include "server_peers.h"
#include "server_tls.h"

#define RT_SERVER_MAX_DRAIN_HOOKS 8

typedef struct drain_hook {
  void (*hook)(void *arg);
  void *arg;
} drain_hook_t;

struct rt_server {
  uv_loop_t *loop;
  rt_server_options_t options; /* its strings point at the copies below */
  char *tls_cert_file, *tls_key_file, *trusted_proxies;
  server_methods_t methods;
  server_conns_t conns;

  uv_tcp_t listener;
  int listener_open;
  char address[80];
  int port;
  uv_timer_t grace_timer;
  int handles_open; /* the listener and the grace timer */

  drain_hook_t drain_hooks[RT_SERVER_MAX_DRAIN_HOOKS];
  size_t drain_hook_count;
  int draining;
  int done_called;
  void (*done)(rt_server_t *server, void *arg);
  void *done_arg;
  int freeing;
  server_log_limit_t log_limit_connections;
};

static void server_check_done(rt_server_t *server);
static void server_release(rt_server_t *server);

/* ---- options and registration ------------------------------------------ */

void rt_server_options_init(rt_server_options_t *options) {
  options->max_message_bytes = RT_GRPC_DEFAULT_MAX_MESSAGE;
  options->max_header_list_bytes = 16 * 1024;
  options->max_concurrent_streams = 100;
  options->max_connections = 1024;
  options->max_connections_per_address = 64;
  options->idle_timeout_ms = 300000;
  options->handshake_timeout_ms = 10000;
  options->stall_timeout_ms = 30000;
  options->max_pending_bytes_per_connection = 4u << 20;
  options->max_pending_bytes = 256u << 20;
  options->max_output_buffer_bytes = 1024 * 1024;
  options->tls_cert_file = NULL;
  options->tls_key_file = NULL;
  options->trusted_proxies = NULL;
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
  if (options->max_connections_per_address == 0)
    return rt_error_set(err, RT_EINVAL, "max_connections_per_address",
                        "max_connections_per_address must be at least 1");
  if (options->handshake_timeout_ms == 0)
    return rt_error_set(err, RT_EINVAL, "handshake_timeout_ms",
                        "handshake_timeout_ms must be at least 1");
  if (options->max_pending_bytes_per_connection < 16 * 1024)
    return rt_error_set(err, RT_EINVAL, "max_pending_bytes_per_connection",
                        "max_pending_bytes_per_connection must be at least "
                        "16384");
  if (options->max_pending_bytes < options->max_pending_bytes_per_connection)
    return rt_error_set(err, RT_EINVAL, "max_pending_bytes",
                        "max_pending_bytes must be at least "
                        "max_pending_bytes_per_connection");
  if ((options->tls_cert_file == NULL) != (options->tls_key_file == NULL))
    return rt_error_set(err, RT_EINVAL, "tls",
                        "a TLS certificate needs its key, and a key its "
                        "certificate");
  return 0;
}

int rt_server_check_networks(const char *text, rt_error_t *err) {
  size_t count;

  return server_networks_parse(text, NULL, &count, err);
}

/* Copies the option strings the server keeps, and points its options at
 * the copies. */
static int copy_strings(rt_server_t *server, rt_error_t *err) {
  rt_server_options_t *options = &server->options;

  if (options->tls_cert_file != NULL &&
      ((server->tls_cert_file = strdup(options->tls_cert_file)) == NULL ||
       (server->tls_key_file = strdup(options->tls_key_file)) == NULL))
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  if (options->trusted_proxies != NULL &&
      (server->trusted_proxies = strdup(options->trusted_proxies)) == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  options->tls_cert_file = server->tls_cert_file;
  options->tls_key_file = server->tls_key_file;
  options->trusted_proxies = server->trusted_proxies;
  return 0;
}

static void free_strings(rt_server_t *server) {
  free(server->tls_cert_file);
  free(server->tls_key_file);
  free(server->trusted_proxies);
}

/* A closed connection (or the flush handle) was released by libuv. */
static void on_released(void *data) {
  rt_server_t *server = data;

  server_check_done(server);
  server_release(server);
}

int rt_server_new(rt_server_t **out, uv_loop_t *loop,
                  const rt_server_options_t *options, rt_error_t *err) {
  rt_server_t *server;
  server_network_t *trusted = NULL;
  size_t trusted_count = 0;
  SSL_CTX *tls_ctx = NULL;
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
  if (rc == 0)
    rc = copy_strings(server, err);
  if (rc == 0 && server->trusted_proxies != NULL)
    rc = server_networks_parse(server->trusted_proxies, &trusted,
                               &trusted_count, err);
  if (rc == 0 && server->tls_cert_file != NULL)
    rc = server_tls_context_new(&tls_ctx, server->tls_cert_file,
                                server->tls_key_file, err);
  if (rc != 0) {
    free(trusted);
    free_strings(server);
    free(server);
    return rc;
  }
  server->loop = loop;
  server->port = -1;
  server_conns_init(&server->conns, loop, &server->options, &server_call_events,
                    &server->methods, on_released, server, trusted,
                    trusted_count);
  server_conns_set_tls(&server->conns, tls_ctx);
  uv_timer_init(loop, &server->grace_timer);
  server->grace_timer.data = server;
  server->handles_open = 1;
  *out = server;
  return 0;
}

int rt_server_add_methods(rt_server_t *server, const rt_method_t *methods,
                          size_t count, rt_error_t *err) {
  return server_methods_add(&server->methods, methods, count, err);
}

size_t rt_server_service_count(const rt_server_t *server) {
  return server->methods.service_count;
}

const char *rt_server_service_name(const rt_server_t *server, size_t index) {
  return index < server->methods.service_count ? server->methods.services[index]
                                               : NULL;
}

const char *rt_server_address(const rt_server_t *server) {
  return server->address;
}

int rt_server_port(const rt_server_t *server) { return server->port; }

void rt_server_get_stats(const rt_server_t *server, rt_server_stats_t *out) {
  const server_conns_t *conns = &server->conns;
  *out = (rt_server_stats_t){
      .connections = conns->count,
      .pending_bytes = conns->pending_bytes,
      .connections_refused = conns->connections_refused,
      .streams_stalled = conns->streams_stalled,
      .calls_not_started = conns->calls_not_started,
  };
  for (const server_conn_t *conn = conns->list; conn != NULL; conn = conn->next)
    out->streams += conn->stream_count;
}

void rt_server_set_call_observer(rt_server_t *server,
                                 rt_call_observer_t observe, void *data) {
  server->methods.observe = observe;
  server->methods.observe_data = data;
}

size_t rt_server_connection_count(const rt_server_t *server) {
  return server->conns.count;
}

int rt_server_is_tls(const rt_server_t *server) {
  return server->conns.tls_ctx != NULL;
}

int rt_server_reload_tls(rt_server_t *server, rt_error_t *err) {
  SSL_CTX *ctx;
  int rc;

  if (server->tls_cert_file == NULL)
    return rt_error_set(err, RT_EINVAL, "tls", "the server does not use TLS");
  rc = server_tls_context_new(&ctx, server->tls_cert_file, server->tls_key_file,
                              err);
  if (rc != 0)
    return rc;
  server_conns_set_tls(&server->conns, ctx);
  return 0;
}

/* ---- the listener ------------------------------------------------------- */

static void free_handle(uv_handle_t *handle) { free(handle); }

static void reject_connection(rt_server_t *server, uv_stream_t *listener) {
  uv_tcp_t *tcp = malloc(sizeof(*tcp));

  if (tcp == NULL)
    return;
  uv_tcp_init(server->loop, tcp);
  if (uv_accept(listener, (uv_stream_t *)tcp) == 0)
    server_log_limited(&server->conns, &server->log_limit_connections,
                       "connection limit (%u) reached: closing a new "
                       "connection",
                       server->options.max_connections);
  uv_close((uv_handle_t *)tcp, free_handle);
}

static void on_connection(uv_stream_t *listener, int status) {
  rt_server_t *server = listener->data;

  if (status < 0 || server->draining)
    return;
  if (server->conns.count >= server->options.max_connections) {
    server->conns.connections_refused++;
    reject_connection(server, listener);
    return;
  }
  (void)server_conns_accept(&server->conns, listener);
}

static void server_handle_closed(uv_handle_t *handle) {
  rt_server_t *server = handle->data;

  server->handles_open--;
  server_release(server);
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
  server_address_format(&addr, server->address, sizeof(server->address));
  server->port = server_address_port(&addr);
  return 0;
}

/* ---- memory connections (rt_server_memory.h) ----------------------------- */

int rt_server_attach_memory_connection(rt_server_t *server,
                                       rt_server_output_fn output, void *data,
                                       rt_server_conn_t **out) {
  *out = NULL;
  if (server->draining)
    return RT_EUNAVAIL;
  if (server->conns.count >= server->options.max_connections)
    return RT_EBUSY;
  return server_conns_attach_memory(&server->conns, output, data, out);
}

int rt_server_conn_receive(rt_server_conn_t *conn, const uint8_t *bytes,
                           size_t len) {
  return server_conn_receive(conn, bytes, len);
}

static void close_listener(rt_server_t *server) {
  if (!server->listener_open)
    return;
  server->listener_open = 0;
  uv_close((uv_handle_t *)&server->listener, server_handle_closed);
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
  if (!server->draining || server->done_called || server->conns.count > 0)
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
  server_conn_t *conn, *next;

  for (conn = server->conns.list; conn != NULL; conn = next) {
    next = conn->next;
    rt_log(RT_LOG_INFO, "shutdown grace expired: closing %s with %zu calls",
           conn->peer, conn->stream_count);
    server_conn_close(conn);
  }
  server_check_done(server);
}

void rt_server_shutdown(rt_server_t *server, uint64_t grace_ms,
                        void (*done)(rt_server_t *server, void *arg),
                        void *arg) {
  server_conn_t *conn;
  size_t i;

  if (server->draining)
    return;
  server->draining = 1;
  server->done = done;
  server->done_arg = arg;
  close_listener(server);
  for (i = 0; i < server->drain_hook_count; i++)
    server->drain_hooks[i].hook(server->drain_hooks[i].arg);
  for (conn = server->conns.list; conn != NULL; conn = conn->next)
    server_conn_goaway(conn);
  uv_timer_start(&server->grace_timer, on_grace_expired, grace_ms, 0);
  server_check_done(server);
}

/* Frees the server once rt_server_free was called and libuv closed the
 * server's handles and every connection's. */
static void server_release(rt_server_t *server) {
  if (!server->freeing || server->handles_open > 0 ||
      !server_conns_released(&server->conns))
    return;
  server_methods_free(&server->methods);
  free_strings(server);
  free(server);
}

void rt_server_free(rt_server_t *server) {
  if (server == NULL)
    return;
  server->freeing = 1;
  server->done = NULL;
  server_conns_close(&server->conns);
  close_listener(server);
  uv_close((uv_handle_t *)&server->grace_timer, server_handle_closed);
}
