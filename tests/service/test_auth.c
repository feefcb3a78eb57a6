/*
 * Tests for rt_auth: the tokens file (format, every kind of bad line with
 * its line number, all bad lines of a file at once, reporters and their
 * actors, file permissions, reload that keeps the old tokens on error),
 * the bearer header check, roles, and token generation and hashing.
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
  assert_int_equal(entry.role, RT_AUTH_ROLE_SECRETARIAT); /* "writer" */
  assert_int_equal(entry.n_actors, 0);
  assert_int_equal(strlen(entry.hash_hex), RT_AUTH_HASH_HEX_LEN);
  assert_string_equal(rt_auth_path(auth), f->path);
  rt_auth_free(auth);
}

static void test_known_tokens_authenticate_with_their_role(void **state) {
  fixture_t *f = *state;
  rt_auth_t *auth = NULL;
  rt_auth_principal_t principal = {0};
  write_two_tokens(f);
  assert_int_equal(rt_auth_load(&auth, f->path, NULL), 0);
  assert_int_equal(
      rt_auth_authenticate(auth, "Bearer " WRITER_TOKEN, &principal, NULL), 0);
  assert_string_equal(principal.name, "secretariat");
  assert_int_equal(principal.role, RT_AUTH_ROLE_SECRETARIAT);
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
  rt_auth_principal_t principal = {0};
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

static void test_roles_allow_what_the_roles_below_allow(void **state) {
  (void)state;
  static const char *const actors[] = {"phl"};
  const rt_auth_principal_t partner = {.name = "partner",
                                       .role = RT_AUTH_ROLE_READER};
  const rt_auth_principal_t ministry = {.name = "moi-phl",
                                        .role = RT_AUTH_ROLE_REPORTER,
                                        .actors = actors,
                                        .n_actors = 1};
  const rt_auth_principal_t secretariat = {.name = "secretariat",
                                           .role = RT_AUTH_ROLE_SECRETARIAT};
  const rt_auth_principal_t admin = {.name = "ops", .role = RT_AUTH_ROLE_ADMIN};
  rt_error_t err;
  rt_error_clear(&err);
  assert_int_equal(
      rt_auth_authorize(&partner, RT_AUTH_ROLE_READER, "GetSource", &err), 0);
  assert_int_equal(rt_auth_authorize(&ministry, RT_AUTH_ROLE_REPORTER,
                                     "RecordFollowUp", &err),
                   0);
  assert_int_equal(rt_auth_authorize(&secretariat, RT_AUTH_ROLE_REPORTER,
                                     "RecordFollowUp", &err),
                   0);
  assert_int_equal(
      rt_auth_authorize(&admin, RT_AUTH_ROLE_ADMIN, "Backup", &err), 0);
  assert_int_equal(
      rt_auth_authorize(&admin, RT_AUTH_ROLE_SECRETARIAT, "CreateSource", &err),
      0);
  assert_int_equal(rt_auth_authorize(&partner, RT_AUTH_ROLE_REPORTER,
                                     "RecordFollowUp", &err),
                   RT_EPERM);
  assert_string_equal(err.message, "RecordFollowUp needs the reporter role; "
                                   "partner has the reader role");
  assert_int_equal(rt_auth_authorize(&ministry, RT_AUTH_ROLE_SECRETARIAT,
                                     "ValidateSubmission", &err),
                   RT_EPERM);
  assert_string_equal(err.message, "ValidateSubmission needs the secretariat "
                                   "role; moi-phl has the reporter role");
  assert_int_equal(
      rt_auth_authorize(&secretariat, RT_AUTH_ROLE_ADMIN, "Backup", &err),
      RT_EPERM);
  assert_string_equal(err.message, "Backup needs the admin role; secretariat "
                                   "has the secretariat role");
}

static void test_a_reporter_line_names_its_actors(void **state) {
  fixture_t *f = *state;
  rt_auth_t *auth = NULL;
  rt_auth_entry_t entry;
  rt_auth_principal_t principal = {0};
  char one[160], two[200], text[512];
  token_line(one, sizeof one, "bgd-token", "moi-bgd", "reporter bgd");
  token_line(two, sizeof two, "phl-token", "moi-phl", "reporter\tphl,ken");
  snprintf(text, sizeof text, "%s%s", one, two);
  write_file(f, text, 0600);
  assert_int_equal(rt_auth_load(&auth, f->path, NULL), 0);
  rt_auth_entry(auth, 1, &entry);
  assert_int_equal(entry.role, RT_AUTH_ROLE_REPORTER);
  assert_int_equal(entry.n_actors, 2);
  assert_string_equal(entry.actors[0], "phl");
  assert_string_equal(entry.actors[1], "ken");
  assert_int_equal(
      rt_auth_authenticate(auth, "Bearer bgd-token", &principal, NULL), 0);
  assert_string_equal(principal.name, "moi-bgd");
  assert_int_equal(principal.role, RT_AUTH_ROLE_REPORTER);
  assert_int_equal(principal.n_actors, 1);
  assert_string_equal(principal.actors[0], "bgd");
  rt_auth_free(auth);
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

/* A file of a good line, then bad: the error names line 2 and what is
 * wrong with it. */
static void expect_bad_second_line(fixture_t *f, const char *good,
                                   const char *bad, const char *fragment) {
  char text[768], where[160];
  snprintf(text, sizeof text, "%s%s", good, bad);
  snprintf(where, sizeof where, "%s:2: ", f->path);
  expect_bad_file(f, text, where);
  expect_bad_file(f, text, fragment);
}

static void test_bad_lines_are_refused_naming_file_and_line(void **state) {
  fixture_t *f = *state;
  char good[160], bad[512];
  token_line(good, sizeof good, WRITER_TOKEN, "secretariat", "writer");

  snprintf(bad, sizeof bad, "%.64s secretariat\n", good);
  expect_bad_second_line(f, good, bad, "expected \"<sha256-hex-of-token>");
  snprintf(bad, sizeof bad, "%.64s a reporter bgd extra\n", good);
  expect_bad_second_line(f, good, bad, "expected \"<sha256-hex-of-token>");
  snprintf(bad, sizeof bad, "%.63s a writer\n", good);
  expect_bad_second_line(f, good, bad, "must be 64 hex digits");
  snprintf(bad, sizeof bad, "zz%.62s a writer\n", good + 2);
  expect_bad_second_line(f, good, bad, "must be 64 hex digits");
  token_line(bad, sizeof bad, "t2", "bad/name", "writer");
  expect_bad_second_line(f, good, bad, "principal \"bad/name\"");
  token_line(bad, sizeof bad, "t2", "ok", "boss");
  expect_bad_second_line(f, good, bad,
                         "role \"boss\" is not reader, reporter, "
                         "secretariat (or writer, its old name) or admin");
  token_line(bad, sizeof bad, "t2", "moi-bgd", "reporter");
  expect_bad_second_line(f, good, bad,
                         "a reporter speaks for at least one actor");
  token_line(bad, sizeof bad, "t2", "moi-bgd", "reporter BGD");
  expect_bad_second_line(f, good, bad, "actor id \"BGD\" must be");
  token_line(bad, sizeof bad, "t2", "moi-bgd", "reporter bgd,,ken");
  expect_bad_second_line(f, good, bad, "actor id \"\" must be");
  token_line(bad, sizeof bad, "t2", "moi-bgd", "reporter bgd,");
  expect_bad_second_line(f, good, bad, "actor id \"\" must be");
  token_line(bad, sizeof bad, "t2", "moi-bgd", "reporter bgd,ken,bgd");
  expect_bad_second_line(f, good, bad, "actor bgd is named twice");
  token_line(bad, sizeof bad, "t2", "sec", "secretariat bgd");
  expect_bad_second_line(f, good, bad,
                         "only a reporter line names actors; a secretariat "
                         "speaks for no actor in particular (remove \"bgd\")");
  token_line(bad, sizeof bad, "t2", "partner", "reader iom");
  expect_bad_second_line(f, good, bad, "only a reporter line names actors");
  token_line(bad, sizeof bad, WRITER_TOKEN, "other", "reader");
  expect_bad_second_line(f, good, bad, "the same token hash as line 1");
}

/* One load names every bad line: the first in full, the others by
 * number and kind. */
static void test_every_bad_line_of_a_file_is_named(void **state) {
  fixture_t *f = *state;
  char lines[5][160], text[1024], expected[512];
  token_line(lines[0], sizeof lines[0], "t1", "sec", "secretariat");
  token_line(lines[1], sizeof lines[1], "t2", "ok", "boss");
  token_line(lines[2], sizeof lines[2], "t3", "moi-bgd", "reporter");
  token_line(lines[3], sizeof lines[3], "t1", "again", "reader");
  token_line(lines[4], sizeof lines[4], "t5", "sec2", "admin iom");
  snprintf(text, sizeof text, "%s%s# a comment\n%s%s%s", lines[0], lines[1],
           lines[2], lines[3], lines[4]);
  snprintf(expected, sizeof expected,
           "%s:2: role \"boss\" is not reader, reporter, secretariat (or "
           "writer, its old name) or admin; 3 more bad lines: 4 (reporter "
           "without actor), 5 (duplicate hash), 6 (actors on a non-reporter "
           "line)",
           f->path);
  rt_auth_t *auth = NULL;
  rt_error_t err;
  rt_error_clear(&err);
  write_file(f, text, 0600);
  assert_int_equal(rt_auth_load(&auth, f->path, &err), RT_EINVAL);
  assert_null(auth);
  assert_string_equal(err.message, expected);
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

  token_line(line, sizeof line, "new-token", "newcomer", "reporter iom");
  write_file(f, line, 0600);
  assert_int_equal(rt_auth_reload(auth, NULL), 0);
  assert_int_equal(rt_auth_count(auth), 1);
  assert_int_equal(
      rt_auth_authenticate(auth, "Bearer " READER_TOKEN, &principal, NULL),
      RT_EUNAUTH);
  assert_int_equal(
      rt_auth_authenticate(auth, "Bearer new-token", &principal, NULL), 0);
  assert_string_equal(principal.name, "newcomer");
  assert_string_equal(principal.actors[0], "iom");
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
  assert_int_equal(rt_auth_role_parse("writer", &role), 0);
  assert_int_equal(role, RT_AUTH_ROLE_SECRETARIAT);
  assert_int_equal(rt_auth_role_parse("reporter", &role), 0);
  assert_int_equal(role, RT_AUTH_ROLE_REPORTER);
  assert_int_equal(rt_auth_role_parse("admin", &role), 0);
  assert_int_equal(role, RT_AUTH_ROLE_ADMIN);
  assert_int_equal(rt_auth_role_parse("Writer", &role), RT_EINVAL);
  assert_int_equal(rt_auth_role_parse("none", &role), RT_EINVAL);
  assert_string_equal(rt_auth_role_name(RT_AUTH_ROLE_SECRETARIAT),
                      "secretariat");
  assert_string_equal(rt_auth_role_name(RT_AUTH_ROLE_REPORTER), "reporter");
  assert_true(rt_auth_actor_is_valid("mayors-mechanism"));
  assert_false(rt_auth_actor_is_valid("Mayors"));
  assert_false(rt_auth_actor_is_valid("a--b"));
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
      cmocka_unit_test(test_roles_allow_what_the_roles_below_allow),
      cmocka_unit_test_setup_teardown(test_a_reporter_line_names_its_actors,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_bad_lines_are_refused_naming_file_and_line, setup, teardown),
      cmocka_unit_test_setup_teardown(test_every_bad_line_of_a_file_is_named,
                                      setup, teardown),
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
