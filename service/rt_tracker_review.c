/*
 * rt_tracker_review: GetReviewSummary and ExportReview, the follow-up
 * review served from one consistent snapshot.
 *
 * Both first read the whole data set the review needs (every source,
 * actor, recommendation, commitment, follow-up and measurement, archived
 * ones included: review/ decides what counts) in one read snapshot on the
 * loop thread, page by page through the storage engine's list calls, into
 * unpacked messages that outlive the snapshot. The snapshot is reset as
 * soon as the data set is in memory. GetReviewSummary then computes the
 * figures and replies; ExportReview hands the data set to a renderer and
 * sends one chunk per loop turn (a uv_idle_t per export), pausing while
 * the client is slow to read (rt_call_on_drain), so that a large export
 * never holds the loop and never piles up in memory.
 *
 * Dates: to_date defaults to the server's current UTC date; from_date
 * empty means "since the beginning"; as_of defaults to to_date.
 */
#include "rt_tracker_internal.h"

#include "rt_review.h"

#include <stdlib.h>
#include <string.h>

#define RT_EXPORT_HIGH_WATER (512 * 1024)
#define RT_REVIEW_PAGE 1000

/* A growable array of pointers; also used for the pages to free. */
typedef struct ptr_vec {
  void **items;
  size_t len, cap;
} ptr_vec_t;

static int vec_push(ptr_vec_t *vec, void *item) {
  if (vec->len == vec->cap) {
    size_t cap = vec->cap ? vec->cap * 2 : 64;
    void **items = realloc(vec->items, cap * sizeof *items);
    if (items == NULL)
      return RT_ENOMEM;
    vec->items = items;
    vec->cap = cap;
  }
  vec->items[vec->len++] = item;
  return 0;
}

/* The data set: arrays of borrowed pointers into the list pages. */
typedef struct dataset {
  ptr_vec_t pages; /* every response message, freed at the end */
  ptr_vec_t sources, actors, recommendations, commitments, follow_ups,
      measurements;
  ptr_vec_t restore_slots, restore_values; /* see add_measurements */
  uint64_t revision;
} dataset_t;

static void dataset_free(dataset_t *data) {
  for (size_t i = 0; i < data->restore_slots.len; i++)
    *(char **)data->restore_slots.items[i] = data->restore_values.items[i];
  for (size_t i = 0; i < data->pages.len; i++)
    protobuf_c_message_free_unpacked(data->pages.items[i], NULL);
  ptr_vec_t *vecs[] = {
      &data->pages,           &data->sources,       &data->actors,
      &data->recommendations, &data->commitments,   &data->follow_ups,
      &data->measurements,    &data->restore_slots, &data->restore_values};
  for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++)
    free(vecs[i]->items);
  memset(data, 0, sizeof *data);
}

static int push_all(ptr_vec_t *vec, void **items, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (vec_push(vec, items[i]) != 0)
      return RT_ENOMEM;
  return 0;
}

/* Each reader below walks one list to its end, keeping every page. */
#define READ_ALL(fn, req_type, REQ_INIT, resp_type, call, field, vec)          \
  static int fn(rt_store_reader_t *reader, dataset_t *data, const char *today, \
                rt_error_t *err) {                                             \
    (void)today;                                                               \
    req_type request = REQ_INIT;                                               \
    request.page_size = RT_REVIEW_PAGE;                                        \
    request.include_archived = true;                                           \
    char *token = NULL;                                                        \
    for (;;) {                                                                 \
      resp_type *page = NULL;                                                  \
      request.page_token = token ? token : "";                                 \
      int rc = call;                                                           \
      if (rc != 0)                                                             \
        return rc;                                                             \
      if (vec_push(&data->pages, page) != 0) {                                 \
        protobuf_c_message_free_unpacked(&page->base, NULL);                   \
        return RT_ENOMEM;                                                      \
      }                                                                        \
      if (push_all(&data->vec, (void **)page->field, page->n_##field) != 0)    \
        return RT_ENOMEM;                                                      \
      if (page->next_page_token == NULL || page->next_page_token[0] == '\0')   \
        return 0;                                                              \
      token = page->next_page_token;                                           \
    }                                                                          \
  }

READ_ALL(read_sources, Rectrack__V1__ListSourcesRequest,
         RECTRACK__V1__LIST_SOURCES_REQUEST__INIT,
         Rectrack__V1__ListSourcesResponse,
         rt_store_list_sources(reader, &request, &page, err), sources, sources)
READ_ALL(read_actors, Rectrack__V1__ListActorsRequest,
         RECTRACK__V1__LIST_ACTORS_REQUEST__INIT,
         Rectrack__V1__ListActorsResponse,
         rt_store_list_actors(reader, &request, &page, err), actors, actors)
READ_ALL(read_recommendations, Rectrack__V1__ListRecommendationsRequest,
         RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT,
         Rectrack__V1__ListRecommendationsResponse,
         rt_store_list_recommendations(reader, &request, today, &page, err),
         recommendations, recommendations)
READ_ALL(read_commitments, Rectrack__V1__ListCommitmentsRequest,
         RECTRACK__V1__LIST_COMMITMENTS_REQUEST__INIT,
         Rectrack__V1__ListCommitmentsResponse,
         rt_store_list_commitments(reader, &request, today, &page, err),
         commitments, commitments)

/* Every follow-up: the period listing over the whole calendar range. */
static int read_follow_ups(rt_store_reader_t *reader, dataset_t *data,
                           rt_error_t *err) {
  Rectrack__V1__ListFollowUpsRequest request =
      RECTRACK__V1__LIST_FOLLOW_UPS_REQUEST__INIT;
  request.from_date = "1900-01-01";
  request.to_date = "2199-12-31";
  request.page_size = RT_REVIEW_PAGE;
  char *token = NULL;
  for (;;) {
    Rectrack__V1__ListFollowUpsResponse *page = NULL;
    request.page_token = token ? token : "";
    int rc = rt_store_list_follow_ups(reader, &request, &page, err);
    if (rc != 0)
      return rc;
    if (vec_push(&data->pages, page) != 0) {
      protobuf_c_message_free_unpacked(&page->base, NULL);
      return RT_ENOMEM;
    }
    if (push_all(&data->follow_ups, (void **)page->follow_ups,
                 page->n_follow_ups) != 0)
      return RT_ENOMEM;
    if (page->next_page_token == NULL || page->next_page_token[0] == '\0')
      return 0;
    token = page->next_page_token;
  }
}

/* Measurements of one commitment. review/ needs commitment_id on each;
 * where the stored record lacks it, it is borrowed from the commitment
 * and the field's own value put back before the page is freed. */
static int read_measurements_of(rt_store_reader_t *reader, dataset_t *data,
                                Rectrack__V1__Commitment *commitment,
                                rt_error_t *err) {
  Rectrack__V1__ListMeasurementsRequest request =
      RECTRACK__V1__LIST_MEASUREMENTS_REQUEST__INIT;
  request.commitment_id = commitment->id;
  request.page_size = RT_REVIEW_PAGE;
  char *token = NULL;
  for (;;) {
    Rectrack__V1__ListMeasurementsResponse *page = NULL;
    request.page_token = token ? token : "";
    int rc = rt_store_list_measurements(reader, &request, &page, err);
    if (rc != 0)
      return rc;
    if (vec_push(&data->pages, page) != 0) {
      protobuf_c_message_free_unpacked(&page->base, NULL);
      return RT_ENOMEM;
    }
    for (size_t i = 0; i < page->n_measurements; i++) {
      Rectrack__V1__Measurement *m = page->measurements[i];
      if (m->commitment_id == NULL || m->commitment_id[0] == '\0') {
        if (vec_push(&data->restore_slots, &m->commitment_id) != 0 ||
            vec_push(&data->restore_values, m->commitment_id) != 0)
          return RT_ENOMEM;
        m->commitment_id = commitment->id;
      }
      if (vec_push(&data->measurements, m) != 0)
        return RT_ENOMEM;
    }
    if (page->next_page_token == NULL || page->next_page_token[0] == '\0')
      return 0;
    token = page->next_page_token;
  }
}

/* Reads the data set in one snapshot; fails the call on error. */
static int read_dataset(rt_tracker_t *tracker, rt_call_t *call,
                        dataset_t *data) {
  char today[11];
  rt_tracker_today(today);
  rt_error_t err;
  rt_error_clear(&err);
  if (rt_tracker_begin_read(tracker, call) != 0)
    return -1;
  rt_store_reader_t *reader = tracker->reader;
  data->revision = rt_store_revision(reader);
  int rc = read_sources(reader, data, today, &err);
  if (rc == 0)
    rc = read_actors(reader, data, today, &err);
  if (rc == 0)
    rc = read_recommendations(reader, data, today, &err);
  if (rc == 0)
    rc = read_commitments(reader, data, today, &err);
  if (rc == 0)
    rc = read_follow_ups(reader, data, &err);
  for (size_t i = 0; rc == 0 && i < data->commitments.len; i++) {
    Rectrack__V1__Commitment *c = data->commitments.items[i];
    if (c->indicator != NULL || c->measurement_count > 0)
      rc = read_measurements_of(reader, data, c, &err);
  }
  rt_tracker_end_read(tracker);
  if (rc != 0) {
    /* A storage complaint about the data set is ours, not the client's. */
    rt_call_fail(call, RT_GRPC_INTERNAL, "cannot read the review data set");
    return rc;
  }
  return 0;
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

/* to_date defaults to today (UTC). */
static const char *period_end(const char *to_date, char today[11]) {
  if (to_date != NULL && to_date[0] != '\0')
    return to_date;
  rt_tracker_today(today);
  return today;
}

static void handle_get_review_summary(rt_call_t *call, const uint8_t *request,
                                      size_t len) {
  rt_tracker_t *tracker = rt_call_method_data(call);
  Rectrack__V1__GetReviewSummaryRequest *req = (void *)rt_tracker_decode(
      call, &rectrack__v1__get_review_summary_request__descriptor, request,
      len);
  if (req == NULL)
    return;
  dataset_t data = {0};
  if (read_dataset(tracker, call, &data) == 0) {
    char today[11];
    rt_review_input_t in;
    fill_input(&in, &data, req->from_date, period_end(req->to_date, today),
               req->as_of);
    Rectrack__V1__ReviewSummary *summary = NULL;
    rt_error_t err;
    rt_error_clear(&err);
    int rc = rt_review_compute(&in, &summary, &err);
    if (rc == 0)
      rt_tracker_reply_message(call, &summary->base);
    else
      rt_tracker_fail(call, rc, &err);
    rt_review_summary_free(summary);
  }
  dataset_free(&data);
  protobuf_c_message_free_unpacked(&req->base, NULL);
}

/* ---- ExportReview ---------------------------------------------------- */

typedef struct export_stream {
  rt_call_t *call; /* NULL once the call is gone */
  Rectrack__V1__ExportReviewRequest *request;
  dataset_t data;
  rt_review_input_t in;
  char today[11];
  rt_review_renderer_t *renderer;
  uv_idle_t *idle; /* own allocation, freed by its close callback */
  bool sent_first, waiting_drain;
  const char *content_type;
  char filename[160];
} export_stream_t;

static void free_idle(uv_handle_t *handle) { free(handle); }

static void export_free(export_stream_t *stream) {
  if (stream->idle != NULL) {
    uv_close((uv_handle_t *)stream->idle, free_idle);
    stream->idle = NULL;
  }
  rt_review_renderer_free(stream->renderer);
  dataset_free(&stream->data);
  if (stream->request != NULL)
    protobuf_c_message_free_unpacked(&stream->request->base, NULL);
  free(stream);
}

static void export_end(export_stream_t *stream, rt_grpc_status_t status,
                       const char *message) {
  rt_call_finish(stream->call, status, message);
  export_free(stream);
}

static int export_send(export_stream_t *stream, const uint8_t *data,
                       size_t len) {
  Rectrack__V1__ExportChunk chunk = RECTRACK__V1__EXPORT_CHUNK__INIT;
  chunk.data.data = (uint8_t *)data;
  chunk.data.len = len;
  if (!stream->sent_first) {
    chunk.content_type = (char *)stream->content_type;
    chunk.filename = stream->filename;
    stream->sent_first = true;
  }
  size_t packed_len = protobuf_c_message_get_packed_size(&chunk.base);
  uint8_t *buffer = malloc(packed_len ? packed_len : 1);
  if (buffer == NULL)
    return RT_ENOMEM;
  protobuf_c_message_pack(&chunk.base, buffer);
  int rc = rt_call_send(stream->call, buffer, packed_len);
  free(buffer);
  return rc;
}

static void on_export_turn(uv_idle_t *handle);

static void on_export_drained(rt_call_t *call) {
  export_stream_t *stream = rt_call_data(call);
  stream->waiting_drain = false;
  uv_idle_start(stream->idle, on_export_turn);
}

/* One loop turn: one piece of the document. */
static void on_export_turn(uv_idle_t *handle) {
  export_stream_t *stream = handle->data;
  if (rt_call_pending_bytes(stream->call) >= RT_EXPORT_HIGH_WATER) {
    uv_idle_stop(handle);
    stream->waiting_drain = true;
    rt_call_on_drain(stream->call, on_export_drained);
    return;
  }
  const uint8_t *chunk = NULL;
  size_t len = 0;
  int rc = rt_review_renderer_next(stream->renderer, &chunk, &len);
  if (rc == 1 && len == 0)
    return;
  if (rc == 1 || (rc == 0 && !stream->sent_first))
    rc = export_send(stream, chunk, len) == 0 ? rc : RT_ENOMEM;
  if (rc == 0)
    export_end(stream, RT_GRPC_OK, NULL);
  else if (rc < 0)
    export_end(stream, RT_GRPC_INTERNAL, "cannot render the review");
}

static int export_start(rt_tracker_t *tracker, export_stream_t *stream) {
  Rectrack__V1__ExportReviewRequest *req = stream->request;
  const char *to = period_end(req->to_date, stream->today);
  fill_input(&stream->in, &stream->data, req->from_date, to, req->as_of);
  rt_review_format_t format = (rt_review_format_t)req->format;
  rt_error_t err;
  rt_error_clear(&err);
  int rc = rt_review_renderer_new(&stream->in, NULL, format, req->table,
                                  &stream->renderer, &err);
  if (rc == 0)
    rc = rt_review_filename(format, req->table, req->from_date, to,
                            stream->filename, sizeof stream->filename);
  if (rc != 0) {
    rt_tracker_fail(stream->call, rc, &err);
    return rc;
  }
  stream->content_type = rt_review_content_type(format);
  stream->idle = calloc(1, sizeof *stream->idle);
  if (stream->idle == NULL) {
    rt_call_fail(stream->call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return RT_ENOMEM;
  }
  uv_idle_init(tracker->loop, stream->idle);
  stream->idle->data = stream;
  uv_idle_start(stream->idle, on_export_turn);
  return 0;
}

static void handle_export_review(rt_call_t *call, const uint8_t *request,
                                 size_t len) {
  rt_tracker_t *tracker = rt_call_method_data(call);
  export_stream_t *stream = calloc(1, sizeof *stream);
  if (stream == NULL) {
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  stream->call = call;
  stream->request = (void *)rt_tracker_decode(
      call, &rectrack__v1__export_review_request__descriptor, request, len);
  if (stream->request == NULL)
    goto fail;
  if (stream->request->format ==
      RECTRACK__V1__EXPORT_FORMAT__EXPORT_FORMAT_UNSPECIFIED) {
    rt_call_fail(call, RT_GRPC_INVALID_ARGUMENT,
                 "format is required (HTML, MARKDOWN, CSV, JSON or XLSX)");
    goto fail;
  }
  if (read_dataset(tracker, call, &stream->data) != 0 ||
      export_start(tracker, stream) != 0)
    goto fail;
  rt_call_set_data(call, stream);
  return;
fail:
  export_free(stream);
}

static void cancel_export(rt_call_t *call) {
  export_stream_t *stream = rt_call_data(call);
  if (stream != NULL)
    export_free(stream);
}

const rt_method_t rt_tracker_review_methods[] = {
    {"/rectrack.v1.Tracker/GetReviewSummary", RT_METHOD_UNARY,
     handle_get_review_summary, NULL, NULL},
    {"/rectrack.v1.Tracker/ExportReview", RT_METHOD_SERVER_STREAMING,
     handle_export_review, cancel_export, NULL},
};
const size_t rt_tracker_review_method_count =
    sizeof rt_tracker_review_methods / sizeof rt_tracker_review_methods[0];
