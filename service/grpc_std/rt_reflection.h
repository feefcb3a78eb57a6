/*
 * rt_reflection: gRPC server reflection (grpc.reflection.v1alpha and
 * grpc.reflection.v1 ServerReflectionInfo), so that grpcurl and other
 * tools can list services and fetch schemas without .proto files.
 *
 * Owns: an index of a FileDescriptorSet (rt_descriptor) and the two
 * bidirectional-streaming methods. Calls rt_call.h, rt_server (for the
 * list of registered services), rt_descriptor and the generated reflection
 * protobuf-c code. Loop thread only. The two protocol versions are
 * identical on the wire, so one implementation serves both paths.
 *
 * Answers list_services (the services the server routes to),
 * file_by_filename and file_containing_symbol (the file and its transitive
 * dependencies), all_extension_numbers_of_type (none: rectrack defines no
 * extensions), and error_response NOT_FOUND for unknown names. A stream
 * whose unread answers exceed 4 MiB ends with RESOURCE_EXHAUSTED.
 */
#ifndef RT_REFLECTION_H
#define RT_REFLECTION_H

#include <stddef.h>
#include <stdint.h>

#include "rt_call.h"
#include "rt_error.h"
#include "rt_server.h"

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

#endif /* RT_REFLECTION_H */
