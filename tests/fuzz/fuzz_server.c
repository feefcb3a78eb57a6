/*
 * fuzz_server: the in-process rectrackd of the fuzz targets (see
 * fuzz_server.h). The assembly follows rectrackd.c (register_tracker,
 * register_standard_services, stop) so that the fuzzed path is the
 * daemon's, and the per-input shutdown is the daemon's graceful one:
 * Tracker drained first, then the server, then everything freed and the
 * loop run until libuv let go of every handle.
 *
 * Waiting without guessing: after the input is received, the loop runs
 * until no idle handle is active (replies waiting to be flushed, a
 * WatchChanges pump) and no thread-pool request is outstanding (a review
 * step); writes in the writer's queue, and reads queued for or running on
 * the reader thread, are waited for by the drain. So the output is what
 * the server answers to the input, not what it managed to answer within
 * some time, and a run never sleeps.
 */
#include "fuzz_server.h"
#include "fuzz_methods.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "rt_auth.h"
#include "rt_grpc_std.h"
#include "rt_log.h"
#include "rt_server.h"
#include "rt_server_memory.h"
#include "rt_store.h"
#include "rt_tracker.h"

/* The loop turns one input may take to settle before it counts as a
 * server that never stops working on it. */
#define FUZZ_MAX_TURNS 100000
/* GetServerInfo reports it; fixed so that runs compare. */
#define FUZZ_STARTED_MS INT64_C(1767225600000) /* 2026-01-01 */

static struct {
  bool ready;
  uv_loop_t loop;
  char dir[256];
  char store_dir[300];
  char tokens_path[300];
  rt_auth_t *auth;
  rt_store_t *store;
  /* Reflection, made once: indexing the descriptor set costs more than
   * the rest of an input. It lists the services of catalog, a server that
   * never runs, with every path rectrackd routes registered. */
  rt_server_t *catalog;
  rt_reflection_t *reflection;
  uint64_t seeded_revision; /* the store's revision once seeded */
} fuzz;

void fuzz_fail(const char *format, ...) {
  va_list args;

  fprintf(stderr, "fuzz finding: ");
  va_start(args, format);
  vfprintf(stderr, format, args);
  va_end(args);
  fputc('\n', stderr);
  abort();
}

/* ---- the process: scratch directory, tokens, store ---------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

static void remove_tree(const char *path) {
  nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void cleanup_at_exit(void) {
  if (fuzz.catalog != NULL) {
    rt_server_free(fuzz.catalog);
    uv_run(&fuzz.loop, UV_RUN_DEFAULT);
    fuzz.catalog = NULL;
  }
  rt_reflection_free(fuzz.reflection);
  fuzz.reflection = NULL;
  rt_store_close(fuzz.store);
  fuzz.store = NULL;
  rt_auth_free(fuzz.auth);
  fuzz.auth = NULL;
  if (fuzz.dir[0] != '\0')
    remove_tree(fuzz.dir);
}

/* /dev/shm when it is writable (commits sync nothing on tmpfs), else
 * TMPDIR or /tmp; RT_FUZZ_SCRATCH overrides. */
static const char *scratch_parent(void) {
  const char *chosen = getenv("RT_FUZZ_SCRATCH");

  if (chosen != NULL && chosen[0] != '\0')
    return chosen;
  if (access("/dev/shm", W_OK) == 0)
    return "/dev/shm";
  chosen = getenv("TMPDIR");
  return chosen != NULL && chosen[0] != '\0' ? chosen : "/tmp";
}

static void write_tokens_file(void) {
  const struct {
    const char *token, *principal, *role;
  } tokens[] = {
      {FUZZ_SECRETARIAT_TOKEN, FUZZ_SECRETARIAT_PRINCIPAL, "secretariat"},
      {FUZZ_READER_TOKEN, FUZZ_READER_PRINCIPAL, "reader"},
      {FUZZ_REPORTER_TOKEN, FUZZ_REPORTER_PRINCIPAL, "reporter " FUZZ_ACTOR_ID},
      {FUZZ_ADMIN_TOKEN, FUZZ_ADMIN_PRINCIPAL, "admin"}};
  rt_error_t err = {0};
  FILE *file;

  snprintf(fuzz.tokens_path, sizeof fuzz.tokens_path, "%s/tokens", fuzz.dir);
  file = fopen(fuzz.tokens_path, "w");
  if (file == NULL)
    fuzz_fail("cannot write %s", fuzz.tokens_path);
  for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
    char hex[RT_AUTH_HASH_HEX_LEN + 1];
    rt_auth_token_hash_hex(tokens[i].token, strlen(tokens[i].token), hex);
    fprintf(file, "%s %s %s\n", hex, tokens[i].principal, tokens[i].role);
  }
  fclose(file);
  chmod(fuzz.tokens_path, 0600);
  if (rt_auth_load(&fuzz.auth, fuzz.tokens_path, &err) != 0)
    fuzz_fail("tokens file: %s", err.message);
}

static uint64_t store_revision(void);

/* Applies one op as the secretariat (or, reporting, as the reporter);
 * the seed must succeed and, when id is given, be given that id (the
 * corpus refers to it). */
static void seed_as(bool reporting, rt_op_kind_t kind,
                    const ProtobufCMessage *message,
                    const ProtobufCMessageDescriptor *reply_type,
                    const char *id) {
  static const char *const reporter_actors[] = {FUZZ_ACTOR_ID};
  rt_write_op_t op = {.kind = kind,
                      .principal = FUZZ_SECRETARIAT_PRINCIPAL,
                      .message = message,
                      .now_ms = FUZZ_STARTED_MS};
  rt_error_t err = {0};

  if (reporting) {
    op.principal = FUZZ_REPORTER_PRINCIPAL;
    op.role = RT_WRITE_ROLE_REPORTER;
    op.actors = reporter_actors;
    op.n_actors = 1;
  }

  if (rt_store_apply(fuzz.store, &op, 1, &err) != 0 || op.result != 0)
    fuzz_fail("seeding the store: %s",
              err.message[0] ? err.message : op.error.message);
  if (id != NULL) {
    ProtobufCMessage *reply =
        protobuf_c_message_unpack(reply_type, NULL, op.reply_len, op.reply);
    const ProtobufCFieldDescriptor *field =
        protobuf_c_message_descriptor_get_field_by_name(reply_type, "id");
    const char *got =
        reply ? *(char **)((char *)reply + field->offset) : "(undecodable)";
    if (strcmp(got, id) != 0)
      fuzz_fail("seeding the store: expected id %s, got %s", id, got);
    protobuf_c_message_free_unpacked(reply, NULL);
  }
  rt_write_ops_release(&op, 1);
}

static void seed(rt_op_kind_t kind, const ProtobufCMessage *message,
                 const ProtobufCMessageDescriptor *reply_type, const char *id) {
  seed_as(false, kind, message, reply_type, id);
}

static void seed_records(void) {
  Rectrack__V1__Source source = RECTRACK__V1__SOURCE__INIT;
  source.id = FUZZ_SOURCE_ID;
  source.title = "Fuzzing dialogue";
  source.kind = RECTRACK__V1__SOURCE_KIND__SOURCE_KIND_DIALOGUE;
  source.date = "2025-05-16";
  seed(RT_OP_CREATE_SOURCE, &source.base, NULL, NULL);

  Rectrack__V1__Actor actor = RECTRACK__V1__ACTOR__INIT;
  actor.id = FUZZ_ACTOR_ID;
  actor.name = "Fuzzland";
  actor.kind = RECTRACK__V1__ACTOR_KIND__ACTOR_KIND_MEMBER_STATE;
  actor.country = "BGD";
  seed(RT_OP_CREATE_ACTOR, &actor.base, NULL, NULL);

  char *sdg[] = {"10.c"};
  int32_t gcm[] = {20};
  char *addressed[] = {FUZZ_ACTOR_ID};
  Rectrack__V1__Recommendation rec = RECTRACK__V1__RECOMMENDATION__INIT;
  rec.source_id = FUZZ_SOURCE_ID;
  rec.source_ref = "4.5 #2";
  rec.title = "Lower remittance costs";
  rec.text = "Bring costs below 3 per cent.";
  rec.theme = "remittances";
  rec.n_sdg_targets = 1;
  rec.sdg_targets = sdg;
  rec.n_gcm_objectives = 1;
  rec.gcm_objectives = gcm;
  rec.n_addressed_to = 1;
  rec.addressed_to = addressed;
  rec.due_date = "2027-12-31";
  seed(RT_OP_CREATE_RECOMMENDATION, &rec.base,
       &rectrack__v1__recommendation__descriptor, FUZZ_RECOMMENDATION_ID);

  char *answers[] = {FUZZ_RECOMMENDATION_ID};
  Rectrack__V1__Indicator indicator = RECTRACK__V1__INDICATOR__INIT;
  indicator.name = "Average cost of sending 200 USD";
  indicator.unit = "per cent";
  indicator.baseline_value = 6.5;
  indicator.baseline_date = "2020-01-01";
  indicator.target_value = 3;
  indicator.target_date = "2030-01-01";
  indicator.direction = RECTRACK__V1__DIRECTION__DIRECTION_DECREASE;
  Rectrack__V1__Commitment com = RECTRACK__V1__COMMITMENT__INIT;
  com.actor_id = FUZZ_ACTOR_ID;
  com.n_recommendation_ids = 1;
  com.recommendation_ids = answers;
  com.source_id = FUZZ_SOURCE_ID;
  com.title = "Cut remittance costs";
  com.kind = RECTRACK__V1__COMMITMENT_KIND__COMMITMENT_KIND_QUANTIFIED_TARGET;
  com.made_on = "2025-05-16";
  com.indicator = &indicator;
  seed(RT_OP_CREATE_COMMITMENT, &com.base,
       &rectrack__v1__commitment__descriptor, FUZZ_COMMITMENT_ID);

  Rectrack__V1__FollowUp follow_up = RECTRACK__V1__FOLLOW_UP__INIT;
  follow_up.subject_id = FUZZ_RECOMMENDATION_ID;
  follow_up.status = RECTRACK__V1__STATUS__STATUS_IN_PROGRESS;
  follow_up.note = "Pilot corridor opened.";
  follow_up.reported_by = FUZZ_ACTOR_ID;
  follow_up.as_of = "2025-09-30";
  seed(RT_OP_RECORD_FOLLOW_UP, &follow_up.base, NULL, NULL);

  Rectrack__V1__Measurement measurement = RECTRACK__V1__MEASUREMENT__INIT;
  measurement.commitment_id = FUZZ_COMMITMENT_ID;
  measurement.value = 5.9;
  measurement.as_of = "2025-06-30";
  measurement.source = "Remittance Prices Worldwide";
  seed(RT_OP_RECORD_MEASUREMENT, &measurement.base, NULL, NULL);

  Rectrack__V1__FollowUp submission = RECTRACK__V1__FOLLOW_UP__INIT;
  submission.subject_id = FUZZ_RECOMMENDATION_ID;
  submission.status = RECTRACK__V1__STATUS__STATUS_PARTIALLY_IMPLEMENTED;
  submission.note = "Second corridor opened.";
  submission.reported_by = FUZZ_ACTOR_ID;
  submission.as_of = "2025-11-30";
  seed_as(true, RT_OP_RECORD_FOLLOW_UP, &submission.base, NULL, NULL);
  if (store_revision() != FUZZ_SUBMISSION_REVISION)
    fuzz_fail("seeding the store: the submission is at revision %llu, "
              "FUZZ_SUBMISSION_REVISION says %d",
              (unsigned long long)store_revision(), FUZZ_SUBMISSION_REVISION);
}

static uint64_t store_revision(void) {
  rt_store_reader_t *reader;
  rt_error_t err = {0};
  uint64_t revision;

  if (rt_store_reader_begin(fuzz.store, &reader, &err) != 0)
    fuzz_fail("reading the store: %s", err.message);
  revision = rt_store_revision(reader);
  rt_store_reader_end(reader);
  return revision;
}

/* A new, seeded store in store_dir (the old one removed). */
static void fresh_store(void) {
  rt_error_t err = {0};

  rt_store_close(fuzz.store);
  fuzz.store = NULL;
  remove_tree(fuzz.store_dir);
  if (rt_store_open(&fuzz.store, fuzz.store_dir, NULL, &err) != 0)
    fuzz_fail("opening %s: %s", fuzz.store_dir, err.message);
  seed_records();
  fuzz.seeded_revision = store_revision();
}

static void never_called(rt_call_t *call, const uint8_t *request, size_t len) {
  (void)request;
  (void)len;
  rt_call_fail(call, RT_GRPC_INTERNAL, "the catalog serves no calls");
}

/* The catalog server and the reflection service that lists it. */
static void start_reflection(void) {
  rt_method_t methods[64];
  size_t count = fuzz_method_count();
  rt_error_t err = {0};
  int rc;

  if (count > sizeof methods / sizeof methods[0])
    fuzz_fail("%zu methods: make the catalog bigger", count);
  for (size_t i = 0; i < count; i++)
    methods[i] = (rt_method_t){.path = fuzz_method(i)->path,
                               .type = RT_METHOD_UNARY,
                               .handle = never_called};
  rc = rt_server_new(&fuzz.catalog, &fuzz.loop, NULL, &err);
  if (rc == 0)
    rc = rt_server_add_methods(fuzz.catalog, methods, count, &err);
  if (rc == 0)
    rc = rt_reflection_new(&fuzz.reflection, fuzz.catalog, rt_descriptor_set,
                           rt_descriptor_set_len, &err);
  if (rc != 0)
    fuzz_fail("starting reflection: %s", err.message);
}

void fuzz_server_setup(void) {
  if (fuzz.ready)
    return;
  rt_log_set_level(RT_LOG_ERROR);
  snprintf(fuzz.dir, sizeof fuzz.dir, "%s/rt-fuzz-XXXXXX", scratch_parent());
  if (mkdtemp(fuzz.dir) == NULL)
    fuzz_fail("cannot create a scratch directory %s", fuzz.dir);
  atexit(cleanup_at_exit);
  snprintf(fuzz.store_dir, sizeof fuzz.store_dir, "%s/data", fuzz.dir);
  write_tokens_file();
  fresh_store();
  uv_loop_init(&fuzz.loop);
  start_reflection();
  fuzz.ready = true;
}

/* ---- one input ---------------------------------------------------------- */

typedef struct services {
  rt_server_t *server;
  rt_tracker_t *tracker;
  rt_health_t *health;
  bool tracker_drained;
  bool server_done;
} services_t;

/* rectrackd's register_tracker and register_standard_services. */
static void start_services(services_t *services,
                           const fuzz_run_options_t *options) {
  rt_server_options_t server_options;
  rt_error_t err = {0};
  const rt_method_t *methods;
  size_t count;
  int rc;

  rt_server_options_init(&server_options);
  rc = rt_server_new(&services->server, &fuzz.loop, &server_options, &err);
  rt_tracker_options_t tracker_options = {
      .data_dir = fuzz.store_dir,
      .started_ms = FUZZ_STARTED_MS,
      .max_reply_bytes = server_options.max_message_bytes,
      /* One reader thread runs every read job as rectrackd's pool does;
       * each more would only cost another thread start per input. */
      .reader_threads = 1,
      .auth = options->open_api ? NULL : fuzz.auth,
  };
  if (rc == 0)
    rc = rt_tracker_new(&services->tracker, &fuzz.loop, fuzz.store,
                        &tracker_options, &err);
  if (rc == 0) {
    methods = rt_tracker_methods(services->tracker, &count);
    rc = rt_server_add_methods(services->server, methods, count, &err);
  }
  if (rc == 0)
    rc = rt_health_new(&services->health, &err);
  if (rc == 0)
    rc = rt_health_add_service(services->health, "rectrack.v1.Tracker");
  if (rc == 0) {
    methods = rt_health_methods(services->health, &count);
    rc = rt_server_add_methods(services->server, methods, count, &err);
  }
  if (rc == 0)
    rc = rt_server_add_drain_hook(services->server, rt_health_drain,
                                  services->health);
  if (rc == 0) {
    methods = rt_reflection_methods(fuzz.reflection, &count);
    rc = rt_server_add_methods(services->server, methods, count, &err);
  }
  if (rc != 0)
    fuzz_fail("starting the services: %s",
              err.message[0] ? err.message : rt_strerror(rc));
}

static void find_active_idle(uv_handle_t *handle, void *arg) {
  if (handle->type == UV_IDLE && uv_is_active(handle))
    *(bool *)arg = true;
}

/* Runs the loop until nothing is left to do now: no active idle handle
 * (a flush, a WatchChanges turn) and no thread-pool request in flight
 * (a review step; libuv counts those in active_reqs). */
static void settle(void) {
  for (int turn = 0; turn < FUZZ_MAX_TURNS; turn++) {
    bool idle_active = false;
    uv_run(&fuzz.loop, UV_RUN_NOWAIT);
    uv_walk(&fuzz.loop, find_active_idle, &idle_active);
    if (idle_active)
      continue;
    if (fuzz.loop.active_reqs.count == 0)
      return;
    uv_run(&fuzz.loop, UV_RUN_ONCE); /* until the thread pool answers */
  }
  fuzz_fail("the server was still busy after %d loop turns", FUZZ_MAX_TURNS);
}

static void on_tracker_drained(void *data) {
  ((services_t *)data)->tracker_drained = true;
}

static void on_server_done(rt_server_t *server, void *data) {
  (void)server;
  ((services_t *)data)->server_done = true;
}

/* The daemon's graceful shutdown, with no grace left for calls that wait
 * for more of the input than it had: the Tracker drains (queued writes
 * are committed and answered, WatchChanges streams end), the answers are
 * flushed, then the server closes the connection and everything is
 * released. */
static void stop_services(services_t *services) {
  rt_tracker_drain(services->tracker, on_tracker_drained, services);
  while (!services->tracker_drained)
    uv_run(&fuzz.loop, UV_RUN_ONCE);
  settle();
  rt_server_shutdown(services->server, 0, on_server_done, services);
  while (!services->server_done)
    uv_run(&fuzz.loop, UV_RUN_ONCE);
  rt_server_free(services->server);
  rt_tracker_free(services->tracker);
  rt_health_free(services->health);
  uv_run(&fuzz.loop, UV_RUN_DEFAULT);
}

void (*fuzz_outcome_observer)(const char *outcome);

void fuzz_report_outcome(const fuzz_h2_reader_t *reader) {
  char outcome[1024] = "NONE";
  size_t used = 0;

  if (fuzz_outcome_observer == NULL)
    return;
  for (size_t i = 0; i < reader->stream_count && used < sizeof outcome; i++) {
    char one[64];
    fuzz_h2_stream_outcome(&reader->streams[i], one, sizeof one);
    used += (size_t)snprintf(outcome + used, sizeof outcome - used, "%s%s",
                             i > 0 ? "+" : "", one);
  }
  fuzz_outcome_observer(outcome);
}

int fuzz_server_run(const fuzz_run_options_t *options, const uint8_t *input,
                    size_t len, fuzz_h2_reader_t *reader) {
  services_t services = {0};
  rt_server_conn_t *conn;

  fuzz_server_setup();
  start_services(&services, options);
  if (rt_server_attach_memory_connection(
          services.server, fuzz_h2_reader_collect, reader, &conn) != 0)
    fuzz_fail("cannot attach a memory connection");
  (void)rt_server_conn_receive(conn, input, len); /* errors close it */
  settle();
  stop_services(&services);
  if (store_revision() - fuzz.seeded_revision >= FUZZ_STORE_RESET_CHANGES)
    fresh_store();
  return fuzz_h2_reader_parse(reader);
}
