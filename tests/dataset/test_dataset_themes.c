/*
 * Tests of the themes kind of the import format: themes the secretariat
 * added at run time, carried by an export so that an import into a fresh
 * server knows every theme its records are tagged with. Parsing (read
 * first whatever their place in the file), the checks CreateTheme makes,
 * problems named by item or line, the writer in both forms read back, and
 * the comparison with the themes a writer holds already.
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

static void expect_problems(const char *text, size_t n,
                            const char *const *paths,
                            const char *const *fragments) {
  rt_dataset_t *ds = NULL;
  rt_dataset_errors_t errors;
  rt_error_t err;
  assert_int_equal(
      rt_dataset_parse_buffer(text, strlen(text), "t.json", &ds, &errors, &err),
      RT_EINVAL);
  assert_null(ds);
  for (size_t i = 0; errors.count != n && i < errors.problems_len; i++)
    print_error("got: %s\n", errors.problems[i].message);
  assert_int_equal(errors.count, n);
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(errors.problems[i].path, paths[i]);
    if (strstr(errors.problems[i].message, fragments[i]) == NULL)
      print_error("got: %s\n", errors.problems[i].message);
    assert_non_null(strstr(errors.problems[i].message, fragments[i]));
  }
  rt_dataset_errors_free(&errors);
}

static void test_themes_are_read_first(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_text(
      DOC("\"recommendations\": [{\"key\": \"r1\", \"source_id\": \"s\", "
          "\"title\": \"t\", \"theme\": \"fairs\"}], "
          "\"themes\": [{\"id\": \"fairs\", \"title\": \"Recruitment fairs\", "
          "\"source_ref\": \"Dhaka 2024, panel 2\"}, "
          "{\"id\": \"visas\", \"title\": \"Visas\"}]"));
  assert_int_equal(rt_dataset_count(ds), 3);
  assert_int_equal(rt_dataset_count_kind(ds, RT_DATASET_THEME), 2);
  rt_dataset_item_t *fairs = rt_dataset_item(ds, 0);
  assert_int_equal(fairs->kind, RT_DATASET_THEME);
  assert_string_equal(fairs->path, "themes[0]");
  assert_string_equal(fairs->key, "fairs");
  const Rectrack__V1__Theme *theme = fairs->request.theme->theme;
  assert_string_equal(theme->id, "fairs");
  assert_string_equal(theme->title, "Recruitment fairs");
  assert_string_equal(theme->source_ref, "Dhaka 2024, panel 2");
  assert_false(theme->added); /* the server sets it */
  assert_string_equal(fairs->request.theme->request_id, fairs->request_id);
  assert_int_equal(strncmp(fairs->request_id, "import:", 7), 0);
  assert_string_equal(rt_dataset_item(ds, 1)->request.theme->theme->source_ref,
                      "");
  assert_int_equal(rt_dataset_item(ds, 2)->kind, RT_DATASET_RECOMMENDATION);
  assert_string_equal(rt_dataset_kind_name(RT_DATASET_THEME), "theme");
  rt_dataset_free(ds);
}

static void test_bad_themes_are_named(void **state) {
  (void)state;
  static const char *const paths[] = {
      "themes[0].id", "themes[0].title", "themes[1].id",
      "themes[3].id", "themes[4]",       "themes[5].title",
  };
  static const char *const fragments[] = {
      "is not an id",
      "is required",
      "\"data\" is a theme of the reference lists already",
      "theme id \"fairs\" is already used by themes[2]",
      "unknown field \"name\"",
      "must be a string",
  };
  expect_problems(DOC("\"themes\": [{\"id\": \"Not A Slug\"}, "
                      "{\"id\": \"data\", \"title\": \"Data\"}, "
                      "{\"id\": \"fairs\", \"title\": \"Fairs\"}, "
                      "{\"id\": \"fairs\", \"title\": \"Again\"}, "
                      "{\"id\": \"ok\", \"title\": \"T\", \"name\": \"x\"}, "
                      "{\"id\": \"ok2\", \"title\": 3}]"),
                  6, paths, fragments);
}

/* Writes themes (and a recommendation tagged with one) and reads them
 * back: the same items, the same request ids; the section is left out
 * when there is no added theme. */
static void test_written_themes_read_back(void **state) {
  (void)state;
  Rectrack__V1__Theme fairs = RECTRACK__V1__THEME__INIT;
  fairs.id = "fairs";
  fairs.title = "Recruitment fairs";
  fairs.source_ref = "Dhaka 2024";
  fairs.added = true;
  fairs.revision = 9;
  fairs.created_by = "secretariat";
  Rectrack__V1__Recommendation rec = RECTRACK__V1__RECOMMENDATION__INIT;
  rec.id = "R1";
  rec.source_id = "s";
  rec.title = "Hold fairs";
  rec.theme = "fairs";
  Rectrack__V1__Theme *themes[] = {&fairs};
  Rectrack__V1__Recommendation *recs[] = {&rec};
  rt_dataset_records_t records = {.recommendations = recs,
                                  .recommendations_len = 1,
                                  .themes = themes,
                                  .themes_len = 1};
  char *text = NULL;
  size_t len = 0;
  rt_error_t err;
  assert_int_equal(rt_dataset_write(&records, &text, &len, &err), 0);
  assert_non_null(strstr(text, "\"themes\": ["));
  assert_true(strstr(text, "\"themes\"") < strstr(text, "\"sources\""));
  assert_null(strstr(text, "revision"));
  assert_null(strstr(text, "added"));
  rt_dataset_t *ds = parse_text(text);
  assert_int_equal(rt_dataset_count(ds), 2);
  const Rectrack__V1__Theme *back =
      rt_dataset_item(ds, 0)->request.theme->theme;
  assert_string_equal(back->id, "fairs");
  assert_string_equal(back->title, "Recruitment fairs");
  assert_string_equal(back->source_ref, "Dhaka 2024");
  assert_string_equal(
      rt_dataset_item(ds, 1)->request.recommendation->recommendation->theme,
      "fairs");
  char *id = strdup(rt_dataset_item(ds, 0)->request_id);
  free(text);
  rt_dataset_free(ds);

  /* The JSON Lines form: the same theme, the same request id. */
  char *header = NULL, *line = NULL;
  size_t header_len = 0, line_len = 0;
  assert_int_equal(rt_dataset_write_lines_header(&header, &header_len, &err),
                   0);
  assert_int_equal(rt_dataset_write_line(RT_DATASET_THEME, &fairs.base, &line,
                                         &line_len, &err),
                   0);
  assert_string_equal(line, "{\"theme\":{\"id\":\"fairs\",\"title\":"
                            "\"Recruitment fairs\",\"source_ref\":\"Dhaka "
                            "2024\"}}\n");
  char path[] = "/tmp/rt_themes_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *file = fdopen(fd, "w");
  fputs(header, file);
  fputs(line, file);
  fclose(file);
  size_t items = 0;
  rt_dataset_errors_t errors;
  assert_int_equal(rt_dataset_check_lines(path, &items, &errors, &err), 0);
  assert_int_equal(items, 1);
  rt_dataset_stream_t *stream = NULL;
  rt_dataset_t *segment = NULL;
  assert_int_equal(rt_dataset_stream_open(path, &stream, &err), 0);
  assert_int_equal(rt_dataset_stream_next(stream, 16, &segment, &errors, &err),
                   0);
  assert_non_null(segment);
  assert_int_equal(rt_dataset_item(segment, 0)->kind, RT_DATASET_THEME);
  assert_string_equal(rt_dataset_item(segment, 0)->request_id, id);
  rt_dataset_stream_retire(stream, segment);
  rt_dataset_free(segment);
  rt_dataset_stream_close(stream);
  unlink(path);
  free(id);
  free(header);
  free(line);

  /* No added theme: no section, as before themes travelled. */
  records.themes_len = 0;
  assert_int_equal(rt_dataset_write(&records, &text, &len, &err), 0);
  assert_null(strstr(text, "\"themes\""));
  free(text);
}

static void test_bad_theme_lines_are_named_by_line(void **state) {
  (void)state;
  char path[] = "/tmp/rt_themes_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *file = fdopen(fd, "w");
  fputs("{\"format\": \"rectrack-import-lines/1\"}\n"
        "{\"theme\": {\"id\": \"fairs\", \"title\": \"Fairs\"}}\n"
        "{\"theme\": {\"id\": \"fairs\", \"title\": \"Fairs again\"}}\n"
        "{\"theme\": {\"id\": \"visas\"}}\n",
        file);
  fclose(file);
  size_t items = 0;
  rt_dataset_errors_t errors;
  rt_error_t err;
  assert_int_equal(rt_dataset_check_lines(path, &items, &errors, &err),
                   RT_EINVAL);
  assert_int_equal(errors.count, 2);
  assert_string_equal(errors.problems[0].path, "line 3: id");
  assert_non_null(strstr(errors.problems[0].message, "already used by line 2"));
  assert_string_equal(errors.problems[1].path, "line 4: title");
  assert_non_null(strstr(errors.problems[1].message, "is required"));
  rt_dataset_errors_free(&errors);
  unlink(path);
}

/* The same content as a theme held already: no problem (the create will
 * count as present); another title: a problem naming the item. */
static void test_existing_themes_must_agree(void **state) {
  (void)state;
  rt_dataset_t *ds = parse_text(
      DOC("\"themes\": [{\"id\": \"fairs\", \"title\": \"Recruitment fairs\"}, "
          "{\"id\": \"visas\", \"title\": \"Visas\"}, "
          "{\"id\": \"new\", \"title\": \"New\"}]"));
  Rectrack__V1__Theme fairs = RECTRACK__V1__THEME__INIT, visas = fairs;
  fairs.id = "fairs";
  fairs.title = "Recruitment fairs";
  visas.id = "visas";
  visas.title = "Visa facilitation";
  Rectrack__V1__Theme *held[] = {&fairs, &visas};
  rt_dataset_errors_t errors = {0};
  rt_error_t err;
  assert_int_equal(rt_dataset_check_existing_themes(ds, held, 1, &errors, &err),
                   0);
  assert_int_equal(errors.count, 0);
  assert_int_equal(rt_dataset_check_existing_themes(ds, held, 2, &errors, &err),
                   RT_EINVAL);
  assert_int_equal(errors.count, 1);
  assert_string_equal(errors.problems[0].path, "themes[1].title");
  assert_non_null(strstr(errors.problems[0].message,
                         "theme \"visas\" exists already with the title "
                         "\"Visa facilitation\", not \"Visas\""));
  assert_non_null(strstr(err.message, "themes[1].title"));
  rt_dataset_errors_free(&errors);
  visas.title = "Visas";
  visas.source_ref = "elsewhere";
  assert_int_equal(rt_dataset_check_existing_themes(ds, held, 2, &errors, &err),
                   RT_EINVAL);
  assert_string_equal(errors.problems[0].path, "themes[1].source_ref");
  rt_dataset_errors_free(&errors);
  rt_dataset_free(ds);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_themes_are_read_first),
      cmocka_unit_test(test_bad_themes_are_named),
      cmocka_unit_test(test_written_themes_read_back),
      cmocka_unit_test(test_bad_theme_lines_are_named_by_line),
      cmocka_unit_test(test_existing_themes_must_agree),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
