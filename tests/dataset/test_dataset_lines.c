/*
 * The JSON Lines form of the import format: problems are named by line,
 * every one of a file is reported, a line refers to items on lines before
 * it even across segments (by the server ids their load gave them),
 * identical reports in different segments keep distinct request ids, and
 * the request ids are those the document form gives the same items.
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

#include "rt_dataset.h"

static char *write_temp(const char *text) {
  char *path = strdup("/tmp/rt-lines-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *file = fdopen(fd, "w");
  fputs(text, file);
  fclose(file);
  return path;
}

#define HEADER "{\"format\": \"rectrack-import-lines/1\"}\n"
#define ACTOR                                                                  \
  "{\"actor\": {\"id\": \"iom\", \"name\": \"IOM\", \"kind\": "                \
  "\"un-entity\"}}\n"
#define SOURCE                                                                 \
  "{\"source\": {\"id\": \"idm\", \"title\": \"Dialogue\", \"kind\": "         \
  "\"dialogue\", \"date\": \"2023-03-30\"}}\n"
#define REC(key)                                                               \
  "{\"recommendation\": {\"key\": \"" key "\", \"source_id\": \"idm\", "       \
  "\"title\": \"Data\"}}\n"
#define FOLLOW_UP(subject)                                                     \
  "{\"follow_up\": {\"subject\": \"" subject "\", \"status\": "                \
  "\"in-progress\", \"as_of\": \"2024-01-01\"}}\n"

static void test_bad_lines_are_reported_by_line(void **state) {
  (void)state;
  char *path =
      write_temp(HEADER ACTOR "{\"recommendation\": {\"key\": \"r1\", "
                              "\"source_id\": \"idm\", \"title\": \"Data\", "
                              "\"sdg_targets\": [\"18.1\"]}}\n"
                              "\n"
                              "not json\n"
                              "{\"follow_up\": {\"subject\": \"nobody\", "
                              "\"status\": \"in-progress\", \"as_of\": "
                              "\"2024-01-01\"}}\n"
                              "{\"recomendation\": {}}\n");
  rt_dataset_errors_t errors;
  rt_error_t err;
  size_t items = 0;
  assert_int_equal(rt_dataset_check_lines(path, &items, &errors, &err),
                   RT_EINVAL);
  assert_int_equal(errors.count, 4);
  assert_non_null(
      strstr(errors.problems[0].message, "line 3: sdg_targets[0]: \"18.1\""));
  assert_non_null(strstr(errors.problems[1].message, "line 5: not JSON"));
  assert_non_null(strstr(errors.problems[2].message,
                         "line 6: subject: no recommendation or commitment "
                         "has key \"nobody\""));
  assert_non_null(strstr(errors.problems[3].message, "line 7: must be one"));
  rt_dataset_errors_free(&errors);
  unlink(path);
  free(path);
}

static void test_the_header_is_required(void **state) {
  (void)state;
  char *path = write_temp(ACTOR);
  rt_dataset_errors_t errors;
  rt_error_t err;
  size_t items;
  assert_int_equal(rt_dataset_check_lines(path, &items, &errors, &err),
                   RT_EINVAL);
  assert_non_null(strstr(errors.problems[0].message, "line 1: the first"));
  rt_dataset_errors_free(&errors);
  assert_false(rt_dataset_is_lines_file(path));
  unlink(path);
  free(path);
}

/* Segments of two items: the follow-ups refer to a recommendation of an
 * earlier segment, which by then has a server id. Two identical reports
 * in different segments get two request ids. */
static void test_references_cross_segments(void **state) {
  (void)state;
  char *path = write_temp(HEADER ACTOR SOURCE REC("r1") REC("r2") FOLLOW_UP(
      "r1") FOLLOW_UP("r2") FOLLOW_UP("r1") FOLLOW_UP("r1"));
  assert_true(rt_dataset_is_lines_file(path));
  rt_dataset_errors_t errors = {0};
  rt_error_t err;
  size_t items = 0;
  assert_int_equal(rt_dataset_check_lines(path, &items, &errors, &err), 0);
  assert_int_equal(items, 8);
  rt_dataset_stream_t *s;
  assert_int_equal(rt_dataset_stream_open(path, &s, &err), 0);
  char *ids[8] = {0};
  size_t n = 0;
  int number = 1;
  for (;;) {
    rt_dataset_t *segment = NULL;
    assert_int_equal(rt_dataset_stream_next(s, 2, &segment, &errors, &err), 0);
    if (segment == NULL)
      break;
    for (size_t i = 0; i < rt_dataset_count(segment); i++) {
      rt_dataset_item_t *item = rt_dataset_item(segment, i);
      assert_true(rt_dataset_is_ready(segment, i));
      assert_int_equal(rt_dataset_resolve(segment, i, &err), 0);
      if (item->kind == RT_DATASET_RECOMMENDATION) {
        char id[16];
        snprintf(id, sizeof id, "R%d", 40 + number++);
        assert_int_equal(rt_dataset_set_server_id(segment, i, id, &err), 0);
      }
      if (item->kind == RT_DATASET_FOLLOW_UP) {
        const char *subject = item->request.follow_up->follow_up->subject_id;
        assert_true(strcmp(subject, "R41") == 0 || strcmp(subject, "R42") == 0);
      }
      ids[n++] = strdup(item->request_id);
    }
    rt_dataset_stream_retire(s, segment);
    rt_dataset_free(segment);
  }
  rt_dataset_stream_close(s);
  assert_int_equal(n, 8);
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      assert_string_not_equal(ids[i], ids[j]);
  for (size_t i = 0; i < n; i++)
    free(ids[i]);
  unlink(path);
  free(path);
}

/* The same items as a document and as lines get the same request ids, so
 * an import of either after the other creates nothing twice. */
static void test_request_ids_match_the_document_form(void **state) {
  (void)state;
  const char *doc =
      "{\"format\": \"rectrack-import/1\", \"actors\": [{\"id\": \"iom\", "
      "\"name\": \"IOM\", \"kind\": \"un-entity\"}], \"sources\": [{\"id\": "
      "\"idm\", \"title\": \"Dialogue\", \"kind\": \"dialogue\", \"date\": "
      "\"2023-03-30\"}], \"recommendations\": [{\"key\": \"r1\", "
      "\"source_id\": \"idm\", \"title\": \"Data\"}], \"follow_ups\": "
      "[{\"subject\": \"r1\", \"status\": \"in-progress\", \"as_of\": "
      "\"2024-01-01\"}, {\"subject\": \"r1\", \"status\": \"in-progress\", "
      "\"as_of\": \"2024-01-01\"}]}";
  rt_dataset_t *whole = NULL;
  rt_dataset_errors_t errors = {0};
  rt_error_t err;
  assert_int_equal(
      rt_dataset_parse_buffer(doc, strlen(doc), "doc", &whole, &errors, &err),
      0);
  char *path =
      write_temp(HEADER ACTOR SOURCE REC("r1") FOLLOW_UP("r1") FOLLOW_UP("r1"));
  rt_dataset_stream_t *s;
  assert_int_equal(rt_dataset_stream_open(path, &s, &err), 0);
  rt_dataset_t *segment = NULL;
  assert_int_equal(rt_dataset_stream_next(s, 100, &segment, &errors, &err), 0);
  assert_int_equal(rt_dataset_count(segment), rt_dataset_count(whole));
  for (size_t i = 0; i < rt_dataset_count(whole); i++)
    assert_string_equal(rt_dataset_item(segment, i)->request_id,
                        rt_dataset_item(whole, i)->request_id);
  rt_dataset_stream_retire(s, segment);
  rt_dataset_free(segment);
  rt_dataset_stream_close(s);
  rt_dataset_free(whole);
  unlink(path);
  free(path);
}

/* What the writer writes line by line reads back. */
static void test_written_lines_read_back(void **state) {
  (void)state;
  Rectrack__V1__Recommendation rec = RECTRACK__V1__RECOMMENDATION__INIT;
  rec.id = "R7";
  rec.source_id = "idm";
  rec.title = "Migración y remesas";
  char *header = NULL, *line = NULL;
  size_t header_len, line_len;
  rt_error_t err;
  assert_int_equal(rt_dataset_write_lines_header(&header, &header_len, &err),
                   0);
  assert_int_equal(rt_dataset_write_line(RT_DATASET_RECOMMENDATION, &rec.base,
                                         &line, &line_len, &err),
                   0);
  char text[1024];
  snprintf(text, sizeof text, "%s%s", header, line);
  assert_non_null(strchr(line, '\n'));
  char *path = write_temp(text);
  rt_dataset_errors_t errors = {0};
  size_t items;
  assert_int_equal(rt_dataset_check_lines(path, &items, &errors, &err), 0);
  assert_int_equal(items, 1);
  free(header);
  free(line);
  unlink(path);
  free(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_lines_are_reported_by_line),
      cmocka_unit_test(test_the_header_is_required),
      cmocka_unit_test(test_references_cross_segments),
      cmocka_unit_test(test_request_ids_match_the_document_form),
      cmocka_unit_test(test_written_lines_read_back),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
