/*
 * tracker_reads: the read RPCs of the Tracker service (Get*, List*,
 * ListFollowUps, ListMeasurements, GetServerInfo).
 *
 * Get* and GetServerInfo cost a lookup: they run to completion on the
 * loop thread inside the tracker's read snapshot, renewed for the call
 * and reset before returning. Get* reply straight from the stored bytes
 * (rt_store_get_raw): no unpack, no pack, one copy into the transport's
 * buffer. That is the hot path of the service.
 *
 * Lists cost what they return, which can be a thousand records and a
 * walk bounded only by the list engine's budget: they run on the reader
 * threads (tracker_readers.h), so that a long one never delays another
 * client. The loop thread decodes the request and submits a job; a
 * reader thread runs the list in its own snapshot and packs the reply;
 * the loop thread sends it. A call that ends before (cancelled, past its
 * deadline) abandons the job: a thread that has not started it skips
 * it, and its completion only frees it.
 */
#include "tracker_call.h"

#include <stdlib.h>
#include <string.h>

/* Get: the id is the whole request; the stored record is the reply. */
static void get_record(rt_tracker_t *tracker, rt_call_t *call,
                       rt_entity_t entity, const char *id) {
  if (id == NULL || id[0] == '\0') {
    rt_call_fail(call, RT_GRPC_INVALID_ARGUMENT, "id is required");
    return;
  }
  if (tracker_begin_read(tracker, call) != 0)
    return;
  const void *data;
  size_t len;
  rt_error_t err;
  rt_error_clear(&err);
  int rc = rt_store_get_raw(tracker->reader, entity, id, &data, &len, &err);
  if (rc == 0)
    rt_call_reply(call, data, len);
  else
    tracker_fail(call, rc, &err);
  tracker_end_read(tracker);
}

static void get_source(rt_tracker_t *tracker, rt_call_t *call,
                       const rt_auth_principal_t *principal,
                       ProtobufCMessage *request, tracker_arena_t *arena) {
  (void)principal;
  Rectrack__V1__GetSourceRequest *req = (void *)request;
  get_record(tracker, call, RT_ENTITY_SOURCE, req->id);
  tracker_arena_free(arena);
}

static void get_actor(rt_tracker_t *tracker, rt_call_t *call,
                      const rt_auth_principal_t *principal,
                      ProtobufCMessage *request, tracker_arena_t *arena) {
  (void)principal;
  Rectrack__V1__GetActorRequest *req = (void *)request;
  get_record(tracker, call, RT_ENTITY_ACTOR, req->id);
  tracker_arena_free(arena);
}

/* The computed fields of a record, as protobuf wire bytes to append to
 * its stored bytes (malloc'd into *out; *len 0 when there are none). */
typedef int (*computed_fn)(rt_store_reader_t *reader, const char *id,
                           uint8_t **out, size_t *len, rt_error_t *err);

/* A recommendation or commitment is its stored bytes followed by its
 * computed fields (computed: for a recommendation the inverse of its
 * links and its specificity, for a commitment its series and the pledges
 * matching it): fields concatenate on the wire, so the stored bytes are
 * sent as they are. */
static void get_with_computed(rt_tracker_t *tracker, rt_call_t *call,
                              rt_entity_t entity, const char *id,
                              computed_fn computed, tracker_arena_t *arena) {
  if (id == NULL || id[0] == '\0') {
    rt_call_fail(call, RT_GRPC_INVALID_ARGUMENT, "id is required");
    tracker_arena_free(arena);
    return;
  }
  if (tracker_begin_read(tracker, call) != 0) {
    tracker_arena_free(arena);
    return;
  }
  const void *data;
  size_t len, extra_len = 0;
  uint8_t *extra = NULL, *whole = NULL;
  rt_error_t err;
  rt_error_clear(&err);
  int rc = rt_store_get_raw(tracker->reader, entity, id, &data, &len, &err);
  if (rc == 0)
    rc = computed(tracker->reader, id, &extra, &extra_len, &err);
  if (rc == 0 && extra_len > 0) {
    whole = malloc(len + extra_len);
    if (whole == NULL)
      rc = rt_error_set(&err, RT_ENOMEM, NULL, "out of memory");
    else {
      memcpy(whole, data, len);
      memcpy(whole + len, extra, extra_len);
      data = whole;
      len += extra_len;
    }
  }
  if (rc == 0)
    rt_call_reply(call, data, len);
  else
    tracker_fail(call, rc, &err);
  free(whole);
  free(extra);
  tracker_end_read(tracker);
  tracker_arena_free(arena);
}

static void get_recommendation(rt_tracker_t *tracker, rt_call_t *call,
                               const rt_auth_principal_t *principal,
                               ProtobufCMessage *request,
                               tracker_arena_t *arena) {
  (void)principal;
  Rectrack__V1__GetRecommendationRequest *req = (void *)request;
  get_with_computed(tracker, call, RT_ENTITY_RECOMMENDATION, req->id,
                    rt_store_recommendation_computed_packed, arena);
}

static void get_commitment(rt_tracker_t *tracker, rt_call_t *call,
                           const rt_auth_principal_t *principal,
                           ProtobufCMessage *request, tracker_arena_t *arena) {
  (void)principal;
  Rectrack__V1__GetCommitmentRequest *req = (void *)request;
  get_with_computed(tracker, call, RT_ENTITY_COMMITMENT, req->id,
                    rt_store_commitment_computed_packed, arena);
}

/* Lists share one shape: request in, response out, both protobuf-c.
 * They run on a reader thread. */
typedef int (*list_fn)(rt_store_reader_t *reader, const void *request,
                       const char *today, ProtobufCMessage **out,
                       rt_error_t *err);

static void set_page_size(ProtobufCMessage *request, int32_t page_size) {
  const ProtobufCFieldDescriptor *field =
      protobuf_c_message_descriptor_get_field_by_name(request->descriptor,
                                                      "page_size");
  if (field != NULL)
    *(int32_t *)((char *)request + field->offset) = page_size;
}

/* Lists a page that fits in one reply: a page of large records that would
 * pass the message size limit is listed again, half as long, in the same
 * snapshot (the API lets a page hold fewer records than asked for; its
 * next_page_token then points after the shorter page). */
static int list_fitting(rt_store_reader_t *reader, size_t max_reply_bytes,
                        ProtobufCMessage *request, const char *today,
                        list_fn list, ProtobufCMessage **out, rt_error_t *err) {
  for (;;) {
    int rc = list(reader, request, today, out, err);
    if (rc != 0)
      return rc;
    size_t count = tracker_list_page(*out, NULL, NULL);
    if (count <= 1 ||
        protobuf_c_message_get_packed_size(*out) <= max_reply_bytes)
      return 0;
    protobuf_c_message_free_unpacked(*out, NULL);
    *out = NULL;
    set_page_size(request, (int32_t)(count / 2));
  }
}

/* A list on its way through the reader threads; it lives in the
 * request's arena, freed by the completion. */
typedef struct list_job {
  rt_read_job_t job;
  rt_call_t *call; /* NULL once the call is gone */
  tracker_arena_t *arena;
  ProtobufCMessage *request;
  list_fn list;
  size_t max_reply_bytes;
  char today[11];
  /* set by the reader thread */
  int rc;
  rt_error_t err;
  uint8_t *reply; /* malloc'd packed response */
  size_t reply_len;
} list_job_t;

/* Reader thread: runs the list and packs its page. */
static void run_list_job(rt_read_job_t *job, rt_store_reader_t *reader) {
  list_job_t *lj = job->data;
  ProtobufCMessage *response = NULL;
  rt_error_clear(&lj->err);
  lj->rc = list_fitting(reader, lj->max_reply_bytes, lj->request, lj->today,
                        lj->list, &response, &lj->err);
  if (lj->rc != 0)
    return;
  lj->reply_len = protobuf_c_message_get_packed_size(response);
  lj->reply = malloc(lj->reply_len ? lj->reply_len : 1);
  if (lj->reply != NULL)
    protobuf_c_message_pack(response, lj->reply);
  else
    lj->rc = rt_error_set(&lj->err, RT_ENOMEM, NULL, "out of memory");
  protobuf_c_message_free_unpacked(response, NULL);
}

/* Loop thread: answers the call (if it is still there) and frees all. */
static void complete_list_job(rt_read_job_t *job) {
  list_job_t *lj = job->data;
  if (lj->call != NULL) {
    rt_call_set_data(lj->call, NULL);
    if (job->snapshot_rc != 0)
      tracker_fail(lj->call, job->snapshot_rc, &job->snapshot_err);
    else if (!job->ran)
      rt_call_fail(lj->call, RT_GRPC_UNAVAILABLE,
                   "the server is shutting down");
    else if (lj->rc != 0)
      tracker_fail(lj->call, lj->rc, &lj->err);
    else
      rt_call_reply(lj->call, lj->reply, lj->reply_len);
  }
  free(lj->reply);
  tracker_arena_free(lj->arena); /* the job is in it */
}

/* The transport ended the call first: the job is abandoned, and its
 * completion will only free it. */
static void cancel_read(rt_call_t *call) {
  list_job_t *lj = rt_call_data(call);
  if (lj == NULL)
    return;
  rt_call_set_data(call, NULL);
  lj->call = NULL;
  rt_read_job_abandon(&lj->job);
}

/* Submits one list to the reader threads; the job answers the call and
 * frees the request's arena. */
static void run_list(rt_tracker_t *tracker, rt_call_t *call,
                     ProtobufCMessage *request, tracker_arena_t *arena,
                     list_fn list) {
  list_job_t *lj = tracker_arena_alloc(arena, sizeof *lj);
  if (lj == NULL) {
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    tracker_arena_free(arena);
    return;
  }
  memset(lj, 0, sizeof *lj);
  lj->job.run = run_list_job;
  lj->job.complete = complete_list_job;
  lj->job.data = lj;
  lj->call = call;
  lj->arena = arena;
  lj->request = request;
  lj->list = list;
  lj->max_reply_bytes = tracker->max_reply_bytes;
  tracker_today(lj->today);
  rt_error_t err;
  rt_error_clear(&err);
  int rc = rt_readers_submit(tracker->readers, &lj->job, &err);
  if (rc != 0) {
    tracker_fail(call, rc, &err);
    tracker_arena_free(arena);
    return;
  }
  rt_call_set_data(call, lj);
  /* The page comes later and may be megabytes: the connection starts no
   * other call until it is answered (the transport's pending bound). */
  rt_call_hold_connection(call);
}

/* Adapters from the storage signatures to list_fn. */
static int store_list_sources(rt_store_reader_t *reader, const void *request,
                              const char *today, ProtobufCMessage **out,
                              rt_error_t *err) {
  (void)today;
  return rt_store_list_sources(reader, request,
                               (Rectrack__V1__ListSourcesResponse **)out, err);
}
static int store_list_actors(rt_store_reader_t *reader, const void *request,
                             const char *today, ProtobufCMessage **out,
                             rt_error_t *err) {
  (void)today;
  return rt_store_list_actors(reader, request,
                              (Rectrack__V1__ListActorsResponse **)out, err);
}
static int store_list_recommendations(rt_store_reader_t *reader,
                                      const void *request, const char *today,
                                      ProtobufCMessage **out, rt_error_t *err) {
  return rt_store_list_recommendations(
      reader, request, today, (Rectrack__V1__ListRecommendationsResponse **)out,
      err);
}
static int store_list_commitments(rt_store_reader_t *reader,
                                  const void *request, const char *today,
                                  ProtobufCMessage **out, rt_error_t *err) {
  return rt_store_list_commitments(
      reader, request, today, (Rectrack__V1__ListCommitmentsResponse **)out,
      err);
}
static int store_list_follow_ups(rt_store_reader_t *reader, const void *request,
                                 const char *today, ProtobufCMessage **out,
                                 rt_error_t *err) {
  (void)today;
  return rt_store_list_follow_ups(
      reader, request, (Rectrack__V1__ListFollowUpsResponse **)out, err);
}
static int store_list_measurements(rt_store_reader_t *reader,
                                   const void *request, const char *today,
                                   ProtobufCMessage **out, rt_error_t *err) {
  (void)today;
  const Rectrack__V1__ListMeasurementsRequest *req = request;
  if (req->commitment_id == NULL || req->commitment_id[0] == '\0')
    return rt_error_set(err, RT_EINVAL, "commitment_id",
                        "commitment_id is required");
  return rt_store_list_measurements(
      reader, request, (Rectrack__V1__ListMeasurementsResponse **)out, err);
}

static void list_sources(rt_tracker_t *tracker, rt_call_t *call,
                         const rt_auth_principal_t *principal,
                         ProtobufCMessage *request, tracker_arena_t *arena) {
  (void)principal;
  run_list(tracker, call, request, arena, store_list_sources);
}

static void list_actors(rt_tracker_t *tracker, rt_call_t *call,
                        const rt_auth_principal_t *principal,
                        ProtobufCMessage *request, tracker_arena_t *arena) {
  (void)principal;
  run_list(tracker, call, request, arena, store_list_actors);
}

static void list_recommendations(rt_tracker_t *tracker, rt_call_t *call,
                                 const rt_auth_principal_t *principal,
                                 ProtobufCMessage *request,
                                 tracker_arena_t *arena) {
  (void)principal;
  run_list(tracker, call, request, arena, store_list_recommendations);
}

static void list_commitments(rt_tracker_t *tracker, rt_call_t *call,
                             const rt_auth_principal_t *principal,
                             ProtobufCMessage *request,
                             tracker_arena_t *arena) {
  (void)principal;
  run_list(tracker, call, request, arena, store_list_commitments);
}

static void list_follow_ups(rt_tracker_t *tracker, rt_call_t *call,
                            const rt_auth_principal_t *principal,
                            ProtobufCMessage *request, tracker_arena_t *arena) {
  (void)principal;
  run_list(tracker, call, request, arena, store_list_follow_ups);
}

static void list_measurements(rt_tracker_t *tracker, rt_call_t *call,
                              const rt_auth_principal_t *principal,
                              ProtobufCMessage *request,
                              tracker_arena_t *arena) {
  (void)principal;
  run_list(tracker, call, request, arena, store_list_measurements);
}

static void get_server_info(rt_tracker_t *tracker, rt_call_t *call,
                            const rt_auth_principal_t *principal,
                            ProtobufCMessage *request, tracker_arena_t *arena) {
  (void)principal;
  (void)request; /* GetServerInfoRequest has no fields */
  tracker_arena_free(arena);
  if (tracker_begin_read(tracker, call) != 0)
    return;
  rt_store_counts_t counts;
  rt_error_t err;
  rt_error_clear(&err);
  int rc = rt_store_count(tracker->reader, &counts, &err);
  tracker_end_read(tracker);
  if (rc != 0) {
    tracker_fail(call, rc, &err);
    return;
  }
  Rectrack__V1__ServerInfo info = RECTRACK__V1__SERVER_INFO__INIT;
  info.version = RT_VERSION;
  info.revision = counts.revision;
  info.source_count = counts.sources;
  info.actor_count = counts.actors;
  info.recommendation_count = counts.recommendations;
  info.commitment_count = counts.commitments;
  info.follow_up_count = counts.follow_ups;
  info.measurement_count = counts.measurements;
  info.started_ms = tracker->started_ms;
  info.data_dir = tracker->data_dir != NULL ? tracker->data_dir : "";
  tracker_reply_message(call, &info.base);
}

/* Every read needs the reader role. Gets answer at once; lists from the
 * reader threads. */
const tracker_route_t tracker_read_routes[] = {
    {TRACKER_PATH("GetSource"), RT_METHOD_UNARY,
     &rectrack__v1__get_source_request__descriptor, get_source, NULL,
     RT_AUTH_ROLE_READER},
    {TRACKER_PATH("ListSources"), RT_METHOD_UNARY,
     &rectrack__v1__list_sources_request__descriptor, list_sources, cancel_read,
     RT_AUTH_ROLE_READER},
    {TRACKER_PATH("GetActor"), RT_METHOD_UNARY,
     &rectrack__v1__get_actor_request__descriptor, get_actor, NULL,
     RT_AUTH_ROLE_READER},
    {TRACKER_PATH("ListActors"), RT_METHOD_UNARY,
     &rectrack__v1__list_actors_request__descriptor, list_actors, cancel_read,
     RT_AUTH_ROLE_READER},
    {TRACKER_PATH("GetRecommendation"), RT_METHOD_UNARY,
     &rectrack__v1__get_recommendation_request__descriptor, get_recommendation,
     NULL, RT_AUTH_ROLE_READER},
    {TRACKER_PATH("ListRecommendations"), RT_METHOD_UNARY,
     &rectrack__v1__list_recommendations_request__descriptor,
     list_recommendations, cancel_read, RT_AUTH_ROLE_READER},
    {TRACKER_PATH("GetCommitment"), RT_METHOD_UNARY,
     &rectrack__v1__get_commitment_request__descriptor, get_commitment, NULL,
     RT_AUTH_ROLE_READER},
    {TRACKER_PATH("ListCommitments"), RT_METHOD_UNARY,
     &rectrack__v1__list_commitments_request__descriptor, list_commitments,
     cancel_read, RT_AUTH_ROLE_READER},
    {TRACKER_PATH("ListFollowUps"), RT_METHOD_UNARY,
     &rectrack__v1__list_follow_ups_request__descriptor, list_follow_ups,
     cancel_read, RT_AUTH_ROLE_READER},
    {TRACKER_PATH("ListMeasurements"), RT_METHOD_UNARY,
     &rectrack__v1__list_measurements_request__descriptor, list_measurements,
     cancel_read, RT_AUTH_ROLE_READER},
    {TRACKER_PATH("GetServerInfo"), RT_METHOD_UNARY,
     &rectrack__v1__get_server_info_request__descriptor, get_server_info, NULL,
     RT_AUTH_ROLE_READER},
};
const size_t tracker_read_route_count =
    sizeof tracker_read_routes / sizeof tracker_read_routes[0];
