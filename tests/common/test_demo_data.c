/*
 * The demo dataset (data/demo.json) against the reference lists and its
 * own promises: it imports; every SDG target, GCM objective, theme and
 * evidence link in it passes the rules of rt_validate; every
 * recommendation and commitment cites its seed section; every field the
 * seed documents do not give is named in the record's "illustrative"
 * list; the agenda items of the IDM 2017 workshop are notes on its source,
 * not recommendations; the Philippine law is not counted under every GCM
 * objective; the SDG 10.c targets state both parts of the target. And the
 * import format's check of "illustrative" lists (dataset/rt_dataset.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "rt_dataset.h"
#include "rt_validate.h"

#ifndef RT_DEMO_JSON
#error "RT_DEMO_JSON names data/demo.json"
#endif

static json_t *load_demo(void) {
  json_error_t error;
  json_t *demo = json_load_file(RT_DEMO_JSON, JSON_REJECT_DUPLICATES, &error);
  if (demo == NULL)
    fail_msg("demo.json:%d:%d: %s", error.line, error.column, error.text);
  return demo;
}

static const char *text_of(json_t *obj, const char *name) {
  const char *value = json_string_value(json_object_get(obj, name));
  return value ? value : "";
}

static bool lists(json_t *obj, const char *field) {
  json_t *list = json_object_get(obj, "illustrative");
  size_t i;
  json_t *entry;
  json_array_foreach(list, i, entry) {
    if (strcmp(json_string_value(entry), field) == 0)
      return true;
  }
  return false;
}

static bool is_given(json_t *value) {
  return value != NULL && !json_is_null(value) &&
         !(json_is_string(value) && json_string_length(value) == 0) &&
         !(json_is_array(value) && json_array_size(value) == 0);
}

/* Fails with the record's path unless rc is 0. */
static void expect_valid(int rc, const rt_error_t *err, const char *section,
                         size_t index) {
  if (rc != 0)
    fail_msg("%s[%zu]: %s", section, index, err->message);
}

static void test_demo_dataset_imports(void **state) {
  (void)state;
  rt_dataset_t *ds = NULL;
  rt_dataset_errors_t errors = {0};
  rt_error_t err;
  int rc = rt_dataset_parse_file(RT_DEMO_JSON, &ds, &errors, &err);
  for (size_t i = 0; i < errors.problems_len; i++)
    print_error("demo.json: %s\n", errors.problems[i].message);
  rt_dataset_errors_free(&errors);
  assert_int_equal(rc, 0);
  assert_int_equal(rt_dataset_count_kind(ds, RT_DATASET_RECOMMENDATION), 70);
  assert_int_equal(rt_dataset_count_kind(ds, RT_DATASET_COMMITMENT), 16);
  assert_int_equal(rt_dataset_count_kind(ds, RT_DATASET_FOLLOW_UP), 85);
  rt_dataset_free(ds);
}

/* Tags and theme of one recommendation or commitment. */
static void check_tags(json_t *record, const char *section, size_t index) {
  rt_error_t err;
  char field[96];
  size_t i;
  json_t *entry;
  json_array_foreach(json_object_get(record, "sdg_targets"), i, entry) {
    snprintf(field, sizeof field, "%s[%zu].sdg_targets[%zu]", section, index,
             i);
    expect_valid(rt_validate_sdg_target(json_string_value(entry), field, &err),
                 &err, section, index);
  }
  json_array_foreach(json_object_get(record, "gcm_objectives"), i, entry) {
    snprintf(field, sizeof field, "%s[%zu].gcm_objectives[%zu]", section, index,
             i);
    expect_valid(
        rt_validate_gcm_objective((int)json_integer_value(entry), field, &err),
        &err, section, index);
  }
  snprintf(field, sizeof field, "%s[%zu].theme", section, index);
  expect_valid(rt_validate_theme(text_of(record, "theme"), field, &err), &err,
               section, index);
  assert_true(strlen(text_of(record, "theme")) > 0);
}

static void test_every_tag_and_link_is_in_the_lists(void **state) {
  (void)state;
  json_t *demo = load_demo();
  size_t i, j;
  json_t *record, *link;
  json_array_foreach(json_object_get(demo, "recommendations"), i, record)
      check_tags(record, "recommendations", i);
  json_array_foreach(json_object_get(demo, "commitments"), i, record)
      check_tags(record, "commitments", i);
  size_t links = 0;
  json_array_foreach(json_object_get(demo, "follow_ups"), i, record) {
    json_array_foreach(json_object_get(record, "evidence"), j, link) {
      char field[64];
      rt_error_t err;
      snprintf(field, sizeof field, "follow_ups[%zu].evidence[%zu]", i, j);
      expect_valid(rt_validate_evidence(json_string_value(link), field, &err),
                   &err, "follow_ups", i);
      links++;
    }
  }
  assert_true(links > 0);
  json_decref(demo);
}

/* Whether text names a seed document ("001 §9", "(002)"). */
static bool cites_a_seed(const char *text) {
  static const char *const seeds[] = {"000", "001", "002", "003", "004"};
  for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
    for (const char *at = strstr(text, seeds[i]); at != NULL;
         at = strstr(at + 1, seeds[i]))
      if (at[3] == ' ' || at[3] == ')' || at[3] == ';')
        return true;
  return false;
}

static void test_every_record_cites_its_seed_section(void **state) {
  (void)state;
  json_t *demo = load_demo();
  size_t i;
  json_t *record;
  json_array_foreach(json_object_get(demo, "recommendations"), i, record) {
    const char *ref = text_of(record, "source_ref");
    if (strncmp(ref, "00", 2) != 0 || strlen(ref) < 6)
      fail_msg("recommendations[%zu]: source_ref \"%s\" cites no seed section",
               i, ref);
  }
  json_array_foreach(json_object_get(demo, "commitments"), i, record) {
    if (!cites_a_seed(text_of(record, "text")))
      fail_msg("commitments[%zu]: its text cites no seed document", i);
  }
  json_decref(demo);
}

/* The seed documents record recommendations, not who they are addressed
 * to, who leads them, when they are due, or what followed. */
static void test_invented_fields_are_marked_illustrative(void **state) {
  (void)state;
  json_t *demo = load_demo();
  static const char *const rec_invented[] = {"due_date", "addressed_to",
                                             "lead_actor_id"};
  size_t i, due_dates = 0;
  json_t *record;
  json_array_foreach(json_object_get(demo, "recommendations"), i, record) {
    for (size_t f = 0; f < 3; f++)
      if (is_given(json_object_get(record, rec_invented[f])) &&
          !lists(record, rec_invented[f]))
        fail_msg("recommendations[%zu]: %s is not marked illustrative", i,
                 rec_invented[f]);
    due_dates += is_given(json_object_get(record, "due_date"));
  }
  assert_true(due_dates > 50);
  json_array_foreach(json_object_get(demo, "commitments"), i, record) {
    if (json_array_size(json_object_get(record, "illustrative")) == 0)
      fail_msg("commitments[%zu]: no field is marked illustrative", i);
  }
  /* Follow-ups and measurements are invented whole: every field given. */
  const char *const whole[] = {"follow_ups", "measurements"};
  for (size_t s = 0; s < 2; s++) {
    json_t *field_value;
    const char *name;
    json_array_foreach(json_object_get(demo, whole[s]), i, record) {
      json_object_foreach(record, name, field_value) {
        if (strcmp(name, "illustrative") != 0 && is_given(field_value) &&
            !lists(record, name))
          fail_msg("%s[%zu]: %s is not marked illustrative", whole[s], i, name);
      }
    }
  }
  json_decref(demo);
}

static void test_demo_is_faithful_to_its_seeds(void **state) {
  (void)state;
  json_t *demo = load_demo();
  size_t i, quantified_10c = 0;
  json_t *record;
  /* The IDM 2017 workshop's agenda (004) asks questions; it recommends
   * nothing. Its panels are notes on the source. */
  json_array_foreach(json_object_get(demo, "recommendations"), i, record) {
    if (strcmp(text_of(record, "source_id"), "idm-2017-ws-ny") == 0)
      fail_msg("recommendations[%zu] is an agenda item of idm-2017-ws-ny", i);
  }
  json_array_foreach(json_object_get(demo, "sources"), i, record) {
    if (strcmp(text_of(record, "id"), "idm-2017-ws-ny") == 0)
      assert_non_null(strstr(text_of(record, "description"), "(6) "));
  }
  json_array_foreach(json_object_get(demo, "commitments"), i, record) {
    json_t *objectives = json_object_get(record, "gcm_objectives");
    if (json_array_size(objectives) > 5)
      fail_msg("commitments[%zu] carries %zu GCM objectives", i,
               json_array_size(objectives));
    if (strcmp(text_of(record, "key"), "phl-dmw-law") == 0) {
      assert_int_equal(json_array_size(objectives), 1);
      assert_int_equal(json_integer_value(json_array_get(objectives, 0)), 19);
    }
    /* SDG 10.c: below 3 per cent on average, no corridor above 5. */
    json_t *targets = json_object_get(record, "sdg_targets");
    bool on_10c = false;
    size_t j;
    json_t *target;
    json_array_foreach(targets, j, target) {
      on_10c = on_10c || strcmp(json_string_value(target), "10.c") == 0;
    }
    if (on_10c && strcmp(text_of(record, "kind"), "quantified-target") == 0) {
      quantified_10c++;
      const char *text = text_of(record, "text");
      if (strstr(text, "3 per cent") == NULL ||
          strstr(text, "5 per cent") == NULL)
        fail_msg("commitments[%zu] states only one part of SDG 10.c", i);
    }
  }
  assert_true(quantified_10c >= 1);
  json_decref(demo);
}

/* ---- the import format's "illustrative" member ----------------------- */

/* Parses a file of one source, one actor and the recommendation rec (a
 * JSON object's members) and returns the first problem's message, or ""
 * when it parses. */
static const char *parse_with(const char *rec, char out[512]) {
  char doc[2048];
  snprintf(doc, sizeof doc,
           "{\"format\": \"rectrack-import/1\","
           " \"actors\": [{\"id\": \"iom\", \"name\": \"IOM\","
           "   \"kind\": \"un-entity\"}],"
           " \"sources\": [{\"id\": \"idm\", \"title\": \"IDM\","
           "   \"kind\": \"dialogue\", \"date\": \"2023-03-30\"}],"
           " \"recommendations\": [{\"key\": \"r1\", \"source_id\": \"idm\","
           "   \"title\": \"A recommendation\", \"due_date\": \"2027-12-31\","
           "   %s}],"
           " \"commitments\": [{\"key\": \"c1\", \"actor_id\": \"iom\","
           "   \"title\": \"A pledge\", \"kind\": \"quantified-target\","
           "   \"illustrative\": [\"indicator.target_value\"],"
           "   \"indicator\": {\"name\": \"Cost\", \"baseline_value\": 6,"
           "     \"baseline_date\": \"2023-01-01\", \"target_value\": 3,"
           "     \"target_date\": \"2030-12-31\", \"direction\": \"decrease\"}"
           "  }]}",
           rec);
  rt_dataset_t *ds = NULL;
  rt_dataset_errors_t errors = {0};
  rt_error_t err;
  out[0] = '\0';
  if (rt_dataset_parse_buffer(doc, strlen(doc), "test.json", &ds, &errors,
                              &err) != 0)
    snprintf(out, 512, "%s",
             errors.problems_len ? errors.problems[0].message : err.message);
  rt_dataset_errors_free(&errors);
  rt_dataset_free(ds);
  return out;
}

static void test_illustrative_lists_name_fields_of_their_item(void **state) {
  (void)state;
  char message[512];
  assert_string_equal(
      parse_with("\"illustrative\": [\"due_date\", \"title\"]", message), "");
  assert_string_equal(parse_with("\"illustrative\": []", message), "");
  const struct {
    const char *members, *problem;
  } bad[] = {
      {"\"illustrative\": \"due_date\"",
       "recommendations[0].illustrative: must be an array of field names"},
      {"\"illustrative\": [\"lead_actor_id\"]",
       "recommendations[0].illustrative[0]: \"lead_actor_id\" is not a "
       "field of this item"},
      {"\"illustrative\": [\"due_date\", \"colour\"]",
       "recommendations[0].illustrative[1]: \"colour\" is not a field"},
      {"\"illustrative\": [\"key\"]", "\"key\" is not a field"},
      {"\"illustrative\": [\"illustrative\"]",
       "\"illustrative\" is not a field"},
      {"\"illustrative\": [\"title.x\"]", "\"title.x\" is not a field"},
      {"\"illustrative\": [5]",
       "recommendations[0].illustrative[0]: must be a field name"},
      {"\"illustrative\": [\"title\", \"title\"]",
       "recommendations[0].illustrative[1]: repeats entry 0"},
      {"\"lead_actor_id\": null, \"illustrative\": [\"lead_actor_id\"]",
       "\"lead_actor_id\" is not a field"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    parse_with(bad[i].members, message);
    if (strstr(message, bad[i].problem) == NULL)
      fail_msg("%s: got \"%s\"", bad[i].members, message);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_demo_dataset_imports),
      cmocka_unit_test(test_every_tag_and_link_is_in_the_lists),
      cmocka_unit_test(test_every_record_cites_its_seed_section),
      cmocka_unit_test(test_invented_fields_are_marked_illustrative),
      cmocka_unit_test(test_demo_is_faithful_to_its_seeds),
      cmocka_unit_test(test_illustrative_lists_name_fields_of_their_item),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
