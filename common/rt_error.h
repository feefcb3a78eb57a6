/*
 * rt_error: the one list of rectrack error codes and the error detail a
 * caller passes in to learn which field or value was wrong.
 *
 * Owns: the RT_E* codes, rt_strerror(), rt_error_t. Calls nothing.
 * Every module that can fail returns 0 or a negative RT_E* code from here;
 * the service maps them to gRPC status codes in one table (service/).
 */
#ifndef RT_ERROR_H
#define RT_ERROR_H

#include <stddef.h>

enum {
  RT_OK = 0,
  RT_EINVAL = -1,    /* a field has a bad value (rt_error_t.field says which) */
  RT_ENOTFOUND = -2, /* the record or a record it refers to does not exist */
  RT_EEXIST = -3,    /* a record with this id already exists */
  RT_ECONFLICT = -4, /* expected_revision does not match the record's */
  RT_ENOSPC = -5,    /* out of disk space or map space that cannot grow */
  RT_EIO = -6,       /* the operating system or LMDB failed */
  RT_ECORRUPT = -7,  /* stored data does not decode or breaks an invariant */
  RT_EVERSION = -8,  /* the data directory has an incompatible schema */
  RT_ENOMEM = -9,    /* allocation failed */
  RT_ETOOBIG = -10,  /* an input exceeds a size limit */
  RT_EBUSY = -11,    /* the data directory is locked by another process */
  RT_EUNAVAIL = -12, /* shutting down */
  RT_EPRECOND = -13, /* the operation does not apply to the record's state */
  RT_EUNAUTH = -14,  /* the caller is not authenticated (no or unknown token) */
  RT_EPERM = -15,    /* the caller's role does not allow the operation */
};

/* Detail for the user: which field and what was wrong with it. */
typedef struct rt_error {
  int code;          /* the RT_E* code, 0 when unset */
  char field[64];    /* field path, e.g. "recommendation.sdg_targets[1]" */
  char message[512]; /* full sentence naming the field and value */
} rt_error_t;

/* Returns a static, human-readable description of an RT_E* code. */
const char *rt_strerror(int code);

/* Returns the symbolic name of an RT_E* code ("RT_EINVAL"). */
const char *rt_err_name(int code);

/* Fills err (may be NULL) with code, field and a printf-style message and
 * returns code, so that a check can be written `return rt_error_set(...)`.
 * field may be NULL. The message is truncated to fit. */
int rt_error_set(rt_error_t *err, int code, const char *field,
                 const char *format, ...) __attribute__((format(printf, 4, 5)));

/* Resets err to "no error". err may be NULL. */
void rt_error_clear(rt_error_t *err);

#endif /* RT_ERROR_H */
