/*
 * tracker_readers: the reader thread pool (tracker_readers.h). One FIFO
 * under a mutex feeds every thread; each thread takes one job at a time,
 * renews its own snapshot, runs the job, resets the snapshot and puts the
 * job on the done list, which the loop thread empties from a uv_async_t
 * callback (the writer's pattern, tracker_writer.c). Jobs are taken in
 * the order they came, so a burst of slow reads delays other reads only
 * by as many threads as there are, never the loop thread.
 */
#include "tracker_readers.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#define RT_READERS_DEFAULT_THREADS 2
#define RT_READERS_DEFAULT_QUEUE 4096

typedef struct reader_thread {
  rt_readers_t *pool;
  uv_thread_t thread;
  rt_store_reader_t *reader;
  bool started;
} reader_thread_t;

struct rt_readers {
  rt_store_t *store;
  uv_loop_t *loop;
  uv_async_t *async; /* data points back here, NULL once detached */
  uv_mutex_t mutex;
  uv_cond_t wake;
  reader_thread_t *threads;
  size_t n_threads, max_queue;

  /* Under mutex. */
  rt_read_job_t *queue_head, *queue_tail;
  size_t queued, running;
  rt_read_job_t *done_head, *done_tail;
  bool stopping;
  size_t exited; /* threads that have returned */

  /* Loop thread only. */
  bool joined, draining;
  void (*drain_done)(void *data);
  void *drain_data;
};

static void append_done(rt_readers_t *pool, rt_read_job_t *job) {
  job->next = NULL;
  if (pool->done_tail != NULL)
    pool->done_tail->next = job;
  else
    pool->done_head = job;
  pool->done_tail = job;
}

static void run_job(reader_thread_t *self, rt_read_job_t *job) {
  if (atomic_load(&job->abandoned))
    return;
  rt_error_clear(&job->snapshot_err);
  job->snapshot_rc = rt_store_reader_renew(self->reader, &job->snapshot_err);
  if (job->snapshot_rc != 0)
    return;
  job->run(job, self->reader);
  job->ran = true;
  rt_store_reader_reset(self->reader);
}

/* Reader threads yield the CPU to the loop thread: on a machine with
 * fewer cores than busy threads, a lookup on the loop is not made to
 * wait for a list (Linux: the nice value is per thread). Best effort. */
void rt_readers_lower_priority(void) {
  (void)setpriority(PRIO_PROCESS, (id_t)gettid(), RT_READERS_NICE);
}

static void reader_main(void *arg) {
  reader_thread_t *self = arg;
  rt_readers_t *pool = self->pool;
  rt_readers_lower_priority();
  uv_mutex_lock(&pool->mutex);
  for (;;) {
    while (pool->queue_head == NULL && !pool->stopping)
      uv_cond_wait(&pool->wake, &pool->mutex);
    if (pool->queue_head == NULL)
      break; /* stopping, and nothing left */
    rt_read_job_t *job = pool->queue_head;
    pool->queue_head = job->next;
    if (pool->queue_head == NULL)
      pool->queue_tail = NULL;
    pool->queued--;
    pool->running++;
    uv_mutex_unlock(&pool->mutex);

    run_job(self, job);

    uv_mutex_lock(&pool->mutex);
    pool->running--;
    append_done(pool, job);
    uv_async_send(pool->async);
  }
  pool->exited++;
  uv_mutex_unlock(&pool->mutex);
  uv_async_send(pool->async);
}

static void free_handle(uv_handle_t *handle) { free(handle); }

static void join_threads(rt_readers_t *pool) {
  for (size_t i = 0; i < pool->n_threads; i++)
    if (pool->threads[i].started)
      uv_thread_join(&pool->threads[i].thread);
  pool->joined = true;
  if (pool->async != NULL) {
    pool->async->data = NULL;
    uv_close((uv_handle_t *)pool->async, free_handle);
    pool->async = NULL;
  }
}

static size_t started_threads(const rt_readers_t *pool) {
  size_t n = 0;
  for (size_t i = 0; i < pool->n_threads; i++)
    n += pool->threads[i].started;
  return n;
}

/* Loop thread: completes the finished jobs, then ends a drain once every
 * thread is out. */
static void on_async(uv_async_t *handle) {
  rt_readers_t *pool = handle->data;
  if (pool == NULL)
    return;
  uv_mutex_lock(&pool->mutex);
  rt_read_job_t *done = pool->done_head;
  pool->done_head = pool->done_tail = NULL;
  bool all_out = pool->exited == started_threads(pool);
  uv_mutex_unlock(&pool->mutex);
  for (rt_read_job_t *job = done, *next; job != NULL; job = next) {
    next = job->next;
    job->next = NULL;
    job->complete(job);
  }
  if (all_out && pool->draining && !pool->joined) {
    join_threads(pool);
    if (pool->drain_done != NULL)
      pool->drain_done(pool->drain_data);
  }
}

static int start_threads(rt_readers_t *pool, rt_error_t *err) {
  for (size_t i = 0; i < pool->n_threads; i++) {
    reader_thread_t *t = &pool->threads[i];
    t->pool = pool;
    int rc = rt_store_reader_begin(pool->store, &t->reader, err);
    if (rc != 0)
      return rc;
    rt_store_reader_reset(t->reader); /* renewed per job */
    if (uv_thread_create(&t->thread, reader_main, t) != 0)
      return rt_error_set(err, RT_EIO, NULL, "cannot start a reader thread");
    t->started = true;
  }
  return 0;
}

static void stop_now(rt_readers_t *pool);

int rt_readers_new(rt_readers_t **out, uv_loop_t *loop, rt_store_t *store,
                   const rt_readers_options_t *options, rt_error_t *err) {
  *out = NULL;
  rt_readers_t *pool = calloc(1, sizeof *pool);
  if (pool == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  pool->loop = loop;
  pool->store = store;
  pool->n_threads = options && options->threads ? options->threads
                                                : RT_READERS_DEFAULT_THREADS;
  pool->max_queue = options && options->max_queue ? options->max_queue
                                                  : RT_READERS_DEFAULT_QUEUE;
  pool->threads = calloc(pool->n_threads, sizeof *pool->threads);
  pool->async = calloc(1, sizeof *pool->async);
  int rc;
  if (pool->threads == NULL || pool->async == NULL) {
    free(pool->threads);
    free(pool->async);
    free(pool);
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  }
  if (uv_mutex_init(&pool->mutex) != 0) {
    free(pool->threads);
    free(pool->async);
    free(pool);
    return rt_error_set(err, RT_EIO, NULL, "cannot create the readers' mutex");
  }
  if (uv_cond_init(&pool->wake) != 0 ||
      uv_async_init(loop, pool->async, on_async) != 0) {
    uv_mutex_destroy(&pool->mutex);
    free(pool->threads);
    free(pool->async);
    free(pool);
    return rt_error_set(err, RT_EIO, NULL, "cannot set up the reader threads");
  }
  pool->async->data = pool;
  if ((rc = start_threads(pool, err)) != 0) {
    stop_now(pool);
    rt_readers_free(pool);
    return rc;
  }
  *out = pool;
  return 0;
}

int rt_readers_submit(rt_readers_t *pool, rt_read_job_t *job, rt_error_t *err) {
  int rc = 0;
  job->next = NULL;
  job->ran = false;
  job->snapshot_rc = 0;
  uv_mutex_lock(&pool->mutex);
  if (pool->stopping) {
    rc = rt_error_set(err, RT_EUNAVAIL, NULL,
                      "the server is shutting down and takes no more reads");
  } else if (pool->queued >= pool->max_queue) {
    rc = rt_error_set(err, RT_ETOOBIG, NULL,
                      "the read queue is full (%zu waiting); retry later",
                      pool->queued);
  } else {
    if (pool->queue_tail != NULL)
      pool->queue_tail->next = job;
    else
      pool->queue_head = job;
    pool->queue_tail = job;
    pool->queued++;
    uv_cond_signal(&pool->wake);
  }
  uv_mutex_unlock(&pool->mutex);
  return rc;
}

void rt_read_job_abandon(rt_read_job_t *job) {
  atomic_store(&job->abandoned, true);
}

size_t rt_readers_pending(rt_readers_t *pool) {
  uv_mutex_lock(&pool->mutex);
  size_t n = pool->queued + pool->running;
  uv_mutex_unlock(&pool->mutex);
  return n;
}

void rt_readers_drain(rt_readers_t *pool, void (*done)(void *data),
                      void *data) {
  if (pool->draining)
    return;
  pool->draining = true;
  pool->drain_done = done;
  pool->drain_data = data;
  uv_mutex_lock(&pool->mutex);
  pool->stopping = true;
  uv_cond_broadcast(&pool->wake);
  uv_mutex_unlock(&pool->mutex);
  if (started_threads(pool) == 0)
    uv_async_send(pool->async); /* nothing to wait for */
}

/* Stops and joins the threads here, then completes what is left as
 * abandoned so that every job is still completed exactly once. */
static void stop_now(rt_readers_t *pool) {
  uv_mutex_lock(&pool->mutex);
  pool->stopping = true;
  uv_cond_broadcast(&pool->wake);
  uv_mutex_unlock(&pool->mutex);
  join_threads(pool);
  rt_read_job_t *done = pool->done_head;
  pool->done_head = pool->done_tail = NULL;
  for (rt_read_job_t *job = done, *next; job != NULL; job = next) {
    next = job->next;
    rt_read_job_abandon(job);
    job->complete(job);
  }
}

void rt_readers_free(rt_readers_t *pool) {
  if (pool == NULL)
    return;
  if (!pool->joined)
    stop_now(pool);
  for (size_t i = 0; i < pool->n_threads; i++)
    rt_store_reader_end(pool->threads[i].reader);
  uv_cond_destroy(&pool->wake);
  uv_mutex_destroy(&pool->mutex);
  free(pool->threads);
  free(pool);
}
