/*
 * Tests for rt_dataset_load: the batches it plans for a parsed import
 * file, the items it skips, and how it books a writer's answers.
 *
 * The writer here is a small stand-in for a store or a server: it numbers
 * recommendations and commitments (R1, C1, ...), answers with the packed
 * records the API defines, remembers request ids so that a second run is
 * a replay, and can refuse an item or answer without an id on demand.
 *
 * Run with a group name (batches, skips, subjects, booking, counts) to
 * run one group, as ctest does; without one, all run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_fixture.h"
#include "rt_dataset_load.h"

#define MAX_WRITES 64

/* ---- the stand-in writer ------------------------------------------------ */

typedef struct writer {
  /* what it holds: request id -> the id and revision it answered with */
  char *request_ids[MAX_WRITES];
  char *server_ids[MAX_WRITES];
  uint64_t revisions[MAX_WRITES];
  size_t held;
  uint64_t revision; /* of the newest write */
  unsigned recommendations, commitments;
  bool like_server;   /* answers WRITTEN, never NEW or REPLAYED */
  const char *refuse; /* path of an item it refuses, or NULL */
  const char *exists; /* id of a source or actor it has from elsewhere */
  const char *no_id;  /* path of an item it answers without an id */
  char log[2048];     /* the paths it wrote, in order, space-separated */
} writer_t;

static void writer_close(writer_t *w) {
  for (size_t i = 0; i < w->held; i++) {
    free(w->request_ids[i]);
    free(w->server_ids[i]);
  }
}

static uint8_t *pack(const ProtobufCMessage *record, size_t *len) {
  *len = protobuf_c_message_get_packed_size(record);
  uint8_t *bytes = malloc(*len + 1);
  assert_non_null(bytes);
  protobuf_c_message_pack(record, bytes);
  return bytes;
}

/* The record a writer answers item with, packed: its kind's message
 * (the measured commitment for a measurement) with id and revision. */
static uint8_t *reply_for(const rt_dataset_item_t *item, const char *id,
                          uint64_t revision, size_t *len) {
  union {
    ProtobufCMessage base;
    Rectrack__V1__Source source;
    Rectrack__V1__Actor actor;
    Rectrack__V1__Recommendation recommendation;
    Rectrack__V1__Commitment commitment;
    Rectrack__V1__FollowUp follow_up;
    Rectrack__V1__Theme theme;
    Rectrack__V1__DimensionKey dimension_key;
  } record;
  char **id_field = NULL;
  uint64_t *revision_field = NULL;
  switch (item->kind) {
  case RT_DATASET_SOURCE:
    rectrack__v1__source__init(&record.source);
    id_field = &record.source.id;
    revision_field = &record.source.revision;
    break;
  case RT_DATASET_ACTOR:
    rectrack__v1__actor__init(&record.actor);
    id_field = &record.actor.id;
    revision_field = &record.actor.revision;
    break;
  case RT_DATASET_RECOMMENDATION:
    rectrack__v1__recommendation__init(&record.recommendation);
    id_field = &record.recommendation.id;
    revision_field = &record.recommendation.revision;
    break;
  case RT_DATASET_MEASUREMENT:
    id = item->request.measurement->commitment_id;
    /* FALLTHROUGH */
  case RT_DATASET_COMMITMENT:
    rectrack__v1__commitment__init(&record.commitment);
    id_field = &record.commitment.id;
    revision_field = &record.commitment.revision;
    break;
  case RT_DATASET_FOLLOW_UP:
    rectrack__v1__follow_up__init(&record.follow_up);
    revision_field = &record.follow_up.revision;
    break;
  case RT_DATASET_THEME:
    rectrack__v1__theme__init(&record.theme);
    id_field = &record.theme.id;
    revision_field = &record.theme.revision;
    break;
  case RT_DATASET_DIMENSION_KEY:
    rectrack__v1__dimension_key__init(&record.dimension_key);
    id_field = &record.dimension_key.key;
    revision_field = &record.dimension_key.revision;
    break;
  }
  if (id_field != NULL)
    *id_field = (char *)id;
  *revision_field = revision;
  return pack(&record.base, len);
}

/* Writes one item; returns the answer and sets *reply (free with free). */
static rt_dataset_answer_t writer_write(writer_t *w,
                                        const rt_dataset_item_t *item,
                                        uint8_t **reply, size_t *reply_len) {
  *reply = NULL;
  *reply_len = 0;
  bool named = item->kind == RT_DATASET_SOURCE ||
               item->kind == RT_DATASET_ACTOR ||
               rt_dataset_is_reference_kind(item->kind);
  if (w->refuse != NULL && strcmp(item->path, w->refuse) == 0)
    return RT_DATASET_ANSWER_FAILED;
  if (named && w->exists != NULL && strcmp(item->key, w->exists) == 0)
    return RT_DATASET_ANSWER_EXISTS;
  for (size_t i = 0; i < w->held; i++) {
    if (strcmp(w->request_ids[i], item->request_id) == 0) {
      *reply = reply_for(item, w->server_ids[i], w->revisions[i], reply_len);
      return w->like_server ? RT_DATASET_ANSWER_WRITTEN
                            : RT_DATASET_ANSWER_REPLAYED;
    }
  }
  char id[32] = "";
  if (named)
    snprintf(id, sizeof id, "%s", item->key);
  else if (item->kind == RT_DATASET_RECOMMENDATION)
    snprintf(id, sizeof id, "R%u", ++w->recommendations);
  else if (item->kind == RT_DATASET_COMMITMENT)
    snprintf(id, sizeof id, "C%u", ++w->commitments);
  if (w->no_id != NULL && strcmp(item->path, w->no_id) == 0)
    id[0] = '\0';
  assert_true(w->held < MAX_WRITES);
  w->request_ids[w->held] = strdup(item->request_id);
  w->server_ids[w->held] = strdup(id);
  w->revisions[w->held] = ++w->revision;
  w->held++;
  size_t used = strlen(w->log);
  snprintf(w->log + used, sizeof w->log - used, "%s%s", used ? " " : "",
           item->path);
  *reply = reply_for(item, id, w->revision, reply_len);
  return w->like_server ? RT_DATASET_ANSWER_WRITTEN : RT_DATASET_ANSWER_NEW;
}

/* ---- the fixture: a dataset, its load and a writer ---------------------- */

typedef struct fixture {
  rt_dataset_t *ds;
  rt_dataset_load_t *load;
  writer_t writer;
  /* The steps of run_to_end: "B3" for a batch of 3, "S:path" for a
   * skipped item, space-separated. */
  char trace[256];
} fixture_t;

static int fixture_setup(void **state) {
  *state = calloc(1, sizeof(fixture_t));
  return *state ? 0 : -1;
}

/* Frees the load and the dataset; the writer stays, so that a second
 * load writes to what the first one left. */
static void fixture_reset(fixture_t *f) {
  rt_dataset_load_free(f->load);
  rt_dataset_free(f->ds);
  f->load = NULL;
  f->ds = NULL;
}

static int fixture_teardown(void **state) {
  fixture_t *f = *state;
  fixture_reset(f);
  writer_close(&f->writer);
  free(f);
  return 0;
}

/* Starts a load of doc under policy. doc is written with ' for " (easier
 * to read here); NULL stands for good.json. */
static void start(fixture_t *f, const char *doc,
                  const rt_dataset_load_policy_t *policy) {
  fixture_reset(f);
  if (doc == NULL) {
    f->ds = parse_good();
  } else {
    char *json = strdup(doc);
    assert_non_null(json);
    for (char *c = json; *c; c++)
      if (*c == '\'')
        *c = '"';
    f->ds = parse_text(json);
    free(json);
  }
  rt_error_t err;
  assert_int_equal(rt_dataset_load_new(f->ds, policy, &f->load, &err), 0);
}

static rt_dataset_item_t *item(fixture_t *f, size_t index) {
  return rt_dataset_item(f->ds, index);
}

/* Plans the next step, which must be of the given kind. */
static rt_dataset_step_t next_step(fixture_t *f, rt_dataset_step_kind_t kind) {
  rt_dataset_step_t step;
  rt_error_t err;
  assert_int_equal(rt_dataset_load_next(f->load, &step, &err), 0);
  assert_int_equal(step.kind, kind);
  return step;
}

/* Writes slot of the current batch and books the answer; returns what
 * booking returned. */
static int write_slot(fixture_t *f, const rt_dataset_step_t *step, size_t slot,
                      rt_dataset_outcome_t *outcome, rt_error_t *err) {
  uint8_t *reply;
  size_t reply_len;
  rt_dataset_answer_t answer =
      writer_write(&f->writer, item(f, step->items[slot]), &reply, &reply_len);
  int rc = rt_dataset_load_book(f->load, slot, answer, reply, reply_len,
                                outcome, err);
  free(reply);
  return rc;
}

/* Writes and books a whole batch; booking fails only for the item the
 * writer answers without an id. */
static void write_batch(fixture_t *f, const rt_dataset_step_t *step) {
  for (size_t slot = 0; slot < step->len; slot++) {
    const char *path = item(f, step->items[slot])->path;
    bool broken = f->writer.no_id && strcmp(path, f->writer.no_id) == 0;
    rt_error_t err;
    assert_int_equal(write_slot(f, step, slot, NULL, &err),
                     broken ? RT_ECORRUPT : 0);
  }
}

/* Runs the load to its end, keeping the steps in f->trace. */
static void run_to_end(fixture_t *f) {
  f->trace[0] = '\0';
  for (;;) {
    rt_dataset_step_t step;
    rt_error_t err;
    assert_int_equal(rt_dataset_load_next(f->load, &step, &err), 0);
    if (step.kind == RT_DATASET_STEP_DONE)
      return;
    size_t used = strlen(f->trace);
    const char *space = used ? " " : "";
    if (step.kind == RT_DATASET_STEP_SKIP)
      snprintf(f->trace + used, sizeof f->trace - used, "%sS:%s", space,
               item(f, step.item)->path);
    else
      snprintf(f->trace + used, sizeof f->trace - used, "%sB%zu", space,
               step.len);
    if (step.kind == RT_DATASET_STEP_BATCH)
      write_batch(f, &step);
  }
}

static const rt_dataset_load_policy_t store_policy = {
    .max_batch = 100, .same_subject_in_batch = true};
static const rt_dataset_load_policy_t server_policy = {
    .max_batch = 32, .existing_counts_as_present = true};

/* ---- batches ------------------------------------------------------------ */

/* A commitment on a recommendation of the file, follow-ups on both: each
 * waits for the batch that creates what it names, and is sent with the
 * server id, not the key. */
static void test_items_wait_for_ids_created_in_an_earlier_batch(void **state) {
  fixture_t *f = *state;
  start(f,
        "{'format': 'rectrack-import/1',"
        " 'recommendations': [{'key': 'r1', 'source_id': 's', 'title': 't'}],"
        " 'commitments': [{'key': 'c1', 'actor_id': 'a', 'title': 't',"
        "   'kind': 'policy', 'recommendations': ['r1']}],"
        " 'follow_ups': ["
        "   {'subject': 'c1', 'status': 'stalled', 'as_of': '2024-01-01'},"
        "   {'subject': 'r1', 'status': 'stalled', 'as_of': '2024-01-01'}]}",
        &store_policy);
  rt_dataset_step_t step = next_step(f, RT_DATASET_STEP_BATCH);
  assert_int_equal(step.len, 1); /* the commitment waits for r1's id */
  assert_int_equal(step.items[0], 0);
  write_batch(f, &step);
  assert_string_equal(item(f, 0)->server_id, "R1");

  step = next_step(f, RT_DATASET_STEP_BATCH);
  assert_int_equal(step.len, 1); /* the follow-up on c1 waits */
  assert_int_equal(step.items[0], 1);
  assert_string_equal(
      item(f, 1)->request.commitment->commitment->recommendation_ids[0], "R1");
  write_batch(f, &step);

  step = next_step(f, RT_DATASET_STEP_BATCH);
  assert_int_equal(step.len, 2);
  assert_string_equal(item(f, 2)->request.follow_up->follow_up->subject_id,
                      "C1");
  assert_string_equal(item(f, 3)->request.follow_up->follow_up->subject_id,
                      "R1");
  write_batch(f, &step);

  next_step(f, RT_DATASET_STEP_DONE);
  next_step(f, RT_DATASET_STEP_DONE); /* the end stays the end */
  assert_string_equal(f->writer.log,
                      "recommendations[0] commitments[0] follow_ups[0] "
                      "follow_ups[1]");
}

static void test_batches_hold_at_most_max_batch_items(void **state) {
  fixture_t *f = *state;
  rt_dataset_load_policy_t policy = store_policy;
  policy.max_batch = 2;
  start(f, NULL, &policy);
  run_to_end(f);
  /* 2 actors | source, rec | rec (the first commitment waits for it) |
   * 2 commitments | then two at a time. */
  assert_string_equal(f->trace, "B2 B2 B1 B2 B2 B2 B2 B1");
  assert_int_equal(rt_dataset_load_total(f->load).created,
                   rt_dataset_count(f->ds));
}

/* Records are tagged with a theme by its id, not by a reference: a
 * writer that runs a batch concurrently gets the themes in a batch of
 * their own, before the records; one that applies a batch in order takes
 * them together. A theme that exists counts as present, like an actor. */
static void test_themes_go_before_and_apart_from_records(void **state) {
  fixture_t *f = *state;
  static const char text[] =
      "{'format': 'rectrack-import/1',"
      " 'recommendations': [{'key': 'r1', 'source_id': 's', 'title': 't',"
      "   'theme': 'fairs'}],"
      " 'themes': [{'id': 'fairs', 'title': 'Recruitment fairs'},"
      "   {'id': 'visas', 'title': 'Visas'}]}";
  start(f, text, &server_policy);
  assert_int_equal(item(f, 0)->kind, RT_DATASET_THEME);
  assert_int_equal(item(f, 2)->kind, RT_DATASET_RECOMMENDATION);
  f->writer.exists = "visas";
  run_to_end(f);
  assert_string_equal(f->trace, "B2 B1");
  assert_string_equal(item(f, 0)->server_id, "fairs");
  assert_string_equal(item(f, 1)->server_id, "visas");
  rt_dataset_tally_t themes = rt_dataset_load_tally(f->load, RT_DATASET_THEME);
  assert_int_equal(themes.created, 1);
  assert_int_equal(themes.present, 1);
  assert_int_equal(rt_dataset_load_total(f->load).created, 2);
  writer_close(&f->writer); /* a fresh store */
  memset(&f->writer, 0, sizeof f->writer);
  start(f, text, &store_policy);
  run_to_end(f);
  assert_string_equal(f->trace, "B3");
}

static void test_misuse_is_refused(void **state) {
  fixture_t *f = *state;
  rt_dataset_load_t *load = NULL;
  rt_error_t err;
  rt_dataset_load_policy_t policy = store_policy;
  policy.max_batch = 0;
  start(f, NULL, &store_policy);
  assert_int_equal(rt_dataset_load_new(f->ds, &policy, &load, &err), RT_EINVAL);
  assert_null(load);
  assert_int_equal(rt_dataset_load_new(NULL, &store_policy, &load, &err),
                   RT_EINVAL);
  rt_dataset_load_free(NULL);

  assert_int_equal(rt_dataset_load_book(f->load, 0, RT_DATASET_ANSWER_FAILED,
                                        NULL, 0, NULL, &err),
                   RT_EINVAL); /* nothing planned yet */
  rt_dataset_step_t step = next_step(f, RT_DATASET_STEP_BATCH);
  assert_int_equal(step.len, 5); /* actors, source, recommendations */
  assert_int_equal(rt_dataset_load_next(f->load, &step, &err), RT_EINVAL);
  assert_non_null(strstr(err.message, "5 item(s)"));
  assert_int_equal(rt_dataset_load_book(f->load, 5, RT_DATASET_ANSWER_FAILED,
                                        NULL, 0, NULL, &err),
                   RT_EINVAL);
  assert_int_equal(rt_dataset_load_book(f->load, 0, (rt_dataset_answer_t)0,
                                        NULL, 0, NULL, &err),
                   RT_EINVAL);
  assert_int_equal(rt_dataset_load_book(f->load, 0, RT_DATASET_ANSWER_FAILED,
                                        NULL, 0, NULL, &err),
                   0);
  assert_int_equal(rt_dataset_load_book(f->load, 0, RT_DATASET_ANSWER_FAILED,
                                        NULL, 0, NULL, &err),
                   RT_EINVAL);
  assert_non_null(strstr(err.message, "booked already"));
  assert_int_equal(rt_dataset_load_tally(f->load, RT_DATASET_ACTOR).failed, 1);
  assert_int_equal(rt_dataset_load_tally(f->load, (rt_dataset_kind_t)99).failed,
                   0);
}

/* ---- skips -------------------------------------------------------------- */

static const char failing_doc[] =
    "{'format': 'rectrack-import/1',"
    " 'recommendations': ["
    "   {'key': 'ok-1', 'source_id': 's', 'title': 'fine'},"
    "   {'key': 'bad-1', 'source_id': 's', 'title': 'refused'}],"
    " 'commitments': [{'key': 'c1', 'actor_id': 'a', 'title': 't',"
    "   'kind': 'policy', 'recommendations': ['bad-1']}],"
    " 'follow_ups': ["
    "   {'subject': 'bad-1', 'status': 'stalled', 'as_of': '2024-01-01'},"
    "   {'subject': 'ok-1', 'status': 'stalled', 'as_of': '2024-01-01'}]}";

/* An item whose reference names an item that failed is skipped with the
 * reference in the reason, counted as failed, and the walk goes on. */
static void test_a_reference_that_never_resolves_is_skipped(void **state) {
  fixture_t *f = *state;
  f->writer.refuse = "recommendations[1]";
  start(f, failing_doc, &store_policy);
  rt_dataset_step_t step = next_step(f, RT_DATASET_STEP_BATCH);
  assert_int_equal(step.len, 2);
  write_batch(f, &step);
  assert_null(item(f, 1)->server_id);

  step = next_step(f, RT_DATASET_STEP_SKIP);
  assert_int_equal(step.item, 2);
  assert_int_equal(step.reason.code, RT_ENOTFOUND);
  assert_string_equal(step.reason.message,
                      "commitments[0].recommendations[0]: \"bad-1\" "
                      "(recommendations[1]) has not been created yet");
  step = next_step(f, RT_DATASET_STEP_SKIP);
  assert_int_equal(step.item, 3);
  assert_non_null(strstr(step.reason.message, "follow_ups[0].subject"));

  step = next_step(f, RT_DATASET_STEP_BATCH);
  assert_int_equal(step.len, 1);
  assert_int_equal(step.items[0], 4);
  write_batch(f, &step);
  next_step(f, RT_DATASET_STEP_DONE);

  rt_dataset_tally_t recs =
      rt_dataset_load_tally(f->load, RT_DATASET_RECOMMENDATION);
  assert_int_equal(recs.created, 1);
  assert_int_equal(recs.failed, 1);
  assert_int_equal(rt_dataset_load_tally(f->load, RT_DATASET_COMMITMENT).failed,
                   1);
  rt_dataset_tally_t follow_ups =
      rt_dataset_load_tally(f->load, RT_DATASET_FOLLOW_UP);
  assert_int_equal(follow_ups.created, 1);
  assert_int_equal(follow_ups.failed, 1);
  assert_int_equal(rt_dataset_load_total(f->load).failed, 3);
}

/* A reply without an id is an error the caller hears of; the item it
 * answered counts as written, but what refers to it is skipped. */
static void
test_a_reply_without_an_id_leaves_its_dependents_skipped(void **state) {
  fixture_t *f = *state;
  f->writer.no_id = "recommendations[1]";
  start(f, failing_doc, &store_policy);
  rt_dataset_step_t step = next_step(f, RT_DATASET_STEP_BATCH);
  rt_error_t err;
  assert_int_equal(write_slot(f, &step, 0, NULL, &err), 0);
  assert_int_equal(write_slot(f, &step, 1, NULL, &err), RT_ECORRUPT);
  assert_string_equal(err.message,
                      "recommendations[1]: the reply carries no id");
  assert_int_equal(
      rt_dataset_load_tally(f->load, RT_DATASET_RECOMMENDATION).created, 2);
  step = next_step(f, RT_DATASET_STEP_SKIP);
  assert_int_equal(step.item, 2);

  /* A reply that is no record at all. */
  start(f, failing_doc, &store_policy);
  step = next_step(f, RT_DATASET_STEP_BATCH);
  static const uint8_t garbage[] = {0xff, 0xff, 0xff};
  assert_int_equal(rt_dataset_load_book(f->load, 0, RT_DATASET_ANSWER_NEW,
                                        garbage, sizeof garbage, NULL, &err),
                   RT_ECORRUPT);
  assert_non_null(strstr(err.message, "not a Recommendation record"));
  assert_int_equal(rt_dataset_load_book(f->load, 1, RT_DATASET_ANSWER_NEW, NULL,
                                        0, NULL, &err),
                   RT_ECORRUPT);
}

/* ---- subjects ----------------------------------------------------------- */

/* Three follow-ups on one recommendation (the second names it by the
 * server id it gets, R1) and a follow-up and a measurement on one
 * commitment. */
static const char reports_doc[] =
    "{'format': 'rectrack-import/1',"
    " 'recommendations': [{'key': 'r1', 'source_id': 's', 'title': 't'}],"
    " 'commitments': [{'key': 'c1', 'actor_id': 'a', 'title': 't',"
    "   'kind': 'quantified-target', 'indicator': {'name': 'n', 'unit': 'u',"
    "   'baseline_value': 1, 'baseline_date': '2023-01-01',"
    "   'target_value': 2, 'target_date': '2030-01-01',"
    "   'direction': 'increase'}}],"
    " 'follow_ups': ["
    "   {'subject': 'r1', 'status': 'in-progress', 'as_of': '2024-01-01'},"
    "   {'subject': 'R1', 'status': 'stalled', 'as_of': '2024-02-01'},"
    "   {'subject': 'r1', 'status': 'implemented', 'as_of': '2024-03-01'},"
    "   {'subject': 'c1', 'status': 'in-progress', 'as_of': '2024-01-01'}],"
    " 'measurements': [{'commitment': 'c1', 'value': 1, 'as_of': "
    "'2024-01-01'}]}";

static const char reports_in_file_order[] =
    "recommendations[0] commitments[0] follow_ups[0] follow_ups[1] "
    "follow_ups[2] follow_ups[3] measurements[0]";

static void
test_reports_on_one_subject_share_a_batch_when_allowed(void **state) {
  fixture_t *f = *state;
  start(f, reports_doc, &store_policy);
  run_to_end(f);
  assert_string_equal(f->trace, "B2 B5");
  assert_string_equal(f->writer.log, reports_in_file_order);
  assert_int_equal(rt_dataset_load_tally(f->load, RT_DATASET_FOLLOW_UP).created,
                   4);
}

static void
test_reports_on_one_subject_go_apart_when_not_allowed(void **state) {
  fixture_t *f = *state;
  f->writer.like_server = true;
  start(f, reports_doc, &server_policy);
  run_to_end(f);
  /* r1 and R1 are one subject; so are the follow-up and the measurement
   * on c1. Each batch holds one report per subject, filled with reports
   * on other subjects from further on: each subject's reports keep their
   * file order, reports on different subjects need none. */
  assert_string_equal(f->trace, "B2 B2 B2 B1");
  assert_string_equal(f->writer.log,
                      "recommendations[0] commitments[0] follow_ups[0] "
                      "follow_ups[3] follow_ups[1] measurements[0] "
                      "follow_ups[2]");
}

/* ---- booking ------------------------------------------------------------ */

static void test_server_ids_are_taken_from_replies(void **state) {
  fixture_t *f = *state;
  start(f, NULL, &store_policy);
  rt_dataset_step_t step = next_step(f, RT_DATASET_STEP_BATCH);
  for (size_t slot = 0; slot < step.len; slot++) {
    rt_dataset_outcome_t outcome = 0;
    rt_error_t err;
    assert_int_equal(write_slot(f, &step, slot, &outcome, &err), 0);
    assert_int_equal(outcome, RT_DATASET_CREATED);
  }
  assert_string_equal(item(f, 0)->server_id, "iom");
  assert_string_equal(item(f, 2)->server_id, "idm-2023-ny");
  assert_string_equal(item(f, 3)->server_id, "R1");
  assert_string_equal(item(f, 4)->server_id, "R2");
}

/* Books the first item of a fresh load of doc as refused because its id
 * exists; returns what it counts as. */
static rt_dataset_outcome_t book_exists(fixture_t *f, const char *doc,
                                        const rt_dataset_load_policy_t *p) {
  start(f, doc, p);
  next_step(f, RT_DATASET_STEP_BATCH);
  rt_dataset_outcome_t outcome = 0;
  rt_error_t err;
  assert_int_equal(rt_dataset_load_book(f->load, 0, RT_DATASET_ANSWER_EXISTS,
                                        NULL, 0, &outcome, &err),
                   0);
  return outcome;
}

/* A source or actor refused because its id exists: present (with its own
 * id) or failed, as the policy says; any other item refused so failed. */
static void test_existing_named_records_follow_the_policy(void **state) {
  fixture_t *f = *state;
  assert_int_equal(book_exists(f, NULL, &server_policy), RT_DATASET_PRESENT);
  assert_string_equal(item(f, 0)->server_id, "iom");
  assert_int_equal(rt_dataset_load_tally(f->load, RT_DATASET_ACTOR).present, 1);

  assert_int_equal(book_exists(f, NULL, &store_policy), RT_DATASET_FAILED);
  assert_null(item(f, 0)->server_id);
  assert_int_equal(rt_dataset_load_tally(f->load, RT_DATASET_ACTOR).failed, 1);

  assert_int_equal(book_exists(f,
                               "{'format': 'rectrack-import/1', "
                               "'recommendations': [{'key': 'r1', "
                               "'source_id': 's', 'title': 't'}]}",
                               &server_policy),
                   RT_DATASET_FAILED);
  assert_null(item(f, 0)->server_id);
}

/* A writer that does not say whether a write was new: the reply's
 * revision, against the revision before the load, tells. */
static void
test_replays_are_told_by_revision_when_the_writer_is_silent(void **state) {
  fixture_t *f = *state;
  rt_dataset_load_policy_t policy = server_policy;
  policy.start_revision = 40;
  Rectrack__V1__Recommendation record = RECTRACK__V1__RECOMMENDATION__INIT;
  record.id = (char *)"R3";
  static const uint64_t revisions[] = {41, 40, 7};
  static const rt_dataset_outcome_t expected[] = {
      RT_DATASET_CREATED, RT_DATASET_REPLAYED, RT_DATASET_REPLAYED};
  for (size_t i = 0; i < 3; i++) {
    start(f,
          "{'format': 'rectrack-import/1', 'recommendations': "
          "[{'key': 'r1', 'source_id': 's', 'title': 't'}]}",
          &policy);
    next_step(f, RT_DATASET_STEP_BATCH);
    rt_dataset_outcome_t outcome = 0;
    rt_error_t err;
    size_t len;
    record.revision = revisions[i];
    uint8_t *reply = pack(&record.base, &len);
    int rc = rt_dataset_load_book(f->load, 0, RT_DATASET_ANSWER_WRITTEN, reply,
                                  len, &outcome, &err);
    free(reply);
    assert_int_equal(rc, 0);
    assert_int_equal(outcome, expected[i]);
    assert_string_equal(item(f, 0)->server_id, "R3");
  }
}

/* ---- counts ------------------------------------------------------------- */

static void test_a_whole_file_is_counted_per_kind(void **state) {
  fixture_t *f = *state;
  start(f, NULL, &store_policy);
  run_to_end(f);
  /* Up to what waits for the recommendations, up to what waits for the
   * first commitment, then the rest. */
  assert_string_equal(f->trace, "B5 B3 B6");
  for (int kind = RT_DATASET_SOURCE; kind <= RT_DATASET_MEASUREMENT; kind++) {
    rt_dataset_tally_t tally = rt_dataset_load_tally(f->load, kind);
    assert_int_equal(tally.created, rt_dataset_count_kind(f->ds, kind));
    assert_int_equal(tally.present + tally.replayed + tally.failed, 0);
  }
  assert_int_equal(rt_dataset_load_total(f->load).created,
                   rt_dataset_count(f->ds));

  /* The same file again: nothing is new, every id comes back. */
  start(f, NULL, &store_policy);
  run_to_end(f);
  rt_dataset_tally_t total = rt_dataset_load_total(f->load);
  assert_int_equal(total.created, 0);
  assert_int_equal(total.replayed, rt_dataset_count(f->ds));
  assert_string_equal(item(f, 4)->server_id, "R2");
  assert_string_equal(
      item(f, 5)->request.commitment->commitment->recommendation_ids[0], "R2");
}

/* A load cut short after the recommendations, finished by loading the
 * whole file: the commitment and the follow-up refer to recommendations
 * created by the first run, and only they are new. */
static void test_an_interrupted_load_is_finished_by_a_rerun(void **state) {
  fixture_t *f = *state;
  static const char part[] =
      "{'format': 'rectrack-import/1',"
      " 'actors': [{'id': 'a', 'name': 'A', 'kind': 'other'}],"
      " 'recommendations': ["
      "   {'key': 'r1', 'source_id': 's', 'title': 'one'},"
      "   {'key': 'r2', 'source_id': 's', 'title': 'two'}]";
  char doc[1024];
  f->writer.like_server = true;
  snprintf(doc, sizeof doc, "%s}", part);
  start(f, doc, &server_policy);
  run_to_end(f);
  assert_int_equal(rt_dataset_load_total(f->load).created, 3);

  snprintf(doc, sizeof doc, "%s%s", part,
           ", 'commitments': [{'key': 'c1', 'actor_id': 'a', 'title': 't',"
           "   'kind': 'policy', 'recommendations': ['r2', 'r1']}],"
           " 'follow_ups': [{'subject': 'r2', 'status': 'stalled',"
           "   'as_of': '2024-01-01'}]}");
  rt_dataset_load_policy_t policy = server_policy;
  policy.start_revision = f->writer.revision;
  start(f, doc, &policy);
  run_to_end(f);
  rt_dataset_tally_t total = rt_dataset_load_total(f->load);
  assert_int_equal(total.replayed, 3);
  assert_int_equal(total.created, 2);
  assert_int_equal(total.failed, 0);
  const Rectrack__V1__Commitment *commitment =
      item(f, 3)->request.commitment->commitment;
  assert_string_equal(commitment->recommendation_ids[0], "R2");
  assert_string_equal(commitment->recommendation_ids[1], "R1");
  assert_string_equal(item(f, 4)->request.follow_up->follow_up->subject_id,
                      "R2");
  assert_int_equal(f->writer.recommendations, 2); /* none made twice */
}

#define LOAD_TEST(name)                                                        \
  cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int main(int argc, char **argv) {
  const struct CMUnitTest batches[] = {
      LOAD_TEST(test_items_wait_for_ids_created_in_an_earlier_batch),
      LOAD_TEST(test_batches_hold_at_most_max_batch_items),
      LOAD_TEST(test_themes_go_before_and_apart_from_records),
      LOAD_TEST(test_misuse_is_refused),
  };
  const struct CMUnitTest skips[] = {
      LOAD_TEST(test_a_reference_that_never_resolves_is_skipped),
      LOAD_TEST(test_a_reply_without_an_id_leaves_its_dependents_skipped),
  };
  const struct CMUnitTest subjects[] = {
      LOAD_TEST(test_reports_on_one_subject_share_a_batch_when_allowed),
      LOAD_TEST(test_reports_on_one_subject_go_apart_when_not_allowed),
  };
  const struct CMUnitTest booking[] = {
      LOAD_TEST(test_server_ids_are_taken_from_replies),
      LOAD_TEST(test_existing_named_records_follow_the_policy),
      LOAD_TEST(test_replays_are_told_by_revision_when_the_writer_is_silent),
  };
  const struct CMUnitTest counts[] = {
      LOAD_TEST(test_a_whole_file_is_counted_per_kind),
      LOAD_TEST(test_an_interrupted_load_is_finished_by_a_rerun),
  };
  const char *group = argc > 1 ? argv[1] : NULL;
  int failed = 0;
#define RUN_GROUP(name)                                                        \
  if (group == NULL || strcmp(group, #name) == 0)                              \
  failed += cmocka_run_group_tests_name(#name, name, NULL, NULL)
  RUN_GROUP(batches);
  RUN_GROUP(skips);
  RUN_GROUP(subjects);
  RUN_GROUP(booking);
  RUN_GROUP(counts);
  return failed != 0;
}
