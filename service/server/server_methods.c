/*
 * server_methods: a plain array searched linearly. A server routes to a
 * few dozen methods, and a string compare per method costs less than a
 * hash of the path would; registration happens once, at start.
 */
#include "server_methods.h"

#include <stdlib.h>
#include <string.h>

/* The service part of "/package.Service/Method", or 0 if malformed. */
static size_t service_name_len(const char *path) {
  const char *slash;

  if (path == NULL || path[0] != '/')
    return 0;
  slash = strchr(path + 1, '/');
  if (slash == NULL || slash == path + 1 || slash[1] == '\0' ||
      strchr(slash + 1, '/') != NULL)
    return 0;
  return (size_t)(slash - path - 1);
}

static int add_service_name(server_methods_t *table, const char *path,
                            size_t len) {
  char **grown;
  size_t i;

  for (i = 0; i < table->service_count; i++) {
    if (strlen(table->services[i]) == len &&
        memcmp(table->services[i], path + 1, len) == 0)
      return 0;
  }
  grown = realloc(table->services,
                  (table->service_count + 1) * sizeof(*table->services));
  if (grown == NULL)
    return RT_ENOMEM;
  table->services = grown;
  grown[table->service_count] = strndup(path + 1, len);
  if (grown[table->service_count] == NULL)
    return RT_ENOMEM;
  table->service_count++;
  return 0;
}

int server_methods_add(server_methods_t *table, const rt_method_t *methods,
                       size_t count, rt_error_t *err) {
  rt_method_t *grown;
  size_t i, j;

  for (i = 0; i < count; i++) {
    if (service_name_len(methods[i].path) == 0 || methods[i].handle == NULL)
      return rt_error_set(err, RT_EINVAL, "path",
                          "method path \"%s\" is not /package.Service/Method",
                          methods[i].path ? methods[i].path : "(null)");
    for (j = 0; j < table->count; j++) {
      if (strcmp(table->methods[j].path, methods[i].path) == 0)
        return rt_error_set(err, RT_EEXIST, "path",
                            "method %s is registered twice", methods[i].path);
    }
  }
  grown = realloc(table->methods, (table->count + count) * sizeof(*grown));
  if (grown == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  table->methods = grown;
  for (i = 0; i < count; i++) {
    if (add_service_name(table, methods[i].path,
                         service_name_len(methods[i].path)) != 0)
      return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
    table->methods[table->count++] = methods[i];
  }
  return 0;
}

const rt_method_t *server_methods_find(const server_methods_t *table,
                                       const char *path) {
  size_t i;

  for (i = 0; i < table->count; i++) {
    if (strcmp(table->methods[i].path, path) == 0)
      return &table->methods[i];
  }
  return NULL;
}

void server_methods_free(server_methods_t *table) {
  size_t i;

  for (i = 0; i < table->service_count; i++)
    free(table->services[i]);
  free(table->services);
  free(table->methods);
  memset(table, 0, sizeof(*table));
}
