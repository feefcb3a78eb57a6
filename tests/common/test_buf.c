/* The shared growable buffer: growth, escaping, taking, consuming, and
 * that a failed growth leaves the buffer failed with what it had. */
#include "rt_buf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_grows_past_first_capacity(void **state) {
  (void)state;
  rt_buf_t b = {0};
  assert_string_equal(rt_buf_str(&b), "");
  for (int i = 0; i < 1000; i++)
    rt_buf_printf(&b, "%04d,", i);
  assert_false(b.failed);
  assert_int_equal(b.len, 5000);
  assert_true(b.cap > b.len);
  assert_int_equal(strncmp(b.data, "0000,0001,", 10), 0);
  assert_string_equal(b.data + 4995, "0999,");
  rt_buf_free(&b);
  assert_null(b.data);
  assert_int_equal(b.len, 0);
}

static void test_empty_append_terminates(void **state) {
  (void)state;
  rt_buf_t b = {0};
  rt_buf_append(&b, "", 0);
  assert_non_null(b.data);
  assert_string_equal(b.data, "");
  rt_buf_puts(&b, NULL);
  assert_int_equal(b.len, 0);
  rt_buf_free(&b);
}

static void test_html_references(void **state) {
  (void)state;
  rt_buf_t b = {0};
  rt_buf_put_html(&b, "a<b>&\"c\"'d'");
  assert_string_equal(rt_buf_str(&b),
                      "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
  rt_buf_reset(&b);
  rt_buf_put_html(&b, NULL);
  rt_buf_put_html(&b, "plain");
  assert_string_equal(rt_buf_str(&b), "plain");
  rt_buf_free(&b);
}

static void test_consume_and_take(void **state) {
  (void)state;
  rt_buf_t b = {0};
  rt_buf_puts(&b, "header:body");
  rt_buf_consume(&b, 7);
  assert_string_equal(rt_buf_str(&b), "body");
  size_t len = 0;
  char *taken = rt_buf_take(&b, &len);
  assert_int_equal(len, 4);
  assert_string_equal(taken, "body");
  assert_null(b.data);
  assert_int_equal(b.len, 0);
  free(taken);
  rt_buf_puts(&b, "x");
  rt_buf_consume(&b, 99);
  assert_string_equal(rt_buf_str(&b), "");
  rt_buf_free(&b);
}

static void test_impossible_growth_fails_and_sticks(void **state) {
  (void)state;
  rt_buf_t b = {0};
  rt_buf_puts(&b, "kept");
  /* No capacity can hold this: the buffer fails without writing. */
  rt_buf_append(&b, "", SIZE_MAX - 16);
  assert_true(b.failed);
  assert_int_equal(b.len, 4);
  assert_string_equal(b.data, "kept");
  assert_string_equal(rt_buf_str(&b), "");
  rt_buf_puts(&b, "more");
  rt_buf_printf(&b, "%d", 7);
  assert_int_equal(b.len, 4);
  rt_buf_free(&b);
  assert_false(b.failed);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grows_past_first_capacity),
      cmocka_unit_test(test_empty_append_terminates),
      cmocka_unit_test(test_html_references),
      cmocka_unit_test(test_consume_and_take),
      cmocka_unit_test(test_impossible_growth_fails_and_sticks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
