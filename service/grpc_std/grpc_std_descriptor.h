/*
 * grpc_std_descriptor: a read-only index over a serialized FileDescriptorSet
 * (protoc --descriptor_set_out --include_imports), for server reflection.
 *
 * Owns: for each file, its serialized FileDescriptorProto (borrowed from
 * the input bytes), name, package, dependencies and the fully qualified
 * names it defines (messages and nested messages, their fields, oneofs
 * and extensions, enums and enum values, services and their methods). Calls
 * only libc and rt_common. It reads the protobuf wire format directly:
 * descriptor.proto's C bindings are not part of protobuf-c's public library,
 * and the few fields needed are stable.
 */
#ifndef RT_DESCRIPTOR_H
#define RT_DESCRIPTOR_H

#include <stddef.h>
#include <stdint.h>

#include "rt_error.h"

typedef enum rt_symbol_kind {
  RT_SYMBOL_MESSAGE = 0,
  RT_SYMBOL_ENUM = 1,
  RT_SYMBOL_SERVICE = 2,
  RT_SYMBOL_METHOD = 3,
  RT_SYMBOL_ENUM_VALUE = 4, /* "rectrack.v1.STATUS_IMPLEMENTED" (protobuf
                               scoping: a sibling of its enum), also found as
                               "rectrack.v1.Status.STATUS_IMPLEMENTED" */
  RT_SYMBOL_FIELD = 5,      /* fields and extensions */
  RT_SYMBOL_ONEOF = 6,
} rt_symbol_kind_t;

typedef struct rt_symbol {
  char *name; /* "rectrack.v1.Tracker.GetSource" */
  rt_symbol_kind_t kind;
} rt_symbol_t;

typedef struct rt_descriptor_file {
  const uint8_t *proto; /* the FileDescriptorProto bytes (borrowed) */
  size_t proto_len;
  char *name;    /* "rectrack/v1/tracker.proto" */
  char *package; /* "rectrack.v1", "" when none */
  char **deps;
  size_t dep_count;
  rt_symbol_t *symbols;
  size_t symbol_count, symbol_cap;
} rt_descriptor_file_t;

typedef struct rt_descriptor_pool {
  rt_descriptor_file_t *files;
  size_t file_count;
} rt_descriptor_pool_t;

/* Indexes set (which must outlive the pool). Returns 0, RT_ECORRUPT (the
 * bytes are not a FileDescriptorSet, err says where) or RT_ENOMEM. On
 * failure the pool is empty and need not be freed. */
int rt_descriptor_pool_parse(rt_descriptor_pool_t *pool, const uint8_t *set,
                             size_t len, rt_error_t *err);

/* The file with this name, or NULL. */
const rt_descriptor_file_t *
rt_descriptor_pool_find_file(const rt_descriptor_pool_t *pool,
                             const char *name);

/* The file defining this fully qualified symbol (a leading '.' is
 * ignored), or NULL; *kind (may be NULL) says what the symbol is. */
const rt_descriptor_file_t *
rt_descriptor_pool_find_symbol(const rt_descriptor_pool_t *pool,
                               const char *symbol, rt_symbol_kind_t *kind);

/* Collects file and, transitively, every file it depends on, file first,
 * each once, into out (room for pool->file_count entries). Returns how
 * many. Unknown dependency names are skipped. */
size_t rt_descriptor_pool_closure(const rt_descriptor_pool_t *pool,
                                  const rt_descriptor_file_t *file,
                                  const rt_descriptor_file_t **out);

void rt_descriptor_pool_free(rt_descriptor_pool_t *pool);

#endif /* RT_DESCRIPTOR_H */
