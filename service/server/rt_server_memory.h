/*
 * rt_server_memory: server connections without a socket, for the fuzz
 * harness (tests/fuzz) and for tests that drive the whole request path in
 * process. Part of rt_server; the daemon never uses it.
 *
 * A memory connection is an ordinary connection of the server (its
 * nghttp2 session, calls, limits, idle timeout and shutdown are the same)
 * except that the bytes a client would send are handed in with
 * rt_server_conn_receive, and the bytes the server would write go to an
 * output callback. Everything runs on the server's loop thread; replies
 * that complete later (a write's commit) come out of the callback while
 * the loop runs.
 */
#ifndef RT_SERVER_MEMORY_H
#define RT_SERVER_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "rt_server.h"

typedef struct server_conn rt_server_conn_t;

/* Receives len bytes the server would write to the socket (borrowed for
 * the call). Called from within rt_server_conn_receive or a loop turn; it
 * must not call back into the server. */
typedef void (*rt_server_output_fn)(void *data, const uint8_t *bytes,
                                    size_t len);

/* Opens a memory connection on server; its output goes to output(data,
 * ...), starting with the server's SETTINGS before this returns. The
 * connection closes as any other: on a protocol error, at the end of its
 * session, by the idle timeout, rt_server_shutdown or rt_server_free.
 * *out stays valid until the loop runs after it closed (while
 * rt_server_connection_count counts it, and until the next loop turn
 * after that). Returns 0, RT_EUNAVAIL (the server is shutting down),
 * RT_EBUSY (max_connections reached) or RT_ENOMEM. */
int rt_server_attach_memory_connection(rt_server_t *server,
                                       rt_server_output_fn output, void *data,
                                       rt_server_conn_t **out);

/* Hands len bytes a client sent to the connection, as one read from a
 * socket would. Returns 0, or RT_EIO when the connection is closed or
 * these bytes closed it. */
int rt_server_conn_receive(rt_server_conn_t *conn, const uint8_t *bytes,
                           size_t len);

#endif /* RT_SERVER_MEMORY_H */
