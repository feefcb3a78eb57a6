/*
 * tracker_reads: the read RPCs of the Tracker service (Get*, List*,
 * ListFollowUps, ListMeasurements, GetServerInfo).
 *
 * Each runs to completion on the loop thread inside the tracker's read
 * snapshot, renewed for the call and reset before returning, so that a
 * reader never holds back the writer's map growth for longer than one
 * call. Get* reply straight from the stored bytes (rt_store_get_raw): no
 * unpack, no pack, one copy into the transport's buffer. That is the hot
 * path of the service.
 */
#include "tracker_call.h"

#include <stdlib.h>

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

static void get_recommendation(rt_tracker_t *tracker, rt_call_t *call,
                               const rt_auth_principal_t *principal,
                               ProtobufCMessage *request,
                               tracker_arena_t *arena) {
  (void)principal;
  Rectrack__V1__GetRecommendationRequest *req = (void *)request;
  get_record(tracker, call, RT_ENTITY_RECOMMENDATION, req->id);
  tracker_arena_free(arena);
}

static void get_commitment(rt_tracker_t *tracker, rt_call_t *call,
                           const rt_auth_principal_t *principal,
                           ProtobufCMessage *request, tracker_arena_t *arena) {
  (void)principal;
  Rectrack__V1__GetCommitmentRequest *req = (void *)request;
  get_record(tracker, call, RT_ENTITY_COMMITMENT, req->id);
  tracker_arena_free(arena);
}

/* Lists share one shape: request in, response out, both protobuf-c. */
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
static int list_fitting(rt_tracker_t *tracker, ProtobufCMessage *request,
                        const char *today, list_fn list, ProtobufCMessage **out,
                        rt_error_t *err) {
  for (;;) {
    int rc = list(tracker->reader, request, today, out, err);
    if (rc != 0)
      return rc;
    size_t count = tracker_list_page(*out, NULL, NULL);
    if (count <= 1 ||
        protobuf_c_message_get_packed_size(*out) <= tracker->max_reply_bytes)
      return 0;
    protobuf_c_message_free_unpacked(*out, NULL);
    *out = NULL;
    set_page_size(request, (int32_t)(count / 2));
  }
}

/* Runs one list in a snapshot, replies with its page, and frees the
 * request's arena. */
static void run_list(rt_tracker_t *tracker, rt_call_t *call,
                     ProtobufCMessage *request, tracker_arena_t *arena,
                     list_fn list) {
  char today[11];
  tracker_today(today);
  if (tracker_begin_read(tracker, call) != 0)
    goto done;
  ProtobufCMessage *response = NULL;
  rt_error_t err;
  rt_error_clear(&err);
  int rc = list_fitting(tracker, request, today, list, &response, &err);
  tracker_end_read(tracker);
  if (rc == 0)
    tracker_reply_message(call, response);
  else
    tracker_fail(call, rc, &err);
  if (response != NULL)
    protobuf_c_message_free_unpacked(response, NULL);
done:
  tracker_arena_free(arena);
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

/* Every read needs the reader role and answers at once. */
const tracker_route_t tracker_read_routes[] = {
    {TRACKER_PATH("GetSource"), RT_METHOD_UNARY,
     &rectrack__v1__get_source_request__descriptor, get_source, NULL,
     RT_AUTH_ROLE_READER},
    {TRACKER_PATH("ListSources"), RT_METHOD_UNARY,
     &rectrack__v1__list_sources_request__descriptor, list_sources, NULL,
     RT_AUTH_ROLE_READER},
    {TRACKER_PATH("GetActor"), RT_METHOD_UNARY,
     &rectrack__v1__get_actor_request__descriptor, get_actor, NULL,
     RT_AUTH_ROLE_READER},
    {TRACKER_PATH("ListActors"), RT_METHOD_UNARY,
     &rectrack__v1__list_actors_request__descriptor, list_actors, NULL,
     RT_AUTH_ROLE_READER},
    {TRACKER_PATH("GetRecommendation"), RT_METHOD_UNARY,
     &rectrack__v1__get_recommendation_request__descriptor, get_recommendation,
     NULL, RT_AUTH_ROLE_READER},
    {TRACKER_PATH("ListRecommendations"), RT_METHOD_UNARY,
     &rectrack__v1__list_recommendations_request__descriptor,
     list_recommendations, NULL, RT_AUTH_ROLE_READER},
    {TRACKER_PATH("GetCommitment"), RT_METHOD_UNARY,
     &rectrack__v1__get_commitment_request__descriptor, get_commitment, NULL,
     RT_AUTH_ROLE_READER},
    {TRACKER_PATH("ListCommitments"), RT_METHOD_UNARY,
     &rectrack__v1__list_commitments_request__descriptor, list_commitments,
     NULL, RT_AUTH_ROLE_READER},
    {TRACKER_PATH("ListFollowUps"), RT_METHOD_UNARY,
     &rectrack__v1__list_follow_ups_request__descriptor, list_follow_ups, NULL,
     RT_AUTH_ROLE_READER},
    {TRACKER_PATH("ListMeasurements"), RT_METHOD_UNARY,
     &rectrack__v1__list_measurements_request__descriptor, list_measurements,
     NULL, RT_AUTH_ROLE_READER},
    {TRACKER_PATH("GetServerInfo"), RT_METHOD_UNARY,
     &rectrack__v1__get_server_info_request__descriptor, get_server_info, NULL,
     RT_AUTH_ROLE_READER},
};
const size_t tracker_read_route_count =
    sizeof tracker_read_routes / sizeof tracker_read_routes[0];
