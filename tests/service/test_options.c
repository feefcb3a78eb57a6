/*
 * Tests for rectrackd's options: defaults, flags in both forms, the config
 * file with comments, precedence of flags over the file, and rejection of
 * unknown keys and bad values with an error naming them; the TLS files,
 * the trusted proxies and the limits on what one client may hold, each
 * with its range and the checks between them.
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

#include "rt_options.h"

static int parse(rt_options_t *options, rt_error_t *err, int argc,
                 char **argv) {
  assert_int_equal(rt_options_init(options), 0);
  return rt_options_parse(options, argc, argv, err);
}

/* Writes text to a fresh temporary file; returns its path (free()). */
static char *write_config(const char *text) {
  char *path = strdup("/tmp/rt_options_test_XXXXXX");
  int fd = mkstemp(path);
  FILE *file;
  assert_true(fd >= 0);
  file = fdopen(fd, "w");
  fputs(text, file);
  fclose(file);
  return path;
}

static void test_defaults(void **state) {
  rt_options_t options;
  rt_error_t err = {0};
  char *argv[] = {"rectrackd"};
  (void)state;
  assert_int_equal(parse(&options, &err, 1, argv), 0);
  assert_string_equal(options.listen, "127.0.0.1:50051");
  assert_string_equal(options.data_dir, "./rectrack-data");
  assert_int_equal(options.server.max_message_bytes, 4 * 1024 * 1024);
  assert_int_equal(options.server.max_connections, 1024);
  assert_int_equal(options.server.max_concurrent_streams, 100);
  assert_int_equal(options.server.idle_timeout_ms, 300000);
  assert_int_equal(options.log_level, RT_LOG_INFO);
  rt_options_free(&options);
}

static void test_client_limits_have_their_defaults(void **state) {
  rt_options_t options;
  rt_error_t err = {0};
  char *argv[] = {"rectrackd"};
  (void)state;
  assert_int_equal(parse(&options, &err, 1, argv), 0);
  assert_int_equal(options.server.max_pending_bytes_per_connection, 4 << 20);
  assert_int_equal(options.server.max_pending_bytes, 256 << 20);
  assert_int_equal(options.server.stall_timeout_ms, 30000);
  assert_int_equal(options.server.handshake_timeout_ms, 10000);
  assert_int_equal(options.server.max_connections_per_address, 64);
  assert_null(options.server.tls_cert_file);
  assert_null(options.server.tls_key_file);
  assert_null(options.server.trusted_proxies);
  rt_options_free(&options);
}

static void test_client_limits_from_flags_and_config(void **state) {
  rt_options_t options;
  rt_error_t err = {0};
  char *path = write_config("stall-timeout = 5\n"
                            "max-pending-bytes = 33554432\n"
                            "tls-cert = /etc/rt/cert.pem\n"
                            "tls-key = /etc/rt/key.pem\n"
                            "trusted-proxy = 127.0.0.1, 10.0.0.0/8,::1\n");
  char *argv[] = {"rectrackd",
                  "--config",
                  path,
                  "--max-pending-bytes-per-connection=1048576",
                  "--handshake-timeout",
                  "3",
                  "--max-connections-per-address",
                  "8"};
  (void)state;
  assert_int_equal(parse(&options, &err, 8, argv), 0);
  assert_int_equal(options.server.stall_timeout_ms, 5000);
  assert_int_equal(options.server.max_pending_bytes, 32 << 20);
  assert_int_equal(options.server.max_pending_bytes_per_connection, 1 << 20);
  assert_int_equal(options.server.handshake_timeout_ms, 3000);
  assert_int_equal(options.server.max_connections_per_address, 8);
  assert_string_equal(options.server.tls_cert_file, "/etc/rt/cert.pem");
  assert_string_equal(options.server.tls_key_file, "/etc/rt/key.pem");
  assert_string_equal(options.server.trusted_proxies,
                      "127.0.0.1, 10.0.0.0/8,::1");
  rt_options_free(&options);
  unlink(path);
  free(path);
}

/* Parses argv, which must fail naming fragment. */
static void assert_refused(int argc, char **argv, const char *fragment) {
  rt_options_t options;
  rt_error_t err = {0};
  assert_int_equal(parse(&options, &err, argc, argv), RT_EINVAL);
  if (strstr(err.message, fragment) == NULL)
    fail_msg("\"%s\" does not name \"%s\"", err.message, fragment);
  rt_options_free(&options);
}

static void test_bad_client_limits_are_named(void **state) {
  char *stall_zero[] = {"rectrackd", "--stall-timeout", "0"};
  char *handshake_long[] = {"rectrackd", "--handshake-timeout=3601"};
  char *pending_small[] = {"rectrackd",
                           "--max-pending-bytes-per-connection=1000"};
  char *per_address_zero[] = {"rectrackd", "--max-connections-per-address",
                              "0"};
  char *total_below[] = {"rectrackd", "--max-pending-bytes", "1048576",
                         "--max-pending-bytes-per-connection", "2097152"};
  (void)state;
  assert_refused(3, stall_zero, "--stall-timeout");
  assert_refused(2, handshake_long, "--handshake-timeout");
  assert_refused(2, pending_small, "--max-pending-bytes-per-connection");
  assert_refused(3, per_address_zero, "--max-connections-per-address");
  assert_refused(5, total_below, "must not be below");
}

static void test_tls_files_come_in_pairs(void **state) {
  char *cert_only[] = {"rectrackd", "--tls-cert", "/etc/rt/cert.pem"};
  char *key_only[] = {"rectrackd", "--tls-key=/etc/rt/key.pem"};
  char *empty[] = {"rectrackd", "--tls-cert="};
  (void)state;
  assert_refused(3, cert_only, "--tls-cert needs --tls-key");
  assert_refused(2, key_only, "--tls-key needs --tls-cert");
  assert_refused(2, empty, "--tls-cert must not be empty");
}

static void test_trusted_proxies_must_be_addresses(void **state) {
  char *name[] = {"rectrackd", "--trusted-proxy", "proxy.example.org"};
  char *bits[] = {"rectrackd", "--trusted-proxy", "10.0.0.0/33"};
  char *second[] = {"rectrackd", "--trusted-proxy", "127.0.0.1,fd00::/x"};
  char *trailing[] = {"rectrackd", "--trusted-proxy", "127.0.0.1,"};
  (void)state;
  assert_refused(3, name, "\"proxy.example.org\" is not an IP address");
  assert_refused(3, bits, "10.0.0.0/33");
  assert_refused(3, second, "fd00::/x");
  assert_refused(3, trailing, "--trusted-proxy");
}

static void test_flags_with_space_or_equals(void **state) {
  rt_options_t options;
  rt_error_t err = {0};
  char *argv[] = {"rectrackd",
                  "--listen=[::1]:0",
                  "--data-dir",
                  "/var/lib/rt",
                  "--max-message-bytes",
                  "1000",
                  "--idle-timeout=5",
                  "--log-level",
                  "debug",
                  "--max-concurrent-streams=7"};
  (void)state;
  assert_int_equal(parse(&options, &err, 10, argv), 0);
  assert_string_equal(options.listen, "[::1]:0");
  assert_string_equal(options.data_dir, "/var/lib/rt");
  assert_int_equal(options.server.max_message_bytes, 1000);
  assert_int_equal(options.server.idle_timeout_ms, 5000);
  assert_int_equal(options.server.max_concurrent_streams, 7);
  assert_int_equal(options.log_level, RT_LOG_DEBUG);
  rt_options_free(&options);
}

static void test_help_and_version(void **state) {
  rt_options_t options;
  rt_error_t err = {0};
  char *argv[] = {"rectrackd", "--version", "--help"};
  (void)state;
  assert_int_equal(parse(&options, &err, 3, argv), 0);
  assert_true(options.show_version);
  assert_true(options.show_help);
  assert_non_null(strstr(rt_options_usage(), "--max-connections"));
  assert_non_null(strstr(rt_options_usage(), "--tls-cert FILE"));
  assert_non_null(strstr(rt_options_usage(), "--stall-timeout"));
  assert_non_null(
      strstr(rt_options_usage(), "--max-pending-bytes-per-connection"));
  rt_options_free(&options);
}

static void test_bad_flags_are_named(void **state) {
  rt_options_t options;
  rt_error_t err = {0};
  char *unknown[] = {"rectrackd", "--listne", "x:1"};
  char *missing[] = {"rectrackd", "--listen"};
  char *unknown_last[] = {"rectrackd", "--bogus"};
  char *negative[] = {"rectrackd", "--max-connections", "-1"};
  char *garbage[] = {"rectrackd", "--max-message-bytes", "4M"};
  char *zero[] = {"rectrackd", "--max-concurrent-streams=0"};
  char *level[] = {"rectrackd", "--log-level", "loud"};
  char *positional[] = {"rectrackd", "serve"};
  (void)state;
  assert_int_equal(parse(&options, &err, 3, unknown), RT_EINVAL);
  assert_non_null(strstr(err.message, "listne"));
  rt_options_free(&options);
  /* Last on the line, an unknown flag is unknown, not one missing a value. */
  assert_int_equal(parse(&options, &err, 2, unknown_last), RT_EINVAL);
  assert_non_null(strstr(err.message, "unknown option --bogus"));
  rt_options_free(&options);
  assert_int_equal(parse(&options, &err, 2, missing), RT_EINVAL);
  assert_non_null(strstr(err.message, "--listen"));
  rt_options_free(&options);
  assert_int_equal(parse(&options, &err, 3, negative), RT_EINVAL);
  assert_non_null(strstr(err.message, "--max-connections"));
  rt_options_free(&options);
  assert_int_equal(parse(&options, &err, 3, garbage), RT_EINVAL);
  assert_non_null(strstr(err.message, "\"4M\""));
  rt_options_free(&options);
  assert_int_equal(parse(&options, &err, 2, zero), RT_EINVAL);
  rt_options_free(&options);
  assert_int_equal(parse(&options, &err, 3, level), RT_EINVAL);
  assert_non_null(strstr(err.message, "loud"));
  rt_options_free(&options);
  assert_int_equal(parse(&options, &err, 2, positional), RT_EINVAL);
  rt_options_free(&options);
}

static void test_config_file_with_comments(void **state) {
  rt_options_t options;
  rt_error_t err = {0};
  char *path = write_config("# rectrackd settings\n"
                            "\n"
                            "listen = 0.0.0.0:6000   # all interfaces\n"
                            "  data-dir=/srv/rt\n"
                            "max-connections = 10\r\n");
  char *argv[] = {"rectrackd", "--config", path};
  (void)state;
  assert_int_equal(parse(&options, &err, 3, argv), 0);
  assert_string_equal(options.listen, "0.0.0.0:6000");
  assert_string_equal(options.data_dir, "/srv/rt");
  assert_int_equal(options.server.max_connections, 10);
  rt_options_free(&options);
  unlink(path);
  free(path);
}

static void test_flags_override_config_whatever_the_order(void **state) {
  rt_options_t options;
  rt_error_t err = {0};
  char *path = write_config("listen = 0.0.0.0:6000\nidle-timeout = 9\n");
  char *argv[] = {"rectrackd", "--listen", "127.0.0.1:7000", "--config", path};
  (void)state;
  assert_int_equal(parse(&options, &err, 5, argv), 0);
  assert_string_equal(options.listen, "127.0.0.1:7000");
  assert_int_equal(options.server.idle_timeout_ms, 9000);
  rt_options_free(&options);
  unlink(path);
  free(path);
}

static void test_config_errors_name_file_and_line(void **state) {
  rt_options_t options;
  rt_error_t err = {0};
  char *path = write_config("listen = 127.0.0.1:1\nverbose = yes\n");
  char *argv[] = {"rectrackd", "--config", path};
  char *missing[] = {"rectrackd", "--config", "/nonexistent/rt.conf"};
  (void)state;
  assert_int_equal(parse(&options, &err, 3, argv), RT_EINVAL);
  assert_non_null(strstr(err.message, ":2:"));
  assert_non_null(strstr(err.message, "verbose"));
  rt_options_free(&options);
  unlink(path);
  free(path);
  path = write_config("listen 127.0.0.1:1\n");
  argv[2] = path;
  assert_int_equal(parse(&options, &err, 3, argv), RT_EINVAL);
  assert_non_null(strstr(err.message, "key = value"));
  rt_options_free(&options);
  unlink(path);
  free(path);
  assert_int_equal(parse(&options, &err, 3, missing), RT_EIO);
  rt_options_free(&options);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_client_limits_have_their_defaults),
      cmocka_unit_test(test_client_limits_from_flags_and_config),
      cmocka_unit_test(test_bad_client_limits_are_named),
      cmocka_unit_test(test_tls_files_come_in_pairs),
      cmocka_unit_test(test_trusted_proxies_must_be_addresses),
      cmocka_unit_test(test_flags_with_space_or_equals),
      cmocka_unit_test(test_help_and_version),
      cmocka_unit_test(test_bad_flags_are_named),
      cmocka_unit_test(test_config_file_with_comments),
      cmocka_unit_test(test_flags_override_config_whatever_the_order),
      cmocka_unit_test(test_config_errors_name_file_and_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
