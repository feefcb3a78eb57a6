/*
 * tracker: assembly of the Tracker service. Creates the loop thread's
 * read snapshot, the writer thread and the WatchChanges pump, joins the
 * method tables of the per-concern files (reads, writes, watch, review)
 * into the one array the transport registers, and runs the shutdown
 * sequence: writer drained first (so every accepted write is answered),
 * then the watch streams ended.
 *
 * Every method goes through one dispatch, which checks the caller's
 * bearer token and role (rt_auth) when tokens are configured, before the
 * handler sees the request.
 */
#include "tracker_internal.h"

#include "rt_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RT_TRACKER_DEFAULT_MAX_REPLY (4u << 20)

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- dispatch: every Tracker call passes through here --------------
 * The transport calls methods[i].handle, which is route_<i>: it checks
 * the caller's token and role (when tokens are configured) and forwards
 * to routes[i].handle. rt_method_t has one data pointer, and every
 * handler reads the tracker from it, so the route's index travels in the
 * function itself: one small trampoline per slot. A new method table is
 * thus covered without touching its handlers, and a method cannot skip
 * the check. */

/* Checks the call's bearer token and role, and that x-rectrack-user (if
 * sent) names the token's principal; sets tracker->call_principal. */
static int authenticate_call(rt_tracker_t *tracker, rt_call_t *call,
                             const rt_tracker_route_t *route, rt_error_t *err) {
  const char *principal = NULL;
  rt_auth_role_t role = RT_AUTH_ROLE_NONE;
  int rc = rt_auth_authenticate(tracker->auth,
                                rt_call_metadata(call, "authorization"),
                                &principal, &role, err);
  if (rc != 0)
    return rc;
  rc = rt_auth_authorize(role, route->required_role, principal, route->name,
                         err);
  if (rc != 0)
    return rc;
  const char *user = rt_call_metadata(call, "x-rectrack-user");
  if (user != NULL && strcmp(user, principal) != 0)
    return rt_error_set(err, RT_EPERM, "x-rectrack-user",
                        "x-rectrack-user \"%.64s\" is not the principal of "
                        "the token (\"%s\"); omit it or make them match",
                        user, principal);
  tracker->call_principal = principal;
  return 0;
}

static void dispatch(rt_call_t *call, size_t index, const uint8_t *request,
                     size_t len) {
  rt_tracker_t *tracker = rt_call_method_data(call);
  const rt_tracker_route_t *route = &tracker->routes[index];

  if (tracker->auth != NULL) {
    rt_error_t err;
    rt_error_clear(&err);
    int rc = authenticate_call(tracker, call, route, &err);
    if (rc != 0) {
      rt_tracker_fail(call, rc, &err);
      return;
    }
  }
  route->handle(call, request, len);
  tracker->call_principal = NULL;
}

#define ROUTE(group, k)                                                        \
  static void route_##group##_##k(rt_call_t *call, const uint8_t *request,     \
                                  size_t len) {                                \
    dispatch(call, (group)*8 + (k), request, len);                             \
  }
#define ROUTES8(group)                                                         \
  ROUTE(group, 0)                                                              \
  ROUTE(group, 1)                                                              \
  ROUTE(group, 2)                                                              \
  ROUTE(group, 3)                                                              \
  ROUTE(group, 4)                                                              \
  ROUTE(group, 5)                                                              \
  ROUTE(group, 6)                                                              \
  ROUTE(group, 7)
#define ROUTE_NAMES8(group)                                                    \
  route_##group##_0, route_##group##_1, route_##group##_2, route_##group##_3,  \
      route_##group##_4, route_##group##_5, route_##group##_6,                 \
      route_##group##_7
ROUTES8(0)
ROUTES8(1)
ROUTES8(2)
ROUTES8(3)
ROUTES8(4)
ROUTES8(5)
/* route_handlers[i] forwards to routes[i]: 48 slots. */
static void (*const route_handlers[])(rt_call_t *, const uint8_t *, size_t) = {
    ROUTE_NAMES8(0), ROUTE_NAMES8(1), ROUTE_NAMES8(2),
    ROUTE_NAMES8(3), ROUTE_NAMES8(4), ROUTE_NAMES8(5)};
#define MAX_ROUTES (sizeof route_handlers / sizeof route_handlers[0])

/* One array of every table, each method's data pointing at tracker and
 * its handler at the dispatch; writes need the writer role. */
static int build_methods(rt_tracker_t *tracker, rt_error_t *err) {
  const struct {
    const rt_method_t *table;
    size_t count;
    rt_auth_role_t required_role;
  } tables[] = {
      {rt_tracker_read_methods, rt_tracker_read_method_count,
       RT_AUTH_ROLE_READER},
      {rt_tracker_write_methods, rt_tracker_write_method_count,
       RT_AUTH_ROLE_WRITER},
      {rt_tracker_watch_methods, rt_tracker_watch_method_count,
       RT_AUTH_ROLE_READER},
      {rt_tracker_review_methods, rt_tracker_review_method_count,
       RT_AUTH_ROLE_READER},
  };
  size_t total = 0;
  for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
    total += tables[t].count;
  if (total > MAX_ROUTES)
    return rt_error_set(err, RT_EINVAL, NULL,
                        "%zu Tracker methods, the dispatch has %zu slots",
                        total, MAX_ROUTES);
  tracker->methods = calloc(total, sizeof *tracker->methods);
  tracker->routes = calloc(total, sizeof *tracker->routes);
  if (tracker->methods == NULL || tracker->routes == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
    for (size_t i = 0; i < tables[t].count; i++) {
      size_t index = tracker->method_count++;
      rt_method_t *method = &tracker->methods[index];
      rt_tracker_route_t *route = &tracker->routes[index];
      *method = tables[t].table[i];
      route->handle = method->handle;
      route->required_role = tables[t].required_role;
      route->name = strrchr(method->path, '/') + 1;
      method->handle = route_handlers[index];
      method->data = tracker;
    }
  return 0;
}

int rt_tracker_new(rt_tracker_t **out, uv_loop_t *loop, rt_store_t *store,
                   const rt_tracker_options_t *options, rt_error_t *err) {
  *out = NULL;
  rt_tracker_t *tracker = calloc(1, sizeof *tracker);
  if (tracker == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  tracker->loop = loop;
  tracker->store = store;
  tracker->auth = options ? options->auth : NULL;
  tracker->started_ms =
      options && options->started_ms ? options->started_ms : now_ms();
  tracker->max_reply_bytes = options && options->max_reply_bytes
                                 ? options->max_reply_bytes
                                 : RT_TRACKER_DEFAULT_MAX_REPLY;
  int rc;
  if (options != NULL && options->data_dir != NULL &&
      (tracker->data_dir = strdup(options->data_dir)) == NULL) {
    rc = rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
    goto fail;
  }
  if ((rc = build_methods(tracker, err)) != 0)
    goto fail;
  if ((rc = rt_store_reader_begin(store, &tracker->reader, err)) != 0)
    goto fail;
  rt_store_reader_reset(tracker->reader);
  if ((rc = rt_tracker_watch_init(tracker)) != 0) {
    rt_error_set(err, rc, NULL, "cannot set up the WatchChanges pump");
    goto fail;
  }
  rt_writer_options_t writer_options = {
      .max_batch = options ? options->max_batch : 0,
      .max_queue = options ? options->max_queue : 0,
      .on_commit = rt_tracker_watch_on_commit,
      .on_commit_data = tracker,
  };
  if ((rc = rt_writer_new(&tracker->writer, loop, store, &writer_options,
                          err)) != 0)
    goto fail;
  *out = tracker;
  return 0;

fail:
  rt_tracker_free(tracker);
  return rc;
}

const rt_method_t *rt_tracker_methods(rt_tracker_t *tracker, size_t *count) {
  *count = tracker->method_count;
  return tracker->methods;
}

static void on_watch_closed(rt_tracker_t *tracker) {
  if (tracker->drain_done != NULL)
    tracker->drain_done(tracker->drain_data);
}

static void on_writer_drained(void *data) {
  rt_tracker_t *tracker = data;
  rt_writer_stats_t stats;
  rt_writer_get_stats(tracker->writer, &stats);
  rt_log(RT_LOG_INFO,
         "writer stopped: %llu writes in %llu commits (largest %zu), "
         "%llu abandoned before their commit",
         (unsigned long long)stats.jobs, (unsigned long long)stats.batches,
         stats.largest_batch, (unsigned long long)stats.skipped);
  rt_tracker_watch_shutdown(tracker, on_watch_closed);
}

void rt_tracker_drain(rt_tracker_t *tracker, void (*done)(void *data),
                      void *data) {
  if (tracker->draining)
    return;
  tracker->draining = true;
  tracker->drain_done = done;
  tracker->drain_data = data;
  rt_writer_drain(tracker->writer, on_writer_drained, tracker);
}

void rt_tracker_free(rt_tracker_t *tracker) {
  if (tracker == NULL)
    return;
  rt_writer_free(tracker->writer);
  rt_tracker_watch_release(tracker);
  rt_store_reader_end(tracker->reader);
  free(tracker->methods);
  free(tracker->routes);
  free(tracker->data_dir);
  free(tracker);
}
