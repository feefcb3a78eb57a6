/*
 * tracker_review: GetReviewSummary and ExportReview, the follow-up
 * review served from one consistent snapshot, off the loop thread.
 *
 * The loop thread only decodes the request and checks its dates; the rest
 * runs on libuv's thread pool (uv_queue_work), one step at a time per
 * call, apart from the reader threads that serve lists. Nothing reads the
 * whole data set into memory: the review library walks the store through
 * a source (service/review_source) over one read snapshot, a subject at
 * a time. A summary's first and only step opens the snapshot, computes
 * (rt_review_compute_stream) and ends it. An export's first step opens
 * the snapshot it then holds until its document is complete (so the
 * document is of one revision however long the client takes; see
 * docs/operations.md for what a long snapshot means for the data file),
 * starts the renderer, whose first pass over the subjects gives the
 * figures, and renders the first pieces. Each later step renders up to
 * RT_BATCH_CHUNKS pieces of at most 64 KiB; back on the loop they are
 * sent, and the next step is queued at once, or once the client has read
 * its queue down (rt_call_on_drain) when more than RT_EXPORT_HIGH_WATER
 * bytes wait. When the call is over the snapshot ends and what the steps
 * built is freed on a worker and handed back to the system (malloc_trim).
 *
 * A summary lists at most RT_SUMMARY_LIST_MAX entries per list (its
 * *_count fields count them all), so its reply stays small whatever the
 * data set; it is kept, packed, in a cache of RT_SUMMARY_CACHE entries
 * keyed by revision and period, so that asking again before anything
 * changed costs a lookup. Exports render in at most RT_EXPORTS_AT_ONCE
 * slots; up to RT_EXPORTS_WAITING more wait for a turn, and beyond that
 * an export is refused with RESOURCE_EXHAUSTED.
 *
 * The loop and the worker never touch a job at the same time: a step is
 * queued only from the loop, and the loop looks at the job again only in
 * after_step. When the client goes away while a step runs, cancel_job
 * forgets the call and after_step frees the job, discarding the step's
 * result. A job holds the store and the shared review state (reference
 * counted), never the tracker: a step that is still running at shutdown
 * ends before the daemon closes the store (its final uv_run waits for the
 * thread pool's callbacks).
 *
 * Dates: to_date defaults to the server's current UTC date; from_date
 * empty means "since the beginning"; as_of defaults to to_date.
 */
#include "review_source.h"
#include "tracker_call.h"

#include "rt_review.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A step renders up to this many chunks (256 KiB); the next step waits
 * while more than RT_EXPORT_HIGH_WATER bytes are queued for the client. */
#define RT_BATCH_CHUNKS 4
#define RT_EXPORT_HIGH_WATER (512 * 1024)
/* GetReviewSummary lists at most this many entries per list. */
#define RT_SUMMARY_LIST_MAX 100
/* Summaries kept, by revision and period. */
#define RT_SUMMARY_CACHE 8
/* Exports rendering at once, and waiting for a turn; beyond:
 * RESOURCE_EXHAUSTED. */
#define RT_EXPORTS_AT_ONCE 2
#define RT_EXPORTS_WAITING 8

/* ---- one review job: GetReviewSummary or ExportReview ---------------- */

/* Pieces of the document rendered by one worker step, copied out of the
 * renderer (whose bytes only live until its next call). */
typedef struct batch {
  uint8_t *bytes; /* RT_BATCH_CHUNKS * RT_REVIEW_CHUNK_MAX */
  size_t len[RT_BATCH_CHUNKS];
  size_t count;
} batch_t;

/* What the review calls share beyond one call: the summary cache and the
 * export slots. Reference-counted (the tracker and every job hold one),
 * because a job's last step may end after the tracker is freed. Loop
 * thread only. */
typedef struct cached_summary {
  uint64_t revision;
  char key[40];    /* from|to|as_of */
  uint8_t *packed; /* the reply, malloc'd */
  size_t len;
  uint64_t used; /* for least-recently-used eviction */
} cached_summary_t;

struct tracker_review_state {
  size_t refs;
  cached_summary_t cache[RT_SUMMARY_CACHE];
  uint64_t clock;
  size_t exporting;           /* exports holding a slot */
  struct review_job *waiting; /* exports waiting for one, FIFO */
  struct review_job *waiting_tail;
  size_t waiting_count;
  /* rectrack_export_jobs{via="grpc"} and ..._waiting; NULL: no metrics */
  rt_gauge_t *exporting_gauge, *waiting_gauge;
};

typedef struct review_job {
  uv_work_t work; /* the step on the thread pool, if in_flight */
  struct tracker_review_state *state;
  struct review_job *next_waiting;
  bool has_slot, is_waiting;
  rt_call_t *call; /* NULL once the call is gone (cancel_job) */
  uv_loop_t *loop;
  rt_store_t *store;
  bool export, in_flight;
  tracker_arena_t *arena;    /* the request's: holds this job, request,
                                batch.bytes and the data set's arrays */
  ProtobufCMessage *request; /* holds the date strings below */
  const char *from, *to, *as_of, *table;
  rt_review_format_t format;
  char today[11];
  /* Worker side: set by a step, read by the loop after it. */
  int rc;
  bool read_failed, done;
  rt_error_t err;
  uint64_t revision; /* of the snapshot read */
  Rectrack__V1__ReviewSummary *summary;
  uint8_t *packed; /* the summary packed, for the reply and the cache */
  size_t packed_len;
  rt_review_renderer_t *renderer;
  /* The snapshot read and the source over it: an export holds them
   * until its document is complete. */
  rt_store_reader_t *reader;
  review_source_t *source;
  batch_t batch;
  /* Loop side. */
  bool sent_first;
  const char *content_type;
  char filename[160];
} review_job_t;

/* Frees what a step built: the data set, summary and renderer. */
static void job_free_results(review_job_t *job) {
  rt_review_renderer_free(job->renderer);
  job->renderer = NULL;
  review_source_free(job->source);
  job->source = NULL;
  rt_store_reader_end(job->reader); /* an export's snapshot ends here */
  job->reader = NULL;
  rt_review_summary_free(job->summary);
  job->summary = NULL;
  free(job->packed);
  job->packed = NULL;
}

static void state_unref(struct tracker_review_state *state) {
  if (state == NULL || --state->refs > 0)
    return;
  for (size_t i = 0; i < RT_SUMMARY_CACHE; i++)
    free(state->cache[i].packed);
  free(state);
}

static void release_slot(review_job_t *job);

static void job_free(review_job_t *job) {
  job_free_results(job);
  release_slot(job);
  struct tracker_review_state *state = job->state;
  tracker_arena_free(job->arena); /* the job is in it */
  state_unref(state);
}

/* What the review took goes back to the system, not to a worker thread's
 * malloc arena where no later request would reuse it (glibc keeps freed
 * memory per arena). */
static void work_release(uv_work_t *work) {
  job_free_results(work->data);
  malloc_trim(0);
}

static void after_release(uv_work_t *work, int status) {
  (void)status;
  job_free(work->data);
}

/* Frees a job whose call has ended: what a step built is freed (and the
 * memory trimmed) on a worker, the job's arena on the loop afterwards. */
static void job_release(review_job_t *job) {
  job->work.data = job;
  if ((job->renderer == NULL && job->reader == NULL && job->summary == NULL) ||
      uv_queue_work(job->loop, &job->work, work_release, after_release) != 0)
    job_free(job);
}

/* Worker: renders the next pieces, up to RT_BATCH_CHUNKS of them. */
static void render_batch(review_job_t *job) {
  job->batch.count = 0;
  size_t offset = 0;
  while (job->batch.count < RT_BATCH_CHUNKS) {
    const uint8_t *chunk = NULL;
    size_t len = 0;
    int rc = rt_review_renderer_next(job->renderer, &chunk, &len);
    if (rc <= 0) {
      job->rc = rc;
      job->done = true;
      return;
    }
    if (len == 0)
      continue; /* XLSX: a batch of rows went into the workbook */
    memcpy(job->batch.bytes + offset, chunk, len);
    job->batch.len[job->batch.count++] = len;
    offset += len;
  }
}

/* Worker: opens the snapshot of the job and the source over it. */
static int open_snapshot(review_job_t *job) {
  int rc = rt_store_reader_begin(job->store, &job->reader, &job->err);
  if (rc == 0 &&
      (rc = review_source_new(job->reader, REVIEW_SOURCE_ALL, &job->source)))
    rt_error_set(&job->err, rc, NULL, "out of memory");
  if (rc != 0) {
    job->read_failed = true;
    return rc;
  }
  job->revision = rt_store_revision(job->reader);
  return 0;
}

static void close_snapshot(review_job_t *job) {
  review_source_free(job->source);
  job->source = NULL;
  rt_store_reader_end(job->reader);
  job->reader = NULL;
}

/* Worker: the summary, from the source over a snapshot that ends as soon
 * as it is computed, packed for the reply and the cache. */
static void compute_summary(review_job_t *job) {
  if ((job->rc = open_snapshot(job)) != 0)
    return;
  rt_review_stream_input_t in = {
      .from_date = job->from,
      .to_date = job->to,
      .as_of = job->as_of,
      .revision = job->revision,
      .source = review_source_get(job->source),
  };
  job->rc = rt_review_compute_stream(&in, RT_SUMMARY_LIST_MAX, &job->summary,
                                     &job->err);
  close_snapshot(job);
  if (job->rc != 0)
    return;
  job->packed_len = protobuf_c_message_get_packed_size(&job->summary->base);
  job->packed = malloc(job->packed_len ? job->packed_len : 1);
  if (job->packed != NULL)
    protobuf_c_message_pack(&job->summary->base, job->packed);
  else
    job->rc = rt_error_set(&job->err, RT_ENOMEM, NULL, "out of memory");
}

/* Worker, the first step: the summary, or for an export the snapshot it
 * holds until its document is complete, the renderer over it and the
 * first pieces. The renderer's first pass (the figures) runs here. */
static void work_load(uv_work_t *work) {
  review_job_t *job = work->data;
  rt_readers_lower_priority(); /* a worker of libuv's pool: see there */
  rt_error_clear(&job->err);
  if (!job->export) {
    compute_summary(job);
    return;
  }
  if ((job->rc = open_snapshot(job)) != 0)
    return;
  rt_review_stream_input_t in = {
      .from_date = job->from,
      .to_date = job->to,
      .as_of = job->as_of,
      .revision = job->revision,
      .source = review_source_get(job->source),
  };
  job->rc = rt_review_stream_new(&in, job->format, job->table, &job->renderer,
                                 &job->err);
  if (job->rc == 0)
    render_batch(job);
}

static void work_render(uv_work_t *work) { render_batch(work->data); }

static void after_step(uv_work_t *work, int status);

/* Puts the next step of job on the thread pool; 0 or fails the call. */
static int queue_step(review_job_t *job, uv_work_cb step) {
  job->work.data = job;
  int rc = uv_queue_work(job->loop, &job->work, step, after_step);
  if (rc != 0) {
    rt_call_fail(job->call, RT_GRPC_UNAVAILABLE, "cannot schedule the review");
    return rc;
  }
  job->in_flight = true;
  return 0;
}

static int export_send(review_job_t *job, const uint8_t *data, size_t len) {
  Rectrack__V1__ExportChunk chunk = RECTRACK__V1__EXPORT_CHUNK__INIT;
  chunk.data.data = (uint8_t *)data;
  chunk.data.len = len;
  if (!job->sent_first) {
    chunk.content_type = (char *)job->content_type;
    chunk.filename = job->filename;
    job->sent_first = true;
  }
  size_t packed_len = protobuf_c_message_get_packed_size(&chunk.base);
  uint8_t *buffer = malloc(packed_len ? packed_len : 1);
  if (buffer == NULL)
    return RT_ENOMEM;
  protobuf_c_message_pack(&chunk.base, buffer);
  int rc = rt_call_send(job->call, buffer, packed_len);
  free(buffer);
  return rc;
}

static void on_export_drained(rt_call_t *call) {
  review_job_t *job = rt_call_data(call);
  if (queue_step(job, work_render) != 0)
    job_release(job);
}

/* Loop: sends what a step rendered; returns true when the call ended. */
static bool export_deliver(review_job_t *job) {
  size_t offset = 0;
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < job->batch.count; i++) {
    rc = export_send(job, job->batch.bytes + offset, job->batch.len[i]);
    offset += job->batch.len[i];
  }
  if (rc == 0 && job->done && job->rc == 0 && !job->sent_first)
    rc = export_send(job, NULL, 0); /* an empty document still says what */
  if (rc != 0 || job->rc < 0) {
    rt_call_finish(job->call, RT_GRPC_INTERNAL, "cannot render the review");
    return true;
  }
  if (job->done) {
    rt_call_finish(job->call, RT_GRPC_OK, NULL);
    return true;
  }
  if (rt_call_pending_bytes(job->call) >= RT_EXPORT_HIGH_WATER) {
    rt_call_on_drain(job->call, on_export_drained);
    return false;
  }
  return queue_step(job, work_render) != 0;
}

/* ---- the summary cache ---------------------------------------------- */

/* The cache key of a period: to and as_of after their defaults. */
static void cache_key(const char *from, const char *to, const char *as_of,
                      char out[40]) {
  snprintf(out, 40, "%.10s|%.10s|%.10s", from ? from : "", to,
           as_of && as_of[0] ? as_of : to);
}

static cached_summary_t *cache_find(struct tracker_review_state *state,
                                    uint64_t revision, const char *key) {
  for (size_t i = 0; i < RT_SUMMARY_CACHE; i++) {
    cached_summary_t *c = &state->cache[i];
    if (c->packed != NULL && c->revision == revision &&
        strcmp(c->key, key) == 0) {
      c->used = ++state->clock;
      return c;
    }
  }
  return NULL;
}

/* Keeps the packed summary (taken from the job) in place of the least
 * recently used entry. */
static void cache_put(struct tracker_review_state *state, uint64_t revision,
                      const char *key, uint8_t *packed, size_t len) {
  cached_summary_t *slot = &state->cache[0];
  for (size_t i = 0; i < RT_SUMMARY_CACHE; i++) {
    if (state->cache[i].packed == NULL) {
      slot = &state->cache[i];
      break;
    }
    if (state->cache[i].used < slot->used)
      slot = &state->cache[i];
  }
  free(slot->packed);
  *slot = (cached_summary_t){.revision = revision,
                             .packed = packed,
                             .len = len,
                             .used = ++state->clock};
  snprintf(slot->key, sizeof slot->key, "%s", key);
}

static void reply_and_cache(review_job_t *job) {
  rt_call_reply(job->call, job->packed, job->packed_len);
  char key[40];
  cache_key(job->from, job->to, job->as_of, key);
  cache_put(job->state, job->revision, key, job->packed, job->packed_len);
  job->packed = NULL; /* the cache's now */
}

/* Loop: a step is over. A job whose call is gone is only freed. */
static void after_step(uv_work_t *work, int status) {
  review_job_t *job = work->data;
  job->in_flight = false;
  if (job->call == NULL) {
    job_release(job);
    return;
  }
  bool ended = true;
  if (status != 0)
    rt_call_fail(job->call, RT_GRPC_UNAVAILABLE, "the review was cancelled");
  else if (job->read_failed) /* the data set is ours, not the client's */
    rt_call_fail(job->call, RT_GRPC_INTERNAL,
                 "cannot read the review data set");
  else if (job->rc != 0 && (job->renderer == NULL || !job->export))
    tracker_fail(job->call, job->rc, &job->err);
  else if (!job->export)
    reply_and_cache(job);
  else
    ended = export_deliver(job);
  if (ended)
    job_release(job);
}

/* The transport ended the call: forget it; free now unless a step runs
 * (then after_step frees the job and discards the step's result). */
static void cancel_job(rt_call_t *call) {
  review_job_t *job = rt_call_data(call);
  if (job == NULL)
    return;
  rt_call_set_data(call, NULL);
  job->call = NULL;
  if (!job->in_flight)
    job_release(job);
}

/* to_date defaults to today (UTC). */
static const char *period_end(const char *to_date, const char *today) {
  return to_date != NULL && to_date[0] != '\0' ? to_date : today;
}

/* A job for request, in its arena (which the job owns from now on: job_free
 * frees it). NULL: the call was failed and the arena freed. */
static review_job_t *job_new(rt_tracker_t *tracker, rt_call_t *call,
                             bool export, ProtobufCMessage *request,
                             tracker_arena_t *arena) {
  review_job_t *job = tracker_arena_alloc(arena, sizeof *job);
  if (job == NULL) {
    tracker_arena_free(arena);
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  memset(job, 0, sizeof *job);
  job->arena = arena;
  job->state = tracker->review;
  job->state->refs++;
  job->request = request;
  job->call = call;
  job->loop = tracker->loop;
  job->store = tracker->store;
  job->export = export;
  tracker_today(job->today);
  return job;
}

/* Checks the dates on an empty data set before reading the real one, so
 * that a malformed request costs no read (INVALID_ARGUMENT naming the
 * field). Format and table are checked by the renderer on the worker. */
static int check_dates(review_job_t *job) {
  rt_review_input_t empty = {
      .from_date = job->from, .to_date = job->to, .as_of = job->as_of};
  Rectrack__V1__ReviewSummary *summary = NULL;
  rt_error_t err;
  rt_error_clear(&err);
  int rc = rt_review_compute(&empty, &summary, &err);
  rt_review_summary_free(summary);
  if (rc != 0)
    tracker_fail(job->call, rc, &err);
  return rc;
}

/* Answers a summary of the current revision from the cache; false when
 * it holds none (or the revision cannot be read: then it is computed). */
static bool reply_from_cache(rt_tracker_t *tracker, review_job_t *job) {
  if (tracker_begin_read(tracker, NULL) != 0)
    return false;
  uint64_t revision = rt_store_revision(tracker->reader);
  tracker_end_read(tracker);
  char key[40];
  cache_key(job->from, job->to, job->as_of, key);
  cached_summary_t *hit = cache_find(job->state, revision, key);
  if (hit == NULL)
    return false;
  rt_call_reply(job->call, hit->packed, hit->len);
  return true;
}

static void get_review_summary(rt_tracker_t *tracker, rt_call_t *call,
                               const rt_auth_principal_t *principal,
                               ProtobufCMessage *request,
                               tracker_arena_t *arena) {
  (void)principal;
  Rectrack__V1__GetReviewSummaryRequest *req = (void *)request;
  review_job_t *job = job_new(tracker, call, false, request, arena);
  if (job == NULL)
    return;
  job->from = req->from_date;
  job->to = period_end(req->to_date, job->today);
  job->as_of = req->as_of;
  if (check_dates(job) != 0)
    goto fail;
  if (reply_from_cache(tracker, job))
    goto fail; /* answered: nothing left to do */
  if (queue_step(job, work_load) != 0)
    goto fail;
  rt_call_set_data(call, job);
  return;
fail:
  job_free(job);
}

static int export_prepare(review_job_t *job) {
  Rectrack__V1__ExportReviewRequest *req = (void *)job->request;
  if (req->format == RECTRACK__V1__EXPORT_FORMAT__EXPORT_FORMAT_UNSPECIFIED) {
    rt_call_fail(job->call, RT_GRPC_INVALID_ARGUMENT,
                 "format is required (HTML, MARKDOWN, CSV, JSON or XLSX)");
    return RT_EINVAL;
  }
  job->format = (rt_review_format_t)req->format;
  job->from = req->from_date;
  job->to = period_end(req->to_date, job->today);
  job->as_of = req->as_of;
  job->table = req->table;
  job->content_type = rt_review_content_type(job->format);
  /* Fails only for a bad format or table, which the renderer reports. */
  (void)rt_review_filename(job->format, req->table, req->from_date, job->to,
                           job->filename, sizeof job->filename);
  job->batch.bytes =
      tracker_arena_alloc(job->arena, RT_BATCH_CHUNKS * RT_REVIEW_CHUNK_MAX);
  if (job->batch.bytes == NULL) {
    rt_call_fail(job->call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return RT_ENOMEM;
  }
  return check_dates(job);
}

/* ---- export slots ----------------------------------------------------- */

/* The slots' counts, for /metrics. */
static void note_exports(const struct tracker_review_state *state) {
  rt_gauge_set(state->exporting_gauge, (double)state->exporting);
  rt_gauge_set(state->waiting_gauge, (double)state->waiting_count);
}

/* An export renders only in one of RT_EXPORTS_AT_ONCE slots; more wait
 * in turn, up to RT_EXPORTS_WAITING; beyond, RESOURCE_EXHAUSTED. Returns
 * 0 (the job has a slot, or waits for one) or fails the call. */
static int take_slot(review_job_t *job) {
  struct tracker_review_state *state = job->state;
  if (state->exporting < RT_EXPORTS_AT_ONCE) {
    state->exporting++;
    job->has_slot = true;
    note_exports(state);
    return 0;
  }
  if (state->waiting_count >= RT_EXPORTS_WAITING) {
    char message[160];
    snprintf(message, sizeof message,
             "%zu exports are being rendered and %zu wait for a turn; retry "
             "later",
             state->exporting, state->waiting_count);
    rt_call_fail(job->call, RT_GRPC_RESOURCE_EXHAUSTED, message);
    return RT_ETOOBIG;
  }
  job->is_waiting = true;
  job->next_waiting = NULL;
  if (state->waiting_tail != NULL)
    state->waiting_tail->next_waiting = job;
  else
    state->waiting = job;
  state->waiting_tail = job;
  state->waiting_count++;
  note_exports(state);
  return 0;
}

/* Takes job out of the waiting line (its call ended first). */
static void leave_line(review_job_t *job) {
  struct tracker_review_state *state = job->state;
  review_job_t **at = &state->waiting;
  review_job_t *previous = NULL;
  while (*at != NULL && *at != job) {
    previous = *at;
    at = &(*at)->next_waiting;
  }
  if (*at == NULL)
    return;
  *at = job->next_waiting;
  if (state->waiting_tail == job)
    state->waiting_tail = previous;
  state->waiting_count--;
  job->is_waiting = false;
  note_exports(state);
}

/* A slot came free: the next waiting export starts. */
static void release_slot(review_job_t *job) {
  struct tracker_review_state *state = job->state;
  if (job->is_waiting)
    leave_line(job);
  if (!job->has_slot)
    return;
  job->has_slot = false;
  state->exporting--;
  while (state->waiting != NULL && state->exporting < RT_EXPORTS_AT_ONCE) {
    review_job_t *next = state->waiting;
    leave_line(next);
    state->exporting++;
    next->has_slot = true;
    if (queue_step(next, work_load) != 0) {
      rt_call_set_data(next->call, NULL);
      job_free(next);
    }
  }
  note_exports(state);
}

static void export_review(rt_tracker_t *tracker, rt_call_t *call,
                          const rt_auth_principal_t *principal,
                          ProtobufCMessage *request, tracker_arena_t *arena) {
  (void)principal;
  review_job_t *job = job_new(tracker, call, true, request, arena);
  if (job == NULL)
    return;
  if (export_prepare(job) != 0 || take_slot(job) != 0)
    goto fail;
  if (job->has_slot && queue_step(job, work_load) != 0)
    goto fail;
  rt_call_set_data(call, job);
  return;
fail:
  job_free(job);
}

int tracker_review_init(rt_tracker_t *tracker) {
  tracker->review = calloc(1, sizeof *tracker->review);
  if (tracker->review == NULL)
    return RT_ENOMEM;
  tracker->review->refs = 1;
  if (tracker->metrics != NULL) {
    /* the HTTP listener's downloads are the same family, via="http" */
    tracker->review->exporting_gauge = rt_metrics_gauge(
        tracker->metrics, "rectrack_export_jobs",
        "Review exports being rendered and sent, by the interface that "
        "asked.",
        "via=\"grpc\"");
    tracker->review->waiting_gauge = rt_metrics_gauge(
        tracker->metrics, "rectrack_export_jobs_waiting",
        "Review exports waiting for a slot to be rendered in.", "via=\"grpc\"");
    if (tracker->review->exporting_gauge == NULL ||
        tracker->review->waiting_gauge == NULL)
      return RT_ENOMEM;
  }
  return 0;
}

void tracker_review_release(rt_tracker_t *tracker) {
  state_unref(tracker->review);
  tracker->review = NULL;
}

const tracker_route_t tracker_review_routes[] = {
    {TRACKER_PATH("GetReviewSummary"), RT_METHOD_UNARY,
     &rectrack__v1__get_review_summary_request__descriptor, get_review_summary,
     cancel_job, RT_AUTH_ROLE_READER},
    {TRACKER_PATH("ExportReview"), RT_METHOD_SERVER_STREAMING,
     &rectrack__v1__export_review_request__descriptor, export_review,
     cancel_job, RT_AUTH_ROLE_READER},
};
const size_t tracker_review_route_count =
    sizeof tracker_review_routes / sizeof tracker_review_routes[0];
