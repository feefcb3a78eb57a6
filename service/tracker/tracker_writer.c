/*
 * tracker_writer: one thread applies every write of rectrackd, in batches.
 *
 * Loop thread -> writer thread: a FIFO under a mutex, bounded by
 * max_queue, with a condition variable the thread sleeps on. The thread
 * takes up to max_batch jobs at a time, copies their ops into one array
 * (rt_store_apply wants them contiguous), applies them with a single
 * commit and copies the results back. Writer thread -> loop thread: a
 * second list under the same mutex and a uv_async_t; the loop thread's
 * callback runs each job's complete() and then on_commit().
 *
 * Because the thread always takes everything waiting, batches grow by
 * themselves under load: while one fsync runs, the next batch queues up.
 * That is the group commit; with one client it costs nothing.
 *
 * Waking the thread is deferred to the next turn of the loop (a
 * uv_idle_t, which runs before the loop polls again and keeps that poll
 * from blocking): the requests that one read of the sockets delivered are
 * all queued first and the thread wakes once and takes them together,
 * instead of waking on the first and committing it alone while the rest
 * wait for the next fsync.
 *
 * The libuv handles live in their own allocations so that the writer can
 * be freed even when their close callbacks have not run yet.
 */
#include "tracker_writer.h"

#include <stdlib.h>
#include <string.h>

#define RT_WRITER_DEFAULT_BATCH 1024
#define RT_WRITER_DEFAULT_QUEUE 16384

struct rt_writer {
  rt_store_t *store;
  uv_loop_t *loop;
  uv_async_t *async; /* data points back here, NULL once detached */
  uv_idle_t *flush;  /* wakes the thread once per loop iteration */
  uv_thread_t thread;
  uv_mutex_t mutex;
  uv_cond_t wake;
  size_t max_batch, max_queue;
  void (*on_commit)(uint64_t revision, void *data);
  void *on_commit_data;

  /* Under mutex. */
  rt_write_job_t *queue_head, *queue_tail;
  size_t queued;
  rt_write_job_t *done_head, *done_tail;
  bool stopping;      /* no new jobs; thread exits when queue is empty */
  bool woken;         /* the loop asked the thread to take the queue */
  bool thread_exited; /* the thread has returned (or will, right away) */
  uint64_t committed_revision;
  rt_writer_stats_t stats;

  /* Loop thread only. */
  bool thread_started, thread_joined, draining;
  bool wake_pending; /* jobs queued this iteration, thread not woken yet */
  uint64_t notified_revision;
  void (*drain_done)(void *data);
  void *drain_data;

  /* Writer thread only: the batch being applied. */
  rt_write_op_t *ops;
  rt_write_job_t **batch;

  /* Metrics (NULL without a registry): updated on the writer thread,
   * except the queue length, under the mutex. */
  rt_counter_t *batches, *writes_ok, *writes_failed, *writes_skipped,
      *failed_commits;
  rt_histogram_t *batch_size, *commit_seconds;
  rt_gauge_t *queue_length;
};

/* Batch sizes: 1 to the largest batch, by powers of two. */
static const double batch_size_bounds[] = {1,  2,   4,   8,   16,  32,
                                           64, 128, 256, 512, 1024};

static int register_metrics(rt_writer_t *writer, rt_metrics_t *m) {
  if (m == NULL)
    return 0;
  const char *writes = "rectrack_writer_writes_total";
  const char *writes_help = "Writes the writer thread took, by result "
                            "(ok, failed: refused alone; skipped: their "
                            "call was gone).";
  writer->batches = rt_metrics_counter(
      m, "rectrack_writer_batches_total",
      "Batches applied, each in one transaction with one commit.", NULL);
  writer->writes_ok =
      rt_metrics_counter(m, writes, writes_help, "result=\"ok\"");
  writer->writes_failed =
      rt_metrics_counter(m, writes, writes_help, "result=\"failed\"");
  writer->writes_skipped =
      rt_metrics_counter(m, writes, writes_help, "result=\"skipped\"");
  writer->failed_commits = rt_metrics_counter(
      m, "rectrack_writer_failed_commits_total",
      "Batches whose transaction did not commit (every write of it failed).",
      NULL);
  writer->batch_size = rt_metrics_histogram(
      m, "rectrack_writer_batch_size", "Writes per committed batch.", NULL,
      batch_size_bounds, sizeof batch_size_bounds / sizeof *batch_size_bounds);
  writer->commit_seconds = rt_metrics_histogram(
      m, "rectrack_writer_commit_duration_seconds",
      "Time to apply and durably commit one batch.", NULL,
      rt_metrics_latency_bounds, rt_metrics_latency_bounds_len);
  writer->queue_length =
      rt_metrics_gauge(m, "rectrack_writer_queue_length",
                       "Writes waiting for the writer.", NULL);
  if (!writer->batches || !writer->writes_ok || !writer->writes_failed ||
      !writer->writes_skipped || !writer->failed_commits ||
      !writer->batch_size || !writer->commit_seconds || !writer->queue_length)
    return RT_ENOMEM;
  return 0;
}

/* Takes up to max_batch jobs off the queue; skipped ones (abandoned) go
 * straight to done. Returns how many are in writer->batch. Mutex held. */
static size_t take_batch(rt_writer_t *writer, rt_write_job_t **skipped) {
  size_t count = 0;
  rt_write_job_t *skipped_tail = NULL;
  *skipped = NULL;
  while (writer->queue_head != NULL && count < writer->max_batch) {
    rt_write_job_t *job = writer->queue_head;
    writer->queue_head = job->next;
    writer->queued--;
    job->next = NULL;
    if (atomic_load(&job->abandoned)) {
      job->skipped = true;
      writer->stats.skipped++;
      rt_counter_add(writer->writes_skipped, 1);
      if (skipped_tail != NULL)
        skipped_tail->next = job;
      else
        *skipped = job;
      skipped_tail = job;
      continue;
    }
    writer->batch[count++] = job;
  }
  if (writer->queue_head == NULL)
    writer->queue_tail = NULL;
  rt_gauge_set(writer->queue_length, (double)writer->queued);
  return count;
}

static void append_done(rt_writer_t *writer, rt_write_job_t *job) {
  job->next = NULL;
  if (writer->done_tail != NULL)
    writer->done_tail->next = job;
  else
    writer->done_head = job;
  writer->done_tail = job;
}

/* Applies batch[0..count) with one commit; results land in each job. */
static uint64_t apply_batch(rt_writer_t *writer, size_t count) {
  uint64_t highest = 0;
  for (size_t i = 0; i < count; i++)
    writer->ops[i] = writer->batch[i]->op;
  rt_error_t err;
  rt_error_clear(&err);
  uint64_t start = uv_hrtime();
  int rc = rt_store_apply(writer->store, writer->ops, count, &err);
  rt_histogram_observe(writer->commit_seconds,
                       (double)(uv_hrtime() - start) / 1e9);
  rt_counter_add(writer->batches, 1);
  rt_counter_add(writer->failed_commits, rc != 0);
  rt_histogram_observe(writer->batch_size, (double)count);
  for (size_t i = 0; i < count; i++) {
    writer->batch[i]->op = writer->ops[i];
    rt_counter_add(writer->ops[i].result == 0 ? writer->writes_ok
                                              : writer->writes_failed,
                   1);
    if (writer->ops[i].result == 0 && writer->ops[i].revision > highest)
      highest = writer->ops[i].revision;
  }
  return highest;
}

static void writer_thread(void *arg) {
  rt_writer_t *writer = arg;
  uv_mutex_lock(&writer->mutex);
  for (;;) {
    /* Only an explicit wake counts: a spurious wakeup must not split
     * the jobs of one loop iteration. */
    while (!(writer->woken && writer->queue_head != NULL) && !writer->stopping)
      uv_cond_wait(&writer->wake, &writer->mutex);
    if (writer->queue_head == NULL && writer->stopping)
      break;
    rt_write_job_t *skipped;
    size_t count = take_batch(writer, &skipped);
    writer->woken = writer->queue_head != NULL; /* past max_batch: go on */
    uv_mutex_unlock(&writer->mutex);

    uint64_t highest = count > 0 ? apply_batch(writer, count) : 0;

    uv_mutex_lock(&writer->mutex);
    for (rt_write_job_t *job = skipped, *next; job != NULL; job = next) {
      next = job->next;
      append_done(writer, job);
    }
    for (size_t i = 0; i < count; i++)
      append_done(writer, writer->batch[i]);
    if (count > 0) {
      writer->stats.batches++;
      writer->stats.jobs += count;
      if (count > writer->stats.largest_batch)
        writer->stats.largest_batch = count;
    }
    if (highest > writer->committed_revision)
      writer->committed_revision = highest;
    uv_async_send(writer->async);
  }
  writer->thread_exited = true;
  uv_mutex_unlock(&writer->mutex);
  uv_async_send(writer->async);
}

static void free_handle(uv_handle_t *handle) { free(handle); }

/* Detaches and closes the loop handles; their memory goes with the close
 * callbacks. */
static void close_handles(rt_writer_t *writer) {
  if (writer->async != NULL) {
    writer->async->data = NULL;
    uv_close((uv_handle_t *)writer->async, free_handle);
    writer->async = NULL;
  }
  if (writer->flush != NULL) {
    writer->flush->data = NULL;
    uv_close((uv_handle_t *)writer->flush, free_handle);
    writer->flush = NULL;
  }
}

static void finish_drain(rt_writer_t *writer) {
  uv_thread_join(&writer->thread);
  writer->thread_joined = true;
  close_handles(writer);
  if (writer->drain_done != NULL)
    writer->drain_done(writer->drain_data);
}

/* Loop thread: completes what the writer finished, then tells on_commit
 * about the newest revision, then finishes a drain once the thread is out. */
static void on_async(uv_async_t *handle) {
  rt_writer_t *writer = handle->data;
  if (writer == NULL)
    return;
  uv_mutex_lock(&writer->mutex);
  rt_write_job_t *done = writer->done_head;
  writer->done_head = writer->done_tail = NULL;
  uint64_t revision = writer->committed_revision;
  bool exited = writer->thread_exited;
  uv_mutex_unlock(&writer->mutex);

  for (rt_write_job_t *job = done, *next; job != NULL; job = next) {
    next = job->next;
    job->next = NULL;
    job->complete(job);
  }
  if (revision > writer->notified_revision) {
    writer->notified_revision = revision;
    if (writer->on_commit != NULL)
      writer->on_commit(revision, writer->on_commit_data);
  }
  if (exited && writer->draining && !writer->thread_joined)
    finish_drain(writer);
}

static int init_sync(rt_writer_t *writer, rt_error_t *err) {
  if (uv_mutex_init(&writer->mutex) != 0)
    return rt_error_set(err, RT_EIO, NULL, "cannot create the writer mutex");
  if (uv_cond_init(&writer->wake) != 0) {
    uv_mutex_destroy(&writer->mutex);
    return rt_error_set(err, RT_EIO, NULL, "cannot create the writer condvar");
  }
  return 0;
}

static void on_flush(uv_idle_t *handle);

/* The async (thread -> loop) and idle (next loop turn) handles. On
 * failure nothing is left open. */
static int init_handles(rt_writer_t *writer, rt_error_t *err) {
  writer->async = calloc(1, sizeof *writer->async);
  writer->flush = calloc(1, sizeof *writer->flush);
  if (writer->async == NULL || writer->flush == NULL) {
    free(writer->async);
    free(writer->flush);
    writer->async = NULL;
    writer->flush = NULL;
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  }
  if (uv_async_init(writer->loop, writer->async, on_async) != 0) {
    free(writer->async);
    free(writer->flush);
    writer->async = NULL;
    writer->flush = NULL;
    return rt_error_set(err, RT_EIO, NULL, "cannot create an async handle");
  }
  uv_idle_init(writer->loop, writer->flush); /* cannot fail */
  writer->async->data = writer;
  writer->flush->data = writer;
  return 0;
}

int rt_writer_new(rt_writer_t **out, uv_loop_t *loop, rt_store_t *store,
                  const rt_writer_options_t *options, rt_error_t *err) {
  *out = NULL;
  rt_writer_t *writer = calloc(1, sizeof *writer);
  if (writer == NULL)
    return rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
  writer->loop = loop;
  writer->store = store;
  writer->max_batch = RT_WRITER_DEFAULT_BATCH;
  writer->max_queue = RT_WRITER_DEFAULT_QUEUE;
  if (options != NULL) {
    if (options->max_batch > 0)
      writer->max_batch = options->max_batch;
    if (options->max_queue > 0)
      writer->max_queue = options->max_queue;
    writer->on_commit = options->on_commit;
    writer->on_commit_data = options->on_commit_data;
    if (register_metrics(writer, options->metrics) != 0) {
      free(writer);
      return rt_error_set(err, RT_ENOMEM, NULL,
                          "cannot register the writer metrics");
    }
  }
  writer->ops = calloc(writer->max_batch, sizeof *writer->ops);
  writer->batch = calloc(writer->max_batch, sizeof *writer->batch);
  if (writer->ops == NULL || writer->batch == NULL) {
    rt_error_set(err, RT_ENOMEM, NULL, "out of memory");
    goto fail;
  }
  if (init_sync(writer, err) != 0)
    goto fail;
  if (init_handles(writer, err) != 0)
    goto fail_sync;
  if (uv_thread_create(&writer->thread, writer_thread, writer) != 0) {
    rt_error_set(err, RT_EIO, NULL, "cannot start the writer thread");
    close_handles(writer);
    goto fail_sync;
  }
  writer->thread_started = true;
  *out = writer;
  return 0;

fail_sync:
  uv_cond_destroy(&writer->wake);
  uv_mutex_destroy(&writer->mutex);
fail:
  free(writer->batch);
  free(writer->ops);
  free(writer);
  return err != NULL ? err->code : RT_ENOMEM;
}

/* Next loop turn: wake the thread for everything queued meanwhile. */
static void on_flush(uv_idle_t *handle) {
  rt_writer_t *writer = handle->data;
  uv_idle_stop(handle);
  if (writer == NULL)
    return;
  writer->wake_pending = false;
  uv_mutex_lock(&writer->mutex);
  writer->woken = true;
  uv_cond_signal(&writer->wake);
  uv_mutex_unlock(&writer->mutex);
}

int rt_writer_submit(rt_writer_t *writer, rt_write_job_t *job,
                     rt_error_t *err) {
  int rc = 0;
  job->next = NULL;
  job->skipped = false;
  uv_mutex_lock(&writer->mutex);
  if (writer->stopping) {
    rc = rt_error_set(err, RT_EUNAVAIL, NULL,
                      "the server is shutting down and takes no more writes");
  } else if (writer->queued >= writer->max_queue) {
    rc = rt_error_set(err, RT_ETOOBIG, NULL,
                      "the write queue is full (%zu waiting); retry later",
                      writer->queued);
  } else {
    if (writer->queue_tail != NULL)
      writer->queue_tail->next = job;
    else
      writer->queue_head = job;
    writer->queue_tail = job;
    writer->queued++;
    rt_gauge_set(writer->queue_length, (double)writer->queued);
  }
  uv_mutex_unlock(&writer->mutex);
  if (rc == 0 && !writer->wake_pending) {
    writer->wake_pending = true;
    uv_idle_start(writer->flush, on_flush);
  }
  return rc;
}

void rt_write_job_abandon(rt_write_job_t *job) {
  atomic_store(&job->abandoned, true);
}

void rt_writer_drain(rt_writer_t *writer, void (*done)(void *data),
                     void *data) {
  if (writer->draining)
    return;
  writer->draining = true;
  writer->drain_done = done;
  writer->drain_data = data;
  uv_mutex_lock(&writer->mutex);
  writer->stopping = true;
  uv_cond_signal(&writer->wake);
  uv_mutex_unlock(&writer->mutex);
}

void rt_writer_get_stats(rt_writer_t *writer, rt_writer_stats_t *out) {
  uv_mutex_lock(&writer->mutex);
  *out = writer->stats;
  uv_mutex_unlock(&writer->mutex);
}

/* Without a finished drain: stop and join here, then complete whatever
 * is left as abandoned so that every job is still freed exactly once. */
static void stop_now(rt_writer_t *writer) {
  uv_mutex_lock(&writer->mutex);
  writer->stopping = true;
  uv_cond_signal(&writer->wake);
  uv_mutex_unlock(&writer->mutex);
  uv_thread_join(&writer->thread);
  writer->thread_joined = true;
  rt_write_job_t *done = writer->done_head;
  writer->done_head = writer->done_tail = NULL;
  for (rt_write_job_t *job = done, *next; job != NULL; job = next) {
    next = job->next;
    rt_write_job_abandon(job);
    job->complete(job);
  }
  close_handles(writer);
}

void rt_writer_free(rt_writer_t *writer) {
  if (writer == NULL)
    return;
  if (writer->thread_started && !writer->thread_joined)
    stop_now(writer);
  uv_cond_destroy(&writer->wake);
  uv_mutex_destroy(&writer->mutex);
  free(writer->batch);
  free(writer->ops);
  free(writer);
}
