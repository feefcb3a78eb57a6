/*
 * grpc_std_descriptor: walks FileDescriptorSet bytes with a minimal protobuf
 * wire reader. Field numbers (google/protobuf/descriptor.proto):
 *   FileDescriptorSet.file = 1
 *   FileDescriptorProto: name 1, package 2, dependency 3, message_type 4,
 *     enum_type 5, service 6, extension 7
 *   DescriptorProto: name 1, field 2, nested_type 3, enum_type 4,
 *     extension 6, oneof_decl 8
 *   FieldDescriptorProto, OneofDescriptorProto: name 1
 *   EnumDescriptorProto: name 1, value 2; EnumValueDescriptorProto: name 1
 *   ServiceDescriptorProto: name 1, method 2; MethodDescriptorProto: name 1
 * Unknown fields are skipped by wire type, so newer descriptors parse.
 * Symbols follow protobuf's scoping, as a DescriptorPool would answer
 * FindFileContainingSymbol: an enum value is a sibling of its enum
 * ("pkg.VALUE"); it is also indexed under "pkg.Enum.VALUE", which some
 * tools ask for.
 */
#include "grpc_std_descriptor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A cursor over one message's bytes. */
typedef struct reader {
  const uint8_t *p, *end;
} reader_t;

typedef struct field {
  uint32_t number;
  int wire_type;
  uint64_t varint;
  const uint8_t *bytes; /* wire type 2 */
  size_t len;
} field_t;

static int read_varint(reader_t *r, uint64_t *value) {
  uint64_t result = 0;
  int shift;

  for (shift = 0; shift < 64 && r->p < r->end; shift += 7) {
    uint8_t byte = *r->p++;
    result |= (uint64_t)(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return 0;
    }
  }
  return RT_ECORRUPT;
}

/* Reads the next field. Returns 1, 0 at the end, or RT_ECORRUPT. */
static int next_field(reader_t *r, field_t *f) {
  uint64_t key, len;

  f->bytes = NULL;
  f->len = 0;
  f->varint = 0;
  if (r->p == r->end)
    return 0;
  if (read_varint(r, &key) != 0)
    return RT_ECORRUPT;
  f->number = (uint32_t)(key >> 3);
  f->wire_type = (int)(key & 7);
  switch (f->wire_type) {
  case 0:
    return read_varint(r, &f->varint) == 0 ? 1 : RT_ECORRUPT;
  case 1:
  case 5: {
    size_t width = f->wire_type == 1 ? 8 : 4;
    if ((size_t)(r->end - r->p) < width)
      return RT_ECORRUPT;
    r->p += width;
    return 1;
  }
  case 2:
    if (read_varint(r, &len) != 0 || len > (uint64_t)(r->end - r->p))
      return RT_ECORRUPT;
    f->bytes = r->p;
    f->len = (size_t)len;
    r->p += len;
    return 1;
  default:
    return RT_ECORRUPT; /* groups are not used in descriptors */
  }
}

static char *join_name(const char *scope, const uint8_t *name, size_t len) {
  size_t scope_len = strlen(scope);
  char *out = malloc(scope_len + len + 2);

  if (out == NULL)
    return NULL;
  if (scope_len > 0) {
    memcpy(out, scope, scope_len);
    out[scope_len++] = '.';
  }
  memcpy(out + scope_len, name, len);
  out[scope_len + len] = '\0';
  return out;
}

static int add_symbol(rt_descriptor_file_t *file, char *name,
                      rt_symbol_kind_t kind) {
  if (name == NULL)
    return RT_ENOMEM;
  if (file->symbol_count == file->symbol_cap) {
    size_t cap = file->symbol_cap ? file->symbol_cap * 2 : 16;
    rt_symbol_t *grown = realloc(file->symbols, cap * sizeof(*grown));
    if (grown == NULL) {
      free(name);
      return RT_ENOMEM;
    }
    file->symbols = grown;
    file->symbol_cap = cap;
  }
  file->symbols[file->symbol_count].name = name;
  file->symbols[file->symbol_count].kind = kind;
  file->symbol_count++;
  return 0;
}

/* The name (field 1) of a nested descriptor. */
static int find_name(const uint8_t *bytes, size_t len, const uint8_t **name,
                     size_t *name_len) {
  reader_t r = {bytes, bytes + len};
  field_t f;
  int rc;

  while ((rc = next_field(&r, &f)) == 1) {
    if (f.number == 1 && f.wire_type == 2) {
      *name = f.bytes;
      *name_len = f.len;
      return 0;
    }
  }
  return RT_ECORRUPT;
}

/* Adds a named child of scope (enum, method) as a symbol. */
static int add_named(rt_descriptor_file_t *file, const char *scope,
                     const field_t *f, rt_symbol_kind_t kind, char **full) {
  const uint8_t *name;
  size_t name_len;
  char *joined;
  int rc;

  if (f->wire_type != 2 || find_name(f->bytes, f->len, &name, &name_len) != 0)
    return RT_ECORRUPT;
  joined = join_name(scope, name, name_len);
  rc = add_symbol(file, joined, kind);
  if (rc == 0 && full != NULL)
    *full = joined;
  return rc;
}

/* An enum and its values: "scope.VALUE" and "scope.Enum.VALUE". */
static int index_enum(rt_descriptor_file_t *file, const char *scope,
                      const field_t *enumeration) {
  reader_t r;
  field_t f;
  char *full = NULL;
  int rc = add_named(file, scope, enumeration, RT_SYMBOL_ENUM, &full);

  if (rc != 0)
    return rc;
  r = (reader_t){enumeration->bytes, enumeration->bytes + enumeration->len};
  while ((rc = next_field(&r, &f)) == 1) {
    if (f.number != 2)
      continue;
    if ((rc = add_named(file, scope, &f, RT_SYMBOL_ENUM_VALUE, NULL)) != 0 ||
        (rc = add_named(file, full, &f, RT_SYMBOL_ENUM_VALUE, NULL)) != 0)
      return rc;
  }
  return rc;
}

/* A message, its fields, oneofs, extensions, nested messages and enums,
 * recursively. */
static int index_message(rt_descriptor_file_t *file, const char *scope,
                         const field_t *message, int depth) {
  reader_t r;
  field_t f;
  char *full = NULL;
  int rc;

  if (depth > 32)
    return RT_ECORRUPT;
  rc = add_named(file, scope, message, RT_SYMBOL_MESSAGE, &full);
  if (rc != 0)
    return rc;
  r = (reader_t){message->bytes, message->bytes + message->len};
  while ((rc = next_field(&r, &f)) == 1) {
    if (f.number == 2 || f.number == 6)
      rc = add_named(file, full, &f, RT_SYMBOL_FIELD, NULL);
    else if (f.number == 3)
      rc = index_message(file, full, &f, depth + 1);
    else if (f.number == 4)
      rc = index_enum(file, full, &f);
    else if (f.number == 8)
      rc = add_named(file, full, &f, RT_SYMBOL_ONEOF, NULL);
    if (rc < 0)
      return rc;
  }
  return rc;
}

static int index_service(rt_descriptor_file_t *file, const field_t *service) {
  reader_t r;
  field_t f;
  char *full = NULL;
  int rc = add_named(file, file->package, service, RT_SYMBOL_SERVICE, &full);

  if (rc != 0)
    return rc;
  r = (reader_t){service->bytes, service->bytes + service->len};
  while ((rc = next_field(&r, &f)) == 1) {
    if (f.number == 2 &&
        (rc = add_named(file, full, &f, RT_SYMBOL_METHOD, NULL)) != 0)
      return rc;
  }
  return rc;
}

static int copy_string(const field_t *f, char **out) {
  if (f->wire_type != 2)
    return RT_ECORRUPT;
  *out = strndup((const char *)f->bytes, f->len);
  return *out ? 0 : RT_ENOMEM;
}

static int add_dep(rt_descriptor_file_t *file, const field_t *f) {
  char **grown = realloc(file->deps, (file->dep_count + 1) * sizeof(*grown));

  if (grown == NULL)
    return RT_ENOMEM;
  file->deps = grown;
  return copy_string(f, &file->deps[file->dep_count++]);
}

/* Two passes: name and package first, since symbols need the package. */
static int index_file(rt_descriptor_file_t *file) {
  reader_t r = {file->proto, file->proto + file->proto_len};
  field_t f;
  int rc;

  while ((rc = next_field(&r, &f)) == 1) {
    if (f.number == 1)
      rc = copy_string(&f, &file->name);
    else if (f.number == 2)
      rc = copy_string(&f, &file->package);
    else if (f.number == 3)
      rc = add_dep(file, &f);
    if (rc < 0)
      return rc;
  }
  if (rc < 0 || file->name == NULL)
    return RT_ECORRUPT;
  if (file->package == NULL && (file->package = strdup("")) == NULL)
    return RT_ENOMEM;
  r = (reader_t){file->proto, file->proto + file->proto_len};
  while ((rc = next_field(&r, &f)) == 1) {
    if (f.number == 4)
      rc = index_message(file, file->package, &f, 0);
    else if (f.number == 5)
      rc = index_enum(file, file->package, &f);
    else if (f.number == 6)
      rc = index_service(file, &f);
    else if (f.number == 7)
      rc = add_named(file, file->package, &f, RT_SYMBOL_FIELD, NULL);
    if (rc < 0)
      return rc;
  }
  return rc;
}

static void file_free(rt_descriptor_file_t *file) {
  size_t i;

  for (i = 0; i < file->dep_count; i++)
    free(file->deps[i]);
  for (i = 0; i < file->symbol_count; i++)
    free(file->symbols[i].name);
  free(file->deps);
  free(file->symbols);
  free(file->name);
  free(file->package);
}

int rt_descriptor_pool_parse(rt_descriptor_pool_t *pool, const uint8_t *set,
                             size_t len, rt_error_t *err) {
  reader_t r = {set, set + len};
  field_t f;
  int rc;

  memset(pool, 0, sizeof(*pool));
  while ((rc = next_field(&r, &f)) == 1) {
    rt_descriptor_file_t *grown;
    if (f.number != 1 || f.wire_type != 2)
      continue;
    grown = realloc(pool->files, (pool->file_count + 1) * sizeof(*grown));
    if (grown == NULL) {
      rc = RT_ENOMEM;
      goto fail;
    }
    pool->files = grown;
    memset(&grown[pool->file_count], 0, sizeof(*grown));
    grown[pool->file_count].proto = f.bytes;
    grown[pool->file_count].proto_len = f.len;
    pool->file_count++;
    rc = index_file(&grown[pool->file_count - 1]);
    if (rc < 0)
      goto fail;
  }
  if (rc < 0)
    goto fail;
  return 0;
fail:
  rt_error_set(err, rc, "descriptor_set",
               "descriptor set does not parse (file %zu): %s", pool->file_count,
               rt_strerror(rc));
  rt_descriptor_pool_free(pool);
  return rc;
}

const rt_descriptor_file_t *
rt_descriptor_pool_find_file(const rt_descriptor_pool_t *pool,
                             const char *name) {
  size_t i;

  for (i = 0; i < pool->file_count; i++) {
    if (strcmp(pool->files[i].name, name) == 0)
      return &pool->files[i];
  }
  return NULL;
}

const rt_descriptor_file_t *
rt_descriptor_pool_find_symbol(const rt_descriptor_pool_t *pool,
                               const char *symbol, rt_symbol_kind_t *kind) {
  size_t i, j;

  if (symbol[0] == '.')
    symbol++;
  for (i = 0; i < pool->file_count; i++) {
    const rt_descriptor_file_t *file = &pool->files[i];
    for (j = 0; j < file->symbol_count; j++) {
      if (strcmp(file->symbols[j].name, symbol) == 0) {
        if (kind != NULL)
          *kind = file->symbols[j].kind;
        return file;
      }
    }
  }
  return NULL;
}

static int already_in(const rt_descriptor_file_t **out, size_t count,
                      const rt_descriptor_file_t *file) {
  size_t i;

  for (i = 0; i < count; i++) {
    if (out[i] == file)
      return 1;
  }
  return 0;
}

size_t rt_descriptor_pool_closure(const rt_descriptor_pool_t *pool,
                                  const rt_descriptor_file_t *file,
                                  const rt_descriptor_file_t **out) {
  size_t count = 0, next = 0, i;

  out[count++] = file;
  /* Breadth-first over dependencies; out doubles as the queue. */
  while (next < count) {
    const rt_descriptor_file_t *current = out[next++];
    for (i = 0; i < current->dep_count; i++) {
      const rt_descriptor_file_t *dep =
          rt_descriptor_pool_find_file(pool, current->deps[i]);
      if (dep != NULL && !already_in(out, count, dep) &&
          count < pool->file_count)
        out[count++] = dep;
    }
  }
  return count;
}

void rt_descriptor_pool_free(rt_descriptor_pool_t *pool) {
  size_t i;

  for (i = 0; i < pool->file_count; i++)
    file_free(&pool->files[i]);
  free(pool->files);
  memset(pool, 0, sizeof(*pool));
}
