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

#include "rt_dataset_load.h"

#define GOOD_FILE RT_TEST_DATA_DIR "/good.json"
#define MAX_WRITES 64

/* Parses an import document written with ' for " (easier to read here). */
static rt_dataset_t *parse_doc(const char *text) {
  char *json = strdup(text);
  assert_non_null(json);
  for (char *c = json; *c; c++)
    if (*c == '\'')
      *c = '"';
  rt_dataset_t *ds = NULL;
  rt_dataset_errors_t errors;
  rt_error_t err;
  int rc =
      rt_dataset_parse_buffer(json, strlen(json), "test", &ds, &errors, &err);
  for (size_t i = 0; i < errors.problems_len; i++)
    print_error("unexpected: %s\n", errors.problems[i].message);
  rt_dataset_errors_free(&errors);
  free(json);
  assert_int_equal(rc, 0);
  return ds;
}

static rt_dataset_t *parse_good(void) {
  rt_dataset_t *ds = NULL;
  rt_dataset_errors_t errors;
  rt_error_t err;
  assert_int_equal(rt_dataset_parse_file(GOOD_FILE, &ds, &errors, &err), 0);
  rt_dataset_errors_free(&errors);
  return ds;
}

/* ---- the stand-in writer ------------------------------------------------ */

typedef struct writer {
  /* what it holds: request id -> the id and revision it answered with */
  char *request_ids[MAX_WRITES];
  char *server_ids[MAX_WRITES];
  uint64_t revisions[MAX_WRITES];
  size_t held;
  uint64_t revision; /* of the newest write */
  unsigned recommendations, commitments;
  bool tells_replays; /* NEW / REPLAYED like a store, else WRITTEN */
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

/* The record a writer answers item with: its kind's message with id and
 * revision. */
static uint8_t *reply_for(const rt_dataset_item_t *item, const char *id,
                          uint64_t revision, size_t *len) {
  if (item->kind == RT_DATASET_MEASUREMENT) /* the measured commitment */
    id = item->request.measurement->commitment_id;
  switch (item->kind) {
  case RT_DATASET_SOURCE: {
    Rectrack__V1__Source record = RECTRACK__V1__SOURCE__INIT;
    record.id = (char *)id;
    record.revision = revision;
    return pack(&record.base, len);
  }
  case RT_DATASET_ACTOR: {
    Rectrack__V1__Actor record = RECTRACK__V1__ACTOR__INIT;
    record.id = (char *)id;
    record.revision = revision;
    return pack(&record.base, len);
  }
  case RT_DATASET_RECOMMENDATION: {
    Rectrack__V1__Recommendation record = RECTRACK__V1__RECOMMENDATION__INIT;
    record.id = (char *)id;
    record.revision = revision;
    return pack(&record.base, len);
  }
  case RT_DATASET_FOLLOW_UP: {
    Rectrack__V1__FollowUp record = RECTRACK__V1__FOLLOW_UP__INIT;
    record.subject_id = item->request.follow_up->follow_up->subject_id;
    record.revision = revision;
    return pack(&record.base, len);
  }
  case RT_DATASET_MEASUREMENT:
  case RT_DATASET_COMMITMENT:
    break;
  }
  Rectrack__V1__Commitment record = RECTRACK__V1__COMMITMENT__INIT;
  record.id = (char *)id;
  record.revision = revision;
  return pack(&record.base, len);
}

/* Writes one item; returns the answer and sets *reply (free with free). */
static rt_dataset_answer_t writer_write(writer_t *w,
                                        const rt_dataset_item_t *item,
                                        uint8_t **reply, size_t *reply_len) {
  *reply = NULL;
  *reply_len = 0;
  bool named =
      item->kind == RT_DATASET_SOURCE || item->kind == RT_DATASET_ACTOR;
  if (w->refuse != NULL && strcmp(item->path, w->refuse) == 0)
    return RT_DATASET_ANSWER_FAILED;
  if (named && w->exists != NULL && strcmp(item->key, w->exists) == 0)
    return RT_DATASET_ANSWER_EXISTS;
  for (size_t i = 0; i < w->held; i++) {
    if (strcmp(w->request_ids[i], item->request_id) == 0) {
      *reply = reply_for(item, w->server_ids[i], w->revisions[i], reply_len);
      return w->tells_replays ? RT_DATASET_ANSWER_REPLAYED
                              : RT_DATASET_ANSWER_WRITTEN;
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
  return w->tells_replays ? RT_DATASET_ANSWER_NEW : RT_DATASET_ANSWER_WRITTEN;
}

/* Writes every item of a batch and books the answers; book errors are
 * expected only for the item w->no_id names. */
static void write_batch(rt_dataset_load_t *load, rt_dataset_t *ds,
                        const rt_dataset_step_t *step, writer_t *w) {
  for (size_t slot = 0; slot < step->len; slot++) {
    rt_dataset_item_t *item = rt_dataset_item(ds, step->items[slot]);
    uint8_t *reply;
    size_t reply_len;
    rt_dataset_answer_t answer = writer_write(w, item, &reply, &reply_len);
    rt_error_t err;
    int rc =
        rt_dataset_load_book(load, slot, answer, reply, reply_len, NULL, &err);
    bool broken = w->no_id != NULL && strcmp(item->path, w->no_id) == 0;
    assert_int_equal(rc, broken ? RT_ECORRUPT : 0);
    free(reply);
  }
}

/* Loads ds into w under policy to the end. trace receives the steps:
 * "B3" for a batch of 3, "S:path" for a skipped item, space-separated.
 * Returns the load (free with rt_dataset_load_free). */
static rt_dataset_load_t *load_all(rt_dataset_t *ds,
                                   const rt_dataset_load_policy_t *policy,
                                   writer_t *w, char *trace, size_t size) {
  rt_dataset_load_t *load = NULL;
  rt_dataset_step_t step;
  rt_error_t err;
  assert_int_equal(rt_dataset_load_new(ds, policy, &load, &err), 0);
  trace[0] = '\0';
  for (;;) {
    assert_int_equal(rt_dataset_load_next(load, &step, &err), 0);
    if (step.kind == RT_DATASET_STEP_DONE)
      break;
    size_t used = strlen(trace);
    if (step.kind == RT_DATASET_STEP_SKIP)
      snprintf(trace + used, size - used, "%sS:%s", used ? " " : "",
               rt_dataset_item(ds, step.item)->path);
    else
      snprintf(trace + used, size - used, "%sB%zu", used ? " " : "", step.len);
    if (step.kind == RT_DATASET_STEP_BATCH)
      write_batch(load, ds, &step, w);
  }
  return load;
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
  (void)state;
  rt_dataset_t *ds = parse_doc(
      "{'format': 'rectrack-import/1',"
      " 'recommendations': [{'key': 'r1', 'source_id': 's', 'title': 't'}],"
      " 'commitments': [{'key': 'c1', 'actor_id': 'a', 'title': 't',"
      "   'kind': 'policy', 'recommendations': ['r1']}],"
      " 'follow_ups': ["
      "   {'subject': 'c1', 'status': 'stalled', 'as_of': '2024-01-01'},"
      "   {'subject': 'r1', 'status': 'stalled', 'as_of': '2024-01-01'}]}");
  writer_t w = {.tells_replays = true};
  rt_dataset_load_t *load = NULL;
  rt_dataset_step_t step;
  rt_error_t err;
  assert_int_equal(rt_dataset_load_new(ds, &store_policy, &load, &err), 0);

  assert_int_equal(rt_dataset_load_next(load, &step, &err), 0);
  assert_int_equal(step.kind, RT_DATASET_STEP_BATCH);
  assert_int_equal(step.len, 1); /* the commitment waits for r1's id */
  assert_int_equal(step.items[0], 0);
  write_batch(load, ds, &step, &w);
  assert_string_equal(rt_dataset_item(ds, 0)->server_id, "R1");

  assert_int_equal(rt_dataset_load_next(load, &step, &err), 0);
  assert_int_equal(step.len, 1); /* the follow-up on c1 waits */
  assert_int_equal(step.items[0], 1);
  assert_string_equal(
      rt_dataset_item(ds, 1)
          ->request.commitment->commitment->recommendation_ids[0],
      "R1");
  write_batch(load, ds, &step, &w);

  assert_int_equal(rt_dataset_load_next(load, &step, &err), 0);
  assert_int_equal(step.len, 2);
  assert_string_equal(
      rt_dataset_item(ds, 2)->request.follow_up->follow_up->subject_id, "C1");
  assert_string_equal(
      rt_dataset_item(ds, 3)->request.follow_up->follow_up->subject_id, "R1");
  write_batch(load, ds, &step, &w);

  assert_int_equal(rt_dataset_load_next(load, &step, &err), 0);
  assert_int_equal(step.kind, RT_DATASET_STEP_DONE);
  /* The end stays the end. */
  assert_int_equal(rt_dataset_load_next(load, &step, &err), 0);
  assert_int_equal(step.kind, RT_DATASET_STEP_DONE);
  assert_string_equal(w.log, "recommendations[0] commitments[0] follow_ups[0] "
                             "follow_ups[1]");
  rt_dataset_load_free(load);
  writer_close(&w);
  rt_dataset_free(ds);
}

static void test_batches_hold_at_most_max_batch_items(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_good();
  writer_t w = {.tells_replays = true};
  rt_dataset_load_policy_t policy = store_policy;
  policy.max_batch = 2;
  char trace[256];
  rt_dataset_load_t *load = load_all(ds, &policy, &w, trace, sizeof trace);
  /* 2 actors | source, rec | rec (the first commitment waits for it) |
   * 2 commitments | then two at a time. */
  assert_string_equal(trace, "B2 B2 B1 B2 B2 B2 B2 B1");
  assert_int_equal(rt_dataset_load_total(load).created, rt_dataset_count(ds));
  rt_dataset_load_free(load);
  writer_close(&w);
  rt_dataset_free(ds);
}

static void test_misuse_is_refused(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_good();
  rt_dataset_load_t *load = NULL;
  rt_dataset_step_t step;
  rt_error_t err;
  rt_dataset_load_policy_t policy = store_policy;
  policy.max_batch = 0;
  assert_int_equal(rt_dataset_load_new(ds, &policy, &load, &err), RT_EINVAL);
  assert_null(load);
  assert_int_equal(rt_dataset_load_new(NULL, &store_policy, &load, &err),
                   RT_EINVAL);

  assert_int_equal(rt_dataset_load_new(ds, &store_policy, &load, &err), 0);
  assert_int_equal(rt_dataset_load_book(load, 0, RT_DATASET_ANSWER_FAILED, NULL,
                                        0, NULL, &err),
                   RT_EINVAL); /* nothing planned yet */
  assert_int_equal(rt_dataset_load_next(load, &step, &err), 0);
  assert_int_equal(step.len, 5); /* actors, source, recommendations */
  assert_int_equal(rt_dataset_load_next(load, &step, &err), RT_EINVAL);
  assert_non_null(strstr(err.message, "5 item(s)"));
  assert_int_equal(rt_dataset_load_book(load, 5, RT_DATASET_ANSWER_FAILED, NULL,
                                        0, NULL, &err),
                   RT_EINVAL);
  assert_int_equal(rt_dataset_load_book(load, 0, (rt_dataset_answer_t)0, NULL,
                                        0, NULL, &err),
                   RT_EINVAL);
  assert_int_equal(rt_dataset_load_book(load, 0, RT_DATASET_ANSWER_FAILED, NULL,
                                        0, NULL, &err),
                   0);
  assert_int_equal(rt_dataset_load_book(load, 0, RT_DATASET_ANSWER_FAILED, NULL,
                                        0, NULL, &err),
                   RT_EINVAL);
  assert_non_null(strstr(err.message, "booked already"));
  assert_int_equal(rt_dataset_load_tally(load, RT_DATASET_ACTOR).failed, 1);
  assert_int_equal(rt_dataset_load_tally(load, (rt_dataset_kind_t)99).failed,
                   0);
  rt_dataset_load_free(load);
  rt_dataset_load_free(NULL);
  rt_dataset_free(ds);
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
  (void)state;
  rt_dataset_t *ds = parse_doc(failing_doc);
  writer_t w = {.tells_replays = true, .refuse = "recommendations[1]"};
  rt_dataset_load_t *load = NULL;
  rt_dataset_step_t step;
  rt_error_t err;
  assert_int_equal(rt_dataset_load_new(ds, &store_policy, &load, &err), 0);
  assert_int_equal(rt_dataset_load_next(load, &step, &err), 0);
  assert_int_equal(step.len, 2);
  write_batch(load, ds, &step, &w);
  assert_null(rt_dataset_item(ds, 1)->server_id);

  assert_int_equal(rt_dataset_load_next(load, &step, &err), 0);
  assert_int_equal(step.kind, RT_DATASET_STEP_SKIP);
  assert_int_equal(step.item, 2);
  assert_int_equal(step.reason.code, RT_ENOTFOUND);
  assert_string_equal(step.reason.message,
                      "commitments[0].recommendations[0]: \"bad-1\" "
                      "(recommendations[1]) has not been created yet");
  assert_int_equal(rt_dataset_load_next(load, &step, &err), 0);
  assert_int_equal(step.kind, RT_DATASET_STEP_SKIP);
  assert_int_equal(step.item, 3);
  assert_non_null(strstr(step.reason.message, "follow_ups[0].subject"));

  assert_int_equal(rt_dataset_load_next(load, &step, &err), 0);
  assert_int_equal(step.kind, RT_DATASET_STEP_BATCH);
  assert_int_equal(step.len, 1);
  assert_int_equal(step.items[0], 4);
  write_batch(load, ds, &step, &w);
  assert_int_equal(rt_dataset_load_next(load, &step, &err), 0);
  assert_int_equal(step.kind, RT_DATASET_STEP_DONE);

  rt_dataset_tally_t recs =
      rt_dataset_load_tally(load, RT_DATASET_RECOMMENDATION);
  assert_int_equal(recs.created, 1);
  assert_int_equal(recs.failed, 1);
  assert_int_equal(rt_dataset_load_tally(load, RT_DATASET_COMMITMENT).failed,
                   1);
  rt_dataset_tally_t follow_ups =
      rt_dataset_load_tally(load, RT_DATASET_FOLLOW_UP);
  assert_int_equal(follow_ups.created, 1);
  assert_int_equal(follow_ups.failed, 1);
  assert_int_equal(rt_dataset_load_total(load).failed, 3);
  rt_dataset_load_free(load);
  writer_close(&w);
  rt_dataset_free(ds);
}

/* A reply without an id is an error the caller hears of; the item it
 * answered counts as written, but what refers to it is skipped. */
static void
test_a_reply_without_an_id_leaves_its_dependents_skipped(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_doc(failing_doc);
  writer_t w = {.tells_replays = true, .no_id = "recommendations[1]"};
  rt_dataset_load_t *load = NULL;
  rt_dataset_step_t step;
  rt_error_t err;
  assert_int_equal(rt_dataset_load_new(ds, &store_policy, &load, &err), 0);
  assert_int_equal(rt_dataset_load_next(load, &step, &err), 0);
  uint8_t *reply;
  size_t len;
  rt_dataset_answer_t answer =
      writer_write(&w, rt_dataset_item(ds, 0), &reply, &len);
  assert_int_equal(
      rt_dataset_load_book(load, 0, answer, reply, len, NULL, &err), 0);
  free(reply);
  answer = writer_write(&w, rt_dataset_item(ds, 1), &reply, &len);
  assert_int_equal(
      rt_dataset_load_book(load, 1, answer, reply, len, NULL, &err),
      RT_ECORRUPT);
  assert_string_equal(err.message, "recommendations[1]: the reply carries no "
                                   "id");
  free(reply);
  assert_int_equal(
      rt_dataset_load_tally(load, RT_DATASET_RECOMMENDATION).created, 2);
  assert_int_equal(rt_dataset_load_next(load, &step, &err), 0);
  assert_int_equal(step.kind, RT_DATASET_STEP_SKIP);
  assert_int_equal(step.item, 2);
  rt_dataset_load_free(load);

  /* A reply that is no record at all. */
  assert_int_equal(rt_dataset_load_new(ds, &store_policy, &load, &err), 0);
  assert_int_equal(rt_dataset_load_next(load, &step, &err), 0);
  assert_int_equal(step.len, 2);
  static const uint8_t garbage[] = {0xff, 0xff, 0xff};
  assert_int_equal(rt_dataset_load_book(load, 0, RT_DATASET_ANSWER_NEW, garbage,
                                        sizeof garbage, NULL, &err),
                   RT_ECORRUPT);
  assert_non_null(strstr(err.message, "not a Recommendation record"));
  assert_int_equal(
      rt_dataset_load_book(load, 1, RT_DATASET_ANSWER_NEW, NULL, 0, NULL, &err),
      RT_ECORRUPT);
  rt_dataset_load_free(load);
  writer_close(&w);
  rt_dataset_free(ds);
}

/* ---- subjects ----------------------------------------------------------- */

/* Three follow-ups on one recommendation (the second names it by the
 * server id it gets, R1) and a measurement and a follow-up on one
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
  (void)state;
  rt_dataset_t *ds = parse_doc(reports_doc);
  writer_t w = {.tells_replays = true};
  char trace[128];
  rt_dataset_load_t *load =
      load_all(ds, &store_policy, &w, trace, sizeof trace);
  assert_string_equal(trace, "B2 B5");
  assert_string_equal(w.log, reports_in_file_order);
  assert_int_equal(rt_dataset_load_tally(load, RT_DATASET_FOLLOW_UP).created,
                   4);
  rt_dataset_load_free(load);
  writer_close(&w);
  rt_dataset_free(ds);
}

static void
test_reports_on_one_subject_go_apart_when_not_allowed(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_doc(reports_doc);
  writer_t w = {0};
  char trace[128];
  rt_dataset_load_t *load =
      load_all(ds, &server_policy, &w, trace, sizeof trace);
  /* r1 and R1 are one subject; so are the follow-up and the measurement
   * on c1. Each batch holds one report per subject. */
  assert_string_equal(trace, "B2 B1 B1 B2 B1");
  assert_string_equal(w.log, reports_in_file_order);
  rt_dataset_load_free(load);
  writer_close(&w);
  rt_dataset_free(ds);
}

/* ---- booking ------------------------------------------------------------ */

/* Books slot 0 of a fresh load's first batch with answer and reply. */
static int book_first(rt_dataset_t *ds, const rt_dataset_load_policy_t *policy,
                      rt_dataset_answer_t answer, const uint8_t *reply,
                      size_t len, rt_dataset_load_t **load,
                      rt_dataset_outcome_t *outcome) {
  rt_dataset_step_t step;
  rt_error_t err;
  assert_int_equal(rt_dataset_load_new(ds, policy, load, &err), 0);
  assert_int_equal(rt_dataset_load_next(*load, &step, &err), 0);
  assert_int_equal(step.kind, RT_DATASET_STEP_BATCH);
  return rt_dataset_load_book(*load, 0, answer, reply, len, outcome, &err);
}

static void test_server_ids_are_taken_from_replies(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_good();
  writer_t w = {.tells_replays = true};
  rt_dataset_load_t *load = NULL;
  rt_dataset_step_t step;
  rt_error_t err;
  assert_int_equal(rt_dataset_load_new(ds, &store_policy, &load, &err), 0);
  assert_int_equal(rt_dataset_load_next(load, &step, &err), 0);
  for (size_t slot = 0; slot < step.len; slot++) {
    uint8_t *reply;
    size_t len;
    rt_dataset_outcome_t outcome = 0;
    rt_dataset_item_t *item = rt_dataset_item(ds, step.items[slot]);
    rt_dataset_answer_t answer = writer_write(&w, item, &reply, &len);
    assert_int_equal(
        rt_dataset_load_book(load, slot, answer, reply, len, &outcome, &err),
        0);
    assert_int_equal(outcome, RT_DATASET_CREATED);
    free(reply);
  }
  assert_string_equal(rt_dataset_item(ds, 0)->server_id, "iom");
  assert_string_equal(rt_dataset_item(ds, 2)->server_id, "idm-2023-ny");
  assert_string_equal(rt_dataset_item(ds, 3)->server_id, "R1");
  assert_string_equal(rt_dataset_item(ds, 4)->server_id, "R2");
  rt_dataset_load_free(load);
  writer_close(&w);
  rt_dataset_free(ds);
}

/* A source or actor refused because its id exists: present (with its own
 * id) or failed, as the policy says; any other item refused so failed. */
static void test_existing_named_records_follow_the_policy(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_good();
  rt_dataset_load_t *load = NULL;
  rt_dataset_outcome_t outcome = 0;
  assert_int_equal(book_first(ds, &server_policy, RT_DATASET_ANSWER_EXISTS,
                              NULL, 0, &load, &outcome),
                   0);
  assert_int_equal(outcome, RT_DATASET_PRESENT);
  assert_string_equal(rt_dataset_item(ds, 0)->server_id, "iom");
  assert_int_equal(rt_dataset_load_tally(load, RT_DATASET_ACTOR).present, 1);
  rt_dataset_load_free(load);
  rt_dataset_free(ds);

  ds = parse_good();
  assert_int_equal(book_first(ds, &store_policy, RT_DATASET_ANSWER_EXISTS, NULL,
                              0, &load, &outcome),
                   0);
  assert_int_equal(outcome, RT_DATASET_FAILED);
  assert_null(rt_dataset_item(ds, 0)->server_id);
  assert_int_equal(rt_dataset_load_tally(load, RT_DATASET_ACTOR).failed, 1);
  rt_dataset_load_free(load);
  rt_dataset_free(ds);

  ds = parse_doc("{'format': 'rectrack-import/1', 'recommendations': "
                 "[{'key': 'r1', 'source_id': 's', 'title': 't'}]}");
  assert_int_equal(book_first(ds, &server_policy, RT_DATASET_ANSWER_EXISTS,
                              NULL, 0, &load, &outcome),
                   0);
  assert_int_equal(outcome, RT_DATASET_FAILED);
  assert_null(rt_dataset_item(ds, 0)->server_id);
  rt_dataset_load_free(load);
  rt_dataset_free(ds);
}

/* A writer that does not say whether a write was new: the reply's
 * revision, against the revision before the load, tells. */
static void
test_replays_are_told_by_revision_when_the_writer_is_silent(void **state) {
  (void)state;
  rt_dataset_load_policy_t policy = server_policy;
  policy.start_revision = 40;
  Rectrack__V1__Recommendation record = RECTRACK__V1__RECOMMENDATION__INIT;
  record.id = (char *)"R3";
  static const uint64_t revisions[] = {41, 40, 7};
  static const rt_dataset_outcome_t expected[] = {
      RT_DATASET_CREATED, RT_DATASET_REPLAYED, RT_DATASET_REPLAYED};
  for (size_t i = 0; i < 3; i++) {
    rt_dataset_t *ds =
        parse_doc("{'format': 'rectrack-import/1', 'recommendations': "
                  "[{'key': 'r1', 'source_id': 's', 'title': 't'}]}");
    rt_dataset_load_t *load = NULL;
    rt_dataset_outcome_t outcome = 0;
    size_t len;
    record.revision = revisions[i];
    uint8_t *reply = pack(&record.base, &len);
    assert_int_equal(book_first(ds, &policy, RT_DATASET_ANSWER_WRITTEN, reply,
                                len, &load, &outcome),
                     0);
    assert_int_equal(outcome, expected[i]);
    assert_string_equal(rt_dataset_item(ds, 0)->server_id, "R3");
    free(reply);
    rt_dataset_load_free(load);
    rt_dataset_free(ds);
  }
}

/* ---- counts ------------------------------------------------------------- */

static void test_a_whole_file_is_counted_per_kind(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_good();
  writer_t w = {.tells_replays = true};
  char trace[256];
  rt_dataset_load_t *load =
      load_all(ds, &store_policy, &w, trace, sizeof trace);
  /* Up to what waits for the recommendations, up to what waits for the
   * first commitment, then the rest. */
  assert_string_equal(trace, "B5 B3 B6");
  for (int kind = RT_DATASET_SOURCE; kind <= RT_DATASET_MEASUREMENT; kind++) {
    rt_dataset_tally_t tally = rt_dataset_load_tally(load, kind);
    assert_int_equal(tally.created, rt_dataset_count_kind(ds, kind));
    assert_int_equal(tally.present + tally.replayed + tally.failed, 0);
  }
  rt_dataset_tally_t total = rt_dataset_load_total(load);
  assert_int_equal(total.created, rt_dataset_count(ds));
  rt_dataset_load_free(load);

  /* The same file again: nothing is new, every id comes back. */
  rt_dataset_free(ds);
  ds = parse_good();
  load = load_all(ds, &store_policy, &w, trace, sizeof trace);
  total = rt_dataset_load_total(load);
  assert_int_equal(total.created, 0);
  assert_int_equal(total.replayed, rt_dataset_count(ds));
  assert_string_equal(rt_dataset_item(ds, 4)->server_id, "R2");
  assert_string_equal(
      rt_dataset_item(ds, 5)
          ->request.commitment->commitment->recommendation_ids[0],
      "R2");
  rt_dataset_load_free(load);
  writer_close(&w);
  rt_dataset_free(ds);
}

/* A load cut short after the recommendations, finished by loading the
 * whole file: the commitments and follow-ups refer to recommendations
 * created by the first run, and only the rest is new. */
static void test_an_interrupted_load_is_finished_by_a_rerun(void **state) {
  (void)state;
  static const char part[] =
      "{'format': 'rectrack-import/1',"
      " 'actors': [{'id': 'a', 'name': 'A', 'kind': 'other'}],"
      " 'recommendations': ["
      "   {'key': 'r1', 'source_id': 's', 'title': 'one'},"
      "   {'key': 'r2', 'source_id': 's', 'title': 'two'}]";
  char whole[1024];
  snprintf(whole, sizeof whole, "%s%s", part,
           ", 'commitments': [{'key': 'c1', 'actor_id': 'a', 'title': 't',"
           "   'kind': 'policy', 'recommendations': ['r2', 'r1']}],"
           " 'follow_ups': [{'subject': 'r2', 'status': 'stalled',"
           "   'as_of': '2024-01-01'}]}");
  char first_doc[512];
  snprintf(first_doc, sizeof first_doc, "%s}", part);
  writer_t w = {0}; /* a server: replays are told by revision */
  char trace[128];
  rt_dataset_t *first = parse_doc(first_doc);
  rt_dataset_load_t *load =
      load_all(first, &server_policy, &w, trace, sizeof trace);
  assert_int_equal(rt_dataset_load_total(load).created, 3);
  rt_dataset_load_free(load);
  rt_dataset_free(first);

  rt_dataset_t *ds = parse_doc(whole);
  rt_dataset_load_policy_t policy = server_policy;
  policy.start_revision = w.revision;
  load = load_all(ds, &policy, &w, trace, sizeof trace);
  rt_dataset_tally_t total = rt_dataset_load_total(load);
  assert_int_equal(total.replayed, 3);
  assert_int_equal(total.created, 2);
  assert_int_equal(total.failed, 0);
  const Rectrack__V1__Commitment *commitment =
      rt_dataset_item(ds, 3)->request.commitment->commitment;
  assert_string_equal(commitment->recommendation_ids[0], "R2");
  assert_string_equal(commitment->recommendation_ids[1], "R1");
  assert_string_equal(
      rt_dataset_item(ds, 4)->request.follow_up->follow_up->subject_id, "R2");
  assert_int_equal(w.recommendations, 2); /* none made twice */
  rt_dataset_load_free(load);
  writer_close(&w);
  rt_dataset_free(ds);
}

int main(int argc, char **argv) {
  const struct CMUnitTest batches[] = {
      cmocka_unit_test(test_items_wait_for_ids_created_in_an_earlier_batch),
      cmocka_unit_test(test_batches_hold_at_most_max_batch_items),
      cmocka_unit_test(test_misuse_is_refused),
  };
  const struct CMUnitTest skips[] = {
      cmocka_unit_test(test_a_reference_that_never_resolves_is_skipped),
      cmocka_unit_test(
          test_a_reply_without_an_id_leaves_its_dependents_skipped),
  };
  const struct CMUnitTest subjects[] = {
      cmocka_unit_test(test_reports_on_one_subject_share_a_batch_when_allowed),
      cmocka_unit_test(test_reports_on_one_subject_go_apart_when_not_allowed),
  };
  const struct CMUnitTest booking[] = {
      cmocka_unit_test(test_server_ids_are_taken_from_replies),
      cmocka_unit_test(test_existing_named_records_follow_the_policy),
      cmocka_unit_test(
          test_replays_are_told_by_revision_when_the_writer_is_silent),
  };
  const struct CMUnitTest counts[] = {
      cmocka_unit_test(test_a_whole_file_is_counted_per_kind),
      cmocka_unit_test(test_an_interrupted_load_is_finished_by_a_rerun),
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
