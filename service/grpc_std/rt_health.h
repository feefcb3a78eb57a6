/*
 * rt_health: the standard grpc.health.v1.Health service (Check and Watch)
 * that grpc_health_probe, load balancers and orchestrators ask.
 *
 * Owns: the serving status of each known service name ("" for the whole
 * server, plus the names added) and the open Watch streams. Calls the
 * rt_call.h functions and the generated health protobuf-c code. Loop
 * thread only.
 *
 * Check answers SERVING / NOT_SERVING, or NOT_FOUND for a name it does not
 * know. Watch sends the current status at once (SERVICE_UNKNOWN for an
 * unknown name, and keeps the stream open as the spec asks), then every
 * change. rt_health_drain (a server drain hook) turns every name
 * NOT_SERVING, tells the watchers, and ends their streams so that a
 * graceful shutdown does not wait for them.
 */
#ifndef RT_HEALTH_H
#define RT_HEALTH_H

#include <stddef.h>

#include "rt_call.h"
#include "rt_error.h"

typedef struct rt_health rt_health_t;

/* Creates the service with "" SERVING. Free with rt_health_free (after the
 * server that routes to it was freed). Returns 0 or RT_ENOMEM. */
int rt_health_new(rt_health_t **out, rt_error_t *err);

/* Adds a service name, SERVING. The name is copied. Returns 0, RT_EEXIST
 * or RT_ENOMEM. */
int rt_health_add_service(rt_health_t *health, const char *name);

/* Sets the status of one name (NULL: every name) and notifies watchers.
 * Returns 0 or RT_ENOTFOUND. */
int rt_health_set_serving(rt_health_t *health, const char *name, int serving);

/* Drain hook for rt_server_add_drain_hook (arg is the rt_health_t). */
void rt_health_drain(void *health);

/* The two methods to register with the server. */
const rt_method_t *rt_health_methods(rt_health_t *health, size_t *count);

void rt_health_free(rt_health_t *health);

#endif /* RT_HEALTH_H */
