/*
 * tracker: assembly of the Tracker service. Creates the loop thread's
 * read snapshot, the writer thread and the WatchChanges pump, joins the
 * route tables of the handler files (reads, writes, watch, review) into
 * the one method table the transport registers, and runs the shutdown
 * sequence: writer drained first (so every accepted write is answered),
 * then the watch streams ended.
 *
 * The reader threads (tracker_readers.h) run the reads that are not
 * lookups; they drain after the writer, before the watch streams end.
 *
 * Dispatch: every method of the table has the same handle, dispatch(),
 * and its data points at a binding of the tracker and the method's route
 * (libuv's habit: the callback is shared, the data says what it is for).
 * dispatch() resolves who the call is made by (the bearer token and the
 * route's role when tokens are configured), decodes the request as the
 * route's message type into the request's arena, and calls the route's
 * handler with the principal, the request and the arena. A new route is
 * therefore covered without touching the dispatch, and no handler can be
 * reached without the check.
 *
 * Metrics: every method of the table has its series, registered with the
 * table (rectrack_grpc_calls_total by method and code, for every gRPC
 * code, and rectrack_grpc_call_duration_seconds by method), and so does
 * "other", for the transport's other services. The transport tells of
 * each call's end (rt_tracker_observe_call): only it knows when a call
 * really ended, whichever handler, deadline or client ended it.
 */
#include "tracker_call.h"
#include "tracker_watch.h"

#include "rt_grpc.h"
#include "rt_log.h"
#include "rt_pbwire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RT_TRACKER_DEFAULT_MAX_REPLY (4u << 20)
#define RT_PRINCIPAL_HEADER "x-rectrack-user"
/* A request's first arena block: room for a write's state and an
 * unpacked request a few times its packed size, so that most requests
 * take one malloc. */
#define RT_ARENA_FIRST_BLOCK 1024

/* gRPC status codes 0..16. */
#define RT_GRPC_CODES 17

/* The series of one method. */
typedef struct tracker_call_series {
  rt_counter_t *calls[RT_GRPC_CODES];
  rt_histogram_t *seconds;
} tracker_call_series_t;

/* What the data of a method in the transport's table points at. */
typedef struct tracker_binding {
  rt_tracker_t *tracker;
  const tracker_route_t *route;
} tracker_binding_t;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- dispatch: every Tracker call passes through here ------------------ */

/* "CreateSource" of "/rectrack.v1.Tracker/CreateSource". */
static const char *route_name(const tracker_route_t *route) {
  return strrchr(route->path, '/') + 1;
}

/* With tokens: the token's principal, if its role allows the route; an
 * x-rectrack-user header, if sent, must name that same principal. */
static int authenticate(const rt_tracker_t *tracker, rt_call_t *call,
                        const tracker_route_t *route,
                        rt_auth_principal_t *principal, rt_error_t *err) {
  int rc = rt_auth_authenticate(
      tracker->auth, rt_call_metadata(call, "authorization"), principal, err);
  if (rc != 0)
    return rc;
  rc = rt_auth_authorize(principal, route->role, route_name(route), err);
  if (rc != 0)
    return rc;
  const char *user = rt_call_metadata(call, RT_PRINCIPAL_HEADER);
  if (user != NULL && strcmp(user, principal->name) != 0)
    return rt_error_set(err, RT_EPERM, RT_PRINCIPAL_HEADER,
                        RT_PRINCIPAL_HEADER " \"%.64s\" is not the principal "
                                            "of the token (\"%s\"); omit it or "
                                            "make them match",
                        user, principal->name);
  return 0;
}

/* Without tokens (the open API) everyone may do everything, as an admin
 * (what they record is validated at once), and the principal is who
 * x-rectrack-user says, or "anonymous". The name is shown and logged as
 * is, so a route that records it (any write) refuses a malformed one;
 * others ignore it. */
static int principal_of_open_call(rt_call_t *call, const tracker_route_t *route,
                                  rt_auth_principal_t *principal,
                                  rt_error_t *err) {
  const char *user = rt_call_metadata(call, RT_PRINCIPAL_HEADER);
  *principal =
      (rt_auth_principal_t){.name = "anonymous", .role = RT_AUTH_ROLE_ADMIN};
  if (user == NULL)
    return 0;
  if (rt_auth_principal_is_valid(user)) {
    principal->name = user;
    return 0;
  }
  if (route->role < RT_AUTH_ROLE_REPORTER)
    return 0;
  return rt_error_set(err, RT_EINVAL, RT_PRINCIPAL_HEADER,
                      RT_PRINCIPAL_HEADER " must be 1 to %d characters of "
                                          "letters, digits and . _ @ + -",
                      RT_AUTH_MAX_PRINCIPAL_LEN);
}

/* Unpacks request as desc's message into a new arena (*arena, which the
 * message lives in), or fails the call (INVALID_ARGUMENT naming the type
 * and, for a field numbered 0, saying so; or RESOURCE_EXHAUSTED) and
 * returns NULL with nothing left to free. Field number 0 is checked here
 * because protobuf-c lets its overlong form through (rt_pbwire.h). */
static ProtobufCMessage *decode(rt_call_t *call,
                                const ProtobufCMessageDescriptor *desc,
                                const uint8_t *request, size_t len,
                                tracker_arena_t **arena) {
  *arena = len <= SIZE_MAX / 4
               ? tracker_arena_new(RT_ARENA_FIRST_BLOCK + 2 * len)
               : NULL;
  if (*arena == NULL) {
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  ProtobufCMessage *message = protobuf_c_message_unpack(
      desc, tracker_arena_allocator(*arena), len, request);
  if (message == NULL || rt_pbwire_has_field_zero(message)) {
    char text[200];
    snprintf(text, sizeof text, "request is not a valid %s%s", desc->name,
             message != NULL ? ": it holds a field numbered 0, which the "
                               "protobuf encoding does not allow"
                             : "");
    rt_call_fail(call, RT_GRPC_INVALID_ARGUMENT, text);
    tracker_arena_free(*arena);
    *arena = NULL;
    return NULL;
  }
  return message;
}

/* The handle of every Tracker method (see the top of this file). */
static void dispatch(rt_call_t *call, const uint8_t *request, size_t len) {
  const tracker_binding_t *binding = rt_call_method_data(call);
  rt_tracker_t *tracker = binding->tracker;
  const tracker_route_t *route = binding->route;
  rt_auth_principal_t principal;
  rt_error_t err;
  rt_error_clear(&err);
  int rc = tracker->auth != NULL
               ? authenticate(tracker, call, route, &principal, &err)
               : principal_of_open_call(call, route, &principal, &err);
  if (rc != 0) {
    tracker_fail(call, rc, &err);
    return;
  }
  tracker_arena_t *arena;
  ProtobufCMessage *message =
      decode(call, route->request, request, len, &arena);
  if (message == NULL)
    return;
  route->handle(tracker, call, &principal, message, arena);
}

/* The transport's table: one method per route of every handler file,
 * each handled by dispatch() with its binding as data. */
static int build_methods(rt_tracker_t *tracker, rt_error_t *err) {
  const struct {
    const tracker_route_t *routes;
    size_t count;
  } tables[] = {
      {tracker_read_routes, tracker_read_route_count},
      {tracker_write_routes, tracker_write_route_count},
      {tracker_watch_routes, tracker_watch_route_count},
      {tracker_review_routes, tracker_review_route_count},
      {tracker_backup_routes, tracker_backup_route_count},
      {tracker_reference_routes, tracker_reference_route_count},
  };
  size_t total = 0;
  for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
    total += tables[t].count;
  tracker->methods = calloc(total, sizeof *tracker->methods);
  tracker->bindings = calloc(total, sizeof *tracker->bindings);
  if (tracker->methods == NULL || tracker->bindings == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
    for (size_t i = 0; i < tables[t].count; i++) {
      const tracker_route_t *route = &tables[t].routes[i];
      size_t index = tracker->method_count++;
      tracker->bindings[index] =
          (tracker_binding_t){.tracker = tracker, .route = route};
      tracker->methods[index] = (rt_method_t){
          .path = route->path,
          .type = route->type,
          .handle = dispatch,
          .cancel = route->cancel,
          .data = &tracker->bindings[index],
      };
    }
  return 0;
}

static int register_call_series(rt_tracker_t *tracker, const char *method,
                                tracker_call_series_t *series) {
  char labels[160];
  for (int code = 0; code < RT_GRPC_CODES; code++) {
    snprintf(labels, sizeof labels, "method=\"%s\",code=\"%s\"", method,
             rt_grpc_status_name(code));
    series->calls[code] = rt_metrics_counter(
        tracker->metrics, "rectrack_grpc_calls_total",
        "gRPC calls ended, by method and status code.", labels);
    if (series->calls[code] == NULL)
      return RT_ENOMEM;
  }
  snprintf(labels, sizeof labels, "method=\"%s\"", method);
  series->seconds = rt_metrics_histogram(
      tracker->metrics, "rectrack_grpc_call_duration_seconds",
      "Time from a gRPC call's headers to its end, by method.", labels,
      rt_metrics_latency_bounds, rt_metrics_latency_bounds_len);
  return series->seconds ? 0 : RT_ENOMEM;
}

/* One series set per method of the table, then "other". */
static int register_metrics(rt_tracker_t *tracker, rt_error_t *err) {
  if (tracker->metrics == NULL)
    return 0;
  tracker->call_series =
      calloc(tracker->method_count + 1, sizeof *tracker->call_series);
  if (tracker->call_series == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  for (size_t i = 0; i <= tracker->method_count; i++) {
    const char *name = i < tracker->method_count
                           ? route_name(tracker->bindings[i].route)
                           : "other";
    if (register_call_series(tracker, name, &tracker->call_series[i]) != 0)
      return rt_error_set(err, RT_ENOMEM, NULL,
                          "cannot register the call metrics");
  }
  return 0;
}

void rt_tracker_observe_call(const rt_method_t *method, int status,
                             uint64_t duration_ns, void *data) {
  rt_tracker_t *tracker = data;
  if (tracker == NULL || tracker->call_series == NULL)
    return;
  size_t index = tracker->method_count; /* "other" */
  if (method != NULL && method->handle == dispatch) {
    const tracker_binding_t *binding = method->data;
    index = (size_t)(binding - tracker->bindings);
  }
  if (index > tracker->method_count)
    index = tracker->method_count;
  tracker_call_series_t *series = &tracker->call_series[index];
  if (status >= 0 && status < RT_GRPC_CODES)
    rt_counter_add(series->calls[status], 1);
  rt_histogram_observe(series->seconds, (double)duration_ns / 1e9);
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
  tracker->metrics = options ? options->metrics : NULL;
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
  if ((rc = build_methods(tracker, err)) != 0 ||
      (rc = register_metrics(tracker, err)) != 0)
    goto fail;
  if ((rc = tracker_review_init(tracker)) != 0) {
    rt_error_set(err, rc, NULL, "out of memory");
    goto fail;
  }
  if ((rc = rt_store_reader_begin(store, &tracker->reader, err)) != 0)
    goto fail;
  rt_store_reader_reset(tracker->reader);
  rt_readers_options_t reader_options = {
      .threads = options ? options->reader_threads : 0};
  if ((rc = rt_readers_new(&tracker->readers, loop, store, &reader_options,
                           err)) != 0)
    goto fail;
  if ((rc = tracker_watch_init(tracker)) != 0) {
    rt_error_set(err, rc, NULL, "cannot set up the WatchChanges pump");
    goto fail;
  }
  rt_writer_options_t writer_options = {
      .max_batch = options ? options->max_batch : 0,
      .max_queue = options ? options->max_queue : 0,
      .on_commit = tracker_watch_on_commit,
      .on_commit_data = tracker,
      .metrics = tracker->metrics,
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

static void on_readers_drained(void *data) {
  rt_tracker_t *tracker = data;
  tracker_watch_shutdown(tracker, on_watch_closed);
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
  rt_readers_drain(tracker->readers, on_readers_drained, tracker);
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
  rt_readers_free(tracker->readers);
  tracker_review_release(tracker);
  tracker_watch_release(tracker);
  rt_store_reader_end(tracker->reader);
  free(tracker->methods);
  free(tracker->bindings);
  free(tracker->call_series);
  free(tracker->data_dir);
  free(tracker);
}
