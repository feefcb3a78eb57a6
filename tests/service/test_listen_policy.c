/*
 * Tests for rt_listen_policy: which listen addresses are loopback, and
 * that the open API (no tokens file) is refused beyond loopback unless
 * --insecure-no-auth says so, then with a warning; also the switch's
 * forms on the command line and in a config file (rt_options).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "rt_listen_policy.h"
#include "rt_options.h"

static void test_loopback_addresses(void **state) {
  (void)state;
  static const struct {
    const char *listen;
    bool loopback;
  } cases[] = {
      {"127.0.0.1:50051", true},
      {"127.9.8.7:0", true},
      {"localhost:0", true},
      {"[::1]:50051", true},
      {"[::ffff:127.0.0.1]:0", true},
      {"0.0.0.0:0", false},
      {"[::]:0", false},
      {"192.0.2.10:50051", false},
      {"[2001:db8::1]:0", false},
      {"[::ffff:192.0.2.1]:0", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bool loopback = !cases[i].loopback;
    rt_error_t err = {0};
    assert_int_equal(rt_listen_is_loopback(cases[i].listen, &loopback, &err),
                     0);
    if (loopback != cases[i].loopback)
      fail_msg("%s: loopback %d", cases[i].listen, loopback);
  }
  bool loopback;
  rt_error_t err = {0};
  assert_int_equal(rt_listen_is_loopback("nonsense", &loopback, &err),
                   RT_EINVAL);
}

static void test_the_open_api_stays_on_loopback(void **state) {
  (void)state;
  bool warn = true;
  rt_error_t err = {0};
  assert_int_equal(
      rt_listen_policy_check("127.0.0.1:0", false, false, &warn, &err), 0);
  assert_false(warn);
  assert_int_equal(
      rt_listen_policy_check("0.0.0.0:0", false, false, &warn, &err),
      RT_EINVAL);
  assert_string_equal(err.field, "listen");
  assert_non_null(strstr(err.message, "--listen 0.0.0.0:0 is not a loopback "
                                      "address, and without --tokens-file"));
  assert_non_null(strstr(err.message, "--insecure-no-auth"));
  /* Tokens make any address fine; so does saying so, with a warning. */
  assert_int_equal(
      rt_listen_policy_check("0.0.0.0:0", true, false, &warn, &err), 0);
  assert_false(warn);
  assert_int_equal(
      rt_listen_policy_check("0.0.0.0:0", false, true, &warn, &err), 0);
  assert_true(warn);
}

static void test_insecure_no_auth_is_a_switch(void **state) {
  (void)state;
  rt_options_t options;
  rt_error_t err = {0};
  char *argv[] = {"rectrackd", "--insecure-no-auth", "--listen", "0.0.0.0:1"};
  assert_int_equal(rt_options_init(&options), 0);
  assert_int_equal(rt_options_parse(&options, 4, argv, &err), 0);
  assert_true(options.insecure_no_auth);
  assert_string_equal(options.listen, "0.0.0.0:1");
  rt_options_free(&options);

  assert_int_equal(rt_options_init(&options), 0);
  assert_false(options.insecure_no_auth);
  assert_int_equal(rt_options_set(&options, "insecure-no-auth", "true", &err),
                   0);
  assert_true(options.insecure_no_auth);
  assert_int_equal(rt_options_set(&options, "insecure-no-auth", "yes", &err),
                   RT_EINVAL);
  assert_non_null(strstr(err.message, "true or false"));
  rt_options_free(&options);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_loopback_addresses),
      cmocka_unit_test(test_the_open_api_stays_on_loopback),
      cmocka_unit_test(test_insecure_no_auth_is_a_switch),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
