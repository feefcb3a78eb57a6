/*
 * tracker_status: RT_E* -> gRPC status. Kept as a table in one file so that
 * the documentation (docs/api.md, "Errors and status codes") and the code can
 * be compared line by line; anything not listed is a server-side failure
 * (INTERNAL), never blamed on the client's input.
 */
#include "tracker_status.h"

#include <stddef.h>

typedef struct {
  int code;
  rt_grpc_status_t status;
} status_entry_t;

static const status_entry_t status_table[] = {
    {RT_OK, RT_GRPC_OK},
    {RT_EINVAL, RT_GRPC_INVALID_ARGUMENT},
    {RT_ENOTFOUND, RT_GRPC_NOT_FOUND},
    {RT_EEXIST, RT_GRPC_ALREADY_EXISTS},
    {RT_ECONFLICT, RT_GRPC_ABORTED},
    {RT_ETOOBIG, RT_GRPC_RESOURCE_EXHAUSTED},
    {RT_ENOSPC, RT_GRPC_RESOURCE_EXHAUSTED},
    {RT_EPRECOND, RT_GRPC_FAILED_PRECONDITION},
    {RT_EUNAVAIL, RT_GRPC_UNAVAILABLE},
    {RT_EUNAUTH, RT_GRPC_UNAUTHENTICATED},
    {RT_EPERM, RT_GRPC_PERMISSION_DENIED},
};

rt_grpc_status_t rt_status_from_error(int code) {
  for (size_t i = 0; i < sizeof status_table / sizeof status_table[0]; i++)
    if (status_table[i].code == code)
      return status_table[i].status;
  return RT_GRPC_INTERNAL;
}

const char *rt_status_message(int code, const rt_error_t *err) {
  if (err != NULL && err->message[0] != '\0')
    return err->message;
  return rt_strerror(code);
}
