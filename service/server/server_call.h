/*
 * server_call: the gRPC calls of the server, one per request stream, and
 * the rt_call_* functions of rt_server.h that handlers answer through.
 * Private to service/server. Sits above server_conn: it receives stream
 * events through server_call_events and calls down into the connection
 * (server_conn_want_flush, the nghttp2 session) and the method table
 * (server_methods). Calls rt_grpc (framing), rt_log, libuv and nghttp2.
 */
#ifndef SERVER_CALL_H
#define SERVER_CALL_H

#include "server_conn.h"

/* The events to give server_conns_init; its events_data must be the
 * server's server_methods_t (the calls route :path through it). */
extern const server_stream_events_t server_call_events;

#endif /* SERVER_CALL_H */
