/*
 * rt_grpc_std: the standard gRPC services every rectrackd serves, so that
 * stock tools work against it: grpc.health.v1.Health (grpc_health_probe,
 * load balancers, orchestrators) and server reflection (grpcurl, grpc_cli
 * list services and fetch schemas without .proto files).
 *
 * Owns: the serving status of each known service name and the open
 * health Watch streams; an index of the descriptor set embedded at build
 * time (rectrack's API and the health and reflection schemas) and the
 * reflection streams. Calls rt_server (the call contract, and the list of
 * registered services for reflection), the generated health and
 * reflection protobuf-c code and rt_common. Loop thread only.
 *
 * Health: Check answers SERVING / NOT_SERVING, or NOT_FOUND for a name it
 * does not know. Watch sends the current status at once (SERVICE_UNKNOWN
 * for an unknown name, and keeps the stream open as the spec asks), then
 * every change. rt_health_drain (a server drain hook) turns every name
 * NOT_SERVING, tells the watchers, and ends their streams so that a
 * graceful shutdown does not wait for them.
 *
 * Reflection (grpc.reflection.v1alpha and grpc.reflection.v1
 * ServerReflectionInfo; identical on the wire, so one implementation
 * serves both paths) answers list_services (the services the server
 * routes to), file_by_filename and file_containing_symbol (the file and
 * its transitive dependencies), all_extension_numbers_of_type (none:
 * rectrack defines no extensions), and error_response NOT_FOUND for
 * unknown names. A stream whose unread answers exceed 4 MiB ends with
 * RESOURCE_EXHAUSTED.
 */
#ifndef RT_GRPC_STD_H
#define RT_GRPC_STD_H

#include <stddef.h>
#include <stdint.h>

#include "rt_error.h"
#include "rt_server.h"

/* ---- grpc.health.v1.Health ---------------------------------------------- */

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

/* ---- server reflection -------------------------------------------------- */

typedef struct rt_reflection rt_reflection_t;

/* Indexes descriptor_set (borrowed: it must outlive the service) and
 * lists server's services on request. Returns 0, RT_ECORRUPT or
 * RT_ENOMEM. */
int rt_reflection_new(rt_reflection_t **out, rt_server_t *server,
                      const uint8_t *descriptor_set, size_t len,
                      rt_error_t *err);

/* The two methods (v1alpha and v1) to register with the server. */
const rt_method_t *rt_reflection_methods(rt_reflection_t *reflection,
                                         size_t *count);

void rt_reflection_free(rt_reflection_t *reflection);

/* The descriptor set embedded in the binary at build time (rectrack's API
 * and the grpc health and reflection schemas). */
extern const uint8_t rt_descriptor_set[];
extern const size_t rt_descriptor_set_len;

#endif /* RT_GRPC_STD_H */
