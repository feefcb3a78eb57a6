/*
 * Tests for rt_dataset: a good file becomes ordered, ready-to-send items;
 * a bad file yields every problem with its JSON path and nothing else;
 * request ids depend on content only; references resolve to server ids;
 * what the writer writes parses back to the same requests.
 *
 * Run with a group name (parse, errors, request_ids, references, writer,
 * ids, demo, robustness) to run one group, as ctest does; without one,
 * all run. The demo group checks data/demo.json.
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
#include "rt_dataset.h"
#include "rt_validate.h"

#define GOOD_FILE RT_TEST_DATA_DIR "/good.json"
#define BAD_FILE RT_TEST_DATA_DIR "/bad.json"

/* ---- parse ---------------------------------------------------------- */

static void test_good_file_yields_items_in_apply_order(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_good();
  static const rt_dataset_kind_t kinds[] = {
      RT_DATASET_ACTOR,          RT_DATASET_ACTOR,
      RT_DATASET_SOURCE,         RT_DATASET_RECOMMENDATION,
      RT_DATASET_RECOMMENDATION, RT_DATASET_COMMITMENT,
      RT_DATASET_COMMITMENT,     RT_DATASET_FOLLOW_UP,
      RT_DATASET_FOLLOW_UP,      RT_DATASET_FOLLOW_UP,
      RT_DATASET_FOLLOW_UP,      RT_DATASET_FOLLOW_UP,
      RT_DATASET_MEASUREMENT,    RT_DATASET_MEASUREMENT};
  assert_int_equal(rt_dataset_count(ds), sizeof kinds / sizeof kinds[0]);
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    assert_int_equal(rt_dataset_item(ds, i)->kind, kinds[i]);
  assert_null(rt_dataset_item(ds, rt_dataset_count(ds)));
  assert_int_equal(rt_dataset_count_kind(ds, RT_DATASET_FOLLOW_UP), 5);
  assert_int_equal(rt_dataset_count_kind(ds, RT_DATASET_ACTOR), 2);
  rt_dataset_free(ds);
}

static void test_good_file_fills_every_request_field(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_good();
  const Rectrack__V1__Source *source =
      rt_dataset_item(ds, 2)->request.source->source;
  assert_string_equal(source->id, "idm-2023-ny");
  assert_int_equal(source->kind,
                   RECTRACK__V1__SOURCE_KIND__SOURCE_KIND_DIALOGUE);
  assert_string_equal(source->end_date, "2023-05-17");
  assert_int_equal(source->n_organizer_ids, 1);
  assert_string_equal(source->organizer_ids[0], "iom");
  assert_string_equal(source->description, "Two-day session.");

  const Rectrack__V1__Actor *actor =
      rt_dataset_item(ds, 1)->request.actor->actor;
  assert_string_equal(actor->country, "BGD");
  assert_int_equal(actor->kind,
                   RECTRACK__V1__ACTOR_KIND__ACTOR_KIND_MEMBER_STATE);

  rt_dataset_item_t *item = rt_dataset_item(ds, 3);
  const Rectrack__V1__Recommendation *rec =
      item->request.recommendation->recommendation;
  assert_string_equal(item->key, "idm23-data-1");
  assert_string_equal(item->path, "recommendations[0]");
  assert_string_equal(rec->id, "");
  assert_string_equal(rec->source_ref, "4.5 #1");
  assert_string_equal(rec->sdg_targets[0], "17.18");
  assert_int_equal(rec->gcm_objectives[0], 1);
  assert_string_equal(rec->lead_actor_id, "iom");
  assert_string_equal(rec->due_date, "2025-12-31");

  const Rectrack__V1__Commitment *commitment =
      rt_dataset_item(ds, 5)->request.commitment->commitment;
  assert_int_equal(
      commitment->kind,
      RECTRACK__V1__COMMITMENT_KIND__COMMITMENT_KIND_QUANTIFIED_TARGET);
  assert_non_null(commitment->indicator);
  assert_true(commitment->indicator->baseline_value == 6.0);
  assert_true(commitment->indicator->target_value == 3.0);
  assert_int_equal(commitment->indicator->direction,
                   RECTRACK__V1__DIRECTION__DIRECTION_DECREASE);
  assert_null(
      rt_dataset_item(ds, 6)->request.commitment->commitment->indicator);

  const Rectrack__V1__FollowUp *follow_up =
      rt_dataset_item(ds, 7)->request.follow_up->follow_up;
  assert_int_equal(follow_up->status, RECTRACK__V1__STATUS__STATUS_IN_PROGRESS);
  assert_string_equal(follow_up->evidence[0], "https://example.org/report");
  assert_string_equal(follow_up->as_of, "2024-03-01");

  const Rectrack__V1__RecordMeasurementRequest *measurement =
      rt_dataset_item(ds, 12)->request.measurement;
  assert_true(measurement->measurement->value == 6.2);
  assert_string_equal(measurement->measurement->source,
                      "World Bank Remittance Prices");
  rt_dataset_free(ds);
}

static void test_empty_document_has_no_items(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_text("{\"format\": \"rectrack-import/1\"}");
  assert_int_equal(rt_dataset_count(ds), 0);
  rt_dataset_free(ds);
}

static void test_missing_file_is_an_io_error(void **state) {
  (void)state;
  rt_dataset_t *ds = NULL;
  rt_dataset_errors_t errors;
  rt_error_t err;
  int rc = rt_dataset_parse_file(RT_TEST_DATA_DIR "/no-such-file.json", &ds,
                                 &errors, &err);
  assert_int_equal(rc, RT_EIO);
  assert_null(ds);
  assert_non_null(strstr(err.message, "no-such-file.json"));
  rt_dataset_errors_free(&errors);
}

/* ---- errors ----------------------------------------------------------- */

typedef struct expected_problem {
  const char *path;
  const char *fragment;
} expected_problem_t;

/* Every problem bad.json was written to contain, one per deliberate
 * mistake: the test fails on a missing one and on any extra one. */
static const expected_problem_t bad_file_problems[] = {
    {"", "unknown top-level field \"extra_section\""},
    {"format", "must be \"rectrack-import/1\""},
    {"sources[0]", "unknown field \"venue\""},
    {"sources[0].id", "\"Bad Id\" is not an id"},
    {"sources[0].kind", "\"meeting\" is not one of dialogue|"},
    {"sources[0].date", "\"2023-02-30\" is not a valid date"},
    {"sources[1].title", "is required"},
    {"sources[2].end_date", "is before date 2023-01-05"},
    {"sources[2].id", "\"dup\" is already used by sources[1]"},
    {"actors[0].kind", "\"state\" is not one of member-state|"},
    {"actors[0].country", "\"XXX\" is not an assigned ISO 3166-1"},
    {"actors[1].name", "is required"},
    {"actors[1].country", "\"bgd\""},
    {"recommendations[0].sdg_targets[0]", "\"18.1\" is not an SDG target"},
    {"recommendations[0].sdg_targets[2]", "repeats entry 1"},
    {"recommendations[0].gcm_objectives[0]", "0 is not a GCM objective"},
    {"recommendations[0].gcm_objectives[1]", "24 is not a GCM objective"},
    {"recommendations[0].gcm_objectives[2]", "must be an integer"},
    {"recommendations[0].gcm_objectives[4]", "repeats objective 5"},
    {"recommendations[0].addressed_to[0]", "\"OK\" is not an id"},
    {"recommendations[0].lead_actor_id", "\"--\" is not an id"},
    {"recommendations[0].due_date", "\"31-12-2025\" is not a valid date"},
    {"recommendations[1].title", "control character 0x07"},
    {"recommendations[1].key", "\"r-1\" is already used by recommendations[0]"},
    {"recommendations[2].key", "\"Bad Key\" is not an id"},
    {"recommendations[2].source_id", "is required"},
    {"recommendations[2].text", "must be a string"},
    {"recommendations[3]", "must be an object"},
    {"commitments[0].indicator", "required for a quantified-target"},
    {"commitments[0].recommendations[0]", "no recommendation has key \"nope\""},
    {"commitments[0].recommendations[2]", "no recommendation has key \"C5\""},
    {"commitments[1].indicator", "unknown field \"extra\""},
    {"commitments[1].indicator.baseline_value", "must be a number"},
    {"commitments[1].indicator.direction", "\"down\" is not one of increase"},
    {"commitments[1].indicator.target_date", "is not after baseline_date"},
    {"commitments[2].indicator.direction", "is decrease but target_value 9"},
    {"follow_ups[0].status", "\"done\" is not one of no-information|"},
    {"follow_ups[0].as_of", "\"2024-13-01\" is not a valid date"},
    {"follow_ups[0].subject", "has key \"c-9\""},
    {"follow_ups[1].evidence[0]", "is required"},
    {"follow_ups[1].evidence[1]", "must be a string"},
    {"follow_ups[1].as_of", "is required"},
    {"measurements[0].value", "must be a number"},
    {"measurements[0].commitment", "\"r-1\" is a recommendation, expected a "
                                   "commitment"},
    {"measurements[1].value", "is required"},
    {"measurements[1].commitment", "no commitment has key \"c-1x\""},
    {"measurements[2].commitment", "\"c-4\" (commitments[3]) has no indicator"},
};

static void test_every_problem_is_reported_with_its_path(void **state) {
  (void)state;
  rt_dataset_t *ds = (rt_dataset_t *)1;
  rt_dataset_errors_t errors;
  rt_error_t err;
  int rc = rt_dataset_parse_file(BAD_FILE, &ds, &errors, &err);
  assert_int_equal(rc, RT_EINVAL);
  assert_null(ds);
  size_t n = sizeof bad_file_problems / sizeof bad_file_problems[0];
  for (size_t i = 0; i < n; i++) {
    const expected_problem_t *want = &bad_file_problems[i];
    bool found = false;
    for (size_t j = 0; j < errors.problems_len && !found; j++) {
      const rt_dataset_problem_t *got = &errors.problems[j];
      found = strcmp(got->path, want->path) == 0 &&
              strstr(got->message, want->fragment) != NULL &&
              (want->path[0] == '\0' ||
               strncmp(got->message, want->path, strlen(want->path)) == 0);
    }
    if (!found)
      print_error("missing problem at '%s': %s\n", want->path, want->fragment);
    assert_true(found);
  }
  for (size_t j = 0; errors.count != n && j < errors.problems_len; j++)
    print_error("got: %s\n", errors.problems[j].message);
  assert_int_equal(errors.count, n);
  assert_int_equal(errors.problems_len, n);
  assert_non_null(strstr(err.message, "47 problems"));
  rt_dataset_errors_free(&errors);
}

static void expect_single_problem(const char *text, const char *path,
                                  const char *fragment) {
  rt_dataset_t *ds = NULL;
  rt_dataset_errors_t errors;
  rt_error_t err;
  int rc = rt_dataset_parse_buffer(text, strlen(text), "inline.json", &ds,
                                   &errors, &err);
  assert_int_equal(rc, RT_EINVAL);
  assert_null(ds);
  for (size_t j = 0; errors.count != 1 && j < errors.problems_len; j++)
    print_error("got: %s\n", errors.problems[j].message);
  assert_int_equal(errors.count, 1);
  assert_string_equal(errors.problems[0].path, path);
  if (strstr(errors.problems[0].message, fragment) == NULL)
    print_error("got: %s\n", errors.problems[0].message);
  assert_non_null(strstr(errors.problems[0].message, fragment));
  rt_dataset_errors_free(&errors);
}

static void test_document_level_problems(void **state) {
  (void)state;
  expect_single_problem("{\"format\": \"rectrack-import/1\",\n \"sources\": [",
                        "", "inline.json:2:");
  expect_single_problem("[]", "", "must be a JSON object");
  expect_single_problem("{}", "format", "is required");
  expect_single_problem(
      "{\"format\": \"rectrack-import/1\", \"format\": \"rectrack-import/1\"}",
      "", "duplicate");
  expect_single_problem("{\"format\": \"rectrack-import/1\", \"actors\": {}}",
                        "actors", "must be an array");
  expect_single_problem("{\"format\": \"rectrack-import/1\", \"actors\": "
                        "[{\"id\": \"a\", \"name\": \"A\", \"kind\": "
                        "\"other\", \"Country\": \"BGD\"}]}",
                        "actors[0]", "unknown field \"Country\"");
  expect_single_problem("{\"format\": \"rectrack-import/1\", \"actors\": "
                        "[{\"id\": \"a\", \"name\": \"A\", \"kind\": "
                        "\"Other\"}]}",
                        "actors[0].kind", "\"Other\" is not one of");
}

static void test_list_limits_and_utf8_are_enforced(void **state) {
  (void)state;
  char text[4096];
  size_t used = (size_t)snprintf(
      text, sizeof text,
      "{\"format\": \"rectrack-import/1\", \"recommendations\": [{\"key\": "
      "\"k\", \"source_id\": \"s\", \"title\": \"t\", \"sdg_targets\": [");
  for (int i = 0; i < RT_MAX_LIST_LEN + 1; i++)
    used += (size_t)snprintf(text + used, sizeof text - used, "%s\"1.%d\"",
                             i ? "," : "", i % 99 + 1);
  snprintf(text + used, sizeof text - used, "]}]}");
  expect_single_problem(text, "recommendations[0].sdg_targets",
                        "the limit is 100");
  /* An escaped lone surrogate is not valid text. */
  expect_single_problem(
      "{\"format\": \"rectrack-import/1\", \"actors\": [{\"id\": \"a\", "
      "\"name\": \"\\ud800\", \"kind\": \"other\"}]}",
      "", "inline.json:1:");
}

/* ---- request ids ------------------------------------------------------ */

static const char *request_id_of(rt_dataset_t *ds, size_t index) {
  return rt_dataset_item(ds, index)->request_id;
}

static void test_request_ids_are_stable_and_distinct(void **state) {
  (void)state;
  rt_dataset_t *first = parse_good();
  rt_dataset_t *second = parse_good();
  size_t n = rt_dataset_count(first);
  for (size_t i = 0; i < n; i++) {
    const char *id = request_id_of(first, i);
    assert_int_equal(strlen(id), strlen("import:") + 64);
    assert_memory_equal(id, "import:", 7);
    assert_string_equal(id, request_id_of(second, i));
    for (size_t j = 0; j < i; j++)
      assert_string_not_equal(id, request_id_of(first, j));
  }
  /* The id is in the request itself, ready to send. */
  assert_string_equal(
      rt_dataset_item(first, 3)->request.recommendation->request_id,
      request_id_of(first, 3));
  assert_string_equal(
      rt_dataset_item(first, 13)->request.measurement->request_id,
      request_id_of(first, 13));
  rt_dataset_free(first);
  rt_dataset_free(second);
}

static void test_request_id_ignores_layout_but_not_content(void **state) {
  (void)state;
  rt_dataset_t *a = parse_text(
      "{\"format\": \"rectrack-import/1\", \"measurements\": [{\"commitment\": "
      "\"C1\", \"value\": 6, \"as_of\": \"2024-01-01\"}]}");
  rt_dataset_t *b =
      parse_text("{\"measurements\":[{\"as_of\":\"2024-01-01\",\"value\":6.0,"
                 "\"commitment\":\"C1\"}],\"format\":\"rectrack-import/1\"}");
  rt_dataset_t *c = parse_text(
      "{\"format\": \"rectrack-import/1\", \"measurements\": [{\"commitment\": "
      "\"C1\", \"value\": 6.5, \"as_of\": \"2024-01-01\"}]}");
  assert_string_equal(request_id_of(a, 0), request_id_of(b, 0));
  assert_string_not_equal(request_id_of(a, 0), request_id_of(c, 0));
  rt_dataset_free(a);
  rt_dataset_free(b);
  rt_dataset_free(c);
}

static void test_identical_items_get_their_own_ids(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_good();
  /* follow_ups[1] and [2] are the same report written twice. */
  assert_string_not_equal(request_id_of(ds, 8), request_id_of(ds, 9));
  rt_dataset_t *again = parse_good();
  assert_string_equal(request_id_of(ds, 9), request_id_of(again, 9));
  rt_dataset_free(ds);
  rt_dataset_free(again);
}

/* ---- references ------------------------------------------------------- */

static void test_references_wait_for_server_ids(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_good();
  rt_error_t err;
  rt_dataset_item_t *commitment = rt_dataset_item(ds, 5);
  assert_int_equal(commitment->refs_len, 2);
  assert_string_equal(commitment->refs[0].key, "idm23-diaspora-2");
  assert_int_equal(commitment->refs[0].target, 4);
  assert_string_equal(commitment->refs[0].path,
                      "commitments[0].recommendations[0]");
  assert_string_equal(commitment->refs[1].key, "R40");
  assert_int_equal(commitment->refs[1].target, RT_DATASET_NO_ITEM);

  assert_true(rt_dataset_is_ready(ds, 3));
  assert_false(rt_dataset_is_ready(ds, 5));
  assert_int_equal(rt_dataset_resolve(ds, 5, &err), RT_ENOTFOUND);
  assert_string_equal(err.field, "commitments[0].recommendations[0]");
  assert_non_null(strstr(err.message, "idm23-diaspora-2"));

  assert_int_equal(rt_dataset_set_server_id(ds, 4, "R7", &err), 0);
  assert_true(rt_dataset_is_ready(ds, 5));
  assert_int_equal(rt_dataset_resolve(ds, 5, &err), 0);
  const Rectrack__V1__Commitment *created =
      commitment->request.commitment->commitment;
  assert_string_equal(created->recommendation_ids[0], "R7");
  assert_string_equal(created->recommendation_ids[1], "R40");
  /* Resolving again is harmless. */
  assert_int_equal(rt_dataset_resolve(ds, 5, &err), 0);
  assert_string_equal(created->recommendation_ids[0], "R7");
  rt_dataset_free(ds);
}

static void
test_subjects_resolve_to_recommendations_and_commitments(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_good();
  rt_error_t err;
  assert_int_equal(rt_dataset_set_server_id(ds, 3, "R1", &err), 0);
  assert_int_equal(rt_dataset_set_server_id(ds, 5, "C2", &err), 0);
  for (size_t i = 7; i < rt_dataset_count(ds); i++)
    assert_int_equal(rt_dataset_resolve(ds, i, &err), 0);
  assert_string_equal(
      rt_dataset_item(ds, 7)->request.follow_up->follow_up->subject_id, "R1");
  assert_string_equal(
      rt_dataset_item(ds, 8)->request.follow_up->follow_up->subject_id, "C2");
  /* Server ids that are no key in the file are taken as they are. */
  assert_string_equal(
      rt_dataset_item(ds, 10)->request.follow_up->follow_up->subject_id, "R12");
  assert_string_equal(
      rt_dataset_item(ds, 11)->request.follow_up->follow_up->subject_id, "C3");
  const Rectrack__V1__RecordMeasurementRequest *measurement =
      rt_dataset_item(ds, 12)->request.measurement;
  assert_string_equal(measurement->commitment_id, "C2");
  assert_string_equal(measurement->measurement->commitment_id, "C2");
  assert_string_equal(
      rt_dataset_item(ds, 13)->request.measurement->commitment_id, "C9");
  assert_int_equal(rt_dataset_set_server_id(ds, 99, "R1", &err), RT_EINVAL);
  assert_int_equal(rt_dataset_set_server_id(ds, 3, "", &err), RT_EINVAL);
  assert_int_equal(rt_dataset_resolve(ds, 99, &err), RT_EINVAL);
  rt_dataset_free(ds);
}

static void test_keys_shaped_like_server_ids_name_file_items(void **state) {
  (void)state;
  /* An exported file keys records by their server ids; on re-import into
   * another store they are keys again. */
  rt_dataset_t *ds = parse_text(
      "{\"format\": \"rectrack-import/1\", \"recommendations\": [{\"key\": "
      "\"R5\", \"source_id\": \"s\", \"title\": \"t\"}], \"follow_ups\": "
      "[{\"subject\": \"R5\", \"status\": \"stalled\", \"as_of\": "
      "\"2024-01-01\"}]}");
  assert_int_equal(rt_dataset_item(ds, 1)->refs[0].target, 0);
  assert_false(rt_dataset_is_ready(ds, 1));
  rt_dataset_free(ds);
}

/* ---- writer ----------------------------------------------------------- */

/* The records a store would hold after importing good.json, taken from
 * the parsed requests, with ids assigned. */
typedef struct records_fixture {
  rt_dataset_t *ds;
  /* Each array has room for every item of ds. */
  Rectrack__V1__Source **sources;
  Rectrack__V1__Actor **actors;
  Rectrack__V1__Recommendation **recommendations;
  Rectrack__V1__Commitment **commitments;
  Rectrack__V1__FollowUp **follow_ups;
  Rectrack__V1__Measurement **measurements;
  Rectrack__V1__Theme **themes;
  Rectrack__V1__DimensionKey **dimension_keys;
  rt_dataset_records_t records;
} records_fixture_t;

static void set_string(char **field, const char *value) {
  if (*field != protobuf_c_empty_string)
    free(*field);
  *field = strdup(value);
  assert_non_null(*field);
}

static void add_record(records_fixture_t *f, rt_dataset_item_t *item,
                       size_t index) {
  rt_dataset_records_t *r = &f->records;
  char id[32];
  switch (item->kind) {
  case RT_DATASET_SOURCE:
    f->sources[r->sources_len++] = item->request.source->source;
    break;
  case RT_DATASET_ACTOR:
    f->actors[r->actors_len++] = item->request.actor->actor;
    break;
  case RT_DATASET_RECOMMENDATION:
    snprintf(id, sizeof id, "R%zu", index + 1);
    set_string(&item->request.recommendation->recommendation->id, id);
    assert_int_equal(rt_dataset_set_server_id(f->ds, index, id, NULL), 0);
    f->recommendations[r->recommendations_len++] =
        item->request.recommendation->recommendation;
    break;
  case RT_DATASET_COMMITMENT:
    snprintf(id, sizeof id, "C%zu", index + 1);
    set_string(&item->request.commitment->commitment->id, id);
    assert_int_equal(rt_dataset_set_server_id(f->ds, index, id, NULL), 0);
    f->commitments[r->commitments_len++] = item->request.commitment->commitment;
    break;
  case RT_DATASET_FOLLOW_UP:
    f->follow_ups[r->follow_ups_len++] = item->request.follow_up->follow_up;
    break;
  case RT_DATASET_MEASUREMENT:
    f->measurements[r->measurements_len++] =
        item->request.measurement->measurement;
    break;
  case RT_DATASET_THEME:
    f->themes[r->themes_len++] = item->request.theme->theme;
    break;
  case RT_DATASET_DIMENSION_KEY:
    f->dimension_keys[r->dimension_keys_len++] =
        item->request.dimension_key->dimension_key;
    break;
  }
}

static void *alloc_array(size_t n) {
  void *array = calloc(n ? n : 1, sizeof(void *));
  assert_non_null(array);
  return array;
}

/* Parses path and turns its items into the records a store would hold
 * after importing it, recommendations and commitments numbered by their
 * item index. */
static void load_records(records_fixture_t *f, const char *path) {
  memset(f, 0, sizeof *f);
  rt_dataset_errors_t errors;
  assert_int_equal(rt_dataset_parse_file(path, &f->ds, &errors, NULL), 0);
  rt_dataset_errors_free(&errors);
  size_t n = rt_dataset_count(f->ds);
  f->sources = alloc_array(n);
  f->actors = alloc_array(n);
  f->recommendations = alloc_array(n);
  f->commitments = alloc_array(n);
  f->follow_ups = alloc_array(n);
  f->measurements = alloc_array(n);
  f->themes = alloc_array(n);
  f->dimension_keys = alloc_array(n);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(rt_dataset_resolve(f->ds, i, NULL), 0);
    add_record(f, rt_dataset_item(f->ds, i), i);
  }
  f->records.sources = f->sources;
  f->records.actors = f->actors;
  f->records.recommendations = f->recommendations;
  f->records.commitments = f->commitments;
  f->records.follow_ups = f->follow_ups;
  f->records.measurements = f->measurements;
  f->records.themes = f->themes;
  f->records.dimension_keys = f->dimension_keys;
}

static void free_records(records_fixture_t *f) {
  free(f->sources);
  free(f->actors);
  free(f->recommendations);
  free(f->commitments);
  free(f->follow_ups);
  free(f->measurements);
  free(f->themes);
  free(f->dimension_keys);
  rt_dataset_free(f->ds);
}

/* The packed form of the record inside an item's request, with the fields
 * the format does not carry (request id, server-assigned id) cleared. */
static uint8_t *pack_record(rt_dataset_item_t *item, size_t *len) {
  ProtobufCMessage *record = NULL;
  char **id = NULL;
  switch (item->kind) {
  case RT_DATASET_SOURCE:
    record = &item->request.source->source->base;
    break;
  case RT_DATASET_ACTOR:
    record = &item->request.actor->actor->base;
    break;
  case RT_DATASET_RECOMMENDATION:
    record = &item->request.recommendation->recommendation->base;
    id = &item->request.recommendation->recommendation->id;
    break;
  case RT_DATASET_COMMITMENT:
    record = &item->request.commitment->commitment->base;
    id = &item->request.commitment->commitment->id;
    break;
  case RT_DATASET_FOLLOW_UP:
    record = &item->request.follow_up->follow_up->base;
    break;
  case RT_DATASET_MEASUREMENT:
    record = &item->request.measurement->measurement->base;
    break;
  case RT_DATASET_THEME:
    record = &item->request.theme->theme->base;
    break;
  case RT_DATASET_DIMENSION_KEY:
    record = &item->request.dimension_key->dimension_key->base;
    break;
  }
  if (id != NULL)
    set_string(id, "");
  *len = protobuf_c_message_get_packed_size(record);
  uint8_t *packed = malloc(*len + 1);
  assert_non_null(packed);
  protobuf_c_message_pack(record, packed);
  return packed;
}

/* write(records of path) parses back to the same records, item by item,
 * and writing those again gives the same text. */
static void check_round_trip(const char *path) {
  records_fixture_t f;
  load_records(&f, path);
  char *text = NULL, *again_text = NULL;
  size_t len = 0, again_len = 0;
  rt_error_t err;
  assert_int_equal(rt_dataset_write(&f.records, &text, &len, &err), 0);
  assert_int_equal(strlen(text), len);
  assert_true(len > 0 && text[len - 1] == '\n');
  rt_dataset_t *again = parse_text(text);
  assert_int_equal(rt_dataset_count(again), rt_dataset_count(f.ds));
  for (size_t i = 0; i < rt_dataset_count(again); i++) {
    rt_dataset_item_t *want = rt_dataset_item(f.ds, i);
    rt_dataset_item_t *got = rt_dataset_item(again, i);
    assert_int_equal(got->kind, want->kind);
    if (want->server_id != NULL)
      assert_string_equal(got->key, want->server_id);
    size_t want_len, got_len;
    uint8_t *want_packed = pack_record(want, &want_len);
    uint8_t *got_packed = pack_record(got, &got_len);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got_packed, want_packed, want_len);
    free(want_packed);
    free(got_packed);
  }
  rt_dataset_free(again);
  free_records(&f);
  /* Written twice from the same records: the same bytes. */
  load_records(&f, path);
  assert_int_equal(rt_dataset_write(&f.records, &again_text, &again_len, &err),
                   0);
  assert_int_equal(again_len, len);
  assert_string_equal(again_text, text);
  free(again_text);
  free(text);
  free_records(&f);
}

static void test_written_file_parses_back_to_the_same_records(void **state) {
  (void)state;
  check_round_trip(GOOD_FILE);
  records_fixture_t f;
  load_records(&f, GOOD_FILE);
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(rt_dataset_write(&f.records, &text, &len, NULL), 0);
  assert_non_null(strstr(text, "\"key\": \"R4\""));
  assert_non_null(strstr(text, "\"subject\": \"R4\""));
  assert_non_null(
      strstr(text, "\"recommendations\": [\n        \"R5\",\n        \"R40\""));
  free(text);
  free_records(&f);
}

static void test_demo_dataset_round_trips(void **state) {
  (void)state;
  check_round_trip(RT_DEMO_JSON);
}

static void test_writer_keeps_numbers_exact_and_short(void **state) {
  (void)state;
  records_fixture_t f;
  load_records(&f, GOOD_FILE);
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(rt_dataset_write(&f.records, &text, &len, NULL), 0);
  /* good.json has 0.30000000000000004, which needs 17 digits. */
  assert_non_null(strstr(text, "0.30000000000000004"));
  free(text);
  f.records.measurements_len = 1; /* only 6.2 left */
  assert_int_equal(rt_dataset_write(&f.records, &text, &len, NULL), 0);
  assert_null(strstr(text, "6.2000000000000002"));
  assert_non_null(strstr(text, "\"value\": 6.2,"));
  free(text);
  free_records(&f);
}

static void test_writer_rejects_values_the_format_cannot_hold(void **state) {
  (void)state;
  Rectrack__V1__Actor actor = RECTRACK__V1__ACTOR__INIT;
  actor.id = "a";
  actor.name = "A";
  Rectrack__V1__Actor *actors[] = {&actor};
  rt_dataset_records_t records = {.actors = actors, .actors_len = 1};
  char *text = NULL;
  size_t len = 0;
  rt_error_t err;
  assert_int_equal(rt_dataset_write(&records, &text, &len, &err), RT_EINVAL);
  assert_null(text);
  assert_string_equal(err.field, "actors[0]");
  assert_non_null(strstr(err.message, "actors[0].kind"));
  rt_dataset_records_t empty = {0};
  assert_int_equal(rt_dataset_write(&empty, &text, &len, &err), 0);
  rt_dataset_t *ds = parse_text(text);
  assert_int_equal(rt_dataset_count(ds), 0);
  rt_dataset_free(ds);
  free(text);
}

/* ---- demo data and robustness ------------------------------------------ */

static void test_demo_dataset_is_valid(void **state) {
  (void)state;
  rt_dataset_t *ds = NULL;
  rt_dataset_errors_t errors;
  rt_error_t err;
  int rc = rt_dataset_parse_file(RT_DEMO_JSON, &ds, &errors, &err);
  for (size_t i = 0; i < errors.problems_len; i++)
    print_error("demo.json: %s\n", errors.problems[i].message);
  rt_dataset_errors_free(&errors);
  assert_int_equal(rc, 0);
  assert_true(rt_dataset_count_kind(ds, RT_DATASET_ACTOR) >= 15);
  assert_true(rt_dataset_count_kind(ds, RT_DATASET_RECOMMENDATION) >= 40);
  assert_true(rt_dataset_count_kind(ds, RT_DATASET_COMMITMENT) >= 8);
  rt_dataset_free(ds);
}

static char *read_file(const char *path, size_t *len) {
  FILE *file = fopen(path, "rb");
  assert_non_null(file);
  char *data = calloc(1, 1 << 20);
  assert_non_null(data);
  *len = fread(data, 1, (1 << 20) - 1, file);
  fclose(file);
  return data;
}

/* A small deterministic generator, so that a failure replays exactly. */
static uint32_t next_random(uint32_t *seed) {
  *seed = *seed * 1103515245u + 12345u;
  return *seed >> 8;
}

/* Applies one random edit to text (len bytes, room for len + 8). */
static size_t mutate(char *text, size_t len, uint32_t *seed) {
  static const char pieces[] = "{}[],:\"0123456789.-aRC\\u \x01\xc3\xff";
  size_t at = len ? next_random(seed) % len : 0;
  switch (next_random(seed) % 4) {
  case 0: /* replace a byte */
    if (len)
      text[at] = pieces[next_random(seed) % (sizeof pieces - 1)];
    return len;
  case 1: /* delete up to 8 bytes */ {
    size_t n = next_random(seed) % 8 + 1;
    if (at + n > len)
      n = len - at;
    memmove(text + at, text + at + n, len - at - n);
    return len - n;
  }
  case 2: /* insert a byte */
    memmove(text + at + 1, text + at, len - at);
    text[at] = pieces[next_random(seed) % (sizeof pieces - 1)];
    return len + 1;
  default: /* swap two bytes */ {
    size_t other = len ? next_random(seed) % len : 0;
    char byte = text[at];
    text[at] = text[other];
    text[other] = byte;
    return len;
  }
  }
}

static void test_damaged_files_never_crash_or_pass_silently(void **state) {
  (void)state;
  size_t len = 0;
  char *original = read_file(GOOD_FILE, &len);
  char *text = malloc(len + 64);
  assert_non_null(text);
  uint32_t seed = 20240301;
  size_t rejected = 0;
  for (int round = 0; round < 3000; round++) {
    memcpy(text, original, len);
    size_t text_len = len;
    int edits = (int)(next_random(&seed) % 3) + 1;
    for (int i = 0; i < edits; i++)
      text_len = mutate(text, text_len, &seed);
    rt_dataset_t *ds = NULL;
    rt_dataset_errors_t errors;
    int rc =
        rt_dataset_parse_buffer(text, text_len, "mutated", &ds, &errors, NULL);
    if (rc == 0) {
      assert_non_null(ds);
      assert_int_equal(errors.count, 0);
    } else {
      assert_int_equal(rc, RT_EINVAL);
      assert_null(ds);
      assert_true(errors.count > 0 && errors.problems_len > 0);
      assert_true(strlen(errors.problems[0].message) > 0);
      rejected++;
    }
    rt_dataset_errors_free(&errors);
    rt_dataset_free(ds);
  }
  /* Most random edits break something, and that is noticed. */
  assert_true(rejected > 1500);
  free(text);
  free(original);
}

static void test_server_id_shape(void **state) {
  (void)state;
  assert_true(rt_dataset_is_server_id("R1", 'R'));
  assert_true(rt_dataset_is_server_id("C120", 'C'));
  assert_false(rt_dataset_is_server_id("R0", 'R'));
  assert_false(rt_dataset_is_server_id("R01", 'R'));
  assert_false(rt_dataset_is_server_id("R", 'R'));
  assert_false(rt_dataset_is_server_id("C1", 'R'));
  assert_false(rt_dataset_is_server_id("r1", 'R'));
  assert_false(rt_dataset_is_server_id("R1x", 'R'));
  assert_false(rt_dataset_is_server_id(NULL, 'R'));
}

int main(int argc, char **argv) {
  const struct CMUnitTest parse[] = {
      cmocka_unit_test(test_good_file_yields_items_in_apply_order),
      cmocka_unit_test(test_good_file_fills_every_request_field),
      cmocka_unit_test(test_empty_document_has_no_items),
      cmocka_unit_test(test_missing_file_is_an_io_error),
  };
  const struct CMUnitTest errors[] = {
      cmocka_unit_test(test_every_problem_is_reported_with_its_path),
      cmocka_unit_test(test_document_level_problems),
      cmocka_unit_test(test_list_limits_and_utf8_are_enforced),
  };
  const struct CMUnitTest request_ids[] = {
      cmocka_unit_test(test_request_ids_are_stable_and_distinct),
      cmocka_unit_test(test_request_id_ignores_layout_but_not_content),
      cmocka_unit_test(test_identical_items_get_their_own_ids),
  };
  const struct CMUnitTest references[] = {
      cmocka_unit_test(test_references_wait_for_server_ids),
      cmocka_unit_test(
          test_subjects_resolve_to_recommendations_and_commitments),
      cmocka_unit_test(test_keys_shaped_like_server_ids_name_file_items),
  };
  const struct CMUnitTest writer[] = {
      cmocka_unit_test(test_written_file_parses_back_to_the_same_records),
      cmocka_unit_test(test_writer_keeps_numbers_exact_and_short),
      cmocka_unit_test(test_writer_rejects_values_the_format_cannot_hold),
  };
  const struct CMUnitTest demo[] = {
      cmocka_unit_test(test_demo_dataset_is_valid),
      cmocka_unit_test(test_demo_dataset_round_trips),
  };
  const struct CMUnitTest robustness[] = {
      cmocka_unit_test(test_damaged_files_never_crash_or_pass_silently),
  };
  const struct CMUnitTest ids[] = {
      cmocka_unit_test(test_server_id_shape),
  };
  const char *group = argc > 1 ? argv[1] : NULL;
  int failed = 0;
#define RUN_GROUP(name)                                                        \
  if (group == NULL || strcmp(group, #name) == 0)                              \
  failed += cmocka_run_group_tests_name(#name, name, NULL, NULL)
  RUN_GROUP(parse);
  RUN_GROUP(errors);
  RUN_GROUP(request_ids);
  RUN_GROUP(references);
  RUN_GROUP(writer);
  RUN_GROUP(ids);
  RUN_GROUP(demo);
  RUN_GROUP(robustness);
  return failed != 0;
}
