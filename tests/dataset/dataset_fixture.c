/*
 * Parsing helpers for the dataset tests (dataset_fixture.h): a document
 * a test relies on is valid, or the test fails saying why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "dataset_fixture.h"

#define GOOD_FILE RT_TEST_DATA_DIR "/good.json"

/* Fails the test unless rc is 0, printing the problems first. */
static void expect_valid(int rc, rt_dataset_errors_t *errors) {
  for (size_t i = 0; i < errors->problems_len; i++)
    print_error("unexpected: %s\n", errors->problems[i].message);
  rt_dataset_errors_free(errors);
  assert_int_equal(rc, 0);
}

rt_dataset_t *parse_text(const char *text) {
  rt_dataset_t *ds = NULL;
  rt_dataset_errors_t errors;
  rt_error_t err;
  expect_valid(
      rt_dataset_parse_buffer(text, strlen(text), "test", &ds, &errors, &err),
      &errors);
  return ds;
}

rt_dataset_t *parse_good(void) {
  rt_dataset_t *ds = NULL;
  rt_dataset_errors_t errors;
  rt_error_t err;
  expect_valid(rt_dataset_parse_file(GOOD_FILE, &ds, &errors, &err), &errors);
  assert_non_null(ds);
  return ds;
}
