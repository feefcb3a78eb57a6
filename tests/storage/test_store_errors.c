/*
 * Errors: every failure of LMDB or of the system reaches the caller as an
 * RT_E* code with a sentence saying what failed, never as a raw LMDB code.
 * A full map at its maximum is RT_ENOSPC (and the store stays usable), a
 * map that grew leaves no error behind, a map too small to open in is
 * RT_ENOSPC, a missing record is RT_ENOTFOUND
 * naming it, taken reader slots are RT_EBUSY, a data file of another LMDB
 * format is RT_EVERSION and a data directory that is a file is RT_EIO.
 */
#include "store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static fixture_t *fx_of(void **state) { return *state; }

/* Closes the fixture's store and opens an empty one with options. */
static void reopen_empty(fixture_t *fx, const rt_store_options_t *options) {
  rt_error_t err;
  rt_store_close(fx->store);
  fx->store = NULL;
  fx_remove_tree(fx->dir);
  if (rt_store_open(&fx->store, fx->dir, options, &err) != 0)
    fail_msg("open: %s", err.message);
}

static void assert_contains(const char *text, const char *part) {
  if (strstr(text, part) == NULL)
    fail_msg("'%s' does not contain '%s'", text, part);
}

static uint64_t revision_of(rt_store_t *store) {
  rt_store_reader_t *reader;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(store, &reader, &err), 0);
  uint64_t revision = rt_store_revision(reader);
  rt_store_reader_end(reader);
  return revision;
}

static void
test_full_map_at_maximum_is_no_space_naming_the_limit(void **state) {
  fixture_t *fx = fx_of(state);
  rt_store_options_t options = {.initial_map_bytes = 64 * 1024,
                                .max_map_bytes = 128 * 1024};
  reopen_empty(fx, &options);
  assert_int_equal(fx_create_actor(fx->store, "iom"), 0);
  assert_int_equal(fx_create_actor(fx->store, "bgd"), 0);
  assert_int_equal(fx_create_source(fx->store, "idm-2023"), 0);
  rt_error_t err;
  rt_write_op_t op;
  int rc = 0;
  uint64_t before = 0;
  for (int i = 0; i < 2000 && rc == 0; i++) {
    before = revision_of(fx->store);
    Rectrack__V1__Recommendation rec = fx_recommendation("Filling");
    op = fx_op(RT_OP_CREATE_RECOMMENDATION, &rec);
    rc = rt_store_apply(fx->store, &op, 1, &err);
    if (rc == 0)
      rt_write_ops_release(&op, 1);
  }
  assert_int_equal(rc, RT_ENOSPC);
  assert_int_equal(op.result, RT_ENOSPC);
  assert_int_equal(op.error.code, RT_ENOSPC);
  assert_contains(err.message, "131072 bytes");
  assert_contains(err.message, "max_map_bytes");
  assert_string_equal(op.error.message, err.message);
  assert_null(op.reply);
  /* Nothing of the failed batch was committed; the store still reads. */
  assert_int_equal(revision_of(fx->store), before);
  fx_expect_sound(fx->store);
}

static void test_a_map_that_grew_leaves_no_error_behind(void **state) {
  fixture_t *fx = fx_of(state);
  rt_store_options_t options = {.initial_map_bytes = 64 * 1024};
  reopen_empty(fx, &options);
  assert_int_equal(fx_create_actor(fx->store, "iom"), 0);
  assert_int_equal(fx_create_actor(fx->store, "bgd"), 0);
  assert_int_equal(fx_create_source(fx->store, "idm-2023"), 0);
  enum { N = 300 };
  static Rectrack__V1__Recommendation recs[N];
  static rt_write_op_t ops[N];
  for (size_t i = 0; i < N; i++) {
    recs[i] = fx_recommendation("A batch large enough to fill the map");
    ops[i] = fx_op(RT_OP_CREATE_RECOMMENDATION, &recs[i]);
  }
  rt_error_t err;
  assert_int_equal(rt_store_apply(fx->store, ops, N, &err), 0);
  assert_true(rt_store_map_size(fx->store) > 64 * 1024);
  assert_int_equal(err.code, 0);
  assert_string_equal(err.message, "");
  for (size_t i = 0; i < N; i++) {
    assert_int_equal(ops[i].result, 0);
    assert_int_equal(ops[i].error.code, 0);
    assert_non_null(ops[i].reply);
  }
  rt_write_ops_release(ops, N);
}

static void test_map_too_small_to_open_is_no_space(void **state) {
  fixture_t *fx = fx_of(state);
  rt_store_close(fx->store);
  fx->store = NULL;
  fx_remove_tree(fx->dir);
  rt_store_options_t options = {.initial_map_bytes = 8192,
                                .max_map_bytes = 8192};
  rt_error_t err;
  assert_int_equal(rt_store_open(&fx->store, fx->dir, &options, &err),
                   RT_ENOSPC);
  assert_null(fx->store);
  assert_contains(err.message, "initial_map_bytes");
}

static void test_missing_records_are_not_found_naming_them(void **state) {
  fixture_t *fx = fx_of(state);
  rt_store_reader_t *reader;
  rt_error_t err;
  const void *data;
  size_t len;
  assert_int_equal(rt_store_reader_begin(fx->store, &reader, &err), 0);
  assert_int_equal(rt_store_get_raw(reader, RT_ENTITY_RECOMMENDATION, "R99",
                                    &data, &len, &err),
                   RT_ENOTFOUND);
  assert_int_equal(err.code, RT_ENOTFOUND);
  assert_string_equal(err.message, "recommendation 'R99' does not exist");
  assert_int_equal(
      rt_store_get_raw(reader, RT_ENTITY_ACTOR, "nobody", &data, &len, &err),
      RT_ENOTFOUND);
  assert_string_equal(err.message, "actor 'nobody' does not exist");
  rt_store_reader_end(reader);

  Rectrack__V1__Source source = RECTRACK__V1__SOURCE__INIT;
  source.id = (char *)"gfmd-2024";
  source.title = (char *)"Global Forum";
  rt_write_op_t op = fx_op(RT_OP_UPDATE_SOURCE, &source);
  assert_int_equal(fx_apply(fx->store, &op), RT_ENOTFOUND);
  assert_string_equal(op.error.field, "source.id");
  assert_contains(op.error.message, "source 'gfmd-2024' does not exist");
}

static void test_follow_up_by_an_unknown_reporter_is_not_found(void **state) {
  fixture_t *fx = fx_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("Reported");
  char *id = fx_create_recommendation(fx->store, &rec);
  Rectrack__V1__FollowUp fu = RECTRACK__V1__FOLLOW_UP__INIT;
  fu.subject_id = id;
  fu.status = RECTRACK__V1__STATUS__STATUS_IN_PROGRESS;
  fu.reported_by = (char *)"nobody";
  rt_write_op_t op = fx_op(RT_OP_RECORD_FOLLOW_UP, &fu);
  assert_int_equal(fx_apply(fx->store, &op), RT_ENOTFOUND);
  assert_string_equal(op.error.field, "follow_up.reported_by");
  assert_contains(op.error.message, "actor 'nobody' does not exist");
  assert_null(op.reply);
  free(id);
}

static void test_taken_reader_slots_are_busy(void **state) {
  fixture_t *fx = fx_of(state);
  rt_store_options_t options = {.max_readers = 1};
  reopen_empty(fx, &options);
  /* LMDB rounds the reader table up to whole pages: open readers until
   * one is refused. */
  enum { LIMIT = 4096 };
  rt_store_reader_t **readers = calloc(LIMIT, sizeof *readers);
  assert_non_null(readers);
  rt_error_t err;
  int rc = 0;
  size_t n = 0;
  while (n < LIMIT &&
         (rc = rt_store_reader_begin(fx->store, &readers[n], &err)) == 0)
    n++;
  assert_true(n >= 1);
  assert_int_equal(rc, RT_EBUSY);
  assert_contains(err.message, "starting a read snapshot");
  assert_contains(err.message, "max_readers");
  rt_store_reader_end(readers[0]);
  assert_int_equal(rt_store_reader_begin(fx->store, &readers[0], &err), 0);
  for (size_t i = 0; i < n; i++)
    rt_store_reader_end(readers[i]);
  free(readers);
}

/* Rewrites the format version that follows LMDB's magic number in both
 * meta pages of the data file. */
static void change_lmdb_format_version(const char *dir) {
  char path[128];
  snprintf(path, sizeof path, "%s/data.mdb", dir);
  FILE *file = fopen(path, "r+b");
  assert_non_null(file);
  static uint8_t head[65536];
  size_t len = fread(head, 1, sizeof head, file);
  const uint8_t magic[4] = {0xde, 0xc0, 0xef, 0xbe}; /* 0xBEEFC0DE, LE */
  int patched = 0;
  for (size_t i = 0; i + 8 <= len; i++)
    if (memcmp(head + i, magic, 4) == 0) {
      head[i + 4] = 99;
      patched++;
    }
  assert_int_equal(patched, 2);
  assert_int_equal(fseek(file, 0, SEEK_SET), 0);
  assert_int_equal(fwrite(head, 1, len, file), len);
  assert_int_equal(fclose(file), 0);
}

static void test_data_file_of_another_lmdb_format_is_refused(void **state) {
  fixture_t *fx = fx_of(state);
  rt_store_close(fx->store);
  fx->store = NULL;
  change_lmdb_format_version(fx->dir);
  rt_error_t err;
  assert_int_equal(rt_store_open(&fx->store, fx->dir, NULL, &err), RT_EVERSION);
  assert_null(fx->store);
  assert_contains(err.message, "opening the data directory");
  assert_contains(err.message, "incompatible LMDB");
}

static void test_data_directory_that_is_a_file_is_an_io_error(void **state) {
  fixture_t *fx = fx_of(state);
  char path[128];
  snprintf(path, sizeof path, "%s/data.mdb", fx->dir);
  rt_store_t *other = NULL;
  rt_error_t err;
  assert_int_equal(rt_store_open(&other, path, NULL, &err), RT_EIO);
  assert_null(other);
  assert_contains(err.message, "storage: opening the data directory");
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_full_map_at_maximum_is_no_space_naming_the_limit),
      T(test_a_map_that_grew_leaves_no_error_behind),
      T(test_map_too_small_to_open_is_no_space),
      T(test_missing_records_are_not_found_naming_them),
      T(test_follow_up_by_an_unknown_reporter_is_not_found),
      T(test_taken_reader_slots_are_busy),
      T(test_data_file_of_another_lmdb_format_is_refused),
      T(test_data_directory_that_is_a_file_is_an_io_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
