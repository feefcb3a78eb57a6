/*
 * Maintenance: reopening, schema versions, map growth from a tiny map
 * (also with readers running on another thread), backups that open as
 * stores, counts, reader reuse, and the verifier: clean on a sound store,
 * and naming a corrupted log entry or a dangling index entry.
 */
#include "store_fixture.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static fixture_t *fx_of(void **state) { return *state; }

static void reopen(fixture_t *fx, const rt_store_options_t *options) {
  rt_error_t err;
  rt_store_close(fx->store);
  fx->store = NULL;
  int rc = rt_store_open(&fx->store, fx->dir, options, &err);
  if (rc != 0)
    fail_msg("reopen: %s", err.message);
}

static void test_reopen_keeps_everything(void **state) {
  fixture_t *fx = fx_of(state);
  Rectrack__V1__Recommendation rec = fx_recommendation("Durable");
  free(fx_create_recommendation(fx->store, &rec));
  reopen(fx, NULL);
  Rectrack__V1__Recommendation *got = fx_get_recommendation(fx->store, "R1");
  assert_non_null(got);
  assert_string_equal(got->title, "Durable");
  protobuf_c_message_free_unpacked(&got->base, NULL);
  char *next = fx_create_recommendation(fx->store, &rec);
  assert_string_equal(next, "R2"); /* the counter survived too */
  free(next);
}

static void test_newer_schema_version_is_refused(void **state) {
  fixture_t *fx = fx_of(state);
  rt_store_close(fx->store);
  fx->store = NULL;
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi meta;
  assert_int_equal(mdb_env_create(&env), 0);
  mdb_env_set_maxdbs(env, 32);
  assert_int_equal(mdb_env_open(env, fx->dir, 0, 0600), 0);
  assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
  assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
  uint8_t version[8] = {0, 0, 0, 0, 0, 0, 0, 99};
  MDB_val key = {14, "schema_version"}, data = {8, version};
  assert_int_equal(mdb_put(txn, meta, &key, &data, 0), 0);
  assert_int_equal(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
  rt_error_t err;
  assert_int_equal(rt_store_open(&fx->store, fx->dir, NULL, &err), RT_EVERSION);
  assert_null(fx->store);
  assert_non_null(strstr(err.message, "schema version 99"));
  assert_non_null(strstr(err.message, "newer rectrack"));
}

static void create_many(rt_store_t *store, int n) {
  for (int i = 0; i < n; i++) {
    Rectrack__V1__Recommendation rec = fx_recommendation(
        "A recommendation with a long enough title to fill pages quickly");
    free(fx_create_recommendation(store, &rec));
  }
}

static void test_tiny_map_grows_as_records_arrive(void **state) {
  fixture_t *fx = fx_of(state);
  rt_store_options_t options = {.initial_map_bytes = 64 * 1024};
  rt_error_t err;
  rt_store_close(fx->store);
  fx_remove_tree(fx->dir);
  assert_int_equal(rt_store_open(&fx->store, fx->dir, &options, &err), 0);
  assert_int_equal(rt_store_map_size(fx->store), 64 * 1024);
  assert_int_equal(fx_create_actor(fx->store, "iom"), 0);
  assert_int_equal(fx_create_actor(fx->store, "bgd"), 0);
  assert_int_equal(fx_create_source(fx->store, "idm-2023"), 0);
  create_many(fx->store, 400);
  assert_true(rt_store_map_size(fx->store) > 64 * 1024);
  rt_store_reader_t *reader;
  rt_store_counts_t counts;
  assert_int_equal(rt_store_reader_begin(fx->store, &reader, &err), 0);
  assert_int_equal(rt_store_count(reader, &counts, &err), 0);
  assert_int_equal(counts.recommendations, 400);
  rt_store_reader_end(reader);
}

static void test_map_at_maximum_reports_no_space(void **state) {
  fixture_t *fx = fx_of(state);
  rt_store_options_t options = {.initial_map_bytes = 64 * 1024,
                                .max_map_bytes = 128 * 1024};
  rt_store_close(fx->store);
  fx_remove_tree(fx->dir);
  rt_error_t err;
  assert_int_equal(rt_store_open(&fx->store, fx->dir, &options, &err), 0);
  assert_int_equal(fx_create_actor(fx->store, "iom"), 0);
  assert_int_equal(fx_create_actor(fx->store, "bgd"), 0);
  assert_int_equal(fx_create_source(fx->store, "idm-2023"), 0);
  int last = 0;
  for (int i = 0; i < 2000 && last == 0; i++) {
    Rectrack__V1__Recommendation rec = fx_recommendation("Filling");
    rt_write_op_t op = fx_op(RT_OP_CREATE_RECOMMENDATION, &rec);
    last = rt_store_apply(fx->store, &op, 1, &err);
    if (last != 0)
      assert_int_equal(op.result, last);
    rt_write_ops_release(&op, 1);
  }
  assert_int_equal(last, RT_ENOSPC);
}

typedef struct reader_loop {
  rt_store_t *store;
  int iterations;
  int failures;
} reader_loop_t;

static void *read_repeatedly(void *data) {
  reader_loop_t *loop = data;
  rt_store_reader_t *reader = NULL;
  rt_error_t err;
  if (rt_store_reader_begin(loop->store, &reader, &err) != 0) {
    loop->failures++;
    return NULL;
  }
  rt_store_reader_reset(reader);
  for (int i = 0; i < loop->iterations; i++) {
    if (rt_store_reader_renew(reader, &err) != 0) {
      loop->failures++;
      break;
    }
    const void *data_ptr;
    size_t len;
    int rc =
        rt_store_get_raw(reader, RT_ENTITY_ACTOR, "iom", &data_ptr, &len, &err);
    if (rc != 0)
      loop->failures++;
    rt_store_reader_reset(reader);
  }
  rt_store_reader_end(reader);
  return NULL;
}

static void test_map_grows_while_readers_run(void **state) {
  fixture_t *fx = fx_of(state);
  rt_store_options_t options = {.initial_map_bytes = 64 * 1024};
  rt_error_t err;
  rt_store_close(fx->store);
  fx_remove_tree(fx->dir);
  assert_int_equal(rt_store_open(&fx->store, fx->dir, &options, &err), 0);
  assert_int_equal(fx_create_actor(fx->store, "iom"), 0);
  assert_int_equal(fx_create_actor(fx->store, "bgd"), 0);
  assert_int_equal(fx_create_source(fx->store, "idm-2023"), 0);
  reader_loop_t loop = {fx->store, 2000, 0};
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, read_repeatedly, &loop), 0);
  create_many(fx->store, 300);
  pthread_join(thread, NULL);
  assert_int_equal(loop.failures, 0);
  assert_true(rt_store_map_size(fx->store) > 64 * 1024);
}

/* The data file's size over the map's, after a commit made while no
 * snapshot was open: the writer grows the map early, so at most half of
 * it is in use (LMDB writes the file up to its last page). */
static double file_share_of_map(fixture_t *fx) {
  char path[128];
  snprintf(path, sizeof path, "%s/data.mdb", fx->dir);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  return (double)st.st_size / (double)rt_store_map_size(fx->store);
}

typedef struct writes {
  rt_store_t *store;
  int n;
  pthread_mutex_t lock;
  pthread_cond_t done_cond;
  bool done;
} writes_t;

static void *write_some(void *data) {
  writes_t *w = data;
  create_many(w->store, w->n);
  pthread_mutex_lock(&w->lock);
  w->done = true;
  pthread_cond_signal(&w->done_cond);
  pthread_mutex_unlock(&w->lock);
  return NULL;
}

static void
test_map_grows_early_so_long_snapshots_do_not_stop_writes(void **state) {
  fixture_t *fx = fx_of(state);
  rt_store_options_t options = {.initial_map_bytes = 1024 * 1024};
  rt_error_t err;
  rt_store_close(fx->store);
  fx_remove_tree(fx->dir);
  assert_int_equal(rt_store_open(&fx->store, fx->dir, &options, &err), 0);
  assert_int_equal(fx_create_actor(fx->store, "iom"), 0);
  assert_int_equal(fx_create_actor(fx->store, "bgd"), 0);
  assert_int_equal(fx_create_source(fx->store, "idm-2023"), 0);
  for (int i = 0; i < 60; i++) {
    create_many(fx->store, 10);
    assert_true(file_share_of_map(fx) <= 0.5 + 1e-9);
  }
  assert_true(rt_store_map_size(fx->store) > 1024 * 1024);
  /* A long snapshot (an export's) is open: the writes made meanwhile fit
   * in the room grown ahead, and none waits for the snapshot to end. */
  rt_store_reader_t *reader;
  assert_int_equal(rt_store_reader_begin(fx->store, &reader, &err), 0);
  writes_t w = {fx->store, 3, PTHREAD_MUTEX_INITIALIZER,
                PTHREAD_COND_INITIALIZER, false};
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, write_some, &w), 0);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 60;
  pthread_mutex_lock(&w.lock);
  int rc = 0;
  while (!w.done && rc == 0)
    rc = pthread_cond_timedwait(&w.done_cond, &w.lock, &deadline);
  bool done = w.done;
  pthread_mutex_unlock(&w.lock);
  rt_store_reader_end(reader); /* lets a waiting writer go on */
  pthread_join(thread, NULL);
  assert_true(done);
  rt_store_counts_t counts;
  assert_int_equal(rt_store_reader_begin(fx->store, &reader, &err), 0);
  assert_int_equal(rt_store_count(reader, &counts, &err), 0);
  assert_int_equal(counts.recommendations, 603);
  rt_store_reader_end(reader);
}

static void test_backup_opens_with_the_same_records(void **state) {
  fixture_t *fx = fx_of(state);
  create_many(fx->store, 20);
  assert_int_equal(fx_follow_up(fx->store, "R3",
                                RECTRACK__V1__STATUS__STATUS_STALLED,
                                "2024-01-01"),
                   0);
  char backup_dir[96];
  snprintf(backup_dir, sizeof backup_dir, "%s/backup", fx->dir);
  rt_error_t err;
  assert_int_equal(rt_store_backup(fx->store, backup_dir, &err), 0);
  assert_int_equal(rt_store_backup(fx->store, backup_dir, &err), RT_EEXIST);
  char data_file[128];
  snprintf(data_file, sizeof data_file, "%s/data.mdb", backup_dir);
  struct stat st;
  assert_int_equal(stat(data_file, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600); /* the records: owner only */
  rt_store_t *copy;
  assert_int_equal(rt_store_open(&copy, backup_dir, NULL, &err), 0);
  rt_store_reader_t *a, *b;
  rt_store_counts_t ca, cb;
  assert_int_equal(rt_store_reader_begin(fx->store, &a, &err), 0);
  assert_int_equal(rt_store_reader_begin(copy, &b, &err), 0);
  assert_int_equal(rt_store_count(a, &ca, &err), 0);
  assert_int_equal(rt_store_count(b, &cb, &err), 0);
  assert_memory_equal(&ca, &cb, sizeof ca);
  const void *da, *db;
  size_t la, lb;
  assert_int_equal(
      rt_store_get_raw(a, RT_ENTITY_RECOMMENDATION, "R3", &da, &la, &err), 0);
  assert_int_equal(
      rt_store_get_raw(b, RT_ENTITY_RECOMMENDATION, "R3", &db, &lb, &err), 0);
  assert_int_equal(la, lb);
  assert_memory_equal(da, db, la);
  rt_store_reader_end(a);
  rt_store_reader_end(b);
  rt_verify_report_t report;
  assert_int_equal(rt_store_verify(copy, &report, &err), 0);
  assert_int_equal(report.problem_count, 0);
  rt_verify_report_free(&report);
  rt_store_close(copy);
}

static void test_verifier_passes_a_sound_store(void **state) {
  fixture_t *fx = fx_of(state);
  create_many(fx->store, 5);
  Rectrack__V1__Commitment com = fx_commitment("Pledge");
  free(fx_create_commitment(fx->store, &com));
  assert_int_equal(fx_follow_up(fx->store, "C1",
                                RECTRACK__V1__STATUS__STATUS_IN_PROGRESS,
                                "2024-01-01"),
                   0);
  rt_verify_report_t report;
  rt_error_t err;
  assert_int_equal(rt_store_verify(fx->store, &report, &err), 0);
  assert_int_equal(report.problem_count, 0);
  assert_int_equal(report.entries_checked, 11);
  assert_int_equal(report.records_checked, 10);
  assert_true(report.index_entries_checked > 30);
  rt_verify_report_free(&report);
}

static bool report_mentions(const rt_verify_report_t *report,
                            const char *text) {
  for (size_t i = 0; i < report->problems_len; i++)
    if (strstr(report->problems[i], text))
      return true;
  return false;
}

static void test_verifier_catches_corrupted_log_entry(void **state) {
  fixture_t *fx = fx_of(state);
  create_many(fx->store, 3);
  assert_int_equal(rt_store_test_corrupt_log_entry(fx->store, 5), 0);
  rt_verify_report_t report;
  rt_error_t err;
  assert_int_equal(rt_store_verify(fx->store, &report, &err), 0);
  assert_true(report.problem_count >= 1);
  assert_true(report_mentions(&report, "Log entry 6 does not chain"));
  rt_verify_report_free(&report);
  /* The newest entry has no successor; the head hash covers it. */
  assert_int_equal(rt_store_test_corrupt_log_entry(fx->store, 7), 0);
  assert_int_equal(rt_store_verify(fx->store, &report, &err), 0);
  assert_true(report_mentions(&report, "revision 7"));
  rt_verify_report_free(&report);
}

static void test_verifier_catches_dangling_index_entry(void **state) {
  fixture_t *fx = fx_of(state);
  create_many(fx->store, 2);
  assert_int_equal(rt_store_test_add_dangling_index(fx->store, "R9"), 0);
  rt_verify_report_t report;
  rt_error_t err;
  assert_int_equal(rt_store_verify(fx->store, &report, &err), 0);
  assert_int_equal(report.problem_count, 1);
  assert_true(report_mentions(&report, "status index"));
  assert_true(report_mentions(&report, "R9"));
  rt_verify_report_free(&report);
}

typedef enum tamper { FLIP_LAST_BYTE, REMOVE, COPY_UNDER_NEW_KEY } tamper_t;

/* Changes the first entry of one database behind the store's back, with
 * LMDB directly: flips its last byte, deletes it, or stores a copy of it
 * under the key "zz-copy". */
/* Closes the store and opens its directory with LMDB directly, in a write
 * transaction on the database db_name; raw_close commits and reopens. */
typedef struct raw {
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
} raw_t;

static raw_t raw_open(fixture_t *fx, const char *db_name) {
  raw_t raw;
  rt_store_close(fx->store);
  fx->store = NULL;
  assert_int_equal(mdb_env_create(&raw.env), 0);
  assert_int_equal(mdb_env_set_maxdbs(raw.env, 32), 0);
  assert_int_equal(mdb_env_open(raw.env, fx->dir, 0, 0600), 0);
  assert_int_equal(mdb_txn_begin(raw.env, NULL, 0, &raw.txn), 0);
  assert_int_equal(mdb_dbi_open(raw.txn, db_name, 0, &raw.dbi), 0);
  return raw;
}

static void raw_close(fixture_t *fx, raw_t *raw) {
  assert_int_equal(mdb_txn_commit(raw->txn), 0);
  mdb_env_close(raw->env);
  reopen(fx, NULL);
}

static void tamper_history(fixture_t *fx, const char *db_name, tamper_t how) {
  raw_t raw = raw_open(fx, db_name);
  MDB_cursor *cursor;
  assert_int_equal(mdb_cursor_open(raw.txn, raw.dbi, &cursor), 0);
  MDB_val key, value;
  assert_int_equal(mdb_cursor_get(cursor, &key, &value, MDB_FIRST), 0);
  if (how == REMOVE) {
    assert_int_equal(mdb_cursor_del(cursor, 0), 0);
  } else if (how == COPY_UNDER_NEW_KEY) {
    MDB_val new_key = {7, "zz-copy"};
    assert_int_equal(mdb_put(raw.txn, raw.dbi, &new_key, &value, 0), 0);
  } else {
    uint8_t *copy = malloc(value.mv_size);
    assert_non_null(copy);
    memcpy(copy, value.mv_data, value.mv_size);
    copy[value.mv_size - 1] ^= 0x20;
    MDB_val altered = {value.mv_size, copy};
    assert_int_equal(mdb_cursor_put(cursor, &key, &altered, MDB_CURRENT), 0);
    free(copy);
  }
  mdb_cursor_close(cursor);
  raw_close(fx, &raw);
}

static void record_history(fixture_t *fx) {
  Rectrack__V1__Recommendation rec = fx_recommendation("Reported");
  free(fx_create_recommendation(fx->store, &rec));
  assert_int_equal(fx_follow_up(fx->store, "R1",
                                RECTRACK__V1__STATUS__STATUS_IN_PROGRESS,
                                "2024-01-01"),
                   0);
  Rectrack__V1__Indicator ind = fx_indicator("remittance cost", 6.0, 3.0);
  ind.unit = (char *)"per cent";
  Rectrack__V1__Commitment com = fx_commitment("Measured");
  com.kind = RECTRACK__V1__COMMITMENT_KIND__COMMITMENT_KIND_QUANTIFIED_TARGET;
  com.indicator = &ind;
  free(fx_create_commitment(fx->store, &com));
  assert_int_equal(fx_measure(fx->store, "C1", 5.0, "2024-02-01"), 0);
  fx_expect_sound(fx->store);
}

static void expect_verify_problem(fixture_t *fx, const char *text) {
  rt_verify_report_t report;
  rt_error_t err;
  assert_int_equal(rt_store_verify(fx->store, &report, &err), 0);
  assert_true(report.problem_count >= 1);
  if (!report_mentions(&report, text))
    fail_msg("no problem mentions '%s' (first: %s)", text,
             report.problems_len ? report.problems[0] : "none");
  rt_verify_report_free(&report);
}

/* Records history, damages one database and expects the verifier to say
 * so in a sentence containing text. */
static void expect_tampering_found(void **state, const char *db_name,
                                   tamper_t how, const char *text) {
  fixture_t *fx = fx_of(state);
  record_history(fx);
  tamper_history(fx, db_name, how);
  expect_verify_problem(fx, text);
}

static void test_verifier_catches_altered_follow_up_report(void **state) {
  expect_tampering_found(state, "follow_ups", FLIP_LAST_BYTE,
                         "follow-up of revision 6 differs");
}

static void test_verifier_catches_removed_follow_up_report(void **state) {
  expect_tampering_found(state, "follow_ups", REMOVE,
                         "follow-up recorded at revision 6 is missing");
  expect_verify_problem(*state, "0 follow-ups but the log recorded 1");
}

static void test_verifier_catches_altered_measurement(void **state) {
  expect_tampering_found(state, "measurements", FLIP_LAST_BYTE,
                         "measurement of revision 8 differs");
}

static void test_verifier_catches_record_stored_under_another_id(void **state) {
  expect_tampering_found(state, "sources", COPY_UNDER_NEW_KEY,
                         "carries another id");
}

static void test_verifier_catches_altered_record(void **state) {
  /* fx_setup creates the actors, then source idm-2023 at revision 4. */
  expect_tampering_found(state, "sources", FLIP_LAST_BYTE,
                         "idm-2023 differs from what the change at revision "
                         "4 left in the log");
}

/* R1's last change is a follow-up to IN_PROGRESS; a status written
 * straight into the record, without a report, is noticed. */
static void test_verifier_catches_status_set_without_follow_up(void **state) {
  fixture_t *fx = fx_of(state);
  record_history(fx);
  raw_t raw = raw_open(fx, "recommendations");
  uint8_t r1[8] = {0, 0, 0, 0, 0, 0, 0, 1};
  MDB_val key = {8, r1}, value;
  assert_int_equal(mdb_get(raw.txn, raw.dbi, &key, &value), 0);
  Rectrack__V1__Recommendation *rec =
      rectrack__v1__recommendation__unpack(NULL, value.mv_size, value.mv_data);
  assert_non_null(rec);
  assert_int_equal(rec->status, RECTRACK__V1__STATUS__STATUS_IN_PROGRESS);
  rec->status = RECTRACK__V1__STATUS__STATUS_IMPLEMENTED;
  uint8_t packed[4096];
  size_t len = rectrack__v1__recommendation__get_packed_size(rec);
  assert_true(len <= sizeof packed);
  rectrack__v1__recommendation__pack(rec, packed);
  rectrack__v1__recommendation__free_unpacked(rec, NULL);
  MDB_val altered = {len, packed};
  assert_int_equal(mdb_put(raw.txn, raw.dbi, &key, &altered, 0), 0);
  raw_close(fx, &raw);
  expect_verify_problem(fx, "R1 stores status implemented as of "
                            "\"2024-01-01\", but its follow-ups make it "
                            "in-progress as of \"2024-01-01\"");
}

/* A garbage entry under a huge revision: the walk jumps to it instead of
 * counting up to it (which would never end). */
static void test_verifier_reports_garbage_far_ahead_in_the_log(void **state) {
  fixture_t *fx = fx_of(state);
  raw_t raw = raw_open(fx, "log");
  uint8_t far[8] = {0, 0, 1, 0, 0, 0, 0, 0}; /* 2^40 */
  MDB_val key = {8, far}, value = {3, "\xff\xff\xff"};
  assert_int_equal(mdb_put(raw.txn, raw.dbi, &key, &value, 0), 0);
  raw_close(fx, &raw);
  expect_verify_problem(fx, "Log entry 1099511627776 does not decode");
  expect_verify_problem(fx, "revision 5 is missing");
}

static void test_verifier_reports_a_missing_head_hash(void **state) {
  fixture_t *fx = fx_of(state);
  raw_t raw = raw_open(fx, "meta");
  MDB_val key = {8, "log_head"};
  assert_int_equal(mdb_del(raw.txn, raw.dbi, &key, NULL), 0);
  raw_close(fx, &raw);
  expect_verify_problem(fx, "head hash of the log is missing");
}

static void test_reader_sees_its_snapshot_until_renewed(void **state) {
  fixture_t *fx = fx_of(state);
  rt_store_reader_t *reader;
  rt_error_t err;
  assert_int_equal(rt_store_reader_begin(fx->store, &reader, &err), 0);
  uint64_t before = rt_store_revision(reader);
  create_many(fx->store, 1);
  assert_int_equal(rt_store_revision(reader), before);
  const void *data;
  size_t len;
  assert_int_equal(rt_store_get_raw(reader, RT_ENTITY_RECOMMENDATION, "R1",
                                    &data, &len, &err),
                   RT_ENOTFOUND);
  rt_store_reader_reset(reader);
  assert_int_equal(rt_store_reader_renew(reader, &err), 0);
  assert_int_equal(rt_store_revision(reader), before + 1);
  assert_int_equal(rt_store_get_raw(reader, RT_ENTITY_RECOMMENDATION, "R1",
                                    &data, &len, &err),
                   0);
  rt_store_reader_end(reader);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_reopen_keeps_everything),
      T(test_newer_schema_version_is_refused),
      T(test_tiny_map_grows_as_records_arrive),
      T(test_map_at_maximum_reports_no_space),
      T(test_map_grows_while_readers_run),
      T(test_map_grows_early_so_long_snapshots_do_not_stop_writes),
      T(test_backup_opens_with_the_same_records),
      T(test_verifier_passes_a_sound_store),
      T(test_verifier_catches_corrupted_log_entry),
      T(test_verifier_catches_dangling_index_entry),
      T(test_verifier_catches_altered_follow_up_report),
      T(test_verifier_catches_removed_follow_up_report),
      T(test_verifier_catches_altered_measurement),
      T(test_verifier_catches_record_stored_under_another_id),
      T(test_verifier_catches_altered_record),
      T(test_verifier_catches_status_set_without_follow_up),
      T(test_verifier_reports_garbage_far_ahead_in_the_log),
      T(test_verifier_reports_a_missing_head_hash),
      T(test_reader_sees_its_snapshot_until_renewed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
