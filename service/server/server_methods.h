/*
 * server_methods: the methods a server routes to, by :path, and the
 * distinct service names they make up (for reflection's list_services).
 * Private to service/server. Calls only libc and rt_common.
 */
#ifndef SERVER_METHODS_H
#define SERVER_METHODS_H

#include <stddef.h>

#include "rt_server.h"

typedef struct server_methods {
  rt_method_t *methods; /* copies; their paths and data are borrowed */
  size_t count;
  char **services; /* "grpc.health.v1.Health", malloc'd */
  size_t service_count;
  /* Told of every call's end (rt_server_set_call_observer); may be NULL. */
  rt_call_observer_t observe;
  void *observe_data;
} server_methods_t;

/* Adds count methods (see rt_server_add_methods). After RT_EINVAL or
 * RT_EEXIST nothing was added. Returns 0, RT_EINVAL, RT_EEXIST or
 * RT_ENOMEM. */
int server_methods_add(server_methods_t *table, const rt_method_t *methods,
                       size_t count, rt_error_t *err);

/* The method registered for path, or NULL. */
const rt_method_t *server_methods_find(const server_methods_t *table,
                                       const char *path);

/* Frees what server_methods_add allocated; the table is empty after. */
void server_methods_free(server_methods_t *table);

#endif /* SERVER_METHODS_H */
