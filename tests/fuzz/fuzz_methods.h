/*
 * fuzz_methods: every method rectrackd routes, indexed as the
 * structure-aware target and gen_corpus.py both index them:
 * grpc.health.v1.Health, grpc.reflection.v1 and grpc.reflection.v1alpha
 * ServerReflection, then the rectrack.v1.Tracker methods in the order
 * tracker.proto declares them, last, so that a method appended to the
 * API moves no index a kept input uses. Taken from the generated
 * protobuf-c service descriptors, so that a method added to the API is
 * fuzzed without touching the harness.
 */
#ifndef FUZZ_METHODS_H
#define FUZZ_METHODS_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* The roles of the tokens file, in order: each allows what those below
 * it allow. */
typedef enum fuzz_role {
  FUZZ_ROLE_NONE,
  FUZZ_ROLE_READER,      /* Get*, List*, reviews, WatchChanges, info */
  FUZZ_ROLE_REPORTER,    /* also Record* (on its actors' subjects) */
  FUZZ_ROLE_SECRETARIAT, /* also Create*, Update*, ValidateSubmission */
  FUZZ_ROLE_ADMIN,       /* also Backup */
} fuzz_role_t;

typedef struct fuzz_method {
  char path[128];   /* "/rectrack.v1.Tracker/CreateSource" */
  const char *name; /* "CreateSource" */
  const ProtobufCMessageDescriptor *input, *output;
  bool tracker; /* a rectrack.v1.Tracker method (authenticated) */
  /* The role a Tracker method needs, from its name as the API documents
   * the roles (not from the server's route table, which it checks). */
  fuzz_role_t role;
} fuzz_method_t;

size_t fuzz_method_count(void);

/* 0 <= index < fuzz_method_count(). */
const fuzz_method_t *fuzz_method(size_t index);

#endif /* FUZZ_METHODS_H */
