/*
 * tracker_writer: the single writer thread of rectrackd, with group commit.
 *
 * Owns: one thread, a bounded queue of write jobs and the hand-back of
 * finished jobs to the loop thread. Calls: rt_store_apply (storage), libuv
 * (thread, mutex, condition variable, uv_async_t).
 *
 * Handlers on the loop thread fill a job's op and submit it. The writer
 * thread takes everything queued (at most max_batch jobs), applies it with
 * one rt_store_apply call (one LMDB transaction, one fsync: group commit,
 * each op in its own child transaction) and passes the jobs back to the
 * loop thread, where each job's complete() runs, exactly once, after the
 * commit that holds it is durable. A job marked abandoned before its batch
 * starts is not applied at all; one abandoned later is applied. Either way
 * complete() still runs and is the only place the job may be freed.
 *
 * Threads: rt_writer_new, rt_writer_submit, rt_writer_drain and
 * rt_writer_free run on the loop thread; complete() and on_commit() are
 * called there too. rt_write_job_abandon may be called from the loop
 * thread at any time before complete().
 */
#ifndef RT_WRITER_H
#define RT_WRITER_H

#include "rt_error.h"
#include "rt_metrics.h"
#include "rt_store.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct rt_writer rt_writer_t;
typedef struct rt_write_job rt_write_job_t;

/* Runs on the loop thread once the job's batch committed (or was refused
 * as a whole, or the job was skipped because it was abandoned). Owns the
 * job from then on: it must release job->op's reply and free the job. */
typedef void (*rt_write_complete_fn)(rt_write_job_t *job);

/* A unit of work. The submitter allocates it (usually inside a larger
 * struct that also holds the decoded request the op's pointers borrow),
 * fills op's inputs and complete, and keeps every input alive until
 * complete() runs. */
struct rt_write_job {
  rt_write_op_t op;
  rt_write_complete_fn complete;
  void *data;            /* the submitter's */
  atomic_bool abandoned; /* see rt_write_job_abandon */
  bool skipped;          /* set: abandoned before its batch, not applied */
  rt_write_job_t *next;  /* the writer's queue link */
};

typedef struct rt_writer_options {
  size_t max_batch; /* jobs per rt_store_apply; 0: 1024 */
  size_t max_queue; /* jobs waiting; more is RT_ETOOBIG; 0: 16384 */
  /* Called on the loop thread after finished jobs were completed, with the
   * highest revision committed so far. May be NULL. */
  void (*on_commit)(uint64_t revision, void *data);
  void *on_commit_data;
  /* Batches, their sizes, writes by result, commit latency and the queue
   * length are counted here (borrowed; NULL: not counted). */
  rt_metrics_t *metrics;
} rt_writer_options_t;

/* Statistics, for tests and GetServerInfo-style reporting. */
typedef struct rt_writer_stats {
  uint64_t batches; /* rt_store_apply calls */
  uint64_t jobs;    /* jobs applied */
  uint64_t skipped; /* jobs not applied because abandoned */
  size_t largest_batch;
} rt_writer_stats_t;

/* Starts the writer thread for store. The loop must run for completions
 * to be delivered. Errors: RT_ENOMEM, RT_EIO (thread or handle setup). */
int rt_writer_new(rt_writer_t **out, uv_loop_t *loop, rt_store_t *store,
                  const rt_writer_options_t *options, rt_error_t *err);

/* Queues job. Returns 0 (complete() will run later), RT_ETOOBIG when the
 * queue is full or RT_EUNAVAIL after rt_writer_drain; on error the job is
 * not queued and stays the caller's. err names the reason. */
int rt_writer_submit(rt_writer_t *writer, rt_write_job_t *job, rt_error_t *err);

/* Marks job abandoned (its call is gone): the writer skips it if its batch
 * has not started; complete() runs regardless. */
void rt_write_job_abandon(rt_write_job_t *job);

/* Stops accepting jobs, lets the thread finish every queued one, delivers
 * their completions, joins the thread, then calls done(data) on the loop
 * thread. Calling it again while draining or after is a no-op. */
void rt_writer_drain(rt_writer_t *writer, void (*done)(void *data), void *data);

void rt_writer_get_stats(rt_writer_t *writer, rt_writer_stats_t *out);

/* Frees the writer. Normally called after drain's done(). If called
 * without a finished drain, it stops and joins the thread, completes the
 * remaining jobs as abandoned and closes its async handle (released on
 * the next loop run). NULL is a no-op. */
void rt_writer_free(rt_writer_t *writer);

#endif /* RT_WRITER_H */
