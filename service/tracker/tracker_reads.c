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
#include "tracker_internal.h"

#include <stdlib.h>

/* Get: the id is the whole request; the stored record is the reply. */
static void get_record(rt_call_t *call, rt_entity_t entity, const char *id) {
  rt_tracker_t *tracker = rt_call_method_data(call);
  if (id == NULL || id[0] == '\0') {
    rt_call_fail(call, RT_GRPC_INVALID_ARGUMENT, "id is required");
    return;
  }
  if (rt_tracker_begin_read(tracker, call) != 0)
    return;
  const void *data;
  size_t len;
  rt_error_t err;
  rt_error_clear(&err);
  int rc = rt_store_get_raw(tracker->reader, entity, id, &data, &len, &err);
  if (rc == 0)
    rt_call_reply(call, data, len);
  else
    rt_tracker_fail(call, rc, &err);
  rt_tracker_end_read(tracker);
}

#define DEFINE_GET(fn, type, desc, entity)                                     \
  static void fn(rt_call_t *call, const uint8_t *request, size_t len) {        \
    type *req = (type *)rt_tracker_decode(call, &desc, request, len);          \
    if (req == NULL)                                                           \
      return;                                                                  \
    get_record(call, entity, req->id);                                         \
    protobuf_c_message_free_unpacked(&req->base, NULL);                        \
  }

DEFINE_GET(handle_get_source, Rectrack__V1__GetSourceRequest,
           rectrack__v1__get_source_request__descriptor, RT_ENTITY_SOURCE)
DEFINE_GET(handle_get_actor, Rectrack__V1__GetActorRequest,
           rectrack__v1__get_actor_request__descriptor, RT_ENTITY_ACTOR)
DEFINE_GET(handle_get_recommendation, Rectrack__V1__GetRecommendationRequest,
           rectrack__v1__get_recommendation_request__descriptor,
           RT_ENTITY_RECOMMENDATION)
DEFINE_GET(handle_get_commitment, Rectrack__V1__GetCommitmentRequest,
           rectrack__v1__get_commitment_request__descriptor,
           RT_ENTITY_COMMITMENT)

/* Lists share one shape: request in, response out, both protobuf-c. */
typedef int (*list_fn)(rt_store_reader_t *reader, const void *request,
                       const char *today, ProtobufCMessage **out,
                       rt_error_t *err);

/* The number of records in a list response: its repeated message field. */
static size_t list_length(const ProtobufCMessage *response) {
  const ProtobufCMessageDescriptor *desc = response->descriptor;
  for (unsigned i = 0; i < desc->n_fields; i++) {
    const ProtobufCFieldDescriptor *field = &desc->fields[i];
    if (field->label == PROTOBUF_C_LABEL_REPEATED &&
        field->type == PROTOBUF_C_TYPE_MESSAGE)
      return *(const size_t *)((const char *)response +
                               field->quantifier_offset);
  }
  return 0;
}

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
    size_t count = list_length(*out);
    if (count <= 1 ||
        protobuf_c_message_get_packed_size(*out) <= tracker->max_reply_bytes)
      return 0;
    protobuf_c_message_free_unpacked(*out, NULL);
    *out = NULL;
    set_page_size(request, (int32_t)(count / 2));
  }
}

static void run_list(rt_call_t *call, const ProtobufCMessageDescriptor *desc,
                     const uint8_t *request, size_t len, list_fn list) {
  rt_tracker_t *tracker = rt_call_method_data(call);
  ProtobufCMessage *req = rt_tracker_decode(call, desc, request, len);
  if (req == NULL)
    return;
  char today[11];
  rt_tracker_today(today);
  if (rt_tracker_begin_read(tracker, call) != 0)
    goto done;
  ProtobufCMessage *response = NULL;
  rt_error_t err;
  rt_error_clear(&err);
  int rc = list_fitting(tracker, req, today, list, &response, &err);
  rt_tracker_end_read(tracker);
  if (rc == 0)
    rt_tracker_reply_message(call, response);
  else
    rt_tracker_fail(call, rc, &err);
  if (response != NULL)
    protobuf_c_message_free_unpacked(response, NULL);
done:
  protobuf_c_message_free_unpacked(req, NULL);
}

/* Adapters from the storage signatures to list_fn. */
static int list_sources(rt_store_reader_t *reader, const void *request,
                        const char *today, ProtobufCMessage **out,
                        rt_error_t *err) {
  (void)today;
  return rt_store_list_sources(reader, request,
                               (Rectrack__V1__ListSourcesResponse **)out, err);
}
static int list_actors(rt_store_reader_t *reader, const void *request,
                       const char *today, ProtobufCMessage **out,
                       rt_error_t *err) {
  (void)today;
  return rt_store_list_actors(reader, request,
                              (Rectrack__V1__ListActorsResponse **)out, err);
}
static int list_recommendations(rt_store_reader_t *reader, const void *request,
                                const char *today, ProtobufCMessage **out,
                                rt_error_t *err) {
  return rt_store_list_recommendations(
      reader, request, today, (Rectrack__V1__ListRecommendationsResponse **)out,
      err);
}
static int list_commitments(rt_store_reader_t *reader, const void *request,
                            const char *today, ProtobufCMessage **out,
                            rt_error_t *err) {
  return rt_store_list_commitments(
      reader, request, today, (Rectrack__V1__ListCommitmentsResponse **)out,
      err);
}
static int list_follow_ups(rt_store_reader_t *reader, const void *request,
                           const char *today, ProtobufCMessage **out,
                           rt_error_t *err) {
  (void)today;
  return rt_store_list_follow_ups(
      reader, request, (Rectrack__V1__ListFollowUpsResponse **)out, err);
}
static int list_measurements(rt_store_reader_t *reader, const void *request,
                             const char *today, ProtobufCMessage **out,
                             rt_error_t *err) {
  (void)today;
  const Rectrack__V1__ListMeasurementsRequest *req = request;
  if (req->commitment_id == NULL || req->commitment_id[0] == '\0')
    return rt_error_set(err, RT_EINVAL, "commitment_id",
                        "commitment_id is required");
  return rt_store_list_measurements(
      reader, request, (Rectrack__V1__ListMeasurementsResponse **)out, err);
}

#define DEFINE_LIST(fn, desc, list)                                            \
  static void fn(rt_call_t *call, const uint8_t *request, size_t len) {        \
    run_list(call, &desc, request, len, list);                                 \
  }

DEFINE_LIST(handle_list_sources, rectrack__v1__list_sources_request__descriptor,
            list_sources)
DEFINE_LIST(handle_list_actors, rectrack__v1__list_actors_request__descriptor,
            list_actors)
DEFINE_LIST(handle_list_recommendations,
            rectrack__v1__list_recommendations_request__descriptor,
            list_recommendations)
DEFINE_LIST(handle_list_commitments,
            rectrack__v1__list_commitments_request__descriptor,
            list_commitments)
DEFINE_LIST(handle_list_follow_ups,
            rectrack__v1__list_follow_ups_request__descriptor, list_follow_ups)
DEFINE_LIST(handle_list_measurements,
            rectrack__v1__list_measurements_request__descriptor,
            list_measurements)

static void handle_get_server_info(rt_call_t *call, const uint8_t *request,
                                   size_t len) {
  rt_tracker_t *tracker = rt_call_method_data(call);
  ProtobufCMessage *req = rt_tracker_decode(
      call, &rectrack__v1__get_server_info_request__descriptor, request, len);
  if (req == NULL)
    return;
  protobuf_c_message_free_unpacked(req, NULL);
  if (rt_tracker_begin_read(tracker, call) != 0)
    return;
  rt_store_counts_t counts;
  rt_error_t err;
  rt_error_clear(&err);
  int rc = rt_store_count(tracker->reader, &counts, &err);
  rt_tracker_end_read(tracker);
  if (rc != 0) {
    rt_tracker_fail(call, rc, &err);
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
  rt_tracker_reply_message(call, &info.base);
}

#define TRACKER(name) "/rectrack.v1.Tracker/" name

const rt_method_t rt_tracker_read_methods[] = {
    {TRACKER("GetSource"), RT_METHOD_UNARY, handle_get_source, NULL, NULL},
    {TRACKER("ListSources"), RT_METHOD_UNARY, handle_list_sources, NULL, NULL},
    {TRACKER("GetActor"), RT_METHOD_UNARY, handle_get_actor, NULL, NULL},
    {TRACKER("ListActors"), RT_METHOD_UNARY, handle_list_actors, NULL, NULL},
    {TRACKER("GetRecommendation"), RT_METHOD_UNARY, handle_get_recommendation,
     NULL, NULL},
    {TRACKER("ListRecommendations"), RT_METHOD_UNARY,
     handle_list_recommendations, NULL, NULL},
    {TRACKER("GetCommitment"), RT_METHOD_UNARY, handle_get_commitment, NULL,
     NULL},
    {TRACKER("ListCommitments"), RT_METHOD_UNARY, handle_list_commitments, NULL,
     NULL},
    {TRACKER("ListFollowUps"), RT_METHOD_UNARY, handle_list_follow_ups, NULL,
     NULL},
    {TRACKER("ListMeasurements"), RT_METHOD_UNARY, handle_list_measurements,
     NULL, NULL},
    {TRACKER("GetServerInfo"), RT_METHOD_UNARY, handle_get_server_info, NULL,
     NULL},
};
const size_t rt_tracker_read_method_count =
    sizeof rt_tracker_read_methods / sizeof rt_tracker_read_methods[0];
