/*
 * tracker_status: the one table that turns rectrack's RT_E* error codes
 * into gRPC status codes.
 *
 * Owns: the mapping, nothing else. Calls nothing. Every handler of the
 * service that fails a call because of an RT_E* code goes through here,
 * so that the same error always reaches the client with the same status.
 */
#ifndef RT_STATUS_MAP_H
#define RT_STATUS_MAP_H

#include "rt_error.h"
#include "rt_server.h"

/* The gRPC status for an RT_E* code: RT_EINVAL -> INVALID_ARGUMENT,
 * RT_ENOTFOUND -> NOT_FOUND, RT_EEXIST -> ALREADY_EXISTS, RT_ECONFLICT ->
 * ABORTED, RT_ETOOBIG and RT_ENOSPC -> RESOURCE_EXHAUSTED, RT_EPRECOND ->
 * FAILED_PRECONDITION, RT_EUNAVAIL -> UNAVAILABLE, RT_OK -> OK, every
 * other code (I/O, corruption, memory, unknown) -> INTERNAL. */
rt_grpc_status_t rt_status_from_error(int code);

/* The message to send with that status: err->message when err carries one
 * (it names the field and value), else rt_strerror(code). The pointer is
 * into err or static; never NULL. */
const char *rt_status_message(int code, const rt_error_t *err);

#endif /* RT_STATUS_MAP_H */
