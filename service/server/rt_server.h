/*
 * rt_server: rectrackd's gRPC server transport, gRPC over HTTP/2 cleartext
 * (prior knowledge) as grpc/doc/PROTOCOL-HTTP2.md specifies it, so that
 * stock clients (grpcio, grpcurl, grpc_health_probe, nginx grpc_pass) talk
 * to it.
 *
 * Owns: the TCP listener, the connections and their nghttp2 sessions, the
 * routing of :path to registered methods, request reassembly, limits,
 * deadlines, cancellation and graceful shutdown; it implements every
 * function of rt_call.h. Calls libuv, nghttp2, rt_grpc (framing) and
 * rt_log. Everything runs on the loop thread of the uv_loop_t it is given.
 *
 * Life: rt_server_new, rt_server_add_methods (services), rt_server_listen,
 * run the loop, rt_server_shutdown(grace) when asked to stop, then from the
 * done callback (or later) rt_server_free; the loop must run once more so
 * that libuv can close the server's handles.
 */
#ifndef RT_SERVER_H
#define RT_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "rt_call.h"
#include "rt_error.h"

typedef struct rt_server rt_server_t;

typedef struct rt_server_options {
  /* Largest request or response message; larger requests end with
   * RESOURCE_EXHAUSTED. Default 4 MiB. */
  size_t max_message_bytes;
  /* Largest request header list (HTTP/2 size: name + value + 32 per
   * field), advertised in SETTINGS_MAX_HEADER_LIST_SIZE. Default 16 KiB. */
  size_t max_header_list_bytes;
  /* SETTINGS_MAX_CONCURRENT_STREAMS per connection. Default 100. */
  uint32_t max_concurrent_streams;
  /* Connections beyond this are closed as soon as accepted. Default 1024. */
  uint32_t max_connections;
  /* A connection without calls and without traffic for this long gets a
   * GOAWAY and is closed. 0 = never. Default 300000 (300 s). */
  uint64_t idle_timeout_ms;
  /* Output queued to the socket per connection above which the server
   * stops reading from it and stops pulling response data, until writes
   * complete. Default 1 MiB. */
  size_t max_output_buffer_bytes;
} rt_server_options_t;

/* Fills options with the defaults above. */
void rt_server_options_init(rt_server_options_t *options);

/* Creates a server on loop. options may be NULL (defaults). *out is freed
 * with rt_server_free. Returns 0, RT_EINVAL (an option is 0 or out of
 * range, err names it) or RT_ENOMEM. */
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
