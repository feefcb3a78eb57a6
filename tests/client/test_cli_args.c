/*
 * Unit tests of the CLI's command-line parsing: long and short options,
 * --name=value, repeatable options, flags, positional arguments, the
 * global-option stop at the command word, and durations ("1m30s").
 */
#include "rt_cli.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const rt_arg_spec_t specs[] = {
    {"status", 0, RT_ARG_MULTI, "STATUS", "status"},
    {"as-of", 0, RT_ARG_VALUE, "DATE", "date"},
    {"overdue", 0, RT_ARG_FLAG, NULL, "flag"},
    {"output-file", 'o', RT_ARG_VALUE, "FILE", "file"},
    {NULL, 0, 0, NULL, NULL},
};

static void test_options_values_flags_and_positionals(void **state) {
  (void)state;
  char *argv[] = {"R1",       "--status",   "in-progress", "--status=stalled",
                  "--as-of",  "2024-01-01", "--overdue",   "-o",
                  "out.html", "R2"};
  rt_args_t args;
  char *message = NULL;
  assert_int_equal(rt_args_parse(specs, 10, argv, false, &args, &message), 0);
  assert_null(message);
  assert_int_equal(rt_args_count(&args, "status"), 2);
  assert_string_equal(rt_args_value(&args, "status", 0), "in-progress");
  assert_string_equal(rt_args_value(&args, "status", 1), "stalled");
  assert_string_equal(rt_args_get(&args, "as-of"), "2024-01-01");
  assert_int_equal(rt_args_count(&args, "overdue"), 1);
  assert_string_equal(rt_args_get(&args, "output-file"), "out.html");
  assert_int_equal(args.positional_count, 2);
  assert_string_equal(args.positional[0], "R1");
  assert_string_equal(args.positional[1], "R2");
  assert_false(args.help);
  rt_args_free(&args);
}

static void test_last_value_wins_for_single_options(void **state) {
  (void)state;
  char *argv[] = {"--as-of", "2024-01-01", "--as-of", "2025-02-02"};
  rt_args_t args;
  char *message = NULL;
  assert_int_equal(rt_args_parse(specs, 4, argv, false, &args, &message), 0);
  assert_int_equal(rt_args_count(&args, "as-of"), 1);
  assert_string_equal(rt_args_get(&args, "as-of"), "2025-02-02");
  rt_args_free(&args);
}

static void test_unknown_option_is_a_usage_error(void **state) {
  (void)state;
  char *argv[] = {"--colour"};
  rt_args_t args;
  char *message = NULL;
  assert_int_equal(rt_args_parse(specs, 1, argv, false, &args, &message),
                   RT_CLI_EXIT_USAGE);
  assert_non_null(message);
  assert_non_null(strstr(message, "--colour"));
  free(message);
  rt_args_free(&args);
}

static void test_missing_value_names_the_option(void **state) {
  (void)state;
  char *argv[] = {"--as-of"};
  rt_args_t args;
  char *message = NULL;
  assert_int_equal(rt_args_parse(specs, 1, argv, false, &args, &message),
                   RT_CLI_EXIT_USAGE);
  assert_non_null(strstr(message, "--as-of"));
  assert_non_null(strstr(message, "DATE"));
  free(message);
  rt_args_free(&args);
}

static void test_flag_with_value_is_rejected(void **state) {
  (void)state;
  char *argv[] = {"--overdue=yes"};
  rt_args_t args;
  char *message = NULL;
  assert_int_equal(rt_args_parse(specs, 1, argv, false, &args, &message),
                   RT_CLI_EXIT_USAGE);
  free(message);
  rt_args_free(&args);
}

static void test_help_and_double_dash(void **state) {
  (void)state;
  char *argv[] = {"-h", "--", "--status"};
  rt_args_t args;
  char *message = NULL;
  assert_int_equal(rt_args_parse(specs, 3, argv, false, &args, &message), 0);
  assert_true(args.help);
  assert_int_equal(args.positional_count, 1);
  assert_string_equal(args.positional[0], "--status");
  assert_int_equal(rt_args_count(&args, "status"), 0);
  rt_args_free(&args);
}

static void test_global_parsing_stops_at_the_command(void **state) {
  (void)state;
  char *argv[] = {"--as-of", "2024-01-01", "rec", "list", "--overdue"};
  rt_args_t args;
  char *message = NULL;
  assert_int_equal(rt_args_parse(specs, 5, argv, true, &args, &message), 0);
  assert_int_equal(rt_args_count(&args, "overdue"), 0);
  assert_int_equal(args.positional_count, 3);
  assert_string_equal(args.positional[2], "--overdue");
  rt_args_free(&args);
}

static void test_durations(void **state) {
  (void)state;
  int64_t ms = 0;
  assert_int_equal(rt_cli_parse_duration("30s", &ms), 0);
  assert_int_equal(ms, 30000);
  assert_int_equal(rt_cli_parse_duration("500ms", &ms), 0);
  assert_int_equal(ms, 500);
  assert_int_equal(rt_cli_parse_duration("2m", &ms), 0);
  assert_int_equal(ms, 120000);
  assert_int_equal(rt_cli_parse_duration("1h", &ms), 0);
  assert_int_equal(ms, 3600000);
  assert_int_equal(rt_cli_parse_duration("1m30s", &ms), 0);
  assert_int_equal(ms, 90000);
  assert_int_equal(rt_cli_parse_duration("10", &ms), 0);
  assert_int_equal(ms, 10000);
}

static void test_bad_durations_are_rejected(void **state) {
  (void)state;
  const char *bad[] = {"",     "s",   "0s",
                       "-1s",  "10x", "1.5s",
                       "1m30", "5 s", "99999999999999999999s",
                       "1min"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int64_t ms = 7;
    assert_int_equal(rt_cli_parse_duration(bad[i], &ms), -1);
    assert_int_equal(ms, 7);
  }
}

static void test_uint_parsing(void **state) {
  (void)state;
  uint64_t value = 0;
  assert_int_equal(rt_cli_parse_uint("42", &value), 0);
  assert_int_equal(value, 42);
  assert_int_equal(rt_cli_parse_uint("-1", &value), -1);
  assert_int_equal(rt_cli_parse_uint("4x", &value), -1);
  assert_int_equal(rt_cli_parse_uint("", &value), -1);
}

static void test_exit_codes_for_grpc_statuses(void **state) {
  (void)state;
  assert_int_equal(rt_cli_exit_code_for_status(0), RT_CLI_EXIT_OK);
  assert_int_equal(rt_cli_exit_code_for_status(5), RT_CLI_EXIT_NOTFOUND);
  assert_int_equal(rt_cli_exit_code_for_status(3), RT_CLI_EXIT_INVALID);
  assert_int_equal(rt_cli_exit_code_for_status(10), RT_CLI_EXIT_CONFLICT);
  assert_int_equal(rt_cli_exit_code_for_status(6), RT_CLI_EXIT_CONFLICT);
  assert_int_equal(rt_cli_exit_code_for_status(16), RT_CLI_EXIT_AUTH);
  assert_int_equal(rt_cli_exit_code_for_status(7), RT_CLI_EXIT_AUTH);
  assert_int_equal(rt_cli_exit_code_for_status(14), RT_CLI_EXIT_UNAVAILABLE);
  assert_int_equal(rt_cli_exit_code_for_status(4), RT_CLI_EXIT_UNAVAILABLE);
  assert_int_equal(rt_cli_exit_code_for_status(13), RT_CLI_EXIT_ERROR);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_options_values_flags_and_positionals),
      cmocka_unit_test(test_last_value_wins_for_single_options),
      cmocka_unit_test(test_unknown_option_is_a_usage_error),
      cmocka_unit_test(test_missing_value_names_the_option),
      cmocka_unit_test(test_flag_with_value_is_rejected),
      cmocka_unit_test(test_help_and_double_dash),
      cmocka_unit_test(test_global_parsing_stops_at_the_command),
      cmocka_unit_test(test_durations),
      cmocka_unit_test(test_bad_durations_are_rejected),
      cmocka_unit_test(test_uint_parsing),
      cmocka_unit_test(test_exit_codes_for_grpc_statuses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
