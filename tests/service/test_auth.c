/*
 * Tests for rt_auth: the tokens file (format, every kind of bad line,
 * file permissions, reload that keeps the old tokens on error), the
 * bearer header check, roles, and token generation and hashing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_auth.h"

#define READER_TOKEN "reader-token-value"
#define WRITER_TOKEN "writer-token-value"

typedef struct fixture {
  char dir[64];
  char path[96];
} fixture_t;

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  assert_non_null(f);
  snprintf(f->dir, sizeof f->dir, "/tmp/rt-test-auth-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(f->path, sizeof f->path, "%s/tokens", f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture_t *f = *state;
  unlink(f->path);
  rmdir(f->dir);
  free(f);
  return 0;
}

/* "<hash of token> principal role\n" */
static void token_line(char *out, size_t size, const char *token,
                       const char *principal, const char *role) {
  char hex[RT_AUTH_HASH_HEX_LEN + 1];
  rt_auth_token_hash_hex(token, strlen(token), hex);
  snprintf(out, size, "%s %s %s\n", hex, principal, role);
}

static void write_file(const fixture_t *f, const char *text, mode_t mode) {
  FILE *file = fopen(f->path, "w");
  assert_non_null(file);
  fputs(text, file);
  fclose(file);
  assert_int_equal(chmod(f->path, mode), 0);
}

static void write_two_tokens(const fixture_t *f) {
  char reader[160], writer[160], text[512];
  token_line(reader, sizeof reader, READER_TOKEN, "partner", "reader");
  token_line(writer, sizeof writer, WRITER_TOKEN, "secretariat", "writer");
  snprintf(text, sizeof text, "# tokens\n\n%s   # trailing comment\n\t%s",
           reader, writer);
  write_file(f, text, 0600);
}

static void test_load_reads_tokens_skipping_comments(void **state) {
  fixture_t *f = *state;
  rt_auth_t *auth = NULL;
  rt_auth_entry_t entry;
  write_two_tokens(f);
  assert_int_equal(rt_auth_load(&auth, f->path, NULL), 0);
  assert_int_equal(rt_auth_count(auth), 2);
  rt_auth_entry(auth, 0, &entry);
  assert_string_equal(entry.principal, "partner");
  assert_int_equal(entry.role, RT_AUTH_ROLE_READER);
  assert_int_equal(entry.line, 3);
  rt_auth_entry(auth, 1, &entry);
  assert_string_equal(entry.principal, "secretariat");
  assert_int_equal(entry.role, RT_AUTH_ROLE_WRITER);
  assert_int_equal(strlen(entry.hash_hex), RT_AUTH_HASH_HEX_LEN);
  assert_string_equal(rt_auth_path(auth), f->path);
  rt_auth_free(auth);
}

static void test_known_tokens_authenticate_with_their_role(void **state) {
  fixture_t *f = *state;
  rt_auth_t *auth = NULL;
  rt_auth_principal_t principal = {NULL, RT_AUTH_ROLE_NONE};
  write_two_tokens(f);
  assert_int_equal(rt_auth_load(&auth, f->path, NULL), 0);
  assert_int_equal(
      rt_auth_authenticate(auth, "Bearer " WRITER_TOKEN, &principal, NULL), 0);
  assert_string_equal(principal.name, "secretariat");
  assert_int_equal(principal.role, RT_AUTH_ROLE_WRITER);
  /* The scheme in any case, spaces around the token. */
  assert_int_equal(rt_auth_authenticate(auth, "  bEaReR   " READER_TOKEN " ",
                                        &principal, NULL),
                   0);
  assert_string_equal(principal.name, "partner");
  assert_int_equal(principal.role, RT_AUTH_ROLE_READER);
  rt_auth_free(auth);
}

static void test_missing_or_unknown_tokens_are_unauthenticated(void **state) {
  fixture_t *f = *state;
  rt_auth_t *auth = NULL;
  rt_auth_principal_t principal = {NULL, RT_AUTH_ROLE_NONE};
  rt_error_t err;
  const char *missing[] = {NULL,        "",           "Bearer",
                           "Bearer   ", "Basic eDp5", "Bearer" WRITER_TOKEN,
                           WRITER_TOKEN};
  write_two_tokens(f);
  assert_int_equal(rt_auth_load(&auth, f->path, NULL), 0);
  for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
    rt_error_clear(&err);
    assert_int_equal(rt_auth_authenticate(auth, missing[i], &principal, &err),
                     RT_EUNAUTH);
    assert_string_equal(err.message, "missing bearer token");
  }
  const char *unknown[] = {"Bearer " WRITER_TOKEN "x", "Bearer writer",
                           "Bearer WRITER-TOKEN-VALUE"};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    rt_error_clear(&err);
    assert_int_equal(rt_auth_authenticate(auth, unknown[i], &principal, &err),
                     RT_EUNAUTH);
    assert_string_equal(err.message, "unknown token");
  }
  assert_null(principal.name); /* untouched by a failure */
  rt_auth_free(auth);
}

static void test_a_reader_may_not_write(void **state) {
  (void)state;
  const rt_auth_principal_t partner = {"partner", RT_AUTH_ROLE_READER};
  const rt_auth_principal_t secretariat = {"secretariat", RT_AUTH_ROLE_WRITER};
  rt_error_t err;
  rt_error_clear(&err);
  assert_int_equal(
      rt_auth_authorize(&partner, RT_AUTH_ROLE_READER, "GetSource", &err), 0);
  assert_int_equal(rt_auth_authorize(&secretariat, RT_AUTH_ROLE_WRITER,
                                     "CreateSource", &err),
                   0);
  assert_int_equal(
      rt_auth_authorize(&secretariat, RT_AUTH_ROLE_READER, "GetSource", &err),
      0);
  assert_int_equal(
      rt_auth_authorize(&partner, RT_AUTH_ROLE_WRITER, "CreateSource", &err),
      RT_EPERM);
  assert_string_equal(err.message, "CreateSource needs the writer role; "
                                   "partner has the reader role");
}

/* Loads text and expects RT_EINVAL with fragment in the message. */
static void expect_bad_file(fixture_t *f, const char *text,
                            const char *fragment) {
  rt_auth_t *auth = NULL;
  rt_error_t err;
  rt_error_clear(&err);
  write_file(f, text, 0600);
  assert_int_equal(rt_auth_load(&auth, f->path, &err), RT_EINVAL);
  assert_null(auth);
  if (strstr(err.message, fragment) == NULL)
    fail_msg("\"%s\" does not contain \"%s\"", err.message, fragment);
}

static void test_bad_lines_are_refused_naming_file_and_line(void **state) {
  fixture_t *f = *state;
  char good[160], text[512], where[128];
  token_line(good, sizeof good, WRITER_TOKEN, "secretariat", "writer");
  snprintf(where, sizeof where, "%s:2: ", f->path);

  snprintf(text, sizeof text, "%s%.64s secretariat\n", good, good);
  expect_bad_file(f, text, where);
  snprintf(text, sizeof text, "%s%.64s a writer extra\n", good, good);
  expect_bad_file(f, text, "expected \"<sha256-hex-of-token>");
  snprintf(text, sizeof text, "%s%.63s a writer\n", good, good);
  expect_bad_file(f, text, "must be 64 hex digits");
  snprintf(text, sizeof text, "%szz%.62s a writer\n", good, good + 2);
  expect_bad_file(f, text, "must be 64 hex digits");
  token_line(text + strlen(good), sizeof text - strlen(good), "t2", "bad/name",
             "writer");
  memcpy(text, good, strlen(good));
  expect_bad_file(f, text, "principal \"bad/name\"");
  token_line(text + strlen(good), sizeof text - strlen(good), "t2", "ok",
             "admin");
  expect_bad_file(f, text, "role \"admin\" is not reader or writer");
  token_line(text + strlen(good), sizeof text - strlen(good), WRITER_TOKEN,
             "other", "reader");
  expect_bad_file(f, text, "the same token hash as line 1");
}

static void test_an_empty_file_refuses_every_token(void **state) {
  fixture_t *f = *state;
  rt_auth_t *auth = NULL;
  rt_auth_principal_t principal;
  write_file(f, "# nobody yet\n", 0600);
  assert_int_equal(rt_auth_load(&auth, f->path, NULL), 0);
  assert_int_equal(rt_auth_count(auth), 0);
  assert_int_equal(
      rt_auth_authenticate(auth, "Bearer " WRITER_TOKEN, &principal, NULL),
      RT_EUNAUTH);
  rt_auth_free(auth);
}

static void test_unsafe_or_missing_files_are_refused(void **state) {
  fixture_t *f = *state;
  rt_auth_t *auth = NULL;
  rt_error_t err;
  rt_error_clear(&err);
  assert_int_equal(rt_auth_load(&auth, f->path, &err), RT_EIO);
  assert_non_null(strstr(err.message, "cannot read the tokens file"));
  write_file(f, "", 0620);
  assert_int_equal(rt_auth_load(&auth, f->path, &err), RT_EINVAL);
  assert_non_null(strstr(err.message, "writable by group or others"));
  write_file(f, "", 0602);
  assert_int_equal(rt_auth_load(&auth, f->path, &err), RT_EINVAL);
  assert_int_equal(rt_auth_load(&auth, f->dir, &err), RT_EINVAL);
  assert_non_null(strstr(err.message, "not a regular file"));
  write_file(f, "", 0644);
  assert_int_equal(rt_auth_load(&auth, f->path, &err), 0);
  rt_auth_free(auth);
}

static void test_reload_replaces_tokens_only_when_valid(void **state) {
  fixture_t *f = *state;
  rt_auth_t *auth = NULL;
  rt_auth_principal_t principal;
  char line[160];
  write_two_tokens(f);
  assert_int_equal(rt_auth_load(&auth, f->path, NULL), 0);

  write_file(f, "not a token line\n", 0600);
  assert_int_equal(rt_auth_reload(auth, NULL), RT_EINVAL);
  assert_int_equal(rt_auth_count(auth), 2);
  assert_int_equal(
      rt_auth_authenticate(auth, "Bearer " READER_TOKEN, &principal, NULL), 0);

  token_line(line, sizeof line, "new-token", "newcomer", "writer");
  write_file(f, line, 0600);
  assert_int_equal(rt_auth_reload(auth, NULL), 0);
  assert_int_equal(rt_auth_count(auth), 1);
  assert_int_equal(
      rt_auth_authenticate(auth, "Bearer " READER_TOKEN, &principal, NULL),
      RT_EUNAUTH);
  assert_int_equal(
      rt_auth_authenticate(auth, "Bearer new-token", &principal, NULL), 0);
  assert_string_equal(principal.name, "newcomer");
  rt_auth_free(auth);
}

static void test_new_tokens_are_random_base64url(void **state) {
  (void)state;
  char first[RT_AUTH_TOKEN_LEN + 1], second[RT_AUTH_TOKEN_LEN + 1];
  assert_int_equal(rt_auth_token_new(first), 0);
  assert_int_equal(rt_auth_token_new(second), 0);
  assert_int_equal(strlen(first), RT_AUTH_TOKEN_LEN);
  assert_int_equal(strspn(first, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                                 "qrstuvwxyz0123456789-_"),
                   RT_AUTH_TOKEN_LEN);
  assert_string_not_equal(first, second);
}

static void test_hash_is_sha256_hex(void **state) {
  (void)state;
  char hex[RT_AUTH_HASH_HEX_LEN + 1];
  rt_auth_token_hash_hex("abc", 3, hex); /* FIPS 180-2 example */
  assert_string_equal(
      hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_roles_and_principals(void **state) {
  (void)state;
  rt_auth_role_t role;
  assert_int_equal(rt_auth_role_parse("reader", &role), 0);
  assert_int_equal(role, RT_AUTH_ROLE_READER);
  assert_int_equal(rt_auth_role_parse("Writer", &role), RT_EINVAL);
  assert_string_equal(rt_auth_role_name(RT_AUTH_ROLE_WRITER), "writer");
  assert_true(rt_auth_principal_is_valid("ops.team+bot@example-1_x"));
  assert_false(rt_auth_principal_is_valid(""));
  assert_false(rt_auth_principal_is_valid("two words"));
  assert_false(rt_auth_principal_is_valid(
      "a1234567890123456789012345678901234567890123456789012345678901234"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_load_reads_tokens_skipping_comments,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_known_tokens_authenticate_with_their_role, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_missing_or_unknown_tokens_are_unauthenticated, setup, teardown),
      cmocka_unit_test(test_a_reader_may_not_write),
      cmocka_unit_test_setup_teardown(
          test_bad_lines_are_refused_naming_file_and_line, setup, teardown),
      cmocka_unit_test_setup_teardown(test_an_empty_file_refuses_every_token,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_unsafe_or_missing_files_are_refused,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_reload_replaces_tokens_only_when_valid, setup, teardown),
      cmocka_unit_test(test_new_tokens_are_random_base64url),
      cmocka_unit_test(test_hash_is_sha256_hex),
      cmocka_unit_test(test_roles_and_principals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
