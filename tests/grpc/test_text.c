/*
 * Tests for the textual gRPC header values: grpc-message percent-encoding
 * both ways (including malformed input the decoder must keep), grpc-timeout
 * in every unit with its limits, and the status name table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "rt_error.h"
#include "rt_grpc.h"

static void assert_encodes(const char *text, const char *expected) {
  char *out;
  assert_int_equal(rt_grpc_percent_encode(text, strlen(text), &out), 0);
  assert_string_equal(out, expected);
  free(out);
}

static void assert_decodes(const char *value, const char *expected) {
  char *out;
  size_t len;
  assert_int_equal(rt_grpc_percent_decode(value, strlen(value), &out, &len), 0);
  assert_string_equal(out, expected);
  assert_int_equal(len, strlen(expected));
  free(out);
}

static void test_printable_ascii_is_kept(void **state) {
  (void)state;
  assert_encodes("field \"x\" is bad: ~{}", "field \"x\" is bad: ~{}");
}

static void test_percent_controls_and_utf8_are_escaped(void **state) {
  (void)state;
  assert_encodes("100%", "100%25");
  assert_encodes("a\nb\t", "a%0Ab%09");
  assert_encodes("caf\xc3\xa9", "caf%C3%A9");
  assert_encodes("\x7f", "%7F");
}

static void test_decode_reverses_encode(void **state) {
  (void)state;
  assert_decodes("caf%C3%A9 100%25", "caf\xc3\xa9 100%");
  assert_decodes("lower %c3%a9", "lower \xc3\xa9");
}

static void test_malformed_escapes_are_kept_verbatim(void **state) {
  (void)state;
  assert_decodes("50%", "50%");
  assert_decodes("%4", "%4");
  assert_decodes("%zz ok", "%zz ok");
  assert_decodes("%%41", "%A");
}

static uint64_t parse_ok(const char *value) {
  uint64_t us = 12345;
  assert_int_equal(rt_grpc_timeout_parse(value, strlen(value), &us), 0);
  return us;
}

static void test_timeout_units(void **state) {
  (void)state;
  assert_int_equal(parse_ok("2H"), 2ull * 3600 * 1000000);
  assert_int_equal(parse_ok("3M"), 3ull * 60 * 1000000);
  assert_int_equal(parse_ok("4S"), 4ull * 1000000);
  assert_int_equal(parse_ok("250m"), 250000ull);
  assert_int_equal(parse_ok("7u"), 7ull);
  assert_int_equal(parse_ok("1500n"), 2ull);
  assert_int_equal(parse_ok("1n"), 1ull);
  assert_int_equal(parse_ok("0m"), 0ull);
  assert_int_equal(parse_ok("99999999H"), 99999999ull * 3600 * 1000000);
}

static void test_malformed_timeouts_are_rejected(void **state) {
  const char *bad[] = {"",   "S",   "10",  "123456789S", "10s",
                       "1x", "-1S", "1 S", "1.5S",       "S1"};
  size_t i;
  uint64_t us;
  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(rt_grpc_timeout_parse(bad[i], strlen(bad[i]), &us),
                     RT_EINVAL);
}

static void assert_formats(uint64_t us, const char *expected) {
  char out[RT_GRPC_TIMEOUT_BUFSZ];
  rt_grpc_timeout_format(us, out);
  assert_string_equal(out, expected);
}

static void test_timeout_format_uses_finest_unit_and_rounds_up(void **state) {
  (void)state;
  assert_formats(0, "0u");
  assert_formats(1500000, "1500000u");
  assert_formats(99999999, "99999999u");
  assert_formats(100000000, "100000m");
  assert_formats(100000001, "100001m");
  assert_formats(99999999ull * 3600 * 1000000, "99999999H");
  assert_formats(UINT64_MAX, "99999999H");
}

static void test_formatted_timeouts_parse_back_no_shorter(void **state) {
  const uint64_t values[] = {1, 999, 1000001, 123456789012ull,
                             3600000000000ull};
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
    char out[RT_GRPC_TIMEOUT_BUFSZ];
    rt_grpc_timeout_format(values[i], out);
    assert_true(parse_ok(out) >= values[i]);
  }
}

static void test_status_names_round_trip(void **state) {
  int i;
  int status;
  (void)state;
  for (i = 0; i < RT_GRPC_STATUS_COUNT; i++) {
    assert_int_equal(rt_grpc_status_from_name(rt_grpc_status_name(i), &status),
                     0);
    assert_int_equal(status, i);
  }
  assert_string_equal(rt_grpc_status_name(5), "NOT_FOUND");
  assert_string_equal(rt_grpc_status_name(16), "UNAUTHENTICATED");
  assert_string_equal(rt_grpc_status_name(17), "UNKNOWN");
  assert_string_equal(rt_grpc_status_name(-1), "UNKNOWN");
  assert_int_equal(rt_grpc_status_from_name("not_found", &status),
                   RT_ENOTFOUND);
}

static void test_status_parse_maps_garbage_to_unknown(void **state) {
  (void)state;
  assert_int_equal(rt_grpc_status_parse("0", 1), 0);
  assert_int_equal(rt_grpc_status_parse("16", 2), 16);
  assert_int_equal(rt_grpc_status_parse("17", 2), 2);
  assert_int_equal(rt_grpc_status_parse("x", 1), 2);
  assert_int_equal(rt_grpc_status_parse("", 0), 2);
  assert_int_equal(rt_grpc_status_parse("100", 3), 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_printable_ascii_is_kept),
      cmocka_unit_test(test_percent_controls_and_utf8_are_escaped),
      cmocka_unit_test(test_decode_reverses_encode),
      cmocka_unit_test(test_malformed_escapes_are_kept_verbatim),
      cmocka_unit_test(test_timeout_units),
      cmocka_unit_test(test_malformed_timeouts_are_rejected),
      cmocka_unit_test(test_timeout_format_uses_finest_unit_and_rounds_up),
      cmocka_unit_test(test_formatted_timeouts_parse_back_no_shorter),
      cmocka_unit_test(test_status_names_round_trip),
      cmocka_unit_test(test_status_parse_maps_garbage_to_unknown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
