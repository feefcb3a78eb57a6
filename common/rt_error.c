/*
 * rt_error: error code names and descriptions, and the helper that fills a
 * caller's rt_error_t. Kept free of any other module so that storage,
 * service and client can all report errors the same way.
 */
#include "rt_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  int code;
  const char *name;
  const char *description;
} error_entry_t;

static const error_entry_t error_table[] = {
    {RT_OK, "RT_OK", "success"},
    {RT_EINVAL, "RT_EINVAL", "invalid argument"},
    {RT_ENOTFOUND, "RT_ENOTFOUND", "not found"},
    {RT_EEXIST, "RT_EEXIST", "already exists"},
    {RT_ECONFLICT, "RT_ECONFLICT", "revision conflict"},
    {RT_ENOSPC, "RT_ENOSPC", "no space left"},
    {RT_EIO, "RT_EIO", "input/output error"},
    {RT_ECORRUPT, "RT_ECORRUPT", "stored data is corrupt"},
    {RT_EVERSION, "RT_EVERSION", "incompatible data format version"},
    {RT_ENOMEM, "RT_ENOMEM", "out of memory"},
    {RT_ETOOBIG, "RT_ETOOBIG", "input too large"},
    {RT_EBUSY, "RT_EBUSY", "resource busy"},
    {RT_EUNAVAIL, "RT_EUNAVAIL", "unavailable"},
    {RT_EPRECOND, "RT_EPRECOND", "failed precondition"},
    {RT_EUNAUTH, "RT_EUNAUTH", "not authenticated"},
    {RT_EPERM, "RT_EPERM", "permission denied"},
};

static const error_entry_t *find_entry(int code) {
  for (size_t i = 0; i < sizeof error_table / sizeof error_table[0]; i++)
    if (error_table[i].code == code)
      return &error_table[i];
  return NULL;
}

const char *rt_strerror(int code) {
  const error_entry_t *entry = find_entry(code);
  return entry ? entry->description : "unknown error";
}

const char *rt_err_name(int code) {
  const error_entry_t *entry = find_entry(code);
  return entry ? entry->name : "RT_EUNKNOWN";
}

int rt_error_set(rt_error_t *err, int code, const char *field,
                 const char *format, ...) {
  if (err == NULL)
    return code;
  err->code = code;
  snprintf(err->field, sizeof err->field, "%s", field ? field : "");
  va_list args;
  va_start(args, format);
  vsnprintf(err->message, sizeof err->message, format, args);
  va_end(args);
  return code;
}

void rt_error_clear(rt_error_t *err) {
  if (err != NULL)
    memset(err, 0, sizeof *err);
}
