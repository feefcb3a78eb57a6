/*
 * tracker_writes: the write RPCs of the Tracker service (Create*,
 * Update*, RecordFollowUp, RecordMeasurement, ValidateSubmission,
 * CreateTheme).
 *
 * Each RPC's handler names its op kind and its prepare function, which
 * checks what is cheap to check here (the message is present, the fields
 * every record needs are set; the dispatch in tracker.c already resolved
 * the principal and checked the role) and fills the rt_write_op_t;
 * submit_write queues the op to the writer thread. Full validation of
 * every field happens in the storage engine, inside the write, with the
 * same field-naming messages. So do the checks of a reporter that need
 * the subject (whose actor it is): the op carries the principal's role
 * and actors into the writer's transaction, where no other write can
 * change the subject between the check and the change.
 *
 * The reply (the packed record the storage engine returns) is sent from
 * the completion on the loop thread, after the commit is durable. A call
 * cancelled meanwhile only marks its job abandoned; the completion frees
 * everything, once: the reply, and the request's arena, which holds the
 * write itself.
 */
#include "tracker_call.h"

#include <stdlib.h>
#include <string.h>

/* A write in flight: lives in its request's arena, with the request its
 * op points into, until complete_write frees the arena. */
typedef struct write_call {
  rt_write_job_t job; /* first: the writer hands back &job */
  rt_call_t *call;    /* NULL once the call is gone */
  ProtobufCMessage *request;
  tracker_arena_t *arena; /* holds this write, request and principal */
} write_call_t;

/* Checks write->request and fills op (kind and principal are set). */
typedef int (*prepare_fn)(write_call_t *write, rt_write_op_t *op,
                          rt_error_t *err);

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

/* The reply is the storage engine's (rt_write_ops_release); everything
 * else of the write is in its arena. */
static void free_write(write_call_t *write) {
  rt_write_ops_release(&write->job.op, 1);
  tracker_arena_free(write->arena);
}

/* Loop thread, after the commit: answer the call unless it is gone. */
static void complete_write(rt_write_job_t *job) {
  write_call_t *write = (write_call_t *)job;
  rt_write_op_t *op = &job->op;
  if (!atomic_load(&job->abandoned) && write->call != NULL) {
    if (op->result == 0)
      rt_call_reply(write->call, op->reply, op->reply_len);
    else
      tracker_fail(write->call, op->result, &op->error);
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

/* Copies who the change is made by into the op, in the write's arena: a
 * tokens reload while the write waits for the writer must not pull the
 * principal's name or actors away. Returns 0 or RT_ENOMEM. */
static int copy_principal(tracker_arena_t *arena,
                          const rt_auth_principal_t *principal,
                          rt_write_op_t *op) {
  char *name = tracker_arena_strdup(arena, principal->name);
  if (name == NULL)
    return RT_ENOMEM;
  op->principal = name;
  op->role = principal->role == RT_AUTH_ROLE_REPORTER
                 ? RT_WRITE_ROLE_REPORTER
                 : RT_WRITE_ROLE_SECRETARIAT;
  if (principal->n_actors == 0)
    return 0;
  const char **actors =
      tracker_arena_alloc(arena, principal->n_actors * sizeof *actors);
  if (actors == NULL)
    return RT_ENOMEM;
  for (size_t i = 0; i < principal->n_actors; i++)
    if ((actors[i] = tracker_arena_strdup(arena, principal->actors[i])) == NULL)
      return RT_ENOMEM;
  op->actors = actors;
  op->n_actors = principal->n_actors;
  return 0;
}

/* Queues request (in arena, which the write owns from now on) as
 * principal's change: prepare checks it and fills the op, the writer
 * applies it, complete_write answers the call. A request refused here is
 * answered at once. */
static void submit_write(rt_tracker_t *tracker, rt_call_t *call,
                         const rt_auth_principal_t *principal,
                         ProtobufCMessage *request, tracker_arena_t *arena,
                         rt_op_kind_t kind, prepare_fn prepare) {
  rt_error_t err;
  rt_error_clear(&err);
  write_call_t *write = tracker_arena_alloc(arena, sizeof *write);
  if (write != NULL)
    memset(write, 0, sizeof *write);
  if (write == NULL || copy_principal(arena, principal, &write->job.op) != 0) {
    tracker_arena_free(arena);
    rt_call_fail(call, RT_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  write->request = request;
  write->arena = arena;
  write->call = call;
  write->job.complete = complete_write;
  atomic_init(&write->job.abandoned, false);
  write->job.op.kind = kind;
  int rc = prepare(write, &write->job.op, &err);
  if (rc == 0)
    rc = rt_writer_submit(tracker->writer, &write->job, &err);
  if (rc == 0) {
    rt_call_set_data(call, write);
    return;
  }
  tracker_fail(call, rc, &err);
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
    measurement->commitment_id = req->commitment_id; /* both in the arena */
  } else if (!is_set(measurement->commitment_id)) {
    return rt_error_set(err, RT_EINVAL, "commitment_id",
                        "commitment_id is required");
  }
  op->message = &measurement->base;
  op->request_id = req->request_id;
  return 0;
}

static int prepare_validate_submission(write_call_t *write, rt_write_op_t *op,
                                       rt_error_t *err) {
  Rectrack__V1__ValidateSubmissionRequest *req = (void *)write->request;
  if (require(req->subject_id, "subject_id", err))
    return RT_EINVAL;
  op->message = &req->base;
  op->request_id = req->request_id;
  return 0;
}

static int prepare_create_theme(write_call_t *write, rt_write_op_t *op,
                                rt_error_t *err) {
  Rectrack__V1__CreateThemeRequest *req = (void *)write->request;
  if (require_message(req->theme, "theme", err) ||
      require(req->theme->id, "theme.id", err) ||
      require(req->theme->title, "theme.title", err))
    return RT_EINVAL;
  op->message = &req->theme->base;
  op->request_id = req->request_id;
  return 0;
}

static int prepare_create_dimension_key(write_call_t *write, rt_write_op_t *op,
                                        rt_error_t *err) {
  Rectrack__V1__CreateDimensionKeyRequest *req = (void *)write->request;
  if (require_message(req->dimension_key, "dimension_key", err) ||
      require(req->dimension_key->key, "dimension_key.key", err) ||
      require(req->dimension_key->title, "dimension_key.title", err) ||
      require(req->dimension_key->value_rule, "dimension_key.value_rule", err))
    return RT_EINVAL;
  op->message = &req->dimension_key->base;
  op->request_id = req->request_id;
  return 0;
}

/* ---- the handlers ------------------------------------------------------ */

static void create_source(rt_tracker_t *tracker, rt_call_t *call,
                          const rt_auth_principal_t *principal,
                          ProtobufCMessage *request, tracker_arena_t *arena) {
  submit_write(tracker, call, principal, request, arena, RT_OP_CREATE_SOURCE,
               prepare_create_source);
}

static void update_source(rt_tracker_t *tracker, rt_call_t *call,
                          const rt_auth_principal_t *principal,
                          ProtobufCMessage *request, tracker_arena_t *arena) {
  submit_write(tracker, call, principal, request, arena, RT_OP_UPDATE_SOURCE,
               prepare_update_source);
}

static void create_actor(rt_tracker_t *tracker, rt_call_t *call,
                         const rt_auth_principal_t *principal,
                         ProtobufCMessage *request, tracker_arena_t *arena) {
  submit_write(tracker, call, principal, request, arena, RT_OP_CREATE_ACTOR,
               prepare_create_actor);
}

static void update_actor(rt_tracker_t *tracker, rt_call_t *call,
                         const rt_auth_principal_t *principal,
                         ProtobufCMessage *request, tracker_arena_t *arena) {
  submit_write(tracker, call, principal, request, arena, RT_OP_UPDATE_ACTOR,
               prepare_update_actor);
}

static void create_recommendation(rt_tracker_t *tracker, rt_call_t *call,
                                  const rt_auth_principal_t *principal,
                                  ProtobufCMessage *request,
                                  tracker_arena_t *arena) {
  submit_write(tracker, call, principal, request, arena,
               RT_OP_CREATE_RECOMMENDATION, prepare_create_recommendation);
}

static void update_recommendation(rt_tracker_t *tracker, rt_call_t *call,
                                  const rt_auth_principal_t *principal,
                                  ProtobufCMessage *request,
                                  tracker_arena_t *arena) {
  submit_write(tracker, call, principal, request, arena,
               RT_OP_UPDATE_RECOMMENDATION, prepare_update_recommendation);
}

static void create_commitment(rt_tracker_t *tracker, rt_call_t *call,
                              const rt_auth_principal_t *principal,
                              ProtobufCMessage *request,
                              tracker_arena_t *arena) {
  submit_write(tracker, call, principal, request, arena,
               RT_OP_CREATE_COMMITMENT, prepare_create_commitment);
}

static void update_commitment(rt_tracker_t *tracker, rt_call_t *call,
                              const rt_auth_principal_t *principal,
                              ProtobufCMessage *request,
                              tracker_arena_t *arena) {
  submit_write(tracker, call, principal, request, arena,
               RT_OP_UPDATE_COMMITMENT, prepare_update_commitment);
}

static void record_follow_up(rt_tracker_t *tracker, rt_call_t *call,
                             const rt_auth_principal_t *principal,
                             ProtobufCMessage *request,
                             tracker_arena_t *arena) {
  submit_write(tracker, call, principal, request, arena, RT_OP_RECORD_FOLLOW_UP,
               prepare_record_follow_up);
}

static void record_measurement(rt_tracker_t *tracker, rt_call_t *call,
                               const rt_auth_principal_t *principal,
                               ProtobufCMessage *request,
                               tracker_arena_t *arena) {
  submit_write(tracker, call, principal, request, arena,
               RT_OP_RECORD_MEASUREMENT, prepare_record_measurement);
}

static void validate_submission(rt_tracker_t *tracker, rt_call_t *call,
                                const rt_auth_principal_t *principal,
                                ProtobufCMessage *request,
                                tracker_arena_t *arena) {
  submit_write(tracker, call, principal, request, arena,
               RT_OP_VALIDATE_SUBMISSION, prepare_validate_submission);
}

static void create_theme(rt_tracker_t *tracker, rt_call_t *call,
                         const rt_auth_principal_t *principal,
                         ProtobufCMessage *request, tracker_arena_t *arena) {
  submit_write(tracker, call, principal, request, arena, RT_OP_CREATE_THEME,
               prepare_create_theme);
}

static void create_dimension_key(rt_tracker_t *tracker, rt_call_t *call,
                                 const rt_auth_principal_t *principal,
                                 ProtobufCMessage *request,
                                 tracker_arena_t *arena) {
  submit_write(tracker, call, principal, request, arena,
               RT_OP_CREATE_DIMENSION_KEY, prepare_create_dimension_key);
}

/* Every write is answered after its commit. The secretariat makes every
 * change; a reporter may record follow-ups and measurements, which the
 * storage engine limits to its actors' subjects and keeps as submissions
 * until the secretariat validates them. */
const tracker_route_t tracker_write_routes[] = {
    {TRACKER_PATH("CreateSource"), RT_METHOD_UNARY,
     &rectrack__v1__create_source_request__descriptor, create_source,
     cancel_write, RT_AUTH_ROLE_SECRETARIAT},
    {TRACKER_PATH("UpdateSource"), RT_METHOD_UNARY,
     &rectrack__v1__update_source_request__descriptor, update_source,
     cancel_write, RT_AUTH_ROLE_SECRETARIAT},
    {TRACKER_PATH("CreateActor"), RT_METHOD_UNARY,
     &rectrack__v1__create_actor_request__descriptor, create_actor,
     cancel_write, RT_AUTH_ROLE_SECRETARIAT},
    {TRACKER_PATH("UpdateActor"), RT_METHOD_UNARY,
     &rectrack__v1__update_actor_request__descriptor, update_actor,
     cancel_write, RT_AUTH_ROLE_SECRETARIAT},
    {TRACKER_PATH("CreateRecommendation"), RT_METHOD_UNARY,
     &rectrack__v1__create_recommendation_request__descriptor,
     create_recommendation, cancel_write, RT_AUTH_ROLE_SECRETARIAT},
    {TRACKER_PATH("UpdateRecommendation"), RT_METHOD_UNARY,
     &rectrack__v1__update_recommendation_request__descriptor,
     update_recommendation, cancel_write, RT_AUTH_ROLE_SECRETARIAT},
    {TRACKER_PATH("CreateCommitment"), RT_METHOD_UNARY,
     &rectrack__v1__create_commitment_request__descriptor, create_commitment,
     cancel_write, RT_AUTH_ROLE_SECRETARIAT},
    {TRACKER_PATH("UpdateCommitment"), RT_METHOD_UNARY,
     &rectrack__v1__update_commitment_request__descriptor, update_commitment,
     cancel_write, RT_AUTH_ROLE_SECRETARIAT},
    {TRACKER_PATH("RecordFollowUp"), RT_METHOD_UNARY,
     &rectrack__v1__record_follow_up_request__descriptor, record_follow_up,
     cancel_write, RT_AUTH_ROLE_REPORTER},
    {TRACKER_PATH("RecordMeasurement"), RT_METHOD_UNARY,
     &rectrack__v1__record_measurement_request__descriptor, record_measurement,
     cancel_write, RT_AUTH_ROLE_REPORTER},
    {TRACKER_PATH("ValidateSubmission"), RT_METHOD_UNARY,
     &rectrack__v1__validate_submission_request__descriptor,
     validate_submission, cancel_write, RT_AUTH_ROLE_SECRETARIAT},
    {TRACKER_PATH("CreateTheme"), RT_METHOD_UNARY,
     &rectrack__v1__create_theme_request__descriptor, create_theme,
     cancel_write, RT_AUTH_ROLE_SECRETARIAT},
    {TRACKER_PATH("CreateDimensionKey"), RT_METHOD_UNARY,
     &rectrack__v1__create_dimension_key_request__descriptor,
     create_dimension_key, cancel_write, RT_AUTH_ROLE_SECRETARIAT},
};
const size_t tracker_write_route_count =
    sizeof tracker_write_routes / sizeof tracker_write_routes[0];
