/*
 * Tests of the dimension-keys kind of the import format: keys the
 * secretariat added at run time (CreateDimensionKey), carried by an
 * export so that an import into a fresh server knows every key its
 * measurements carry. Parsing (read first whatever their place in the
 * file), the checks CreateDimensionKey makes, problems named by item or
 * line, the writer in both forms read back, and the comparison with the
 * keys a writer holds already.
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

#include "dataset_fixture.h"
#include "rt_dataset.h"

#define DOC(body) "{\"format\": \"rectrack-import/1\", " body "}"

static void test_keys_are_read_first(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_text(
      DOC("\"measurements\": [{\"commitment\": \"C1\", \"value\": 4.5, "
          "\"as_of\": \"2025-06-30\", \"dimensions\": {\"route\": \"sea\"}}], "
          "\"dimension_keys\": [{\"key\": \"route\", \"title\": \"Migration "
          "route\", \"value_rule\": \"list\", \"values\": [\"land\", \"sea\", "
          "\"air\"], \"source_ref\": \"GCM objective 1\"}, "
          "{\"key\": \"province\", \"title\": \"Province\", \"value_rule\": "
          "\"text\"}]"));
  assert_int_equal(rt_dataset_count(ds), 3);
  assert_int_equal(rt_dataset_count_kind(ds, RT_DATASET_DIMENSION_KEY), 2);
  rt_dataset_item_t *route = rt_dataset_item(ds, 0);
  assert_int_equal(route->kind, RT_DATASET_DIMENSION_KEY);
  assert_string_equal(route->path, "dimension_keys[0]");
  assert_string_equal(route->key, "route");
  const Rectrack__V1__DimensionKey *key =
      route->request.dimension_key->dimension_key;
  assert_string_equal(key->title, "Migration route");
  assert_string_equal(key->value_rule, "list");
  assert_int_equal(key->n_values, 3);
  assert_string_equal(key->values[1], "sea");
  assert_string_equal(key->source_ref, "GCM objective 1");
  assert_false(key->added);
  assert_string_equal(route->request.dimension_key->request_id,
                      route->request_id);
  assert_int_equal(rt_dataset_item(ds, 2)->kind, RT_DATASET_MEASUREMENT);
  assert_true(rt_dataset_is_reference_kind(RT_DATASET_DIMENSION_KEY));
  assert_false(rt_dataset_is_reference_kind(RT_DATASET_MEASUREMENT));
  assert_string_equal(rt_dataset_kind_name(RT_DATASET_DIMENSION_KEY),
                      "dimension key");
  rt_dataset_free(ds);
}

static void test_bad_keys_are_named(void **state) {
  (void)state;
  const char *text = DOC(
      "\"dimension_keys\": ["
      "{\"key\": \"Route\", \"title\": \"R\", \"value_rule\": \"text\"}, "
      "{\"key\": \"corridor\", \"title\": \"C\", \"value_rule\": \"text\"}, "
      "{\"key\": \"route\", \"title\": \"R\", \"value_rule\": \"shape\"}, "
      "{\"key\": \"route\", \"title\": \"R\", \"value_rule\": \"text\"}, "
      "{\"key\": \"mode\", \"value_rule\": \"list\"}]");
  rt_dataset_t *ds = NULL;
  rt_dataset_errors_t errors;
  rt_error_t err;
  assert_int_equal(
      rt_dataset_parse_buffer(text, strlen(text), "t.json", &ds, &errors, &err),
      RT_EINVAL);
  assert_null(ds);
  static const char *const paths[] = {
      "dimension_keys[0].key",        "dimension_keys[1].key",
      "dimension_keys[2].value_rule", "dimension_keys[3].key",
      "dimension_keys[4].title",      "dimension_keys[4].value_rule",
  };
  static const char *const fragments[] = {
      "lower-case",
      "is a dimension key of the reference lists already",
      "shape",
      "dimension key \"route\" is already used by "
      "dimension_keys[2]",
      "is required",
      "list",
  };
  for (size_t i = 0; i < errors.problems_len; i++)
    print_message("problem %zu: %s: %s\n", i, errors.problems[i].path,
                  errors.problems[i].message);
  assert_int_equal(errors.count, 6);
  for (size_t i = 0; i < 6; i++) {
    assert_string_equal(errors.problems[i].path, paths[i]);
    assert_non_null(strstr(errors.problems[i].message, fragments[i]));
  }
  rt_dataset_errors_free(&errors);
}

/* Written in both forms and read back: the same key and request id; no
 * section without an added key. */
static void test_written_keys_read_back(void **state) {
  (void)state;
  char *values[] = {"land", "sea"};
  Rectrack__V1__DimensionKey route = RECTRACK__V1__DIMENSION_KEY__INIT;
  route.key = "route";
  route.title = "Migration route";
  route.value_rule = "list";
  route.values = values;
  route.n_values = 2;
  route.added = true;
  route.revision = 12;
  Rectrack__V1__DimensionKey *keys[] = {&route};
  rt_dataset_records_t records = {.dimension_keys = keys,
                                  .dimension_keys_len = 1};
  char *text = NULL;
  size_t len = 0;
  rt_error_t err;
  assert_int_equal(rt_dataset_write(&records, &text, &len, &err), 0);
  assert_non_null(strstr(text, "\"dimension_keys\": ["));
  assert_true(strstr(text, "\"dimension_keys\"") < strstr(text, "\"sources\""));
  assert_null(strstr(text, "revision"));
  rt_dataset_t *ds = parse_text(text);
  assert_int_equal(rt_dataset_count(ds), 1);
  const Rectrack__V1__DimensionKey *back =
      rt_dataset_item(ds, 0)->request.dimension_key->dimension_key;
  assert_string_equal(back->key, "route");
  assert_int_equal(back->n_values, 2);
  assert_string_equal(back->values[0], "land");
  char *id = strdup(rt_dataset_item(ds, 0)->request_id);
  free(text);
  rt_dataset_free(ds);

  char *line = NULL, *header = NULL;
  size_t line_len = 0, header_len = 0;
  assert_int_equal(rt_dataset_write_lines_header(&header, &header_len, &err),
                   0);
  assert_int_equal(rt_dataset_write_line(RT_DATASET_DIMENSION_KEY, &route.base,
                                         &line, &line_len, &err),
                   0);
  assert_string_equal(line, "{\"dimension_key\":{\"key\":\"route\",\"title\":"
                            "\"Migration route\",\"value_rule\":\"list\","
                            "\"values\":[\"land\",\"sea\"]}}\n");
  char path[] = "/tmp/rt_keys_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *file = fdopen(fd, "w");
  fputs(header, file);
  fputs(line, file);
  fputs(line, file); /* the same key twice: named by line */
  fclose(file);
  size_t items = 0;
  rt_dataset_errors_t errors;
  assert_int_equal(rt_dataset_check_lines(path, &items, &errors, &err),
                   RT_EINVAL);
  assert_int_equal(errors.count, 1);
  assert_string_equal(errors.problems[0].path, "line 3: key");
  assert_non_null(strstr(errors.problems[0].message, "already used by line 2"));
  rt_dataset_errors_free(&errors);
  file = fopen(path, "w");
  fputs(header, file);
  fputs(line, file);
  fclose(file);
  rt_dataset_stream_t *stream = NULL;
  rt_dataset_t *segment = NULL;
  assert_int_equal(rt_dataset_stream_open(path, &stream, &err), 0);
  assert_int_equal(rt_dataset_stream_next(stream, 16, &segment, &errors, &err),
                   0);
  assert_int_equal(rt_dataset_item(segment, 0)->kind, RT_DATASET_DIMENSION_KEY);
  assert_string_equal(rt_dataset_item(segment, 0)->request_id, id);
  rt_dataset_stream_retire(stream, segment);
  rt_dataset_free(segment);
  rt_dataset_stream_close(stream);
  unlink(path);
  free(id);
  free(header);
  free(line);

  records.dimension_keys_len = 0;
  assert_int_equal(rt_dataset_write(&records, &text, &len, &err), 0);
  assert_null(strstr(text, "\"dimension_keys\""));
  free(text);
}

/* The same content as a key held already: no problem; another title,
 * rule or list of values: a problem naming the item's field. */
static void test_existing_keys_must_agree(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_text(
      DOC("\"dimension_keys\": [{\"key\": \"route\", \"title\": \"Route\", "
          "\"value_rule\": \"list\", \"values\": [\"land\", \"sea\"]}]"));
  char *same[] = {"land", "sea"}, *other[] = {"land", "sea", "air"};
  Rectrack__V1__DimensionKey held = RECTRACK__V1__DIMENSION_KEY__INIT;
  held.key = "route";
  held.title = "Route";
  held.value_rule = "list";
  held.values = same;
  held.n_values = 2;
  Rectrack__V1__DimensionKey *list[] = {&held};
  rt_dataset_errors_t errors = {0};
  rt_error_t err;
  assert_int_equal(
      rt_dataset_check_existing_dimension_keys(ds, list, 1, &errors, &err), 0);
  held.values = other;
  held.n_values = 3;
  assert_int_equal(
      rt_dataset_check_existing_dimension_keys(ds, list, 1, &errors, &err),
      RT_EINVAL);
  assert_int_equal(errors.count, 1);
  assert_string_equal(errors.problems[0].path, "dimension_keys[0].values");
  assert_non_null(strstr(errors.problems[0].message,
                         "dimension key \"route\" exists already with the "
                         "values \"land, sea, air\", not \"land, sea\""));
  rt_dataset_errors_free(&errors);
  rt_dataset_free(ds);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keys_are_read_first),
      cmocka_unit_test(test_bad_keys_are_named),
      cmocka_unit_test(test_written_keys_read_back),
      cmocka_unit_test(test_existing_keys_must_agree),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
