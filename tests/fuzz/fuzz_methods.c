/*
 * fuzz_methods: the table of fuzz_methods.h, built on first use from the
 * service descriptors protoc-c generated (their methods[] are in
 * declaration order).
 */
#include "fuzz_methods.h"

#include <stdio.h>
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"
#include "rectrack/v1/tracker.pb-c.h"

#define FUZZ_MAX_METHODS 64

static fuzz_method_t methods[FUZZ_MAX_METHODS];
static size_t method_count;

static fuzz_role_t role_of(const char *name) {
  if (strcmp(name, "Backup") == 0)
    return FUZZ_ROLE_ADMIN;
  if (strncmp(name, "Create", 6) == 0 || strncmp(name, "Update", 6) == 0 ||
      strcmp(name, "ValidateSubmission") == 0)
    return FUZZ_ROLE_SECRETARIAT;
  if (strncmp(name, "Record", 6) == 0)
    return FUZZ_ROLE_REPORTER;
  return FUZZ_ROLE_READER;
}

static void add_service(const ProtobufCServiceDescriptor *service,
                        bool tracker) {
  for (unsigned i = 0;
       i < service->n_methods && method_count < FUZZ_MAX_METHODS; i++) {
    const ProtobufCMethodDescriptor *desc = &service->methods[i];
    fuzz_method_t *method = &methods[method_count++];
    snprintf(method->path, sizeof method->path, "/%s/%s", service->name,
             desc->name);
    method->name = desc->name;
    method->input = desc->input;
    method->output = desc->output;
    method->tracker = tracker;
    method->role = tracker ? role_of(desc->name) : FUZZ_ROLE_NONE;
  }
}

static void build(void) {
  if (method_count > 0)
    return;
  add_service(&grpc__health__v1__health__descriptor, false);
  add_service(&grpc__reflection__v1__server_reflection__descriptor, false);
  add_service(&grpc__reflection__v1alpha__server_reflection__descriptor, false);
  add_service(&rectrack__v1__tracker__descriptor, true);
}

size_t fuzz_method_count(void) {
  build();
  return method_count;
}

const fuzz_method_t *fuzz_method(size_t index) {
  build();
  return &methods[index];
}
