/*
 * tracker_watch: WatchChanges, the change log as a server stream.
 *
 * A stream first replays the log from the requested revision (the
 * backlog), then follows it live. Both are the same loop: a "pump" turn
 * reads at most RT_WATCH_PAGE entries from next_revision on in a fresh
 * snapshot and sends them; a uv_idle_t gives each stream that still has
 * entries to send one turn per loop iteration, so a long backlog never
 * holds the loop for long. After each commit the writer's on_commit marks
 * every stream behind the new revision as due a turn. next_revision only
 * moves forward past what was sent, so each entry goes out exactly once
 * and in order, whatever interleaving of commits and turns happens.
 *
 * Backpressure: a stream whose queued bytes pass RT_WATCH_HIGH_WATER stops
 * and waits for rt_call_on_drain; a client that stops reading stalls only
 * its own stream.
 *
 * from_revision 0 means "from now on": the stream starts after the
 * newest revision at the time of the call.
 */
#include "tracker_watch.h"

#include <stdlib.h>

#define RT_WATCH_PAGE 256
#define RT_WATCH_HIGH_WATER (256 * 1024)

struct rt_watcher {
  rt_tracker_t *tracker;
  rt_call_t *call;
  uint64_t next_revision;
  bool scheduled;     /* due a pump turn */
  bool waiting_drain; /* paused until the call's queue empties */
  rt_watcher_t *prev, *next;
};

static void start_pump(rt_tracker_t *tracker);

static void unlink_watcher(rt_watcher_t *watcher) {
  rt_tracker_t *tracker = watcher->tracker;
  if (watcher->prev != NULL)
    watcher->prev->next = watcher->next;
  else
    tracker->watchers = watcher->next;
  if (watcher->next != NULL)
    watcher->next->prev = watcher->prev;
  free(watcher);
}

static void end_stream(rt_watcher_t *watcher, rt_grpc_status_t status,
                       const char *message) {
  rt_call_finish(watcher->call, status, message);
  unlink_watcher(watcher);
}

static void on_drained(rt_call_t *call) {
  rt_watcher_t *watcher = rt_call_data(call);
  watcher->waiting_drain = false;
  watcher->scheduled = true;
  start_pump(watcher->tracker);
}

static void wait_for_drain(rt_watcher_t *watcher) {
  watcher->waiting_drain = true;
  watcher->scheduled = false;
  rt_call_on_drain(watcher->call, on_drained);
}

typedef struct {
  rt_watcher_t *watcher;
  size_t sent;
  int send_error;
  bool full;
} pump_turn_t;

static int send_event(const Rectrack__V1__ChangeEvent *event,
                      const uint8_t *packed, size_t packed_len, void *data) {
  (void)packed;
  (void)packed_len;
  pump_turn_t *turn = data;
  /* Packed again rather than forwarded: the stored bytes lack the hash. */
  size_t len = protobuf_c_message_get_packed_size(&event->base);
  uint8_t stack_buffer[4096];
  uint8_t *buffer = len <= sizeof stack_buffer ? stack_buffer : malloc(len);
  if (buffer == NULL)
    return turn->send_error = RT_ENOMEM;
  protobuf_c_message_pack(&event->base, buffer);
  int rc = rt_call_send(turn->watcher->call, buffer, len);
  if (buffer != stack_buffer)
    free(buffer);
  if (rc != 0)
    return turn->send_error = rc;
  turn->watcher->next_revision = event->revision + 1;
  turn->sent++;
  if (rt_call_pending_bytes(turn->watcher->call) >= RT_WATCH_HIGH_WATER) {
    turn->full = true;
    return 1;
  }
  return 0;
}

/* One turn: up to a page of entries, then decide what the stream waits
 * for next (another turn, the drain, or the next commit). */
static void pump_one(rt_watcher_t *watcher) {
  rt_tracker_t *tracker = watcher->tracker;
  if (rt_call_pending_bytes(watcher->call) >= RT_WATCH_HIGH_WATER) {
    wait_for_drain(watcher);
    return;
  }
  pump_turn_t turn = {.watcher = watcher};
  rt_error_t err;
  rt_error_clear(&err);
  int rc = tracker_begin_read(tracker, NULL);
  if (rc == 0) {
    rc = rt_store_log_scan(tracker->reader, watcher->next_revision,
                           RT_WATCH_PAGE, send_event, &turn, &err);
    tracker_end_read(tracker);
  }
  if (turn.send_error == RT_ETOOBIG) {
    end_stream(watcher, RT_GRPC_RESOURCE_EXHAUSTED,
               "a change-log entry exceeds the message size limit");
  } else if (turn.send_error != 0 || rc < 0) {
    end_stream(watcher, RT_GRPC_INTERNAL, "cannot read the change log");
  } else if (turn.full) {
    wait_for_drain(watcher);
  } else {
    watcher->scheduled = turn.sent == RT_WATCH_PAGE;
  }
}

static void on_pump(uv_idle_t *handle) {
  rt_tracker_t *tracker = handle->data;
  bool more = false;
  for (rt_watcher_t *watcher = tracker->watchers, *next; watcher != NULL;
       watcher = next) {
    next = watcher->next;
    if (!watcher->scheduled)
      continue;
    pump_one(watcher);
    /* pump_one may have freed watcher; next was taken before. */
  }
  for (rt_watcher_t *watcher = tracker->watchers; watcher != NULL;
       watcher = watcher->next)
    more = more || watcher->scheduled;
  if (!more) {
    uv_idle_stop(handle);
    tracker->pump_active = false;
  }
}

static void start_pump(rt_tracker_t *tracker) {
  if (tracker->pump_active || tracker->pump == NULL)
    return;
  tracker->pump_active = true;
  uv_idle_start(tracker->pump, on_pump);
}

void tracker_watch_on_commit(uint64_t revision, void *data) {
  rt_tracker_t *tracker = data;
  bool any = false;
  for (rt_watcher_t *watcher = tracker->watchers; watcher != NULL;
       watcher = watcher->next)
    if (!watcher->waiting_drain && watcher->next_revision <= revision) {
      watcher->scheduled = true;
      any = true;
    }
  if (any)
    start_pump(tracker);
}

static void watch_changes(rt_tracker_t *tracker, rt_call_t *call,
                          const rt_auth_principal_t *principal,
                          ProtobufCMessage *request, tracker_arena_t *arena) {
  (void)principal;
  uint64_t from_revision =
      ((Rectrack__V1__WatchChangesRequest *)request)->from_revision;
  tracker_arena_free(arena); /* the stream keeps only from_revision */
  if (tracker->draining) {
    rt_call_fail(call, RT_GRPC_UNAVAILABLE, "the server is shutting down");
    return;
  }
  rt_watcher_t *watcher = calloc(1, sizeof *watcher);
  if (watcher == NULL) {
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  if (from_revision == 0) {
    if (tracker_begin_read(tracker, call) != 0) {
      free(watcher);
      return;
    }
    from_revision = rt_store_revision(tracker->reader) + 1;
    tracker_end_read(tracker);
  }
  watcher->tracker = tracker;
  watcher->call = call;
  watcher->next_revision = from_revision;
  watcher->scheduled = true;
  watcher->next = tracker->watchers;
  if (tracker->watchers != NULL)
    tracker->watchers->prev = watcher;
  tracker->watchers = watcher;
  rt_call_set_data(call, watcher);
  start_pump(tracker);
}

static void cancel_watch(rt_call_t *call) {
  rt_watcher_t *watcher = rt_call_data(call);
  if (watcher != NULL)
    unlink_watcher(watcher);
}

const tracker_route_t tracker_watch_routes[] = {
    {TRACKER_PATH("WatchChanges"), RT_METHOD_SERVER_STREAMING,
     &rectrack__v1__watch_changes_request__descriptor, watch_changes,
     cancel_watch, RT_AUTH_ROLE_READER},
};
const size_t tracker_watch_route_count =
    sizeof tracker_watch_routes / sizeof tracker_watch_routes[0];

static void free_pump(uv_handle_t *handle) {
  rt_tracker_t *tracker = handle->data;
  free(handle);
  if (tracker != NULL) {
    tracker->pump = NULL;
    if (tracker->watch_closed != NULL)
      tracker->watch_closed(tracker);
  }
}

int tracker_watch_init(rt_tracker_t *tracker) {
  tracker->pump = calloc(1, sizeof *tracker->pump);
  if (tracker->pump == NULL)
    return RT_ENOMEM;
  if (uv_idle_init(tracker->loop, tracker->pump) != 0) {
    free(tracker->pump);
    tracker->pump = NULL;
    return RT_EIO;
  }
  tracker->pump->data = tracker;
  return 0;
}

void tracker_watch_shutdown(rt_tracker_t *tracker,
                            void (*closed)(rt_tracker_t *tracker)) {
  while (tracker->watchers != NULL)
    end_stream(tracker->watchers, RT_GRPC_UNAVAILABLE,
               "the server is shutting down");
  tracker->watch_closed = closed;
  if (tracker->pump == NULL) {
    closed(tracker);
    return;
  }
  uv_idle_stop(tracker->pump);
  tracker->pump_active = false;
  uv_close((uv_handle_t *)tracker->pump, free_pump);
}

void tracker_watch_release(rt_tracker_t *tracker) {
  while (tracker->watchers != NULL)
    unlink_watcher(tracker->watchers);
  if (tracker->pump != NULL) {
    tracker->pump->data = NULL;
    uv_close((uv_handle_t *)tracker->pump, free_pump);
    tracker->pump = NULL;
  }
}
