/*
 * tracker_internal: what the files of the Tracker service share
 * (tracker.c, tracker_call.c, tracker_reads.c, tracker_writes.c,
 * tracker_watch.c, tracker_review.c). Private to service/tracker.
 */
#ifndef RT_TRACKER_INTERNAL_H
#define RT_TRACKER_INTERNAL_H

#include "rt_tracker.h"
#include "tracker_writer.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

typedef struct rt_watcher rt_watcher_t;

/* What the dispatch needs to know of a method besides its entry in the
 * transport's table: the handler it forwards to and the role it needs. */
typedef struct rt_tracker_route {
  void (*handle)(rt_call_t *call, const uint8_t *request, size_t len);
  rt_auth_role_t required_role;
  const char *name; /* "CreateSource": the path's last part */
} rt_tracker_route_t;

struct rt_tracker {
  uv_loop_t *loop;
  rt_store_t *store;
  rt_store_reader_t *reader; /* reset between calls, renewed per call */
  rt_writer_t *writer;
  char *data_dir;
  int64_t started_ms;
  size_t max_reply_bytes;
  bool draining;
  void (*drain_done)(void *data);
  void *drain_data;

  rt_method_t *methods;
  rt_tracker_route_t *routes; /* routes[i] is behind methods[i] */
  size_t method_count;

  /* Authentication (see rt_tracker_options_t.auth); NULL: open. */
  rt_auth_t *auth;
  /* The authenticated principal of the call being dispatched, set only
   * while its handler runs (handlers run synchronously on the loop
   * thread; a write copies it). NULL: no token checked (open API). */
  const char *call_principal;

  /* WatchChanges: every open stream, and those due a turn of the pump. */
  rt_watcher_t *watchers;
  uv_idle_t *pump; /* own allocation: freed by its close callback */
  bool pump_active;
  void (*watch_closed)(rt_tracker_t *tracker);
};

/* Method tables of each file; data is filled by rt_tracker_new. */
extern const rt_method_t rt_tracker_read_methods[];
extern const size_t rt_tracker_read_method_count;
extern const rt_method_t rt_tracker_write_methods[];
extern const size_t rt_tracker_write_method_count;
extern const rt_method_t rt_tracker_watch_methods[];
extern const size_t rt_tracker_watch_method_count;
extern const rt_method_t rt_tracker_review_methods[];
extern const size_t rt_tracker_review_method_count;

/* Unpacks request as descriptor's message, or fails the call with
 * INVALID_ARGUMENT "request is not a valid rectrack.v1.X" and returns
 * NULL. Free with protobuf_c_message_free_unpacked. */
ProtobufCMessage *rt_tracker_decode(rt_call_t *call,
                                    const ProtobufCMessageDescriptor *desc,
                                    const uint8_t *request, size_t len);

/* Fails call with the status mapped from code and err's message. */
void rt_tracker_fail(rt_call_t *call, int code, const rt_error_t *err);

/* Packs message and replies with it (or fails with INTERNAL). */
void rt_tracker_reply_message(rt_call_t *call, const ProtobufCMessage *msg);

/* Renews the loop thread's snapshot or fails the call; 0 on success. */
int rt_tracker_begin_read(rt_tracker_t *tracker, rt_call_t *call);
void rt_tracker_end_read(rt_tracker_t *tracker);

/* Writes today's UTC date (YYYY-MM-DD) into out. */
void rt_tracker_today(char out[11]);

/* Watch: called after commits with the newest revision; the drain. */
void rt_tracker_watch_on_commit(uint64_t revision, void *data);
int rt_tracker_watch_init(rt_tracker_t *tracker);
/* Ends every stream with UNAVAILABLE and closes the pump, then calls
 * closed(tracker). */
void rt_tracker_watch_shutdown(rt_tracker_t *tracker,
                               void (*closed)(rt_tracker_t *tracker));
/* Frees the streams' state without touching their calls (rt_tracker_free
 * without a drain) and closes the pump. */
void rt_tracker_watch_release(rt_tracker_t *tracker);

#endif /* RT_TRACKER_INTERNAL_H */
