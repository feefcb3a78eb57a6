/*
 * tracker_call: what the handler files of the Tracker service share
 * (tracker_reads.c, tracker_writes.c, tracker_watch.c, tracker_review.c,
 * tracker_backup.c, tracker_reference.c): the state they read (struct
 * rt_tracker), what a handler is (a plain function behind a
 * tracker_route_t), and what every handler does with its call
 * (tracker_call.c: fail, reply, bracket a read). Private to service/tracker.
 *
 * The dispatch (tracker.c) runs every call: it resolves the principal
 * (checking the bearer token and the route's role when tokens are
 * configured), decodes the request as the route's message type, and hands
 * both to the route's handler. So a handler never parses, never
 * authenticates, and cannot be reached without both.
 */
#ifndef TRACKER_CALL_H
#define TRACKER_CALL_H

#include "rt_tracker.h"
#include "tracker_arena.h"
#include "tracker_readers.h"
#include "tracker_writer.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

typedef struct rt_watcher rt_watcher_t;

struct rt_tracker {
  uv_loop_t *loop;
  rt_store_t *store;
  rt_store_reader_t *reader; /* reset between calls, renewed per call */
  rt_readers_t *readers;     /* the reader threads: lists, the review */
  rt_writer_t *writer;
  char *data_dir;
  int64_t started_ms;
  size_t max_reply_bytes;
  bool draining;
  void (*drain_done)(void *data);
  void *drain_data;

  /* The transport's table (methods[i].data is &bindings[i]). */
  rt_method_t *methods;
  struct tracker_binding *bindings;
  size_t method_count;

  /* Authentication (see rt_tracker_options_t.auth); NULL: open. */
  rt_auth_t *auth;

  /* Calls counted by method (index of methods[], then "other") and gRPC
   * status, and timed (tracker.c); NULL without metrics. */
  rt_metrics_t *metrics;
  struct tracker_call_series *call_series; /* method_count + 1 */

  /* The review: its summary cache and export slots (tracker_review.c). */
  struct tracker_review_state *review;

  /* WatchChanges: every open stream, and those due a turn of the pump. */
  rt_watcher_t *watchers;
  uv_idle_t *pump; /* own allocation: freed by its close callback */
  bool pump_active;
  void (*watch_closed)(rt_tracker_t *tracker);
};

/* A handler: one plain function per RPC. request is the decoded request
 * message, of the route's type, unpacked into arena, the request's memory
 * (see "Per-request memory" in rt_tracker.h): the handler owns the arena
 * and frees it, once, when the request's work is over (before returning,
 * or from the completion that ends it). principal (who the call is made
 * by) is valid while the handler runs; a handler that needs it later
 * copies it into the arena. The handler ends the call as rt_server.h
 * says, now or later. */
typedef void (*tracker_handler_t)(rt_tracker_t *tracker, rt_call_t *call,
                                  const rt_auth_principal_t *principal,
                                  ProtobufCMessage *request,
                                  tracker_arena_t *arena);

/* One RPC of the Tracker service, as a handler file declares it. */
typedef struct tracker_route {
  const char *path; /* "/rectrack.v1.Tracker/GetSource" */
  rt_method_type_t type;
  const ProtobufCMessageDescriptor *request; /* what the dispatch decodes */
  tracker_handler_t handle;
  /* The call ended before the handler ended it (see rt_method_t). May be
   * NULL. */
  void (*cancel)(rt_call_t *call);
  rt_auth_role_t role; /* needed when tokens are configured */
} tracker_route_t;

#define TRACKER_PATH(name) "/rectrack.v1.Tracker/" name

/* Each handler file's routes; tracker.c joins them into one table. */
extern const tracker_route_t tracker_read_routes[];
extern const size_t tracker_read_route_count;
extern const tracker_route_t tracker_write_routes[];
extern const size_t tracker_write_route_count;
extern const tracker_route_t tracker_watch_routes[];
extern const size_t tracker_watch_route_count;
extern const tracker_route_t tracker_review_routes[];
extern const size_t tracker_review_route_count;
extern const tracker_route_t tracker_backup_routes[];
extern const size_t tracker_backup_route_count;
extern const tracker_route_t tracker_reference_routes[];
extern const size_t tracker_reference_route_count;

/* ---- tracker_call.c ------------------------------------------------- */

/* Fails call with the status mapped from code (tracker_status) and err's
 * message. */
void tracker_fail(rt_call_t *call, int code, const rt_error_t *err);

/* Packs message and replies with it (or fails with RESOURCE_EXHAUSTED). */
void tracker_reply_message(rt_call_t *call, const ProtobufCMessage *msg);

/* Renews the loop thread's snapshot, or fails call (when not NULL) with
 * the store's error; returns 0 or that error. tracker_end_read resets
 * it: every read on the loop thread is bracketed by the two. */
int tracker_begin_read(rt_tracker_t *tracker, rt_call_t *call);
void tracker_end_read(rt_tracker_t *tracker);

/* The records of a List* response, its one repeated message field: sets
 * *records (may be NULL) to the array and returns their number. The
 * next_page_token, "" on the last page, goes to *next_page_token (may be
 * NULL). Both point into response. */
size_t tracker_list_page(const ProtobufCMessage *response,
                         ProtobufCMessage *const **records,
                         const char **next_page_token);

/* The review's shared state (tracker_review.c): made by rt_tracker_new,
 * released by rt_tracker_free (jobs still running keep it alive).
 * tracker_review_init returns 0 or RT_ENOMEM. */
int tracker_review_init(rt_tracker_t *tracker);
void tracker_review_release(rt_tracker_t *tracker);

/* Writes today's UTC date (YYYY-MM-DD) into out. */
void tracker_today(char out[11]);

#endif /* TRACKER_CALL_H */
