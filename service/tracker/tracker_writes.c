/*
 * tracker_writes: the write RPCs of the Tracker service (Create*,
 * Update*, RecordFollowUp, RecordMeasurement).
 *
 * A handler decodes the request, checks what is cheap to check here (the
 * message is present, the fields every record needs are set, the
 * principal header is well-formed; the token, when tokens are configured,
 * was checked by the dispatch in tracker.c), fills an rt_write_op_t and
 * queues it to the writer thread. Full validation of every field happens in the
 * storage engine, inside the write, with the same field-naming messages.
 * The reply (the packed record the storage engine returns) is sent from
 * the completion on the loop thread, after the commit is durable. A call
 * cancelled meanwhile only marks its job abandoned; the completion frees
 * everything, once.
 */
#include "tracker_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RT_PRINCIPAL_HEADER "x-rectrack-user"
#define RT_MAX_PRINCIPAL_LEN RT_AUTH_MAX_PRINCIPAL_LEN

typedef struct write_call {
  rt_write_job_t job; /* first: the writer hands back &job */
  rt_call_t *call;    /* NULL once the call is gone */
  ProtobufCMessage *request;
  char **restore_slot; /* a string field borrowed from the request... */
  char *restore_value; /* ...and its own value, put back before freeing */
  char principal[RT_MAX_PRINCIPAL_LEN + 1];
} write_call_t;

/* What a write RPC needs besides its handler: the request type, the op
 * kind and the function that checks the request and fills the op. */
typedef struct write_spec {
  const ProtobufCMessageDescriptor *request;
  rt_op_kind_t kind;
  int (*prepare)(write_call_t *write, rt_write_op_t *op, rt_error_t *err);
} write_spec_t;

static bool is_set(const char *value) {
  return value != NULL && value[0] != '\0';
}

static int require(const char *value, const char *field, rt_error_t *err) {
  if (is_set(value))
    return 0;
  return rt_error_set(err, RT_EINVAL, field, "%s is required", field);
}

static int require_message(const void *message, const char *field,
                           rt_error_t *err) {
  if (message != NULL)
    return 0;
  return rt_error_set(err, RT_EINVAL, field, "%s is required", field);
}

/* The principal: the token's when the dispatch authenticated the call
 * (it already checked that x-rectrack-user, if any, agrees), else
 * x-rectrack-user if sent, else "anonymous". Short and plain so that it
 * can be shown and logged as is. */
static int read_principal(const rt_tracker_t *tracker, rt_call_t *call,
                          char *out, rt_error_t *err) {
  if (tracker->call_principal != NULL) {
    snprintf(out, RT_MAX_PRINCIPAL_LEN + 1, "%s", tracker->call_principal);
    return 0;
  }
  const char *value = rt_call_metadata(call, RT_PRINCIPAL_HEADER);
  if (value == NULL) {
    memcpy(out, "anonymous", sizeof "anonymous");
    return 0;
  }
  if (!rt_auth_principal_is_valid(value))
    return rt_error_set(err, RT_EINVAL, RT_PRINCIPAL_HEADER,
                        RT_PRINCIPAL_HEADER " must be 1 to %d characters of "
                                            "letters, digits and . _ @ + -",
                        RT_MAX_PRINCIPAL_LEN);
  memcpy(out, value, strlen(value) + 1);
  return 0;
}

static void free_write(write_call_t *write) {
  rt_write_ops_release(&write->job.op, 1);
  if (write->restore_slot != NULL)
    *write->restore_slot = write->restore_value;
  if (write->request != NULL)
    protobuf_c_message_free_unpacked(write->request, NULL);
  free(write);
}

/* Loop thread, after the commit: answer the call unless it is gone. */
static void complete_write(rt_write_job_t *job) {
  write_call_t *write = (write_call_t *)job;
  rt_write_op_t *op = &job->op;
  if (!atomic_load(&job->abandoned) && write->call != NULL) {
    if (op->result == 0)
      rt_call_reply(write->call, op->reply, op->reply_len);
    else
      rt_tracker_fail(write->call, op->result, &op->error);
  }
  free_write(write);
}

static void cancel_write(rt_call_t *call) {
  write_call_t *write = rt_call_data(call);
  if (write == NULL)
    return;
  write->call = NULL;
  rt_write_job_abandon(&write->job);
}

static void submit_write(rt_call_t *call, const uint8_t *request, size_t len,
                         const write_spec_t *spec) {
  rt_tracker_t *tracker = rt_call_method_data(call);
  rt_error_t err;
  rt_error_clear(&err);
  write_call_t *write = calloc(1, sizeof *write);
  if (write == NULL) {
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  write->request = rt_tracker_decode(call, spec->request, request, len);
  if (write->request == NULL)
    goto fail;
  int rc = read_principal(tracker, call, write->principal, &err);
  write->call = call;
  write->job.complete = complete_write;
  atomic_init(&write->job.abandoned, false);
  write->job.op.kind = spec->kind;
  write->job.op.principal = write->principal;
  if (rc == 0)
    rc = spec->prepare(write, &write->job.op, &err);
  if (rc == 0)
    rc = rt_writer_submit(tracker->writer, &write->job, &err);
  if (rc == 0) {
    rt_call_set_data(call, write);
    return;
  }
  rt_tracker_fail(call, rc, &err);
fail:
  free_write(write);
}

/* ---- per-RPC checks ------------------------------------------------- */

static int prepare_create_source(write_call_t *write, rt_write_op_t *op,
                                 rt_error_t *err) {
  Rectrack__V1__CreateSourceRequest *req = (void *)write->request;
  if (require_message(req->source, "source", err) ||
      require(req->source->id, "source.id", err) ||
      require(req->source->title, "source.title", err))
    return RT_EINVAL;
  op->message = &req->source->base;
  op->request_id = req->request_id;
  return 0;
}

static int prepare_update_source(write_call_t *write, rt_write_op_t *op,
                                 rt_error_t *err) {
  Rectrack__V1__UpdateSourceRequest *req = (void *)write->request;
  if (require_message(req->source, "source", err) ||
      require(req->source->id, "source.id", err))
    return RT_EINVAL;
  op->message = &req->source->base;
  op->expected_revision = req->expected_revision;
  op->update_mask = (const char *const *)req->update_mask;
  op->update_mask_len = req->n_update_mask;
  return 0;
}

static int prepare_create_actor(write_call_t *write, rt_write_op_t *op,
                                rt_error_t *err) {
  Rectrack__V1__CreateActorRequest *req = (void *)write->request;
  if (require_message(req->actor, "actor", err) ||
      require(req->actor->id, "actor.id", err) ||
      require(req->actor->name, "actor.name", err))
    return RT_EINVAL;
  op->message = &req->actor->base;
  op->request_id = req->request_id;
  return 0;
}

static int prepare_update_actor(write_call_t *write, rt_write_op_t *op,
                                rt_error_t *err) {
  Rectrack__V1__UpdateActorRequest *req = (void *)write->request;
  if (require_message(req->actor, "actor", err) ||
      require(req->actor->id, "actor.id", err))
    return RT_EINVAL;
  op->message = &req->actor->base;
  op->expected_revision = req->expected_revision;
  op->update_mask = (const char *const *)req->update_mask;
  op->update_mask_len = req->n_update_mask;
  return 0;
}

static int prepare_create_recommendation(write_call_t *write, rt_write_op_t *op,
                                         rt_error_t *err) {
  Rectrack__V1__CreateRecommendationRequest *req = (void *)write->request;
  if (require_message(req->recommendation, "recommendation", err) ||
      require(req->recommendation->title, "recommendation.title", err))
    return RT_EINVAL;
  op->message = &req->recommendation->base;
  op->request_id = req->request_id;
  return 0;
}

static int prepare_update_recommendation(write_call_t *write, rt_write_op_t *op,
                                         rt_error_t *err) {
  Rectrack__V1__UpdateRecommendationRequest *req = (void *)write->request;
  if (require_message(req->recommendation, "recommendation", err) ||
      require(req->recommendation->id, "recommendation.id", err))
    return RT_EINVAL;
  op->message = &req->recommendation->base;
  op->expected_revision = req->expected_revision;
  op->update_mask = (const char *const *)req->update_mask;
  op->update_mask_len = req->n_update_mask;
  return 0;
}

static int prepare_create_commitment(write_call_t *write, rt_write_op_t *op,
                                     rt_error_t *err) {
  Rectrack__V1__CreateCommitmentRequest *req = (void *)write->request;
  if (require_message(req->commitment, "commitment", err) ||
      require(req->commitment->actor_id, "commitment.actor_id", err) ||
      require(req->commitment->title, "commitment.title", err))
    return RT_EINVAL;
  op->message = &req->commitment->base;
  op->request_id = req->request_id;
  return 0;
}

static int prepare_update_commitment(write_call_t *write, rt_write_op_t *op,
                                     rt_error_t *err) {
  Rectrack__V1__UpdateCommitmentRequest *req = (void *)write->request;
  if (require_message(req->commitment, "commitment", err) ||
      require(req->commitment->id, "commitment.id", err))
    return RT_EINVAL;
  op->message = &req->commitment->base;
  op->expected_revision = req->expected_revision;
  op->update_mask = (const char *const *)req->update_mask;
  op->update_mask_len = req->n_update_mask;
  return 0;
}

static int prepare_record_follow_up(write_call_t *write, rt_write_op_t *op,
                                    rt_error_t *err) {
  Rectrack__V1__RecordFollowUpRequest *req = (void *)write->request;
  if (require_message(req->follow_up, "follow_up", err) ||
      require(req->follow_up->subject_id, "follow_up.subject_id", err))
    return RT_EINVAL;
  op->message = &req->follow_up->base;
  op->expected_revision = req->expected_revision;
  op->request_id = req->request_id;
  return 0;
}

/* The subject may be named by the request, by the measurement, or both
 * when they agree; the storage engine reads it from the measurement. */
static int prepare_record_measurement(write_call_t *write, rt_write_op_t *op,
                                      rt_error_t *err) {
  Rectrack__V1__RecordMeasurementRequest *req = (void *)write->request;
  if (require_message(req->measurement, "measurement", err))
    return RT_EINVAL;
  Rectrack__V1__Measurement *measurement = req->measurement;
  if (is_set(req->commitment_id)) {
    if (is_set(measurement->commitment_id) &&
        strcmp(measurement->commitment_id, req->commitment_id) != 0)
      return rt_error_set(err, RT_EINVAL, "measurement.commitment_id",
                          "measurement.commitment_id \"%s\" differs from "
                          "commitment_id \"%s\"",
                          measurement->commitment_id, req->commitment_id);
    write->restore_slot = &measurement->commitment_id;
    write->restore_value = measurement->commitment_id;
    measurement->commitment_id = req->commitment_id;
  } else if (!is_set(measurement->commitment_id)) {
    return rt_error_set(err, RT_EINVAL, "commitment_id",
                        "commitment_id is required");
  }
  op->message = &measurement->base;
  op->request_id = req->request_id;
  return 0;
}

#define WRITE_RPC(fn, desc, kind, prepare)                                     \
  static const write_spec_t fn##_spec = {&desc, kind, prepare};                \
  static void fn(rt_call_t *call, const uint8_t *request, size_t len) {        \
    submit_write(call, request, len, &fn##_spec);                              \
  }

WRITE_RPC(handle_create_source, rectrack__v1__create_source_request__descriptor,
          RT_OP_CREATE_SOURCE, prepare_create_source)
WRITE_RPC(handle_update_source, rectrack__v1__update_source_request__descriptor,
          RT_OP_UPDATE_SOURCE, prepare_update_source)
WRITE_RPC(handle_create_actor, rectrack__v1__create_actor_request__descriptor,
          RT_OP_CREATE_ACTOR, prepare_create_actor)
WRITE_RPC(handle_update_actor, rectrack__v1__update_actor_request__descriptor,
          RT_OP_UPDATE_ACTOR, prepare_update_actor)
WRITE_RPC(handle_create_recommendation,
          rectrack__v1__create_recommendation_request__descriptor,
          RT_OP_CREATE_RECOMMENDATION, prepare_create_recommendation)
WRITE_RPC(handle_update_recommendation,
          rectrack__v1__update_recommendation_request__descriptor,
          RT_OP_UPDATE_RECOMMENDATION, prepare_update_recommendation)
WRITE_RPC(handle_create_commitment,
          rectrack__v1__create_commitment_request__descriptor,
          RT_OP_CREATE_COMMITMENT, prepare_create_commitment)
WRITE_RPC(handle_update_commitment,
          rectrack__v1__update_commitment_request__descriptor,
          RT_OP_UPDATE_COMMITMENT, prepare_update_commitment)
WRITE_RPC(handle_record_follow_up,
          rectrack__v1__record_follow_up_request__descriptor,
          RT_OP_RECORD_FOLLOW_UP, prepare_record_follow_up)
WRITE_RPC(handle_record_measurement,
          rectrack__v1__record_measurement_request__descriptor,
          RT_OP_RECORD_MEASUREMENT, prepare_record_measurement)

#define TRACKER(name) "/rectrack.v1.Tracker/" name
#define WRITE_METHOD(name, fn)                                                 \
  { TRACKER(name), RT_METHOD_UNARY, fn, cancel_write, NULL }

const rt_method_t rt_tracker_write_methods[] = {
    WRITE_METHOD("CreateSource", handle_create_source),
    WRITE_METHOD("UpdateSource", handle_update_source),
    WRITE_METHOD("CreateActor", handle_create_actor),
    WRITE_METHOD("UpdateActor", handle_update_actor),
    WRITE_METHOD("CreateRecommendation", handle_create_recommendation),
    WRITE_METHOD("UpdateRecommendation", handle_update_recommendation),
    WRITE_METHOD("CreateCommitment", handle_create_commitment),
    WRITE_METHOD("UpdateCommitment", handle_update_commitment),
    WRITE_METHOD("RecordFollowUp", handle_record_follow_up),
    WRITE_METHOD("RecordMeasurement", handle_record_measurement),
};
const size_t rt_tracker_write_method_count =
    sizeof rt_tracker_write_methods / sizeof rt_tracker_write_methods[0];
