/*
 * rt_call: one gRPC call as the method handlers see it.
 *
 * Owns: the contract between the HTTP/2 + gRPC transport (rt_server) and
 * the handlers of the services it serves (Tracker, Health, Reflection).
 * The transport reassembles the request, enforces limits, deadlines and
 * cancellation; a handler only sees a complete request message and answers
 * through these functions. Everything here runs on the loop thread.
 *
 * Life of a call: the transport calls the method's handle() with the
 * request. The handler ends the call exactly once, now or later from the
 * loop thread: rt_call_reply (unary), or rt_call_send ... rt_call_finish
 * (server streaming), or rt_call_fail (either). If the client cancels
 * (RST_STREAM), the deadline passes, or the connection closes first, the
 * transport calls the method's cancel() (if set) and the call is gone: the
 * handler must drop every pointer to it and never touch it again. After a
 * handler ended the call, cancel() is not called.
 */
#ifndef RT_CALL_H
#define RT_CALL_H

#include <stddef.h>
#include <stdint.h>

typedef struct rt_call rt_call_t;

/* gRPC status codes (grpc/doc/statuscodes.md). */
typedef enum rt_grpc_status {
  RT_GRPC_OK = 0,
  RT_GRPC_CANCELLED = 1,
  RT_GRPC_UNKNOWN = 2,
  RT_GRPC_INVALID_ARGUMENT = 3,
  RT_GRPC_DEADLINE_EXCEEDED = 4,
  RT_GRPC_NOT_FOUND = 5,
  RT_GRPC_ALREADY_EXISTS = 6,
  RT_GRPC_PERMISSION_DENIED = 7,
  RT_GRPC_RESOURCE_EXHAUSTED = 8,
  RT_GRPC_FAILED_PRECONDITION = 9,
  RT_GRPC_ABORTED = 10,
  RT_GRPC_OUT_OF_RANGE = 11,
  RT_GRPC_UNIMPLEMENTED = 12,
  RT_GRPC_INTERNAL = 13,
  RT_GRPC_UNAVAILABLE = 14,
  RT_GRPC_DATA_LOSS = 15,
  RT_GRPC_UNAUTHENTICATED = 16,
} rt_grpc_status_t;

typedef enum rt_method_type {
  RT_METHOD_UNARY = 0,
  RT_METHOD_SERVER_STREAMING = 1,
  /* Bidirectional streaming (added for server reflection): handle() is
   * called once per request message as it arrives, and once more with
   * request == NULL and len == 0 when the client half-closed. The handler
   * answers with rt_call_send and ends the call with rt_call_finish or
   * rt_call_fail whenever it likes (after that, handle() is not called
   * again). */
  RT_METHOD_BIDI_STREAMING = 2,
} rt_method_type_t;

/* A method the server routes to by its :path. */
typedef struct rt_method {
  const char *path; /* "/rectrack.v1.Tracker/GetRecommendation" */
  rt_method_type_t type;
  /* The whole request message (without the 5-byte prefix), borrowed for
   * the duration of the call to handle(). */
  void (*handle)(rt_call_t *call, const uint8_t *request, size_t len);
  /* The call ended before the handler ended it. May be NULL. */
  void (*cancel)(rt_call_t *call);
  void *data; /* the service's context, see rt_call_method_data */
} rt_method_t;

/* The rt_method_t.data of the method this call is for. */
void *rt_call_method_data(rt_call_t *call);

/* A pointer the handler keeps with the call (for cancel()). */
void rt_call_set_data(rt_call_t *call, void *data);
void *rt_call_data(rt_call_t *call);

/* "ip:port" of the client. Valid while the call lives. */
const char *rt_call_peer(rt_call_t *call);

/* The value of a request header (metadata), lower-case key, or NULL.
 * Valid while the call lives. */
const char *rt_call_metadata(rt_call_t *call, const char *key);

/* The absolute deadline from grpc-timeout, in ms of uv_now(), or 0. */
uint64_t rt_call_deadline_ms(rt_call_t *call);

/* Unary: sends the response message and OK trailers, ends the call.
 * The message is copied. Returns 0 or a negative RT_E* code (then the call
 * was ended with INTERNAL). */
int rt_call_reply(rt_call_t *call, const uint8_t *message, size_t len);

/* Ends the call with a non-OK status and a human message naming what was
 * wrong. Trailers-only when nothing was sent yet. */
void rt_call_fail(rt_call_t *call, rt_grpc_status_t status,
                  const char *message);

/* Streaming: queues one response message (copied). Returns 0, or RT_ETOOBIG
 * when the message exceeds the limit. Use rt_call_pending_bytes and
 * rt_call_on_drain to keep the queue short: a client that stops reading
 * must stall its own stream, not grow the server's memory. */
int rt_call_send(rt_call_t *call, const uint8_t *message, size_t len);

/* Bytes queued for this call and not yet handed to the connection. */
size_t rt_call_pending_bytes(rt_call_t *call);

/* Asks for drained(call) once the queue is empty (one shot). */
void rt_call_on_drain(rt_call_t *call, void (*drained)(rt_call_t *call));

/* Streaming: ends the call with trailers after the queued messages. */
void rt_call_finish(rt_call_t *call, rt_grpc_status_t status,
                    const char *message);

#endif /* RT_CALL_H */
