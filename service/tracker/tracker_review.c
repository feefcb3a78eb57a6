/*
 * tracker_review: GetReviewSummary and ExportReview, the follow-up
 * review served from one consistent snapshot, off the loop thread.
 *
 * The loop thread only decodes the request and checks its dates; the rest
 * runs on libuv's thread pool (uv_queue_work), one step at a time per
 * call. The first step opens a read snapshot of its own, reads the whole
 * data set the review needs (every source, actor, recommendation,
 * commitment, follow-up and measurement, archived ones included: review/
 * decides what counts) into unpacked messages, and ends the snapshot at
 * once (map growth waits for open readers). It then computes the summary,
 * or starts the renderer and renders the first pieces. Each later step
 * renders up to RT_BATCH_CHUNKS pieces of at most 64 KiB; back on the
 * loop they are sent, and the next step is queued at once, or once the
 * client has read its queue down (rt_call_on_drain) when more than
 * RT_EXPORT_HIGH_WATER bytes wait. So a large export never holds the loop
 * for longer than it takes to queue a few chunks, and never piles up in
 * memory for a slow reader.
 *
 * The loop and the worker never touch a job at the same time: a step is
 * queued only from the loop, and the loop looks at the job again only in
 * after_step. When the client goes away while a step runs, cancel_job
 * forgets the call and after_step frees the job, discarding the step's
 * result. A job holds the store, never the tracker: a step that is still
 * running at shutdown ends before the daemon closes the store (its final
 * uv_run waits for the thread pool's callbacks).
 *
 * Dates: to_date defaults to the server's current UTC date; from_date
 * empty means "since the beginning"; as_of defaults to to_date.
 */
#include "tracker_call.h"

#include "rt_review.h"

#include <stdlib.h>
#include <string.h>

/* A step renders up to this many chunks (256 KiB); the next step waits
 * while more than RT_EXPORT_HIGH_WATER bytes are queued for the client. */
#define RT_BATCH_CHUNKS 4
#define RT_EXPORT_HIGH_WATER (512 * 1024)
#define RT_REVIEW_PAGE 1000

/* A growable array of pointers in the job's arena. A grown array leaves
 * its old items in the arena until the job ends: at most as much again
 * as the final array. */
typedef struct ptr_vec {
  void **items;
  size_t len, cap;
} ptr_vec_t;

static int vec_push(tracker_arena_t *arena, ptr_vec_t *vec, void *item) {
  if (vec->len == vec->cap) {
    size_t cap = vec->cap ? vec->cap * 2 : 64;
    void **items = tracker_arena_alloc(arena, cap * sizeof *items);
    if (items == NULL)
      return RT_ENOMEM;
    if (vec->len > 0)
      memcpy(items, vec->items, vec->len * sizeof *items);
    vec->items = items;
    vec->cap = cap;
  }
  vec->items[vec->len++] = item;
  return 0;
}

/* The data set: arrays of pointers to the records, in the job's arena.
 * The records are in the list pages, which the storage engine allocated:
 * they are freed with protobuf_c_message_free_unpacked, and never
 * changed. */
typedef struct dataset {
  tracker_arena_t *arena; /* the job's */
  ptr_vec_t pages;        /* every list response, freed by dataset_free */
  ptr_vec_t sources, actors, recommendations, commitments, follow_ups,
      measurements;
  uint64_t revision;
} dataset_t;

/* Frees the pages; the arrays go with the arena. */
static void dataset_free(dataset_t *data) {
  for (size_t i = 0; i < data->pages.len; i++)
    protobuf_c_message_free_unpacked(data->pages.items[i], NULL);
  *data = (dataset_t){.arena = data->arena};
}

/* ---- the data set ---------------------------------------------------- */

/* What a page request needs besides its token. */
typedef struct page_query {
  const char *today;         /* overdue and trajectory are computed for it */
  const char *commitment_id; /* measurements: whose */
} page_query_t;

/* Asks the store for one page of one list, from token on. */
typedef int (*page_fn)(rt_store_reader_t *reader, const page_query_t *query,
                       const char *token, ProtobufCMessage **page,
                       rt_error_t *err);

static int page_of_sources(rt_store_reader_t *reader, const page_query_t *query,
                           const char *token, ProtobufCMessage **page,
                           rt_error_t *err) {
  (void)query;
  Rectrack__V1__ListSourcesRequest request =
      RECTRACK__V1__LIST_SOURCES_REQUEST__INIT;
  request.page_size = RT_REVIEW_PAGE;
  request.page_token = (char *)token;
  request.include_archived = true;
  return rt_store_list_sources(reader, &request,
                               (Rectrack__V1__ListSourcesResponse **)page, err);
}

static int page_of_actors(rt_store_reader_t *reader, const page_query_t *query,
                          const char *token, ProtobufCMessage **page,
                          rt_error_t *err) {
  (void)query;
  Rectrack__V1__ListActorsRequest request =
      RECTRACK__V1__LIST_ACTORS_REQUEST__INIT;
  request.page_size = RT_REVIEW_PAGE;
  request.page_token = (char *)token;
  request.include_archived = true;
  return rt_store_list_actors(reader, &request,
                              (Rectrack__V1__ListActorsResponse **)page, err);
}

static int page_of_recommendations(rt_store_reader_t *reader,
                                   const page_query_t *query, const char *token,
                                   ProtobufCMessage **page, rt_error_t *err) {
  Rectrack__V1__ListRecommendationsRequest request =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  request.page_size = RT_REVIEW_PAGE;
  request.page_token = (char *)token;
  request.include_archived = true;
  return rt_store_list_recommendations(
      reader, &request, query->today,
      (Rectrack__V1__ListRecommendationsResponse **)page, err);
}

static int page_of_commitments(rt_store_reader_t *reader,
                               const page_query_t *query, const char *token,
                               ProtobufCMessage **page, rt_error_t *err) {
  Rectrack__V1__ListCommitmentsRequest request =
      RECTRACK__V1__LIST_COMMITMENTS_REQUEST__INIT;
  request.page_size = RT_REVIEW_PAGE;
  request.page_token = (char *)token;
  request.include_archived = true;
  return rt_store_list_commitments(
      reader, &request, query->today,
      (Rectrack__V1__ListCommitmentsResponse **)page, err);
}

/* Every follow-up: the period listing over the whole calendar range. */
static int page_of_follow_ups(rt_store_reader_t *reader,
                              const page_query_t *query, const char *token,
                              ProtobufCMessage **page, rt_error_t *err) {
  (void)query;
  Rectrack__V1__ListFollowUpsRequest request =
      RECTRACK__V1__LIST_FOLLOW_UPS_REQUEST__INIT;
  request.from_date = "1900-01-01";
  request.to_date = "2199-12-31";
  request.page_size = RT_REVIEW_PAGE;
  request.page_token = (char *)token;
  return rt_store_list_follow_ups(
      reader, &request, (Rectrack__V1__ListFollowUpsResponse **)page, err);
}

static int page_of_measurements(rt_store_reader_t *reader,
                                const page_query_t *query, const char *token,
                                ProtobufCMessage **page, rt_error_t *err) {
  Rectrack__V1__ListMeasurementsRequest request =
      RECTRACK__V1__LIST_MEASUREMENTS_REQUEST__INIT;
  request.commitment_id = (char *)query->commitment_id;
  request.page_size = RT_REVIEW_PAGE;
  request.page_token = (char *)token;
  return rt_store_list_measurements(
      reader, &request, (Rectrack__V1__ListMeasurementsResponse **)page, err);
}

/* Walks one list to its end: every page is kept in data->pages, its
 * records are appended to records. */
static int read_pages(rt_store_reader_t *reader, dataset_t *data,
                      page_fn page_of, const page_query_t *query,
                      ptr_vec_t *records, rt_error_t *err) {
  const char *token = "";
  for (;;) {
    ProtobufCMessage *page = NULL;
    int rc = page_of(reader, query, token, &page, err);
    if (rc != 0)
      return rc;
    if (vec_push(data->arena, &data->pages, page) != 0) {
      protobuf_c_message_free_unpacked(page, NULL);
      return RT_ENOMEM;
    }
    ProtobufCMessage *const *items;
    size_t count = tracker_list_page(page, &items, &token);
    for (size_t i = 0; i < count; i++)
      if (vec_push(data->arena, records, items[i]) != 0)
        return RT_ENOMEM;
    if (token[0] == '\0')
      return 0;
  }
}

/* Measurements of one commitment. review/ needs commitment_id on each;
 * where the stored record lacks it, the data set points at a copy of the
 * measurement in the arena that names the commitment (the page's own
 * record stays as the storage engine made it). */
static int read_measurements_of(rt_store_reader_t *reader, dataset_t *data,
                                const Rectrack__V1__Commitment *commitment,
                                rt_error_t *err) {
  const page_query_t query = {.commitment_id = commitment->id};
  size_t first = data->measurements.len;
  int rc = read_pages(reader, data, page_of_measurements, &query,
                      &data->measurements, err);
  for (size_t i = first; rc == 0 && i < data->measurements.len; i++) {
    const Rectrack__V1__Measurement *m = data->measurements.items[i];
    if (m->commitment_id != NULL && m->commitment_id[0] != '\0')
      continue;
    Rectrack__V1__Measurement *named =
        tracker_arena_alloc(data->arena, sizeof *named);
    if (named == NULL)
      return RT_ENOMEM;
    *named = *m;
    named->commitment_id = commitment->id;
    data->measurements.items[i] = named;
  }
  return rc;
}

/* Reads the data set in a read snapshot of its own, on whichever thread
 * calls it (a worker). The snapshot lives only while the records are
 * unpacked: map growth waits for open readers, so none is kept while
 * the review is computed or rendered. */
static int load_dataset(rt_store_t *store, const char *today, dataset_t *data,
                        rt_error_t *err) {
  rt_store_reader_t *reader = NULL;
  int rc = rt_store_reader_begin(store, &reader, err);
  if (rc != 0)
    return rc;
  data->revision = rt_store_revision(reader);
  const page_query_t query = {.today = today};
  const struct {
    page_fn page_of;
    ptr_vec_t *records;
  } lists[] = {
      {page_of_sources, &data->sources},
      {page_of_actors, &data->actors},
      {page_of_recommendations, &data->recommendations},
      {page_of_commitments, &data->commitments},
      {page_of_follow_ups, &data->follow_ups},
  };
  for (size_t i = 0; rc == 0 && i < sizeof lists / sizeof lists[0]; i++)
    rc = read_pages(reader, data, lists[i].page_of, &query, lists[i].records,
                    err);
  for (size_t i = 0; rc == 0 && i < data->commitments.len; i++) {
    Rectrack__V1__Commitment *c = data->commitments.items[i];
    if (c->indicator != NULL || c->measurement_count > 0)
      rc = read_measurements_of(reader, data, c, err);
  }
  rt_store_reader_end(reader);
  return rc;
}

static void fill_input(rt_review_input_t *in, const dataset_t *data,
                       const char *from, const char *to, const char *as_of) {
  memset(in, 0, sizeof *in);
  in->from_date = from;
  in->to_date = to;
  in->as_of = as_of;
  in->revision = data->revision;
  in->recommendations =
      (Rectrack__V1__Recommendation *const *)data->recommendations.items;
  in->recommendation_count = data->recommendations.len;
  in->commitments = (Rectrack__V1__Commitment *const *)data->commitments.items;
  in->commitment_count = data->commitments.len;
  in->follow_ups = (Rectrack__V1__FollowUp *const *)data->follow_ups.items;
  in->follow_up_count = data->follow_ups.len;
  in->measurements =
      (Rectrack__V1__Measurement *const *)data->measurements.items;
  in->measurement_count = data->measurements.len;
  in->actors = (Rectrack__V1__Actor *const *)data->actors.items;
  in->actor_count = data->actors.len;
  in->sources = (Rectrack__V1__Source *const *)data->sources.items;
  in->source_count = data->sources.len;
}

/* ---- one review job: GetReviewSummary or ExportReview ---------------- */

/* Pieces of the document rendered by one worker step, copied out of the
 * renderer (whose bytes only live until its next call). */
typedef struct batch {
  uint8_t *bytes; /* RT_BATCH_CHUNKS * RT_REVIEW_CHUNK_MAX */
  size_t len[RT_BATCH_CHUNKS];
  size_t count;
} batch_t;

typedef struct review_job {
  uv_work_t work;  /* the step on the thread pool, if in_flight */
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
  dataset_t data;
  rt_review_input_t in;
  Rectrack__V1__ReviewSummary *summary;
  rt_review_renderer_t *renderer;
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
  rt_review_summary_free(job->summary);
  job->summary = NULL;
  dataset_free(&job->data);
}

static void job_free(review_job_t *job) {
  job_free_results(job);
  tracker_arena_free(job->arena); /* the job is in it */
}

static void work_release(uv_work_t *work) { job_free_results(work->data); }

static void after_release(uv_work_t *work, int status) {
  (void)status;
  job_free(work->data);
}

/* Frees a job whose call has ended. Freeing tens of thousands of
 * messages takes milliseconds, so a loaded data set's pages are freed on
 * a worker; the job's arena on the loop afterwards. */
static void job_release(review_job_t *job) {
  job->work.data = job;
  if (job->data.pages.len == 0 ||
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

/* Worker: the first step reads the data set, then computes the summary
 * or starts the renderer and renders the first pieces. */
static void work_load(uv_work_t *work) {
  review_job_t *job = work->data;
  rt_error_clear(&job->err);
  job->rc = load_dataset(job->store, job->today, &job->data, &job->err);
  if (job->rc != 0) {
    job->read_failed = true;
    return;
  }
  fill_input(&job->in, &job->data, job->from, job->to, job->as_of);
  if (!job->export) {
    job->rc = rt_review_compute(&job->in, &job->summary, &job->err);
    return;
  }
  job->rc = rt_review_renderer_new(&job->in, NULL, job->format, job->table,
                                   &job->renderer, &job->err);
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
    tracker_reply_message(job->call, &job->summary->base);
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
  job->data.arena = arena;
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
  if (check_dates(job) != 0 || queue_step(job, work_load) != 0)
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

static void export_review(rt_tracker_t *tracker, rt_call_t *call,
                          const rt_auth_principal_t *principal,
                          ProtobufCMessage *request, tracker_arena_t *arena) {
  (void)principal;
  review_job_t *job = job_new(tracker, call, true, request, arena);
  if (job == NULL)
    return;
  if (export_prepare(job) != 0 || queue_step(job, work_load) != 0)
    goto fail;
  rt_call_set_data(call, job);
  return;
fail:
  job_free(job);
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
