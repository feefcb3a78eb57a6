/*
 * Tests for the Tracker service's handlers against the real storage
 * engine and a fake transport: rt_call_* are implemented here, recording
 * what each call was answered, so that the tests can check when a reply
 * happens (only after the commit), what cancellation does, how
 * WatchChanges pages, pauses for a slow client and resumes, and how the
 * drain ends everything. The e2e tests (tests/e2e/tracker) cover the same
 * ground through the real transport; these pin down the ordering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_tracker.h"

/* ---- the fake transport ---------------------------------------------- */

#define MAX_SENT 4096

struct rt_call {
  const rt_method_t *method;
  void *data;
  const char *user;          /* x-rectrack-user, or NULL */
  const char *authorization; /* authorization, or NULL */
  bool ended;
  rt_grpc_status_t status;
  char message[512];
  uint8_t *reply;
  size_t reply_len;
  uint8_t *sent[MAX_SENT];
  size_t sent_len[MAX_SENT];
  size_t sent_count;
  size_t pending;    /* bytes "queued"; tests drain by hand */
  bool hold_pending; /* keep counting sent bytes as pending */
  bool holding;      /* rt_call_hold_connection was called */
  void (*drained)(rt_call_t *call);
};

void *rt_call_method_data(rt_call_t *call) { return call->method->data; }
void rt_call_set_data(rt_call_t *call, void *data) { call->data = data; }
void rt_call_hold_connection(rt_call_t *call) { call->holding = true; }
void *rt_call_data(rt_call_t *call) { return call->data; }
const char *rt_call_peer(rt_call_t *call) {
  (void)call;
  return "127.0.0.1:1";
}
const char *rt_call_metadata(rt_call_t *call, const char *key) {
  if (strcmp(key, "x-rectrack-user") == 0)
    return call->user;
  if (strcmp(key, "authorization") == 0)
    return call->authorization;
  return NULL;
}
uint64_t rt_call_deadline_ms(rt_call_t *call) {
  (void)call;
  return 0;
}

int rt_call_reply(rt_call_t *call, const uint8_t *message, size_t len) {
  assert_false(call->ended);
  call->ended = true;
  call->status = RT_GRPC_OK;
  call->reply = malloc(len ? len : 1);
  memcpy(call->reply, message, len);
  call->reply_len = len;
  return 0;
}

void rt_call_fail(rt_call_t *call, rt_grpc_status_t status,
                  const char *message) {
  assert_false(call->ended);
  call->ended = true;
  call->status = status;
  snprintf(call->message, sizeof call->message, "%s", message);
}

int rt_call_send(rt_call_t *call, const uint8_t *message, size_t len) {
  assert_false(call->ended);
  assert_true(call->sent_count < MAX_SENT);
  call->sent[call->sent_count] = malloc(len ? len : 1);
  memcpy(call->sent[call->sent_count], message, len);
  call->sent_len[call->sent_count++] = len;
  if (call->hold_pending)
    call->pending += len;
  return 0;
}

size_t rt_call_pending_bytes(rt_call_t *call) { return call->pending; }

void rt_call_on_drain(rt_call_t *call, void (*drained)(rt_call_t *call)) {
  call->drained = drained;
}

void rt_call_finish(rt_call_t *call, rt_grpc_status_t status,
                    const char *message) {
  rt_call_fail(call, status, message ? message : "");
}

static void release_pending(rt_call_t *call) {
  call->hold_pending = false;
  call->pending = 0;
  void (*drained)(rt_call_t *) = call->drained;
  call->drained = NULL;
  if (drained != NULL)
    drained(call);
}

static void call_free(rt_call_t *call) {
  free(call->reply);
  for (size_t i = 0; i < call->sent_count; i++)
    free(call->sent[i]);
  free(call);
}

/* ---- fixture --------------------------------------------------------- */

typedef struct fixture {
  char dir[64];
  uv_loop_t loop;
  rt_store_t *store;
  rt_tracker_t *tracker;
  rt_auth_t *auth; /* NULL: the open API */
  const rt_method_t *methods;
  size_t method_count;
  int drained;
} fixture_t;

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/rt-test-tracker-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  assert_int_equal(uv_loop_init(&f->loop), 0);
  rt_error_t err;
  assert_int_equal(rt_store_open(&f->store, f->dir, NULL, &err), 0);
  rt_tracker_options_t options = {.data_dir = f->dir};
  assert_int_equal(
      rt_tracker_new(&f->tracker, &f->loop, f->store, &options, &err), 0);
  f->methods = rt_tracker_methods(f->tracker, &f->method_count);
  *state = f;
  return 0;
}

static void on_drained(void *data) { ((fixture_t *)data)->drained++; }

static int teardown(void **state) {
  fixture_t *f = *state;
  if (f->drained == 0) {
    rt_tracker_drain(f->tracker, on_drained, f);
    while (f->drained == 0)
      uv_run(&f->loop, UV_RUN_ONCE);
  }
  rt_tracker_free(f->tracker);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&f->loop), 0);
  rt_store_close(f->store);
  rt_auth_free(f->auth);
  char command[128];
  snprintf(command, sizeof command, "rm -rf %s", f->dir);
  assert_int_equal(system(command), 0);
  free(f);
  return 0;
}

static const rt_method_t *find_method(fixture_t *f, const char *name) {
  char path[128];
  snprintf(path, sizeof path, "/rectrack.v1.Tracker/%s", name);
  for (size_t i = 0; i < f->method_count; i++)
    if (strcmp(f->methods[i].path, path) == 0)
      return &f->methods[i];
  fail_msg("no method %s", path);
  return NULL;
}

/* Starts a call of method name with message packed as its request. */
static rt_call_t *start(fixture_t *f, const char *name,
                        const ProtobufCMessage *message) {
  rt_call_t *call = calloc(1, sizeof *call);
  call->method = find_method(f, name);
  size_t len = protobuf_c_message_get_packed_size(message);
  uint8_t *buffer = malloc(len ? len : 1);
  protobuf_c_message_pack(message, buffer);
  call->method->handle(call, buffer, len);
  free(buffer);
  return call;
}

static void run_until_ended(fixture_t *f, rt_call_t *call) {
  while (!call->ended)
    uv_run(&f->loop, UV_RUN_ONCE);
}

static void run_until_sent(fixture_t *f, rt_call_t *call, size_t count) {
  while (call->sent_count < count && !call->ended)
    uv_run(&f->loop, UV_RUN_ONCE);
  assert_int_equal(call->sent_count, count);
}

/* Runs the loop until call has ended and returns it. */
static rt_call_t *finish(fixture_t *f, rt_call_t *call) {
  run_until_ended(f, call);
  return call;
}

static rt_call_t *create_source(fixture_t *f, const char *id) {
  Rectrack__V1__Source source = RECTRACK__V1__SOURCE__INIT;
  source.id = (char *)id;
  source.title = "Dialogue";
  source.kind = RECTRACK__V1__SOURCE_KIND__SOURCE_KIND_DIALOGUE;
  Rectrack__V1__CreateSourceRequest request =
      RECTRACK__V1__CREATE_SOURCE_REQUEST__INIT;
  request.source = &source;
  return start(f, "CreateSource", &request.base);
}

static void create_source_ok(fixture_t *f, const char *id) {
  rt_call_t *call = finish(f, create_source(f, id));
  assert_int_equal(call->status, RT_GRPC_OK);
  call_free(call);
}

/* ---- tests ----------------------------------------------------------- */

static void test_a_write_is_answered_only_after_its_commit(void **state) {
  fixture_t *f = *state;
  rt_call_t *call = create_source(f, "idm-2023");
  assert_false(call->ended); /* queued to the writer, not answered */
  run_until_ended(f, call);
  assert_int_equal(call->status, RT_GRPC_OK);
  Rectrack__V1__Source *source =
      rectrack__v1__source__unpack(NULL, call->reply_len, call->reply);
  assert_non_null(source);
  assert_string_equal(source->id, "idm-2023");
  assert_int_equal(source->revision, 1);
  rectrack__v1__source__free_unpacked(source, NULL);
  call_free(call);
}

static void test_get_replies_with_the_stored_bytes(void **state) {
  fixture_t *f = *state;
  rt_call_t *created = finish(f, create_source(f, "gfmd-2024"));
  Rectrack__V1__GetSourceRequest request =
      RECTRACK__V1__GET_SOURCE_REQUEST__INIT;
  request.id = "gfmd-2024";
  rt_call_t *got = start(f, "GetSource", &request.base);
  assert_true(got->ended); /* reads answer right away */
  assert_int_equal(got->status, RT_GRPC_OK);
  assert_int_equal(got->reply_len, created->reply_len);
  assert_memory_equal(got->reply, created->reply, got->reply_len);
  call_free(got);
  call_free(created);

  request.id = "missing";
  got = start(f, "GetSource", &request.base);
  assert_int_equal(got->status, RT_GRPC_NOT_FOUND);
  call_free(got);
  request.id = "";
  got = start(f, "GetSource", &request.base);
  assert_int_equal(got->status, RT_GRPC_INVALID_ARGUMENT);
  assert_string_equal(got->message, "id is required");
  call_free(got);
}

static void test_an_undecodable_request_is_invalid(void **state) {
  fixture_t *f = *state;
  rt_call_t *call = calloc(1, sizeof *call);
  call->method = find_method(f, "GetRecommendation");
  const uint8_t garbage[] = {0x0a, 0xff, 0xff};
  call->method->handle(call, garbage, sizeof garbage);
  assert_int_equal(call->status, RT_GRPC_INVALID_ARGUMENT);
  assert_string_equal(call->message, "request is not a valid "
                                     "rectrack.v1.GetRecommendationRequest");
  call_free(call);
}

static void test_bad_fields_are_named_in_the_status(void **state) {
  fixture_t *f = *state;
  create_source_ok(f, "src");
  char *sdg[] = {"10.7", "18.1"};
  Rectrack__V1__Recommendation rec = RECTRACK__V1__RECOMMENDATION__INIT;
  rec.source_id = "src";
  rec.title = "Lower costs";
  rec.sdg_targets = sdg;
  rec.n_sdg_targets = 2;
  Rectrack__V1__CreateRecommendationRequest request =
      RECTRACK__V1__CREATE_RECOMMENDATION_REQUEST__INIT;
  request.recommendation = &rec;
  rt_call_t *call = finish(f, start(f, "CreateRecommendation", &request.base));
  assert_int_equal(call->status, RT_GRPC_INVALID_ARGUMENT);
  assert_non_null(strstr(call->message, "recommendation.sdg_targets[1]"));
  call_free(call);

  rec.n_sdg_targets = 0;
  rec.title = "";
  call = start(f, "CreateRecommendation", &request.base);
  assert_true(call->ended); /* caught before the writer */
  assert_string_equal(call->message, "recommendation.title is required");
  call_free(call);

  rec.title = "Lower costs";
  rec.source_id = "nowhere";
  call = finish(f, start(f, "CreateRecommendation", &request.base));
  assert_int_equal(call->status, RT_GRPC_NOT_FOUND);
  call_free(call);
}

static void test_the_principal_comes_from_the_header(void **state) {
  fixture_t *f = *state;
  create_source_ok(f, "src");
  Rectrack__V1__Recommendation rec = RECTRACK__V1__RECOMMENDATION__INIT;
  rec.source_id = "src";
  rec.title = "Lower costs";
  Rectrack__V1__CreateRecommendationRequest request =
      RECTRACK__V1__CREATE_RECOMMENDATION_REQUEST__INIT;
  request.recommendation = &rec;
  rt_call_t *call = calloc(1, sizeof *call);
  call->method = find_method(f, "CreateRecommendation");
  call->user = "alice";
  size_t len = protobuf_c_message_get_packed_size(&request.base);
  uint8_t buffer[256];
  assert_true(len <= sizeof buffer);
  protobuf_c_message_pack(&request.base, buffer);
  call->method->handle(call, buffer, len);
  run_until_ended(f, call);
  Rectrack__V1__Recommendation *stored =
      rectrack__v1__recommendation__unpack(NULL, call->reply_len, call->reply);
  assert_string_equal(stored->updated_by, "alice");
  rectrack__v1__recommendation__free_unpacked(stored, NULL);
  call_free(call);

  call = calloc(1, sizeof *call);
  call->method = find_method(f, "CreateRecommendation");
  call->user = "no spaces allowed";
  call->method->handle(call, buffer, len);
  assert_int_equal(call->status, RT_GRPC_INVALID_ARGUMENT);
  assert_non_null(strstr(call->message, "x-rectrack-user"));
  call_free(call);
}

static void test_a_cancelled_write_is_never_answered(void **state) {
  fixture_t *f = *state;
  rt_call_t *cancelled = create_source(f, "gone");
  cancelled->method->cancel(cancelled);
  rt_call_t *kept = finish(f, create_source(f, "kept"));
  assert_int_equal(kept->status, RT_GRPC_OK);
  uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_false(cancelled->ended);
  call_free(cancelled);
  call_free(kept);
}

/* Replaces the fixture's open tracker with one that needs bearer
 * tokens: "reader-token" (partner, reader), "writer-token" (secretariat,
 * writer). */
static void require_tokens(fixture_t *f) {
  rt_tracker_drain(f->tracker, on_drained, f);
  while (f->drained == 0)
    uv_run(&f->loop, UV_RUN_ONCE);
  rt_tracker_free(f->tracker);
  f->drained = 0;
  char path[96], reader[RT_AUTH_HASH_HEX_LEN + 1],
      writer[RT_AUTH_HASH_HEX_LEN + 1], reporter[RT_AUTH_HASH_HEX_LEN + 1],
      admin[RT_AUTH_HASH_HEX_LEN + 1];
  snprintf(path, sizeof path, "%s/tokens", f->dir);
  rt_auth_token_hash_hex("reader-token", strlen("reader-token"), reader);
  rt_auth_token_hash_hex("writer-token", strlen("writer-token"), writer);
  rt_auth_token_hash_hex("reporter-token", strlen("reporter-token"), reporter);
  rt_auth_token_hash_hex("admin-token", strlen("admin-token"), admin);
  FILE *file = fopen(path, "w");
  assert_non_null(file);
  fprintf(file,
          "%s partner reader\n%s secretariat writer\n%s moi-bgd reporter "
          "bgd\n%s ops admin\n",
          reader, writer, reporter, admin);
  fclose(file);
  rt_error_t err;
  rt_error_clear(&err);
  assert_int_equal(rt_auth_load(&f->auth, path, &err), 0);
  rt_tracker_options_t options = {.data_dir = f->dir, .auth = f->auth};
  assert_int_equal(
      rt_tracker_new(&f->tracker, &f->loop, f->store, &options, &err), 0);
  f->methods = rt_tracker_methods(f->tracker, &f->method_count);
}

/* Hands bytes to method name's handle as the transport would. */
static rt_call_t *start_raw(fixture_t *f, const char *name,
                            const char *authorization, const uint8_t *request,
                            size_t len) {
  rt_call_t *call = calloc(1, sizeof *call);
  call->method = find_method(f, name);
  call->authorization = authorization;
  call->method->handle(call, request, len);
  return call;
}

static void test_every_method_runs_through_the_dispatch(void **state) {
  fixture_t *f = *state;
  assert_int_equal(f->method_count, 29);
  for (size_t i = 0; i < f->method_count; i++) {
    assert_ptr_equal(f->methods[i].handle, f->methods[0].handle);
    assert_non_null(f->methods[i].data);
    for (size_t j = 0; j < i; j++)
      assert_string_not_equal(f->methods[i].path, f->methods[j].path);
  }
}

static void test_the_token_is_checked_before_the_request(void **state) {
  fixture_t *f = *state;
  require_tokens(f);
  const uint8_t garbage[] = {0x0a, 0xff, 0xff};
  rt_call_t *call = start_raw(f, "CreateSource", NULL, garbage, sizeof garbage);
  assert_int_equal(call->status, RT_GRPC_UNAUTHENTICATED);
  assert_string_equal(call->message, "missing bearer token");
  call_free(call);

  call = start_raw(f, "CreateSource", "Bearer reader-token", garbage,
                   sizeof garbage);
  assert_int_equal(call->status, RT_GRPC_PERMISSION_DENIED);
  assert_string_equal(call->message, "CreateSource needs the secretariat role; "
                                     "partner has the reader role");
  call_free(call);

  call =
      start_raw(f, "GetSource", "Bearer reader-token", garbage, sizeof garbage);
  assert_int_equal(call->status, RT_GRPC_INVALID_ARGUMENT); /* let through */
  call_free(call);
}

/* The role each method needs, as the dispatch checks it before decoding
 * the request: a method let through answers the garbage request with
 * INVALID_ARGUMENT, one refused with PERMISSION_DENIED naming both
 * roles. */
static void test_each_method_needs_its_role(void **state) {
  fixture_t *f = *state;
  require_tokens(f);
  static const struct {
    const char *method, *token;
    bool allowed;
  } cases[] = {
      {"GetRecommendation", "Bearer reader-token", true},
      {"ExportReview", "Bearer reader-token", true},
      {"RecordFollowUp", "Bearer reader-token", false},
      {"RecordFollowUp", "Bearer reporter-token", true},
      {"RecordMeasurement", "Bearer reporter-token", true},
      {"CreateSource", "Bearer reporter-token", false},
      {"UpdateCommitment", "Bearer reporter-token", false},
      {"ValidateSubmission", "Bearer reporter-token", false},
      {"ValidateSubmission", "Bearer writer-token", true},
      {"Backup", "Bearer writer-token", false},
      {"Backup", "Bearer reader-token", false},
      {"Backup", "Bearer admin-token", true},
      {"CreateActor", "Bearer admin-token", true},
      {"CreateTheme", "Bearer reporter-token", false},
      {"CreateTheme", "Bearer reader-token", false},
      {"CreateTheme", "Bearer writer-token", true},
      {"CreateDimensionKey", "Bearer reporter-token", false},
      {"CreateDimensionKey", "Bearer reader-token", false},
      {"CreateDimensionKey", "Bearer writer-token", true},
      {"ListReference", "Bearer reader-token", true},
  };
  const uint8_t garbage[] = {0x0a, 0xff, 0xff};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rt_call_t *call =
        start_raw(f, cases[i].method, cases[i].token, garbage, sizeof garbage);
    if (cases[i].allowed) {
      assert_int_equal(call->status, RT_GRPC_INVALID_ARGUMENT);
    } else {
      assert_int_equal(call->status, RT_GRPC_PERMISSION_DENIED);
      assert_non_null(strstr(call->message, cases[i].method));
      assert_non_null(strstr(call->message, "needs the"));
    }
    call_free(call);
  }
  rt_call_t *call = start_raw(f, "ValidateSubmission", "Bearer reporter-token",
                              garbage, sizeof garbage);
  assert_string_equal(call->message, "ValidateSubmission needs the "
                                     "secretariat role; moi-bgd has the "
                                     "reporter role");
  call_free(call);
  call = start_raw(f, "Backup", "Bearer reader-token", garbage, sizeof garbage);
  assert_string_equal(call->message,
                      "Backup needs the admin role; partner has the reader "
                      "role");
  call_free(call);
}

/* Packs message into buffer (of size bytes) and returns its length. */
static size_t pack(const ProtobufCMessage *message, uint8_t *buffer,
                   size_t size) {
  size_t len = protobuf_c_message_get_packed_size(message);
  assert_true(len <= size);
  protobuf_c_message_pack(message, buffer);
  return len;
}

static void test_a_write_is_recorded_as_the_tokens_principal(void **state) {
  fixture_t *f = *state;
  require_tokens(f);
  uint8_t buffer[256];
  Rectrack__V1__Source source = RECTRACK__V1__SOURCE__INIT;
  source.id = "src";
  source.title = "Dialogue";
  source.kind = RECTRACK__V1__SOURCE_KIND__SOURCE_KIND_DIALOGUE;
  Rectrack__V1__CreateSourceRequest create_source =
      RECTRACK__V1__CREATE_SOURCE_REQUEST__INIT;
  create_source.source = &source;
  size_t len = pack(&create_source.base, buffer, sizeof buffer);
  rt_call_t *call = finish(
      f, start_raw(f, "CreateSource", "Bearer writer-token", buffer, len));
  assert_int_equal(call->status, RT_GRPC_OK);
  call_free(call);

  Rectrack__V1__Recommendation rec = RECTRACK__V1__RECOMMENDATION__INIT;
  rec.source_id = "src";
  rec.title = "Lower costs";
  Rectrack__V1__CreateRecommendationRequest create_rec =
      RECTRACK__V1__CREATE_RECOMMENDATION_REQUEST__INIT;
  create_rec.recommendation = &rec;
  len = pack(&create_rec.base, buffer, sizeof buffer);
  call = finish(f, start_raw(f, "CreateRecommendation", "Bearer writer-token",
                             buffer, len));
  assert_int_equal(call->status, RT_GRPC_OK);
  Rectrack__V1__Recommendation *stored =
      rectrack__v1__recommendation__unpack(NULL, call->reply_len, call->reply);
  assert_non_null(stored);
  assert_string_equal(stored->updated_by, "secretariat");
  rectrack__v1__recommendation__free_unpacked(stored, NULL);
  call_free(call);
}

/* Sends message to method with authorization and runs the loop until the
 * call ends; returns the call (free with call_free). */
static rt_call_t *call_as(fixture_t *f, const char *method,
                          const char *authorization,
                          const ProtobufCMessage *message) {
  uint8_t buffer[1024];
  size_t len = pack(message, buffer, sizeof buffer);
  return finish(f, start_raw(f, method, authorization, buffer, len));
}

/* A reporter's token carries its actors into the write, which the
 * storage engine checks against the subject; the secretariat's token
 * validates the submission. */
static void
test_a_reporter_submits_and_the_secretariat_validates(void **state) {
  fixture_t *f = *state;
  require_tokens(f);
  const char *sec = "Bearer writer-token", *moi = "Bearer reporter-token";
  const char *actors[] = {"bgd", "iom"};
  for (size_t i = 0; i < 2; i++) {
    Rectrack__V1__Actor actor = RECTRACK__V1__ACTOR__INIT;
    actor.id = (char *)actors[i];
    actor.name = (char *)actors[i];
    Rectrack__V1__CreateActorRequest create =
        RECTRACK__V1__CREATE_ACTOR_REQUEST__INIT;
    create.actor = &actor;
    rt_call_t *call = call_as(f, "CreateActor", sec, &create.base);
    assert_int_equal(call->status, RT_GRPC_OK);
    call_free(call);
  }
  Rectrack__V1__Source source = RECTRACK__V1__SOURCE__INIT;
  source.id = "src";
  source.title = "Dialogue";
  Rectrack__V1__CreateSourceRequest create_source_request =
      RECTRACK__V1__CREATE_SOURCE_REQUEST__INIT;
  create_source_request.source = &source;
  rt_call_t *call =
      call_as(f, "CreateSource", sec, &create_source_request.base);
  call_free(call);
  char *to_bgd[] = {"bgd"};
  Rectrack__V1__Recommendation rec = RECTRACK__V1__RECOMMENDATION__INIT;
  rec.source_id = "src";
  rec.title = "Lower costs";
  rec.addressed_to = to_bgd;
  rec.n_addressed_to = 1;
  Rectrack__V1__CreateRecommendationRequest create_rec =
      RECTRACK__V1__CREATE_RECOMMENDATION_REQUEST__INIT;
  create_rec.recommendation = &rec;
  call = call_as(f, "CreateRecommendation", sec, &create_rec.base);
  if (call->status != RT_GRPC_OK)
    fail_msg("CreateRecommendation: %s", call->message);
  call_free(call);
  rec.addressed_to = NULL;
  rec.n_addressed_to = 0;
  rec.lead_actor_id = "iom";
  call = call_as(f, "CreateRecommendation", sec, &create_rec.base);
  call_free(call);

  Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
  fu.subject_id = "R1";
  fu.status = RECTRACK__V1__STATUS__STATUS_IMPLEMENTED;
  Rectrack__V1__RecordFollowUpRequest record =
      RECTRACK__V1__RECORD_FOLLOW_UP_REQUEST__INIT;
  record.follow_up = &fu;
  call = call_as(f, "RecordFollowUp", moi, &record.base);
  assert_int_equal(call->status, RT_GRPC_OK);
  Rectrack__V1__FollowUp *submitted =
      rectrack__v1__follow_up__unpack(NULL, call->reply_len, call->reply);
  assert_int_equal(submitted->review_state,
                   RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_SUBMITTED);
  assert_string_equal(submitted->reported_by, "bgd");
  assert_string_equal(submitted->recorded_by, "moi-bgd");
  uint64_t revision = submitted->revision;
  rectrack__v1__follow_up__free_unpacked(submitted, NULL);
  call_free(call);

  fu.subject_id = "R2";
  call = call_as(f, "RecordFollowUp", moi, &record.base);
  assert_int_equal(call->status, RT_GRPC_PERMISSION_DENIED);
  assert_string_equal(call->message,
                      "reporter moi-bgd speaks for bgd; R2 is led by iom");
  call_free(call);

  Rectrack__V1__ValidateSubmissionRequest decision =
      RECTRACK__V1__VALIDATE_SUBMISSION_REQUEST__INIT;
  decision.subject_id = "R1";
  decision.revision = revision;
  decision.decision = RECTRACK__V1__REVIEW_STATE__REVIEW_STATE_VALIDATED;
  call = call_as(f, "ValidateSubmission", sec, &decision.base);
  assert_int_equal(call->status, RT_GRPC_OK);
  Rectrack__V1__ValidateSubmissionResponse *reply =
      rectrack__v1__validate_submission_response__unpack(NULL, call->reply_len,
                                                         call->reply);
  assert_int_equal(reply->recommendation->status,
                   RECTRACK__V1__STATUS__STATUS_IMPLEMENTED);
  assert_string_equal(reply->follow_up->reviewed_by, "secretariat");
  rectrack__v1__validate_submission_response__free_unpacked(reply, NULL);
  call_free(call);
  call = call_as(f, "ValidateSubmission", sec, &decision.base);
  assert_int_equal(call->status, RT_GRPC_FAILED_PRECONDITION);
  call_free(call);
}

/* Backup checks the path's form before anything runs, and writes the copy
 * off the loop thread. */
static void test_backup_writes_a_copy_where_it_may(void **state) {
  fixture_t *f = *state;
  require_tokens(f);
  const char *admin = "Bearer admin-token";
  Rectrack__V1__BackupRequest request = RECTRACK__V1__BACKUP_REQUEST__INIT;
  static const struct {
    const char *dir;
    rt_grpc_status_t status;
    const char *fragment;
  } refused[] = {
      {"", RT_GRPC_INVALID_ARGUMENT, "dir: the directory"},
      {"backups/today", RT_GRPC_INVALID_ARGUMENT, "is not an absolute path"},
      {"/tmp/../etc/x", RT_GRPC_INVALID_ARGUMENT, "\"..\" component"},
      {"/tmp//x", RT_GRPC_INVALID_ARGUMENT, "empty"},
      {"/no/such/parent/dir", RT_GRPC_FAILED_PRECONDITION,
       "the parent directory /no/such/parent does not exist"},
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    request.dir = (char *)refused[i].dir;
    rt_call_t *call = call_as(f, "Backup", admin, &request.base);
    assert_int_equal(call->status, refused[i].status);
    if (strstr(call->message, refused[i].fragment) == NULL)
      fail_msg("\"%s\" does not contain \"%s\"", call->message,
               refused[i].fragment);
    call_free(call);
  }
  char inside[128], target[128], data_file[160];
  snprintf(inside, sizeof inside, "%s/copy", f->dir);
  request.dir = inside;
  rt_call_t *call = call_as(f, "Backup", admin, &request.base);
  assert_int_equal(call->status, RT_GRPC_FAILED_PRECONDITION);
  assert_non_null(strstr(call->message, "inside the data directory"));
  call_free(call);

  snprintf(target, sizeof target, "%s-backup", f->dir);
  request.dir = target;
  call = call_as(f, "Backup", admin, &request.base);
  assert_int_equal(call->status, RT_GRPC_OK);
  Rectrack__V1__BackupResponse *reply =
      rectrack__v1__backup_response__unpack(NULL, call->reply_len, call->reply);
  assert_string_equal(reply->dir, target);
  assert_true(reply->size_bytes > 0);
  rectrack__v1__backup_response__free_unpacked(reply, NULL);
  call_free(call);
  snprintf(data_file, sizeof data_file, "%s/data.mdb", target);
  assert_int_equal(access(data_file, R_OK), 0);

  /* Not twice into the same place. */
  call = call_as(f, "Backup", admin, &request.base);
  assert_int_equal(call->status, RT_GRPC_FAILED_PRECONDITION);
  assert_non_null(strstr(call->message, "exists and is not empty"));
  call_free(call);
  unlink(data_file);
  rmdir(target);
}

static Rectrack__V1__ChangeEvent *event_at(rt_call_t *call, size_t i) {
  return rectrack__v1__change_event__unpack(NULL, call->sent_len[i],
                                            call->sent[i]);
}

static void assert_revisions(rt_call_t *call, uint64_t first, size_t count) {
  for (size_t i = 0; i < count; i++) {
    Rectrack__V1__ChangeEvent *event = event_at(call, i);
    assert_non_null(event);
    assert_int_equal(event->revision, first + i);
    assert_int_equal(event->hash.len, 32);
    rectrack__v1__change_event__free_unpacked(event, NULL);
  }
}

static void test_watch_sends_backlog_then_live_in_pages(void **state) {
  fixture_t *f = *state;
  char id[32];
  for (int i = 0; i < 600; i++) { /* more than two pages of backlog */
    snprintf(id, sizeof id, "s-%d", i);
    create_source_ok(f, id);
  }
  Rectrack__V1__WatchChangesRequest request =
      RECTRACK__V1__WATCH_CHANGES_REQUEST__INIT;
  request.from_revision = 1;
  rt_call_t *watch = start(f, "WatchChanges", &request.base);
  assert_int_equal(watch->sent_count, 0); /* nothing in the handler */
  uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_true(watch->sent_count <= 256); /* one page per loop turn */
  run_until_sent(f, watch, 600);
  create_source_ok(f, "live-1");
  run_until_sent(f, watch, 601);
  assert_revisions(watch, 1, 601);
  assert_false(watch->ended);
  watch->method->cancel(watch);
  call_free(watch);
}

static void test_watch_waits_for_a_slow_client(void **state) {
  fixture_t *f = *state;
  Rectrack__V1__WatchChangesRequest request =
      RECTRACK__V1__WATCH_CHANGES_REQUEST__INIT;
  rt_call_t *watch = start(f, "WatchChanges", &request.base); /* from now */
  watch->hold_pending = true;
  watch->pending = 1 << 30; /* the client stopped reading */
  create_source_ok(f, "a");
  create_source_ok(f, "b");
  for (int i = 0; i < 10; i++)
    uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_int_equal(watch->sent_count, 0);
  assert_non_null(watch->drained); /* asked to hear about the drain */
  release_pending(watch);
  run_until_sent(f, watch, 2);
  assert_revisions(watch, 1, 2);
  watch->method->cancel(watch);
  call_free(watch);
}

static void test_drain_answers_queued_writes_and_ends_watches(void **state) {
  fixture_t *f = *state;
  Rectrack__V1__WatchChangesRequest request =
      RECTRACK__V1__WATCH_CHANGES_REQUEST__INIT;
  rt_call_t *watch = start(f, "WatchChanges", &request.base);
  rt_call_t *queued = create_source(f, "last");
  rt_tracker_drain(f->tracker, on_drained, f);
  rt_call_t *refused = create_source(f, "too-late");
  assert_int_equal(refused->status, RT_GRPC_UNAVAILABLE);
  while (f->drained == 0)
    uv_run(&f->loop, UV_RUN_ONCE);
  assert_int_equal(queued->status, RT_GRPC_OK);
  assert_true(watch->ended);
  assert_int_equal(watch->status, RT_GRPC_UNAVAILABLE);
  rt_tracker_drain(f->tracker, on_drained, f); /* again: a no-op */
  uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_int_equal(f->drained, 1);
  call_free(refused);
  call_free(queued);
  call_free(watch);
}

/* A list runs on a reader thread: it is not answered inside its handler,
 * and a GetRecommendation that another client sends after it is
 * answered first, whatever the list costs. The ordering, not a time, is
 * what is asserted. */
static void test_a_long_read_does_not_hold_up_a_get(void **state) {
  fixture_t *f = *state;
  create_source_ok(f, "idm-2023");
  Rectrack__V1__ListRecommendationsRequest list_request =
      RECTRACK__V1__LIST_RECOMMENDATIONS_REQUEST__INIT;
  list_request.page_size = 1000;
  list_request.query = (char *)"migration data";
  rt_call_t *list = start(f, "ListRecommendations", &list_request.base);
  assert_false(list->ended);
  assert_true(list->holding); /* its connection waits for its answer */
  Rectrack__V1__GetRecommendationRequest get_request =
      RECTRACK__V1__GET_RECOMMENDATION_REQUEST__INIT;
  get_request.id = (char *)"R1";
  rt_call_t *get = start(f, "GetRecommendation", &get_request.base);
  assert_true(get->ended); /* NOT_FOUND here, but answered at once */
  assert_false(list->ended);
  run_until_ended(f, list);
  assert_int_equal(list->status, RT_GRPC_OK);
  call_free(get);
  call_free(list);
}

/* A list whose call ends before a reader thread answers it is never
 * answered, and its job is freed (the sanitizers check). */
static void test_a_cancelled_list_is_never_answered(void **state) {
  fixture_t *f = *state;
  Rectrack__V1__ListSourcesRequest request =
      RECTRACK__V1__LIST_SOURCES_REQUEST__INIT;
  rt_call_t *call = start(f, "ListSources", &request.base);
  assert_false(call->ended);
  call->method->cancel(call);
  for (int i = 0; i < 20; i++)
    uv_run(&f->loop, UV_RUN_NOWAIT);
  usleep(20000);
  uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_false(call->ended);
  call_free(call);
}

static void test_server_info_counts_records(void **state) {
  fixture_t *f = *state;
  create_source_ok(f, "one");
  create_source_ok(f, "two");
  Rectrack__V1__GetServerInfoRequest request =
      RECTRACK__V1__GET_SERVER_INFO_REQUEST__INIT;
  rt_call_t *call = start(f, "GetServerInfo", &request.base);
  Rectrack__V1__ServerInfo *info =
      rectrack__v1__server_info__unpack(NULL, call->reply_len, call->reply);
  assert_non_null(info);
  assert_string_equal(info->version, RT_VERSION);
  assert_int_equal(info->revision, 2);
  assert_int_equal(info->source_count, 2);
  assert_string_equal(info->data_dir, f->dir);
  rectrack__v1__server_info__free_unpacked(info, NULL);
  call_free(call);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_a_write_is_answered_only_after_its_commit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_get_replies_with_the_stored_bytes,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_an_undecodable_request_is_invalid,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_fields_are_named_in_the_status,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_the_principal_comes_from_the_header,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_cancelled_write_is_never_answered,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_every_method_runs_through_the_dispatch, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_the_token_is_checked_before_the_request, setup, teardown),
      cmocka_unit_test_setup_teardown(test_each_method_needs_its_role, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          test_a_write_is_recorded_as_the_tokens_principal, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_a_reporter_submits_and_the_secretariat_validates, setup,
          teardown),
      cmocka_unit_test_setup_teardown(test_backup_writes_a_copy_where_it_may,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_watch_sends_backlog_then_live_in_pages, setup, teardown),
      cmocka_unit_test_setup_teardown(test_watch_waits_for_a_slow_client, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          test_drain_answers_queued_writes_and_ends_watches, setup, teardown),
      cmocka_unit_test_setup_teardown(test_server_info_counts_records, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_a_long_read_does_not_hold_up_a_get,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_cancelled_list_is_never_answered,
                                      setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
