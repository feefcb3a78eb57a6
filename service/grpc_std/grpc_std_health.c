/*
 * grpc_std_health: grpc.health.v1.Health over rt_call. Service names and their
 * status live in a small array (a server has a handful); watchers are a
 * list of open Watch calls, each remembering the last status it sent so a
 * change is sent once. A watcher leaves the list when its call is
 * cancelled (cancel()) or when drain ends it.
 */
#include "rt_grpc_std.h"

#include <stdlib.h>
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "rt_pbwire.h"

#define STATUS_SERVING                                                         \
  GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
#define STATUS_NOT_SERVING                                                     \
  GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING
#define STATUS_SERVICE_UNKNOWN                                                 \
  GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN

typedef struct health_service {
  char *name;
  int status;
} health_service_t;

typedef struct watcher {
  struct watcher *prev, *next;
  rt_call_t *call;
  char *name;
  int last_sent; /* -1 before the first message */
} watcher_t;

struct rt_health {
  health_service_t *services;
  size_t service_count;
  watcher_t *watchers;
  rt_method_t methods[2];
};

static void handle_check(rt_call_t *call, const uint8_t *request, size_t len);
static void handle_watch(rt_call_t *call, const uint8_t *request, size_t len);
static void cancel_watch(rt_call_t *call);

int rt_health_new(rt_health_t **out, rt_error_t *err) {
  rt_health_t *health = calloc(1, sizeof(*health));

  *out = NULL;
  if (health == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  health->methods[0] =
      (rt_method_t){"/grpc.health.v1.Health/Check", RT_METHOD_UNARY,
                    handle_check, NULL, health};
  health->methods[1] =
      (rt_method_t){"/grpc.health.v1.Health/Watch", RT_METHOD_SERVER_STREAMING,
                    handle_watch, cancel_watch, health};
  if (rt_health_add_service(health, "") != 0) {
    free(health);
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  }
  *out = health;
  return 0;
}

static health_service_t *find_service(rt_health_t *health, const char *name) {
  size_t i;

  for (i = 0; i < health->service_count; i++) {
    if (strcmp(health->services[i].name, name) == 0)
      return &health->services[i];
  }
  return NULL;
}

int rt_health_add_service(rt_health_t *health, const char *name) {
  health_service_t *grown;

  if (find_service(health, name) != NULL)
    return RT_EEXIST;
  grown =
      realloc(health->services, (health->service_count + 1) * sizeof(*grown));
  if (grown == NULL)
    return RT_ENOMEM;
  health->services = grown;
  grown[health->service_count].name = strdup(name);
  if (grown[health->service_count].name == NULL)
    return RT_ENOMEM;
  grown[health->service_count].status = STATUS_SERVING;
  health->service_count++;
  return 0;
}

static int current_status(rt_health_t *health, const char *name) {
  health_service_t *service = find_service(health, name);
  return service ? service->status : STATUS_SERVICE_UNKNOWN;
}

/* Packs a HealthCheckResponse into buf (always small). */
static size_t pack_status(int status, uint8_t buf[16]) {
  Grpc__Health__V1__HealthCheckResponse response =
      GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;

  response.status = status;
  return grpc__health__v1__health_check_response__pack(&response, buf);
}

static void notify(watcher_t *watcher, int status) {
  uint8_t buf[16];
  size_t len;

  if (watcher->last_sent == status)
    return;
  len = pack_status(status, buf);
  if (rt_call_send(watcher->call, buf, len) == 0)
    watcher->last_sent = status;
}

int rt_health_set_serving(rt_health_t *health, const char *name, int serving) {
  int status = serving ? STATUS_SERVING : STATUS_NOT_SERVING;
  watcher_t *watcher;
  size_t i;
  int found = 0;

  for (i = 0; i < health->service_count; i++) {
    if (name == NULL || strcmp(health->services[i].name, name) == 0) {
      health->services[i].status = status;
      found = 1;
    }
  }
  if (!found)
    return RT_ENOTFOUND;
  for (watcher = health->watchers; watcher != NULL; watcher = watcher->next)
    notify(watcher, current_status(health, watcher->name));
  return 0;
}

static void watcher_remove(rt_health_t *health, watcher_t *watcher) {
  if (watcher->prev)
    watcher->prev->next = watcher->next;
  else
    health->watchers = watcher->next;
  if (watcher->next)
    watcher->next->prev = watcher->prev;
  free(watcher->name);
  free(watcher);
}

void rt_health_drain(void *arg) {
  rt_health_t *health = arg;

  rt_health_set_serving(health, NULL, 0);
  while (health->watchers != NULL) {
    rt_call_t *call = health->watchers->call;
    watcher_remove(health, health->watchers);
    rt_call_finish(call, RT_GRPC_UNAVAILABLE, "server is shutting down");
  }
}

/* Unpacks the request's service name (malloc'd) or fails the call. */
static char *request_name(rt_call_t *call, const uint8_t *request, size_t len) {
  Grpc__Health__V1__HealthCheckRequest *message =
      grpc__health__v1__health_check_request__unpack(NULL, len, request);
  char *name;

  if (message == NULL) {
    rt_call_fail(call, RT_GRPC_INVALID_ARGUMENT,
                 "HealthCheckRequest does not decode");
    return NULL;
  }
  if (rt_pbwire_has_field_zero(&message->base)) {
    grpc__health__v1__health_check_request__free_unpacked(message, NULL);
    rt_call_fail(call, RT_GRPC_INVALID_ARGUMENT,
                 "HealthCheckRequest holds a field numbered 0, which the "
                 "protobuf encoding does not allow");
    return NULL;
  }
  name = strdup(message->service ? message->service : "");
  grpc__health__v1__health_check_request__free_unpacked(message, NULL);
  if (name == NULL)
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
  return name;
}

static void handle_check(rt_call_t *call, const uint8_t *request, size_t len) {
  rt_health_t *health = rt_call_method_data(call);
  char *name = request_name(call, request, len);
  health_service_t *service;
  uint8_t buf[16];

  if (name == NULL)
    return;
  service = find_service(health, name);
  if (service == NULL)
    rt_call_fail(call, RT_GRPC_NOT_FOUND, "unknown service");
  else
    rt_call_reply(call, buf, pack_status(service->status, buf));
  free(name);
}

static void handle_watch(rt_call_t *call, const uint8_t *request, size_t len) {
  rt_health_t *health = rt_call_method_data(call);
  char *name = request_name(call, request, len);
  watcher_t *watcher;

  if (name == NULL)
    return;
  watcher = calloc(1, sizeof(*watcher));
  if (watcher == NULL) {
    free(name);
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  watcher->call = call;
  watcher->name = name;
  watcher->last_sent = -1;
  watcher->next = health->watchers;
  if (health->watchers)
    health->watchers->prev = watcher;
  health->watchers = watcher;
  rt_call_set_data(call, watcher);
  notify(watcher, current_status(health, name));
}

static void cancel_watch(rt_call_t *call) {
  rt_health_t *health = rt_call_method_data(call);
  watcher_t *watcher = rt_call_data(call);

  if (watcher != NULL)
    watcher_remove(health, watcher);
}

const rt_method_t *rt_health_methods(rt_health_t *health, size_t *count) {
  *count = 2;
  return health->methods;
}

void rt_health_free(rt_health_t *health) {
  size_t i;

  if (health == NULL)
    return;
  while (health->watchers != NULL)
    watcher_remove(health, health->watchers);
  for (i = 0; i < health->service_count; i++)
    free(health->services[i].name);
  free(health->services);
  free(health);
}
