/*
 * rt_tracker: the rectrack.v1.Tracker gRPC service of rectrackd.
 *
 * Owns: the handlers of every Tracker RPC and the one dispatch in front of
 * them (principal, role, request decoding), the loop thread's read
 * snapshot (one rt_store_reader_t, renewed per call), the writer thread
 * with group commit, the WatchChanges streams, the follow-up review on the
 * thread pool, and the table that maps RT_E* codes to gRPC statuses.
 * Calls: rt_server (the call contract only: it is handed calls and never
 * runs a server), rt_store (storage), rt_review, rt_auth (bearer tokens
 * and principals), rt_metrics (its counters), rt_log, protobuf-c and
 * libuv.
 *
 * Lookups (Get*, GetServerInfo) run on the loop thread in a short read
 * transaction; every other read (lists, the review, watch backlogs) runs
 * on the reader threads, each in a snapshot of its own; writes are
 * validated cheaply on the loop thread, applied by the writer thread with
 * group commit, and answered only once durable. Everything else runs on
 * the loop thread.
 *
 * Per-request memory: one arena per request (tracker_arena.h), one owner.
 * The dispatch creates it and unpacks the request into it; the handler
 * owns it from then on, and everything the request needs beyond the
 * handler's own stack is allocated in it: a write's job and principal,
 * a review's job, render buffer and data set arrays. Nothing in it is
 * freed alone, so a field may point at another's string with no thought
 * of who frees which, and nothing is ever borrowed and put back. Whoever
 * ends the request's work frees the arena, once: the handler before it
 * returns (reads, WatchChanges once it has its revision), complete_write
 * after the commit, job_free when a review is over. What the storage
 * engine returns (write replies, list pages) is the engine's: freed as
 * rt_store.h says, and never modified (a record to change is copied into
 * the arena). Scratch a function frees before it returns (a packing
 * buffer) is not request memory.
 */
#ifndef RT_TRACKER_H
#define RT_TRACKER_H

#include "rt_auth.h"
#include "rt_error.h"
#include "rt_metrics.h"
#include "rt_server.h"
#include "rt_store.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct rt_tracker rt_tracker_t;

typedef struct rt_tracker_options {
  const char *data_dir; /* reported by GetServerInfo; copied; may be NULL */
  int64_t started_ms;   /* reported by GetServerInfo; 0: now */
  size_t max_batch;     /* writes per commit; 0: 1024 */
  size_t max_queue;     /* writes waiting; beyond: RESOURCE_EXHAUSTED;
                           0: 16384 */
  /* The transport's message size limit: a list page that would exceed it
   * is shortened to fit. 0: 4 MiB. */
  size_t max_reply_bytes;
  /* Reader threads for lists and the review; 0: 2. */
  size_t reader_threads;
  /* Bearer tokens (borrowed; must outlive the tracker). When set, every
   * Tracker call needs `authorization: Bearer <token>` naming a known
   * token (else UNAUTHENTICATED) whose role allows the route (reader <
   * reporter < secretariat < admin, else PERMISSION_DENIED), the token's
   * principal is who a change is recorded as, and a reporter's actors
   * go with its writes to the storage engine, which limits them to those
   * actors' subjects; an x-rectrack-user header, if sent, must name that
   * same principal (else PERMISSION_DENIED). NULL: the API is open, every
   * caller acts as an admin, and the principal is x-rectrack-user, or
   * "anonymous". */
  rt_auth_t *auth;
  /* Where the service counts its calls (by method and status code, and
   * their latency, told by the transport through rt_tracker_observe_call)
   * and its writer's batches (sizes, commit latency). Borrowed; must
   * outlive the tracker. NULL: not counted. */
  rt_metrics_t *metrics;
} rt_tracker_options_t;

/* Creates the service on loop for store (both borrowed; they must outlive
 * the tracker) and starts its writer thread. Call on the loop thread
 * before or while the loop runs. Errors: RT_ENOMEM, RT_EIO, and the
 * store's errors from opening a reader. */
int rt_tracker_new(rt_tracker_t **out, uv_loop_t *loop, rt_store_t *store,
                   const rt_tracker_options_t *options, rt_error_t *err);

/* The methods to register with the transport (paths
 * "/rectrack.v1.Tracker/..."); *count receives their number. The array
 * belongs to the tracker and lives as long as it. */
const rt_method_t *rt_tracker_methods(rt_tracker_t *tracker, size_t *count);

/* The transport's call observer (rt_server_set_call_observer, with the
 * tracker as data): counts the call under its method, or under "other"
 * for a method that is not the Tracker's (Health, Reflection) or none. */
void rt_tracker_observe_call(const rt_method_t *method, int status,
                             uint64_t duration_ns, void *tracker);

/* Shutdown: new writes get UNAVAILABLE, queued writes are committed and
 * answered, the writer thread is joined, open WatchChanges streams end
 * with UNAVAILABLE; then done(data) runs on the loop thread. The loop must
 * keep running until then. */
void rt_tracker_drain(rt_tracker_t *tracker, void (*done)(void *data),
                      void *data);

/* Frees the tracker; call after drain's done() (or if the loop never ran).
 * The store is not closed. NULL is a no-op. */
void rt_tracker_free(rt_tracker_t *tracker);

#endif /* RT_TRACKER_H */
