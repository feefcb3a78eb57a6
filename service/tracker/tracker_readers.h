/*
 * tracker_readers: the reader threads of rectrackd. Reads that cost more
 * than a lookup (lists, the review, WatchChanges backlogs) run here, so
 * that the loop thread only parses, dispatches and writes bytes and a
 * long read never stalls another client.
 *
 * Owns: a few threads, each with its own read snapshot (an
 * rt_store_reader_t, MDB_NOTLS), a bounded FIFO of jobs, and the hand-back
 * of finished jobs to the loop thread (a uv_async_t, as the writer does).
 * Calls: rt_store (readers), libuv (threads, mutex, condition variable,
 * uv_async_t).
 *
 * A thread renews its snapshot for each job and resets it right after,
 * so that it never holds the store's grow lock between jobs (map growth
 * waits for open snapshots): a job that needs one consistent snapshot
 * across several steps holds it only while one step runs.
 *
 * Threads: rt_readers_new, rt_readers_submit, rt_readers_drain and
 * rt_readers_free run on the loop thread, and so does every job's
 * complete(). run() runs on a reader thread. rt_read_job_abandon may be
 * called on the loop thread at any time before complete().
 */
#ifndef RT_READERS_H
#define RT_READERS_H

#include "rt_error.h"
#include "rt_store.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef struct rt_readers rt_readers_t;
typedef struct rt_read_job rt_read_job_t;

/* Runs on a reader thread with reader's snapshot open (renewed for this
 * job, reset after it). It must not keep pointers into the snapshot. */
typedef void (*rt_read_run_fn)(rt_read_job_t *job, rt_store_reader_t *reader);
/* Runs on the loop thread once run() returned, or without run() when
 * the job was abandoned before a thread took it, the pool was stopping,
 * or the snapshot could not be opened (then snapshot_rc says why). Owns
 * the job from then on. */
typedef void (*rt_read_complete_fn)(rt_read_job_t *job);

/* A unit of work; the submitter allocates it (usually inside a larger
 * struct) and fills run, complete and data. */
struct rt_read_job {
  rt_read_run_fn run;
  rt_read_complete_fn complete;
  void *data;            /* the submitter's */
  atomic_bool abandoned; /* see rt_read_job_abandon */
  bool ran;              /* run() was called */
  int snapshot_rc;       /* 0, or why no snapshot could be opened */
  rt_error_t snapshot_err;
  rt_read_job_t *next; /* the pool's queue link */
};

typedef struct rt_readers_options {
  size_t threads;   /* 0: 2 */
  size_t max_queue; /* jobs waiting; more is RT_ETOOBIG; 0: 4096 */
} rt_readers_options_t;

/* Starts the threads, each with a reader of store. Errors: RT_ENOMEM,
 * RT_EIO (thread or handle setup), the store's errors opening a reader. */
int rt_readers_new(rt_readers_t **out, uv_loop_t *loop, rt_store_t *store,
                   const rt_readers_options_t *options, rt_error_t *err);

/* Queues job. Returns 0 (complete() will run later), RT_ETOOBIG when the
 * queue is full (err says so), or RT_EUNAVAIL after rt_readers_drain;
 * then the job stays the caller's. */
int rt_readers_submit(rt_readers_t *readers, rt_read_job_t *job,
                      rt_error_t *err);

/* The job's call is gone: a thread that has not taken it yet skips run().
 * complete() runs regardless. */
void rt_read_job_abandon(rt_read_job_t *job);

/* Jobs queued or running (for tests and logs). */
size_t rt_readers_pending(rt_readers_t *readers);

/* Stops taking jobs, lets the threads finish the queued ones, delivers
 * their completions, joins the threads, then calls done(data) on the loop
 * thread. Calling it again is a no-op. */
void rt_readers_drain(rt_readers_t *readers, void (*done)(void *data),
                      void *data);

/* The nice value reader threads (and the review's workers) run at, above
 * the loop thread's. */
#define RT_READERS_NICE 10

/* Lowers the calling thread's priority to RT_READERS_NICE (Linux
 * threads have their own nice values); best effort, errors ignored. */
void rt_readers_lower_priority(void);

/* Frees the pool. Without a finished drain it stops and joins the threads
 * first and completes what is left as abandoned. NULL is a no-op. */
void rt_readers_free(rt_readers_t *readers);

#endif /* RT_READERS_H */
